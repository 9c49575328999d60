"""The history commands through CliRunner: exit codes, exact ``Error:`` lines, files written or refused."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from posecoach.cli import PoseCoachGroup
from posecoach.cli.history import COMMANDS
from posecoach.events import FormWarning, HoldEnded, RepCompleted
from posecoach.exercises.catalog import CATALOG
from posecoach.landmarks import Side
from posecoach.sinks.history import HistoryStore
from posecoach.summary import SessionSummary


@click.group(cls=PoseCoachGroup)
def cli() -> None:
    """The real error handling of ``posecoach``, with only the history commands registered."""


for _command in COMMANDS:
    cli.add_command(_command)


def run(*args: str | Path, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)


def march(count: int = 2) -> SessionSummary:
    events = []
    for i in range(1, count + 1):
        events.append(RepCompleted(2.0 * i, side=Side.LEFT if i % 2 else Side.RIGHT, count=(i + 1) // 2,
                                   start_s=2.0 * i - 1.5, peak_s=2.0 * i - 0.8, rom=60.0 + i, up_s=0.7, down_s=0.8))
    events.append(FormWarning(2.5, code="back-lifting", message="Keep your back down.", side=Side.RIGHT, rep=1))
    return SessionSummary("lying-march", "march.mp4", duration_s=2.0 * count + 1, fps=30.0, frames=300,
                          frames_with_pose=290, events=events, signal_name="hip_flexion",
                          signal_trace=[(i / 10, 20.0 + i % 40) for i in range(10 * (2 * count + 1))])


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Two march sessions (1 March and 10 March 2025) and a plank; ids 1, 2, 3."""
    path = tmp_path / "history.db"
    with HistoryStore(path) as store:
        store.save_summary(march(2), started_at=datetime(2025, 3, 1, 9, tzinfo=UTC))
        store.save_summary(march(4), started_at=datetime(2025, 3, 10, 9, tzinfo=UTC))
        store.save_summary(SessionSummary("plank", "plank.mp4", duration_s=40.0, events=[
            HoldEnded(35.0, start_s=5.0, held_s=30.0, target_s=30.0, completed=True)]),
            started_at=datetime(2025, 3, 11, 9, tzinfo=UTC))
    return path


@pytest.mark.parametrize("name", [c.name for c in COMMANDS])
def test_every_command_has_help(name: str) -> None:
    result = run(name, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.output and "--db" in result.output


# ------------------------------------------------------------------------ history

def test_history_lists_sessions_as_a_table(db: Path) -> None:
    result = run("history", "--db", db)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ID", "Date", "Patient", "Exercise", "Recognised", "Part", "Mode", "Status", "Reps",
                                "L/R/all", "Holds", "Held", "s", "Warnings", "Duration", "s", "Source"]
    assert result.stderr == f"History: {db}\n", "where the history lives"
    assert [line.split()[0] for line in lines[2:]] == ["1", "2", "3"]
    assert "2/2/4" in lines[3]


@pytest.mark.parametrize(("args", "ids"), [
    ((), [1, 2, 3]),
    (("--exercise", "lying-march"), [1, 2]),
    (("--since", "2025-03-05"), [2, 3]),
    (("--exercise", "plank", "--since", "2025-03-05"), [3]),
    (("--exercise", "boat-pose"), []),
], ids=["all", "by-exercise", "since-date", "both-filters", "none-match"])
def test_history_filters_as_json(db: Path, args: tuple[str, ...], ids: list[int]) -> None:
    result = run("history", "--db", db, "--format", "json", *args)
    assert result.exit_code == 0
    assert [s["id"] for s in json.loads(result.stdout)] == ids


def test_history_as_csv_has_one_row_per_session(db: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(run("history", "--db", db, "--format", "csv").stdout)))
    assert [(r["id"], r["exercise"], r["reps"]) for r in rows] == [
        ("1", "lying-march", "2"), ("2", "lying-march", "4"), ("3", "plank", "0")]


def test_history_without_a_database_is_empty_not_an_error(tmp_path: Path) -> None:
    result = run("history", "--db", tmp_path / "none.db")
    assert (result.exit_code, result.stdout, result.stderr) == (
        0, "", f"No sessions recorded yet; 'analyze' and 'live' save them in {tmp_path / 'none.db'}.\n")
    assert not (tmp_path / "none.db").exists(), "listing never creates a database"


def test_the_database_can_come_from_the_environment(db: Path) -> None:
    result = CliRunner(env={"POSECOACH_DB": str(db)}).invoke(cli, ["history", "--format", "json"])
    assert len(json.loads(result.stdout)) == 3


def test_a_bad_since_is_a_usage_error(db: Path) -> None:
    result = run("history", "--db", db, "--since", "last tuesday")
    assert result.exit_code == 2
    assert "Expected a date like 2025-03-01 or a span like 7d or 4w, got 'last tuesday'" in result.stderr


