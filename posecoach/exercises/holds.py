"""Holds: a timed position, from when the body settles in it to when it starts to leave it.

A hold starts when its conditions are met and the body is still (or after ``SETTLE_MAX_S`` in
position, for holds with hip dips), accrues while the conditions hold (judged on what the camera can
see) and through lapses it comes back from within ``grace_s`` (``FAULT_LAPSE_S`` for a lapse that is
only a fault of the position, a sag) and spells that cannot be judged,
pauses while nobody is visible (and is not called broken early when that time would have completed
it, nor when the recording ends with nobody in view), and ends after ``grace_s`` out of position;
one that drifts out ends where the drift began. A stretch held at the person's own end range
(``NearOwnLimit``) that goes on deepening past its band was, until then, the way into it: that part
closes uncounted and the hold restarts where the new range was reached; one eased off its end range
ends where it left half its band, as it started where it entered it. Every ``HoldStarted`` is
followed by exactly one ``HoldEnded``.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from posecoach.events import Event, FormWarning, HoldEnded, HoldStarted
from posecoach.exercises.definition import Condition, HoldSpec, NearOwnLimit, WarningCode, Within
from posecoach.exercises.diagnostics import Diagnostics
from posecoach.features import Features, OneEuroFilter, RollingMedian, sided
from posecoach.landmarks import Side

FAULT_LAPSE_S = 3.0
"""A hold whose position breaks only by a fault the form rules warn about (hips sagging below a side
plank's lift) goes on if the person comes back within this long: a rendered sag dips for 1.5-2 s, and
a dip is part of the hold, warned, not the hold let go. Lying down for longer ends it where the lapse
began, as any letting go (a tutorial's rest between two side planks lies 5 s: malik's)."""
UNJUDGED_BRIDGE_S = 5.0
"""A hold resumed after at most this long of 'cannot judge' (joints out of a close-up) counts that time."""
MOTION_WINDOW_S = 0.5
STILL_DEG_S = 25.0
"""Below this speed of the body's big angles (deg/s) the body is still: model jitter is 5-10 deg/s once
smoothed, getting into a plank 60-90 deg/s."""
SETTLED_LAG_S = 0.25
"""Stillness is seen this long after the body stops (the speed is measured over a window): the hold
is dated back by it."""
SETTLE_MAX_S = 2.0
"""A hold starts without a still moment after this long in position (a side plank with hip dips)."""
CALM_RATIO = 2.0
CALM_FLOOR_DEG_S = 6.0
"""Leaving a hold is dated from the last moment the body was as calm as while holding: no faster than
``CALM_RATIO`` times the hold's own median speed (the model's jitter on this person, from this camera),
nor than ``CALM_FLOOR_DEG_S``. ``STILL_DEG_S`` is lax enough to read the first half second of lowering
out of a side plank as still, and every hold ran on into the way down."""
CALM_SAMPLES = 300
"""The hold's recent speeds its median is taken over (10 s at 30 fps)."""
EXIT_MOTION_MAX_S = 2.5
"""A hold that ends after at most this long of motion ends where the motion began (drifting out);
longer motion inside the position was part of the hold."""
HOLD_TIMING_SLACK_S = 0.5
"""Holds are timed to about half a second (when the body settles, when it starts to leave): a hold
this close to its target reached it, and is never called broken early."""
OWN_LIMIT_WINDOW_S = 1.0
"""A stretch's end range is a value kept this long (a rolling median), not a frame's reading."""
KEPT_SPREAD_BANDS = 3.0
"""A joint whose readings spread over more than this many bands within the window did not keep a
range (a hidden leg swapped by the model swings 30-40 deg; shifting into a stretch moves 10-15)."""
DATED_SHARE = 0.5
"""A stretch's hold is dated from where it came within this share of its band of the person's end
range (and to where it left it). A stretch deepening slowly is still to the motion measure, and its
end range, learnt as it goes, moves on: once it has moved by more than this share, the start was on
the way in, and the hold restarts (a stretch taken deeper in steps restarts at each: the steps
before are closed uncounted). Restarting only past a whole band, rendered side-view stretches were
timed from 0.9 s before they stopped deepening. Rendered holds within 1 s are the same from 0.25 to
0.5 of the band, two fewer at 0.75 and three at a whole band; the real stretch's (ndnam) first hold
reads 1.2 s rather than 1.1 (truth 1.3)."""
RECENT_S = 10.0
"""How far back a stretch that deepens is looked at for where it reached its new end range."""
HIP_LIFT_DEG = 60.0
"""Hips rising by a torso length move about as visibly as a limb swinging through 60 deg: rising into a
side plank (half a torso length in a second) is movement, the model's jitter (0.02) is not."""
MOTION_FEATURES = {"trunk_incline": 1.0, "body_line": 1.0, "hip_flexion.both": 1.0, "knee_flexion.both": 1.0,
                   "hip_lift": HIP_LIFT_DEG}
