"""Which catalogue exercise a recording shows, and where each exercise of a routine starts and ends.

Pure: numpy and posecoach types only, fed the same ``(t, PoseFrame | None)`` stream the engine
gets (``PoseTrace.pose_frames()``, the live loop, a synthetic trajectory), so recognition needs no
download and no second landmarker pass.

How an exercise is recognised
-----------------------------
1. **Posture family.** Every frame is put in one of four families by the same thresholds as
   :func:`posecoach.features.describe_posture`: lying on the back (or sitting/leaning back, where
   sit-ups and boats pass), face down (planks, hands and knees), on the side, upright (standing,
   kneeling, hanging). The family most frames are in decides which exercises are candidates.
2. **How the body moves in that family** (features smoothed by a short median, read as 5th, 50th
   and 95th percentiles): does the trunk curl up (sit-up, V-up) or the hips lift (bridge), do the
   legs move, with straight or bent knees, both together (correlated left and right hip flexion)
   or one after the other, does a knee open (clamshell), does a hold sit still.
   These answers are soft (a logistic around each threshold), so they form a small probabilistic
   decision tree whose leaves are catalogue slugs; near a threshold two leaves share the
   probability and the answer comes out unsure instead of wrong.
3. **The engines confirm.** The family's candidate exercises are each run through the one
   :class:`~posecoach.exercises.engine.ExerciseEngine` (about 100 µs a frame each): a plank is a
   plank when the plank engine timed a hold over most of the time in position; a knee-to-chest
   hold when its engine counted reps whose tops were held; a leaf whose engine counted nothing
   and timed nothing loses most of its probability, and is never named as sure. Because the count
   then comes from the very same engine, counting with the recognised exercise equals counting
   with the right one.
4. **Sure or unsure.** The best leaf is sure at :data:`SURE_PROBABILITY` and :data:`SURE_RATIO`
   times the runner-up, and only when its engine did the exercise plausibly: at least as many
   movements counted as rejected, or a hold held for :data:`PLAUSIBLE_HOLD_SHARE` of the time in
   position. A posture seen only part of the time, or a camera looking along the body (from the head
   or the feet, where MediaPipe guesses depth: :data:`LYING_END_ON_RATIO` for a body lying down,
   :data:`HEAD_END_SLOPE` for one lying on its back with its head toward the camera),
   lowers its probability first, so there the answer is "A or B (unsure)" rather than a wrong name;
   so does a chest facing up in a body read as upright or on its side (:data:`CHEST_UP`: a body
   lying on its back, seen along its length, that MediaPipe stood up or rolled over).
   Where a leaf depends on what the camera reads worst, it asks for the movement itself, not a
   posture: a knee drive is one knee at the chest while the other leg stays down
   (:meth:`_Track.one_sided_reps`) or quicker than one a second (mountain climbers), repeated (one
   drive in a held plank is unsure); a bridge changes the trunk's slope (or, seen from the side,
   holds it while the feet march); a sit-up and a reverse crunch keep the knees' bend; legs rise
   together only where both are seen to sweep their range; a plank never reaches an arm forward;
   standing still stands on both legs.

Movements a physiotherapist accepts as the same (:data:`ACCEPTED`)
------------------------------------------------------------------
* ``alternating-knee-to-chest`` ~ ``lying-march``: both are lying on the back, one hip and knee
  flexing and extending after the other. The catalogue tells them apart only by where the leg
  rests (down on the floor for knee-to-chest, up at 90/90 for the march), and real clips sit in
  between (a bicycle crunch is filed as a lying march); the engine counts one rep per leg cycle in
  both, so the counts agree.
* ``lying-leg-raise`` ~ ``hanging-leg-raise``: the same hip-flexion movement of both legs
  (rectus femoris, iliopsoas, lower abdominals), lying or hanging; posture tells them apart
  reliably, so this pair is rarely needed, but naming one for the other is no coaching error.
* ``glute-bridge`` ~ ``marching-bridge``: the same bridge; the march adds single-leg lifts at the top.
* ``standing-march`` ~ ``standing-psoas-activation``: a knee lifted to hip height while standing,
  with or without a 5 s hold at the top.
* ``sit-up`` ~ ``boat-pose`` is **not** accepted (a curl-up against a held V), nor is ``plank`` ~
  ``plank-knee-drive`` (a hold against reps): the counts would differ.

Segmenting a routine
--------------------
:func:`segment` splits a recording where the posture family changes for longer than a moment
(getting up, lying down) and where nobody is in view for a while, and at long still spells inside
one family (resting between two floor exercises); it recognises each piece, joins neighbouring
pieces recognised as the same exercise, drops still pieces that are only rest, and trims each
segment to the span the recognised exercise's engine was active in (first rep or hold to last); a
hold's span leaves out a position next to it that the engine's grace joined to it across a lapse
while it sat only at the edge of the hold's limits (lying on the side before a side plank, read
just over its hip lift).
Where one exercise runs into the next in the same posture without a rest (a bridge's getting out
straight into a leg raise's getting in), windows of a few seconds are recognised along the way and
the piece is cut where the exercise they name changes for good. A stretch is cut only into bouts
of different exercises, each surely recognised and lasting a few reps, so one exercise's set is
never cut by its own pauses or its getting in and out of position.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

from posecoach.events import HoldEnded, RepCompleted, RepRejected
from posecoach.exercises.catalog import CATALOG
from posecoach.exercises.definition import Within
from posecoach.exercises.engine import ExerciseEngine
from posecoach.features import END_ON_RATIO, LYING_END_ON_RATIO, Features, compute_features, sided
from posecoach.landmarks import PoseFrame, Side


class Family(StrEnum):
    """Where the body is, the first split between exercises."""

    BACK = "lying on the back or sitting"
    FACE_DOWN = "face down"
    SIDE = "on the side"
    UPRIGHT = "upright"


FAMILIES: dict[Family, tuple[str, ...]] = {
    Family.BACK: ("lying-leg-raise", "lying-march", "alternating-knee-to-chest", "supine-knee-to-chest",
                  "glute-bridge", "marching-bridge", "sit-up", "boat-pose", "supine-hip-flexor-stretch",
                  "constructive-rest"),
    Family.FACE_DOWN: ("plank", "plank-knee-drive", "bird-dog"),
    Family.SIDE: ("side-plank", "clamshell", "side-lying-hip-extension"),
    Family.UPRIGHT: ("standing-march", "hanging-leg-raise", "frankenstein-walk", "standing-psoas-activation",
                     "kneeling-hip-flexor-stretch", "standing-glute-contraction"),
}
"""Every catalogue exercise, in the posture family it is done in (a test keeps this complete)."""

ALSO_IN: dict[Family, tuple[str, ...]] = {Family.UPRIGHT: ("boat-pose",)}
"""Exercises that can read as another family too: a boat leaning back by less than 45° is upright."""

ACCEPTED: frozenset[frozenset[str]] = frozenset({
    frozenset({"alternating-knee-to-chest", "lying-march"}),
    frozenset({"lying-leg-raise", "hanging-leg-raise"}),
    frozenset({"glute-bridge", "marching-bridge"}),
    frozenset({"standing-march", "standing-psoas-activation"}),
})
"""Pairs a physiotherapist accepts as the same movement (see the module docstring for why)."""

ONE_SIDED_SHARE = 0.5
"""A one-leg rep's peak leads the other leg by this share of its range (else both legs moved)."""
PLAUSIBLE_HOLD_SHARE = 0.35
"""A hold exercise is named surely only when its engine held it for this share of the time in position."""
SIDE_VIEW_END_ON = 0.3
"""Hip width over trunk length below which a body lying down is seen from the side (~0.15; obliquely ~0.3
and up), where the trunk's slope is read from the image and not guessed from depth."""
HEAD_END_SLOPE = 42.0
"""Degrees a trunk lying on its back reads sloping down to the head, at its median over the recording,
from which the camera looks along it from the head end: no exercise on the back holds such a slope
(a bridge reaches 25-30° at its top, on the floor between), while a camera above the head foreshortens
the trunk into one (39-66° in the rendered suites' head views). Recognition there is never sure."""
CHEST_UP = 25.0
"""Degrees the chest faces up from horizontal past which a body read as upright or on its side is
really lying on its back: standing, kneeling and lying on a side all face the chest sideways (at most
~20° up in the rendered suites), while a body lying along the camera's axis, seen from the feet, reads
"upright" with its chest 26-40° up (MediaPipe cannot see its trunk lie down in depth). A boat leans back
with its chest up too, but is seen whole; only together with a trunk foreshortened by
:data:`LYING_END_ON_RATIO` does an upright reading face up because of the view."""
SURE_PROBABILITY = 0.65
"""The best exercise is named as sure at or above this probability..."""
SURE_RATIO = 2.5
"""...and this many times as likely as the runner-up."""
MIN_FRAMES = 8
"""Fewer frames with a person than this: nothing to recognise."""
SMOOTH_FRAMES = 5
"""Features are median-filtered over this many frames (MediaPipe's one-frame leg swaps)."""
FAMILY_WINDOW_S = 1.0
"""A frame's posture family is the majority over this window, so a blip doesn't start a segment."""
MIN_BOUT_S = 3.0
"""A posture held for less than this is passing through (getting up, lying down)."""
BREAK_S = 1.5
"""Nobody in view for this long separates two pieces of a routine."""
STILL_S = 5.0
"""Still for this long inside one posture: rest between two exercises in the same posture."""
STILL_SPEED = 12.0
"""Mean joint-angle speed (°/s over hips, knees and trunk) under which the body counts as still."""
MIN_SEGMENT_S = 2.0
"""A recognised segment shorter than this is dropped."""
SPLIT_WINDOW_S = 8.0
SPLIT_STEP_S = 2.0
"""Windows recognised to find where one exercise runs into the next without a rest."""
HELD_DEPTH_SHARE = 0.5
"""A part of a counted hold cut off by a lapse at its start or end is getting in or out when it sat
less than this share as far inside the lapsed condition as the hold did (see :func:`_held_span`)."""
MIN_SPLIT_BOUT_S = 4.0
"""A posture's stretch is split in two exercises only where each lasted this long (a few reps);
shorter bits are getting into position or a variation inside the exercise."""


