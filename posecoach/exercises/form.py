"""Form rules judged frame by frame: against the person's own baseline, their usual movement, and
only where the camera can see the fault.

The engine tells the judge when the person is working (a rep's work phase, or holding), which rep
or hold a frame belongs to, and when an episode (a rep or the rest between reps) ends; the judge
answers with :class:`~posecoach.events.FormWarning` events.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

from posecoach.events import FormWarning
from posecoach.exercises.definition import Exercise, FormRule, Sightline
from posecoach.exercises.diagnostics import Diagnostics
from posecoach.features import Features, looks_along_body, sided
from posecoach.landmarks import Side

BASELINE_SAMPLES = 15
"""Frames at rest (or at the start of a hold) averaged into the baseline of relative form rules."""
HOLD_EXIT_S = 1.0
"""A fault in the last second of a hold is the person leaving the position."""
HIPS_APART = 0.35
"""Hip width over trunk length in the image (``end_on``: ~0.1 from the side, 0.3-0.5 obliquely, 0.6
and more from the front or an end) from which the two hips' heights can be compared; below it the
camera is side-on enough to read a thigh's height from the hip angle (:class:`Sightline`)."""
PEAK_MARGIN = 15.0
"""How far (degrees) a rep's top must fall short of the side's usual top to be a fault of that rep."""
OTHER_LEG_BIAS = 20.0
"""A camera at an angle reads every knee drive of one leg up to this much lower than the other's: a
side's first rep, compared with the other side's tops, must fall short by this much more."""
FIRST_EPISODE_STRICTNESS = 2.0
"""Before the person's usual movement is known (their first rep), a relative form rule needs this many
times its limit to warn."""

RuleKey = tuple[str, str, Side | None]
"""(code, feature, side): a fault may be read from more than one feature (hips sagging from the body
line, or from the trunk's tilt when the feet are out of view); each is timed on its own, and the
fault is said once per rep or hold whichever saw it."""


