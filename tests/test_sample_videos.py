"""Golden test of the whole pipeline on the bundled sample clips, whose truth is exact.

The clips were rendered by ``posecoach synth`` (truth in ``*.truth.json`` beside each); this runs
the real decoder and pose model on them, so it is the end-to-end check a fresh clone can run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from posecoach.analysis import analyze_video

SAMPLES = Path(__file__).resolve().parent.parent / "sample_videos"
CLIPS = sorted(SAMPLES.glob("*.mp4"))


def truth_of(clip: Path) -> dict:
    return json.loads(clip.with_name(clip.stem + ".truth.json").read_text())


def test_there_are_sample_clips_with_truth():
    assert {clip.stem for clip in CLIPS} >= {"lying-leg-raise", "lying-march", "supine-knee-to-chest"}


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize("clip", CLIPS, ids=[clip.stem for clip in CLIPS])
def test_analyze_counts_a_sample_clip_exactly(clip):
    truth = truth_of(clip)
    summary = analyze_video(clip, truth["exercise"])
    expected = truth["expected"]["reps"]
    counts = summary.rep_counts()
    assert counts["total"] == expected["total"]
    assert sorted((counts["left"], counts["right"])) == sorted((expected["left"], expected["right"]))
    injected = {(fault["code"], fault["rep"]) for fault in truth["faults"]}
    warned = {(w.code, w.rep) for w in summary.warnings if w.code == "back-lifting"}
    assert warned == {("back-lifting", rep) for code, rep in injected if code == "back-lift"}
    assert summary.frames_with_pose == summary.frames
