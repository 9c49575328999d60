"""The live loop: camera → newest frame → pose → :class:`AnalysisSession` → coach → sinks.

Each stage is its own piece so it can be tested without a camera:

* :class:`FrameGrabber` runs capture on its own thread and keeps only the newest frame, so a slow
  pose stage drops stale frames instead of building a backlog (the display never lags reality).
  Timestamps come from an injectable clock at capture time. A file can stand in for a camera,
  paced in real time, or be read as fast as possible with every frame and the file's timestamps
  — then the counts are exactly those of ``posecoach analyze``, because both feed the same
  :class:`~posecoach.analysis.AnalysisSession`.
* :class:`Coach` is the session plan (get-ready countdown, sets, reps or holds per set and side,
  rest countdown, switch-side prompts, key commands). It is a pure state machine: stream time in,
  prompts and ``SetCompleted`` events out, no clock reads.
* :func:`check_setup` says what to change before counting (body out of frame, front view for floor
  work, too dark).
* :class:`LiveSession` wires them and the sinks (window, voice, console, history, video recorder)
  and always flushes the sinks in ``finally``: Ctrl-C, SIGTERM, ``q``, closing the window or a
  camera that stops mid-session all end with the summary kept.
"""

from __future__ import annotations

import contextlib
import math
import os
import select
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

import cv2
import numpy as np

from posecoach.analysis import AnalysisSession
from posecoach.errors import HistoryError, OutputError, PoseCoachError, SourceError
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
from posecoach.exercises import EngineSnapshot, Exercise, SideMode, View
from posecoach.landmarks import Landmark, Side
from posecoach.pose import PoseFrame
from posecoach.sources import Frame, FrameSource, frame_brightness, open_source
from posecoach.summary import SessionSummary

Clock = Callable[[], float]
Sleep = Callable[[float], None]

NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty")


def spoken_number(n: int) -> str:
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else str(n)


# ============================================================================ the coach (pure)


class Command(StrEnum):
    PAUSE = "pause"
    RESET = "reset"
    SWITCH = "switch"
    NEXT = "next"
    QUIT = "quit"
    MUTE = "mute"


KEY_COMMANDS: dict[int, Command] = {
    ord(" "): Command.PAUSE, ord("r"): Command.RESET, ord("s"): Command.SWITCH, ord("n"): Command.NEXT,
    ord("q"): Command.QUIT, 27: Command.QUIT, ord("m"): Command.MUTE,
}
"""Space pause/resume, r reset the set, s switch side, n next set, q or Esc quit, m mute."""


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
        hold_s = exercise.hold.target_s if exercise.hold else (exercise.rep.hold_s if exercise.rep else 0.0)
        return cls(sets=sets or program.sets, target=reps or program.reps, hold_s=float(hold_s),
                   rest_s=float(program.rest_s if rest_s is None else rest_s), sides=sides,
                   counts_holds=exercise.rep is None, get_ready_s=get_ready_s)

    @property
    def unit(self) -> str:
        return "holds" if self.counts_holds else "reps"


@dataclass(frozen=True)
class Say:
    """A prompt for the voice (and, for ``stage``/``setup`` kinds, the console when headless)."""

    text: str
    kind: str
    """``count``, ``countdown``, ``done``, ``stage``, ``cue`` or ``setup``: picks the tone fallback too."""
    key: str
    priority: int = 1


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
    message: str
    unit: str
    hold_s: float

    def count(self, side: str) -> int:
        return dict(self.done).get(side, 0)


@dataclass
class CoachStep:
    says: list[Say] = field(default_factory=list)
    events: list[SetCompleted] = field(default_factory=list)

    def __add__(self, other: CoachStep) -> CoachStep:
        return CoachStep(self.says + other.says, self.events + other.events)


