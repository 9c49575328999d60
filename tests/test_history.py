"""The session history: real SQLite files in tmp_path, real processes, no mocks."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from contextlib import nullcontext
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from posecoach.errors import HistoryError
from posecoach.events import (
    FormWarning,
    HoldEnded,
    HoldStarted,
    PoseFound,
    PoseLost,
    RepCompleted,
    SetCompleted,
)
from posecoach.exercises.definition import Target
from posecoach.landmarks import Side
from posecoach.sinks import history
from posecoach.sinks.history import SCHEMA_VERSION, HistoryRecorder, HistoryStore, default_db_path
from posecoach.summary import SessionSummary
from tests.support.history import as_schema

REPO = Path(__file__).resolve().parents[1]


def rep(t: float, side: Side | None, count: int, rom: float = 80.0, flags: tuple[str, ...] = ()) -> RepCompleted:
    return RepCompleted(t, side=side, count=count, start_s=t - 1.5, peak_s=t - 0.8, rom=rom, peak=rom + 5,
                        up_s=0.7, down_s=0.8, held_s=0.2, flags=flags)


def knee_to_chest_summary() -> SessionSummary:
    """Two sets of alternating knee-to-chest: 2 left and 2 right reps, one warning, one hold, a lost pose."""
    events = [
        rep(2.0, Side.LEFT, 1),
        FormWarning(2.4, code="back-lifting", message="Keep your back on the floor.", side=Side.RIGHT, rep=1),
        rep(4.0, Side.RIGHT, 1, rom=70.0, flags=("no-pause",)),
        SetCompleted(4.5, set_index=1, reps=2, reps_left=1, reps_right=1),
        PoseLost(5.0),
        PoseFound(5.5),
        HoldStarted(6.0, side=Side.LEFT, target_s=3.0),
        HoldEnded(9.5, side=Side.LEFT, start_s=6.0, held_s=3.5, target_s=3.0, completed=True),
        rep(11.0, Side.LEFT, 2),
        rep(13.0, Side.RIGHT, 2, rom=72.0),
    ]
    return SessionSummary("supine-knee-to-chest", "clip.mp4", duration_s=14.0, fps=30.0, frames=420,
                          frames_with_pose=400, events=events, notes=["Filmed from the side."],
                          signal_name="hip_flexion", signal_trace=[(i / 30, 40.0 + (i % 60)) for i in range(420)])


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    with HistoryStore(tmp_path / "history.db") as opened:
        yield opened


# ------------------------------------------------------------------------ where the database lives

@pytest.mark.parametrize(("platform", "env", "expected"), [
    ("linux", {}, "/home/ana/.local/share/posecoach/history.db"),
    ("linux", {"XDG_DATA_HOME": "/data"}, "/data/posecoach/history.db"),
    ("linux", {"XDG_DATA_HOME": "relative/ignored"}, "/home/ana/.local/share/posecoach/history.db"),
    ("darwin", {}, "/home/ana/Library/Application Support/posecoach/history.db"),
    ("win32", {"APPDATA": "/appdata"}, "/appdata/posecoach/history.db"),
    ("linux", {"POSECOACH_DB": "/elsewhere/mine.db"}, "/elsewhere/mine.db"),
], ids=["linux-default", "xdg", "xdg-relative", "macos", "windows", "env-override"])
def test_default_database_follows_the_platform_convention(platform: str, env: dict[str, str],
                                                           expected: str) -> None:
    assert default_db_path(env, platform, Path("/home/ana")) == Path(expected)


# ------------------------------------------------------------------------ a new database

def test_a_new_database_is_current_and_in_wal_mode(store: HistoryStore) -> None:
    assert store.schema_version == SCHEMA_VERSION
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {row[0] for row in store.db.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
    assert {"sessions", "sets", "reps", "holds", "warnings", "events"} <= tables


def test_an_explicit_path_in_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match="does not exist"):
        HistoryStore(tmp_path / "missing" / "history.db")
    assert not (tmp_path / "missing").exists()


# ------------------------------------------------------------------------ saving and reading back

def test_a_saved_analysis_reads_back_exactly(store: HistoryStore) -> None:
    summary = knee_to_chest_summary()
    session_id = store.save_summary(summary)

    assert store.load_summary(session_id).to_dict() == summary.to_dict()
    assert store.load_summary("last").signal_trace[:2] == [(0.0, 40.0), (0.033, 41.0)]
    info = store.session(session_id)
    assert (info.mode, info.status, info.reps, info.reps_left, info.reps_right, info.holds, info.warnings) == (
        "analyze", "complete", 4, 2, 2, 1, 1)
    assert info.target is None, "nothing was prescribed: the catalogue's dose is not stored as if it were"


def test_reps_are_stored_with_their_set_tempo_and_flags(store: HistoryStore) -> None:
    store.save_summary(knee_to_chest_summary())
    rows = store.db.execute("SELECT set_index, side, count, start_s, end_s, rom, up_s, down_s, flags FROM reps "
                            "ORDER BY end_s").fetchall()
    assert [tuple(r) for r in rows] == [
        (1, "left", 1, 0.5, 2.0, 80.0, 0.7, 0.8, "[]"),
        (1, "right", 1, 2.5, 4.0, 70.0, 0.7, 0.8, '["no-pause"]'),
        (2, "left", 2, 9.5, 11.0, 80.0, 0.7, 0.8, "[]"),
        (2, "right", 2, 11.5, 13.0, 72.0, 0.7, 0.8, "[]"),
    ]
    hold = store.db.execute("SELECT set_index, side, held_s, target_s, completed FROM holds").fetchone()
    assert tuple(hold) == (2, "left", 3.5, 3.0, 1)


def test_sessions_filter_by_exercise_and_date(store: HistoryStore) -> None:
    summary = knee_to_chest_summary()
    store.save_summary(summary, started_at=datetime(2025, 3, 1, 9, tzinfo=UTC))
    store.save_summary(summary, started_at=datetime(2025, 3, 10, 9, tzinfo=UTC))
    store.save_summary(SessionSummary("plank", "plank.mp4"), started_at=datetime(2025, 3, 12, 9, tzinfo=UTC))

    assert len(store.sessions()) == 3
    assert len(store.sessions(exercise="plank")) == 1
    assert len(store.sessions(since=datetime(2025, 3, 5, tzinfo=UTC))) == 2


def test_deleting_a_session_removes_its_reps_holds_and_events(store: HistoryStore) -> None:
    kept = store.save_summary(knee_to_chest_summary())
    gone = store.save_summary(knee_to_chest_summary())
    store.delete(gone)
    for table in ("reps", "holds", "warnings", "sets", "events"):
        assert store.db.execute(f"SELECT count(*) FROM {table} WHERE session_id = ?", (gone,)).fetchone()[0] == 0
        assert store.db.execute(f"SELECT count(*) FROM {table} WHERE session_id = ?", (kept,)).fetchone()[0] > 0
    with pytest.raises(HistoryError, match=f"no session '{gone}'"):
        store.delete(gone)


def test_weekly_progress_groups_by_week_and_side(store: HistoryStore) -> None:
    summary = knee_to_chest_summary()
    for day in (3, 5, 12):  # Monday 3 and Wednesday 5 March 2025, then Wednesday 12
        store.save_summary(summary, started_at=datetime(2025, 3, day, 12, tzinfo=UTC))
    weeks = store.weekly("supine-knee-to-chest")
    assert [(w.week, w.sessions, w.reps["left"], w.reps["right"], w.held_s) for w in weeks] == [
        (date(2025, 3, 3), 2, 4, 4, 7.0),
        (date(2025, 3, 10), 1, 2, 2, 3.5),
    ]
    assert weeks[0].rom_mean == pytest.approx((80 + 70 + 80 + 72) / 4)


# ------------------------------------------------------------------------ the live recorder

def test_the_recorder_commits_every_event_as_it_arrives(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    with HistoryRecorder(path) as recorder:
        recorder.open_session("lying-march", "camera:0", mode="live")
        recorder.record(rep(1.0, Side.LEFT, 1))
        with HistoryStore(path) as reader:  # another connection sees it before the session ends
            assert reader.session("last").reps == 1
            assert reader.session("last").status == "open"
        recorder.record(rep(2.0, Side.RIGHT, 1))
        recorder.close(SessionSummary("lying-march", "camera:0", duration_s=2.5))
    with HistoryStore(path) as reader:
        info = reader.session("last")
    assert (info.status, info.reps, info.duration_s) == ("complete", 2, 2.5)


@pytest.mark.parametrize(("ending", "status"), [
    ("close-partial", "partial"),
    ("exception", "interrupted"),
    ("keyboard-interrupt", "interrupted"),
], ids=["input-ended-early", "error", "ctrl-c"])
def test_how_a_live_session_ends_is_recorded(tmp_path: Path, ending: str, status: str) -> None:
    path = tmp_path / "history.db"
    error = {"exception": RuntimeError("camera unplugged"), "keyboard-interrupt": KeyboardInterrupt()}.get(ending)
    with pytest.raises(type(error)) if error else nullcontext(), HistoryRecorder(path) as recorder:
        recorder.open_session("lying-march", "camera:0")
        recorder.record(rep(1.0, Side.LEFT, 1))
        recorder.record(rep(3.0, Side.LEFT, 2))
        if error:
            raise error
        recorder.close(SessionSummary("lying-march", "camera:0", duration_s=3.2, partial=True))
    with HistoryStore(path) as reader:
        info = reader.session("last")
    assert (info.status, info.reps) == (status, 2)
    assert info.duration_s == pytest.approx(3.2 if status == "partial" else 3.0)


KILLED_WRITER = textwrap.dedent("""
    import sys
    from posecoach.events import RepCompleted
    from posecoach.landmarks import Side
    from posecoach.sinks.history import HistoryRecorder

    with HistoryRecorder(sys.argv[1]) as recorder:
        recorder.open_session("lying-march", "camera:0", mode="live")
        count = 0
        while True:
            count += 1
            side = Side.LEFT if count % 2 else Side.RIGHT
            recorder.record(RepCompleted(count * 0.5, side=side, count=(count + 1) // 2, rom=60.0 + count % 7))
            print(count, flush=True)
""")


def test_a_writer_killed_mid_session_leaves_every_completed_rep_readable(tmp_path: Path) -> None:
    """SIGKILL lands while the child is writing as fast as it can: no ``finally`` runs, nothing is flushed."""
    path = tmp_path / "history.db"
    child = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(path)], stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(REPO)})
    assert child.stdout is not None
    acknowledged = 0
    for line in child.stdout:
        acknowledged = int(line)
        if acknowledged >= 40:
            break
    child.send_signal(signal.SIGKILL)
    remaining = child.stdout.read().split()
    child.wait(timeout=10)
    acknowledged = int(remaining[-1]) if remaining else acknowledged

    with HistoryStore(path) as reader:
        assert reader.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        info = reader.session("last")
        summary = reader.load_summary(info.id)
    assert info.status == "open"
    assert acknowledged <= info.reps <= acknowledged + 1, "every acknowledged rep is there, at most one more"
    assert [r.t_s for r in summary.reps] == [i * 0.5 for i in range(1, info.reps + 1)]
    assert summary.partial and "did not close" in summary.notes[-1]


# ------------------------------------------------------------------------ migrations

V1_SCHEMA = """
    CREATE TABLE sessions (id INTEGER PRIMARY KEY, exercise TEXT NOT NULL, source TEXT NOT NULL,
                           started_at TEXT NOT NULL, duration_s REAL NOT NULL DEFAULT 0,
                           reps_total INTEGER NOT NULL DEFAULT 0, summary_json TEXT);
    CREATE TABLE reps (id INTEGER PRIMARY KEY,
                       session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
                       side TEXT, t_s REAL NOT NULL, range_deg REAL NOT NULL);
    INSERT INTO sessions VALUES (1, 'lying-march', 'camera:0', '2025-01-06T09:00:00+00:00', 20.0, 3, NULL);
    INSERT INTO sessions VALUES (2, 'lying-leg-raise', 'clip.mp4', '2025-01-08T09:00:00+00:00', 30.0, 2, '{}');
    INSERT INTO reps VALUES (1, 1, 'left', 2.0, 61.0), (2, 1, 'right', 4.0, 58.0), (3, 1, 'left', 6.0, 63.0),
                            (4, 2, NULL, 5.0, 70.0), (5, 2, NULL, 9.0, 72.5);
    PRAGMA user_version = 1;
"""


def test_a_version_1_database_is_migrated_with_its_sessions_and_reps(tmp_path: Path) -> None:
    """A file written by the first posecoach release (schema 1), literal SQL as that release wrote it."""
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:
        old.executescript(V1_SCHEMA)

    with HistoryStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        march, raise_ = store.sessions()
        rows = store.db.execute("SELECT session_id, side, count, end_s, rom FROM reps ORDER BY id").fetchall()
        summary = store.load_summary(march.id)

    assert (march.exercise, march.status, march.reps_left, march.reps_right) == ("lying-march", "complete", 2, 1)
    assert (raise_.reps, raise_.duration_s) == (2, 30.0)
    assert march.uid != raise_.uid and len(march.uid) == 32
    assert [tuple(r) for r in rows] == [
        (1, "left", 1, 2.0, 61.0), (1, "right", 1, 4.0, 58.0), (1, "left", 2, 6.0, 63.0),
        (2, None, 1, 5.0, 70.0), (2, None, 2, 9.0, 72.5),
    ]
    assert [(r.side, r.count, r.rom) for r in summary.reps] == [
        (Side.LEFT, 1, 61.0), (Side.RIGHT, 1, 58.0), (Side.LEFT, 2, 63.0)]


def test_a_migrated_database_takes_new_sessions(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:
        old.executescript(V1_SCHEMA)
    with HistoryStore(path) as store:
        store.save_summary(knee_to_chest_summary())
        assert [s.id for s in store.sessions()] == [1, 2, 3]
        store.delete(1)
        assert store.db.execute("SELECT count(*) FROM reps WHERE session_id = 1").fetchone()[0] == 0


def routine_parts() -> list[SessionSummary]:
    """A recording of two exercises as ``analyze`` without -e gives it: one summary per part."""
    march = knee_to_chest_summary()
    march.source, march.exercise = "routine.mp4", "lying-march"
    march.segment = {"start_s": 1.5, "end_s": 13.0, "index": 1, "of": 2}
    march.recognition = {"exercise": "lying-march", "confidence": 0.9, "sure": True, "alternatives": [],
                         "reason": "one leg after the other"}
    plank = SessionSummary("plank", "routine.mp4", duration_s=40.0, events=[
        HoldEnded(55.0, start_s=20.0, held_s=35.0, target_s=30.0, completed=True)])
    plank.segment = {"start_s": 20.0, "end_s": 55.0, "index": 2, "of": 2}
    plank.recognition = {"exercise": "plank", "confidence": 0.6, "sure": False,
                         "alternatives": [{"exercise": "plank-knee-drive", "confidence": 0.3}], "reason": "held"}
    return [march, plank]


def test_the_parts_of_a_routine_are_saved_as_one_recording(store: HistoryStore) -> None:
    store.save_summary(knee_to_chest_summary())
    first, second = store.save_summaries(routine_parts())
    march, plank = store.sessions()[1:]
    assert march.recording == plank.recording is not None
    assert march.segment == history.SegmentInfo(1, 2, 1.5, 13.0)
    assert plank.segment == history.SegmentInfo(2, 2, 20.0, 55.0)
    assert (march.recognised, plank.recognised) == ("sure", "unsure")
    assert [part.id for part in store.recording_parts(plank)] == [first, second]
    only = store.sessions()[0]
    assert (only.recording, only.segment, only.recognised) == (None, None, None)
    assert store.recording_parts(only) == [only]
    assert store.load_summary(second).segment == routine_parts()[1].segment
    assert store.load_summary(second).recognition == routine_parts()[1].recognition


def test_a_version_3_history_gains_the_parts_its_sessions_recorded(tmp_path: Path) -> None:
    """Routines analysed before schema 4 kept their parts in the summary JSON only: the upgrade links them."""
    path = tmp_path / "v3.db"
    with HistoryStore(path) as store:
        store.save_summary(knee_to_chest_summary())
        for part in routine_parts():
            store.save_summary(part)  # as schema 3 saved them: unlinked
        store.db.execute("UPDATE sessions SET summary_json = '{not json' WHERE id = 1")
        as_schema(store.db, 3)
    with HistoryStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        damaged, march, plank = store.sessions()
    assert (damaged.recording, damaged.segment) == (None, None), "a damaged summary is left as it was"
    assert march.recording == plank.recording == march.uid
    assert (march.segment.index, plank.segment.index, plank.segment.end_s) == (1, 2, 55.0)
    assert plank.recognised == "unsure"


def test_a_routine_exported_and_imported_is_still_one_recording(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "a.db") as source:
        source.save_summaries(routine_parts())
        exported = source.export_document()
    with HistoryStore(tmp_path / "b.db") as copy:
        assert copy.import_document(exported) == (2, 0)
        march, plank = copy.sessions()
        assert copy.export_document() == exported
    assert march.recording == plank.recording is not None and plank.segment == history.SegmentInfo(2, 2, 20.0, 55.0)
    broken = json.loads(json.dumps(exported))
    broken["sessions"][1]["summary"]["segment"]["index"] = 0
    with HistoryStore(tmp_path / "c.db") as other:
        with pytest.raises(HistoryError, match=r"'summary\.segment\.index' is out of range"):
            other.import_document(broken)
        assert other.sessions() == []


# ------------------------------------------------------------------------ files that are not ours, and trouble

def _foreign_sqlite(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE photos (id INTEGER)")


def _newer_schema(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE sessions (id INTEGER)")
        db.execute("PRAGMA user_version = 99")


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: p.write_bytes(b"this is not a database, it is a shopping list\n" * 100), "left untouched"),
    (lambda p: p.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000), "left untouched"),
    (_foreign_sqlite, "not a posecoach history"),
    (_newer_schema, "newer posecoach"),
], ids=["garbage", "corrupt-header", "another-apps-database", "newer-schema"])
def test_a_file_that_is_not_a_readable_history_is_never_modified(tmp_path: Path, make, message: str) -> None:
    path = tmp_path / "history.db"
    make(path)
    before = path.read_bytes()
    with pytest.raises(HistoryError, match=message):
        HistoryStore(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.db"]


def test_a_write_while_another_process_writes_fails_cleanly_but_reading_works(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("posecoach.sinks.history.store.BUSY_TIMEOUT_S", 0.05)
    path = tmp_path / "history.db"
    with HistoryStore(path) as store:
        session_id = store.save_summary(knee_to_chest_summary())
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with HistoryStore(path) as store:
            assert store.session(session_id).reps == 4, "WAL: readers are not blocked by a writer"
            with pytest.raises(HistoryError, match="locked by another process"):
                store.delete(session_id)
            with pytest.raises(HistoryError, match="locked by another process"):
                store.recorder("lying-march", "camera:0")
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_full_disk_keeps_what_was_recorded_before(tmp_path: Path) -> None:
    """``max_page_count`` makes SQLite report SQLITE_FULL exactly as a full disk does."""
    path = tmp_path / "history.db"
    store = HistoryStore(path)
    recorder = store.recorder("lying-march", "camera:0")
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages + 2}")
    recorded = 0
    with pytest.raises(HistoryError, match=r"disk holding .* is full"):
        for count in range(1, 10_000):
            recorder.record(FormWarning(count, code="back-lifting", message="x" * 500, rep=count))
            recorded += 1
    store.close()

    with HistoryStore(path) as reader:
        assert reader.session("last").warnings == recorded > 0


# ------------------------------------------------------------------------ export and import

def test_export_then_import_reproduces_every_session(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "a.db") as source:
        source.save_summary(knee_to_chest_summary(), started_at=datetime(2025, 3, 3, 9, tzinfo=UTC))
        source.save_summary(SessionSummary("plank", "plank.mp4", duration_s=40.0, partial=True,
                                           events=[HoldEnded(35.0, start_s=5.0, held_s=30.0, target_s=30.0,
                                                             completed=True)]),
                            target=Target(3, 1, 30.0, False))
        with source.recorder("lying-march", "camera:0") as live:
            live.record(rep(1.0, Side.LEFT, 1))
            live.detach()  # still open, like a session killed mid-way
        exported = source.export_document()

    with HistoryStore(tmp_path / "b.db") as copy:
        assert copy.import_document(exported) == (3, 0)
        assert copy.import_document(exported) == (0, 3), "importing twice adds nothing"
        again = copy.export_document()

    assert again == exported
    assert [s["status"] for s in exported["sessions"]] == ["complete", "partial", "open"]


def test_import_refuses_something_that_is_not_an_export(store: HistoryStore) -> None:
    with pytest.raises(HistoryError, match="not a posecoach history export"):
        store.import_document({"sessions": "nope"})
    assert store.sessions() == []


def test_csv_rows_cover_reps_holds_and_warnings(store: HistoryStore) -> None:
    store.save_summary(knee_to_chest_summary())
    rows = store.export_rows()
    assert [row["record"] for row in rows] == ["rep", "warning", "rep", "hold", "rep", "rep"]
    assert rows[2]["flags"] == "no-pause"
    assert rows[1]["code"] == "back-lifting"
