"""How well a live session keeps up: frames analysed per second against what the exercise needs
(:class:`RateWatch`), and capture-to-result latency (:class:`LiveStats`). Measured on stream time and
the grabber's clock, so a fake clock in tests and a file played fast are judged alike.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from posecoach.exercises import Exercise

RATE_WINDOW_S = 3.0
"""The processed frame rate is judged over this much stream time: one slow frame is not a slow session."""
SAMPLES_PER_SHORTEST_REP = 3
"""A rep is seen only if its start, top and end are: the shortest rep an exercise accepts needs this many frames."""
MIN_COUNTING_FPS = 8.0
"""Form rules need a fault held 0.25 s and holds forgive 0.6 s lapses: two to five frames at this rate."""
TOO_SLOW_NOTE_S = 1.0
"""Shorter dips (a busy moment) are shown while they last but leave no note in the summary."""


def counting_fps(exercise: Exercise) -> float:
    """The processed frame rate below which ``exercise`` is not counted reliably (15/s where a rep may take 0.2 s)."""
    if exercise.rep is None:
        return MIN_COUNTING_FPS
    return max(MIN_COUNTING_FPS, SAMPLES_PER_SHORTEST_REP / exercise.rep.min_rep_s)


class RateWatch:
    """Frames processed per second of stream time over the last :data:`RATE_WINDOW_S`, and how long it
    stayed under the rate counting needs. Stream time, so a fake clock or a file played fast judges alike."""

    def __init__(self, needed_fps: float) -> None:
        self.needed_fps = needed_fps
        self.slow_s = 0.0
        self.lowest_fps = math.inf
        self._times: deque[float] = deque()
        self._since: float | None = None

    def add(self, t: float) -> float | None:
        """Count a frame processed at stream time ``t``; the rate when it is too low to count, else None."""
        if self._since is None:
            self._since = t
        previous = self._times[-1] if self._times else t
        self._times.append(t)
        while t - self._times[0] >= RATE_WINDOW_S:
            self._times.popleft()
        if t - self._since < RATE_WINDOW_S:
            return None  # not judged before a whole window has passed
        rate = len(self._times) / RATE_WINDOW_S
        if rate >= self.needed_fps:
            return None
        self.slow_s += t - previous
        self.lowest_fps = min(self.lowest_fps, rate)
        return rate

    def restart(self) -> None:
        """After a pause: nothing was processed on purpose, so the window starts again."""
        self._times.clear()
        self._since = None

    def note(self, exercise: Exercise) -> str | None:
        """The summary's note when counting was unreliable for a while, saying what to do."""
        if self.slow_s < TOO_SLOW_NOTE_S:
            return None
        return (f"too slow to count reliably for {self.slow_s:.0f} s: as few as {self.lowest_fps:.1f} frames/s were "
                f"analysed, and {exercise.name} needs {self.needed_fps:.0f}; counts may be low. Close other "
                f"programs or use a lower camera resolution, or count a recording with 'posecoach analyze'")


def _percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else math.nan  # null in JSON: nothing was timed


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
