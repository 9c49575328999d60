"""The session summary: per-side statistics, asymmetry and fatigue, derived from events."""

from __future__ import annotations

import pytest

from posecoach.events import HoldEnded, RepCompleted
from posecoach.landmarks import Side
from posecoach.summary import SessionSummary


def rep(t: float, rom: float, side: Side | None = None) -> RepCompleted:
    return RepCompleted(t, side, rom=rom)


def summary_of(*events) -> SessionSummary:
    return SessionSummary("lying-march", "test", events=list(events))


def test_side_stats_count_reps_range_and_hold_time_per_side():
    summary = summary_of(rep(1, 80, Side.LEFT), rep(2, 60, Side.RIGHT), rep(3, 90, Side.LEFT),
                         HoldEnded(4, Side.RIGHT, 1.0, 3.0, 3.0, True))
    assert summary.side_stats() == {
        "left": {"reps": 2, "mean_rom": 85.0, "held_s": 0.0},
        "right": {"reps": 1, "mean_rom": 60.0, "held_s": 3.0},
    }


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ((rep(1, 80, Side.LEFT), rep(2, 80, Side.RIGHT)), {"reps": 0.0, "mean_rom": 0.0, "held_s": 0.0}),
        ((rep(1, 80, Side.LEFT), rep(2, 60, Side.RIGHT), rep(3, 80, Side.LEFT)),
         {"reps": 0.5, "mean_rom": 0.25, "held_s": 0.0}),
        ((rep(1, 80, Side.LEFT), rep(2, 80, Side.LEFT)), None),
        ((rep(1, 80), rep(2, 80)), None),
    ],
    ids=["symmetric", "right-side-weaker", "one-side-only", "both-legs-together"],
)
def test_asymmetry_is_the_difference_as_a_share_of_the_better_side(events, expected):
    assert summary_of(*events).asymmetry() == expected


@pytest.mark.parametrize(
    ("roms", "expected"),
    [
        ([80, 82, 79, 81, 80, 78], None),
        ([80, 82, 79, 81, 60, 58, 55], 5),
        ([80, 82, 79, 60, 81, 80], None),
        ([80, 60, 50, 45], None),
    ],
    ids=["steady", "fell-from-rep-5", "one-bad-rep-is-not-fatigue", "too-few-reps-to-judge"],
)
def test_range_decay_names_the_rep_from_which_range_stayed_low(roms, expected):
    assert summary_of(*(rep(i, rom) for i, rom in enumerate(roms))).range_decay() == expected


def test_the_json_summary_carries_the_quality_block():
    data = summary_of(rep(1, 80, Side.LEFT), rep(2, 60, Side.RIGHT)).to_dict()
    assert data["quality"]["sides"]["right"]["mean_rom"] == 60.0
    assert data["quality"]["asymmetry"]["mean_rom"] == 0.25
    assert data["quality"]["range_fell_from_rep"] is None
