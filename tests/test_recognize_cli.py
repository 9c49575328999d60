"""Analysing without --exercise: the exercise is recognised from the same landmarks and counted as
with the right -e; a wrong -e gets a note. Cached real-clip traces, so no model runs here except in
the one end-to-end test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from posecoach.analysis import other_exercise_note, recognise_and_count, replay
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
