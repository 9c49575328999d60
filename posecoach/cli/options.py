"""Option sets shared by several commands, as decorators, so every command spells them the same way."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def _remember_verbose(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    root = ctx.find_root()
    root.ensure_object(dict)
    if value:
        root.obj["verbose"] = True
    return value


def verbose_option(func: F) -> F:
    return click.option(
        "-v", "--verbose", is_flag=True, expose_value=True, callback=_remember_verbose,
        help="Show MediaPipe's native log lines, and a traceback with any error.",
    )(func)


def model_option(func: F) -> F:
    return click.option(
        "--model", "model_path", type=click.Path(path_type=Path, dir_okay=True), default=None,
        envvar="POSECOACH_MODEL", show_envvar=True,
        help="Pose landmarker .task bundle (official lite/full/heavy work). Default: the bundled full model.",
    )(func)


def format_option(*choices: str, default: str = "table") -> Callable[[F], F]:
    def decorate(func: F) -> F:
        return click.option(
            "--format", "output_format", type=click.Choice(choices), default=default, show_default=True,
            help="Output format on stdout.",
        )(func)

    return decorate


class ExerciseChoice(click.Choice):
    """A catalogue slug; a near miss is answered with "did you mean", not with all 22 slugs."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and value.strip().lower() in self.choices:
            return value.strip().lower()
        from posecoach.wording import did_you_mean

        self.fail(f"'{value}' is not one of the {len(self.choices)} exercises{did_you_mean(str(value), self.choices)}; "
                  "'posecoach exercises' lists them", param, ctx)


def exercise_option(required: bool = True) -> Callable[[F], F]:
    from posecoach.exercises.catalog import CATALOG

    def decorate(func: F) -> F:
        return click.option(
            "-e", "--exercise", "exercise_slug", type=ExerciseChoice(sorted(CATALOG)), required=required,
            metavar="SLUG", show_choices=False, help="Exercise to count (see 'posecoach exercises').",
        )(func)

    return decorate


def side_option(func: F) -> F:
    return click.option(
        "--side", type=click.Choice(["auto", "left", "right"]), default="auto", show_default=True,
        help="Working side for one-sided exercises; 'auto' detects it (and counts both sides).",
    )(func)


def db_option(func: F) -> F:
    from posecoach.sinks.history import ENV_DB

    return click.option(
        "--db", "db_path", type=click.Path(path_type=Path, dir_okay=False), default=None, envvar=ENV_DB,
        show_envvar=True, help="History database. Default: history.db in your user data folder.",
    )(func)


def patient_option(func: F) -> F:
    return click.option(
        "--patient", metavar="NAME", default=None,
        help="Whose session this is: kept in the history, shown in reports, filterable in 'history'.",
    )(func)
