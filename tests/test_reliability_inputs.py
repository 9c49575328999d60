"""Whatever a phone recorded, posecoach reads what it can, says what is wrong, and never crashes.

Bad input ends in one ``Error: ...`` line and a documented exit code (see ``posecoach.cli``), with
no traceback unless ``--verbose``. Damaged input keeps every frame that could be read and says where
it broke. Cases already specified elsewhere are not repeated here: missing path, empty folder, empty
file and a text file named ``.mp4`` (tests/test_cli.py), missing and non-zip models (tests/test_cli.py),
existing output without ``--force`` and a missing output folder (tests/test_cli_history.py,
tests/test_report.py), bad live options, camera loss and SIGTERM in live (tests/test_live.py).

Test data is tiny and made in ``tmp_path``: 64x48 MJPG AVIs with the frame number drawn in, copies of
them cut short or with frames zeroed, and (when ffmpeg is installed) clips with rotation metadata,
variable frame rate or repeated timestamps.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner, Result

from posecoach.cli import (
    EXIT_ERROR,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    EXIT_USAGE,
    cli,
    sigterm_as_interrupt,
)
from posecoach.pose import default_model_path, signals_held
from posecoach.sinks.history import HistoryStore
from posecoach.sources import CaptureSource, open_source

FFMPEG = shutil.which("ffmpeg")
needs_ffmpeg = pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed (apt-get install -y ffmpeg)")


# ----------------------------------------------------------------------------- helpers


def write_avi(path: Path, frames: int, size: tuple[int, int] = (64, 48), fourcc: str = "MJPG",
              brightness: Callable[[int], int] = lambda i: (i * 6) % 200) -> Path:
    """A small clip whose frame ``i`` shows the number ``i``: decoding errors are easy to see."""
    width, height = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), 30.0, (width, height))
    for i in range(frames):
        image = np.full((height, width, 3), brightness(i), np.uint8)
        cv2.putText(image, str(i), (4, height * 2 // 3), cv2.FONT_HERSHEY_SIMPLEX, height / 60, (255, 255, 255), 2)
        writer.write(image)
    writer.release()
    return path


def mjpeg_chunks(data: bytes) -> list[tuple[int, int]]:
    """(offset, size) of each JPEG frame inside an MJPG AVI, in stream order."""
    chunks = []
    for match in re.finditer(rb"00dc", data):
        start = match.start() + 8
        size = int.from_bytes(data[match.start() + 4:start], "little")
        if data[start:start + 2] == b"\xff\xd8":
            chunks.append((start, size))
    return chunks


def ffmpeg(*args: str) -> None:
    subprocess.run([FFMPEG or "ffmpeg", "-v", "error", "-y", *args], check=True, timeout=60)


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def assert_one_error_line(result: Result, code: int, starts: str) -> None:
    assert result.exit_code == code, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith(starts), lines[0]
    assert "Traceback" not in result.output


def without_file_permission_override() -> list[str]:
    """Root reads mode-000 files; dropping its DAC capabilities makes the permission check real."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: a mode-000 file stays readable")
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search"]


def posecoach_process(*args: str | Path, prefix: list[str] | None = None,
                      **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*(prefix or []), sys.executable, "-m", "posecoach", *map(str, args)],
                          capture_output=True, text=True, timeout=120, **kwargs)


class SilentEstimator:
    """Stands in for the pose model (nobody in view) so CLI paths run in milliseconds.

    ``on_frame(index)`` runs before each frame: tests use it to interrupt or break the analysis.
    """

    on_frame: Callable[[int], None] | None = None

    def __init__(self, model_path: Path | None = None, **_: object) -> None:
        self.frames = 0

    def __enter__(self) -> SilentEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def estimate(self, image: np.ndarray, t: float) -> None:
        if SilentEstimator.on_frame is not None:
            SilentEstimator.on_frame(self.frames)
        self.frames += 1


@pytest.fixture
def no_model(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[SilentEstimator]]:
    monkeypatch.setattr("posecoach.pose.PoseEstimator", SilentEstimator)
    SilentEstimator.on_frame = None
    yield SilentEstimator
    SilentEstimator.on_frame = None


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    """40 frames (1.33 s at 30 fps) of 64x48 MJPG: every frame decodes on its own."""
    return write_avi(tmp_path / "clip.avi", 40)


# ----------------------------------------------------------------------------- files that cannot be read


