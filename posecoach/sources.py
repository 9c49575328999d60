"""Frame sources: a video file, a GIF, a folder of images, a camera or a stream URL.

Every source is an iterator of :class:`Frame` with a float timestamp in seconds, so the live
webcam loop and offline analysis share one code path. Reading is all a source does: display,
writing and progress belong to sinks.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from posecoach.errors import SourceError

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})
DEFAULT_IMAGE_FOLDER_FPS = 30.0
# Containers report nonsense frame rates now and then (0, 1000, 90000); these bound what we trust.
PLAUSIBLE_FPS = (1.0, 240.0)


@dataclass(frozen=True)
class Frame:
    """One decoded image (BGR, uint8) with its position in the stream."""

    index: int
    timestamp_s: float
    image: np.ndarray = field(repr=False)


@dataclass
class ReadStats:
    """What happened while reading, so a report can say a clip was cut short."""

    frames_read: int = 0
    frames_expected: int | None = None
    stopped_early: bool = False
    error: str | None = None


class FrameSource:
    """Base class: ``with source: for frame in source: ...``."""

    name: str = ""
    fps: float = 0.0
    frame_count: int | None = None
    width: int = 0
    height: int = 0
    is_live: bool = False

    def __init__(self) -> None:
        self.stats = ReadStats()

    def __iter__(self) -> Iterator[Frame]:
        raise NotImplementedError

    def close(self) -> None:
        """Release the device or file; safe to call twice."""

    @property
    def duration_s(self) -> float | None:
        if self.frame_count is None or not self.fps:
            return None
        return self.frame_count / self.fps

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _plausible_fps(value: float) -> bool:
    return PLAUSIBLE_FPS[0] <= value <= PLAUSIBLE_FPS[1]


class CaptureSource(FrameSource):
    """Anything ``cv2.VideoCapture`` opens: files (GIFs included), cameras and URLs.

    Timestamps come from the container (``CAP_PROP_POS_MSEC``) when it gives strictly increasing
    values, otherwise from ``index / fps``; either way they never go backwards, because the pose
    model's video mode rejects non-increasing timestamps.
    """

    def __init__(self, target: str | int, name: str, *, is_live: bool = False, fps_hint: float | None = None) -> None:
        super().__init__()
        self.name = name
        self.is_live = is_live
        self._capture = cv2.VideoCapture(target)
        if not self._capture.isOpened():
            self._capture.release()
            raise SourceError(self._cannot_open_message(target))
        self._capture.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
        reported_fps = float(self._capture.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = reported_fps if _plausible_fps(reported_fps) else (fps_hint or 30.0)
        count = int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        self.frame_count = count if count > 0 and not is_live else None
        self.stats.frames_expected = self.frame_count
        self.width = int(self._capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.height = int(self._capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self._iterated = False

    @staticmethod
    def _cannot_open_message(target: str | int) -> str:
        if isinstance(target, int):
            return (f"cannot open camera {target}. Check it is connected and not used by another program, "
                    "or pass --source FILE")
        return f"cannot read '{target}' as a video: the file is damaged or not a video OpenCV/FFmpeg can decode"

    def __iter__(self) -> Iterator[Frame]:
        if self._iterated:
            raise SourceError(f"'{self.name}' was already read; open it again to read it twice")
        self._iterated = True
        last_t = -1.0
        index = 0
        while True:
            try:
                ok, image = self._capture.read()
            except cv2.error as exc:
                self.stats.stopped_early, self.stats.error = True, f"decoder error: {exc}"
                break
            if not ok or image is None:
                break
            t = self._timestamp(index, last_t)
            last_t = t
            self.stats.frames_read += 1
            yield Frame(index, t, image)
            index += 1
        expected = self.stats.frames_expected
        if expected and not self.is_live and self.stats.frames_read < 0.95 * expected - 1:
            self.stats.stopped_early = True
            self.stats.error = self.stats.error or (
                f"the video ended after {self.stats.frames_read} of {expected} frames (truncated or corrupt)"
            )

    def _timestamp(self, index: int, last_t: float) -> float:
        step = 1.0 / self.fps
        container_ms = self._capture.get(cv2.CAP_PROP_POS_MSEC)
        from_index = index * step
        t = container_ms / 1000.0 if container_ms and container_ms > 0 else from_index
        # Some demuxers report the position of the *next* frame, or jump: trust them only when sane.
        if abs(t - from_index) > 2.0 and not self.is_live:
            t = from_index
        if t <= last_t:
            t = last_t + step / 2 if index else 0.0
        return t

    def close(self) -> None:
        self._capture.release()


class ImageFolderSource(FrameSource):
    """A folder of still images taken as consecutive frames at a fixed rate."""

    def __init__(self, folder: Path, fps: float = DEFAULT_IMAGE_FOLDER_FPS) -> None:
        super().__init__()
        self.name = str(folder)
        self.fps = fps
        self._paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self._paths:
            raise SourceError(
                f"'{folder}' is a folder with no images ({', '.join(sorted(IMAGE_SUFFIXES))}); "
                "pass a video file or a folder of frames"
            )
        self.frame_count = len(self._paths)
        self.stats.frames_expected = self.frame_count
        first = self._read(self._paths[0])
        if first is None:
            raise SourceError(f"cannot decode image '{self._paths[0]}'")
        self.height, self.width = first.shape[:2]
        self.skipped: list[Path] = []

    @staticmethod
    def _read(path: Path) -> np.ndarray | None:
        data = np.fromfile(path, dtype=np.uint8)
        return cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None

    def __iter__(self) -> Iterator[Frame]:
        for index, path in enumerate(self._paths):
            image = self._read(path)
            if image is None:
                self.skipped.append(path)
                continue
            self.stats.frames_read += 1
            yield Frame(index, index / self.fps, image)


def open_source(spec: str | int | os.PathLike[str]) -> FrameSource:
    """Open a video path, image folder, camera index (``0`` or ``"0"``) or URL."""
    if isinstance(spec, int) or (isinstance(spec, str) and spec.isdigit()):
        return CaptureSource(int(spec), f"camera {spec}", is_live=True)
    text = os.fspath(spec)
    if "://" in text:
        return CaptureSource(text, text, is_live=not text.startswith("file://"))
    path = Path(text)
    if not path.exists():
        raise SourceError(f"no such file or folder: '{path}'")
    if path.is_dir():
        return ImageFolderSource(path)
    if not os.access(path, os.R_OK):
        raise SourceError(f"cannot read '{path}': permission denied")
    if path.stat().st_size == 0:
        raise SourceError(f"'{path}' is empty (0 bytes); record or copy the video again")
    with _quiet_ffmpeg():
        source = CaptureSource(str(path), str(path))
    return source


@contextlib.contextmanager
def _quiet_ffmpeg() -> Iterator[None]:
    """OpenCV logs FFmpeg probing failures on stderr; our own error message says it better."""
    logging = cv2.utils.logging
    previous = logging.getLogLevel()
    logging.setLogLevel(logging.LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        logging.setLogLevel(previous)
