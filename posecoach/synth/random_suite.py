"""A randomised rendered benchmark: what real home videos vary, drawn clip by clip from one seed.

The fixed suite (``benchmarks/render_suite.py``) renders every exercise from a few canonical views
at one tempo and range, with the same idle start. Real clips differ in everything else, so
:func:`draw_suite` draws each clip's

* exercise (every scripted one, in turn) and **view bucket** — every camera position the exercise's
  catalogue views allow: either side, obliques from both ends, and for exercises lying on the back
  also end-on from the feet and from the head (outside the catalogue's views, so marked
  ``in_catalog: false``; the figure is still visible from there and people do film that way);
* exact camera azimuth and elevation within the bucket, framing (how much of the picture the person
  fills), portrait (360x640) or landscape (480x360);
* body size and proportions (height, girth, limb and width fractions);
* tempo (``duration_scale``), range of motion (``range_scale``; down to a ~20° rehab straight-leg
  raise), one leg / alternating / blocked sides where the exercise allows;
* a lead-in (still, fidgeting, or getting down from sitting / kneeling upright / lying on the back)
  and a tail (still, fidgeting, or getting back up);
* about half the clips clean and half with one fault on a chosen rep (never the first).

Clip ``i`` depends only on ``(seed, i)``, so ``--random 40`` is the first 40 clips of ``--random
120`` with the same seed. Every choice is recorded in the truth file's ``variation``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from posecoach.synth.clip import SynthSpec
from posecoach.synth.kinematics import BodyShape, forward_kinematics
from posecoach.synth.motions import EXERCISES, SCRIPTS_BY_SLUG, FaultRequest, Script, build_motion

LANDSCAPE = (480, 360)
PORTRAIT = (360, 640)
PORTRAIT_SHARE = 0.4

CATALOG_VIEWS: dict[str, tuple[str, ...]] = {
    "lying-leg-raise": ("side", "oblique"),
    "lying-march": ("side", "oblique"),
    "supine-knee-to-chest": ("side", "oblique"),
    "standing-march": ("side", "oblique", "front"),
    "glute-bridge": ("side", "oblique"),
    "plank": ("side", "oblique"),
    "boat-pose": ("side", "oblique"),
    "alternating-knee-to-chest": ("side", "oblique"),
    "plank-knee-drive": ("side", "oblique"),
    "marching-bridge": ("side", "oblique"),
    "bird-dog": ("side", "oblique"),
    "clamshell": ("front", "oblique"),
    "sit-up": ("side", "oblique"),
    "side-plank": ("front", "oblique"),
    "kneeling-hip-flexor-stretch": ("side", "oblique"),
    "standing-psoas-activation": ("side", "oblique", "front"),
}
"""Each scripted exercise's views in ``posecoach.exercises.catalog`` (copied so the suite does not
change when the catalogue does; a test checks they still agree)."""

END_NAMES = {"lying": ("feet", "head"), "seated": ("feet", "head"), "side-lying": ("feet", "head"),
             "all-fours": ("head", "feet"), "standing": ("front", "back"), "kneeling": ("front", "back")}
"""What a camera at azimuth 0 and at 180 looks at, per posture (azimuth 0 looks from +x)."""

ELEVATION = {
    "lying": {"side": (8, 25), "oblique": (12, 32), "end": (30, 50)},
    "side-lying": {"side": (10, 26), "oblique": (14, 30), "end": (26, 42)},
    "all-fours": {"side": (4, 18), "oblique": (6, 22), "end": (12, 26)},
    "seated": {"side": (4, 16), "oblique": (6, 20), "end": (8, 22)},
    "kneeling": {"side": (0, 14), "oblique": (2, 16), "end": (2, 14)},
    "standing": {"side": (-2, 12), "oblique": (0, 14), "end": (0, 14)},
}
AZIMUTH = {"side": (72, 108), "oblique-0": (28, 60), "oblique-180": (120, 152), "end-0": (0, 12),
           "end-180": (168, 180)}
"""Absolute azimuth ranges (degrees) of each kind of bucket; the sign picks the person's side."""