SETUP_STABLE_S = 1.0
"""The setup must look right this long before the get-ready countdown starts."""
HINT_REPEAT_S = 8.0
CUE_REPEAT_S = 10.0
"""The same form cue or setup hint is said at most this often."""


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
        self.message = ""
        self.quit_requested = False
        self._skip_setup = skip_setup
        self._t = 0.0
        self._until = 0.0
        self._paused_at: float | None = None
        self._ok_since: float | None = None
        self._last_countdown: int | None = None
        self._last_hold_count: int | None = None
        self._switch_prompted = False
        self._last_prompt: dict[str, tuple[str, float]] = {}
        self._out = CoachStep()

    # ------------------------------------------------------------------ helpers
    def _say(self, text: str, kind: str, key: str | None = None, priority: int = 1, *, show: bool = False,
             repeat_s: float = 0.0) -> None:
        key = key or kind
        previous = self._last_prompt.get(key)
        if repeat_s and previous is not None and previous[0] == text and self._t - previous[1] < repeat_s:
            return
        self._last_prompt[key] = (text, self._t)
        self._out.says.append(Say(text, kind, key, priority))
        if show:
            self.message = text

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
        self._say(text, "stage", priority=2, show=True)

    def _complete_set(self) -> None:
        done = self.done
        self._out.events.append(SetCompleted(self._t, self.set_index, sum(done.values()), done.get("left", 0),
                                             done.get("right", 0)))
        if self.set_index >= self.plan.sets:
            self.stage = Stage.DONE
            self._say("Well done: all sets complete", "stage", priority=2)
            self.message = "All sets done: press q to finish"
            return
        finished = self.set_index
        self.set_index += 1
        self.done = dict.fromkeys(self.plan.sides, 0)
        if len(self.plan.sides) > 1:
            self.current_side = None
        self._start_countdown(Stage.REST, self.plan.rest_s)
        self._say(f"Set {finished} done. Rest {self.plan.rest_s:.0f} seconds", "stage", priority=2, show=True)

    def _count(self, key: str | None) -> None:
        if key is None:
            return
        if self.stage in (Stage.SETUP, Stage.GET_READY, Stage.REST):
            self._begin_set()
        self.done[key] += 1
        self._say(spoken_number(self.done[key]), "count", "count", priority=3)
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
            self._say("Switch sides", "stage", priority=2, show=True)

    # ------------------------------------------------------------------ inputs
    def tick(self, t: float, setup_hint: str | None = None, hold: tuple[float, float] | None = None) -> CoachStep:
        """Advance to stream time ``t``. ``setup_hint`` is None when the setup looks right;
        ``hold`` is (elapsed, target) seconds of a hold in progress."""
        self._t = t
        if self.paused:
            return self._take()
        if self.stage is Stage.SETUP:
            self._tick_setup(setup_hint)
        elif self.stage in (Stage.GET_READY, Stage.REST):
            remaining = self._until - t
            whole = math.ceil(remaining)
            if 1 <= whole <= 3 and whole != self._last_countdown:
                self._last_countdown = whole
                self._say(spoken_number(whole), "countdown", "countdown", priority=3)
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
            self._say(setup_hint, "setup", "setup", show=True, repeat_s=HINT_REPEAT_S)
            return
        if self._ok_since is None:
            self._ok_since = self._t
        if self._skip_setup or self._t - self._ok_since >= SETUP_STABLE_S:
            self._start_countdown(Stage.GET_READY, self.plan.get_ready_s)
            self._say(f"Get ready: {self.plan.target} {self.plan.unit}"
                      + (" on each side" if len(self.plan.sides) > 1 else ""), "stage", priority=2, show=True)
            if self.plan.get_ready_s <= 0:
                self._begin_set()

    def _tick_hold(self, hold: tuple[float, float] | None) -> None:
        if hold is None or hold[1] <= 0 or hold[0] <= 0:
            self._last_hold_count = None
            return
        whole = math.ceil(hold[1] - hold[0])
        if 1 <= whole <= 3 and whole != self._last_hold_count:
            self._last_hold_count = whole
            self._say(spoken_number(whole), "countdown", "hold-countdown", priority=3)

    def observe(self, events: Iterable[Event], t: float) -> CoachStep:
        """Take the engine's events at stream time ``t``."""
        self._t = t
        for event in events:
            key = self._side_key(getattr(event, "side", None))
            if isinstance(event, RepCompleted) and not self.plan.counts_holds:
                self._count(key)
            elif isinstance(event, HoldStarted):
                self._say("Hold", "stage", "hold", priority=2)
            elif isinstance(event, HoldEnded):
                if event.completed:
                    self._say("done", "done", "hold", priority=3)
                    if self.plan.counts_holds:
                        self._count(key)
                elif self.plan.counts_holds:
                    self._say(f"{event.held_s:.0f} of {event.target_s:.0f} seconds", "cue", "hold", show=True)
            elif isinstance(event, FormWarning):
                self._say(event.message, "cue", f"cue:{event.code}", show=True, repeat_s=CUE_REPEAT_S)
            elif isinstance(event, PoseLost):
                self._say("I can't see you", "cue", "lost", repeat_s=CUE_REPEAT_S)
            elif isinstance(event, RepRejected):
                self.message = f"Not counted: {event.reason}"
        return self._take()

    def command(self, command: Command, t: float) -> CoachStep:
        """A key press at stream time ``t``."""
        self._t = t
        if command is Command.PAUSE:
            self._toggle_pause(t)
        elif command is Command.RESET:
            self.done = dict.fromkeys(self.plan.sides, 0)
            self._switch_prompted = False
            self._say(f"Set {self.set_index} restarted", "stage", priority=2, show=True)
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
            self.message = "Muted" if self.muted else "Sound on"
        return self._take()

    def _toggle_pause(self, t: float) -> None:
        if not self.paused:
            self.paused, self._paused_at = True, t
            self._say("Paused", "stage", priority=2, show=True)
            return
        self.paused = False
        if self._paused_at is not None:
            self._until += t - self._paused_at
            if self._ok_since is not None:
                self._ok_since += t - self._paused_at
        self._paused_at = None
        self._say("Go on", "stage", priority=2, show=True)

    def _switch(self) -> None:
        if len(self.plan.sides) < 2:
            only = self.plan.sides[0]
            self.message = ("This exercise works both sides together" if only == "both"
                            else f"Counting only the {only} side (chosen with --side)")
            return
        current = self.current_side
        self.current_side = self.plan.sides[1] if current == self.plan.sides[0] else self.plan.sides[0]
        self._switch_prompted = True
        self._say(f"Switch sides: now your {self.current_side} side", "stage", priority=2, show=True)

    @property
    def state(self) -> CoachState:
        now = self._paused_at if self.paused and self._paused_at is not None else self._t
        countdown = max(0.0, self._until - now) if self.stage in (Stage.GET_READY, Stage.REST) else 0.0
        return CoachState(self.stage, self.set_index, self.plan.sets, self.plan.target, tuple(self.done.items()),
                          self.current_side, self.paused, self.muted, countdown, self.message, self.plan.unit,
                          self.plan.hold_s)


