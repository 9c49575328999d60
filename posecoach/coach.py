"""The coach: the session plan as a pure state machine, and the setup check.

:class:`Coach` is the plan of a session (get-ready countdown, sets, reps or holds per set and side,
rest countdown, switch-side prompts, key commands). Stream time in, prompts and ``SetCompleted``
events out; no clock reads, no I/O, so it is tested without a camera. Every prompt goes through
its :class:`~posecoach.messages.MessageBoard`: the window shows what the board shows, the voice
says what the board lets through.
:func:`check_setup` says what to change before counting (body out of frame, front view for floor
work, too dark).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from posecoach.events import (
    Event,
    FormWarning,
    HoldEnded,
    HoldStarted,
    PoseLost,
    RepCompleted,
    RepRejected,
    SetCompleted,
)
from posecoach.exercises.definition import Exercise, SideMode, Target, View
from posecoach.landmarks import Landmark, PoseFrame, Side
from posecoach.messages import Kind, Message, MessageBoard, countdown_number

NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty")


def spoken_number(n: int) -> str:
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else str(n)


class Command(StrEnum):
    PAUSE = "pause"
    RESET = "reset"
    SWITCH = "switch"
    NEXT = "next"
    QUIT = "quit"
    MUTE = "mute"


class Stage(StrEnum):
    SETUP = "setup"
    GET_READY = "get-ready"
    ACTIVE = "active"
    REST = "rest"
    DONE = "done"


@dataclass(frozen=True)
class Plan:
    """What the session asks for. ``target`` is reps per set (per side when ``sides`` has two),
    or completed holds per set for hold exercises."""

    sets: int
    target: int
    hold_s: float
    rest_s: float
    sides: tuple[str, ...]
    counts_holds: bool = False
    get_ready_s: float = 5.0

    @classmethod
    def for_exercise(cls, exercise: Exercise, side: str = "auto", *, sets: int | None = None,
                     reps: int | None = None, rest_s: float | None = None, get_ready_s: float = 5.0) -> Plan:
        """Defaults from the exercise's seed program; ``exercise`` already carries any hold override."""
        program = exercise.program
        if exercise.sides is SideMode.EACH:
            sides = ("left", "right") if side in (None, "auto") else (Side(side).value,)
        else:
            sides = ("both",)
        return cls(sets=sets or program.sets, target=reps or program.reps, hold_s=exercise.hold_target_s,
                   rest_s=float(program.rest_s if rest_s is None else rest_s), sides=sides,
                   counts_holds=exercise.rep is None, get_ready_s=get_ready_s)

    @property
    def prescription(self) -> Target:
        """What this plan asks for, as stored with the session in the history."""
        return Target(self.sets, self.target, self.hold_s, len(self.sides) > 1)

    @property
    def unit(self) -> str:
        return "holds" if self.counts_holds else "reps"


@dataclass(frozen=True)
class CoachState:
    """What the overlay shows about the plan; a copy, so drawing can't change the coach."""

    stage: Stage
    set_index: int
    sets: int
    target: int
    done: tuple[tuple[str, int], ...]
    current_side: str | None
    paused: bool
    muted: bool
    countdown_s: float
    banner: Message | None
    """The one message on screen now (see :class:`~posecoach.messages.MessageBoard`)."""
    unit: str
    hold_s: float

    def count(self, side: str) -> int:
        return dict(self.done).get(side, 0)


@dataclass
class CoachStep:
    says: list[Message] = field(default_factory=list)
    """What to say now, in order (for ``stage``/``setup`` kinds, also the console when headless)."""
    events: list[SetCompleted] = field(default_factory=list)

    def __add__(self, other: CoachStep) -> CoachStep:
        return CoachStep(self.says + other.says, self.events + other.events)


SETUP_STABLE_S = 1.0
"""The setup must look right this long before the get-ready countdown starts."""
HINT_REPEAT_S = 8.0
CUE_REPEAT_S = 10.0
"""The same form cue or setup hint is said at most this often."""
GO_SHOWN_S = 1.0
""""Go" is a cue to start, not an instruction to read: it leaves after a second."""
SWITCH_SHOWN_S = 3.0
"""Long enough to read from the mat and roll over."""