"""The body's big angles (and the hips' height, in degree-like units): when none changes, the body is still."""


class Position(Enum):
    """How a frame stands against a hold's conditions."""

    HELD = "held"
    FAULTED = "faulted"
    """Out only by conditions marked ``fault``: bad form in the position, not leaving it."""
    LEFT = "left"
    UNJUDGED = "unjudged"
    """Nothing that tells the position could be measured."""


def _in_end_range(condition: NearOwnLimit, limit: float, value: float, share: float = DATED_SHARE) -> bool:
    """Within ``share`` of a stretch condition's band of the person's end range ``limit``, or beyond
    it: ``DATED_SHARE`` of the band is where a stretch's hold is dated from and to, the whole band
    where it is held."""
    return (limit - value) * condition.direction <= share * condition.band


class Motion:
    """How fast the body's big angles change (deg/s over ``MOTION_WINDOW_S``), smoothed so model jitter
    reads as stillness and getting into or out of a position reads as movement."""

    def __init__(self, features: dict[str, float] = MOTION_FEATURES) -> None:
        self._scales = features
        self._filters = {name: OneEuroFilter(min_cutoff_hz=1.0) for name in features}
        self._history: deque[tuple[float, dict[str, float]]] = deque()
        self.speed = self.recent_speed = math.nan

    def update(self, features: Features, t: float) -> None:
        values = {name: f(features.get(name, math.nan) * self._scales[name], t) for name, f in self._filters.items()}
        self._history.append((t, values))
        while len(self._history) > 1 and self._history[1][0] <= t - MOTION_WINDOW_S:
            self._history.popleft()
        then_t, then = self._history[0]
        if t - then_t < 0.5 * MOTION_WINDOW_S:
            self.speed = self.recent_speed = math.nan
            return
        self.speed = _speed(then_t, then, t, values)
        recent_t, recent = next((when, past) for when, past in self._history if when >= t - SETTLED_LAG_S)
        self.recent_speed = _speed(recent_t, recent, t, values) if recent_t < t else math.nan

    @property
    def still(self) -> bool:
        return not self.speed > STILL_DEG_S

    @property
    def moving_now(self) -> bool:
        """Moving over the window and over its last ``SETTLED_LAG_S`` too: not just a movement that
        ended within it (an instant lift into a plank stays in the window for its whole length)."""
        return not self.still and self.recent_speed > STILL_DEG_S


def _speed(then_t: float, then: dict[str, float], t: float, values: dict[str, float]) -> float:
    changes = [abs(values[n] - then[n]) for n in values if math.isfinite(values[n]) and math.isfinite(then[n])]
    return max(changes) / (t - then_t) if changes else math.nan


