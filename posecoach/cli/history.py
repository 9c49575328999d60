"""``posecoach history|show|export|import|delete|report|progress``: the session history and its reports.

Thin Click commands over :mod:`posecoach.sinks.history` and :mod:`posecoach.sinks.report`. Data goes
to stdout, messages to stderr; no output file is overwritten without ``--force``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import click

from posecoach.cli.options import (
    db_option,
    exercise_option,
    format_option,
    model_option,
    side_option,
    verbose_option,
)
from posecoach.errors import HistoryError, SourceError
from posecoach.inputs import read_input_file
from posecoach.outputs import write_file
from posecoach.sinks.console import format_table
from posecoach.sinks.history import (
    EXPORT_CSV_FIELDS,
    HistoryStore,
    SessionInfo,
    default_db_path,
    open_store,
    validate_export,
)
from posecoach.sinks.report import (
    REPORT_SUFFIXES,
    RecordingReport,
    Report,
    SessionReport,
    check_output,
    clock,
    render_markdown,
    render_text,
    report_sections,
    write_progress,
    write_report,
)
from posecoach.summary import SessionSummary, strict_json
from posecoach.terminal import clean, echo
from posecoach.wording import plural

F = TypeVar("F", bound=Callable[..., Any])
HISTORY_CSV_FIELDS = ("id", "started_at", "exercise", "mode", "status", "duration_s", "reps", "reps_left",
                      "reps_right", "holds", "held_s", "warnings", "source", "patient", "recording", "segment_index",
                      "segment_of", "segment_start_s", "segment_end_s", "recognised")


class Since(click.ParamType):
    """A calendar date (local midnight) or a span back from now: ``2025-03-01``, ``7d``, ``4w``."""

    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        text = str(value).strip().lower()
        span = re.fullmatch(r"(\d{1,9})\s*([dw])", text, re.ASCII)
        try:
            if span:
                days = int(span[1]) * (7 if span[2] == "w" else 1)
                return datetime.now(UTC) - timedelta(days=days)
            moment = datetime.fromisoformat(text)
            moment = moment if moment.tzinfo else moment.astimezone()
            moment.astimezone(UTC)  # stored times are UTC: it must exist there too
            return moment
        except (ValueError, OverflowError):
            self.fail(f"Expected a date like 2025-03-01 or a span like 7d or 4w, got '{clean(str(value))}'",
                      param, ctx)


class SessionRef(click.ParamType):
    """A session id from 'posecoach history' (ASCII digits that fit SQLite's integer), or ``last``."""

    name = "SESSION"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip()
        if not any(ch.isnumeric() for ch in text) or is_session_id(text):
            return text  # 'last', an id, or a word that resolves to "no session" (exit 1) like any unknown id
        self.fail(f"Expected a session id from 'posecoach history' (e.g. 12) or 'last', got '{clean(text)}'",
                  param, ctx)


def is_session_id(text: str) -> bool:
    """ASCII digits only (``'²'.isdigit()`` is True) and small enough for SQLite's 64-bit integers."""
    return re.fullmatch(r"[0-9]{1,18}", text) is not None


def since_option(func: F) -> F:
    return click.option("--since", type=Since(), default=None,
                        help="Only sessions from this date on (2025-03-01) or this far back (7d, 4w).")(func)


def filter_exercise_option(func: F) -> F:
    """A free slug, not a Choice: the history may hold exercises the catalogue has since renamed."""
    return click.option("-e", "--exercise", "exercise_slug", default=None, metavar="SLUG",
                        help="Only sessions of this exercise.")(func)


def filter_patient_option(func: F) -> F:
    return click.option("--patient", metavar="NAME", default=None,
                        help="Only sessions of this patient (as given to 'analyze --patient').")(func)


def _check_exercise_filter(exercise_slug: str | None, found: bool) -> None:
    """A filter that matches nothing because of a typo says so, with the likely slug (exit 2)."""
    from posecoach.exercises.catalog import CATALOG
    from posecoach.wording import did_you_mean

    if exercise_slug and not found and exercise_slug not in CATALOG:
        raise click.BadParameter(f"no exercise '{exercise_slug}'{did_you_mean(exercise_slug, CATALOG)}; "
                                 "'posecoach exercises' lists them", param_hint="'-e' / '--exercise'")


def output_option(required: bool, help_text: str) -> Callable[[F], F]:
    def decorate(func: F) -> F:
        return click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
                            required=required, help=help_text)(func)

    return decorate