class Coach:
    """Sets, reps, holds, rest and countdowns; driven by stream time, never by a clock.

    Reps the engine counts outside a set (during setup, the countdown or rest) start the set
    early instead of being lost, so what the coach shows always adds up to the summary.
    """

    def __init__(self, plan: Plan, *, skip_setup: bool = False) -> None:
        self.plan = plan
        self.stage = Stage.SETUP
        self.set_index = 1
        self.done = dict.fromkeys(plan.sides, 0)
        self.current_side: str | None = plan.sides[0] if len(plan.sides) == 1 and plan.sides[0] != "both" else None
        self.paused = False
        self.muted = False
        self.quit_requested = False
        self.board = MessageBoard()
        self._skip_setup = skip_setup
        self._t = 0.0
        self._until = 0.0
        self._paused_at: float | None = None
        self._ok_since: float | None = None
        self._last_countdown: int | None = None
        self._last_hold_count: int | None = None
        self._restarted_at: float | None = None
        """When a hold last ended uncounted as the way into a deeper one: its restart is no new hold."""
        self._switch_prompted = False
        self._out = CoachStep()

    # ------------------------------------------------------------------ helpers
    def _say(self, text: str, kind: Kind, key: str | None = None, *, shown: bool = True, spoken: bool = True,
             lifetime_s: float | None = None, repeat_s: float = 0.0) -> None:
        said = self.board.post(Message.of(text, kind, self._t, key=key, lifetime_s=lifetime_s, shown=shown,
                                          spoken=spoken, repeat_s=repeat_s))
        if said is not None:
            self._out.says.append(said)

    def notify(self, text: str, t: float, *, key: str, repeat_s: float) -> CoachStep:
        """An alert from outside the plan (the loop is too slow to count): shown, and said every ``repeat_s``."""
        self._t = t
        self._say(text, Kind.ALERT, key, repeat_s=repeat_s)
        return self._take()

    def _take(self) -> CoachStep:
        out, self._out = self._out, CoachStep()
        return out

    def _side_key(self, side: Side | None) -> str | None:
        if self.plan.sides == ("both",):
            return "both"
        return side.value if side is not None and side.value in self.done else None

    def _other_side(self, key: str) -> str | None:
        others = [s for s in self.plan.sides if s != key]
        return others[0] if others else None

    # ------------------------------------------------------------------ stage changes
    def _start_countdown(self, stage: Stage, seconds: float) -> None:
        self.stage = stage
        self._until = self._t + seconds
        self._last_countdown = None

    def _begin_set(self) -> None:
        self.stage = Stage.ACTIVE
        self._switch_prompted = False
        self._last_countdown = None
        text = "Go" if self.set_index == 1 else f"Set {self.set_index}, go"
        self._say(text, Kind.STAGE, lifetime_s=GO_SHOWN_S)

    def _complete_set(self) -> None:
        done = self.done
        self._out.events.append(SetCompleted(self._t, self.set_index, sum(done.values()), done.get("left", 0),
                                             done.get("right", 0)))
        if self.set_index >= self.plan.sets:
            self.stage = Stage.DONE  # the screen says "ALL SETS DONE, q to finish" for as long as it lasts
            self._say("Well done: all sets complete", Kind.STAGE)
            return
        finished = self.set_index
        self.set_index += 1
        self.done = dict.fromkeys(self.plan.sides, 0)
        if len(self.plan.sides) > 1:
            self.current_side = None
        self._start_countdown(Stage.REST, self.plan.rest_s)
        # said, not shown: beside the REST band's countdown its "Rest 4 seconds" read as a second clock
        self._say(f"Set {finished} done. Rest {self.plan.rest_s:.0f} seconds", Kind.STAGE, shown=False)

    def _count(self, key: str | None) -> None:
        if key is None:
            return
        if self.stage in (Stage.SETUP, Stage.GET_READY, Stage.REST):
            self._begin_set()
        self.done[key] += 1
        self.board.clear("rejected")  # "Not counted" is about the movement before this one
        self._say(spoken_number(self.done[key]), Kind.COUNT, shown=False)  # the counter shows it
        if key != "both":
            self.current_side = key
        target = self.plan.target
        if self.stage is Stage.ACTIVE and all(n >= target for n in self.done.values()):
            self._complete_set()
            return
        other = self._other_side(key)
        if other and self.done[key] >= target and self.done[other] < target and not self._switch_prompted:
            self._switch_prompted = True
            self.current_side = other
            self._say("Switch sides", Kind.STAGE, lifetime_s=SWITCH_SHOWN_S)

    # ------------------------------------------------------------------ inputs
    def tick(self, t: float, setup_hint: str | None = None, hold: tuple[float, float] | None = None) -> CoachStep:
        """Advance to stream time ``t``. ``setup_hint`` is None when the setup looks right;
        ``hold`` is (elapsed, target) seconds of a hold in progress."""
        self._t = t
        if self.paused:
            return self._take()
        if self.stage is Stage.SETUP:
            self._tick_setup(setup_hint)
            return self._take()
        if setup_hint is None:
            self.board.clear("setup")
        else:  # shown under "I CAN'T SEE YOU"; the voice already said that
            self._say(setup_hint, Kind.SETUP, spoken=False)
        if self.stage in (Stage.GET_READY, Stage.REST):
            remaining = self._until - t
            whole = countdown_number(remaining)
            if 1 <= whole <= 3 and whole != self._last_countdown:
                self._last_countdown = whole
                self._say(spoken_number(whole), Kind.COUNTDOWN, shown=False)  # the screen shows the number
            if remaining <= 0:
                self._begin_set()
        if self.stage in (Stage.ACTIVE, Stage.DONE):
            self._tick_hold(hold)
        return self._take()

    def _tick_setup(self, setup_hint: str | None) -> None:
        if self._skip_setup:
            setup_hint = None
        if setup_hint is not None:
            self._ok_since = None
            self._say(setup_hint, Kind.SETUP, repeat_s=HINT_REPEAT_S)
            return
        if self._ok_since is None:
            self._ok_since = self._t
            self._say("Looks good: hold still", Kind.SETUP, spoken=False)
        if self._skip_setup or self._t - self._ok_since >= SETUP_STABLE_S:
            self._start_countdown(Stage.GET_READY, self.plan.get_ready_s)
            self.board.clear("setup")
            self._say(f"Get ready: {self.plan.target} {self.plan.unit}"
                      + (" on each side" if len(self.plan.sides) > 1 else ""), Kind.STAGE,
                      lifetime_s=max(self.plan.get_ready_s, 2.0))
            if self.plan.get_ready_s <= 0:
                self._begin_set()

    def _tick_hold(self, hold: tuple[float, float] | None) -> None:
        if hold is None or hold[1] <= 0 or hold[0] <= 0:
            self._last_hold_count = None
            return
        whole = countdown_number(hold[1] - hold[0])
        if 1 <= whole <= 3 and whole != self._last_hold_count:
            self._last_hold_count = whole
            self._say(spoken_number(whole), Kind.COUNTDOWN, "hold-countdown", shown=False)  # the ring shows it

    def observe(self, events: Iterable[Event], t: float) -> CoachStep:
        """Take the engine's events at stream time ``t``."""
        self._t = t
        for event in events:
            key = self._side_key(getattr(event, "side", None))
            if isinstance(event, RepCompleted) and not self.plan.counts_holds:
                self._count(key)
            elif isinstance(event, HoldStarted):
                if self.stage in (Stage.SETUP, Stage.GET_READY, Stage.REST):
                    self._begin_set()  # one countdown on screen: the hold's, not a get-ready beside it
                if event.t_s != self._restarted_at:
                    self._say("Hold", Kind.STAGE, "hold")
            elif isinstance(event, HoldEnded):
                if not event.counted:
                    # The way into a stretch taken deeper (restarted at once, at the same time), or a
                    # top both legs held: nothing held to report.
                    self._restarted_at = event.t_s
                elif event.completed:
                    self._say("done", Kind.DONE, "hold", shown=False)  # the ring reads OK
                    if self.plan.counts_holds:
                        self._count(key)
                elif self.plan.counts_holds:
                    self._say(f"{event.held_s:.0f} of {event.target_s:.0f} seconds", Kind.NOTICE, "hold")
            elif isinstance(event, FormWarning):
                self._say(event.message, Kind.CUE, f"cue:{event.code}", repeat_s=CUE_REPEAT_S)
            elif isinstance(event, PoseLost):
                self._say("I can't see you", Kind.CUE, "lost", shown=False, repeat_s=CUE_REPEAT_S)
            elif isinstance(event, RepRejected):
                self._say(f"Not counted: {event.reason}", Kind.NOTICE, "rejected", spoken=False)
        return self._take()

    def command(self, command: Command, t: float) -> CoachStep:
        """A key press at stream time ``t``."""
        self._t = t
        if command is Command.PAUSE:
            self._toggle_pause(t)
        elif command is Command.RESET:
            self.done = dict.fromkeys(self.plan.sides, 0)
            self._switch_prompted = False
            self._say(f"Set {self.set_index} restarted", Kind.STAGE)
        elif command is Command.SWITCH:
            self._switch()
        elif command is Command.NEXT:
            if self.stage in (Stage.SETUP, Stage.GET_READY, Stage.REST):
                self._begin_set()
            elif self.stage is Stage.ACTIVE:
                self._complete_set()
        elif command is Command.QUIT:
            self.quit_requested = True
        elif command is Command.MUTE:
            self.muted = not self.muted
            self._say("Muted" if self.muted else "Sound on", Kind.NOTICE, "sound", spoken=False)
        return self._take()

    def _toggle_pause(self, t: float) -> None:
        if not self.paused:
            self.paused, self._paused_at = True, t
            self._say("Paused", Kind.STAGE, shown=False)  # the screen says PAUSED as long as it lasts
            return
        self.paused = False
        if self._paused_at is not None:
            self._until += t - self._paused_at
            if self._ok_since is not None:
                self._ok_since += t - self._paused_at
        self._paused_at = None
        self._say("Go on", Kind.STAGE, lifetime_s=GO_SHOWN_S)

    def _switch(self) -> None:
        if len(self.plan.sides) < 2:
            only = self.plan.sides[0]
            self._say("This exercise works both sides together" if only == "both"
                      else f"Counting only the {only} side (chosen with --side)", Kind.NOTICE, spoken=False)
            return
        current = self.current_side
        self.current_side = self.plan.sides[1] if current == self.plan.sides[0] else self.plan.sides[0]
        self._switch_prompted = True
        self._say(f"Switch sides: now your {self.current_side} side", Kind.STAGE, lifetime_s=SWITCH_SHOWN_S)

    @property
    def state(self) -> CoachState:
        now = self._paused_at if self.paused and self._paused_at is not None else self._t
        countdown = max(0.0, self._until - now) if self.stage in (Stage.GET_READY, Stage.REST) else 0.0
        return CoachState(self.stage, self.set_index, self.plan.sets, self.plan.target, tuple(self.done.items()),
                          self.current_side, self.paused, self.muted, countdown, self.board.showing(now),
                          self.plan.unit, self.plan.hold_s)


