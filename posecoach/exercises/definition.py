"""Exercise definitions are data: what to track, thresholds, phases, holds, form rules, cues, source.

One engine (:mod:`posecoach.exercises.engine`) interprets them, so adding an exercise is a few
lines in :mod:`posecoach.exercises.catalog`, not a new class. Angles are degrees, heights are in
torso lengths, times are seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import StrEnum

from posecoach.errors import NoHoldError


class Kind(StrEnum):
    REPS = "reps"
    REPS_WITH_HOLD = "reps+hold"
    HOLD = "hold"
    TIMER = "timer"
    """Cannot be judged from one camera (a glute squeeze): posecoach only times it."""


class SideMode(StrEnum):
    NONE = "none"
    """Both sides work together (leg raise, bridge, plank)."""
    EACH = "each"
    """Each side works on its own and is counted separately (march, knee-to-chest)."""


class View(StrEnum):
    SIDE = "side"
    OBLIQUE = "oblique"
    FRONT = "front"


FEATURE_WORDS: dict[str, str] = {
    "trunk_incline": "the angle of your trunk",
    "chest_facing": "the way your chest faced",
    "knee_flexion": "the bend of your knees",
    "hip_flexion": "the angle at your hips",
    "thigh_elevation": "the height of your thighs",
    "arm_elevation": "the position of your arms",
    "upper_arm_from_vertical": "your arms under your shoulders",
    "body_line": "the line from shoulders to heels",
    "body_side_bend": "the line of your hips (sideways)",
    "pelvis_vertical": "your hips stacked on top of each other",
    "knee_gap": "the gap between your knees",
    "feet_height": "the height of your feet",
}
"""Features in plain words, for notes that say what was out of range."""


FEATURE_UNITS: dict[str, tuple[str, int]] = {"knee_gap": (" hip widths", 2)}
"""Signals measured in body widths rather than degrees: their unit and the decimals worth saying."""


def feature_words(feature: str) -> str:
    """``knee_flexion.{side}`` -> 'the bend of your knees'."""
    base = feature.split(".")[0]
    return FEATURE_WORDS.get(base, base.replace("_", " "))


def feature_amount(feature: str, value: float) -> str:
    """A value of ``feature`` as a person reads it: '41°', or '0.6 hip widths' for the knees' gap."""
    unit, decimals = FEATURE_UNITS.get(feature.split(".")[0], ("°", 0))
    return f"{value:.{decimals}f}{unit}"


class WarningCode(StrEnum):
    """Every code a :class:`~posecoach.events.FormWarning` carries: the catalogue's form rules and
    the engine's own checks of each rep and hold. Stable: history and JSON output store them."""

    BACK_LIFTING = "back-lifting"
    PELVIS_ROCKING = "pelvis-rocking"
    HIPS_SAGGING = "hips-sagging"
    HIPS_PIKING = "hips-piking"
    KNEE_BELOW_HIP = "knee-below-hip"
    TRUNK_ROTATING = "trunk-rotating"
    LEGS_SWINGING = "legs-swinging"
    KNEE_BENT = "knee-bent"
    BACK_ROUNDING = "back-rounding"
    PARTIAL_RANGE = "partial-range"
    TOO_FAST = "too-fast"
    HOLD_BROKEN_EARLY = "hold-broken-early"


@dataclass(frozen=True)
class Within:
    """A feature must lie in ``[low, high]``. ``{side}`` in the name is the working side,
    ``{other}`` the other one."""

    feature: str
    low: float = -math.inf
    high: float = math.inf
    must_see: bool = False
    """The position cannot be told without this feature (a lunge without its front leg is kneeling
    upright): while it is unseen, a hold does not start (one begun is bridged as unjudged)."""
    unseen: Within | None = None
    """What a hold judges instead while this feature cannot be measured (a boat's feet hidden: its
    trunk's lean)."""
    fault: bool = False
    """Leaving this range is bad form in the position, which one of the exercise's form rules warns
    about (hips sagging out of a side plank's lift), not leaving the position: a hold goes on through
    such a lapse if the person comes back from it (see ``holds.FAULT_LAPSE_S``)."""

    def holds_for(self, value: float) -> bool:
        return self.low <= value <= self.high

    def margin(self, value: float) -> float:
        """How far inside the range ``value`` lies (negative outside, NaN when unseen)."""
        return min(value - self.low, self.high - value)


