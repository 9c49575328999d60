"""Movement breaks: posture from one pose, the sitting clock as a pure state machine over synthetic
sitting/standing sequences, frame sampling with a fake clock, and ``posecoach desk`` on a rendered
sit-stand-sit video."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from posecoach.cli import cli
from posecoach.cli.desk import Duration
from posecoach.desk import (
    BreakTaken,
    DeskConfig,
    DeskMonitor,
    Posture,
    Reminder,
    SatDown,
    classify_posture,
    sample_frames,
)
from posecoach.landmarks import PoseFrame
from posecoach.sources import Frame
from tests.support.trajectories import BodyAngles, pose_from_angles


def _in_view(pose: PoseFrame, lift_px: float = 60.0) -> PoseFrame:
    """The stick body stands low in its 640x480 frame; lift it so head and feet are both inside."""
    xyzv = pose.xyzv.copy()
    xyzv[:, 1] -= lift_px
    return replace(pose, xyzv=xyzv)


def _upper_body_only(pose: PoseFrame) -> PoseFrame:
    """A laptop camera's view: everything below the hips is out of the picture."""
    xyzv = pose.xyzv.copy()
    xyzv[:, 1] += 250
    return replace(pose, xyzv=xyzv)


CHAIR = BodyAngles(trunk_elevation=88, hip_left=90, hip_right=90, knee_left=90, knee_right=90)
POSES = [
    ("chair", _in_view(pose_from_angles(CHAIR, 0)), Posture.SITTING),
    ("chair-leaning-back", _in_view(pose_from_angles(replace(CHAIR, trunk_elevation=65), 0)), Posture.SITTING),
    ("chair-one-leg-stretched", _in_view(pose_from_angles(replace(CHAIR, knee_left=10), 0)), Posture.SITTING),
    ("standing", _in_view(pose_from_angles(BodyAngles(trunk_elevation=90), 0)), Posture.UP),
    ("standing-knee-lifted", _in_view(pose_from_angles(BodyAngles(trunk_elevation=90, hip_left=90, knee_left=90), 0)),
     Posture.UP),
    ("lying-on-the-floor", pose_from_angles(BodyAngles(trunk_elevation=0), 0), Posture.UP),
    ("laptop-close-up", _upper_body_only(_in_view(pose_from_angles(CHAIR, 0))), Posture.SITTING),
    ("nobody", None, Posture.AWAY),
    ("only-feet-in-view", _in_view(pose_from_angles(BodyAngles(trunk_elevation=90), 0), lift_px=400), Posture.AWAY),
]


@pytest.mark.parametrize(("pose", "expected"), [c[1:] for c in POSES], ids=[c[0] for c in POSES])
def test_posture_from_one_pose(pose: PoseFrame | None, expected: Posture) -> None:
    assert classify_posture(pose) is expected


S, U, A = Posture.SITTING, Posture.UP, Posture.AWAY
CONFIG = DeskConfig(sit_limit_s=40 * 60, break_s=60, remind_every_s=10 * 60)


def _run(postures: list[tuple[float, Posture]], config: DeskConfig = CONFIG) -> list[tuple[str, float]]:
    monitor = DeskMonitor(config)
    return [(type(e).__name__, e.t_s) for t, posture in postures for e in monitor.update(posture, t)]


def _every(start_s: float, end_s: float, posture: Posture, step_s: float = 5.0) -> list[tuple[float, Posture]]:
    return [(float(t), posture) for t in np.arange(start_s, end_s, step_s)]


SEQUENCES = [
    ("short-sit-no-reminder", _every(0, 30 * 60, S), [("SatDown", 0.0)]),
    ("reminded-at-40-min-then-every-10", _every(0, 61 * 60, S),
     [("SatDown", 0.0), ("Reminder", 2400.0), ("Reminder", 3000.0), ("Reminder", 3600.0)]),
    ("a-break-resets-the-clock", _every(0, 35 * 60, S) + _every(35 * 60, 37 * 60, U) + _every(37 * 60, 80 * 60, S),
     [("SatDown", 0.0), ("BreakTaken", 2160.0), ("SatDown", 2220.0), ("Reminder", 4620.0)]),
    ("a-short-stand-does-not-reset", _every(0, 30 * 60, S) + _every(30 * 60, 30 * 60 + 30, U)
     + _every(30 * 60 + 30, 41 * 60, S), [("SatDown", 0.0), ("Reminder", 2400.0)]),
    ("leaving-is-a-break-too", _every(0, 45 * 60, S) + _every(45 * 60, 50 * 60, A),
     [("SatDown", 0.0), ("Reminder", 2400.0), ("BreakTaken", 2760.0)]),
    ("a-gap-in-samples-is-a-break", _every(0, 20 * 60, S) + _every(60 * 60, 70 * 60, S),
     [("SatDown", 0.0), ("BreakTaken", 3600.0), ("SatDown", 3600.0)]),
    ("one-misread-sample-changes-nothing", [*_every(0, 20 * 60, S), (1200.0, U), *_every(1205, 41 * 60, S)],
     [("SatDown", 0.0), ("Reminder", 2400.0)]),
]


