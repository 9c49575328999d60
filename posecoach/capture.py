"""The capture stage: a source read on its own thread, paced like a camera, and camera discovery.

:class:`FrameGrabber` keeps only the newest frame, so a slow pose stage drops stale frames instead
of building a backlog (the display never lags reality). Timestamps come from an injectable clock at
capture time. A file can stand in for a camera, paced in real time, or be read as fast as possible
with every frame and the file's timestamps: then the counts are exactly those of ``posecoach
analyze``, because both feed the same :class:`~posecoach.analysis.AnalysisSession`.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

import cv2

from posecoach.errors import SourceError
from posecoach.sources import Frame, FrameSource, open_source

Clock = Callable[[], float]
Sleep = Callable[[float], None]


class Pacing(StrEnum):
    LIVE = "live"
    """A camera or stream: the newest frame wins, timestamps from the capture clock."""
    REALTIME = "realtime"
    """A file played at its own speed like a camera (stale frames dropped), stamped with the file's own
    times: a pause stops the file, and event times stay the video's."""
    FAST = "fast"
    """A file as fast as possible: every frame, the file's own timestamps (counts equal ``analyze``)."""


@dataclass(frozen=True)
class Captured:
    frame: Frame
    t_s: float
    """Stream time the engine sees: capture time since start for a camera, the file's own timestamp for a file."""
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
        self._running = threading.Event()
        self._running.set()
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
                if not self._running.is_set():  # paused: the file waits, and its clock with it
                    paused_at = self._clock()
                    while not self._running.wait(0.05) and not self._stop.is_set():
                        pass
                    start += self._clock() - paused_at
                if self._stop.is_set():
                    break
                if self.pacing is Pacing.REALTIME:
                    delay = start + frame.timestamp_s - self._clock()
                    if delay > 0:
                        self._sleep(delay)
                now = self._clock()
                t = max(now - start, last_t + 1e-3) if self.pacing is Pacing.LIVE else frame.timestamp_s
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

    def pause(self) -> None:
        """Stop reading a file until :meth:`resume` (a camera is never paused: it cannot wait)."""
        if self.pacing is not Pacing.LIVE:
            self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def finished(self) -> bool:
        with self._cv:
            return self._ended and not self._queue

    def stop(self, timeout_s: float = 2.0) -> None:
        self._stop.set()
        self._running.set()
        with self._cv:
            self._cv.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout_s)


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