# ------------------------------------------------------------------ setup check

DARK_BRIGHTNESS = 45.0
"""Mean grey level (0-255) below which the model starts missing limbs."""
SIDE_VIEW_MAX_RATIO = 0.6
"""Shoulder width / torso length above this is not a side view."""
OBLIQUE_VIEW_MAX_RATIO = 0.9
"""... and above this not an oblique one either: a front (or feet-first) view."""
BODY_PARTS: tuple[tuple[str, tuple[Landmark, ...]], ...] = (
    ("head", (Landmark.NOSE, Landmark.LEFT_EAR, Landmark.RIGHT_EAR)),
    ("shoulders", (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER)),
    ("hips", (Landmark.LEFT_HIP, Landmark.RIGHT_HIP)),
    ("knees", (Landmark.LEFT_KNEE, Landmark.RIGHT_KNEE)),
    ("ankles", (Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE)),
)


@dataclass(frozen=True)
class SetupCheck:
    ok: bool
    hint: str | None
    brightness: float


def _in_frame(pose: PoseFrame, landmark: Landmark) -> bool:
    x, y = pose.xyzv[landmark, 0], pose.xyzv[landmark, 1]
    width, height = pose.image_size
    if not (math.isfinite(x) and math.isfinite(y)):
        return False
    return (0 <= x <= width and 0 <= y <= height) if width and height else True


