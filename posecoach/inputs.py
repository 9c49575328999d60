"""Files posecoach reads whole (a pose model, a routine, a history export) are checked before reading.

``/dev/zero`` read "to the end" never ends, a FIFO blocks until someone writes, and a 100 GB sparse
file named ``.task`` eats the memory: an input that is not a regular file, or is absurdly large for
what it claims to be, is one ``Error:`` line at once. Reading stdin (``-``) stops at the same bound.

Videos are not read whole and are checked by :func:`posecoach.sources.open_source` instead.
"""

from __future__ import annotations

import os
import stat
import sys

from posecoach.errors import PoseCoachError

MiB = 1 << 20


def file_kind(mode: int) -> str:
    """What a non-regular file is, in words ("a device"), for errors about inputs and outputs alike."""
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def check_input_file(path: str | os.PathLike[str], *, what: str, max_bytes: int,
                     error: type[PoseCoachError] = PoseCoachError) -> int:
    """The size of ``path`` if it is a regular file of at most ``max_bytes``; else ``error`` with what to do."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise error(f"no such {what}: '{path}'") from None
    except OSError as exc:
        raise error(f"cannot read the {what} '{path}' ({exc.strerror}); check the path and its permissions") from None
    if not stat.S_ISREG(info.st_mode):
        raise error(f"the {what} '{path}' is {file_kind(info.st_mode)}, not a regular file; pass the file itself")
    if info.st_size > max_bytes:
        raise error(f"the {what} '{path}' is {info.st_size / MiB:,.0f} MB, far more than any {what} "
                    f"(at most {max_bytes / MiB:,.0f} MB); check that it is the file you meant")
    return info.st_size


def read_input_file(path: str | os.PathLike[str], *, what: str, max_bytes: int,
                    error: type[PoseCoachError] = PoseCoachError) -> bytes:
    """The bytes of a checked regular file, or of stdin for ``-`` (at most ``max_bytes`` either way)."""
    if os.fspath(path) == "-":
        stream = sys.stdin.buffer if sys.stdin is not None else None
        data = stream.read(max_bytes + 1) if stream is not None else b""
        if len(data) > max_bytes:
            raise error(f"the {what} on standard input is larger than {max_bytes / MiB:,.0f} MB; check that it is "
                        "the file you meant")
        return data
    check_input_file(path, what=what, max_bytes=max_bytes, error=error)
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise error(f"cannot read the {what} '{path}' ({exc.strerror}); check its permissions (ls -l)") from None
    if len(data) > max_bytes:
        raise error(f"the {what} '{path}' grew past {max_bytes / MiB:,.0f} MB while being read")
    return data


def display_path(path: str | os.PathLike[str]) -> str:
    """``path`` as text that can be printed and stored: bytes that are not UTF-8 become U+FFFD."""
    return os.fsencode(path).decode("utf-8", "replace")


def is_utf8_path(path: str | os.PathLike[str]) -> bool:
    try:
        os.fsencode(path).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True

