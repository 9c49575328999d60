"""The coach: a pure state machine driven by stream time. Table-driven: inputs in, stage and prompts out."""

from __future__ import annotations

import numpy as np
import pytest

from posecoach.coach import Coach, Command, Plan, Stage, check_setup
from posecoach.errors import PoseCoachError
from posecoach.events import FormWarning, HoldEnded, HoldStarted, PoseLost, RepCompleted, RepRejected
from posecoach.exercises import get_exercise
from posecoach.exercises.definition import with_hold_target as exercise_with_hold
from posecoach.landmarks import Landmark, Side
from tests.support.trajectories import BodyAngles, pose_from_angles

L, R = Side.LEFT, Side.RIGHT


def plan(**kwargs) -> Plan:
    defaults = dict(sets=2, target=3, hold_s=0.0, rest_s=10.0, sides=("both",), get_ready_s=3.0)
    return Plan(**(defaults | kwargs))


def rep(t: float, side: Side | None = None) -> RepCompleted:
    return RepCompleted(t, side)


def run(coach: Coach, script: list[tuple]) -> list[str]:
    """Feed ``(t, what, arg)`` steps; returns every prompt text in order."""
    said: list[str] = []
    for t, what, *arg in script:
        if what == "tick":
            step = coach.tick(t, *arg)
        elif what == "events":
            step = coach.observe(arg[0], t)
        else:
            step = coach.command(arg[0], t)
        said += [s.text for s in step.says]
    return said


def test_setup_waits_for_a_good_setup_then_counts_down_and_starts():
    coach = Coach(plan())
    said = run(coach, [(0.0, "tick", "Move the camera further back"), (0.5, "tick", None), (1.0, "tick", None),
                       (1.6, "tick", None)])
    assert coach.stage is Stage.GET_READY
    assert said == ["Move the camera further back", "Get ready: 3 reps"]
    said = run(coach, [(1.7, "tick", None), (2.7, "tick", None), (3.7, "tick", None), (4.7, "tick", None)])
    assert said == ["three", "two", "one", "Go"]
    assert coach.stage is Stage.ACTIVE


def test_a_hint_is_repeated_only_every_few_seconds():
    coach = Coach(plan())
    said = run(coach, [(t / 10, "tick", "It's too dark") for t in range(0, 100)])
    assert said == ["It's too dark", "It's too dark"]


@pytest.mark.parametrize(("events", "stage", "set_index", "done", "sets_completed"), [
    ([rep(5.0)], Stage.ACTIVE, 1, (("both", 1),), 0),
    ([rep(5.0), rep(6.0), rep(7.0)], Stage.REST, 2, (("both", 0),), 1),
    ([rep(t) for t in (5, 6, 7, 8, 9, 10)], Stage.DONE, 2, (("both", 3),), 2),
    ([rep(t) for t in (5, 6, 7, 8, 9, 10, 11)], Stage.DONE, 2, (("both", 4),), 2),
], ids=["one-rep", "set-done-rest", "all-sets-done", "extra-reps-after-done"])
def test_reps_fill_sets(events, stage, set_index, done, sets_completed):
    coach = Coach(plan(rest_s=10.0, get_ready_s=0.0), skip_setup=True)
    coach.tick(0.0)
    completed = []
    for event in events:
        completed += coach.observe([event], event.t_s).events
        completed += coach.tick(event.t_s + 0.01).events
    state = coach.state
    assert (state.stage, state.set_index, state.done, len(completed)) == (stage, set_index, done, sets_completed)
    assert [c.reps for c in completed] == [3] * sets_completed


def test_rest_counts_down_and_starts_the_next_set():
    coach = Coach(plan(), skip_setup=True)
    run(coach, [(0.0, "tick", None), (3.0, "tick", None)])
    said = run(coach, [(6.0, "events", [rep(4.0), rep(5.0), rep(6.0)])])
    assert said[-1] == "Set 1 done. Rest 10 seconds"
    assert coach.state.countdown_s == pytest.approx(10.0)
    assert coach.state.banner is None, "the REST band counts down; a banner saying 'Rest 10 seconds' is a second clock"
    said = run(coach, [(13.5, "tick", None), (14.5, "tick", None), (16.1, "tick", None)])
    assert said == ["three", "two", "Set 2, go"]
    assert coach.state.stage is Stage.ACTIVE and coach.state.set_index == 2