def _zero_frames(d: Path) -> Path:
    return write_avi(d / "zero.avi", 0)


def _unsupported_codec(d: Path) -> Path:
    path = d / "odd-codec.avi"
    path.write_bytes(write_avi(d / "src.avi", 5).read_bytes().replace(b"MJPG", b"ZZZZ"))
    return path


def _mp4_cut_before_its_index(d: Path) -> Path:
    src = d / "src.mp4"
    write_avi(src, 20, fourcc="mp4v")  # OpenCV writes the MP4 index last: cutting the tail loses it
    path = d / "cut.mp4"
    path.write_bytes(src.read_bytes()[: src.stat().st_size // 2])
    return path


def _all_images_broken(d: Path) -> Path:
    folder = d / "frames"
    folder.mkdir()
    for name in ("0001.jpg", "0002.png"):
        (folder / name).write_bytes(b"not an image at all")
    return folder


def _not_a_file(d: Path) -> Path:
    path = d / "pipe.mp4"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize(("make", "expected"), [
    (_zero_frames, "Error: '{path}' has no video frame that can be decoded: it is empty, cut off before its "
                   "first frame, or in a codec OpenCV/FFmpeg cannot decode. If it plays elsewhere, convert it"),
    (_unsupported_codec, "Error: cannot read '{path}' as a video: the file is damaged or not a video OpenCV/FFmpeg "
                         "can decode (it starts like an AVI file, but is truncated, damaged, has no video stream or "
                         "uses an unsupported codec). If it plays elsewhere, convert it: ffmpeg -i '{path}'"),
    (_mp4_cut_before_its_index, "Error: cannot read '{path}' as a video: the file is damaged or not a video "
                                "OpenCV/FFmpeg can decode (it starts like an MP4/MOV file, but is truncated"),
    (_all_images_broken, "Error: none of the 2 images in '{path}' can be decoded; check that they are complete "
                         "image files"),
    (_not_a_file, "Error: '{path}' is not a regular file or folder; pass a video file or a folder of frames"),
], ids=["zero-frames", "unsupported-codec", "mp4-cut-before-its-index", "image-folder-all-broken", "fifo"])
def test_an_unreadable_input_is_one_error_line_before_the_model_loads(tmp_path: Path, no_model: object,
                                                                      make: Callable[[Path], Path],
                                                                      expected: str) -> None:
    path = make(tmp_path)
    assert_one_error_line(run("analyze", path, "-e", "lying-leg-raise", "--no-save"), EXIT_ERROR,
                          expected.format(path=path))


@needs_ffmpeg
def test_an_audio_only_file_is_not_taken_for_a_video(tmp_path: Path, no_model: object) -> None:
    path = tmp_path / "voice-memo.m4a"
    ffmpeg("-f", "lavfi", "-i", "sine=d=0.5", str(path))
    assert_one_error_line(run("analyze", path, "-e", "plank", "--no-save"), EXIT_ERROR,
                          f"Error: cannot read '{path}' as a video: the file is damaged or not a video "
                          "OpenCV/FFmpeg can decode (it starts like an MP4/MOV file, but is truncated, damaged, "
                          "has no video stream")


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_no_read_permission_says_so(tmp_path: Path, kind: str) -> None:
    prefix = without_file_permission_override()
    path = write_avi(tmp_path / "locked.avi", 3) if kind == "file" else tmp_path / "frames"
    if kind == "folder":
        path.mkdir()
        cv2.imwrite(str(path / "0001.png"), np.zeros((8, 8, 3), np.uint8))
    path.chmod(0)
    try:
        result = posecoach_process("analyze", path, "-e", "plank", "--no-save", prefix=prefix)
    finally:
        path.chmod(0o755)
    assert result.returncode == EXIT_ERROR, result.stderr
    # A folder is listed by 'analyze' (to find videos in it) before it is opened: the CLI's OS-error line.
    assert result.stderr == {
        "file": f"Error: cannot read '{path}': permission denied. Check its permissions (ls -l) or copy it "
                "somewhere you can read\n",
        "folder": f"Error: permission denied: '{path}'; check its permissions (ls -l)\n",
    }[kind]


# ----------------------------------------------------------------------------- damaged files keep what was read


def test_a_truncated_video_keeps_the_frames_before_the_cut_and_says_where(clip: Path, tmp_path: Path) -> None:
    data = clip.read_bytes()
    start, _ = mjpeg_chunks(data)[11]
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: start - 8])  # just before frame 11's chunk
    with open_source(cut) as source:
        frames = list(source)
    assert [f.index for f in frames] == list(range(11))
    assert source.stats.stopped_early
    assert source.stats.error == ("the video ended at 0.37 s of 1.33 s, after 11 of 40 frames (truncated or "
                                  "corrupt): the results cover only what was read")


