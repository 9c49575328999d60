"""Histories as an older posecoach left them, to test that opening one upgrades it."""

from __future__ import annotations

import sqlite3

ADDED_BY_MIGRATION: dict[int, tuple[str, ...]] = {
    3: ("DROP INDEX sessions_patient", "DROP INDEX sessions_content", "ALTER TABLE sessions DROP COLUMN patient",
        "ALTER TABLE sessions DROP COLUMN content_hash", "ALTER TABLE sessions DROP COLUMN posecoach_version"),
    4: ("DROP INDEX sessions_recording", "ALTER TABLE sessions DROP COLUMN recording",
        "ALTER TABLE sessions DROP COLUMN segment_index", "ALTER TABLE sessions DROP COLUMN segment_of",
        "ALTER TABLE sessions DROP COLUMN segment_start_s", "ALTER TABLE sessions DROP COLUMN segment_end_s",
        "ALTER TABLE sessions DROP COLUMN recognised"),
    5: ("ALTER TABLE sessions DROP COLUMN analysis_settings",),
}
"""What migration ``n`` (to schema ``n``) added to the sessions table, as the statements that take it away."""


def as_schema(db: sqlite3.Connection, version: int) -> None:
    """Take a current history back to schema ``version``: undo, newest first, what each later
    migration added (rows written since keep their other columns)."""
    current = int(db.execute("PRAGMA user_version").fetchone()[0])
    statements = [s for step in range(current, version, -1) for s in ADDED_BY_MIGRATION[step]]
    db.executescript("; ".join([*statements, f"PRAGMA user_version = {version}"]) + ";")
