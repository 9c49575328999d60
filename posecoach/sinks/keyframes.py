"""Key frames: a small still of each flagged rep at its worst moment, so a patient sees what
"back lifting" meant for them; and of each form warning outside a rep (a hold exercise's).

The worst moment is the first form warning raised in the rep, else the rep's peak (no pause at the
top, an uncertain rep) or the middle of the way down (lowered too fast). Stills come from the video
file itself (cv2 seeks by time); a camera session, a moved file or an image folder has none.
"""

from __future__ import annotations

from pathlib import Path

from posecoach.summary import RepRow, SessionSummary

KEY_FRAME_WIDTH = 320
"""Pixels: small enough that a report with a dozen stills stays well under a megabyte."""
MAX_KEY_FRAMES = 12
JPEG_QUALITY = 80


def worst_moment(row: RepRow, summary: SessionSummary) -> float:
    """When in the rep the problem shows best, in seconds from the start of the video."""
    for warning in summary.warnings:
        if warning.code in row.warnings and row.rep.start_s <= warning.t_s <= row.rep.t_s + 0.5:
            return warning.t_s
    if "dropped-fast" in row.rep.flags and row.rep.down_s > 0:
        return row.rep.peak_s + row.rep.down_s / 2
    return row.rep.peak_s


def key_frames(source: str | Path, summary: SessionSummary, rows: list[RepRow] | None = None) -> dict[int, bytes]:
    """Rep number → JPEG bytes for up to :data:`MAX_KEY_FRAMES` flagged reps; {} when there is no file to read."""
    flagged = [row for row in (rows if rows is not None else summary.rep_rows()) if row.flagged][:MAX_KEY_FRAMES]
    return _stills(source, {row.number: worst_moment(row, summary) for row in flagged})


def warning_frames(source: str | Path, summary: SessionSummary) -> dict[int, bytes]:
    """Index in ``summary.warnings`` → JPEG at that warning, for the warnings no rep carries (a sagging
    plank, a hold broken early): those have no rep still to show them."""
    in_reps = {(w.t_s, w.code) for row in summary.rep_rows() for w in summary.warnings
               if w.code in row.warnings and row.rep.start_s <= w.t_s <= row.rep.t_s + 0.5}
    outside = [i for i, w in enumerate(summary.warnings) if (w.t_s, w.code) not in in_reps and w.rep is None]
    return _stills(source, {i: summary.warnings[i].t_s for i in outside[:MAX_KEY_FRAMES]})


def _stills(source: str | Path, moments: dict[int, float]) -> dict[int, bytes]:
    path = Path(source)
    if not moments or not path.is_file():
        return {}
    import cv2

    capture = cv2.VideoCapture(str(path))
    stills: dict[int, bytes] = {}
    try:
        if not capture.isOpened():
            return {}
        for key, t_s in moments.items():
            capture.set(cv2.CAP_PROP_POS_MSEC, max(t_s, 0.0) * 1000.0)
            ok, image = capture.read()
            if not ok or image is None:
                continue
            height, width = image.shape[:2]
            if width > KEY_FRAME_WIDTH:
                image = cv2.resize(image, (KEY_FRAME_WIDTH, round(height * KEY_FRAME_WIDTH / width)),
                                   interpolation=cv2.INTER_AREA)
            ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
            if ok:
                stills[key] = encoded.tobytes()
    finally:
        capture.release()
    return stills
