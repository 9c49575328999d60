"""Rendering: tiny clips render, deterministically per seed, with hard conditions; the CLI writes both files."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from posecoach.cli import cli
from posecoach.cli.synth import synth
from posecoach.synth.clip import SynthClip, SynthSpec, synthesize, write_clip
from posecoach.synth.motions import SCRIPTS_BY_SLUG

TINY = (160, 120)
ConditionCheck = Callable[[list[np.ndarray], list[np.ndarray], SynthClip], bool]
"""(frames without the condition, frames with it, the clip with it) -> did the condition show?"""


def tiny_spec(slug: str = "lying-leg-raise", **overrides: object) -> SynthSpec:
    """A few seconds of one rep (or a short hold) at 160x120: enough for every check, fast enough for CI."""
    hold = SCRIPTS_BY_SLUG[slug].kind == "hold"
    options: dict[str, object] = {"reps": 1, "duration_scale": 0.15 if hold else 0.35, "size": TINY, "seed": 1}
    options.update(overrides)
    return SynthSpec(slug, **options)  # type: ignore[arg-type]


def frames_of(spec: SynthSpec, count: int | None = None) -> list[np.ndarray]:
    clip = synthesize(spec)
    frames = []
    for frame in clip.frames():
        frames.append(frame)
        if count is not None and len(frames) == count:
            break
    return frames


@pytest.mark.parametrize(
    ("slug", "view", "size"),
    [
        ("lying-leg-raise", "side", TINY),
        ("standing-march", "oblique", TINY),
        ("plank", "front", TINY),
        ("boat-pose", "side", (96, 160)),
    ],
    ids=["lying-side", "standing-oblique", "plank-front", "seated-portrait"],
)
def test_a_tiny_clip_renders_every_frame_at_the_requested_size(slug: str, view: str, size: tuple[int, int]) -> None:
    clip = synthesize(tiny_spec(slug, view=view, size=size))
    frames = list(clip.frames())
    assert len(frames) == clip.truth.frame_count
    assert all(frame.shape == (size[1], size[0], 3) and frame.dtype == np.uint8 for frame in frames)
    joints = clip.renderer.projected_joints()
    inside = (joints[..., 0] >= 0) & (joints[..., 0] < size[0]) & (joints[..., 1] >= 0) & (joints[..., 1] < size[1])
    assert inside.mean() > 0.97, "the whole person should be in the picture"


def test_the_same_seed_renders_the_same_pixels_and_another_seed_does_not() -> None:
    first = frames_of(tiny_spec(seed=5), 3)
    again = frames_of(tiny_spec(seed=5), 3)
    other = frames_of(tiny_spec(seed=6), 3)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[0], other[0])


def test_the_person_stands_out_from_the_empty_room() -> None:
    clip = synthesize(tiny_spec())
    frame = clip.renderer.render_frame(0)
    empty = cv2.resize(clip.renderer.background, TINY, interpolation=cv2.INTER_AREA)
    changed = np.abs(frame.astype(int) - empty.astype(int)).max(axis=2) > 25
    assert 0.03 < changed.mean() < 0.6


@pytest.mark.parametrize(
    ("condition", "check"),
    [
        ("dark", lambda plain, hard, clip: hard[0].mean() < 0.55 * plain[0].mean()),
        ("noise", lambda plain, hard, clip: np.std(hard[0].astype(float) - cv2.GaussianBlur(hard[0], (5, 5), 0))
         > 1.5 * np.std(plain[0].astype(float) - cv2.GaussianBlur(plain[0], (5, 5), 0))),
        ("blur", lambda plain, hard, clip: cv2.Laplacian(hard[0], cv2.CV_64F).var()
         < 0.6 * cv2.Laplacian(plain[0], cv2.CV_64F).var()),
        ("dropped-frames", lambda plain, hard, clip: any(np.array_equal(a, b) for a, b in itertools.pairwise(hard))
         and clip.truth.conditions),
        ("partly-out-of-frame", lambda plain, hard, clip: _outside_share(clip) > 0.1),
        ("second-person", lambda plain, hard, clip: clip.truth.conditions[0].end_s > clip.truth.conditions[0].start_s),
        ("ntsc-timebase", lambda plain, hard, clip: abs(clip.truth.fps - 29.97) < 0.01),
    ],
    ids=["dark", "noise", "blur", "dropped-frames", "partly-out-of-frame", "second-person", "ntsc-timebase"],
)
def test_hard_conditions_change_the_video_and_are_recorded(condition: str, check: ConditionCheck) -> None:
    spec = tiny_spec(duration_scale=0.6, reps=2)
    plain = frames_of(spec, 70)
    hard_spec = tiny_spec(duration_scale=0.6, reps=2, conditions=[condition])
    clip = synthesize(hard_spec)
    hard = frames_of(hard_spec, 70)
    assert [c.code for c in clip.truth.conditions][:1] == [condition]
    assert check(plain, hard, clip)


def _outside_share(clip: SynthClip) -> float:
    joints = clip.renderer.projected_joints()
    width, height = clip.spec.size
    outside = (joints[..., 0] < 0) | (joints[..., 0] >= width) | (joints[..., 1] < 0) | (joints[..., 1] >= height)
    return float(outside.mean())


def test_write_clip_writes_a_readable_video_its_truth_and_its_joints(tmp_path: Path) -> None:
    output = tmp_path / "clip.mp4"
    truth = write_clip(tiny_spec(), output)
    video = cv2.VideoCapture(str(output))
    try:
        assert int(video.get(cv2.CAP_PROP_FRAME_COUNT)) == truth.frame_count
        assert video.get(cv2.CAP_PROP_FPS) == pytest.approx(30.0, abs=0.01)
        assert (video.get(cv2.CAP_PROP_FRAME_WIDTH), video.get(cv2.CAP_PROP_FRAME_HEIGHT)) == TINY
    finally:
        video.release()
    saved = json.loads((tmp_path / "clip.truth.json").read_text())
    assert saved["video"] == "clip.mp4" and saved["joints"] == "clip.joints.npz"
    joints = np.load(tmp_path / "clip.joints.npz")
    assert joints["image"].shape == (truth.frame_count, 33, 3)
    assert not list(tmp_path.glob("*.partial*"))


def test_the_cli_writes_video_and_truth_and_refuses_to_overwrite(tmp_path: Path) -> None:
    output = tmp_path / "leg.mp4"
    args = ["lying-leg-raise", "--reps", "1", "--duration-scale", "0.35", "--size", "160x120", "-o", str(output)]
    runner = CliRunner()
    first = runner.invoke(synth, args)
    assert first.exit_code == 0, first.output
    assert output.exists() and (tmp_path / "leg.truth.json").exists()
    before = output.stat().st_mtime_ns
    again = runner.invoke(cli, ["synth", *args])
    assert again.exit_code == 1, "an existing output is exit 1, as in every other command"
    assert f"Error: '{output}' already exists; pass --force to overwrite it" in again.output
    assert output.stat().st_mtime_ns == before
    forced = runner.invoke(synth, [*args, "--force", "--seed", "4"])
    assert forced.exit_code == 0, forced.output
    assert json.loads((tmp_path / "leg.truth.json").read_text())["seed"] == 4


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--size", "640by480"], "expected WIDTHxHEIGHT"),
        (["--size", "641x480"], "must be even"),
        (["--conditions", "fog"], "unknown condition 'fog'. Valid conditions: noise, blur, dark"),
        (["--faults", "hip-sag"], "lying-leg-raise cannot show hip-sag"),
        (["--view", "top"], "Invalid value for '--view'"),
        (["--reps", "0"], "Invalid value for '--reps'"),
    ],
    ids=["size-format", "odd-size", "unknown-condition", "fault-not-possible", "unknown-view", "zero-reps"],
)
def test_bad_options_are_usage_errors_that_say_what_is_valid(tmp_path: Path, extra: list[str], message: str) -> None:
    result = CliRunner().invoke(synth, ["lying-leg-raise", "-o", str(tmp_path / "x.mp4"), *extra])
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "x.mp4").exists()


def test_every_exercise_and_option_has_help() -> None:
    result = CliRunner().invoke(synth, ["--help"])
    assert result.exit_code == 0
    for text in ("EXERCISE", "--faults", "--conditions", "--seed", "--size", "--duration-scale", "--force"):
        assert text in result.output


@pytest.mark.model
def test_mediapipe_finds_the_rendered_person_in_nearly_every_frame() -> None:
    """End to end: ~2 s of a side-view lying leg raise at 320x240 through the real pose model."""
    from posecoach.pose import PoseEstimator

    clip = synthesize(SynthSpec("lying-leg-raise", reps=1, duration_scale=0.4, size=(320, 240), seed=11,
                                view="side"))
    found = 0
    frames = 0
    with PoseEstimator() as estimator:
        for index, frame in enumerate(clip.frames()):
            found += estimator.estimate(frame, index / clip.truth.fps) is not None
            frames += 1
    assert frames >= 50
    assert found / frames >= 0.9