def check_setup(pose: PoseFrame | None, brightness: float, exercise: Exercise) -> SetupCheck:
    """What to change before counting, in the words a person would use; ``hint`` None when all is well."""
    if brightness < DARK_BRIGHTNESS:
        return SetupCheck(False, "It's too dark for me: turn on a light or face a window", brightness)
    if pose is None:
        return SetupCheck(False, "Get into the picture: I can't see you yet", brightness)
    missing = [name for name, landmarks in BODY_PARTS if not any(_in_frame(pose, lm) for lm in landmarks)]
    if missing:
        listed = missing[0] if len(missing) == 1 else ", ".join(missing[:-1]) + " and " + missing[-1]
        return SetupCheck(False, f"Move the camera further back: I can't see your {listed}", brightness)
    if View.FRONT not in exercise.views:
        xy = pose.xyzv[:, :2]
        shoulders = float(np.linalg.norm(xy[Landmark.LEFT_SHOULDER] - xy[Landmark.RIGHT_SHOULDER]))
        torso = float(np.linalg.norm((xy[Landmark.LEFT_SHOULDER] + xy[Landmark.RIGHT_SHOULDER]) / 2
                                     - (xy[Landmark.LEFT_HIP] + xy[Landmark.RIGHT_HIP]) / 2))
        limit = OBLIQUE_VIEW_MAX_RATIO if View.OBLIQUE in exercise.views else SIDE_VIEW_MAX_RATIO
        if math.isfinite(shoulders) and torso > 0 and shoulders / torso > limit:
            return SetupCheck(False, "Turn side-on to the camera: put it beside your mat, level with your hips",
                              brightness)
    return SetupCheck(True, None, brightness)
