"""``posecoach routine`` (a prescribed sequence, run live) and ``posecoach desk`` (movement breaks).

A routine runs each step through the same :class:`~posecoach.live.LiveSession` as ``posecoach live``;
the only addition is :class:`StepAdvance`, which ends a step once the coach says all its sets are
done, so the routine moves on by itself. Each step is one history session, tagged with the routine
and step so the next run can progress it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from posecoach.cli.live import exit_for_stop, has_display
from posecoach.cli.options import db_option, format_option, model_option, verbose_option
from posecoach.errors import PoseCoachError
from posecoach.routines import Change, Decision, Routine, available_routines, find_routine, progress, session_tag
from posecoach.terminal import echo


def _stderr(message: str) -> None:
    echo(message, err=True)


file_option = click.option("--file", "routine_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
                           help="A routine TOML file instead of a named routine (see 'posecoach routine --help').")


@click.group()
def routine() -> None:
    """Exercise routines: list them, show one, run one live.

    A routine is a sequence of exercises with sets, reps per side, holds and rests. The built-in
    'psoas' routine comes from the seed articles; write your own in a TOML file and keep it in the
    routines folder of your config directory (or set POSECOACH_ROUTINES, or pass --file):

    \b
    title = "Morning psoas"
    rest_between_s = 30
    [[steps]]
    exercise = "supine-knee-to-chest"
    sets = 1
    reps = 10          # per side
    hold_s = 3
    rest_s = 30
    max_sets = 4       # progression caps
    max_reps = 15

    Progression: after two clean sessions of a step (all reps, no warnings) the next run adds a
    set, then reps, up to the caps; two sessions short of the target step it back.
    """


def _sessions_of(store: Any, routine_: Routine) -> dict[str, list[Any]]:
    """Each step's earlier sessions, oldest first, found by the tag in their source."""
    found: dict[str, list[Any]] = {}
    for step, key in zip(routine_.steps, routine_.step_keys(), strict=True):
        tag = session_tag(routine_, key)
        found[key] = [s for s in store.sessions(exercise=step.exercise) if s.source.endswith(tag)]
    return found


def _plan_today(routine_: Routine, db_path: Path | None, use_history: bool) -> list[Decision]:
    """Today's dose of every step; a missing database is simply no history (it is not created)."""
    from posecoach.sinks.history import default_db_path, open_store

    history: dict[str, list[Any]] = {}
    path = db_path or default_db_path()
    if use_history and path.exists():
        with open_store(path, create=False) as store:
            history = _sessions_of(store, routine_)
    return [progress(step, history.get(key, [])) if use_history
            else Decision(step.dose, Change.START, "progression off")
            for step, key in zip(routine_.steps, routine_.step_keys(), strict=True)]


@routine.command(name="list")
@format_option("table", "json")
def list_routines(output_format: str) -> None:
    """List the built-in routines and yours."""
    from posecoach.routines import user_routines_dir
    from posecoach.sinks.console import format_table

    routines = available_routines()
    records = [{"name": r.name, "title": r.title, "steps": len(r.steps),
                "from": str(r.path) if r.path else "built-in"} for r in routines.values()]
    if output_format == "json":
        echo(json.dumps(records, indent=2))
        return
    echo(format_table([list(r.values()) for r in records], ["name", "title", "steps", "from"]))
    _stderr(f"Your routines folder: {user_routines_dir()}")


@routine.command()
@click.argument("name", required=False, default="")
@file_option
@click.option("--progression/--no-progression", default=True, show_default=True,
              help="Show today's dose from your history, or the prescription.")
