"""Features: body angles and body-relative heights from one pose, and a One-Euro smoother.

Angles come from MediaPipe's metric world landmarks when present, so they are true 3-D joint
angles whatever the camera angle (a knee driven toward the camera still reads as hip flexion);
directions that need gravity use the image's vertical, i.e. assume a roughly level camera.
Everything here is numpy only: no OpenCV, no MediaPipe.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass

import numpy as np

from posecoach.landmarks import Joint, Landmark, PoseFrame, Side

Features = dict[str, float]
"""Named scalar features of one frame, e.g. ``hip_flexion.left``; NaN when not measurable."""

SIDED_FEATURES = (
    "hip_flexion",
    "knee_flexion",
    "thigh_elevation",
    "knee_height",
    "arm_elevation",
    "upper_arm_from_vertical",
    "visibility",
)
"""Features measured per side; each also has a ``.both`` value (mean of the visible sides)."""

_DOWN = (0.0, 1.0, 0.0)
_SIDE_JOINTS = tuple(
    (side.value, tuple(int(j.of(side)) for j in (Joint.SHOULDER, Joint.ELBOW, Joint.HIP, Joint.KNEE, Joint.ANKLE)))
    for side in Side
)
"""Per side: its name and the landmark indices features read, resolved once."""


Vec = tuple[float, float, float]
"""A 3-vector as plain floats: a frame needs ~150 tiny vector operations, and numpy's per-call
overhead on 3-element arrays made feature extraction cost ~500 µs a frame; plain floats ~40 µs."""


def _sub(a: Vec, b: Vec) -> Vec:
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def _mid(a: Vec, b: Vec) -> Vec:
    return ((a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0, (a[2] + b[2]) / 2.0)


def _neg(a: Vec) -> Vec:
    return (-a[0], -a[1], -a[2])


def _dot(a: Vec, b: Vec) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _cross(a: Vec, b: Vec) -> Vec:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def _norm(a: Vec) -> float:
    return math.sqrt(_dot(a, a))


def _angle_deg(u: Vec, v: Vec) -> float:
    nu, nv = _norm(u), _norm(v)
    if not (nu > 1e-9 and nv > 1e-9):
        return math.nan
    cosine = _dot(u, v) / (nu * nv)
    return math.degrees(math.acos(max(-1.0, min(1.0, cosine))))


def _signed_angle_deg(u: Vec, v: Vec, axis: Vec) -> float:
    """Angle from ``u`` to ``v`` about ``axis`` in (-180, 180]: the sagittal-plane angle when
    ``axis`` is the hip-to-hip line, so extension past straight reads negative instead of folding."""
    sine = _dot(_cross(u, v), axis) / (_norm(axis) or 1.0)
    return math.degrees(math.atan2(sine, _dot(u, v)))


def _elevation_deg(v: Vec) -> float:
    """Angle of ``v`` above the horizontal (image y is down): +90 straight up, -90 straight down."""
    norm = _norm(v)
    if not norm > 1e-9:
        return math.nan
    return math.degrees(math.asin(max(-1.0, min(1.0, -v[1] / norm))))


@dataclass(frozen=True)
class Skeleton3D:
    """The points features are computed on: metric world coordinates, or image pixels (z ignored)."""

    points: list[Vec]
    visibility: list[float]

    @classmethod
    def from_pose(cls, pose: PoseFrame) -> Skeleton3D:
        visibility = [v if v == v else 0.0 for v in pose.xyzv[:, 3].tolist()]  # NaN → 0
        if pose.world is not None and np.isfinite(pose.world[[Landmark.LEFT_HIP, Landmark.RIGHT_HIP]]).all():
            return cls([tuple(row) for row in pose.world.tolist()], visibility)
        return cls([(x, y, 0.0) for x, y in pose.xyzv[:, :2].tolist()], visibility)


def near_side(features: Features, margin: float = 0.15) -> Side | None:
    """The side of the body facing the camera, or None for a front/back view or when unknown."""
    nearer = features.get("left_side_nearer", math.nan)
    if not abs(nearer) > margin:
        return None
    return Side.LEFT if nearer > 0 else Side.RIGHT


def _both_seen(left: float, right: float) -> tuple[float, float] | None:
    return (left, right) if math.isfinite(left) and math.isfinite(right) else None


def sided(features: Features, name: str, side: Side | None) -> float:
    """A feature whose name has ``{side}`` (the working side) or ``{other}`` in it, for ``side``; the
    both-sides value when ``side`` is None. NaN when not measurable."""
    if side is None:
        return features.get(name.replace("{side}", "both").replace("{other}", "both"), math.nan)
    return features.get(name.replace("{side}", side.value).replace("{other}", side.other.value), math.nan)


def describe_posture(features: Features) -> str:
    """The body's position in plain words, for notes that say what posecoach saw instead."""
    incline = features.get("trunk_incline", math.nan)
    chest = features.get("chest_facing", math.nan)
    if not (math.isfinite(incline) and math.isfinite(chest)):
        return "partly out of the picture"
    if incline >= 45:
        return "upright (standing, kneeling or sitting tall)"
    if features.get("pelvis_vertical", 0.0) >= 40 and abs(incline) < 50:
        return "lying on your side"
    if chest >= 25 and incline < 40:
        return "lying on your back"
    if chest <= -30:
        return "face down (a plank or on hands and knees)"
    return "sitting or leaning back"


