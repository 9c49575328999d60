"""Parallel landmarking gives the serial run's frames, timestamps, landmarks and summary, bit for bit.

The model tests landmark ``physioplus__bridging.mp4`` (91 frames, 640x480, 30 fps, one glute
bridge with a top hold) from the shared real clips, serially and in two worker processes, with
parts of at least 1 s (two parts: frames 0-45 and 46-90) so a 3 s clip splits.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from posecoach.analysis import analyze_video, analyze_video_in_chunks
from posecoach.errors import ModelError
from posecoach.parallel import (
    ChunkResult,
    ChunkTask,
    LandmarkedVideo,
    ProgressOnce,
    _first_bad_seam,
    _plan_chunks,
    _same_model_times,
    landmark_chunk,
    landmark_in_chunks,
    landmark_serial,
    landmark_video,
    part_starts,
)
from posecoach.pose import PoseEstimator
from posecoach.sources import ContainerClock, frame_brightness, open_source
from posecoach.trace import PoseTrace, PoseTraceBuilder
from tests.conftest import SHARED_VIDEOS

CLIP = SHARED_VIDEOS / "physioplus__bridging.mp4"
EXERCISE = "glute-bridge"
MIN_PART_S = 1.0
SECOND_PART = 46
"""round(91 / 2): where every run over the clip starts a fresh landmarker, with parts of 1 s."""

needs_clip = pytest.mark.skipif(not CLIP.exists(), reason=f"real clip not available: {CLIP} is absent "
                                "(../shared/videos sits beside the checkout)")


@pytest.fixture(scope="module")
def serial_trace() -> PoseTrace:
    return landmark_serial(CLIP, min_part_s=MIN_PART_S)


@pytest.fixture(scope="module")
def chunked() -> LandmarkedVideo:
    landmarked = landmark_in_chunks(CLIP, jobs=2, min_part_s=MIN_PART_S, brightness_every=10)
    assert landmarked is not None
    return landmarked


@pytest.mark.model
@needs_clip
def test_one_job_is_exactly_the_serial_path(serial_trace):
    trace = landmark_video(CLIP, jobs=1, min_part_s=MIN_PART_S)
    np.testing.assert_array_equal(trace.timestamps_s, serial_trace.timestamps_s)
    np.testing.assert_array_equal(trace.normalized, serial_trace.normalized)
    np.testing.assert_array_equal(trace.world, serial_trace.world)


@pytest.mark.model
@needs_clip
def test_two_jobs_give_the_serial_frames_timestamps_and_landmarks_bit_for_bit(serial_trace, chunked):
    trace = chunked.trace
    assert len(trace) == len(serial_trace) == 91
    assert (trace.width, trace.height, trace.fps) == (serial_trace.width, serial_trace.height, serial_trace.fps)
    np.testing.assert_array_equal(trace.timestamps_s, serial_trace.timestamps_s)
    np.testing.assert_array_equal(trace.normalized, serial_trace.normalized)
    np.testing.assert_array_equal(trace.world, serial_trace.world)
    assert chunked.serial_equivalent


@pytest.mark.model
@needs_clip
def test_a_landmarker_that_never_restarted_differs_after_the_part_start(serial_trace):
    """Why every run restarts at the parts: tracking carried over from the first part lands elsewhere
    than a fresh start, so a worker starting there could never match a run that did not restart."""
    with open_source(CLIP) as frames, PoseEstimator() as estimator:
        builder = PoseTraceBuilder(frames.name, frames.fps, frames.width, frames.height)
        for frame in frames:
            builder.add(frame.timestamp_s, estimator.estimate_raw(frame.image, frame.timestamp_s))
    unbroken = builder.build()
    np.testing.assert_array_equal(unbroken.normalized[:SECOND_PART], serial_trace.normalized[:SECOND_PART])
    assert not np.array_equal(unbroken.normalized[SECOND_PART], serial_trace.normalized[SECOND_PART])


@pytest.mark.model
@needs_clip
def test_chunks_sample_brightness_where_the_serial_analysis_does(chunked):
    with open_source(CLIP) as frames:
        expected = [frame_brightness(frame.image) for frame in frames if frame.index % 10 == 0]
    assert chunked.brightness == expected


@pytest.mark.model
@needs_clip
def test_a_chunked_analysis_is_the_serial_analysis(monkeypatch):
    monkeypatch.setattr("posecoach.parallel.MIN_PART_S", MIN_PART_S)
    serial = analyze_video(CLIP, EXERCISE).to_dict()
    assert serial["reps"]["total"] == 1
    assert analyze_video_in_chunks(CLIP, EXERCISE, jobs=2).to_dict() == serial


def test_a_second_pass_over_the_video_moves_the_progress_bar_only_past_the_first():
    shown: list[int] = []
    progress = ProgressOnce(shown.append)
    for frames in (8, 8, 5):  # two workers' messages, then the chunks are found unusable
        progress(frames)
    serial = progress.next_pass()
    for _ in range(30):
        serial(1)
    assert shown == [8, 8, 5, *[1] * 9]
    assert sum(shown) == 30


@pytest.mark.model
@needs_clip
def test_a_chunked_analysis_read_again_serially_counts_each_frame_once_in_progress(monkeypatch, chunked):
    """Chunks that cannot stand for the serial run (here: said so) are read again serially; the
    progress bar ends at the clip's frame count, not at the count plus what the chunks reported."""
    def unusable_chunks(*_args, on_frame, **_kwargs):
        on_frame(len(chunked.trace))
        return LandmarkedVideo(chunked.trace, chunked.brightness, serial_equivalent=False)

    monkeypatch.setattr("posecoach.parallel.landmark_in_chunks", unusable_chunks)
    shown: list[int] = []
    summary = analyze_video_in_chunks(CLIP, EXERCISE, jobs=2, on_frame=shown.append)
    assert sum(shown) == summary.frames == 91