@dataclass
class HoldState:
    """A hold in progress (or not) for one side or the whole body."""

    side: Side | None
    in_position_since: float | None = None
    started_t: float | None = None
    held_s: float = 0.0
    last_good_t: float | None = None
    unjudged_s: float = 0.0
    """Time since the last good frame when the position could not be judged (legs out of a close-up)."""
    unseen_s: float = 0.0
    """Time of the hold spent with nobody in view: it pauses the hold, so the hold may have been kept."""
    lost_at: float | None = None
    """When the person went out of view while holding; None once the hold is seen again."""
    last_ok_t: float | None = None
    """The last frame of a hold begun that was good or could not be judged: a lapse is timed from it."""
    failing_since: float | None = None
    failed_s: float = 0.0
    """How long the conditions have clearly failed since the last frame that was not failing."""
    faulted: bool = False
    """The lapse under way is bad form in the position (every frame of it ``Position.FAULTED``)."""
    still_since: float | None = None
    """In position and still since: a hold starts when the body settles, not while it gets there."""
    last_still_t: float | None = None
    """The last moment of the hold when the body was calm (see ``CALM_RATIO``): where a hold ends that
    drifts out."""
    speeds: deque[float] = field(default_factory=lambda: deque(maxlen=CALM_SAMPLES))
    """The body's speed in the frames held: how calm this person keeps still, seen from this camera."""
    limits_at_start: dict[str, float] = field(default_factory=dict)
    """The person's own end range of each stretched feature when the hold began."""

    def clear(self) -> None:
        self.in_position_since = self.started_t = self.last_good_t = self.last_ok_t = None
        self.still_since = self.last_still_t = self.failing_since = None
        self.held_s = self.unjudged_s = self.unseen_s = self.failed_s = 0.0
        self.faulted = False
        self.lost_at = None
        self.limits_at_start = {}
        self.speeds.clear()


