"""The truth file says exactly what the motion script did: rep times, sides, holds, faults."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pytest

from posecoach.synth.clip import SynthSpec, synthesize
from posecoach.synth.motions import (
    BROKEN_HOLD_FRACTION,
    EXERCISES,
    SCRIPTS_BY_SLUG,
    FaultRequest,
    Motion,
    SynthOptionError,
    build_motion,
)
from posecoach.synth.render import NTSC_FPS
from posecoach.synth.truth import SCHEMA, ClipTruth


def channel_at(motion: Motion, channel: str, time_s: float) -> float:
    """The scripted channel at an exact time, from the key poses (no frame rounding)."""
    times = np.array([t for t, _ in motion.keys])
    values = np.array([pose[channel] for _, pose in motion.keys])
    return float(np.interp(time_s, times, values))


def tracked(slug: str, side: str) -> str:
    return SCRIPTS_BY_SLUG[slug].tracked.format(side={"left": "l", "right": "r"}.get(side, "l"))


REP_EXERCISES = [slug for slug in EXERCISES if SCRIPTS_BY_SLUG[slug].kind == "reps"]
HOLD_EXERCISES = [slug for slug in EXERCISES if SCRIPTS_BY_SLUG[slug].kind == "hold"]


@pytest.mark.parametrize("slug", REP_EXERCISES)
def test_each_rep_leaves_the_start_pose_peaks_and_returns_when_the_truth_says(slug: str) -> None:
    motion = build_motion(slug, reps=2, seed=5)
    script = motion.script
    assert motion.reps, "a rep exercise must record reps"
    for rep, top in zip(motion.reps, motion.rep_tops, strict=True):
        channel = tracked(slug, rep.side)
        side = "l" if rep.side in ("left", "both") else "r"
        start_value = script.pose("start", side)[channel]
        assert channel_at(motion, channel, rep.start_s) == pytest.approx(start_value)
        assert channel_at(motion, channel, rep.end_s) == pytest.approx(start_value)
        assert channel_at(motion, channel, rep.peak_s) == pytest.approx(top[channel])
        assert abs(top[channel] - start_value) > 10, "the tracked channel must really move"
        assert rep.start_s < rep.peak_s < rep.end_s <= motion.duration_s


@pytest.mark.parametrize(
    ("slug", "reps", "first_side", "expected_sides"),
    [
        ("lying-leg-raise", 3, "l", ["both"] * 3),
        ("lying-march", 2, "r", ["right", "left", "right", "left"]),
        ("standing-march", 2, "l", ["left", "right", "left", "right"]),
        ("supine-knee-to-chest", 2, "l", ["left", "left", "right", "right"]),
        ("clamshell", 1, "r", ["right", "left"]),
    ],
    ids=["both-together", "alternating-from-right", "alternating-from-left", "blocked", "blocked-rolls-over"],
)
def test_sides_alternate_or_come_in_blocks(slug: str, reps: int, first_side: str, expected_sides: list[str]) -> None:
    motion = build_motion(slug, reps=reps, first_side=first_side, seed=0)
    assert [rep.side for rep in motion.reps] == expected_sides
    assert [rep.index for rep in motion.reps] == list(range(1, len(expected_sides) + 1))


@pytest.mark.parametrize(
    ("slug", "fault", "counted"),
    [
        ("lying-leg-raise", "partial-range@2", False),
        ("lying-leg-raise", "too-fast@2", False),
        ("lying-leg-raise", "back-lift@2", True),
        ("lying-march", "pelvis-rock@2", True),
        ("standing-march", "knee-below-hip@2", True),
        ("supine-knee-to-chest", "hold-broken-early@2", False),
        ("plank-knee-drive", "hip-sag@2", True),
    ],
    ids=["partial-not-counted", "too-fast-not-counted", "back-lift-counted", "pelvis-rock-counted",
         "knee-below-hip-counted", "short-knee-hug-hold-not-counted", "hip-sag-counted"],
)
def test_a_faulty_rep_is_marked_and_counted_only_if_a_coach_would(slug: str, fault: str, counted: bool) -> None:
    motion = build_motion(slug, reps=3, faults=[FaultRequest.parse(fault)], seed=2)
    code = fault.split("@")[0]
    faulty = motion.reps[1]
    assert faulty.faults == (code,)
    assert faulty.counted is counted
    assert all(rep.counted and not rep.faults for i, rep in enumerate(motion.reps) if i != 1)
    [record] = motion.faults
    assert (record.code, record.rep) == (code, 2)
    assert faulty.start_s <= record.start_s < record.end_s <= faulty.end_s + 3.0


@pytest.mark.parametrize(
    ("fault", "channel", "compare"),
    [
        ("partial-range@1", "hip_flex_l", lambda faulty, clean: faulty < 0.5 * clean),
        ("back-lift@1", "spine_flex", lambda faulty, clean: faulty > clean + 20),
        ("too-fast@1", None, None),
    ],
    ids=["partial-range-lower-peak", "back-lift-curls-the-trunk", "too-fast-is-short"],
)
def test_faults_change_the_motion_itself(fault: str, channel: str | None,
                                         compare: Callable[[float, float], bool] | None) -> None:
    clean = build_motion("lying-leg-raise", reps=1, seed=4)
    faulty = build_motion("lying-leg-raise", reps=1, seed=4, faults=[FaultRequest.parse(fault)])
    if channel is None:
        assert faulty.reps[0].end_s - faulty.reps[0].start_s < 0.6 < clean.reps[0].end_s - clean.reps[0].start_s
        return
    assert compare is not None
    assert compare(channel_at(faulty, channel, faulty.reps[0].peak_s), channel_at(clean, channel, clean.reps[0].peak_s))


@pytest.mark.parametrize("slug", HOLD_EXERCISES)
def test_a_hold_lasts_its_target_and_sits_in_the_hold_pose(slug: str) -> None:
    motion = build_motion(slug, reps=1, seed=1, duration_scale=0.5)
    script = motion.script
    assert not motion.reps
    assert len(motion.holds) == (1 if script.sides == "both" else 2)
    for hold in motion.holds:
        assert hold.duration_s == pytest.approx(script.hold_target_s * 0.5)
        side = {"left": "l", "right": "r"}.get(hold.side, "l")
        top = script.pose("top", side)
        for time_s in np.linspace(hold.start_s, hold.end_s, 5):
            for channel in ("pitch", "hip_flex_l", "hip_flex_r", "knee_flex_l"):
                assert channel_at(motion, channel, time_s) == pytest.approx(top[channel])


def test_a_broken_hold_ends_early_and_the_fault_spans_the_missing_time() -> None:
    motion = build_motion("plank", reps=1, seed=1, faults=[FaultRequest.parse("hold-broken-early")])
    [hold] = motion.holds
    [fault] = motion.faults
    target = SCRIPTS_BY_SLUG["plank"].hold_target_s
    assert hold.duration_s == pytest.approx(BROKEN_HOLD_FRACTION * target)
    assert (fault.start_s, fault.end_s) == pytest.approx((hold.end_s, hold.start_s + target))


def test_hip_sag_in_a_hold_is_timed_inside_the_hold() -> None:
    motion = build_motion("plank", reps=1, seed=1, faults=[FaultRequest.parse("hip-sag")])
    [hold] = motion.holds
    [fault] = motion.faults
    assert hold.start_s < fault.start_s < fault.end_s < hold.end_s
    middle = 0.5 * (fault.start_s + fault.end_s)
    frame = round(middle * motion.fps)
    assert motion.angles["spine_flex"][frame] < -10


@pytest.mark.parametrize(
    ("slug", "faults", "message"),
    [
        ("plank", ["back-lift"], "plank cannot show back-lift. Faults it can show: hip-sag, hold-broken-early"),
        ("lying-leg-raise", ["wobble"], "unknown fault 'wobble'"),
        ("lying-leg-raise", ["back-lift@9"], "only 2 reps"),
        ("lying-leg-raise", ["back-lift@x"], "expected CODE or CODE@REP"),
    ],
    ids=["fault-the-exercise-cannot-show", "unknown-fault", "rep-out-of-range", "bad-rep-number"],
)
def test_bad_fault_requests_say_what_is_valid(slug: str, faults: list[str], message: str) -> None:
    with pytest.raises(SynthOptionError, match=message):
        build_motion(slug, reps=2, faults=[FaultRequest.parse(text) for text in faults])


def test_the_same_seed_scripts_the_same_motion_and_another_seed_does_not() -> None:
    first = build_motion("lying-march", reps=2, seed=8)
    again = build_motion("lying-march", reps=2, seed=8)
    other = build_motion("lying-march", reps=2, seed=9)
    assert first.reps == again.reps
    assert all(np.array_equal(first.angles[name], again.angles[name]) for name in first.angles)
    assert first.reps != other.reps


def test_expected_totals_count_only_counted_reps_per_side() -> None:
    clip = synthesize(SynthSpec("lying-march", reps=3, faults=["too-fast@2"], seed=3, size=(64, 48),
                                first_side="l", mirrored=True))
    expected = clip.truth.expected()
    assert [rep.side for rep in clip.truth.reps][:2] == ["left", "right"], "rep 2, the too-fast one, is a right"
    assert expected["reps"] == {"total": 5, "left": 3, "right": 2}
    assert expected["reps_as_seen"] == {"total": 5, "left": 2, "right": 3}


def test_the_truth_survives_a_json_round_trip_in_the_documented_schema() -> None:
    clip = synthesize(SynthSpec("supine-knee-to-chest", reps=1, faults=["back-lift@2"], seed=3, size=(64, 48),
                                conditions=["dropped-frames"]))
    data = json.loads(json.dumps(clip.truth.to_dict()))
    assert data["schema"] == SCHEMA
    assert set(data) >= {"exercise", "kind", "fps", "frame_count", "duration_s", "camera", "seed", "reps", "holds",
                         "faults", "conditions", "expected"}
    assert set(data["reps"][0]) == {"index", "side", "start_s", "peak_s", "end_s", "counted", "faults"}
    assert set(data["holds"][0]) == {"side", "start_s", "end_s", "duration_s", "target_s"}
    assert set(data["faults"][0]) == {"code", "start_s", "end_s", "rep"}
    assert data["conditions"] and set(data["conditions"][0]) == {"code", "start_s", "end_s"}
    restored = ClipTruth.from_dict(data)
    assert restored.to_dict() == data


def test_ntsc_timebase_scripts_at_29_97_frames_per_second() -> None:
    clip = synthesize(SynthSpec("lying-leg-raise", reps=1, seed=1, size=(64, 48), conditions=["ntsc-timebase"]))
    assert clip.truth.fps == pytest.approx(NTSC_FPS)
    assert clip.truth.duration_s == pytest.approx(clip.truth.frame_count * 1001 / 30000)
    assert clip.truth.reps[0].end_s < clip.truth.duration_s


@pytest.mark.parametrize(
    ("options", "expected_sides", "peak_hip_flex"),
    [
        ({"sides": "blocked"}, ["left", "left", "right", "right"], 12.0),
        ({"sides": "alternating"}, ["left", "right", "left", "right"], 12.0),
        ({"range_scale": 0.5}, ["left", "right", "left", "right"], 51.0),
    ],
    ids=["blocked-override", "alternating", "half-range"],
)
def test_side_order_and_range_are_options(options: dict[str, object], expected_sides: list[str],
                                          peak_hip_flex: float) -> None:
    motion = build_motion("lying-march", reps=2, first_side="l", seed=1, **options)  # type: ignore[arg-type]
    assert [rep.side for rep in motion.reps] == expected_sides
    first = motion.reps[0]
    assert channel_at(motion, "hip_flex_l", first.peak_s) == pytest.approx(peak_hip_flex)
