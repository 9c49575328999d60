"""Parallel landmarking gives the serial run's frames, timestamps and counts.

The model tests landmark ``physioplus__bridging.mp4`` (91 frames, 640x480, 30 fps, one glute
bridge with a top hold) from the shared real clips, serially and in two worker processes, and
replay both through the engine. Landmarks after the seam may differ by model noise: VIDEO-mode
tracking feeds each frame's landmarks into the next frame's crop, so two runs that started
at different frames stay a few pixels apart for good (measured: ~0.005-0.01 of the frame per
visible landmark) even after warm-up; the tolerances below bound that.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from posecoach.analysis import replay
from posecoach.errors import ModelError
from posecoach.parallel import (
    ChunkResult,
    ChunkTask,
    _first_bad_seam,
    _plan_chunks,
    landmark_chunk,
    landmark_video,
)
from posecoach.pose import PoseEstimator
from posecoach.sources import ContainerClock, open_source
from posecoach.trace import PoseTrace, PoseTraceBuilder
from tests.conftest import SHARED_VIDEOS

CLIP = SHARED_VIDEOS / "physioplus__bridging.mp4"
EXERCISE = "glute-bridge"
MEAN_TOLERANCE = 0.03
"""Largest allowed per-frame mean distance (normalised units) between serial and parallel visible landmarks."""
POINT_TOLERANCE = 0.12
"""Largest allowed distance of any single visible landmark."""

needs_clip = pytest.mark.skipif(not CLIP.exists(), reason=f"real clip not available: {CLIP} is absent "
                                "(../shared/videos sits beside the checkout)")


@pytest.fixture(scope="module")
def serial_trace() -> PoseTrace:
    """The clip landmarked the way ``analyze_video`` does it, frame by frame, written out here on purpose."""
    with open_source(CLIP) as frames, PoseEstimator() as estimator:
        builder = PoseTraceBuilder(frames.name, frames.fps, frames.width, frames.height)
        for frame in frames:
            builder.add(frame.timestamp_s, estimator.estimate_raw(frame.image, frame.timestamp_s))
    return builder.build()


@pytest.fixture(scope="module")
def parallel_trace() -> PoseTrace:
    return landmark_video(CLIP, jobs=2, min_chunk_s=1.0)


def _visible_distances(a: PoseTrace, b: PoseTrace) -> np.ndarray:
    """(T, 33) distance in normalised x, y; NaN where either run saw the landmark poorly."""
    visible = (a.normalized[..., 3] > 0.5) & (b.normalized[..., 3] > 0.5)
    distance = np.linalg.norm(a.normalized[..., :2] - b.normalized[..., :2], axis=2)
    return np.where(visible, distance, np.nan)


def _counts(trace: PoseTrace) -> tuple[dict[str, int], list[float], list[str]]:
    summary = replay(trace.pose_frames(), EXERCISE, fps=trace.fps)
    return summary.rep_counts(), [round(h.held_s, 2) for h in summary.holds], sorted(w.code for w in summary.warnings)


@pytest.mark.model
@needs_clip
def test_one_job_is_exactly_the_serial_path(serial_trace):
    trace = landmark_video(CLIP, jobs=1)
    np.testing.assert_array_equal(trace.timestamps_s, serial_trace.timestamps_s)
    np.testing.assert_array_equal(trace.normalized, serial_trace.normalized)
    np.testing.assert_array_equal(trace.world, serial_trace.world)


@pytest.mark.model
@needs_clip
def test_two_jobs_give_the_serial_frames_and_timestamps(serial_trace, parallel_trace):
    assert len(parallel_trace) == len(serial_trace) == 91
    np.testing.assert_array_equal(parallel_trace.timestamps_s, serial_trace.timestamps_s)
    assert (parallel_trace.width, parallel_trace.height, parallel_trace.fps) == \
        (serial_trace.width, serial_trace.height, serial_trace.fps)
    found = ~np.isnan(parallel_trace.normalized[:, 0, 0])
    np.testing.assert_array_equal(found, ~np.isnan(serial_trace.normalized[:, 0, 0]))


@pytest.mark.model
@needs_clip
def test_two_jobs_match_the_serial_landmarks_before_the_seam_and_within_noise_after(serial_trace, parallel_trace):
    seam = _plan_chunks(len(serial_trace), serial_trace.fps, 2, 1.0, 1.0)[1][1]
    np.testing.assert_array_equal(parallel_trace.normalized[:seam], serial_trace.normalized[:seam])
    distance = _visible_distances(serial_trace, parallel_trace)[seam:]
    assert np.nanmax(np.nanmean(distance, axis=1)) < MEAN_TOLERANCE
    assert np.nanmax(distance) < POINT_TOLERANCE


@pytest.mark.model
@needs_clip
def test_two_jobs_count_exactly_like_the_serial_run(serial_trace, parallel_trace):
    serial = _counts(serial_trace)
    assert serial[0]["total"] == 1
    assert _counts(parallel_trace) == serial


@pytest.mark.model
@needs_clip
def test_decoding_and_skipping_lands_on_the_frames_seeking_does(parallel_trace):
    with open_source(CLIP) as probe:
        fps = probe.fps
    warm, start, _ = _plan_chunks(len(parallel_trace), fps, 2, 1.0, 1.0)[1]
    skipped = landmark_chunk(ChunkTask(1, str(CLIP), fps, warm, start, None, False, None, False))
    np.testing.assert_array_equal(skipped.normalized, parallel_trace.normalized[start:])


def test_chunks_cover_every_frame_once_with_warm_up_before_each():
    chunks = _plan_chunks(1000, 30.0, 3, 1.0, 2.0)
    assert chunks == [(0, 0, 333), (303, 333, 667), (637, 667, None)]


@pytest.mark.parametrize(("frames", "jobs", "expected_chunks"), [(59, 2, 0), (120, 2, 2), (120, 4, 2), (10_000, 1, 0)],
                         ids=["shorter-than-two-chunks", "just-two", "capped-by-length", "one-job"])
def test_short_clips_and_one_job_are_not_split(frames, jobs, expected_chunks):
    assert len(_plan_chunks(frames, 30.0, jobs, 1.0, 2.0)) == expected_chunks


def _result(chunk: int, first: tuple[str, float] | None, after: tuple[str, float] | None,
            reached_stop: bool = True) -> ChunkResult:
    empty = np.empty(0)
    return ChunkResult(chunk, chunk * 10, empty, empty, empty, (0, 0), first, after, reached_stop)


def test_a_seek_that_lands_on_another_frame_is_caught_at_the_seam():
    good = [_result(0, ("a", 0.0), ("k", 333.0)), _result(1, ("k", 333.0), ("m", 666.0)),
            _result(2, ("m", 666.0), None)]
    assert _first_bad_seam(good) is None
    off_by_one = [good[0], _result(1, ("k2", 366.0), ("m", 666.0)), good[2]]
    assert _first_bad_seam(off_by_one) == 1


def test_replaying_container_positions_gives_the_capture_source_timestamps(tmp_path):
    path = tmp_path / "tiny.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 29.97, (64, 48))
    for value in range(40):
        writer.write(np.full((48, 64, 3), value * 5, np.uint8))
    writer.release()
    with open_source(path) as source:
        expected = [frame.timestamp_s for frame in source]
        fps = source.fps
    capture = cv2.VideoCapture(str(path))
    clock, recomputed = ContainerClock(fps), []
    while capture.read()[0]:
        recomputed.append(clock(capture.get(cv2.CAP_PROP_POS_MSEC)))
    capture.release()
    assert recomputed == expected


@needs_clip
def test_an_error_in_a_worker_reaches_the_caller_as_itself(tmp_path):
    with pytest.raises(ModelError, match="pose model not found"):
        landmark_video(CLIP, jobs=2, min_chunk_s=1.0, model_path=tmp_path / "missing.task")
