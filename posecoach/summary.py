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

from posecoach.events import Event, FormWarning, HoldEnded, RepCompleted, RepRejected, SetCompleted
from posecoach.exercises.definition import Target

SUMMARY_SCHEMA_VERSION = 2
"""2 added ``recognition`` and ``segment`` (fields are only ever added)."""
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
    recognition: dict[str, Any] | None = None
    """How the exercise was recognised, when it was not given (``analyze`` without ``-e``)."""
    segment: dict[str, Any] | None = None
    """Which part of a recording of several exercises this summary counts (start_s, end_s, index, of)."""
    target: Target | None = None
    """What was prescribed (a routine, a plan, ``--reps``/``--hold``); None: nothing was, so no output
    shows a target (an analysed video is measured, not judged against the catalogue's dose)."""
    patient: str | None = None
    """Whose session this is (``--patient``), so a physiotherapist's patients stay apart."""
    recorded_at: str | None = None
    """When the video was recorded (ISO 8601: container metadata, else the file's time), None for live."""
    recorded_at_from: str | None = None
    """``"video"`` (the container's own date) or ``"file"`` (the file's modification time, a guess)."""

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

    def rep_rows(self) -> list[RepRow]:
        """Each rep with its set and every issue found in it: flags, the form warnings raised during it,
        and why it is uncertain. Table, CSV, JSON, report and ``show`` all read this one list."""
        set_index, placed = 1, []
        for event in self.events:
            if isinstance(event, SetCompleted):
                set_index = event.set_index + 1
            elif isinstance(event, RepCompleted):
                placed.append((event, set_index))
        codes: dict[int, list[str]] = {i: [] for i in range(len(placed))}
        for warning in self.warnings:
            for i, (rep, _) in enumerate(placed):
                if _warning_belongs(warning, rep):
                    codes[i].append(warning.code)
                    break
        return [RepRow(i + 1, rep, s, tuple(dict.fromkeys(codes[i]))) for i, (rep, s) in enumerate(placed)]

    def flag_codes(self) -> list[str]:
        """Every flag, warning and rejection code in the session, each once, in order of appearance."""
        found = [code for row in self.rep_rows() for code in row.codes]
        found += [w.code for w in self.warnings] + [r.code for r in self.rejected if r.code]
        return list(dict.fromkeys(found))

    @property
    def counts_reps(self) -> bool:
        """False for a hold exercise (a plank): outputs then speak of holds, never of "0 reps"."""
        from posecoach.exercises.catalog import CATALOG

        exercise = CATALOG.get(self.exercise)
        return exercise is None or exercise.rep is not None or bool(self.reps)

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
            "recognition": self.recognition,
            "segment": self.segment,
            "patient": self.patient,
            "recorded_at": self.recorded_at,
            "recorded_at_from": self.recorded_at_from,
            "target": _target_dict(self.target),
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
            "rep_issues": [
                {"rep": row.number, "side": row.side, "set": row.set_index, "issues": list(row.issues)}
                for row in self.rep_rows() if row.flagged
            ],
            "not_counted": [
                {"t_s": round(r.t_s, 3), "side": r.side.value if r.side else None, "code": r.code, "reason": r.reason}
                for r in self.rejected
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


@dataclass(frozen=True)
class RepRow:
    """One rep with the set it belongs to and the form warnings raised during it."""

    number: int
    rep: RepCompleted
    set_index: int
    warnings: tuple[str, ...] = ()

    @property
    def side(self) -> str:
        return self.rep.side.value if self.rep.side else "both"

    @property
    def flagged(self) -> bool:
        return bool(self.rep.flags or self.warnings or self.rep.uncertain)

    @property
    def codes(self) -> list[str]:
        """Flags and warning codes, each once."""
        return list(dict.fromkeys([*self.rep.flags, *self.warnings]))

    @property
    def issues(self) -> list[str]:
        found = self.codes
        if self.rep.uncertain:
            found.append(f"uncertain: {self.rep.uncertain}")
        return found


def _warning_belongs(warning: FormWarning, rep: RepCompleted) -> bool:
    same_side = warning.side is None or rep.side is None or warning.side == rep.side
    if warning.rep is not None:
        return same_side and warning.rep == rep.count
    return same_side and rep.start_s <= warning.t_s <= rep.t_s


def _target_dict(target: Target | None) -> dict[str, Any] | None:
    if target is None:
        return None
    return {"sets": target.sets, "reps": target.reps, "hold_s": target.hold_s, "per_side": target.per_side}


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
