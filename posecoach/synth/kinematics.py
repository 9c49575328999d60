"""A kinematic body model: joint angles per frame in, 3-D joint positions and body parts out.

The world is metres with the floor at ``y = 0``: ``x`` runs along the floor (a lying body's feet
point to +x, a standing body faces +x), ``y`` is up and ``z`` is horizontal depth. The body's own
frame (the pelvis) has ``x`` anterior, ``y`` superior and ``z`` toward the person's **right**, so
their left is ``-z``.

A pose is a set of named channels in degrees (:data:`CHANNELS`); every function is vectorised
over frames, so a whole clip is one call. Segment lengths are fractions of the standing height
(Drillis & Contini's anthropometric table), and the same body parts (tapered capsules and
ellipsoids, :func:`body_parts`) serve the renderer and the floor contact, so what touches the
floor in the picture is what touches it in the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from posecoach.landmarks import NUM_LANDMARKS, Landmark

SIDES = ("l", "r")
ROOT_CHANNELS = ("pitch", "roll", "yaw", "tilt")
TRUNK_CHANNELS = ("spine_flex", "spine_lateral", "spine_twist", "neck_flex")
LIMB_CHANNELS = ("hip_flex", "hip_abd", "hip_twist", "knee_flex", "ankle_flex",
                 "shoulder_flex", "shoulder_abd", "elbow_flex")
HELPER_CHANNELS = ("plant_l", "plant_r", "grab_l", "grab_r", "level")
"""Blend weights (0-1), not angles: ``plant_*`` pins that foot flat on the floor by inverse
kinematics (bridges, bent-knee lying); ``grab_*`` brings both hands to that knee (knee-to-chest);
``level`` tips the body until the lowest hand/arm point and the lowest leg point both touch the
floor (planks, all fours, side plank)."""

CHANNELS: tuple[str, ...] = (
    *ROOT_CHANNELS, *TRUNK_CHANNELS,
    *(f"{name}_{side}" for name in LIMB_CHANNELS for side in SIDES),
    *HELPER_CHANNELS,
)
"""Every channel a motion may script. Angles in degrees:

- ``pitch``: the pelvis tipped about the world z axis (0 standing, 90 lying on the back, -90 face down);
- ``roll``: about the body's long axis (90 = lying on the left side); ``yaw``: heading about vertical;
  ``tilt``: pelvis tipped sideways (standing hip hike);
- ``spine_flex`` (forward curl of the thorax over the pelvis), ``spine_lateral``, ``spine_twist``,
  ``neck_flex`` (chin to chest);
- per side: ``hip_flex`` (0 = thigh along the trunk line, 90 = thigh forward), ``hip_abd`` (outward),
  ``hip_twist`` (knee turned outward about the hip-ankle line, clamshell), ``knee_flex``,
  ``ankle_flex`` (toes pointed), ``shoulder_flex`` (0 = arm down by the side, 180 = overhead),
  ``shoulder_abd``, ``elbow_flex``.
