"""The engine: one pure state machine that interprets any :class:`Exercise` definition.

``ExerciseEngine.update(pose | None, t)`` takes one pose frame (or None when nobody is visible)
with its stream time and returns the events it caused. No clock reads, no I/O, no OpenCV: the same
engine runs live, offline and in tests driven by synthetic trajectories.

The engine is where the exercise's parts meet, each a module a reader can hold in their head:
:mod:`~posecoach.exercises.posture` (the position gate), :mod:`~posecoach.exercises.reps` (the rep
machine), :mod:`~posecoach.exercises.holds` (timed positions, from settling to leaving),
:mod:`~posecoach.exercises.form` (form rules against the person's own baseline and usual movement)
and :mod:`~posecoach.exercises.diagnostics` (what was seen, for notes when little counted). The
engine itself follows visibility and the position, and routes each frame to the parts.
"""

from __future__ import annotations

import math

from posecoach.events import EngineSnapshot, Event, FormWarning, Phase, PoseFound, PoseLost
from posecoach.exercises.definition import Exercise, SideMode
from posecoach.exercises.diagnostics import Diagnostics
from posecoach.exercises.form import FormJudge
from posecoach.exercises.holds import HoldTimer
from posecoach.exercises.posture import PostureChange, PostureGate
from posecoach.exercises.reps import RepCounter
from posecoach.features import Features, compute_features, looks_along_body
from posecoach.landmarks import PoseFrame, Side

