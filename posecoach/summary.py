"""The session summary: what one analysis or live session produced, as a stable JSON contract.

Scripts rely on :meth:`SessionSummary.to_dict`; fields are only ever added, never renamed.
"""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from posecoach.events import Event, FormWarning, HoldEnded, RepCompleted, RepRejected

SUMMARY_SCHEMA_VERSION = 1
RANGE_DECAY_SHARE = 0.8


class SessionMode(StrEnum):
    """How a session was run, as stored in the history."""

    LIVE = "live"
    ANALYZE = "analyze"
    UNKNOWN = "unknown"
    """Sessions saved before the history recorded it."""


class SessionStatus(StrEnum):
    """How a session ended, as stored in the history."""

    OPEN = "open"
    """Still running, or ended abruptly (killed): everything committed so far is kept."""
    COMPLETE = "complete"
    PARTIAL = "partial"
    """The input ended early (truncated video, camera lost)."""
    INTERRUPTED = "interrupted"
    """Ctrl-C, SIGTERM or an error."""


@dataclass
class SessionSummary:
    exercise: str
    source: str
    duration_s: float = 0.0
    fps: float = 0.0
    frames: int = 0
    frames_with_pose: int = 0
    events: list[Event] = field(default_factory=list)
    partial: bool = False
    """True when the input ended early (truncated video, camera lost, interrupted)."""
    notes: list[str] = field(default_factory=list)
    """Plain-language caveats: what could not be judged and why."""
    camera_side: str | None = None
    """The side of the body that faced the camera in most frames ('left'/'right'), None for front views."""
    signal_name: str = ""
    """The tracked signal (e.g. ``hip_flexion``), in degrees; plotted by reports."""
    signal_trace: list[tuple[float, float]] = field(default_factory=list)
    """``(t_s, value)`` of the tracked signal for frames with a pose (NaN-free), for plots."""

    @property
    def reps(self) -> list[RepCompleted]:
        return [e for e in self.events if isinstance(e, RepCompleted)]

    @property
    def holds(self) -> list[HoldEnded]:
        return [e for e in self.events if isinstance(e, HoldEnded) and e.counted]

    @property
    def warnings(self) -> list[FormWarning]:
        return [e for e in self.events if isinstance(e, FormWarning)]

    @property
    def rejected(self) -> list[RepRejected]:
        return [e for e in self.events if isinstance(e, RepRejected)]

    def rep_counts(self) -> dict[str, int]:
        reps = self.reps
        return {
            "total": len(reps),
            "left": sum(1 for r in reps if r.side is not None and r.side.value == "left"),
            "right": sum(1 for r in reps if r.side is not None and r.side.value == "right"),
        }

    def side_stats(self) -> dict[str, dict[str, float]]:
        """Per side: reps, mean range of motion, total hold time — what asymmetry is judged on."""
        stats: dict[str, dict[str, float]] = {}
        for side in ("left", "right"):
            reps = [r for r in self.reps if r.side is not None and r.side.value == side]
            holds = [h for h in self.holds if h.side is not None and h.side.value == side]
            stats[side] = {
                "reps": len(reps),
                "mean_rom": round(statistics.mean(r.rom for r in reps), 1) if reps else 0.0,
                "held_s": round(sum(h.held_s for h in holds), 2),
            }
        return stats

    def asymmetry(self) -> dict[str, float] | None:
        """Left vs right differences as a share of the larger side (0 = symmetric); None if one-sided."""
        stats = self.side_stats()
        left, right = stats["left"], stats["right"]
        if not (left["reps"] or left["held_s"]) or not (right["reps"] or right["held_s"]):
            return None
        return {key: round(abs(left[key] - right[key]) / max(left[key], right[key]), 3) if max(left[key], right[key])
                else 0.0 for key in ("reps", "mean_rom", "held_s")}

    def range_decay(self) -> int | None:
        """The rep from which range of motion stayed below 80% of the opening reps' — fatigue in a set."""
        roms = [r.rom for r in self.reps]
        if len(roms) < 5:
            return None
        reference = statistics.median(roms[:3])
        for index in range(3, len(roms)):
            if all(rom < RANGE_DECAY_SHARE * reference for rom in roms[index:]):
                return index + 1
        return None

    @property
    def pose_coverage(self) -> float:
        return self.frames_with_pose / self.frames if self.frames else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SUMMARY_SCHEMA_VERSION,
            "exercise": self.exercise,
            "source": self.source,
            "duration_s": round(self.duration_s, 3),
            "fps": round(self.fps, 3),
            "frames": self.frames,
            "frames_with_pose": self.frames_with_pose,
            "partial": self.partial,
            "camera_side": self.camera_side,
            "reps": self.rep_counts(),
            "holds": [
                {
                    "side": h.side.value if h.side else None,
                    "start_s": round(h.start_s, 3),
                    "end_s": round(h.t_s, 3),
                    "duration_s": round(h.held_s, 3),
                    "target_s": h.target_s,
                    "completed": h.completed,
                }
                for h in self.holds
            ],
            "warnings": [
                {
                    "t_s": round(w.t_s, 3),
                    "code": w.code,
                    "message": w.message,
                    "side": w.side.value if w.side else None,
                    "rep": w.rep,
                }
                for w in self.warnings
            ],
            "quality": {
                "sides": self.side_stats(),
                "asymmetry": self.asymmetry(),
                "range_fell_from_rep": self.range_decay(),
                "flagged_reps": sum(1 for r in self.reps if r.flags or r.uncertain),
                "rejected": len(self.rejected),
            },
            "notes": list(self.notes),
            "events": [_rounded(e.to_dict()) for e in self.events],
        }


def finite(data: Any) -> Any:
    """``data`` with every NaN or infinite float replaced by None (JSON's null), lists and dicts walked."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {key: finite(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [finite(value) for value in data]
    return data


def strict_json(data: Any, *, indent: int | None = None) -> str:
    """JSON every parser accepts: no ``NaN``/``Infinity`` tokens (Python writes them by default, strict
    parsers and browsers reject them); a value that was not measured is ``null``."""
    return json.dumps(finite(data), indent=indent, allow_nan=False)


def _rounded(data: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in data.items()}
