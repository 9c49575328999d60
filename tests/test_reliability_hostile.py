"""Never trust a hostile input, never tell a user to abandon a good history (issue 17).

Non-UTF-8 file names (OpenCV segfaults on them), inputs that are devices, FIFOs or absurdly large,
routine numbers that are nan/inf/zero/huge, malformed history exports, extreme dates and ids, an
8000x2 video; and the history database: integrity errors on a healthy file, a first use raced by six
processes, a negative schema version, a read-only history, ``~`` and an empty HOME.

Runs that could crash or hang before the fix run ``posecoach`` in a subprocess with a timeout and
the pose model replaced by a stand-in (``STUB`` from tests/test_reliability_outputs.py).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from click.testing import CliRunner, Result

from posecoach.cli import EXIT_ERROR, EXIT_USAGE, cli
from posecoach.errors import HistoryError
from posecoach.routines import RoutineError, parse_step
from posecoach.sinks.history import HistoryStore, default_db_path
from tests.test_reliability_outputs import STUB, NobodyEstimator, write_avi


def run(*args: str | Path, input: str | bytes | None = None) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


def stub(*args: str | Path, timeout: float = 60, env: dict[str, str] | None = None,
         prefix: list[str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*(prefix or []), sys.executable, "-c", STUB, *map(os.fsencode, args)],
                          capture_output=True, timeout=timeout, env=env)


def one_error_line(stderr: bytes | str) -> str:
    text = stderr.decode() if isinstance(stderr, bytes) else stderr
    lines = [line for line in text.splitlines() if line.strip() and not line.endswith("videos")]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in text, text
    return lines[0]


@pytest.fixture
def clip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr("posecoach.pose.PoseEstimator", NobodyEstimator)
    return write_avi(tmp_path / "clip.avi")


# ----------------------------------------------------------------------------- file names that are not UTF-8


def test_a_latin1_file_name_is_analysed_not_a_segfault(tmp_path: Path) -> None:
    name = os.path.join(os.fsencode(tmp_path), b"caf\xe9.avi")
    shutil.copy(write_avi(tmp_path / "src.avi"), name)
    result = stub("analyze", name, "-e", "plank", "--format", "json", "--db", tmp_path / "h.db")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["source"].endswith("caf\ufffd.avi")
    with sqlite3.connect(tmp_path / "h.db") as con:
        assert con.execute("SELECT source FROM sessions").fetchone()[0].endswith("caf\ufffd.avi")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_in_a_batch_a_latin1_name_does_not_sink_the_good_videos(tmp_path: Path, jobs: str) -> None:
    folder = tmp_path / "videos"
    folder.mkdir()
    write_avi(folder / "good.avi")
    shutil.copy(folder / "good.avi", os.path.join(os.fsencode(folder), b"caf\xe9.avi"))
    result = stub("analyze", folder, "-e", "plank", "--jobs", jobs, "--format", "json", "--no-save")
    assert result.returncode == 0, result.stderr
    assert sorted(Path(s["source"]).name for s in json.loads(result.stdout)) == ["caf\ufffd.avi", "good.avi"]


def test_an_annotated_video_into_a_latin1_folder_is_written_not_a_segfault(tmp_path: Path) -> None:
    folder = os.path.join(os.fsencode(tmp_path), b"vid\xe9os")
    os.mkdir(folder)
    video = write_avi(tmp_path / "clip.avi")
    output = os.path.join(folder, b"annotated.avi")
    result = stub("analyze", video, "-e", "plank", "--no-save", "--output", output, "--clips",
                  os.path.join(folder, b"clips"))
    assert result.returncode == 0, result.stderr
    assert os.path.getsize(output) > 0
    assert sorted(os.listdir(folder)) == [b"annotated.avi", b"clips"]


# ----------------------------------------------------------------------------- not regular, or absurdly large


def _fifo(d: Path) -> Path:
    os.mkfifo(d / "model.task")
    return d / "model.task"


def _huge(d: Path) -> Path:
    with open(d / "huge.task", "wb") as handle:
        handle.truncate(50 << 30)  # sparse: 50 GB claimed, nothing on disk
    return d / "huge.task"


@pytest.mark.parametrize(("make", "says"), [
    (lambda d: Path("/dev/zero"), "is a device, not a regular file"),
    (_fifo, "is a named pipe, not a regular file"),
    (_huge, "far more than any pose model"),
], ids=["dev-zero", "fifo", "huge-sparse"])
def test_a_model_that_is_not_a_model_file_is_one_error_line_at_once(tmp_path: Path, make: Callable[[Path], Path],
                                                                    says: str) -> None:
    video = write_avi(tmp_path / "clip.avi")
    model = make(tmp_path)
    result = subprocess.run([sys.executable, "-m", "posecoach", "analyze", str(video), "-e", "plank", "--no-save",
                             "--model", str(model)], capture_output=True, text=True, timeout=30)
    assert result.returncode == EXIT_ERROR
    assert says in one_error_line(result.stderr)


@pytest.mark.parametrize("make", [lambda d: Path("/dev/zero"), _fifo, _huge], ids=["dev-zero", "fifo", "huge"])
def test_importing_a_device_fifo_or_huge_file_is_one_error_line_at_once(tmp_path: Path,
                                                                        make: Callable[[Path], Path]) -> None:
    result = subprocess.run([sys.executable, "-m", "posecoach", "import", str(make(tmp_path)), "--db",
                             str(tmp_path / "h.db")], capture_output=True, text=True, timeout=30)
    assert result.returncode == EXIT_ERROR
    one_error_line(result.stderr)
    assert not (tmp_path / "h.db").exists()


def test_a_routine_file_that_is_a_device_is_one_error_line(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "posecoach", "routine", "show", "x", "--file", "/dev/zero"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == EXIT_ERROR
    assert "is a device, not a regular file" in one_error_line(result.stderr)


# ----------------------------------------------------------------------------- routine numbers


@pytest.mark.parametrize(("key", "value", "says"), [
    ("hold_s", math.nan, "'hold_s' must be a finite number"),
    ("hold_s", math.inf, "'hold_s' must be a finite number"),
    ("max_hold_s", 1e12, "'max_hold_s' must be between 0 and 3600"),
    ("hold_step_s", 0.0, "'hold_step_s' must be between 0.5 and 600"),
    ("sets", 10**9, "'sets' must be between 0 and 50"),
    ("max_reps", 10**9, "'max_reps' must be between 0 and 500"),
    ("rest_s", math.inf, "'rest_s' must be a finite number"),
], ids=["nan-hold", "inf-hold", "huge-cap", "zero-step", "billion-sets", "billion-reps", "inf-rest"])
def test_every_routine_number_is_checked_against_sane_bounds(key: str, value: float, says: str) -> None:
    with pytest.raises(RoutineError, match=says):
        parse_step({"exercise": "plank", key: value}, "step 1")


def test_a_routine_with_a_zero_step_does_not_hang_routine_show(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text('title = "x"\n[[steps]]\nexercise = "plank"\nhold_s = 10\nmax_hold_s = 60\nhold_step_s = 0\n')
    result = subprocess.run([sys.executable, "-m", "posecoach", "routine", "show", "r", "--file", str(path)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == EXIT_ERROR
    assert "'hold_step_s' must be between 0.5 and 600" in one_error_line(result.stderr)


# ----------------------------------------------------------------------------- malformed history exports


def export_of(clip: Path, tmp_path: Path) -> dict[str, Any]:
    db = tmp_path / "source.db"
    assert run("analyze", clip, "-e", "plank", "--db", db).exit_code == 0
    return json.loads(run("export", "--db", db).stdout)


def _record(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["sessions"][0]


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


MALFORMED: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
    ("not-an-object", lambda d: [d]),
    ("session-not-an-object", lambda d: {**d, "sessions": ["x"]}),
    ("missing-uid", lambda d: {**d, "sessions": [{k: v for k, v in _record(d).items() if k != "uid"}]}),
    ("missing-mode", lambda d: {**d, "sessions": [{k: v for k, v in _record(d).items() if k != "mode"}]}),
    ("bad-mode", lambda d: {**d, "sessions": [{**_record(d), "mode": "hacked"}]}),
    ("bad-status", lambda d: {**d, "sessions": [{**_record(d), "status": 7}]}),
    ("bad-version", lambda d: {**d, "version": "one"}),
    ("bool-version", lambda d: {**d, "version": True}),
    ("newer-version", lambda d: {**d, "version": 99}),
    ("junk-time", lambda d: {**d, "sessions": [{**_record(d), "started_at": "yesterday"}]}),
    ("junk-t_s", lambda d: {**d, "sessions": [{**_record(d), "summary": {
        **_record(d)["summary"], "events": [{"kind": "rep", "t_s": "abc"}]}}]}),
    ("unknown-event", lambda d: {**d, "sessions": [{**_record(d), "summary": {
        **_record(d)["summary"], "events": [{"kind": "exploit", "t_s": 1.0}]}}]}),
    ("infinite-duration", lambda d: {**d, "sessions": [{**_record(d), "summary": {
        **_record(d)["summary"], "duration_s": 1e400}}]}),
    ("bad-side", lambda d: {**d, "sessions": [{**_record(d), "summary": {
        **_record(d)["summary"], "events": [{"kind": "rep", "t_s": 1.0, "side": "middle"}]}}]}),
    ("trace-not-pairs", lambda d: {**d, "sessions": [{**_record(d), "signal": {"name": "x", "trace": [[1]]}}]}),
    ("target-junk", lambda d: {**d, "sessions": [{**_record(d), "target": {"sets": "many"}}]}),
    ("lone-surrogate", lambda d: {**d, "sessions": [{**_record(d), "source": "\ud800"}]}),
]


@pytest.mark.parametrize("corrupt", [c[1] for c in MALFORMED], ids=[c[0] for c in MALFORMED])
def test_a_malformed_export_is_rejected_whole_with_one_error_line(clip: Path, tmp_path: Path,
                                                                  corrupt: Callable[[dict[str, Any]], Any]) -> None:
    good = export_of(clip, tmp_path)
    document = corrupt(good)
    if isinstance(document, dict) and isinstance(document.get("sessions"), list):
        document["sessions"] = [*document["sessions"], *good["sessions"]]  # a good record too: not imported
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    db = tmp_path / "target.db"
    result = run("import", path, "--db", db)
    assert result.exit_code == EXIT_ERROR, result.output
    one_error_line(result.stderr)
    assert not db.exists() or HistoryStore(db).sessions() == []


@pytest.mark.parametrize(("content", "says"), [
    (_nested(100_000).encode(), "nested too deeply"),
    (b"\xff\xfe{\x00", "not JSON"),
    (b"caf\xe9", "not UTF-8"),
], ids=["deep-nesting", "utf16-garbage", "latin1"])
def test_an_export_that_is_not_json_text_is_one_error_line(tmp_path: Path, content: bytes, says: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    result = run("import", path, "--db", tmp_path / "h.db")
    assert result.exit_code == EXIT_ERROR
    assert says in one_error_line(result.stderr)


def test_a_utf16_export_imports(clip: Path, tmp_path: Path) -> None:
    path = tmp_path / "utf16.json"
    path.write_text(json.dumps(export_of(clip, tmp_path)), encoding="utf-16")
    result = run("import", path, "--db", tmp_path / "h.db")
    assert result.exit_code == 0, result.output
    assert len(HistoryStore(tmp_path / "h.db").sessions()) == 1


def test_junk_already_stored_makes_show_one_error_line_not_a_crash(clip: Path, tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    assert run("analyze", clip, "-e", "plank", "--db", db).exit_code == 0
    with sqlite3.connect(db) as con:
        con.execute("INSERT INTO events (session_id, t_s, kind, data) VALUES (1, 0, 'rep', '{\"kind\": \"rep\", "
                    "\"t_s\": 1, \"bogus\": 2}')")
    result = run("show", "1", "--db", db)
    assert result.exit_code == EXIT_ERROR
    assert "holds a damaged record" in one_error_line(result.stderr)


# ----------------------------------------------------------------------------- extreme dates and ids


@pytest.mark.parametrize("since", ["0001-01-01", "9999-12-31T23:59:59-12:00", "999999999d", "99999999999w",
                                   "0001-01-01T00:00:00+14:00"])
def test_extreme_since_dates_are_usage_errors(clip: Path, tmp_path: Path, since: str) -> None:
    db = tmp_path / "h.db"
    assert run("analyze", clip, "-e", "plank", "--db", db).exit_code == 0
    for command in ("history", "export", "progress"):
        args = [command, "--db", db, "--since", since] + (["--output", tmp_path / "p.png"]
                                                          if command == "progress" else [])
        result = run(*args)
        assert result.exit_code in (0, EXIT_USAGE), (command, result.output)
        assert "internal error" not in result.output


@pytest.mark.parametrize("ref", ["99999999999999999999999", "\u00b2", "\u0663", "1\u00b9"])
@pytest.mark.parametrize("command", ["show", "delete", "report"])
def test_huge_or_non_ascii_session_ids_are_usage_errors(clip: Path, tmp_path: Path, ref: str, command: str) -> None:
    db = tmp_path / "h.db"
    assert run("analyze", clip, "-e", "plank", "--db", db).exit_code == 0
    args = [command, ref, "--db", db] + (["--output", tmp_path / "r.md"] if command == "report" else ["-y"]
                                         if command == "delete" else [])
    result = run(*args)
    assert result.exit_code in (EXIT_USAGE, EXIT_ERROR), result.output
    assert "internal error" not in result.output


# ----------------------------------------------------------------------------- odd frame shapes


@pytest.mark.parametrize("size", [(8000, 2), (2, 8000), (4000, 1)])
def test_an_extreme_aspect_ratio_is_scaled_for_the_model_not_crashed(size: tuple[int, int]) -> None:
    from posecoach.pose import model_input

    width, height = size
    small = model_input(np.zeros((height, width, 3), np.uint8))
    assert max(small.shape[:2]) <= 960 and min(small.shape[:2]) >= 1


@pytest.mark.model
def test_an_8000x2_video_is_analysed(tmp_path: Path) -> None:
    writer = cv2.VideoWriter(str(tmp_path / "wide.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (8000, 2))
    for _ in range(5):
        writer.write(np.full((2, 8000, 3), 100, np.uint8))
    writer.release()
    result = run("analyze", tmp_path / "wide.avi", "-e", "plank", "--no-save", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["frames"] == 5


# ----------------------------------------------------------------------------- the history database


def test_an_integrity_error_on_a_healthy_history_does_not_call_it_unreadable(clip: Path, tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "h.db"
    assert run("analyze", clip, "-e", "plank", "--db", db).exit_code == 0
    with HistoryStore(db) as store:
        uid = store.sessions()[0].uid
        with pytest.raises(HistoryError) as caught, store.transaction("save the session"):
            store.db.execute("INSERT INTO sessions (uid, exercise, source, started_at) VALUES (?, 'x', 'y', 'z')",
                             (uid,))
    assert "not a readable posecoach history" not in str(caught.value)
    assert "Move it aside" not in str(caught.value)


def test_a_really_unreadable_file_still_gets_the_move_it_aside_message(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    db.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    with pytest.raises(HistoryError, match="not a readable posecoach history"):
        HistoryStore(db)


def test_a_negative_schema_version_is_an_error_not_the_last_migration(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    with HistoryStore(db):
        pass
    with sqlite3.connect(db) as con:
        con.execute("PRAGMA user_version = -1")
    before = db.read_bytes()
    with pytest.raises(HistoryError, match=r"schema version -1"):
        HistoryStore(db)
    assert db.read_bytes() == before


def test_six_concurrent_imports_into_a_new_history_all_succeed(clip: Path, tmp_path: Path) -> None:
    export = tmp_path / "export.json"
    export.write_text(json.dumps(export_of(clip, tmp_path)))
    for trial in range(3):
        db = tmp_path / f"new-{trial}.db"
        processes = [subprocess.Popen([sys.executable, "-m", "posecoach", "import", str(export), "--db", str(db)],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(6)]
        outcomes = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in processes]
        assert all(code == 0 for code, _ in outcomes), outcomes
        assert len(HistoryStore(db).sessions()) == 1


def test_a_second_opener_waits_for_the_upgrade_instead_of_repeating_it(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The race behind the concurrent imports, made certain: the second opener reads the version while the
    first is still upgrading; it must read it again once it holds the write lock."""
    from posecoach.sinks import history

    first_step, rest = history.MIGRATIONS[0], history.MIGRATIONS[1:]
    started = threading.Event()

    def slow_first_step(db: sqlite3.Connection) -> None:
        first_step(db)
        started.set()
        time.sleep(0.5)

    monkeypatch.setattr("posecoach.sinks.history.schema.MIGRATIONS", (slow_first_step, *rest))
    db = tmp_path / "new.db"
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            HistoryStore(db).close()
        except BaseException as exc:
            errors.append(exc)

    first = threading.Thread(target=open_it)
    first.start()
    assert started.wait(10)
    open_it()
    first.join()
    assert errors == []
    assert HistoryStore(db).schema_version == history.SCHEMA_VERSION


