"""A 2.5-D OpenCV painter that MediaPipe believes: no meshes, no downloaded assets, numpy + cv2 only.

Every body part is a shaded tapered capsule or ellipsoid projected through a pinhole camera and
painted far to near (measured: volume and shading are what make MediaPipe find a figure; a stick
figure on the same background is found in 0% of frames). Each part is drawn as a few nested,
lighter layers shifted toward the light, which reads as round. The scene — a textured floor, a wall
with a skirting board and posters, a mat under floor exercises, a soft contact shadow — is ray-cast
once per clip; a frame then costs one background copy, ~30 parts and a 2x-supersampled downscale.

Everything random (camera, person, clothes, room, light) comes from the seed, so a seed renders
the same clip every time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import cv2
import numpy as np

from posecoach.synth.kinematics import Body, BodyShape, Part, ellipsoid_centre, ellipsoid_matrix
from posecoach.synth.motions import Motion, walker_motion
from posecoach.synth.truth import CameraTruth, ConditionTruth

VIEWS = ("side", "oblique", "front")
CONDITIONS = ("noise", "blur", "dark", "partly-out-of-frame", "second-person", "dropped-frames", "ntsc-timebase")
NTSC_FPS = 30000 / 1001

SKIN_TONES_BGR = ((189, 214, 245), (150, 190, 234), (120, 164, 214), (92, 134, 190), (62, 98, 150), (45, 70, 110))
HAIR_BGR = ((20, 20, 25), (30, 45, 70), (40, 70, 120), (90, 140, 190), (160, 160, 165), (25, 30, 50))
CLOTHES_BGR = ((40, 40, 45), (200, 200, 205), (150, 60, 30), (40, 40, 170), (60, 130, 40), (150, 140, 40),
               (90, 60, 120), (30, 110, 200), (120, 120, 125), (170, 110, 60), (60, 60, 110), (210, 170, 150))
MAT_BGR = ((160, 70, 110), (140, 110, 40), (70, 140, 60), (60, 60, 170), (50, 50, 55), (170, 120, 160),
           (150, 150, 60))
WALL_BGR = ((215, 222, 228), (190, 205, 215), (200, 210, 200), (175, 190, 205), (225, 225, 225), (160, 175, 190),
            (205, 195, 180))
LAYERS = ((1.0, 0.50, 0.0), (0.84, 0.68, 0.10), (0.62, 0.84, 0.22), (0.38, 0.97, 0.34), (0.17, 1.08, 0.45))
"""(radius scale, brightness, shift toward the light as a fraction of the radius) of each paint layer."""
POSTURE_ELEVATION = {
    "lying": {"side": (8, 22), "oblique": (14, 28), "front": (34, 50)},
    "side-lying": {"side": (10, 24), "oblique": (16, 30), "front": (24, 40)},
    "all-fours": {"side": (4, 16), "oblique": (8, 20), "front": (12, 26)},
    "seated": {"side": (4, 16), "oblique": (6, 18), "front": (8, 22)},
    "kneeling": {"side": (0, 12), "oblique": (2, 14), "front": (2, 14)},
    "standing": {"side": (-2, 10), "oblique": (0, 12), "front": (0, 12)},
}


@dataclass(frozen=True)
class Appearance:
    """One person's look: colours are BGR."""

    shape: BodyShape
    skin: tuple[int, int, int]
    hair: tuple[int, int, int]
    shirt: tuple[int, int, int]
    pants: tuple[int, int, int]
    shoes: tuple[int, int, int]
    long_sleeves: bool
    shorts: bool

    @classmethod
    def random(cls, rng: np.random.Generator) -> Appearance:
        def pick(table: tuple[tuple[int, int, int], ...]) -> tuple[int, int, int]:
            return table[int(rng.integers(len(table)))]

        shirt = pick(CLOTHES_BGR)
        pants = pick(CLOTHES_BGR)
        while pants == shirt:
            pants = pick(CLOTHES_BGR)
        shape = BodyShape(height_m=float(rng.uniform(1.55, 1.9)), girth=float(rng.uniform(0.92, 1.15)))
        return cls(shape, pick(SKIN_TONES_BGR), pick(HAIR_BGR), shirt, pants, pick(CLOTHES_BGR),
                   bool(rng.random() < 0.4), bool(rng.random() < 0.25))

    def colour(self, part: Part) -> tuple[int, int, int]:
        if part.name.startswith("forearm") and self.long_sleeves:
            return self.shirt
        if part.name.startswith("shank") and self.shorts:
            return self.skin
        return {"skin": self.skin, "shirt": self.shirt, "pants": self.pants, "shoes": self.shoes,
                "hair": self.hair}[part.material]


