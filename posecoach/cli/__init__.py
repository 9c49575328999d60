"""The ``posecoach`` command line: a thin Click layer over the library.

Each command lives in its own module and is registered here. Every failure ends in one ``Error: ...``
line on stderr and a documented exit code; ``--verbose`` adds the traceback for bug reports.

Exit codes:
  0    success (results that cover only part of a damaged input say so, and are flagged partial)
  1    an error posecoach explains: bad input, model, output path, history database, disk; with
       several videos, any that could not be analysed (after the others are printed and saved)
  2    usage error: unknown option or exercise, value out of range (Click's convention)
  70   internal error: a bug in posecoach; rerun with --verbose and report the traceback
  130  interrupted by Ctrl-C (SIGINT), after sinks have flushed
  143  terminated by SIGTERM, after the same clean-up as Ctrl-C

A reader of stdout that goes away early (``| head``, a pager quit) is not an error: the rest of the
output is dropped, sessions are saved as usual and the code is what it would have been.
"""

from __future__ import annotations

import contextlib
import errno
import signal
import threading
import traceback
from collections.abc import Iterator
from types import FrameType

import click

from posecoach import __version__
from posecoach.errors import PoseCoachError
from posecoach.terminal import echo, echo_error, ensure_standard_streams, flush_standard_streams

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 70, 130, 143


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like Ctrl-C so the same ``finally`` blocks flush the sinks."""


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` while a command runs; the previous handler comes back after.

    Only the first SIGTERM raises: a second one while sinks flush must not cut the flush short.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    raised = False

    def on_sigterm(_signum: int, _frame: FrameType | None) -> None:
        nonlocal raised
        if not raised:
            raised = True
            raise Terminated

    try:
        previous = signal.signal(signal.SIGTERM, on_sigterm)
    except (ValueError, OSError):  # no signals here (an embedded interpreter)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


COMMAND_MODULES = {
    "analyze": "analyze", "exercises": "catalogue", "history": "history", "show": "history", "export": "history",
    "import": "history", "delete": "history", "report": "history", "progress": "history", "live": "live",
    "routine": "routine", "desk": "desk", "synth": "synth",
}
"""Command name → the module under ``posecoach.cli`` defining it. Modules are imported when their command
runs (or help lists them), so ``posecoach --version`` does not pay for numpy, cv2 and the catalogue."""


COMMAND_ALIASES = {"analyse": "analyze"}
"""Other spellings a person types for a command (British English), run as the command and not listed."""


class PoseCoachGroup(click.Group):
    """The one place where failures become an ``Error:`` line and an exit code (see the module doc)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMAND_MODULES) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        cmd_name = COMMAND_ALIASES.get(cmd_name, cmd_name)
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            import importlib

            module = importlib.import_module(f"posecoach.cli.{COMMAND_MODULES[cmd_name]}")
            for command in module.COMMANDS:
                self.add_command(command)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Whole first sentences, wrapped, instead of Click's cut-off ones ("... or...")."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=300)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None,
                                                                            list[str]]:
        """An unknown command gets "did you mean" from the full list, not only the commands loaded so far."""
        name = click.utils.make_str(args[0])
        if self.get_command(ctx, name) is None and not name.startswith("-"):
            from posecoach.wording import did_you_mean

            ctx.fail(f"No such command '{name}'{did_you_mean(name, self.list_commands(ctx))}.")
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: click.Context) -> object:
        try:
            with sigterm_as_interrupt():
                return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except PoseCoachError as exc:
            _fail(ctx, str(exc), exc.exit_code)
        except KeyboardInterrupt as exc:
            if isinstance(exc, Terminated):
                _stop(ctx, "Terminated (SIGTERM); sessions already saved to the history are kept.", EXIT_TERMINATED)
            _stop(ctx, "Interrupted (Ctrl-C); sessions already saved to the history are kept.", EXIT_INTERRUPTED)
        except BrokenPipeError:
            # posecoach.terminal.echo never raises this; only Click's own help and usage output could.
            flush_standard_streams()
            ctx.exit(EXIT_OK)
        except MemoryError:
            _fail(ctx, "out of memory; close other programs, or analyse a shorter or smaller video", EXIT_ERROR)
        except OSError as exc:
            _fail(ctx, _os_error_message(exc), EXIT_ERROR)
        except Exception as exc:
            _fail(ctx, f"internal error ({type(exc).__name__}: {exc}). This is a bug in posecoach: please report it "
                       "with the output of the same command run with --verbose", EXIT_INTERNAL)
        return None


def _os_error_message(exc: OSError) -> str:
    """An OS error the library did not anticipate, said in the user's terms with what to do next."""
    where = f" '{exc.filename}'" if exc.filename else ""
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"permission denied:{where}; check its permissions (ls -l)"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"no space left on the disk{' for' + where if where else ''}; free some space and run it again"
    return f"{exc.strerror or exc}{':' + where if where else ''}; check the path and try again"


def _fail(ctx: click.Context, message: str, code: int) -> None:
    if _verbose(ctx):
        traceback.print_exc()
    echo_error(message)
    ctx.exit(code)


def _stop(ctx: click.Context, message: str, code: int) -> None:
    if _verbose(ctx):
        traceback.print_exc()
    echo(message, err=True)
    ctx.exit(code)


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


def main() -> None:
    """Console-script entry point."""
    ensure_standard_streams()
    try:
        cli(prog_name="posecoach")
    finally:
        flush_standard_streams()
