"""The open history database, and the recorder that writes a session into it event by event."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import numpy as np

from posecoach.errors import HistoryError
from posecoach.events import (
    Event,
    FormWarning,
    HoldEnded,
    RepCompleted,
    SetCompleted,
    event_from_dict,
)
from posecoach.exercises.definition import Target
from posecoach.sinks.history import schema
from posecoach.sinks.history.export import EXPORT_CSV_FIELDS, EXPORT_FORMAT, EXPORT_VERSION, validate_export
from posecoach.sinks.history.location import ENV_DB, default_db_path
from posecoach.sinks.history.records import (
    MODES,
    STATUSES,
    SegmentInfo,
    SessionInfo,
    WeekStats,
    iso,
    json_object,
    parse_time,
    target_from_dict,
    trace_blob,
    trace_from_blob,
    utcnow,
)
from posecoach.sinks.history.schema import SCHEMA_VERSION
from posecoach.summary import SessionMode, SessionStatus, SessionSummary

BUSY_TIMEOUT_S = 15.0
"""How long a write waits for other posecoach processes to finish their own writes. They queue: six
imports started at once into one history on a loaded 2-core machine left the last one waiting over
5 s (the full suite running beside the concurrent-imports test). It only waits while another
process is writing."""


UNREADABLE = frozenset({"SQLITE_NOTADB", "SQLITE_CORRUPT", "SQLITE_CORRUPT_VTAB", "SQLITE_CORRUPT_SEQUENCE",
                        "SQLITE_CORRUPT_INDEX"})
"""SQLite's own verdicts that a file is not a database or is damaged."""


def _locked(exc: sqlite3.OperationalError) -> bool:
    """Another connection holds the lock SQLite needed ("database is locked", "... busy")."""
    text = str(exc)
    return "locked" in text or "busy" in text


def _unreadable_text(exc: sqlite3.DatabaseError) -> bool:
    text = str(exc).lower()
    return "not a database" in text or "malformed" in text or "corrupt" in text


