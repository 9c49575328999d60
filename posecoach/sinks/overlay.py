"""The live overlay: draws what the engine and the coach already decided; it computes nothing.

Sized for someone lying on a mat three metres from a laptop: every length is scaled to the frame
(``_scale``), the rep counter is about a seventh of the frame height, text has a dark outline so it
reads on any background, and colours carry meaning (amber: the side you are working, green: a hold
in progress, orange: a form cue, red: "I can't see you", blue: setup hints). The skeleton's left
side is blue and its right side red, like the usual motion-capture convention. A recording
(``recording=True``: ``analyze --output``) talks to its viewer, not to the person in it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np

from posecoach.coach import CoachState, Stage
from posecoach.exercises.definition import Exercise
from posecoach.landmarks import SKELETON, Joint, Landmark, PoseFrame, Side
from posecoach.messages import Kind, Message, countdown_number

if TYPE_CHECKING:
    from posecoach.events import EngineSnapshot

Colour = tuple[int, int, int]
WHITE: Colour = (255, 255, 255)
BLACK: Colour = (0, 0, 0)
GREY: Colour = (150, 150, 150)
BONE: Colour = (235, 235, 235)
TRACKED: Colour = (255, 0, 255)
"""Magenta (BGR): the joints this exercise is judged on."""
ACTIVE_SIDE: Colour = (0, 200, 255)
"""Amber: the counter of the side being worked."""
HOLD: Colour = (60, 200, 60)
WARNING: Colour = (0, 130, 255)
LOST: Colour = (40, 40, 210)
SETUP: Colour = (190, 110, 20)
STATUS: Colour = (90, 60, 40)
FONT = cv2.FONT_HERSHEY_DUPLEX
LEFT_BONE: Colour = (230, 150, 40)
"""Blue (BGR): bones and joints of the body's left side."""
RIGHT_BONE: Colour = (60, 60, 225)
"""Red (BGR): bones and joints of the body's right side."""
RECORDING_WARNING_S = 1.5
"""In a recording a cue shows this long from its own time: longer covers most of a short clip."""


def _scale(image: np.ndarray) -> float:
    """1.0 for a 720-pixel-high landscape frame; portrait frames scale by their width."""
    height, width = image.shape[:2]
    return max(0.45, min(height / 720.0, width / 1000.0))


def _panel(image: np.ndarray, x0: int, y0: int, x1: int, y1: int, colour: Colour = BLACK,
           alpha: float = 0.55) -> None:
    """A translucent rectangle, blended in place on the region only (cheap on large frames)."""
    height, width = image.shape[:2]
    x0, x1 = max(0, x0), min(width, x1)
    y0, y1 = max(0, y0), min(height, y1)
    if x1 <= x0 or y1 <= y0:
        return
    region = image[y0:y1, x0:x1]
    block = np.empty_like(region)
    block[:] = colour
    cv2.addWeighted(block, alpha, region, 1 - alpha, 0, dst=region)


def _text(image: np.ndarray, text: str, origin: tuple[int, int], size: float, colour: Colour,
          thickness: int) -> None:
    """Text with a dark outline, readable on a bright mat or a dark room alike.

    The outline is the same text stamped around the origin: OpenCV 5's font widens glyph advances
    with stroke thickness, so a thicker black copy drifts off the letters instead of ringing them.
    """
    ring = max(1, thickness)
    x, y = origin
    for dx, dy in ((-ring, 0), (ring, 0), (0, -ring), (0, ring), (-ring, -ring), (ring, ring), (-ring, ring),
                   (ring, -ring)):
        cv2.putText(image, text, (x + dx, y + dy), FONT, size, BLACK, thickness, cv2.LINE_AA)
    cv2.putText(image, text, origin, FONT, size, colour, thickness, cv2.LINE_AA)


def _text_size(text: str, size: float, thickness: int) -> tuple[int, int]:
    (width, height), _ = cv2.getTextSize(text, FONT, size, thickness)
    return width, height