RANGE = {
    "lying-leg-raise": (0.6, 1.1), "lying-march": (0.7, 1.2), "supine-knee-to-chest": (0.75, 1.05),
    "standing-march": (0.92, 1.1), "glute-bridge": (0.75, 1.1), "plank": (0.95, 1.05), "boat-pose": (0.9, 1.05),
    "alternating-knee-to-chest": (0.75, 1.05), "plank-knee-drive": (0.7, 1.05), "marching-bridge": (0.7, 1.1),
    "bird-dog": (0.75, 1.05), "clamshell": (0.6, 1.2), "sit-up": (0.7, 1.1), "side-plank": (0.95, 1.05),
    "kneeling-hip-flexor-stretch": (0.9, 1.05), "standing-psoas-activation": (0.93, 1.08),
}
"""Range-of-motion scale per exercise: wide where a smaller range is still the clean exercise,
narrow where a smaller one *is* a fault (a standing march's knee below hip height)."""
ONE_LEG_RANGE = (0.3, 1.0)
REHAB_RANGE = (0.22, 0.3)
REHAB_SHARE = 0.4
"""A one-leg straight-leg raise goes up to the full ~80° of hip flexion; 40% of them are a rehab
raise of 18-24°."""
MAX_DURATION_S = {"supine-knee-to-chest": 13.0, "standing-psoas-activation": 13.0}
"""Most clips stay within 10.5 s (12 s for holds); a rep with a 3-5 s hold in it needs longer."""
MIN_MOVE_S = 0.45
"""The fastest clean up or down movement: a faster tempo would look like the ``too-fast`` fault."""


@dataclass(frozen=True)
class RandomClip:
    name: str
    spec: SynthSpec

    @property
    def variation(self) -> dict[str, object]:
        return dict(self.spec.variation)


def view_buckets(slug: str) -> tuple[str, ...]:
    """Every view bucket the suite draws for an exercise."""
    script = SCRIPTS_BY_SLUG[slug]
    near, far = END_NAMES[script.posture]
    views = CATALOG_VIEWS[slug]
    buckets: list[str] = []
    if script.posture == "side-lying":
        return ("front", f"oblique-{near}", f"oblique-{far}")
    if "side" in views:
        buckets.append("side")
    if "oblique" in views:
        buckets += [f"oblique-{near}", f"oblique-{far}"]
    if "front" in views and script.posture in ("standing", "kneeling"):
        buckets.append("front")
    if script.posture == "lying":
        buckets += [near, far]
    return tuple(buckets)


def catalog_view(slug: str, bucket: str) -> str:
    if bucket.startswith("oblique"):
        return "oblique"
    if bucket == "side":
        return "side"
    return "front"


def side_orders(script: Script) -> tuple[str, ...]:
    """How the suite may order sides: ``both`` for both-legs work, else the one-sided orders that suit."""
    if script.sides == "both":
        return ("both", "single", "alternating") if script.one_leg_top is not None else ("both",)
    if script.posture == "side-lying":
        return ("single",)
    return (script.sides, "single")


def _chest_sign(script: Script, side: str) -> float:
    """+1 when a side-lying person's chest faces +z (a camera at azimuth +90 sees their front)."""
    pose = {name: np.array([value]) for name, value in script.pose("rest", side).items()}
    anterior = forward_kinematics(pose, BodyShape()).frames["pelvis"][0][:, 0]
    return 1.0 if anterior[2] > 0 else -1.0


def _azimuth(bucket: str, script: Script, side: str, rng: np.random.Generator) -> tuple[float, str]:
    """(azimuth, the person's side nearer the camera) for a bucket."""
    near, far = END_NAMES[script.posture]
    if bucket in ("side", "front") and not (bucket == "front" and script.posture in ("standing", "kneeling")):
        kind = "side"
    elif bucket == f"oblique-{near}":
        kind = "oblique-0"
    elif bucket == f"oblique-{far}":
        kind = "oblique-180"
    elif bucket in (near, "front"):
        kind = "end-0"
    else:
        kind = "end-180"
    low, high = AZIMUTH[kind]
    magnitude = float(rng.uniform(low, high))
    random_sign = 1.0 if rng.random() < 0.5 else -1.0
    sign = _chest_sign(script, side) if script.posture == "side-lying" else random_sign
    azimuth = sign * magnitude
    if kind.startswith("end"):
        return azimuth, "none"
    if script.posture == "side-lying":
        return azimuth, "front"
    return azimuth, "right" if azimuth > 0 else "left"