END_ON_RATIO = 1.1
"""Hip width over torso length as the image shows them: ~0.1 from the side, ~0.6 from the front of an
upright body, and above 1 when the trunk points at the camera (filmed from the head or the feet)."""
LYING_END_ON_RATIO = 0.45
"""The same ratio from which a body lying on the back or face down is filmed along its length: ~0.15
from the side, ~0.3 obliquely, 0.45-1.6 from the head or the feet (a camera looking down at a lying
body foreshortens its trunk less than one level with it). An upright body reads 0.6 from the front,
so this holds only for a chest facing up or down."""
LYING_CHEST = 25.0
"""Degrees the chest faces up or down from horizontal in a body lying on its back or face down (the
lower bound of the postures on the back): standing, kneeling and lying on a side face it sideways."""


def looks_along_body(features: Features) -> bool:
    """The camera looks along the trunk, from the head or the feet: angles in depth are guesses there."""
    end_on = features.get("end_on", math.nan)
    lying = abs(features.get("chest_facing", math.nan)) >= LYING_CHEST
    return end_on > END_ON_RATIO or (lying and end_on > LYING_END_ON_RATIO)


def compute_features(pose: PoseFrame) -> Features:
    """All features of one frame. Missing landmarks give NaN, never an exception."""
    skeleton = Skeleton3D.from_pose(pose)
    p = skeleton.points
    features: Features = {}

    mid_shoulder = _mid(p[Landmark.LEFT_SHOULDER], p[Landmark.RIGHT_SHOULDER])
    mid_hip = _mid(p[Landmark.LEFT_HIP], p[Landmark.RIGHT_HIP])
    trunk = _sub(mid_shoulder, mid_hip)
    down_trunk = _neg(trunk)
    hip_axis = _sub(p[Landmark.RIGHT_HIP], p[Landmark.LEFT_HIP])
    chest = _cross(trunk, hip_axis)
    features["trunk_incline"] = _elevation_deg(trunk)
    # The direction the chest faces: +90 lying on the back, -90 face down (plank), ~0 standing or on a side.
    features["chest_facing"] = _elevation_deg(chest)
    torso = _norm(trunk)
    features["torso_length"] = torso

    visibility = skeleton.visibility
    for name, (i_shoulder, i_elbow, i_hip, i_knee, i_ankle) in _SIDE_JOINTS:
        hip, knee, ankle = p[i_hip], p[i_knee], p[i_ankle]
        upper_arm = _sub(p[i_elbow], p[i_shoulder])
        thigh, shank = _sub(knee, hip), _sub(ankle, knee)
        # Flexion is positive toward the front of the body; the hip axis fixes the sign
        # (right-hand rule from the left hip to the right hip).
        features[f"hip_flexion.{name}"] = _signed_angle_deg(down_trunk, thigh, hip_axis)
        features[f"knee_flexion.{name}"] = _angle_deg(thigh, shank)
        features[f"thigh_elevation.{name}"] = _angle_deg(_DOWN, thigh)
        features[f"knee_height.{name}"] = (hip[1] - knee[1]) / torso if torso > 1e-9 else math.nan
        features[f"arm_elevation.{name}"] = _angle_deg(upper_arm, down_trunk)
        # 0° when the upper arm hangs straight down from the shoulder: the support of a plank.
        features[f"upper_arm_from_vertical.{name}"] = _angle_deg(upper_arm, _DOWN)
        features[f"visibility.{name}"] = (visibility[i_shoulder] + visibility[i_hip] + visibility[i_knee]
                                          + visibility[i_ankle]) / 4.0

    for name in SIDED_FEATURES:
        finite = [v for v in (features[f"{name}.left"], features[f"{name}.right"]) if v == v]
        features[f"{name}.both"] = sum(finite) / len(finite) if finite else math.nan
    # A position held on one leg while the other moves: on hands and knees the kneeling knee stays bent
    # (a bird-dog's reaching leg is straight); in a plank the supporting leg stays straight (a knee
    # drive bends the other); in a bridge the standing leg's hip stays extended (a marching bridge's
    # lifted leg flexes).
    # Which leg is which needs both seen: with one hidden, the one in view may be the moving one.
    knees = _both_seen(features["knee_flexion.left"], features["knee_flexion.right"])
    features["knee_flexion.most_bent"] = max(knees) if knees else math.nan
    features["knee_flexion.least_bent"] = min(knees) if knees else math.nan
    hips = _both_seen(features["hip_flexion.left"], features["hip_flexion.right"])
    features["hip_flexion.least_bent"] = min(hips) if hips else math.nan

    to_ankles = _sub(_mid(p[Landmark.LEFT_ANKLE], p[Landmark.RIGHT_ANKLE]), mid_hip)
    # The shoulder-hip-ankle line about the hip axis: a piking plank reads positive, sagging hips negative.
    features["body_line"] = _signed_angle_deg(down_trunk, to_ankles, hip_axis)
    # Bending sideways (a side plank's hips dropping toward the floor) about the chest's axis.
    features["body_side_bend"] = _signed_angle_deg(down_trunk, to_ankles, chest)
    hip_width = _norm(hip_axis)
    knee_gap = _norm(_sub(p[Landmark.LEFT_KNEE], p[Landmark.RIGHT_KNEE]))
    features["knee_gap"] = knee_gap / hip_width if hip_width > 1e-9 else math.nan
    features["hip_lift"] = _hip_lift(p, mid_hip, torso)
    # How high the feet are above the hips (torso lengths): sitting, both rest on the floor (-0.45 to
    # -0.05 as read); a boat lifts the feet (0.6-1.05). A height, as hip_lift, hardly follows the camera.
    features["feet_height"] = -to_ankles[1] / torso if torso > 1e-9 else math.nan
    features["pelvis_tilt"] = _elevation_deg(hip_axis)
    features["pelvis_vertical"] = abs(features["pelvis_tilt"])
    features["shoulder_tilt"] = _elevation_deg(_sub(p[Landmark.RIGHT_SHOULDER], p[Landmark.LEFT_SHOULDER]))
    # Which side faces the camera: > 0 the left side is nearer (MediaPipe's z grows away from the
    # camera), in torso lengths; near 0 for a front or back view.
    image = pose.xyzv[:, :3].tolist()
    left_shoulder, right_shoulder = image[Landmark.LEFT_SHOULDER], image[Landmark.RIGHT_SHOULDER]
    left_hip, right_hip = image[Landmark.LEFT_HIP], image[Landmark.RIGHT_HIP]
    nearer = (right_shoulder[2] + right_hip[2] - left_shoulder[2] - left_hip[2]) / 2.0
    image_torso = math.hypot(left_shoulder[0] - left_hip[0], left_shoulder[1] - left_hip[1])
    features["left_side_nearer"] = nearer / image_torso if image_torso > 1e-9 else math.nan
    image_hips = math.hypot(left_hip[0] - right_hip[0], left_hip[1] - right_hip[1])
    image_trunk = math.hypot((left_shoulder[0] + right_shoulder[0] - left_hip[0] - right_hip[0]) / 2.0,
                             (left_shoulder[1] + right_shoulder[1] - left_hip[1] - right_hip[1]) / 2.0)
    # > END_ON_RATIO: the camera looks along the trunk (from the head or the feet).
    features["end_on"] = image_hips / image_trunk if image_trunk > 1e-9 else math.nan
    return features


