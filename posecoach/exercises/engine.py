"""The engine: one pure state machine that interprets any :class:`Exercise` definition.

``ExerciseEngine.update(pose | None, t)`` takes one pose frame (or None when nobody is visible)
with its stream time and returns the events it caused. No clock reads, no I/O, no OpenCV: the same
engine runs live, offline and in tests driven by synthetic trajectories.

How a rep is recognised (per counting channel: one per side, or one for the whole body):

* the tracked signal is smoothed (One-Euro) and read in the work direction;
* at rest the channel follows the lowest value seen (the rest level); it enters the work phase
  when the signal rises ``min_excursion`` above rest — a threshold relative to the person's own
  rest position, not an absolute angle;
* it leaves the work phase once the signal has come back ``return_fraction`` of the way from the
  peak toward rest (the second threshold: hysteresis, so jitter never adds a rep);
* the rep then counts only if its range is at least ``partial_fraction`` of the person's typical
  range (calibrated from their own earlier reps), it took a plausible time, and any hold inside it
  reached its target; otherwise it is reported as rejected, with the reason;
* before any rep has calibrated the range, a small first rep is provisional: the next rep decides
  (counts are only ever added, never taken back);
* at the edges of a stream, a rep already under way counts if its top is seen, and one cut off on
  its way down counts as uncertain.

Holds start when their conditions hold, accrue only while they do (judged on what the camera can
see), pause while nobody is visible, and report held against target seconds.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, deque
from dataclasses import dataclass, field, replace
from enum import StrEnum

from posecoach.events import (
    Event,
    FormWarning,
    HoldEnded,
    HoldStarted,
    PoseFound,
    PoseLost,
    RepCompleted,
    RepRejected,
)
from posecoach.exercises.definition import (
    Condition,
    Exercise,
    FormRule,
    SideMode,
    WarningCode,
    Within,
    feature_words,
)
from posecoach.features import END_ON_RATIO, Features, OneEuroFilter, RollingMedian, compute_features, describe_posture
from posecoach.landmarks import PoseFrame, Side

FLICKER_MIN_DEG = 15.0
FLICKER_RATIO = 2.0
"""A side whose mean frame-to-frame jump is over twice the working side's (and over 15°) is MediaPipe
guessing where a hidden limb is, not a limb moving (a held knee shakes by a few degrees a frame; a
swapped one jumps 25-35° on average)."""
FLICKER_SMOOTHING = 0.1
BOTH_SIDES_SHARE = 0.5
"""...for more than this share of the rep (a two-knee hug keeps both legs up throughout)."""
OTHER_SIDE_SHARE = 0.7
"""In a one-sided exercise the other side 'moved too' when it rose this share of the working side's
rise. Lower values would mistake MediaPipe's echo of a hidden far leg (often ~half) for real movement."""
LOST_RESET_S = 1.0
"""After this long without a usable pose, a rep in progress is abandoned (never counted from garbage)."""
UNJUDGED_BRIDGE_S = 5.0
"""A hold resumed after at most this long of 'cannot judge' (joints out of a close-up) counts that time."""
LOST_HOLD_END_S = 10.0
"""A hold paused by a lost pose ends if nobody is seen for this long."""
MAX_FRAME_GAP_S = 0.5
"""A longer gap between frames is treated as lost frames, not as time spent in position."""
LOW_VISIBILITY = 0.5
"""Mean visibility of a side's hip, knee, ankle and shoulder below which its reps are 'uncertain'."""
BASELINE_SAMPLES = 15
"""Frames at rest (or at the start of a hold) averaged into the baseline of relative form rules."""
FIRST_REP_CONFIDENT = 0.9
"""A first rep (nothing to calibrate against yet) smaller than this fraction of the nominal range is
provisional: the next rep decides whether it was a full rep or a partial one (counted late, never
taken back), and the end of the stream counts it if no rep follows."""
OPENING_TURN = 0.25
"""How far (in ``min_excursion``) the signal must still rise after counting begins for a rep already
under way to be recognised as one (a position held from the first frame has no top to see)."""
OPENING_SHARE = 0.8
"""A rep already under way must have nearly the range of the rep after it (settling into the start
position also goes up a little and comes down, but not as far as a real rep)."""
ENDING_TURN = 0.25
"""How far (in fractions of its range) a rep cut off by the end of the stream must have come back
down to count: the top was clearly passed."""
LEAVE_POSITION_S = 1.0
"""Out of position only after this long: getting up takes longer, while MediaPipe misreading a joint at
the top of a fast rep (a crunch's knees behind the ball) lasts a few frames."""
OPENING_OTHER_SIDE_S = 0.5
"""The other side must be seen within this long of the start of a rep already under way to tell it from
both legs starting up."""
ENDING_TOP_SHARE = 0.8
"""A rep still at its top when the stream ends counts once it has this share of the person's usual
range (a clip cut at the top of the last bridge); a raise cut off half-way does not."""
ECHO_RATIO = 2.0
"""A rejected movement of one side during a rep of the other side at least this much larger is an echo."""
MOTION_WINDOW_S = 0.5
STILL_DEG_S = 25.0
"""Below this speed of the body's big angles (deg/s) the body is still: model jitter is 5-10 deg/s once
smoothed, getting into a plank 60-90 deg/s."""
SETTLED_LAG_S = 0.25
"""Stillness is seen this long after the body stops (the speed is measured over a window): the hold
is dated back by it."""
SETTLE_MAX_S = 2.0
"""A hold starts without a still moment after this long in position (a side plank with hip dips)."""
EXIT_MOTION_MAX_S = 2.5
"""A hold that ends after at most this long of motion ends where the motion began (drifting out);
longer motion inside the position was part of the hold."""
HOLD_EXIT_S = 1.0
"""A fault in the last second of a hold is the person leaving the position."""
HIPS_APART = 0.35
"""Hip width over trunk length in the image from which the two hips' heights can be compared (~0.1
from the side, 0.3-0.5 obliquely, 0.6 and more from the front or an end)."""
PEAK_MARGIN = 15.0
"""How far (degrees) a rep's top must fall short of the side's usual top to be a fault of that rep."""
FIRST_EPISODE_STRICTNESS = 2.0
"""Before the person's usual movement is known (their first rep), a relative form rule needs this many
times its limit to warn."""
SMALL_RANGE_SHARE = 0.5
"""The smallest rep, as a share of the catalogue's full-range ``min_excursion``
(see ``ExerciseEngine._entry_excursion``)."""
ENTRY_SHARE = 0.5
"""Once the person's range is known, a movement of this share of it starts a rep (which may then be
judged partial): lower, and noise between reps would start some; higher, and a half-height rep would
pass unseen instead of being called partial."""
SETTLED_REST_S = 0.5
"""How long the signal must stay at rest before a movement smaller than ``min_excursion`` may start a rep."""
REST_BAND = 0.2
"""Within this fraction of ``min_excursion`` above rest the body is still at rest: the rep starts
when it leaves this band, which gives honest durations and tempo."""


