"""Property tests: whatever stream of poses reaches the engine, it counts sanely and never raises.

Every catalogue exercise's engine is fed streams that MediaPipe and real cameras produce now and then:
nobody in view, landmarks turned NaN, joints teleporting across (or far outside) the image, infinite
coordinates, no world landmarks, and timestamps that repeat, go backwards, jump ahead or are not finite.
Bodies come from the synthetic stick figure (tests/support/trajectories.py) in random postures, so the
streams also pass through the states where reps and holds are counted.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from posecoach.events import Event, HoldEnded, HoldStarted, RepCompleted
from posecoach.exercises import CATALOG, ExerciseEngine, SideMode, get_exercise
from posecoach.landmarks import NUM_LANDMARKS, PoseFrame
from tests.support.trajectories import BodyAngles, pose_from_angles, reps_signal

EPS = 1e-6
ROUNDED = 5e-4 + EPS
"""Events carry durations rounded to the millisecond."""

TIME_STEPS = st.one_of(
    st.just(1 / 30),  # the usual next frame
    st.floats(0.0, 0.2),  # jitter, including the same timestamp again
    st.floats(-1.0, -1e-3),  # out of order
    st.sampled_from([0.6, 3.0, 60.0]),  # dropped frames, a camera stall, a paused recording
)


@dataclass(frozen=True)
class Step:
    """One frame of a stream: when it claims to be, and what the pose stage said."""

    dt: float
    odd_t: float | None
    angles: BodyAngles | None
    damage: str
    seed: int


POSTURES = st.fixed_dictionaries({
    "trunk_elevation": st.sampled_from([-10.0, 0.0, 15.0, 45.0, 90.0]),
    "chest_up": st.booleans(),
    "pelvis_roll": st.sampled_from([0.0, 80.0]),
})
LEGS = st.fixed_dictionaries({
    "hip_left": st.sampled_from([0.0, 20.0, 45.0, 80.0, 95.0, 130.0]),
    "hip_right": st.sampled_from([0.0, 20.0, 45.0, 80.0, 95.0, 130.0]),
    "knee_left": st.sampled_from([0.0, 45.0, 90.0, 130.0]),
    "knee_right": st.sampled_from([0.0, 45.0, 90.0, 130.0]),
})
DAMAGE = st.sampled_from(["none", "none", "none", "nan-rows", "teleport", "far-away", "inf", "no-world", "all-nan",
                          "zero-size", "nobody"])


@st.composite
def streams(draw: st.DrawFn) -> list[Step]:
    """Runs of frames holding one leg position in one posture, so reps and holds really happen,
    broken by damaged runs and out-of-order, repeated or far-apart timestamps."""
    posture = draw(POSTURES)
    rest, work = draw(LEGS), draw(LEGS)  # moving between two leg positions is what a rep looks like
    steps: list[Step] = []
    for segment in range(draw(st.integers(1, 8))):
        legs = draw(st.sampled_from([rest, work, draw(LEGS)])) if draw(st.booleans()) else (rest, work)[segment % 2]
        damage = draw(DAMAGE)
        angles = None if damage == "nobody" else BodyAngles(**posture, **legs)
        seed = draw(st.integers(0, 2**16))
        for i in range(draw(st.integers(1, 15))):
            odd = None  # non-finite timestamps: see test_a_non_finite_timestamp_is_ignored
            dt = draw(TIME_STEPS) if damage != "none" or i == 0 else 1 / 30
            steps.append(Step(dt, odd, angles, damage, seed + i))
    return steps


STEPS = streams()


@lru_cache(maxsize=4096)
def _body(angles: BodyAngles) -> PoseFrame:
    """Posing the stick figure costs as much as the engine step: streams revisit the same few postures."""
    return pose_from_angles(angles, 0.0)


def body_at(angles: BodyAngles, t: float) -> PoseFrame:
    body = _body(angles)
    return PoseFrame(t, body.xyzv, body.world, body.image_size)


def damaged_pose(step: Step, t: float) -> PoseFrame | None:
    """The pose for ``step`` with its damage applied, as the pose stage could hand it over."""
    if step.angles is None:  # nobody in view
        return None
    pose = body_at(step.angles, t)
    rng = np.random.default_rng(step.seed)
    xyzv, world = pose.xyzv.copy(), pose.world.copy() if pose.world is not None else None
    rows = rng.random(NUM_LANDMARKS) < 0.3
    size = pose.image_size
    if step.damage == "nan-rows":
        xyzv[rows, :3] = np.nan
        if world is not None:
            world[rows] = np.nan
    elif step.damage == "teleport":
        xyzv[rows, :2] = rng.uniform(0, 640, (int(rows.sum()), 2))
        if world is not None:
            world[rows] = rng.uniform(-2, 2, (int(rows.sum()), 3))
    elif step.damage == "far-away":
        xyzv[rows, :3] = rng.uniform(-1e9, 1e9, (int(rows.sum()), 3))
    elif step.damage == "inf":
        xyzv[rows, :3] = np.inf
    elif step.damage == "no-world":
        world = None
    elif step.damage == "all-nan":
        xyzv[:, :3] = np.nan
        world = None
    elif step.damage == "zero-size":
        size = (0, 0)
    return PoseFrame(t, xyzv, world, size)


def check_stream(slug: str, side: str, steps: list[Step]) -> None:
    engine = ExerciseEngine(get_exercise(slug), side)
    t = 0.0
    finite_times: list[float] = []
    events: list[Event] = []
    counts = (0, 0, 0)
    for step in steps:
        t = max(t + step.dt, 0.0)
        stamp = step.odd_t if step.odd_t is not None else t
        if math.isfinite(stamp):
            finite_times.append(stamp)
        events += engine.update(damaged_pose(step, stamp), stamp)
        snapshot = engine.snapshot()
        now = (snapshot.reps_left, snapshot.reps_right, snapshot.reps_total)
        assert all(b >= a for a, b in zip(counts, now, strict=True)), f"counts went down: {counts} -> {now}"
        counts = now
        elapsed = max(finite_times) - min(finite_times) if finite_times else 0.0
        assert snapshot.hold_elapsed_s <= elapsed + EPS, f"hold {snapshot.hold_elapsed_s} s in {elapsed} s"
    events += engine.finish()
    elapsed = max(finite_times) - min(finite_times) if finite_times else 0.0
    start = min(finite_times) if finite_times else 0.0
    per_side: dict[object, list[int]] = {}
    counted_per_side = engine.exercise.sides is SideMode.EACH
    for event in events:
        if isinstance(event, RepCompleted):
            # Counts run per side where sides are counted apart; a whole-body exercise numbers all its
            # reps together, even those it attributes to one leg.
            per_side.setdefault(event.side if counted_per_side else None, []).append(event.count)
        if isinstance(event, HoldEnded):
            assert 0.0 <= event.held_s <= elapsed + ROUNDED, f"held {event.held_s} s in {elapsed} s"
            assert event.start_s >= start - EPS
        if isinstance(event, HoldStarted):
            assert math.isfinite(event.t_s)
    for side_counts in per_side.values():
        assert side_counts == list(range(1, len(side_counts) + 1)), f"rep numbers skip or repeat: {side_counts}"


FUZZ = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("slug", sorted(CATALOG))
@FUZZ
@given(steps=STEPS, side=st.sampled_from(["auto", "left", "right"]))
def test_any_stream_is_survived_counts_never_drop_and_holds_fit_in_the_time(slug: str, side: str,
                                                                            steps: list[Step]) -> None:
    check_stream(slug, side, steps)


def _leg_raises(t: float) -> BodyAngles:
    return BodyAngles(hip_left=80 * reps_signal(t, [0.5, 2.8, 5.1], 1.0),
                      hip_right=80 * reps_signal(t, [0.5, 2.8, 5.1], 1.0))


def _march(t: float) -> BodyAngles:
    return BodyAngles(hip_left=90 * reps_signal(t, [0.5, 4.5], 0.8, 0.3),
                      knee_left=90 * reps_signal(t, [0.5, 4.5], 0.8, 0.3),
                      hip_right=90 * reps_signal(t, [2.5], 0.8, 0.3),
                      knee_right=90 * reps_signal(t, [2.5], 0.8, 0.3))


def _knee_hugs(t: float) -> BodyAngles:
    up = reps_signal(t, [0.5], 0.8, 4.5)
    return BodyAngles(hip_left=40 + 80 * up, knee_left=60 + 60 * up, hip_right=40.0, knee_right=60.0)


def _plank(t: float) -> BodyAngles:
    return BodyAngles(trunk_elevation=5.0, chest_up=False, hip_left=-2.0, hip_right=-2.0)


SCRIPTS: dict[str, Callable[[float], BodyAngles]] = {
    "lying-leg-raise": _leg_raises, "lying-march": _march, "supine-knee-to-chest": _knee_hugs, "plank": _plank,
}
DURATION_S, FPS = 7.0, 15


@st.composite
def damaged_script(draw: st.DrawFn, slug: str) -> list[Step]:
    """A clean performance of the exercise with some frames damaged, dropped or mis-stamped."""
    frames = round(DURATION_S * FPS)
    damaged = dict(draw(st.lists(st.tuples(st.integers(0, frames - 1), DAMAGE), max_size=30)))
    oddly_timed = dict(draw(st.lists(st.tuples(st.integers(0, frames - 1), TIME_STEPS), max_size=8)))
    steps: list[Step] = []
    for i in range(frames):
        damage = damaged.get(i, "none")
        angles = None if damage == "nobody" else SCRIPTS[slug](round(i / FPS, 2))
        steps.append(Step(oddly_timed.get(i, 1 / FPS), None, angles, damage, i))
    return steps


@pytest.mark.parametrize("slug", sorted(SCRIPTS))
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_real_performance_with_damaged_frames_keeps_the_invariants(slug: str, data: st.DataObject) -> None:
    check_stream(slug, "auto", data.draw(damaged_script(slug)))


@pytest.mark.parametrize("slug", sorted(SCRIPTS))
def test_the_undamaged_performances_do_count_something(slug: str) -> None:
    """Guards the fuzz above: its streams pass through the states where reps and holds are counted."""
    engine = ExerciseEngine(get_exercise(slug))
    events: list[Event] = []
    for i in range(round(DURATION_S * FPS)):
        events += engine.update(body_at(SCRIPTS[slug](round(i / FPS, 2)), i / FPS), i / FPS)
    assert any(isinstance(e, RepCompleted | HoldStarted) for e in events)


@pytest.mark.parametrize("slug", ["supine-knee-to-chest", "plank"])
@settings(max_examples=8, deadline=None)
@given(start=st.floats(0, 1e6), fps=st.sampled_from([5.0, 30.0, 240.0]), frames=st.integers(1, 60))
def test_a_hold_never_outlasts_the_clock_at_any_frame_rate_or_start_time(slug: str, start: float, fps: float,
                                                                         frames: int) -> None:
    """A perfect, still body for ``frames`` frames: whatever it times is within the span it saw."""
    engine = ExerciseEngine(get_exercise(slug))
    angles = {"plank": BodyAngles(chest_up=False, trunk_elevation=10.0),
              "supine-knee-to-chest": BodyAngles(hip_left=120.0, knee_left=120.0),
              "lying-leg-raise": BodyAngles(hip_left=80.0, hip_right=80.0)}[slug]
    events: list[Event] = []
    for i in range(frames):
        t = start + i / fps
        events += engine.update(body_at(angles, t), t)
        assert engine.snapshot().hold_elapsed_s <= i / fps + EPS
    events += engine.finish()
    assert all(e.held_s <= (frames - 1) / fps + ROUNDED for e in events if isinstance(e, HoldEnded))


@pytest.mark.parametrize("odd_t", [
    math.nan,
    -math.inf,
    math.inf,
], ids=["nan", "minus-inf", "inf"])
def test_a_non_finite_timestamp_is_ignored(odd_t: float) -> None:
    """Sources never produce one (tests/test_reliability_inputs.py), but the engine is a public API."""
    engine = ExerciseEngine(get_exercise("plank"))
    for i in range(60):
        t = odd_t if i == 30 else i / 30
        engine.update(body_at(_plank(t), t), t)
    snapshot = engine.snapshot()
    assert snapshot.t_s == pytest.approx(59 / 30)
    assert 0.0 < snapshot.hold_elapsed_s <= 59 / 30