@pytest.mark.parametrize("stage_before", ["setup", "get-ready", "rest"])
def test_a_rep_outside_a_set_starts_the_set_early_and_is_not_lost(stage_before):
    coach = Coach(plan(get_ready_s=3.0))
    if stage_before in ("get-ready", "rest"):
        run(coach, [(0.0, "tick", None), (1.0, "tick", None)])
    if stage_before == "rest":
        run(coach, [(4.5, "tick", None), (5.0, "events", [rep(5.0), rep(6.0), rep(7.0)])])
        assert coach.stage is Stage.REST
    coach.observe([rep(8.0)], 8.0)
    assert coach.stage is Stage.ACTIVE
    assert coach.state.count("both") == 1


def test_one_sided_exercise_prompts_to_switch_sides_and_completes_after_both():
    coach = Coach(plan(sides=("left", "right"), target=2, sets=1), skip_setup=True)
    run(coach, [(0.0, "tick", None), (3.0, "tick", None)])
    said = run(coach, [(4.0, "events", [rep(4.0, L)]), (5.0, "events", [rep(5.0, L)])])
    assert said == ["one", "two", "Switch sides"]
    assert coach.state.current_side == "right"
    step = coach.observe([rep(6.0, R), rep(7.0, R)], 7.0)
    assert [(e.reps, e.reps_left, e.reps_right) for e in step.events] == [(4, 2, 2)]
    assert coach.stage is Stage.DONE


def test_fixed_side_counts_only_that_side():
    coach = Coach(plan(sides=("left",), target=2, sets=1), skip_setup=True)
    run(coach, [(0.0, "tick", None), (3.0, "tick", None)])
    coach.observe([rep(4.0, R), rep(5.0, L)], 5.0)
    assert coach.state.done == (("left", 1),)
    coach.command(Command.SWITCH, 5.5)
    assert "only the left side" in coach.state.banner.text


@pytest.mark.parametrize(("command", "check"), [
    (Command.RESET, lambda s: s.done == (("both", 0),) and s.stage is Stage.ACTIVE),
    (Command.NEXT, lambda s: s.stage is Stage.REST and s.set_index == 2),
    (Command.MUTE, lambda s: s.muted and s.banner.text == "Muted"),
    (Command.PAUSE, lambda s: s.paused),
], ids=["reset", "next", "mute", "pause"])
def test_key_commands(command, check):
    coach = Coach(plan(), skip_setup=True)
    run(coach, [(0.0, "tick", None), (3.0, "tick", None), (4.0, "events", [rep(4.0), rep(5.0)])])
    coach.command(command, 6.0)
    assert check(coach.state)


def test_pause_freezes_countdowns_and_quit_is_requested():
    coach = Coach(plan(), skip_setup=True)
    run(coach, [(0.0, "tick", None)])
    coach.command(Command.PAUSE, 1.0)
    run(coach, [(20.0, "tick", None)])
    assert coach.state.stage is Stage.GET_READY and coach.state.countdown_s == pytest.approx(2.0)
    coach.command(Command.PAUSE, 20.0)
    assert coach.state.countdown_s == pytest.approx(2.0)
    run(coach, [(22.1, "tick", None)])
    assert coach.stage is Stage.ACTIVE
    coach.command(Command.QUIT, 23.0)
    assert coach.quit_requested


def test_holds_are_counted_when_completed_with_a_spoken_countdown():
    coach = Coach(plan(counts_holds=True, target=1, sets=2, hold_s=5.0), skip_setup=True)
    run(coach, [(0.0, "tick", None), (3.0, "tick", None)])
    said = run(coach, [(4.0, "events", [HoldStarted(4.0, None, 5.0)])])
    said += run(coach, [(4.0 + x, "tick", None, (x, 5.0)) for x in (1.0, 2.5, 3.5, 4.5)])
    said += run(coach, [(9.1, "events", [HoldEnded(9.1, None, 4.0, 5.1, 5.0, True)])])
    assert said == ["Hold", "three", "two", "one", "done", "one", "Set 1 done. Rest 10 seconds"]
    assert coach.state.set_index == 2


