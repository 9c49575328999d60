"""One synthetic clip end to end: a spec in, a video, its truth and (optionally) its true joints out."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from posecoach.outputs import PendingOutput, write_file
from posecoach.sinks.recorder import fourcc
from posecoach.synth.motions import FaultRequest, Motion, SynthOptionError, build_motion
from posecoach.synth.render import CONDITIONS, NTSC_FPS, VIEWS, ClipRenderer, RenderOptions
from posecoach.synth.truth import ClipTruth

Progress = Callable[[int, int], None]
"""Called as ``progress(frames_done, frame_count)``."""


@dataclass(frozen=True)
class SynthSpec:
    """Everything that decides a clip; the same spec renders the same pixels and truth."""

    exercise: str
    reps: int | None = None
    """Reps per side (holds, for a hold exercise); None = the script's default."""
    view: str = "side"
    faults: Sequence[str] = ()
    """Fault codes, optionally on chosen reps: ``"back-lift@2"``."""
    conditions: Sequence[str] = ()
    seed: int = 0
    fps: float = 30.0
    size: tuple[int, int] = (640, 480)
    duration_scale: float = 1.0
    mirrored: bool | None = None
    first_side: str | None = None
    """``"l"`` or ``"r"``: the side that starts; None = from the seed."""
    sides: str | None = None
    """``"alternating"`` or ``"blocked"`` for one-sided exercises; None = the exercise's usual order."""
    range_scale: float = 1.0
    """Every rep's range of motion, as a fraction of the exercise's full range."""
    supersample: int = 2
    hold_s: float | None = None
    """A hold exercise's hold target in seconds; None = the script's, times ``duration_scale``."""
    lead_in: str = "idle"
    """Before the first rep: ``idle``, ``fidget`` or ``get-down`` (from sitting/kneeling upright)."""
    lead_in_s: float = 0.0
    tail: str = "idle"
    """After the last rep: ``idle``, ``fidget`` or ``get-up``."""
    tail_s: float = 0.0
    azimuth_deg: float | None = None
    """Camera azimuth (0 = from +x: a standing person's front, a supine person's feet); None = from the view."""
    elevation_deg: float | None = None
    fill: float | None = None
    """Share of the frame the clip's whole motion fills; None = seeded (0.62-0.82)."""
    shape: tuple[tuple[str, float], ...] = ()
    """``BodyShape`` fields to set (height_m, girth, thigh...); the rest seeded."""
    variation: tuple[tuple[str, object], ...] = ()
    """Labels copied into the truth's ``variation`` (what a randomised suite chose), not used to render."""

    @property
    def effective_fps(self) -> float:
        return NTSC_FPS if "ntsc-timebase" in self.conditions else self.fps


@dataclass
class SynthClip:
    """A spec made concrete: the motion, the renderer and the truth, before any pixel is written."""

    spec: SynthSpec
    motion: Motion
    renderer: ClipRenderer
    truth: ClipTruth

    def frames(self) -> Iterator[np.ndarray]:
        return self.renderer.frames()


def synthesize(spec: SynthSpec) -> SynthClip:
    """Script the motion, pose the body, place camera and room; raises SynthOptionError on bad options."""
    if spec.view not in VIEWS:
        raise SynthOptionError(f"unknown view '{spec.view}'. Valid views: {', '.join(VIEWS)}")
    unknown = sorted(set(spec.conditions) - set(CONDITIONS))
    if unknown:
        raise SynthOptionError(f"unknown condition {', '.join(unknown)}. Valid conditions: {', '.join(CONDITIONS)}")
    width, height = spec.size
    if width < 32 or height < 32 or width % 2 or height % 2:
        raise SynthOptionError(f"bad size {width}x{height}: use even numbers of at least 32 (e.g. 640x480)")
    if spec.fps <= 0 or spec.fps > 240:
        raise SynthOptionError(f"bad fps {spec.fps}: use a rate between 1 and 240 (e.g. 30)")
    faults = [FaultRequest.parse(text) for text in spec.faults]
    motion = build_motion(spec.exercise, reps=spec.reps, faults=faults, fps=spec.effective_fps,
                          duration_scale=spec.duration_scale, seed=spec.seed, first_side=spec.first_side,
                          sides=spec.sides, range_scale=spec.range_scale, hold_s=spec.hold_s,  # type: ignore[arg-type]
                          lead_in=spec.lead_in, lead_in_s=spec.lead_in_s, tail=spec.tail, tail_s=spec.tail_s)
    renderer = ClipRenderer(motion, RenderOptions(spec.size, spec.view, frozenset(spec.conditions), spec.seed,
                                                  spec.supersample, spec.mirrored, spec.azimuth_deg,
                                                  spec.elevation_deg, spec.fill, tuple(spec.shape)))
    truth = ClipTruth(
        exercise=spec.exercise, kind=motion.script.kind, fps=motion.fps, frame_count=motion.frame_count,
        size=spec.size, seed=spec.seed, camera=renderer.camera_truth(), reps=motion.reps, holds=motion.holds,
        faults=motion.faults, conditions=renderer.condition_truths(), variation=dict(spec.variation),
    )
    return SynthClip(spec, motion, renderer, truth)


def truth_path_for(video: Path) -> Path:
    """``clip.mp4`` → ``clip.truth.json``."""
    return video.with_name(video.stem + ".truth.json")


def joints_path_for(video: Path) -> Path:
    """``clip.mp4`` → ``clip.joints.npz``."""
    return video.with_name(video.stem + ".joints.npz")


def write_clip(spec: SynthSpec | SynthClip, output: Path, *, progress: Progress | None = None,
               write_joints: bool = True) -> ClipTruth:
    """Render a spec (or an already synthesized clip) to ``output`` (mp4, 'mp4v'), with
    ``<stem>.truth.json`` (and ``<stem>.joints.npz``) beside it.

    Replaces existing regular files (refusing is the caller's job); every file goes through
    :mod:`posecoach.outputs`, so an interrupted render never leaves a video that looks complete.
    """
    output = Path(output)
    clip = spec if isinstance(spec, SynthClip) else synthesize(spec)
    width, height = clip.spec.size
    total = clip.motion.frame_count
    with PendingOutput(output, force=True) as pending:  # a temporary file, renamed once complete
        writer = cv2.VideoWriter(pending.opencv_name, fourcc(output), clip.motion.fps, (width, height))
        if not writer.isOpened():
            raise OSError(f"cannot write video '{output}': OpenCV's mp4v writer did not open it")
        try:
            for done, frame in enumerate(clip.frames(), start=1):
                writer.write(frame)
                if progress is not None:
                    progress(done, total)
        finally:
            writer.release()
    truth = clip.truth
    truth.video = output.name
    if write_joints:
        joints = joints_path_for(output)
        buffer = io.BytesIO()
        np.savez_compressed(buffer, image=clip.renderer.projected_joints().astype(np.float32),
                            world=clip.renderer.body.landmarks()[clip.renderer.source_index].astype(np.float32),
                            times=np.arange(total) / clip.motion.fps)
        write_file(joints, buffer.getvalue(), force=True)
        truth.joints = joints.name
    write_file(truth_path_for(output), (json.dumps(truth.to_dict(), indent=2) + "\n").encode("utf-8"), force=True)
    return truth