def test_damaged_frames_mid_stream_are_skipped_and_the_rest_is_read(clip: Path, tmp_path: Path) -> None:
    data = bytearray(clip.read_bytes())
    for start, size in mjpeg_chunks(bytes(data))[10:13]:
        data[start:start + size] = bytes(size)
    damaged = tmp_path / "damaged.avi"
    damaged.write_bytes(bytes(data))
    with open_source(damaged) as source:
        times = [round(f.timestamp_s, 3) for f in source]
    assert len(times) == 37
    assert times[9:11] == [0.3, 0.433]  # the gap where frames 10-12 were stays a gap
    assert source.stats.error == ("3 damaged frame(s) after 0.30 s could not be decoded and were skipped: the "
                                  "results cover only what was read")


def test_a_damaged_video_gives_a_partial_summary_with_the_note(clip: Path, tmp_path: Path, no_model: object) -> None:
    cut = tmp_path / "cut.avi"
    cut.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    result = run("analyze", cut, "-e", "lying-leg-raise", "--no-save", "--format", "json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["partial"] is True
    assert summary["frames"] < 40
    assert re.match(r"the video ended at \d\.\d\d s of 1\.33 s, after \d+ of 40 frames", summary["notes"][0])


def test_an_image_folder_ignores_other_files_and_reports_broken_images(tmp_path: Path) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    for i in (1, 2, 4):
        cv2.imwrite(str(folder / f"{i:04d}.png"), np.full((48, 64, 3), 40 * i, np.uint8))
    (folder / "0003.png").write_bytes(b"\x89PNG cut off")
    (folder / "notes.txt").write_text("session 3, left knee sore")
    (folder / "thumbs").mkdir()
    with open_source(folder) as source:
        frames = list(source)
    assert [(f.index, round(f.timestamp_s, 3)) for f in frames] == [(0, 0.0), (1, 0.033), (3, 0.1)]
    assert source.stats.stopped_early
    assert source.stats.error == "1 of 4 image files could not be decoded and were skipped ('0003.png')"


# ----------------------------------------------------------------------------- odd but valid videos


@pytest.mark.parametrize(("frames", "size"), [(1, (64, 48)), (3, (3840, 2160))], ids=["single-frame", "4k"])
def test_tiny_and_huge_videos_are_read_whole(tmp_path: Path, frames: int, size: tuple[int, int]) -> None:
    path = write_avi(tmp_path / "clip.avi", frames, size=size)
    with open_source(path) as source:
        read = list(source)
    assert (source.width, source.height) == size
    assert [f.image.shape[:2] for f in read] == [size[::-1]] * frames
    assert not source.stats.stopped_early


@needs_ffmpeg
def test_a_phone_video_with_rotation_metadata_is_read_upright(tmp_path: Path) -> None:
    plain, rotated = tmp_path / "plain.mp4", tmp_path / "rotated.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=d=0.2:s=64x48:r=30", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(plain))
    ffmpeg("-i", str(plain), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(rotated))
    upright = subprocess.run([FFMPEG or "ffmpeg", "-v", "error", "-i", str(rotated), "-frames:v", "1", "-f", "rawvideo",
                              "-pix_fmt", "bgr24", "-"], capture_output=True, check=True).stdout
    with open_source(rotated) as source:
        first = next(iter(source))
    assert (source.width, source.height) == (48, 64)
    assert first.image.shape == (64, 48, 3)
    expected = np.frombuffer(upright, np.uint8).reshape(64, 48, 3)
    assert np.abs(first.image.astype(int) - expected).mean() < 10  # same picture, not a mirror or 180° turn


