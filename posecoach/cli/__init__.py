"""The ``posecoach`` command line: a thin Click layer over the library.

Each command lives in its own module and is registered here. Errors from the library
(:class:`~posecoach.errors.PoseCoachError`) become one ``Error: ...`` line and exit code 1; usage
errors exit 2 (Click's convention); Ctrl-C exits 130 after sinks have flushed.
"""

from __future__ import annotations

import sys
import traceback

import click

from posecoach import __version__
from posecoach.errors import PoseCoachError

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class PoseCoachGroup(click.Group):
    """Turns library errors into one line; ``--verbose`` adds the traceback for bug reports."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except PoseCoachError as exc:
            if _verbose(ctx):
                traceback.print_exc()
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted; what was recorded so far has been saved.", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except BrokenPipeError:
            sys.stderr.close()
            ctx.exit(EXIT_ERROR)


def _verbose(ctx: click.Context) -> bool:
    return bool(ctx.obj and ctx.obj.get("verbose"))


@click.group(cls=PoseCoachGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="posecoach")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Count reps, time holds and warn about form from a webcam or a video.

    \b
    posecoach analyze clip.mp4 --exercise lying-leg-raise
    posecoach live --exercise supine-knee-to-chest
    posecoach exercises
    """
    ctx.ensure_object(dict)


def _register_commands() -> None:
    from posecoach.cli import analyze, catalogue, history

    for module in (analyze, catalogue, history):
        for command in module.COMMANDS:
            cli.add_command(command)


_register_commands()


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="posecoach")