def _wrap(text: str, size: float, thickness: int, max_width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and _text_size(candidate, size, thickness)[0] <= max_width:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines[:3]


def _banner(image: np.ndarray, text: str, colour: Colour, s: float, *, bottom: bool = True) -> None:
    """A full-width band of wrapped text at the bottom (cues, hints) or in the middle (states)."""
    height, width = image.shape[:2]
    size, thickness = 1.1 * s, max(1, round(2 * s))
    lines = _wrap(text, size, thickness, width - round(60 * s))
    line_h = round(46 * s)
    band_h = line_h * len(lines) + round(24 * s)
    y0 = height - band_h if bottom else (height - band_h) // 2
    _panel(image, 0, y0, width, y0 + band_h, colour, 0.75)
    for i, line in enumerate(lines):
        text_w, text_h = _text_size(line, size, thickness)
        _text(image, line, ((width - text_w) // 2, y0 + round(12 * s) + line_h * i + text_h + round(8 * s)),
              size, WHITE, thickness)


def _points(pose: PoseFrame, width: int, mirror: bool) -> np.ndarray:
    xy = pose.xyzv[:, :2].copy()
    if mirror:
        xy[:, 0] = width - 1 - xy[:, 0]
    return xy


def _side_colour(a: int, b: int) -> Colour:
    """Blue for a bone of the left side, red for the right, white for one across the body."""
    sides = {Landmark(a).name.split("_")[0], Landmark(b).name.split("_")[0]}
    if sides == {"LEFT"}:
        return LEFT_BONE
    if sides == {"RIGHT"}:
        return RIGHT_BONE
    return BONE


def _draw_skeleton(image: np.ndarray, pose: PoseFrame, exercise: Exercise, s: float, mirror: bool) -> None:
    xy = _points(pose, image.shape[1], mirror)
    finite = np.isfinite(xy).all(axis=1)
    bone_w = max(2, round(4 * s))
    for a, b in SKELETON:
        if finite[a] and finite[b]:
            cv2.line(image, (round(xy[a, 0]), round(xy[a, 1])), (round(xy[b, 0]), round(xy[b, 1])),
                     _side_colour(a, b), bone_w, cv2.LINE_AA)
    tracked = {Joint[name].of(side) for name in exercise.tracked for side in Side}
    for landmark in Landmark:
        if not finite[landmark] or landmark < Landmark.LEFT_SHOULDER:
            continue
        centre = (round(xy[landmark, 0]), round(xy[landmark, 1]))
        if landmark in tracked:
            cv2.circle(image, centre, max(5, round(12 * s)), TRACKED, -1, cv2.LINE_AA)
            cv2.circle(image, centre, max(5, round(12 * s)), BLACK, max(1, round(2 * s)), cv2.LINE_AA)
        else:
            cv2.circle(image, centre, max(3, round(5 * s)), _side_colour(landmark, landmark), -1, cv2.LINE_AA)


def _draw_counter(image: np.ndarray, coach: CoachState, s: float, recording: bool = False) -> None:
    """The big per-side rep (or hold) counter and the set, top left."""
    margin = round(16 * s)
    big, big_t = 3.6 * s, max(2, round(7 * s))
    small, small_t = 0.9 * s, max(1, round(2 * s))
    sides = [side for side, _ in coach.done]
    columns = []
    for side in sides:
        label = "" if side == "both" else side[0].upper()
        colour = ACTIVE_SIDE if side == coach.current_side and len(sides) > 1 else WHITE
        columns.append((label, str(coach.count(side)), colour))
    target_text = f"/{coach.target}"
    widths = [max(_text_size(n, big, big_t)[0], _text_size(lab, small, small_t)[0]) + _text_size(
        target_text, small, small_t)[0] + round(24 * s) for lab, n, _ in columns]
    big_h = _text_size("0", big, big_t)[1]
    panel_w = sum(widths) + 2 * margin
    panel_h = big_h + round(120 * s)
    _panel(image, 0, 0, panel_w + margin, panel_h)
    x = 2 * margin
    baseline = margin + round(34 * s) + big_h
    for (label, number, colour), width in zip(columns, widths, strict=True):
        if label:
            _text(image, label, (x, margin + round(26 * s)), small, colour, small_t)
        _text(image, number, (x, baseline), big, colour, big_t)
        number_w = _text_size(number, big, big_t)[0]
        _text(image, target_text, (x + number_w + round(6 * s), baseline), small, GREY, small_t)
        x += width
    # a recording has no set plan: "SET 1/1" would say nothing
    set_text = coach.unit if recording else f"SET {min(coach.set_index, coach.sets)}/{coach.sets}  {coach.unit}"
    _text(image, set_text, (2 * margin, baseline + round(50 * s)), small, WHITE, small_t)


def _draw_hold_ring(image: np.ndarray, snapshot: EngineSnapshot, s: float) -> None:
    """A ring filling up as the hold goes on, with the seconds left in the middle, top right."""
    target = snapshot.hold_target_s
    elapsed = snapshot.hold_elapsed_s
    if target <= 0 or elapsed <= 0:
        return
    width = image.shape[1]
    radius = round(80 * s)
    centre = (width - radius - round(40 * s), radius + round(70 * s))
    _panel(image, centre[0] - radius - round(20 * s), centre[1] - radius - round(20 * s),
           centre[0] + radius + round(20 * s), centre[1] + radius + round(20 * s))
    ring_w = max(4, round(16 * s))
    cv2.circle(image, centre, radius, GREY, ring_w, cv2.LINE_AA)
    fraction = min(1.0, elapsed / target)
    cv2.ellipse(image, centre, (radius, radius), -90, 0, 360 * fraction, HOLD, ring_w, cv2.LINE_AA)
    left = countdown_number(target - elapsed)  # the number the voice says
    label = str(left) if left > 0 else "OK"
    size, thickness = 2.0 * s, max(2, round(4 * s))
    text_w, text_h = _text_size(label, size, thickness)
    _text(image, label, (centre[0] - text_w // 2, centre[1] + text_h // 2), size, HOLD if left <= 0 else WHITE,
          thickness)
    caption, caption_size, caption_t = "hold", 0.8 * s, max(1, round(2 * s))
    caption_w, caption_h = _text_size(caption, caption_size, caption_t)
    _text(image, caption, (centre[0] - caption_w // 2, centre[1] + text_h // 2 + caption_h + round(14 * s)),
          caption_size, WHITE, caption_t)


def _draw_centre_state(image: np.ndarray, title: str, detail: str, colour: Colour, s: float) -> None:
    height, width = image.shape[:2]
    size, thickness = 2.4 * s, max(2, round(5 * s))
    title_w, title_h = _text_size(title, size, thickness)
    detail_size, detail_t = 1.1 * s, max(1, round(2 * s))
    detail_w, detail_h = _text_size(detail, detail_size, detail_t) if detail else (0, 0)
    band_h = title_h + detail_h + round(70 * s)
    y0 = (height - band_h) // 2
    _panel(image, 0, y0, width, y0 + band_h, colour, 0.7)
    _text(image, title, ((width - title_w) // 2, y0 + round(25 * s) + title_h), size, WHITE, thickness)
    if detail:
        _text(image, detail, ((width - detail_w) // 2, y0 + round(50 * s) + title_h + detail_h), detail_size,
              WHITE, detail_t)


def _draw_status(image: np.ndarray, coach: CoachState, fps: float | None, s: float) -> None:
    width = image.shape[1]
    parts = [f"{fps:.0f} fps" if fps else ""]
    if coach.muted:
        parts.append("MUTED")
    text = "  ".join(p for p in parts if p)
    if not text:
        return
    size, thickness = 0.7 * s, max(1, round(2 * s))
    text_w, _ = _text_size(text, size, thickness)
    _text(image, text, (width - text_w - round(16 * s), round(34 * s)), size, WHITE, thickness)


BANNER_COLOURS: dict[Kind, Colour] = {Kind.SETUP: SETUP, Kind.CUE: WARNING, Kind.ALERT: LOST}
"""The bottom banner's colour by message kind; any other kind is a plain status."""


def _draw_message(image: np.ndarray, message: Message, s: float) -> None:
    _banner(image, message.text, BANNER_COLOURS.get(message.kind, STATUS), s)


def render(image: np.ndarray, pose: PoseFrame | None, snapshot: EngineSnapshot, exercise: Exercise,
           coach: CoachState, *, fps: float | None = None, mirror: bool = False,
           recording: bool = False) -> np.ndarray:
    """A new image: the frame (mirrored if asked) with the skeleton, counters, hold ring, set,
    countdowns and the coach's one message (``coach.banner``). ``image`` itself is left untouched.
    A ``recording`` speaks to its viewer ("person not visible")."""
    out = cv2.flip(image, 1) if mirror else image.copy()
    s = _scale(out)
    if pose is not None:
        _draw_skeleton(out, pose, exercise, s, mirror)
    _draw_counter(out, coach, s, recording)
    _draw_hold_ring(out, snapshot, s)
    _draw_status(out, coach, fps, s)
    if coach.paused:
        _draw_centre_state(out, "PAUSED", "space to go on", STATUS, s)
    elif coach.stage is Stage.GET_READY:
        _draw_centre_state(out, f"GET READY  {countdown_number(coach.countdown_s)}", exercise.name, STATUS, s)
    elif coach.stage is Stage.REST:
        _draw_centre_state(out, f"REST  {countdown_number(coach.countdown_s)}",
                           f"next: set {coach.set_index} of {coach.sets}", STATUS, s)
    elif coach.stage is Stage.DONE:
        _draw_centre_state(out, "ALL SETS DONE", "q to finish", HOLD, s)
    elif not snapshot.visible and coach.stage is not Stage.SETUP:
        _draw_centre_state(out, "PERSON NOT VISIBLE" if recording else "I CAN'T SEE YOU", "", LOST, s)
    if coach.banner is not None:
        _draw_message(out, coach.banner, s)
    return out