@format_option("text", "json", default="text")
@db_option
def show(name: str, routine_file: Path | None, progression: bool, output_format: str, db_path: Path | None) -> None:
    """Show routine NAME: each step as prescribed and today's dose from your history."""
    routine_ = _find(name, routine_file)
    decisions = _plan_today(routine_, db_path, progression)
    steps = []
    for number, (step, decision) in enumerate(zip(routine_.steps, decisions, strict=True), 1):
        exercise = step.definition
        steps.append({"step": number, "exercise": step.exercise, "name": exercise.name,
                      "prescribed": step.dose.describe(exercise), "today": decision.dose.describe(exercise),
                      "change": decision.change.value, "why": decision.reason, "rest_s": step.rest_s,
                      "cap": step.ladder()[-1].describe(exercise), "notes": step.notes, "source": step.source})
    if output_format == "json":
        echo(json.dumps({"name": routine_.name, "title": routine_.title, "description": routine_.description,
                               "source": routine_.source, "rest_between_s": routine_.rest_between_s,
                               "steps": steps}, indent=2))
        return
    lines = [f"{routine_.title} ({routine_.name})"]
    lines += [routine_.description] if routine_.description else []
    for s in steps:
        lines.append(f"{s['step']}. {s['name']} ({s['exercise']}): {s['today']}, rest {s['rest_s']:g} s")
        if s["today"] != s["prescribed"] or s["change"] != "start":
            lines.append(f"   prescribed {s['prescribed']}, up to {s['cap']}; today: {s['change']} ({s['why']})")
        if s["notes"]:
            lines.append(f"   {s['notes']}")
        if s["source"]:
            lines.append(f"   source: {s['source']}")
    lines.append(f"{routine_.rest_between_s:g} s to change position between exercises. Source: {routine_.source}"
                 if routine_.source else f"{routine_.rest_between_s:g} s to change position between exercises.")
    echo("\n".join(lines))


def _find(name: str, routine_file: Path | None) -> Routine:
    if not name and routine_file is None:
        raise click.UsageError("give a routine NAME (see 'posecoach routine list') or --file ROUTINE.toml")
    return find_routine(name, routine_file)