@dataclass(frozen=True)
class NearOwnLimit:
    """A feature within ``band`` of the furthest the person has taken it so far (``direction`` -1:
    the lowest value). A stretch is held at one's own end range, wherever that is: MediaPipe reads a
    kneeling lunge's hip extension anywhere from -20° to 0°, and a rocking stretch is held only in
    its forward phases."""

    feature: str
    band: float
    direction: int = -1


Condition = Within | NearOwnLimit


@dataclass(frozen=True)
class Posture:
    """Where the exercise happens (lying on the back, standing, in a plank...).

    Frames outside the posture never count: getting into position, title cards and people
    walking through the frame are filtered here.
    """

    name: str
    conditions: tuple[Within, ...]
    to_enter: tuple[Within, ...] = ()
    """Where the limbs start (knees bent, on the knees): needed to come into position, not to stay in
    it, because the exercise's own movement takes a limb out of it (a bird-dog straightens a knee, and
    the hidden far knee often reads straight with it). Leaving is what the trunk does."""
    settle_s: float = 0.4
    """How long the posture must hold before counting starts (and may lapse before counting stops)."""

    @property
    def every_condition(self) -> tuple[Within, ...]:
        return self.conditions + self.to_enter


@dataclass(frozen=True)
class RepSpec:
    """How a repetition looks in the tracked signal.

    A rep is an excursion of ``signal`` away from rest by at least ``min_excursion`` degrees and
    back (two thresholds: out at rest + ``min_excursion``, back once it has returned
    ``return_fraction`` of the way). ``direction`` is +1 when the work phase raises the signal.
    """

    signal: str
    min_excursion: float
    nominal_range: float
    direction: int = 1
    return_fraction: float = 0.6
    partial_fraction: float = 0.55
    """A rep whose range is under this fraction of the person's own typical range is partial."""
    min_rep_s: float = 0.35
    max_rep_s: float = 15.0
    hold_s: float = 0.0
    """Seconds the top position must be held inside each rep (0: no hold)."""
    top_fraction: float = 0.75
    """The top of a rep, for holds and pauses: this fraction of the rep's range above rest."""
    pause_s: float = 0.0
    """A brief pause expected at the top; shorter ones are flagged ``no-pause`` (still counted)."""
    one_sided: bool = False
    """The other side stays down: a rep where it rose nearly as much for most of the time (hugging
    both knees) is a different exercise and does not count."""
    at_top: tuple[Within, ...] = ()
    """What the rest of the body does at the top of a real rep (a standing knee lift stands on a
    straight leg); a movement whose top breaks it is another exercise (a lunge) and does not count.
    Judged only where the camera can measure it."""


@dataclass(frozen=True)
class HoldSpec:
    """A timed position: starts when every condition holds, accrues only while they do."""

    conditions: tuple[Condition, ...]
    target_s: float
    grace_s: float = 0.6
    """Conditions may lapse this long (jitter, a blink of the model) without ending the hold."""
    min_s: float = 1.0
    """In-position spans shorter than this are passing through, not holds."""
    turns: tuple[str, ...] = ()
    """Angles besides the body's big ones whose change is the way into or out of this position (a
    side plank turns the pelvis onto and off its side): the hold is timed from where they settle to
    where they start to change."""


class Sightline(StrEnum):
    """Where the camera must be for a form rule to see its fault (the rule is quiet elsewhere, and the
    session's notes say it was not checked)."""

    HIPS_APART = "hips-apart"
    """The two hips' heights are compared: from the side they overlap, and the far one is MediaPipe's
    guess (it wanders 10-20 deg on a still pelvis)."""
    SIDE_ON = "side-on"
    """How high a thigh rises is read from the hip angle, a movement across the picture from the side;
    filmed from the front or obliquely the thigh comes toward the camera, and MediaPipe's depth reads
    a clean rendered knee drive anywhere from 50 to 120 deg."""
    ACROSS_BODY = "across-body"
    """A rep's range, or the trunk rising off the floor, is read from angles across the picture;
    looking along the body, from the head or the feet, the limb or the trunk moves in depth and its
    angle is MediaPipe's guess (the six partial-range warnings the rendered suites raised from there
    were all clean reps read short; none of five backs lifting was seen, one clean leg raise was
    warned), so the range and the back are not judged there."""