def exercise_with_hold(exercise: Exercise, hold_s: float | None) -> Exercise:
    """The exercise with its hold target replaced (``--hold``); the engine then judges that target."""
    if hold_s is None:
        return exercise
    if exercise.hold is not None:
        return replace(exercise, hold=replace(exercise.hold, target_s=float(hold_s)))
    if exercise.rep is not None and exercise.rep.hold_s > 0:
        return replace(exercise, rep=replace(exercise.rep, hold_s=float(hold_s)))
    raise PoseCoachError(f"'{exercise.slug}' has no hold, so --hold does not apply; exercises with holds include "
                         "plank, side-plank and supine-knee-to-chest")


# ============================================================================ setup check (pure)

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


# ============================================================================ capture stage


class Pacing(StrEnum):
    LIVE = "live"
    """A camera or stream: the newest frame wins, timestamps from the capture clock."""
    REALTIME = "realtime"
    """A file played at its own speed and treated exactly like a camera."""
    FAST = "fast"
    """A file as fast as possible: every frame, the file's own timestamps (counts equal ``analyze``)."""


@dataclass(frozen=True)
class Captured:
    frame: Frame
    t_s: float
    """Stream time the engine sees: capture time since start, or the file's timestamp when FAST."""
    captured_at: float
    """The clock reading at capture, for measuring latency."""


