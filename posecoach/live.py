"""The live loop: camera → newest frame → pose → :class:`AnalysisSession` → coach → sinks.

The stages live in their own modules so each is tested without a camera: capture
(:mod:`posecoach.capture`), the coach and setup check (:mod:`posecoach.coach`), and the sinks
(:mod:`posecoach.sinks`). :class:`LiveSession` wires them and always flushes the sinks in
``finally``: Ctrl-C, SIGTERM, ``q``, closing the window or a camera that stops mid-session all end
with the summary kept. :func:`build_session` is the one place the chain is assembled, for
``posecoach live`` and for every step of a routine. When frames are drawn (a window, ``--record``)
the analysis runs on its own thread and the main thread draws the newest analysed frame; a
:class:`~posecoach.live_rate.RateWatch` says when too few frames a second are analysed to count reliably.
"""

from __future__ import annotations

import contextlib
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import FrameType
from typing import IO, Any, Protocol

import cv2
import numpy as np

from posecoach.analysis import AnalysisSession
from posecoach.capture import Clock, FrameGrabber, Pacing, Sleep
from posecoach.coach import Coach, CoachState, CoachStep, Command, Plan, Stage, check_setup
from posecoach.events import Event, RepCompleted
from posecoach.exercises import EngineSnapshot, Exercise
from posecoach.landmarks import Estimator, PoseFrame
from posecoach.live_rate import LiveStats, RateWatch, counting_fps
from posecoach.messages import Kind
from posecoach.pose import MAX_MODEL_INPUT_SIDE
from posecoach.sinks import EventSink
from posecoach.sinks.console import EventPrinter, PrinterSink
from posecoach.sinks.history import HistoryRecorder, HistorySink
from posecoach.sinks.recorder import VideoRecorder
from posecoach.sinks.window import WindowSink
from posecoach.sources import FrameSource, frame_brightness
from posecoach.summary import SessionStatus, SessionSummary

TOO_SLOW_REPEAT_S = 30.0
"""The voice says "too slow" at most this often; the screen says it as long as it lasts."""
EVENT_LINE_DELAY_S = 1.5
"""How long live event lines wait to leave in time order: the engine reports a hold's start and its
form warnings up to ~1 s after their time (a settle, HOLD_EXIT_S); the window and voice are not delayed."""


def live_input(image: np.ndarray) -> np.ndarray:
    """A live frame downscaled once, to the size the model would take it at, for the model and the drawing.

    Bilinear: 1 ms for 1280x720 where the model's own area resampling takes 5-8 ms on a busy laptop,
    for landmarks 0.12% of the frame apart (on a rendered 720p clip). Files analysed frame by frame
    (``Pacing.FAST``) skip this, so their poses, and so their counts, stay exactly those of ``analyze``.
    """
    height, width = image.shape[:2]
    scale = MAX_MODEL_INPUT_SIDE / max(height, width)
    if scale >= 1.0:
        return image
    return cv2.resize(image, (max(1, round(width * scale)), max(1, round(height * scale))),
                      interpolation=cv2.INTER_LINEAR)


@dataclass(frozen=True)
class View:
    """One analysed frame and everything drawn over it: frozen copies, handed to the display thread."""

    image: np.ndarray
    pose: PoseFrame | None
    snapshot: EngineSnapshot
    coach: CoachState
    fps: float | None
    t_s: float


class Newest:
    """The newest :class:`View`, from the analysis thread to the display: one not drawn in time is replaced."""

    def __init__(self) -> None:
        self._view: View | None = None
        self._cv = threading.Condition()

    def put(self, view: View) -> None:
        with self._cv:
            self._view = view
            self._cv.notify()

    def take(self, timeout: float) -> View | None:
        with self._cv:
            if self._view is None:
                self._cv.wait(timeout)
            view, self._view = self._view, None
            return view


class StopReason(StrEnum):
    END = "end of the video"
    QUIT = "quit"
    WINDOW_CLOSED = "window closed"
    INTERRUPTED = "interrupted (Ctrl-C)"
    TERMINATED = "terminated (SIGTERM)"
    SOURCE_FAILED = "the camera or stream stopped sending frames"
    ERROR = "an error"

    @property
    def partial(self) -> bool:
        return self in (StopReason.INTERRUPTED, StopReason.TERMINATED, StopReason.SOURCE_FAILED, StopReason.ERROR)


class KeySource(Protocol):
    """Where commands come from besides the window: the terminal, or a routine step's own advance."""

    def poll(self) -> Command | None: ...

    def close(self) -> None: ...


