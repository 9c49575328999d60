"""Synthetic landmark trajectories with exactly known reps, holds and faults.

A stick body in metric world coordinates (image y down) is posed from a few sagittal-plane angles
and projected orthographically to a 640x480 side view. Tests script the angles over time and know
the truth exactly, so they can drive the pure engine without MediaPipe or video.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np

from posecoach.landmarks import NUM_LANDMARKS, Joint, Landmark, PoseFrame, Side

THIGH, SHANK, TORSO, HALF_HIPS, HALF_SHOULDERS = 0.42, 0.40, 0.50, 0.10, 0.18
PIXELS_PER_METRE, IMAGE_SIZE = 300.0, (640, 480)


@dataclass(frozen=True)
class BodyAngles:
    """Degrees. ``trunk_elevation``: 0 lying with head to +x, 90 standing. ``chest_up``: True on the back."""

    hip_left: float = 0.0
    hip_right: float = 0.0
    knee_left: float = 0.0
    knee_right: float = 0.0
    trunk_elevation: float = 0.0
    chest_up: bool = True
    pelvis_roll: float = 0.0
    camera_yaw: float = 0.0
    """Degrees the camera turns about the vertical: 0 films the body from its side, 90 from its feet."""
    camera_pitch: float = 0.0
    """Degrees the camera tips about its horizontal axis (after turning). MediaPipe's world axes follow
    the camera's, so a camera looking down along a lying body tips the trunk and chest readings."""


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def pose_from_angles(angles: BodyAngles, t: float, *, visibility: float = 0.95) -> PoseFrame:
    e = math.radians(angles.trunk_elevation)
    trunk = np.array([math.cos(e), -math.sin(e), 0.0])
    lateral = np.array([0.0, 0.0, 1.0 if angles.chest_up else -1.0])
    roll = math.radians(angles.pelvis_roll)
    lateral = _unit(lateral * math.cos(roll) + np.array([0.0, -1.0, 0.0]) * math.sin(roll))
    anterior = np.cross(trunk, lateral)
    world = np.zeros((NUM_LANDMARKS, 3))
    for side, sign in ((Side.LEFT, -1.0), (Side.RIGHT, 1.0)):
        hip_deg = angles.hip_left if side is Side.LEFT else angles.hip_right
        knee_deg = angles.knee_left if side is Side.LEFT else angles.knee_right
        h, k = math.radians(hip_deg), math.radians(knee_deg)
        thigh = math.cos(h) * -trunk + math.sin(h) * anterior
        shank = math.cos(k) * thigh - math.sin(k) * np.cross(lateral, thigh)
        hip = sign * HALF_HIPS * lateral
        knee = hip + THIGH * thigh
        ankle = knee + SHANK * shank
        shoulder = TORSO * trunk + sign * HALF_SHOULDERS * lateral
        world[Joint.HIP.of(side)] = hip
        world[Joint.KNEE.of(side)] = knee
        world[Joint.ANKLE.of(side)] = ankle
        world[Joint.HEEL.of(side)] = ankle - 0.05 * thigh
        world[Joint.FOOT_INDEX.of(side)] = ankle + 0.15 * anterior
        world[Joint.SHOULDER.of(side)] = shoulder
        # Face down the arms prop the body up (a plank); otherwise they lie along the trunk.
        arm = np.array([0.0, 1.0, 0.0]) if not angles.chest_up else -trunk
        world[Joint.ELBOW.of(side)] = shoulder + 0.28 * arm
        world[Joint.WRIST.of(side)] = shoulder + 0.5 * arm
        world[Joint.EAR.of(side)] = TORSO * 1.3 * trunk + sign * 0.07 * lateral
    head = TORSO * 1.35 * trunk
    for landmark in Landmark:
        if not world[landmark].any():
            world[landmark] = head + 0.08 * anterior
    if angles.camera_yaw:
        yaw = math.radians(angles.camera_yaw)
        turn = np.array([[math.cos(yaw), 0.0, math.sin(yaw)], [0.0, 1.0, 0.0], [-math.sin(yaw), 0.0, math.cos(yaw)]])
        world = world @ turn.T
    if angles.camera_pitch:
        pitch = math.radians(angles.camera_pitch)
        tilt = np.array([[1.0, 0.0, 0.0], [0.0, math.cos(pitch), -math.sin(pitch)],
                         [0.0, math.sin(pitch), math.cos(pitch)]])
        world = world @ tilt.T
    width, height = IMAGE_SIZE
    xyzv = np.empty((NUM_LANDMARKS, 4))
    xyzv[:, 0] = width / 2 + PIXELS_PER_METRE * world[:, 0]
    xyzv[:, 1] = height * 0.6 + PIXELS_PER_METRE * world[:, 1]
    xyzv[:, 2] = PIXELS_PER_METRE * world[:, 2]
    xyzv[:, 3] = visibility
    return PoseFrame(t, xyzv, world, IMAGE_SIZE)


Script = Callable[[float], BodyAngles | None]


def sample(script: Script, duration_s: float, fps: float = 30.0, *, noise_deg: float = 0.0,
           seed: int = 0) -> Iterator[tuple[float, PoseFrame | None]]:
    """Frames of ``script`` at ``fps``; ``None`` from the script means nobody is visible."""
    rng = np.random.default_rng(seed)
    for i in range(round(duration_s * fps)):
        t = i / fps
        angles = script(t)
        if angles is None:
            yield t, None
            continue
        if noise_deg:
            jitter = rng.normal(0.0, noise_deg, 4)
            angles = replace(angles, hip_left=angles.hip_left + jitter[0], hip_right=angles.hip_right + jitter[1],
                             knee_left=angles.knee_left + abs(jitter[2]), knee_right=angles.knee_right + abs(jitter[3]))
        yield t, pose_from_angles(angles, t)


def bump(t: float, start: float, rise: float, hold: float = 0.0, fall: float | None = None) -> float:
    """0 → 1 → 0 with cosine ramps: rise, hold at the top, fall. 0 outside."""
    fall = rise if fall is None else fall
    if t < start or t > start + rise + hold + fall:
        return 0.0
    if t < start + rise:
        return 0.5 - 0.5 * math.cos(math.pi * (t - start) / rise)
    if t < start + rise + hold:
        return 1.0
    return 0.5 + 0.5 * math.cos(math.pi * (t - start - rise - hold) / fall)


def reps_signal(t: float, starts: list[float], rise: float, hold: float = 0.0, fall: float | None = None) -> float:
    return max((bump(t, s, rise, hold, fall) for s in starts), default=0.0)