class FormJudge:
    """Judges one exercise's form rules; holds the baselines and the person's usual movement."""

    def __init__(self, exercise: Exercise, diagnostics: Diagnostics) -> None:
        self.exercise = exercise
        self.diagnostics = diagnostics
        self._baseline_samples: dict[str, list[float]] = {}
        self._reps_began = False
        self._since: dict[RuleKey, float] = {}
        self._fired_for: dict[tuple[str, Side | None], int] = {}
        self._extremes: dict[RuleKey, tuple[float, float]] = {}
        """How far each relative rule's feature went above and below its baseline in the current
        episode (a rep's work phase, or the rest between reps)."""
        self._usual: dict[RuleKey, list[tuple[float, float]]] = {}
        """Those extremes in the person's earlier episodes: how their body (and this camera's view of
        it) usually moves along with the exercise."""
        self._along_body_at_rest: bool | None = None
        """Whether the camera looked along the body at the person's latest rest (None before any)."""
        self._pending: list[FormWarning] = []
        """A hold's form warnings waiting to see whether the hold goes on (see :meth:`release`)."""
        self._unfinished: list[FormWarning] = []
        """A rep exercise's warnings waiting for the movement they were seen in to finish (see
        :meth:`movement_finished`)."""

    @property
    def getting_set(self) -> bool:
        """A rep exercise before its first rep began: the person may still be settling into the
        position (hips lowered from a pike into a plank), so the rest kept last is the baseline."""
        return self.exercise.rep is not None and not self._reps_began

    def remember_baseline(self, features: Features) -> None:
        """A frame at rest (or early in a hold): the baseline of relative rules is the first few of
        them, or while getting set, the latest few."""
        self._along_body_at_rest = looks_along_body(features)
        for rule in self.exercise.form:
            if rule.relative:
                samples = self._baseline_samples.setdefault(rule.feature, [])
                value = features.get(rule.feature.replace("{side}", "both"), math.nan)
                if not math.isfinite(value):
                    continue
                if len(samples) < BASELINE_SAMPLES:
                    samples.append(value)
                elif self.getting_set:
                    samples.pop(0)
                    samples.append(value)

    def camera_along_body(self, seen_now: bool) -> bool:
        """Whether the camera looks along the body, from the head or the feet: as it did at the person's
        latest rest, a property of where the camera stands (a trunk curling up off the floor shortens
        it in the picture like a camera at the feet would), or as ``seen_now`` before any rest."""
        return seen_now if self._along_body_at_rest is None else self._along_body_at_rest

    def check(self, features: Features, t: float, working: bool,
              channels: Sequence[tuple[Side | None, int | None]], holds_started: int) -> list[FormWarning]:
        """This frame's warnings. ``channels``: each counting channel's side and the rep it is on
        (None for hold exercises); ``holds_started`` numbers the holds, one warning per rule each."""
        warnings: list[FormWarning] = []
        self._reps_began = self._reps_began or working
        end_on, along_body = features.get("end_on", math.nan), looks_along_body(features)
        for rule in self.exercise.form:
            if rule.absolute or (rule.phase == "work" and not working) or (rule.phase == "rest" and working):
                continue
            if rule.phase == "rest" and rule.relative and self.getting_set:
                continue  # the rest before the first rep is the person getting set: it makes the baseline
            if not self._sees(rule, end_on, along_body):
                for side, _ in channels:
                    self._since.pop((rule.code, rule.feature, side if rule.per_side else None), None)
                continue
            for side, rep_number in channels if rule.per_side else channels[:1]:
                side = side if rule.per_side else None
                key = (rule.code, rule.feature, side)
                value = self._value(rule, features, side)
                if rule.relative and self.exercise.rep is not None and math.isfinite(value):
                    above, below = self._extremes.get(key, (0.0, 0.0))
                    self._extremes[key] = (max(above, value), max(below, -value))
                    value = self._beyond_usual(key, value)
                if not rule.violated_by(value):
                    self._since.pop(key, None)
                    continue
                since = self._since.setdefault(key, t)
                episode = rep_number if rep_number is not None else holds_started
                if t - since >= rule.min_s and self._fired_for.get((rule.code, side)) != episode:
                    self._fired_for[(rule.code, side)] = episode
                    warning = FormWarning(t, rule.code, rule.message, side, rep_number)
                    if self.exercise.rep is None:
                        self._pending.append(warning)
                    else:
                        self._unfinished.append(warning)
        return warnings

    def _sees(self, rule: FormRule, end_on: float, along_body: bool) -> bool:
        """Whether this camera can see ``rule``'s fault now (see :meth:`sees`)."""
        return rule.sightline is None or self.sees(rule.sightline, rule.code, end_on, along_body)

    def sees(self, sightline: Sightline, code: str, end_on: float, along_body: bool) -> bool:
        """Whether a check that needs ``sightline`` can be judged on a body seen so (``end_on`` of the
        frame judged, and whether the camera looks along it); the diagnostics count, by ``code``, how
        often it could and could not, for the session's notes."""
        if sightline is Sightline.ACROSS_BODY:
            seen = not self.camera_along_body(along_body)
        else:
            seen = end_on >= HIPS_APART if sightline is Sightline.HIPS_APART else end_on < HIPS_APART
        (self.diagnostics.judged_rules if seen else self.diagnostics.unjudged_rules)[code] += 1
        return seen

    def release(self, t: float) -> list[FormWarning]:
        """A hold's form warning is said once the hold went on ``HOLD_EXIT_S`` past it: hips that drop
        as a plank ends are the person getting down, not a fault of the hold."""
        due = [w for w in self._pending if t - w.t_s >= HOLD_EXIT_S]
        self._pending = [w for w in self._pending if t - w.t_s < HOLD_EXIT_S]
        return due

    def drop_pending(self, side: Side | None) -> None:
        """The hold of ``side`` ended: its faults of the last second were the person leaving it."""
        self._pending = [w for w in self._pending if w.side != side]

    def forget_timers(self) -> None:
        """Out of position: a fault under way does not carry over to the next time in position."""
        self._since.clear()

    def movement_finished(self) -> list[FormWarning]:
        """A rep ended (counted or not): the faults seen since the last one are said.

        Said when the movement finishes, not when seen: sitting up to get up after the last rep
        curls the trunk like a back lifting off the floor, and only its end tells them apart.
        """
        finished, self._unfinished = self._unfinished, []
        return finished

    def forget_unfinished(self) -> None:
        """The movement under way was abandoned (the person left the position, the recording ended):
        what was seen in it was the person getting up, not a rep's fault."""
        self._unfinished.clear()

    def end_episode(self) -> None:
        """A rep started or ended: remember how far each rule's feature went in the episode just over."""
        for key, extremes in self._extremes.items():
            self._usual.setdefault(key, []).append(extremes)
        self._extremes.clear()

    def peak_warnings(self, peak: float, earlier: list[float], t: float, side: Side | None,
                      rep: int, end_on: float, along_body: bool, *, other_side: bool = False) -> list[FormWarning]:
        """Warnings for a counted rep's top (e.g. the knee short of hip height); ``end_on`` and
        ``along_body`` are the camera's view of the body at that top; ``other_side`` when ``earlier``
        are the other side's."""
        margin = PEAK_MARGIN + (OTHER_LEG_BIAS if other_side else 0.0)
        return [FormWarning(t, rule.code, rule.message, side, rep) for rule in self.exercise.form
                if rule.absolute and rule.feature == "peak" and self._sees(rule, end_on, along_body)
                and peak_fault(rule, peak, earlier, margin)]

    def _beyond_usual(self, key: RuleKey, value: float) -> float:
        """A deviation from baseline, less what the person's earlier reps (or rests) showed anyway.

        A straight-leg raise tilts MediaPipe's pelvis a few degrees on every clean rep, and an
        oblique camera reads some trunk lift into every leg raise: a fault is a departure from how
        this person moves, seen from this camera. Before any earlier episode there is nothing to
        compare with, so only a deviation ``FIRST_EPISODE_STRICTNESS`` times the limit counts.
        """
        usual = self._usual.get(key)
        if not usual:
            return value / FIRST_EPISODE_STRICTNESS
        recent = usual[-6:]
        if value >= 0:
            return max(0.0, value - statistics.median(above for above, _ in recent))
        return min(0.0, value + statistics.median(below for _, below in recent))

    def _value(self, rule: FormRule, features: Features, side: Side | None) -> float:
        value = sided(features, rule.feature, side)
        if not rule.relative:
            return value
        samples = self._baseline_samples.get(rule.feature)
        if not samples or len(samples) < 3:
            return math.nan
        return value - statistics.median(samples)


def peak_fault(rule: FormRule, peak: float, earlier: list[float], margin: float) -> bool:
    """A rep's top beyond the rule's limit *and* more than ``margin`` short of earlier tops.

    A camera at an angle reads every knee drive of one leg 20° low; an instructor's clean set then
    looked like 'knee below hip' rep after rep. The limit says what is wrong, the person's own reps
    say whether this rep was different (a side's first rep is compared with the other side's, by a
    margin wider by that bias); the very first rep has nothing to compare with.
    """
    if not earlier or not rule.violated_by(peak):
        return False
    usual = statistics.median(earlier[-6:])
    if rule.below is not None and peak < rule.below:
        return peak < usual - margin
    return peak > usual + margin