class Renderer(Protocol):
    def __call__(self, image: np.ndarray, pose: PoseFrame | None, snapshot: EngineSnapshot, exercise: Exercise,
                 coach: CoachState, *, fps: float | None = ..., mirror: bool = ...,
                 big_type: bool = ...) -> np.ndarray: ...


@dataclass
class LiveResult:
    summary: SessionSummary
    stats: LiveStats
    reason: StopReason
    coach: CoachState
    spoken: list[str] = field(default_factory=list)


class LiveSession:
    """One live session. Build it with the stages and sinks you want, then :meth:`run` it.

    ``pacing`` defaults to LIVE for cameras and streams and REALTIME for files. ``mirror`` defaults to
    mirroring cameras and streams only: a file is shown (and recorded) as it was filmed, so its
    title cards read the right way; pass True for a selfie recording. ``big_type`` sets the window's
    text to be read from a mat 2 m away (``--compact`` for a desk). ``prompt`` receives
    the coach's stage changes and setup hints as text (the CLI prints them on stderr when headless).
    """

    def __init__(self, exercise: Exercise, source: FrameSource, estimator: Estimator, plan: Plan, *,
                 side: str = "auto", pacing: Pacing | None = None, window: WindowSink | None = None,
                 keys: KeySource | None = None, speaker: Any = None, recorder: VideoRecorder | None = None,
                 sinks: Sequence[EventSink] = (), renderer: Renderer | None = None, mirror: bool | None = None,
                 prompt: Callable[[str], None] | None = None, skip_setup: bool = False,
                 clock: Clock = time.monotonic, sleep: Sleep | None = None,
                 handle_signals: bool = True, coach: Coach | None = None, big_type: bool = True) -> None:
        self.exercise = exercise
        self.source = source
        self.estimator = estimator
        self.coach = coach or Coach(plan, skip_setup=skip_setup)
        self.side = side
        self.pacing = pacing or (Pacing.LIVE if source.is_live else Pacing.REALTIME)
        self.window = window
        self.keys = keys
        self.speaker = speaker
        self.recorder = recorder
        self.sinks = list(sinks)
        self.renderer = renderer
        self.mirror = source.is_live if mirror is None else mirror
        self.big_type = big_type
        self.prompt = prompt
        self.clock = clock
        self.sleep = sleep
        self.handle_signals = handle_signals
        self.stats = LiveStats()
        self.rate = RateWatch(counting_fps(exercise))
        self._signal_reason: StopReason | None = None
        self._t = 0.0

    # ------------------------------------------------------------------ signals
    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if signum == signal.SIGINT and self._signal_reason is not None:
            raise KeyboardInterrupt  # a second Ctrl-C: the user really wants out now
        self._signal_reason = StopReason.INTERRUPTED if signum == signal.SIGINT else StopReason.TERMINATED

    def _install_signals(self) -> dict[int, Any]:
        if not self.handle_signals or threading.current_thread() is not threading.main_thread():
            return {}
        previous: dict[int, Any] = {}
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.getsignal(signum)
            signal.signal(signum, self._on_signal)
        return previous

    # ------------------------------------------------------------------ dispatch
    def _dispatch(self, event: Event) -> None:
        for sink in self.sinks:
            sink.handle(event)

    def _advance(self, t: float) -> None:
        """Sinks that order what they print by time (the event lines) learn the stream time."""
        for sink in self.sinks:
            advance = getattr(sink, "advance", None)
            if advance is not None:
                advance(t)

    def _apply(self, step: CoachStep, session: AnalysisSession) -> None:
        for event in step.events:
            session.summary.events.append(event)
            self._dispatch(event)
        for say in step.says:
            if self.speaker is not None:
                self.speaker.say(say.text, key=say.key, kind=say.kind, priority=say.priority,
                                 max_age_s=say.lifetime_s)
            if self.prompt is not None and say.kind in (Kind.STAGE, Kind.SETUP, Kind.ALERT):
                self.prompt(say.text)

    def _poll_command(self) -> Command | None:
        if self.window is not None:
            command = self.window.poll()
            if command is not None:
                return command
        return self.keys.poll() if self.keys is not None else None

    def _command(self, command: Command, session: AnalysisSession) -> StopReason | None:
        self._apply(self.coach.command(command, self._t), session)
        if self.speaker is not None:
            self.speaker.muted = self.coach.muted
        if self.coach.quit_requested:
            return StopReason.WINDOW_CLOSED if self.window is not None and self.window.closed_by_user \
                else StopReason.QUIT
        return None

    @property
    def _draws(self) -> bool:
        return self.renderer is not None and (self.window is not None or self.recorder is not None)

    def _show(self, view: View) -> None:
        """Draw one analysed frame and show or record it (the display thread's whole job)."""
        assert self.renderer is not None
        annotated = self.renderer(view.image, view.pose, view.snapshot, self.exercise, view.coach, fps=view.fps,
                                  mirror=self.mirror, big_type=self.big_type)
        if self.window is not None:
            self.window.show(annotated)
        if self.recorder is not None:
            self.recorder.write(annotated, view.t_s)

    # ------------------------------------------------------------------ the loop
    def run(self) -> LiveResult:
        session = AnalysisSession(self.exercise, self.source.name, self.side, self.source.fps, self._dispatch)
        grabber = FrameGrabber(self.source, self.pacing, clock=self.clock, sleep=self.sleep)
        previous_handlers = self._install_signals()
        reason: StopReason | None = None
        snapshot = session.engine.snapshot()
        grabber.start()
        try:
            if self._draws:
                reason = self._loop_beside_display(grabber, session, snapshot)
            else:
                reason = self._loop(grabber, session, snapshot, self._poll_command, None)
        finally:
            grabber.stop()
            for signum, handler in previous_handlers.items():
                signal.signal(signum, handler)
            self.stats.frames_captured, self.stats.frames_dropped = grabber.captured, grabber.dropped
            result = self._finish(session, reason or StopReason.ERROR, grabber.error)
        return result

    def _loop_beside_display(self, grabber: FrameGrabber, session: AnalysisSession,
                             snapshot: EngineSnapshot) -> StopReason:
        """Analysis on its own thread; this (main) thread reads the window's keys and draws the newest
        analysed frame. Drawing a large frame and showing it no longer delays the next frame's analysis;
        frames analysed faster than they can be drawn are not drawn (the newest wins)."""
        commands: queue.SimpleQueue[Command] = queue.SimpleQueue()
        newest = Newest()
        outcome: list[StopReason | BaseException] = []

        def next_command() -> Command | None:
            return None if commands.empty() else commands.get_nowait()

        def analyse() -> None:
            try:
                outcome.append(self._loop(grabber, session, snapshot, next_command, newest.put))
            except BaseException as exc:  # handed to the main thread, which raises it
                outcome.append(exc)

        worker = threading.Thread(target=analyse, name="posecoach-analysis", daemon=True)
        worker.start()
        try:
            while worker.is_alive():
                command = self._poll_command()
                if command is not None:
                    commands.put(command)
                view = newest.take(timeout=0.01)
                if view is not None:
                    self._show(view)
        finally:
            if worker.is_alive():  # the display failed or a second Ctrl-C: the analysis stops too
                self._signal_reason = self._signal_reason or StopReason.ERROR
                worker.join()
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        return outcome[0]

    def _view(self, image: np.ndarray, pose: PoseFrame | None, snapshot: EngineSnapshot, t: float) -> View:
        return View(image, pose, snapshot, self.coach.state, self.stats.processed_fps or None, t)

    def _loop(self, grabber: FrameGrabber, session: AnalysisSession, snapshot: EngineSnapshot,
              next_command: Callable[[], Command | None], show: Callable[[View], None] | None) -> StopReason:
        """The analysis: newest frame → pose → engine → coach → sinks, and what to draw to ``show``."""
        last_image: np.ndarray | None = None
        while True:
            if self._signal_reason is not None:
                return self._signal_reason
            command = next_command()
            if command is not None:
                stop = self._command(command, session)
                if stop is not None:
                    return stop
                if command is Command.PAUSE:
                    self.rate.restart()
                if self.coach.paused:  # a file stops where it is (its timeline with it); a camera goes on
                    grabber.pause()
                    if last_image is not None and show is not None:
                        show(self._view(last_image, None, snapshot, self._t))
                else:
                    grabber.resume()
            item = grabber.get(timeout=0.03)
            if item is None:
                if grabber.finished:
                    failed = grabber.error is not None or self.source.is_live
                    return StopReason.SOURCE_FAILED if failed else StopReason.END
                continue
            self._t = t = item.t_s
            image = last_image = item.frame.image if self.pacing is Pacing.FAST else live_input(item.frame.image)
            if self.coach.paused:
                if show is not None:
                    show(self._view(image, None, snapshot, t))
                continue
            pose = self.estimator.estimate(image, t)
            events = session.feed(t, pose)
            self.stats.add(item.captured_at, self.clock(), any(isinstance(e, RepCompleted) for e in events))
            snapshot = session.engine.snapshot()
            self._watch_rate(t, session)
            hint = None
            if self.coach.stage is Stage.SETUP or not snapshot.visible:
                hint = check_setup(pose, frame_brightness(image), self.exercise).hint
            hold = (snapshot.hold_elapsed_s, snapshot.hold_target_s) if snapshot.hold_elapsed_s > 0 else None
            self._apply(self.coach.observe(events, t) + self.coach.tick(t, hint, hold), session)
            self._advance(t)
            if show is not None:
                show(self._view(image, pose, snapshot, t))

    def _watch_rate(self, t: float, session: AnalysisSession) -> None:
        if self.rate.add(t) is not None:  # the text stays the same, so it is said once per TOO_SLOW_REPEAT_S
            text = f"Too slow to count: I need {self.rate.needed_fps:.0f} frames a second. Close other programs"
            self._apply(self.coach.notify(text, t, key="too-slow", repeat_s=TOO_SLOW_REPEAT_S), session)

    def _finish(self, session: AnalysisSession, reason: StopReason, capture_error: str | None) -> LiveResult:
        stopped_early = self.source.stats.stopped_early
        partial = reason.partial or stopped_early
        note = None
        if reason is StopReason.SOURCE_FAILED:
            note = f"{reason.value} after {self._t:.1f} s" + (f" ({capture_error})" if capture_error else "")
        elif reason.partial:
            note = reason.value
        elif stopped_early:
            note = self.source.stats.error
        summary = session.finish(partial=partial, reason=note)
        too_slow = self.rate.note(self.exercise)
        if too_slow is not None:
            summary.notes.append(too_slow)
        if self.stats.frames_processed:
            summary.notes.append(self.stats.describe())
        status = SessionStatus.INTERRUPTED \
            if reason in (StopReason.INTERRUPTED, StopReason.TERMINATED, StopReason.ERROR) \
            else (SessionStatus.PARTIAL if partial else SessionStatus.COMPLETE)
        with contextlib.ExitStack() as closing:
            for sink in self.sinks:
                closing.callback(sink.close, summary, status)
            if self.window is not None:
                closing.callback(self.window.close)
            if self.keys is not None:
                closing.callback(self.keys.close)
            if self.recorder is not None:
                closing.callback(self.recorder.close)
            if self.speaker is not None:
                closing.callback(self.speaker.close)
        spoken = list(getattr(self.speaker, "spoken", []))
        return LiveResult(summary, self.stats, reason, self.coach.state, spoken)


