"""What the live loop prints is strict JSON and in time order; ``analyze`` JSON is strict JSON too.

Strict means what a browser's or Go's parser accepts: Python writes ``NaN`` and ``Infinity`` by
default, which they reject. The clip is 2 s of plain grey 320x240 frames: nobody in view, so no
rep is timed and the latency percentiles have nothing to measure.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from posecoach.cli.analyze import analyze
from posecoach.cli.live import live
from posecoach.events import FormWarning, HoldEnded, HoldStarted, PoseLost, RepCompleted
from posecoach.live_rate import LiveStats
from posecoach.sinks.console import EventPrinter, PrinterSink
from posecoach.summary import strict_json


def _refuse(token: str) -> float:
    raise ValueError(f"not strict JSON: {token}")


def strict_loads(text: str):
    return json.loads(text, parse_constant=_refuse)


@pytest.fixture
def grey_clip(tmp_path: Path) -> Path:
    """2 s of grey 320x240 frames at 15 fps (mjpg .avi: every OpenCV build writes it): nobody in view."""
    path = tmp_path / "grey.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 15.0, (320, 240))
    for _ in range(30):
        writer.write(np.full((240, 320, 3), 110, np.uint8))
    writer.release()
    return path


def test_live_stats_without_a_timed_rep_are_null_not_nan():
    stats = LiveStats()
    stats.add(0.0, 0.010, counted=False)
    data = strict_loads(strict_json({"live": stats.to_dict()}))
    assert data["live"]["rep_latency_ms_p50"] is None and data["live"]["rep_latency_ms_p95"] is None
    assert data["live"]["latency_ms_p50"] == pytest.approx(10.0)


def test_strict_json_turns_every_non_finite_number_into_null():
    data = {"a": float("nan"), "b": [1.0, float("inf"), {"c": -float("inf")}], "d": (2.5, float("nan"))}
    assert strict_loads(strict_json(data)) == {"a": None, "b": [1.0, None, {"c": None}], "d": [2.5, None]}


@pytest.mark.model
def test_live_json_lines_and_summary_are_strict_json_in_time_order(grey_clip: Path):
    result = CliRunner().invoke(live, ["-e", "plank", "--source", str(grey_clip), "--no-window", "--no-voice",
                                       "--format", "json", "--no-save", "--as-fast-as-possible"])
    assert result.exit_code == 0, result.output
    lines = [strict_loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    summary = lines[-1]
    assert summary["kind"] == "summary" and summary["live"]["reps_timed"] == 0
    assert summary["live"]["rep_latency_ms_p50"] is None
    times = [line["t_s"] for line in lines[:-1] if not line.get("late")]
    assert times == sorted(times)


@pytest.mark.model
def test_analyze_json_is_strict_json(grey_clip: Path):
    result = CliRunner().invoke(analyze, [str(grey_clip), "-e", "plank", "--format", "json", "--no-save"])
    assert result.exit_code == 0, result.output
    strict_loads(result.stdout)


def _printed_times(out: io.StringIO) -> list[tuple[float, bool]]:
    return [(line["t_s"], bool(line.get("late"))) for line in map(strict_loads, out.getvalue().splitlines())]


def test_event_lines_leave_in_time_order_when_the_engine_reports_late():
    out = io.StringIO()
    sink = PrinterSink(EventPrinter(out, as_json=True), reorder_s=1.5)
    # the 20.8 s warning of the issue, reported before a hold that started at 20.6 s
    sink.handle(FormWarning(20.8, "hips-sagging", "Lift your hips"))
    sink.advance(21.0)
    sink.handle(HoldStarted(20.6, None, 30.0))
    sink.advance(22.4)
    assert _printed_times(out) == [(20.6, False), (20.8, False)]
    sink.handle(RepCompleted(19.0, None, 1, 17.0, 18.0, 80.0, 80.0, 1.0, 1.0))  # later than the wait: marked
    sink.handle(PoseLost(23.0))
    sink.close(None, None)  # type: ignore[arg-type]
    assert _printed_times(out)[2:] == [(19.0, True), (23.0, False)]


def test_a_hold_that_did_not_count_says_so_in_the_event_lines():
    out = io.StringIO()
    printer = EventPrinter(out)
    printer(HoldEnded(5.0, None, 4.0, 1.0, 25.0, counted=False))
    printer(HoldEnded(9.0, None, 5.0, 4.0, 25.0))
    lines = out.getvalue().splitlines()
    assert lines[0].endswith("hold ended: 1.0 s of 25 s (not counted)")
    assert lines[1].endswith("hold ended: 4.0 s of 25 s")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 30), st.floats(0, 1.4)), max_size=40))
def test_events_reported_within_the_wait_always_print_in_time_order(reports):
    """Each event is reported ``lag`` ≤ the wait after its time, at stream times that only go forward."""
    out = io.StringIO()
    sink = PrinterSink(EventPrinter(out, as_json=True), reorder_s=1.5)
    for reported_at, t_s, _ in sorted((t + lag, t, lag) for t, lag in reports):
        sink.advance(reported_at)
        sink.handle(PoseLost(t_s))
    sink.close(None, None)  # type: ignore[arg-type]
    printed = _printed_times(out)
    assert len(printed) == len(reports) and not any(late for _, late in printed)
    assert [t for t, _ in printed] == sorted(t for t, _ in printed)


# ------------------------------------------------------------------ mirroring: cameras only


@pytest.fixture
def left_white_clip(tmp_path: Path) -> Path:
    """1 s of 320x240 frames at 15 fps, the left half white and the right half black (mjpg .avi)."""
    path = tmp_path / "left-white.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 15.0, (320, 240))
    image = np.zeros((240, 320, 3), np.uint8)
    image[:, :160] = 255
    for _ in range(15):
        writer.write(image)
    writer.release()
    return path


def _recorded_left_minus_right(clip: Path, tmp_path: Path, *extra: str) -> float:
    record = tmp_path / f"record{len(extra)}.mp4"
    result = CliRunner().invoke(live, ["-e", "plank", "--source", str(clip), "--no-window", "--no-voice",
                                       "--no-save", "--as-fast-as-possible", "--record", str(record), *extra])
    assert result.exit_code == 0, result.output
    capture = cv2.VideoCapture(str(record))
    capture.set(cv2.CAP_PROP_POS_FRAMES, 5)
    ok, frame = capture.read()
    capture.release()
    assert ok
    band = frame[100:140].astype(float)  # clear of the overlay's top and bottom banners
    return float(band[:, 20:140].mean() - band[:, 180:300].mean())


@pytest.mark.model
def test_a_file_source_is_recorded_as_filmed_unless_mirror_is_asked(left_white_clip: Path, tmp_path: Path):
    assert _recorded_left_minus_right(left_white_clip, tmp_path) > 100
    assert _recorded_left_minus_right(left_white_clip, tmp_path, "--mirror") < -100


def test_a_camera_is_mirrored_by_default_and_a_file_is_not():
    from posecoach.coach import Plan
    from posecoach.exercises import get_exercise
    from posecoach.live import LiveSession
    from posecoach.sources import FrameSource

    class Source(FrameSource):
        def __init__(self, is_live: bool) -> None:
            super().__init__()
            self.name, self.fps, self.is_live = "s", 30.0, is_live

        def __iter__(self):
            return iter(())

    exercise = get_exercise("plank")

    def built(is_live: bool, **kwargs) -> bool:
        return LiveSession(exercise, Source(is_live), None, Plan.for_exercise(exercise), handle_signals=False,
                           **kwargs).mirror

    assert built(True) and not built(False)
    assert built(False, mirror=True) and not built(True, mirror=False)