@dataclass(frozen=True)
class Room:
    """The scene around the person and its light."""

    floor: str
    floor_bgr: tuple[int, int, int]
    wall_bgr: tuple[int, int, int]
    mat_bgr: tuple[int, int, int]
    light_dir: tuple[float, float, float]
    light: float
    wall_distance_m: float
    posters: int

    @classmethod
    def random(cls, rng: np.random.Generator, wall_distance_m: float) -> Room:
        floors = {"wood": ((60, 110, 160), (80, 130, 175), (45, 80, 120)), "carpet": ((110, 110, 115), (90, 100, 120),
                                                                                     (120, 105, 90)),
                  "tiles": ((200, 200, 195), (170, 180, 185)), "concrete": ((140, 145, 150),)}
        floor = str(rng.choice(list(floors)))
        tones = floors[floor]
        azimuth = rng.uniform(0, 2 * np.pi)
        light_dir = np.array([np.cos(azimuth) * 0.5, 1.0, np.sin(azimuth) * 0.5])
        light_dir /= np.linalg.norm(light_dir)
        return cls(floor, tones[int(rng.integers(len(tones)))], WALL_BGR[int(rng.integers(len(WALL_BGR)))],
                   MAT_BGR[int(rng.integers(len(MAT_BGR)))], tuple(light_dir), float(rng.uniform(0.85, 1.1)),
                   wall_distance_m, int(rng.integers(0, 3)))


@dataclass
class Camera:
    """A pinhole camera looking at ``target`` from ``position``; pixels of the output image."""

    position: np.ndarray
    target: np.ndarray
    focal_px: float
    width: int
    height: int
    centre: tuple[float, float] = (0.0, 0.0)
    right: np.ndarray = field(init=False)
    up: np.ndarray = field(init=False)
    forward: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        if self.centre == (0.0, 0.0):
            self.centre = (self.width / 2.0, self.height / 2.0)
        self.forward = _unit(self.target - self.position)
        self.right = _unit(np.cross(self.forward, np.array([0.0, 1.0, 0.0])))
        self.up = np.cross(self.right, self.forward)

    @property
    def rotation(self) -> np.ndarray:
        """Rows: camera right, up, forward in world coordinates."""
        return np.stack([self.right, self.up, self.forward])

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        return (points - self.position) @ self.rotation.T

    def project(self, points: np.ndarray, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """(..., 3) world points → (..., 2) pixels and (...,) depth, at ``scale`` x the output size."""
        cam = self.to_camera(points)
        depth = np.maximum(cam[..., 2], 1e-3)
        pixels = np.stack([self.centre[0] + self.focal_px * cam[..., 0] / depth,
                           self.centre[1] - self.focal_px * cam[..., 1] / depth], axis=-1)
        return pixels * scale, cam[..., 2]


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-9)


def view_direction(view: str, posture: str, rng: np.random.Generator) -> tuple[float, float]:
    """(azimuth, elevation) in degrees: azimuth 0 looks from +x (the front of a standing person, the
    feet of a supine one), ±90 from either side."""
    side = 1.0 if rng.random() < 0.5 else -1.0
    if view == "side":
        azimuth = side * (90.0 + rng.uniform(-8, 8))
    elif view == "oblique":
        azimuth = side * (rng.uniform(35, 58) if rng.random() < 0.7 else rng.uniform(122, 145))
    else:
        azimuth = rng.uniform(-10, 10)
    low, high = POSTURE_ELEVATION[posture][view]
    return azimuth, float(rng.uniform(low, high))


def fit_camera(points: np.ndarray, azimuth: float, elevation: float, focal_px: float, size: tuple[int, int],
               fill: float, offset_px: tuple[float, float] = (0.0, 0.0), pad_m: float = 0.0) -> Camera:
    """Place the camera so the points' extent (plus ``pad_m`` all round) fills ``fill`` of the frame,
    centred plus ``offset_px``."""
    width, height = size
    az, el = np.radians(azimuth), np.radians(elevation)
    direction = np.array([np.cos(el) * np.cos(az), np.sin(el), np.cos(el) * np.sin(az)])
    target = 0.5 * (points.min(axis=0) + points.max(axis=0))
    distance = 3.0
    for _ in range(5):
        camera = Camera(target + distance * direction, target, focal_px, width, height)
        pixels, _ = camera.project(points)
        pad = focal_px * pad_m / distance
        extent = pixels.max(axis=0) - pixels.min(axis=0) + 2 * pad
        distance = max(distance * max(extent[0] / (fill * width), extent[1] / (fill * height)), 0.8)
        camera = Camera(target + distance * direction, target, focal_px, width, height)
        pixels, _ = camera.project(points)
        middle = 0.5 * (pixels.max(axis=0) + pixels.min(axis=0)) - np.array(offset_px)
        error = middle - np.array([width / 2, height / 2])
        target = target + (error[0] * camera.right - error[1] * camera.up) * distance / focal_px
    return Camera(target + distance * direction, target, focal_px, width, height)


# ---------------------------------------------------------------- the scene


def _value_noise(rng: np.random.Generator, size: int = 256) -> np.ndarray:
    return cv2.GaussianBlur(rng.random((size, size)).astype(np.float32), (0, 0), 1.2)


