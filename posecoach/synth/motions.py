"""Motion scripts: one per exercise slug, turning reps, holds and faults into joint angles over time.

A script is data (:class:`Script`): a relaxed ``rest`` pose, the ``start`` pose of every rep, the
``top`` pose per working side, a tempo, the faults it can show and how each one changes the pose.
:func:`build_motion` lays the script out on a timeline — idle, getting into position, the reps or
holds (alternating or blocked sides), getting out, idle — with smoothstep easing between key poses,
and records the exact truth (rep and hold times, fault spans) as it goes. :meth:`Motion.pose`
then turns the angles into a :class:`~posecoach.synth.kinematics.Body`, solving the contacts a
script asks for (feet planted, hands on a knee, resting on hands and toes) and putting the body
on the floor.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Literal

import numpy as np

from posecoach.exercises.definition import WarningCode
from posecoach.synth.kinematics import (
    CHANNELS,
    SIDES,
    Body,
    BodyShape,
    forward_kinematics,
    to_local,
    two_link_ik,
)
from posecoach.synth.truth import SIDE_NAMES, FaultTruth, HoldTruth, RepTruth

Pose = dict[str, float]
SidedPose = Pose | Callable[[str], Pose]
Posture = Literal["lying", "standing", "seated", "kneeling", "all-fours", "side-lying"]



class Fault(StrEnum):
    """A fault a script can inject, named for the movement (``back-lift``); :attr:`warning` is the
    code posecoach should answer it with (``back-lifting``)."""

    BACK_LIFT = "back-lift"
    PELVIS_ROCK = "pelvis-rock"
    PARTIAL_RANGE = "partial-range"
    TOO_FAST = "too-fast"
    HOLD_BROKEN_EARLY = "hold-broken-early"
    KNEE_BELOW_HIP = "knee-below-hip"
    HIP_SAG = "hip-sag"

    @property
    def warning(self) -> WarningCode:
        return _FAULT_WARNINGS[self]

    @property
    def warnings(self) -> tuple[WarningCode, ...]:
        """Every code that reports this fault: a rolling pelvis is ``trunk-rotating`` where the
        catalogue calls it that (clamshell, bird-dog)."""
        if self is Fault.PELVIS_ROCK:
            return (WarningCode.PELVIS_ROCKING, WarningCode.TRUNK_ROTATING)
        return (self.warning,)


_FAULT_WARNINGS = {
    Fault.BACK_LIFT: WarningCode.BACK_LIFTING, Fault.PELVIS_ROCK: WarningCode.PELVIS_ROCKING,
    Fault.PARTIAL_RANGE: WarningCode.PARTIAL_RANGE, Fault.TOO_FAST: WarningCode.TOO_FAST,
    Fault.HOLD_BROKEN_EARLY: WarningCode.HOLD_BROKEN_EARLY, Fault.KNEE_BELOW_HIP: WarningCode.KNEE_BELOW_HIP,
    Fault.HIP_SAG: WarningCode.HIPS_SAGGING,
}
FAULT_CODES = tuple(fault.value for fault in Fault)
NOT_COUNTED = frozenset({"partial-range", "too-fast"})
PARTIAL_RANGE_FRACTION = 0.4
KNEE_BELOW_HIP_FRACTION = 0.68
BROKEN_HOLD_FRACTION = 0.4
TOO_FAST_MOVE_S = 0.22
WHOLE_BODY_CHANNELS = frozenset({"plant_l", "plant_r", "grab_l", "grab_r", "level"})
ARM_PARTS = tuple(f"{p}_{s}" for p in ("upper_arm", "forearm", "hand") for s in SIDES)
LEG_PARTS = tuple(f"{p}_{s}" for p in ("thigh", "shank", "foot") for s in SIDES)
LEAD_INS = ("idle", "fidget", "get-down", "in-position")
"""Before the first rep: lie/stand still, shift about (arms, head, a small leg shuffle), get down
from the script's ``approach`` pose (sitting, kneeling upright, lying on the back) into ``rest``, or
start already in the start position (the recording began after the person got ready)."""
TAILS = ("idle", "fidget", "get-up", "none")
"""After the last rep: still, shifting about, getting back up to ``approach``, or ``none``: the
recording stops right after the last rep, in the start position."""


class SynthOptionError(ValueError):
    """An option the chosen exercise cannot honour (a fault it cannot show, zero reps...)."""


@dataclass(frozen=True)
class Tempo:
    """Seconds for each phase of one rep (a hold's entry, hold, exit and rest use the same slots)."""

    up_s: float
    top_s: float
    down_s: float
    bottom_s: float

    def scaled(self, factor: float) -> Tempo:
        return Tempo(self.up_s * factor, self.top_s * factor, self.down_s * factor, self.bottom_s * factor)


@dataclass(frozen=True)
class Script:
    """How one exercise moves. Pose fields may be a function of the working side ``"l"``/``"r"``."""

    slug: str
    kind: Literal["reps", "hold"]
    posture: Posture
    rest: SidedPose
    start: SidedPose
    top: SidedPose
    tempo: Tempo
    sides: Literal["both", "alternating", "blocked", "single"] = "both"
    default_reps: int = 5
    hold_target_s: float = 0.0
    """Target of a rep's top pause (reps), or of each hold (holds); 0 = no target."""
    hold_required: bool = False
    """A rep counts only if its top hold reaches the target (knee-to-chest, psoas activation), so a
    ``hold-broken-early`` rep is not counted; otherwise the top is just a pause (plank knee drive)."""
    faults: frozenset[str] = frozenset({"partial-range", "too-fast"})
    back_lift: SidedPose = field(default_factory=dict)
    rock: SidedPose = field(default_factory=dict)
    """Per-channel amplitude of one pelvis rocking cycle."""
    sag: SidedPose = field(default_factory=dict)
    anchor: str = "hip_mid"
    """The point pinned in place on the floor plane; ``{side}`` is the working side."""
    plant_reference: SidedPose | None = None
    """Where planted feet go: this pose's ankle positions relative to the anchor."""
    tracked: str = "hip_flex_{side}"
    """The channel whose motion defines a rep (for tests and for range faults)."""
    one_leg_start: SidedPose | None = None
    one_leg_top: SidedPose | None = None
    """A both-legs exercise done one leg at a time (a rehab straight-leg raise: the other knee bent,
    its foot planted): the start and top poses for the working side; None = it cannot be."""
    approach: SidedPose | None = None
    """The pose a person is in before getting down into ``rest`` (sitting before lying back, kneeling
    upright before going onto all fours); None = they start in ``rest``."""

    def pose(self, which: Literal["rest", "start", "top"], side: str) -> Pose:
        return _complete(_at(getattr(self, which), side))

    @property
    def working_sides(self) -> tuple[str, ...]:
        return ("both",) if self.sides == "both" else SIDES

    @property
    def side_orders(self) -> tuple[str, ...]:
        """The side orders :func:`build_motion` accepts for this exercise (empty: both sides together only)."""
        if self.sides == "both" and self.one_leg_top is None:
            return ()
        return ("alternating", "blocked", "single")


@dataclass(frozen=True)
class FaultRequest:
    """A fault to inject, on the given 1-based reps (or holds); empty means the script chooses."""

    code: str
    reps: tuple[int, ...] = ()

    @classmethod
    def parse(cls, text: str) -> FaultRequest:
        """``back-lift`` or ``back-lift@2`` or ``back-lift@2+4``."""
        code, _, where = text.strip().partition("@")
        try:
            reps = tuple(int(part) for part in where.split("+")) if where else ()
        except ValueError:
            raise SynthOptionError(f"bad fault '{text}': expected CODE or CODE@REP (e.g. 'back-lift@2')") from None
        if code not in FAULT_CODES:
            raise SynthOptionError(f"unknown fault '{code}'. Valid faults: {', '.join(FAULT_CODES)}")
        if any(rep < 1 for rep in reps):
            raise SynthOptionError(f"bad fault '{text}': rep numbers start at 1")
        return cls(code, reps)


@dataclass
class Motion:
    """A scripted clip: (T,) angle channels sampled at ``fps`` plus the truth recorded while scripting."""

    script: Script
    fps: float
    angles: dict[str, np.ndarray]
    active_side: np.ndarray
    reps: list[RepTruth]
    holds: list[HoldTruth]
    faults: list[FaultTruth]
    keys: list[tuple[float, Pose]]
    rep_tops: list[Pose]

    @property
    def frame_count(self) -> int:
        return len(self.active_side)

    @property
    def times(self) -> np.ndarray:
        return np.arange(self.frame_count) / self.fps

    @property
    def duration_s(self) -> float:
        return self.frame_count / self.fps

    def pose(self, shape: BodyShape) -> Body:
        """The posed body, contacts solved and standing on the floor with the anchor pinned."""
        return solve_contacts(self.angles, shape, self.script, self.active_side)


def _at(value: SidedPose | None, side: str) -> Pose:
    if value is None:
        return {}
    return value(side) if callable(value) else dict(value)


def _complete(pose: Pose) -> Pose:
    unknown = set(pose) - set(CHANNELS)
    if unknown:
        raise KeyError(f"unknown channels {sorted(unknown)}")
    return {name: float(pose.get(name, 0.0)) for name in CHANNELS}


def both(**values: float) -> Pose:
    """The same value on the left and the right: ``both(hip_flex=90)``."""
    return {f"{name}_{side}": value for name, value in values.items() for side in SIDES}


def one(side: str, **values: float) -> Pose:
    """Values for one side (``"both"`` means both)."""
    sides = SIDES if side == "both" else (side,)
    return {f"{name}_{s}": value for name, value in values.items() for s in sides}


def other(side: str) -> str:
    return "r" if side == "l" else "l"


# ---------------------------------------------------------------- postures

SUPINE: Pose = {"pitch": 90.0, **both(shoulder_abd=12, elbow_flex=8, ankle_flex=25, knee_flex=3)}
SUPINE_KNEES_BENT: Pose = {**SUPINE, **both(hip_flex=50, knee_flex=100, ankle_flex=40, plant=1)}
BRIDGE_SET: Pose = {**SUPINE, **both(hip_flex=65, knee_flex=125, ankle_flex=50, plant=1)}
"""Feet close to the buttocks, as a bridge starts."""
STANDING: Pose = both(shoulder_abd=7, elbow_flex=12, knee_flex=2)
ALL_FOURS: Pose = {"pitch": -90.0, "level": 1.0, "neck_flex": -15.0,
                   **both(hip_flex=90, knee_flex=90, ankle_flex=80, shoulder_flex=88, elbow_flex=3)}
HIGH_PLANK: Pose = {"pitch": -78.0, "level": 1.0, "neck_flex": -8.0,
                    **both(hip_flex=2, knee_flex=2, ankle_flex=0, shoulder_flex=80, elbow_flex=3)}
FOREARM_PLANK: Pose = {**HIGH_PLANK, **both(shoulder_flex=76, elbow_flex=100)}
SEATED: Pose = {"spine_flex": 8.0, **both(hip_flex=95, knee_flex=100, ankle_flex=20, plant=1,
                                          shoulder_flex=25, shoulder_abd=10, elbow_flex=35)}
KNEELING_TALL: Pose = both(knee_flex=90, ankle_flex=88, shoulder_abd=8, elbow_flex=10)


def _side_lying(down: str, **extra: float) -> Pose:
    """Lying on the ``down`` side, head on the lower arm, upper hand resting on the hip."""
    up = other(down)
    return {"pitch": 90.0, "roll": 90.0 if down == "l" else -90.0, **both(hip_flex=45, knee_flex=90, ankle_flex=20),
            **one(down, shoulder_flex=165, elbow_flex=60), **one(up, shoulder_flex=5, shoulder_abd=-8, elbow_flex=25),
            **extra}


def _swing_arms(side: str, amount: float = 1.0) -> Pose:
    """Opposite arm forward, same arm back, as people march."""
    return {**one(other(side), shoulder_flex=30 * amount, elbow_flex=75), **one(side, shoulder_flex=-15 * amount,
                                                                               elbow_flex=30)}


@functools.cache
def bridge_lift_deg() -> float:
    """Pelvis lift at which shoulder, hip and knee line up, for a body planted as in a bridge."""
    shape = BodyShape()
    script = SCRIPTS_BY_SLUG["glute-bridge"]
    low, high = 0.0, 60.0
    for _ in range(30):
        lift = 0.5 * (low + high)
        pose = {**BRIDGE_SET, "pitch": 90 + lift, "neck_flex": lift, **both(shoulder_flex=-lift)}
        angles = {name: np.array([value]) for name, value in _complete(pose).items()}
        solved = solve_angles(angles, shape, script, np.array(["l"]))
        if solved["hip_flex_l"][0] > 2.0:
            low = lift
        else:
            high = lift
    return 0.5 * (low + high)


def _bridge_top(side: str = "both") -> Pose:
    lift = bridge_lift_deg()
    return {**BRIDGE_SET, "pitch": 90 + lift, "neck_flex": lift, **both(shoulder_flex=-lift),
            **both(hip_flex=3, knee_flex=85)}


def _bridge_sag(side: str) -> Pose:
    lift = 0.55 * bridge_lift_deg()
    return {"pitch": -lift, "neck_flex": -lift, **both(shoulder_flex=lift)}


def _half_kneeling(side: str, stretch: float = 0.0) -> Pose:
    """``side`` knee down behind, the other foot planted in front; ``stretch`` 1 = pelvis pushed forward."""
    front = other(side)
    return {**KNEELING_TALL, **one(side, hip_flex=-5 - 17 * stretch, knee_flex=85 - 17 * stretch, ankle_flex=85),
            **one(front, hip_flex=90, knee_flex=90, ankle_flex=0, plant=1),
            **both(shoulder_flex=20, elbow_flex=20)}


def _side_plank(down: str) -> Pose:
    up = other(down)
    return {"pitch": 90.0, "roll": 90.0 if down == "l" else -90.0, "level": 1.0,
            **both(hip_flex=3, knee_flex=3, ankle_flex=10),
            **one(down, shoulder_abd=88, elbow_flex=90), **one(up, shoulder_abd=80, elbow_flex=5)}


def _one_leg_supine(side: str) -> Pose:
    """Lying with the working leg straight and the other knee bent, its foot planted (a rehab leg raise)."""
    return {**SUPINE, **one(other(side), hip_flex=50, knee_flex=100, ankle_flex=40, plant=1)}


SCRIPTS: tuple[Script, ...] = (
    Script(
        "lying-leg-raise", "reps", "lying",
        rest=SUPINE_KNEES_BENT, start=SUPINE,
        top=lambda side: {**SUPINE, **both(hip_flex=80, knee_flex=6, ankle_flex=15)},
        tempo=Tempo(1.3, 0.5, 1.6, 0.7), default_reps=5,
        faults=frozenset({"back-lift", "pelvis-rock", "partial-range", "too-fast"}),
        back_lift={"spine_flex": 26.0, "neck_flex": 15.0}, rock={"roll": 16.0, "spine_twist": -16.0},
        anchor="shoulder_mid", plant_reference=SUPINE_KNEES_BENT, tracked="hip_flex_l",
        one_leg_start=_one_leg_supine, one_leg_top=lambda side: {**_one_leg_supine(side),
                                                                 **one(side, hip_flex=80, knee_flex=6, ankle_flex=15)},
        approach=SEATED,
    ),
    Script(
        "lying-march", "reps", "lying",
        rest=SUPINE_KNEES_BENT, start={**SUPINE, **both(hip_flex=90, knee_flex=90, ankle_flex=10)},
        top=lambda side: {**SUPINE, **both(hip_flex=90, knee_flex=90, ankle_flex=10),
                          **one(side, hip_flex=12, knee_flex=4, ankle_flex=20)},
        tempo=Tempo(1.1, 0.3, 1.1, 0.5), sides="alternating", default_reps=4,
        faults=frozenset({"back-lift", "pelvis-rock", "partial-range", "too-fast"}),
        back_lift={"spine_flex": 20.0, "neck_flex": 12.0}, rock={"roll": 16.0, "spine_twist": -16.0},
        anchor="shoulder_mid", plant_reference=SUPINE_KNEES_BENT,
        approach=SEATED,
    ),
    Script(
        "supine-knee-to-chest", "reps", "lying",
        rest=SUPINE_KNEES_BENT, start=SUPINE,
        top=lambda side: {**SUPINE, "neck_flex": 10.0,
                          **one(side, hip_flex=118, knee_flex=125, ankle_flex=10, grab=1)},
        tempo=Tempo(1.2, 3.0, 1.2, 1.0), sides="blocked", default_reps=3, hold_target_s=3.0, hold_required=True,
        faults=frozenset({"back-lift", "pelvis-rock", "partial-range", "too-fast", "hold-broken-early"}),
        back_lift={"spine_flex": 24.0, "neck_flex": 15.0}, rock={"roll": 14.0, "spine_twist": -14.0},
        anchor="shoulder_mid", plant_reference=SUPINE_KNEES_BENT,
        approach=SEATED,
    ),
    Script(
        "standing-march", "reps", "standing",
        rest=STANDING, start=STANDING,
        top=lambda side: {**STANDING, **one(side, hip_flex=95, knee_flex=95, ankle_flex=15), **_swing_arms(side)},
        tempo=Tempo(0.55, 0.35, 0.55, 0.25), sides="alternating", default_reps=5,
        faults=frozenset({"knee-below-hip", "partial-range", "too-fast", "pelvis-rock"}),
        rock={"tilt": 9.0, "spine_lateral": 9.0},
    ),
    Script(
        "glute-bridge", "reps", "lying",
        rest=BRIDGE_SET, start=BRIDGE_SET, top=_bridge_top,
        tempo=Tempo(1.2, 1.0, 1.4, 0.8), default_reps=5,
        faults=frozenset({"partial-range", "too-fast", "pelvis-rock"}),
        rock={"roll": 10.0, "spine_twist": -10.0},
        anchor="shoulder_mid", plant_reference=BRIDGE_SET, tracked="pitch",
        approach=SEATED,
    ),
    Script(
        "plank", "hold", "all-fours",
        rest=ALL_FOURS, start=ALL_FOURS, top=FOREARM_PLANK,
        tempo=Tempo(1.5, 12.0, 1.2, 1.0), default_reps=1, hold_target_s=12.0,
        faults=frozenset({"hip-sag", "hold-broken-early"}),
        sag={"spine_flex": -12.0, **both(hip_flex=-14)}, anchor="elbow_mid", tracked="hip_flex_l",
        approach=KNEELING_TALL,
    ),
    Script(
        "boat-pose", "hold", "seated",
        rest=SEATED, start=SEATED,
        top={"pitch": 42.0, **both(hip_flex=100, knee_flex=5, ankle_flex=25, shoulder_flex=42, shoulder_abd=8,
                                   elbow_flex=3)},
        tempo=Tempo(1.6, 12.0, 1.4, 1.0), default_reps=1, hold_target_s=12.0,
        faults=frozenset({"hold-broken-early"}), plant_reference={**SEATED, **both(hip_flex=80, knee_flex=70)},
        tracked="hip_flex_l",
    ),
    Script(
        "alternating-knee-to-chest", "reps", "lying",
        rest=SUPINE_KNEES_BENT, start=SUPINE,
        top=lambda side: {**SUPINE, "neck_flex": 8.0, **one(side, hip_flex=115, knee_flex=120, ankle_flex=10, grab=1)},
        tempo=Tempo(0.9, 0.8, 0.9, 0.4), sides="alternating", default_reps=4,
        faults=frozenset({"back-lift", "pelvis-rock", "partial-range", "too-fast"}),
        back_lift={"spine_flex": 24.0, "neck_flex": 15.0}, rock={"roll": 14.0, "spine_twist": -14.0},
        anchor="shoulder_mid", plant_reference=SUPINE_KNEES_BENT,
        approach=SEATED,
    ),
    Script(
        "plank-knee-drive", "reps", "all-fours",
        rest=ALL_FOURS, start=HIGH_PLANK,
        top=lambda side: {**HIGH_PLANK, **one(side, hip_flex=95, knee_flex=115, ankle_flex=25)},
        tempo=Tempo(0.8, 2.0, 0.8, 0.6), sides="alternating", default_reps=3, hold_target_s=2.0,
        faults=frozenset({"hip-sag", "partial-range", "too-fast", "hold-broken-early", "pelvis-rock"}),
        sag={"spine_flex": -12.0, **both(hip_flex=-12)}, rock={"roll": 12.0, "spine_twist": -12.0},
        anchor="wrist_mid",
        approach=KNEELING_TALL,
    ),
    Script(
        "marching-bridge", "reps", "lying",
        rest=BRIDGE_SET, start=_bridge_top,
        top=lambda side: {**_bridge_top(), **one(side, plant=0, hip_flex=75, knee_flex=90, ankle_flex=10)},
        tempo=Tempo(0.9, 0.6, 0.9, 0.4), sides="alternating", default_reps=4,
        faults=frozenset({"pelvis-rock", "partial-range", "too-fast", "hip-sag"}),
        rock={"roll": 10.0, "spine_twist": -10.0}, sag=_bridge_sag,
        anchor="shoulder_mid", plant_reference=BRIDGE_SET,
        approach=SEATED,
    ),
    Script(
        "bird-dog", "reps", "all-fours",
        rest=ALL_FOURS, start=ALL_FOURS,
        top=lambda side: {**ALL_FOURS, **one(side, hip_flex=0, knee_flex=3, ankle_flex=30),
                          **one(other(side), shoulder_flex=172, elbow_flex=3)},
        tempo=Tempo(1.0, 1.5, 1.0, 0.5), sides="alternating", default_reps=3,
        faults=frozenset({"pelvis-rock", "partial-range", "too-fast", "hip-sag"}),
        rock={"roll": 12.0, "spine_twist": -6.0}, sag={"spine_flex": -16.0},
        approach=KNEELING_TALL,
    ),
    Script(
        "clamshell", "reps", "side-lying",
        rest=lambda side: _side_lying(other(side)), start=lambda side: _side_lying(other(side)),
        top=lambda side: {**_side_lying(other(side)), **one(side, hip_twist=42)},
        tempo=Tempo(0.9, 0.5, 0.9, 0.4), sides="blocked", default_reps=4,
        faults=frozenset({"pelvis-rock", "partial-range", "too-fast"}),
        rock=lambda side: {"roll": 14.0 if side == "l" else -14.0}, tracked="hip_twist_{side}",
        approach=SUPINE_KNEES_BENT,
    ),
    Script(
        "sit-up", "reps", "lying",
        rest=SUPINE_KNEES_BENT, start={**SUPINE_KNEES_BENT, **both(shoulder_flex=25, elbow_flex=5)},
        top={**SUPINE_KNEES_BENT, "pitch": 28.0, "spine_flex": 12.0, "neck_flex": 10.0,
             **both(shoulder_flex=75, shoulder_abd=8, elbow_flex=5)},
        tempo=Tempo(1.0, 0.3, 1.2, 0.6), default_reps=5,
        plant_reference={**SUPINE, **both(hip_flex=60, knee_flex=100)}, tracked="pitch",
        approach=SEATED,
    ),
    Script(
        "side-plank", "hold", "side-lying",
        rest=lambda side: _side_lying(side, **both(hip_flex=3, knee_flex=3)),
        start=lambda side: _side_lying(side, **both(hip_flex=3, knee_flex=3)),
        top=_side_plank,
        tempo=Tempo(1.6, 10.0, 1.4, 1.0), sides="blocked", default_reps=1, hold_target_s=10.0,
        faults=frozenset({"hip-sag", "hold-broken-early"}),
        sag=lambda side: {"spine_lateral": -14.0 if side == "l" else 14.0, **both(hip_abd=-10)},
        anchor="elbow_{side}", tracked="level",
        approach=SUPINE_KNEES_BENT,
    ),
    Script(
        "kneeling-hip-flexor-stretch", "hold", "kneeling",
        rest=KNEELING_TALL, start=_half_kneeling, top=lambda side: _half_kneeling(side, stretch=1.0),
        tempo=Tempo(1.5, 15.0, 1.5, 1.0), sides="blocked", default_reps=1, hold_target_s=15.0,
        faults=frozenset({"hold-broken-early"}),
        anchor="knee_{side}", plant_reference=_half_kneeling,
    ),
    Script(
        "standing-psoas-activation", "reps", "standing",
        rest=STANDING, start=STANDING,
        top=lambda side: {**STANDING, **one(side, hip_flex=92, knee_flex=92, ankle_flex=15),
                          **both(shoulder_abd=35, elbow_flex=15)},
        tempo=Tempo(0.9, 5.0, 0.9, 0.8), sides="alternating", default_reps=2, hold_target_s=5.0, hold_required=True,
        faults=frozenset({"knee-below-hip", "partial-range", "too-fast", "hold-broken-early", "pelvis-rock"}),
        rock={"tilt": 9.0, "spine_lateral": 9.0},
    ),
)
SCRIPTS_BY_SLUG: dict[str, Script] = {script.slug: script for script in SCRIPTS}
EXERCISES: tuple[str, ...] = tuple(SCRIPTS_BY_SLUG)


def get_script(slug: str) -> Script:
    try:
        return SCRIPTS_BY_SLUG[slug]
    except KeyError:
        raise SynthOptionError(f"no motion script for '{slug}'. Scripted exercises: {', '.join(EXERCISES)}") from None


# ---------------------------------------------------------------- timeline


class _Timeline:
    """Key poses at times; samples with smoothstep easing so every key is reached at rest."""

    def __init__(self, pose: Pose, side: str) -> None:
        self.keys: list[tuple[float, Pose]] = [(0.0, pose)]
        self.sides: list[tuple[float, str]] = [(0.0, side)]
        self.overlays: list[tuple[float, float, Pose, Literal["rock", "plateau"]]] = []

    @property
    def now(self) -> float:
        return self.keys[-1][0]

    @property
    def pose(self) -> Pose:
        return self.keys[-1][1]

    def move(self, pose: Pose, duration: float) -> None:
        self.keys.append((self.now + max(duration, 1e-3), pose))

    def pause(self, duration: float) -> None:
        self.move(self.pose, duration)

    def set_side(self, side: str) -> None:
        self.sides.append((self.now, side))

    def sample(self, times: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
        key_times = np.array([t for t, _ in self.keys])
        index = np.clip(np.searchsorted(key_times, times, side="right") - 1, 0, len(key_times) - 2)
        span = key_times[index + 1] - key_times[index]
        u = np.clip((times - key_times[index]) / span, 0.0, 1.0)
        ease = u * u * (3.0 - 2.0 * u)
        angles = {}
        for name in CHANNELS:
            values = np.array([pose[name] for _, pose in self.keys])
            angles[name] = values[index] + ease * (values[index + 1] - values[index])
        for start, end, delta, shape in self.overlays:
            weight = _overlay_weight(times, start, end, shape)
            for name, amount in delta.items():
                angles[name] = angles[name] + amount * weight
        side_times = np.array([t for t, _ in self.sides])
        side_index = np.searchsorted(side_times, times, side="right") - 1
        active = np.array([s for _, s in self.sides])[np.clip(side_index, 0, None)]
        return angles, active


def _overlay_weight(times: np.ndarray, start: float, end: float, shape: str) -> np.ndarray:
    u = np.clip((times - start) / max(end - start, 1e-6), 0.0, 1.0)
    if shape == "rock":
        return np.sin(2 * np.pi * u)
    ramp = min(0.8, 0.3 * (end - start))
    rising = np.clip((times - start) / ramp, 0, 1)
    falling = np.clip((end - times) / ramp, 0, 1)
    weight = np.minimum(rising, falling)
    return weight * weight * (3 - 2 * weight)


def _blend(start: Pose, top: Pose, fraction: float, channels: Sequence[str] | None = None) -> Pose:
    """``start`` moved ``fraction`` of the way to ``top`` (on the channels given, else all angles)."""
    names = channels if channels is not None else [n for n in CHANNELS if n not in WHOLE_BODY_CHANNELS]
    out = dict(top)
    for name in names:
        out[name] = start[name] + fraction * (top[name] - start[name])
    return out


def _add(pose: Pose, delta: Pose) -> Pose:
    out = dict(pose)
    for name, amount in delta.items():
        out[name] = out[name] + amount
    return out


def _side_order(script: Script, reps: int, first: str) -> list[str]:
    if script.sides == "both":
        return ["both"] * reps
    second = other(first)
    if script.sides == "alternating":
        return [first if i % 2 == 0 else second for i in range(2 * reps)]
    if script.sides == "single":
        return [first] * reps
    return [first] * reps + [second] * reps


def _choose_fault_targets(requests: Sequence[FaultRequest], count: int, rng: np.random.Generator
                          ) -> dict[int, list[str]]:
    """Which 1-based reps/holds carry which faults; unspecified ones avoid the first rep."""
    chosen: dict[int, list[str]] = {}
    for request in requests:
        targets = request.reps
        if not targets:
            candidates = [i for i in range(2, count + 1) if i not in chosen] or list(range(min(2, count), count + 1))
            targets = (int(rng.choice(candidates)),)
        for target in targets:
            if target > count:
                raise SynthOptionError(f"fault '{request.code}@{target}': the clip has only {count} reps/holds")
            chosen.setdefault(target, []).append(request.code)
    return chosen


def build_motion(slug: str, *, reps: int | None = None, faults: Sequence[FaultRequest] = (), fps: float = 30.0,
                 duration_scale: float = 1.0, seed: int = 0, first_side: str | None = None,
                 sides: Literal["alternating", "blocked", "single"] | None = None, range_scale: float = 1.0,
                 tempo_jitter: float = 0.08, hold_s: float | None = None, lead_in: str = "idle",
                 lead_in_s: float = 0.0, tail: str = "idle", tail_s: float = 0.0) -> Motion:
    """Lay out one clip of ``slug``: ``reps`` per side (holds, for a hold exercise), faults on chosen reps.

    ``sides`` overrides the script's alternating/blocked order for one-sided exercises (``single``:
    only the first side works), and makes a both-legs exercise that can be done one leg at a time
    (``Script.one_leg_top``) one-sided; ``range_scale`` scales every rep's range of motion (1 = the
    script's); ``duration_scale`` stretches every pause, move and hold; ``hold_s`` sets a hold
    exercise's hold target (default: the script's, times ``duration_scale``).

    ``lead_in_s`` seconds of ``lead_in`` (:data:`LEAD_INS`) replace the usual short seeded idle
    before the reps (0 = keep it), and ``tail_s`` seconds of ``tail`` (:data:`TAILS`) the one after;
    ``get-down``/``get-up`` need a script with an ``approach`` pose and spend at least 1.2 s moving.
    """
    script = get_script(slug)
    reps = script.default_reps if reps is None else reps
    if reps < 1:
        raise SynthOptionError("--reps must be at least 1")
    if duration_scale <= 0:
        raise SynthOptionError("--duration-scale must be positive")
    if not 0.2 <= range_scale <= 1.3:
        raise SynthOptionError(f"range scale {range_scale} is out of 0.2-1.3 (1 = the exercise's full range)")
    if lead_in not in LEAD_INS or tail not in TAILS:
        raise SynthOptionError(f"bad lead-in '{lead_in}' or tail '{tail}': lead-ins {', '.join(LEAD_INS)}; "
                               f"tails {', '.join(TAILS)}")
    if lead_in_s < 0 or tail_s < 0:
        raise SynthOptionError("lead-in and tail lengths cannot be negative")
    if (lead_in == "get-down" or tail == "get-up") and script.approach is None:
        raise SynthOptionError(f"{slug} starts in its rest pose; it has no getting down or up")
    if hold_s is not None and (script.kind != "hold" or hold_s <= 0):
        raise SynthOptionError("a hold length applies to hold exercises only, and must be positive")
    if sides is not None:
        if not script.side_orders:
            raise SynthOptionError(f"{slug} works both sides together; it has no side order to choose")
        if script.sides == "both":
            script = replace(script, start=script.one_leg_start or script.start, top=script.one_leg_top or script.top,
                             tracked="hip_flex_{side}")
        script = replace(script, sides=sides)
    not_counted = NOT_COUNTED | ({"hold-broken-early"} if script.hold_required else set())
    unsupported = sorted({f.code for f in faults} - script.faults)
    if unsupported:
        raise SynthOptionError(
            f"{slug} cannot show {', '.join(unsupported)}. Faults it can show: {', '.join(sorted(script.faults))}")
    rng = np.random.default_rng([seed, 11])
    first = first_side or ("l" if rng.random() < 0.5 else "r")
    order = _side_order(script, reps, first)
    targets = _choose_fault_targets(faults, len(order), rng)

    lead_rng = np.random.default_rng([seed, 12])
    rest_pose = script.pose("rest", first)
    idle_s = duration_scale * rng.uniform(0.8, 1.4)
    if lead_in == "get-down":
        timeline = _Timeline(_complete(_at(script.approach, first)), first)
        move_s = max(1.2, 0.6 * lead_in_s)
        timeline.pause(max(lead_in_s - move_s, 0.2))
        timeline.move(rest_pose, move_s)
        timeline.pause(0.3)
    elif lead_in == "in-position":
        timeline = _Timeline(script.pose("start", first), first)
        timeline.pause(max(lead_in_s, 0.2))
    else:
        timeline = _Timeline(rest_pose, first)
        if lead_in == "fidget" and lead_in_s > 0:
            _fidget(timeline, timeline.now, lead_in_s, script, lead_rng)
        timeline.pause(lead_in_s if lead_in_s > 0 else idle_s)
    rep_truths: list[RepTruth] = []
    hold_truths: list[HoldTruth] = []
    fault_truths: list[FaultTruth] = []
    rep_tops: list[Pose] = []
    previous_side = order[0]
    get_in_s = duration_scale * 1.6
    for number, side in enumerate(order, start=1):
        truth_side = SIDE_NAMES[side]
        pose_side = first if side == "both" else side
        start = script.pose("start", pose_side)
        if number == 1 or (side != previous_side and script.sides == "blocked"):
            if number > 1:
                timeline.move(script.pose("rest", previous_side), get_in_s)
                timeline.pause(0.5 * duration_scale)
                if script.pose("rest", pose_side) != script.pose("rest", previous_side):
                    timeline.move(script.pose("rest", pose_side), 2.0 * duration_scale)
                timeline.set_side(pose_side)
            if start != timeline.pose:
                timeline.move(start, get_in_s)
            timeline.pause(0.6 * duration_scale)
        elif side != previous_side:
            timeline.set_side(pose_side)
        previous_side = side
        codes = targets.get(number, [])
        top = script.pose("top", pose_side)
        if range_scale != 1.0:
            top = _blend(start, top, range_scale)
        jitter = 1.0 + rng.uniform(-tempo_jitter, tempo_jitter)
        tempo = script.tempo.scaled(duration_scale * jitter)
        top_s = tempo.top_s
        hold_target = (hold_s if hold_s is not None else script.hold_target_s * duration_scale
                       ) if script.kind == "hold" else script.hold_target_s
        if script.kind == "hold":
            top_s = hold_target
        elif script.hold_target_s:
            top_s = script.hold_target_s
        if "partial-range" in codes:
            top = _blend(start, top, PARTIAL_RANGE_FRACTION)
        if "knee-below-hip" in codes:
            top = _blend(start, top, KNEE_BELOW_HIP_FRACTION, [f"hip_flex_{s}" for s in _sides_of(side)])
        if "back-lift" in codes:
            top = _add(top, _at(script.back_lift, pose_side))
        up_s, down_s = tempo.up_s, tempo.down_s
        if "too-fast" in codes:
            up_s, down_s, top_s = TOO_FAST_MOVE_S, TOO_FAST_MOVE_S, 0.0
        target_s = top_s
        if "hold-broken-early" in codes:
            top_s = BROKEN_HOLD_FRACTION * top_s

        rep_start = timeline.now
        timeline.move(top, up_s)
        top_start = timeline.now
        if top_s > 0:
            timeline.pause(top_s)
        top_end = timeline.now
        timeline.move(start, down_s)
        rep_end = timeline.now
        timeline.pause(tempo.bottom_s)
        rep_tops.append(top)

        if script.kind == "reps":
            rep_truths.append(RepTruth(len(rep_truths) + 1, truth_side, rep_start, 0.5 * (top_start + top_end),
                                       rep_end, counted=not (set(codes) & not_counted), faults=tuple(codes)))
        if (script.kind == "hold" or script.hold_target_s) and top_s > 0:
            hold_truths.append(HoldTruth(truth_side, top_start, top_end, hold_target))
        rep_ref = number if script.kind == "reps" else None
        for code in codes:
            if code == "pelvis-rock":
                timeline.overlays.append((rep_start, rep_end, _at(script.rock, pose_side), "rock"))
            if code == "hip-sag":
                if script.kind == "hold":
                    sag_start, sag_end = top_start + 0.3 * target_s, top_start + 0.7 * target_s
                else:
                    sag_start, sag_end = rep_start, rep_end
                timeline.overlays.append((sag_start, sag_end, _at(script.sag, pose_side), "plateau"))
                ramp = min(0.8, 0.3 * (sag_end - sag_start)) / 2
                fault_truths.append(FaultTruth(code, sag_start + ramp, sag_end - ramp, rep_ref))
            elif code == "hold-broken-early":
                fault_truths.append(FaultTruth(code, top_end, top_start + target_s, rep_ref))
            else:
                fault_truths.append(FaultTruth(code, rep_start, rep_end, rep_ref))
    end_side = first if previous_side == "both" else previous_side
    idle_s = duration_scale * rng.uniform(0.8, 1.4)
    if tail == "none":
        timeline.pause(max(tail_s, 0.1))
    else:
        if timeline.pose != script.pose("rest", end_side):
            timeline.move(script.pose("rest", end_side), get_in_s)
        if tail == "get-up":
            move_s = max(1.2, 0.6 * tail_s)
            timeline.pause(0.3)
            timeline.move(_complete(_at(script.approach, end_side)), move_s)
            timeline.pause(max(tail_s - move_s, 0.2))
        else:
            if tail == "fidget" and tail_s > 0:
                _fidget(timeline, timeline.now, tail_s, script, lead_rng)
            timeline.pause(tail_s if tail_s > 0 else idle_s)

    frame_count = int(np.floor(timeline.now * fps)) + 1
    angles, active = timeline.sample(np.arange(frame_count) / fps)
    return Motion(script, fps, angles, active, rep_truths, hold_truths, sorted(fault_truths, key=lambda f: f.start_s),
                  timeline.keys, rep_tops)


def _fidget(timeline: _Timeline, start: float, duration: float, script: Script, rng: np.random.Generator) -> None:
    """Shifting about while waiting: one or two small arm, head or foot adjustments (overlays that
    rise and fall back), none bigger than a fidget, so no rep is hidden in them."""
    moves = [lambda s: {f"shoulder_flex_{s}": float(rng.uniform(12, 30)),
                        f"elbow_flex_{s}": float(rng.uniform(10, 35))},
             lambda s: {"neck_flex": float(rng.uniform(-10, 12)), "spine_twist": float(rng.uniform(-6, 6))},
             lambda s: {f"shoulder_abd_{s}": float(rng.uniform(8, 20))}]
    if script.posture in ("lying", "seated"):
        moves.append(lambda s: {f"ankle_flex_{s}": float(rng.uniform(-12, 12))})
    count = 1 if duration < 2.5 else 2
    for number in range(count):
        length = float(rng.uniform(0.8, 1.4))
        slot = duration / count
        begin = start + number * slot + float(rng.uniform(0.1, max(slot - length, 0.15)))
        side = SIDES[int(rng.integers(2))]
        delta = moves[int(rng.integers(len(moves)))](side)
        timeline.overlays.append((begin, begin + min(length, slot), delta, "plateau"))


def _sides_of(side: str) -> tuple[str, ...]:
    return SIDES if side == "both" else (side,)


# ---------------------------------------------------------------- contacts


def solve_angles(angles: dict[str, np.ndarray], shape: BodyShape, script: Script,
                 active_side: np.ndarray) -> dict[str, np.ndarray]:
    """Scripted angles → angles that honour the contacts: hands on a knee, two-point support, planted feet.

    Each step only runs where its helper channel is non-zero and rewrites only the angles it owns
    (arm angles for ``grab``, ``pitch`` for ``level``, hip/knee/ankle for ``plant``).
    """
    angles = {name: np.array(values, dtype=np.float64) for name, values in angles.items()}
    if any(np.any(angles[f"grab_{s}"] > 0) for s in SIDES):
        _hands_to_knee(angles, shape)
    if np.any(angles["level"] > 0):
        _level_on_hands_and_feet(angles, shape)
    if any(np.any(angles[f"plant_{s}"] > 0) for s in SIDES):
        _plant_feet(angles, shape, script, active_side)
    return angles


def solve_contacts(angles: dict[str, np.ndarray], shape: BodyShape, script: Script,
                   active_side: np.ndarray) -> Body:
    """The posed body with contacts solved, its lowest point on the floor and its anchor pinned."""
    body = forward_kinematics(solve_angles(angles, shape, script, active_side), shape)
    _ground(body, script, active_side)
    return body


def _hands_to_knee(angles: dict[str, np.ndarray], shape: BodyShape) -> None:
    body = forward_kinematics(angles, shape)
    m = shape.m
    for knee_side in SIDES:
        weight = angles[f"grab_{knee_side}"]
        if not np.any(weight > 0):
            continue
        shin = body.points[f"knee_{knee_side}"] + 0.22 * (body.points[f"ankle_{knee_side}"]
                                                          - body.points[f"knee_{knee_side}"])
        for arm in SIDES:
            local = to_local(body.frames["thorax"], shin - body.points[f"shoulder_{arm}"])
            flex, elbow = two_link_ik(local[:, :2], m(shape.upper_arm), m(shape.forearm + 0.4 * shape.hand), "elbow")
            for name, solved in ((f"shoulder_flex_{arm}", flex), (f"elbow_flex_{arm}", elbow),
                                 (f"shoulder_abd_{arm}", np.full_like(flex, 4.0))):
                angles[name] = (1 - weight) * angles[name] + weight * solved


def _level_on_hands_and_feet(angles: dict[str, np.ndarray], shape: BodyShape) -> None:
    """Tip the body (``pitch``) until its lowest arm point and lowest leg point are level."""
    weight = angles["level"]
    trial = dict(angles)
    correction = np.zeros_like(weight)
    for _ in range(4):
        body = forward_kinematics(trial, shape)
        arm = body.lowest_point(ARM_PARTS)
        leg = body.lowest_point(LEG_PARTS)
        run = arm[:, 0] - leg[:, 0]
        run = np.where(np.abs(run) < 1e-3, 1e-3, run)
        step = -np.degrees(np.arctan((arm[:, 1] - leg[:, 1]) / run))
        correction += step
        trial["pitch"] = angles["pitch"] + correction
    angles["pitch"] = angles["pitch"] + weight * correction


def _anchor_names(script: Script, active_side: np.ndarray) -> np.ndarray:
    return np.array([script.anchor.format(side=side) for side in active_side])


def _anchor_points(body: Body, names: np.ndarray) -> np.ndarray:
    out = np.empty((body.frame_count, 3))
    for name in np.unique(names):
        mask = names == name
        out[mask] = body.points[name][mask]
    return out


def _plant_feet(angles: dict[str, np.ndarray], shape: BodyShape, script: Script, active_side: np.ndarray) -> None:
    """Inverse kinematics that keeps planted feet flat on the floor at the reference spot."""
    m = shape.m
    targets_by_side = {}
    for side in np.unique(active_side):
        reference = {name: np.array([value]) for name, value in script.pose("start", side).items()}
        reference.update({name: np.array([value]) for name, value in _complete(
            _at(script.plant_reference, side) or script.pose("start", side)).items() if "plant" not in name})
        reference_body = forward_kinematics(reference, shape)
        anchor = reference_body.points[script.anchor.format(side=side)][0]
        targets_by_side[side] = {s: reference_body.points[f"ankle_{s}"][0] - anchor for s in SIDES}
    body = forward_kinematics(angles, shape)
    anchor = _anchor_points(body, _anchor_names(script, active_side))
    planted = tuple(s for s in SIDES if np.any(angles[f"plant_{s}"] > 0))
    free_parts = tuple(p.name for p in body.parts if not any(p.name == f"{q}_{s}" for q in ("thigh", "shank", "foot")
                                                                for s in planted))
    floor = body.lowest_point(free_parts)[:, 1]
    foot_radius = body_part_radius(body, "foot_l")
    for side in planted:
        weight = angles[f"plant_{side}"]
        offset = np.stack([targets_by_side[a][side] for a in active_side])
        target = anchor + offset
        target[:, 1] = floor + m(shape.ankle_height) + foot_radius
        pelvis = body.frames["pelvis"]
        local = to_local(pelvis, target - body.points[f"hip_{side}"])
        hip, knee = two_link_ik(local[:, :2], m(shape.thigh), m(shape.shank), "knee")
        forward = to_local(pelvis, np.tile([1.0, 0.0, 0.0], (len(hip), 1)))
        forward_angle = np.degrees(np.arctan2(forward[:, 0], -forward[:, 1]))
        ankle = (hip - knee) + 90.0 - forward_angle
        ankle = (ankle + 180.0) % 360.0 - 180.0
        for name, solved in ((f"hip_flex_{side}", hip), (f"knee_flex_{side}", knee), (f"ankle_flex_{side}", ankle)):
            angles[name] = (1 - weight) * angles[name] + weight * solved


def body_part_radius(body: Body, name: str) -> float:
    part = next(p for p in body.parts if p.name == name)
    return max(part.radius_a, part.radius_b)


def _ground(body: Body, script: Script, active_side: np.ndarray) -> None:
    """Lowest point onto the floor; the anchor point pinned over the origin of the floor plane."""
    lowest = body.lowest_point()[:, 1]
    anchor = _anchor_points(body, _anchor_names(script, active_side))
    shift = np.zeros((body.frame_count, 3))
    shift[:, 0] = -anchor[:, 0]
    shift[:, 1] = -lowest
    shift[:, 2] = -anchor[:, 2]
    body.translate(shift)


# ---------------------------------------------------------------- a passer-by


def walking_angles(times: np.ndarray, stride_hz: float = 0.9) -> dict[str, np.ndarray]:
    """A plain walking gait for the second person in the ``second-person`` condition."""
    phase = 2 * np.pi * stride_hz * times
    angles = {name: np.zeros_like(times) for name in CHANNELS}
    for side, shift in (("l", 0.0), ("r", np.pi)):
        swing = np.sin(phase + shift)
        angles[f"hip_flex_{side}"] = 22 * swing
        angles[f"knee_flex_{side}"] = 8 + 45 * np.clip(np.sin(phase + shift + 1.2), 0, None) ** 2
        angles[f"ankle_flex_{side}"] = 5 * swing
        angles[f"shoulder_flex_{side}"] = -18 * swing
        angles[f"shoulder_abd_{side}"] = np.full_like(times, 6.0)
        angles[f"elbow_flex_{side}"] = 20 + 10 * np.clip(-swing, 0, None)
    return angles


def walker_motion(frame_count: int, fps: float) -> Motion:
    """A standing script carrying the walking gait; the renderer moves and turns it along its path."""
    script = replace(SCRIPTS_BY_SLUG["standing-march"], slug="walker")
    angles = walking_angles(np.arange(frame_count) / fps)
    return Motion(script, fps, angles, np.full(frame_count, "l"), [], [], [], [], [])
