"""The two legs of a one-sided exercise: which one did a rep, or whether both did.

MediaPipe reads a hidden far leg by guessing: it copies the near leg (smaller, or finishing first),
flickers onto it for a few frames, or hands a landing leg over to the other side. And some
movements really are two-legged (a two-knee hug is another exercise). These rules compare the
channels of the two sides so the rep machine counts one leg's rep once, on the leg that moved.
"""

from __future__ import annotations

import math

from posecoach.events import Phase
from posecoach.exercises.channel import BOTH_SIDES_SHARE, OTHER_SIDE_SHARE, Channel, RepDraft
from posecoach.exercises.definition import RepSpec
from posecoach.features import Features, sided
from posecoach.landmarks import Side

FLICKER_MIN_DEG = 15.0
FLICKER_RATIO = 2.0
"""A side whose mean frame-to-frame jump is over twice the working side's (and over 15°) is MediaPipe
guessing where a hidden limb is, not a limb moving (a held knee shakes by a few degrees a frame; a
swapped one jumps 25-35° on average)."""
OPENING_OTHER_SIDE_S = 0.5
"""The other side must be seen within this long of the start of a rep already under way to tell it from
both legs starting up."""
ECHO_RATIO = 2.0
"""A rejected movement of one side during a rep of the other side at least this much larger is an echo."""
SAME_MOVEMENT_SHARE = 0.75
"""Two sides' reps sharing this much of their time (intersection over union) are one movement. Legs
taking turns share at most 0.63 on the real clips (amila's high knees, peaks apart); one leg read
twice by the model shares 0.74-0.98 on rendered clips, and 0.80 on homewo's mountain climbers,
whose frames show the legs alternating while both readings rise and fall together."""