def render_background(camera: Camera, room: Room, mat: tuple[float, float, float, float] | None, scale: int,
                      rng: np.random.Generator) -> np.ndarray:
    """Ray-cast floor, wall and mat once for the clip at the output size, then upscale to ``scale`` x
    (the canvas is downsampled again, so finer background detail would be lost anyway)."""
    width, height = camera.width, camera.height
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    u = xs + 0.5 - camera.centre[0]
    v = camera.centre[1] - (ys + 0.5)
    rays = (camera.forward[None, None] * camera.focal_px + u[..., None] * camera.right[None, None]
            + v[..., None] * camera.up[None, None])
    rays /= np.linalg.norm(rays, axis=-1, keepdims=True)
    origin = camera.position
    with np.errstate(divide="ignore", invalid="ignore"):
        t_floor = np.where(rays[..., 1] < -1e-6, -origin[1] / rays[..., 1], np.inf)
        back = _unit(np.array([camera.forward[0], 0.0, camera.forward[2]]))
        wall_point = camera.target + back * room.wall_distance_m
        denominator = rays @ back
        t_wall = np.where(denominator > 1e-6, ((wall_point - origin) @ back) / denominator, np.inf)
    on_floor = t_floor < t_wall
    t = np.where(on_floor, t_floor, t_wall)
    t = np.where(np.isfinite(t), t, 50.0)
    hits = origin + rays * t[..., None]
    noise = _value_noise(rng)
    image = np.empty((height, width, 3), dtype=np.float32)

    fx, fz = hits[..., 0], hits[..., 2]
    grain = noise[(fx * 90).astype(np.int64) % 256, (fz * 90).astype(np.int64) % 256]
    floor_shade = 0.92 + 0.16 * (grain - 0.5)
    if room.floor == "wood":
        plank = np.floor(fz / 0.16)
        plank_tone = 0.85 + 0.3 * noise[(plank * 37).astype(np.int64) % 256, 11]
        stripes = 0.95 + 0.05 * np.sin(fx * 55 + 3 * noise[(fz * 200).astype(np.int64) % 256, 5])
        seam = (np.abs(fz / 0.16 - np.round(fz / 0.16)) < 0.04).astype(np.float32)
        floor_shade = plank_tone * stripes * (1 - 0.35 * seam)
    elif room.floor == "tiles":
        grid = (np.abs(fx / 0.4 - np.round(fx / 0.4)) < 0.02) | (np.abs(fz / 0.4 - np.round(fz / 0.4)) < 0.02)
        floor_shade = floor_shade * (1 - 0.3 * grid)
    floor_colour = np.asarray(room.floor_bgr, np.float32)[None, None] * floor_shade[..., None]
    if mat is not None:
        x0, x1, z0, z1 = mat
        inside = (fx > x0) & (fx < x1) & (fz > z0) & (fz < z1)
        edge = inside & ((fx - x0 < 0.015) | (x1 - fx < 0.015) | (fz - z0 < 0.015) | (z1 - fz < 0.015))
        mat_colour = np.asarray(room.mat_bgr, np.float32) * (0.95 + 0.1 * (grain[..., None] - 0.5))
        floor_colour = np.where(inside[..., None], mat_colour, floor_colour)
        floor_colour = np.where(edge[..., None], floor_colour * 0.7, floor_colour)

    wall_height = hits[..., 1]
    lateral = hits @ camera.right
    wall_colour = np.asarray(room.wall_bgr, np.float32)[None, None] * (0.86 + 0.14 * np.clip(wall_height / 2.5, 0, 1)
                                                                         )[..., None]
    wall_colour *= (0.97 + 0.06 * (noise[(wall_height * 40).astype(np.int64) % 256,
                                         (lateral * 40).astype(np.int64) % 256] - 0.5))[..., None]
    skirting = wall_height < 0.09
    wall_colour = np.where(skirting[..., None], np.float32(235) * 0.9, wall_colour)
    poster_rng = np.random.default_rng(int(rng.integers(1 << 30)))
    for _ in range(room.posters):
        centre = poster_rng.uniform(-2.5, 2.5)
        bottom = poster_rng.uniform(0.9, 1.4)
        w, h = poster_rng.uniform(0.3, 0.7), poster_rng.uniform(0.4, 0.8)
        inside = (np.abs(lateral - centre) < w / 2) & (wall_height > bottom) & (wall_height < bottom + h)
        colour = CLOTHES_BGR[int(poster_rng.integers(len(CLOTHES_BGR)))]
        wall_colour = np.where(inside[..., None], np.asarray(colour, np.float32) * 0.9, wall_colour)

    image = np.where(on_floor[..., None], floor_colour, wall_colour)
    distance_light = 1.0 / (1.0 + 0.03 * np.clip(t - 2.0, 0, None))
    image *= (room.light * distance_light)[..., None]
    image = np.clip(image, 0, 255).astype(np.uint8)
    return cv2.resize(image, (width * scale, height * scale), interpolation=cv2.INTER_LINEAR)


# ---------------------------------------------------------------- painting a body


