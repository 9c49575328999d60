"""A pose trace: the model's raw landmarks for every frame of a clip, saved as compressed numpy.

Caching what the model said (rather than what posecoach made of it) lets the golden regression
and the benchmarks replay real clips through features and engine in milliseconds, without
MediaPipe, and exactly as the live pipeline would see them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posecoach.landmarks import NUM_LANDMARKS, PoseFrame, RawPose

TRACE_FORMAT_VERSION = 1


@dataclass
class PoseTrace:
    """``normalized`` (T, 33, 5) and ``world`` (T, 33, 3); rows are NaN where no person was found."""

    source: str
    fps: float
    width: int
    height: int
    timestamps_s: np.ndarray
    normalized: np.ndarray
    world: np.ndarray

    def __len__(self) -> int:
        return len(self.timestamps_s)

    def raw_at(self, index: int) -> RawPose | None:
        normalized = self.normalized[index]
        if np.isnan(normalized[0, 0]):
            return None
        return RawPose(normalized.astype(np.float32), self.world[index].astype(np.float32))

    def pose_frames(self) -> Iterator[tuple[float, PoseFrame | None]]:
        """Yield ``(timestamp_s, PoseFrame or None)`` as the live pipeline would produce them."""
        for index, t in enumerate(self.timestamps_s):
            raw = self.raw_at(index)
            t = float(t)
            yield t, (PoseFrame.from_raw(raw, t, self.width, self.height) if raw is not None else None)

    def save(self, path: Path) -> None:
        """Half-precision keeps a 30 s clip around 100 kB; 1e-3 of the frame is far below model noise."""
        np.savez_compressed(
            path,
            format_version=TRACE_FORMAT_VERSION,
            source=self.source,
            fps=self.fps,
            size=np.array([self.width, self.height]),
            timestamps_s=self.timestamps_s.astype(np.float64),
            normalized=self.normalized.astype(np.float16),
            world=self.world.astype(np.float16),
        )

    @classmethod
    def load(cls, path: Path) -> PoseTrace:
        with np.load(path) as data:
            width, height = (int(v) for v in data["size"])
            return cls(
                source=str(data["source"]),
                fps=float(data["fps"]),
                width=width,
                height=height,
                timestamps_s=data["timestamps_s"].astype(np.float64),
                normalized=data["normalized"].astype(np.float32),
                world=data["world"].astype(np.float32),
            )


class PoseTraceBuilder:
    """Collects frames one by one (the analysis loop) and freezes them into a :class:`PoseTrace`."""

    def __init__(self, source: str, fps: float, width: int, height: int) -> None:
        self.source, self.fps, self.width, self.height = source, fps, width, height
        self._timestamps: list[float] = []
        self._normalized: list[np.ndarray] = []
        self._world: list[np.ndarray] = []

    def add(self, timestamp_s: float, raw: RawPose | None) -> None:
        self._timestamps.append(timestamp_s)
        if raw is None:
            self._normalized.append(np.full((NUM_LANDMARKS, 5), np.nan, dtype=np.float32))
            self._world.append(np.full((NUM_LANDMARKS, 3), np.nan, dtype=np.float32))
        else:
            self._normalized.append(raw.normalized)
            self._world.append(raw.world)

    def build(self) -> PoseTrace:
        count = len(self._timestamps)
        return PoseTrace(
            self.source, self.fps, self.width, self.height,
            np.asarray(self._timestamps, dtype=np.float64),
            np.stack(self._normalized) if count else np.empty((0, NUM_LANDMARKS, 5), np.float32),
            np.stack(self._world) if count else np.empty((0, NUM_LANDMARKS, 3), np.float32),
        )
