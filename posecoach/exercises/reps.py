"""The rep machine: counting channels that turn a tracked signal into counted or rejected reps.

How a rep is recognised (per counting channel: one per side, or one for the whole body):

* the tracked signal is smoothed (One-Euro) and read in the work direction;
* at rest the channel follows the lowest value seen that the body kept (the rest level; a
  one-frame low it never came back to gives way to where it keeps still); it enters the work phase
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
"""

from __future__ import annotations

import itertools
import math
import statistics
from dataclasses import replace

from posecoach.events import Event, FormWarning, HoldEnded, HoldStarted, Phase, RepCompleted, RepRejected
from posecoach.exercises.channel import REJECTION_WARNINGS, AtPeak, Channel, Rejection, RepDraft
from posecoach.exercises.definition import RepSpec, Sightline, WarningCode, feature_amount, feature_words
from posecoach.exercises.diagnostics import Diagnostics
from posecoach.exercises.form import FormJudge
from posecoach.exercises.holds import HOLD_TIMING_SLACK_S
from posecoach.exercises.legs import Legs
from posecoach.features import Features, OneEuroFilter, RollingMedian, looks_along_body, sided
from posecoach.landmarks import Side

RANGE_SIGHTLINE = Sightline.ACROSS_BODY
"""Where the camera must be for a rep's range to be judged partial (see :class:`Sightline`)."""
FLICKER_SMOOTHING = 0.1
LOW_VISIBILITY = 0.5
"""Mean visibility of a side's hip, knee, ankle and shoulder below which its reps are 'uncertain'."""
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
ENDING_TOP_SHARE = 0.8
"""A rep still at its top when the stream ends counts once it has this share of the person's usual
range (a clip cut at the top of the last bridge); a raise cut off half-way does not."""
SMALL_RANGE_SHARE = 0.5
"""The smallest rep, as a share of the catalogue's full-range ``min_excursion``
(see ``RepCounter._entry_excursion``)."""
ENTRY_SHARE = 0.35
"""Once the person's range is known, a movement of this share of it starts a rep however quick it is
(it may then be judged partial or rushed): lower, and a twitch between reps would be told as rushed.
The real clips' counts and warnings are the same from 0.3 to 0.5 (leave-one-source-out 33/36 for each)."""
SLOW_ENTRY_SHARE = 0.25
"""A movement that takes at least a rep's time (``min_rep_s``) starts a rep from this smaller share: a
partial rep, which MediaPipe reads at a quarter to a third of the person's range, is then told as
one. A quicker movement that never reached ``ENTRY_SHARE`` is a twitch, or a bounce winding up the
next rep, and is no rep at all (see ``RepCounter._too_small_to_rush``)."""
DROP_SPEED_RATIO = 2.0
"""A rep is ``dropped-fast`` when lowered this many times faster than it was lifted (see
``RepCounter._lowered_fast``)."""
HELD_PAUSE_S = 1.0
"""A top pause this long is a hold to keep, not a brief stop: cutting it short is warned (tops are
timed to about half a second, as holds are: ``HOLD_TIMING_SLACK_S``)."""
SETTLED_REST_S = 0.5
"""How long the signal must stay at rest before a movement smaller than ``min_excursion`` may start a rep."""
ARRIVED_REST_S = 0.25
"""Counting that began on the way into the position starts from the first level the signal keeps this
long: the position reached (a first rep may follow at once)."""
REST_BAND = 0.2
"""Within this fraction of ``min_excursion`` above rest the body is still at rest: the rep starts
when it leaves this band, which gives honest durations and tempo."""


