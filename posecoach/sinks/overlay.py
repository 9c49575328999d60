"""The live overlay: draws what the engine and the coach already decided; it computes nothing.

Two type sizes: :data:`BIG_TYPE` for someone on a mat 2 m from the screen (the live window) and
:data:`COMPACT` (the annotated video, ``live --compact``); every length is scaled to the frame
(``_scale``), text has a dark outline so it reads on any background, and colours carry meaning
(amber: the side you are working, green: a hold in progress, orange: a form cue, red: "I can't
see you" and alerts, blue: setup hints). The skeleton's left side is blue and its right side red,
like the usual motion-capture convention. A recording (``recording=True``: ``analyze --output``)
talks to its viewer, not to the person in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np

from posecoach.coach import CoachState, Stage
from posecoach.exercises.definition import Exercise
from posecoach.landmarks import SKELETON, Joint, Landmark, PoseFrame, Side
from posecoach.messages import Kind, countdown_number

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


@dataclass(frozen=True)
class TypeSizes:
    """Font scales (OpenCV's, at a 720-pixel-high frame) and the ring's radius in pixels."""

    counter: float
    label: float
    banner: float
    title: float
    detail: float
    ring_radius: int
    ring_label: float
    status: float
    full_width: int
    """A frame narrower than this scales its type by its width: a portrait frame's text wraps to more
    lines rather than running off the side."""
    max_lines: int
    """A message that needs more lines at full size is set smaller until it fits; nothing is cut."""


COMPACT = TypeSizes(counter=3.6, label=0.9, banner=1.1, title=2.4, detail=1.1, ring_radius=80, ring_label=2.0,
                    status=0.7, full_width=1000, max_lines=3)
"""For a screen read from a desk, and the annotated video."""
BIG_TYPE = TypeSizes(counter=5.5, label=1.4, banner=2.0, title=3.4, detail=1.8, ring_radius=110, ring_label=3.0,
                     status=1.0, full_width=560, max_lines=4)
"""For someone on a mat 2 m from the screen: message text about 7% of a landscape window's height, counts 20%."""


def _scale(image: np.ndarray, sizes: TypeSizes) -> float:
    """1.0 for a 720-pixel-high landscape frame; frames narrower than ``sizes.full_width`` scale by their width."""
    height, width = image.shape[:2]
    return max(0.45, min(height / 720.0, width / sizes.full_width))


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


def _thickness(size: float) -> int:
    """Stroke width for a font scale: bold enough to read through the outline at any size."""
    return max(1, round(1.8 * size))


def _wrap(text: str, size: float, thickness: int, max_width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and _text_size(candidate, size, thickness)[0] <= max_width:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines


def _fit(text: str, size: float, max_width: int, max_lines: int) -> tuple[list[str], float]:
    """``text`` wrapped to ``max_width``, set smaller until it takes at most ``max_lines`` lines and no
    word is wider than the frame."""
    while True:
        lines = _wrap(text, size, _thickness(size), max_width)
        fits = len(lines) <= max_lines and all(_text_size(line, size, _thickness(size))[0] <= max_width
                                               for line in lines)
        if fits or size < 0.4:
            return lines, size
        size *= 0.85


def _banner(image: np.ndarray, text: str, colour: Colour, s: float, sizes: TypeSizes) -> None:
    """A full-width band of wrapped text at the bottom: the coach's one message."""
    height, width = image.shape[:2]
    pad = round(14 * s)
    lines, size = _fit(text, sizes.banner * s, width - 4 * pad, sizes.max_lines)
    thickness = _thickness(size)
    cap_h = _text_size("Hg", size, thickness)[1]
    line_h = round(cap_h * 1.6)
    band_h = line_h * len(lines) + 2 * pad
    y0 = height - band_h
    _panel(image, 0, y0, width, height, colour, 0.8)
    for i, line in enumerate(lines):
        text_w, _ = _text_size(line, size, thickness)
        baseline = y0 + pad + line_h * i + round((line_h + cap_h) / 2)
        _text(image, line, ((width - text_w) // 2, baseline), size, WHITE, thickness)


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


def _draw_counter(image: np.ndarray, coach: CoachState, s: float, sizes: TypeSizes,
                  recording: bool = False) -> tuple[int, int]:
    """The big per-side rep (or hold) counter and the set, top left; returns the panel's right and bottom edges.

    Each side's letter sits top right of its number and the target bottom right, so the panel is
    only as tall as the digits and the set line (it took half a 720-pixel frame in big type)."""
    margin = round(16 * s)
    big = sizes.counter * s
    big_t = max(2, round(2 * big))
    small = sizes.label * s
    small_t = _thickness(small)
    sides = [side for side, _ in coach.done]
    columns = []
    for side in sides:
        label = "" if side == "both" else side[0].upper()
        colour = ACTIVE_SIDE if side == coach.current_side and len(sides) > 1 else WHITE
        columns.append((label, str(coach.count(side)), colour))
    target_text = f"/{coach.target}"
    gap = round(6 * s)
    widths = [_text_size(n, big, big_t)[0] + gap + max(_text_size(lab, small, small_t)[0], _text_size(
        target_text, small, small_t)[0]) + round(24 * s) for lab, n, _ in columns]
    big_h = _text_size("0", big, big_t)[1]
    small_h = _text_size("S", small, small_t)[1]
    # a recording has no set plan: "SET 1/1" would say nothing
    set_text = coach.unit if recording else f"SET {min(coach.set_index, coach.sets)}/{coach.sets}  {coach.unit}"
    panel_w = max(sum(widths), _text_size(set_text, small, small_t)[0]) + 2 * margin
    baseline = 2 * margin + big_h
    set_baseline = baseline + 2 * margin + small_h
    panel_h = set_baseline + 2 * margin
    _panel(image, 0, 0, panel_w + margin, panel_h)
    x = 2 * margin
    for (label, number, colour), width in zip(columns, widths, strict=True):
        _text(image, number, (x, baseline), big, colour, big_t)
        beside = x + _text_size(number, big, big_t)[0] + gap
        if label:
            _text(image, label, (beside, baseline - big_h + small_h), small, colour, small_t)
        _text(image, target_text, (beside, baseline), small, GREY, small_t)
        x += width
    _text(image, set_text, (2 * margin, set_baseline), small, WHITE, small_t)
    return panel_w + margin, panel_h


RING_MIN_SHARE = 0.6
"""Beside the counter the ring may shrink to this share of its size; smaller, it goes under the counter."""


def _draw_hold_ring(image: np.ndarray, snapshot: EngineSnapshot, s: float, sizes: TypeSizes,
                    counter: tuple[int, int]) -> None:
    """A ring filling up as the hold goes on, with the seconds left in the middle: top right, beside
    the counter panel (``counter``: its right and bottom edges), or under it on a frame too narrow."""
    target = snapshot.hold_target_s
    elapsed = snapshot.hold_elapsed_s
    if target <= 0 or elapsed <= 0:
        return
    width = image.shape[1]
    pad = round(20 * s)
    nominal = round(sizes.ring_radius * s)
    beside = min(nominal, (width - counter[0] - 4 * pad) // 2)
    if beside >= RING_MIN_SHARE * nominal:
        radius = beside
        centre = (width - radius - 2 * pad, radius + round(70 * s))
    else:
        radius = nominal
        centre = (width - radius - 2 * pad, counter[1] + radius + 2 * pad)
    _panel(image, centre[0] - radius - pad, centre[1] - radius - pad, centre[0] + radius + pad,
           centre[1] + radius + pad)
    ring_w = max(4, round(16 * s))
    cv2.circle(image, centre, radius, GREY, ring_w, cv2.LINE_AA)
    fraction = min(1.0, elapsed / target)
    cv2.ellipse(image, centre, (radius, radius), -90, 0, 360 * fraction, HOLD, ring_w, cv2.LINE_AA)
    left = countdown_number(target - elapsed)  # the number the voice says
    label = str(left) if left > 0 else "OK"
    size = sizes.ring_label * s * radius / nominal
    thickness = max(2, round(2 * size))
    text_w, text_h = _text_size(label, size, thickness)
    _text(image, label, (centre[0] - text_w // 2, centre[1] + text_h // 2), size, HOLD if left <= 0 else WHITE,
          thickness)
    caption, caption_size = "hold", sizes.label * 0.9 * s
    caption_t = _thickness(caption_size)
    caption_w, caption_h = _text_size(caption, caption_size, caption_t)
    _text(image, caption, (centre[0] - caption_w // 2, centre[1] + text_h // 2 + caption_h + round(14 * s)),
          caption_size, WHITE, caption_t)


def _draw_centre_state(image: np.ndarray, title: str, detail: str, colour: Colour, s: float,
                       sizes: TypeSizes, below: int) -> None:
    """A band across the middle for states that last (paused, get ready, rest, done, can't see you),
    never over the counter panel (which ends at ``below``)."""
    height, width = image.shape[:2]
    pad = round(20 * s)
    title_lines, size = _fit(title, sizes.title * s, width - 2 * pad, 1)
    title_line = " ".join(title_lines)  # one line unless even the smallest size is too wide
    thickness = max(2, round(2 * size))
    title_w, title_h = _text_size(title_line, size, thickness)
    detail_lines, detail_size = _fit(detail, sizes.detail * s, width - 2 * pad, 1) if detail else ([], 0.0)
    detail_t = _thickness(detail_size)
    detail_w, detail_h = _text_size(detail_lines[0], detail_size, detail_t) if detail_lines else (0, 0)
    band_h = title_h + detail_h + 3 * pad + (pad if detail_lines else 0)
    y0 = max((height - band_h) // 2, below + pad)
    _panel(image, 0, y0, width, y0 + band_h, colour, 0.7)
    _text(image, title_line, ((width - title_w) // 2, y0 + pad + title_h), size, WHITE, thickness)
    if detail_lines:
        _text(image, detail_lines[0], ((width - detail_w) // 2, y0 + 3 * pad + title_h + detail_h), detail_size,
              WHITE, detail_t)


def _draw_status(image: np.ndarray, coach: CoachState, fps: float | None, s: float, sizes: TypeSizes) -> None:
    width = image.shape[1]
    parts = [f"{fps:.0f} fps" if fps else ""]
    if coach.muted:
        parts.append("MUTED")
    text = "  ".join(p for p in parts if p)
    if not text:
        return
    size = sizes.status * s
    thickness = _thickness(size)
    text_w, text_h = _text_size(text, size, thickness)
    _text(image, text, (width - text_w - round(16 * s), round(16 * s) + text_h), size, WHITE, thickness)


BANNER_COLOURS: dict[Kind, Colour] = {Kind.SETUP: SETUP, Kind.CUE: WARNING, Kind.ALERT: LOST}
"""The bottom banner's colour by message kind; any other kind is a plain status."""


def render(image: np.ndarray, pose: PoseFrame | None, snapshot: EngineSnapshot, exercise: Exercise,
           coach: CoachState, *, fps: float | None = None, mirror: bool = False, recording: bool = False,
           big_type: bool = False) -> np.ndarray:
    """A new image: the frame (mirrored if asked) with the skeleton, counters, hold ring, set,
    countdowns and the coach's one message (``coach.banner``). ``image`` itself is left untouched.
    A ``recording`` speaks to its viewer ("person not visible"); ``big_type`` sets text for reading
    from a mat (:data:`BIG_TYPE`), else :data:`COMPACT`."""
    out = cv2.flip(image, 1) if mirror else image.copy()
    sizes = BIG_TYPE if big_type else COMPACT
    s = _scale(out, sizes)
    if pose is not None:
        _draw_skeleton(out, pose, exercise, s, mirror)
    counter = _draw_counter(out, coach, s, sizes, recording)
    counter_bottom = counter[1]
    _draw_hold_ring(out, snapshot, s, sizes, counter)
    _draw_status(out, coach, fps, s, sizes)
    if coach.paused:
        _draw_centre_state(out, "PAUSED", "space to go on", STATUS, s, sizes, counter_bottom)
    elif coach.stage is Stage.GET_READY:
        _draw_centre_state(out, f"GET READY {countdown_number(coach.countdown_s)}", exercise.name, STATUS, s,
                           sizes, counter_bottom)
    elif coach.stage is Stage.REST:
        _draw_centre_state(out, f"REST {countdown_number(coach.countdown_s)}",
                           f"next: set {coach.set_index} of {coach.sets}", STATUS, s, sizes, counter_bottom)
    elif coach.stage is Stage.DONE:
        _draw_centre_state(out, "ALL SETS DONE", "q to finish", HOLD, s, sizes, counter_bottom)
    elif not snapshot.visible and coach.stage is not Stage.SETUP:
        _draw_centre_state(out, "PERSON NOT VISIBLE" if recording else "I CAN'T SEE YOU", "", LOST, s, sizes,
                           counter_bottom)
    if coach.banner is not None:
        _banner(out, coach.banner.text, BANNER_COLOURS.get(coach.banner.kind, STATUS), s, sizes)
    return out
