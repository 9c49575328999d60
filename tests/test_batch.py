"""Batch analysis on a real local Ray cluster (``posecoach.batch``, ``analyze --ray``/``--manifest``).

The Ray tests start a Ray of their own on 127.0.0.1 with two CPUs (never one someone else
started), run short cuts of the bundled sample clips plus a damaged file and a non-video through
it, and compare every video with the serial ``analyze_video``. They skip, saying why, only when Ray
cannot start here.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from posecoach.batch import (
    BatchItem,
    RayMissingError,
    normalise_address,
    plan,
    read_manifest,
    run_on_ray,
)
from posecoach.cli import cli
from posecoach.errors import PoseCoachError, UnknownExerciseError
from tests.support.history import as_schema

SAMPLES = Path(__file__).resolve().parent.parent / "sample_videos"
CUT_FRAMES = 75
"""Frames kept of each sample clip: enough for the model to find the person and the engine to run,
few enough that the whole file runs in seconds on two cores."""


def _cut(source: Path, target: Path, frames: int = CUT_FRAMES) -> Path:
    import cv2

    capture = cv2.VideoCapture(str(source))
    fps = capture.get(cv2.CAP_PROP_FPS)
    writer = None
    for _ in range(frames):
        ok, image = capture.read()
        if not ok:
            break
        if writer is None:
            height, width = image.shape[:2]
            writer = cv2.VideoWriter(str(target), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
        writer.write(image)
    capture.release()
    assert writer is not None
    writer.release()
    return target


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mixed folder: the first 75 frames of two bundled sample clips (lying march, knee to chest),
    a truncated MP4 (its first 4 KB) and a text file named .mp4."""
    folder = tmp_path_factory.mktemp("clips")
    _cut(SAMPLES / "lying-march.mp4", folder / "march.mp4")
    _cut(SAMPLES / "supine-knee-to-chest.mp4", folder / "knees.mp4")
    (folder / "damaged.mp4").write_bytes((SAMPLES / "lying-march.mp4").read_bytes()[:4096])
    (folder / "notes.mp4").write_bytes(b"these are my exercise notes\n" * 20)
    return folder


@pytest.fixture(scope="module")
def ray_cluster():
    """A Ray of this test module's own on 127.0.0.1, two CPUs, no dashboard; shut down afterwards."""
    ray = pytest.importorskip("ray", reason="Ray is not installed: pip install -e '.[test]' installs it")
    try:
        ray.init(address="local", num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1",
                 logging_level=logging.ERROR, log_to_driver=False)
    except Exception as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"a local Ray cluster could not start here ({type(exc).__name__}: {exc})")
    yield ray
    ray.shutdown()


# ----------------------------------------------------------------------------- no cluster needed


def test_ray_missing_is_one_error_line_saying_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"x")
    result = CliRunner().invoke(cli, ["analyze", str(clip), "-e", "lying-march", "--ray"])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "Error: --ray needs Ray, which is not installed: run pip install 'posecoach[ray]' "
        "(or drop --ray to use this machine's processes)"]
    assert isinstance(RayMissingError(), PoseCoachError)


@pytest.mark.parametrize(("value", "expected"), [
    ("local", "local"), ("", "local"), ("auto", "auto"), ("ray://head:10001", "ray://head:10001"),
    ("10.0.0.5:6379", "10.0.0.5:6379"),
], ids=["flag-alone", "empty", "auto", "client", "gcs-address"])
def test_ray_addresses(value, expected):
    assert normalise_address(value) == expected


def test_a_ray_address_that_is_not_one_says_what_it_takes():
    with pytest.raises(PoseCoachError, match="ray://head-node:10001"):
        normalise_address("clips/")