def pacing_for(source: FrameSource, realtime: bool = True) -> Pacing:
    """A camera or stream runs live; a file in real time like a camera, or as fast as it decodes."""
    return Pacing.LIVE if source.is_live else (Pacing.REALTIME if realtime else Pacing.FAST)


def build_session(exercise: Exercise, plan: Plan, source: FrameSource, estimator: Estimator, *,
                  side: str = "auto", realtime: bool = True, window_title: str | None = None,
                  keys: KeySource | None = None, speaker: Any = None, recorder: VideoRecorder | None = None,
                  history: HistoryRecorder | None = None, history_source: str | None = None,
                  as_json: bool = False, mirror: bool | None = None, coach: Coach | None = None,
                  notify: Callable[[str], None] | None = None, out: IO[str] | None = None,
                  patient: str | None = None, big_type: bool = True) -> LiveSession:
    """The live chain as ``posecoach live`` and each routine step run it.

    Events print on ``out`` (stdout) as text or JSON lines; with ``history`` the session is saved
    event by event (as ``history_source``, default the source's name) with the plan as its target;
    frames are drawn when there is a window (``window_title``) or a ``recorder``; without a window
    the coach's stage changes and setup hints go to ``notify`` (the CLI's stderr).
    """
    pacing = pacing_for(source, realtime)
    if recorder is not None:
        recorder.fps = source.fps or 30.0
    sinks: list[EventSink] = []
    if history is not None:  # saved before printed: a reader that goes away never costs a rep
        sinks.append(HistorySink(history, exercise.slug, history_source or source.name, plan.prescription, warn=notify,
                                 patient=patient))
    sinks.append(PrinterSink(EventPrinter(out or sys.stdout, as_json), reorder_s=EVENT_LINE_DELAY_S))
    renderer: Renderer | None = None
    if window_title is not None or recorder is not None:
        from posecoach.sinks.overlay import render

        renderer = render
    return LiveSession(
        exercise, source, estimator, plan, side=side, pacing=pacing,
        window=WindowSink(window_title) if window_title is not None else None,
        keys=keys, speaker=speaker, recorder=recorder, sinks=sinks, renderer=renderer, mirror=mirror,
        prompt=None if window_title is not None else notify, coach=coach, big_type=big_type,
    )
