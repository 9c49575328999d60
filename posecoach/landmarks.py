"""Named landmarks of MediaPipe's 33-point BlazePose topology, sides and the skeleton.

posecoach owns these names so no module ever indexes a landmark array with a bare number.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

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


def _mirror_name(name: str) -> str:
    if name.startswith("LEFT_"):
        return "RIGHT_" + name[5:]
    if name.startswith("RIGHT_"):
        return "LEFT_" + name[6:]
    return name


MIRROR: tuple[int, ...] = tuple(Landmark[_mirror_name(lm.name)].value for lm in Landmark)
"""``array[MIRROR]`` swaps every left landmark with its right twin."""

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
