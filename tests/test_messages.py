"""The message board: one message on screen, by priority and lifetime, in stream time."""

from __future__ import annotations

import pytest

from posecoach.messages import Kind, Message, MessageBoard, countdown_number


def test_a_higher_priority_pre_empts_and_the_lower_returns_within_its_lifetime():
    board = MessageBoard()
    board.post(Message.of("Not counted: too small", Kind.NOTICE, 0.0))
    board.post(Message.of("Go", Kind.STAGE, 1.0, lifetime_s=1.0))
    assert board.showing(1.5).text == "Go"
    assert board.showing(2.5).text == "Not counted: too small"
    assert board.showing(4.0) is None


def test_a_lower_priority_waits_behind_a_higher_one():
    board = MessageBoard()
    board.post(Message.of("Switch sides", Kind.STAGE, 0.0))
    board.post(Message.of("Muted", Kind.NOTICE, 0.5))
    assert board.showing(1.0).text == "Switch sides"
    assert board.showing(2.1).text == "Muted"


def test_cleared_messages_leave_at_once_and_spoken_only_ones_never_show():
    board = MessageBoard()
    board.post(Message.of("Not counted: both sides moved", Kind.NOTICE, 0.0, key="rejected"))
    assert board.post(Message.of("one", Kind.COUNT, 0.5, shown=False)) is not None
    board.clear("rejected")
    assert board.showing(0.6) is None


def test_the_same_text_is_said_once_per_repeat_but_stays_on_screen():
    board = MessageBoard()
    hint = "Move the camera further back"
    said = [board.post(Message.of(hint, Kind.SETUP, t / 2, repeat_s=8.0)) for t in range(20)]
    assert [m.t_s for m in said if m is not None] == [0.0, 8.0]
    assert board.showing(9.6).text == hint


@pytest.mark.parametrize(("remaining", "shown"), [(3.0, 3), (2.4, 3), (2.0, 2), (0.3, 1), (0.0, 0), (-1.0, 0)])
def test_countdowns_count_whole_seconds_up(remaining, shown):
    assert countdown_number(remaining) == shown
