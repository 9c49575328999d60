"""Analysing without --exercise: the exercise is recognised from the same landmarks and counted as
with the right -e; a wrong -e gets a note. Cached real-clip traces, so no model runs here except in
the one end-to-end test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import posecoach.parallel
from posecoach.analysis import other_exercise_note, recognise_and_count, replay
from posecoach.cli import cli
from posecoach.exercises import get_exercise
from posecoach.trace import PoseTrace

ROOT = Path(__file__).resolve().parent.parent
TRACES = ROOT / "tests" / "golden" / "traces"


@pytest.mark.parametrize(("clip", "exercise"), [
    ("fizik__bridge", "glute-bridge"), ("ndnam__knee_lifts", "standing-march"), ("workoutmon__plank", "plank")])
def test_a_recognised_clip_counts_as_with_the_right_exercise(clip: str, exercise: str) -> None:
    trace = PoseTrace.load(TRACES / f"{clip}.npz")
    [summary] = recognise_and_count(trace)
    given = replay(trace.pose_frames(), exercise, source=trace.source, fps=trace.fps)
    assert summary.exercise == exercise
    assert summary.recognition is not None and summary.recognition["sure"]
    assert summary.rep_counts() == given.rep_counts()
    assert [h.held_s for h in summary.holds] == [h.held_s for h in given.holds]
    assert summary.notes[0] == f"Recognised: {get_exercise(exercise).name} (sure)."


def test_a_wrong_exercise_gets_a_note_naming_the_one_shown() -> None:
    poses = list(PoseTrace.load(TRACES / "fizik__bridge.npz").pose_frames())
    assert other_exercise_note(poses, get_exercise("lying-leg-raise")) == (
        "This looks like glute bridge rather than lying leg raise: if so, analyse it with -e glute-bridge.")
    assert other_exercise_note(poses, get_exercise("glute-bridge")) is None


@pytest.mark.model
def test_analyze_without_an_exercise_recognises_the_sample_and_counts_it() -> None:
    sample = ROOT / "sample_videos" / "lying-leg-raise.mp4"
    command = [sys.executable, "-m", "posecoach", "analyze", str(sample), "--no-save", "--format", "json"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["schema_version"] == 2
    assert summary["exercise"] == "lying-leg-raise"
    assert summary["recognition"]["exercise"] == "lying-leg-raise"
    assert summary["reps"]["total"] == json.loads((ROOT / "sample_videos" / "lying-leg-raise.truth.json").read_text())[
        "expected"]["reps"]["total"]
    assert "Recognised: Lying leg raise" in result.stderr


def joined_trace(stems: list[str], gap_s: float = 2.0) -> PoseTrace:
    """Cached real clips of one person filmed the same way, one after another with ``gap_s`` of nobody in
    view between them (walking to the mat): a routine recording whose every part has a known count."""
    parts = [PoseTrace.load(TRACES / f"{stem}.npz") for stem in stems]
    first = parts[0]
    step = 1.0 / first.fps
    times, normalized, world = [], [], []
    offset = 0.0
    for part in parts:
        if times:
            gap = round(gap_s * first.fps)
            times.append(offset + step * np.arange(gap))
            normalized.append(np.full((gap, *first.normalized.shape[1:]), np.nan, np.float32))
            world.append(np.full((gap, *first.world.shape[1:]), np.nan, np.float32))
            offset += gap * step
        times.append(part.timestamps_s - part.timestamps_s[0] + offset)
        normalized.append(part.normalized)
        world.append(part.world)
        offset = times[-1][-1] + step
    return PoseTrace("routine.mp4", first.fps, first.width, first.height, np.concatenate(times),
                     np.concatenate(normalized), np.concatenate(world))


def test_a_routine_analysed_and_saved_shows_its_parts_in_the_history_and_the_report(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``analyze`` without -e on a routine (knee lifts standing, then knee hugs lying; 6 reps each, the
    shared clips' hand counts), landmarks replayed from the cache instead of the model."""
    video, db = tmp_path / "routine.mp4", tmp_path / "history.db"
    video.write_bytes(b"a routine recording")
    routine = joined_trace(["ndnam__knee_lifts", "ndnam__lay_back_knee_hugs"])
    monkeypatch.setattr(posecoach.parallel, "landmark_serial", lambda source, **_: routine)
    runner = CliRunner()

    analysed = runner.invoke(cli, ["analyze", str(video), "--db", str(db), "--format", "json"])
    assert analysed.exit_code == 0, analysed.output
    assert [(s["exercise"], s["reps"]["total"], s["segment"]["index"]) for s in json.loads(analysed.stdout)] == [
        ("standing-march", 6, 1), ("alternating-knee-to-chest", 6, 2)]

    listed = json.loads(runner.invoke(cli, ["history", "--db", str(db), "--format", "json"]).stdout)
    assert [(s["exercise"], s["reps"], s["segment"]["index"], s["segment"]["of"], s["recognised"])
            for s in listed] == [("standing-march", 6, 1, 2, "sure"), ("alternating-knee-to-chest", 6, 2, 2, "sure")]
    assert listed[0]["recording"] == listed[1]["recording"] is not None
    table = runner.invoke(cli, ["history", "--db", str(db)]).stdout.splitlines()
    assert [line.split()[5:7] for line in table[2:]] == [["sure", "1/2"], ["sure", "2/2"]]

    shown = runner.invoke(cli, ["show", "1", "--db", str(db)]).stdout
    march, hugs = get_exercise("standing-march").name, get_exercise("alternating-knee-to-chest").name
    assert f"Part 2: {hugs}" in shown, "any part shows the whole recording"
    shown_json = json.loads(runner.invoke(cli, ["show", "2", "--db", str(db), "--format", "json"]).stdout)
    assert shown_json["summary"]["exercise"] == "alternating-knee-to-chest"
    assert [(p["summary"]["exercise"], p["summary"]["reps"]["total"]) for p in shown_json["recording"]] == [
        ("standing-march", 6), ("alternating-knee-to-chest", 6)]

    for output in (tmp_path / "routine.html", tmp_path / "routine.md"):
        reported = runner.invoke(cli, ["report", "last", "--db", str(db), "--output", str(output)])
        assert reported.exit_code == 0, reported.output
        text = output.read_text(encoding="utf-8")
        assert text.count("Part 1: ") >= 3 and text.count("Part 2: ") >= 3, "each part has its own sections"
        assert "1 of 2 of the recording, from 0:0" in text and "2 of 2 of the recording, from 0:" in text
        assert f"{march} (sure)" in text and f"{hugs} (sure)" in text
    pdf = runner.invoke(cli, ["report", "1", "--db", str(db), "--output", str(tmp_path / "routine.pdf")])
    assert pdf.exit_code == 0, pdf.output
    assert (tmp_path / "routine.pdf").read_bytes().startswith(b"%PDF")
    html_text = (tmp_path / "routine.html").read_text(encoding="utf-8")
    assert html_text.count('src="data:image/png;base64,') >= 4, "each part's movement and rep plots"
    assert "<title>2 exercises in one recording</title>" in html_text


def test_a_recognised_recording_is_saved_with_the_day_it_was_recorded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without -e the history keeps the recording's date as with -e (here the file's time: the bytes
    carry no container date), so a session filmed last week is not filed under today."""
    video, db = tmp_path / "bridge.mp4", tmp_path / "history.db"
    video.write_bytes(b"a recording without a container date")
    os.utime(video, (1_700_000_000, 1_700_000_000))
    trace = PoseTrace.load(TRACES / "fizik__bridge.npz")
    monkeypatch.setattr(posecoach.parallel, "landmark_serial", lambda source, **_: trace)
    runner = CliRunner()

    analysed = runner.invoke(cli, ["analyze", str(video), "--db", str(db), "--format", "json"])
    assert analysed.exit_code == 0, analysed.output
    recorded = datetime.fromtimestamp(1_700_000_000, tz=UTC).isoformat()
    printed = json.loads(analysed.stdout)
    assert (printed["recorded_at"], printed["recorded_at_from"]) == (recorded, "file")
    saved = json.loads(runner.invoke(cli, ["show", "last", "--db", str(db), "--format", "json"]).stdout)["summary"]
    assert (saved["exercise"], saved["recorded_at"], saved["recorded_at_from"]) == ("glute-bridge", recorded, "file")
