"""The command line, through Click's CliRunner: exit codes, exact error lines, the JSON contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from posecoach.cli import cli
from posecoach.exercises import CATALOG
from posecoach.sinks.console import render_summaries


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def all_commands() -> list[str]:
    with cli.make_context("posecoach", ["--help"], resilient_parsing=True) as ctx:
        return cli.list_commands(ctx)


@pytest.mark.parametrize("command", all_commands())
def test_every_command_has_help(runner, command):
    result = runner.invoke(cli, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    assert len(result.output.splitlines()) > 3


def test_version_and_short_help(runner):
    assert runner.invoke(cli, ["--version"]).output.startswith("posecoach, version ")
    assert runner.invoke(cli, ["-h"]).exit_code == 0


def test_exercises_lists_every_slug_with_kind_sides_views_and_source(runner):
    result = runner.invoke(cli, ["exercises", "--format", "json"])
    records = json.loads(result.output)
    assert [r["slug"] for r in records] == list(CATALOG)
    for record in records:
        assert record["kind"] in {"reps", "reps+hold", "hold", "timer"}
        assert record["sides"] in {"none", "each"}
        assert record["views"]
        assert record["source"]["article"]
    table = runner.invoke(cli, ["exercises"]).output
    assert "timer only" in table and "supine-knee-to-chest" in table


@pytest.mark.parametrize(("slug", "hint"), [
    ("lying-leg-rise", " (did you mean 'lying-leg-raise' or 'hanging-leg-raise'?)"),
    ("plnak", " (did you mean 'plank'?)"),
    ("leg-curl", ""),
])
def test_an_unknown_exercise_is_a_usage_error_with_the_likely_slug(runner, tmp_path, slug, hint):
    result = runner.invoke(cli, ["analyze", str(tmp_path), "--exercise", slug])
    assert result.exit_code == 2
    assert result.output.endswith(f"Error: Invalid value for '-e' / '--exercise': '{slug}' is not one of the 22 "
                                  f"exercises{hint}; 'posecoach exercises' lists them\n")


def test_help_does_not_print_every_slug_and_keeps_whole_sentences(runner):
    assert "frankenstein-walk" not in runner.invoke(cli, ["analyze", "--help"]).output
    commands = runner.invoke(cli, ["--help"]).output.split("Commands:")[1]
    assert "..." not in commands, "command summaries are whole sentences"


def test_version_does_not_import_the_heavy_modules():
    code = ("import sys\nfrom posecoach.cli import cli\n"
            "try:\n    cli(['--version'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('numpy', 'cv2', 'mediapipe', 'matplotlib', 'posecoach.exercises') "
            "if m in sys.modules))")
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.splitlines()[-1] == "[]"


def test_an_unknown_command_suggests_the_near_one(runner):
    result = runner.invoke(cli, ["anlyze"])
    assert result.exit_code == 2
    assert "No such command 'anlyze' (did you mean 'analyze'?)." in result.output


def test_the_british_spelling_of_analyze_runs_it_without_being_listed(runner):
    result = runner.invoke(cli, ["analyse", "--help"])
    assert result.exit_code == 0 and "Analyse recorded VIDEOS" in result.output
    assert "analyse" not in runner.invoke(cli, ["--help"]).output


@pytest.mark.parametrize(
    ("make_input", "expected"),
    [
        (lambda d: d / "missing.mp4", "Error: no such file or folder: '{path}'"),
        (lambda d: _mkdir(d / "empty"), "Error: '{path}' is a folder with no videos (.mp4, .mov, .avi, "
                                         ".mkv, .webm, .gif…) and no images"),
        (lambda d: _write(d / "notes.mp4", b"these are my exercise notes\n" * 20),
         "Error: cannot read '{path}' as a video: the file is damaged or not a video OpenCV/FFmpeg can decode"),
        (lambda d: _write(d / "empty.mp4", b""), "Error: '{path}' is empty (0 bytes)"),
    ],
    ids=["missing-file", "folder-without-images", "text-file-named-mp4", "empty-file"],
)
def test_bad_input_gives_one_error_line_and_exit_code_1(runner, tmp_path, make_input, expected):
    path = make_input(tmp_path)
    result = runner.invoke(cli, ["analyze", str(path), "--exercise", "lying-leg-raise"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(expected.format(path=path))
    assert "Traceback" not in result.output


def test_a_missing_model_names_the_path_and_how_to_get_one(runner, shared_videos, tmp_path):
    missing = tmp_path / "nope.task"
    result = runner.invoke(cli, ["analyze", str(shared_videos / "physioplus__bridging.mp4"), "-e", "glute-bridge",
                                 "--model", str(missing)])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: pose model not found: '{missing}'.")
    assert "--model PATH" in result.output


def test_a_broken_model_file_is_reported_not_crashed_on(runner, shared_videos, tmp_path):
    broken = _write(tmp_path / "broken.task", b"PK\x03\x04 not really a zip")
    result = runner.invoke(cli, ["analyze", str(shared_videos / "physioplus__bridging.mp4"), "-e", "glute-bridge",
                                 "--model", str(broken)])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: pose model '{broken}' is not a valid .task bundle")


@pytest.mark.model
def test_analyze_json_is_the_documented_contract(runner, shared_videos):
    result = runner.invoke(cli, ["analyze", str(shared_videos / "physioplus__bridging.mp4"), "-e", "glute-bridge",
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert set(summary) >= {"exercise", "source", "duration_s", "fps", "frames", "frames_with_pose", "reps", "holds",
                            "warnings", "events"}
    assert summary["exercise"] == "glute-bridge"
    assert summary["reps"] == {"total": 1, "left": 0, "right": 0}
    assert summary["frames"] == 91
    assert summary["frames_with_pose"] > 80
    assert summary["fps"] == pytest.approx(30.0)
    assert [e["kind"] for e in summary["events"] if e["kind"] == "rep"] == ["rep"]


@pytest.mark.model
def test_analyze_csv_has_one_row_per_video(runner, shared_videos):
    result = runner.invoke(cli, ["analyze", str(shared_videos / "chloe__bird-dog.gif"),
                                 str(shared_videos / "chloe__banded-clamshell.gif"), "-e", "clamshell",
                                 "--format", "csv", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if line.startswith(("source", str(shared_videos)))]
    assert rows[0].startswith("source,exercise,duration_s")
    assert len(rows) == 3


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.model
def test_analyze_records_the_session_in_history_unless_told_not_to(runner, shared_videos, isolated_history):
    clip = str(shared_videos / "physioplus__bridging.mp4")
    assert runner.invoke(cli, ["analyze", clip, "-e", "glute-bridge", "--no-save"]).exit_code == 0
    assert not isolated_history.exists()
    saved = runner.invoke(cli, ["analyze", clip, "-e", "glute-bridge"])
    assert saved.exit_code == 0
    assert saved.stderr.endswith(f"Saved 1 session to the history in {isolated_history}; see them with "
                                 "'posecoach history'.\n"), "where the history lives"
    listing = runner.invoke(cli, ["history", "--format", "json"])
    [session] = json.loads(listing.stdout)
    assert session["exercise"] == "glute-bridge"
    assert session["reps"] == 1


@pytest.mark.model
@pytest.mark.slow
def test_one_video_landmarked_in_two_chunks_counts_like_the_serial_run(runner, shared_videos, analysed_once):
    clip = str(shared_videos / "fizik__bridge.mp4")
    serial = json.loads(render_summaries([analysed_once(Path(clip), "glute-bridge")], "json"))  # as analyze prints it
    chunked = runner.invoke(cli, ["analyze", clip, "-e", "glute-bridge", "--no-save", "--format", "json",
                                  "--jobs", "2"])
    assert chunked.exit_code == 0, chunked.output
    chunked_summary = json.loads(chunked.stdout)
    assert chunked_summary["reps"] == serial["reps"] == {"total": 3, "left": 0, "right": 0}
    assert chunked_summary["frames"] == serial["frames"]
    assert [round(e["t_s"], 1) for e in chunked_summary["events"] if e["kind"] == "rep"] == \
        [round(e["t_s"], 1) for e in serial["events"] if e["kind"] == "rep"]
