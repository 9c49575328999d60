"""The live session's recording: annotated frames written at a fixed rate."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from posecoach.errors import OutputError

VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov")
"""What posecoach writes video to (MJPG in .avi, mp4v otherwise)."""


def fourcc(path: Path) -> int:
    """OpenCV's four-character codec code (what ``VideoWriter.fourcc`` computes), for this file's suffix."""
    return int.from_bytes(("MJPG" if path.suffix.lower() == ".avi" else "mp4v").encode("ascii"), "little")


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
            height, width = image.shape[:2]
            self._writer = cv2.VideoWriter(self._output.opencv_name, fourcc(self.path), self.fps, (width, height))
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
        """Move the recording into place (checked, never over an input); discard an empty one."""
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
