"""Form rules judged frame by frame: what each fault is read from, and how often it is said."""

from __future__ import annotations

import math

import pytest

from posecoach.events import FormWarning
from posecoach.exercises import get_exercise
from posecoach.exercises.diagnostics import Diagnostics
from posecoach.exercises.form import FormJudge

FPS = 30.0


def plank_warnings(sag_trunk_deg: float, sag_body_line_deg: float | None) -> list[FormWarning]:
    """An 8 s plank hold whose hips sag from 3.0 to 4.5 s: the trunk tilts up by ``sag_trunk_deg``
    and the body line bends by ``sag_body_line_deg`` (None: the feet are out of the frame)."""
    judge = FormJudge(get_exercise("plank"), Diagnostics())
    warnings: list[FormWarning] = []
    for i in range(int(8 * FPS)):
        t = i / FPS
        sagging = 3.0 <= t < 4.5
        features = {
            "trunk_incline": 3.0 + (sag_trunk_deg if sagging else 0.0),
            "body_line": math.nan if sag_body_line_deg is None else 5.0 - (sag_body_line_deg if sagging else 0.0),
        }
        if i < 15:
            judge.remember_baseline(features)
        warnings += judge.check(features, t, True, [(None, None)], 1)
        warnings += judge.release(t)
    return warnings


def test_sagging_hips_are_seen_from_the_trunk_tilting_up_when_the_feet_are_out_of_view():
    """Without the ankles there is no body line, but the shoulders stay over the arms while the hips
    drop: the trunk tilts up from where the hold began."""
    [warning] = plank_warnings(13.0, None)
    assert warning.code == "hips-sagging"
    assert warning.t_s == pytest.approx(3.6, abs=0.2)


def test_a_sag_read_from_both_the_body_line_and_the_trunk_is_said_once():
    assert [w.code for w in plank_warnings(13.0, 20.0)] == ["hips-sagging"]


def test_a_trunk_steady_within_ten_degrees_is_no_sag():
    assert plank_warnings(8.0, None) == []


def test_where_the_camera_stands_is_judged_at_rest_not_from_the_movement_being_judged():
    """A back curling up off the floor, filmed obliquely from the feet, shortens the trunk in the
    picture as a camera at the feet would (rendered: hip width over trunk 0.3 at rest, 0.5 at the
    lift): judged frame by frame the fault would hide itself from its own rule."""
    judge = FormJudge(get_exercise("lying-leg-raise"), Diagnostics())
    at_rest = {"trunk_incline": 5.0, "end_on": 0.3, "chest_facing": 70.0}
    lifted = {"trunk_incline": 50.0, "end_on": 0.5, "chest_facing": 60.0}
    for i in range(15):
        judge.remember_baseline(at_rest)
        judge.check(at_rest, i / FPS, False, [(None, 1)], 0)
    warnings: list[FormWarning] = []
    for i in range(15, 45):
        warnings += judge.check(lifted, i / FPS, True, [(None, 1)], 0)
    warnings += judge.movement_finished()
    assert [w.code for w in warnings] == ["back-lifting"]
    assert judge.camera_along_body(seen_now=True) is False