"""

Material = Literal["skin", "shirt", "pants", "shoes", "hair"]


@dataclass(frozen=True)
class BodyShape:
    """Proportions of one person. Lengths are fractions of ``height_m``; ``girth`` scales radii."""

    height_m: float = 1.70
    girth: float = 1.0
    hip_width: float = 0.115
    lumbar: float = 0.065
    thorax: float = 0.215
    shoulder_drop: float = 0.025
    shoulder_width: float = 0.225
    neck: float = 0.045
    upper_arm: float = 0.186
    forearm: float = 0.146
    hand: float = 0.095
    thigh: float = 0.245
    shank: float = 0.246
    ankle_height: float = 0.039
    heel_back: float = 0.035
    foot_length: float = 0.150
    head_axes: tuple[float, float, float] = (0.060, 0.072, 0.050)
    """Head ellipsoid semi-axes (anterior, superior, lateral)."""

    def m(self, fraction: float) -> float:
        """A length in metres from a fraction of the height."""
        return fraction * self.height_m

    @property
    def leg_length_m(self) -> float:
        return self.m(self.thigh + self.shank)


@dataclass(frozen=True)
class Part:
    """One drawable, floor-touching piece of the body.

    A capsule runs from point ``a`` to point ``b`` with radii ``radius_a``/``radius_b``; an
    ellipsoid sits at point ``a`` (plus ``offset`` in ``frame``) with ``axes`` in ``frame``.
    """

    name: str
    kind: Literal["capsule", "ellipsoid"]
    material: Material
    a: str
    b: str = ""
    radius_a: float = 0.0
    radius_b: float = 0.0
    frame: str = ""
    axes: tuple[float, float, float] = (0.0, 0.0, 0.0)
    offset: tuple[float, float, float] = (0.0, 0.0, 0.0)


@dataclass
class Body:
    """A clip's worth of posed body: ``points[name]`` is (T, 3) metres, ``frames[name]`` (T, 3, 3)."""

    shape: BodyShape
    points: dict[str, np.ndarray]
    frames: dict[str, np.ndarray]
    parts: tuple[Part, ...] = field(default_factory=tuple)
    angles: dict[str, np.ndarray] = field(default_factory=dict)
    """The channels that posed it, after any contact solving."""

    @property
    def frame_count(self) -> int:
        return len(self.points["pelvis"])

    def translate(self, offset: np.ndarray) -> None:
        """Move every point by ``offset`` ((T, 3) or (3,)); frames are unchanged."""
        for name in self.points:
            self.points[name] = self.points[name] + offset

    def landmarks(self) -> np.ndarray:
        """(T, 33, 3) world positions in MediaPipe's BlazePose order (see :data:`LANDMARK_POINTS`)."""
        out = np.empty((self.frame_count, NUM_LANDMARKS, 3))
        for landmark, point in LANDMARK_POINTS.items():
            out[:, landmark] = self.points[point]
        return out

    def part_centres(self) -> dict[str, np.ndarray]:
        """(T, 3) centre of each part, for depth ordering."""
        centres = {}
        for part in self.parts:
            if part.kind == "capsule":
                centres[part.name] = 0.5 * (self.points[part.a] + self.points[part.b])
            else:
                centres[part.name] = ellipsoid_centre(self, part)
        return centres

    def lowest_point(self, names: tuple[str, ...] | None = None) -> np.ndarray:
        """(T, 3) lowest surface point among the parts named (all parts by default)."""
        bottoms = np.stack([part_bottom(self, part) for part in self.parts if names is None or part.name in names])
        which = np.argmin(bottoms[:, :, 1], axis=0)
        return bottoms[which, np.arange(self.frame_count)]


LANDMARK_POINTS: dict[Landmark, str] = {
    Landmark.NOSE: "nose",
    Landmark.LEFT_EYE_INNER: "eye_inner_l", Landmark.LEFT_EYE: "eye_l", Landmark.LEFT_EYE_OUTER: "eye_outer_l",
    Landmark.RIGHT_EYE_INNER: "eye_inner_r", Landmark.RIGHT_EYE: "eye_r", Landmark.RIGHT_EYE_OUTER: "eye_outer_r",
    Landmark.LEFT_EAR: "ear_l", Landmark.RIGHT_EAR: "ear_r",
    Landmark.MOUTH_LEFT: "mouth_l", Landmark.MOUTH_RIGHT: "mouth_r",
    Landmark.LEFT_SHOULDER: "shoulder_l", Landmark.RIGHT_SHOULDER: "shoulder_r",
    Landmark.LEFT_ELBOW: "elbow_l", Landmark.RIGHT_ELBOW: "elbow_r",
    Landmark.LEFT_WRIST: "wrist_l", Landmark.RIGHT_WRIST: "wrist_r",
    Landmark.LEFT_PINKY: "pinky_l", Landmark.RIGHT_PINKY: "pinky_r",
    Landmark.LEFT_INDEX: "index_l", Landmark.RIGHT_INDEX: "index_r",
    Landmark.LEFT_THUMB: "thumb_l", Landmark.RIGHT_THUMB: "thumb_r",
    Landmark.LEFT_HIP: "hip_l", Landmark.RIGHT_HIP: "hip_r",
    Landmark.LEFT_KNEE: "knee_l", Landmark.RIGHT_KNEE: "knee_r",
    Landmark.LEFT_ANKLE: "ankle_l", Landmark.RIGHT_ANKLE: "ankle_r",
    Landmark.LEFT_HEEL: "heel_l", Landmark.RIGHT_HEEL: "heel_r",
    Landmark.LEFT_FOOT_INDEX: "toe_l", Landmark.RIGHT_FOOT_INDEX: "toe_r",
}
"""Which model point stands for each MediaPipe landmark (joint centres; MediaPipe's own convention
sits a few centimetres off these, so compare motion, not exact positions)."""