class Rejection(StrEnum):
    """Why a movement that looked like a rep did not count (``RepRejected.code``)."""

    BOTH_SIDES_MOVED = "both-sides-moved"
    PARTIAL_RANGE = "partial-range"
    TOO_FAST = "too-fast"
    TOO_SLOW = "too-slow"
    HOLD_TOO_SHORT = "hold-too-short"
    OTHER_MOVEMENT = "other-movement"
    """The top broke the exercise's ``at_top`` conditions: a lunge before a knee drive."""

    @property
    def label(self) -> str:
        return self.value.replace("-", " ")

    @property
    def warning(self) -> tuple[str, str] | None:
        """The form warning (code, message) a rejection of this kind deserves, if any."""
        return _REJECTION_WARNINGS.get(self)


class Phase(StrEnum):
    OUT_OF_POSITION = "out-of-position"
    REST = "rest"
    WORK = "work"


@dataclass
class _Channel:
    """One counting channel: a side, or the whole body (``side`` None)."""

    side: Side | None
    despiker: RollingMedian = field(default_factory=RollingMedian)
    last_raw: float = math.nan
    flicker: float = 0.0
    """Running mean of the raw signal's frame-to-frame jump (degrees): high for a hidden, swapped leg."""
    flicker_peak: float = 0.0
    other_flicker_peak: float = 0.0
    """The highest flicker of this side and of the other during the current rep."""
    smoother: OneEuroFilter = field(default_factory=OneEuroFilter)
    phase: Phase = Phase.REST
    rest: float = math.nan
    rest_t: float = 0.0
    peak: float = math.nan
    peak_t: float = 0.0
    top_s: float = 0.0
    top_started_t: float | None = None
    top_below_since: float | None = None
    min_visibility: float = 1.0
    other_rest: float = math.nan
    other_raised_s: float = 0.0
    other_seen_s: float = 0.0
    other_peak_rise: float = 0.0
    peak_sides: tuple[float, float] = (math.nan, math.nan)
    peak_body: tuple[float, ...] = ()
    """The values of the exercise's ``at_top`` features at the rep's peak."""
    count: int = 0
    ranges: list[float] = field(default_factory=list)
    value: float = math.nan
    rest_since: float | None = None
    rest_settled: bool = False
    """The signal has stayed at rest for ``SETTLED_REST_S`` (from ``rest_since``): a rest that lasted
    is a rest, not a pause mid-rep."""
    peaks: list[float] = field(default_factory=list)
    """The tops of this side's counted reps, in the exercise's signal."""
    last_rep: tuple[float, float, float] | None = None
    """(start, end, range) of this side's last counted rep: the other side's echo falls inside it."""
    hold_open: bool = False
    """A ``HoldStarted`` was emitted for this rep's top and its ``HoldEnded`` is still owed."""
    opening_done: bool = False
    """Until the first rep starts, the channel watches for a rep already under way when it began."""
    opening_first: float = math.nan
    opening_start_t: float = 0.0
    opening_peak: float = math.nan
    opening_peak_t: float = 0.0

    def reset(self) -> None:
        self.opening_done = False
        self.opening_first = self.opening_peak = math.nan
        self.phase = Phase.REST
        self.rest = math.nan
        self.rest_since = None
        self.rest_settled = False
        self.peak = math.nan
        self.top_s = 0.0
        self.top_started_t = None
        self.top_below_since = None
        self.hold_open = False
        self.despiker.reset()
        self.smoother.reset()


@dataclass(frozen=True)
class _RepDraft:
    """A finished movement, before it is counted or rejected."""

    channel: _Channel
    t_s: float
    side: Side | None
    start_s: float
    peak_s: float
    rom: float
    peak: float
    up_s: float
    down_s: float
    held_s: float
    flags: tuple[str, ...]
    uncertain: str | None
    opening: bool = False
    """Under way when counting began: judged against the next rep more strictly."""
    cut_at_top: bool = False
    """Still at its top when the stream ended: how long it would have taken is unknown."""


@dataclass
class _Hold:
    """A hold in progress (or not) for one side or the whole body."""

    side: Side | None
    in_position_since: float | None = None
    started_t: float | None = None
    held_s: float = 0.0
    last_good_t: float | None = None
    unjudged_s: float = 0.0
    """Time since the last good frame when the position could not be judged (legs out of a close-up)."""
    still_since: float | None = None
    """In position and still since: a hold starts when the body settles, not while it gets there."""
    last_still_t: float | None = None
    """The last moment of the hold when the body was still: where a hold ends that drifts out."""


MOTION_FEATURES = ("trunk_incline", "body_line", "hip_flexion.both", "knee_flexion.both")
"""The body's big angles: when none of them changes, the body is still."""


class Motion:
    """How fast the body's big angles change (deg/s over ``MOTION_WINDOW_S``), smoothed so model jitter
    reads as stillness and getting into or out of a position reads as movement."""

    def __init__(self, features: tuple[str, ...]) -> None:
        self._filters = {name: OneEuroFilter(min_cutoff_hz=1.0) for name in features}
        self._history: deque[tuple[float, dict[str, float]]] = deque()
        self.speed = math.nan

    def update(self, features: Features, t: float) -> None:
        values = {name: f(features.get(name, math.nan), t) for name, f in self._filters.items()}
        self._history.append((t, values))
        while len(self._history) > 1 and self._history[1][0] <= t - MOTION_WINDOW_S:
            self._history.popleft()
        then_t, then = self._history[0]
        if t - then_t < 0.5 * MOTION_WINDOW_S:
            self.speed = math.nan
            return
        changes = [abs(values[n] - then[n]) for n in values if math.isfinite(values[n]) and math.isfinite(then[n])]
        self.speed = max(changes) / (t - then_t) if changes else math.nan

    @property
    def still(self) -> bool:
        return not self.speed > STILL_DEG_S


