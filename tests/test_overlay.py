"""The overlay draws what it is given: checked by the colours and regions it paints on a plain frame."""

from __future__ import annotations

import numpy as np
import pytest

from posecoach.coach import Coach, CoachState, Plan, Stage
from posecoach.events import FormWarning
from posecoach.exercises import EngineSnapshot, Phase, get_exercise
from posecoach.landmarks import Landmark
from posecoach.messages import Kind, Message
from posecoach.sinks import overlay
from tests.support.trajectories import BodyAngles, pose_from_angles

GREY_FRAME = np.full((480, 640, 3), 90, dtype=np.uint8)
POSE = pose_from_angles(BodyAngles(), 1.0)
EXERCISE = get_exercise("supine-knee-to-chest")


def snapshot(**kwargs) -> EngineSnapshot:
    values = dict(t_s=10.0, visible=True, in_position=True, phase=Phase.REST, reps_total=3, reps_left=1,
                  reps_right=2, signal={}, hold_side=None, hold_elapsed_s=0.0, hold_target_s=3.0, last_warning=None)
    return EngineSnapshot(**(values | kwargs))


def coach_state(stage: Stage = Stage.ACTIVE, **kwargs) -> CoachState:
    base = Coach(Plan.for_exercise(EXERCISE)).state
    values = dict(stage=stage, done=(("left", 1), ("right", 2)), current_side="right", banner=None)
    return CoachState(**(base.__dict__ | values | kwargs))


def share(image: np.ndarray, colour: tuple[int, int, int], tolerance: int = 40) -> float:
    """Share of pixels within ``tolerance`` of a BGR colour."""
    close = (np.abs(image.astype(int) - np.array(colour)) <= tolerance).all(axis=2)
    return float(close.mean())


def draw(frame: np.ndarray = GREY_FRAME, *, pose=POSE, snap=None, coach=None, **kwargs) -> np.ndarray:
    return overlay.render(frame, pose, snap or snapshot(), EXERCISE, coach or coach_state(), **kwargs)


def test_input_frame_is_untouched_and_the_size_kept():
    frame = GREY_FRAME.copy()
    out = draw(frame)
    assert out.shape == frame.shape and np.array_equal(frame, GREY_FRAME)


def test_counter_panel_shows_both_sides_with_the_working_side_highlighted():
    out = draw()
    panel = out[:160, :260]
    assert share(panel, overlay.WHITE, 30) > 0.02
    assert share(panel, overlay.ACTIVE_SIDE, 30) > 0.02


def test_tracked_joints_are_drawn_where_the_pose_puts_them_and_mirror_flips_them():
    hip = POSE.xyzv[Landmark.LEFT_HIP, :2].round().astype(int)
    out = draw()
    assert share(out[hip[1] - 3:hip[1] + 4, hip[0] - 3:hip[0] + 4], overlay.TRACKED, 30) > 0.8
    mirrored = draw(mirror=True)
    x = GREY_FRAME.shape[1] - 1 - hip[0]
    assert share(mirrored[hip[1] - 3:hip[1] + 4, x - 3:x + 4], overlay.TRACKED, 30) > 0.8


