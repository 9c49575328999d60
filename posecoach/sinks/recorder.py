"""The live session's recording: annotated frames written at a fixed rate."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from posecoach.errors import OutputError

VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov")
"""What posecoach writes video to (MJPG in .avi, mp4v otherwise)."""


def fourcc(path: Path) -> int:
    return cv2.VideoWriter.fourcc(*("MJPG" if path.suffix.lower() == ".avi" else "mp4v"))


class VideoRecorder:
    """Writes the annotated frames at a fixed rate, repeating frames across dropped ones so the
    recording plays back in real time."""

    MAX_FILL_S = 10.0

    def __init__(self, path: Path, fps: float = 30.0) -> None:
        self.path = Path(path)
        if not self.path.parent.exists():
            raise OutputError(f"cannot record to '{self.path}': folder '{self.path.parent}' does not exist")
        if self.path.suffix.lower() not in VIDEO_SUFFIXES:
            raise OutputError(f"cannot record to '{self.path}': use a .mp4, .avi, .mkv or .mov file name")
        self.fps = fps
        self.frames_written = 0
        self._writer: cv2.VideoWriter | None = None
        self._t0 = 0.0

    def write(self, image: np.ndarray, t_s: float) -> None:
        if self._writer is None:
            height, width = image.shape[:2]
            self._writer = cv2.VideoWriter(str(self.path), fourcc(self.path), self.fps, (width, height))
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
        if self._writer is not None:
            self._writer.release()
            self._writer = None