def test_a_manifest_mixes_exercises_and_patients_relative_to_its_folder(tmp_path):
    manifest = tmp_path / "week.csv"
    manifest.write_text("video,exercise,patient\nmarch.mp4,lying-march,p01\n/abs/knees.mp4,supine-knee-to-chest,\n"
                        "\nbridge.mp4,,p02\n")
    items = read_manifest(manifest, default_exercise="glute-bridge")
    assert items == [BatchItem(str(tmp_path / "march.mp4"), "lying-march", "p01"),
                     BatchItem("/abs/knees.mp4", "supine-knee-to-chest", None),
                     BatchItem(str(tmp_path / "bridge.mp4"), "glute-bridge", "p02")]


@pytest.mark.parametrize(("text", "error", "match"), [
    ("file,exercise\na.mp4,plank\n", PoseCoachError, "needs a header row with a 'video' column"),
    ("video,exercise\na.mp4,\n", PoseCoachError, "line 2: no exercise for 'a.mp4'"),
    ("video,exercise\na.mp4,leg-curl\n", UnknownExerciseError, "unknown exercise 'leg-curl'"),
    ("video,exercise\n", PoseCoachError, "lists no videos"),
], ids=["no-video-column", "no-exercise", "unknown-exercise", "no-rows"])
def test_a_bad_manifest_says_which_line_and_what_to_do(tmp_path, text, error, match):
    manifest = tmp_path / "bad.csv"
    manifest.write_text(text)
    with pytest.raises(error, match=match):
        read_manifest(manifest)


def test_ctrl_c_prints_and_keeps_every_finished_video_then_exits_130(tmp_path, monkeypatch):
    from posecoach.summary import SessionSummary

    clips = [tmp_path / "a.mp4", tmp_path / "b.mp4"]
    for clip in clips:
        clip.write_bytes(clip.name.encode())

    def one_then_interrupted(todo, *, on_result, **_options):
        todo[0].summary = SessionSummary("lying-march", todo[0].item.video, frames=30)
        on_result(todo[0])
        raise KeyboardInterrupt

    monkeypatch.setattr("posecoach.cli.batch.run_locally", one_then_interrupted)
    db = tmp_path / "history.db"
    result = CliRunner().invoke(cli, ["analyze", "--manifest", str(_manifest(tmp_path, clips)), "--format", "csv",
                                      "--db", str(db)])
    assert result.exit_code == 130
    assert f"{clips[0]},lying-march" in result.stdout and str(clips[1]) not in result.stdout
    assert "1 of 2 videos finished before the interruption" in result.stderr
    from posecoach.sinks.history import open_store

    with open_store(db) as store:
        assert [s.source for s in store.sessions()] == [str(clips[0])]


def test_a_manifest_without_ray_runs_on_this_machine_and_each_bad_video_fails_alone(tmp_path):
    clips = [tmp_path / "notes.mp4", tmp_path / "missing.mp4"]
    clips[0].write_bytes(b"these are my exercise notes\n" * 20)
    result = CliRunner().invoke(cli, ["analyze", "--manifest", str(_manifest(tmp_path, clips)), "--jobs", "1"])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-3:] == [
        f"Error: {clips[0]}: cannot read '{clips[0]}' as a video: the file is damaged or not a video OpenCV/FFmpeg "
        "can decode (it does not start like any video container); check that it is the recording you meant",
        f"Error: {clips[1]}: no such file or folder: '{clips[1]}'",
        "Error: none of the videos could be analysed"]


def test_a_batch_refuses_one_video_outputs(tmp_path):
    manifest = _manifest(tmp_path, [tmp_path / "a.mp4"])
    result = CliRunner().invoke(cli, ["analyze", "--manifest", str(manifest), "--output", str(tmp_path / "o.mp4")])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: --output and --clips take one video, not a --ray or --manifest batch")