LOST_RESET_S = 1.0
"""After this long without a usable pose, a rep in progress is abandoned (never counted from garbage)."""
LOST_MID_REP_S = 4.0
"""...unless a rep is under way: a body folding into a knee hug is lost by the model at the rep's top and
found again on the way down, and the rep resumes if the person is back within this long."""
LOST_HOLD_END_S = 10.0
"""A hold paused by a lost pose ends if nobody is seen for this long."""
OPENING_SEEN_S = 0.5
"""A rep already under way when the position began is credited (``RepCounter`` 's opening rep) only
when the person came into view about then, as a recording that starts mid-rep does: someone seen
for longer before was getting into the position, and that movement is no rep. Every opening rep
credited on the real and rendered clips began counting in the first frame seen; half a second is
well past the posture gate's smoothing, and seen that long on all fours, a person is getting into
the plank."""
MAX_FRAME_GAP_S = 0.5
"""A longer gap between frames is treated as lost frames, not as time spent in position."""


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
        self._sides = sides
        self.diagnostics = Diagnostics()
        self._posture = PostureGate(exercise.posture, self.diagnostics)
        self._form = FormJudge(exercise, self.diagnostics)
        self._reps = RepCounter(exercise.rep, sides, self._form, self.diagnostics) if exercise.rep is not None else None
        self._holds = HoldTimer(exercise.hold, sides, self.diagnostics, target_prescribed=hold_target_prescribed,
                                on_holding=self._form.remember_baseline, on_end=self._form.drop_pending) \
            if exercise.hold is not None else None
        self._visible = False
        self._lost_since: float | None = None
        self._last_t: float | None = None
        self._last_seen_t: float | None = None
        self._seen_since = 0.0
        self._counting = False
        """The last frame with a pose: a few frames the model missed in between are still time spent
        in position (a flickering detection must not halve a hold)."""
        self._features: Features = {}
        self._last_warning: FormWarning | None = None
        self._t = 0.0

    # ------------------------------------------------------------------ public API
    def update(self, pose: PoseFrame | None, t: float) -> list[Event]:
        """Feed one frame (``None``: nobody visible) at stream time ``t``; returns new events."""
        return self.update_features(None if pose is None else compute_features(pose), t)

    def update_features(self, features: Features | None, t: float) -> list[Event]:
        """:meth:`update` from the frame's features, computed once where several engines judge the
        same recording (recognition runs a dozen)."""
        if not math.isfinite(t) or (self._last_t is not None and not t > self._last_t):
            return []
        gap = 0.0 if self._last_t is None else t - self._last_t
        self._last_t = t
        self._t = t
        events: list[Event] = []
        if features is None or gap > MAX_FRAME_GAP_S:
            events += self._lose_pose(t)
            if features is None:
                return events
        if not self._visible:
            self._visible = True
            self._lost_since = None
            self._seen_since = t
            events.append(PoseFound(t))
        since_seen = gap if self._last_seen_t is None else t - self._last_seen_t
        if since_seen > MAX_FRAME_GAP_S and self._reps is not None and self._last_seen_t is not None:
            self._reps.unseen_between(self._last_seen_t, t)
        self._last_seen_t = t
        self._features = features
        self.diagnostics.frames_with_pose += 1
        self.diagnostics.end_on_frames += looks_along_body(features)
        events += self._update_posture(features, t)
        if self._holds is not None:
            self._holds.motion.update(features, t)
        self.diagnostics.frames_in_position += self._posture.in_position
        counting = self._posture.in_position or self._posture.settling
        if counting and not self._counting and self._reps is not None and t - self._seen_since > OPENING_SEEN_S:
            self._reps.forgo_openings()
        self._counting = counting
        if counting:
            dt = since_seen if since_seen <= MAX_FRAME_GAP_S else min(gap, MAX_FRAME_GAP_S)
            if self._reps is not None:
                events += self._reps.step(features, t, dt, self._posture.in_position)
            if self._holds is not None:
                events += self._holds.step(features, t, dt, self._posture.in_position)
            channels = self._reps.rep_numbers() if self._reps else [(side, None) for side in self._sides]
            events += self._form.check(features, t, self._working_phase(), channels,
                                       self._holds.started if self._holds else 0)
        if self._holds is None or not self._holds.lapsing_by_fault:
            # A sag warned inside a lapse is said once the hold is back: lying down ends it unsaid.
            events += self._form.release(t)
        return self._noted(events)

    def _noted(self, events: list[Event]) -> list[Event]:
        """The last warning, for displays (a hold's warning may come out a second after it fired)."""
        for event in events:
            if isinstance(event, FormWarning):
                self._last_warning = event
        return events

    def finish(self, t: float | None = None) -> list[Event]:
        """End of stream: close open holds (a rep in progress is not counted)."""
        end = self._t if t is None else t
        events: list[Event] = []
        if self._holds is not None:
            events += self._holds.end_all(end, stream_ended=True)
        if self._reps is not None:
            events += self._reps.finish(end)
        # A hold's fault in the recording's last second is as likely the person getting down as the
        # recording catching a fault: only the ones the hold outlasted by ``HOLD_EXIT_S`` are said.
        events += self._form.release(end)
        return self._noted(events)

    def snapshot(self) -> EngineSnapshot:
        """What the engine knows right now, for displays: counts, phase, the hold under way."""
        channels = self._reps.channels if self._reps else []
        counts = {s: 0 for s in Side}
        total = 0
        for channel in channels:
            total += channel.count
            if channel.side is not None:
                counts[channel.side] += channel.count
        hold_side, elapsed = None, 0.0
        for hold in self._holds.holds if self._holds else ():
            if hold.started_t is not None:
                hold_side, elapsed = hold.side, hold.held_s
        for channel in channels:
            if channel.top.started_t is not None:
                hold_side, elapsed = channel.side, channel.top.held_s
        target = self.exercise.hold.target_s if self.exercise.hold else (
            self.exercise.rep.hold_s if self.exercise.rep else 0.0)
        phases = [c.phase for c in channels]
        phase = Phase.OUT_OF_POSITION if not self._posture.in_position else (
            Phase.WORK if Phase.WORK in phases else Phase.REST)
        signal = {(c.side.value if c.side else "both"): c.value for c in channels}
        return EngineSnapshot(self._t, self._visible, self._posture.in_position, phase, total,
                              counts[Side.LEFT], counts[Side.RIGHT], signal, hold_side, elapsed,
                              target, self._last_warning)

    @property
    def in_position(self) -> bool:
        """In the exercise's position (settled), so counting can happen."""
        return self._posture.in_position

    @property
    def features(self) -> Features:
        """Features of the latest frame with a pose (for overlays and traces)."""
        return self._features

    def signal_value(self) -> float:
        """The tracked signal of the most active channel, for plots; NaN when unknown."""
        values = [c.value for c in self._reps.channels if math.isfinite(c.value)] if self._reps else []
        return max(values) if values else math.nan

    # ------------------------------------------------------------------ visibility and posture
    def _lose_pose(self, t: float) -> list[Event]:
        events: list[Event] = []
        if self._visible:
            self._visible = False
            self._lost_since = t
            events.append(PoseLost(t))
            if self._holds is not None and self._last_seen_t is not None:
                self._holds.lost_from_view(self._last_seen_t)
        if self._lost_since is None:
            return events
        lost_for = t - self._lost_since
        mid_rep = self._reps is not None and self._reps.working and lost_for < LOST_MID_REP_S
        if lost_for >= LOST_RESET_S and self._posture.in_position and not mid_rep:
            events += self._leave_position(t, keep_holds=True)
        if lost_for >= LOST_HOLD_END_S and self._holds is not None:
            events += self._holds.end_all(t)
        return events

    def _update_posture(self, features: Features, t: float) -> list[Event]:
        change = self._posture.update(features, t)
        if self._posture.in_position and not self._posture.holds_now:
            # Leaving the posture inside a movement (sitting up to get up curls the trunk like a back
            # lifting off the floor): that movement was getting out, and its faults are not said.
            self._form.forget_unfinished()
        if change is PostureChange.GLIMPSE_ENDED:
            return self._forget_unsettled_start(t)
        if change is PostureChange.LEFT:
            return self._leave_position(t)
        return []

    def _forget_unsettled_start(self, t: float) -> list[Event]:
        """The position was only glimpsed (a title card, a person passing): forget what it started.

        Channels and holds run from the first frame in position so a set that starts at once is
        counted from its first rep; if the position does not last ``settle_s``, nothing of it stays
        (a hold already announced is still closed, so every start has its end).
        """
        events: list[Event] = self._reps.abandon(t) if self._reps else []
        if self._holds is not None:
            events += self._holds.end_all(t)
        return events

    def _leave_position(self, t: float, *, keep_holds: bool = False) -> list[Event]:
        """Out of position: abandon reps in progress; end holds unless the person only vanished
        from view (a hold pauses while nobody is visible, and resumes if they come back holding)."""
        events: list[Event] = []
        self._posture.leave()
        if self._holds is not None and not keep_holds:
            events += self._holds.end_all(t)
        if self._reps is not None:
            events += self._reps.abandon(t)
        self._form.forget_timers()
        return events

    def _working_phase(self) -> bool:
        if self._reps is not None:
            return self._reps.working
        return self._holds is not None and self._holds.holding(self._t)
