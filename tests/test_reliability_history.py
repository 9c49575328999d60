"""A history problem never costs the user an analysis, and never touches what was recorded.

The history store itself is specified in tests/test_history.py (locked by another writer, corrupt or
foreign files left byte-for-byte untouched, a full disk keeping every committed rep, a writer killed
mid-session) and its commands in tests/test_cli_history.py (locked and corrupt databases give one
``Error:`` line). What is left is where analysis meets the history: ``posecoach analyze`` saving into
a database that cannot take the session. The pose model is replaced by a stand-in that sees nobody,
so these run in milliseconds on a 10-frame 64x48 clip.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from posecoach.cli import EXIT_ERROR, cli
from posecoach.sinks.history import HistoryStore
from tests.support.stubs import NobodyEstimator


@pytest.fixture
def clip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr("posecoach.pose.PoseEstimator", NobodyEstimator)
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (64, 48))
    for i in range(10):
        writer.write(np.full((48, 64, 3), 20 * i, np.uint8))
    writer.release()
    return path


def _corrupt(path: Path) -> None:
    path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)


def _locked(path: Path) -> None:
    with HistoryStore(path):
        pass


@pytest.mark.parametrize(("make", "lock", "message"), [
    (_corrupt, False, "left untouched"),
    (_locked, True, "locked by another process"),
], ids=["corrupt", "locked"])
def test_analyze_prints_its_results_before_a_history_failure_and_leaves_the_file_alone(
        clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make: Callable[[Path], None], lock: bool,
        message: str) -> None:
    monkeypatch.setattr("posecoach.sinks.history.store.BUSY_TIMEOUT_S", 0.05)
    db = tmp_path / "history.db"
    make(db)
    other = sqlite3.connect(db, isolation_level=None) if lock else None
    if other is not None:
        other.execute("BEGIN EXCLUSIVE")
    before = db.read_bytes()
    try:
        result = CliRunner().invoke(cli, ["analyze", str(clip), "-e", "plank", "--db", str(db), "--format", "json"])
    finally:
        if other is not None:
            other.execute("ROLLBACK")
            other.close()
    assert json.loads(result.stdout)["frames"] == 10, "the analysis reached the user"
    assert result.exit_code == EXIT_ERROR
    error_lines = result.stderr.strip().splitlines()
    assert len(error_lines) == 1 and error_lines[0].startswith("Error: ") and message in error_lines[0]
    assert db.read_bytes() == before


def test_analyze_into_a_folder_that_does_not_exist_fails_after_the_results(clip: Path, tmp_path: Path) -> None:
    db = tmp_path / "missing" / "history.db"
    result = CliRunner().invoke(cli, ["analyze", str(clip), "-e", "plank", "--db", str(db), "--format", "json"])
    assert json.loads(result.stdout)["frames"] == 10
    assert result.exit_code == EXIT_ERROR
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert not db.parent.exists()
