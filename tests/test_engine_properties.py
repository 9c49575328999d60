"""Properties of the engine over random rep trajectories (hypothesis): what must hold for any set.

Each example scripts a random set — rep count, range, tempo, pauses — so the true count is known.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from posecoach.analysis import replay
from posecoach.events import HoldEnded, HoldStarted, RepCompleted
from posecoach.exercises import CATALOG
from posecoach.landmarks import Side
from tests.support.trajectories import BodyAngles, bump, sample

LYING = BodyAngles()
EXAMPLES = settings(max_examples=12, deadline=None)


@st.composite
def leg_raise_sets(draw: st.DrawFn) -> tuple[list[float], float, float, float]:
    """Rep start times, range (deg), rise time and top pause; gaps long enough to rest between reps.
    Rises of 0.6 s each way read as the leg raise's shortest rep (0.8 s from leaving rest to most of
    the way back), where a frame decides 'too fast': the sets stay clear of it."""
    reps = draw(st.integers(1, 5))
    rise = draw(st.floats(0.7, 1.6))
    pause = draw(st.floats(0.0, 1.0))
    height = draw(st.floats(55.0, 95.0))
    gaps = draw(st.lists(st.floats(0.5, 2.0), min_size=reps, max_size=reps))
    starts, t = [], 1.0
    for gap in gaps:
        starts.append(t)
        t += 2 * rise + pause + gap
    return starts, height, rise, pause


def leg_raise(starts: list[float], height: float, rise: float, pause: float):
    def script(t: float) -> BodyAngles:
        hip = height * max((bump(t, s, rise, pause) for s in starts), default=0.0)
        return replace(LYING, hip_left=hip, hip_right=hip)
    return script


def duration_of(starts: list[float], rise: float, pause: float) -> float:
    return starts[-1] + 2 * rise + pause + 1.5


@EXAMPLES
@given(leg_raise_sets(), st.integers(0, 10_000))
def test_every_full_rep_of_a_random_set_is_counted(a_set, seed):
    starts, height, rise, pause = a_set
    poses = sample(leg_raise(starts, height, rise, pause), duration_of(starts, rise, pause), noise_deg=1.5, seed=seed)
    assert replay(poses, "lying-leg-raise").rep_counts()["total"] == len(starts)


@EXAMPLES
@given(leg_raise_sets())
def test_the_running_count_never_decreases(a_set):
    starts, height, rise, pause = a_set
    summary = replay(sample(leg_raise(starts, height, rise, pause), duration_of(starts, rise, pause), noise_deg=3.0),
                     "lying-leg-raise")
    counts = [e.count for e in summary.events if isinstance(e, RepCompleted)]
    assert counts == sorted(counts)


@EXAMPLES
@given(leg_raise_sets())
def test_halving_the_frame_rate_keeps_the_count(a_set):
    starts, height, rise, pause = a_set
    script, duration = leg_raise(starts, height, rise, pause), duration_of(starts, rise, pause)
    at_30 = replay(sample(script, duration, 30.0), "lying-leg-raise").rep_counts()
    at_15 = replay(sample(script, duration, 15.0), "lying-leg-raise").rep_counts()
    assert at_30 == at_15


@EXAMPLES
@given(st.floats(0.0, 15.0), st.floats(3.0, 8.0), st.integers(0, 10_000))
def test_wobbling_inside_the_hysteresis_band_adds_nothing(level, amplitude, seed):
    """Anything that never travels the minimum excursion (25° for a leg raise) is not a rep."""
    def script(t: float) -> BodyAngles:
        hip = level + amplitude * (1 + ((t * 7.3) % 2 - 1))
        return replace(LYING, hip_left=hip, hip_right=hip)

    assert replay(sample(script, 8.0, noise_deg=2.0, seed=seed), "lying-leg-raise").rep_counts()["total"] == 0


@EXAMPLES
@given(st.lists(st.sampled_from([Side.LEFT, Side.RIGHT]), min_size=1, max_size=6))
def test_mirroring_the_body_swaps_the_per_side_counts(pattern):
    def march(order):
        def script(t: float) -> BodyAngles:
            hips = {Side.LEFT: 90.0, Side.RIGHT: 90.0}
            for i, side in enumerate(order):
                hips[side] -= 75.0 * bump(t, 1.0 + 2.4 * i, 0.8, 0.3)
            return replace(LYING, hip_left=hips[Side.LEFT], hip_right=hips[Side.RIGHT], knee_left=90.0,
                           knee_right=90.0)
        return script

    duration = 2.0 + 2.4 * len(pattern)
    straight = replay(sample(march(pattern), duration), "lying-march").rep_counts()
    mirrored = replay(sample(march([s.other for s in pattern]), duration), "lying-march").rep_counts()
    assert (straight["left"], straight["right"]) == (mirrored["right"], mirrored["left"])
    assert (straight["left"], straight["right"]) == (pattern.count(Side.LEFT), pattern.count(Side.RIGHT))


@st.composite
def wandering_bodies(draw: st.DrawFn) -> tuple[list[tuple[float, BodyAngles | None]], float]:
    """A body that wanders through random positions (lying, standing, face down, in between), with
    spells where nobody is visible: keyframes at random times, joints interpolated between them."""
    keys: list[tuple[float, BodyAngles | None]] = []
    t = 0.0
    for _ in range(draw(st.integers(2, 9))):
        if draw(st.integers(0, 5)) == 0:
            keys.append((t, None))
        else:
            keys.append((t, BodyAngles(
                hip_left=draw(st.floats(-30, 130)), hip_right=draw(st.floats(-30, 130)),
                knee_left=draw(st.floats(0, 140)), knee_right=draw(st.floats(0, 140)),
                trunk_elevation=draw(st.floats(-20, 95)), chest_up=draw(st.booleans()),
                pelvis_roll=draw(st.floats(-25, 25)))))
        t += draw(st.floats(0.3, 4.0))
    return keys, t


def _interpolated(keys: list[tuple[float, BodyAngles | None]]):
    def script(t: float) -> BodyAngles | None:
        for (t0, a), (t1, b) in pairwise(keys):
            if t0 <= t < t1:
                if a is None or b is None:
                    return a
                w = (t - t0) / (t1 - t0)
                mix = {name: (1 - w) * getattr(a, name) + w * getattr(b, name)
                       for name in ("hip_left", "hip_right", "knee_left", "knee_right", "trunk_elevation",
                                    "pelvis_roll")}
                return BodyAngles(**mix, chest_up=a.chest_up if w < 0.5 else b.chest_up)
        return keys[-1][1]
    return script


@pytest.mark.parametrize("slug", sorted(CATALOG))
@settings(max_examples=6, deadline=None)
@given(body=wandering_bodies(), seed=st.integers(0, 1000))
def test_every_hold_started_is_ended_once_events_come_in_time_order_and_nothing_is_silent(slug, body, seed):
    """Whatever the body does, a hold-started is followed by exactly one hold-ended for its side
    before the next one starts, none is left open at the end, events are listed in time order, and
    a clip with a person in view where nothing counted says why."""
    keys, duration = body
    summary = replay(sample(_interpolated(keys), duration, 15.0, noise_deg=2.0, seed=seed), slug)
    times = [event.t_s for event in summary.events]
    assert times == sorted(times)
    open_holds: set[Side | None] = set()
    for event in summary.events:
        if isinstance(event, HoldStarted):
            assert event.side not in open_holds, f"second hold-started for {event.side} at {event.t_s:.2f} s"
            open_holds.add(event.side)
        elif isinstance(event, HoldEnded):
            assert event.side in open_holds, f"hold-ended for {event.side} at {event.t_s:.2f} s without a start"
            open_holds.remove(event.side)
    assert not open_holds, f"holds left open: {open_holds}"
    if summary.frames_with_pose and not summary.reps and not summary.holds:
        assert summary.notes, "a person was in view, nothing counted, and no note says why"
