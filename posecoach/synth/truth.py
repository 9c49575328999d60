"""The ground truth written beside every synthetic clip (``clip.truth.json``), schema ``posecoach.synth/1``.

Times are seconds of video time (``frame_index / fps``); sides are the person's own ``left`` /
``right`` (also when the picture is mirrored), or ``both`` when both sides work together.

.. code-block:: text

    {
      "schema": "posecoach.synth/1",
      "exercise": "lying-leg-raise",        # catalogue slug
      "kind": "reps" | "hold",               # a hold exercise has no reps, only holds
      "fps": 30.0, "frame_count": 372, "duration_s": 12.4, "size": [640, 480],
      "seed": 7, "video": "clip.mp4", "joints": "clip.joints.npz" | null,
      "camera": {"view": "side", "azimuth_deg": 90.0, "elevation_deg": 12.0, "distance_m": 3.1,
                 "focal_px": 520.0, "facing_side": "left", "mirrored": false, "orientation": "landscape"},
      "reps": [{"index": 1, "side": "both", "start_s": 2.9, "peak_s": 4.4, "end_s": 6.0,
                "counted": true, "faults": []}],
      "holds": [{"side": "left", "start_s": 4.1, "end_s": 7.1, "duration_s": 3.0, "target_s": 3.0}],
      "faults": [{"code": "back-lift", "start_s": 9.0, "end_s": 12.1, "rep": 3}],
      "conditions": [{"code": "second-person", "start_s": 3.0, "end_s": 6.5}],
      "expected": {"reps": {"total": 5, "left": 0, "right": 0},
                   "reps_as_seen": {"total": 5, "left": 0, "right": 0}, "hold_s": 0.0}
    }

- A rep runs from leaving the start position (``start_s``) to getting back to it (``end_s``);
  ``peak_s`` is the middle of the top pause (the turning point when there is none).
- ``counted`` is false for a ``partial-range`` or ``too-fast`` rep: a coach would not count it.
  Other faults (``back-lift``, ``pelvis-rock``, ``knee-below-hip``, ``hip-sag``,
  ``hold-broken-early``) leave the rep counted and are listed in its ``faults``.
- A hold runs from arriving in the hold position to starting to leave it. Exercises whose reps
  include a top pause with a target (knee-to-chest 3 s, plank knee drive 2 s, standing psoas
  activation 5 s) list every top pause as a hold too, with its ``target_s``.
- A fault tied to a rep spans that rep; a fault inside a hold (``hip-sag``) spans the time it is at
  least half developed; ``hold-broken-early`` spans from the break to when the target would have ended.
- ``expected.reps`` counts only reps with ``counted: true``; ``left``/``right`` count one-sided
  reps, so for ``both``-sided exercises they are 0. In a mirrored clip (a selfie camera) the
  picture shows the person's left as a right, and no model can tell: ``expected.reps_as_seen``
  swaps the sides accordingly, and is what a pose model's sides should match.
  ``expected.hold_s`` is the summed hold time.
- ``variation`` (optional; clips from a randomised suite) records every randomised choice made for
  the clip: ``view_bucket`` (``side``, ``oblique-feet``/``oblique-head`` or ``oblique-front``/
  ``oblique-back``, ``feet``/``head`` end, ``front``), ``camera_side`` (the person's side nearer
  the camera), ``catalog_view`` and ``in_catalog`` (whether the exercise's catalogue views include
  it), ``portrait``, ``tempo`` (duration scale), ``range`` (range scale), ``sides`` (``both``,
  ``alternating``, ``blocked``, ``single``), ``lead_in``/``lead_in_s``, ``tail``/``tail_s``,
  ``hold_s``, ``fill``, ``body`` (shape fields set) and ``fault`` (code and rep, or null).
- ``joints`` (optional) names an ``.npz`` beside the clip: ``image`` (T, 33, 3) the true joints
  projected to pixels (x, y, camera depth in metres, NaN if behind the camera) in MediaPipe's
  landmark order, ``world`` (T, 33, 3) metres, ``times`` (T,) seconds.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = "posecoach.synth/1"
SIDE_NAMES = {"l": "left", "r": "right", "both": "both"}


@dataclass(frozen=True)
class RepTruth:
    index: int
    side: str
    start_s: float
    peak_s: float
    end_s: float
    counted: bool = True
    faults: tuple[str, ...] = ()


@dataclass(frozen=True)
class HoldTruth:
    side: str
    start_s: float
    end_s: float
    target_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class FaultTruth:
    code: str
    start_s: float
    end_s: float
    rep: int | None = None


@dataclass(frozen=True)
class ConditionTruth:
    code: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class CameraTruth:
    view: str
    azimuth_deg: float
    elevation_deg: float
    distance_m: float
    focal_px: float
    facing_side: str
    mirrored: bool
    orientation: str


@dataclass
class ClipTruth:
    exercise: str
    kind: str
    fps: float
    frame_count: int
    size: tuple[int, int]
    seed: int
    camera: CameraTruth
    reps: list[RepTruth] = field(default_factory=list)
    holds: list[HoldTruth] = field(default_factory=list)
    faults: list[FaultTruth] = field(default_factory=list)
    conditions: list[ConditionTruth] = field(default_factory=list)
    video: str = ""
    joints: str | None = None
    variation: dict[str, Any] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        return self.frame_count / self.fps

    def expected(self) -> dict[str, Any]:
        counted = [rep for rep in self.reps if rep.counted]
        left = sum(rep.side == "left" for rep in counted)
        right = sum(rep.side == "right" for rep in counted)
        as_seen = (right, left) if self.camera.mirrored else (left, right)
        return {
            "reps": {"total": len(counted), "left": left, "right": right},
            "reps_as_seen": {"total": len(counted), "left": as_seen[0], "right": as_seen[1]},
            "hold_s": round(sum(hold.duration_s for hold in self.holds), 3),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "exercise": self.exercise,
            "kind": self.kind,
            "fps": self.fps,
            "frame_count": self.frame_count,
            "duration_s": round(self.duration_s, 4),
            "size": list(self.size),
            "seed": self.seed,
            "video": self.video,
            "joints": self.joints,
            "camera": _rounded(asdict(self.camera)),
            "reps": [_rounded({**asdict(rep), "faults": list(rep.faults)}) for rep in self.reps],
            "holds": [_rounded({**asdict(hold), "duration_s": hold.duration_s}) for hold in self.holds],
            "faults": [_rounded(asdict(fault)) for fault in self.faults],
            "conditions": [_rounded(asdict(condition)) for condition in self.conditions],
            "expected": self.expected(),
            **({"variation": self.variation} if self.variation else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClipTruth:
        if data.get("schema") != SCHEMA:
            raise ValueError(f"not a {SCHEMA} truth file (schema is {data.get('schema')!r})")
        return cls(
            exercise=data["exercise"], kind=data["kind"], fps=data["fps"], frame_count=data["frame_count"],
            size=tuple(data["size"]), seed=data["seed"], camera=CameraTruth(**data["camera"]),
            reps=[RepTruth(**{**rep, "faults": tuple(rep["faults"])}) for rep in data["reps"]],
            holds=[HoldTruth(**{k: v for k, v in hold.items() if k != "duration_s"}) for hold in data["holds"]],
            faults=[FaultTruth(**fault) for fault in data["faults"]],
            conditions=[ConditionTruth(**condition) for condition in data["conditions"]],
            video=data.get("video", ""), joints=data.get("joints"), variation=dict(data.get("variation", {})),
        )

    @classmethod
    def load(cls, path: Path) -> ClipTruth:
        return cls.from_dict(json.loads(Path(path).read_text()))


def _rounded(values: dict[str, Any]) -> dict[str, Any]:
    """Millisecond precision keeps the JSON readable without losing anything a frame can show."""
    return {key: round(value, 4) if isinstance(value, float) else value for key, value in values.items()}
