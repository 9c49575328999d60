"""The history's tables and the steps that take an older file to the current version."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

SCHEMA_VERSION = 5


def _script(db: sqlite3.Connection, script: str) -> None:
    """Runs statements one by one: ``executescript`` would COMMIT first and break the migration's transaction."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""


def _migrate_0_to_1(db: sqlite3.Connection) -> None:
    """The first schema: a rep count per session and each rep's side and range."""
    _script(db, """
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            exercise TEXT NOT NULL,
            source TEXT NOT NULL,
            started_at TEXT NOT NULL,
            duration_s REAL NOT NULL DEFAULT 0,
            reps_total INTEGER NOT NULL DEFAULT 0,
            summary_json TEXT
        );
        CREATE TABLE reps (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            side TEXT,
            t_s REAL NOT NULL,
            range_deg REAL NOT NULL
        );
    """)


def _migrate_1_to_2(db: sqlite3.Connection) -> None:
    """Sessions gain identity, mode, status and target; reps gain tempo and flags, and ``range_deg``
    becomes ``rom`` (not every signal is an angle); sets, holds, warnings and the event log appear.
    v1 reps are replayed into the event log so old sessions still open in ``show`` and ``report``.
    """
    _script(db, """
        CREATE TABLE sessions_v2 (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            exercise TEXT NOT NULL,
            source TEXT NOT NULL,
            mode TEXT NOT NULL DEFAULT 'unknown' CHECK (mode IN ('live', 'analyze', 'unknown')),
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'complete', 'partial', 'interrupted')),
            started_at TEXT NOT NULL,
            ended_at TEXT,
            duration_s REAL NOT NULL DEFAULT 0,
            fps REAL NOT NULL DEFAULT 0,
            frames INTEGER NOT NULL DEFAULT 0,
            frames_with_pose INTEGER NOT NULL DEFAULT 0,
            target_sets INTEGER,
            target_reps INTEGER,
            target_hold_s REAL,
            target_per_side INTEGER,
            signal_name TEXT NOT NULL DEFAULT '',
            signal_trace BLOB,
            summary_json TEXT
        );
        INSERT INTO sessions_v2 (id, uid, exercise, source, status, started_at, ended_at, duration_s, summary_json)
            SELECT id, lower(hex(randomblob(16))), exercise, source, 'complete', started_at, started_at,
                   duration_s, summary_json
            FROM sessions;

        CREATE TABLE reps_v2 (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            set_index INTEGER NOT NULL DEFAULT 1,
            side TEXT CHECK (side IN ('left', 'right')),
            count INTEGER NOT NULL,
            start_s REAL,
            peak_s REAL,
            end_s REAL NOT NULL,
            rom REAL NOT NULL,
            peak REAL,
            up_s REAL,
            down_s REAL,
            held_s REAL NOT NULL DEFAULT 0,
            flags TEXT NOT NULL DEFAULT '[]',
            uncertain TEXT
        );
        INSERT INTO reps_v2 (id, session_id, side, count, end_s, rom)
            SELECT id, session_id, side,
                   row_number() OVER (PARTITION BY session_id, side ORDER BY t_s, id), t_s, range_deg
            FROM reps;

        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            t_s REAL NOT NULL,
            kind TEXT NOT NULL,
            data TEXT NOT NULL
        );
        INSERT INTO events (session_id, t_s, kind, data)
            SELECT session_id, end_s, 'rep',
                   json_object('kind', 'rep', 't_s', end_s, 'side', side, 'count', count, 'rom', rom)
            FROM reps_v2 ORDER BY session_id, end_s, id;

        DROP TABLE reps;
        DROP TABLE sessions;
        ALTER TABLE sessions_v2 RENAME TO sessions;
        ALTER TABLE reps_v2 RENAME TO reps;

        CREATE TABLE sets (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            set_index INTEGER NOT NULL,
            end_s REAL NOT NULL,
            reps INTEGER NOT NULL,
            reps_left INTEGER NOT NULL DEFAULT 0,
            reps_right INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE holds (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            set_index INTEGER NOT NULL DEFAULT 1,
            side TEXT CHECK (side IN ('left', 'right')),
            start_s REAL NOT NULL,
            end_s REAL NOT NULL,
            held_s REAL NOT NULL,
            target_s REAL NOT NULL,
            completed INTEGER NOT NULL
        );
        CREATE TABLE warnings (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            set_index INTEGER NOT NULL DEFAULT 1,
            t_s REAL NOT NULL,
            code TEXT NOT NULL,
            message TEXT NOT NULL,
            side TEXT CHECK (side IN ('left', 'right')),
            rep INTEGER
        );
        CREATE INDEX sessions_started ON sessions (started_at);
        CREATE INDEX sessions_exercise ON sessions (exercise, started_at);
        CREATE INDEX reps_session ON reps (session_id);
        CREATE INDEX events_session ON events (session_id);
        CREATE INDEX sets_session ON sets (session_id);
        CREATE INDEX holds_session ON holds (session_id);
        CREATE INDEX warnings_session ON warnings (session_id);
    """)