@dataclass
class Diagnostics:
    """What the engine saw, so that a clip where little or nothing counted can say why."""

    frames_with_pose: int = 0
    frames_in_position: int = 0
    postures_seen: Counter[str] = field(default_factory=Counter)
    """Out of position: the body's position in plain words, frame by frame."""
    posture_misses: Counter[str] = field(default_factory=Counter)
    """Out of position: which of the posture's features were out of range."""
    end_on_frames: int = 0
    """Frames where the camera looked along the trunk (from the head or the feet)."""
    largest_movement: float = 0.0
    """The largest movement of the tracked signal away from rest while in position (signal units)."""
    hold_misses: Counter[str] = field(default_factory=Counter)
    """In position but not holding: which of the hold's features were out of range."""
    judged_rules: Counter[str] = field(default_factory=Counter)
    unjudged_rules: Counter[str] = field(default_factory=Counter)
    """Working frames in which a view-dependent form rule could, or could not, be judged."""


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


class ExerciseEngine:
    """Counts reps, times holds and checks form for one exercise."""

    def __init__(self, exercise: Exercise, side: str | Side | None = "auto", *,
                 hold_target_prescribed: bool = True) -> None:
        """``hold_target_prescribed``: someone (a routine, a plan, ``--hold``) set the hold target, so a
        hold that falls short of it is warned about; otherwise holds are only timed (a recorded
        demonstration of a 10 s plank was not meant to be the catalogue's 30 s)."""
        self.exercise = exercise
        self.hold_target_prescribed = hold_target_prescribed
        chosen = None if side in (None, "auto") else Side(side)
        if exercise.sides is SideMode.EACH:
            sides: list[Side | None] = [chosen] if chosen else list(Side)
        else:
            sides = [None]
        self._channels = [_Channel(s) for s in sides]
        self._holds = [_Hold(s) for s in sides]
        self._posture_filters: dict[str, OneEuroFilter] = {}
        self._visible = False
        self._lost_since: float | None = None
        self._last_t: float | None = None
        self._posture_ok_since: float | None = None
        self._posture_bad_since: float | None = None
        self._in_position = False
        self._features: Features = {}
        self._baseline_samples: dict[str, list[float]] = {}
        self._rule_since: dict[tuple[str, Side | None], float] = {}
        self._rule_fired_for: dict[tuple[str, Side | None], int] = {}
        self._pending_warnings: list[FormWarning] = []
        """A hold's form warnings waiting to see whether the hold goes on (see ``_release_hold_warnings``)."""
        self._rule_extremes: dict[tuple[str, Side | None], tuple[float, float]] = {}
        """How far each relative rule's feature went above and below its baseline in the current
        episode (a rep's work phase, or the rest between reps)."""
        self._rule_usual: dict[tuple[str, Side | None], list[tuple[float, float]]] = {}
        """Those extremes in the person's earlier episodes: how their body (and this camera's view of
        it) usually moves along with the exercise."""
        self._holds_started = 0
        self._own_limits: dict[tuple[str, Side | None], float] = {}
        self._provisional: list[_RepDraft] = []
        """Holds begun so far: a hold exercise's form warning fires once per hold."""
        self._last_warning: FormWarning | None = None
        self._t = 0.0
        self.diagnostics = Diagnostics()
        self._motion = Motion(MOTION_FEATURES)

    # ------------------------------------------------------------------ public API
    def update(self, pose: PoseFrame | None, t: float) -> list[Event]:
        """Feed one frame (``None``: nobody visible) at stream time ``t``; returns new events."""
        if not math.isfinite(t) or (self._last_t is not None and not t > self._last_t):
            return []
        gap = 0.0 if self._last_t is None else t - self._last_t
        self._last_t = t
        self._t = t
        events: list[Event] = []
        if pose is None or gap > MAX_FRAME_GAP_S:
            events += self._lose_pose(t)
            if pose is None:
                return events
        if not self._visible:
            self._visible = True
            self._lost_since = None
            events.append(PoseFound(t))
        features = compute_features(pose)
        self._features = features
        self.diagnostics.frames_with_pose += 1
        self.diagnostics.end_on_frames += features.get("end_on", 0.0) > END_ON_RATIO
        events += self._update_posture(features, t)
        if self.exercise.hold is not None:
            self._motion.update(features, t)
        self.diagnostics.frames_in_position += self._in_position
        if self._in_position or self._posture_ok_since is not None:
            dt = min(gap, MAX_FRAME_GAP_S)
            if self.exercise.rep is not None:
                for channel in self._channels:
                    events += self._step_reps(channel, features, t, dt)
            if self.exercise.hold is not None:
                for hold in self._holds:
                    events += self._step_hold(hold, features, t, dt)
            events += self._check_form(features, t)
        events += self._release_hold_warnings(t)
        return events

    def finish(self, t: float | None = None) -> list[Event]:
        """End of stream: close open holds (a rep in progress is not counted)."""
        end = self._t if t is None else t
        events: list[Event] = []
        for hold in self._holds:
            events += self._end_hold(hold, end, stream_ended=True)
        for channel in self._channels:
            events += self._finish_channel(channel, end)
        for draft in self._provisional:
            events += self._count(draft)
        self._provisional.clear()
        events += self._release_hold_warnings(math.inf)
        return events

    def _finish_channel(self, channel: _Channel, end: float) -> list[Event]:
        spec = self.exercise.rep
        if spec is None:
            return []
        if channel.phase is not Phase.WORK:
            return self._finish_opening(channel)
        span = channel.peak - channel.rest
        came_down = spec.direction * channel.value <= channel.peak - ENDING_TURN * span
        typical = self._typical_range(channel)
        at_full_top = typical is not None and span >= ENDING_TOP_SHARE * typical
        if came_down and spec.hold_s <= 0:
            uncertain = "the recording ended on the way back down"
        elif at_full_top and (spec.hold_s <= 0 or channel.top_s >= spec.hold_s):
            uncertain = "the recording ended at the top of the rep"
        else:
            return self._close_top(channel, end)
        events = self._close_top(channel, end)
        draft = replace(self._draft_rep(channel, end), uncertain=uncertain, cut_at_top=not came_down)
        channel.phase = Phase.REST
        return events + self._judge(channel, draft)

    def snapshot(self) -> EngineSnapshot:
        counts = {s: 0 for s in Side}
        total = 0
        for channel in self._channels:
            total += channel.count
            if channel.side is not None:
                counts[channel.side] += channel.count
        hold_side, elapsed = None, 0.0
        for hold in self._holds:
            if hold.started_t is not None:
                hold_side, elapsed = hold.side, hold.held_s
        for channel in self._channels:
            if channel.top_started_t is not None:
                hold_side, elapsed = channel.side, channel.top_s
        target = self.exercise.hold.target_s if self.exercise.hold else (
            self.exercise.rep.hold_s if self.exercise.rep else 0.0)
        phases = [c.phase for c in self._channels]
        phase = Phase.OUT_OF_POSITION if not self._in_position else (
            Phase.WORK if Phase.WORK in phases else Phase.REST)
        signal = {(c.side.value if c.side else "both"): c.value for c in self._channels}
        return EngineSnapshot(self._t, self._visible, self._in_position, phase, total,
                              counts[Side.LEFT], counts[Side.RIGHT], signal, hold_side, elapsed,
                              target, self._last_warning)

    @property
    def in_position(self) -> bool:
        """In the exercise's position (settled), so counting can happen."""
        return self._in_position

    @property
    def features(self) -> Features:
        """Features of the latest frame with a pose (for overlays and traces)."""
        return self._features

    def signal_value(self) -> float:
        """The tracked signal of the most active channel, for plots; NaN when unknown."""
        values = [c.value for c in self._channels if math.isfinite(c.value)]
        return max(values) if values else math.nan

    # ------------------------------------------------------------------ visibility and posture
    def _lose_pose(self, t: float) -> list[Event]:
        events: list[Event] = []
        if self._visible:
            self._visible = False
            self._lost_since = t
            events.append(PoseLost(t))
        if self._lost_since is None:
            return events
        lost_for = t - self._lost_since
        if lost_for >= LOST_RESET_S and self._in_position:
            events += self._leave_position(t, keep_holds=True)
        if lost_for >= LOST_HOLD_END_S:
            for hold in self._holds:
                events += self._end_hold(hold, t)
        return events

    def _feature(self, features: Features, name: str, side: Side | None) -> float:
        if side is None:
            return features.get(name.replace("{side}", "both").replace("{other}", "both"), math.nan)
        return features.get(name.replace("{side}", side.value).replace("{other}", side.other.value), math.nan)

    def _conditions_state(self, conditions: tuple[Condition, ...], features: Features,
                          side: Side | None) -> bool | None:
        """Judged on the conditions that can be measured; None when none can.

        A front view hides the legs of a plank and a close-up crops them: the visible part of the
        position still tells whether it is held, as it does for a person watching.
        """
        judged = [(c, v) for c in conditions if math.isfinite(v := self._feature(features, c.feature, side))]
        if not judged:
            return None if conditions else True
        return all(self._condition_holds(c, v, side) for c, v in judged)

    def _condition_holds(self, condition: Condition, value: float, side: Side | None) -> bool:
        if isinstance(condition, Within):
            return condition.holds_for(value)
        key = (condition.feature, side)
        limit = self._own_limits.get(key, value)
        limit = min(limit, value) if condition.direction < 0 else max(limit, value)
        self._own_limits[key] = limit
        return abs(value - limit) <= condition.band

    def _update_posture(self, features: Features, t: float) -> list[Event]:
        posture = self.exercise.posture
        smoothed = {}
        for condition in posture.conditions:
            name = condition.feature.replace("{side}", "both")
            smoother = self._posture_filters.setdefault(name, OneEuroFilter(min_cutoff_hz=0.8))
            smoothed[condition.feature] = smoother(features.get(name, math.nan), t)
        # Judged on what the camera can see: a close-up that crops the knees still shows a trunk
        # lying back; a frame where nothing of the posture can be measured changes nothing.
        judged = [c.holds_for(smoothed[c.feature]) for c in posture.conditions if math.isfinite(smoothed[c.feature])]
        if not judged and posture.conditions:
            return []
        ok = all(judged)
        if not ok and not self._in_position:
            self.diagnostics.postures_seen[describe_posture(features)] += 1
            self.diagnostics.posture_misses.update(
                c.feature for c in posture.conditions
                if math.isfinite(smoothed[c.feature]) and not c.holds_for(smoothed[c.feature]))
        if ok:
            self._posture_bad_since = None
            if self._posture_ok_since is None:
                self._posture_ok_since = t
            if not self._in_position and t - self._posture_ok_since >= posture.settle_s:
                self._in_position = True
            return []
        events: list[Event] = []
        if not self._in_position and self._posture_ok_since is not None:
            events += self._forget_unsettled_start(t)
        self._posture_ok_since = None
        if self._posture_bad_since is None:
            self._posture_bad_since = t
        if self._in_position and t - self._posture_bad_since >= max(posture.settle_s, LEAVE_POSITION_S):
            events += self._leave_position(t)
        return events

    def _forget_unsettled_start(self, t: float) -> list[Event]:
        """The position was only glimpsed (a title card, a person passing): forget what it started.

        Channels and holds run from the first frame in position so a set that starts at once is
        counted from its first rep; if the position does not last ``settle_s``, nothing of it stays
        (a hold already announced is still closed, so every start has its end).
        """
        events: list[Event] = []
        for channel in self._channels:
            events += self._close_top(channel, t)
            channel.reset()
        for hold in self._holds:
            events += self._end_hold(hold, t)
        return events

    def _leave_position(self, t: float, *, keep_holds: bool = False) -> list[Event]:
        """Out of position: abandon reps in progress; end holds unless the person only vanished
        from view (a hold pauses while nobody is visible, and resumes if they come back holding)."""
        events: list[Event] = []
        self._in_position = False
        for hold in self._holds if not keep_holds else ():
            events += self._end_hold(hold, t)
        for channel in self._channels:
            events += self._close_top(channel, t)
            channel.reset()
        self._rule_since.clear()
        return events

    # ------------------------------------------------------------------ reps
    def _typical_range(self, channel: _Channel) -> float | None:
        """The person's own typical range, from their reps so far; None before the first one.

        Never the catalogue's nominal range: a rehab leg raise of 20° or a crunch of 22° is a whole
        rep for that person, so nothing is called partial before their own range is known.
        """
        ranges = [r for c in self._channels for r in c.ranges] or [d.rom for d in self._provisional]
        return statistics.median(ranges[-6:]) if ranges else None

    def _entry_excursion(self, channel: _Channel, t: float) -> float:
        """How far from rest the signal must go to start a rep: scaled to the person's own range.

        The catalogue's ``min_excursion`` fits a full-range rep; a rehab straight-leg raise of 20°
        never reaches it. Before any rep, a movement of ``SMALL_RANGE_SHARE`` of it may start one
        (the provisional first-rep rule then lets the next rep confirm it), but only from a settled
        rest: a clip that opens mid-rep has not shown where rest is yet. Once the person's range is
        known the threshold sits at ``ENTRY_SHARE`` of it, within those two bounds, so small reps keep
        counting and noise between large reps does not start any.
        """
        spec = self.exercise.rep
        assert spec is not None
        floor = SMALL_RANGE_SHARE * spec.min_excursion
        typical = self._typical_range(channel)
        if typical is None:
            return floor if channel.rest_settled else spec.min_excursion
        return min(spec.min_excursion, max(floor, ENTRY_SHARE * typical))

    def _step_reps(self, channel: _Channel, features: Features, t: float, dt: float) -> list[Event]:
        spec = self.exercise.rep
        assert spec is not None
        raw = self._feature(features, spec.signal, channel.side)
        if not math.isfinite(raw):
            return []
        if math.isfinite(channel.last_raw):
            channel.flicker += FLICKER_SMOOTHING * (abs(raw - channel.last_raw) - channel.flicker)
        channel.last_raw = raw
        value = channel.smoother(channel.despiker(raw, t), t)
        channel.value = value
        x = spec.direction * value
        visibility = self._feature(features, "visibility.{side}", channel.side)
        if channel.phase is Phase.REST or not math.isfinite(channel.rest):
            self._watch_opening(channel, x, t)
            if not math.isfinite(channel.rest) or x < channel.rest:
                channel.rest = x
                channel.phase = Phase.REST
            if self._in_position:
                self.diagnostics.largest_movement = max(self.diagnostics.largest_movement, x - channel.rest)
            if x > channel.rest + REST_BAND * SMALL_RANGE_SHARE * spec.min_excursion:
                channel.rest_since = None
            elif channel.rest_since is None:
                channel.rest_since = t
            elif t - channel.rest_since >= SETTLED_REST_S:
                channel.rest_settled = True
            excursion = self._entry_excursion(channel, t)
            if x <= channel.rest + REST_BAND * excursion:
                channel.rest_t = t
            if channel.rest_settled and channel.rest_since is not None:
                # The baseline of form rules is the body at a rest that lasted, not a rep the clip
                # opened in the middle of (a knee drive under a title card).
                self._remember_baseline(features)
            if x >= channel.rest + excursion:
                opening = self._finish_opening(channel)
                self._end_form_episode()
                channel.phase = Phase.WORK
                channel.peak, channel.peak_t = x, t
                channel.min_visibility = visibility if math.isfinite(visibility) else 1.0
                channel.top_s = 0.0
                channel.other_rest = self._other_rest(channel, features)
                channel.other_raised_s = channel.other_seen_s = channel.other_peak_rise = 0.0
                channel.flicker_peak = channel.other_flicker_peak = 0.0
                channel.peak_sides = self._side_values(features)
                channel.peak_body = self._top_values(channel, features)
                return opening
            return []

        events: list[Event] = []
        if x > channel.peak:
            channel.peak, channel.peak_t = x, t
            channel.peak_sides = self._side_values(features)
            channel.peak_body = self._top_values(channel, features)
        if math.isfinite(visibility):
            channel.min_visibility = min(channel.min_visibility, visibility)
        other = self._other_value(channel, features)
        channel.flicker_peak = max(channel.flicker_peak, channel.flicker)
        for other_channel in self._channels:
            if other_channel is not channel:
                channel.other_flicker_peak = max(channel.other_flicker_peak, other_channel.flicker)
        if math.isfinite(other) and math.isfinite(channel.other_rest):
            channel.other_seen_s += dt
            channel.other_peak_rise = max(channel.other_peak_rise, other - channel.other_rest)
            own_rise = max(x - channel.rest, self._entry_excursion(channel, t))
            if other - channel.other_rest > OTHER_SIDE_SHARE * own_rise:
                channel.other_raised_s += dt
        events += self._track_top(channel, x, t, dt)
        span = channel.peak - channel.rest
        if x <= channel.peak - spec.return_fraction * span:
            events += self._complete_rep(channel, t)
            self._end_form_episode()
            channel.phase = Phase.REST
            channel.rest, channel.rest_t = x, t
        elif t - channel.rest_t > spec.max_rep_s + spec.hold_s * 4:
            events += self._close_top(channel, t)
            reason = f"{Rejection.TOO_SLOW.label}: the rep took too long to come back"
            events.append(RepRejected(t, channel.side, reason, channel.rest_t, span, Rejection.TOO_SLOW.value))
            channel.phase = Phase.REST
            channel.rest, channel.rest_t = x, t
        return events

    def _other_rest(self, channel: _Channel, features: Features) -> float:
        """The other side's rest level: its own channel's, or (counting one side only) its value now."""
        for other in self._channels:
            if other is not channel and math.isfinite(other.rest):
                return other.rest
        return self._other_value(channel, features)

    def _other_value(self, channel: _Channel, features: Features) -> float:
        spec = self.exercise.rep
        if spec is None or channel.side is None or not spec.one_sided:
            return math.nan
        for other in self._channels:
            if other is not channel and math.isfinite(other.value):
                # The other side's filtered signal: a hidden leg flickering to where the visible knee
                # is must not pass for a second leg being hugged.
                return spec.direction * other.value
        return spec.direction * self._feature(features, spec.signal, channel.side.other)

    def _side_values(self, features: Features) -> tuple[float, float]:
        """The tracked signal of each side, to tell a one-leg rep from a two-leg one."""
        spec = self.exercise.rep
        assert spec is not None
        name = spec.signal.replace(".both", ".{side}")
        return (self._feature(features, name, Side.LEFT), self._feature(features, name, Side.RIGHT))

    def _top_values(self, channel: _Channel, features: Features) -> tuple[float, ...]:
        spec = self.exercise.rep
        assert spec is not None
        return tuple(self._feature(features, c.feature, channel.side) for c in spec.at_top)

    def _working_side(self, channel: _Channel, span: float) -> Side | None:
        """A whole-body channel names a side when one limb did the rep alone (single-leg raises)."""
        if channel.side is not None:
            return channel.side
        left, right = (self._direction() * v for v in channel.peak_sides)
        if not (math.isfinite(left) and math.isfinite(right)) or abs(left - right) < 0.6 * span:
            return None
        return Side.LEFT if left > right else Side.RIGHT

    def _top_level(self, channel: _Channel) -> float:
        spec = self.exercise.rep
        assert spec is not None
        typical = self._typical_range(channel)
        span = channel.peak - channel.rest
        if typical is not None:
            span = max(span, spec.partial_fraction * typical)
        return channel.rest + spec.top_fraction * span

    def _track_top(self, channel: _Channel, x: float, t: float, dt: float) -> list[Event]:
        """Time spent at the top of the rep: the in-rep hold, and the pause a march expects."""
        spec = self.exercise.rep
        assert spec is not None
        events: list[Event] = []
        if x >= self._top_level(channel):
            channel.top_below_since = None
            if channel.top_started_t is None:
                channel.top_started_t = t
                # Both knees hugged together is another exercise: its top is no hold of this one.
                if spec.hold_s > 0 and not channel.hold_open and not self._both_sides_moved(channel):
                    channel.hold_open = True
                    events.append(HoldStarted(t, channel.side, spec.hold_s))
            else:
                channel.top_s += dt
        elif channel.top_started_t is not None and channel.top_below_since is None:
            channel.top_below_since = t
        return events

    def _close_top(self, channel: _Channel, t: float) -> list[Event]:
        spec = self.exercise.rep
        if spec is None or spec.hold_s <= 0 or channel.top_started_t is None:
            return []
        channel.top_started_t = None
        if not channel.hold_open:
            return []
        channel.hold_open = False
        end = channel.top_below_since or t
        held = channel.top_s
        counted = not self._both_sides_moved(channel)
        return [HoldEnded(end, channel.side, end - held, held, spec.hold_s, counted and held >= spec.hold_s, counted)]

    def _both_sides_moved(self, channel: _Channel) -> bool:
        """The other side was raised most of the rep: a two-legged movement, not this exercise.

        Unless the other side flickers: MediaPipe keeps swapping a hidden far leg onto the visible
        one, and a leg jumping tens of degrees between frames is not a leg being held up.
        """
        if channel.other_flicker_peak > max(FLICKER_MIN_DEG, FLICKER_RATIO * channel.flicker_peak):
            return False
        return channel.other_seen_s > 0 and channel.other_raised_s > BOTH_SIDES_SHARE * channel.other_seen_s

    def _complete_rep(self, channel: _Channel, t: float) -> list[Event]:
        spec = self.exercise.rep
        assert spec is not None
        events: list[Event] = self._close_top(channel, t) if spec.hold_s > 0 else []
        return events + self._judge(channel, self._draft_rep(channel, t))

    def _judge(self, channel: _Channel, draft: _RepDraft) -> list[Event]:
        """Count, reject, or hold back (an uncalibrated first rep) one finished movement."""
        spec = self.exercise.rep
        assert spec is not None
        events: list[Event] = []
        reason = self._rejection_reason(channel, draft)
        if reason and self._is_echo(channel, draft):
            return events
        if reason:
            # Before the person's first counted rep, a quick movement is more often getting into
            # position (or the model flickering) than a rep rushed: not counted, but not scolded.
            calibrated = any(c.ranges for c in self._channels)
            return events + self._reject(draft, *reason, warn=calibrated or reason[0] is not Rejection.TOO_FAST)
        events += self._settle_provisional(draft.rom)
        calibrated = any(c.ranges for c in self._channels)
        if draft.opening or (not calibrated and draft.rom < FIRST_REP_CONFIDENT * spec.nominal_range):
            self._provisional.append(draft)
            return events
        return events + self._count(draft)

    def _watch_opening(self, channel: _Channel, x: float, t: float) -> None:
        if channel.opening_done:
            return
        if not math.isfinite(channel.opening_first):
            channel.opening_first = channel.opening_peak = x
            channel.opening_start_t = channel.opening_peak_t = t
        elif x > channel.opening_peak:
            channel.opening_peak, channel.opening_peak_t = x, t

    def _finish_opening(self, channel: _Channel) -> list[Event]:
        """A rep under way when the channel began counts if its top and full way down were seen.

        Seeing the top means the signal still rose (a turn), not a position already held: a leg
        raise filmed from legs-up is not a rep, a knee drive caught on its way up is.
        """
        spec = self.exercise.rep
        assert spec is not None
        if channel.opening_done:
            return []
        channel.opening_done = True
        excursion = self._entry_excursion(channel, channel.rest_t)
        turned = channel.opening_peak - channel.opening_first >= OPENING_TURN * excursion
        span = channel.opening_peak - channel.rest
        came_down_after = channel.opening_peak_t < channel.rest_t
        if not (turned and came_down_after and span >= excursion) or self._both_sides_started_up(channel, span):
            return []
        draft = _RepDraft(channel, channel.rest_t, channel.side, channel.opening_start_t, channel.opening_peak_t,
                          span, channel.opening_peak, channel.opening_peak_t - channel.opening_start_t,
                          channel.rest_t - channel.opening_peak_t, 0.0, (),
                          "the rep began before posecoach could see it", opening=True)
        return self._judge(channel, draft)

    def _both_sides_started_up(self, channel: _Channel, span: float) -> bool:
        """Both legs were up when the stream began and came down together: a starting position (on
        hands and knees before a plank, knees up before a march), not one side's rep under way. When
        the other leg was hidden at the start (behind the near one), nobody can tell: not a rep."""
        for other in self._channels:
            if other is channel:
                continue
            if not math.isfinite(other.opening_first) or \
                    other.opening_start_t > channel.opening_start_t + OPENING_OTHER_SIDE_S:
                return True
            if math.isfinite(other.rest) and other.opening_first - other.rest >= BOTH_SIDES_SHARE * span:
                return True
        return False

    def _draft_rep(self, channel: _Channel, t: float) -> _RepDraft:
        spec = self.exercise.rep
        assert spec is not None
        flags: list[str] = []
        if spec.pause_s > 0 and channel.top_s < spec.pause_s:
            flags.append("no-pause")
        down_s, up_s = t - channel.peak_t, channel.peak_t - channel.rest_t
        if up_s > 0 and down_s < 0.5 * up_s and down_s < 0.6:
            flags.append("dropped-fast")
        uncertain = None
        if channel.min_visibility < LOW_VISIBILITY:
            where = f"{channel.side.value} side" if channel.side else "body"
            uncertain = f"{where} partly hidden (visibility {channel.min_visibility:.2f})"
        span = channel.peak - channel.rest
        return _RepDraft(channel, t, self._working_side(channel, span), channel.rest_t, channel.peak_t, span,
                         spec.direction * channel.peak, up_s, down_s, channel.top_s, tuple(flags), uncertain)

    def _rejection_reason(self, channel: _Channel, draft: _RepDraft) -> tuple[Rejection, str] | None:
        """Why this movement does not count, with the details a person needs; None when it counts."""
        spec = self.exercise.rep
        assert spec is not None
        typical = self._typical_range(channel)
        if self._both_sides_moved(channel):
            return Rejection.BOTH_SIDES_MOVED, "this is not a one-sided rep"
        broken = [c for c, v in zip(spec.at_top, channel.peak_body, strict=False)
                  if math.isfinite(v) and not c.holds_for(v)]
        if broken:
            return Rejection.OTHER_MOVEMENT, f"{feature_words(broken[0].feature)} was off at the top"
        if typical is not None and draft.rom < spec.partial_fraction * typical:
            return Rejection.PARTIAL_RANGE, f"{draft.rom:.0f}° of your usual {typical:.0f}°"
        if draft.t_s - draft.start_s < spec.min_rep_s and not draft.cut_at_top:
            return Rejection.TOO_FAST, f"{draft.t_s - draft.start_s:.2f} s"
        if spec.hold_s > 0 and draft.held_s < spec.hold_s - 0.05:
            return Rejection.HOLD_TOO_SHORT, f"{draft.held_s:.1f} s of {spec.hold_s:.0f} s"
        return None

    def _is_echo(self, channel: _Channel, draft: _RepDraft) -> bool:
        """This side only followed the other, which moved far more: MediaPipe's echo of a limb,
        the passive leg of a two-legged move, or the standing hip shifting while the other leg
        reaches back (a bird-dog). Not a rep, and not worth a 'not counted' line."""
        if self._both_sides_moved(channel) and OTHER_SIDE_SHARE * channel.other_peak_rise > draft.rom:
            return True
        for other in self._channels:
            if other is channel:
                continue
            if other.phase is Phase.WORK and other.rest_t <= draft.t_s:
                span = other.peak - other.rest
            elif other.last_rep is not None and other.last_rep[0] <= draft.t_s and draft.start_s <= other.last_rep[1]:
                span = other.last_rep[2]
            else:
                continue
            if span >= ECHO_RATIO * draft.rom:
                return True
        return False

    def _settle_provisional(self, next_rom: float) -> list[Event]:
        """Judge the uncalibrated first rep(s) against the range of the rep that followed."""
        spec = self.exercise.rep
        assert spec is not None
        events: list[Event] = []
        for draft in self._provisional:
            if draft.rom >= (OPENING_SHARE if draft.opening else spec.partial_fraction) * next_rom:
                events += self._count(draft)
            else:
                # Before any calibration a small first movement is usually getting into position:
                # say it did not count, but do not scold.
                events += self._reject(draft, Rejection.PARTIAL_RANGE,
                                       f"{draft.rom:.0f}° of your usual {next_rom:.0f}°", warn=False)
        self._provisional.clear()
        return events

    def _count(self, draft: _RepDraft) -> list[Event]:
        channel = draft.channel
        channel.count += 1
        channel.ranges.append(draft.rom)
        channel.last_rep = (draft.start_s, draft.t_s, draft.rom)
        events: list[Event] = [RepCompleted(
            draft.t_s, draft.side, channel.count, draft.start_s, draft.peak_s, round(draft.rom, 1),
            round(draft.peak, 1), round(draft.peak_s - draft.start_s, 3), round(draft.t_s - draft.peak_s, 3),
            round(draft.held_s, 3), draft.flags, draft.uncertain,
        )]
        for rule in self.exercise.form:
            earlier = channel.peaks or [peak for other in self._channels for peak in other.peaks]
            if rule.absolute and rule.feature == "peak" and self._peak_fault(rule, draft.peak, earlier):
                events.append(self._warn(draft.t_s, rule.code, rule.message, channel.side, channel.count))
        channel.peaks.append(draft.peak)
        return events

    @staticmethod
    def _peak_fault(rule: FormRule, peak: float, earlier: list[float]) -> bool:
        """A rep's top beyond the rule's limit *and* clearly short of this side's own earlier tops.

        A camera at an angle reads every knee drive of one leg 20° low; an instructor's clean set
        then looked like 'knee below hip' rep after rep. The limit says what is wrong, the person's
        own reps say whether this rep was different (a side's first rep is compared with the other
        side's); the very first rep has nothing to compare with.
        """
        if not earlier or not rule.violated_by(peak):
            return False
        usual = statistics.median(earlier[-6:])
        if rule.below is not None and peak < rule.below:
            return peak < usual - PEAK_MARGIN
        return peak > usual + PEAK_MARGIN

    def _reject(self, draft: _RepDraft, rejection: Rejection, detail: str, *, warn: bool = True) -> list[Event]:
        events: list[Event] = [RepRejected(draft.t_s, draft.channel.side, f"{rejection.label}: {detail}",
                                           draft.start_s, draft.rom, rejection.value)]
        if rejection.warning and warn:
            code, message = rejection.warning
            events.append(self._warn(draft.t_s, code, message, draft.channel.side, draft.channel.count + 1))
        return events

    def _direction(self) -> int:
        return self.exercise.rep.direction if self.exercise.rep else 1

    # ------------------------------------------------------------------ holds
    def _step_hold(self, hold: _Hold, features: Features, t: float, dt: float) -> list[Event]:
        spec = self.exercise.hold
        assert spec is not None
        events: list[Event] = []
        state = self._conditions_state(spec.conditions, features, hold.side)
        if state is False and hold.started_t is None and self._in_position:
            self.diagnostics.hold_misses.update(
                c.feature for c in spec.conditions
                if isinstance(c, Within) and math.isfinite(value := self._feature(features, c.feature, hold.side))
                and not c.holds_for(value))
        if state is None:
            if hold.started_t is not None:
                hold.unjudged_s += dt
                if hold.unjudged_s > UNJUDGED_BRIDGE_S:
                    events += self._end_hold(hold, t)
            return events
        if state:
            still = self._motion.still
            if hold.in_position_since is None:
                hold.in_position_since = t
            if hold.still_since is None and still:
                # Still over the whole window just measured: settled since its start.
                hold.still_since = max(hold.in_position_since, t - SETTLED_LAG_S)
            if still:
                hold.last_still_t = t
            settled = hold.still_since is not None or t - hold.in_position_since >= SETTLE_MAX_S
            begins = hold.still_since if hold.still_since is not None else hold.in_position_since
            if hold.started_t is None and settled and t - begins >= spec.min_s:
                hold.started_t = begins
                hold.held_s = t - begins
                self._holds_started += 1
                events.append(HoldStarted(hold.started_t, hold.side, spec.target_s))
            elif hold.started_t is not None:
                hold.held_s += dt + hold.unjudged_s
                self._remember_baseline(features)
            hold.unjudged_s = 0.0
            hold.last_good_t = t
        elif hold.last_good_t is None or t - hold.last_good_t > spec.grace_s:
            events += self._end_hold(hold, t)
        return events

    def _end_hold(self, hold: _Hold, t: float, *, stream_ended: bool = False) -> list[Event]:
        """Close a hold. Falling short of the target is warned about only when the target was
        prescribed and the person let go: a hold still going when the recording stops was not broken."""
        spec = self.exercise.hold
        events: list[Event] = []
        if spec is not None and hold.started_t is not None:
            end = hold.last_good_t if hold.last_good_t is not None else t
            if hold.last_still_t is not None and hold.started_t < hold.last_still_t < end <= \
                    hold.last_still_t + EXIT_MOTION_MAX_S and not stream_ended:
                # Drifting out of the position (hips rising before the knees go down) is leaving it.
                hold.held_s = max(0.0, hold.held_s - (end - hold.last_still_t))
                end = hold.last_still_t
            completed = hold.held_s >= spec.target_s
            events.append(HoldEnded(end, hold.side, hold.started_t, round(hold.held_s, 3), spec.target_s, completed))
            still_holding = stream_ended and hold.last_good_t is not None and t - hold.last_good_t <= spec.grace_s
            if not completed and self.hold_target_prescribed and not still_holding:
                events.append(self._warn(end, WarningCode.HOLD_BROKEN_EARLY,
                                         f"Hold ended after {hold.held_s:.0f} s of {spec.target_s:.0f} s: "
                                         "rest, then try to hold the position a little longer.", hold.side, None))
        if not stream_ended:
            self._pending_warnings = [w for w in self._pending_warnings if w.side != hold.side]
        hold.in_position_since = hold.still_since = hold.last_still_t = None
        hold.started_t = None
        hold.held_s = 0.0
        hold.unjudged_s = 0.0
        hold.last_good_t = None
        return events

    # ------------------------------------------------------------------ form
    def _remember_baseline(self, features: Features) -> None:
        for rule in self.exercise.form:
            if rule.relative:
                samples = self._baseline_samples.setdefault(rule.feature, [])
                value = features.get(rule.feature.replace("{side}", "both"), math.nan)
                if len(samples) < BASELINE_SAMPLES and math.isfinite(value):
                    samples.append(value)

    def _working_phase(self) -> bool:
        if self.exercise.rep is not None:
            return any(c.phase is Phase.WORK for c in self._channels)
        # Holding right now: a hold lapsing through its grace period is someone getting up, not bad form.
        return any(h.started_t is not None and h.last_good_t == self._t for h in self._holds)

    def _check_form(self, features: Features, t: float) -> list[Event]:
        events: list[Event] = []
        working = self._working_phase()
        for rule in self.exercise.form:
            if rule.absolute or (rule.phase == "work" and not working) or (rule.phase == "rest" and working):
                continue
            if rule.needs_hips_apart:
                seen = features.get("end_on", 0.0) >= HIPS_APART
                (self.diagnostics.judged_rules if seen else self.diagnostics.unjudged_rules)[rule.code] += 1
                if not seen:
                    for channel in self._channels:
                        self._rule_since.pop((rule.code, channel.side if rule.per_side else None), None)
                    continue
            for channel in self._channels if rule.per_side else self._channels[:1]:
                side = channel.side if rule.per_side else None
                key = (rule.code, side)
                value = self._rule_value(rule, features, side)
                if rule.relative and self.exercise.rep is not None and math.isfinite(value):
                    above, below = self._rule_extremes.get(key, (0.0, 0.0))
                    self._rule_extremes[key] = (max(above, value), max(below, -value))
                    value = self._beyond_usual(key, value)
                if not rule.violated_by(value):
                    self._rule_since.pop(key, None)
                    continue
                since = self._rule_since.setdefault(key, t)
                rep_number = self._current_rep_number(channel)
                episode = rep_number if rep_number is not None else self._holds_started
                if t - since >= rule.min_s and self._rule_fired_for.get(key) != episode:
                    self._rule_fired_for[key] = episode
                    warning = FormWarning(t, rule.code, rule.message, side, rep_number)
                    if self.exercise.rep is None:
                        self._pending_warnings.append(warning)
                    else:
                        events.append(self._warn(t, rule.code, rule.message, side, rep_number))
        return events

    def _release_hold_warnings(self, t: float) -> list[Event]:
        """A hold's form warning is said once the hold went on ``HOLD_EXIT_S`` past it: hips that drop
        as a plank ends are the person getting down, not a fault of the hold."""
        due = [w for w in self._pending_warnings if t - w.t_s >= HOLD_EXIT_S]
        self._pending_warnings = [w for w in self._pending_warnings if t - w.t_s < HOLD_EXIT_S]
        for warning in due:
            self._last_warning = warning
        return list(due)

    def _beyond_usual(self, key: tuple[str, Side | None], value: float) -> float:
        """A deviation from baseline, less what the person's earlier reps (or rests) showed anyway.

        A straight-leg raise tilts MediaPipe's pelvis a few degrees on every clean rep, and an
        oblique camera reads some trunk lift into every leg raise: a fault is a departure from how
        this person moves, seen from this camera. Before any earlier episode there is nothing to
        compare with, so only a deviation ``FIRST_EPISODE_STRICTNESS`` times the limit counts.
        """
        usual = self._rule_usual.get(key)
        if not usual:
            return value / FIRST_EPISODE_STRICTNESS
        recent = usual[-6:]
        if value >= 0:
            return max(0.0, value - statistics.median(above for above, _ in recent))
        return min(0.0, value + statistics.median(below for _, below in recent))

    def _end_form_episode(self) -> None:
        """A rep started or ended: remember how far each rule's feature went in the episode just over."""
        for key, extremes in self._rule_extremes.items():
            self._rule_usual.setdefault(key, []).append(extremes)
        self._rule_extremes.clear()

    def _rule_value(self, rule: FormRule, features: Features, side: Side | None) -> float:
        value = self._feature(features, rule.feature, side)
        if not rule.relative:
            return value
        samples = self._baseline_samples.get(rule.feature)
        if not samples or len(samples) < 3:
            return math.nan
        return value - statistics.median(samples)

    def _current_rep_number(self, channel: _Channel) -> int | None:
        if self.exercise.rep is None:
            return None
        return channel.count + (1 if channel.phase is Phase.WORK else 0)

    def _warn(self, t: float, code: str, message: str, side: Side | None, rep: int | None) -> FormWarning:
        warning = FormWarning(t, code, message, side, rep)
        self._last_warning = warning
        return warning


_REJECTION_WARNINGS: dict[Rejection, tuple[str, str]] = {
    Rejection.PARTIAL_RANGE: (WarningCode.PARTIAL_RANGE, "That one was short of your full range: go all the way."),
    Rejection.TOO_FAST: (WarningCode.TOO_FAST, "Slow down: move with control."),
    Rejection.HOLD_TOO_SHORT: (WarningCode.HOLD_BROKEN_EARLY, "Hold the top position for the full count."),
}
