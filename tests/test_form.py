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
