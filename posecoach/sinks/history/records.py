"""What a stored session reads back as, and the conversions between Python values and columns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np

from posecoach.exercises.catalog import CATALOG
from posecoach.exercises.definition import Target
from posecoach.summary import SessionMode, SessionStatus

MODES = tuple(SessionMode)
STATUSES = tuple(SessionStatus)


def target_for(slug: str) -> Target | None:
    """The catalogue's prescription for exercise ``slug``; None for an exercise it no longer has."""
    exercise = CATALOG.get(slug)
    return Target.from_exercise(exercise) if exercise is not None else None


@dataclass(frozen=True)
class SegmentInfo:
    """Which part of a recording of several exercises a session counts: part ``index`` of ``of``,
    from ``start_s`` to ``end_s`` of the recording (its first rep or hold to its last)."""

    index: int
    of: int
    start_s: float
    end_s: float

    @classmethod
    def from_summary(cls, segment: Mapping[str, Any] | None) -> SegmentInfo | None:
        if not segment:
            return None
        return cls(int(segment["index"]), int(segment["of"]), float(segment["start_s"]), float(segment["end_s"]))

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "of": self.of, "start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3)}


@dataclass(frozen=True)
class SessionInfo:
    """One row of ``posecoach history``: the session and its totals."""

    id: int
    uid: str
    exercise: str
    source: str
    mode: SessionMode
    status: SessionStatus
    started_at: datetime
    ended_at: datetime | None
    duration_s: float
    target: Target | None
    reps: int = 0
    reps_left: int = 0
    reps_right: int = 0
    holds: int = 0
    held_s: float = 0.0
    warnings: int = 0
    patient: str | None = None
    recording: str | None = None
    """Shared by the sessions of one recording of several exercises (one session per exercise)."""
    segment: SegmentInfo | None = None
    recognised: str | None = None
    """``sure`` or ``unsure`` when the exercise was recognised (no ``-e``); None when it was given."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "patient": self.patient,
            "uid": self.uid,
            "exercise": self.exercise,
            "source": self.source,
            "mode": self.mode,
            "status": self.status,
            "started_at": iso(self.started_at),
            "ended_at": iso(self.ended_at) if self.ended_at else None,
            "duration_s": round(self.duration_s, 3),
            "target": target_dict(self.target),
            "reps": self.reps,
            "reps_left": self.reps_left,
            "reps_right": self.reps_right,
            "holds": self.holds,
            "held_s": round(self.held_s, 3),
            "warnings": self.warnings,
            "recording": self.recording,
            "segment": self.segment.to_dict() if self.segment else None,
            "recognised": self.recognised,
        }


@dataclass(frozen=True)
class WeekStats:
    """One exercise in one ISO week (``week`` is its Monday), for ``posecoach progress``."""

    week: date
    exercise: str
    sessions: int
    reps: dict[str, int] = field(default_factory=dict)
    """Keys ``left``, ``right`` and ``both`` (sides working together)."""
    rom_mean: float | None = None
    held_s: float = 0.0

    @property
    def reps_total(self) -> int:
        return sum(self.reps.values())


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime) -> str:
    """Stored times are UTC ISO 8601 with one layout, so string order is time order."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def json_object(value: Any) -> dict[str, Any] | None:
    """A JSON object stored in a summary, or None (absent, or not an object)."""
    return value if isinstance(value, dict) else None


def target_dict(target: Target | None) -> dict[str, Any] | None:
    if target is None:
        return None
    return {"sets": target.sets, "reps": target.reps, "hold_s": target.hold_s, "per_side": target.per_side}


def target_from_dict(data: Mapping[str, Any] | None) -> Target | None:
    if not data:
        return None
    return Target(int(data["sets"]), int(data["reps"]), float(data["hold_s"]), bool(data["per_side"]))


def trace_blob(trace: list[tuple[float, float]]) -> bytes | None:
    """float32 pairs: an hour at 30 fps is under 1 MB, and 0.3 ms resolution is finer than a frame."""
    if not trace:
        return None
    return np.asarray(trace, dtype="<f4").reshape(-1, 2).tobytes()


def trace_from_blob(blob: bytes | None) -> list[tuple[float, float]]:
    if not blob:
        return []
    pairs = np.frombuffer(blob, dtype="<f4").reshape(-1, 2)
    return [(round(float(t), 3), round(float(v), 3)) for t, v in pairs]
