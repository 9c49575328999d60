"""Shared fixtures: where the real clips live, skips that say why, and the same environment on every machine."""

from __future__ import annotations

import copy
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from posecoach.summary import SessionSummary

ROOT = Path(__file__).resolve().parent.parent
SHARED_VIDEOS = ROOT.parent / "shared" / "videos"
SAMPLE_VIDEOS = ROOT / "sample_videos"


@pytest.fixture
def shared_videos() -> Path:
    """The real clips with hand-counted truth; they live beside the checkout, never inside it."""
    if not (SHARED_VIDEOS / "truth.tsv").exists():
        pytest.skip(f"real clips not available: {SHARED_VIDEOS} is absent (it sits beside the checkout in CI)")
    return SHARED_VIDEOS


@pytest.fixture(scope="session")
def analysed_once() -> Callable[[Path, str], SessionSummary]:
    """``analyze_video(clip, exercise)``, run once per session: several tests compare other paths (live,
    chunked) with the same serial analysis of a real clip, and each run costs seconds of inference."""
    from posecoach.analysis import analyze_video

    done: dict[tuple[Path, str], SessionSummary] = {}

    def analysed(clip: Path, exercise: str) -> SessionSummary:
        key = (Path(clip).resolve(), exercise)
        if key not in done:
            done[key] = analyze_video(clip, exercise)
        return copy.deepcopy(done[key])  # a test that changes its summary changes nobody else's

    return analysed


@pytest.fixture(scope="session")
def _shared_caches(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Caches that tools rebuild when missing (matplotlib's font list): one per session, not per test."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session", autouse=True)
def ctrl_c_as_from_a_terminal() -> Iterator[None]:
    """Ctrl-C reaches the tests and their subprocesses as it does in a terminal, wherever pytest was
    started: a shell running it in the background (``cmd &``, some CI runners) starts it with SIGINT
    ignored, subprocesses inherit that, and the tests of what Ctrl-C does would test nothing."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, _shared_caches: Path,
                         monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test depends on the machine it runs on: an empty home with empty data and config folders
    (no history database, no routine files), and the current directory is the test's own ``tmp_path``
    (tests find their files relative to ``__file__``, never to where pytest was started).

    Subprocesses inherit all of it. Returns the fake home.
    """
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(_shared_caches))
    monkeypatch.setenv("MPLCONFIGDIR", str(_shared_caches / "matplotlib"))
    for name in ("APPDATA", "POSECOACH_ROUTINES", "POSECOACH_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return home


@pytest.fixture(autouse=True)
def isolated_history(isolated_environment: Path, tmp_path_factory: pytest.TempPathFactory,
                     monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test ever writes to the user's real history database."""
    db = tmp_path_factory.mktemp("history") / "history.db"
    monkeypatch.setenv("POSECOACH_DB", str(db))
    return db


@pytest.fixture(scope="session")
def _xvfb_server() -> Iterator[str]:
    """One private Xvfb server for the whole session, on a free display number.

    One, not one per test: OpenCV's window backend connects to the display once per process, and a
    window opened after the first test's server was stopped found its connection gone, which ended
    the whole pytest process."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (apt-get install -y xvfb)")
    if shutil.which("import") is None:
        pytest.skip("imagemagick's 'import' is not installed to take screenshots (apt-get install -y imagemagick)")
    number = next(n for n in range(91, 200) if not Path(f"/tmp/.X{n}-lock").exists()
                  and not Path(f"/tmp/.X11-unix/X{n}").exists())
    server = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        if server.poll() is not None or time.monotonic() > deadline:
            pytest.skip(f"Xvfb did not start on :{number}")
        time.sleep(0.05)
    try:
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(5)


@pytest.fixture
def xvfb_display(_xvfb_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """DISPLAY points at the session's private Xvfb server for the test."""
    monkeypatch.setenv("DISPLAY", _xvfb_server)
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    return _xvfb_server
