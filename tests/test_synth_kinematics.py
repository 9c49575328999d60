"""The synthetic body: angles in, a body whose bones keep their length and whose joints bend as scripted."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from posecoach.synth.kinematics import CHANNELS, Body, BodyShape, forward_kinematics, part_bottom, two_link_ik
from posecoach.synth.motions import EXERCISES, FaultRequest, Motion, build_motion

SHAPE = BodyShape(height_m=1.7)
BONES = {
    "thigh": ("hip", "knee", SHAPE.thigh),
    "shank": ("knee", "ankle", SHAPE.shank),
    "upper_arm": ("shoulder", "elbow", SHAPE.upper_arm),
    "forearm": ("elbow", "wrist", SHAPE.forearm),
}


def pose(**channels: float) -> dict[str, np.ndarray]:
    """One frame with the given channels (degrees), every other channel 0."""
    return {name: np.array([float(channels.get(name, 0.0))]) for name in CHANNELS}


@pytest.fixture(scope="module", params=EXERCISES)
def posed_clip(request: pytest.FixtureRequest) -> tuple[Motion, Body]:
    motion = build_motion(request.param, reps=1, duration_scale=0.5, seed=3)
    return motion, motion.pose(SHAPE)


def test_bones_keep_their_length_through_every_exercise(posed_clip: tuple[Motion, Body]) -> None:
    _, body = posed_clip
    for bone, (start, end, fraction) in BONES.items():
        for side in ("l", "r"):
            length = np.linalg.norm(body.points[f"{end}_{side}"] - body.points[f"{start}_{side}"], axis=1)
            np.testing.assert_allclose(length, SHAPE.m(fraction), atol=1e-9, err_msg=f"{bone}_{side}")
    for pair, fraction in ((("hip_l", "hip_r"), SHAPE.hip_width), (("shoulder_l", "shoulder_r"), SHAPE.shoulder_width)):
        width = np.linalg.norm(body.points[pair[0]] - body.points[pair[1]], axis=1)
        np.testing.assert_allclose(width, SHAPE.m(fraction), atol=1e-9, err_msg=str(pair))


def test_every_exercise_rests_on_the_floor_and_never_sinks_into_it(posed_clip: tuple[Motion, Body]) -> None:
    _, body = posed_clip
    lowest = np.min(np.stack([part_bottom(body, part)[:, 1] for part in body.parts]), axis=0)
    np.testing.assert_allclose(lowest, 0.0, atol=1e-9)


def test_every_exercise_yields_all_33_landmarks(posed_clip: tuple[Motion, Body]) -> None:
    motion, body = posed_clip
    landmarks = body.landmarks()
    assert landmarks.shape == (motion.frame_count, 33, 3)
    assert np.isfinite(landmarks).all()


@pytest.mark.parametrize(
    ("channels", "first", "second", "expected"),
    [
        ({"knee_flex_l": 0}, ("knee_l", "hip_l"), ("knee_l", "ankle_l"), 180.0),
        ({"knee_flex_l": 90}, ("knee_l", "hip_l"), ("knee_l", "ankle_l"), 90.0),
        ({"hip_flex_r": 70, "knee_flex_r": 125}, ("knee_r", "hip_r"), ("knee_r", "ankle_r"), 55.0),
        ({"elbow_flex_l": 60}, ("elbow_l", "shoulder_l"), ("elbow_l", "wrist_l"), 120.0),
        ({"shoulder_flex_r": 90, "elbow_flex_r": 45}, ("elbow_r", "shoulder_r"), ("elbow_r", "wrist_r"), 135.0),
        ({"hip_flex_l": 90}, ("pelvis", "lumbar"), ("hip_l", "knee_l"), 90.0),
        ({"hip_flex_l": 30, "pitch": 90}, ("pelvis", "lumbar"), ("hip_l", "knee_l"), 150.0),
        ({"hip_flex_r": -20, "pitch": -90}, ("pelvis", "lumbar"), ("hip_r", "knee_r"), 160.0),
        ({"shoulder_flex_l": 120}, ("lumbar", "pelvis"), ("shoulder_l", "elbow_l"), 120.0),
        ({"spine_flex": 30}, ("pelvis", "lumbar"), ("lumbar", "neck_base"), 30.0),
    ],
    ids=["straight-knee", "knee-90", "knee-after-hip", "elbow-60", "elbow-in-raised-arm", "hip-90",
         "hip-30-lying", "hip-extended-prone", "shoulder-120", "spine-curl-30"],
)
def test_joints_bend_by_the_scripted_angle(channels: dict[str, float], first: tuple[str, str],
                                           second: tuple[str, str], expected: float) -> None:
    points = forward_kinematics(pose(**channels), SHAPE).points
    u = points[first[1]][0] - points[first[0]][0]
    v = points[second[1]][0] - points[second[0]][0]
    measured = np.degrees(np.arccos(np.clip(u @ v / np.linalg.norm(u) / np.linalg.norm(v), -1, 1)))
    assert measured == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    ("channels", "check"),
    [
        ({}, lambda p: p["head"][0, 1] > p["hip_mid"][0, 1] + 0.6),
        ({"pitch": 90}, lambda p: abs(p["head"][0, 1] - p["hip_mid"][0, 1]) < 0.1 and p["head"][0, 0] < -0.6),
        ({"pitch": 90}, lambda p: p["nose"][0, 1] > p["head"][0, 1]),
        ({"pitch": -90}, lambda p: p["nose"][0, 1] < p["head"][0, 1] and p["head"][0, 0] > 0.6),
        ({}, lambda p: p["hip_l"][0, 2] < 0 < p["hip_r"][0, 2]),
        ({"roll": 90, "pitch": 90}, lambda p: p["hip_l"][0, 1] < p["hip_r"][0, 1]),
        ({"hip_flex_l": 90}, lambda p: p["knee_l"][0, 0] > 0.3 and abs(p["knee_l"][0, 1]) < 1e-9),
        ({"shoulder_flex_r": 180}, lambda p: p["wrist_r"][0, 1] > p["head"][0, 1]),
    ],
    ids=["standing-head-up", "supine-head-toward-minus-x", "supine-nose-up", "prone-nose-down",
         "left-is-minus-z", "lying-on-left-side", "hip-flexion-lifts-knee-forward", "arm-overhead"],
)
def test_whole_body_channels_mean_what_they_say(channels: dict[str, float],
                                                check: Callable[[dict[str, np.ndarray]], bool]) -> None:
    assert check(forward_kinematics(pose(**channels), SHAPE).points)


@pytest.mark.parametrize(
    ("target", "bend"),
    [((0.3, -0.6), "knee"), ((0.5, -0.2), "knee"), ((0.1, -0.3), "elbow"), ((-0.4, 0.2), "elbow")],
    ids=["leg-down-forward", "leg-forward", "arm-folded", "arm-up-back"],
)
def test_two_link_ik_puts_the_tip_on_a_reachable_target(target: tuple[float, float], bend: str) -> None:
    first, second = 0.42, 0.42
    root, middle = two_link_ik(np.array([target]), first, second, bend)  # type: ignore[arg-type]
    tip_angle = root - middle if bend == "knee" else root + middle
    elbow = first * np.array([np.sin(np.radians(root)), -np.cos(np.radians(root))]).ravel()
    tip = elbow + second * np.array([np.sin(np.radians(tip_angle)), -np.cos(np.radians(tip_angle))]).ravel()
    np.testing.assert_allclose(tip, target, atol=1e-9)


def test_planted_feet_stay_put_while_the_hips_lift() -> None:
    motion = build_motion("glute-bridge", reps=2, seed=1)
    body = motion.pose(SHAPE)
    planted = motion.angles["plant_l"] > 0.999
    ankles = body.points["ankle_l"][planted]
    assert np.ptp(ankles, axis=0).max() < 1e-6
    assert np.ptp(body.points["hip_mid"][planted][:, 1]) > 0.1


def test_hands_and_toes_both_carry_a_plank() -> None:
    motion = build_motion("plank", reps=1, seed=2, duration_scale=0.5)
    body = motion.pose(SHAPE)
    middle = motion.frame_count // 2
    arm = min(part_bottom(body, p)[middle, 1] for p in body.parts if p.name.startswith(("forearm", "hand")))
    toes = min(part_bottom(body, p)[middle, 1] for p in body.parts if p.name.startswith("foot"))
    assert arm == pytest.approx(0.0, abs=2e-3)
    assert toes == pytest.approx(0.0, abs=2e-3)


@pytest.mark.parametrize(
    ("slug", "fault"),
    [("plank", "hip-sag"), ("side-plank", "hip-sag"), ("marching-bridge", "hip-sag@2"), ("bird-dog", "hip-sag@2"),
     ("plank-knee-drive", "hip-sag@2")],
    ids=["plank", "side-plank", "marching-bridge", "bird-dog", "plank-knee-drive"],
)
def test_hip_sag_lowers_the_hips(slug: str, fault: str) -> None:
    clean = build_motion(slug, reps=2, seed=1, first_side="l")
    sagging = build_motion(slug, reps=2, seed=1, first_side="l", faults=[FaultRequest.parse(fault)])
    span = sagging.faults[0]
    frame = round(0.5 * (span.start_s + span.end_s) * clean.fps)
    drop = clean.pose(SHAPE).points["hip_mid"][frame, 1] - sagging.pose(SHAPE).points["hip_mid"][frame, 1]
    assert drop > 0.04