force_option = click.option("--force", is_flag=True, help="Overwrite an existing output file.")


def _local(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else ""


def _csv(rows: list[dict[str, Any]], fields: tuple[str, ...]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _emit(text: str, output: Path | None, force: bool, db_path: Path | None) -> None:
    """Data to stdout, or to ``output`` (refusing to overwrite it without ``--force``, or the history itself)."""
    if output is None:
        echo(text, nl=not text.endswith("\n"))
        return
    write_file(output, text.encode("utf-8"), force=force, inputs=[_db_file(db_path)])
    echo(f"Wrote {output}", err=True)


def _db_file(db_path: Path | None) -> Path:
    return db_path.expanduser() if db_path is not None else default_db_path()


@click.command()
@filter_exercise_option
@filter_patient_option
@since_option
@format_option("table", "json", "csv")
@db_option
def history(exercise_slug: str | None, patient: str | None, since: datetime | None, output_format: str,
            db_path: Path | None) -> None:
    """List recorded sessions, oldest first (where the history lives goes to stderr).

    \b
    posecoach history
    posecoach history --patient "Ann Lee" --exercise lying-march --since 4w --format csv
    """
    store = _open_for_reading(db_path)
    if store is None:
        sessions: list[SessionInfo] = []
    else:
        with store:
            sessions = store.sessions(exercise_slug, since, patient=patient)
            _check_exercise_filter(exercise_slug, bool(sessions) or bool(store.sessions(exercise_slug)))
        echo(f"History: {store.path}", err=True)
    if output_format == "json":
        echo(strict_json([s.to_dict() for s in sessions], indent=2))
    elif output_format == "csv":
        echo(_csv([_csv_row(s) for s in sessions], HISTORY_CSV_FIELDS), nl=False)
    elif not sessions:
        where = db_path if db_path is not None else default_db_path()
        echo(f"No sessions recorded yet; 'analyze' and 'live' save them in {where}." if store is None
                   else "No sessions recorded yet." if not (exercise_slug or since or patient)
                   else "No sessions match.", err=True)
    else:
        echo(format_table([_table_row(s) for s in sessions], (
            "ID", "Date", "Patient", "Exercise", "Recognised", "Part", "Mode", "Status", "Reps L/R/all", "Holds",
            "Held s", "Warnings", "Duration s", "Source")))


def _table_row(info: SessionInfo) -> tuple[object, ...]:
    """A recording of several exercises lists one row per exercise, its part saying which and when."""
    part = (f"{info.segment.index}/{info.segment.of} {clock(info.segment.start_s)}-{clock(info.segment.end_s)}"
            if info.segment else "-")
    return (info.id, _local(info.started_at), info.patient or "-", info.exercise, info.recognised or "-", part,
            info.mode, info.status, f"{info.reps_left}/{info.reps_right}/{info.reps}", info.holds,
            f"{info.held_s:.0f}", info.warnings, f"{info.duration_s:.0f}",
            Path(info.source).name if "/" in info.source else info.source)


def _csv_row(info: SessionInfo) -> dict[str, Any]:
    row = info.to_dict()
    segment = row.pop("segment") or {}
    row.update({f"segment_{key}": segment.get(key) for key in ("index", "of", "start_s", "end_s")})
    return {key: row[key] for key in HISTORY_CSV_FIELDS}


def _open_for_reading(db_path: Path | None) -> HistoryStore | None:
    """None when there is no history yet: listing nothing is not an error."""
    path = _db_file(db_path)
    return HistoryStore(path, create=False) if path.exists() else None


@click.command()
@click.argument("session", type=SessionRef())
@format_option("text", "markdown", "json", default="text")
@db_option
def show(session: str, output_format: str, db_path: Path | None) -> None:
    """Show one session: per-side totals, reps, holds and warnings.

    SESSION is an id from 'posecoach history', or 'last'. 'text' is for reading in a terminal,
    'markdown' for pasting into notes.
    """
    with open_store(db_path, create=False) as store:
        info = store.session(session)
        summary = store.load_summary(info.id)
        report = _stored_report(store, info)
        parts = store.recording_parts(info)
        recording = [{"session": part.to_dict(), "summary": store.load_summary(part.id).to_dict()}
                     for part in parts] if len(parts) > 1 else None
    if output_format == "json":
        # One recording of several exercises: the session asked for, and every part of its recording.
        shown: dict[str, object] = {"session": info.to_dict(), "summary": summary.to_dict()}
        if recording is not None:
            shown["recording"] = recording
        echo(strict_json(shown, indent=2))
        return
    sections = report_sections(report, with_figures=False)
    echo(render_markdown(sections) if output_format == "markdown" else render_text(sections))


def _session_report(info: SessionInfo, summary: SessionSummary) -> SessionReport:
    return SessionReport.build(summary, title=_exercise_name(info.exercise), target=info.target,
                               started_at=info.started_at, session_id=info.id, status=info.status)


def _stored_report(store: HistoryStore, info: SessionInfo) -> Report:
    """A session's report; for one part of a recording of several exercises, the whole recording's."""
    parts = store.recording_parts(info)
    if len(parts) == 1:
        return _session_report(info, store.load_summary(info.id))
    return RecordingReport([_session_report(part, store.load_summary(part.id)) for part in parts])


def _exercise_name(slug: str) -> str | None:
    from posecoach.exercises.catalog import CATALOG

    exercise = CATALOG.get(slug)
    return exercise.name if exercise else None


@click.command()
@filter_exercise_option
@filter_patient_option
@since_option
@format_option("json", "csv", default="json")
@output_option(False, "Write to this file instead of stdout.")
@force_option
@db_option
def export(exercise_slug: str | None, patient: str | None, since: datetime | None, output_format: str,
           output: Path | None, force: bool, db_path: Path | None) -> None:
    """Export sessions as JSON (re-importable) or CSV.

    JSON keeps everything; CSV has one row per rep, hold and warning.

    \b
    posecoach export --output backup.json
    posecoach export --format csv --exercise lying-march > march.csv
    """
    if output is not None:
        check_output(output, force=force, inputs=[_db_file(db_path)])
    with open_store(db_path, create=False) as store:
        sessions = store.sessions(exercise_slug, since, patient=patient)
        if output_format == "json":
            text = json.dumps(store.export_document(sessions), indent=1) + "\n"
        else:
            text = _csv(store.export_rows(sessions), EXPORT_CSV_FIELDS)
    _emit(text, output, force, db_path)


MAX_EXPORT_BYTES = 1 << 30
"""An hour-long session exports to a few MB; a file this large is not an export (or is /dev/zero)."""


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=str))
@db_option
def import_(file: str, db_path: Path | None) -> None:
    """Import sessions from a 'posecoach export' JSON file.

    FILE is the export ('-' reads stdin). The whole file is checked first: one bad record and
    nothing is imported. Sessions already in the history are skipped, so importing twice is harmless.
    """
    how = "import reads the file written by 'posecoach export --format json'"
    name = "standard input" if file == "-" else file
    data = read_input_file(file, what="history export", max_bytes=MAX_EXPORT_BYTES, error=HistoryError)
    try:
        document = json.loads(data)  # bytes: UTF-8, or UTF-16/32 with or without a BOM
    except json.JSONDecodeError as exc:
        raise HistoryError(f"{name} is not JSON ({exc.msg} at line {exc.lineno}); {how}") from exc
    except UnicodeDecodeError as exc:
        raise HistoryError(f"{name} is not UTF-8 text; {how}") from exc
    except RecursionError as exc:
        raise HistoryError(f"{name} is nested too deeply to be a posecoach export; {how}") from exc
    validate_export(document)  # before the database is opened or created
    with open_store(db_path) as store:
        imported, present = store.import_document(document)
    echo(f"Imported {plural(imported, 'session')}; {present} already present.", err=True)