class HistoryStore:
    """An open history database. Use as a context manager; ``db`` is the raw connection for SQL.

    Opening migrates an older schema; a corrupt, foreign or newer file raises :class:`HistoryError`
    and is never written to.
    """

    def __init__(self, path: str | Path, *, create: bool = True, timeout_s: float | None = None) -> None:
        self.path = Path(path).expanduser()
        if not create and not self.path.exists():
            raise HistoryError(
                f"no history database at {self.path} yet: sessions are saved by 'posecoach analyze' and "
                "'posecoach live' (or pass --db to use another file)"
            )
        if not self.path.parent.is_dir():
            raise HistoryError(f"the folder of the history database {self.path} does not exist; create it or pass "
                               "--db with a path in an existing folder")
        timeout = BUSY_TIMEOUT_S if timeout_s is None else timeout_s
        # A history that cannot be written (a read-only mount, a backup copy) can still be read.
        self.read_only = not create and self.path.exists() and not (
            os.access(self.path, os.W_OK) and os.access(self.path.parent, os.W_OK))
        try:
            if self.read_only:
                # Without a writable folder SQLite cannot make the WAL index: read the file as it is.
                flags = "mode=ro" + ("" if os.access(self.path.parent, os.W_OK) else "&immutable=1")
                uri = f"{self.path.resolve().as_uri()}?{flags}"
                self.db = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)
            else:
                self.db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
        except (sqlite3.Error, ValueError) as exc:
            raise HistoryError(f"cannot open the history database {self.path} ({exc}); check the path and its "
                               "permissions, or pass --db with another file") from exc
        self.db.row_factory = sqlite3.Row
        self._depth = 0
        try:
            with self._errors("open"):
                self._prepare_patiently(timeout)
        except BaseException:
            self.db.close()
            raise

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    # -- errors and transactions

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Turns sqlite3's exceptions into one :class:`HistoryError` that says what to do next."""
        try:
            yield
        except sqlite3.OperationalError as exc:
            text = str(exc)
            if _locked(exc):
                raise HistoryError(
                    f"the history database {self.path} is locked by another process (another posecoach "
                    "session?); wait for it to finish and try again, or pass --db with another file"
                ) from exc
            if "full" in text:
                raise HistoryError(
                    f"the disk holding {self.path} is full while trying to {doing}; what was saved before is "
                    "kept and readable; free some space and try again"
                ) from exc
            if "readonly" in text or "read-only" in text or "unable to open" in text:
                raise HistoryError(f"cannot write the history database {self.path} ({text}); check its "
                                   "permissions or pass --db with another file") from exc
            raise HistoryError(f"history database {self.path}: {text} (while trying to {doing})") from exc
        except sqlite3.DatabaseError as exc:
            # Only a file SQLite cannot read as a database is "unreadable"; a constraint or a value
            # error on a healthy history must never tell the user to abandon it.
            if getattr(exc, "sqlite_errorname", "") in UNREADABLE or _unreadable_text(exc):
                raise HistoryError(
                    f"{self.path} is not a readable posecoach history ({exc}); it has been left untouched. "
                    "Move it aside to start a new history, or pass --db with another file"
                ) from exc
            raise HistoryError(f"could not {doing} in the history database {self.path} ({exc}); the history "
                               "itself is fine and nothing was changed. This is a bug in posecoach if it happens "
                               "again: please report it") from exc
        except OverflowError as exc:  # a number too large for SQLite's 64-bit integers
            raise HistoryError(f"could not {doing}: {exc}; nothing was changed") from exc

    @contextmanager
    def transaction(self, doing: str = "save the session") -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``: takes the write lock up front so a busy database fails fast
        and cleanly instead of mid-way. Nested calls join the outer transaction."""
        with self._errors(doing):
            if self._depth:
                self._depth += 1
                try:
                    yield self.db
                finally:
                    self._depth -= 1
                return
            self.db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self.db
            except BaseException:
                self._depth = 0
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise
            self._depth = 0
            try:
                self.db.execute("COMMIT")
            except sqlite3.Error:
                if self.db.in_transaction:  # a COMMIT that hit a full disk leaves the transaction open
                    self.db.execute("ROLLBACK")
                raise

    def _prepare_patiently(self, timeout_s: float) -> None:
        """:meth:`_prepare`, tried again while another process holds the lock, for up to ``timeout_s``.

        SQLite's busy timeout does not cover everything opening does: switching a new file to WAL
        while another process does the same can get "database is locked" at once, because SQLite
        refuses to wait where waiting could deadlock (one of six concurrent imports into a new
        history failed that way). Every step of :meth:`_prepare` can be run again safely.
        """
        deadline = time.monotonic() + timeout_s
        pause_s = 0.01
        while True:
            try:
                self._prepare()
                return
            except sqlite3.OperationalError as exc:
                if not _locked(exc) or time.monotonic() + pause_s > deadline:
                    raise
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            time.sleep(pause_s * random.uniform(0.5, 1.5))  # jittered so the waiting processes do not retry in step
            pause_s = min(pause_s * 2, 0.5)

    def _prepare(self) -> None:
        self._checked_version()
        if not self.read_only:
            mode = self.db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise HistoryError(f"cannot switch {self.path} to WAL mode (it stays '{mode}'); "
                                   "is it on a network drive? Pass --db with a local file")
            self.db.execute("PRAGMA synchronous = NORMAL")
        if self._checked_version() < SCHEMA_VERSION:
            if self.read_only:
                raise HistoryError(f"{self.path} needs an upgrade to this posecoach's schema but cannot be written "
                                   "(read-only); open it once where it can be written, or pass --db with a copy")
            self._migrate()
        self.db.execute("PRAGMA foreign_keys = ON")

    def _checked_version(self) -> int:
        """The schema version, refusing what this posecoach cannot (or must not) upgrade.

        The version and the tables are read in one snapshot: another process creating the same new
        history may commit its first migration between two separate reads, and version 0 beside its
        tables looked like a foreign database (one of six concurrent imports failed under load).
        """
        snapshot = not self.db.in_transaction
        if snapshot:
            self.db.execute("BEGIN")
        try:
            version = int(self.db.execute("PRAGMA user_version").fetchone()[0])
            tables = int(self.db.execute("SELECT count(*) FROM sqlite_schema").fetchone()[0])
        finally:
            if snapshot:
                self.db.execute("COMMIT")
        if version < 0:
            raise HistoryError(f"{self.path} is not a readable posecoach history (schema version {version}); it has "
                               "been left untouched. Move it aside to start a new history, or pass --db with "
                               "another file")
        if version > SCHEMA_VERSION:
            raise HistoryError(f"{self.path} was written by a newer posecoach (schema {version}, this one reads "
                               f"up to {SCHEMA_VERSION}); upgrade posecoach, or pass --db with another file")
        if version == 0 and tables:
            raise HistoryError(f"{self.path} is an SQLite database but not a posecoach history; it has been left "
                               "untouched. Pass --db with another file")
        return version

    def _migrate(self) -> None:
        """Each step in its own transaction with its version bump, so a failed step leaves the file as it was.

        The version is read again *under the write lock*: several processes opening a new history at
        once (six concurrent imports) each find it already upgraded by whoever got the lock first,
        instead of running a step twice ("no such column" half-way through).
        """
        self.db.execute("PRAGMA foreign_keys = OFF")
        try:
            while True:
                with self.transaction("upgrade the history"):
                    version = self._checked_version()
                    if version >= SCHEMA_VERSION:
                        return
                    schema.MIGRATIONS[version](self.db)
                    self.db.execute(f"PRAGMA user_version = {version + 1}")
        finally:
            self.db.execute("PRAGMA foreign_keys = ON")

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    # -- writing

    def recorder(self, exercise: str, source: str, **kwargs: Any) -> HistoryRecorder:
        """A :class:`HistoryRecorder` on this store with its session already open."""
        recorder = HistoryRecorder(self)
        recorder.open_session(exercise, source, **kwargs)
        return recorder

    def save_summary(self, summary: SessionSummary, *, mode: str = SessionMode.ANALYZE, target: Target | None = None,
                     started_at: datetime | None = None, recording: str | None = None) -> int:
        """Saves a whole run (an analysed video) in one transaction; returns the session id.

        ``target`` defaults to ``summary.target``: what was prescribed, None when nothing was (the
        catalogue's dose is never stored as if someone had asked for it). The patient is ``summary.patient``;
        ``recording`` links the parts of one recording of several exercises (see :meth:`save_summaries`).
        """
        target = summary.target if target is None else target
        with self.transaction("save the session"):
            recorder = HistoryRecorder(self)
            session_id = recorder.open_session(summary.exercise, summary.source, mode=mode, target=target,
                                               started_at=started_at, patient=summary.patient, recording=recording)
            for event in summary.events:
                recorder.record(event)
            recorder.close(summary)
        return session_id

    def save_summaries(self, summaries: Iterable[SessionSummary], *, mode: str = SessionMode.ANALYZE) -> list[int]:
        """Saves the runs of one ``analyze`` in one transaction; returns their session ids.

        A recording of several exercises comes as one summary per segment, numbered 1 to ``of``: those
        sessions share one ``recording`` id, so the history can show them as the one recording they are.
        """
        ids = []
        recording: tuple[str, str] | None = None  # (id, source) of the recording whose parts are being saved
        with self.transaction("save the sessions"):
            for summary in summaries:
                index = summary.segment.get("index") if summary.segment else None
                if index == 1:
                    recording = (uuid.uuid4().hex, summary.source)
                elif index is None or recording is None or recording[1] != summary.source:
                    recording = None
                ids.append(self.save_summary(summary, mode=mode, recording=recording[0] if recording else None))
        return ids

    def delete(self, session_id: int) -> None:
        with self.transaction("delete the session"):
            deleted = self.db.execute("DELETE FROM sessions WHERE id = ?", (session_id,)).rowcount
        if not deleted:
            raise self._no_session(str(session_id))

    # -- reading

    def sessions(self, exercise: str | None = None, since: datetime | None = None,
                 session_id: int | None = None, patient: str | None = None, *,
                 own_only: bool = False, recording: str | None = None) -> list[SessionInfo]:
        """Sessions oldest first, with their totals; ``patient`` matches the name without regard to case,
        ``own_only`` keeps the sessions recorded without a patient (the user's own), ``recording`` the
        parts of one recording."""
        clauses: list[str] = []
        params: list[Any] = []
        if recording is not None:
            clauses.append("s.recording = ?")
            params.append(recording)
        if patient is not None:
            clauses.append("lower(s.patient) = lower(?)")
            params.append(patient.strip())
        elif own_only:
            clauses.append("s.patient IS NULL")
        if session_id is not None:
            clauses.append("s.id = ?")
            params.append(session_id)
        if exercise:
            clauses.append("s.exercise = ?")
            params.append(exercise)
        if since is not None:
            clauses.append("s.started_at >= ?")
            params.append(iso(since))
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._errors("read the history"):
            rows = self.db.execute(f"""
                SELECT s.*,
                    (SELECT count(*) FROM reps r WHERE r.session_id = s.id) AS n_reps,
                    (SELECT count(*) FROM reps r WHERE r.session_id = s.id AND r.side = 'left') AS n_left,
                    (SELECT count(*) FROM reps r WHERE r.session_id = s.id AND r.side = 'right') AS n_right,
                    (SELECT count(*) FROM holds h WHERE h.session_id = s.id) AS n_holds,
                    (SELECT coalesce(sum(held_s), 0) FROM holds h WHERE h.session_id = s.id) AS total_held,
                    (SELECT count(*) FROM warnings w WHERE w.session_id = s.id) AS n_warnings
                FROM sessions s {where}
                ORDER BY s.started_at, s.id
            """, params).fetchall()
        return [self._info(row) for row in rows]

    def session(self, ref: str | int) -> SessionInfo:
        """A session by id, or ``last`` for the most recent one."""
        return self.sessions(session_id=self.resolve(ref))[0]

    def recording_parts(self, info: SessionInfo) -> list[SessionInfo]:
        """Every session of the recording ``info`` is part of, in the recording's order; ``[info]`` when it
        is a recording of one exercise (or its other parts were deleted)."""
        if info.recording is None:
            return [info]
        parts = self.sessions(recording=info.recording)
        return sorted(parts, key=lambda part: (part.segment.index if part.segment else 0, part.id))

    def resolve(self, ref: str | int) -> int:
        text = str(ref).strip()
        with self._errors("read the history"):
            if text.lower() == "last":
                row = self.db.execute("SELECT id FROM sessions ORDER BY started_at DESC, id DESC LIMIT 1").fetchone()
            elif text.isdigit():
                row = self.db.execute("SELECT id FROM sessions WHERE id = ?", (int(text),)).fetchone()
            else:
                row = None
        if row is None:
            raise self._no_session(text)
        return int(row["id"])

    def _no_session(self, ref: str) -> HistoryError:
        return HistoryError(f"no session '{ref}' in {self.path}; run 'posecoach history' to list the session "
                            "ids, or use 'last'")

    def load_summary(self, ref: str | int) -> SessionSummary:
        """Rebuilds the run from the event log; a session that never closed is marked partial."""
        session_id = self.resolve(ref)
        with self._errors("read the session"):
            row = self.db.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
            stored_events = self.db.execute(
                "SELECT data FROM events WHERE session_id = ? ORDER BY id", (session_id,)).fetchall()
        try:
            events = [event_from_dict(json.loads(data)) for (data,) in stored_events]
            stored = json.loads(row["summary_json"]) if row["summary_json"] else {}
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise HistoryError(f"session {session_id} in {self.path} holds a damaged record ({exc}); delete it with "
                               f"'posecoach delete {session_id}' or restore the history from an export") from exc
        notes = list(stored.get("notes", []))
        if row["status"] == SessionStatus.OPEN:
            notes.append("This session did not close (still running, or the program was stopped abruptly): "
                         "reps completed until then are shown; the one in progress was lost.")
        elif row["status"] == SessionStatus.INTERRUPTED:
            notes.append("This session was interrupted; reps completed until then are shown.")
        duration = row["duration_s"] or max((e.t_s for e in events), default=0.0)
        return SessionSummary(
            exercise=row["exercise"], source=row["source"], duration_s=duration, fps=row["fps"],
            frames=row["frames"], frames_with_pose=row["frames_with_pose"], events=events,
            partial=row["status"] != SessionStatus.COMPLETE, notes=notes, signal_name=row["signal_name"],
            signal_trace=trace_from_blob(row["signal_trace"]), camera_side=stored.get("camera_side"),
            target=self._info_target(row), patient=row["patient"], recorded_at=stored.get("recorded_at"),
            recorded_at_from=stored.get("recorded_at_from"), recognition=json_object(stored.get("recognition")),
            segment=json_object(stored.get("segment")),
        )

    def weekly(self, exercise: str | None = None, since: datetime | None = None, *, patient: str | None = None,
               per_session: bool = False, own_only: bool = False) -> list[WeekStats]:
        """Reps per side, mean range of motion and hold time per exercise and ISO week (local time).

        ``per_session``: one entry per session instead (``week`` is then the session's local date),
        for a history too short for weekly bars to mean anything.
        """
        sessions = self.sessions(exercise, since, patient=patient, own_only=own_only)
        by_id = {info.id: info for info in sessions}
        with self._errors("read the history"):
            reps = self.db.execute("SELECT session_id, side, rom FROM reps").fetchall()
        weeks: dict[tuple[date, str, int], dict[str, Any]] = {}

        def bucket(info: SessionInfo) -> dict[str, Any]:
            local = info.started_at.astimezone().date()
            key = (local, info.exercise, info.id) if per_session else \
                (local - timedelta(days=local.weekday()), info.exercise, 0)
            return weeks.setdefault(key, {
                "sessions": 0, "reps": {"left": 0, "right": 0, "both": 0}, "rom": [], "held_s": 0.0})

        for info in sessions:
            entry = bucket(info)
            entry["sessions"] += 1
            entry["held_s"] += info.held_s
        for rep in reps:
            owner = by_id.get(rep["session_id"])
            if owner is None:
                continue
            entry = bucket(owner)
            entry["reps"][rep["side"] or "both"] += 1
            entry["rom"].append(rep["rom"])
        return [
            WeekStats(week, slug, e["sessions"], e["reps"],
                      float(np.mean(e["rom"])) if e["rom"] else None, e["held_s"])
            for (week, slug, _), e in sorted(weeks.items())
        ]

    @staticmethod
    def _info_target(row: sqlite3.Row) -> Target | None:
        if row["target_sets"] is None:
            return None
        return Target(row["target_sets"], row["target_reps"], row["target_hold_s"], bool(row["target_per_side"]))

    def _info(self, row: sqlite3.Row) -> SessionInfo:
        target = self._info_target(row)
        return SessionInfo(
            id=row["id"], uid=row["uid"], exercise=row["exercise"], source=row["source"],
            mode=SessionMode(row["mode"]), status=SessionStatus(row["status"]),
            started_at=parse_time(row["started_at"]),
            ended_at=parse_time(row["ended_at"]) if row["ended_at"] else None, duration_s=row["duration_s"],
            target=target, reps=row["n_reps"], reps_left=row["n_left"], reps_right=row["n_right"],
            holds=row["n_holds"], held_s=row["total_held"], warnings=row["n_warnings"], patient=row["patient"],
            recording=row["recording"], recognised=row["recognised"],
            segment=SegmentInfo(row["segment_index"], row["segment_of"], row["segment_start_s"], row["segment_end_s"])
            if row["segment_index"] is not None else None,
        )

    # -- export and import

    def export_records(self, sessions: Iterable[SessionInfo] | None = None) -> list[dict[str, Any]]:
        """One self-contained dict per session: metadata, the summary contract and the angle trace."""
        records = []
        for info in self.sessions() if sessions is None else sessions:
            summary = self.load_summary(info.id)
            meta = info.to_dict()
            records.append({
                "uid": info.uid, "patient": info.patient, "exercise": info.exercise, "source": info.source,
                "mode": info.mode, "recording": info.recording,
                "status": info.status, "started_at": meta["started_at"], "ended_at": meta["ended_at"],
                "target": meta["target"], "summary": summary.to_dict(),
                "signal": {"name": summary.signal_name, "trace": [[t, v] for t, v in summary.signal_trace]},
            })
        return records

    def export_rows(self, sessions: Iterable[SessionInfo] | None = None) -> list[dict[str, Any]]:
        """One flat row per rep, hold and warning (``record`` says which), for a spreadsheet.

        Lossy by design; the JSON export is the one that imports back.
        """
        chosen = list(self.sessions() if sessions is None else sessions)
        ids = {info.id: info for info in chosen}
        marks = ",".join("?" * len(ids))
        with self._errors("read the history"):
            rows = self.db.execute(f"""
                SELECT 'rep' AS record, session_id, set_index, side, count AS rep, start_s, end_s, rom, peak, up_s,
                       down_s, held_s, NULL AS target_s, NULL AS completed, flags, NULL AS code, NULL AS message
                FROM reps WHERE session_id IN ({marks})
                UNION ALL
                SELECT 'hold', session_id, set_index, side, NULL, start_s, end_s, NULL, NULL, NULL, NULL, held_s,
                       target_s, completed, NULL, NULL, NULL
                FROM holds WHERE session_id IN ({marks})
                UNION ALL
                SELECT 'warning', session_id, set_index, side, rep, t_s, t_s, NULL, NULL, NULL, NULL, NULL, NULL,
                       NULL, NULL, code, message
                FROM warnings WHERE session_id IN ({marks})
                ORDER BY session_id, end_s
            """, [*ids, *ids, *ids]).fetchall()
        out = []
        for row in rows:
            info = ids[row["session_id"]]
            record = {"session": info.id, "started_at": iso(info.started_at), "exercise": info.exercise, **dict(row)}
            record["flags"] = " ".join(json.loads(row["flags"])) if row["flags"] else ""
            out.append({key: record[key] for key in EXPORT_CSV_FIELDS})
        return out

    def export_document(self, sessions: Iterable[SessionInfo] | None = None) -> dict[str, Any]:
        return {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "schema_version": SCHEMA_VERSION,
                "sessions": self.export_records(sessions)}

    def import_document(self, document: Any) -> tuple[int, int]:
        """Adds the exported sessions this history lacks (matched by ``uid``), in one transaction.

        The whole document is validated first (:func:`validate_export`): one bad record rejects the
        file and nothing is written. Returns ``(imported, already_present)``; importing the same file
        twice changes nothing.
        """
        records = validate_export(document)
        imported = present = 0
        with self.transaction("import sessions"):
            for record in records:
                if self.db.execute("SELECT 1 FROM sessions WHERE uid = ?", (record["uid"],)).fetchone():
                    present += 1
                    continue
                self._import_record(record)
                imported += 1
        return imported, present

    def _import_record(self, record: Mapping[str, Any]) -> None:
        try:
            data = record["summary"]
            summary = SessionSummary(
                exercise=record["exercise"], source=record["source"], duration_s=float(data["duration_s"]),
                fps=float(data["fps"]), frames=int(data["frames"]), frames_with_pose=int(data["frames_with_pose"]),
                events=[event_from_dict(e) for e in data["events"]], partial=bool(data["partial"]),
                notes=list(data.get("notes", [])), signal_name=record["signal"]["name"],
                signal_trace=[(float(t), float(v)) for t, v in record["signal"]["trace"]],
                camera_side=data.get("camera_side"), recorded_at=data.get("recorded_at"),
                recorded_at_from=data.get("recorded_at_from"),
                patient=record.get("patient"), recognition=data.get("recognition"), segment=data.get("segment"),
            )
            started_at = parse_time(record["started_at"])
            ended_at = parse_time(record["ended_at"]) if record["ended_at"] else None
        except (KeyError, TypeError, ValueError) as exc:
            raise HistoryError(f"session {record.get('uid', '?')} in the export is incomplete ({exc!r}); "
                               "nothing was imported. Export it again with 'posecoach export'") from exc
        recorder = HistoryRecorder(self)
        recorder.open_session(summary.exercise, summary.source, mode=record["mode"],
                              target=target_from_dict(record["target"]), started_at=started_at, uid=record["uid"],
                              patient=summary.patient, recording=record.get("recording"))
        for event in summary.events:
            recorder.record(event)
        if record["status"] == SessionStatus.OPEN:
            recorder.detach()
            return
        recorder.close(summary, status=record["status"], ended_at=ended_at)



def open_store(db: str | Path | None = None, *, create: bool = True) -> HistoryStore:
    """The history at ``db``, else at :func:`default_db_path` (whose folder is created on first use)."""
    if db is None:
        path = default_db_path()
        if create:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise HistoryError(f"cannot create the history folder {path.parent} ({exc.strerror}); "
                                   f"pass --db or set {ENV_DB} to a writable file") from exc
        return HistoryStore(path, create=create)
    return HistoryStore(db, create=create)


class HistoryRecorder:
    """A sink that writes one session event by event, committing each as it arrives.

    A killed process therefore loses at most the rep in progress (which is not an event yet).
    Leaving the ``with`` block without :meth:`close` — an exception, Ctrl-C — marks the session
    ``interrupted`` in ``finally``; a ``SIGKILL`` leaves it ``open`` with everything committed so far::

        with HistoryRecorder(db_path) as history:
            history.open_session("lying-march", "camera:0", mode="live")
            for event in events:
                history.record(event)
            history.close(summary)
    """

    def __init__(self, store: HistoryStore | str | Path | None = None) -> None:
        self._owns_store = not isinstance(store, HistoryStore)
        self.store = store if isinstance(store, HistoryStore) else open_store(store)
        self.session_id: int | None = None
        self._set_index = 1
        self._closed = False

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if self.session_id is not None and not self._closed:
                self._mark_interrupted(quietly=exc is not None)
        finally:
            if self._owns_store:
                self.store.close()

    def _mark_interrupted(self, quietly: bool) -> None:
        """An error that is already propagating is more useful than a second one about saving."""
        try:
            with self.store.transaction("mark the session interrupted"):
                self.store.db.execute(
                    "UPDATE sessions SET status = ?, ended_at = ?, duration_s = "
                    "coalesce((SELECT max(t_s) FROM events WHERE session_id = ?), 0) WHERE id = ?",
                    (SessionStatus.INTERRUPTED, iso(utcnow()), self.session_id, self.session_id))
            self._closed = True
        except HistoryError:
            if not quietly:
                raise

    def open_session(self, exercise: str, source: str, *, mode: str = SessionMode.LIVE, target: Target | None = None,
                     started_at: datetime | None = None, uid: str | None = None, patient: str | None = None,
                     recording: str | None = None) -> int:
        """Creates the session row (committed at once, so even an empty session is on record).

        ``target`` is what was prescribed (``Target.from_exercise(exercise)``, or the user's own
        numbers); None means unknown.
        """
        if self.session_id is not None:
            raise HistoryError("this recorder already holds a session; use one HistoryRecorder per session")
        if mode not in MODES:
            raise HistoryError(f"unknown session mode '{mode}'; expected one of {', '.join(MODES)}")
        started = started_at or utcnow()
        with self.store.transaction("start the session") as db:
            cursor = db.execute(
                "INSERT INTO sessions (uid, exercise, source, mode, status, started_at, target_sets, target_reps, "
                "target_hold_s, target_per_side, patient, recording) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (uid or uuid.uuid4().hex, exercise, source, mode, SessionStatus.OPEN, iso(started),
                 target.sets if target else None, target.reps if target else None,
                 target.hold_s if target else None, int(target.per_side) if target else None,
                 patient.strip() if patient and patient.strip() else None, recording))
        self.session_id = int(cursor.lastrowid or 0)
        return self.session_id

    def record(self, event: Event) -> None:
        """Appends one event to the log and its typed table, in one committed transaction."""
        session_id = self._require_open()
        with self.store.transaction(f"save a {event.kind} event") as db:
            data = json.dumps(event.to_dict())
            db.execute("INSERT INTO events (session_id, t_s, kind, data) VALUES (?, ?, ?, ?)",
                       (session_id, event.t_s, event.kind, data))
            self._project(db, session_id, event)

    def _project(self, db: sqlite3.Connection, session_id: int, event: Event) -> None:
        side = getattr(event, "side", None)
        side_value = side.value if side is not None else None
        if isinstance(event, RepCompleted):
            db.execute(
                "INSERT INTO reps (session_id, set_index, side, count, start_s, peak_s, end_s, rom, peak, "
                "up_s, down_s, held_s, flags, uncertain) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (session_id, self._set_index, side_value, event.count, event.start_s, event.peak_s, event.t_s,
                 event.rom, event.peak, event.up_s, event.down_s, event.held_s,
                 json.dumps(list(event.flags)), event.uncertain))
        elif isinstance(event, HoldEnded):
            db.execute(
                "INSERT INTO holds (session_id, set_index, side, start_s, end_s, held_s, target_s, completed) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (session_id, self._set_index, side_value, event.start_s, event.t_s, event.held_s, event.target_s,
                 int(event.completed)))
        elif isinstance(event, FormWarning):
            db.execute(
                "INSERT INTO warnings (session_id, set_index, t_s, code, message, side, rep) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (session_id, self._set_index, event.t_s, event.code, event.message, side_value, event.rep))
        elif isinstance(event, SetCompleted):
            db.execute(
                "INSERT INTO sets (session_id, set_index, end_s, reps, reps_left, reps_right) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (session_id, event.set_index, event.t_s, event.reps, event.reps_left, event.reps_right))
            self._set_index = event.set_index + 1

    def close(self, summary: SessionSummary | None = None, *, status: str | None = None,
              ended_at: datetime | None = None) -> None:
        """Stores the run's totals, notes and angle trace and marks it finished.

        The events are those passed to :meth:`record`; ``summary.events`` is not written again.
        ``status`` defaults to ``partial`` when the summary says the input ended early.
        """
        session_id = self._require_open()
        if status is None:
            status = SessionStatus.PARTIAL if summary is not None and summary.partial else SessionStatus.COMPLETE
        if status not in STATUSES:
            raise HistoryError(f"unknown session status '{status}'; expected one of {', '.join(STATUSES)}")
        with self.store.transaction("finish the session") as db:
            if summary is None:
                db.execute("UPDATE sessions SET status = ?, ended_at = ?, duration_s = coalesce("
                           "(SELECT max(t_s) FROM events WHERE session_id = ?), 0) WHERE id = ?",
                           (status, iso(ended_at or utcnow()), session_id, session_id))
            else:
                segment = SegmentInfo.from_summary(summary.segment)
                recognition = summary.recognition
                recognised = None if recognition is None else "sure" if recognition.get("sure") else "unsure"
                db.execute(
                    "UPDATE sessions SET status = ?, ended_at = ?, duration_s = ?, fps = ?, frames = ?, "
                    "frames_with_pose = ?, signal_name = ?, signal_trace = ?, summary_json = ?, segment_index = ?, "
                    "segment_of = ?, segment_start_s = ?, segment_end_s = ?, recognised = ? WHERE id = ?",
                    (status, iso(ended_at or utcnow()), summary.duration_s, summary.fps, summary.frames,
                     summary.frames_with_pose, summary.signal_name, trace_blob(summary.signal_trace),
                     json.dumps(summary.to_dict()), segment.index if segment else None,
                     segment.of if segment else None, segment.start_s if segment else None,
                     segment.end_s if segment else None, recognised, session_id))
        self._closed = True

    def detach(self) -> None:
        """Leaves the session ``open`` (an imported session that was open when exported)."""
        self._closed = True

    def _require_open(self) -> int:
        if self.session_id is None:
            raise HistoryError("no session is open on this recorder; call open_session() first")
        if self._closed:
            raise HistoryError(f"session {self.session_id} is already closed; open a new recorder for a new session")
        return self.session_id