# ------------------------------------------------------------------------ show and delete

def test_show_prints_the_session_as_text_for_a_terminal(db: Path) -> None:
    result = run("show", "2", "--db", db)
    assert result.exit_code == 0
    name = CATALOG["lying-march"].name
    assert result.stdout.startswith(f"{name}\n{'=' * len(name)}\n"), "titled with the catalogue's name"
    assert "|" not in result.stdout and "**" not in result.stdout, "no Markdown markup in a terminal"
    assert re.search(r"^0:02.5 +right +1 +the lower back lifted off the floor +Keep your back down.$",
                     result.stdout, re.MULTILINE)
    assert re.search(r"^back-lifting +the lower back lifted off the floor$", result.stdout, re.MULTILINE)


def test_show_as_markdown(db: Path) -> None:
    result = run("show", "2", "--db", db, "--format", "markdown")
    assert result.stdout.startswith(f"# {CATALOG['lying-march'].name}\n"), "titled with the catalogue's name"
    assert "| 1 | 1 | left | 0:00.5 | 0:02.0 | 61 |" in result.stdout


def test_show_last_as_json_carries_the_summary_contract(db: Path) -> None:
    data = json.loads(run("show", "last", "--db", db, "--format", "json").stdout)
    assert data["session"]["id"] == 3
    assert data["summary"]["holds"][0]["duration_s"] == 30.0


@pytest.mark.parametrize("ref", ["99", "yesterday"])
def test_an_unknown_session_is_one_error_line(db: Path, ref: str) -> None:
    result = run("show", ref, "--db", db)
    assert result.exit_code == 1
    assert result.stderr == (f"Error: no session '{ref}' in {db}; run 'posecoach history' to list the session ids, "
                             "or use 'last'\n")


def test_delete_asks_first_and_keeps_the_session_on_no(db: Path) -> None:
    result = run("delete", "1", "--db", db, input="n\n")
    assert result.exit_code == 1
    assert len(json.loads(run("history", "--db", db, "--format", "json").stdout)) == 3


def test_delete_yes_removes_the_session(db: Path) -> None:
    result = run("delete", "1", "--yes", "--db", db)
    assert (result.exit_code, result.stderr) == (0, "Deleted session 1.\n")
    assert [s["id"] for s in json.loads(run("history", "--db", db, "--format", "json").stdout)] == [2, 3]


# ------------------------------------------------------------------------ export and import

def test_export_import_round_trip_through_files(db: Path, tmp_path: Path) -> None:
    backup = tmp_path / "backup.json"
    assert run("export", "--db", db, "--output", backup).exit_code == 0
    restored = tmp_path / "restored.db"
    result = run("import", backup, "--db", restored)
    assert (result.exit_code, result.stderr) == (0, "Imported 3 sessions; 0 already present.\n")
    assert run("import", backup, "--db", restored).stderr == "Imported 0 sessions; 3 already present.\n"
    assert run("export", "--db", restored).stdout == backup.read_text(encoding="utf-8")


def test_export_csv_to_stdout(db: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(run("export", "--db", db, "--format", "csv", "-e", "lying-march").stdout)))
    assert [r["record"] for r in rows].count("rep") == 6
    assert {r["exercise"] for r in rows} == {"lying-march"}


@pytest.mark.parametrize(("output", "message"), [
    ("existing.json", "Error: '{dir}/existing.json' already exists; pass --force to overwrite it or choose "
                      "another --output"),
    ("missing/out.json", "Error: cannot write '{dir}/missing/out.json': the folder '{dir}/missing' does not exist; "
                         "create it first or choose another --output"),
], ids=["exists", "missing-folder"])
def test_export_never_overwrites_silently(db: Path, tmp_path: Path, output: str, message: str) -> None:
    (tmp_path / "existing.json").write_text("precious")
    result = run("export", "--db", db, "--output", tmp_path / output)
    assert result.exit_code == 1
    assert result.stderr == message.format(dir=tmp_path) + "\n"
    assert (tmp_path / "existing.json").read_text() == "precious"
    assert run("export", "--db", db, "--output", tmp_path / "existing.json", "--force").exit_code == 0