class _Painter:
    """Draws one posed body onto a supersampled canvas.

    All geometry — projected capsule outlines, ellipse axes, paint layers, face features, floor
    shadows — is computed for the whole clip at once in numpy, so a frame is only OpenCV calls.
    """

    def __init__(self, body: Body, appearance: Appearance, camera: Camera, scale: int, light_2d: np.ndarray,
                 ambient: float) -> None:
        self.body, self.appearance, self.camera, self.scale = body, appearance, camera, scale
        self.ambient = ambient
        self.capsules = [part for part in body.parts if part.kind == "capsule"]
        self.ellipsoids = [part for part in body.parts if part.kind == "ellipsoid"]
        self.shades = {part.name: [tuple(int(c) for c in np.clip(np.asarray(appearance.colour(part), np.float64)
                                                                 * brightness * ambient, 0, 255))
                                   for _, brightness, _ in LAYERS] for part in body.parts}
        layer_scale = np.array([layer[0] for layer in LAYERS])
        layer_shift = np.array([layer[2] for layer in LAYERS])
        self._prepare_capsules(light_2d, layer_scale, layer_shift)
        self._prepare_ellipsoids(light_2d, layer_scale, layer_shift)
        self._prepare_face()
        self._prepare_shadows()

    def _prepare_capsules(self, light_2d: np.ndarray, layer_scale: np.ndarray, layer_shift: np.ndarray) -> None:
        points = self.body.points
        ends = np.stack([np.stack([points[p.a] for p in self.capsules], axis=1),
                         np.stack([points[p.b] for p in self.capsules], axis=1)], axis=2)  # (T, N, 2, 3)
        pixels, depth = self.camera.project(ends, self.scale)
        radii_m = np.array([[p.radius_a, p.radius_b] for p in self.capsules])
        radii = self.camera.focal_px * self.scale * radii_m[None] / np.maximum(depth, 1e-3)  # (T, N, 2)
        along = pixels[:, :, 1] - pixels[:, :, 0]
        length = np.linalg.norm(along, axis=-1, keepdims=True)
        normal = np.where(length > 1e-6, np.stack([-along[..., 1], along[..., 0]], axis=-1) / np.maximum(length, 1e-6),
                          np.array([0.0, 1.0]))
        shift = light_2d * radii.mean(axis=-1)[..., None, None] * layer_shift[None, None, :, None]  # (T, N, L, 2)
        a = pixels[:, :, None, 0] + shift
        b = pixels[:, :, None, 1] + shift
        ra = radii[:, :, None, 0, None] * layer_scale[None, None, :, None]
        rb = radii[:, :, None, 1, None] * layer_scale[None, None, :, None]
        n = normal[:, :, None]
        quads = np.stack([a + n * ra, b + n * rb, b - n * rb, a - n * ra], axis=3)  # (T, N, L, 4, 2)
        self.capsule_quads = np.round(quads * 8).astype(np.int32)
        self.capsule_centres = np.round(np.stack([a, b], axis=3) * 8).astype(np.int32)  # (T, N, L, 2, 2)
        self.capsule_radii = np.maximum(np.round(np.concatenate([ra, rb], axis=-1) * 8), 1).astype(np.int32)
        self.capsule_depth = depth.mean(axis=-1)
        self.capsule_visible = np.asarray((depth > 0.05).all(axis=-1))

    def _prepare_ellipsoids(self, light_2d: np.ndarray, layer_scale: np.ndarray, layer_shift: np.ndarray) -> None:
        centres = np.stack([ellipsoid_centre(self.body, p) for p in self.ellipsoids], axis=1)  # (T, N, 3)
        axes = np.stack([ellipsoid_matrix(self.body, p) for p in self.ellipsoids], axis=1)  # (T, N, 3, 3)
        camera = self.camera
        pixel, depth = camera.project(centres, self.scale)
        cam_centre = camera.to_camera(centres)
        cam_axes = np.einsum("ij,tnjk->tnik", camera.rotation, axes)
        safe_depth = np.maximum(depth, 1e-3)
        f = camera.focal_px * self.scale / safe_depth
        row_x = cam_axes[:, :, 0] - cam_axes[:, :, 2] * (cam_centre[..., 0] / safe_depth)[..., None]
        row_y = -cam_axes[:, :, 1] + cam_axes[:, :, 2] * (cam_centre[..., 1] / safe_depth)[..., None]
        xx = f**2 * np.sum(row_x * row_x, axis=-1)
        yy = f**2 * np.sum(row_y * row_y, axis=-1)
        xy = f**2 * np.sum(row_x * row_y, axis=-1)
        mean, spread = 0.5 * (xx + yy), np.sqrt((0.5 * (xx - yy)) ** 2 + xy**2)
        major, minor = np.sqrt(mean + spread), np.sqrt(np.maximum(mean - spread, 1e-6))
        self.ellipse_angle = np.degrees(0.5 * np.arctan2(2 * xy, xx - yy))
        centre = pixel[:, :, None] + light_2d * minor[..., None, None] * layer_shift[None, None, :, None]
        self.ellipse_centres = np.round(centre * 8).astype(np.int32)  # (T, N, L, 2)
        sizes = np.stack([major, minor], axis=-1)[:, :, None] * layer_scale[None, None, :, None]
        self.ellipse_axes = np.maximum(np.round(sizes * 8), 1).astype(np.int32)  # (T, N, L, 2)
        self.ellipse_depth = depth
        self.ellipse_visible = depth > 0.05
        names = [p.name for p in self.ellipsoids]
        self.head_index, self.hair_index = names.index("head"), names.index("hair")

    def _prepare_face(self) -> None:
        points, camera, scale = self.body.points, self.camera, self.scale
        head = points["head"]
        to_camera = camera.position - head
        to_camera /= np.linalg.norm(to_camera, axis=-1, keepdims=True)
        self.facing = np.einsum("ti,ti->t", self.body.frames["head"][:, :, 0], to_camera)
        shape = self.body.shape
        lateral = shape.m(shape.head_axes[2])
        self.face_pixels: dict[str, np.ndarray] = {}
        self.face_shown: dict[str, np.ndarray] = {}
        thresholds = {"ear": 0.15, "eye": 0.2, "nose": 0.0, "mouth": 0.25}
        for name in ("eye_l", "eye_r", "ear_l", "ear_r", "nose", "mouth_l", "mouth_r"):
            pixel, _ = camera.project(points[name], scale)
            self.face_pixels[name] = pixel
            outward = points[name] - head
            outward /= np.linalg.norm(outward, axis=-1, keepdims=True)
            self.face_shown[name] = np.einsum("ti,ti->t", outward, to_camera) > thresholds[name.split("_")[0]]
        _, nose_depth = camera.project(points["nose"])
        self.face_unit = lateral * camera.focal_px * scale / np.maximum(nose_depth, 0.05)

    def _prepare_shadows(self) -> None:
        """Floor footprints of the parts near the floor: ends on the floor, thickness at output size / 4."""
        body = self.body
        ends, radii = [], []
        for part in body.parts:
            if part.kind == "capsule":
                ends.append(np.stack([body.points[part.a], body.points[part.b]], axis=1))
                radii.append(max(part.radius_a, part.radius_b))
            else:
                centre = ellipsoid_centre(body, part)
                ends.append(np.stack([centre, centre], axis=1))
                radii.append(float(np.mean(part.axes)))
        ends_3d = np.stack(ends, axis=1)  # (T, N, 2, 3)
        height = ends_3d[..., 1].mean(axis=-1)
        self.shadow_strength = np.round(255 * np.clip(1.0 - height / 0.9, 0.0, 1.0)).astype(np.int32)
        floor = ends_3d * np.array([1.0, 0.0, 1.0])
        factor = 0.25
        pixels, depth = self.camera.project(floor, factor)
        self.shadow_ends = np.round(pixels * 8).astype(np.int32)
        width_m = 2 * np.array(radii)[None] * (1.0 + 0.6 * height)
        self.shadow_thickness = np.maximum(self.camera.focal_px * factor * width_m / np.maximum(depth.mean(-1), 0.05),
                                           1).astype(np.int32)
        self.shadow_visible = (depth > 0.05).all(axis=-1) & (self.shadow_strength > 0)

    def draw_items(self, index: int) -> list[tuple[float, Callable[[np.ndarray], None]]]:
        """(camera depth, draw) for every part visible in frame ``index``, to be painted far to near."""
        items: list[tuple[float, Callable[[np.ndarray], None]]] = []
        for number, part in enumerate(self.capsules):
            if self.capsule_visible[index, number]:
                items.append((float(self.capsule_depth[index, number]),
                              functools.partial(self._capsule, index, number, part.name)))
        facing = self.facing[index]
        for number, part in enumerate(self.ellipsoids):
            if not self.ellipse_visible[index, number]:
                continue
            depth = float(self.ellipse_depth[index, number])
            if number == self.hair_index:
                depth += 0.01 if facing > 0.45 else -0.01
            items.append((depth, functools.partial(self._ellipsoid, index, number, part.name)))
            if number == self.head_index and facing > -0.05:
                items.append((depth - 0.005, functools.partial(self._face, index)))
        return items

    def _capsule(self, index: int, number: int, name: str, canvas: np.ndarray) -> None:
        quads, centres, radii = self.capsule_quads[index, number], self.capsule_centres[index, number], \
            self.capsule_radii[index, number]
        for layer, colour in enumerate(self.shades[name]):
            cv2.fillConvexPoly(canvas, quads[layer], colour, cv2.LINE_8, 3)
            cv2.circle(canvas, tuple(centres[layer, 0]), int(radii[layer, 0]), colour, -1, cv2.LINE_8, 3)
            cv2.circle(canvas, tuple(centres[layer, 1]), int(radii[layer, 1]), colour, -1, cv2.LINE_8, 3)

    def _ellipsoid(self, index: int, number: int, name: str, canvas: np.ndarray) -> None:
        centres, axes = self.ellipse_centres[index, number], self.ellipse_axes[index, number]
        angle = float(self.ellipse_angle[index, number])
        for layer, colour in enumerate(self.shades[name]):
            cv2.ellipse(canvas, tuple(centres[layer]), tuple(axes[layer]), angle, 0, 360, colour, -1, cv2.LINE_8, 3)

    def _face(self, index: int, canvas: np.ndarray) -> None:
        """Ears, eyes, brows, nose and mouth on the side of the head that faces the camera."""
        unit = float(self.face_unit[index])
        skin = np.asarray(self.appearance.skin, np.float64) * self.ambient
        pixels, shown = self.face_pixels, self.face_shown
        for side in ("l", "r"):
            if shown[f"ear_{side}"][index]:
                size = (max(int(0.28 * unit * 8), 1), max(int(0.42 * unit * 8), 1))
                cv2.ellipse(canvas, _fixed(pixels[f"ear_{side}"][index]), size, 0, 0, 360,
                            tuple(int(c) for c in skin * 0.75), -1, cv2.LINE_8, 3)
            if shown[f"eye_{side}"][index]:
                centre = pixels[f"eye_{side}"][index]
                radius = max(int(0.16 * unit * 8), 4)
                cv2.circle(canvas, _fixed(centre), radius, (245, 245, 245), -1, cv2.LINE_8, 3)
                cv2.circle(canvas, _fixed(centre), max(radius * 6 // 10, 3), (35, 30, 30), -1, cv2.LINE_8, 3)
                brow = centre + np.array([0.0, -0.3 * unit])
                half = np.array([0.22 * unit, 0.0])
                cv2.line(canvas, _fixed(brow - half), _fixed(brow + half), self.appearance.hair,
                         max(int(0.06 * unit), 1), cv2.LINE_8, 3)
        if shown["nose"][index]:
            cv2.circle(canvas, _fixed(pixels["nose"][index]), max(int(0.14 * unit * 8), 3),
                       tuple(int(c) for c in skin * 0.8), -1, cv2.LINE_8, 3)
        if shown["mouth_l"][index] and shown["mouth_r"][index]:
            cv2.line(canvas, _fixed(pixels["mouth_l"][index]), _fixed(pixels["mouth_r"][index]), (70, 60, 150),
                     max(int(0.07 * unit), 1), cv2.LINE_8, 3)

    def draw_shadow(self, mask: np.ndarray, index: int) -> None:
        for number in np.flatnonzero(self.shadow_visible[index]):
            ends = self.shadow_ends[index, number]
            cv2.line(mask, tuple(ends[0]), tuple(ends[1]), int(self.shadow_strength[index, number]),
                     int(self.shadow_thickness[index, number]), cv2.LINE_AA, 3)


def _fixed(point: np.ndarray) -> tuple[int, int]:
    """A pixel position in OpenCV's 3-bit fixed point (1/8 px), for sub-pixel drawing."""
    return round(float(point[0]) * 8), round(float(point[1]) * 8)


# ---------------------------------------------------------------- a clip


@dataclass(frozen=True)
class RenderOptions:
    size: tuple[int, int] = (640, 480)
    view: str = "side"
    conditions: frozenset[str] = frozenset()
    seed: int = 0
    supersample: int = 2
    mirrored: bool | None = None
    """None: mirrored for a quarter of seeds, as a selfie camera would be."""
    azimuth_deg: float | None = None
    """None: drawn for the view (see :func:`view_direction`)."""
    elevation_deg: float | None = None
    fill: float | None = None
    """Share of the frame the whole clip's extent fills; None: seeded 0.62-0.82."""
    shape: tuple[tuple[str, float], ...] = ()
    """``BodyShape`` fields that replace the seeded person's (height_m, girth, thigh, ...)."""


class ClipRenderer:
    """Renders one motion: chooses person, room and camera from the seed, then yields BGR frames."""

    def __init__(self, motion: Motion, options: RenderOptions) -> None:
        unknown = set(options.conditions) - set(CONDITIONS)
        if unknown:
            raise ValueError(f"unknown conditions {sorted(unknown)}; valid: {', '.join(CONDITIONS)}")
        if options.view not in VIEWS:
            raise ValueError(f"unknown view '{options.view}'; valid: {', '.join(VIEWS)}")
        self.motion = motion
        self.options = options
        self.width, self.height = options.size
        seed = options.seed
        person_rng = np.random.default_rng([seed, 1])
        camera_rng = np.random.default_rng([seed, 2])
        room_rng = np.random.default_rng([seed, 3])
        condition_rng = np.random.default_rng([seed, 4])

        self.appearance = Appearance.random(person_rng)
        if options.shape:
            changes: dict[str, Any] = dict(options.shape)
            self.appearance = replace(self.appearance, shape=replace(self.appearance.shape, **changes))
        self.body = motion.pose(self.appearance.shape)
        posture = motion.script.posture
        azimuth, elevation = view_direction(options.view, posture, camera_rng)
        azimuth = azimuth if options.azimuth_deg is None else options.azimuth_deg
        elevation = elevation if options.elevation_deg is None else options.elevation_deg
        fov = np.radians(camera_rng.uniform(52, 68))
        focal = 0.5 * max(self.width, self.height) / np.tan(fov / 2)
        fill = camera_rng.uniform(0.62, 0.82)
        fill = fill if options.fill is None else options.fill
        offset = tuple(camera_rng.uniform(-0.04, 0.04, 2) * np.array(options.size))
        extent_points = self._extent_points(self.body)
        if "partly-out-of-frame" in options.conditions:
            fill = 0.9
            horizontal = self.width >= self.height
            cut = 0.32 * (self.width if horizontal else self.height) * (1 if camera_rng.random() < 0.5 else -1)
            offset = (cut, 0.0) if horizontal else (0.0, cut)
        self.camera = fit_camera(extent_points, azimuth, elevation, focal, options.size, fill, offset,
                                 pad_m=0.08 * self.appearance.shape.height_m)
        self.azimuth, self.elevation = azimuth, elevation
        self.mirrored = bool(camera_rng.random() < 0.25) if options.mirrored is None else options.mirrored

        distance = float(np.linalg.norm(self.camera.position - self.camera.target))
        second = "second-person" in options.conditions
        self.room = Room.random(room_rng, wall_distance_m=float(room_rng.uniform(3.2, 4.5) if second
                                                                else room_rng.uniform(1.2, 3.0)))
        scale = options.supersample
        self.scale = scale
        mat = self._mat_rectangle(posture, room_rng)
        self.background = render_background(self.camera, self.room, mat, scale, room_rng)
        light = np.asarray(self.room.light_dir)
        light_image = np.array([light @ self.camera.right, -(light @ self.camera.up)])
        light_2d = light_image / max(np.linalg.norm(light_image), 1e-6)
        ambient = self.room.light * (0.35 if "dark" in options.conditions else 1.0)
        self.painters = [_Painter(self.body, self.appearance, self.camera, scale, light_2d, ambient)]
        self.walker_window: tuple[int, int] | None = None
        if second:
            walker, window = self._walker(condition_rng, person_rng, distance)
            self.walker_window = window
            self.painters.append(_Painter(walker, Appearance.random(person_rng), self.camera, scale, light_2d,
                                          ambient))
        self.source_index = self._frame_sources(condition_rng)
        self.noise_sigma = 11.0 if "noise" in options.conditions else 6.0 if "dark" in options.conditions else 2.2
        if "dark" in options.conditions:
            self.background = (self.background.astype(np.float32) * 0.35).astype(np.uint8)
        noise_rng = np.random.default_rng([seed, 5])
        self.noise_pool = [noise_rng.normal(0, self.noise_sigma, (self.height, self.width, 3)).astype(np.int16)
                           for _ in range(6)]

    @staticmethod
    def _extent_points(body: Body) -> np.ndarray:
        step = max(1, body.frame_count // 120)
        names = ("head", "nose", "hand_l", "hand_r", "toe_l", "toe_r", "heel_l", "heel_r", "knee_l", "knee_r",
                 "hip_l", "hip_r", "shoulder_l", "shoulder_r", "elbow_l", "elbow_r", "pelvis")
        points = np.concatenate([body.points[name][::step] for name in names])
        return points

    def _mat_rectangle(self, posture: str, rng: np.random.Generator) -> tuple[float, float, float, float] | None:
        if posture == "standing" and rng.random() < 0.7:
            return None
        footprint = np.concatenate([self.body.points[name] for name in ("pelvis", "head", "ankle_l", "ankle_r")])
        x_mid = 0.5 * (footprint[:, 0].min() + footprint[:, 0].max())
        z_mid = 0.5 * (footprint[:, 2].min() + footprint[:, 2].max())
        length = max(1.75, footprint[:, 0].max() - footprint[:, 0].min() + 0.3)
        width = max(0.6, footprint[:, 2].max() - footprint[:, 2].min() + 0.25)
        return (x_mid - length / 2, x_mid + length / 2, z_mid - width / 2, z_mid + width / 2)

    def _walker(self, rng: np.random.Generator, person_rng: np.random.Generator, distance: float
                ) -> tuple[Body, tuple[int, int]]:
        """A second person crossing behind the subject, across the picture, during part of the clip."""
        frame_count = self.motion.frame_count
        fps = self.motion.fps
        shape = BodyShape(height_m=float(person_rng.uniform(1.6, 1.9)))
        motion = walker_motion(frame_count, fps)
        back = _unit(np.array([self.camera.forward[0], 0.0, self.camera.forward[2]]))
        right = _unit(np.cross(back, np.array([0.0, 1.0, 0.0])))
        depth = rng.uniform(1.3, 2.2)
        half_view = 0.5 * self.width * (distance + depth) / self.camera.focal_px + 0.6
        speed = rng.uniform(0.9, 1.3)
        crossing_s = 2 * half_view / speed
        start_s = rng.uniform(0.15, 0.55) * max(self.motion.duration_s - crossing_s, 0.5)
        direction = 1.0 if rng.random() < 0.5 else -1.0
        times = np.arange(frame_count) / fps
        progress = np.clip((times - start_s) * speed, 0, 2 * half_view)
        path = (self.camera.target * (1, 0, 1) + back * depth + right * direction * (progress - half_view)[:, None])
        walk_dir = right * direction
        motion.angles["yaw"] = np.full(frame_count, np.degrees(np.arctan2(-walk_dir[2], walk_dir[0])))
        body = motion.pose(shape)
        body.translate(path - body.points["hip_mid"] * (1, 0, 1))
        first = int(np.ceil(start_s * fps))
        last = min(int((start_s + crossing_s) * fps), frame_count - 1)
        return body, (first, last)

    def _frame_sources(self, rng: np.random.Generator) -> np.ndarray:
        """Which scripted instant each video frame shows; dropped frames repeat the last delivered one."""
        count = self.motion.frame_count
        source = np.arange(count)
        self.drops: list[tuple[int, int]] = []
        if "dropped-frames" in self.options.conditions:
            index = int(rng.integers(int(self.motion.fps), int(2 * self.motion.fps)))
            while index < count - 8:
                length = int(rng.integers(2, 7))
                source[index:index + length] = index - 1
                self.drops.append((index, index + length - 1))
                index += length + int(rng.integers(int(1.5 * self.motion.fps), int(3 * self.motion.fps)))
        return source

    # ------------------------------------------------------------ output

    def frames(self) -> Iterator[np.ndarray]:
        """Every frame of the clip, BGR uint8 at the output size."""
        last_source, frame = -1, None
        for source in self.source_index:
            if source != last_source or frame is None:
                frame = self.render_frame(int(source))
                last_source = source
            yield frame

    def render_frame(self, index: int) -> np.ndarray:
        canvas = self.background.copy()
        self._shadow(canvas, index)
        items = [item for painter in self._active_painters(index) for item in painter.draw_items(index)]
        items.sort(key=lambda item: -item[0])
        for _, draw in items:
            draw(canvas)
        frame = cv2.resize(canvas, (self.width, self.height), interpolation=cv2.INTER_AREA)
        return self._finish(frame, index)

    def _shadow(self, canvas: np.ndarray, index: int) -> None:
        """Darken the floor under the body: footprints drawn at quarter size, blurred, multiplied in."""
        quarter = (max(self.width // 4, 8), max(self.height // 4, 8))
        mask = np.zeros((quarter[1], quarter[0]), np.uint8)
        for painter in self._active_painters(index):
            painter.draw_shadow(mask, index)
        blurred = cv2.GaussianBlur(mask, (0, 0), max(quarter[0] / 90, 1.0))
        shade = cv2.resize(blurred, (canvas.shape[1], canvas.shape[0]), interpolation=cv2.INTER_LINEAR)
        keep = 255 - (shade.astype(np.uint16) * 140 // 255).astype(np.uint8)
        cv2.multiply(canvas, cv2.merge([keep, keep, keep]), canvas, scale=1 / 255)

    def _active_painters(self, index: int) -> list[_Painter]:
        walker_in = self.walker_window is not None and self.walker_window[0] <= index <= self.walker_window[1]
        return self.painters if walker_in else self.painters[:1]

    def _finish(self, frame: np.ndarray, index: int) -> np.ndarray:
        conditions = self.options.conditions
        if "blur" in conditions:
            frame = cv2.GaussianBlur(frame, (0, 0), 2.2)
        noisy = frame.astype(np.int16) + self.noise_pool[index % len(self.noise_pool)]
        frame = np.clip(noisy, 0, 255).astype(np.uint8)
        if self.mirrored:
            frame = cv2.flip(frame, 1)
        return frame

    # ------------------------------------------------------------ truth

    def camera_truth(self) -> CameraTruth:
        middle = self.body.frame_count // 2
        pelvis = self.body.frames["pelvis"][middle]
        to_camera = _unit(self.camera.position - self.body.points["pelvis"][middle])
        facing_right = pelvis[:, 2] @ to_camera
        facing_front = pelvis[:, 0] @ to_camera
        if abs(facing_front) > abs(facing_right):
            facing = "front" if facing_front > 0 else "back"
        else:
            facing = "right" if facing_right > 0 else "left"
        return CameraTruth(
            view=self.options.view, azimuth_deg=float(self.azimuth), elevation_deg=float(self.elevation),
            distance_m=float(np.linalg.norm(self.camera.position - self.camera.target)),
            focal_px=float(self.camera.focal_px), facing_side=facing, mirrored=self.mirrored,
            orientation="portrait" if self.height > self.width else "landscape",
        )

    def condition_truths(self) -> list[ConditionTruth]:
        fps = self.motion.fps
        duration = self.motion.duration_s
        truths = []
        for code in sorted(self.options.conditions):
            if code == "second-person" and self.walker_window:
                first, last = self._walker_visible_frames()
                truths.append(ConditionTruth(code, first / fps, (last + 1) / fps))
            elif code == "dropped-frames":
                truths.extend(ConditionTruth(code, first / fps, (last + 1) / fps) for first, last in self.drops)
            elif code != "second-person":
                truths.append(ConditionTruth(code, 0.0, duration))
        return sorted(truths, key=lambda c: (c.start_s, c.code))

    def _walker_visible_frames(self) -> tuple[int, int]:
        assert self.walker_window is not None
        body = self.painters[1].body
        pixels, _ = self.camera.project(body.landmarks())
        inside = np.any((pixels[..., 0] >= 0) & (pixels[..., 0] < self.width) & (pixels[..., 1] >= 0)
                        & (pixels[..., 1] < self.height), axis=1)
        frames = np.arange(len(inside))
        inside &= (frames >= self.walker_window[0]) & (frames <= self.walker_window[1])
        visible = np.flatnonzero(inside)
        return (int(visible[0]), int(visible[-1])) if len(visible) else self.walker_window

    def projected_joints(self) -> np.ndarray:
        """(T, 33, 3) the true landmarks in output pixels (x, y, camera depth), mirrored like the video,
        for the instant each video frame shows."""
        world = self.body.landmarks()[self.source_index]
        pixels, depth = self.camera.project(world)
        if self.mirrored:
            pixels[..., 0] = self.width - pixels[..., 0]
        out = np.concatenate([pixels, depth[..., None]], axis=-1)
        out[depth <= 0] = np.nan
        return out