class _LockedOnce(sqlite3.Connection):
    """A connection whose first switch to WAL meets "database is locked" at once, as SQLite answers
    (without waiting) when waiting could deadlock with another process opening the same new file."""

    refusals = 0

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if "journal_mode" in sql and _LockedOnce.refusals == 0:
            _LockedOnce.refusals += 1
            raise sqlite3.OperationalError("database is locked")
        return super().execute(sql, *args)


def test_opening_tries_again_when_sqlite_refuses_to_wait(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from posecoach.sinks.history import store

    real_connect = sqlite3.connect
    monkeypatch.setattr(store.sqlite3, "connect",
                        lambda *args, **kwargs: real_connect(*args, factory=_LockedOnce, **kwargs))
    _LockedOnce.refusals = 0
    with HistoryStore(tmp_path / "new.db") as opened:
        assert opened.schema_version == store.SCHEMA_VERSION
    assert _LockedOnce.refusals == 1


def test_a_lock_that_never_clears_still_ends_in_one_clear_error(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from posecoach.sinks.history import store

    class AlwaysLocked(sqlite3.Connection):
        def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
            if "journal_mode" in sql:
                raise sqlite3.OperationalError("database is locked")
            return super().execute(sql, *args)

    real_connect = sqlite3.connect
    monkeypatch.setattr(store.sqlite3, "connect",
                        lambda *args, **kwargs: real_connect(*args, factory=AlwaysLocked, **kwargs))
    with pytest.raises(HistoryError, match="locked by another process"):
        HistoryStore(tmp_path / "new.db", timeout_s=0.3)


def test_a_read_only_history_can_still_be_read(clip: Path, tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "h.db"
    assert run("analyze", clip, "-e", "plank", "--db", db).exit_code == 0
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: a read-only file stays writable")
        prefix = [setpriv, "--bounding-set", "-dac_override,-dac_read_search", "--inh-caps",
                  "-dac_override,-dac_read_search"]
    db.chmod(0o444)
    folder.chmod(0o555)
    try:
        for args in (["history", "--format", "json"], ["show", "last"], ["export"]):
            result = subprocess.run([*prefix, sys.executable, "-m", "posecoach", *args, "--db", str(db)],
                                    capture_output=True, text=True, timeout=60)
            assert result.returncode == 0, (args, result.stderr)
        written = subprocess.run([*prefix, sys.executable, "-m", "posecoach", "delete", "1", "-y", "--db", str(db)],
                                 capture_output=True, text=True, timeout=60)
        assert written.returncode == EXIT_ERROR and "Traceback" not in written.stderr
    finally:
        folder.chmod(0o755)
        db.chmod(0o644)


def test_a_tilde_in_posecoach_db_is_expanded(clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("POSECOACH_DB", "~/tilde.db")
    assert run("analyze", clip, "-e", "plank").exit_code == 0
    assert (tmp_path / "tilde.db").exists() and not Path("~").exists()
    assert json.loads(run("history", "--format", "json").stdout)[0]["exercise"] == "plank"


def test_an_empty_home_does_not_put_the_history_at_the_root() -> None:
    path = default_db_path({"HOME": ""}, "linux")
    assert not str(path).startswith("/.local"), path
    assert path.is_absolute()