class RepCounter:
    """Counts the reps of one exercise, one channel per side it is counted on (or the whole body).

    The engine feeds it frames in position; it answers with reps counted or rejected (and the holds
    at their tops), and tells the form judge when a rep starts or ends and when the body rests.
    """

    def __init__(self, spec: RepSpec, sides: list[Side | None], form: FormJudge, diagnostics: Diagnostics) -> None:
        self.spec = spec
        self.channels = [Channel(side) for side in sides]
        self._form = form
        self.diagnostics = diagnostics
        self._provisional: list[RepDraft] = []
        """Uncalibrated first reps waiting for the next rep to decide them."""
        self._legs = Legs(spec, self.channels, self._provisional)
        self._held_a_pause = False
        """A counted rep's top was held for the exercise's pause: the person does its held form."""
        self._frame_s = 0.0
        """The time between frames: a rep's start and end are each seen up to a frame late or early."""
        self._done: list[tuple[float, float]] = []
        """Start and end of every rep counted so far, on any side: the set's rhythm."""

    def step(self, features: Features, t: float, dt: float, in_position: bool) -> list[Event]:
        """One frame in position (or settling into it)."""
        if dt > 0:
            self._frame_s = dt
        events: list[Event] = []
        for channel in self.channels:
            events += self._step(channel, features, t, dt, in_position)
        return events

    def finish(self, end: float) -> list[Event]:
        """End of stream: a rep cut off at its top or on its way down may still count."""
        events: list[Event] = []
        for channel in self.channels:
            events += self._finish_channel(channel, end)
        for draft in self._provisional:
            events += self._count(draft)
        self._provisional.clear()
        self._form.forget_unfinished()
        return events

    def abandon(self, t: float) -> list[Event]:
        """Out of position: reps under way are dropped (a hold at a top is still closed), and so are
        the faults seen in them."""
        events: list[Event] = []
        for channel in self.channels:
            events += self._close_top(channel, t)
            channel.reset()
        self._form.forget_unfinished()
        return events

    def unseen_between(self, last_seen: float, t: float) -> None:
        """The person was out of view from ``last_seen`` until ``t`` and is back: a rep under way goes
        on, and one that had reached its top was at its top unseen (see ``Channel.unseen_s``)."""
        for channel in self.channels:
            if channel.phase is Phase.WORK:
                channel.unseen_s += t - last_seen
                if channel.top.started_t is not None:
                    channel.top.unseen_s += t - last_seen

    def forgo_openings(self) -> None:
        """Counting begins inside a movement that was the way into the position: no rep under way, and
        the rest reps start from is where the person settles."""
        for channel in self.channels:
            channel.opening.done = channel.awaiting_rest = True

    @property
    def working(self) -> bool:
        return any(c.phase is Phase.WORK for c in self.channels)

    def rep_numbers(self) -> list[tuple[Side | None, int | None]]:
        """Each channel's side and the rep it is on (the next one while resting)."""
        return [(c.side, c.count + (1 if c.phase is Phase.WORK else 0)) for c in self.channels]

    def _finish_channel(self, channel: Channel, end: float) -> list[Event]:
        spec = self.spec
        if channel.phase is not Phase.WORK:
            return self._finish_opening(channel)
        span = channel.peak - channel.rest
        came_down = spec.direction * channel.value <= channel.peak - ENDING_TURN * span
        typical = self._typical_range(channel)
        at_full_top = typical is not None and span >= ENDING_TOP_SHARE * typical
        if came_down and spec.hold_s <= 0:
            uncertain = "the recording ended on the way back down"
        elif at_full_top and (spec.hold_s <= 0 or self._held_the_top(channel.top.held_s, channel)) and \
                end - channel.rest_t >= spec.min_rep_s / 2 and not self._legs.other_side_up_too(channel, span) \
                and self._on_the_sets_rhythm(channel.rest_t):
            # Its way up alone took as long as half a rep can: a jump at the last frames is no rep.
            uncertain = "the recording ended at the top of the rep"
        else:
            return self._close_top(channel, end)
        events = self._close_top(channel, end)
        draft = replace(self._draft_rep(channel, end), uncertain=uncertain, cut_at_top=not came_down)
        channel.phase = Phase.REST
        return events + self._judge(channel, draft) + self._form.movement_finished()

    def _on_the_sets_rhythm(self, start: float) -> bool:
        """A movement began no later after the set's last rep than the set's longest pause and one of
        its reps together: at its top, a rep cut off by the end of the recording looks just like the
        person getting up after the set, and only its timing tells them apart."""
        done = sorted(self._done + [(draft.start_s, draft.t_s) for draft in self._provisional])
        if not done:
            return True
        pauses = [later[0] - earlier[1] for earlier, later in itertools.pairwise(done)]
        allowed = max(pauses, default=0.0) + statistics.median(end - begin for begin, end in done)
        return start - max(end for _, end in done) <= allowed

    def _typical_range(self, channel: Channel) -> float | None:
        """The person's own typical range, from their reps so far; None before the first one.

        Never the catalogue's nominal range: a rehab leg raise of 20° or a crunch of 22° is a whole
        rep for that person, so nothing is called partial before their own range is known.
        """
        ranges = [r for c in self.channels for r in c.ranges] or [d.rom for d in self._provisional]
        return statistics.median(ranges[-6:]) if ranges else None

    def _leading_leg(self, channel: Channel, features: Features, t: float) -> float:
        """A whole-body signal (both legs raised together) read from the leg that moved more.

        The mean of the two hips halves a one-leg raise: a rehab straight-leg raise of 20 deg beside
        a bent knee moved it 9 deg and never counted. Each leg is despiked and smoothed on its own and
        measured from where it rested; the signal is the larger of the two movements on top of the
        lower of the two rests, so two legs raised together read as before and a rep already under
        way at the start still shows its way down.
        """
        spec = self.spec
        moves, rests = [], []
        for side in Side:
            raw = sided(features, spec.signal.replace(".both", ".{side}"), side)
            despiker, smoother = channel.side_filters.setdefault(side, (RollingMedian(), OneEuroFilter()))
            if not math.isfinite(raw):
                continue
            value = spec.direction * smoother(despiker(raw, t), t)
            rest = channel.side_rests.get(side, value)
            if channel.phase is not Phase.WORK:
                rest = min(rest, value)
            channel.side_rests[side] = rest
            moves.append(value - rest)
            rests.append(rest)
        return max(moves) + min(rests) if moves else math.nan

    @property
    def _smallest_excursion(self) -> float:
        """The smallest movement that may start a rep (``SMALL_RANGE_SHARE`` of ``min_excursion``); a
        fifth of it (``REST_BAND``) is how far the body may wander and still be at rest."""
        return SMALL_RANGE_SHARE * self.spec.min_excursion

    def _entry_excursion(self, channel: Channel, t: float, share: float = ENTRY_SHARE) -> float:
        """How far from rest the signal must go to start a rep: scaled to the person's own range.

        The catalogue's ``min_excursion`` fits a full-range rep; a rehab straight-leg raise of 20°
        never reaches it. Before any rep, a movement of ``SMALL_RANGE_SHARE`` of it may start one
        (the provisional first-rep rule then lets the next rep confirm it), but only from a settled
        rest: a clip that opens mid-rep has not shown where rest is yet. Once the person's range is
        known the threshold sits at ``share`` of it, within those two bounds, so small reps keep
        counting and noise between large reps does not start any.
        """
        spec = self.spec
        floor = self._smallest_excursion
        typical = self._typical_range(channel)
        if typical is None:
            return floor if channel.rest_settled else spec.min_excursion
        return min(spec.min_excursion, max(floor, share * typical))

    def _step(self, channel: Channel, features: Features, t: float, dt: float, in_position: bool) -> list[Event]:
        x = self._read_signal(channel, features, t)
        if not math.isfinite(x):
            return self._step_unseen(channel, t)
        channel.unseen_since = None
        if channel.phase is Phase.REST or not math.isfinite(channel.rest):
            return self._step_at_rest(channel, features, x, t, in_position)
        return self._step_in_rep(channel, features, x, t, dt, in_position)

    def _read_signal(self, channel: Channel, features: Features, t: float) -> float:
        """The channel's signal this frame, smoothed and signed so that the work phase raises it
        (NaN when not measurable); its flicker is how much the raw reading jumps between frames."""
        spec = self.spec
        if channel.side is None and spec.signal.endswith(".both"):
            x = self._leading_leg(channel, features, t)
            if math.isfinite(x):
                channel.value = spec.direction * x
            return x
        raw = sided(features, spec.signal, channel.side)
        if not math.isfinite(raw):
            return math.nan
        if math.isfinite(channel.last_raw):
            channel.flicker += FLICKER_SMOOTHING * (abs(raw - channel.last_raw) - channel.flicker)
        channel.last_raw = raw
        channel.value = channel.smoother(channel.despiker(raw, t), t)
        return spec.direction * channel.value

    def _step_at_rest(self, channel: Channel, features: Features, x: float, t: float,
                      in_position: bool) -> list[Event]:
        """Between reps: follow where the rest is, and start a rep when the signal leaves it."""
        spec = self.spec
        self._legs.rest_from_other_leg(channel, x, t, self._smallest_excursion)
        channel.opening.watch(x, t, REST_BAND * spec.min_excursion)
        if channel.awaiting_rest:
            # Not the lowest value seen on the way in (lying back flexes the hips like a bridge
            # lowering), but the level the person then holds.
            if channel.rest_since is None or abs(x - channel.rest) > REST_BAND * spec.min_excursion:
                channel.rest, channel.rest_since = x, t
            elif t - channel.rest_since >= ARRIVED_REST_S:
                channel.awaiting_rest = False
            channel.rest_t = t
            return []
        band = REST_BAND * self._smallest_excursion
        self._note_movement(channel, x, in_position)
        if not math.isfinite(channel.rest) or x < channel.rest:
            if not math.isfinite(channel.rest) or x < channel.rest - band:
                channel.rest_held = False
            channel.rest = x
            channel.phase = Phase.REST
        if x > channel.rest + band:
            channel.rest_since = None
        elif channel.rest_since is None:
            channel.rest_since = t
        else:
            channel.rest_held = channel.rest_held or t - channel.rest_since >= ARRIVED_REST_S
            channel.rest_settled = channel.rest_settled or t - channel.rest_since >= SETTLED_REST_S
        if not channel.rest_held:
            self._rest_where_still(channel, x, t)
        excursion = self._entry_excursion(channel, t)
        if x <= channel.rest + REST_BAND * excursion:
            channel.rest_t = t
            channel.way.clear()
        channel.way.append((t, x))
        if channel.rest_settled and channel.rest_since is not None:
            # The baseline of form rules is the body at a rest that lasted, not a rep the clip
            # opened in the middle of (a knee drive under a title card).
            self._form.remember_baseline(features)
        if x < channel.rest + self._entry_excursion(channel, t, SLOW_ENTRY_SHARE):
            return []
        opening = self._finish_opening(channel)
        self._form.end_episode()
        visibility = sided(features, "visibility.{side}", channel.side)
        channel.phase = Phase.WORK
        channel.peak, channel.peak_t = x, t
        channel.min_visibility = visibility if math.isfinite(visibility) else 1.0
        channel.top.held_s = channel.unseen_s = channel.top.unseen_s = 0.0
        channel.other.begin(self._legs.other_rest(channel, features))
        channel.flicker_peak = 0.0
        self._snapshot_peak(channel, features)
        return opening

    def _step_in_rep(self, channel: Channel, features: Features, x: float, t: float, dt: float,
                     in_position: bool) -> list[Event]:
        """During a rep: follow its top and what the other side does, and end it when the signal has
        come back ``return_fraction`` of the way (or it took too long to)."""
        spec = self.spec
        events: list[Event] = []
        self._note_movement(channel, x, in_position)
        channel.way.append((t, x))
        if x > channel.peak:
            channel.peak, channel.peak_t = x, t
            self._snapshot_peak(channel, features)
        visibility = sided(features, "visibility.{side}", channel.side)
        if math.isfinite(visibility):
            channel.min_visibility = min(channel.min_visibility, visibility)
        channel.flicker_peak = max(channel.flicker_peak, channel.flicker)
        own_rise = max(x - channel.rest, self._entry_excursion(channel, t))
        others_flicker = max((c.flicker for c in self.channels if c is not channel), default=0.0)
        channel.other.follow(self._legs.other_value(channel, features), own_rise, others_flicker, dt)
        events += self._track_top(channel, x, t, dt)
        span = channel.peak - channel.rest
        if x <= channel.peak - spec.return_fraction * span:
            events += self._back_at_rest(channel, t, x)
        elif t - channel.rest_t > spec.max_rep_s + spec.hold_s * 4:
            events += self._close_top(channel, t)
            reason = f"{Rejection.TOO_SLOW.label}: the rep took too long to come back"
            events.append(RepRejected(t, channel.side, reason, channel.rest_t, span, Rejection.TOO_SLOW.value))
            events += self._form.movement_finished()
            channel.phase = Phase.REST
            channel.rest, channel.rest_t = x, t
        return events

    def _back_at_rest(self, channel: Channel, t: float, rest: float) -> list[Event]:
        """The rep under way came back down at ``t``: judge it, and rest from there."""
        events = self._complete_rep(channel, t) + self._form.movement_finished()
        self._form.end_episode()
        channel.phase = Phase.REST
        channel.rest, channel.rest_t = rest, t
        return events

    def _step_unseen(self, channel: Channel, t: float) -> list[Event]:
        """A frame where the signal cannot be read. A leg that was out of sight at rest (the far leg
        behind the near one, filmed from the side) and hides again on its way down, for
        ``ARRIVED_REST_S``, is back where it rested: its rep ended when it went out of sight (else its
        reading would stay where it was last seen, half way down, and the next rep merge into it)."""
        if channel.unseen_since is None:
            channel.unseen_since = t
        if channel.phase is not Phase.WORK or not channel.hidden_at_rest:
            return []
        # The raw reading: the smoothed one lags behind a leg that hides on its quick way down.
        span = channel.peak - channel.rest
        came_down = self.spec.direction * channel.last_raw <= channel.peak - ENDING_TURN * span
        if not came_down or t - channel.unseen_since < ARRIVED_REST_S:
            return []
        return self._back_at_rest(channel, channel.unseen_since, channel.rest)

    def _note_movement(self, channel: Channel, x: float, in_position: bool) -> None:
        """The largest movement away from rest in position, out and back or not: what a clip where
        nothing counted is told it did."""
        if in_position and math.isfinite(channel.rest):
            self.diagnostics.largest_movement = max(self.diagnostics.largest_movement, x - channel.rest)

    def _rest_where_still(self, channel: Channel, x: float, t: float) -> None:
        """A rest is where the body keeps still, not a low it never came back to.

        The tracker's first frames, or a one-frame dip, can read lower than where the person then
        lies. A rest pinned at that low never looks settled (the body stays a few degrees above it), so
        a small rehab raise needed a full rep's excursion to start and none counted. While the rest
        level was never held, a level kept still for ``SETTLED_REST_S`` within a small rep's reach of
        it becomes the rest.
        """
        floor = self._smallest_excursion
        if not math.isfinite(channel.still_level) or abs(x - channel.still_level) > REST_BAND * floor:
            channel.still_level, channel.still_since = x, t
        elif t - channel.still_since >= SETTLED_REST_S and channel.still_level < channel.rest + floor:
            channel.rest, channel.rest_since = channel.still_level, channel.still_since
            channel.rest_settled = channel.rest_held = True
            # Nor did a rep under way at the start rise from that low: it starts where the body kept still.
            channel.opening.open_at(channel.still_level, channel.still_since)

    def _snapshot_peak(self, channel: Channel, features: Features) -> None:
        """What the rep's judges need from its highest frame so far: each side's signal, the ``at_top``
        features and the camera's view of the body."""
        channel.at_peak = AtPeak(self._legs.side_values(features), self._top_values(channel, features),
                                  features.get("end_on", math.nan), looks_along_body(features))

    def _top_values(self, channel: Channel, features: Features) -> tuple[float, ...]:
        spec = self.spec
        return tuple(sided(features, c.feature, channel.side) for c in spec.at_top)

    def _top_level(self, channel: Channel) -> float:
        spec = self.spec
        typical = self._typical_range(channel)
        span = channel.peak - channel.rest
        if typical is not None:
            span = max(span, spec.partial_fraction * typical)
        return channel.rest + spec.top_fraction * span

    def _track_top(self, channel: Channel, x: float, t: float, dt: float) -> list[Event]:
        """Time spent at the top of the rep: the in-rep hold, and the pause a march expects."""
        spec = self.spec
        events: list[Event] = []
        if x >= self._top_level(channel):
            channel.top.below_since = None
            if channel.top.started_t is None:
                channel.top.started_t = t
                # Both knees hugged together is another exercise: its top is no hold of this one.
                if spec.hold_s > 0 and not channel.top.hold_open and not self._legs.both_sides_moved(channel):
                    channel.top.hold_open = True
                    events.append(HoldStarted(t, channel.side, spec.hold_s))
            else:
                channel.top.held_s += dt
        elif channel.top.started_t is not None and channel.top.below_since is None:
            channel.top.below_since = t
        return events

    def _close_top(self, channel: Channel, t: float) -> list[Event]:
        spec = self.spec
        if spec.hold_s <= 0 or channel.top.started_t is None:
            return []
        reached, channel.top.started_t = channel.top.started_t, None
        if not channel.top.hold_open:
            return []
        channel.top.hold_open = False
        end = channel.top.below_since or t
        held = channel.top.held_s
        counted = not self._legs.both_sides_moved(channel)
        completed = counted and self._held_the_top(held, channel)
        # As a timed hold is: the time held is what was seen, its span includes the time unseen; never
        # before the top was reached (a frame gap is timed once as unseen and once in the frame after it).
        start = max(reached, end - held - channel.top.unseen_s)
        return [HoldEnded(end, channel.side, start, held, spec.hold_s, completed, counted)]

    def _held_the_top(self, held_s: float, channel: Channel) -> bool:
        """A top held ``held_s`` seen, plus the time unseen at it, reached the exercise's hold, timed to
        about half a second as a hold is (``HOLD_TIMING_SLACK_S``)."""
        return held_s + channel.top.unseen_s >= self.spec.hold_s - HOLD_TIMING_SLACK_S

    def _complete_rep(self, channel: Channel, t: float) -> list[Event]:
        spec = self.spec
        events: list[Event] = self._close_top(channel, t) if spec.hold_s > 0 else []
        return events + self._judge(channel, self._draft_rep(channel, t))

    def _judge(self, channel: Channel, draft: RepDraft) -> list[Event]:
        """Count, reject, or hold back (an uncalibrated first rep) one finished movement."""
        spec = self.spec
        events: list[Event] = []
        self._legs.drop_smaller_twin(draft)
        if self._legs.only_followed_the_other(draft):
            return events  # no movement of its own, and no 'not counted' line for it
        if self._too_small_to_rush(channel, draft):
            return events
        reason = self._rejection_reason(channel, draft)
        if reason and self._legs.is_echo(channel, draft, quick=self._quicker_than_a_rep(draft)):
            return events
        # A range is read from joint angles across the picture: looking along the body, MediaPipe
        # guesses them in depth, so a short one is not said to be the person's fault (the notes say
        # the range went unchecked).
        range_seen = self._form.sees(RANGE_SIGHTLINE, WarningCode.PARTIAL_RANGE, draft.end_on, draft.along_body)
        if reason:
            # Before the person's first rep, a quick movement is more often getting into position
            # (or the model flickering) than a rep rushed: not counted, but not scolded. A first rep
            # awaiting confirmation is a rep done all the same.
            calibrated = any(c.ranges for c in self.channels) or any(not held.opening for held in self._provisional)
            # A rep under way when the recording began was seen only in part: its range and time
            # are lower bounds, so no fault of it is said.
            warn = (calibrated or reason[0] not in (Rejection.TOO_FAST, Rejection.HOLD_TOO_SHORT)) and \
                not draft.opening and not self._misread_rush(channel, draft, reason[0]) and \
                (range_seen or reason[0] is not Rejection.PARTIAL_RANGE)
            return events + self._reject(draft, *reason, warn=warn)
        events += self._settle_provisional(draft)
        calibrated = any(c.ranges for c in self.channels)
        if draft.opening or (not calibrated and draft.rom < FIRST_REP_CONFIDENT * spec.nominal_range):
            self._provisional.append(draft)
            return events
        return events + self._count(draft)

    def _misread_rush(self, channel: Channel, draft: RepDraft, rejection: Rejection) -> bool:
        """Quicker than any rep, yet further than the person's usual range: a rushed rep reads short (the
        smoothing cannot follow it to its top), so this is the model misreading a joint (a leg read past
        the head wraps its angle to 180 deg and more, filmed from the feet), not a rep to scold."""
        typical = self._typical_range(channel)
        return rejection is Rejection.TOO_FAST and typical is not None and draft.rom > typical

    def _took(self, draft: RepDraft) -> float:
        """How long a movement took, judged at any frame rate: its start is the last frame at rest and
        its end the first frame back, so the frames' timestamps overstate it by a frame on average
        (a 0.33 s rush reads 0.4 s at 15 fps)."""
        return draft.t_s - draft.start_s - self._frame_s

    def _quicker_than_a_rep(self, draft: RepDraft) -> bool:
        """Over in less than the exercise's shortest rep, unless the recording cut it at its top."""
        return self._took(draft) < self.spec.min_rep_s and not draft.cut_at_top

    def _too_small_to_rush(self, channel: Channel, draft: RepDraft) -> bool:
        """Quicker than any rep and short of where a rep starts (``ENTRY_SHARE``): a twitch, or a
        bounce winding up the next rep (a crunch's), not a rep rushed nor a partial one. Only a
        movement that takes a rep's time may start one from the lower ``SLOW_ENTRY_SHARE``."""
        return self._quicker_than_a_rep(draft) and draft.rom < self._entry_excursion(channel, draft.t_s)

    def _finish_opening(self, channel: Channel) -> list[Event]:
        """A rep under way when the channel began counts if its top and full way down were seen.

        Seeing the top means the signal still rose (a turn), not a position already held: a leg
        raise filmed from legs-up is not a rep, a knee drive caught on its way up is. One leg of a
        pair that takes turns needs no turn: a rep's range up from where it comes to rest while the
        other leg is down (checked below) is half-way through a rep, as nobody starts a march or a
        bicycle with one knee held up. Coming down at once from a full ``min_excursion`` up, its top
        came before the recording: its range is a lower bound, so it is not judged partial.
        """
        if channel.opening.done:
            return []
        channel.opening.done = True
        excursion = self._entry_excursion(channel, channel.rest_t)
        rose = channel.opening.peak - channel.opening.first >= OPENING_TURN * excursion
        turned = rose or (channel.side is not None and channel.opening.first - channel.rest >= excursion)
        span = channel.opening.peak - channel.rest
        came_down_after = channel.opening.peak_t < channel.rest_t
        came_down_at_once = channel.opening.left_t - channel.opening.start_t < ARRIVED_REST_S
        if not (turned and came_down_after and span >= excursion) or self._legs.both_sides_started_up(channel, span):
            return []
        draft = RepDraft(channel, channel.rest_t, channel.side, channel.opening.start_t, channel.opening.peak_t,
                          span, channel.opening.peak, channel.opening.peak_t - channel.opening.start_t,
                          channel.rest_t - channel.opening.peak_t, 0.0, (),
                          "the rep began before posecoach could see it", opening=True,
                          top_unseen=not rose and span >= self.spec.min_excursion and came_down_at_once)
        return self._judge(channel, draft)

    def _lowered_fast(self, channel: Channel) -> bool:
        """Lowered ``DROP_SPEED_RATIO`` times faster than lifted, timed through the same band of the
        rep's range both ways: from where it ends (``return_fraction`` back down) to ``top_fraction``
        of it. Neither a pause at the top nor a slow creep off the rest counts in it, and MediaPipe's
        step-like reading of a leg passing low angles reads as fast both ways."""
        span = channel.peak - channel.rest
        low = channel.peak - self.spec.return_fraction * span
        top = channel.rest + self.spec.top_fraction * span
        way = list(channel.way)
        at_top = [i for i, (_, x) in enumerate(way) if x >= top]
        if span <= 0 or not at_top or low >= top:
            return False
        below = [i for i in range(at_top[0]) if way[i][1] < low]
        up_s = way[at_top[0]][0] - (way[below[-1]][0] if below else channel.rest_t)
        down_s = way[-1][0] - way[at_top[-1]][0]
        return up_s > 0 and 0 < down_s * DROP_SPEED_RATIO < up_s

    def _draft_rep(self, channel: Channel, t: float) -> RepDraft:
        spec = self.spec
        flags: list[str] = []
        if spec.pause_s > 0 and channel.top.held_s < spec.pause_s:
            flags.append("no-pause")
        down_s, up_s = t - channel.peak_t, channel.peak_t - channel.rest_t
        if self._lowered_fast(channel):
            flags.append("dropped-fast")
        uncertain = None
        if channel.min_visibility < LOW_VISIBILITY:
            where = f"{channel.side.value} side" if channel.side else "body"
            uncertain = f"{where} partly hidden (visibility {channel.min_visibility:.2f})"
        if channel.unseen_s > 0:
            uncertain = f"you were out of view for {channel.unseen_s:.1f} s of it"
        span = channel.peak - channel.rest
        return RepDraft(channel, t, self._legs.working_side(channel, span), channel.rest_t, channel.peak_t, span,
                         spec.direction * channel.peak, up_s, down_s, channel.top.held_s, tuple(flags), uncertain,
                         end_on=channel.at_peak.end_on, along_body=channel.at_peak.along_body)

    def _rejection_reason(self, channel: Channel, draft: RepDraft) -> tuple[Rejection, str] | None:
        """Why this movement does not count, with the details a person needs; None when it counts."""
        spec = self.spec
        typical = self._typical_range(channel)
        if self._legs.both_sides_moved(channel):
            return Rejection.BOTH_SIDES_MOVED, "this is not a one-sided rep"
        if self._legs.other_side_did_it(draft):
            return Rejection.BOTH_SIDES_MOVED, "the other leg made the same movement at the same time (counted once)"
        broken = [c for c, v in zip(spec.at_top, channel.at_peak.body, strict=False)
                  if math.isfinite(v) and not c.holds_for(v)]
        if broken:
            return Rejection.OTHER_MOVEMENT, f"{feature_words(broken[0].feature)} was off at the top"
        # Quicker than any rep is judged first: a rushed rep also reads short, as the smoothing
        # cannot follow it to its top.
        if self._quicker_than_a_rep(draft):
            return Rejection.TOO_FAST, f"{self._took(draft):.2f} s"
        if typical is not None and draft.rom < spec.partial_fraction * typical and not draft.top_unseen:
            return Rejection.PARTIAL_RANGE, f"{self._amount(draft.rom)} of your usual {self._amount(typical)}"
        if spec.hold_s > 0 and not self._held_the_top(draft.held_s, channel):
            return Rejection.HOLD_TOO_SHORT, f"{draft.held_s:.1f} s of {spec.hold_s:.0f} s"
        return None

    def _settle_provisional(self, following: RepDraft) -> list[Event]:
        """Judge the uncalibrated first rep(s) against the range of the rep that followed."""
        spec = self.spec
        events: list[Event] = []
        next_rom = following.rom
        for draft in self._provisional:
            if self._legs.echoes(draft, following):
                continue  # the other side's echo of this very rep: no movement of its own
            if draft.top_unseen or draft.rom >= (OPENING_SHARE if draft.opening else spec.partial_fraction) * next_rom:
                events += self._count(draft)
            else:
                # Before any calibration a small first movement is usually getting into position:
                # say it did not count, but do not scold.
                events += self._reject(draft, Rejection.PARTIAL_RANGE,
                                       f"{self._amount(draft.rom)} of your usual {self._amount(next_rom)}", warn=False)
        self._provisional.clear()
        return events

    def _count(self, draft: RepDraft) -> list[Event]:
        channel = draft.channel
        channel.count += 1
        channel.ranges.append(draft.rom)
        channel.last_rep = (draft.start_s, draft.t_s, draft.rom)
        self._done.append((draft.start_s, draft.t_s))
        events: list[Event] = [RepCompleted(
            draft.t_s, draft.side, channel.count, draft.start_s, draft.peak_s, round(draft.rom, 1),
            round(draft.peak, 1), round(draft.peak_s - draft.start_s, 3), round(draft.t_s - draft.peak_s, 3),
            round(draft.held_s, 3), draft.flags, draft.uncertain,
        )]
        if self._cut_its_pause_short(draft):
            code, message = REJECTION_WARNINGS[Rejection.HOLD_TOO_SHORT]
            events.append(FormWarning(draft.t_s, code, message, draft.side, channel.count))
        self._held_a_pause = self._held_a_pause or draft.held_s >= self.spec.pause_s - HOLD_TIMING_SLACK_S
        earlier = channel.peaks or [peak for other in self.channels for peak in other.peaks]
        events += self._form.peak_warnings(draft.peak, earlier, draft.t_s, channel.side, channel.count, draft.end_on,
                                           draft.along_body, other_side=not channel.peaks)
        channel.peaks.append(draft.peak)
        return events

    def _cut_its_pause_short(self, draft: RepDraft) -> bool:
        """A top held well short of a pause long enough to be a hold (a plank knee drive's 2 s), once
        the person has held it on an earlier rep: a hold broken early. Never holding it is another
        form of the exercise (mountain climbers), flagged ``no-pause`` on each rep but not scolded."""
        pause = self.spec.pause_s
        return pause >= HELD_PAUSE_S and self._held_a_pause and draft.held_s < pause - HOLD_TIMING_SLACK_S \
            and not draft.cut_at_top

    def _amount(self, value: float) -> str:
        return feature_amount(self.spec.signal, value)

    def _reject(self, draft: RepDraft, rejection: Rejection, detail: str, *, warn: bool = True) -> list[Event]:
        events: list[Event] = [RepRejected(draft.t_s, draft.channel.side, f"{rejection.label}: {detail}",
                                           draft.start_s, draft.rom, rejection.value)]
        if rejection.warning and warn:
            code, message = rejection.warning
            events.append(FormWarning(draft.t_s, code, message, draft.channel.side, draft.channel.count + 1))
        return events