def accepted(truth: str, guess: str | None) -> bool:
    """``guess`` names ``truth``'s exercise, or one a physiotherapist accepts as the same movement."""
    return guess is not None and (guess == truth or frozenset({truth, guess}) in ACCEPTED)


@dataclass(frozen=True)
class Recognition:
    """The recognised exercise.

    ``slug`` is the best guess (None when there was nothing to recognise), ``confidence`` its
    probability, ``alternatives`` the next candidates as ``(slug, probability)``, best first.
    ``sure`` False means: say "A or B (unsure)" and let the person choose; ``reason`` says in words
    what decided it.
    """

    slug: str | None
    confidence: float
    alternatives: tuple[tuple[str, float], ...]
    sure: bool
    reason: str

    @property
    def candidates(self) -> tuple[str, ...]:
        """The top two (one when sure), for "lying leg raise or lying march (unsure)"."""
        if self.slug is None:
            return ()
        if self.sure or not self.alternatives:
            return (self.slug,)
        return (self.slug, self.alternatives[0][0])

    def describe(self) -> str:
        """'Glute bridge (sure)', 'Lying leg raise or Lying march (unsure)'."""
        if self.slug is None:
            return "no exercise recognised"
        names = " or ".join(CATALOG[slug].name for slug in self.candidates)
        return f"{names} ({'sure' if self.sure else 'unsure'})"

    def to_dict(self) -> dict[str, Any]:
        """For JSON output: ``exercise`` is None when nothing was recognised."""
        return {"exercise": self.slug, "confidence": self.confidence, "sure": self.sure,
                "alternatives": [{"exercise": slug, "confidence": p} for slug, p in self.alternatives],
                "reason": self.reason}

    def contradicts(self, slug: str) -> bool:
        """The recording clearly shows another exercise than ``slug`` (for a note when ``-e`` was given)."""
        return self.sure and self.slug is not None and not accepted(slug, self.slug)


NOTHING = Recognition(None, 0.0, (), False, "too few frames with a person to recognise an exercise")


@dataclass(frozen=True)
class Segment:
    """One exercise bout of a recording: ``[start_s, end_s]`` and what it was.

    ``start_s``/``end_s`` span the bout itself (first rep or hold to the last, as the recognised
    exercise's engine saw them); ``window`` is the stretch of the recording the segment owns,
    getting into position included: count it by running the engine over the poses in the window
    (the engine needs the settling-in and the rest position before the first rep).
    """

    start_s: float
    end_s: float
    recognition: Recognition
    window: tuple[float, float]

    def owns(self, t: float) -> bool:
        """``t`` lies in this segment's window."""
        return self.window[0] <= t <= self.window[1]

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def to_dict(self) -> dict[str, Any]:
        return {"start_s": self.start_s, "end_s": self.end_s, "window_s": list(self.window),
                "recognition": self.recognition.to_dict()}


# ---------------------------------------------------------------------- per-frame measurements

_FEATURES = ("hip_flexion.left", "hip_flexion.right", "knee_flexion.left", "knee_flexion.right", "trunk_incline",
             "knee_gap", "chest_facing", "pelvis_vertical", "arm_elevation.left", "arm_elevation.right", "end_on")
