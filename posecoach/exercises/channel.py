"""A counting channel's state, and the movements it drafts for the rep machine to judge.

A channel follows one side (or the whole body): its reading of the signal, its rest, the rep under
way with its top, what the other leg did meanwhile, and the rep already under way when counting
began. :mod:`~posecoach.exercises.reps` moves it; :mod:`~posecoach.exercises.legs` compares the two.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum

from posecoach.events import Phase
from posecoach.exercises.definition import WarningCode
from posecoach.features import OneEuroFilter, RollingMedian
from posecoach.landmarks import Side

BOTH_SIDES_SHARE = 0.5
"""The other side raised for more than this share of a rep (of the time it was seen) makes it a
two-legged movement, not this exercise (a two-knee hug keeps both legs up throughout)."""
OTHER_SIDE_SHARE = 0.7
"""In a one-sided exercise the other side 'moved too' when it rose this share of the working side's
rise. Lower values would mistake MediaPipe's echo of a hidden far leg (often ~half) for real movement."""
WAY_FRAMES = 1800
"""The frames of a rep kept to time it (a minute at 30 fps: longer than any rep can last)."""


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
        return REJECTION_WARNINGS.get(self)


@dataclass
class Opening:
    """A rep already under way when the channel began counting (a recording that starts mid-rep):
    watched until the first rep starts, then credited or dropped (``RepCounter._finish_opening``)."""

    done: bool = False
    first: float = math.nan
    """The level the signal opened at, and when."""
    start_t: float = 0.0
    peak: float = math.nan
    peak_t: float = 0.0
    left_t: float = math.inf
    """When the signal first left the level it opened at: a leg kept still there from the start was
    resting (however high the model read it), not coming down from a rep's top."""

    def open_at(self, level: float, t: float) -> None:
        """The signal opens (again) at ``level``, kept since ``t``: nothing left it yet."""
        self.first = self.peak = level
        self.start_t = self.peak_t = t
        self.left_t = math.inf

    def watch(self, x: float, t: float, band: float) -> None:
        """Follow the opening level and the highest value since (``band``: what counts as leaving it)."""
        if self.done:
            return
        if not math.isfinite(self.first):
            self.open_at(x, t)
            return
        if math.isinf(self.left_t) and abs(x - self.first) > band:
            self.left_t = t
        if x > self.peak:
            self.peak, self.peak_t = x, t


@dataclass
class OtherLeg:
    """What the other side did during this side's rep: a one-sided exercise's rep is one leg's."""

    rest: float = math.nan
    """The other side's rest level when this rep began."""
    raised_s: float = 0.0
    """How long it was raised (``OTHER_SIDE_SHARE`` of this side's rise or more), of ``seen_s`` seen."""
    seen_s: float = 0.0
    peak_rise: float = 0.0
    flicker_peak: float = 0.0
    """The other side's highest flicker during the rep (see ``Channel.flicker``)."""

    def begin(self, rest: float) -> None:
        self.rest = rest
        self.raised_s = self.seen_s = self.peak_rise = self.flicker_peak = 0.0

    def follow(self, value: float, own_rise: float, flicker: float, dt: float) -> None:
        """One frame of the rep: the other side's signal ``value`` (work direction), this side's rise."""
        self.flicker_peak = max(self.flicker_peak, flicker)
        if math.isfinite(value) and math.isfinite(self.rest):
            self.seen_s += dt
            self.peak_rise = max(self.peak_rise, value - self.rest)
            if value - self.rest > OTHER_SIDE_SHARE * own_rise:
                self.raised_s += dt

    @property
    def raised_most_of_the_rep(self) -> bool:
        return self.seen_s > 0 and self.raised_s > BOTH_SIDES_SHARE * self.seen_s


@dataclass
class Top:
    """The top of the rep under way: how long it is held, and its hold's events."""

    held_s: float = 0.0
    started_t: float | None = None
    below_since: float | None = None
    unseen_s: float = 0.0
    """The part of the rep's time unseen after it reached its top: not a hold seen, but no evidence
    of a short one either."""
    hold_open: bool = False
    """A ``HoldStarted`` was emitted for this top and its ``HoldEnded`` is still owed."""


@dataclass(frozen=True)
class AtPeak:
    """What the rep's judges need from its highest frame so far."""

    sides: tuple[float, float]
    """Each side's signal (left, right): which leg did the rep, or both."""
    body: tuple[float, ...]
    """The values of the exercise's ``at_top`` features."""
    end_on: float
    """How the camera saw the body (``end_on``): which form rules could see it."""
    along_body: bool
    """The camera looked along the body (from the head or the feet), where the model reads the near
    leg for both: two legs rising together is no evidence that both moved."""


