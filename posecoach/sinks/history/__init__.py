"""Session history in SQLite: every ``live`` and ``analyze`` run, its sets, reps, holds and warnings.

Why SQLite: one file in the user's data folder, no server, readers never block the writer (WAL),
and each commit survives a killed process. A live session is written event by event through
:class:`HistoryRecorder`, committing every rep as it happens, so a crash loses at most the rep in
progress; an analysed video is written in one transaction by :meth:`HistoryStore.save_summary`.

Two layers of tables, on purpose: ``events`` is the lossless log a :class:`SessionSummary` is
rebuilt from (``show``, ``report``, ``export``, even for a session that never closed); ``sets``,
``reps``, ``holds`` and ``warnings`` are the typed projection that listings and progress query.
"""

from posecoach.sinks.history.export import EXPORT_CSV_FIELDS, EXPORT_FORMAT, EXPORT_VERSION, validate_export
from posecoach.sinks.history.location import ENV_DB, default_db_path, user_data_dir
from posecoach.sinks.history.records import MODES, STATUSES, SegmentInfo, SessionInfo, WeekStats, target_for
from posecoach.sinks.history.schema import MIGRATIONS, SCHEMA_VERSION
from posecoach.sinks.history.sink import HistorySink
from posecoach.sinks.history.store import BUSY_TIMEOUT_S, HistoryRecorder, HistoryStore, open_store

__all__ = [
    "BUSY_TIMEOUT_S", "ENV_DB", "EXPORT_CSV_FIELDS", "EXPORT_FORMAT", "EXPORT_VERSION", "MIGRATIONS", "MODES",
    "SCHEMA_VERSION", "STATUSES", "HistoryRecorder", "HistorySink", "HistoryStore", "SegmentInfo", "SessionInfo",
    "WeekStats", "default_db_path", "open_store", "target_for", "user_data_dir", "validate_export",
]