def test_importing_something_else_is_one_error_line(db: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text('{"hello": "world"}')
    result = run("import", other, "--db", db)
    assert result.exit_code == 1
    assert result.stderr == ("Error: this is not a posecoach history export; import reads the JSON written by "
                             "'posecoach export --format json'\n")


# ------------------------------------------------------------------------ report and progress

@pytest.mark.parametrize(("name", "files"), [
    ("r.html", ["r.html"]),
    ("r.md", ["r-rom.png", "r-trace.png", "r.md"]),
], ids=["html", "markdown"])
def test_report_of_a_session(db: Path, tmp_path: Path, name: str, files: list[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    result = run("report", "2", "--db", db, "--output", out / name)
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == files
    assert result.stderr.startswith(f"Wrote {out / name}\n")
    assert run("report", "2", "--db", db, "--output", out / name).exit_code == 1, "no silent overwrite"


def test_report_of_something_that_is_neither_a_session_nor_a_video(db: Path, tmp_path: Path) -> None:
    result = run("report", "clip-that-is-not-here.mp4", "--db", db, "--output", tmp_path / "r.html")
    assert result.exit_code == 1
    assert result.stderr == ("Error: 'clip-that-is-not-here.mp4' is neither an existing video nor a session id; "
                             "give a video path, a session id from 'posecoach history', or 'last'\n")


def test_a_prescription_for_a_video_needs_its_exercise(tmp_path: Path) -> None:
    """Without --exercise the video's exercise is recognised, but --reps/--hold prescribe for one exercise."""
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"not checked: the usage error comes first")
    result = run("report", video, "--reps", "10", "--output", tmp_path / "r.html")
    assert result.exit_code == 2
    assert result.stderr.endswith("Error: --reps and --hold need --exercise: what was prescribed is for one "
                                  "exercise\n")


def test_a_video_reported_without_an_exercise_is_read_like_analyze_reads_it(tmp_path: Path) -> None:
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"")
    result = run("report", video, "--output", tmp_path / "r.html")
    assert (result.exit_code, result.stderr) == (1, f"Error: '{video}' is empty (0 bytes); record or copy the "
                                                     "video again\n")


@pytest.mark.model
def test_report_of_a_video_analyses_it_first(tmp_path: Path) -> None:
    """Five grey 64×64 frames: nobody in view, so the report says so instead of inventing reps."""
    import cv2
    import numpy as np

    video = tmp_path / "empty-room.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 10, (64, 64))
    for shade in range(5):
        writer.write(np.full((64, 64, 3), 40 * shade, np.uint8))
    writer.release()

    result = run("report", video, "--exercise", "lying-march", "--output", tmp_path / "r.md")
    assert result.exit_code == 0, result.stderr
    text = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert text.startswith(f"# {CATALOG['lying-march'].name}\n")
    assert "No reps or holds were recorded." in text
    assert "No person was found in any frame" in text


def test_progress_plot(db: Path, tmp_path: Path) -> None:
    result = run("progress", "--db", db, "--exercise", "lying-march", "--output", tmp_path / "p.png")
    assert (result.exit_code, result.stderr) == (0, f"Wrote {tmp_path / 'p.png'} (2 sessions)\n"), \
        "two weeks of history are plotted per session"
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"


def test_progress_with_nothing_recorded_is_one_error_line(db: Path, tmp_path: Path) -> None:
    result = run("progress", "--db", db, "--exercise", "boat-pose", "--output", tmp_path / "p.png")
    assert result.exit_code == 1
    assert result.stderr == ("Error: no sessions to plot for 'boat-pose'; run 'posecoach history' to see what is "
                             "recorded\n")


# ------------------------------------------------------------------------ locked and corrupt databases

WRITES = [("delete", "1", "--yes"), ("import", "{backup}")]


@pytest.mark.parametrize("args", WRITES, ids=["delete", "import"])
def test_a_locked_database_is_one_clean_error_line(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   args: tuple[str, ...]) -> None:
    monkeypatch.setattr("posecoach.sinks.history.store.BUSY_TIMEOUT_S", 0.05)
    backup = tmp_path / "backup.json"
    backup.write_text(json.dumps({"format": "posecoach-history", "version": 1, "sessions": []}))
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        result = run(*(a.format(backup=backup) for a in args), "--db", db)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert result.exit_code == 1
    assert result.stderr == (f"Error: the history database {db} is locked by another process (another posecoach "
                             "session?); wait for it to finish and try again, or pass --db with another file\n")


def test_an_exclusively_locked_database_blocks_even_reading_with_one_error_line(
        db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("posecoach.sinks.history.store.BUSY_TIMEOUT_S", 0.05)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = run("history", "--db", db)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: the history database {db} is locked by another process")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("args", [
    ("history",), ("show", "1"), ("export",), ("delete", "1", "--yes"), ("progress", "--output", "{tmp}/p.png"),
    ("report", "1", "--output", "{tmp}/r.html"),
], ids=["history", "show", "export", "delete", "progress", "report"])
def test_a_corrupt_database_is_one_error_line_and_left_untouched(tmp_path: Path, args: tuple[str, ...]) -> None:
    db = tmp_path / "history.db"
    db.write_bytes(b"SQLite format 3\x00" + b"\x13" * 8000)
    before = db.read_bytes()
    result = run(*(a.format(tmp=tmp_path) for a in args), "--db", db)
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {db} is not a readable posecoach history (file is not a database); it has "
                             "been left untouched. Move it aside to start a new history, or pass --db with another "
                             "file\n")
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.db"]
