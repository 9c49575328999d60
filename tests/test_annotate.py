"""Annotated video and clips: ``analyze --output/--clips`` on a rendered leg raise whose second rep
lifts the back, plus the output-path errors and the pure choice of moments."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from posecoach.cli import cli
from posecoach.events import FormWarning, RepCompleted
from posecoach.sinks.annotate import Moment, flagged_moments
from posecoach.summary import SessionSummary


def _frames(path: Path) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(path))
    images = []
    while True:
        ok, image = capture.read()
        if not ok:
            break
        images.append(image)
    capture.release()
    return images


@pytest.fixture(scope="module")
def leg_raise(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 lying leg raises, the back lifting on rep 2; 320x240 at 15 fps, about 13 s (renders in ~3 s)."""
    out = tmp_path_factory.mktemp("clip") / "leg-raise.mp4"
    subprocess.run([sys.executable, "-m", "posecoach", "synth", "lying-leg-raise", "--reps", "3",
                    "--faults", "back-lift@2", "--size", "320x240", "--fps", "15", "--duration-scale", "0.7",
                    "--no-joints", "-o", str(out)], check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def analysed(leg_raise: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """One analysis writes both the annotated video and the clips."""
    folder = tmp_path_factory.mktemp("out")
    result = CliRunner().invoke(cli, ["analyze", str(leg_raise), "-e", "lying-leg-raise", "--no-save",
                                      "--output", str(folder / "annotated.mp4"), "--clips", str(folder / "clips")])
    assert result.exit_code == 0, result.output
    return folder / "annotated.mp4", folder / "clips", result.stderr


@pytest.mark.model
def test_annotated_video_has_every_frame_and_the_counter_drawn(leg_raise: Path,
                                                               analysed: tuple[Path, Path, str]) -> None:
    source, annotated = _frames(leg_raise), _frames(analysed[0])
    assert len(annotated) == len(source)
    assert cv2.VideoCapture(str(analysed[0])).get(cv2.CAP_PROP_FPS) == pytest.approx(15.0)
    height, width = source[0].shape[:2]
    middle = len(source) // 2

    def difference(y0: int, y1: int, x0: int, x1: int) -> float:
        return float(np.abs(annotated[middle][y0:y1, x0:x1].astype(int) - source[middle][y0:y1, x0:x1]).mean())

    counter = difference(0, height // 3, 0, width // 4)
    assert counter > 30, "the rep counter panel (top left) is drawn"
    assert not list(analysed[0].parent.glob(".*writing*")), "no partial file is left behind"


@pytest.mark.model
def test_one_clip_around_the_rep_with_the_lifted_back(analysed: tuple[Path, Path, str]) -> None:
    clips = sorted(analysed[1].iterdir())
    assert [clip.name.split("-", 1)[1] for clip in clips] == ["rep2-back-lifting.mp4"]
    frames = _frames(clips[0])
    assert 3.0 * 15 <= len(frames) <= 7.0 * 15, "the rep's own movement with 1.5 s either side"
    assert "1 clip of flagged reps and warnings" in analysed[2]


def test_existing_output_is_one_error_line_unless_forced(leg_raise: Path, tmp_path: Path) -> None:
    existing = tmp_path / "annotated.mp4"
    existing.write_bytes(b"keep me")
    result = CliRunner().invoke(cli, ["analyze", str(leg_raise), "-e", "lying-leg-raise", "--no-save",
                                      "--output", str(existing)])
    assert result.exit_code == 1
    assert result.stderr == f"Error: '{existing}' already exists; pass --force to overwrite it or choose another " \
                            "--output\n"
    assert existing.read_bytes() == b"keep me"


OUTPUT_ERRORS = [
    ("missing-folder", ["--output", "{tmp}/nowhere/a.mp4"], "Error: cannot write '{tmp}/nowhere/a.mp4': the folder "
     "'{tmp}/nowhere' does not exist; create it first or choose another --output"),
    ("not-a-video-name", ["--output", "{tmp}/a.txt"], "Error: cannot write the annotated video to '{tmp}/a.txt': "
     "use a .mp4, .avi, .mkv, .mov file name"),
    ("clips-parent-missing", ["--clips", "{tmp}/no/clips"], "Error: cannot put clips in '{tmp}/no/clips': the folder "
     "'{tmp}/no' does not exist"),
    ("several-videos", ["{clip}", "--output", "{tmp}/a.mp4"], "Error: --output and --clips take one video, and 2 "
     "were given; analyse them one at a time"),
]


@pytest.mark.parametrize(("args", "message"), [c[1:] for c in OUTPUT_ERRORS], ids=[c[0] for c in OUTPUT_ERRORS])
def test_output_problems_are_found_before_analysis(leg_raise: Path, tmp_path: Path, args: list[str],
                                                   message: str) -> None:
    args = [a.format(tmp=tmp_path, clip=leg_raise) for a in args]
    result = CliRunner().invoke(cli, ["analyze", str(leg_raise), "-e", "lying-leg-raise", "--no-save", *args])
    assert result.exit_code == 1
    assert result.stderr == message.format(tmp=tmp_path) + "\n"


def test_moments_merge_a_warning_into_its_rep_and_keep_loose_warnings() -> None:
    summary = SessionSummary("lying-leg-raise", "x.mp4")
    summary.events = [
        RepCompleted(4.0, count=1, start_s=2.0),
        FormWarning(6.5, "back-lifting", "Keep your back down", rep=2),
        RepCompleted(8.0, count=2, start_s=5.0, flags=("dropped-fast",)),
        FormWarning(20.0, "pelvis-rocking", "Keep your pelvis still"),
    ]
    assert flagged_moments(summary) == [
        Moment(3.5, 9.5, 5.0, ("back-lifting", "dropped-fast"), 2),
        Moment(18.5, 21.5, 20.0, ("pelvis-rocking",)),
    ]
    assert flagged_moments(summary)[0].file_name == "00m05.0s-rep2-back-lifting+dropped-fast.mp4"


# ------------------------------------------------------------------ the counter, to the frame


@pytest.fixture(scope="module")
def small_first_rep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Lying leg raises at 45% of the full range, 320x240 at 15 fps, ~13 s: the first rep is small
    enough to be provisional, so the engine reports it only when the next rep confirms it, ~3 s late."""
    out = tmp_path_factory.mktemp("small") / "small-first-rep.mp4"
    subprocess.run([sys.executable, "-m", "posecoach", "synth", "lying-leg-raise", "--reps", "3", "--range", "0.45",
                    "--size", "320x240", "--fps", "15", "--duration-scale", "0.7", "--no-joints", "-o", str(out)],
                   check=True, capture_output=True)
    return out


@pytest.mark.model
def test_the_drawn_counter_is_the_number_of_reps_up_to_each_frames_time(small_first_rep: Path,
                                                                        tmp_path: Path) -> None:
    from posecoach.analysis import analyze_video
    from posecoach.exercises import get_exercise
    from posecoach.sinks.annotate import AnnotatedVideo

    output = tmp_path / "annotated.mp4"
    video = AnnotatedVideo.for_source(output, str(small_first_rep), get_exercise("lying-leg-raise"))
    summary = analyze_video(small_first_rep, "lying-leg-raise", on_event=video.on_event, on_analyzed=video)
    video.close()
    rep_times = [rep.t_s for rep in summary.reps]
    assert len(rep_times) >= 3

    # the state drawn on each frame: reps whose time is at or before that frame's
    assert [dict(drawn.done)["both"] for drawn in video.drawn] == \
        [sum(t <= drawn.t_s for t in rep_times) for drawn in video.drawn]

    # and the pixels: the counter's digits change on exactly the frames where that number changes
    frames = _frames(output)
    assert len(frames) == len(video.drawn)
    expected = [sum(t <= drawn.t_s for t in rep_times) for drawn in video.drawn]
    digits = [frame[10:70, 5:60].astype(int) for frame in frames]  # the counter's digits at 320x240
    for i in range(1, len(frames)):
        change = float(np.abs(digits[i] - digits[i - 1]).mean())
        if expected[i] != expected[i - 1]:
            assert change > 10, f"frame {i} ({video.drawn[i].t_s:.2f} s): the counter should turn {expected[i]}"
        else:
            assert change < 8, f"frame {i} ({video.drawn[i].t_s:.2f} s): the counter changed, the count did not"


def test_a_warning_shows_for_a_second_and_a_half_from_its_own_time() -> None:
    from posecoach.exercises import get_exercise
    from posecoach.sinks.annotate import overlay_timeline

    warning = FormWarning(5.0, "back-lifting", "Keep your back down", rep=1)
    frames = [(i, i / 10) for i in range(40, 80)]
    drawn = overlay_timeline(frames, [RepCompleted(6.0, count=1), warning], get_exercise("lying-leg-raise"))
    shown = [d.t_s for d in drawn if d.warning is not None]
    assert shown[0] == pytest.approx(5.0) and shown[-1] == pytest.approx(6.5)
    assert [dict(d.done)["both"] for d in drawn] == [int(t >= 6.0) for _, t in frames]


# ------------------------------------------------------------------ a video every browser plays


def _codec(path: Path) -> tuple[str, str]:
    """The codec and pixel format of the first video stream, read back through PyAV (no ffprobe)."""
    av = pytest.importorskip("av")
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return stream.codec_context.name, stream.codec_context.pix_fmt


@pytest.mark.model
def test_the_annotated_video_and_clips_are_h264_that_browsers_play(analysed: tuple[Path, Path, str]) -> None:
    assert _codec(analysed[0]) == ("h264", "yuv420p")
    assert all(_codec(clip) == ("h264", "yuv420p") for clip in analysed[1].iterdir())


def test_a_live_recording_is_h264_and_falls_back_to_mp4v_without_pyav(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from posecoach.sinks import recorder

    def record(path: Path) -> Path:
        video = recorder.VideoRecorder(path, fps=10.0)
        for i in range(10):
            video.write(np.full((120, 161, 3), 20 * i, np.uint8), i / 10)  # an odd width: H.264 needs even
        video.close()
        assert video.error is None and len(_frames(path)) == 10
        return path

    assert _codec(record(tmp_path / "h264.mp4")) == ("h264", "yuv420p")
    monkeypatch.setattr(recorder, "h264_encoder", lambda: None)  # as if PyAV were not installed
    assert _codec(record(tmp_path / "fallback.mp4"))[0] == "mpeg4"
    assert _codec(record(tmp_path / "mjpg.avi"))[0] == "mjpeg"