class FrameGrabber:
    """Reads a source on its own thread; ``get`` hands out the newest frame (or every frame when FAST)."""

    FAST_QUEUE = 4

    def __init__(self, frames: Iterable[Frame], pacing: Pacing, *, clock: Clock = time.monotonic,
                 sleep: Sleep | None = None) -> None:
        self._frames = frames
        self.pacing = pacing
        self._clock = clock
        self._stop = threading.Event()
        self._sleep = sleep or (lambda seconds: self._stop.wait(seconds) and None)
        self._queue: deque[Captured] = deque()
        self._cv = threading.Condition()
        self._ended = False
        self.captured = 0
        self.dropped = 0
        self.error: str | None = None
        self._thread = threading.Thread(target=self._run, name="posecoach-capture", daemon=True)

    def start(self) -> FrameGrabber:
        self._thread.start()
        return self

    def _run(self) -> None:
        start = self._clock()
        last_t = -math.inf
        try:
            for frame in self._frames:
                if self._stop.is_set():
                    break
                if self.pacing is Pacing.REALTIME:
                    delay = start + frame.timestamp_s - self._clock()
                    if delay > 0:
                        self._sleep(delay)
                now = self._clock()
                t = frame.timestamp_s if self.pacing is Pacing.FAST else max(now - start, last_t + 1e-3)
                last_t = t
                self._put(Captured(frame, t, now))
        except Exception as exc:  # any failure of the device or decoder ends the session, reported, not lost
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            with self._cv:
                self._ended = True
                self._cv.notify_all()

    def _put(self, item: Captured) -> None:
        with self._cv:
            if self.pacing is Pacing.FAST:
                while len(self._queue) >= self.FAST_QUEUE and not self._stop.is_set():
                    self._cv.wait(0.1)
            elif self._queue:
                self.dropped += len(self._queue)
                self._queue.clear()
            self._queue.append(item)
            self.captured += 1
            self._cv.notify_all()

    def get(self, timeout: float = 0.05) -> Captured | None:
        """The next frame to process, or None after ``timeout`` or at the end (see :attr:`finished`)."""
        with self._cv:
            if not self._queue and not self._ended:
                self._cv.wait(timeout)
            if not self._queue:
                return None
            item = self._queue.popleft()
            self._cv.notify_all()
            return item

    @property
    def finished(self) -> bool:
        with self._cv:
            return self._ended and not self._queue

    def stop(self, timeout_s: float = 2.0) -> None:
        self._stop.set()
        with self._cv:
            self._cv.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout_s)


# ============================================================================ measurement


def _percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else math.nan


@dataclass
class LiveStats:
    """Capture-to-result latency and processed frame rate, measured on the clock the grabber uses."""

    frames_captured: int = 0
    frames_dropped: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    rep_latencies_ms: list[float] = field(default_factory=list)
    first_done: float | None = None
    last_done: float | None = None

    def add(self, captured_at: float, done_at: float, counted: bool) -> None:
        latency = (done_at - captured_at) * 1000.0
        self.latencies_ms.append(latency)
        if counted:
            self.rep_latencies_ms.append(latency)
        if self.first_done is None:
            self.first_done = done_at
        self.last_done = done_at

    @property
    def frames_processed(self) -> int:
        return len(self.latencies_ms)

    @property
    def processed_fps(self) -> float:
        if self.first_done is None or self.last_done is None or self.frames_processed < 2:
            return 0.0
        span = self.last_done - self.first_done
        return (self.frames_processed - 1) / span if span > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "frames_captured": self.frames_captured, "frames_processed": self.frames_processed,
            "frames_dropped": self.frames_dropped, "processed_fps": round(self.processed_fps, 2),
            "latency_ms_p50": round(_percentile(self.latencies_ms, 50), 1),
            "latency_ms_p95": round(_percentile(self.latencies_ms, 95), 1),
            "rep_latency_ms_p50": round(_percentile(self.rep_latencies_ms, 50), 1),
            "rep_latency_ms_p95": round(_percentile(self.rep_latencies_ms, 95), 1),
            "reps_timed": len(self.rep_latencies_ms),
        }

    def describe(self) -> str:
        d = self.to_dict()
        text = (f"live: processed {d['processed_fps']:.1f} fps ({d['frames_processed']} of {d['frames_captured']} "
                f"frames, {d['frames_dropped']} stale ones dropped); capture-to-result latency p50 "
                f"{d['latency_ms_p50']:.0f} ms, p95 {d['latency_ms_p95']:.0f} ms")
        if self.rep_latencies_ms:
            text += (f"; capture-to-rep-event p50 {d['rep_latency_ms_p50']:.0f} ms, "
                     f"p95 {d['rep_latency_ms_p95']:.0f} ms over {d['reps_timed']} reps")
        return text