@click.command()
@click.argument("session", type=SessionRef())
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@db_option
def delete(session: str, yes: bool, db_path: Path | None) -> None:
    """Delete a session with its reps, holds and warnings.

    SESSION is an id from 'posecoach history', or 'last'.
    """
    with open_store(db_path, create=False) as store:
        info = store.session(session)
        if not yes:
            click.confirm(f"Delete session {info.id} ({info.exercise}, {_local(info.started_at)}, {info.reps} reps)?",
                          abort=True, err=True)
        store.delete(info.id)
    echo(f"Deleted session {info.id}.", err=True)


@click.command()
@click.argument("target")
@output_option(True, "report.html (self-contained), report.pdf, or report.md (PNG plots written beside it).")
@exercise_option(required=False)
@side_option
@click.option("--patient", metavar="NAME", default=None,
              help="Whose video this is (a video TARGET); with 'last', that patient's last session.")
@click.option("--reps", type=click.IntRange(1, 500), default=None, help="Reps prescribed (a video TARGET).")
@click.option("--hold", "hold_s", type=click.FloatRange(1, 3600), default=None,
              help="Seconds each hold was prescribed (a video TARGET).")
@model_option
@force_option
@db_option
@verbose_option
def report(target: str, output: Path, exercise_slug: str | None, side: str, patient: str | None,
           model_path: Path | None, force: bool, db_path: Path | None, verbose: bool, reps: int | None = None,
           hold_s: float | None = None) -> None:
    """Write an HTML, PDF or Markdown report for a session or a video.

    TARGET is a session id from 'posecoach history', 'last', or a video file (analysed with --exercise,
    or without it: its exercise is recognised). A recording of several exercises one after another
    reports each exercise on its part of the recording, whichever of its sessions TARGET names.

    \b
    posecoach report last --output report.html
    posecoach report clip.mp4 --exercise supine-knee-to-chest --patient "Ann Lee" --reps 10 --output ann.pdf
    """
    inputs = [target if Path(target).exists() else None, _db_file(db_path), model_path]
    check_output(output, force=force, suffixes=REPORT_SUFFIXES, inputs=inputs)
    if Path(target).exists():
        written = _video_report(target, exercise_slug, side, model_path, verbose, reps, hold_s)
        for part in _parts(written):
            part.summary.patient = patient
    elif is_session_id(target.strip()) or target.strip().lower() == "last":
        with open_store(db_path, create=False) as store:
            info = _patients_last(store, patient) if patient and target.lower() == "last" else store.session(target)
            written = _stored_report(store, info)
    else:
        raise SourceError(f"'{target}' is neither an existing video nor a session id; give a video path, a session "
                          "id from 'posecoach history', or 'last'")
    for part in _parts(written):
        _add_key_frames(part)
    for path in write_report(written, output, force=force, inputs=inputs):
        echo(f"Wrote {path}", err=True)