@needs_ffmpeg
@pytest.mark.parametrize(("make", "expected_last_s"), [
    # 30 fps for the first second, then 10 fps: the clock runs at the real speed, not at frames/30.
    (lambda src, out: ffmpeg("-i", str(src), "-vf", "setpts='if(lt(N,30),N/30,1+(N-30)/10)/TB'",
                             "-fps_mode", "passthrough", "-c:v", "mjpeg", str(out)), 7.0),
    # Every timestamp twice (a muxer bug seen in screen recorders): still strictly increasing.
    (lambda src, out: ffmpeg("-i", str(src), "-c", "copy", "-bsf:v", "setts=ts=trunc(N/2)*2*DURATION", str(out)),
     2.92),
], ids=["variable-frame-rate", "duplicate-timestamps"])
def test_container_timestamps_are_followed_and_never_repeat(tmp_path: Path, make: Callable[[Path, Path], None],
                                                            expected_last_s: float) -> None:
    src, out = tmp_path / "src.mkv", tmp_path / "out.mkv"
    ffmpeg("-f", "lavfi", "-i", "testsrc=d=3:s=64x48:r=30", "-c:v", "mjpeg", str(src))
    make(src, out)
    with open_source(out) as source:
        times = [f.timestamp_s for f in source]
    assert len(times) == 90
    assert all(b > a for a, b in itertools.pairwise(times))
    assert times[-1] == pytest.approx(expected_last_s, abs=0.1)
    assert not source.stats.stopped_early, source.stats.error


@needs_ffmpeg
def test_a_gif_plays_at_its_own_frame_delays(tmp_path: Path) -> None:
    gif = tmp_path / "demo.gif"
    ffmpeg("-f", "lavfi", "-i", "testsrc=d=1:s=64x48:r=10", str(gif))
    with open_source(gif) as source:
        times = [round(f.timestamp_s, 3) for f in source]
    assert times == [round(i / 10, 3) for i in range(10)]


class ScriptedCapture:
    """A ``cv2.VideoCapture`` double whose container clock says exactly what a test wants."""

    def __init__(self, positions_ms: list[float], fps: float = 10.0) -> None:
        self.positions_ms, self.fps, self.read_count = positions_ms, fps, 0

    def isOpened(self) -> bool:
        return True

    def set(self, *_: object) -> bool:
        return True

    def get(self, prop: int) -> float:
        if prop == cv2.CAP_PROP_POS_MSEC:
            return self.positions_ms[self.read_count - 1]
        return {cv2.CAP_PROP_FPS: self.fps, cv2.CAP_PROP_FRAME_COUNT: len(self.positions_ms),
                cv2.CAP_PROP_FRAME_WIDTH: 8, cv2.CAP_PROP_FRAME_HEIGHT: 8}.get(prop, 0.0)

    def read(self) -> tuple[bool, np.ndarray | None]:
        if self.read_count >= len(self.positions_ms):
            return False, None
        self.read_count += 1
        return True, np.zeros((8, 8, 3), np.uint8)

    def release(self) -> None:
        pass


@pytest.mark.parametrize(("positions_ms", "expected_s"), [
    ([0, 100, 200, 300], [0.0, 0.1, 0.2, 0.3]),
    ([0, 100, 100, 200], [0.0, 0.1, 0.15, 0.2]),
    ([0, 100, 80, 200], [0.0, 0.1, 0.15, 0.2]),
    ([0, 0, 0, 0], [0.0, 0.1, 0.2, 0.3]),
    ([0, 100, float("nan"), 300], [0.0, 0.1, 0.2, 0.3]),
    ([0, 100, 9_000_000, 9_000_100], [0.0, 0.1, 0.2, 0.3]),
    ([0, 1000, 2000, 3000, 10, 110], [0.0, 1.0, 2.0, 3.0, 3.1, 3.2]),
    ([5000, 5100, 5200], [0.0, 0.1, 0.2]),
    ([0, 100, 1500, 1600], [0.0, 0.1, 1.5, 1.6]),
], ids=["steady", "repeated", "slightly-reordered", "no-clock", "nan-clock", "clock-jumps-ahead",
        "clock-restarts", "starts-late", "real-pause-kept"])
def test_timestamps_are_the_containers_made_strictly_increasing(monkeypatch: pytest.MonkeyPatch,
                                                                positions_ms: list[float],
                                                                expected_s: list[float]) -> None:
    monkeypatch.setattr(cv2, "VideoCapture", lambda _target: ScriptedCapture(positions_ms))
    with CaptureSource("scripted.mp4", "scripted.mp4") as source:
        assert [round(f.timestamp_s, 3) for f in source] == expected_s


# ----------------------------------------------------------------------------- content