# ============================================================================ sinks


class EventSink(Protocol):
    """Consumes events as they happen and is closed with the final summary, always (``finally``)."""

    def handle(self, event: Event) -> None: ...

    def close(self, summary: SessionSummary, status: str) -> None: ...


class PrinterSink:
    """Events as text or JSON lines on a stream (stdout), via the console sink's printer."""

    def __init__(self, printer: Callable[[Event], None]) -> None:
        self._printer = printer

    def handle(self, event: Event) -> None:
        self._printer(event)

    def close(self, summary: SessionSummary, status: str) -> None:
        """Nothing buffered: every line was flushed as it was printed."""


class HistorySink:
    """Saves the session event by event through :class:`~posecoach.sinks.history.HistoryRecorder`."""

    def __init__(self, recorder: Any, exercise: str, source: str, target: Any,
                 warn: Callable[[str], None] | None = None) -> None:
        self._recorder = recorder
        self._warn = warn or (lambda message: print(message, file=sys.stderr, flush=True))
        self._failed = False
        self.session_id: int = recorder.open_session(exercise, source, mode="live", target=target)

    def handle(self, event: Event) -> None:
        if self._failed:
            return
        try:
            self._recorder.record(event)
        except HistoryError as exc:  # a locked database must not stop the workout; say it once
            self._failed = True
            self._warn(f"history: {exc}; the session goes on but will be saved only at the end")

    def close(self, summary: SessionSummary, status: str) -> None:
        if self._failed:
            self._recorder.detach()
            self._recorder.store.save_summary(summary, mode="live")
            return
        self._recorder.close(summary, status=status)


class WindowSink:
    """The OpenCV (Qt) window, and the keys pressed in it. Must live on the main thread."""

    def __init__(self, title: str = "posecoach", max_width: int = 1280) -> None:
        self.title = title
        self.max_width = max_width
        self.closed_by_user = False
        self._shown = False
        cv2.namedWindow(title, cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO | cv2.WINDOW_GUI_NORMAL)

    def show(self, image: np.ndarray) -> None:
        cv2.imshow(self.title, image)
        if not self._shown:
            height, width = image.shape[:2]
            scale = min(1.0, self.max_width / width)
            cv2.resizeWindow(self.title, round(width * scale), round(height * scale))
            self._shown = True

    def poll(self) -> Command | None:
        key = cv2.waitKey(1)
        if self._shown and cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1:
            self.closed_by_user = True
            return Command.QUIT
        return KEY_COMMANDS.get(key & 0xFF) if key >= 0 else None

    def close(self) -> None:
        with contextlib.suppress(cv2.error):
            cv2.destroyWindow(self.title)
            cv2.waitKey(1)


class TerminalKeys:
    """The same keys read from a terminal when there is no window (over SSH); POSIX terminals only."""

    def __init__(self, stream: Any = None) -> None:
        self._stream = stream or sys.stdin
        self._saved: Any = None
        try:
            import termios
            import tty

            fd = self._stream.fileno()
            if os.isatty(fd):
                self._saved = termios.tcgetattr(fd)
                tty.setcbreak(fd)
        except (ImportError, OSError, ValueError, AttributeError):
            self._saved = None

    @property
    def active(self) -> bool:
        return self._saved is not None

    def poll(self) -> Command | None:
        if not self.active:
            return None
        ready, _, _ = select.select([self._stream], [], [], 0)
        if not ready:
            return None
        char = os.read(self._stream.fileno(), 1)
        return KEY_COMMANDS.get(char[0]) if char else None

    def close(self) -> None:
        if self._saved is not None:
            import termios

            termios.tcsetattr(self._stream.fileno(), termios.TCSADRAIN, self._saved)
            self._saved = None


