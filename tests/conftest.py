"""Shared fixtures: where the real clips live, and skips that say why."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_VIDEOS = ROOT.parent / "shared" / "videos"
SAMPLE_VIDEOS = ROOT / "sample_videos"


@pytest.fixture
def shared_videos() -> Path:
    """The real clips with hand-counted truth; they live beside the checkout, never inside it."""
    if not (SHARED_VIDEOS / "truth.tsv").exists():
        pytest.skip(f"real clips not available: {SHARED_VIDEOS} is absent (it sits beside the checkout in CI)")
    return SHARED_VIDEOS


@pytest.fixture(autouse=True)
def isolated_history(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test ever writes to the user's real history database."""
    db = tmp_path_factory.mktemp("history") / "history.db"
    monkeypatch.setenv("POSECOACH_DB", str(db))
    return db