def _rot(axis: int, degrees: np.ndarray) -> np.ndarray:
    """(T, 3, 3) right-handed rotations about a coordinate axis."""
    angle = np.radians(np.asarray(degrees, dtype=np.float64))
    c, s = np.cos(angle), np.sin(angle)
    one, zero = np.ones_like(c), np.zeros_like(c)
    if axis == 0:
        rows = ((one, zero, zero), (zero, c, -s), (zero, s, c))
    elif axis == 1:
        rows = ((c, zero, s), (zero, one, zero), (-s, zero, c))
    else:
        rows = ((c, -s, zero), (s, c, zero), (zero, zero, one))
    return np.stack([np.stack(row, axis=-1) for row in rows], axis=-2)


def rot_x(degrees: np.ndarray) -> np.ndarray:
    return _rot(0, degrees)


def rot_y(degrees: np.ndarray) -> np.ndarray:
    return _rot(1, degrees)


def rot_z(degrees: np.ndarray) -> np.ndarray:
    return _rot(2, degrees)


def _apply(rotation: np.ndarray, vector: tuple[float, float, float] | np.ndarray) -> np.ndarray:
    """Rotate a fixed local vector (3,) or per-frame vectors (T, 3) by (T, 3, 3) rotations."""
    vector = np.asarray(vector, dtype=np.float64)
    if vector.ndim == 1:
        return rotation @ vector
    return np.einsum("tij,tj->ti", rotation, vector)


def _rotate_about_axis(points: np.ndarray, origin: np.ndarray, axis: np.ndarray, degrees: np.ndarray) -> np.ndarray:
    """Rodrigues' rotation of (T, 3) points about per-frame axes through ``origin``."""
    unit = axis / np.maximum(np.linalg.norm(axis, axis=1, keepdims=True), 1e-9)
    angle = np.radians(degrees)[:, None]
    v = points - origin
    rotated = (v * np.cos(angle) + np.cross(unit, v) * np.sin(angle)
               + unit * np.sum(unit * v, axis=1, keepdims=True) * (1 - np.cos(angle)))
    return origin + rotated


def pelvis_rotation(pitch: np.ndarray, roll: np.ndarray, yaw: np.ndarray, tilt: np.ndarray) -> np.ndarray:
    """World orientation of the pelvis frame: heading, then tip, then roll, then sideways tilt."""
    return rot_y(yaw) @ rot_z(pitch) @ rot_y(roll) @ rot_x(tilt)


def side_sign(side: str) -> float:
    """+1 for the left side, whose outward direction is -z: positive abduction then moves toward -z."""
    return 1.0 if side == "l" else -1.0


