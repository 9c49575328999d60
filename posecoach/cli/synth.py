"""``posecoach synth``: render a synthetic exercise video with its exact ground truth beside it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from posecoach.errors import OutputError
from posecoach.synth.clip import SynthSpec, joints_path_for, synthesize, truth_path_for, write_clip
from posecoach.synth.motions import EXERCISES, FAULT_CODES, SynthOptionError
from posecoach.synth.render import CONDITIONS, VIEWS
from posecoach.terminal import echo


def _split(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str, ...]:
    return tuple(item.strip() for item in (value or "").split(",") if item.strip())


def _conditions(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str, ...]:
    items = _split(ctx, param, value)
    unknown = [item for item in items if item not in CONDITIONS]
    if unknown:
        raise click.BadParameter(f"unknown condition '{unknown[0]}'. Valid conditions: {', '.join(CONDITIONS)}")
    return items


def _size(ctx: click.Context, param: click.Parameter, value: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in value.lower().split("x"))
    except ValueError:
        raise click.BadParameter(f"expected WIDTHxHEIGHT (e.g. '640x480' or '480x640' for portrait), got '{value}'"
                                 ) from None
    if width < 32 or height < 32 or width % 2 or height % 2:
        raise click.BadParameter(f"'{value}': width and height must be even and at least 32 (e.g. '640x480')")
    return width, height


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("exercise", type=click.Choice(EXERCISES), metavar="EXERCISE")
@click.option("--reps", type=click.IntRange(min=1), default=None,
              help="Reps per side (holds, for a hold exercise). Default: the exercise's own.")
@click.option("--view", type=click.Choice(VIEWS), default="side", show_default=True, help="Camera placement.")
@click.option("--faults", callback=_split, default="", metavar="CODE[@REP],...",
              help=f"Faults to inject, optionally on given reps ('back-lift@2,too-fast'). "
                   f"Codes: {', '.join(FAULT_CODES)}.")
@click.option("--conditions", callback=_conditions, default="", metavar="NAME,...",
              help=f"Hard conditions: {', '.join(CONDITIONS)}.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Chooses person, room, camera and tempo; the same seed renders the same clip.")
@click.option("--fps", type=click.FloatRange(min=1, max=240), default=30.0, show_default=True,
              help="Frame rate (ntsc-timebase overrides it with 29.97).")
@click.option("--size", callback=_size, default="640x480", show_default=True, metavar="WxH",
              help="Frame size; taller than wide renders a portrait clip.")
@click.option("--duration-scale", type=click.FloatRange(min=0.2, max=5.0), default=1.0, show_default=True,
              help="Stretch (>1) or shorten (<1) every pause, movement and hold.")
@click.option("--sides", type=click.Choice(["alternating", "blocked"]), default=None,
              help="Side order for one-sided exercises. Default: the exercise's usual order.")
@click.option("--range", "range_scale", type=click.FloatRange(min=0.2, max=1.3), default=1.0, show_default=True,
              help="Range of motion of every rep, as a fraction of the exercise's full range.")
@click.option("--mirror/--no-mirror", default=None, help="Mirror the picture like a selfie camera. Default: seeded.")
@click.option("--joints/--no-joints", default=True, show_default=True,
              help="Also write the true joints per frame (<stem>.joints.npz).")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="Video to write (.mp4); <stem>.truth.json is written beside it.")
@click.option("--force", is_flag=True, help="Overwrite an existing output.")
def synth(exercise: str, reps: int | None, view: str, faults: tuple[str, ...], conditions: tuple[str, ...],
          seed: int, fps: float, size: tuple[int, int], duration_scale: float, sides: str | None, range_scale: float,
          mirror: bool | None, joints: bool, output: Path, force: bool) -> None:
    """Render a synthetic EXERCISE video whose truth is exact: rep times, holds, sides, faults.

    \b
    posecoach synth lying-leg-raise --reps 5 --faults back-lift@3 -o leg-raise.mp4
    posecoach synth plank --view oblique --faults hip-sag --conditions noise -o plank.mp4
    """
    if output.suffix.lower() != ".mp4":
        raise click.BadParameter(f"'{output}' must end in .mp4 (the video is written with the mp4v codec)",
                                 param_hint="'--output'")
    if not output.parent.exists():
        raise click.BadParameter(f"folder '{output.parent}' does not exist; create it first", param_hint="'--output'")
    existing = [path for path in (output, truth_path_for(output), joints_path_for(output) if joints else None)
                if path is not None and path.exists()]
    if existing and not force:
        raise OutputError(f"'{existing[0]}' already exists; pass --force to overwrite it")
    spec = SynthSpec(exercise, reps=reps, view=view, faults=faults, conditions=conditions, seed=seed, fps=fps,
                     size=size, duration_scale=duration_scale, mirrored=mirror, sides=sides, range_scale=range_scale)
    try:
        clip = synthesize(spec)
    except SynthOptionError as exc:
        raise click.UsageError(str(exc)) from None
    with click.progressbar(length=clip.motion.frame_count, label=f"rendering {output.name}", file=sys.stderr) as bar:
        truth = write_clip(clip, output, progress=lambda done, _total: bar.update(done - bar.pos),
                           write_joints=joints)
    expected = truth.expected()
    echo(
        f"wrote {output} ({truth.frame_count} frames, {truth.duration_s:.1f} s, {truth.camera.view} view) and "
        f"{truth_path_for(output).name}: {expected['reps']['total']} counted reps, "
        f"{len(truth.holds)} holds, {len(truth.faults)} faults",
        err=True,
    )


COMMANDS = [synth]