def _parts(report: Report) -> list[SessionReport]:
    return report.parts if isinstance(report, RecordingReport) else [report]


def _patients_last(store: HistoryStore, patient: str) -> SessionInfo:
    sessions = store.sessions(patient=patient)
    if not sessions:
        raise HistoryError(f"no sessions of patient '{patient}' in {store.path}; run 'posecoach history' to see "
                           "whose sessions are recorded")
    return max(sessions, key=lambda info: (info.started_at, info.id))


def _video_report(video: str, exercise_slug: str | None, side: str, model_path: Path | None,
                  verbose: bool, reps: int | None = None, hold_s: float | None = None) -> Report:
    if exercise_slug is None:
        if reps is not None or hold_s is not None:
            raise click.UsageError("--reps and --hold need --exercise: what was prescribed is for one exercise")
        return _recognised_report(video, side, model_path, verbose)
    from posecoach.analysis import analyze_video, prescription
    from posecoach.exercises.catalog import get_exercise

    exercise = get_exercise(exercise_slug)
    summary = analyze_video(video, exercise_slug, side=side, model_path=model_path, verbose=verbose, hold_s=hold_s)
    summary.target = prescription(exercise, reps=reps, hold_s=hold_s)
    return SessionReport.build(summary, title=exercise.name)