def forward_kinematics(angles: dict[str, np.ndarray], shape: BodyShape,
                       root: np.ndarray | None = None) -> Body:
    """Pose a body: (T,) channels in degrees (missing ones are 0) and a (T, 3) pelvis position."""
    frame_count = len(next(iter(angles.values())))

    def channel(name: str) -> np.ndarray:
        return np.asarray(angles.get(name, np.zeros(frame_count)), dtype=np.float64)

    m = shape.m
    root = np.zeros((frame_count, 3)) if root is None else np.asarray(root, dtype=np.float64)
    pelvis = pelvis_rotation(channel("pitch"), channel("roll"), channel("yaw"), channel("tilt"))
    thorax = pelvis @ rot_x(-channel("spine_lateral")) @ rot_y(channel("spine_twist")) @ rot_z(-channel("spine_flex"))
    head = thorax @ rot_z(-channel("neck_flex"))
    points: dict[str, np.ndarray] = {"pelvis": root}
    frames: dict[str, np.ndarray] = {"pelvis": pelvis, "thorax": thorax, "head": head}

    points["lumbar"] = root + _apply(pelvis, (0.0, m(shape.lumbar), 0.0))
    points["neck_base"] = points["lumbar"] + _apply(thorax, (0.0, m(shape.thorax), 0.0))
    points["head_base"] = points["neck_base"] + _apply(head, (0.0, m(shape.neck), 0.0))
    head_axes = np.array([m(a) for a in shape.head_axes])
    points["head"] = points["head_base"] + _apply(head, (0.15 * head_axes[0], 0.75 * head_axes[1], 0.0))
    for name, local in _face_points(head_axes).items():
        points[name] = points["head"] + _apply(head, local)

    for side in SIDES:
        sign = side_sign(side)
        lateral = -sign  # the side's outward z
        points[f"hip_{side}"] = root + _apply(pelvis, (0.0, 0.0, lateral * m(shape.hip_width) / 2))
        thigh = pelvis @ rot_x(sign * channel(f"hip_abd_{side}")) @ rot_z(channel(f"hip_flex_{side}"))
        shank = thigh @ rot_z(-channel(f"knee_flex_{side}"))
        foot = shank @ rot_z(-channel(f"ankle_flex_{side}"))
        hip = points[f"hip_{side}"]
        knee = hip + _apply(thigh, (0.0, -m(shape.thigh), 0.0))
        ankle = knee + _apply(shank, (0.0, -m(shape.shank), 0.0))
        heel = ankle + _apply(foot, (-m(shape.heel_back), -m(shape.ankle_height), 0.0))
        toe = ankle + _apply(foot, (m(shape.foot_length - shape.heel_back), -0.55 * m(shape.ankle_height), 0.0))
        twist = channel(f"hip_twist_{side}")
        if np.any(twist):
            axis = ankle - hip
            knee, heel, toe = (_rotate_about_axis(p, hip, axis, -sign * twist) for p in (knee, heel, toe))
        points[f"knee_{side}"], points[f"ankle_{side}"] = knee, ankle
        points[f"heel_{side}"], points[f"toe_{side}"] = heel, toe
        frames[f"foot_{side}"] = foot

        points[f"shoulder_{side}"] = points["neck_base"] + _apply(
            thorax, (0.0, -m(shape.shoulder_drop), lateral * m(shape.shoulder_width) / 2))
        upper_arm = thorax @ rot_x(sign * channel(f"shoulder_abd_{side}")) @ rot_z(channel(f"shoulder_flex_{side}"))
        forearm = upper_arm @ rot_z(channel(f"elbow_flex_{side}"))
        elbow = points[f"shoulder_{side}"] + _apply(upper_arm, (0.0, -m(shape.upper_arm), 0.0))
        wrist = elbow + _apply(forearm, (0.0, -m(shape.forearm), 0.0))
        points[f"elbow_{side}"], points[f"wrist_{side}"] = elbow, wrist
        points[f"hand_{side}"] = wrist + _apply(forearm, (0.0, -0.45 * m(shape.hand), 0.0))
        points[f"index_{side}"] = wrist + _apply(forearm, (0.01 * shape.height_m, -0.8 * m(shape.hand), 0.0))
        points[f"pinky_{side}"] = wrist + _apply(forearm, (-0.012 * shape.height_m, -0.65 * m(shape.hand), 0.0))
        points[f"thumb_{side}"] = wrist + _apply(forearm, (0.022 * shape.height_m, -0.45 * m(shape.hand), 0.0))
        frames[f"forearm_{side}"] = forearm

    for joint in ("hip", "shoulder", "elbow", "wrist", "knee", "ankle"):
        points[f"{joint}_mid"] = 0.5 * (points[f"{joint}_l"] + points[f"{joint}_r"])
    return Body(shape, points, frames, body_parts(shape), dict(angles))


def _face_points(head_axes: np.ndarray) -> dict[str, np.ndarray]:
    """Face landmarks on the head ellipsoid's surface, in the head frame around the head centre."""
    ant, sup, lat = head_axes

    def on_surface(x: float, y: float, z: float) -> np.ndarray:
        direction = np.array([x, y, z])
        scale = 1.0 / np.sqrt(np.sum((direction / head_axes) ** 2))
        return direction * scale

    face = {"nose": on_surface(ant, -0.05 * sup, 0.0) + np.array([0.18 * ant, 0.0, 0.0])}
    for side, lateral in (("l", -1.0), ("r", 1.0)):
        face[f"eye_inner_{side}"] = on_surface(ant, 0.22 * sup, lateral * 0.22 * lat)
        face[f"eye_{side}"] = on_surface(ant, 0.22 * sup, lateral * 0.42 * lat)
        face[f"eye_outer_{side}"] = on_surface(ant, 0.22 * sup, lateral * 0.62 * lat)
        face[f"ear_{side}"] = on_surface(-0.1 * ant, 0.05 * sup, lateral * lat)
        face[f"mouth_{side}"] = on_surface(ant, -0.45 * sup, lateral * 0.28 * lat)
    return face


