"""``posecoach routine``: list, show and run exercise routines (a prescribed sequence, run live).

Running is :class:`~posecoach.routine_runner.RoutineRunner`'s job; this module only turns options
into its arguments and its report into output.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from posecoach.cli.live import check_live_options, exit_for_stop
from posecoach.cli.options import db_option, format_option, model_option, verbose_option
from posecoach.routines import Decision, Routine, available_routines, find_routine
from posecoach.summary import strict_json
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


def _plan_today(routine_: Routine, db_path: Path | None, use_history: bool) -> list[Decision]:
    """Today's dose of every step; a missing database is simply no history (it is not created)."""
    from posecoach.routine_runner import sessions_of, todays_decisions
    from posecoach.sinks.history import default_db_path, open_store

    history: dict[str, list[Any]] = {}
    path = db_path or default_db_path()
    if use_history and path.exists():
        with open_store(path, create=False) as store:
            history = sessions_of(store, routine_)
    return todays_decisions(routine_, history, use_history)


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
        echo(strict_json(records, indent=2))
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
        echo(strict_json({"name": routine_.name, "title": routine_.title, "description": routine_.description,
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
    check_live_options(camera, bool(source_specs), window)
    if len(source_specs) not in (0, 1, len(routine_.steps)):
        raise click.UsageError(f"give --source once, or once for each of the {len(routine_.steps)} steps "
                               f"(got {len(source_specs)})")
    from posecoach.routine_runner import RoutineRunner, sessions_of
    from posecoach.sinks.history import open_store

    with open_store(db_path) as store:
        history = sessions_of(store, routine_) if progression else {}
        with RoutineRunner(routine_, store, camera, source_specs, voice=voice, window=window, realtime=realtime,
                           model_path=model_path, verbose=verbose, notify=_stderr) as runner:
            results = runner.run_all(history, progression, get_ready_s)
    for line in results:
        echo(line)
    exit_for_stop(ctx, runner.stopped, kept="the steps done so far are saved",
                  failure="the camera or stream stopped sending frames")


COMMANDS = [routine]
