"""Movement breaks at the desk: notice how long someone has sat, and remind them to stand and stretch.

Seed 004: "Standing up, walking, or performing a quick stretch every 30 to 45 minutes helps break
the cycle of muscle shortening caused by prolonged sitting" (and 002: "take frequent breaks").

Three pieces, so the logic is tested without a camera or a clock:

* :func:`classify_posture` reads one pose: sitting, up (standing, or on the floor doing an
  exercise) or away. A laptop camera rarely sees the legs, so a person in view without a straight
  leg seen under an upright trunk counts as sitting.
* :class:`DeskMonitor` is a pure state machine over ``(posture, t)`` samples: it accumulates
  continuous sitting, reminds at the limit and then every ``remind_every_s``, and resets once the
  person has been up or away for ``break_s`` (a glance away or one misread sample does not reset
  it; a gap between samples that long, e.g. a suspended laptop, does).
* :func:`sample_frames` picks one frame every ``interval_s`` from a source: for a camera it sleeps
  between samples and reads only a fresh frame, so the pose model runs once every few seconds.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar

from posecoach.features import compute_features
from posecoach.landmarks import Estimator, Joint, Landmark, PoseFrame, Side

if TYPE_CHECKING:
    from posecoach.sources import Frame, FrameSource

STANDING_TRUNK_MIN = 60.0
"""Trunk elevation (degrees above horizontal) of an upright person."""
STRAIGHT_HIP_MAX = 35.0
STRAIGHT_KNEE_MAX = 40.0
"""Hip and knee flexion below these on one leg, with an upright trunk, is standing; a chair puts the
hips near 90 whatever the knees do."""
LYING_TRUNK_MAX = 30.0
"""A trunk this close to horizontal is someone on the floor (doing an exercise): not sitting."""


class Posture(StrEnum):
    SITTING = "sitting"
    UP = "up"
    AWAY = "away"


def _seen(pose: PoseFrame, landmark: Landmark) -> bool:
    """Visible and inside the picture (MediaPipe places legs below the frame edge with fair confidence)."""
    x, y = pose.xyzv[landmark, 0], pose.xyzv[landmark, 1]
    width, height = pose.image_size
    if not (math.isfinite(x) and math.isfinite(y)):
        return False
    return (0 <= x < width and 0 <= y < height) if width and height else True


def classify_posture(pose: PoseFrame | None) -> Posture:
    """Sitting, up or away from one pose (see the module doc for why unseen legs mean sitting)."""
    if pose is None:
        return Posture.AWAY
    upper = (Landmark.NOSE, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER)
    if not any(_seen(pose, lm) for lm in upper):
        return Posture.AWAY
    features = compute_features(pose)
    trunk = features["trunk_incline"]
    if math.isfinite(trunk) and abs(trunk) <= LYING_TRUNK_MAX:
        return Posture.UP
    legs = [side for side in Side
            if all(_seen(pose, joint.of(side)) for joint in (Joint.HIP, Joint.KNEE, Joint.ANKLE))]
    if not legs or not (math.isfinite(trunk) and trunk >= STANDING_TRUNK_MIN):
        return Posture.SITTING
    # One straight leg under an upright trunk is standing (the other may be lifting, crossing or
    # stepping); a chair keeps both thighs forward whatever the knees do.
    straight = any(math.isfinite(hip := features[f"hip_flexion.{side.value}"]) and hip < STRAIGHT_HIP_MAX
                   and math.isfinite(knee := features[f"knee_flexion.{side.value}"]) and knee < STRAIGHT_KNEE_MAX
                   for side in legs)
    return Posture.UP if straight else Posture.SITTING


@dataclass(frozen=True)
class DeskEvent:
    kind: ClassVar[str] = "desk"
    t_s: float


@dataclass(frozen=True)
class SatDown(DeskEvent):
    kind: ClassVar[str] = "sat-down"


@dataclass(frozen=True)
class Reminder(DeskEvent):
    kind: ClassVar[str] = "reminder"
    sitting_s: float
    count: int
    """1 for the first reminder of this sitting spell, then 2, 3, ..."""


@dataclass(frozen=True)
class BreakTaken(DeskEvent):
    """The person was up or away long enough: the sitting clock is reset."""

    kind: ClassVar[str] = "break"
    sitting_s: float
    reminded: int


@dataclass(frozen=True)
class DeskConfig:
    sit_limit_s: float = 40 * 60.0
    """Remind after this much continuous sitting (seed 004: every 30 to 45 minutes)."""
    break_s: float = 60.0
    """Up or away this long counts as a break."""
    remind_every_s: float = 10 * 60.0
    """While still sitting after a reminder, remind again this often."""


class DeskMonitor:
    """Continuous sitting time from posture samples; stream time in, events out, no clock reads."""

    def __init__(self, config: DeskConfig = DeskConfig()) -> None:
        self.config = config
        self.sitting_since: float | None = None
        self.up_since: float | None = None
        self.reminders = 0
        """Reminders in the current sitting spell."""
        self.reminded = 0
        self.breaks = 0
        self.looks = 0
        """Posture samples taken (calls of :meth:`update`)."""
        self._next_reminder: float | None = None
        self._last_t: float | None = None
        self._last_sitting_t: float | None = None

    def sitting_s(self, t: float) -> float:
        return 0.0 if self.sitting_since is None else max(0.0, t - self.sitting_since)

    def _reset(self, t: float, sat_until: float) -> list[DeskEvent]:
        if self.sitting_since is None:
            return []
        event = BreakTaken(t, max(0.0, sat_until - self.sitting_since), self.reminders)
        self.sitting_since, self._next_reminder, self.reminders = None, None, 0
        self.breaks += 1
        return [event]

    def update(self, posture: Posture, t: float) -> list[DeskEvent]:
        self.looks += 1
        events: list[DeskEvent] = []
        if self._last_t is not None and t - self._last_t >= self.config.break_s:
            # No samples for that long (the laptop slept, the camera stalled): nobody sat through it.
            events += self._reset(t, self._last_sitting_t if self._last_sitting_t is not None else self._last_t)
            self.up_since = None
        self._last_t = t
        if posture is Posture.SITTING:
            self.up_since = None
            self._last_sitting_t = t
            if self.sitting_since is None:
                self.sitting_since = t
                self._next_reminder = t + self.config.sit_limit_s
                events.append(SatDown(t))
            if self._next_reminder is not None and t >= self._next_reminder:
                self.reminders += 1
                self.reminded += 1
                self._next_reminder = t + self.config.remind_every_s
                events.append(Reminder(t, self.sitting_s(t), self.reminders))
            return events
        if self.up_since is None:
            self.up_since = t
        if t - self.up_since >= self.config.break_s:
            events += self._reset(t, self.up_since)
        return events


def sample_frames(frames: Iterable[Frame], interval_s: float, *, live: bool, fps: float = 30.0,
                  clock: Callable[[], float] = time.monotonic,
                  sleep: Callable[[float], None] = time.sleep) -> Iterator[Frame]:
    """One frame every ``interval_s``.

    A file is sampled on its own timeline (every frame is decoded, none is estimated but the
    samples). A camera is left alone between samples; at a sample, frames the driver buffered
    meanwhile come back at once, so reads continue until one takes most of a frame interval,
    i.e. the frame is fresh (at most a dozen reads).
    """
    iterator = iter(frames)
    if not live:
        due = 0.0
        for frame in iterator:
            if frame.timestamp_s + 1e-9 >= due:
                yield frame
                due = frame.timestamp_s + interval_s
        return
    fresh_after = 0.5 / (fps or 30.0)
    while True:
        started = clock()
        sample: Frame | None = None
        for _ in range(12):
            before = clock()
            sample = next(iterator, None)
            if sample is None or clock() - before >= fresh_after:
                break
        if sample is None:
            return
        yield sample
        sleep(max(0.0, interval_s - (clock() - started)))


def watch(frames: FrameSource, estimator: Estimator, monitor: DeskMonitor, interval_s: float, *,
          clock: Callable[[], float] = time.monotonic) -> Iterator[DeskEvent]:
    """The desk loop: one look every ``interval_s``, its posture to ``monitor``, and what it says.

    A camera's stream time is the clock since the first look; a file's is its own timeline.
    """
    start = clock()
    for frame in sample_frames(frames, interval_s, live=frames.is_live, fps=frames.fps):
        t = clock() - start if frames.is_live else frame.timestamp_s
        posture = classify_posture(estimator.estimate(frame.image, frame.timestamp_s))
        yield from monitor.update(posture, t)


def format_clock(seconds: float) -> str:
    """``1:05:09`` or ``5:09``: elapsed time the way a person reads it."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def describe(event: DeskEvent) -> str:
    if isinstance(event, Reminder):
        again = "" if event.count == 1 else " (still sitting)"
        return (f"You have been sitting for {format_clock(event.sitting_s)}{again}: "
                "stand up, walk a little or do a quick hip flexor stretch")
    if isinstance(event, BreakTaken):
        return f"Break noticed after {format_clock(event.sitting_s)} sitting: the sitting clock starts again"
    return "Sitting down: the sitting clock is running"
