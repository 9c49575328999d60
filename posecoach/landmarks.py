"""Named landmarks of MediaPipe's 33-point BlazePose topology, sides and the skeleton.

posecoach owns these names so no module ever indexes a landmark array with a bare number.
The pose types (:class:`RawPose`, :class:`PoseFrame`) live here too: everything downstream of the
MediaPipe adapter (``pose.py``) needs them, and none of it should import the adapter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Protocol

import numpy as np

NUM_LANDMARKS = 33


class Landmark(IntEnum):
    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


class Side(StrEnum):
    LEFT = "left"
    RIGHT = "right"

    @property
    def other(self) -> Side:
        return Side.RIGHT if self is Side.LEFT else Side.LEFT


class Joint(StrEnum):
    """A body part that exists on both sides; ``of(side)`` names the landmark."""

    SHOULDER = "SHOULDER"
    ELBOW = "ELBOW"
    WRIST = "WRIST"
    HIP = "HIP"
    KNEE = "KNEE"
    ANKLE = "ANKLE"
    HEEL = "HEEL"
    FOOT_INDEX = "FOOT_INDEX"
    EAR = "EAR"

    def of(self, side: Side) -> Landmark:
        return _JOINT_LANDMARKS[self, side]


_JOINT_LANDMARKS: dict[tuple[Joint, Side], Landmark] = {
    (joint, side): Landmark[f"{side.name}_{joint.value}"] for joint in Joint for side in Side
}
"""Looked up ~30 times a frame, so built once rather than parsed from names each time."""


SKELETON: tuple[tuple[Landmark, Landmark], ...] = (
    (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER),
    (Landmark.LEFT_HIP, Landmark.RIGHT_HIP),
    *(
        (Joint.SHOULDER.of(s), Joint.HIP.of(s))
        for s in Side
    ),
    *((Joint.SHOULDER.of(s), Joint.ELBOW.of(s)) for s in Side),
    *((Joint.ELBOW.of(s), Joint.WRIST.of(s)) for s in Side),
    *((Joint.HIP.of(s), Joint.KNEE.of(s)) for s in Side),
    *((Joint.KNEE.of(s), Joint.ANKLE.of(s)) for s in Side),
    *((Joint.ANKLE.of(s), Joint.HEEL.of(s)) for s in Side),
    *((Joint.HEEL.of(s), Joint.FOOT_INDEX.of(s)) for s in Side),
    *((Joint.ANKLE.of(s), Joint.FOOT_INDEX.of(s)) for s in Side),
    (Landmark.NOSE, Landmark.LEFT_EYE),
    (Landmark.NOSE, Landmark.RIGHT_EYE),
    (Landmark.LEFT_EYE, Landmark.LEFT_EAR),
    (Landmark.RIGHT_EYE, Landmark.RIGHT_EAR),
)
"""Bones drawn by the overlay."""

VISIBILITY_CUT = 0.3
"""Landmarks whose visibility is below this are NaN in a :class:`PoseFrame`.

Low on purpose: MediaPipe reports visibility of lying bodies' far-side joints around 0.3-0.6
while their positions are still usable; the features weigh the near side anyway.
"""


@dataclass(frozen=True)
class RawPose:
    """The model's answer for one frame, before any posecoach interpretation.

    ``normalized`` is (33, 5): x, y in [0, 1] of the image, z (scaled like x), visibility, presence.
    ``world`` is (33, 3) metres around the hips. ``None`` of this exists when no person was found.
    """

    normalized: np.ndarray
    world: np.ndarray


@dataclass(frozen=True)
class PoseFrame:
    """One person's landmarks at one instant, in posecoach's terms.

    ``xyzv`` is (33, 4): x and y in pixels of the (rotated) frame, so angles are true angles on a
    non-square image; z in the same scale as x; visibility in [0, 1]. Rows of landmarks below the
    visibility cut are NaN. ``world`` is (33, 3) metres, or None.
    """

    timestamp_s: float
    xyzv: np.ndarray = field(repr=False)
    world: np.ndarray | None = field(default=None, repr=False)
    image_size: tuple[int, int] = (0, 0)

    @classmethod
    def from_raw(cls, raw: RawPose, timestamp_s: float, width: int, height: int,
                 visibility_cut: float = VISIBILITY_CUT) -> PoseFrame:
        xyzv = np.empty((NUM_LANDMARKS, 4), dtype=np.float64)
        xyzv[:, 0] = raw.normalized[:, 0] * width
        xyzv[:, 1] = raw.normalized[:, 1] * height
        xyzv[:, 2] = raw.normalized[:, 2] * width
        xyzv[:, 3] = raw.normalized[:, 3]
        hidden = raw.normalized[:, 3] < visibility_cut
        xyzv[hidden, :3] = np.nan
        world = raw.world.astype(np.float64, copy=True)
        world[hidden] = np.nan
        return cls(timestamp_s, xyzv, world, (width, height))


class Estimator(Protocol):
    """Anything that turns an image into a pose: ``pose.PoseEstimator``, or a fake in tests."""

    def estimate(self, image_bgr: np.ndarray, timestamp_s: float) -> PoseFrame | None: ...
