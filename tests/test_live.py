"""The live loop without a camera: frames come through the same capture path from a fake or real video.

Synthetic sources and a scripted estimator make the loop's own behaviour exact (drops, timestamps,
endings, sinks); real clips check that live counts equal ``analyze`` (needs ../shared/videos and
the pose model); the window is shown for real under Xvfb and read back from the screen.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from posecoach.analysis import analyze_video, replay
from posecoach.capture import FrameGrabber, Pacing, open_live_source
from posecoach.cli.live import live
from posecoach.coach import Command, Plan
from posecoach.errors import SourceError
from posecoach.events import Event, SetCompleted
from posecoach.exercises import get_exercise
from posecoach.live import LiveSession, StopReason
from posecoach.live_rate import LiveStats, RateWatch
from posecoach.sinks import overlay
from posecoach.sinks.window import WindowSink
from posecoach.sources import Frame, FrameSource
from posecoach.summary import SessionSummary
from tests.support.display import screenshot
from tests.support.trajectories import BodyAngles, pose_from_angles, reps_signal

FPS = 30.0
STARTS = [1.0, 3.5, 6.0, 8.5, 11.0]


def leg_raise_angles(t: float) -> BodyAngles:
    hip = 80.0 * reps_signal(t, STARTS, 0.8, 0.2)
    return replace(BodyAngles(), hip_left=hip, hip_right=hip)


class FakeSource(FrameSource):
    """Grey 640x480 frames at 30 fps; optionally advances a fake clock, paces itself or fails."""

    def __init__(self, seconds: float = 13.0, *, is_live: bool = False, clock: FakeClock | None = None,
                 pace_s: float = 0.0, fail_after: int | None = None, on_frame=None, size=(480, 640)) -> None:
        super().__init__()
        self.name, self.fps, self.is_live = "fake", FPS, is_live
        self.count = round(seconds * FPS)
        self.clock, self.pace_s, self.fail_after, self.on_frame = clock, pace_s, fail_after, on_frame
        self.image = np.full((*size, 3), 110, dtype=np.uint8)

    def __iter__(self) -> Iterator[Frame]:
        for i in range(self.count):
            if self.fail_after is not None and i == self.fail_after:
                raise OSError("camera unplugged")
            if self.clock is not None:
                self.clock.now = i / FPS
            if self.pace_s:
                time.sleep(self.pace_s)
            if self.on_frame is not None:
                self.on_frame(i)
            self.stats.frames_read += 1
            yield Frame(i, i / FPS, self.image)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class ScriptedEstimator:
    """Poses from the leg-raise script at whatever time the loop asks for; ``cost_s`` of real work."""

    def __init__(self, cost_s: float = 0.0) -> None:
        self.cost_s = cost_s
        self.times: list[float] = []
        self.sizes: set[tuple[int, int]] = set()

    def estimate(self, image: np.ndarray, t: float):
        self.times.append(t)
        self.sizes.add(image.shape[:2])
        if self.cost_s:
            time.sleep(self.cost_s)
        return pose_from_angles(leg_raise_angles(t), t)


class ListSink:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.closed: tuple[SessionSummary, str] | None = None

    def handle(self, event: Event) -> None:
        self.events.append(event)

    def close(self, summary: SessionSummary, status: str) -> None:
        self.closed = (summary, status)


def session(source: FrameSource, estimator=None, *, pacing: Pacing | None = None, sinks=(), **kwargs) -> LiveSession:
    exercise = get_exercise("lying-leg-raise")
    plan = Plan.for_exercise(exercise, reps=3, sets=2, rest_s=1.0, get_ready_s=0.5)
    return LiveSession(exercise, source, estimator or ScriptedEstimator(), plan, pacing=pacing, sinks=sinks,
                       handle_signals=False, **kwargs)


# ------------------------------------------------------------------ the capture stage


def test_fast_pacing_keeps_every_frame_with_the_files_timestamps():
    grabber = FrameGrabber(FakeSource(2.0), Pacing.FAST).start()
    got = []
    while not grabber.finished:
        item = grabber.get(0.5)
        if item is not None:
            got.append(item.t_s)
            time.sleep(0.001)
    assert got == [i / FPS for i in range(60)] and grabber.dropped == 0


def test_live_pacing_keeps_only_the_newest_frame_stamped_by_the_clock():
    clock = FakeClock()
    grabber = FrameGrabber(FakeSource(2.0, is_live=True, clock=clock, pace_s=0.002), Pacing.LIVE,
                           clock=clock).start()
    got = []
    while not grabber.finished:
        item = grabber.get(0.5)
        if item is not None:
            got.append(item)
            time.sleep(0.01)
    assert grabber.dropped > 20 and len(got) + grabber.dropped == 60
    assert all(b.t_s > a.t_s for a, b in pairwise(got))
    assert all(item.t_s == pytest.approx(item.frame.index / FPS) for item in got)


def test_realtime_pacing_waits_for_each_frame_on_the_injected_clock():
    clock = FakeClock()
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.now += seconds

    grabber = FrameGrabber(FakeSource(1.0), Pacing.REALTIME, clock=clock, sleep=sleep).start()
    while not grabber.finished:
        grabber.get(0.5)
    assert len(waits) == 29 and sum(waits) == pytest.approx(29 / FPS)


def test_stats_report_percentiles_and_processed_fps():
    stats = LiveStats()
    for i in range(101):
        stats.add(i * 0.05, i * 0.05 + 0.010 + (0.01 if i % 20 == 0 else 0.0), counted=i % 50 == 0)
    d = stats.to_dict()
    assert d["processed_fps"] == pytest.approx(20.0)
    assert d["latency_ms_p50"] == pytest.approx(10.0) and d["latency_ms_p95"] == pytest.approx(20.0, abs=0.5)
    assert d["reps_timed"] == 3 and "p95" in stats.describe()


# ------------------------------------------------------------------ the loop


def test_fast_file_counts_exactly_like_offline_replay_and_fills_sets():
    sink = ListSink()
    result = session(FakeSource(13.0), pacing=Pacing.FAST, sinks=[sink]).run()
    offline = replay(((i / FPS, pose_from_angles(leg_raise_angles(i / FPS), i / FPS)) for i in range(390)),
                     "lying-leg-raise", fps=FPS)
    assert result.reason is StopReason.END and not result.summary.partial
    assert result.summary.rep_counts() == offline.rep_counts() == {"total": 5, "left": 0, "right": 0}
    sets = [e for e in sink.events if isinstance(e, SetCompleted)]
    assert [(s.set_index, s.reps) for s in sets] == [(1, 3)]
    assert result.coach.set_index == 2 and result.coach.count("both") == 2
    assert sink.closed is not None and sink.closed[1] == "complete"
    assert any(n.startswith("live: processed") for n in result.summary.notes)
    assert not any("too slow" in n for n in result.summary.notes)


def test_a_slow_pose_stage_drops_stale_frames_but_still_counts_every_rep():
    clock = FakeClock()
    estimator = ScriptedEstimator(cost_s=0.004)
    result = session(FakeSource(13.0, is_live=True, clock=clock, pace_s=0.002), estimator, clock=clock).run()
    assert result.stats.frames_dropped > 50
    assert result.summary.rep_counts()["total"] == 5
    assert result.reason is StopReason.SOURCE_FAILED  # a camera that stops sending frames has failed


class BlindWindow:
    """Stands in for the window: shows nothing, no keys pressed."""

    closed_by_user = False

    def show(self, image: np.ndarray) -> None:
        pass

    def poll(self) -> None:
        return None

    def close(self) -> None:
        pass


def test_too_slow_to_count_is_said_on_screen_on_the_console_and_in_the_notes():
    """A pose stage ten times slower than the camera: about 3 frames/s analysed, under the 8 a leg raise needs."""
    clock = FakeClock()
    banners: list[str] = []
    prompts: list[str] = []

    def remember_banners(image, pose, snapshot, exercise, coach, **kwargs):
        if coach.banner is not None:
            banners.append(coach.banner.text)
        return image

    result = session(FakeSource(13.0, is_live=True, clock=clock, pace_s=0.002), ScriptedEstimator(cost_s=0.02),
                     clock=clock, window=BlindWindow(), renderer=remember_banners, prompt=prompts.append,
                     skip_setup=True).run()
    assert any(text.startswith("Too slow to count") for text in banners)
    assert any(text.startswith("Too slow to count") for text in prompts)
    note = next(n for n in result.summary.notes if n.startswith("too slow to count reliably"))
    assert "needs 8" in note and "counts may be low" in note


def test_drawing_runs_beside_the_analysis_and_never_slows_it():
    """A renderer taking 20 ms a frame (a big frame drawn and shown) used to cap the analysis at 50
    frames a second of wall time; now the analysis takes frames as they come and the display draws the newest."""
    clock = FakeClock()
    estimator = ScriptedEstimator()
    drawn_on: list[str] = []

    def slow_renderer(image, pose, snapshot, exercise, coach, **kwargs):
        drawn_on.append(threading.current_thread().name)
        time.sleep(0.02)
        return image

    result = session(FakeSource(6.0, is_live=True, clock=clock, pace_s=0.002), estimator, clock=clock,
                     window=BlindWindow(), renderer=slow_renderer, skip_setup=True).run()
    assert set(drawn_on) == {threading.current_thread().name}, "the window must be drawn on the main thread"
    assert len(estimator.times) > 3 * len(drawn_on) and result.summary.rep_counts()["total"] == 2


def test_the_rate_watch_judges_a_whole_window_and_starts_again_after_a_pause():
    watch = RateWatch(needed_fps=8.0)
    assert [watch.add(i / 30) for i in range(300)] == [None] * 300
    slow = [watch.add(10 + i / 2) for i in range(20)]
    assert slow[0] is None and min(r for r in slow if r is not None) == pytest.approx(2.0)
    # the fast frames before 10 s keep the rate up until they leave the window, at about 12.5 s
    assert watch.slow_s == pytest.approx(7.0, abs=1.0) and watch.lowest_fps == pytest.approx(2.0)
    assert "needs 8" in watch.note(get_exercise("lying-leg-raise"))
    watch.restart()
    assert watch.add(30.0) is None and watch.add(31.0) is None


def test_a_dip_under_a_second_is_shown_but_leaves_no_note():
    watch = RateWatch(needed_fps=8.0)
    times = [i / 5 for i in range(18)] + [3.4 + i / 30 for i in range(90)]  # 5/s until 3.4 s, then 30/s
    rates = [watch.add(t) for t in times]
    assert any(rate is not None for rate in rates) and watch.note(get_exercise("lying-leg-raise")) is None


def test_a_live_source_is_downscaled_once_before_the_model_and_a_fast_file_is_not():
    """A phone's 1080x1920 frames reach the model (and the drawing) at most 960 high; 'as fast as
    possible' keeps the original, so its counts stay exactly analyze's."""
    clock = FakeClock()
    live_estimator, fast_estimator = ScriptedEstimator(), ScriptedEstimator()
    session(FakeSource(1.0, is_live=True, clock=clock, size=(1920, 1080)), live_estimator, clock=clock).run()
    session(FakeSource(1.0, size=(1920, 1080)), fast_estimator, pacing=Pacing.FAST).run()
    assert live_estimator.sizes == {(960, 540)} and fast_estimator.sizes == {(1920, 1080)}


def test_camera_failing_mid_session_keeps_the_summary_flagged_partial():
    sink = ListSink()
    result = session(FakeSource(13.0, fail_after=200), pacing=Pacing.FAST, sinks=[sink]).run()
    assert result.reason is StopReason.SOURCE_FAILED and result.summary.partial
    assert "camera unplugged" in result.summary.notes[0]
    assert result.summary.rep_counts()["total"] == 2
    assert sink.closed is not None and sink.closed[1] == "partial"


def test_sigterm_ends_the_session_cleanly_with_sinks_flushed():
    sink = ListSink()

    def terminate(index: int) -> None:
        if index == 150:
            os.kill(os.getpid(), signal.SIGTERM)

    exercise = get_exercise("lying-leg-raise")
    loop = LiveSession(exercise, FakeSource(13.0, on_frame=terminate, pace_s=0.001), ScriptedEstimator(),
                       Plan.for_exercise(exercise), pacing=Pacing.FAST, sinks=[sink])
    previous = signal.getsignal(signal.SIGTERM)
    result = loop.run()
    assert signal.getsignal(signal.SIGTERM) is previous
    assert result.reason is StopReason.TERMINATED and result.summary.partial
    assert sink.closed is not None and sink.closed[1] == "interrupted"
    assert 1 <= result.summary.rep_counts()["total"] <= 2


def test_missing_camera_error_names_what_to_do():
    with pytest.raises(SourceError, match=r"cannot open camera 7.*(Cameras that open here|no camera opens here)"):
        open_live_source(camera=7)


# ------------------------------------------------------------------ the command line


@pytest.mark.parametrize(("args", "message"), [
    (["-e", "plank", "--camera", "0", "--source", "x.mp4"], "either --camera or --source"),
    (["-e", "plank", "--reps", "-3"], "-3 is not in the range"),
    (["-e", "plank", "--rest", "-1"], "not in the range"),
    (["-e", "nope"], "'nope' is not one of"),
], ids=["camera-and-source", "negative-reps", "negative-rest", "unknown-exercise"])
def test_cli_rejects_bad_usage(args, message):
    result = CliRunner().invoke(live, [*args, "--no-window"])
    assert result.exit_code == 2 and message in result.output


def test_cli_hold_on_an_exercise_without_holds_is_an_error(monkeypatch):
    result = CliRunner().invoke(live, ["-e", "glute-bridge", "--hold", "5", "--no-window", "--no-save"])
    assert result.exit_code != 0 and "has no hold" in str(result.exception)


def test_cli_window_without_a_display_says_to_use_no_window(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    result = CliRunner().invoke(live, ["-e", "plank", "--source", "x.mp4"])
    assert "--no-window" in str(result.exception)


def test_cli_has_help():
    result = CliRunner().invoke(live, ["--help"])
    assert result.exit_code == 0 and "--as-fast-as-possible" in result.output
    assert "--big-type / --compact" in result.output


# ------------------------------------------------------------------ real clips through the real model


def _live_counts(clip: Path, slug: str, tmp_path: Path, *extra: str) -> dict:
    import json

    result = CliRunner().invoke(live, ["-e", slug, "--source", str(clip), "--no-window", "--no-voice",
                                       "--format", "json", "--db", str(tmp_path / "h.db"), *extra])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return lines[-1]


@pytest.mark.model
@pytest.mark.real_clips
def test_live_as_fast_as_possible_counts_equal_analyze_on_a_real_clip(shared_videos, tmp_path):
    clip = shared_videos / "physioplus__bridging.mp4"
    summary = _live_counts(clip, "glute-bridge", tmp_path, "--as-fast-as-possible", "--patient", "Ann Lee")
    assert summary["patient"] == "Ann Lee"
    assert summary["target"] is not None, "a live session runs a plan: that is its prescription"
    offline = analyze_video(clip, "glute-bridge")
    assert summary["reps"] == offline.rep_counts()
    assert summary["frames"] == offline.frames and summary["live"]["frames_dropped"] == 0
    from posecoach.sinks.history import HistoryStore

    with HistoryStore(tmp_path / "h.db") as store:
        saved = store.sessions()
    assert len(saved) == 1
    assert saved[0].patient == "Ann Lee"


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.real_clips
def test_live_counts_equal_analyze_on_the_fizik_bridge(shared_videos, tmp_path, analysed_once):
    clip = shared_videos / "fizik__bridge.mp4"
    summary = _live_counts(clip, "glute-bridge", tmp_path, "--as-fast-as-possible", "--no-save")
    assert summary["reps"] == analysed_once(clip, "glute-bridge").rep_counts()


# ------------------------------------------------------------------ the window, for real, under Xvfb


def test_window_shows_the_overlay_on_screen(xvfb_display):
    shots: list[np.ndarray] = []

    def shows_the_frame(shot: np.ndarray) -> bool:
        return bool((np.abs(shot.astype(int) - 110) <= 3).all(axis=2).any())

    def render_and_capture(image, pose, snapshot, exercise, coach, **kwargs):
        # Grab the screen on the frames after the first rep until the window has been painted:
        # under load the X server may not have drawn the previous frame yet.
        if coach.count("both") >= 1 and len(shots) < 30 and not any(map(shows_the_frame, shots)):
            shots.append(screenshot(xvfb_display))
        return overlay.render(image, pose, snapshot, exercise, coach, **kwargs)

    window = WindowSink("posecoach test")
    # Frames at twice real time, not as fast as possible: the window shows the newest frame when it
    # is free, and a session over in a third of a second painted three frames, none after the reps.
    result = session(FakeSource(6.0, pace_s=0.5 / FPS), pacing=Pacing.FAST, window=window,
                     renderer=render_and_capture, skip_setup=True).run()
    assert result.summary.rep_counts()["total"] == 2 and shots
    screen = next((shot for shot in shots if shows_the_frame(shot)), shots[-1])
    on_screen = (np.abs(screen.astype(int) - 110) > 12).any(axis=2)
    ys, xs = np.where((np.abs(screen.astype(int) - 110) <= 3).all(axis=2))
    assert ys.size, "the grey video frame is not on screen"
    top, left = ys.min(), xs.min()
    counter = screen[top:top + 140, left:left + 200]
    assert (np.abs(counter.astype(int) - 255) <= 30).all(axis=2).mean() > 0.02, "no counter digits"
    magenta = (np.abs(screen.astype(int) - np.array(overlay.TRACKED)) <= 40).all(axis=2)
    assert magenta.sum() > 200, "tracked joints not drawn"
    assert on_screen.mean() > 0.01


class PauseKeys:
    """Presses space once the loop has analysed ``at_s`` of the video, and again ``for_s`` later (wall time)."""

    def __init__(self, estimator: ScriptedEstimator, at_s: float, for_s: float) -> None:
        self.estimator, self.at_s, self.for_s = estimator, at_s, for_s
        self.paused_at: float | None = None
        self.presses = 0

    def poll(self) -> Command | None:
        if self.presses == 0 and self.estimator.times and self.estimator.times[-1] >= self.at_s:
            self.presses, self.paused_at = 1, time.monotonic()
            return Command.PAUSE
        if self.presses == 1 and self.paused_at is not None and time.monotonic() - self.paused_at >= self.for_s:
            self.presses = 2
            return Command.PAUSE
        return None

    def close(self) -> None:
        pass


def test_pausing_a_file_stops_it_and_keeps_the_videos_own_times():
    """A 3 s file played in real time, paused for 0.8 s at 1 s: it resumes where it stopped, every time the
    engine sees is the file's own, and the session lasts 3 s, not 3.8 s."""
    estimator = ScriptedEstimator()
    keys = PauseKeys(estimator, at_s=1.0, for_s=0.8)
    result = session(FakeSource(3.0), estimator, pacing=Pacing.REALTIME, keys=keys, skip_setup=True).run()
    assert keys.presses == 2 and result.reason is StopReason.END
    assert all(t * FPS == pytest.approx(round(t * FPS)) for t in estimator.times), "not the file's timestamps"
    assert max(np.diff(estimator.times)) < 0.3, "the file ran on while paused"
    assert result.summary.duration_s == pytest.approx(3.0, abs=0.05)
