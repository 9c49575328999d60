"""The one printer: everything posecoach shows on stdout and stderr goes through :func:`echo`.

Two promises, kept here so no command has to remember them:

- **Data cannot drive the terminal.** Names, source paths, notes and messages come from files and
  imported histories that anyone may have written; a stored ``ESC ]`` or ``CSI`` sequence printed
  raw could retitle the window, rewrite the screen or worse. :func:`clean` strips C0 and C1 control
  characters (except newline and tab) and whole escape sequences, and turns the lone surrogates of
  file names that are not UTF-8 into U+FFFD so printing them cannot fail. JSON is already escaped
  by ``json.dumps``, so cleaning it changes nothing.
- **Printing never costs the work.** When the reader goes away (``| head -c1``, a pager quit early,
  a closed descriptor) the stream is pointed at ``/dev/null`` and the command carries on: sessions
  are saved all the same, and there is no traceback. This is the only place ``BrokenPipeError`` is
  handled; :func:`stdout_lost` tells whether it happened.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import sys
from typing import IO, Any

import click

_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI ... final byte
    r"|\x1b[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC, DCS, SOS, PM, APC ... terminator
    r"|\x1b[ -/]*[0-~]?"  # other ESC sequences (and a lone ESC)
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]"  # every other C0/C1 control, DEL
    r"|[\ud800-\udfff]"  # lone surrogates (undecodable bytes of a file name)
)
_lost: set[int] = set()


def clean(text: str) -> str:
    """``text`` without terminal control characters and escape sequences; newlines and tabs stay."""
    return _ESCAPES.sub(lambda m: "\ufffd" if "\ud800" <= m.group()[0] <= "\udfff" else "", text)


def echo(message: Any = "", *, err: bool = False, nl: bool = True, file: IO[str] | None = None) -> None:
    """``click.echo`` of cleaned text; a vanished reader is not an error (see the module doc)."""
    text = clean(str(message))
    stream = file if file is not None else (sys.stderr if err else sys.stdout)
    if stream is None:  # Python started with that descriptor closed
        return
    try:
        click.echo(text, file=stream, nl=nl)
        if file is not None:
            stream.flush()
    except (BrokenPipeError, ValueError):  # ValueError: the stream object was closed
        _gone(stream)
    except OSError as exc:
        if exc.errno not in (errno.EPIPE, errno.EBADF, errno.EIO):
            raise
        _gone(stream)


def echo_error(message: str) -> None:
    """``Error: <message>`` on stderr as one line, whatever the message held (a file name with a
    newline in it, an exception's multi-line text): scripts and ``grep`` read one failure per line."""
    echo(f"Error: {' '.join(message.split())}", err=True)


def _gone(stream: IO[str]) -> None:
    """Point the stream's descriptor at /dev/null, so later writes (and the final flush) are harmless."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        fd = stream.fileno()
        _lost.add(fd)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)


def stdout_lost() -> bool:
    return 1 in _lost


def ensure_standard_streams() -> None:
    """Descriptors 0-2 closed at start (``2>&-``) are reopened on /dev/null.

    Otherwise the next file opened (the history database, a video) would get descriptor 2, and
    every native log line and error message would be written into it.
    """
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            with contextlib.suppress(OSError):
                opened = os.open(os.devnull, os.O_RDWR)
                if opened != fd:
                    os.dup2(opened, fd)
                    os.close(opened)
                _lost.add(fd)
    if sys.stdout is None:
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115 - lives as long as the process
    if sys.stderr is None:
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115


def flush_standard_streams() -> None:
    """The last flush at exit: a reader gone by then must not print 'Exception ignored ... BrokenPipeError'."""
    for stream in (sys.stdout, sys.stderr):
        if stream is None:
            continue
        try:
            stream.flush()
        except (OSError, ValueError):
            _gone(stream)
