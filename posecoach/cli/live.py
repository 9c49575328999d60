"""``posecoach live``: coach a session in front of a camera (or a video standing in for one)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from posecoach.cli.options import (
    db_option,
    exercise_option,
    format_option,
    model_option,
    patient_option,
    side_option,
    verbose_option,
)
from posecoach.errors import PoseCoachError
from posecoach.summary import strict_json
from posecoach.terminal import echo


def has_display() -> bool:
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def check_live_options(camera: int | None, has_source: bool, window: bool) -> None:
    """What ``live`` and ``routine run`` refuse before opening anything."""
    if camera is not None and has_source:
        raise click.UsageError("give either --camera or --source, not both")
    if window and not has_display():
        raise PoseCoachError("there is no display to open a window on (DISPLAY is not set); "
                             "use --no-window, or run under a desktop session")


def _stderr(message: str) -> None:
    echo(message, err=True)


@click.command()
@exercise_option()
@click.option("--camera", type=click.IntRange(0, 63), default=None, help="Camera index. Default: 0.")
@click.option("--source", "source_spec", default=None, metavar="PATH_OR_URL",
              help="A video file, image folder or stream URL instead of a camera.")
@side_option
@click.option("--reps", type=click.IntRange(1, 500), default=None,
              help="Reps per set (per side for one-sided exercises), or holds per set. Default: the program's.")
@click.option("--sets", type=click.IntRange(1, 50), default=None, help="Number of sets. Default: the program's.")
@click.option("--hold", "hold_s", type=click.FloatRange(1, 3600), default=None,
              help="Seconds each hold must last. Default: the program's.")
@click.option("--rest", "rest_s", type=click.FloatRange(0, 3600), default=None,
              help="Seconds of rest between sets. Default: the program's.")
@click.option("--get-ready", "get_ready_s", type=click.FloatRange(0, 60), default=5.0, show_default=True,
              help="Countdown in seconds once the setup looks right.")
@click.option("--voice/--no-voice", default=True, show_default=True, help="Speak counts, countdowns and cues.")
@click.option("--mirror/--no-mirror", default=None,
              help="Show (and --record) the image like a mirror. Default: mirror a camera, never a file "
                   "(use --mirror for a selfie recording).")
@click.option("--window/--no-window", default=True, show_default=True,
              help="Show the coaching window; --no-window prints events only (over SSH, in scripts).")
@click.option("--big-type/--compact", default=True, show_default=True,
              help="Text in the window sized to read from a mat 2 m away, or smaller for a desk.")
@format_option("text", "json", default="text")
@click.option("--realtime/--as-fast-as-possible", default=True, show_default=True,
              help="For a file source: play it at its own speed like a camera (stale frames dropped), or process "
                   "every frame as fast as possible (counts then equal 'posecoach analyze').")
@click.option("--record", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also save the annotated video (.mp4 or .avi).")
@click.option("--force", is_flag=True, help="Overwrite an existing --record file.")
@click.option("--save/--no-save", default=True, show_default=True, help="Save the session to the history.")
@db_option
@patient_option
@model_option
@verbose_option
@click.pass_context
def live(ctx: click.Context, exercise_slug: str, camera: int | None, source_spec: str | None, side: str,
         reps: int | None, sets: int | None, hold_s: float | None, rest_s: float | None, get_ready_s: float,
         voice: bool, mirror: bool | None, window: bool, big_type: bool, output_format: str, realtime: bool,
         record: Path | None,
         force: bool, save: bool, db_path: Path | None, patient: str | None, model_path: Path | None,
         verbose: bool) -> None:
    """Count reps and time holds live, with a window, voice and a set plan.

    Keys (in the window, or in the terminal with --no-window): space pause/resume, r reset the set,
    s switch side, n next set, m mute, f full screen, q or Esc quit. Events go to stdout as they happen, the
    summary at the end; measured latency and frame rate to stderr.

    \b
    posecoach live --exercise supine-knee-to-chest
    posecoach live -e glute-bridge --camera 1 --reps 12 --sets 2
    posecoach live -e plank --source clip.mp4 --no-window --format json --as-fast-as-possible
    """
    from posecoach.capture import open_live_source
    from posecoach.coach import Plan
    from posecoach.exercises import get_exercise
    from posecoach.exercises.definition import with_hold_target
    from posecoach.live import build_session
    from posecoach.pose import PoseEstimator
    from posecoach.sinks.console import describe_summary
    from posecoach.sinks.recorder import VideoRecorder
    from posecoach.sinks.window import TerminalKeys

    check_live_options(camera, source_spec is not None, window)
    exercise = with_hold_target(get_exercise(exercise_slug), hold_s)
    plan = Plan.for_exercise(exercise, side, sets=sets, reps=reps, rest_s=rest_s, get_ready_s=get_ready_s)
    as_json = output_format == "json"
    recorder = VideoRecorder(record, force=force, inputs=[source_spec, model_path, db_path]) \
        if record is not None else None
    with open_live_source(camera, source_spec) as frames:
        if frames.is_live and not realtime:
            raise click.UsageError("--as-fast-as-possible applies to files; a camera always runs in real time")
        history = None
        if save:
            from posecoach.sinks.history import HistoryRecorder

            history = HistoryRecorder(db_path)
        try:
            with PoseEstimator(model_path, verbose=verbose) as estimator:
                speaker = None
                if voice:
                    from posecoach.sinks.voice import Speaker

                    speaker = Speaker(notify=_stderr)
                session = build_session(
                    exercise, plan, frames, estimator, side=side, realtime=realtime,
                    window_title=f"posecoach: {exercise.name}" if window else None,
                    keys=TerminalKeys() if not window else None, speaker=speaker, recorder=recorder,
                    history=history, as_json=as_json, mirror=mirror, notify=_stderr, patient=patient,
                    big_type=big_type,
                )
                result = session.run()
        finally:
            if history is not None:
                history.__exit__(None, None, None)
    summary = result.summary
    summary.patient = patient
    summary.target = summary.target or plan.prescription
    if as_json:
        echo(strict_json({"kind": "summary", **summary.to_dict(), "live": result.stats.to_dict(),
                               "stopped": result.reason.name.lower()}))
    else:
        echo(describe_summary(summary))
    if result.stats.frames_processed:
        _stderr(result.stats.describe())
    if recorder is not None and recorder.error is not None:
        raise recorder.error
    exit_for_stop(ctx, result.reason, kept="what was recorded so far has been saved",
                  failure=summary.notes[0] if summary.notes else result.reason.value)


def exit_for_stop(ctx: click.Context, reason: object, *, kept: str, failure: str) -> None:
    """Leave with the documented exit code for how a live session stopped (after its output)."""
    from posecoach.cli import EXIT_INTERRUPTED, EXIT_TERMINATED
    from posecoach.live import StopReason

    if reason is StopReason.INTERRUPTED:
        _stderr(f"Interrupted; {kept}.")
        ctx.exit(EXIT_INTERRUPTED)
    if reason is StopReason.TERMINATED:
        ctx.exit(EXIT_TERMINATED)
    if reason is StopReason.SOURCE_FAILED:
        raise PoseCoachError(f"{failure}; {kept} (flagged partial)")


COMMANDS = [live]
