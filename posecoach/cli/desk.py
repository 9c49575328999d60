"""``posecoach desk``: remind you to stand up after sitting too long at the computer.

The watching (sampling, posture, the sitting clock) is :mod:`posecoach.desk`; this module turns it
into output lines, voice and desktop notifications.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import click

from posecoach.cli.options import format_option, model_option, verbose_option
from posecoach.summary import strict_json
from posecoach.terminal import echo
from posecoach.wording import plural


def _stderr(message: str) -> None:
    echo(message, err=True)


def _notify_desktop(title: str, message: str) -> None:
    """A desktop notification where ``notify-send`` exists; silently nothing elsewhere."""
    binary = shutil.which("notify-send")
    if binary:
        try:
            subprocess.run([binary, "-a", "posecoach", title, message], capture_output=True, timeout=5, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return


class Duration(click.ParamType):
    """``90s``, ``40m``, ``1h`` or ``1h30m``, in seconds; a unit is required so '5' is never ambiguous."""

    name = "duration"
    PATTERN = re.compile(r"(?:(\d+(?:\.\d*)?)h)?(?:(\d+(?:\.\d*)?)m)?(?:(\d+(?:\.\d*)?)s)?")

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, float):
            return value
        match = self.PATTERN.fullmatch(str(value).strip().lower())
        seconds = sum(float(part) * unit for part, unit in zip(match.groups(), (3600, 60, 1), strict=True)
                      if part) if match else 0.0
        if seconds <= 0:
            self.fail(f"expected a duration like '40m', '90s', '1h' or '1h30m' (got '{value}')", param, ctx)
        return seconds


@click.command()
@click.option("--camera", type=click.IntRange(0, 63), default=None, help="Camera index. Default: 0.")
@click.option("--source", "source_spec", default=None, metavar="PATH_OR_URL",
              help="A video instead of the camera (sampled on its own timeline, as fast as it decodes).")
@click.option("--sit-limit", "sit_limit_s", type=Duration(), default="40m", show_default=True,
              help="Remind after this much continuous sitting (the seeds say every 30-45 minutes).")
@click.option("--every", "interval_s", type=Duration(), default="5s", show_default=True,
              help="Look once this often (one pose estimate per look keeps the CPU use tiny).")
@click.option("--break", "break_s", type=Duration(), default="1m", show_default=True,
              help="Standing or away this long resets the sitting clock.")
@click.option("--remind-every", "remind_every_s", type=Duration(), default="10m", show_default=True,
              help="While you keep sitting after a reminder, remind again this often.")
@click.option("--voice/--no-voice", default=True, show_default=True, help="Say the reminder.")
@click.option("--notify/--no-notify", default=True, show_default=True,
              help="Also show a desktop notification (where notify-send exists).")
@format_option("text", "json", default="text")
@model_option
@verbose_option
@click.pass_context
def desk(ctx: click.Context, camera: int | None, source_spec: str | None, sit_limit_s: float, interval_s: float,
         break_s: float, remind_every_s: float, voice: bool, notify: bool, output_format: str,
         model_path: Path | None, verbose: bool) -> None:
    """Remind you to stand up and stretch after sitting too long at the computer.

    Looks through the camera every few seconds, tells sitting from standing or being away, and
    reminds you (a line here, voice, a desktop notification) after --sit-limit of continuous
    sitting. Standing up or leaving for --break resets the clock. Ctrl-C stops it.

    \b
    posecoach desk
    posecoach desk --sit-limit 30m --every 10s --no-voice
    posecoach desk --source day.mp4 --sit-limit 2m --every 1s --format json
    """
    from posecoach.capture import open_live_source
    from posecoach.desk import DeskConfig, DeskMonitor, Reminder, describe, watch
    from posecoach.pose import PoseEstimator

    if camera is not None and source_spec is not None:
        raise click.UsageError("give either --camera or --source, not both")
    monitor = DeskMonitor(DeskConfig(sit_limit_s, break_s, remind_every_s))
    wall0, cpu0 = time.monotonic(), time.process_time()
    speaker = None
    try:
        with open_live_source(camera, source_spec) as frames, PoseEstimator(model_path, verbose=verbose) as estimator:
            if voice:
                from posecoach.sinks.voice import Speaker

                speaker = Speaker(notify=_stderr)
            limit = f"{sit_limit_s / 60:g} min" if sit_limit_s >= 60 else f"{sit_limit_s:g} s"
            _stderr(f"desk: watching {frames.name} every {interval_s:g} s; a reminder after {limit} of sitting"
                    + (" (Ctrl-C to stop)" if frames.is_live else ""))
            for event in watch(frames, estimator, monitor, interval_s):
                _desk_event(event, describe(event), output_format, frames.is_live)
                if isinstance(event, Reminder):
                    if speaker is not None:
                        speaker.say("Time to stand up and stretch", key="desk", kind="stage", priority=2)
                    if notify:
                        _notify_desktop("posecoach: time to move", describe(event))
    except KeyboardInterrupt as stop:
        _desk_totals(monitor, wall0, cpu0)
        from posecoach.cli import EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated

        ctx.exit(EXIT_TERMINATED if isinstance(stop, Terminated) else EXIT_INTERRUPTED)
    finally:
        if speaker is not None:
            speaker.close()
    _desk_totals(monitor, wall0, cpu0)


def _desk_event(event: Any, text: str, output_format: str, live: bool) -> None:
    from dataclasses import asdict

    if output_format == "json":
        echo(strict_json({"kind": event.kind, **asdict(event)}))
        return
    from posecoach.desk import format_clock

    when = time.strftime("%H:%M") if live else f"+{format_clock(event.t_s)}"
    echo(f"{when}  {text}")


def _desk_totals(monitor: Any, wall0: float, cpu0: float) -> None:
    wall, cpu = time.monotonic() - wall0, time.process_time() - cpu0
    _stderr(f"desk: {monitor.looks} looks, {plural(monitor.breaks, 'break')}, {plural(monitor.reminded, 'reminder')}; "
            f"CPU {cpu:.1f} s over {wall:.0f} s ({100 * cpu / wall if wall > 0 else 0:.1f}% of one core)")


COMMANDS = [desk]