def _elevation(bucket: str, script: Script, rng: np.random.Generator) -> float:
    table = ELEVATION[script.posture]
    key = "oblique" if bucket.startswith("oblique") else "side" if bucket == "side" else "end"
    if script.posture == "side-lying" and bucket == "front":
        key = "side"
    low, high = table[key]
    return round(float(rng.uniform(low, high)), 2)


def _body(rng: np.random.Generator) -> dict[str, float]:
    default = BodyShape()
    body = {"height_m": rng.uniform(1.5, 1.95), "girth": rng.uniform(0.85, 1.25)}
    for name in ("thigh", "shank", "upper_arm", "forearm", "thorax"):
        body[name] = getattr(default, name) * rng.uniform(0.93, 1.07)
    for name in ("hip_width", "shoulder_width"):
        body[name] = getattr(default, name) * rng.uniform(0.9, 1.12)
    return {name: round(float(value), 4) for name, value in body.items()}


def _order(count: int, rng: np.random.Generator) -> list[int]:
    return [int(i) for i in rng.permutation(count)]


def draw_clip(index: int, seed: int) -> RandomClip:
    """Clip ``index`` of the suite drawn from ``seed``; depends on nothing else."""
    count = len(EXERCISES)
    block, slot = divmod(index, count)
    slug = EXERCISES[_order(count, np.random.default_rng([seed, 1, block]))[slot]]
    script = SCRIPTS_BY_SLUG[slug]
    exercise_rng = np.random.default_rng([seed, 2, EXERCISES.index(slug)])
    buckets = view_buckets(slug)
    bucket_order = _order(len(buckets), exercise_rng)
    bucket = buckets[bucket_order[block % len(buckets)]]
    faults = sorted(script.faults)
    fault_order = _order(len(faults), exercise_rng)
    with_fault = (block + int(exercise_rng.integers(2))) % 2 == 1
    fault_code = faults[fault_order[(block // 2) % len(faults)]] if with_fault else None

    rng = np.random.default_rng([seed, 3, index])
    order = side_orders(script)
    sides = order[int(rng.integers(len(order)))]
    first = "l" if rng.random() < 0.5 else "r"
    azimuth, camera_side = _azimuth(bucket, script, first, rng)
    elevation = _elevation(bucket, script, rng)
    portrait = bool(rng.random() < PORTRAIT_SHARE)
    fill = round(float(rng.uniform(0.5, 0.88)), 3)
    body = _body(rng)
    tempo = script.tempo
    fastest = min(tempo.up_s, tempo.down_s)
    tempo_scale = round(float(rng.uniform(max(0.65, MIN_MOVE_S / fastest), 1.45)), 3)
    one_leg = sides in ("single", "alternating") and script.sides == "both"
    low, high = ONE_LEG_RANGE if one_leg else RANGE[slug]
    if one_leg and rng.random() < REHAB_SHARE:
        low, high = REHAB_RANGE
    range_scale = round(float(rng.uniform(low, high)), 3)
    lead_ins = ["in-position", "idle", "fidget", "fidget"] + (["get-down"] * 2 if script.approach is not None else [])
    lead_in = lead_ins[int(rng.integers(len(lead_ins)))]
    lead_in_s = round(float(rng.uniform(2.0, 3.0) if lead_in == "get-down" else rng.uniform(0.3, 2.5)), 2)
    tails = ["none", "none", "idle", "fidget"] + (["get-up"] if script.approach is not None else [])
    tail = tails[int(rng.integers(len(tails)))]
    tail_s = round(float(rng.uniform(1.5, 2.2) if tail == "get-up" else rng.uniform(0.1, 1.5)), 2)
    hold_s = round(float(rng.uniform(3.0, 4.5 if sides == "blocked" else 7.0)), 2) if script.kind == "hold" else None
    reps = int(rng.integers(1, 3)) if sides in ("alternating", "blocked") else int(rng.integers(2, 5))
    if script.kind == "hold":
        reps = 1
    render_seed = int(rng.integers(1, 1 << 31))
    max_s = MAX_DURATION_S.get(slug, 12.0 if script.kind == "hold" else 10.5)

    def motion_spec() -> tuple[SynthSpec, float]:
        total = reps * (2 if sides in ("alternating", "blocked") else 1)
        rng_fault = np.random.default_rng([seed, 4, index, total])
        placed = (f"{fault_code}@{int(rng_fault.integers(2, total + 1))}" if total >= 2 else f"{fault_code}@1"
                  ) if fault_code else None
        spec = SynthSpec(
            slug, reps=reps, view=catalog_view(slug, bucket), faults=(placed,) if placed else (), seed=render_seed,
            size=PORTRAIT if portrait else LANDSCAPE, duration_scale=tempo_scale, first_side=first,
            sides=None if sides == "both" else sides, range_scale=range_scale, hold_s=hold_s, lead_in=lead_in,
            lead_in_s=lead_in_s, tail=tail, tail_s=tail_s, azimuth_deg=round(azimuth, 2), elevation_deg=elevation,
            fill=fill, shape=tuple(sorted(body.items())))
        motion = build_motion(slug, reps=reps, faults=[FaultRequest.parse(f) for f in spec.faults],
                              fps=spec.fps, duration_scale=tempo_scale, seed=render_seed, first_side=first,
                              sides=spec.sides, range_scale=range_scale, hold_s=hold_s,  # type: ignore[arg-type]
                              lead_in=lead_in, lead_in_s=lead_in_s, tail=tail, tail_s=tail_s)
        return spec, motion.duration_s

    # Too long for the budget: fewer reps, then no tail, one side, a brisker tempo, a shorter lead-in.
    spec, duration = motion_spec()
    while duration > max_s:
        paired = sides in ("alternating", "blocked")
        minimum = 2 if (fault_code and script.kind == "reps" and not paired) else 1
        if reps > minimum:
            reps -= 1
        elif tempo_scale > max(0.65, MIN_MOVE_S / fastest) + 0.05:
            tempo_scale = round(max(0.65, MIN_MOVE_S / fastest, 0.85 * tempo_scale), 3)
        elif tail != "none":
            tail, tail_s = "none", min(tail_s, 0.5)
        elif paired and not (fault_code and script.kind == "reps"):
            sides = "single"
        elif lead_in != "in-position":
            lead_in, lead_in_s = "in-position", min(lead_in_s, 0.5)
        else:
            break
        spec, duration = motion_spec()
    fault = dict(zip(("code", "rep"), spec.faults[0].split("@"), strict=True)) if spec.faults else None
    variation = {
        "suite": f"random-{seed}", "index": index, "view_bucket": bucket, "camera_side": camera_side,
        "catalog_view": spec.view, "in_catalog": spec.view in CATALOG_VIEWS[slug], "portrait": portrait,
        "tempo": tempo_scale, "range": range_scale, "sides": sides, "reps_per_side": reps,
        "lead_in": lead_in, "lead_in_s": lead_in_s, "tail": tail, "tail_s": tail_s, "hold_s": hold_s, "fill": fill,
        "body": body, "fault": {"code": fault["code"], "rep": int(fault["rep"])} if fault else None,
        "duration_s": round(duration, 2),
    }
    spec = replace(spec, variation=tuple(variation.items()))
    tag = fault_code or "clean"
    return RandomClip(f"r{seed}-{index:03d}__{slug}__{bucket}__{tag}", spec)


def draw_suite(count: int, seed: int) -> list[RandomClip]:
    """``count`` clips drawn from ``seed``: exercises in turn (every exercise once per block of 16,
    shuffled), each exercise's view buckets in turn, about half the clips with one fault."""
    return [draw_clip(index, seed) for index in range(count)]
