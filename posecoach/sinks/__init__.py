"""Sinks consume events and summaries: console, overlay, voice, reports, history, the live window
and the video recorder. None of them imports an orchestrator (``live``, ``analysis``, ``routines``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from posecoach.events import Event
    from posecoach.summary import SessionStatus, SessionSummary


class EventSink(Protocol):
    """Consumes events as they happen and is closed with the final summary, always (``finally``)."""

    def handle(self, event: Event) -> None: ...

    def close(self, summary: SessionSummary, status: SessionStatus) -> None: ...