class HoldTimer:
    """Times the holds of one hold exercise, one per side it is counted on."""

    def __init__(self, spec: HoldSpec, sides: list[Side | None], diagnostics: Diagnostics, *,
                 target_prescribed: bool, on_holding: Callable[[Features], None],
                 on_end: Callable[[Side | None], None]) -> None:
        """``on_holding`` hears every frame held (form baselines); ``on_end`` every hold that ends."""
        self.spec = spec
        self.holds = [HoldState(side) for side in sides]
        self.diagnostics = diagnostics
        self.target_prescribed = target_prescribed
        self.started = 0
        """Holds begun so far: a hold exercise's form warning fires once per hold."""
        self.motion = Motion({**MOTION_FEATURES, **dict.fromkeys(spec.turns, 1.0)})
        self._on_holding = on_holding
        self._on_end = on_end
        self._own_limits: dict[tuple[str, Side | None], float] = {}
        self._kept_values: dict[tuple[str, Side | None], RollingMedian] = {}
        self._recent: dict[tuple[str, Side | None], deque[tuple[float, float]]] = {}
        """Each stretched feature's readings of the last ``RECENT_S``: where a deepened stretch began."""

    def holding(self, t: float) -> bool:
        """Holding right now: a hold lapsing through its grace period is someone getting up, not bad
        form; one lapsing by a fault of the position (a sag) is still held, and its form judged."""
        return self.lapsing_by_fault or any(h.started_t is not None and h.last_good_t == t for h in self.holds)

    @property
    def lapsing_by_fault(self) -> bool:
        """A hold is in a faulted lapse: whether it is bad form or the way down is told by its end."""
        return any(h.started_t is not None and h.faulted for h in self.holds)

    def step(self, features: Features, t: float, dt: float, in_position: bool) -> list[Event]:
        events: list[Event] = []
        for hold in self.holds:
            events += self._step(hold, features, t, dt, in_position)
        return events

    def lost_from_view(self, last_seen: float) -> None:
        """Nobody has been in view since ``last_seen``: a hold that was good until then was not seen to
        be let go, whatever ends it (see ``_end``)."""
        for hold in self.holds:
            if hold.started_t is not None and hold.last_ok_t is not None and hold.last_ok_t >= last_seen:
                hold.lost_at = last_seen

    def end_all(self, t: float, *, stream_ended: bool = False) -> list[Event]:
        events: list[Event] = []
        for hold in self.holds:
            events += self._end(hold, t, stream_ended=stream_ended)
        return events

    def _step(self, hold: HoldState, features: Features, t: float, dt: float, in_position: bool) -> list[Event]:
        spec = self.spec
        events: list[Event] = []
        state = self._conditions_state(features, hold.side, t)
        if state in (Position.FAULTED, Position.LEFT) and hold.started_t is None and in_position:
            self.diagnostics.hold_misses.update(
                c.feature for c in spec.conditions
                if isinstance(c, Within) and math.isfinite(value := sided(features, c.feature, hold.side))
                and not c.holds_for(value))
        if state is Position.UNJUDGED:
            if hold.started_t is not None:
                hold.unjudged_s += dt
                hold.last_ok_t, hold.failing_since, hold.failed_s = t, None, 0.0
                if hold.unjudged_s > UNJUDGED_BRIDGE_S:
                    events += self._end(hold, t)
            return events
        if state is Position.HELD:
            # A lapse the hold came back from within its grace period was not letting go (a sag, or
            # the model misplacing a joint for a few frames): it counts as time held.
            lapse = hold.failed_s if hold.started_t is not None else 0.0
            hold.faulted = False
            if hold.started_t is not None and hold.last_ok_t is not None:
                hold.unseen_s += max(0.0, t - hold.last_ok_t - dt)
            hold.last_ok_t, hold.failing_since, hold.failed_s = t, None, 0.0
            hold.lost_at = None
            still = self.motion.still
            if hold.in_position_since is None:
                hold.in_position_since = t
            if hold.still_since is None and still:
                # Still over the whole window just measured: settled since its start.
                hold.still_since = max(hold.in_position_since, t - SETTLED_LAG_S)
            elif hold.started_t is None and self.motion.moving_now and t - hold.in_position_since >= MOTION_WINDOW_S:
                # Still moving into it (a slow rise into a side plank meets the conditions half way
                # up): the hold starts where the body settles, not where it was still before moving.
                # The first window after the conditions are met still holds the way in, however quick.
                hold.still_since = None
            if self._calm(hold):
                hold.last_still_t = t
            if hold.started_t is not None and math.isfinite(self.motion.speed):
                hold.speeds.append(self.motion.speed)
            # Without a still moment, a hold starts after SETTLE_MAX_S in position (a side plank with
            # hip dips), between two movements, not in the middle of one.
            settled = hold.still_since is not None or (
                t - hold.in_position_since >= SETTLE_MAX_S and not self.motion.moving_now)
            begins = hold.still_since if hold.still_since is not None else hold.in_position_since
            if hold.started_t is None and settled and t - begins >= spec.min_s:
                hold.started_t = begins
                hold.held_s = t - begins
                hold.limits_at_start = self._limits_of(hold.side)
                self.started += 1
                events.append(HoldStarted(hold.started_t, hold.side, spec.target_s))
            elif hold.started_t is not None and self._deepened(hold):
                events += self._restart_deeper(hold, t)
            elif hold.started_t is not None:
                hold.held_s += dt + hold.unjudged_s + lapse
                self._on_holding(features)
            hold.unjudged_s = 0.0
            hold.last_good_t = t
        else:
            hold.faulted = hold.started_t is not None and state is Position.FAULTED and \
                (hold.faulted or hold.failing_since is None)
            hold.failing_since = t if hold.failing_since is None else hold.failing_since
            hold.failed_s = t - hold.failing_since
            last_ok = hold.last_ok_t if hold.last_ok_t is not None else hold.last_good_t
            grace = FAULT_LAPSE_S if hold.faulted else spec.grace_s
            if last_ok is None or t - last_ok > grace:
                events += self._end(hold, t)
        return events

    def _calm(self, hold: HoldState) -> bool:
        """Still, and once the hold has been kept a while, as calm as the body was while holding."""
        speed = self.motion.speed
        if not math.isfinite(speed):
            return True
        if hold.started_t is None or not hold.speeds:
            return speed <= STILL_DEG_S
        return speed <= min(STILL_DEG_S, max(CALM_FLOOR_DEG_S, CALM_RATIO * statistics.median(hold.speeds)))

    def _restart_deeper(self, hold: HoldState, t: float) -> list[Event]:
        """The stretch went on deepening past its band: what was timed until the person reached their
        new end range was the way into it. That part closes uncounted, and the hold is timed from
        where the stretch entered the band it is now held in."""
        assert hold.started_t is not None
        limits = self._limits_of(hold.side)
        reached = max(hold.started_t, min(self._within_since(c, limits[c.feature], hold.side, t)
                                           for c in self.spec.conditions
                                           if isinstance(c, NearOwnLimit) and c.feature in limits))
        way_in_s = max(0.0, hold.held_s - (t - reached))
        events: list[Event] = [
            HoldEnded(reached, hold.side, hold.started_t, round(way_in_s, 3), self.spec.target_s,
                      completed=False, counted=False),
            HoldStarted(reached, hold.side, self.spec.target_s)]
        hold.started_t, hold.held_s, hold.limits_at_start = reached, t - reached, limits
        self.started += 1
        return events

    def _within_since(self, condition: NearOwnLimit, limit: float, side: Side | None, t: float) -> float:
        """Since when the feature has stayed within half the condition's band of ``limit`` or beyond it
        (the limit, a kept value, lags the deepening it follows)."""
        since = t
        for when, value in reversed(self._recent[(condition.feature, side)]):
            if not _in_end_range(condition, limit, value):
                break
            since = when
        return since

    def _left_end_range(self, side: Side | None) -> float:
        """The last moment every stretched feature was within half its band of the person's end range
        (as the hold's start is dated from entering it); NaN without a stretch condition."""
        limits = self._limits_of(side)
        last = math.inf
        for condition in self.spec.conditions:
            if not isinstance(condition, NearOwnLimit) or condition.feature not in limits:
                continue
            inside = [when for when, value in self._recent.get((condition.feature, side), ())
                      if _in_end_range(condition, limits[condition.feature], value)]
            last = min(last, inside[-1] if inside else -math.inf)
        return last if math.isfinite(last) else math.nan

    def _end(self, hold: HoldState, t: float, *, stream_ended: bool = False) -> list[Event]:
        """Close a hold. Falling short of the target is warned about only when the target was
        prescribed and the person let go: a hold still going when the recording stops was not broken."""
        spec = self.spec
        events: list[Event] = []
        # A recording that stops in a faulted lapse longer than the grace stops after the hold, not in it.
        stream_ended = stream_ended and not (hold.faulted and hold.failed_s > spec.grace_s)
        if hold.started_t is not None:
            end = hold.last_good_t if hold.last_good_t is not None else t
            # A cut to a close-up (or the person leaving view) that lasts to the end of the recording,
            # with no clear letting go: the position was kept as far as anyone saw.
            kept_unseen = stream_ended and hold.unjudged_s > 0 and hold.failed_s <= spec.grace_s
            if kept_unseen:
                hold.held_s += hold.unjudged_s
                end += hold.unjudged_s
            left = self._left_end_range(hold.side)
            if hold.started_t < left < end:
                # The stretch eased off its end range before the position broke: that is letting go.
                hold.held_s = max(0.0, hold.held_s - (end - left))
                end = left
            if hold.last_still_t is not None and hold.started_t < hold.last_still_t < end <= \
                    hold.last_still_t + EXIT_MOTION_MAX_S and not stream_ended:
                # Drifting out of the position (hips rising before the knees go down) is leaving it.
                hold.held_s = max(0.0, hold.held_s - (end - hold.last_still_t))
                end = hold.last_still_t
            completed = hold.held_s >= spec.target_s - HOLD_TIMING_SLACK_S
            events.append(HoldEnded(end, hold.side, hold.started_t, round(hold.held_s, 3), spec.target_s, completed))
            # Held when last seen, and the recording ended with nobody in view: it may be going still.
            still_holding = kept_unseen or (stream_ended and (hold.lost_at is not None or (
                hold.last_good_t is not None and t - hold.last_good_t <= spec.grace_s)))
            # A hold paused while nobody was in view may have been kept through it: only one that fell
            # short with that time added was broken early (the model losing a plank from the feet for
            # 4 s is no letting go).
            vanished_s = t - hold.lost_at if hold.lost_at is not None else 0.0
            kept_out_of_view = hold.held_s + hold.unseen_s + vanished_s >= spec.target_s - HOLD_TIMING_SLACK_S
            if not completed and self.target_prescribed and not still_holding and not kept_out_of_view:
                events.append(FormWarning(end, WarningCode.HOLD_BROKEN_EARLY,
                                          f"Hold ended after {hold.held_s:.0f} s of {spec.target_s:.0f} s: "
                                          "rest, then try to hold the position a little longer.", hold.side, None))
        if not stream_ended or hold.faulted:
            # A recording that stops inside a faulted lapse may stop on the way down: its faults go unsaid.
            self._on_end(hold.side)
        hold.clear()
        return events

    def _conditions_state(self, features: Features, side: Side | None, t: float) -> Position:
        """Judged on the conditions that can be measured (``UNJUDGED`` when none can).

        A front view hides the legs of a plank and a close-up crops them: the visible part of the
        position still tells whether it is held, as it does for a person watching.
        """
        conditions = self.spec.conditions
        judged: list[tuple[Condition, float]] = []
        for condition in conditions:
            value = sided(features, condition.feature, side)
            if not math.isfinite(value) and isinstance(condition, Within) and condition.unseen is not None:
                condition = condition.unseen
                value = sided(features, condition.feature, side)
            if math.isfinite(value):
                judged.append((condition, value))
        unseen = {c.feature for c in conditions} - {c.feature for c, _ in judged}
        if not judged or any(isinstance(c, Within) and c.must_see and c.feature in unseen for c in conditions):
            return Position.UNJUDGED if conditions else Position.HELD
        broken = [c for c, v in judged if isinstance(c, Within) and not c.holds_for(v)]
        if broken:
            return Position.FAULTED if all(c.fault for c in broken) else Position.LEFT
        own_limits = [(c, v) for c, v in judged if isinstance(c, NearOwnLimit)]
        self._learn_own_limits(own_limits, side, t)
        return Position.HELD if all(self._near_own_limit(c, v, side) for c, v in own_limits) else Position.LEFT

    def _learn_own_limits(self, judged: list[tuple[NearOwnLimit, float]], side: Side | None, t: float) -> None:
        """The person's own end range is learnt only where they are in the position and still, from
        the value they keep for ``OWN_LIMIT_WINDOW_S``: a transient while getting into it (or a
        MediaPipe depth glitch) is not a range they can hold, and once learnt it would make every
        later frame of the real stretch fail."""
        for condition, value in judged:
            key = (condition.feature, side)
            recent = self._recent.setdefault(key, deque())
            recent.append((t, value))
            while recent[0][0] < t - RECENT_S:
                recent.popleft()
            kept = self._kept_values.setdefault(key, RollingMedian(OWN_LIMIT_WINDOW_S))(value, t)
            window = [v for when, v in recent if when >= t - OWN_LIMIT_WINDOW_S]
            if not self.motion.still or max(window) - min(window) > KEPT_SPREAD_BANDS * condition.band:
                # The body may be still while this one joint is not (the model swapping a hidden
                # leg): a range is learnt from a window the joint itself kept.
                continue
            limit = self._own_limits.get(key, kept)
            self._own_limits[key] = min(limit, kept) if condition.direction < 0 else max(limit, kept)

    def _limits_of(self, side: Side | None) -> dict[str, float]:
        return {feature: limit for (feature, limit_side), limit in self._own_limits.items() if limit_side == side}

    def _deepened(self, hold: HoldState) -> bool:
        """The person's end range moved on since the hold began by more than the share of a stretch
        condition's band its start was dated from: that start was on the way into the stretch."""
        now = self._limits_of(hold.side)
        return any(abs(now[c.feature] - hold.limits_at_start[c.feature]) > DATED_SHARE * c.band
                   for c in self.spec.conditions if isinstance(c, NearOwnLimit)
                   and c.feature in now and c.feature in hold.limits_at_start)

    def _near_own_limit(self, condition: NearOwnLimit, value: float, side: Side | None) -> bool:
        """Within the band short of the person's end range, or past it: taking a stretch deeper is no
        letting go (the hold restarts from the new range once it is kept, see ``_deepened``)."""
        limit = self._own_limits.get((condition.feature, side))
        return limit is None or _in_end_range(condition, limit, value, share=1.0)