@pytest.mark.model
@needs_clip
def test_decoding_and_skipping_lands_on_the_frames_seeking_does(chunked):
    with open_source(CLIP) as probe:
        fps = probe.fps
    restarts = (0, SECOND_PART)
    skipped = landmark_chunk(ChunkTask(1, str(CLIP), fps, SECOND_PART, None, restarts, False, None, False))
    np.testing.assert_array_equal(skipped.normalized, chunked.trace.normalized[SECOND_PART:])


@pytest.mark.parametrize(("frames", "fps", "expected"), [
    (59, 30.0, (0,)), (180, 30.0, (0, 90)), (359, 30.0, (0, 180)), (1000, 30.0, (0, 250, 500, 750)),
], ids=["under-two-parts", "two-parts", "not-yet-four", "four-parts"])
def test_parts_depend_on_the_clip_alone(frames, fps, expected):
    assert part_starts(frames, fps) == expected


@pytest.mark.parametrize(("jobs", "expected"), [
    (1, []), (2, [(0, 500), (500, None)]), (3, [(0, 250), (250, 750), (750, None)]),
    (8, [(0, 250), (250, 500), (500, 750), (750, None)]),
], ids=["one-job", "halves", "three-uneven", "more-jobs-than-parts"])
def test_chunks_are_runs_of_whole_parts(jobs, expected):
    assert _plan_chunks((0, 250, 500, 750), jobs) == expected


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


@pytest.mark.parametrize(("container_ms", "same"), [
    ([0.0, 33.3, 66.7, 100.0, 133.3, 166.7], True),
    ([0.0, 33.3, 66.7, 66.7, 100.0, 133.3], False),
], ids=["regular-clock", "repeated-time-at-the-seam"])
def test_workers_must_give_the_model_the_serial_runs_times(container_ms, same):
    """The second worker's reader starts its clock at frame 3; a repeated container time there makes the
    serial reader step half a frame where the worker's does not, so the chunks cannot stand for the serial run."""
    empty = np.empty(0)
    chunks = [ChunkResult(0, 0, np.array(container_ms[:3]), empty, empty, (0, 0)),
              ChunkResult(1, 3, np.array(container_ms[3:]), empty, empty, (0, 0))]
    assert _same_model_times(chunks, (0, 3), 30.0) is same


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
        landmark_video(CLIP, jobs=2, min_part_s=MIN_PART_S, model_path=tmp_path / "missing.task")