def _hip_lift(p: list[Vec], mid_hip: Vec, torso: float) -> float:
    """How high the hips are above the line from the lower elbow to the lower ankle (torso lengths).

    Lying on a side, the hips rest on the floor with the forearm and the feet: near that line
    (0.1-0.3). In a side plank they are lifted into the line from the shoulder to the feet, an upper
    arm above the floor (0.4-0.6 on forearm or hand). A height, unlike an angle, hardly changes when
    the camera looks down at 20 deg (cos 20 deg = 0.94), so it can be judged in world coordinates that
    follow the camera. A lower elbow the model cannot place while the hips and feet are seen is under
    the body, where it is only when lying on it: the hips are down (0). Feet cropped out of a close-up
    leave the height unknown (NaN), not low.
    """
    lower = Side.LEFT if p[Landmark.LEFT_SHOULDER][1] > p[Landmark.RIGHT_SHOULDER][1] else Side.RIGHT
    elbow, ankle = p[Joint.ELBOW.of(lower)], p[Joint.ANKLE.of(lower)]
    if not math.isfinite(ankle[1]):
        ankle = p[Joint.ANKLE.of(lower.other)]
    if not math.isfinite(elbow[1]) and math.isfinite(ankle[1]) and math.isfinite(mid_hip[1]):
        return 0.0
    along = _sub(ankle, elbow)
    length_sq = _dot(along, along)
    if not length_sq > 1e-12 or not torso > 1e-9:
        return math.nan
    share = _dot(_sub(mid_hip, elbow), along) / length_sq
    on_line_y = elbow[1] + share * along[1]
    return (on_line_y - mid_hip[1]) / torso  # world y points down