def test_a_short_hold_does_not_count_and_says_how_long_it_was():
    coach = Coach(plan(counts_holds=True, target=1, sets=1, hold_s=30.0), skip_setup=True)
    run(coach, [(0.0, "tick", None), (3.0, "tick", None)])
    said = run(coach, [(20.0, "events", [HoldEnded(20.0, None, 8.0, 12.0, 30.0, False)])])
    assert said == ["12 of 30 seconds"]
    assert coach.state.count("both") == 0


def test_a_stretch_restarted_deeper_is_one_hold_to_the_person():
    """Taking a stretch deeper restarts its hold (the part before was the way in, closed uncounted):
    the coach says neither how short that part was nor "Hold" again."""
    coach = Coach(plan(counts_holds=True, target=1, sets=1, hold_s=25.0), skip_setup=True)
    run(coach, [(0.0, "tick", None), (3.0, "tick", None)])
    said = run(coach, [(4.0, "events", [HoldStarted(4.0, None, 25.0)])])
    said += run(coach, [(5.5, "events", [HoldEnded(5.0, None, 4.0, 1.0, 25.0, counted=False),
                                         HoldStarted(5.0, None, 25.0)])])
    said += run(coach, [(9.0, "events", [HoldEnded(9.0, None, 5.0, 4.0, 25.0)])])
    assert said == ["Hold", "4 of 25 seconds"]


def test_form_cues_and_lost_pose_are_not_repeated_within_the_cooldown():
    coach = Coach(plan(), skip_setup=True)
    warning = FormWarning(1.0, "back-lifting", "Keep your back on the floor.")
    said = run(coach, [(1.0, "events", [warning]), (3.0, "events", [warning]), (12.0, "events", [warning]),
                       (13.0, "events", [PoseLost(13.0)]), (14.0, "events", [PoseLost(14.0)])])
    assert said == ["Keep your back on the floor."] * 2 + ["I can't see you"]


@pytest.mark.parametrize(("slug", "side", "expected"), [
    ("supine-knee-to-chest", "auto", (1, 10, 3.0, ("left", "right"), False)),
    ("supine-knee-to-chest", "right", (1, 10, 3.0, ("right",), False)),
    ("glute-bridge", "auto", (3, 10, 0.0, ("both",), False)),
    ("plank", "auto", (3, 1, 30.0, ("both",), True)),
], ids=["knee-to-chest", "knee-to-chest-right", "bridge", "plank"])
def test_plan_defaults_come_from_the_program(slug, side, expected):
    p = Plan.for_exercise(get_exercise(slug), side)
    assert (p.sets, p.target, p.hold_s, p.sides, p.counts_holds) == expected


def test_hold_override_changes_what_the_engine_judges_and_is_refused_without_a_hold():
    assert exercise_with_hold(get_exercise("plank"), 12).hold.target_s == 12
    assert exercise_with_hold(get_exercise("supine-knee-to-chest"), 5).rep.hold_s == 5
    with pytest.raises(PoseCoachError, match="'glute-bridge' has no hold"):
        exercise_with_hold(get_exercise("glute-bridge"), 5)


LYING_POSE = pose_from_angles(BodyAngles(), 0.0)


def _without(pose, *landmarks):
    xyzv = pose.xyzv.copy()
    xyzv[list(landmarks), :3] = np.nan
    return type(pose)(pose.timestamp_s, xyzv, pose.world, pose.image_size)


def _shoulders_apart(pose, pixels: float):
    """Seen from further round to the front, the shoulders spread apart in the image."""
    xyzv = pose.xyzv.copy()
    xyzv[Landmark.LEFT_SHOULDER, :2] = xyzv[Landmark.RIGHT_SHOULDER, :2] + (0.0, pixels)
    return type(pose)(pose.timestamp_s, xyzv, pose.world, pose.image_size)