def test_hold_ring_shows_progress_only_during_a_hold():
    assert share(draw(), overlay.HOLD, 30) == 0
    out = draw(snap=snapshot(hold_elapsed_s=2.0, hold_side=None))
    ring = out[:, out.shape[1] // 2:]
    assert share(ring, overlay.HOLD, 30) > 0.01


@pytest.mark.parametrize(("kwargs", "colour"), [
    (dict(coach=coach_state(banner=Message.of("Keep your back on the floor.", Kind.CUE, 9.0))), overlay.WARNING),
    (dict(snap=snapshot(visible=False), pose=None), overlay.LOST),
    (dict(coach=coach_state(Stage.SETUP, banner=Message.of("Move the camera further back", Kind.SETUP, 9.0))),
     overlay.SETUP),
], ids=["form-cue-banner", "cant-see-you", "setup-hint"])
def test_states_paint_their_colour(kwargs, colour):
    out = draw(**kwargs)
    assert share(out, colour, 45) > 0.03


def test_only_the_coachs_message_is_drawn_not_the_engines_last_warning():
    """The board decides what shows and for how long; the overlay must not keep a cue up on its own."""
    cue = FormWarning(9.5, "back-lifting", "Keep your back on the floor.")
    assert share(draw(snap=snapshot(last_warning=cue)), overlay.WARNING, 45) < 0.001


def test_countdowns_show_the_number_the_voice_says(monkeypatch):
    """2.4 s left is said "three" (the voice counts whole seconds up): the banner and ring read 3 too."""
    ready = coach_state(Stage.GET_READY, countdown_s=2.4)
    assert "GET READY 3" in drawn_texts(monkeypatch, coach=ready)
    assert "3" in drawn_texts(monkeypatch, snap=snapshot(hold_elapsed_s=0.6, hold_target_s=3.0))


@pytest.mark.parametrize("size", [(360, 640), (1080, 1920), (1280, 720)], ids=["360p", "1080p", "portrait"])
def test_counter_scales_with_the_frame(size):
    frame = np.full((*size, 3), 90, dtype=np.uint8)
    out = draw(frame, pose=None)
    height = size[0]
    rows = np.where((np.abs(out[:, :size[1] // 3].astype(int) - 255) <= 30).all(axis=2).any(axis=1))[0]
    assert rows.size and rows.max() - rows.min() > 0.06 * min(height, size[1])


def drawn_texts(monkeypatch, **kwargs) -> list[str]:
    """Every string the overlay writes on the frame."""
    texts: list[str] = []
    original = overlay._text

    def spy(image, text, *args, **kw):
        texts.append(text)
        return original(image, text, *args, **kw)

    monkeypatch.setattr(overlay, "_text", spy)
    draw(**kwargs)
    return texts


def test_a_recording_talks_to_its_viewer_and_has_no_set_plan(monkeypatch):
    lost = snapshot(visible=False)
    assert "I CAN'T SEE YOU" in drawn_texts(monkeypatch, snap=lost)
    recorded = drawn_texts(monkeypatch, snap=lost, recording=True)
    assert "PERSON NOT VISIBLE" in recorded and "I CAN'T SEE YOU" not in recorded
    assert not any(text.startswith("SET ") for text in recorded), "'SET 1/1' says nothing in a recording"


def test_the_hold_ring_is_labelled_hold(monkeypatch):
    assert "hold" in drawn_texts(monkeypatch, snap=snapshot(hold_elapsed_s=1.2))
    assert "hold" not in drawn_texts(monkeypatch, snap=snapshot(hold_elapsed_s=0.0))


def test_the_skeletons_left_side_is_blue_and_right_side_red():
    from dataclasses import replace

    xyzv = POSE.xyzv.copy()
    xyzv[[landmark for landmark in Landmark if landmark.name.startswith("LEFT")], 1] -= 60  # both sides in view
    out = draw(pose=replace(POSE, xyzv=xyzv))
    assert share(out, overlay.LEFT_BONE, 30) > 0.002 and share(out, overlay.RIGHT_BONE, 30) > 0.002
    assert share(draw(pose=None), overlay.LEFT_BONE, 30) < 0.0005


# ------------------------------------------------------------------ big type, for reading from a mat


def text_heights(monkeypatch, **kwargs) -> dict[str, int]:
    """Every string drawn, with its capital height in pixels."""
    heights: dict[str, int] = {}
    original = overlay._text

    def spy(image, text, origin, size, colour, thickness):
        heights[text] = overlay._text_size("H", size, thickness)[1]
        return original(image, text, origin, size, colour, thickness)

    with monkeypatch.context() as patched:
        patched.setattr(overlay, "_text", spy)
        draw(**kwargs)
    return heights


CUE = "Keep your back on the floor: press your lower back into the mat"


@pytest.mark.parametrize("size", [(720, 1280), (360, 640), (960, 540)], ids=["720p", "360p", "portrait"])
def test_big_type_messages_and_counts_read_from_two_metres(monkeypatch, size):
    """Capitals of a message about 5% of the frame's height or more (a 1080-pixel window: 54 px, about
    12 mm on a laptop screen), counts 14%; every word drawn, none cut, in three or four lines."""
    frame = np.full((*size, 3), 90, dtype=np.uint8)
    coach = coach_state(banner=Message.of(CUE, Kind.CUE, 9.0))
    heights = text_heights(monkeypatch, frame=frame, coach=coach, big_type=True)
    lines = [text for text in heights if text in CUE]
    assert " ".join(lines) == CUE and len(lines) <= 4
    height, width = size
    portrait = height > width
    assert min(heights[line] for line in lines) >= (0.03 if portrait else 0.05) * height
    assert heights["2"] >= (0.08 if portrait else 0.14) * height


def test_big_type_is_larger_than_compact(monkeypatch):
    coach = coach_state(banner=Message.of("Go", Kind.STAGE, 9.0))
    big = text_heights(monkeypatch, coach=coach, big_type=True)
    compact = text_heights(monkeypatch, coach=coach, big_type=False)
    assert big["Go"] >= 1.6 * compact["Go"] and big["2"] >= 1.4 * compact["2"]


def test_the_state_band_never_covers_the_counter():
    """GET READY's band was centred on a 720-pixel frame, over the big counter's set line."""
    frame = np.full((720, 1280, 3), 90, dtype=np.uint8)
    out = draw(frame, pose=None, coach=coach_state(Stage.GET_READY, countdown_s=3.0), big_type=True)
    counter_only = draw(frame, pose=None, big_type=True)
    band_rows = np.where((np.abs(out[:, 640].astype(int) - np.array(overlay.STATUS)) <= 40).all(axis=1))[0]
    counter_rows = np.where((out[:, 20] != 90).any(axis=1) & (counter_only[:, 20] != 90).any(axis=1))[0]
    assert band_rows.size and counter_rows.size and band_rows.min() > counter_rows.max()


def test_the_counter_panel_is_wide_enough_for_the_set_line():
    """With one column the panel ended at the digit, and "SET 1/2 reps" ran out over the picture."""
    frame = np.full((720, 1280, 3), 90, dtype=np.uint8)
    coach = coach_state(done=(("both", 0),), current_side=None)
    out = draw(frame, pose=None, coach=coach, big_type=True)
    row_of_set_line = out[200:330]
    white_columns = np.where((np.abs(row_of_set_line.astype(int) - 255) <= 30).all(axis=2).any(axis=0))[0]
    panel_columns = np.where((out[5] != 90).any(axis=1))[0]
    assert white_columns.max() < panel_columns.max()