class VideoRecorder:
    """Writes the annotated frames at a fixed rate, repeating frames across dropped ones so the
    recording plays back in real time."""

    MAX_FILL_S = 10.0

    def __init__(self, path: Path, fps: float = 30.0, *, force: bool = False, inputs: Iterable[Any] = ()) -> None:
        from posecoach.outputs import PendingOutput, verify_video

        self.path = Path(path)
        if self.path.suffix.lower() not in (".mp4", ".avi", ".mkv", ".mov"):
            raise OutputError(f"cannot record to '{self.path}': use a .mp4, .avi, .mkv or .mov file name")
        self._output = PendingOutput(self.path, force=force, inputs=inputs, option="--record", verify=verify_video)
        self.fps = fps
        self.frames_written = 0
        self.error: OutputError | None = None
        """A failed write or commit (a full disk): the session goes on, the CLI reports it after the summary."""
        self._writer: cv2.VideoWriter | None = None
        self._t0 = 0.0

    def write(self, image: np.ndarray, t_s: float) -> None:
        if self.error is not None:
            return
        try:
            self._write(image, t_s)
        except (OSError, cv2.error, OutputError) as exc:
            self.error = exc if isinstance(exc, OutputError) else OutputError(
                f"cannot record to '{self.path}' ({getattr(exc, 'strerror', None) or exc}); check free space")
            self.close()

    def _write(self, image: np.ndarray, t_s: float) -> None:
        if self._writer is None:
            fourcc = cv2.VideoWriter_fourcc(*("MJPG" if self.path.suffix.lower() == ".avi" else "mp4v"))
            height, width = image.shape[:2]
            self._writer = cv2.VideoWriter(self._output.opencv_name, fourcc, self.fps, (width, height))
            if not self._writer.isOpened():
                raise OutputError(f"cannot record to '{self.path}': OpenCV could not open a video writer there")
            self._t0 = t_s
        due = round((t_s - self._t0) * self.fps) + 1
        copies = min(max(due - self.frames_written, 0), round(self.MAX_FILL_S * self.fps))
        if self.frames_written == 0:
            copies = max(copies, 1)
        for _ in range(copies):
            self._writer.write(image)
        self.frames_written += copies

    def close(self) -> None:
        """Move the recording into place (through posecoach.outputs: checked, never over an input)."""
        if self._writer is not None:
            writer, self._writer = self._writer, None
            with contextlib.suppress(cv2.error):
                writer.release()
        if self.frames_written and self.error is None:
            try:
                self._output.commit()
            except OutputError as exc:
                self.error = exc
        else:
            self._output.discard()


# ============================================================================ sources