class StepAdvance:
    """The keys a step listens to: the user's (q ends the routine), plus a QUIT of its own once the
    coach has said all sets are done and ``linger_s`` has passed, which ends just this step."""

    def __init__(self, coach: Any, keys: Any = None, linger_s: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._coach = coach
        self._keys = keys
        self._linger_s = linger_s
        self._clock = clock
        self._done_at: float | None = None
        self.advanced = False

    def poll(self) -> Any:
        from posecoach.live import Command, Stage

        command = self._keys.poll() if self._keys is not None else None
        if command is not None:
            return command
        if self._coach.stage is Stage.DONE:
            now = self._clock()
            self._done_at = now if self._done_at is None else self._done_at
            if now - self._done_at >= self._linger_s:
                self.advanced = True
                return Command.QUIT
        return None

    def close(self) -> None:
        """The terminal keys outlive the step: the routine restores the terminal when it ends."""


@routine.command()
@click.argument("name", required=False, default="")
@file_option
@click.option("--camera", type=click.IntRange(0, 63), default=None, help="Camera index. Default: 0.")
@click.option("--source", "source_specs", multiple=True, metavar="PATH_OR_URL",
              help="A video instead of a camera: once for every step, or once per step in order.")
@click.option("--voice/--no-voice", default=True, show_default=True, help="Speak announcements, counts and cues.")
@click.option("--window/--no-window", default=True, show_default=True,
              help="Show the coaching window; --no-window prints events only.")
@click.option("--realtime/--as-fast-as-possible", default=True, show_default=True,
              help="For video sources: play them at their own speed, or process every frame at once.")
@click.option("--progression/--no-progression", default=True, show_default=True,
              help="Adjust each step's dose from your history, or use the prescription as written.")
@click.option("--get-ready", "get_ready_s", type=click.FloatRange(0, 60), default=5.0, show_default=True,
              help="Countdown before the first exercise (later ones use the routine's rest between exercises).")
@db_option
@model_option
@verbose_option
@click.pass_context
def run(ctx: click.Context, name: str, routine_file: Path | None, camera: int | None, source_specs: tuple[str, ...],
        voice: bool, window: bool, realtime: bool, progression: bool, get_ready_s: float, db_path: Path | None,
        model_path: Path | None, verbose: bool) -> None:
    """Run routine NAME live: each exercise in turn, with rest timers and announcements.

    Each exercise is a live session (the same window, voice and keys as 'posecoach live') saved to
    your history. A step ends when its sets are done, or its video ends; q ends the routine.

    \b
    posecoach routine run psoas
    posecoach routine run --file my-routine.toml --camera 1
    posecoach routine run psoas --source a.mp4 --source b.mp4 ... --no-window --no-voice
    """
    routine_ = _find(name, routine_file)
    if camera is not None and source_specs:
        raise click.UsageError("give either --camera or --source, not both")
    if len(source_specs) not in (0, 1, len(routine_.steps)):
        raise click.UsageError(f"give --source once, or once for each of the {len(routine_.steps)} steps "
                               f"(got {len(source_specs)})")
    if window and not has_display():
        raise PoseCoachError("there is no display to open a window on (DISPLAY is not set); "
                             "use --no-window, or run under a desktop session")
    from posecoach.sinks.history import open_store

    with open_store(db_path) as store:
        history = _sessions_of(store, routine_) if progression else {}
        runner = _Runner(routine_, store, camera, source_specs, voice=voice, window=window, realtime=realtime,
                         model_path=model_path, verbose=verbose)
        try:
            results = runner.run_all(history, progression, get_ready_s)
        finally:
            runner.close()
    for line in results:
        echo(line)
    exit_for_stop(ctx, runner.stopped, kept="the steps done so far are saved",
                  failure="the camera or stream stopped sending frames")


class _Runner:
    """Runs a routine's steps one after another through the live loop; keeps what outlives a step
    (the history store, the speech engine, the terminal's key mode)."""

    def __init__(self, routine_: Routine, store: Any, camera: int | None, sources: tuple[str, ...], *,
                 voice: bool, window: bool, realtime: bool, model_path: Path | None, verbose: bool) -> None:
        from posecoach.live import TerminalKeys

        self.routine = routine_
        self.store = store
        self.camera = camera
        self.sources = sources
        self.window = window
        self.realtime = realtime
        self.model_path = model_path
        self.verbose = verbose
        self.engine: Any = None
        if voice:
            from posecoach.sinks.voice import find_engine

            self.engine, notice = find_engine()
            if notice:
                _stderr(notice)
        self.keys = TerminalKeys() if not window else None
        self.stopped: Any = None

    def close(self) -> None:
        if self.keys is not None:
            self.keys.close()

    def _speaker(self) -> Any:
        if self.engine is None:
            return None
        from posecoach.sinks.voice import Speaker

        return Speaker(self.engine, notify=_stderr)

    def run_all(self, history: dict[str, list[Any]], use_history: bool, get_ready_s: float) -> list[str]:
        from posecoach.live import StopReason

        lines = [f"Routine {self.routine.name}: {self.routine.title}"]
        steps = list(zip(self.routine.steps, self.routine.step_keys(), strict=True))
        for index, (step, key) in enumerate(steps):
            decision = progress(step, history.get(key, [])) if use_history \
                else Decision(step.dose, Change.START, "progression off")
            ready = get_ready_s if index == 0 else self.routine.rest_between_s
            result, advanced = self._run_step(index, step, key, decision, ready)
            summary = result.summary
            done = ", ".join(f"{side} {n}" for side, n in result.coach.done)
            ended = "all sets done" if advanced else result.reason.value
            lines.append(f"{index + 1}. {step.exercise}: {decision.dose.describe(step.definition)} "
                         f"({decision.change.value}); last set {result.coach.set_index}/{result.coach.sets}: {done}; "
                         f"{len(summary.warnings)} warning(s); {ended}")
            stop_reasons = (StopReason.QUIT, StopReason.WINDOW_CLOSED, StopReason.INTERRUPTED,
                            StopReason.TERMINATED, StopReason.SOURCE_FAILED, StopReason.ERROR)
            if result.reason in stop_reasons and not advanced:
                self.stopped = result.reason
                lines.append(f"Routine stopped after step {index + 1} of {len(steps)} ({result.reason.value}).")
                return lines
        lines.append(f"Routine complete: {len(steps)} exercises.")
        return lines

    def _announce(self, index: int, step: Any, decision: Decision, speaker: Any) -> None:
        exercise = step.definition
        first = "First exercise" if index == 0 else "Next exercise"
        text = f"{first}: {exercise.name}, {decision.dose.describe(exercise)}"
        _stderr(f"[{index + 1}/{len(self.routine.steps)}] {text}")
        if decision.change is not Change.START:
            _stderr(f"   progression: {decision.change.value} ({decision.reason})")
        if step.notes:
            _stderr(f"   {step.notes}")
        if speaker is not None:
            speaker.say(text, key="announce", kind="stage", priority=2)

    def _run_step(self, index: int, step: Any, key: str, decision: Decision, get_ready_s: float) -> tuple[Any, bool]:
        from posecoach.exercises import get_exercise
        from posecoach.live import (
            HistorySink,
            LiveSession,
            Pacing,
            Plan,
            PrinterSink,
            WindowSink,
            exercise_with_hold,
            open_live_source,
        )
        from posecoach.pose import PoseEstimator
        from posecoach.sinks.console import EventPrinter
        from posecoach.sinks.history import HistoryRecorder, Target

        dose = decision.dose
        exercise = exercise_with_hold(get_exercise(step.exercise), dose.hold_s or None)
        plan = Plan.for_exercise(exercise, "auto", sets=dose.sets, reps=dose.reps, rest_s=step.rest_s,
                                 get_ready_s=get_ready_s)
        spec = self.sources[min(index, len(self.sources) - 1)] if self.sources else None
        speaker = self._speaker()
        self._announce(index, step, decision, speaker)
        with open_live_source(self.camera, spec) as frames, HistoryRecorder(self.store) as recorder:
            pacing = Pacing.LIVE if frames.is_live else (Pacing.REALTIME if self.realtime else Pacing.FAST)
            target = Target(plan.sets, plan.target, plan.hold_s, len(plan.sides) > 1)
            history = HistorySink(recorder, exercise.slug, f"{frames.name} {session_tag(self.routine, key)}", target,
                                  warn=_stderr)
            renderer = None
            if self.window:
                from posecoach.sinks.overlay import render as renderer
            with PoseEstimator(self.model_path, verbose=self.verbose) as estimator:
                session = LiveSession(
                    exercise, frames, estimator, plan, pacing=pacing,
                    window=WindowSink(f"posecoach: {self.routine.title}") if self.window else None,
                    speaker=speaker, sinks=[history, PrinterSink(EventPrinter(sys.stdout))], renderer=renderer,
                    prompt=None if self.window else _stderr,
                )
                keys = StepAdvance(session.coach, self.keys, linger_s=0.0 if pacing is Pacing.FAST else 2.0)
                session.keys = keys
                result = session.run()
        return result, keys.advanced


# ============================================================================ desk


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
    from posecoach.desk import DeskConfig, DeskMonitor, Reminder, classify_posture, describe, sample_frames
    from posecoach.live import open_live_source
    from posecoach.pose import PoseEstimator

    if camera is not None and source_spec is not None:
        raise click.UsageError("give either --camera or --source, not both")
    monitor = DeskMonitor(DeskConfig(sit_limit_s, break_s, remind_every_s))
    wall0, cpu0, samples = time.monotonic(), time.process_time(), 0
    speaker = None
    try:
        with open_live_source(camera, source_spec) as frames, PoseEstimator(model_path, verbose=verbose) as estimator:
            if voice:
                from posecoach.sinks.voice import Speaker

                speaker = Speaker(notify=_stderr)
            limit = f"{sit_limit_s / 60:g} min" if sit_limit_s >= 60 else f"{sit_limit_s:g} s"
            _stderr(f"desk: watching {frames.name} every {interval_s:g} s; a reminder after {limit} of sitting"
                    + (" (Ctrl-C to stop)" if frames.is_live else ""))
            start = time.monotonic()
            for frame in sample_frames(frames, interval_s, live=frames.is_live, fps=frames.fps):
                t = time.monotonic() - start if frames.is_live else frame.timestamp_s
                posture = classify_posture(estimator.estimate(frame.image, frame.timestamp_s))
                samples += 1
                for event in monitor.update(posture, t):
                    _desk_event(event, describe(event), output_format, frames.is_live)
                    if isinstance(event, Reminder):
                        if speaker is not None:
                            speaker.say("Time to stand up and stretch", key="desk", kind="stage", priority=2)
                        if notify:
                            _notify_desktop("posecoach: time to move", describe(event))
    except KeyboardInterrupt as stop:
        _desk_totals(monitor, samples, wall0, cpu0)
        from posecoach.cli import EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated

        ctx.exit(EXIT_TERMINATED if isinstance(stop, Terminated) else EXIT_INTERRUPTED)
    finally:
        if speaker is not None:
            speaker.close()
    _desk_totals(monitor, samples, wall0, cpu0)


def _desk_event(event: Any, text: str, output_format: str, live: bool) -> None:
    from dataclasses import asdict

    if output_format == "json":
        echo(json.dumps({"kind": event.kind, **asdict(event)}))
        return
    from posecoach.desk import format_clock

    when = time.strftime("%H:%M") if live else f"+{format_clock(event.t_s)}"
    echo(f"{when}  {text}")


def _desk_totals(monitor: Any, samples: int, wall0: float, cpu0: float) -> None:
    wall, cpu = time.monotonic() - wall0, time.process_time() - cpu0
    _stderr(f"desk: {samples} looks, {monitor.breaks} break(s), {monitor.reminded} reminder(s); "
            f"CPU {cpu:.1f} s over {wall:.0f} s ({100 * cpu / wall if wall > 0 else 0:.1f}% of one core)")


COMMANDS = [routine, desk]
