"""Frame sources: a video file, a GIF, a folder of images, a camera or a stream URL.

Every source is an iterator of :class:`Frame` with a float timestamp in seconds, so the live
webcam loop and offline analysis share one code path. Reading is all a source does: display,
writing and progress belong to sinks.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from posecoach.errors import SourceError
from posecoach.inputs import display_path, is_utf8_path

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})
DEFAULT_IMAGE_FOLDER_FPS = 30.0
# Containers report nonsense frame rates now and then (0, 1000, 90000); these bound what we trust.
PLAUSIBLE_FPS = (1.0, 240.0)
MAX_TIMESTAMP_JUMP_S = 2.0
"""A container clock that jumps further than this between two frames of a file is a discontinuity
(concatenated clips, a corrupt packet), not a pause: the timeline continues one frame later."""
MAX_UNREADABLE_RUN = 30
"""Consecutive failed reads tolerated inside a file before it is taken to have ended: FFmpeg drops a
damaged frame with a failed read and carries on with the next one."""

# FFmpeg prints its decoder complaints ("bad vlc", "error y=1 x=3") straight to stderr while a damaged
# file is read; the summary says it in one note instead. It reads this once, at the first open:
# set OPENCV_FFMPEG_LOGLEVEL=24 (or OPENCV_FFMPEG_DEBUG=1) to see them again.
if "OPENCV_FFMPEG_DEBUG" not in os.environ:
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

_CONTAINER_SIGNATURES = (
    (0, b"RIFF", "an AVI"),
    (4, b"ftyp", "an MP4/MOV"),
    (0, b"\x1a\x45\xdf\xa3", "a Matroska/WebM"),
    (0, b"GIF8", "a GIF"),
    (0, b"\x00\x00\x01\xba", "an MPEG"),
    (0, b"FLV", "an FLV"),
)


def frame_brightness(image: np.ndarray) -> float:
    """Mean luma (0-255) of a thumbnail: cheap enough for every frame; the live setup check and the
    offline 'too dark' note both judge light with it."""
    small = cv2.resize(image, (64, 36), interpolation=cv2.INTER_AREA)
    b, g, r = cv2.mean(small)[:3]
    return 0.114 * b + 0.587 * g + 0.299 * r


@dataclass(frozen=True)
class Frame:
    """One decoded image (BGR, uint8) with its position in the stream."""

    index: int
    timestamp_s: float
    image: np.ndarray = field(repr=False)
    container_ms: float = math.nan
    """The container's own clock for this frame (``CAP_PROP_POS_MSEC``) before it is made
    increasing; NaN where there is none (image folders). The parallel path joins chunks on it."""


@dataclass
class ReadStats:
    """What happened while reading, so a summary can say a clip was cut short or damaged.

    ``stopped_early`` is True whenever part of the announced stream was not read — it ended before
    the container's announced length, or damaged frames were skipped — and ``error`` says where.
    """

    frames_read: int = 0
    frames_expected: int | None = None
    stopped_early: bool = False
    error: str | None = None
    frames_skipped: int = 0
    """Frames (or image files) that could not be decoded and were left out."""


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


class ContainerClock:
    """Turns a container's per-frame positions (ms) into strictly increasing stream seconds.

    Containers repeat timestamps, reorder them slightly, restart their clock where clips were
    joined, or report none: repeats step forward half a frame, jumps are re-based onto the frame
    rate, missing values follow the frame rate. One instance per stream, fed frame by frame; the
    parallel reader replays the same rule over the positions its workers report.
    """

    def __init__(self, fps: float, *, is_live: bool = False) -> None:
        self.fps = fps
        self.is_live = is_live
        self.last_t: float | None = None
        self._offset_s = 0.0

    def __call__(self, raw_ms: float) -> float:
        self.last_t = self._next(raw_ms)
        return self.last_t

    def _next(self, raw_ms: float) -> float:
        last_t = self.last_t
        step = 1.0 / self.fps
        expected = 0.0 if last_t is None else last_t + step
        if not (math.isfinite(raw_ms) and raw_ms > 0):
            return expected
        t = raw_ms / 1000.0 - self._offset_s
        if last_t is None:
            jumped = t > MAX_TIMESTAMP_JUMP_S
        elif t <= last_t:
            if last_t - t < MAX_TIMESTAMP_JUMP_S:
                return last_t + step / 2  # a repeated or slightly reordered timestamp
            jumped = True  # the clock restarted (clips joined together)
        else:
            jumped = t - last_t > MAX_TIMESTAMP_JUMP_S and not self.is_live
        if jumped:
            self._offset_s = raw_ms / 1000.0 - expected
            return expected
        return t


class CaptureSource(FrameSource):
    """Anything ``cv2.VideoCapture`` opens: files (GIFs included), cameras and URLs.

    Timestamps come from the container (``CAP_PROP_POS_MSEC``), so variable-frame-rate phone video
    keeps its real timing; where the container has no clock they advance by ``1 / fps``. They never
    go backwards or repeat, because the pose model's video mode rejects non-increasing timestamps.
    A file is checked for a first decodable frame when it is opened, so an undecodable file fails
    before any model is loaded.
    """

    def __init__(self, target: str | int, name: str, *, is_live: bool = False, fps_hint: float | None = None,
                 start_frame: int = 0, seek: bool = True) -> None:
        """``start_frame`` starts a file there (a parallel worker's chunk): by seeking, or with
        ``seek=False`` by decoding from the start and skipping, for containers that seek inexactly."""
        super().__init__()
        self.name = display_path(name) if isinstance(name, str) else name
        self.is_live = is_live
        self._alias: OpenCVName | None = None
        if isinstance(target, str):
            self._alias = OpenCVName(target)
        self._capture = cv2.VideoCapture(self._alias.name if self._alias is not None else target)
        if not self._capture.isOpened():
            self._capture.release()
            self._drop_alias()
            raise SourceError(self._cannot_open_message(target))
        self._capture.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
        reported_fps = float(self._capture.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = reported_fps if _plausible_fps(reported_fps) else (fps_hint or 30.0)
        count = int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        self.frame_count = count if count > 0 and not is_live else None
        self.stats.frames_expected = max(self.frame_count - start_frame, 0) if self.frame_count else None
        self.width = int(self._capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.height = int(self._capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self._iterated = False
        self._clock = ContainerClock(self.fps, is_live=is_live)
        self._first: tuple[float, float, np.ndarray] | None = None
        if start_frame:
            self._move_to(start_frame, seek)
        if not is_live:
            self._first = self._read_first(target)

    def _move_to(self, frame: int, seek: bool) -> None:
        if seek:
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, frame)
            return
        for _ in range(frame):
            if not self._capture.grab():
                break

    def _read_first(self, target: str | int) -> tuple[float, float, np.ndarray]:
        image = self._read_one()
        if image is None:
            self._capture.release()
            self._drop_alias()
            target = display_path(target) if isinstance(target, str) else target
            raise SourceError(
                f"'{target}' has no video frame that can be decoded: it is empty, cut off before its first "
                f"frame, or in a codec OpenCV/FFmpeg cannot decode. {_REENCODE_HINT.format(path=target)}"
            )
        self.height, self.width = image.shape[:2]  # after rotation metadata is applied
        return (*self._timestamp(), image)

    @staticmethod
    def _cannot_open_message(target: str | int) -> str:
        if isinstance(target, int):
            return (f"cannot open camera {target}. Check it is connected and not used by another program, "
                    "or pass --source FILE")
        container = _sniff_container(target)
        target = display_path(target)
        if container is None:
            return (f"cannot read '{target}' as a video: the file is damaged or not a video OpenCV/FFmpeg can decode "
                    "(it does not start like any video container); check that it is the recording you meant")
        return (f"cannot read '{target}' as a video: the file is damaged or not a video OpenCV/FFmpeg can decode "
                f"(it starts like {container} file, but is truncated, damaged, has no video stream or uses an "
                f"unsupported codec). {_REENCODE_HINT.format(path=target)}")

    def _read_one(self) -> np.ndarray | None:
        try:
            ok, image = self._capture.read()
        except cv2.error as exc:
            self.stats.error = self.stats.error or f"decoder error: {str(exc).strip().splitlines()[-1]}"
            return None
        return image if ok and image is not None and image.size else None

    def _more_expected(self) -> bool:
        expected = self.stats.frames_expected or 0
        return expected > 0 and not self.is_live and self.stats.frames_read + self.stats.frames_skipped < expected

    def __iter__(self) -> Iterator[Frame]:
        if self._iterated:
            raise SourceError(f"'{self.name}' was already read; open it again to read it twice")
        self._iterated = True
        last_t: float | None = None
        damaged_at: float | None = None
        index = 0
        if self._first is not None:
            last_t, ms, first_image = self._first
            self._first = None
            self.stats.frames_read += 1
            yield Frame(0, last_t, first_image, ms)
            index = 1
        failures = 0
        while True:
            image = self._read_one()
            if image is None:
                # A damaged frame is a failed read with good frames after it; the end is failed reads only.
                failures += 1
                if failures <= MAX_UNREADABLE_RUN and self._more_expected():
                    continue
                break
            if failures:
                self.stats.frames_skipped += failures
                damaged_at = damaged_at if damaged_at is not None else last_t
                failures = 0
            t, ms = self._timestamp()
            last_t = t
            self.stats.frames_read += 1
            yield Frame(index, t, image, ms)
            index += 1
        self._judge_completeness(last_t, damaged_at)

    def _judge_completeness(self, last_t: float | None, damaged_at: float | None) -> None:
        """Flag a stream that ended before the container said it would, or had frames skipped."""
        stats, problems = self.stats, []
        if stats.frames_skipped:
            where = f" after {damaged_at:.2f} s" if damaged_at is not None else ""
            problems.append(f"{stats.frames_skipped} damaged frame(s){where} could not be decoded and were skipped")
        expected = stats.frames_expected
        if expected and not self.is_live and stats.frames_read < 0.95 * expected - 1:
            # The frame count is an estimate (duration x fps) in some containers: variable-frame-rate
            # video reaches the announced duration with fewer frames. Cut short means short on both.
            announced_s = expected / self.fps
            reached_s = (last_t or 0.0) + 1.0 / self.fps
            if reached_s < 0.95 * announced_s:
                problems.append(f"the video ended at {reached_s:.2f} s of {announced_s:.2f} s, after "
                                f"{stats.frames_read} of {expected} frames (truncated or corrupt)")
        if stats.error and not problems:
            problems.append(f"reading stopped after {stats.frames_read} frames ({stats.error})")
        if problems:
            stats.stopped_early = True
            stats.error = "; ".join(problems) + ": the results cover only what was read"

    def _timestamp(self) -> tuple[float, float]:
        """The container's clock for the frame just read, made strictly increasing and gap-safe, and
        as the container reported it."""
        ms = float(self._capture.get(cv2.CAP_PROP_POS_MSEC))
        return self._clock(ms), ms

    def close(self) -> None:
        self._first = None
        self._capture.release()
        self._drop_alias()

    def _drop_alias(self) -> None:
        if self._alias is not None:
            self._alias.close()
            self._alias = None


class OpenCVName:
    """A name OpenCV can open for ``path``: the path itself, or a symlink with an ASCII name to it.

    OpenCV's FFmpeg backend crashes (SIGSEGV) on a file name that is not valid UTF-8 (a Latin-1
    ``café.mp4``); the kernel resolves the symlink, so OpenCV never sees the name's bytes. The link
    lives in a private temporary folder, removed by :meth:`close`; it works in worker processes too.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._folder: str | None = None
        self.name = os.fspath(path)
        if "://" in self.name or is_utf8_path(self.name):
            return
        self._folder = tempfile.mkdtemp(prefix="posecoach-name-")
        suffix = os.path.splitext(self.name)[1]
        alias = os.path.join(self._folder, "video" + (suffix if suffix.isascii() else ""))
        os.symlink(os.path.abspath(self.name), alias)
        self.name = alias

    def close(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def __enter__(self) -> OpenCVName:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ImageFolderSource(FrameSource):
    """A folder of still images taken as consecutive frames at a fixed rate.

    Files without an image extension are ignored (a folder of frames often holds a notes file);
    files with one that do not decode are skipped, keep their slot in the timeline, and are reported.
    """

    def __init__(self, folder: Path, fps: float | None = None) -> None:
        super().__init__()
        self.name = display_path(folder)
        self.fps = fps or DEFAULT_IMAGE_FOLDER_FPS
        self.fps_assumed = fps is None
        """No rate was given: frames are timed at :data:`DEFAULT_IMAGE_FOLDER_FPS`, and the summary says so."""
        try:
            self._paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        except OSError as exc:
            raise SourceError(f"cannot list the folder '{folder}': {exc.strerror}. Check its permissions (ls -l)") \
                from exc
        if not self._paths:
            raise SourceError(
                f"'{folder}' is a folder with no videos (.mp4, .mov, .avi, .mkv, .webm, .gif…) and no images "
                f"({', '.join(sorted(IMAGE_SUFFIXES))}); pass a video file, a folder of videos or a folder of frames"
            )
        self.frame_count = len(self._paths)
        self.stats.frames_expected = self.frame_count
        self.skipped: list[Path] = []
        first = next((image for image in map(self._read, self._paths) if image is not None), None)
        if first is None:
            raise SourceError(f"none of the {len(self._paths)} images in '{folder}' can be decoded; "
                              "check that they are complete image files")
        self.height, self.width = first.shape[:2]

    @staticmethod
    def _read(path: Path) -> np.ndarray | None:
        try:
            data = np.fromfile(path, dtype=np.uint8)
        except OSError:
            return None
        return cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None

    def __iter__(self) -> Iterator[Frame]:
        for index, path in enumerate(self._paths):
            image = self._read(path)
            if image is None:
                self.skipped.append(path)
                self.stats.frames_skipped += 1
                continue
            self.stats.frames_read += 1
            yield Frame(index, index / self.fps, image)
        if self.skipped:
            names = ", ".join(f"'{p.name}'" for p in self.skipped[:3]) + (" ..." if len(self.skipped) > 3 else "")
            self.stats.stopped_early = True
            self.stats.error = (f"{len(self.skipped)} of {len(self._paths)} image files could not be decoded and "
                                f"were skipped ({names})")


_REENCODE_HINT = "If it plays elsewhere, convert it: ffmpeg -i '{path}' -c:v libx264 converted.mp4"


def _sniff_container(path: str) -> str | None:
    """Which video container a file starts like, to tell 'not a video' from 'a video we cannot decode'."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError:
        return None
    for offset, magic, name in _CONTAINER_SIGNATURES:
        if head[offset:offset + len(magic)] == magic:
            return name
    return None


def open_source(spec: str | int | os.PathLike[str], *, image_fps: float | None = None) -> FrameSource:
    """Open a video path, image folder, camera index (``0`` or ``"0"``) or URL.

    ``image_fps`` is the rate an image folder's frames were taken at (default 30, noted in the summary).
    """
    if isinstance(spec, int) or (isinstance(spec, str) and spec.isdigit()):
        return CaptureSource(int(spec), f"camera {spec}", is_live=True)
    text = os.fspath(spec)
    if "://" in text:
        return CaptureSource(text, text, is_live=not text.startswith("file://"))
    path = Path(text)
    if not path.exists():
        raise SourceError(f"no such file or folder: '{display_path(path)}'")
    if not os.access(path, os.R_OK | (os.X_OK if path.is_dir() else 0)):
        raise SourceError(f"cannot read '{display_path(path)}': permission denied. Check its permissions (ls -l) or "
                          "copy it somewhere you can read")
    if path.is_dir():
        return ImageFolderSource(path, image_fps)
    if path.is_char_device():  # /dev/video0 given as a path
        return CaptureSource(str(path), str(path), is_live=True)
    if not path.is_file():
        raise SourceError(f"'{path}' is not a regular file or folder; pass a video file or a folder of frames")
    if path.stat().st_size == 0:
        raise SourceError(f"'{path}' is empty (0 bytes); record or copy the video again")
    with _quiet_ffmpeg():
        source = CaptureSource(str(path), str(path))
    return source


@contextlib.contextmanager
def _quiet_ffmpeg() -> Iterator[None]:
    """Opening probes print to stderr: OpenCV's log, and its AVI parser straight to file descriptor 2
    ("Unexpected element. Expected: LIST"). Our own error message says it better, in one line."""
    logging = cv2.utils.logging
    previous = logging.getLogLevel()
    logging.setLogLevel(logging.LOG_LEVEL_SILENT)
    try:
        with silenced_native_stderr():
            yield
    finally:
        logging.setLogLevel(previous)


@contextlib.contextmanager
def silenced_native_stderr(enabled: bool = True) -> Iterator[None]:
    """Hide the log lines native code (TFLite, absl, FFmpeg) prints straight to file descriptor 2."""
    if not enabled:
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)