@dataclass
class Channel:
    """One counting channel: a side, or the whole body (``side`` None)."""

    side: Side | None
    despiker: RollingMedian = field(default_factory=RollingMedian)
    last_raw: float = math.nan
    flicker: float = 0.0
    """Running mean of the raw signal's frame-to-frame jump (degrees): high for a hidden, swapped leg."""
    flicker_peak: float = 0.0
    """The highest flicker of this side during the current rep."""
    smoother: OneEuroFilter = field(default_factory=OneEuroFilter)
    phase: Phase = Phase.REST
    rest: float = math.nan
    rest_t: float = 0.0
    peak: float = math.nan
    peak_t: float = 0.0
    unseen_s: float = 0.0
    """Time the person was out of view during the rep under way (the model loses a body folded into a
    knee hug): the rep resumed when they were seen again, but what happened meanwhile is a guess."""
    top: Top = field(default_factory=Top)
    way: deque[tuple[float, float]] = field(default_factory=lambda: deque(maxlen=WAY_FRAMES))
    """(t, signal) since the signal last left rest: the rep under way, timed up and down."""
    min_visibility: float = 1.0
    other: OtherLeg = field(default_factory=OtherLeg)
    at_peak: AtPeak = field(default_factory=lambda: AtPeak((math.nan, math.nan), (), math.nan, False))
    count: int = 0
    ranges: list[float] = field(default_factory=list)
    value: float = math.nan
    side_filters: dict[Side, tuple[RollingMedian, OneEuroFilter]] = field(default_factory=dict)
    side_rests: dict[Side, float] = field(default_factory=dict)
    """A whole-body channel's view of each leg (see ``RepCounter._leading_leg``)."""
    rest_since: float | None = None
    rest_settled: bool = False
    """The signal has stayed at rest for ``SETTLED_REST_S`` (from ``rest_since``): a rest that lasted
    is a rest, not a pause mid-rep."""
    rest_held: bool = False
    """The signal stayed at the rest level for ``ARRIVED_REST_S``: a low the body kept, not a frame's dip."""
    still_level: float = math.nan
    still_since: float = 0.0
    """Where, and since when, the signal has kept still (see ``RepCounter._rest_where_still``)."""
    peaks: list[float] = field(default_factory=list)
    """The tops of this side's counted reps, in the exercise's signal."""
    last_rep: tuple[float, float, float] | None = None
    """(start, end, range) of this side's last counted rep: the other side's echo falls inside it."""
    awaiting_rest: bool = False
    """Counting began inside the way into the position: the rest is where the signal first settles."""
    hidden_at_rest: bool = False
    """The leg was out of sight at rest and came into view on its way up (``Legs.rest_from_other_leg``)."""
    unseen_since: float | None = None
    """Since when the signal has not been read (the leg out of sight), None while it is."""
    opening: Opening = field(default_factory=Opening)
    """Until the first rep starts, the channel watches for a rep already under way when it began."""

    def reset(self) -> None:
        self.opening = Opening()
        self.awaiting_rest = self.hidden_at_rest = False
        self.unseen_since = None
        self.phase = Phase.REST
        self.rest = math.nan
        self.rest_since = None
        self.rest_settled = self.rest_held = False
        self.still_level = math.nan
        self.peak = math.nan
        self.unseen_s = 0.0
        self.top = Top()
        self.despiker.reset()
        self.smoother.reset()
        self.side_filters.clear()
        self.side_rests.clear()


@dataclass(frozen=True)
class RepDraft:
    """A finished movement, before it is counted or rejected."""

    channel: Channel
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
    top_unseen: bool = False
    """An opening already coming down when counting began: its range is only a lower bound, so it is
    never judged partial (it started a rep's range above where the leg then rests)."""
    cut_at_top: bool = False
    """Still at its top when the stream ended: how long it would have taken is unknown."""
    end_on: float = math.nan
    """The camera's view of the body at the peak (see ``AtPeak.end_on``)."""
    along_body: bool = False
    """The camera looked along the body at the peak (see ``AtPeak.along_body``)."""


REJECTION_WARNINGS: dict[Rejection, tuple[str, str]] = {
    Rejection.PARTIAL_RANGE: (WarningCode.PARTIAL_RANGE, "That one was short of your full range: go all the way."),
    Rejection.TOO_FAST: (WarningCode.TOO_FAST, "Slow down: move with control."),
    Rejection.HOLD_TOO_SHORT: (WarningCode.HOLD_BROKEN_EARLY, "Hold the top position for the full count."),
}