@contextlib.contextmanager
def quiet_opencv() -> Iterator[None]:
    """OpenCV prints a paragraph per camera index it cannot open; our error says it in one line."""
    logging = cv2.utils.logging
    previous = logging.getLogLevel()
    logging.setLogLevel(logging.LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        logging.setLogLevel(previous)


def available_cameras(indices: Iterable[int] = range(6)) -> list[int]:
    """Camera indices that open here (milliseconds each: nothing is read from them)."""
    found = []
    with quiet_opencv():
        for index in indices:
            capture = cv2.VideoCapture(index)
            if capture.isOpened():
                found.append(index)
            capture.release()
    return found


def open_live_source(camera: int | None = None, source: str | None = None) -> FrameSource:
    """A camera (default 0) or a file/URL; a camera that won't open names the ones that do."""
    if source is not None:
        return open_source(source)
    index = 0 if camera is None else camera
    try:
        with quiet_opencv():
            return open_source(index)
    except SourceError:
        working = available_cameras(i for i in range(6) if i != index)
    if working:
        listed = ", ".join(str(i) for i in working)
        raise SourceError(f"cannot open camera {index}. Cameras that open here: {listed}; "
                          f"pass --camera {working[0]}") from None
    raise SourceError(f"cannot open camera {index}, and no camera opens here (checked 0-5). Connect one, close "
                      "other programs using it, or pass --source FILE to use a video") from None


# ============================================================================ the session


class StopReason(StrEnum):
    END = "end of the video"
    QUIT = "quit"
    WINDOW_CLOSED = "window closed"
    INTERRUPTED = "interrupted (Ctrl-C)"
    TERMINATED = "terminated (SIGTERM)"
    SOURCE_FAILED = "the camera or stream stopped sending frames"
    ERROR = "an error"

    @property
    def partial(self) -> bool:
        return self in (StopReason.INTERRUPTED, StopReason.TERMINATED, StopReason.SOURCE_FAILED, StopReason.ERROR)


class Estimator(Protocol):
    def estimate(self, image_bgr: np.ndarray, timestamp_s: float) -> PoseFrame | None: ...


class Renderer(Protocol):
    def __call__(self, image: np.ndarray, pose: PoseFrame | None, snapshot: EngineSnapshot, exercise: Exercise,
                 coach: CoachState, *, setup_hint: str | None = ..., fps: float | None = ...,
                 mirror: bool = ...) -> np.ndarray: ...


@dataclass
class LiveResult:
    summary: SessionSummary
    stats: LiveStats
    reason: StopReason
    coach: CoachState
    spoken: list[str] = field(default_factory=list)


class LiveSession:
    """One live session. Build it with the stages and sinks you want, then :meth:`run` it.

    ``pacing`` defaults to LIVE for cameras and streams and REALTIME for files. ``prompt`` receives
    the coach's stage changes and setup hints as text (the CLI prints them on stderr when headless).
    """

    def __init__(self, exercise: Exercise, source: FrameSource, estimator: Estimator, plan: Plan, *,
                 side: str = "auto", pacing: Pacing | None = None, window: WindowSink | None = None,
                 keys: TerminalKeys | None = None, speaker: Any = None, recorder: VideoRecorder | None = None,
                 sinks: Sequence[EventSink] = (), renderer: Renderer | None = None, mirror: bool = True,
                 prompt: Callable[[str], None] | None = None, skip_setup: bool = False,
                 clock: Clock = time.monotonic, sleep: Sleep | None = None,
                 handle_signals: bool = True) -> None:
        self.exercise = exercise
        self.source = source
        self.estimator = estimator
        self.coach = Coach(plan, skip_setup=skip_setup)
        self.side = side
        self.pacing = pacing or (Pacing.LIVE if source.is_live else Pacing.REALTIME)
        self.window = window
        self.keys = keys
        self.speaker = speaker
        self.recorder = recorder
        self.sinks = list(sinks)
        self.renderer = renderer
        self.mirror = mirror
        self.prompt = prompt
        self.clock = clock
        self.sleep = sleep
        self.handle_signals = handle_signals
        self.stats = LiveStats()
        self._signal_reason: StopReason | None = None
        self._t = 0.0

    # ------------------------------------------------------------------ signals
    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if signum == signal.SIGINT and self._signal_reason is not None:
            raise KeyboardInterrupt  # a second Ctrl-C: the user really wants out now
        self._signal_reason = StopReason.INTERRUPTED if signum == signal.SIGINT else StopReason.TERMINATED

    def _install_signals(self) -> dict[int, Any]:
        if not self.handle_signals or threading.current_thread() is not threading.main_thread():
            return {}
        previous = {}
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.getsignal(signum)
            signal.signal(signum, self._on_signal)
        return previous

    # ------------------------------------------------------------------ dispatch
    def _dispatch(self, event: Event) -> None:
        for sink in self.sinks:
            sink.handle(event)

    def _apply(self, step: CoachStep, session: AnalysisSession) -> None:
        for event in step.events:
            session.summary.events.append(event)
            self._dispatch(event)
        for say in step.says:
            if self.speaker is not None:
                self.speaker.say(say.text, key=say.key, kind=say.kind, priority=say.priority)
            if self.prompt is not None and say.kind in ("stage", "setup"):
                self.prompt(say.text)

    def _poll_command(self) -> Command | None:
        if self.window is not None:
            command = self.window.poll()
            if command is not None:
                return command
        return self.keys.poll() if self.keys is not None else None

    def _command(self, command: Command, session: AnalysisSession) -> StopReason | None:
        self._apply(self.coach.command(command, self._t), session)
        if self.speaker is not None:
            self.speaker.muted = self.coach.muted
        if self.coach.quit_requested:
            return StopReason.WINDOW_CLOSED if self.window is not None and self.window.closed_by_user \
                else StopReason.QUIT
        return None

    def _draw(self, image: np.ndarray, pose: PoseFrame | None, snapshot: EngineSnapshot,
              setup: SetupCheck | None, t: float) -> None:
        if self.renderer is None or (self.window is None and self.recorder is None):
            return
        hint = setup.hint if setup is not None else None
        annotated = self.renderer(image, pose, snapshot, self.exercise, self.coach.state, setup_hint=hint,
                                  fps=self.stats.processed_fps or None, mirror=self.mirror)
        if self.window is not None:
            self.window.show(annotated)
        if self.recorder is not None:
            self.recorder.write(annotated, t)

    # ------------------------------------------------------------------ the loop
    def run(self) -> LiveResult:
        session = AnalysisSession(self.exercise, self.source.name, self.side, self.source.fps, self._dispatch)
        grabber = FrameGrabber(self.source, self.pacing, clock=self.clock, sleep=self.sleep)
        previous_handlers = self._install_signals()
        reason: StopReason | None = None
        snapshot = session.engine.snapshot()
        grabber.start()
        try:
            reason = self._loop(grabber, session, snapshot)
        finally:
            grabber.stop()
            for signum, handler in previous_handlers.items():
                signal.signal(signum, handler)
            self.stats.frames_captured, self.stats.frames_dropped = grabber.captured, grabber.dropped
            result = self._finish(session, reason or StopReason.ERROR, grabber.error)
        return result

    def _loop(self, grabber: FrameGrabber, session: AnalysisSession, snapshot: EngineSnapshot) -> StopReason:
        while True:
            if self._signal_reason is not None:
                return self._signal_reason
            command = self._poll_command()
            if command is not None:
                stop = self._command(command, session)
                if stop is not None:
                    return stop
            item = grabber.get(timeout=0.03)
            if item is None:
                if grabber.finished:
                    failed = grabber.error is not None or self.source.is_live
                    return StopReason.SOURCE_FAILED if failed else StopReason.END
                continue
            self._t = t = item.t_s
            image = item.frame.image
            if self.coach.paused:
                self._draw(image, None, snapshot, None, t)
                continue
            pose = self.estimator.estimate(image, t)
            events = session.feed(t, pose)
            self.stats.add(item.captured_at, self.clock(), any(isinstance(e, RepCompleted) for e in events))
            snapshot = session.engine.snapshot()
            setup = None
            if self.coach.stage is Stage.SETUP or not snapshot.visible:
                setup = check_setup(pose, frame_brightness(image), self.exercise)
            hold = (snapshot.hold_elapsed_s, snapshot.hold_target_s) if snapshot.hold_elapsed_s > 0 else None
            hint = setup.hint if setup is not None else None
            self._apply(self.coach.observe(events, t) + self.coach.tick(t, hint, hold), session)
            self._draw(image, pose, snapshot, setup, t)

    def _finish(self, session: AnalysisSession, reason: StopReason, capture_error: str | None) -> LiveResult:
        stopped_early = self.source.stats.stopped_early
        partial = reason.partial or stopped_early
        note = None
        if reason is StopReason.SOURCE_FAILED:
            note = f"{reason.value} after {self._t:.1f} s" + (f" ({capture_error})" if capture_error else "")
        elif reason.partial:
            note = reason.value
        elif stopped_early:
            note = self.source.stats.error
        summary = session.finish(partial=partial, reason=note)
        if self.stats.frames_processed:
            summary.notes.append(self.stats.describe())
        status = "interrupted" if reason in (StopReason.INTERRUPTED, StopReason.TERMINATED, StopReason.ERROR) \
            else ("partial" if partial else "complete")
        with contextlib.ExitStack() as closing:
            for sink in self.sinks:
                closing.callback(sink.close, summary, status)
            if self.window is not None:
                closing.callback(self.window.close)
            if self.keys is not None:
                closing.callback(self.keys.close)
            if self.recorder is not None:
                closing.callback(self.recorder.close)
            if self.speaker is not None:
                closing.callback(self.speaker.close)
        spoken = list(getattr(self.speaker, "spoken", []))
        return LiveResult(summary, self.stats, reason, self.coach.state, spoken)
