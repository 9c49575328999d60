"""The live session's recording: annotated frames written at a fixed rate."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

from posecoach.errors import OutputError

VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov")
"""What posecoach writes video to: H.264 in .mp4/.mkv/.mov through PyAV (mp4v through OpenCV without
it), MJPG in .avi."""

H264_ENCODERS = ("libx264", "libopenh264")
"""H.264 encoders an FFmpeg build may carry, best first (PyAV's wheels ship libx264)."""


def fourcc(path: Path) -> int:
    """OpenCV's four-character codec code (what ``VideoWriter.fourcc`` computes), for this file's suffix."""
    return int.from_bytes(("MJPG" if path.suffix.lower() == ".avi" else "mp4v").encode("ascii"), "little")


@functools.cache
def h264_encoder() -> str | None:
    """The H.264 encoder PyAV offers here, or None (PyAV missing, or an FFmpeg build without one)."""
    try:
        import av
    except ImportError:
        return None
    return next((name for name in H264_ENCODERS if name in av.codecs_available), None)


class VideoWriter(Protocol):
    """What OpenCV's ``VideoWriter`` and :class:`H264Writer` share."""

    def write(self, image: np.ndarray, /) -> object: ...

    def release(self) -> None: ...


class H264Writer:
    """BGR frames to H.264 (yuv420p, ``+faststart``) through PyAV: what every browser and mail client
    plays, unlike OpenCV's mp4v. Odd frame sizes lose their last row or column (4:2:0 needs even ones).
    FFmpeg's errors come out as :class:`OSError`, like a failing disk's."""

    def __init__(self, name: str, fps: float, size: tuple[int, int], encoder: str) -> None:
        import av

        self._av = av
        width, height = size[0] - size[0] % 2, size[1] - size[1] % 2
        self._size = width, height
        try:
            self._container = av.open(name, mode="w", options={"movflags": "+faststart"})
            stream = self._container.add_stream(encoder, rate=Fraction(fps).limit_denominator(1001))
            assert isinstance(stream, av.video.stream.VideoStream)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            if encoder == "libx264":
                stream.options = {"crf": "23", "preset": "veryfast"}
        except av.FFmpegError as exc:
            raise OSError(f"FFmpeg could not start an H.264 file ({exc})") from exc
        self._stream = stream

    def write(self, image: np.ndarray) -> None:
        width, height = self._size
        frame = self._av.VideoFrame.from_ndarray(np.ascontiguousarray(image[:height, :width]), format="bgr24")
        try:
            self._container.mux(self._stream.encode(frame))
        except self._av.FFmpegError as exc:
            raise OSError(str(exc)) from exc

    def release(self) -> None:
        try:
            self._container.mux(self._stream.encode(None))
        except self._av.FFmpegError as exc:
            raise OSError(str(exc)) from exc
        finally:
            self._container.close()


def release_video_writer(writer: VideoWriter) -> OSError | cv2.error | None:
    """Finish ``writer``'s file; the error finishing it raised (a full disk, FFmpeg), if any, for the
    caller to report its own way."""
    try:
        writer.release()
    except (OSError, cv2.error) as exc:
        return exc
    return None


def open_video_writer(name: str, path: Path, fps: float, size: tuple[int, int]) -> VideoWriter | None:
    """A writer for ``path``'s kind of file at ``name`` (its temporary file): H.264 through PyAV for
    .mp4/.mkv/.mov when PyAV is installed, else OpenCV (mp4v; MJPG for .avi). None if it cannot open."""
    encoder = h264_encoder()
    if encoder is not None and path.suffix.lower() != ".avi":
        return H264Writer(name, fps, size, encoder)
    writer = cv2.VideoWriter(name, fourcc(path), fps, size)
    return writer if writer.isOpened() else None


class VideoRecorder:
    """Writes the annotated frames at a fixed rate, repeating frames across dropped ones so the
    recording plays back in real time. The file goes through :mod:`posecoach.outputs`: written to a
    temporary name, checked, then moved into place; never over an input, nor an existing file
    unless ``force``."""

    MAX_FILL_S = 10.0

    def __init__(self, path: Path, fps: float = 30.0, *, force: bool = False, inputs: Iterable[Any] = ()) -> None:
        from posecoach.outputs import PendingOutput, verify_video

        self.path = Path(path)
        if self.path.suffix.lower() not in VIDEO_SUFFIXES:
            raise OutputError(f"cannot record to '{self.path}': use a .mp4, .avi, .mkv or .mov file name")
        self._output = PendingOutput(self.path, force=force, inputs=inputs, option="--record", verify=verify_video)
        self.fps = fps
        self.frames_written = 0
        self.error: OutputError | None = None
        """A failed write or commit (a full disk): the session goes on, the CLI reports it after the summary."""
        self._writer: VideoWriter | None = None
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
            height, width = image.shape[:2]
            self._writer = open_video_writer(self._output.opencv_name, self.path, self.fps, (width, height))
            if self._writer is None:
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
        """Move the recording into place (checked, never over an input); discard an empty one."""
        if self._writer is not None:
            writer, self._writer = self._writer, None
            failed = release_video_writer(writer)
            if failed is not None and self.error is None:
                self.error = OutputError(f"cannot record to '{self.path}' ({failed}); check free space")
        if self.frames_written and self.error is None:
            try:
                self._output.commit()
            except OutputError as exc:
                self.error = exc
        else:
            self._output.discard()