_MOTION = ("hip_flexion.left", "hip_flexion.right", "knee_flexion.left", "knee_flexion.right", "trunk_incline")
_FAMILY_ORDER = tuple(Family)


def posture_family(trunk_incline: float, chest_facing: float, pelvis_vertical: float) -> Family | None:
    """The family of one frame, with :func:`~posecoach.features.describe_posture`'s thresholds."""
    if not (math.isfinite(trunk_incline) and math.isfinite(chest_facing)):
        return None
    if trunk_incline >= 45:
        return Family.UPRIGHT
    if pelvis_vertical >= 40 and abs(trunk_incline) < 50:
        return Family.SIDE
    if chest_facing <= -30:
        return Family.FACE_DOWN
    return Family.BACK


def _rolling_median(x: np.ndarray, frames: int) -> np.ndarray:
    if len(x) < frames:
        return x.copy()
    pad = frames // 2
    padded = np.concatenate([np.full(pad, np.nan), x, np.full(pad, np.nan)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, frames)
    out = np.full(len(x), np.nan)
    ok = np.isfinite(windows).any(axis=1) & np.isfinite(x)
    if ok.any():
        out[ok] = np.nanmedian(windows[ok], axis=1)
    return out


@dataclass
class _Track:
    """A stretch of the recording measured once: times, smoothed features, families, stillness."""

    frames: list[tuple[float, Features | None]]
    """Each frame's time and features (None without a pose), computed once for every engine run."""
    t: np.ndarray
    x: dict[str, np.ndarray]
    family: np.ndarray
    """Index into ``_FAMILY_ORDER`` per frame (majority over ``FAMILY_WINDOW_S``), -1 without a pose."""
    speed: np.ndarray
    """Mean absolute angular speed of hips, knees and trunk, °/s, smoothed over a second."""

    @classmethod
    def measure(cls, poses: Iterable[tuple[float, PoseFrame | None]]) -> _Track:
        frames = [(time, None if pose is None else compute_features(pose)) for time, pose in poses]
        n = len(frames)
        t = np.array([float(time) for time, _ in frames])
        raw = {name: np.full(n, np.nan) for name in _FEATURES}
        for i, (_, features) in enumerate(frames):
            if features is None:
                continue
            for name in _FEATURES:
                raw[name][i] = features.get(name, math.nan)
        x = {name: _rolling_median(values, SMOOTH_FRAMES) for name, values in raw.items()}
        family = np.full(n, -1)
        for i in range(n):
            f = posture_family(x["trunk_incline"][i], x["chest_facing"][i], x["pelvis_vertical"][i])
            if f is not None:
                family[i] = _FAMILY_ORDER.index(f)
        track = cls(frames, t, x, _majority(t, family, FAMILY_WINDOW_S), np.zeros(n))
        track.speed = track._speed()
        return track

    def _speed(self) -> np.ndarray:
        n = len(self.t)
        if n < 2:
            return np.zeros(n)
        dt = np.maximum(np.diff(self.t), 1e-3)
        moves = []
        for name in _MOTION:
            d = np.abs(np.diff(self.x[name])) / dt
            moves.append(np.where(np.isfinite(d), d, np.nan))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: nobody in view
            per_frame = np.nanmean(np.vstack(moves), axis=0)
        per_frame = np.concatenate([[per_frame[0]], per_frame])
        per_frame = np.where(np.isfinite(per_frame), per_frame, 0.0)
        fps = max(1.0, (n - 1) / max(self.t[-1] - self.t[0], 1e-3))
        width = max(1, round(fps))
        return np.convolve(per_frame, np.ones(width) / width, mode="same")

    def seen_s(self) -> float:
        """Seconds with a person in view (frame gaps capped at half a second)."""
        if len(self.t) < 2:
            return 0.0
        gaps = np.minimum(np.diff(self.t), 0.5)
        return float(np.sum(gaps[self.family[1:] >= 0]))

    def one_sided_reps(self, evidence: EngineEvidence) -> int:
        """Reps of one leg whose peak found the other leg well below it (by half the rep's range): a knee
        driven to the chest, not both legs folding together (getting down from a plank onto the knees)."""
        count = 0
        for side, peak_s, rom in evidence.rep_peaks:
            if side is None or len(self.t) == 0:
                continue
            other = "left" if side == "right" else "right"
            i = min(int(np.searchsorted(self.t, peak_s)), len(self.t) - 1)
            lead = self.x[f"hip_flexion.{side}"][i] - self.x[f"hip_flexion.{other}"][i]
            count += bool(lead >= ONE_SIDED_SHARE * rom)
        return count

    def slice(self, start: int, stop: int) -> _Track:
        return _Track(self.frames[start:stop], self.t[start:stop], {k: v[start:stop] for k, v in self.x.items()},
                      self.family[start:stop], self.speed[start:stop])


def _majority(t: np.ndarray, labels: np.ndarray, window_s: float) -> np.ndarray:
    """Each frame's most common label (ignoring -1) within ``window_s`` around it."""
    n = len(labels)
    if n == 0:
        return labels.copy()
    out = labels.copy()
    counts = np.zeros((n + 1, len(_FAMILY_ORDER)))
    for k in range(len(_FAMILY_ORDER)):
        counts[1:, k] = np.cumsum(labels == k)
    lo = np.searchsorted(t, t - window_s / 2, side="left")
    hi = np.searchsorted(t, t + window_s / 2, side="right")
    window = counts[hi] - counts[lo]
    seen = window.sum(axis=1) > 0
    out[seen & (labels >= 0)] = np.argmax(window[seen & (labels >= 0)], axis=1)
    return out


# ---------------------------------------------------------------------- engine evidence

@dataclass(frozen=True)
class EngineEvidence:
    """What one exercise's engine made of the frames: the confirmation a recognition needs."""

    slug: str
    in_position_s: float
    reps: int
    rejected: int
    held_s: float
    holds: int
    active: tuple[float, float] | None
    """From the first counted rep's or hold's start to the last one's end."""
    rep_peaks: tuple[tuple[str | None, float, float], ...] = ()
    """Each counted rep's side (None for both), time at its peak and range of motion."""
    hold_spans: tuple[tuple[Side | None, float, float], ...] = ()
    """Each counted hold of a second or more: its side (None for both), start and end."""

    @property
    def hold_share(self) -> float:
        """Of the time in position, the share spent holding."""
        return self.held_s / self.in_position_s if self.in_position_s > 0 else 0.0

    @property
    def explains_something(self) -> bool:
        return self.reps > 0 or self.held_s >= 1.0

    def plausible(self, hold_only: bool) -> bool:
        """Enough to name the exercise surely: most movements counted as reps (one rep counted and five
        rejected is another exercise the engine half fits), or a hold exercise held over a good part of
        the time in position (a plank held 3 s of 8 was mostly something else)."""
        if hold_only:
            return self.held_s >= 1.0 and self.hold_share >= PLAUSIBLE_HOLD_SHARE
        return self.explains_something and self.rejected <= self.reps


def run_engine(slug: str, frames: Iterable[tuple[float, Features | None]]) -> EngineEvidence:
    """Run ``slug``'s engine over the frames' features as ``replay`` would (hold target not prescribed)."""
    engine = ExerciseEngine(CATALOG[slug], hold_target_prescribed=False)
    events = []
    in_position_s = 0.0
    last_t: float | None = None
    for t, features in frames:
        events += engine.update_features(features, t)
        if engine.in_position and last_t is not None:
            in_position_s += min(t - last_t, 0.5)
        last_t = t
    events += engine.finish()
    reps = [e for e in events if isinstance(e, RepCompleted)]
    holds = [e for e in events if isinstance(e, HoldEnded) and e.counted]
    spans = [(e.start_s, e.t_s) for e in reps] + [(e.start_s, e.t_s) for e in holds if e.held_s >= 1.0]
    active = (min(s for s, _ in spans), max(e for _, e in spans)) if spans else None
    return EngineEvidence(slug, in_position_s, len(reps), sum(isinstance(e, RepRejected) for e in events),
                          sum(e.held_s for e in holds), len(holds), active,
                          tuple((e.side.value if e.side else None, e.peak_s, e.rom) for e in reps),
                          tuple((e.side, e.start_s, e.t_s) for e in holds if e.held_s >= 1.0))


# ---------------------------------------------------------------------- the decision tree

def _soft(x: float, at: float, width: float) -> float:
    """P(x is above ``at``): a logistic of width ``width``; NaN (unmeasured) is an even 0.5."""
    if not math.isfinite(x):
        return 0.5
    return 1.0 / (1.0 + math.exp(-(x - at) / width))


@dataclass
class _Stats:
    """Percentiles of the smoothed features over the frames of one family."""

    x: dict[str, np.ndarray]
    seen_s: float
    """Seconds of the recording with a person in view."""
    one_sided: dict[str, int] = field(default_factory=dict)
    """Per exercise counting one leg at a time: its reps with the other leg down (:meth:`_Track.one_sided_reps`)."""

    def q(self, name: str, percent: float) -> float:
        values = self.x[name]
        values = values[np.isfinite(values)]
        return float(np.percentile(values, percent)) if len(values) else math.nan

    def range(self, name: str) -> float:
        return self.q(name, 95) - self.q(name, 5)

    def side_ranges(self, name: str) -> tuple[float, float]:
        return self.range(f"{name}.left"), self.range(f"{name}.right")

    def range_balance(self, name: str) -> float:
        """The smaller side's range of ``name`` over the larger's: ~1 both sides move alike, ~0 one only."""
        left, right = self.side_ranges(name)
        if not (math.isfinite(left) and math.isfinite(right)) or max(left, right) <= 0:
            return math.nan
        return min(left, right) / max(left, right)

    def moving_side(self) -> str:
        left, right = self.side_ranges("hip_flexion")
        return "right" if (right if math.isfinite(right) else -1) > (left if math.isfinite(left) else -1) else "left"

    def hip_range(self) -> float:
        return max((r for r in self.side_ranges("hip_flexion") if math.isfinite(r)), default=math.nan)

    def together(self) -> float:
        """Correlation of left and right hip flexion: +1 both legs together, negative alternating."""
        left, right = self.x["hip_flexion.left"], self.x["hip_flexion.right"]
        ok = np.isfinite(left) & np.isfinite(right)
        if ok.sum() < 10 or np.std(left[ok]) < 1e-6 or np.std(right[ok]) < 1e-6:
            return math.nan
        return float(np.corrcoef(left[ok], right[ok])[0, 1])

    def dwell(self) -> float:
        """Where the moving legs spend their time within their range: 0 at the low end, 1 at the top."""
        shares = []
        for side in ("left", "right"):
            low, mid, high = (self.q(f"hip_flexion.{side}", p) for p in (5, 50, 95))
            if math.isfinite(low) and high - low > 20:
                shares.append((mid - low) / (high - low))
        return sum(shares) / len(shares) if shares else math.nan

    def knee_at_top(self) -> float:
        """Knee flexion of the moving leg when its hip is highest (a straight-leg kick reads low)."""
        side = self.moving_side()
        hip, knee = self.x[f"hip_flexion.{side}"], self.x[f"knee_flexion.{side}"]
        ok = np.isfinite(hip) & np.isfinite(knee)
        if ok.sum() < 10:
            return math.nan
        top = hip[ok] >= np.percentile(hip[ok], 90)
        return float(np.median(knee[ok][top]))

    def straighter_knee(self) -> float:
        """Median over time of the straighter knee's flexion: ~0 when a leg is always straight (standing
        or in a plank), ~90 when both knees stay bent (on hands and knees)."""
        knees = np.vstack([self.x["knee_flexion.left"], self.x["knee_flexion.right"]])
        seen = np.isfinite(knees).any(axis=0)
        if not seen.any():
            return math.nan
        return float(np.median(np.nanmin(knees[:, seen], axis=0)))

    def reach(self) -> float:
        """How far an arm reaches forward past the head (a bird-dog's): 95th percentile of arm elevation."""
        return max((self.q(f"arm_elevation.{side}", 95) for side in ("left", "right")
                    if math.isfinite(self.q(f"arm_elevation.{side}", 95))), default=math.nan)


class _Tree:
    """Leaf probabilities, and for each leaf the words of its most probable path."""

    def __init__(self) -> None:
        self.leaves: dict[str, float] = {}
        self.why: dict[str, tuple[float, str]] = {}

    def leaf(self, slug: str, p: float, why: str) -> None:
        if p <= 0:
            return
        self.leaves[slug] = self.leaves.get(slug, 0.0) + p
        if p > self.why.get(slug, (0.0, ""))[0]:
            self.why[slug] = (p, why)


def _back(s: _Stats, ev: dict[str, EngineEvidence], tree: _Tree, p: float) -> None:
    trunk_lo, trunk_hi = s.q("trunk_incline", 5), s.q("trunk_incline", 95)
    curl = _soft(trunk_hi - trunk_lo, 14, 2.5) * _soft(trunk_hi, 12, 3)
    knees = (s.q("knee_flexion.left", 50) + s.q("knee_flexion.right", 50)) / 2
    bent = _soft(knees, 30, 6)
    # A sit-up curls the trunk with the feet planted: the knees keep their bend. Knees folding and
    # unfolding as the trunk lifts are a leg exercise (a knee pulled to the chest lifts the head too).
    planted = _soft(65 - max(_finite_or(s.side_ranges("knee_flexion"), 0.0)), 0, 6)
    tree.leaf("sit-up", p * curl * bent * planted, "the trunk curls up and down with the knees bent")
    tree.leaf("boat-pose", p * curl * (1 - bent), "trunk and straight legs rise together (a V)")
    p *= 1 - curl * (1 - bent * (1 - planted))
    # A bridge lifts the hips off the floor: the trunk slopes down to the head, and its slope changes,
    # or, seen from the side, stays sloped while the feet march under a held bridge. A trunk that only
    # reads tilted, steadily, where the camera looks along it (from the head or obliquely) is no bridge.
    from_side = _soft(SIDE_VIEW_END_ON - s.q("end_on", 50), 0, 0.03)
    lifted = max(_soft(trunk_hi - trunk_lo, 12, 2), _soft(-s.q("trunk_incline", 50), 15, 3) * from_side)
    bridge = _soft(-trunk_lo, 12, 3) * lifted * _soft(knees, 60, 8)
    together = _soft(s.together(), 0.3, 0.15)
    tree.leaf("glute-bridge", p * bridge * together, "the hips lift off the floor with the knees bent")
    tree.leaf("marching-bridge", p * bridge * (1 - together), "in a bridge, one foot lifts after the other")
    p *= 1 - bridge
    # A hollow hold or boat: held over most of the recording, legs up but not vertical, body still.
    held_share = ev["boat-pose"].held_s / s.seen_s if s.seen_s > 0 else 0.0
    hollow = (_soft(held_share, 0.45, 0.08) * _soft(70 - s.q(f"hip_flexion.{s.moving_side()}", 50), 0, 8)
              * _soft(2 * STILL_SPEED - s.q("speed", 50), 0, 4))
    tree.leaf("boat-pose", p * hollow, "a still V or hollow body: legs held up, off the floor")
    p *= 1 - hollow
    moving = _soft(s.hip_range(), 25, 5)
    still = p * (1 - moving)
    p *= moving
    straight = _soft(45 - s.knee_at_top(), 0, 8)
    tree.leaf("lying-leg-raise", p * straight, "lying on the back, straight legs rise and lower")
    p *= 1 - straight
    knee_hold = ev["supine-knee-to-chest"]
    # Knee to chest: the hip flexes well past 90° (a dead bug's legs rest at 90° and extend from there).
    to_chest = _soft(max(s.q("hip_flexion.left", 95), s.q("hip_flexion.right", 95)), 100, 5)
    held = _soft(knee_hold.held_s / knee_hold.reps if knee_hold.reps else 0.0, 2.5, 0.5) * to_chest
    tree.leaf("supine-knee-to-chest", p * held, "one knee is pulled to the chest and held there")
    p *= 1 - held
    # Legs that read as moving together may be one leg and its hidden twin (MediaPipe guesses the far leg
    # from the near one): a knee that came up while the other leg stayed down is one leg at a time.
    # A reverse crunch lifts both legs with the knees held bent; a knee folding to the chest and unfolding
    # again (in both legs, the steadier of them included) is a knee-to-chest.
    one_leg = _soft(s.one_sided.get("alternating-knee-to-chest", 0), 0.5, 0.2)
    knees_held = _soft(65 - min(_finite_or(s.side_ranges("knee_flexion"), 0.0)), 0, 6)
    crunch = together * (1 - one_leg) * knees_held
    tree.leaf("lying-leg-raise", p * crunch, "both bent legs rise together (a reverse crunch)")
    p *= 1 - crunch
    march = _soft(s.dwell(), 0.35, 0.06)
    tree.leaf("lying-march", p * march, "one leg after the other extends from knees up at 90°")
    tree.leaf("alternating-knee-to-chest", p * (1 - march), "one knee after the other comes up to the chest")
    seated = _soft(held_share, 0.35, 0.08) * _soft(s.q("trunk_incline", 50), 20, 4)
    tree.leaf("boat-pose", still * seated, "sitting, leaning back with the legs up, held")
    still *= 1 - seated
    stretch = _soft(-min(s.q("hip_flexion.left", 50), s.q("hip_flexion.right", 50)), 5, 3)
    tree.leaf("supine-hip-flexor-stretch", still * stretch, "lying still, one thigh hanging below the body")
    tree.leaf("constructive-rest", still * (1 - stretch), "lying still on the back")


def _face_down(s: _Stats, ev: dict[str, EngineEvidence], tree: _Tree, p: float) -> None:
    # Knee drives hold a plank between drives (and a 2 s top): drives of one knee toward the chest while
    # the other leg stays straight, repeated, win over the plank's timed holds; getting into a plank from
    # all fours, or down onto the knees, folds both legs together and is no drive. One drive is a guess.
    # Knees driven quickly (more than one a second: mountain climbers) are drives even where the far leg
    # cannot be told from the near one; a bird-dog holds each reach and never goes that fast.
    driving = ev["plank-knee-drive"]
    quick = _soft(driving.reps / driving.in_position_s if driving.in_position_s > 0 else 0.0, 1.0, 0.1)
    one_sided = _soft(s.one_sided.get("plank-knee-drive", 0), 1.0, 0.25)
    drives = (1 - (1 - one_sided) * (1 - quick)) * _soft(s.hip_range(), 50, 6)
    # A bird-dog's arm reaches forward past the head (arm elevation ~150°); in a plank or mountain
    # climbers the arms stay under the shoulders (~90°), so a reach is no plank however still it was held.
    bird = _soft(s.reach(), 128, 5)
    hold = _soft(ev["plank"].hold_share, 0.45, 0.08) * (1 - bird)
    tree.leaf("plank", p * hold * (1 - drives), "face down, body held straight and still")
    tree.leaf("plank-knee-drive", p * hold * drives, "in a plank, one knee after the other drives toward the chest")
    p *= 1 - hold
    tree.leaf("bird-dog", p * bird, "on hands and knees, an arm reaches forward as the other leg goes back")
    p *= 1 - bird
    # Knees driven from a plank (mountain climbers too) leave one leg straight at every moment; on hands
    # and knees one knee at least stays bent under the hips (a bird-dog whose reaching arm the camera
    # cannot read).
    on_knees = _soft(s.straighter_knee(), 45, 6) * (1 - quick)
    drive = drives * (1 - on_knees)
    tree.leaf("plank-knee-drive", p * drive, "in a plank, one knee after the other drives toward the chest")
    p *= 1 - drive
    tree.leaf("bird-dog", p * on_knees, "on hands and knees, one leg after the other moves")
    tree.leaf("plank", p * (1 - on_knees), "face down on straight legs, no knee driven toward the chest")


def _finite_or(values: Iterable[float], default: float) -> list[float]:
    """The measured values, or ``[default]`` when none was."""
    finite = [v for v in values if math.isfinite(v)]
    return finite or [default]


def _side(s: _Stats, ev: dict[str, EngineEvidence], tree: _Tree, p: float) -> None:
    # A side plank stands on straight legs; a clamshell lies with the knees bent at ~90°.
    bent = _soft((s.q("knee_flexion.left", 50) + s.q("knee_flexion.right", 50)) / 2, 55, 8)
    # Its engine times only hips lifted off the floor, so a long hold is the exercise even when a
    # tutorial spends most of the recording lying on the side first.
    held = max(_soft(ev["side-plank"].hold_share, 0.3, 0.08), _soft(ev["side-plank"].held_s, 6.0, 1.0))
    hold = held * (1 - bent)
    tree.leaf("side-plank", p * hold, "on one side, hips lifted and held in a line")
    p *= 1 - hold
    opens = _soft(s.range("knee_gap"), 0.4, 0.1)
    tree.leaf("clamshell", p * opens, "lying on the side, the top knee opens and closes")
    tree.leaf("side-lying-hip-extension", p * (1 - opens), "lying on the side, the top leg held back")


def _upright(s: _Stats, ev: dict[str, EngineEvidence], tree: _Tree, p: float) -> None:
    # A boat leaning back less than 45°: held on the sit bones with the thighs up, mostly still.
    boat = (_soft(ev["boat-pose"].held_s / s.seen_s if s.seen_s > 0 else 0.0, 0.35, 0.08)
            * _soft(85 - s.q("trunk_incline", 50), 0, 4))
    tree.leaf("boat-pose", p * boat, "leaning back on the sit bones with the legs up, held")
    p *= 1 - boat
    kneel = _soft(min(s.q("knee_flexion.left", 5), s.q("knee_flexion.right", 5)), 60, 8)
    tree.leaf("kneeling-hip-flexor-stretch", p * kneel, "kneeling upright, one leg forward")
    p *= 1 - kneel
    moving = _soft(s.hip_range(), 35, 6)
    # Standing still stands on both legs, the thighs under the body; a thigh held forward of it while
    # the body keeps still is a lunge (the kneeling stretch's front leg where its bent knees read straight).
    lunge = _soft(max(_finite_or((s.q("hip_flexion.left", 50), s.q("hip_flexion.right", 50)), 0.0)), 45, 8)
    tree.leaf("kneeling-hip-flexor-stretch", p * (1 - moving) * lunge, "still, one thigh held forward (a lunge)")
    tree.leaf("standing-glute-contraction", p * (1 - moving) * (1 - lunge), "standing still")
    p *= moving
    # The psoas engine counts only one-sided knee lifts held for 5 s at hip height: strong evidence,
    # asked first (a hidden far leg copied onto the lifted one can make the legs look "together").
    held = _soft(ev["standing-psoas-activation"].reps, 0.5, 0.15)
    tree.leaf("standing-psoas-activation", p * held, "standing, one knee lifted and held at hip height")
    p *= 1 - held
    together = _soft(s.together(), 0.5, 0.12)
    # Both legs rising together both sweep their range. Where one leg sweeps and the other reads nearly
    # still (the far leg hidden, its copy correlating with the near one) the camera does not show whether
    # they rose together or in turn: the two readings share that probability.
    one_leg = 1 - _soft(s.range_balance("hip_flexion"), 0.35, 0.08)
    tree.leaf("hanging-leg-raise", p * together * (1 - one_leg / 2), "upright, both legs rise together")
    tree.leaf("standing-march", p * together * one_leg / 2, "standing, one knee lifts (the other leg unseen)")
    p *= 1 - together
    kick = _soft(40 - s.knee_at_top(), 0, 8)
    tree.leaf("frankenstein-walk", p * kick, "standing, straight legs kick up in turn")
    tree.leaf("standing-march", p * (1 - kick), "standing, one knee after the other lifts")


_TREES = {Family.BACK: _back, Family.FACE_DOWN: _face_down, Family.SIDE: _side, Family.UPRIGHT: _upright}

def _recognize_track(track: _Track) -> tuple[Recognition, dict[str, EngineEvidence]]:
    seen = track.family >= 0
    if seen.sum() < MIN_FRAMES:
        return NOTHING, {}
    shares = {f: float(np.mean(track.family[seen] == i)) for i, f in enumerate(_FAMILY_ORDER)}
    family = max(shares, key=lambda f: shares[f])
    share = shares[family]
    in_family = track.family == _FAMILY_ORDER.index(family)
    columns = {**track.x, "speed": track.speed}
    stats = _Stats({name: values[in_family] for name, values in columns.items()}, track.seen_s())
    evidence = {slug: run_engine(slug, track.frames) for slug in FAMILIES[family] + ALSO_IN.get(family, ())}
    stats.one_sided = {slug: track.one_sided_reps(found) for slug, found in evidence.items()}
    tree = _Tree()
    _TREES[family](stats, evidence, tree, 1.0)
    # The engines confirm: an exercise whose engine neither counted nor timed anything is unlikely.
    for slug in tree.leaves:
        if not evidence[slug].explains_something:
            tree.leaves[slug] *= 0.3
    total = sum(tree.leaves.values()) or 1.0
    ranked = sorted(((slug, p / total) for slug, p in tree.leaves.items()), key=lambda item: -item[1])
    # A posture seen in only part of the recording makes every answer less certain.
    weight = _soft(share, 0.35, 0.07)
    # Filmed from the head or the feet, depth carries the movement and MediaPipe is least sure of it.
    end_on = track.x["end_on"][in_family]
    end_on = end_on[np.isfinite(end_on)]
    if family in (Family.BACK, Family.FACE_DOWN):
        # A body lying along the floor foreshortens long before its trunk points at the camera.
        along = _soft(float(np.median(end_on)) if len(end_on) else 0.0, LYING_END_ON_RATIO, 0.02)
        if family is Family.BACK:
            along = max(along, _soft(-stats.q("trunk_incline", 50), HEAD_END_SLOPE, 1.5))
        weight *= 1 - 0.6 * along
    else:
        end_on_share = float(np.mean(end_on > END_ON_RATIO)) if len(end_on) else 0.0
        weight *= 1 - 0.5 * _soft(end_on_share, 0.3, 0.08)
        weight *= 1 - 0.6 * _facing_up_misread(family, stats)
    best, p_best = ranked[0]
    p_best *= weight
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    # Sure needs the engine's word too: an exercise its engine saw nothing of, or held only briefly, is
    # at most a guess.
    sure = (p_best >= SURE_PROBABILITY and p_best >= SURE_RATIO * runner_up
            and evidence[best].plausible(CATALOG[best].rep is None))
    what = evidence[best]
    did = f"{what.reps} rep(s)" if CATALOG[best].rep is not None else f"{what.held_s:.0f} s held"
    reason = (f"{family.value} {share:.0%} of the time; {tree.why[best][1]}; its engine: {did}")
    alternatives = tuple((slug, round(p, 3)) for slug, p in ranked[1:4])
    return Recognition(best, round(p_best, 3), alternatives, sure, reason), evidence


def _facing_up_misread(family: Family, stats: _Stats) -> float:
    """How likely a body read as upright or on its side is lying on its back, seen along its length:
    its chest faces up (:data:`CHEST_UP`), and for an upright reading its trunk is foreshortened too."""
    facing_up = _soft(stats.q("chest_facing", 50), CHEST_UP, 3)
    if family is Family.UPRIGHT:
        facing_up *= _soft(stats.q("end_on", 50), LYING_END_ON_RATIO, 0.02)
    return facing_up


def recognize(poses: Iterable[tuple[float, PoseFrame | None]]) -> Recognition:
    """Which catalogue exercise ``poses`` show (the whole stream taken as one exercise)."""
    recognition, _ = _recognize_track(_Track.measure(poses))
    return recognition


# ---------------------------------------------------------------------- segmentation

@dataclass
class _Piece:
    start: int
    stop: int
    still: bool
    recognition: Recognition = field(default=NOTHING)
    active: tuple[float, float] | None = None


def _runs(labels: np.ndarray) -> list[tuple[int, int, int]]:
    """(label, start, stop) of each run of equal labels."""
    runs: list[tuple[int, int, int]] = []
    start = 0
    for i in range(1, len(labels) + 1):
        if i == len(labels) or labels[i] != labels[start]:
            runs.append((int(labels[start]), start, i))
            start = i
    return runs


def _posture_pieces(track: _Track) -> list[tuple[int, int]]:
    """Index ranges of one posture family each, separated by changes of posture or long absences."""
    t, labels = track.t, track.family.copy()
    runs = _runs(labels)
    # Nobody in view briefly: keep the posture around it.
    for label, start, stop in runs:
        if label < 0 and t[stop - 1] - t[start] < BREAK_S:
            before = labels[start - 1] if start > 0 else -1
            after = labels[stop] if stop < len(labels) else -1
            labels[start:stop] = before if before >= 0 else after
    # A posture held only briefly is passing through (getting up) or part of the movement (a sit-up's
    # top is upright): shortest first, it joins its longer neighbour, so a rhythm of short
    # alternating postures becomes one stretch while a lasting change of posture stays a boundary.
    while True:
        runs = _runs(labels)
        short = [(t[stop - 1] - t[start], index) for index, (label, start, stop) in enumerate(runs)
                 if label >= 0 and t[stop - 1] - t[start] < MIN_BOUT_S]
        merged = False
        for _, index in sorted(short):
            label, start, stop = runs[index]
            neighbours = [runs[j] for j in (index - 1, index + 1) if 0 <= j < len(runs) and runs[j][0] >= 0]
            if neighbours:
                longest = max(neighbours, key=lambda run: t[run[2] - 1] - t[run[1]])
                labels[start:stop] = longest[0]
                merged = True
                break
        if not merged:
            break
    return [(start, stop) for label, start, stop in _runs(labels) if label >= 0]


def _still_pieces(track: _Track, start: int, stop: int) -> list[_Piece]:
    """Split one posture's stretch at still spells of ``STILL_S`` or more."""
    t = track.t
    still = track.speed[start:stop] < STILL_SPEED
    pieces: list[_Piece] = []
    for label, a, b in _runs(still.astype(int)):
        a, b = a + start, b + start
        long_still = bool(label) and t[b - 1] - t[a] >= STILL_S
        if pieces and long_still == pieces[-1].still:
            pieces[-1].stop = b
        else:
            pieces.append(_Piece(a, b, long_still))
    return pieces


def segment(poses: Iterable[tuple[float, PoseFrame | None]]) -> list[Segment]:
    """Split a recording into exercise bouts, each recognised, in time order.

    Each stretch in one posture family is first recognised whole. It is split at its long still
    spells only when the moving pieces between them are recognised, surely, as different
    exercises (a leg raise, a rest on the back, then bridges); otherwise getting into and out of a
    plank would pass for exercises of their own around the hold. Still pieces of a split are rest
    unless they are themselves a hold the engine timed. Neighbouring segments recognised as the
    same exercise are joined and recognised again as one.
    """
    track = _Track.measure(poses)
    pieces: list[_Piece] = []
    for start, stop in _posture_pieces(track):
        whole = _Piece(start, stop, still=False)
        _judge(track, whole)
        parts = _still_pieces(track, start, stop)
        for part in parts:
            _judge(track, part)
        bouts = [part for part in parts if _worth_a_segment(track, part, MIN_SPLIT_BOUT_S)]
        # Still between two bouts of one exercise is a pause in it (sitting up between sit-ups looks
        # like a boat), not an exercise of its own.
        bouts = [part for i, part in enumerate(bouts) if not (
            part.still and 0 < i < len(bouts) - 1
            and bouts[i - 1].recognition.slug == bouts[i + 1].recognition.slug)]
        if len({part.recognition.slug for part in bouts}) < 2 or not all(part.recognition.sure for part in bouts):
            parts = [whole]
        parts = [split for part in parts for split in (_window_split(track, part) if not part.still else [part])]
        # What nothing was recognised in, and still pieces that are no hold, are rest between exercises.
        pieces += [part for part in parts if part.recognition.slug is not None and part.active is not None
                   and not (part.still and CATALOG[part.recognition.slug].hold is None)]
    # Something short between two stretches of one exercise (sitting all the way up between
    # crunches) is part of it.
    pieces = [piece for i, piece in enumerate(pieces) if not (
        0 < i < len(pieces) - 1 and pieces[i - 1].recognition.slug == pieces[i + 1].recognition.slug
        and not _worth_a_segment(track, piece, MIN_SPLIT_BOUT_S))]
    joined: list[_Piece] = []
    for piece in pieces:
        if joined and joined[-1].recognition.slug == piece.recognition.slug:
            joined[-1].stop, joined[-1].still = piece.stop, joined[-1].still and piece.still
            _judge(track, joined[-1])
        else:
            joined.append(piece)
    kept = [piece for piece in joined if _worth_a_segment(track, piece)]
    segments = []
    for piece in kept:
        window = (float(track.t[piece.start]), float(track.t[piece.stop - 1]))
        start_s, end_s = piece.active or window
        if end_s - start_s >= MIN_SEGMENT_S:
            segments.append(Segment(round(float(start_s), 2), round(float(end_s), 2), piece.recognition,
                                    (round(window[0], 3), round(window[1], 3))))
    if not segments and len(track.t):
        # No bout stood out (V-ups the boat engine times only in glimpses): the recording as one
        # segment of what it shows as a whole, when that is anything.
        whole = _Piece(0, len(track.t), still=False)
        _judge(track, whole)
        if whole.recognition.slug is not None:
            start_s, end_s = whole.active or (float(track.t[0]), float(track.t[-1]))
            segments.append(Segment(round(float(start_s), 2), round(float(end_s), 2), whole.recognition,
                                    (round(float(track.t[0]), 3), round(float(track.t[-1]), 3))))
    return segments


def _window_split(track: _Track, piece: _Piece) -> list[_Piece]:
    """Split a moving piece where the exercise changes without a rest between (one exercise's
    getting-out running into the next one's getting-in).

    Windows of ``SPLIT_WINDOW_S`` every ``SPLIT_STEP_S`` are recognised; where the rep exercise
    they name surely changes from one to another, and stays changed, the piece is cut midway
    between the last window of the one and the first of the other. The cut stands only if both
    sides are then recognised surely, differently, and each long enough to be a bout.
    """
    t = track.t[piece.start:piece.stop]
    if len(t) == 0 or t[-1] - t[0] < 2 * SPLIT_WINDOW_S:
        return [piece]
    labels: list[tuple[float, str]] = []
    for begin in np.arange(t[0], t[-1] - SPLIT_WINDOW_S + 1e-9, SPLIT_STEP_S):
        a = piece.start + int(np.searchsorted(t, begin))
        b = piece.start + int(np.searchsorted(t, begin + SPLIT_WINDOW_S))
        recognition, _ = _recognize_track(track.slice(a, b))
        if recognition.sure and recognition.slug is not None and CATALOG[recognition.slug].rep is not None:
            labels.append((float(begin + SPLIT_WINDOW_S / 2), recognition.slug))
    # Runs of two windows or more naming the same exercise; a cut between neighbouring runs.
    runs: list[tuple[str, float, float, int]] = []
    for centre, slug in labels:
        if runs and runs[-1][0] == slug:
            runs[-1] = (slug, runs[-1][1], centre, runs[-1][3] + 1)
        else:
            runs.append((slug, centre, centre, 1))
    runs = [run for run in runs if run[3] >= 2]
    cuts = [(earlier[2] + later[1]) / 2 for earlier, later in itertools.pairwise(runs)
            if earlier[0] != later[0]]
    if not cuts:
        return [piece]
    bounds = [piece.start, *(piece.start + int(np.searchsorted(t, cut)) for cut in cuts), piece.stop]
    parts = [_Piece(a, b, still=False) for a, b in itertools.pairwise(bounds)]
    for part in parts:
        _judge(track, part)
    slugs = [part.recognition.slug for part in parts]
    if (all(part.recognition.sure and _worth_a_segment(track, part, MIN_SPLIT_BOUT_S) for part in parts)
            and all(a != b for a, b in itertools.pairwise(slugs))):
        return parts
    return [piece]


def _worth_a_segment(track: _Track, piece: _Piece, min_s: float = MIN_SEGMENT_S) -> bool:
    """The recognised exercise's engine counted or timed something for ``min_s`` or more (a still
    piece only as a hold of its own, held for a tenth of its target at least: lying still for a
    few seconds is rest, not the five minutes of a constructive rest)."""
    slug = piece.recognition.slug
    if slug is None or piece.active is None:
        return False
    start, end = piece.active
    hold = CATALOG[slug].hold
    if piece.still:
        return hold is not None and end - start >= max(STILL_S, 0.1 * hold.target_s)
    return end - start >= min_s


def _judge(track: _Track, piece: _Piece) -> None:
    recognition, evidence = _recognize_track(track.slice(piece.start, piece.stop))
    piece.recognition = recognition
    found = evidence.get(recognition.slug) if recognition.slug is not None else None
    piece.active = found.active if found is not None else None
    if found is not None and found.hold_spans and found.reps == 0:
        spans = [_held_span(track.frames[piece.start:piece.stop], found.slug, side, start, end)
                 for side, start, end in found.hold_spans]
        piece.active = (min(start for start, _ in spans), max(end for _, end in spans))


def _held_span(frames: list[tuple[float, Features | None]], slug: str, side: Side | None,
               start: float, end: float) -> tuple[float, float]:
    """A counted hold without its getting in and out: the part before (after) a lapse that sat at the
    very edge of the lapsed condition, where the hold proper sat well inside it.

    The engine bridges a lapse of its grace period, so a hold can take in the position next to it
    when that position meets the hold's limits too: lying on the side with the hips read just over a
    side plank's lift, then a dip as the forearm pushes, then the hips up. Such a part sat at less
    than :data:`HELD_DEPTH_SHARE` of the hold's depth into the condition that lapsed (a sag that
    lapses and comes back up, or a plank adjusted, is held as deep as the rest and stays)."""
    hold = CATALOG[slug].hold
    if hold is None:
        return start, end
    conditions = [c for c in hold.conditions if isinstance(c, Within)]
    inside = [(t, f) for t, f in frames if f is not None and start <= t <= end]
    if not conditions or len(inside) < 2:
        return start, end
    times = np.array([t for t, _ in inside])
    margins = np.array([[c.margin(sided(f, c.feature, side)) for c in conditions] for _, f in inside])
    lapsed = (margins < 0).any(axis=1)
    # Parts held between lapses: (first frame, stop) index ranges.
    parts = [(a, b) for label, a, b in _runs(lapsed.astype(int)) if not label]
    if len(parts) < 2:
        return start, end

    def duration(part: tuple[int, int]) -> float:
        return float(times[part[1] - 1] - times[part[0]])

    def held_depth(part: tuple[int, int]) -> np.ndarray:
        """How far inside each condition the part typically sat."""
        return np.nanmedian(margins[part[0]:part[1]], axis=0)

    main = max(range(len(parts)), key=lambda k: duration(parts[k]))
    if duration(parts[main]) < hold.min_s:
        return start, end  # no part held for long: nothing to measure the hold's depth by
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a condition unseen throughout a part
        depth = held_depth(parts[main])

        def shallow(part: tuple[int, int], lapse: slice) -> bool:
            broken = (margins[lapse] < 0).any(axis=0)
            return bool(np.any(broken & (held_depth(part) < HELD_DEPTH_SHARE * depth)))

        first, last = 0, len(parts) - 1
        while first < main and shallow(parts[first], slice(parts[first][1], parts[first + 1][0])):
            first += 1
        while last > main and shallow(parts[last], slice(parts[last - 1][1], parts[last][0])):
            last -= 1
    return (float(times[parts[first][0]]) if first else start,
            float(times[parts[last][1] - 1]) if last < len(parts) - 1 else end)