def _front_view(pose):
    return _shoulders_apart(pose, 250.0)


@pytest.mark.parametrize(("pose", "brightness", "slug", "hint"), [
    (LYING_POSE, 120.0, "lying-leg-raise", None),
    (LYING_POSE, 20.0, "lying-leg-raise", "too dark"),
    (None, 120.0, "lying-leg-raise", "can't see you"),
    (_without(LYING_POSE, Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE), 120.0, "lying-leg-raise", "your ankles"),
    (_without(LYING_POSE, Landmark.LEFT_KNEE, Landmark.RIGHT_KNEE, Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE),
     120.0, "lying-leg-raise", "your knees and ankles"),
    (_front_view(LYING_POSE), 120.0, "lying-leg-raise", "side-on"),
    (_front_view(LYING_POSE), 120.0, "standing-march", None),
    (_shoulders_apart(LYING_POSE, 110.0), 120.0, "lying-leg-raise", None),
], ids=["ok", "dark", "nobody", "no-ankles", "no-legs", "front-view-floor-work", "front-view-allowed-standing",
        "oblique-view-allowed-floor-work"])
def test_setup_check_says_what_to_change(pose, brightness, slug, hint):
    check = check_setup(pose, brightness, get_exercise(slug))
    assert check.ok is (hint is None)
    if hint:
        assert hint in check.hint


# ------------------------------------------------------------------ one message at a time, each with a lifetime


def shown(coach: Coach, t: float) -> str | None:
    """The banner's text at stream time ``t`` (ticks the coach there first)."""
    coach.tick(t)
    banner = coach.state.banner
    return banner.text if banner is not None else None


def active_coach(**kwargs) -> Coach:
    coach = Coach(plan(**kwargs), skip_setup=True)
    run(coach, [(0.0, "tick", None), (3.0, "tick", None)])
    return coach


def test_go_leaves_the_screen_after_a_second():
    coach = active_coach()
    assert shown(coach, 3.5) == "Go"
    assert shown(coach, 4.1) is None


def test_not_counted_is_cleared_when_the_next_rep_counts():
    coach = active_coach()
    coach.observe([RepRejected(5.0, None, reason="both sides moved", code="both-sides-moved")], 5.0)
    assert shown(coach, 5.5) == "Not counted: both sides moved"
    coach.observe([rep(7.0)], 7.0)
    assert shown(coach, 7.1) is None


def test_not_counted_leaves_by_itself_when_no_rep_follows():
    coach = active_coach()
    coach.observe([RepRejected(5.0, None, reason="both sides moved", code="both-sides-moved")], 5.0)
    assert shown(coach, 8.9) == "Not counted: both sides moved"
    assert shown(coach, 9.1) is None


def test_a_form_cue_pre_empts_a_notice_which_comes_back_while_it_is_still_alive():
    coach = active_coach()
    coach.observe([RepRejected(5.0, None, reason="too small", code="partial-range")], 5.0)
    said = [m.text for m in coach.observe([FormWarning(5.5, "back-lifting", "Keep your back down")], 5.5).says]
    assert said == ["Keep your back down"]
    assert shown(coach, 6.0) == "Keep your back down"
    assert shown(coach, 8.6) == "Not counted: too small"
    assert shown(coach, 9.1) is None


def test_a_hold_begun_during_get_ready_starts_the_set_so_one_countdown_shows():
    """The ring counted the hold's seconds while the banner counted GET READY: two numbers at once."""
    coach = Coach(plan(counts_holds=True, target=1, hold_s=5.0, get_ready_s=5.0), skip_setup=True)
    run(coach, [(0.0, "tick", None), (1.0, "events", [HoldStarted(1.0, None, 5.0)])])
    assert coach.stage is Stage.ACTIVE and coach.state.countdown_s == 0.0
    said = run(coach, [(1.0 + x, "tick", None, (x, 5.0)) for x in (2.5, 3.5)])
    assert said == ["three", "two"]
