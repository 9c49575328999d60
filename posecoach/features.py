"""Features: body angles and body-relative heights from one pose, and a One-Euro smoother.

Angles come from MediaPipe's metric world landmarks when present, so they are true 3-D joint
angles whatever the camera angle (a knee driven toward the camera still reads as hip flexion);
directions that need gravity use the image's vertical, i.e. assume a roughly level camera.
Everything here is numpy only: no OpenCV, no MediaPipe.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from posecoach.landmarks import Joint, Landmark, Side
from posecoach.pose import PoseFrame

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

_DOWN = np.array([0.0, 1.0, 0.0])


def _point(points: np.ndarray, landmark: Landmark) -> np.ndarray:
    return points[landmark, :3]


def _mid(points: np.ndarray, a: Landmark, b: Landmark) -> np.ndarray:
    return (points[a, :3] + points[b, :3]) / 2.0


def _angle_deg(u: np.ndarray, v: np.ndarray) -> float:
    nu, nv = float(np.linalg.norm(u)), float(np.linalg.norm(v))
    if not (nu > 1e-9 and nv > 1e-9):
        return math.nan
    cosine = float(np.dot(u, v)) / (nu * nv)
    return math.degrees(math.acos(max(-1.0, min(1.0, cosine))))


def _signed_angle_deg(u: np.ndarray, v: np.ndarray, axis: np.ndarray) -> float:
    """Angle from ``u`` to ``v`` about ``axis`` in (-180, 180]: the sagittal-plane angle when
    ``axis`` is the hip-to-hip line, so extension past straight reads negative instead of folding."""
    cross = np.cross(u, v)
    sine = float(np.dot(cross, axis)) / (float(np.linalg.norm(axis)) or 1.0)
    return math.degrees(math.atan2(sine, float(np.dot(u, v))))


def _elevation_deg(v: np.ndarray) -> float:
    """Angle of ``v`` above the horizontal (image y is down): +90 straight up, -90 straight down."""
    norm = float(np.linalg.norm(v))
    if not norm > 1e-9:
        return math.nan
    return math.degrees(math.asin(max(-1.0, min(1.0, -float(v[1]) / norm))))


@dataclass(frozen=True)
class Skeleton3D:
    """The points features are computed on: metric world coordinates, or image pixels (z ignored)."""

    points: np.ndarray
    visibility: np.ndarray

    @classmethod
    def from_pose(cls, pose: PoseFrame) -> Skeleton3D:
        visibility = np.nan_to_num(pose.xyzv[:, 3], nan=0.0)
        if pose.world is not None and np.isfinite(pose.world[[Landmark.LEFT_HIP, Landmark.RIGHT_HIP]]).all():
            return cls(pose.world, visibility)
        points = pose.xyzv[:, :3].copy()
        points[:, 2] = 0.0
        return cls(points, visibility)


def compute_features(pose: PoseFrame) -> Features:
    """All features of one frame. Missing landmarks give NaN, never an exception."""
    skeleton = Skeleton3D.from_pose(pose)
    p = skeleton.points
    features: Features = {}

    mid_shoulder = _mid(p, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER)
    mid_hip = _mid(p, Landmark.LEFT_HIP, Landmark.RIGHT_HIP)
    trunk = mid_shoulder - mid_hip
    hip_axis = _point(p, Landmark.RIGHT_HIP) - _point(p, Landmark.LEFT_HIP)
    features["trunk_incline"] = _elevation_deg(trunk)
    # The direction the chest faces: +90 lying on the back, -90 face down (plank), ~0 standing or on a side.
    features["chest_facing"] = _elevation_deg(np.cross(trunk, hip_axis))
    features["torso_length"] = float(np.linalg.norm(trunk))

    for side in Side:
        hip, knee, ankle = (_point(p, j.of(side)) for j in (Joint.HIP, Joint.KNEE, Joint.ANKLE))
        shoulder, elbow = _point(p, Joint.SHOULDER.of(side)), _point(p, Joint.ELBOW.of(side))
        thigh, shank = knee - hip, ankle - knee
        # Flexion is positive toward the front of the body; the hip axis fixes the sign
        # (right-hand rule from the left hip to the right hip).
        features[f"hip_flexion.{side.value}"] = _signed_angle_deg(-trunk, thigh, hip_axis)
        features[f"knee_flexion.{side.value}"] = _angle_deg(thigh, shank)
        features[f"thigh_elevation.{side.value}"] = _angle_deg(_DOWN, thigh)
        torso = features["torso_length"]
        features[f"knee_height.{side.value}"] = float(hip[1] - knee[1]) / torso if torso > 1e-9 else math.nan
        features[f"arm_elevation.{side.value}"] = _angle_deg(elbow - shoulder, -trunk)
        # 0° when the upper arm hangs straight down from the shoulder: the support of a plank.
        features[f"upper_arm_from_vertical.{side.value}"] = _angle_deg(elbow - shoulder, _DOWN)
        joints = [j.of(side) for j in (Joint.SHOULDER, Joint.HIP, Joint.KNEE, Joint.ANKLE)]
        features[f"visibility.{side.value}"] = float(np.mean(skeleton.visibility[joints]))

    for name in SIDED_FEATURES:
        values = [features[f"{name}.{s.value}"] for s in Side]
        finite = [v for v in values if math.isfinite(v)]
        features[f"{name}.both"] = float(np.mean(finite)) if finite else math.nan

    ankles = _mid(p, Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE)
    # The shoulder-hip-ankle line about the hip axis: a piking plank reads positive, sagging hips negative.
    features["body_line"] = _signed_angle_deg(-trunk, ankles - mid_hip, hip_axis)
    chest = np.cross(trunk, hip_axis)
    # Bending sideways (a side plank's hips dropping toward the floor) about the chest's axis.
    features["body_side_bend"] = _signed_angle_deg(-trunk, ankles - mid_hip, chest)
    knee_gap = float(np.linalg.norm(_point(p, Landmark.LEFT_KNEE) - _point(p, Landmark.RIGHT_KNEE)))
    hip_width = float(np.linalg.norm(hip_axis))
    features["knee_gap"] = knee_gap / hip_width if hip_width > 1e-9 else math.nan
    features["pelvis_tilt"] = _elevation_deg(hip_axis)
    features["pelvis_vertical"] = abs(features["pelvis_tilt"])
    features["shoulder_tilt"] = _elevation_deg(
        _point(p, Landmark.RIGHT_SHOULDER) - _point(p, Landmark.LEFT_SHOULDER)
    )
    return features


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
