"""The ``posecoach export`` document: its format, and checking one completely before an import."""

from __future__ import annotations

import dataclasses
import math
import typing
from typing import Any

from posecoach.errors import HistoryError
from posecoach.events import EVENT_TYPES
from posecoach.landmarks import Side
from posecoach.sinks.history.records import MODES, STATUSES, iso, parse_time

EXPORT_FORMAT = "posecoach-history"
EXPORT_VERSION = 1
EXPORT_CSV_FIELDS = ("session", "started_at", "exercise", "record", "set_index", "side", "rep", "start_s", "end_s",
                     "rom", "peak", "up_s", "down_s", "held_s", "target_s", "completed", "flags", "code", "message")
MAX_TEXT = 10_000
MAX_NUMBER = 1e9
"""No time, angle or count in a real session comes near this; it keeps inf, 1e308 and friends out."""


class _Invalid(ValueError):
    """One problem in an export, with where it is."""


def validate_export(document: Any) -> list[dict[str, Any]]:
    """Every record of a ``posecoach export`` document, checked completely, or :class:`HistoryError`.

    Types, required keys, finite bounded numbers, known modes/statuses/event kinds, parseable times,
    UTF-8-encodable text: whatever ``show``, ``report`` and ``progress`` later rely on. Written by
    hand rather than with pydantic or msgspec: the schema is the event dataclasses themselves (their
    fields and annotations drive :func:`_check_event`), one small function covers it, and posecoach
    keeps its three dependencies.
    """
    how = "import reads the JSON written by 'posecoach export --format json'"
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT \
            or not isinstance(document.get("sessions"), list):
        raise HistoryError(f"this is not a posecoach history export; {how}")
    version = document.get("version", EXPORT_VERSION)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise HistoryError(f"this export has an invalid version ({_show(version)}); {how}")
    if version > EXPORT_VERSION:
        raise HistoryError(f"this export is version {version}, newer than this posecoach reads "
                           f"({EXPORT_VERSION}); upgrade posecoach")
    records = []
    for index, record in enumerate(document["sessions"], 1):
        try:
            records.append(_check_record(record))
        except _Invalid as exc:
            uid = record.get("uid") if isinstance(record, dict) and isinstance(record.get("uid"), str) else None
            which = f"session {index}" + (f" ({_show(uid)})" if uid else "")
            raise HistoryError(f"{which} in the export is invalid: {exc}; nothing was imported. Export it again "
                               "with 'posecoach export'") from None
    return records


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _text(value: Any, where: str, *, optional: bool = False, limit: int = MAX_TEXT) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise _Invalid(f"'{where}' must be text (got {_show(value)})")
    if len(value) > limit:
        raise _Invalid(f"'{where}' is longer than {limit} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _Invalid(f"'{where}' holds a lone surrogate, which is not text") from None
    return value


def _number(value: Any, where: str, *, whole: bool = False, optional: bool = False,
            minimum: float = -MAX_NUMBER) -> float | None:
    if value is None and optional:
        return None
    kinds = (int,) if whole else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise _Invalid(f"'{where}' must be {'a whole number' if whole else 'a number'} (got {_show(value)})")
    if not (math.isfinite(value) and minimum <= value <= MAX_NUMBER):
        raise _Invalid(f"'{where}' is out of range (got {_show(value)})")
    return value


def _time(value: Any, where: str, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    try:
        iso(parse_time(_text(value, where, limit=64) or ""))
    except (ValueError, OverflowError):
        raise _Invalid(f"'{where}' is not an ISO 8601 time (got {_show(value)})") from None


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Invalid(f"'{where}' must be an object (got {_show(value)})")
    return value


def _check_id(value: Any, where: str, *, optional: bool = False) -> None:
    text = _text(value, where, limit=64, optional=optional)
    if text is None and optional:
        return
    if not text or not all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in text):
        raise _Invalid(f"'{where}' must be letters, digits, '-' or '_' (got {_show(text)})")


def _check_segment(value: Any) -> None:
    """What ``show`` and ``report`` read of a recording's part (``SessionSummary.segment``)."""
    segment = _mapping(value, "summary.segment")
    for key in ("index", "of"):
        _number(segment.get(key), f"summary.segment.{key}", whole=True, minimum=1)
    for key in ("start_s", "end_s"):
        _number(segment.get(key), f"summary.segment.{key}", minimum=0)


def _check_recognition(value: Any) -> None:
    """What ``show`` and ``report`` read of how the exercise was recognised (``SessionSummary.recognition``)."""
    recognition = _mapping(value, "summary.recognition")
    _text(recognition.get("exercise"), "summary.recognition.exercise", optional=True, limit=200)
    _number(recognition.get("confidence"), "summary.recognition.confidence", minimum=0)
    if not isinstance(recognition.get("sure"), bool):
        raise _Invalid(f"'summary.recognition.sure' must be true or false (got {_show(recognition.get('sure'))})")
    _text(recognition.get("reason", ""), "summary.recognition.reason")
    alternatives = recognition.get("alternatives", [])
    if not isinstance(alternatives, list):
        raise _Invalid("'summary.recognition.alternatives' must be a list")
    for alternative in alternatives:
        alternative = _mapping(alternative, "summary.recognition.alternatives")
        _text(alternative.get("exercise"), "summary.recognition.alternatives.exercise", limit=200)
        _number(alternative.get("confidence"), "summary.recognition.alternatives.confidence", minimum=0)


def _check_record(record: Any) -> dict[str, Any]:
    record = _mapping(record, "session")
    _check_id(record.get("uid"), "uid")
    _check_id(record.get("recording"), "recording", optional=True)
    _text(record.get("exercise"), "exercise", limit=200)
    _text(record.get("source"), "source")
    if record.get("mode") not in MODES:
        raise _Invalid(f"'mode' must be one of {', '.join(MODES)} (got {_show(record.get('mode'))})")
    if record.get("status") not in STATUSES:
        raise _Invalid(f"'status' must be one of {', '.join(STATUSES)} (got {_show(record.get('status'))})")
    _time(record.get("started_at"), "started_at")
    _time(record.get("ended_at"), "ended_at", optional=True)
    target = record.get("target")
    if target is not None:
        target = _mapping(target, "target")
        for key in ("sets", "reps"):
            _number(target.get(key), f"target.{key}", whole=True, minimum=0)
        _number(target.get("hold_s"), "target.hold_s", minimum=0)
        if not isinstance(target.get("per_side"), bool):
            raise _Invalid(f"'target.per_side' must be true or false (got {_show(target.get('per_side'))})")
    summary = _mapping(record.get("summary"), "summary")
    for key in ("duration_s", "fps"):
        _number(summary.get(key), f"summary.{key}", minimum=0)
    for key in ("frames", "frames_with_pose"):
        _number(summary.get(key), f"summary.{key}", whole=True, minimum=0)
    if not isinstance(summary.get("partial"), bool):
        raise _Invalid(f"'summary.partial' must be true or false (got {_show(summary.get('partial'))})")
    if summary.get("segment") is not None:
        _check_segment(summary["segment"])
    if summary.get("recognition") is not None:
        _check_recognition(summary["recognition"])
    notes = summary.get("notes", [])
    if not isinstance(notes, list):
        raise _Invalid("'summary.notes' must be a list of text")
    for note in notes:
        _text(note, "summary.notes")
    events = summary.get("events")
    if not isinstance(events, list):
        raise _Invalid(f"'summary.events' must be a list (got {_show(events)})")
    for number, event in enumerate(events, 1):
        _check_event(event, f"summary.events[{number}]")
    signal = _mapping(record.get("signal"), "signal")
    _text(signal.get("name"), "signal.name", limit=200)
    trace = signal.get("trace")
    if not isinstance(trace, list):
        raise _Invalid(f"'signal.trace' must be a list of [t, value] pairs (got {_show(trace)})")
    for pair in trace:
        if not isinstance(pair, list) or len(pair) != 2:
            raise _Invalid(f"'signal.trace' must hold [t, value] pairs (got {_show(pair)})")
        _number(pair[0], "signal.trace time")
        _number(pair[1], "signal.trace value")
    return record


def _check_event(event: Any, where: str) -> None:
    """Every field of the event's dataclass, by its annotation; unknown keys are refused."""
    event = _mapping(event, where)
    cls = EVENT_TYPES.get(event.get("kind")) if isinstance(event.get("kind"), str) else None
    if cls is None:
        raise _Invalid(f"'{where}.kind' must be one of {', '.join(sorted(EVENT_TYPES))} "
                       f"(got {_show(event.get('kind'))})")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(event) - names - {"kind"})
    if unknown:
        raise _Invalid(f"'{where}' has an unknown key '{unknown[0]}'")
    for name in names:
        if name not in event:
            if name == "t_s":
                raise _Invalid(f"'{where}.t_s' is missing")
            continue
        value, kind, key = event[name], hints[name], f"{where}.{name}"
        optional = type(None) in typing.get_args(kind)
        base = next((k for k in typing.get_args(kind) if k is not type(None)), kind) if optional else kind
        if base is float:
            _number(value, key, optional=optional)
        elif base is int:
            _number(value, key, whole=True, optional=optional, minimum=0)
        elif base is bool:
            if not isinstance(value, bool):
                raise _Invalid(f"'{key}' must be true or false (got {_show(value)})")
        elif base is str:
            _text(value, key, optional=optional)
        elif base is Side:
            if not (value is None and optional) and value not in [side.value for side in Side]:
                raise _Invalid(f"'{key}' must be left, right or null (got {_show(value)})")
        elif typing.get_origin(base) is tuple:
            if not isinstance(value, list):
                raise _Invalid(f"'{key}' must be a list of text (got {_show(value)})")
            for item in value:
                _text(item, key, limit=200)
        else:  # a field type this validator does not know yet: refuse rather than store it unchecked
            raise _Invalid(f"'{key}' cannot be checked")