def test_a_rerun_with_another_model_or_side_is_analysed_again_and_only_the_same_one_skipped(tmp_path, monkeypatch):
    from posecoach.summary import SessionSummary

    clip = tmp_path / "a.mp4"
    clip.write_bytes(b"the same bytes every run")
    other_model = tmp_path / "other.task"
    other_model.write_bytes(b"another model")
    analysed: list[list[str]] = []

    def summarise(todo, *, on_result, **_options):
        analysed.append([r.item.video for r in todo])
        for result in todo:
            result.summary = SessionSummary("lying-march", result.item.video, frames=30)
            on_result(result)
        return todo

    monkeypatch.setattr("posecoach.cli.batch.run_locally", summarise)
    db = tmp_path / "history.db"
    base = ["analyze", "--manifest", str(_manifest(tmp_path, [clip])), "--db", str(db)]
    runs = [[], [], ["--side", "left"], ["--model", str(other_model)], ["--side", "left"]]
    outputs = [CliRunner().invoke(cli, base + extra) for extra in runs]
    assert [r.exit_code for r in outputs] == [0] * len(runs), [r.output for r in outputs]
    assert analysed == [[str(clip)], [], [str(clip)], [str(clip)], []]  # 2nd and 5th repeat an earlier run
    assert "already analysed with the same content, model, side and posecoach version" in outputs[1].stderr


def test_a_history_from_before_the_settings_keeps_working_and_its_sessions_are_analysed_once_more(tmp_path):
    """A version-4 history holds sessions keyed without the model and side: which model made them is
    unknown, so a batch analyses them again rather than trusting them, and the file keeps working."""
    from posecoach.batch import BatchResult, save_result
    from posecoach.sinks.history import SCHEMA_VERSION, HistoryStore
    from posecoach.summary import SessionSummary

    clip = tmp_path / "a.mp4"
    clip.write_bytes(b"a clip analysed by an older posecoach")
    db = tmp_path / "old.db"
    with HistoryStore(db) as store:
        (old,), _ = plan([BatchItem(str(clip), "lying-march")], store)
        old.summary, old.settings = SessionSummary("lying-march", str(clip), frames=30), None
        save_result(store, old)
        as_schema(store.db, 4)
    with HistoryStore(db) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert [s.source for s in store.sessions()] == [str(clip)]
        todo, done = plan([BatchItem(str(clip), "lying-march")], store)
        assert [r.item.video for r in todo] == [str(clip)] and not done
        save_result(store, BatchResult(todo[0].item, SessionSummary("lying-march", str(clip), frames=30),
                                       content_hash=todo[0].content_hash, settings=todo[0].settings))
        assert plan([BatchItem(str(clip), "lying-march")], store)[1][0].skipped


def _manifest(folder: Path, clips: list[Path]) -> Path:
    manifest = folder / "manifest.csv"
    manifest.write_text("video,exercise\n" + "".join(f"{clip},lying-march\n" for clip in clips))
    return manifest


# ----------------------------------------------------------------------------- on a real local Ray


@pytest.mark.model
@pytest.mark.slow
def test_a_mixed_manifest_on_ray_matches_the_serial_run_video_by_video(ray_cluster, clips, tmp_path):
    from posecoach.analysis import analyze_video

    manifest = tmp_path / "batch.csv"
    manifest.write_text(f"video,exercise,patient\n{clips}/march.mp4,lying-march,p01\n"
                        f"{clips}/knees.mp4,supine-knee-to-chest,p02\n{clips}/damaged.mp4,lying-march,p01\n"
                        f"{clips}/notes.mp4,lying-march,p03\n")
    todo, done = plan(read_manifest(manifest), store=None)
    assert not done
    streamed: list[str] = []
    results = run_on_ray(todo, on_result=lambda r: streamed.append(r.item.video))
    assert sorted(streamed) == sorted(r.item.video for r in todo)  # each one reported as it finished
    by_name = {Path(r.item.video).name: r for r in results}
    for name, exercise in (("march.mp4", "lying-march"), ("knees.mp4", "supine-knee-to-chest")):
        serial = analyze_video(str(clips / name), exercise)
        assert by_name[name].error is None
        assert by_name[name].summary.to_dict() == serial.to_dict()
    assert "cannot read" in by_name["damaged.mp4"].error and by_name["damaged.mp4"].summary is None
    assert "does not start like any video" in by_name["notes.mp4"].error