class Legs:
    """Judges one side's channel against the other's (and the first reps awaiting confirmation)."""

    def __init__(self, spec: RepSpec, channels: list[Channel], provisional: list[RepDraft]) -> None:
        """``channels`` and ``provisional`` are the rep counter's own lists, read as they change."""
        self.spec = spec
        self.channels = channels
        self.provisional = provisional

    def other_rest(self, channel: Channel, features: Features) -> float:
        """The other side's rest level: its own channel's, or (counting one side only) its value now."""
        for other in self.channels:
            if other is not channel and math.isfinite(other.rest):
                return other.rest
        return self.other_value(channel, features)

    def other_value(self, channel: Channel, features: Features) -> float:
        spec = self.spec
        if channel.side is None or not spec.one_sided:
            return math.nan
        for other in self.channels:
            if other is not channel and math.isfinite(other.value):
                # The other side's filtered signal: a hidden leg flickering to where the visible knee
                # is must not pass for a second leg being hugged.
                return spec.direction * other.value
        return spec.direction * sided(features, spec.signal, channel.side.other)

    def side_values(self, features: Features) -> tuple[float, float]:
        """The tracked signal of each side, to tell a one-leg rep from a two-leg one."""
        spec = self.spec
        name = spec.signal.replace(".both", ".{side}")
        return (sided(features, name, Side.LEFT), sided(features, name, Side.RIGHT))

    def working_side(self, channel: Channel, span: float) -> Side | None:
        """A whole-body channel names a side when one limb did the rep alone (single-leg raises)."""
        if channel.side is not None:
            return channel.side
        left, right = (self.spec.direction * v for v in channel.at_peak.sides)
        # The leg that moved, not the one more flexed: beside a raised straight leg the other knee is
        # often bent, its hip flexed more than the raised one's.
        left -= channel.side_rests.get(Side.LEFT, 0.0)
        right -= channel.side_rests.get(Side.RIGHT, 0.0)
        if not (math.isfinite(left) and math.isfinite(right)) or abs(left - right) < 0.6 * span:
            return None
        return Side.LEFT if left > right else Side.RIGHT

    def rest_from_other_leg(self, channel: Channel, x: float, t: float, smallest_rep: float) -> None:
        """A leg first seen further from where the other leg has rested than the smallest rep moves was
        hidden at rest (behind the standing leg, filmed from the side) and came into view on its way
        up: it rested where the other leg rests, and its rep, with the hold at its top, is under way."""
        if channel.side is None or math.isfinite(channel.rest) or math.isfinite(channel.opening.first):
            return
        for other in self.channels:
            if other is not channel and other.rest_settled and x >= other.rest + smallest_rep:
                channel.rest, channel.rest_t = other.rest, t
                channel.awaiting_rest = False
                channel.hidden_at_rest = True
                return

    def both_sides_moved(self, channel: Channel) -> bool:
        """The other side was raised most of the rep: a two-legged movement, not this exercise.

        Unless the other side flickers: MediaPipe keeps swapping a hidden far leg onto the visible
        one, and a leg jumping tens of degrees between frames is not a leg being held up. Nor where
        the camera looked along the body at the top: the model then reads the near leg for both.
        """
        if channel.other.flicker_peak > max(FLICKER_MIN_DEG, FLICKER_RATIO * channel.flicker_peak):
            return False
        if channel.at_peak.along_body:
            return False
        return channel.other.raised_most_of_the_rep

    def both_sides_started_up(self, channel: Channel, span: float) -> bool:
        """Both legs were up when the stream began and came down together: a starting position (on
        hands and knees before a plank, knees up before a march), not one side's rep under way. When
        the other leg was hidden at the start (behind the near one), nobody can tell: not a rep."""
        for other in self.channels:
            if other is channel:
                continue
            if not math.isfinite(other.opening.first) or \
                    other.opening.start_t > channel.opening.start_t + OPENING_OTHER_SIDE_S:
                return True
            if math.isfinite(other.rest) and other.opening.first - other.rest >= BOTH_SIDES_SHARE * span:
                return True
            # Or both rose and fell together after it began: lying back and lifting both legs into
            # the start position, not one side's rep.
            if math.isfinite(other.rest) and other.opening.peak - other.rest >= OTHER_SIDE_SHARE * span and \
                    abs(other.opening.peak_t - channel.opening.peak_t) <= OPENING_OTHER_SIDE_S:
                return True
        return False

    def other_side_up_too(self, channel: Channel, span: float) -> bool:
        """The other leg is up as far at the end of the recording: the body changing position (kneeling
        down out of a plank, drawing both knees in to get up), not one leg's rep cut off at its top."""
        return any(other is not channel and other.side is not None and math.isfinite(other.rest)
                   and self.spec.direction * other.value - other.rest >= OTHER_SIDE_SHARE * span
                   for other in self.channels)

    def is_echo(self, channel: Channel, draft: RepDraft, *, quick: bool) -> bool:
        """This side only followed the other, which moved far more: MediaPipe's echo of a limb,
        the passive leg of a two-legged move, or the standing hip shifting while the other leg
        reaches back (a bird-dog); or, ``quick`` (over sooner than any rep), it took the other's
        landing over for a moment. Not a rep, and not worth a 'not counted' line."""
        if self.both_sides_moved(channel) and OTHER_SIDE_SHARE * channel.other.peak_rise > draft.rom:
            return True
        for other in self.channels:
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
        if quick and self.took_the_other_legs_landing(draft):
            return True
        # The other side's first rep, still waiting for the next to confirm its range, is a rep too.
        return any(held.channel is not channel and overlap(held, draft) and held.rom >= ECHO_RATIO * draft.rom
                   for held in self.provisional)

    def took_the_other_legs_landing(self, draft: RepDraft) -> bool:
        """A quick movement begun while the other leg's counted rep was under way or within the
        shortest rep's time after it: the model handing the landing leg over to this side (legs
        crossing, filmed from the side or obliquely), as big as the rep it copies, not a rep rushed."""
        if draft.channel.side is None:
            return False
        return any(other is not draft.channel and other.last_rep is not None
                   and other.last_rep[0] < draft.start_s <= other.last_rep[1] + self.spec.min_rep_s
                   for other in self.channels)

    def only_followed_the_other(self, draft: RepDraft) -> bool:
        """This side only followed the other, which is mid-rep still: the far leg read copying a knee
        drive, finishing first. As with a first rep read on both legs, the leg that moved further has
        the rep. Either the other was already under way when this movement began, or it began while
        this one rose, by its top and within ``OPENING_OTHER_SIDE_S`` (the model handing one drive
        from the far leg to the near one), and this one stopped well short of it. Sides taking turns
        (high knees, climbers) start as the other comes down, or rise about as far: not this."""
        rising_with = min(draft.peak_s, draft.start_s + OPENING_OTHER_SIDE_S)

        def followed(other: Channel) -> bool:
            rise = other.peak - other.rest
            if other.rest_t <= draft.start_s:
                return rise > draft.rom
            return other.rest_t <= rising_with and OTHER_SIDE_SHARE * rise > draft.rom

        return any(other is not draft.channel and other.phase is Phase.WORK and followed(other)
                   for other in self.channels)

    def other_side_did_it(self, draft: RepDraft) -> bool:
        """The other side's rep spans the same time: one movement, not one per leg. Sides take turns in
        these exercises, so two legs rising and falling as one are the model reading the near leg
        twice (filmed along the body, from the feet or head) or both legs moving: either way, one."""
        if draft.channel.side is None:
            return False
        spans = [(held.start_s, held.t_s) for held in self.provisional if held.channel is not draft.channel]
        spans += [other.last_rep[:2] for other in self.channels
                  if other is not draft.channel and other.last_rep is not None]
        return any(one_movement((draft.start_s, draft.t_s), span) for span in spans)

    def drop_smaller_twin(self, draft: RepDraft) -> None:
        """The other side's uncounted first rep spanning the same time with a smaller range was this
        movement read on the wrong leg (the hidden far leg copying the near one): this is the rep."""
        if draft.channel.side is None:
            return
        self.provisional[:] = [
            held for held in self.provisional
            if held.channel is draft.channel or held.rom >= draft.rom
            or not one_movement((held.start_s, held.t_s), (draft.start_s, draft.t_s))]

    def echoes(self, draft: RepDraft, rep: RepDraft) -> bool:
        """``draft``, on the other side, is that side's echo of ``rep``: at the same time, and far smaller."""
        return draft.channel is not rep.channel and overlap(draft, rep) and rep.rom >= ECHO_RATIO * draft.rom


def overlap(one: RepDraft, other: RepDraft) -> bool:
    return one.start_s <= other.t_s and other.start_s <= one.t_s


def one_movement(one: tuple[float, float], other: tuple[float, float]) -> bool:
    """Two sides' reps sharing at least ``SAME_MOVEMENT_SHARE`` of their time (intersection over
    union) are one movement read on both legs."""
    union = max(one[1], other[1]) - min(one[0], other[0])
    shared = min(one[1], other[1]) - max(one[0], other[0])
    return union > 0 and max(0.0, shared) / union >= SAME_MOVEMENT_SHARE
