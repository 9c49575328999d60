"""Events: the only output of analysis. Sinks (console, overlay, voice, reports, history) consume them.

Every event is a frozen dataclass with ``t_s``, the stream time in seconds when it happened, and
``kind``, a stable name used in JSON output.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, ClassVar

from posecoach.landmarks import Side


@dataclass(frozen=True)
class Event:
    kind: ClassVar[str] = "event"
    t_s: float

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, Side):
                data[key] = value.value
            elif isinstance(value, tuple):
                data[key] = list(value)
        return {"kind": self.kind, **data}


@dataclass(frozen=True)
class RepCompleted(Event):
    """A full repetition: out of the rest position, through the working range, and back.

    ``count`` is the running total of the counting channel: per side for exercises counted per
    side, else for the whole body (where ``side`` still names the leg of a one-leg rep).
    ``rom`` is the excursion of the tracked signal (range of motion, in the exercise's signal
    unit: degrees for angles), ``peak`` its extreme value, ``up_s``/``down_s`` the tempo.
    ``flags`` are per-rep quality codes (e.g. ``no-pause``, ``dropped-fast``); ``uncertain`` says
    why the rep could not be judged reliably, or is None.
    """

    kind: ClassVar[str] = "rep"
    side: Side | None = None
    count: int = 0
    start_s: float = 0.0
    peak_s: float = 0.0
    rom: float = 0.0
    peak: float = 0.0
    up_s: float = 0.0
    down_s: float = 0.0
    held_s: float = 0.0
    flags: tuple[str, ...] = ()
    uncertain: str | None = None


@dataclass(frozen=True)
class RepRejected(Event):
    """A movement that looked like a rep but did not count (partial range, too fast, hold too short)."""

    kind: ClassVar[str] = "rep-rejected"
    side: Side | None = None
    reason: str = ""
    start_s: float = 0.0
    rom: float = 0.0
    code: str = ""
    """The kind of rejection, stable for programs: ``partial-range``, ``too-fast``, ``too-slow``,
    ``hold-too-short``, ``both-sides-moved``; ``reason`` says it in words."""


@dataclass(frozen=True)
class HoldStarted(Event):
    kind: ClassVar[str] = "hold-started"
    side: Side | None = None
    target_s: float = 0.0


@dataclass(frozen=True)
class HoldEnded(Event):
    """A hold is over. ``held_s`` counts only time in position (pauses for lost pose excluded)."""

    kind: ClassVar[str] = "hold-ended"
    side: Side | None = None
    start_s: float = 0.0
    held_s: float = 0.0
    target_s: float = 0.0
    completed: bool = False
    counted: bool = True
    """False for the top of a movement that did not count (both knees hugged in a one-leg
    exercise), or for the way into a stretch taken deeper (its hold restarts at once, from where it
    reached the new range): the event closes what ``HoldStarted`` opened, but it is no hold."""


@dataclass(frozen=True)
class FormWarning(Event):
    """A form problem, with a stable ``code`` and a one-line cue a physiotherapist would say."""

    kind: ClassVar[str] = "warning"
    code: str = ""
    message: str = ""
    side: Side | None = None
    rep: int | None = None


@dataclass(frozen=True)
class PoseLost(Event):
    kind: ClassVar[str] = "pose-lost"


@dataclass(frozen=True)
class PoseFound(Event):
    kind: ClassVar[str] = "pose-found"


@dataclass(frozen=True)
class SetCompleted(Event):
    kind: ClassVar[str] = "set-completed"
    set_index: int = 1
    reps: int = 0
    reps_left: int = 0
    reps_right: int = 0


EVENT_TYPES: dict[str, type[Event]] = {
    cls.kind: cls
    for cls in (RepCompleted, RepRejected, HoldStarted, HoldEnded, FormWarning, PoseLost, PoseFound,
                SetCompleted)
}


def event_from_dict(data: dict[str, Any]) -> Event:
    """Inverse of :meth:`Event.to_dict`, for history import and JSON-lines replay."""
    fields = dict(data)
    cls = EVENT_TYPES[fields.pop("kind")]
    if fields.get("side") is not None:
        fields["side"] = Side(fields["side"])
    if "flags" in fields:
        fields["flags"] = tuple(fields["flags"])
    return cls(**fields)


class Phase(StrEnum):
    """Where a counting channel is: out of the exercise's position, resting in it, or in a rep."""

    OUT_OF_POSITION = "out-of-position"
    REST = "rest"
    WORK = "work"


@dataclass(frozen=True)
class EngineSnapshot:
    """What a display needs right now; derived from the engine's state, never stored twice."""

    t_s: float
    visible: bool
    in_position: bool
    phase: Phase
    reps_total: int
    reps_left: int
    reps_right: int
    signal: dict[str, float]
    hold_side: Side | None
    hold_elapsed_s: float
    hold_target_s: float
    last_warning: FormWarning | None