@pytest.mark.parametrize(("samples", "expected"), [c[1:] for c in SEQUENCES], ids=[c[0] for c in SEQUENCES])
def test_sitting_clock(samples: list[tuple[float, Posture]], expected: list[tuple[str, float]]) -> None:
    assert _run(samples) == expected


def test_break_reports_how_long_the_person_sat_and_how_often_they_were_reminded() -> None:
    monitor = DeskMonitor(CONFIG)
    events = [e for t, p in _every(0, 45 * 60, S) + _every(45 * 60, 47 * 60, U) for e in monitor.update(p, t)]
    brk = events[-1]
    assert isinstance(brk, BreakTaken) and brk.sitting_s == 45 * 60 and brk.reminded == 1
    assert isinstance(events[0], SatDown) and isinstance(events[1], Reminder)
    assert monitor.sitting_s(47 * 60) == 0 and monitor.breaks == 1


def _frames(count: int, fps: float) -> list[Frame]:
    return [Frame(i, i / fps, np.zeros((2, 2, 3), np.uint8)) for i in range(count)]


def test_a_file_is_sampled_on_its_own_timeline() -> None:
    picked = [f.timestamp_s for f in sample_frames(_frames(100, 10.0), 2.0, live=False)]
    assert picked == pytest.approx([0.0, 2.0, 4.0, 6.0, 8.0])


def test_a_camera_is_slept_between_samples_and_read_until_a_frame_is_fresh() -> None:
    """Buffered frames return instantly; the read that waits (most of a frame time) is the fresh one."""
    now = [0.0]
    slept: list[float] = []

    def camera() -> list[Frame]:
        for i in range(40):
            now[0] += 0.05 if i % 4 == 3 else 0.0  # three stale frames, then one the driver waits for
            yield Frame(i, now[0], np.zeros((2, 2, 3), np.uint8))

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    picked = [f.index for f in sample_frames(camera(), 5.0, live=True, fps=30.0, clock=lambda: now[0], sleep=sleep)]
    assert picked == [3, 7, 11, 15, 19, 23, 27, 31, 35, 39]
    assert all(s == pytest.approx(4.95) for s in slept)


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("40m", 2400), ("1h", 3600), ("1h30m", 5400),
                                                ("0.5s", 0.5)])
def test_duration_option(text: str, seconds: float) -> None:
    assert Duration().convert(text, None, None) == seconds


def test_a_duration_needs_a_unit() -> None:
    result = CliRunner().invoke(cli, ["desk", "--every", "5"])
    assert result.exit_code == 2
    assert "expected a duration like '40m', '90s', '1h' or '1h30m' (got '5')" in result.stderr


@pytest.mark.model
def test_desk_on_a_sit_stand_sit_video(tmp_path: Path) -> None:
    """Boat pose (seated, 18 s), standing march (16 s), boat pose again, sampled every second with a
    5 s limit: one reminder per sitting spell, and the standing part is a break."""
    parts = []
    for slug in ("boat-pose", "standing-march"):
        out = tmp_path / f"{slug}.mp4"
        subprocess.run([sys.executable, "-m", "posecoach", "synth", slug, "--size", "320x240", "--fps", "10",
                        "--no-joints", "-o", str(out)], check=True, capture_output=True)
        parts.append(out)
    day = tmp_path / "day.mp4"
    writer = None
    for part in (parts[0], parts[1], parts[0]):
        capture = cv2.VideoCapture(str(part))
        while True:
            ok, image = capture.read()
            if not ok:
                break
            if writer is None:
                writer = cv2.VideoWriter(str(day), cv2.VideoWriter_fourcc(*"mp4v"), 10, image.shape[1::-1])
            writer.write(image)
        capture.release()
    assert writer is not None
    writer.release()
    result = CliRunner().invoke(cli, ["desk", "--source", str(day), "--every", "1s", "--sit-limit", "5s",
                                      "--break", "3s", "--remind-every", "1m", "--no-voice", "--no-notify",
                                      "--format", "json"])
    assert result.exit_code == 0, result.output
    kinds = [line.split('"kind": "')[1].split('"')[0] for line in result.stdout.splitlines()]
    assert kinds == ["sat-down", "reminder", "break", "sat-down", "reminder"]
    assert "looks" in result.stderr and "% of one core" in result.stderr