def body_parts(shape: BodyShape) -> tuple[Part, ...]:
    """The capsules and ellipsoids that make the body's volume, in body-relative sizes."""
    m, g = shape.m, shape.girth

    def r(fraction: float) -> float:
        return m(fraction) * g

    parts = [
        Part("pelvis", "ellipsoid", "pants", "pelvis", frame="pelvis",
             axes=(r(0.062), r(0.060), r(0.095)), offset=(-m(0.008), m(0.012), 0.0)),
        Part("abdomen", "ellipsoid", "shirt", "lumbar", frame="thorax",
             axes=(r(0.058), r(0.070), r(0.085)), offset=(0.0, m(0.035), 0.0)),
        Part("chest", "ellipsoid", "shirt", "neck_base", frame="thorax",
             axes=(r(0.064), r(0.095), r(0.100)), offset=(0.0, -m(0.085), 0.0)),
        Part("trunk", "capsule", "shirt", "lumbar", "neck_base", r(0.062), r(0.055)),
        Part("neck", "capsule", "skin", "neck_base", "head_base", r(0.030), r(0.028)),
        Part("head", "ellipsoid", "skin", "head", frame="head",
             axes=(m(shape.head_axes[0]), m(shape.head_axes[1]), m(shape.head_axes[2]))),
        Part("hair", "ellipsoid", "hair", "head", frame="head",
             axes=(m(shape.head_axes[0]) * 0.86, m(shape.head_axes[1]) * 0.86, m(shape.head_axes[2]) * 1.05),
             offset=(-0.32 * m(shape.head_axes[0]), 0.26 * m(shape.head_axes[1]), 0.0)),
    ]
    for side in SIDES:
        parts += [
            Part(f"thigh_{side}", "capsule", "pants", f"hip_{side}", f"knee_{side}", r(0.052), r(0.033)),
            Part(f"shank_{side}", "capsule", "pants", f"knee_{side}", f"ankle_{side}", r(0.032), r(0.021)),
            Part(f"foot_{side}", "capsule", "shoes", f"heel_{side}", f"toe_{side}", r(0.022), r(0.018)),
            Part(f"upper_arm_{side}", "capsule", "shirt", f"shoulder_{side}", f"elbow_{side}", r(0.030), r(0.022)),
            Part(f"forearm_{side}", "capsule", "skin", f"elbow_{side}", f"wrist_{side}", r(0.021), r(0.016)),
            Part(f"hand_{side}", "ellipsoid", "skin", f"hand_{side}", frame=f"forearm_{side}",
                 axes=(r(0.012), m(shape.hand) * 0.5, r(0.026))),
        ]
    return tuple(parts)


def ellipsoid_centre(body: Body, part: Part) -> np.ndarray:
    return body.points[part.a] + _apply(body.frames[part.frame], part.offset)


def ellipsoid_matrix(body: Body, part: Part) -> np.ndarray:
    """(T, 3, 3) matrix whose columns are the ellipsoid's semi-axes in world coordinates."""
    return body.frames[part.frame] * np.asarray(part.axes)[None, None, :]


def part_bottom(body: Body, part: Part) -> np.ndarray:
    """(T, 3) the part's lowest surface point (exact for ellipsoids, the lower end for capsules)."""
    if part.kind == "capsule":
        a = body.points[part.a] - np.array([0.0, part.radius_a, 0.0])
        b = body.points[part.b] - np.array([0.0, part.radius_b, 0.0])
        return np.where((a[:, 1] <= b[:, 1])[:, None], a, b)
    axes = ellipsoid_matrix(body, part)
    up_in_axes = axes[:, 1, :]
    extent = np.maximum(np.linalg.norm(up_in_axes, axis=1, keepdims=True), 1e-9)
    return ellipsoid_centre(body, part) - np.einsum("tij,tj->ti", axes, up_in_axes / extent)


def two_link_ik(target: np.ndarray, first: float, second: float, bend: Literal["knee", "elbow"]
                ) -> tuple[np.ndarray, np.ndarray]:
    """Angles that bring a two-segment limb's tip to ``target`` in its parent's sagittal plane.

    ``target`` is (T, 2): (anterior, superior) from the root joint in the parent frame. Returns
    the root angle (from straight down toward anterior) and the middle joint's flexion, both in
    degrees. A knee bends forward of the root-tip line, an elbow behind it; an unreachable target
    straightens the limb toward it.
    """
    distance = np.linalg.norm(target, axis=1)
    reach = np.clip(distance, abs(first - second) + 1e-6, first + second - 1e-6)
    toward = np.degrees(np.arctan2(target[:, 0], -target[:, 1]))
    inner = np.degrees(np.arccos(np.clip((first**2 + second**2 - reach**2) / (2 * first * second), -1, 1)))
    offset = np.degrees(np.arccos(np.clip((first**2 + reach**2 - second**2) / (2 * first * reach), -1, 1)))
    flexion = 180.0 - inner
    if bend == "knee":
        return toward + offset, flexion
    return toward - offset, flexion


def to_local(rotation: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """World (T, 3) vectors expressed in the (T, 3, 3) frames."""
    return np.einsum("tji,tj->ti", rotation, vectors)
