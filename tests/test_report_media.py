"""What a report takes from the video itself: the recording date and stills of flagged reps; and the
PDF the report can also be.

The videos here are made in the test: a few dark-to-bright frames (frame i has brightness 6·i), and
hand-built MP4 boxes with a known ``mvhd`` creation time.
"""

from __future__ import annotations

import os
import struct
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from posecoach.events import FormWarning, RepCompleted
from posecoach.landmarks import Side
from posecoach.media_date import MP4_EPOCH, recorded_at, recording_time
from posecoach.sinks.keyframes import key_frames, warning_frames, worst_moment
from posecoach.sinks.report import SessionReport, report_sections, write_report
from posecoach.summary import SessionSummary

FPS = 10


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def _mp4_with_date(path: Path, moment: datetime | None) -> Path:
    seconds = int((moment - MP4_EPOCH).total_seconds()) if moment else 0
    mvhd = _box(b"mvhd", bytes([0, 0, 0, 0]) + struct.pack(">II", seconds, seconds) + bytes(80))
    path.write_bytes(_box(b"ftyp", b"isom\x00\x00\x02\x00") + _box(b"free", bytes(16)) + _box(b"moov", mvhd))
    return path


def test_the_recording_date_comes_from_the_container(tmp_path: Path) -> None:
    moment = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
    assert recording_time(_mp4_with_date(tmp_path / "phone.mp4", moment)) == (moment, "video")


def test_without_a_container_date_it_is_the_file_time(tmp_path: Path) -> None:
    clip = _mp4_with_date(tmp_path / "undated.mp4", None)
    os.utime(clip, (1_700_000_000, 1_700_000_000))
    assert recording_time(clip) == (datetime.fromtimestamp(1_700_000_000, tz=UTC), "file")
    assert recorded_at(tmp_path / "missing.mp4") is None
    summary = _summary(clip)
    summary.recorded_at, summary.recorded_at_from = "2023-11-14T22:13:20+00:00", "file"
    about = report_sections(SessionReport.build(summary))[0].paragraphs
    assert any(line.startswith("**Recorded**: 2023-11-1") and line.endswith("(the file's date: the video carries none)")
               for line in about), "a guessed date says it is one"
    assert recorded_at("camera:0") is None


@pytest.fixture
def ramp_video(tmp_path: Path) -> Path:
    """40 frames at 10 fps, 96×64; frame i is a flat grey of brightness 6·i."""
    import cv2

    path = tmp_path / "ramp.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (96, 64))
    for i in range(40):
        writer.write(np.full((64, 96, 3), 6 * i, np.uint8))
    writer.release()
    return path


def _summary(source: Path) -> SessionSummary:
    events = [
        RepCompleted(1.5, side=Side.LEFT, count=1, start_s=0.2, peak_s=0.8, rom=50.0, up_s=0.6, down_s=0.7),
        RepCompleted(3.0, side=Side.RIGHT, count=1, start_s=1.8, peak_s=2.5, rom=50.0, up_s=0.7, down_s=0.5,
                     flags=("no-pause",)),
        FormWarning(3.2, code="back-lifting", message="Keep your back down.", side=Side.LEFT, rep=2),
        RepCompleted(3.8, side=Side.LEFT, count=2, start_s=3.0, peak_s=3.4, rom=50.0, up_s=0.4, down_s=0.4),
    ]
    return SessionSummary("lying-march", str(source), duration_s=4.0, fps=FPS, frames=40, frames_with_pose=40,
                          events=events)


def test_each_flagged_rep_gets_a_still_at_its_worst_moment(ramp_video: Path) -> None:
    import cv2

    summary = _summary(ramp_video)
    rows = summary.rep_rows()
    assert [worst_moment(row, summary) for row in rows if row.flagged] == [2.5, 3.2], "peak; else the warning"
    stills = key_frames(ramp_video, summary)
    assert sorted(stills) == [2, 3], "only the flagged reps"
    brightness = {n: float(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_GRAYSCALE).mean())
                  for n, jpeg in stills.items()}
    assert brightness[2] == pytest.approx(6 * 25, abs=8), "frame 25 (2.5 s)"
    assert brightness[3] == pytest.approx(6 * 32, abs=8), "frame 32 (3.2 s), when the back lifted"


def test_no_video_no_stills(tmp_path: Path) -> None:
    assert key_frames(tmp_path / "gone.mp4", _summary(tmp_path / "gone.mp4")) == {}


def test_the_html_report_embeds_the_stills_and_a_pdf_is_written(ramp_video: Path, tmp_path: Path) -> None:
    summary = _summary(ramp_video)
    report = SessionReport.build(summary)
    report.key_frames = key_frames(ramp_video, summary)
    html = tmp_path / "r.html"
    write_report(report, html)
    text = html.read_text(encoding="utf-8")
    assert text.count('src="data:image/jpeg;base64,') == 2
    assert "Rep 3: the lower back lifted off the floor" in text
    pdf = tmp_path / "r.pdf"
    assert write_report(report, pdf) == [pdf]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert data.count(b"/Subtype /Image") >= 4, "two plots and two stills"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r.pdf", "ramp.avi"]


def test_an_image_folder_is_timed_at_the_rate_given_else_the_assumed_one_is_said(tmp_path: Path) -> None:
    import cv2

    from posecoach.sources import open_source

    for i in range(3):
        cv2.imwrite(str(tmp_path / f"frame{i}.png"), np.full((8, 8, 3), 40 * i, np.uint8))
    with open_source(tmp_path, image_fps=12) as frames:
        assert (frames.fps, frames.fps_assumed) == (12, False)  # type: ignore[attr-defined]
        assert [frame.timestamp_s for frame in frames] == pytest.approx([0, 1 / 12, 2 / 12])
    with open_source(tmp_path) as frames:
        assert (frames.fps, frames.fps_assumed) == (30, True)  # type: ignore[attr-defined]


def test_a_warning_outside_any_rep_gets_its_own_still(ramp_video: Path, tmp_path: Path) -> None:
    import cv2

    summary = SessionSummary("plank", str(ramp_video), duration_s=4.0, fps=FPS, frames=40, frames_with_pose=40,
                             events=[FormWarning(1.2, code="hips-sagging", message="Lift your hips.")])
    stills = warning_frames(ramp_video, summary)
    assert list(stills) == [0]
    assert float(cv2.imdecode(np.frombuffer(stills[0], np.uint8), cv2.IMREAD_GRAYSCALE).mean()) == \
        pytest.approx(6 * 12, abs=8)
    assert warning_frames(ramp_video, _summary(ramp_video)) == {}, "a rep's warning is shown with the rep"
    report = SessionReport.build(summary)
    report.warning_frames = stills
    html = tmp_path / "plank.html"
    write_report(report, html)
    text = html.read_text(encoding="utf-8")
    assert "0:01.2: the hips sagged below the line of the body." in text
    assert text.count("data:image/jpeg;base64,") == 1