@pytest.mark.model
def test_a_video_shipped_to_a_worker_is_named_as_the_user_gave_it(clips, tmp_path):
    """What a ray:// worker does with the bytes a client sends it: same result, the client's path in it."""
    from posecoach.analysis import analyze_video
    from posecoach.batch import analyse_item

    given = "/on/the/laptop/march.mp4"
    summary, error = analyse_item(BatchItem(given, "lying-march"), data=(clips / "march.mp4").read_bytes())
    assert error is None
    serial = analyze_video(str(clips / "march.mp4"), "lying-march").to_dict()
    # A worker sees only the bytes: a date taken from the file's time is the driver's to add, not the worker's.
    undated = {"recorded_at": None, "recorded_at_from": None} if serial["recorded_at_from"] == "file" else {}
    assert summary.to_dict() == {**serial, "source": given, **undated}
    summary, error = analyse_item(BatchItem("/on/the/laptop/notes.mp4", "lying-march"),
                                  data=(clips / "notes.mp4").read_bytes())
    assert summary is None and error.startswith("cannot read '/on/the/laptop/notes.mp4' as a video")


@pytest.mark.model
@pytest.mark.slow
def test_a_lost_worker_is_retried_once_then_reported_alone(ray_cluster, clips, tmp_path):
    from posecoach.batch import VideoAnalyser

    crash = tmp_path / "crash.mp4"
    crash.write_bytes(b"x")
    attempts = tmp_path / "attempts"
    attempts.mkdir()

    class CrashingAnalyser(VideoAnalyser):  # defined here, so Ray ships it by value to its workers
        def analyse(self, item, data=None):
            if Path(item.video).name == "crash.mp4":
                (Path(attempts) / str(os.getpid())).touch()
                os._exit(1)  # the worker process dies, as in a decoder crash
            return super().analyse(item, data)

    todo, _ = plan([BatchItem(str(crash), "lying-march"), BatchItem(str(clips / "notes.mp4"), "lying-march")], None)
    results = run_on_ray(todo, on_result=lambda r: None, analyser=CrashingAnalyser)
    by_name = {Path(r.item.video).name: r for r in results}
    assert "the worker analysing it was lost twice" in by_name["crash.mp4"].error
    assert len(list(attempts.iterdir())) == 2  # the first try and one retry, each in its own process
    assert "does not start like any video" in by_name["notes.mp4"].error  # the other video went on


@pytest.mark.model
@pytest.mark.slow
def test_analyze_ray_saves_as_it_goes_and_a_second_run_skips_what_is_done(ray_cluster, clips, tmp_path):
    folder = tmp_path / "batch"
    folder.mkdir()
    for name in ("march.mp4", "damaged.mp4"):
        (folder / name).write_bytes((clips / name).read_bytes())
    db = tmp_path / "history.db"
    args = ["analyze", str(folder), "-e", "lying-march", "--ray", "--format", "json", "--db", str(db)]

    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 1, first.output  # one video failed: said, and the exit code says so too
    summary = json.loads(first.stdout)
    assert summary["source"] == str(folder / "march.mp4")
    assert f"Error: {folder / 'damaged.mp4'}: cannot read" in first.stderr
    assert "Error: 1 of 2 videos could not be analysed" in first.stderr
    assert "2 videos" in first.stderr  # the progress bar's label

    from posecoach.sinks.history import open_store

    with open_store(db) as store:
        row = store.db.execute("SELECT content_hash, posecoach_version FROM sessions").fetchall()
    assert len(row) == 1 and len(row[0]["content_hash"]) == 64

    second = CliRunner().invoke(cli, args)
    assert second.exit_code == 1, second.output
    assert f"Skipped {folder / 'march.mp4'} (lying-march): already analysed" in second.stderr
    assert f"Error: {folder / 'damaged.mp4'}: cannot read" in second.stderr  # a failure is tried again
    with open_store(db) as store:
        assert len(store.sessions()) == 1
