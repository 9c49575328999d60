"""Every file posecoach writes goes through here: reports, exports, annotated videos, clips, recordings.

One rule set, so no writer can forget one of them:

- an output is never one of the inputs (the same file by device and inode, so also through a
  symlink or a hard link), not even with ``--force``: writing there would destroy what is read;
- ``--force`` replaces a *regular file* and nothing else: a symlink, a device node, a FIFO or a
  folder under the output's name is refused (replacing a symlink would silently drop the link, and
  writing through it would overwrite its target);
- an existing file is never replaced without ``--force``;
- the data goes to a temporary file created exclusively (``O_EXCL``, so a planted symlink is never
  followed) in the target's own folder, is checked (a video must decode), flushed to disk and only
  then renamed over the real name in one atomic step. Any failure — a full disk, a crash, Ctrl-C —
  removes the temporary file and leaves the real name as it was.

Writers that hand a file name to a library (OpenCV's ``VideoWriter`` opens by name) write to
:attr:`PendingOutput.temp`; writers of bytes call :meth:`PendingOutput.write_bytes`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from posecoach.errors import OutputError
from posecoach.inputs import file_kind

TEMP_PREFIX = ".posecoach-"
"""Temporary files are hidden and ASCII-named whatever the target is called (OpenCV cannot open
names that are not valid UTF-8), and end in the target's suffix so a video writer picks its container."""

Verify = Callable[[Path], str | None]
"""Says what is wrong with the finished temporary file (None when it is fine)."""


def _same_file(path: Path, other: str | os.PathLike[str]) -> bool:
    try:
        return os.path.samefile(path, other)
    except (OSError, ValueError):
        return False


def check_output(path: str | Path, *, force: bool, inputs: Iterable[str | os.PathLike[str] | None] = (),
                 suffixes: Sequence[str] = (), option: str = "--output") -> Path:
    """Everything that can be known before any work starts; raises :class:`OutputError` with what to do."""
    path = Path(path)
    if suffixes and path.suffix.lower() not in suffixes:
        raise OutputError(f"cannot tell the format of '{path}' from its extension; use {' or '.join(suffixes)}")
    for source in inputs:
        if source is not None and _same_file(path, source):
            raise OutputError(f"cannot write '{path}': it is the input '{source}' itself, and writing there would "
                              f"destroy it (even with --force); choose another {option}")
    if not path.parent.is_dir():
        raise OutputError(f"cannot write '{path}': the folder '{path.parent}' does not exist; create it first or "
                          f"choose another {option}")
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return path
    except OSError as exc:
        raise OutputError(f"cannot write '{path}' ({exc.strerror}); choose another {option}") from exc
    if stat.S_ISDIR(mode):
        raise OutputError(f"cannot write '{path}': it is a folder; give a file name inside it as {option}")
    if not stat.S_ISREG(mode):
        raise OutputError(f"cannot write '{path}': it is {file_kind(mode)}, not a regular file, and posecoach only "
                          f"ever replaces regular files (even with --force); choose another {option}")
    if not force:
        raise OutputError(f"'{path}' already exists; pass --force to overwrite it or choose another {option}")
    return path


class PendingOutput:
    """One output file on its way: checked at once, written to :attr:`temp`, then :meth:`commit`-ted.

    As a context manager it commits when the block succeeds and discards the temporary file when it
    raises (Ctrl-C included); call :meth:`commit` yourself to keep a partial result instead.
    """

    def __init__(self, path: str | Path, *, force: bool = False,
                 inputs: Iterable[str | os.PathLike[str] | None] = (), suffixes: Sequence[str] = (),
                 option: str = "--output", verify: Verify | None = None) -> None:
        self.inputs = [source for source in inputs if source is not None]
        self.force = force
        self.option = option
        self.verify = verify
        self.path = check_output(path, force=force, inputs=self.inputs, suffixes=suffixes, option=option)
        self._temp: Path | None = None
        self._alias: Any = None

    @property
    def opencv_name(self) -> str:
        """:attr:`temp` as a name OpenCV's writers can open: OpenCV crashes on a folder name that is not
        UTF-8, so it then gets an ASCII-named symlink to the temporary file."""
        if self._alias is None:
            from posecoach.sources import OpenCVName

            self._alias = OpenCVName(self.temp)
        return str(self._alias.name)

    def _drop_alias(self) -> None:
        if self._alias is not None:
            self._alias.close()
            self._alias = None

    @property
    def temp(self) -> Path:
        """The temporary file, created exclusively beside the target on first use."""
        if self._temp is None:
            try:
                fd, name = tempfile.mkstemp(dir=self.path.parent, prefix=TEMP_PREFIX, suffix=self.path.suffix)
            except OSError as exc:
                raise self._error(exc) from exc
            os.close(fd)
            self._temp = Path(name)
        return self._temp

    def write_bytes(self, data: bytes) -> None:
        """Write ``data`` to the temporary file (never through a symlink: it was created by us, O_EXCL)."""
        try:
            fd = os.open(self.temp, os.O_WRONLY | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0))
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        except OSError as exc:
            raise self._error(exc) from exc

    def commit(self) -> Path:
        """Check, flush and move the temporary file into place; on any failure remove it and raise."""
        try:
            temp = self.temp
            problem = self.verify(temp) if self.verify is not None else None
            if problem:
                raise OutputError(f"cannot write '{self.path}': {problem}; nothing was written under that name")
            _fsync(temp)
            # Checked again at the last moment: something may have appeared under the name meanwhile.
            check_output(self.path, force=self.force, inputs=self.inputs, option=self.option)
            self._drop_alias()
            os.replace(temp, self.path)
            self._temp = None
            with contextlib.suppress(OSError):
                _fsync(self.path.parent, directory=True)
        except OSError as exc:
            self.discard()
            raise self._error(exc) from exc
        except BaseException:
            self.discard()
            raise
        return self.path

    def discard(self) -> None:
        """Remove the temporary file, if any; the real name is never touched."""
        self._drop_alias()
        if self._temp is not None:
            with contextlib.suppress(OSError):
                self._temp.unlink()
            self._temp = None

    def _error(self, exc: OSError) -> OutputError:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return OutputError(f"cannot write '{self.path}': no space left on the disk; free some space and run it "
                               "again (nothing was written under that name)")
        return OutputError(f"cannot write '{self.path}' ({exc.strerror or exc}); check free space and "
                           "permissions (nothing was written under that name)")

    def __enter__(self) -> PendingOutput:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()


def _fsync(path: Path, *, directory: bool = False) -> None:
    fd = os.open(path, (os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)) if directory
                 else os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_file(path: str | Path, data: bytes, *, force: bool = False,
               inputs: Iterable[str | os.PathLike[str] | None] = (), suffixes: Sequence[str] = (),
               option: str = "--output") -> Path:
    """Write ``data`` to ``path`` under every rule of this module; returns the path."""
    with PendingOutput(path, force=force, inputs=inputs, suffixes=suffixes, option=option) as pending:
        pending.write_bytes(data)
    return pending.path


def verify_video(path: Path) -> str | None:
    """A written video must be non-empty and decode its first frame (a full disk leaves neither)."""
    import cv2

    from posecoach.sources import OpenCVName

    if path.stat().st_size == 0:
        return "the video came out empty (is the disk full?)"
    with OpenCVName(path) as name:
        capture = cv2.VideoCapture(name.name)
        try:
            ok, image = capture.read() if capture.isOpened() else (False, None)
        finally:
            capture.release()
    if not ok or image is None:
        return "the video came out unreadable (is the disk full?)"
    return None