def _migrate_2_to_3(db: sqlite3.Connection) -> None:
    """Sessions gain a patient, so a physiotherapist's patients stay apart from each other and from their
    own sessions, and what batch analysis needs to skip a video it already analysed (``posecoach.batch``):
    the input's content hash and the posecoach version that analysed it. Analysed videos lose the target
    they were saved with: it was the catalogue's dose, which nobody prescribed (``analyze`` had no way
    to set one), and reports showed it as if."""
    _script(db, """
        ALTER TABLE sessions ADD COLUMN content_hash TEXT;
        ALTER TABLE sessions ADD COLUMN posecoach_version TEXT;
        ALTER TABLE sessions ADD COLUMN patient TEXT;
        CREATE INDEX sessions_content ON sessions (content_hash, exercise);
        CREATE INDEX sessions_patient ON sessions (patient, started_at);
        UPDATE sessions SET target_sets = NULL, target_reps = NULL, target_hold_s = NULL, target_per_side = NULL
            WHERE mode = 'analyze';
    """)


def _migrate_3_to_4(db: sqlite3.Connection) -> None:
    """A recording of several exercises one after another (``analyze`` without ``-e``) is saved as one
    session per exercise: sessions gain which part of the recording they are (``segment_*``), the
    recording they belong to (``recording``: the uid of its first part's session) and whether their
    exercise was recognised surely, so ``history``, ``show`` and ``report`` can put the parts back
    together. Sessions saved since recognition came already hold both in their summary JSON: they are
    filled in from it (a damaged JSON is left alone)."""
    _script(db, """
        ALTER TABLE sessions ADD COLUMN recording TEXT;
        ALTER TABLE sessions ADD COLUMN segment_index INTEGER;
        ALTER TABLE sessions ADD COLUMN segment_of INTEGER;
        ALTER TABLE sessions ADD COLUMN segment_start_s REAL;
        ALTER TABLE sessions ADD COLUMN segment_end_s REAL;
        ALTER TABLE sessions ADD COLUMN recognised TEXT CHECK (recognised IN ('sure', 'unsure'));
        CREATE INDEX sessions_recording ON sessions (recording, segment_index);
        UPDATE sessions SET
            segment_index = json_extract(summary_json, '$.segment.index'),
            segment_of = json_extract(summary_json, '$.segment.of'),
            segment_start_s = json_extract(summary_json, '$.segment.start_s'),
            segment_end_s = json_extract(summary_json, '$.segment.end_s'),
            recognised = CASE json_type(summary_json, '$.recognition.sure')
                WHEN 'true' THEN 'sure' WHEN 'false' THEN 'unsure' END
            WHERE json_valid(summary_json) AND json_type(summary_json) = 'object';
        UPDATE sessions SET recording = uid WHERE segment_index = 1;
        UPDATE sessions SET recording = (
            SELECT first.uid FROM sessions AS first
            WHERE first.segment_index = 1 AND first.source = sessions.source
                AND first.segment_of = sessions.segment_of AND first.id < sessions.id
            ORDER BY first.id DESC LIMIT 1)
            WHERE segment_index > 1;
    """)


def _migrate_4_to_5(db: sqlite3.Connection) -> None:
    """Sessions gain the settings besides content and version that decide an analysis (the pose model's
    hash and the side asked for, ``posecoach.batch.analysis_settings``), so a batch re-run with another
    ``--model`` or ``--side`` analyses again instead of skipping. Older sessions keep NULL: which model
    made them is unknown, so a batch analyses them once more."""
    _script(db, """
        ALTER TABLE sessions ADD COLUMN analysis_settings TEXT;
    """)


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _migrate_0_to_1, _migrate_1_to_2, _migrate_2_to_3, _migrate_3_to_4, _migrate_4_to_5)
"""``MIGRATIONS[n]`` takes a database from version n to n + 1. A new database runs them all, so the
upgrade path is exercised on every install, not only on old files. Never edit a released step."""
assert len(MIGRATIONS) == SCHEMA_VERSION
