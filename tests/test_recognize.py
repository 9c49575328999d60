"""Recognising the exercise and splitting a routine, specified with synthetic trajectories.

The trajectories are the engine tests' stick bodies (``tests.support.trajectories``): a side view,
angles scripted over time, so what the body does is known exactly. The last test replays the real
clips' cached landmarks against ``../shared/videos/truth.tsv`` as a regression floor.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from posecoach.analysis import replay
from posecoach.exercises import CATALOG
from posecoach.exercises.recognize import ACCEPTED, FAMILIES, Recognition, accepted, recognize, segment
from posecoach.landmarks import Landmark, PoseFrame, Side
from posecoach.trace import PoseTrace
from tests.support.trajectories import PIXELS_PER_METRE, BodyAngles, Script, bump, reps_signal, sample
from tests.test_engine import LYING, PLANK, STANDING, dead_bug, knee_hugs, leg_raises

ROOT = Path(__file__).resolve().parent.parent
TRUTH = ROOT.parent / "shared" / "videos" / "truth.tsv"
TRACES = ROOT / "tests" / "golden" / "traces"


def standing_march(starts: list[float]) -> Script:
    """Knees lifted to hip height one after the other (hip and knee flexing together)."""
    def script(t: float) -> BodyAngles:
        left = reps_signal(t, starts[0::2], 0.5, 0.3)
        right = reps_signal(t, starts[1::2], 0.5, 0.3)
        return replace(STANDING, hip_left=95.0 * left, hip_right=95.0 * right, knee_left=100.0 * left,
                       knee_right=100.0 * right)
    return script


def sit_ups(starts: list[float]) -> Script:
    """Feet planted, knees bent at 90°, the trunk curling up to 50° and back."""
    def script(t: float) -> BodyAngles:
        curl = 50.0 * reps_signal(t, starts, 1.0, 0.3)
        return replace(LYING, hip_left=60.0 + curl, hip_right=60.0 + curl, knee_left=95.0, knee_right=95.0,
                       trunk_elevation=curl)
    return script


def plank(t: float) -> BodyAngles:
    return PLANK


def legs_partly_together(t: float) -> BodyAngles:
    """Standing, the legs rising a sixth of a cycle apart: neither a march (one after the other) nor a
    hanging leg raise (both together)."""
    phase = 2 * math.pi * t / 2.4
    left = 45.0 * (1 - math.cos(phase))
    right = 45.0 * (1 - math.cos(phase - math.pi / 3))
    return replace(STANDING, hip_left=left, hip_right=right, knee_left=left, knee_right=right)


FIVE = [1.0, 4.0, 7.0, 10.0, 13.0]
MARCH = [1.0 + 1.5 * i for i in range(8)]
DEAD_BUG = dead_bug([(1.0 + 2.5 * i, side) for i, side in enumerate([Side.LEFT, Side.RIGHT] * 3)])


@pytest.mark.parametrize(
    ("script", "duration", "expected"),
    [
        (leg_raises(FIVE), 17.0, "lying-leg-raise"),
        (DEAD_BUG, 17.0, "lying-march"),
        (knee_hugs([(1.0, Side.RIGHT, 3.5), (7.0, Side.RIGHT, 3.5), (13.0, Side.LEFT, 3.5)]), 19.0,
         "supine-knee-to-chest"),
        (standing_march(MARCH), 14.0, "standing-march"),
        (sit_ups(FIVE), 17.0, "sit-up"),
        (plank, 12.0, "plank"),
    ],
    ids=["leg-raises", "dead-bug-march", "knee-to-chest-holds", "standing-march", "sit-ups", "plank-hold"],
)
def test_an_exercise_is_recognised_from_how_the_body_moves(script, duration, expected):
    recognition = recognize(sample(script, duration, noise_deg=1.0))
    assert accepted(expected, recognition.slug), recognition
    assert recognition.sure, recognition


def test_counting_with_the_recognised_exercise_counts_like_the_right_one():
    poses = list(sample(leg_raises(FIVE), 17.0, noise_deg=1.0))
    recognition = recognize(poses)
    assert recognition.slug is not None
    assert replay(poses, recognition.slug).rep_counts() == replay(poses, "lying-leg-raise").rep_counts()


def test_it_says_unsure_with_the_two_candidates_rather_than_a_wrong_name():
    recognition = recognize(sample(legs_partly_together, 12.0))
    assert not recognition.sure, recognition
    assert set(recognition.candidates) == {"hanging-leg-raise", "standing-march"}
    assert "(unsure)" in recognition.describe()


def trunk_read_at(script: Script, trunk_elevation: float, camera_yaw: float = 0.0) -> Script:
    """``script`` with the trunk read at ``trunk_elevation`` (0 lying, 90 standing, below 0 head down)
    and filmed from ``camera_yaw`` (0 from the side, 90 from the feet)."""
    return lambda t: replace(script(t), trunk_elevation=trunk_elevation, camera_yaw=camera_yaw)


def rolled(script: Script, pelvis_roll: float) -> Script:
    return lambda t: replace(script(t), pelvis_roll=pelvis_roll)


@pytest.mark.parametrize(("script", "duration"), [
    (trunk_read_at(standing_march(MARCH), 50.0, camera_yaw=90.0), 14.0),
    (rolled(DEAD_BUG, 50.0), 17.0),
    (trunk_read_at(leg_raises(FIVE), -50.0), 17.0),
], ids=["upright-chest-up-trunk-foreshortened", "on-the-side-chest-up", "lying-head-down-50"])
def test_a_body_lying_along_the_cameras_axis_is_unsure(script, duration):
    """What MediaPipe reads of a body lying on its back along the camera's axis: from the feet,
    "upright" (the trunk's lying down is depth it cannot see) or "on the side", with the chest 40° up;
    from the head, a trunk sloping down to the head by 50° throughout, which no exercise holds. The
    legs' movement is as clear as the posture is not: the answer is unsure, not a standing march, a
    clamshell or a leg raise."""
    recognition = recognize(sample(script, duration, noise_deg=1.0))
    assert not recognition.sure, recognition


def test_leaning_back_seen_whole_from_the_side_is_read_as_usual():
    """A chest facing up with the trunk seen at its full length is a body leaning back, not a misread view."""
    recognition = recognize(sample(trunk_read_at(standing_march(MARCH), 50.0, camera_yaw=0.0), 14.0, noise_deg=1.0))
    assert (recognition.slug, recognition.sure) == ("standing-march", True), recognition


@pytest.mark.parametrize(("front_hip", "knees", "expected"), [
    (85.0, 0.0, "kneeling-hip-flexor-stretch"), (85.0, 30.0, "kneeling-hip-flexor-stretch"),
    (0.0, 0.0, "standing-glute-contraction"),
], ids=["lunge-knees-read-straight", "lunge-knees-read-30", "standing"])
def test_standing_still_is_on_both_legs_a_thigh_held_forward_is_a_lunge(front_hip, knees, expected):
    """Upright and still: one thigh held forward (the other back) is the kneeling stretch's lunge even
    where the kneeling knees read nearly straight (filmed obliquely from behind); standing still is not."""
    still = replace(STANDING, hip_left=front_hip, hip_right=-front_hip / 6, knee_left=knees, knee_right=knees)
    recognition = recognize(sample(lambda t: still, 12.0, noise_deg=1.0))
    assert recognition.slug == expected, recognition


def test_nobody_in_view_recognises_nothing():
    recognition = recognize(sample(lambda t: None, 5.0))
    assert recognition.slug is None and not recognition.sure
    assert recognition.describe() == "no exercise recognised"
    assert segment(sample(lambda t: None, 5.0)) == [] and segment([]) == []


def test_a_sure_recognition_of_another_exercise_contradicts_the_chosen_one():
    sure_bridge = Recognition("glute-bridge", 0.9, (("marching-bridge", 0.05),), True, "")
    assert sure_bridge.contradicts("plank")
    assert not sure_bridge.contradicts("marching-bridge")  # an accepted pair
    assert not replace(sure_bridge, sure=False).contradicts("plank")


def test_every_catalogue_exercise_is_in_exactly_one_posture_family():
    placed = [slug for slugs in FAMILIES.values() for slug in slugs]
    assert sorted(placed) == sorted(CATALOG)
    assert all(pair <= set(CATALOG) for pair in ACCEPTED)


def _joined(*parts: tuple[Script, float], gap_s: float = 2.0, fps: float = 30.0):
    """Scripts one after another with ``gap_s`` of nobody in view between them; their start times."""
    poses: list[tuple[float, PoseFrame | None]] = []
    starts = []
    offset = 0.0
    for script, duration in parts:
        starts.append(offset)
        for t, pose in sample(script, duration, fps, noise_deg=1.0):
            poses.append((t + offset, None if pose is None else replace(pose, timestamp_s=t + offset)))
        offset += duration
        for i in range(round(gap_s * fps)):
            poses.append((offset + i / fps, None))
        offset += gap_s
    return poses, starts


def test_a_routine_is_split_into_its_exercises_each_recognised_and_counted():
    raises = leg_raises(FIVE)

    def raises_then_getting_up(t: float) -> BodyAngles | None:
        if t < 16.0:
            return raises(t)
        return replace(STANDING, trunk_elevation=min(90.0, 90.0 * (t - 16.0) / 1.5))

    poses, (first, second) = _joined((raises_then_getting_up, 19.0), (standing_march(MARCH), 14.0))
    segments = segment(poses)
    assert [s.recognition.slug for s in segments] == ["lying-leg-raise", "standing-march"]
    lying, march = segments
    # Bouts: the first rep's start to the last rep's end, within a second of the script's.
    assert lying.start_s == pytest.approx(first + 1.0, abs=1.0)
    assert lying.end_s == pytest.approx(first + 13.0 + 2.2, abs=1.0)
    assert march.start_s == pytest.approx(second + 1.0, abs=1.0)
    assert march.end_s == pytest.approx(second + MARCH[-1] + 1.3, abs=1.0)
    counts = [replay([(t, p) for t, p in poses if s.owns(t)], s.recognition.slug).rep_counts()["total"]
              for s in segments if s.recognition.slug]
    assert counts == [5, 8]
    assert json.loads(json.dumps([s.to_dict() for s in segments]))[1]["recognition"]["exercise"] == "standing-march"


def test_a_plank_with_getting_into_and_out_of_it_is_one_segment():
    def script(t: float) -> BodyAngles:
        # On hands and knees, then legs straighten into the plank, hold, and back down.
        into = bump(t, 1.0, 1.0, 10.0)
        knees = 90.0 * (1 - into)
        return replace(PLANK, hip_left=-2.0 + 90.0 * (1 - into), hip_right=-2.0 + 90.0 * (1 - into),
                       knee_left=knees, knee_right=knees)

    segments = segment(sample(script, 15.0, noise_deg=1.0))
    assert [s.recognition.slug for s in segments] == ["plank"]


def _truth_rows() -> list[dict[str, str]]:
    with TRUTH.open(encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle, delimiter="\t")
                if (TRACES / f"{Path(row['file']).stem}.npz").exists()]


@pytest.mark.skipif(not TRUTH.exists(), reason=f"the shared clips' truth table is not here ({TRUTH})")
def test_the_shared_real_clips_are_recognised_at_least_as_well_as_today():
    """Regression floor for the real clips (see ``benchmarks/recognition.py`` for the table)."""
    rows = _truth_rows()
    results = [(row["slug"], recognize(PoseTrace.load(TRACES / f"{Path(row['file']).stem}.npz").pose_frames()))
               for row in rows]
    right = sum(accepted(truth, r.slug) for truth, r in results)
    sure_and_wrong = [(truth, r.slug) for truth, r in results if r.sure and not accepted(truth, r.slug)]
    assert right >= 0.9 * len(rows)
    # Today one: standing leg swings (filed as a march, not scored) read as straight-leg kicks.
    assert len(sure_and_wrong) <= 1, sure_and_wrong


def bridges(starts: list[float]) -> Script:
    """Feet planted (knees bent at 95°), the hips lifting until the trunk slopes down 25° to the head."""
    def script(t: float) -> BodyAngles:
        lift = reps_signal(t, starts, 1.0, 0.8)
        return replace(LYING, hip_left=50.0 - 50.0 * lift, hip_right=50.0 - 50.0 * lift, knee_left=95.0,
                       knee_right=95.0, trunk_elevation=-25.0 * lift)
    return script


def test_two_exercises_in_the_same_posture_are_split_at_the_rest_between_them():
    raises, lifts = leg_raises(FIVE), bridges([25.0, 28.5, 32.0, 35.5])

    def script(t: float) -> BodyAngles:
        if t < 16.0:
            return raises(t)
        if t < 24.0:  # resting on the back for 6 s, then the knees bend and the feet come in
            bend = min(1.0, max(0.0, (t - 22.0) / 1.0))
            return replace(LYING, hip_left=50.0 * bend, hip_right=50.0 * bend, knee_left=95.0 * bend,
                           knee_right=95.0 * bend)
        return lifts(t)

    poses = list(sample(script, 39.0, noise_deg=1.0))
    segments = segment(poses)
    assert [s.recognition.slug for s in segments] == ["lying-leg-raise", "glute-bridge"]
    assert segments[0].end_s < 17.0 and segments[1].start_s > 23.0
    counts = [replay([(t, p) for t, p in poses if s.owns(t)], s.recognition.slug).rep_counts()["total"]
              for s in segments if s.recognition.slug]
    assert counts == [5, 4]


def marching_bridge(starts: list[float]) -> Script:
    """A bridge held (the trunk sloping down 25° to the head, knees at 95°), one foot lifting after the other."""
    def script(t: float) -> BodyAngles:
        left, right = (reps_signal(t, starts[side::2], 0.6, 0.5) for side in (0, 1))
        return replace(LYING, hip_left=60.0 * left, hip_right=60.0 * right, knee_left=95.0, knee_right=95.0,
                       trunk_elevation=-25.0)
    return script


def test_a_bridge_held_while_the_feet_march_is_a_marching_bridge_from_the_side():
    """The trunk's slope does not change in a held bridge; seen from the side it is read, not guessed, so
    it is a bridge (not knees pulled to the chest one after the other)."""
    recognition = recognize(sample(marching_bridge(MARCH), 14.0, noise_deg=1.0))
    assert (recognition.slug, recognition.sure) == ("marching-bridge", True), recognition


def one_leg_and_its_faint_copy(t: float) -> BodyAngles:
    """Standing, one knee lifting to 90° while the far leg reads a faint copy of it (15°): what MediaPipe
    makes of a leg it cannot see behind the one that moves."""
    lift = reps_signal(t, FIVE, 0.8, 0.3)
    return replace(STANDING, hip_right=90.0 * lift, knee_right=90.0 * lift, hip_left=15.0 * lift,
                   knee_left=15.0 * lift)


def both_legs_raised(t: float) -> BodyAngles:
    lift = reps_signal(t, FIVE, 0.8, 0.3)
    return replace(STANDING, hip_right=90.0 * lift, hip_left=85.0 * lift)


def test_legs_that_correlate_rose_together_only_where_both_were_seen_to_rise():
    """A leg that moves a sixth as far as the other correlates with it, but does not show whether the
    legs rose together (a hanging leg raise) or in turn (a march): unsure between them."""
    faint = recognize(sample(one_leg_and_its_faint_copy, 17.0, noise_deg=1.0))
    assert not faint.sure and set(faint.candidates) == {"hanging-leg-raise", "standing-march"}, faint
    both = recognize(sample(both_legs_raised, 17.0, noise_deg=1.0))
    assert (both.slug, both.sure) == ("hanging-leg-raise", True), both


def reaching_forward(frames: Iterable[tuple[float, PoseFrame | None]],
                     spans: list[tuple[float, float]]) -> list[tuple[float, PoseFrame | None]]:
    """The frames with the left arm reaching straight forward past the head, along the trunk (a bird-dog's
    reach), during ``spans``; the stick body's arms otherwise prop it up under the shoulders."""
    reached: list[tuple[float, PoseFrame | None]] = []
    for t, pose in frames:
        assert pose is not None and pose.world is not None
        if not any(start <= t < end for start, end in spans):
            reached.append((t, pose))
            continue
        world, xyzv = pose.world.copy(), pose.xyzv.copy()
        shoulders = (world[Landmark.LEFT_SHOULDER] + world[Landmark.RIGHT_SHOULDER]) / 2
        hips = (world[Landmark.LEFT_HIP] + world[Landmark.RIGHT_HIP]) / 2
        forward = (shoulders - hips) / np.linalg.norm(shoulders - hips)
        for joint, length in ((Landmark.LEFT_ELBOW, 0.28), (Landmark.LEFT_WRIST, 0.5)):
            world[joint] = world[Landmark.LEFT_SHOULDER] + length * forward
            xyzv[joint, :3] = xyzv[Landmark.LEFT_SHOULDER, :3] + length * PIXELS_PER_METRE * forward
        reached.append((t, replace(pose, world=world, xyzv=xyzv)))
    return reached


def test_a_still_body_face_down_reaching_an_arm_forward_is_no_plank():
    """A plank's arms stay under the shoulders; an arm held forward past the head is a bird-dog's reach
    (filmed from the feet its legs may read still), so the plank's timed hold between reaches does not
    name it a plank."""
    recognition = recognize(reaching_forward(sample(plank, 12.0, noise_deg=1.0), [(4.0, 6.0), (9.0, 11.0)]))
    assert recognition.slug == "bird-dog", recognition


@pytest.mark.parametrize(("lifts", "expected"), [
    # Lying on the side with the hips read just over the lift limit, a dip as the forearm pushes, then
    # the hips up: the hold is the hips up.
    ([(0.0, 2.0, 0.33), (2.0, 2.5, 0.15), (2.5, 12.5, 0.47)], (2.5, 12.5)),
    # ...and the same after it: lowered to lie at the limit again.
    ([(0.0, 10.0, 0.47), (10.0, 10.5, 0.15), (10.5, 13.0, 0.33)], (0.0, 10.0)),
    # A sag that lapses for a moment and comes back up, or a hold ending sagging slowly, is all held.
    ([(0.0, 5.0, 0.47), (5.0, 5.5, 0.28), (5.5, 10.0, 0.45)], (0.0, 10.0)),
    ([(0.0, 6.0, 0.47), (6.0, 10.0, 0.37)], (0.0, 10.0)),
])
def test_a_counted_hold_leaves_out_the_position_at_its_limit_next_to_a_lapse(lifts, expected):
    """The side plank's engine bridges a dip of the hips shorter than its grace, so its hold can take in
    lying on the side before or after when that reads just over the lift limit (a rendered routine:
    0.33 against 0.32); the segment's bout leaves that out, not a sag held as deep as the rest."""
    from posecoach.exercises.recognize import _held_span

    frames: list[tuple[float, dict[str, float] | None]] = []
    for start, stop, lift in lifts:
        frames += [(float(t), {"hip_lift": lift, "knee_flexion.both": 15.0})
                   for t in np.arange(start, stop - 1e-9, 1 / 30)]
    start, end = _held_span(frames, "side-plank", None, frames[0][0], frames[-1][0])
    assert (start, end) == (pytest.approx(expected[0], abs=0.05), pytest.approx(expected[1], abs=0.05))