class RollingMedian:
    """Median of the values seen in the last ``window_s`` seconds.

    MediaPipe swaps a hidden leg with the visible one for a frame or a few (the far leg in a side
    view jumps to where the near knee is); a short median removes those bursts before smoothing,
    where a low-pass filter would only smear them into fake movement.
    """

    def __init__(self, window_s: float = 0.2) -> None:
        self.window_s = window_s
        self._samples: deque[tuple[float, float]] = deque()

    def reset(self) -> None:
        self._samples.clear()

    def __call__(self, value: float, t: float) -> float:
        if not math.isfinite(value):
            return value
        samples = self._samples
        samples.append((t, value))
        while samples and samples[0][0] < t - self.window_s:
            samples.popleft()
        return statistics.median(v for _, v in samples)


class OneEuroFilter:
    """Casiez et al.'s One-Euro filter: smooths jitter at rest, follows fast moves with little lag.

    Pure and clock-free: it is driven by the timestamps it is given.
    """

    def __init__(self, min_cutoff_hz: float = 1.5, beta: float = 0.02, derivative_cutoff_hz: float = 1.0) -> None:
        self.min_cutoff_hz = min_cutoff_hz
        self.beta = beta
        self.derivative_cutoff_hz = derivative_cutoff_hz
        self._last_t: float | None = None
        self._value = 0.0
        self._derivative = 0.0

    @staticmethod
    def _alpha(cutoff_hz: float, dt: float) -> float:
        tau = 1.0 / (2.0 * math.pi * cutoff_hz)
        return 1.0 / (1.0 + tau / dt)

    def reset(self) -> None:
        self._last_t = None

    def __call__(self, value: float, t: float) -> float:
        if not math.isfinite(value):
            return value
        if self._last_t is None or t <= self._last_t:
            if self._last_t is None:
                self._value, self._derivative = value, 0.0
            self._last_t = t if self._last_t is None else self._last_t
            return self._value
        dt = t - self._last_t
        derivative = (value - self._value) / dt
        a_d = self._alpha(self.derivative_cutoff_hz, dt)
        self._derivative += a_d * (derivative - self._derivative)
        cutoff = self.min_cutoff_hz + self.beta * abs(self._derivative)
        self._value += self._alpha(cutoff, dt) * (value - self._value)
        self._last_t = t
        return self._value