@dataclass(frozen=True)
class FormRule:
    """A form problem: ``feature`` beyond ``threshold`` for ``min_s`` seconds during ``phase``.

    ``relative`` rules compare with the person's own baseline taken at rest (e.g. how far the
    trunk rose from where it lay), so they work for every body and camera height.
    """

    code: WarningCode
    message: str
    feature: str
    above: float | None = None
    below: float | None = None
    relative: bool = False
    phase: str = "work"
    """``work`` (during a rep or a hold), ``rest`` (in position between reps), ``any``."""
    min_s: float = 0.25
    per_side: bool = False
    """Evaluate ``{side}`` features for the working side (else the whole body)."""
    absolute: bool = False
    """Checked at the end of each rep on its peak (e.g. 'knee did not reach hip height')."""
    sightline: Sightline | None = None
    """Judged only from a camera that can see the fault (None: from anywhere)."""

    def violated_by(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        return (self.above is not None and value > self.above) or (self.below is not None and value < self.below)


@dataclass(frozen=True, order=True)
class Dose:
    """How much of one exercise: sets, reps per set (per side when the exercise is sided; holds per
    set for hold exercises), seconds per hold (0 when it has none) and seconds of rest between sets.

    An exercise's ``program`` is the dose its seed article prescribes; a routine step's dose is that
    or what progression made of it. Rest says when, not how much work, so doses compare (and order,
    for progression ladders) by sets, reps and hold only.
    """

    sets: int = 1
    reps: int = 10
    hold_s: float = 0.0
    rest_s: float = field(default=60.0, compare=False)

    def describe(self, exercise: Exercise) -> str:
        each = " each side" if exercise.sides is SideMode.EACH else ""
        unit = "hold" if exercise.rep is None else "rep"
        text = f"{self.sets} x {self.reps} {unit}{'s' if self.reps != 1 else ''}{each}"
        return text + (f", {self.hold_s:g} s hold" if self.hold_s else "")


@dataclass(frozen=True)
class Target:
    """A dose as prescribed for one session, stored with it so a later catalogue change doesn't
    rewrite history.

    ``per_side``: ``reps`` (and each hold) are asked of each side, as in "10 reps on each side".
    """

    sets: int
    reps: int
    hold_s: float = 0.0
    per_side: bool = False

    @classmethod
    def from_exercise(cls, exercise: Exercise) -> Target:
        program = exercise.program
        return cls(program.sets, program.reps, float(program.hold_s), exercise.sides is SideMode.EACH)

    @property
    def dose(self) -> Dose:
        return Dose(self.sets, self.reps, float(self.hold_s))

    @property
    def total_reps(self) -> int:
        """Reps asked of each side when ``per_side``, else of the whole session."""
        return self.sets * self.reps


@dataclass(frozen=True)
class Source:
    article: str
    instruction: str


@dataclass(frozen=True)
class Exercise:
    slug: str
    name: str
    kind: Kind
    posture: Posture
    sides: SideMode = SideMode.NONE
    views: tuple[View, ...] = (View.SIDE, View.OBLIQUE)
    rep: RepSpec | None = None
    hold: HoldSpec | None = None
    form: tuple[FormRule, ...] = ()
    program: Dose = field(default_factory=Dose)
    cues: tuple[str, ...] = ()
    source: Source | None = None
    tracked: tuple[str, ...] = ("HIP", "KNEE")
    """Joints the overlay highlights."""

    @property
    def hold_target_s(self) -> float:
        """Seconds each hold must last: of the hold exercise, or of the hold inside each rep (0: none)."""
        if self.hold is not None:
            return float(self.hold.target_s)
        return float(self.rep.hold_s) if self.rep is not None else 0.0


def with_hold_target(exercise: Exercise, hold_s: float | None) -> Exercise:
    """The exercise with its hold target replaced (a routine's dose, ``--hold``); None keeps it."""
    if hold_s is None:
        return exercise
    if exercise.hold is not None:
        return replace(exercise, hold=replace(exercise.hold, target_s=float(hold_s)))
    if exercise.rep is not None and exercise.rep.hold_s > 0:
        return replace(exercise, rep=replace(exercise.rep, hold_s=float(hold_s)))
    raise NoHoldError(exercise.slug)