@pytest.mark.model
def test_no_person_in_a_4k_video_is_a_clear_note(tmp_path: Path) -> None:
    path = write_avi(tmp_path / "empty-room.avi", 3, size=(3840, 2160))
    result = run("analyze", path, "-e", "glute-bridge", "--no-save", "--format", "json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["frames"], summary["frames_with_pose"], summary["partial"]) == (3, 0, False)
    # The generated room is nearly black, so the darkness note comes first.
    assert summary["notes"][-1] == "No person was found in any frame: nothing could be judged."


def _bridging_frames(shared_videos: Path, size: tuple[int, int] = (320, 240)) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(shared_videos / "physioplus__bridging.mp4"))
    frames = []
    while True:
        ok, image = capture.read()
        if not ok:
            break
        frames.append(cv2.resize(image, size, interpolation=cv2.INTER_AREA))
    capture.release()
    return frames


def _write_frames(path: Path, frames: list[np.ndarray]) -> Path:
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (width, height))
    for image in frames:
        writer.write(image)
    writer.release()
    return path


@pytest.mark.model
@pytest.mark.real_clips
def test_a_second_person_standing_by_adds_no_phantom_reps(shared_videos: Path, tmp_path: Path) -> None:
    """One bridge beside a still copy of the same person: the bridge is counted once, nothing more."""
    frames = _bridging_frames(shared_videos)
    still = cv2.flip(frames[0], 1)
    path = _write_frames(tmp_path / "two-people.avi", [np.hstack([still, f]) for f in frames])
    result = run("analyze", path, "-e", "glute-bridge", "--no-save", "--format", "json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["reps"]["total"] == 1
    assert summary["frames_with_pose"] == summary["frames"] == 91


@pytest.mark.model
@pytest.mark.real_clips
def test_a_very_dark_video_says_it_is_too_dark(shared_videos: Path, tmp_path: Path) -> None:
    frames = [(f.astype(np.float32) * 0.04).astype(np.uint8) for f in _bridging_frames(shared_videos)[:20]]
    result = run("analyze", _write_frames(tmp_path / "dark.avi", frames), "-e", "glute-bridge", "--no-save",
                 "--format", "json")
    assert result.exit_code == 0, result.output
    assert any("dark" in note for note in json.loads(result.stdout)["notes"])


# ----------------------------------------------------------------------------- options


@pytest.mark.parametrize(("args", "message"), [
    (["--jobs", "0"], "Invalid value for '-j' / '--jobs': 0 is not in the range x>=1."),
    (["--jobs", "-4"], "Invalid value for '-j' / '--jobs': -4 is not in the range x>=1."),
    (["--side", "middle"], "Invalid value for '--side': 'middle' is not one of 'auto', 'left', 'right'."),
    (["--format", "xml"], "Invalid value for '--format': 'xml' is not one of 'table', 'json', 'csv'."),
], ids=["zero-jobs", "negative-jobs", "unknown-side", "unknown-format"])
def test_out_of_range_options_are_usage_errors(clip: Path, args: list[str], message: str) -> None:
    result = run("analyze", clip, "-e", "plank", "--no-save", *args)
    assert result.exit_code == EXIT_USAGE
    assert result.output.strip().splitlines()[-1] == f"Error: {message}"


def test_absurdly_many_jobs_are_capped_by_the_number_of_videos(clip: Path, tmp_path: Path, no_model: object) -> None:
    other = write_avi(tmp_path / "other.avi", 5)
    result = run("analyze", clip, other, "-e", "plank", "--no-save", "--jobs", "100000", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert len([line for line in result.stdout.splitlines() if line.startswith(str(tmp_path))]) == 2


def test_an_output_folder_that_cannot_be_written_is_one_error_line(tmp_path: Path) -> None:
    prefix = without_file_permission_override()
    with HistoryStore(tmp_path / "history.db"):
        pass
    out = tmp_path / "read-only"
    out.mkdir()
    out.chmod(0o555)
    try:
        result = posecoach_process("export", "--db", tmp_path / "history.db", "--output", out / "all.json",
                                   prefix=prefix)
    finally:
        out.chmod(0o755)
    assert result.returncode == EXIT_ERROR, result.stderr
    assert result.stderr == (f"Error: cannot write '{out / 'all.json'}' (Permission denied); check free space "
                             "and permissions (nothing was written under that name)\n")
    assert list(out.iterdir()) == []


# ----------------------------------------------------------------------------- models


def _model_copy(d: Path, transform: Callable[[zipfile.ZipFile, zipfile.ZipFile], None]) -> Path:
    path = d / "model.task"
    with zipfile.ZipFile(default_model_path()) as src, zipfile.ZipFile(path, "w") as dst:
        transform(src, dst)
    return path


def _truncated_model(d: Path) -> Path:
    path = d / "half.task"
    data = default_model_path().read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _wrong_bundle(d: Path) -> Path:
    return _model_copy(d, lambda src, dst: dst.writestr("face_detector.tflite", b"\0" * 64))


def _garbage_networks(d: Path) -> Path:
    def garbage(src: zipfile.ZipFile, dst: zipfile.ZipFile) -> None:
        for name in src.namelist():
            dst.writestr(name, b"\0" * 64)

    return _model_copy(d, garbage)


def _model_folder(d: Path) -> Path:
    (d / "models").mkdir()
    return d / "models"


@pytest.mark.parametrize(("make", "expected"), [
    (_truncated_model, "Error: pose model '{path}' is not a valid .task bundle (File is not a zip file). Use the "
                       "bundled models/pose_landmarker_full.task"),
    (_wrong_bundle, "Error: '{path}' is not a pose landmarker bundle (it lacks pose_detector.tflite, "
                    "pose_landmarks_detector.tflite)."),
    (_garbage_networks, "Error: cannot load pose model '{path}': The model is not a valid Flatbuffer buffer."),
    (_model_folder, "Error: pose model '{path}' is a folder, not a .task file."),
], ids=["truncated", "not-a-pose-bundle", "garbage-networks", "a-folder"])
def test_a_bad_model_is_one_error_line(tmp_path: Path, clip: Path, make: Callable[[Path], Path],
                                       expected: str) -> None:
    path = make(tmp_path)
    assert_one_error_line(run("analyze", clip, "-e", "plank", "--no-save", "--model", path), EXIT_ERROR,
                          expected.format(path=path))


@pytest.mark.model
def test_a_bundle_with_swapped_networks_fails_on_the_first_frame_not_with_a_traceback(tmp_path: Path,
                                                                                      clip: Path) -> None:
    def swap(src: zipfile.ZipFile, dst: zipfile.ZipFile) -> None:
        dst.writestr("pose_detector.tflite", src.read("pose_landmarks_detector.tflite"))
        dst.writestr("pose_landmarks_detector.tflite", src.read("pose_detector.tflite"))

    path = _model_copy(tmp_path, swap)
    result = posecoach_process("analyze", clip, "-e", "plank", "--no-save", "--model", path)
    assert result.returncode == EXIT_ERROR
    assert result.stderr.startswith(f"Error: the pose model '{path}' failed on the first frame (")
    assert result.stderr.count("\n") == 1, result.stderr  # nothing printed at exit by the dead graph either


# ----------------------------------------------------------------------------- faults and signals


def test_verbose_adds_the_traceback_above_the_error_line(tmp_path: Path) -> None:
    result = run("analyze", tmp_path / "missing.mp4", "-e", "plank", "--no-save", "--verbose")
    assert result.exit_code == EXIT_ERROR
    assert result.output.startswith("Traceback (most recent call last):")
    assert result.output.strip().splitlines()[-1] == f"Error: no such file or folder: '{tmp_path / 'missing.mp4'}'"


@pytest.mark.parametrize(("fault", "code", "line"), [
    (ValueError("boom\nsecond line"), EXIT_INTERNAL, "Error: internal error (ValueError: boom second line). This is "
                                                     "a bug in posecoach: please report it with the output of the "
                                                     "same command run with --verbose"),
    (OSError(28, "No space left on device", "/tmp/x"), EXIT_ERROR,
     "Error: no space left on the disk for '/tmp/x'; free some space and run it again"),
    (MemoryError(), EXIT_ERROR, "Error: out of memory; close other programs, or analyse a shorter or smaller video"),
    (KeyboardInterrupt(), EXIT_INTERRUPTED, "Interrupted (Ctrl-C); sessions already saved to the history are kept."),
], ids=["bug", "disk-full", "out-of-memory", "ctrl-c"])
def test_an_unexpected_fault_mid_analysis_is_one_line_and_a_documented_code(clip: Path, no_model: type,
                                                                            fault: BaseException, code: int,
                                                                            line: str) -> None:
    def fail(index: int) -> None:
        if index == 5:
            raise fault

    no_model.on_frame = fail
    result = run("analyze", clip, "-e", "plank", "--no-save", "--format", "json")
    assert result.exit_code == code
    if isinstance(fault, KeyboardInterrupt):  # what was counted is printed first, flagged partial
        assert json.loads(result.stdout)["partial"] is True
        assert result.stderr.strip().splitlines()[-1] == line
    else:
        assert result.output.strip().splitlines() == [line]


def test_a_signal_while_the_model_loads_acts_once_loading_is_done() -> None:
    """What ``PoseEstimator`` does around MediaPipe's loading and closing: the block is never cut short."""
    finished = []
    with pytest.raises(KeyboardInterrupt), signals_held():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.01)  # a Python handler would have run by now
        finished.append("loaded")
    assert finished == ["loaded"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_held_sigterm_reaches_the_cli_handler_once_and_an_ignored_signal_stays_ignored() -> None:
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # e.g. a parallel worker process
    try:
        with pytest.raises(KeyboardInterrupt) as raised, sigterm_as_interrupt(), signals_held():
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGTERM)
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.01)
        assert type(raised.value).__name__ == "Terminated"
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)


