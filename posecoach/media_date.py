"""When a video was recorded: the MP4/MOV container's own date, else the file's modification time.

Phones and cameras write the creation time into the ``mvhd`` box of an MP4/MOV (seconds since
1904-01-01 UTC). Reading it needs no ffprobe: the box tree is walked with a few ``struct`` reads.
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

MP4_EPOCH = datetime(1904, 1, 1, tzinfo=UTC)
CONTAINERS = {b"moov"}
MAX_BOXES = 10_000
"""A damaged file must not loop for ever."""


def recorded_at(source: str | Path) -> datetime | None:
    """The recording time (timezone-aware), or None for a camera, a URL or a missing file."""
    found = recording_time(source)
    return found[0] if found else None


def recording_time(source: str | Path) -> tuple[datetime, str] | None:
    """``(time, where from)``: ``"video"`` when the container carries it, ``"file"`` for the file's time."""
    path = Path(source)
    if not path.exists():
        return None
    if path.is_file() and path.suffix.lower() in {".mp4", ".mov", ".m4v", ".3gp"}:
        try:
            with path.open("rb") as handle:
                found = _mvhd_time(handle, path.stat().st_size)
        except (OSError, struct.error):
            found = None
        if found is not None:
            return found, "video"
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).replace(microsecond=0), "file"
    except OSError:
        return None


def _mvhd_time(handle: BinaryIO, end: int, start: int = 0) -> datetime | None:
    position, boxes = start, 0
    while position + 8 <= end and boxes < MAX_BOXES:
        boxes += 1
        handle.seek(position)
        size, kind = struct.unpack(">I4s", handle.read(8))
        header = 8
        if size == 1:
            size = struct.unpack(">Q", handle.read(8))[0]
            header = 16
        elif size == 0:
            size = end - position
        if size < header:
            return None
        if kind in CONTAINERS:
            return _mvhd_time(handle, position + size, position + header)
        if kind == b"mvhd":
            version = handle.read(4)[0]
            seconds = struct.unpack(">Q", handle.read(8))[0] if version == 1 else struct.unpack(">I", handle.read(4))[0]
            if seconds == 0:  # "unknown": many encoders leave it empty
                return None
            moment = MP4_EPOCH + timedelta(seconds=seconds)
            return moment if 1990 <= moment.year <= 2100 else None
        position += size
    return None
