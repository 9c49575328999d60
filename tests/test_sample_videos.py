"""Golden test of the whole pipeline on the bundled sample clips, whose truth is exact.

The clips were rendered by ``posecoach synth`` (truth in ``*.truth.json`` beside each); this runs
the real decoder and pose model on them, so it is the end-to-end check a fresh clone can run.

The model runs one frame at a time on one core, so the clips are analysed side by side, one
``analyze_video`` per worker process (the same call, only not one after the other): on two cores the
three runs take about as long as the longest one.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

import pytest

from posecoach.analysis import analyze_video
from posecoach.summary import SessionSummary

SAMPLES = Path(__file__).resolve().parent.parent / "sample_videos"
CLIPS = sorted(SAMPLES.glob("*.mp4"))


def truth_of(clip: Path) -> dict:
    return json.loads(clip.with_name(clip.stem + ".truth.json").read_text())


def test_there_are_sample_clips_with_truth():
    assert {clip.stem for clip in CLIPS} >= {"lying-leg-raise", "lying-march", "supine-knee-to-chest"}


def _selected_clips(request: pytest.FixtureRequest) -> list[Path]:
    """The clips this run's tests ask for (``-k`` may pick only one)."""
    wanted = set()
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        if item.module is request.module and callspec is not None and "clip" in callspec.params:
            wanted.add(callspec.params["clip"])
    return [clip for clip in CLIPS if clip in wanted]


@pytest.fixture(scope="module")
def analysed(request: pytest.FixtureRequest,
             tmp_path_factory: pytest.TempPathFactory) -> dict[Path, Future[SessionSummary]]:
    """Each selected clip analysed once, in its own process; a clip that fails fails only its test."""
    clips = sorted(_selected_clips(request), key=lambda clip: -clip.stat().st_size)  # the longest first
    with pytest.MonkeyPatch.context() as patch:  # isolated like the tests (module fixtures come before theirs)
        patch.delenv("POSECOACH_MODEL", raising=False)
        patch.chdir(tmp_path_factory.mktemp("sample-runs"))
        workers = max(1, min(len(clips), os.cpu_count() or 1))
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            return {clip: pool.submit(analyze_video, clip, truth_of(clip)["exercise"]) for clip in clips}


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize("clip", CLIPS, ids=[clip.stem for clip in CLIPS])
def test_analyze_counts_a_sample_clip_exactly(clip: Path, analysed: dict[Path, Future[SessionSummary]]) -> None:
    truth = truth_of(clip)
    summary = analysed[clip].result()
    expected = truth["expected"]["reps"]
    counts = summary.rep_counts()
    assert counts["total"] == expected["total"]
    assert sorted((counts["left"], counts["right"])) == sorted((expected["left"], expected["right"]))
    injected = {(fault["code"], fault["rep"]) for fault in truth["faults"]}
    warned = {(w.code, w.rep) for w in summary.warnings if w.code == "back-lifting"}
    assert warned == {("back-lifting", rep) for code, rep in injected if code == "back-lift"}
    assert summary.frames_with_pose == summary.frames