def test_sigterm_mid_analysis_takes_the_ctrl_c_path(clip: Path, no_model: type) -> None:
    previous = signal.getsignal(signal.SIGTERM)
    no_model.on_frame = lambda index: os.kill(os.getpid(), signal.SIGTERM) if index == 5 else None
    result = run("analyze", clip, "-e", "plank", "--no-save")
    assert result.exit_code == EXIT_TERMINATED
    assert result.stderr == "Terminated (SIGTERM); sessions already saved to the history are kept.\n"
    assert signal.getsignal(signal.SIGTERM) is previous


def test_an_interrupted_analysis_still_prints_what_it_counted(clip: Path, no_model: type) -> None:
    no_model.on_frame = lambda index: os.kill(os.getpid(), signal.SIGTERM) if index == 5 else None
    result = run("analyze", clip, "-e", "plank", "--no-save", "--format", "json")
    assert result.exit_code == EXIT_TERMINATED
    summary = json.loads(result.stdout)
    assert summary["partial"] is True and summary["frames"] == 5


def wait_until_the_model_loads(process: subprocess.Popen[str]) -> None:
    """Returns once MediaPipe maps the model file (Linux's /proc): it is building the graph on its worker
    thread, which takes a few hundred ms more; a signal then used to leave its log lines after ours."""
    maps = Path(f"/proc/{process.pid}/maps")
    if not maps.exists():
        process.kill()
        pytest.skip("no /proc/<pid>/maps here to see when the model starts loading")
    deadline = time.monotonic() + 60
    while default_model_path().name not in maps.read_text():
        assert process.poll() is None and time.monotonic() < deadline, "the model never started loading"
        time.sleep(0.002)


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize(("signum", "when", "code"), [
    (signal.SIGTERM, "model-loading", EXIT_TERMINATED),
    (signal.SIGINT, "model-loading", EXIT_INTERRUPTED),
    (signal.SIGTERM, "analysing", EXIT_TERMINATED),
    (signal.SIGINT, "analysing", EXIT_INTERRUPTED),
], ids=["sigterm-while-the-model-loads", "sigint-while-the-model-loads", "sigterm-mid-analysis",
        "sigint-mid-analysis"])
def test_a_real_signal_to_a_running_analysis_exits_cleanly(tmp_path: Path, signum: int, when: str,
                                                           code: int) -> None:
    """A signal at any moment ends in one line and 130/143: while MediaPipe loads the model (it
    takes effect once loading is done), or mid-analysis."""
    path = write_avi(tmp_path / "long.avi", 600)  # about 15 s of inference: still running when signalled
    # Loading is watched in this process: --jobs 1 keeps the model here rather than in chunk workers.
    serial = ["--jobs", "1"] if when == "model-loading" else []
    process = subprocess.Popen([sys.executable, "-m", "posecoach", "analyze", str(path), "-e", "plank",
                                "--no-save", *serial], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    if when == "model-loading":
        wait_until_the_model_loads(process)
    else:
        # The progress label comes with the first analysed frame: the model is loaded, frames flow.
        assert process.stderr.readline().strip() == "long.avi"
        time.sleep(1.0)
    process.send_signal(signum)
    try:
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()  # a hang at exit must fail the test, not outlive it
    assert process.returncode == code, stderr
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1].startswith(("Terminated (SIGTERM)", "Interrupted (Ctrl-C)")), stderr