def _recognised_report(video: str, side: str, model_path: Path | None, verbose: bool) -> Report:
    """No --exercise: the exercise (or the exercises, one after another) recognised as ``analyze`` does."""
    from posecoach.analysis import recognise_video

    summaries = recognise_video(video, side=side, model_path=model_path, verbose=verbose)
    parts = [SessionReport.build(summary, title=_exercise_name(summary.exercise)) for summary in summaries]
    return parts[0] if len(parts) == 1 else RecordingReport(parts)


def _add_key_frames(session_report: SessionReport) -> None:
    """Stills of the flagged reps, when the video is still where it was analysed."""
    from posecoach.sinks.keyframes import key_frames, warning_frames

    summary = session_report.summary
    session_report.key_frames = key_frames(summary.source, summary, session_report.rows)
    session_report.warning_frames = warning_frames(summary.source, summary)


@click.command()
@filter_exercise_option
@filter_patient_option
@since_option
@output_option(True, "PNG file for the plot.")
@force_option
@db_option
def progress(exercise_slug: str | None, patient: str | None, since: datetime | None, output: Path, force: bool,
             db_path: Path | None) -> None:
    """Plot reps, range of motion and hold time over time, one row of plots per exercise.

    Weekly totals; per session while the history spans fewer than three weeks. Your own sessions,
    unless --patient names whose to plot.

    \b
    posecoach progress --exercise lying-march --output march.png
    posecoach progress --patient "Ann Lee" --output ann.png
    """
    from posecoach.sinks.report import FEW_WEEKS

    check_output(output, force=force, suffixes=(".png",), inputs=[_db_file(db_path)])
    with open_store(db_path, create=False) as store:
        own = patient is None  # your own progress is never mixed with your patients'
        weeks = store.weekly(exercise_slug, since, patient=patient, own_only=own)
        per_session = 0 < len({w.week for w in weeks}) < FEW_WEEKS
        if per_session:
            weeks = store.weekly(exercise_slug, since, patient=patient, per_session=True, own_only=own)
        others = len(store.sessions(exercise_slug, since)) - len(store.sessions(exercise_slug, since, own_only=True)) \
            if own else 0
        if not weeks:
            _check_exercise_filter(exercise_slug, bool(store.sessions(exercise_slug)))
        elif patient:  # as recorded, not as typed in the filter
            patient = store.sessions(exercise_slug, since, patient=patient)[0].patient or patient
    left_out = f"{plural(others, 'session')} of patients left out: pass --patient NAME to plot a patient's" \
        if others else ""
    if not weeks:
        raise HistoryError("no sessions to plot" + (f" for '{exercise_slug}'" if exercise_slug else "")
                           + (f" of patient '{patient}'" if patient else "")
                           + (f" ({left_out})" if left_out else "")
                           + "; run 'posecoach history' to see what is recorded")
    write_progress(weeks, output, force=force, per_session=per_session, patient=patient,
                   inputs=[_db_file(db_path)])
    count = plural(sum(w.sessions for w in weeks), "session") if per_session else \
        plural(len({w.week for w in weeks}), "week")
    echo(f"Wrote {output} ({count}" + (f"; {left_out}" if left_out else "") + ")", err=True)


COMMANDS = [history, show, export, import_, delete, report, progress]
