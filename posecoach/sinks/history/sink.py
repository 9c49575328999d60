"""The history as a sink of a live or analysed session: its events saved as they come."""

from __future__ import annotations

from collections.abc import Callable

from posecoach.errors import HistoryError
from posecoach.events import Event
from posecoach.exercises.definition import Target
from posecoach.sinks.history.store import HistoryRecorder
from posecoach.summary import SessionMode, SessionStatus, SessionSummary
from posecoach.terminal import echo


class HistorySink:
    """Saves the session event by event through :class:`~posecoach.sinks.history.HistoryRecorder`."""

    def __init__(self, recorder: HistoryRecorder, exercise: str, source: str, target: Target | None,
                 warn: Callable[[str], None] | None = None, patient: str | None = None) -> None:
        self._recorder = recorder
        self._warn = warn or (lambda message: echo(message, err=True))
        self._failed = False
        self._target = target
        self.session_id = recorder.open_session(exercise, source, mode=SessionMode.LIVE, target=target,
                                                patient=patient)

    def handle(self, event: Event) -> None:
        if self._failed:
            return
        try:
            self._recorder.record(event)
        except HistoryError as exc:  # a locked database must not stop the workout; say it once
            self._failed = True
            self._warn(f"history: {exc}; the session goes on but will be saved only at the end")

    def close(self, summary: SessionSummary, status: SessionStatus) -> None:
        if self._failed:
            self._recorder.detach()
            self._recorder.store.save_summary(summary, mode=SessionMode.LIVE, target=self._target)
            return
        self._recorder.close(summary, status=status)
