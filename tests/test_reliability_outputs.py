"""Never destroy a user's file, never lose a counted session (issue 17).

Every writer goes through ``posecoach.outputs``: an output is never one of the inputs, ``--force``
replaces regular files only, nothing is written through a planted symlink, and a failed write (a
full disk, simulated by a writer that raises ``ENOSPC``) leaves the real name untouched while the
analysis is still printed and saved. Saving never depends on printing: a reader that goes away, a
closed stderr or Ctrl-C in a batch still leave the finished sessions in the history.

The pose model is replaced by a stand-in that sees nobody; CLI runs that need real descriptors or
signals run ``posecoach`` in a subprocess with the same stand-in (:data:`STUB`).
"""

from __future__ import annotations

import errno
import json
import os
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from click.testing import CliRunner, Result

from posecoach.cli import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_TERMINATED, cli
from posecoach.errors import OutputError
from posecoach.outputs import PendingOutput, write_file
from posecoach.sinks import annotate
from posecoach.sinks.history import HistoryStore
from posecoach.sinks.report import render_markdown
from posecoach.summary import SessionSummary
from posecoach.terminal import clean
from tests.support.stubs import NobodyEstimator

STUB = """
import os, sys, time
import posecoach.pose

class Stub:
    '''Sees nobody; STUB_DELAY_S per frame; appends a line to STUB_DONE when a video is finished.'''
    def __init__(self, model_path=None, **_):
        pass
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        if os.environ.get("STUB_DONE") and exc[0] is None:
            with open(os.environ["STUB_DONE"], "a") as f:
                f.write("done\\n")
    def estimate(self, image, t):
        time.sleep(float(os.environ.get("STUB_DELAY_S", "0")))
        return None

posecoach.pose.PoseEstimator = Stub

import multiprocessing, signal
import posecoach.sources
_open_source = posecoach.sources.open_source

def open_source(spec, **options):
    '''A video named crash* kills the worker process that opens it, like a decoder segfault.'''
    if "crash" in os.path.basename(os.fsdecode(str(spec))) and multiprocessing.parent_process() is not None:
        os.kill(os.getpid(), signal.SIGSEGV)
    return _open_source(spec, **options)

posecoach.sources.open_source = open_source
from posecoach.cli import main
sys.argv = ["posecoach", *sys.argv[1:]]
main()
"""


def write_avi(path: Path, frames: int = 20, size: tuple[int, int] = (64, 48)) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, size)
    for i in range(frames):
        writer.write(np.full((size[1], size[0], 3), (i * 9) % 200, np.uint8))
    writer.release()
    return path


@pytest.fixture
def clip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr("posecoach.pose.PoseEstimator", NobodyEstimator)
    return write_avi(tmp_path / "clip.avi")


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def sessions(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as con:
        return int(con.execute("SELECT count(*) FROM sessions").fetchone()[0])


def stub_command(*args: str | Path) -> list[str]:
    return [sys.executable, "-c", STUB, *map(str, args)]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# ----------------------------------------------------------------------------- an output is never an input


def test_analyze_output_onto_its_own_input_is_refused_even_with_force(clip: Path) -> None:
    before = clip.read_bytes()
    result = run("analyze", clip, "-e", "plank", "--no-save", "--output", clip.with_suffix(".avi"), "--force")
    assert result.exit_code == EXIT_ERROR
    assert result.stderr == (f"Error: cannot write '{clip}': it is the input '{clip}' itself, and writing there "
                             "would destroy it (even with --force); choose another --output\n")
    assert clip.read_bytes() == before


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_an_input_reached_through_a_link_is_still_the_input(clip: Path, tmp_path: Path, link: str) -> None:
    alias = tmp_path / "alias.avi"
    (os.symlink if link == "symlink" else os.link)(clip, alias)
    before = clip.read_bytes()
    result = run("analyze", clip, "-e", "plank", "--no-save", "--output", alias, "--force")
    assert result.exit_code == EXIT_ERROR and "it is the input" in result.stderr
    assert clip.read_bytes() == before


def test_export_never_overwrites_the_history_it_reads(tmp_path: Path, clip: Path) -> None:
    db = tmp_path / "history.json"  # a history whose name looks like an export
    assert run("analyze", clip, "-e", "plank", "--db", db).exit_code == 0
    before = db.read_bytes()
    result = run("export", "--db", db, "--output", db, "--force")
    assert result.exit_code == EXIT_ERROR and "it is the input" in result.stderr
    assert db.read_bytes() == before


def test_live_record_onto_its_source_is_refused(clip: Path) -> None:
    before = clip.read_bytes()
    result = run("live", "-e", "plank", "--source", clip, "--no-window", "--no-voice", "--no-save",
                 "--as-fast-as-possible", "--record", clip, "--force")
    assert result.exit_code == EXIT_ERROR and "it is the input" in result.stderr
    assert clip.read_bytes() == before


def test_live_record_never_overwrites_an_existing_file_without_force(clip: Path, tmp_path: Path) -> None:
    existing = tmp_path / "old.avi"
    existing.write_bytes(b"last week's session")
    result = run("live", "-e", "plank", "--source", clip, "--no-window", "--no-voice", "--no-save",
                 "--as-fast-as-possible", "--record", existing)
    assert result.exit_code == EXIT_ERROR
    assert result.stderr == (f"Error: '{existing}' already exists; pass --force to overwrite it or choose another "
                             "--record\n")
    assert existing.read_bytes() == b"last week's session"
    forced = run("live", "-e", "plank", "--source", clip, "--no-window", "--no-voice", "--no-save",
                 "--as-fast-as-possible", "--record", existing, "--force")
    assert forced.exit_code == 0, forced.output
    assert cv2.VideoCapture(str(existing)).read()[0]
    assert leftovers(tmp_path) == []


# ----------------------------------------------------------------------------- --force replaces regular files only


def _symlink(tmp_path: Path, name: str) -> tuple[Path, Path]:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    os.symlink(victim, tmp_path / name)
    return tmp_path / name, victim


def _fifo(tmp_path: Path, name: str) -> tuple[Path, Path]:
    os.mkfifo(tmp_path / name)
    return tmp_path / name, tmp_path / name


@pytest.mark.parametrize("make", [_symlink, _fifo], ids=["symlink", "fifo"])
@pytest.mark.parametrize(("command", "name"), [
    (["analyze", "{clip}", "-e", "plank", "--no-save", "--output"], "out.mp4"),
    (["export", "--output"], "out.json"),
    (["report", "last", "--output"], "out.md"),
], ids=["analyze-output", "export", "report"])
def test_force_replaces_only_regular_files(clip: Path, tmp_path: Path, make: object, command: list[str],
                                           name: str) -> None:
    assert run("analyze", clip, "-e", "plank").exit_code == 0  # a session for export and report
    output, victim = make(tmp_path, name)  # type: ignore[operator]
    result = run(*[a.format(clip=clip) for a in command], output, "--force")
    assert result.exit_code == EXIT_ERROR, result.output
    assert "not a regular file" in result.stderr and result.stderr.count("\n") == 1
    assert output.is_symlink() or output.is_fifo(), "left as it was"
    if victim.is_file():
        assert victim.read_text() == "precious"


@pytest.mark.parametrize("planted", [".report.html.partial", ".out.writing.mp4"])
def test_a_planted_symlink_at_an_old_temporary_name_is_never_followed(clip: Path, tmp_path: Path,
                                                                      planted: str) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    os.symlink(victim, tmp_path / planted)
    assert run("analyze", clip, "-e", "plank", "--output", tmp_path / "out.mp4").exit_code == 0
    assert run("report", "last", "--output", tmp_path / "report.html").exit_code == 0
    assert victim.read_text() == "precious"
    assert (tmp_path / planted).is_symlink()


def test_temporary_files_are_created_exclusively_beside_the_target(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    with PendingOutput(target) as pending:
        pending.write_bytes(b"<p>hi</p>")
        temp = pending.temp
        assert temp.parent == tmp_path and temp.name.startswith(".") and temp.suffix == ".html"
        assert oct(temp.stat().st_mode & 0o777) == "0o600"
    assert target.read_bytes() == b"<p>hi</p>" and not temp.exists()


# ----------------------------------------------------------------------------- a failed write loses nothing


class FullDiskWriter:
    """A video writer (OpenCV's or PyAV's) on a disk that fills up after ``frames`` frames."""

    frames = 3

    def __init__(self, path: str, *args: object) -> None:
        self.path = path
        Path(path).write_bytes(b"partial")
        self.written = 0

    def isOpened(self) -> bool:
        return True

    def write(self, image: np.ndarray) -> None:
        self.written += 1
        if self.written > self.frames:
            raise OSError(errno.ENOSPC, "No space left on device")

    def release(self) -> None:
        pass


class SilentlyBrokenWriter(FullDiskWriter):
    """Like OpenCV on a full disk: no error, just a file that does not play."""

    frames = 10**9


@pytest.mark.parametrize("writer", [FullDiskWriter, SilentlyBrokenWriter], ids=["enospc", "unplayable"])
def test_a_full_disk_while_writing_the_video_keeps_the_old_file_and_the_analysis(
        clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writer: type, isolated_history: Path) -> None:
    monkeypatch.setattr(annotate, "open_video_writer", lambda name, *args: writer(name))
    output = tmp_path / "annotated.mp4"
    output.write_bytes(b"the good video from yesterday")
    result = run("analyze", clip, "-e", "plank", "--output", output, "--force", "--format", "json")
    assert result.exit_code == EXIT_ERROR
    assert json.loads(result.stdout)["frames"] == 20, "the analysis reached the user"
    assert sessions(isolated_history) == 1, "and the history"
    lines = _problems(result.stderr)
    assert len(lines) == 1 and lines[0].startswith(f"Error: cannot write '{output}'"), result.stderr
    assert output.read_bytes() == b"the good video from yesterday"
    assert leftovers(tmp_path) == []


def test_a_full_disk_while_cutting_clips_keeps_the_analysis(clip: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            isolated_history: Path) -> None:
    monkeypatch.setattr(annotate, "open_video_writer", lambda name, *args: FullDiskWriter(name))
    monkeypatch.setattr(annotate, "flagged_moments",
                        lambda summary, margin_s=1.5: [annotate.Moment(0.0, 0.6, 0.1, ("back-lifting",), 1)])
    clips = tmp_path / "clips"
    result = run("analyze", clip, "-e", "plank", "--clips", clips, "--format", "json")
    assert result.exit_code == EXIT_ERROR
    assert json.loads(result.stdout)["frames"] == 20
    assert sessions(isolated_history) == 1
    [line] = _problems(result.stderr)
    assert line.startswith(f"Error: cannot write the clips into '{clips}'")
    assert list(clips.iterdir()) == []


def test_a_failing_file_write_removes_the_temporary_file_and_keeps_the_old_one(tmp_path: Path,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "backup.json"
    target.write_text("old backup")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("posecoach.outputs.os.fsync", full)
    with pytest.raises(OutputError, match="no space left on the disk"):
        write_file(target, b"new backup", force=True)
    assert target.read_text() == "old backup"
    assert leftovers(tmp_path) == []


def test_export_to_a_full_disk_is_one_error_line(tmp_path: Path, clip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("analyze", clip, "-e", "plank").exit_code == 0
    monkeypatch.setattr("posecoach.outputs.os.fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.ENOSPC, "full")))
    result = run("export", "--output", tmp_path / "backup.json")
    assert result.exit_code == EXIT_ERROR
    assert result.stderr.startswith(f"Error: cannot write '{tmp_path / 'backup.json'}': no space left on the disk")
    assert not (tmp_path / "backup.json").exists() and leftovers(tmp_path) == []


# ----------------------------------------------------------------------------- saving never depends on printing


def test_a_reader_that_goes_away_does_not_cost_the_session(tmp_path: Path) -> None:
    video = write_avi(tmp_path / "clip.avi")
    db = tmp_path / "history.db"
    process = subprocess.Popen(stub_command("analyze", video, "-e", "plank", "--format", "json", "--db", db),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # like '| true': nobody reads
    stderr = process.stderr.read()
    assert process.wait(timeout=60) == 0, stderr
    assert "Traceback" not in stderr and "Exception ignored" not in stderr
    assert sessions(db) == 1


def test_a_live_rep_is_saved_even_when_stdout_is_gone(tmp_path: Path) -> None:
    video = write_avi(tmp_path / "clip.avi")
    db = tmp_path / "history.db"
    process = subprocess.Popen(stub_command("live", "-e", "plank", "--source", video, "--no-window", "--no-voice",
                                            "--as-fast-as-possible", "--db", db),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    stderr = process.stderr.read()
    assert process.wait(timeout=60) == 0, stderr
    assert "Traceback" not in stderr
    assert sessions(db) == 1


@pytest.mark.parametrize("command", [
    ["analyze", "{video}", "-e", "plank", "--format", "json"],
    ["live", "-e", "plank", "--source", "{video}", "--no-window", "--no-voice", "--as-fast-as-possible", "--format",
     "json"],
], ids=["analyze", "live"])
def test_with_stderr_closed_the_command_still_works(tmp_path: Path, command: list[str]) -> None:
    video = write_avi(tmp_path / "clip.avi")
    args = [a.format(video=video) for a in command]
    line = " ".join(shlex.quote(a) for a in stub_command(*args, "--db", tmp_path / "h.db"))
    result = subprocess.run(["sh", "-c", f"exec {line} 2>&-"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert json.loads(result.stdout.strip().splitlines()[-1] if command[0] == "live" else result.stdout)["frames"] == 20
    assert sessions(tmp_path / "h.db") == 1


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, EXIT_INTERRUPTED), (signal.SIGTERM, EXIT_TERMINATED)],
                         ids=["ctrl-c", "sigterm"])
def test_a_batch_interrupted_after_one_video_prints_and_saves_it_and_exits_promptly(tmp_path: Path, signum: int,
                                                                                   code: int) -> None:
    folder = tmp_path / "videos"
    folder.mkdir()
    write_avi(folder / "a-short.avi", 4)
    write_avi(folder / "b-long.avi", 400)
    db, done = tmp_path / "h.db", tmp_path / "done.txt"
    env = {**os.environ, "STUB_DELAY_S": "0.05", "STUB_DONE": str(done)}
    process = subprocess.Popen(stub_command("analyze", folder, "-e", "plank", "--jobs", "2", "--format", "json",
                                            "--db", db), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while not (done.exists() and done.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    signalled = time.monotonic()
    if signum == signal.SIGINT:
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group, workers too
    else:
        process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=60)
    assert time.monotonic() - signalled < 10, "exits promptly, without waiting for the workers"
    assert process.returncode == code, stderr
    assert "Traceback" not in stderr, stderr
    printed = json.loads(stdout)
    assert [Path(s["source"]).name for s in printed] == ["a-short.avi"]
    assert sessions(db) == 1


def test_a_worker_crash_in_a_batch_fails_that_video_alone(tmp_path: Path) -> None:
    folder = tmp_path / "videos"
    folder.mkdir()
    for name in ("a.avi", "b-crash.avi", "c.avi", "d.avi"):
        write_avi(folder / name, 10)
    result = subprocess.run(stub_command("analyze", folder, "-e", "plank", "--jobs", "2", "--format", "json",
                                         "--no-save"), capture_output=True, text=True, timeout=120)
    assert result.returncode == EXIT_ERROR, result.stderr
    assert [Path(s["source"]).name for s in json.loads(result.stdout)] == ["a.avi", "c.avi", "d.avi"]
    assert f"Error: {folder / 'b-crash.avi'}: the worker process analysing it crashed" in result.stderr
    assert result.stderr.rstrip().endswith("1 of 4 videos could not be analysed (each says why above); "
                                           "the others are analysed above")
    assert "Traceback" not in result.stderr


# ----------------------------------------------------------------------------- one sanitising printer


def test_clean_strips_terminal_controls_but_keeps_text() -> None:
    hostile = "ok\x1b]0;owned\x07 \x1b[2J\x1b[31mred\x1b[0m \x9b6n bell\x07 nul\x00 tab\tline\nend caf\udce9"
    assert clean(hostile) == "ok red  bell nul tab\tline\nend caf\ufffd"


def test_history_and_show_never_print_escape_sequences_from_stored_names(tmp_path: Path, clip: Path) -> None:
    db = tmp_path / "h.db"
    assert run("analyze", clip, "-e", "plank", "--db", db).exit_code == 0
    with sqlite3.connect(db) as con:
        con.execute("UPDATE sessions SET source = ?, exercise = ?",
                    ("\x1b]0;pwned\x07clip\x1b[2J.avi", "plank\x9b31m"))
    for args in (["history"], ["show", "last"], ["history", "--format", "csv"]):
        result = run(*args, "--db", db)
        assert result.exit_code == 0, result.output
        assert not any(ch in result.output for ch in "\x1b\x9b\x07"), (args, result.output)


@pytest.mark.parametrize("batch", ["one-exercise", "manifest"])
def test_each_failed_video_is_one_clean_error_line_whatever_its_name(tmp_path: Path, batch: str) -> None:
    """A video's name is data: escape sequences in it never reach the terminal, and each failure stays on
    one line, on every path that analyses several videos (a manifest's used to print names raw)."""
    bad = [tmp_path / "\x1b]0;owned\x07notes\x1b[2J.mp4", tmp_path / "missing\x9b31m.mp4"]
    bad[0].write_bytes(b"these are my exercise notes\n" * 20)
    if batch == "manifest":
        manifest = tmp_path / "manifest.csv"
        manifest.write_text("video,exercise\n" + "".join(f"{clip},plank\n" for clip in bad))
        result = run("analyze", "--manifest", manifest, "--jobs", "1")
    else:
        result = run("analyze", "-e", "plank", *bad)
    assert result.exit_code == EXIT_ERROR
    assert not any(ch in result.stderr for ch in "\x1b\x9b\x07"), result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert [line.count(".mp4") for line in errors[:2]] == [2, 2]  # the name, then the message naming it again
    assert errors[-1] == "Error: none of the videos could be analysed"


def test_nothing_but_the_one_printer_writes_to_the_terminal() -> None:
    """Every line posecoach prints goes through ``terminal.echo``, which strips escape sequences from data
    and survives a reader that went away: a module calling ``print`` or ``click.echo`` itself skips both."""
    import ast

    import posecoach

    package = Path(posecoach.__file__).parent
    offenders = []
    for path in sorted(package.rglob("*.py")):
        if path.name == "terminal.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = ast.unparse(node.func)
            if name in ("print", "click.echo", "click.secho", "sys.stdout.write", "sys.stderr.write"):
                offenders.append(f"{path.relative_to(package)}:{node.lineno} {name}")
    assert offenders == []


def test_the_markdown_report_escapes_html_from_data() -> None:
    from posecoach.sinks.report import Section

    text = render_markdown([Section("<b>x</b>", ("note: <script>alert(1)</script> & more",),
                                    table=(("Cue",), [("<img src=x onerror=alert(1)>",)]))])
    assert "<script>" not in text and "<img" not in text and "<b>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in text


# ----------------------------------------------------------------------------- several inputs are a list


@pytest.mark.parametrize("exercise", [["-e", "plank"], []], ids=["named", "recognised"])
def test_two_inputs_with_one_bad_print_the_documented_list_and_exit_1(clip: Path, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch,
                                                                       exercise: list[str]) -> None:
    """The good video is analysed, printed and saved; the bad one is its own error line; and the exit
    code is 1, as for any input that failed, so a script running a week's videos notices (naming the
    exercise used to exit 0 here, and recognising it 1 with the errors joined into one line)."""
    from posecoach import analysis

    recognise = analysis.recognise_video

    def recognised_as_a_plank(source: str, **kwargs: Any) -> list[SessionSummary]:
        """The stub pose stage sees nobody, so nothing would be recognised: the good video is a plank."""
        if source == str(clip):
            summary = analysis.replay([], "plank", source=source)
            summary.notes.insert(0, "recognised as a plank")
            return [summary]
        return recognise(source, **kwargs)

    monkeypatch.setattr(analysis, "recognise_video", recognised_as_a_plank)
    bad = tmp_path / "bad.avi"
    bad.write_bytes(b"not a video")
    db = tmp_path / "h.db"
    result = run("analyze", clip, bad, *exercise, "--db", db, "--format", "json", "--jobs", "1")
    assert result.exit_code == EXIT_ERROR, result.output
    printed = json.loads(result.stdout)
    assert isinstance(printed, list) and [s["source"] for s in printed] == [str(clip)]
    assert f"Error: {bad}: cannot read" in result.stderr
    assert result.stderr.rstrip().endswith("Error: 1 of 2 videos could not be analysed (each says why above); "
                                           "the others are analysed above")
    assert len(HistoryStore(db).sessions()) == 1


@pytest.mark.parametrize("exercise", [["-e", "plank"], []], ids=["named", "recognised"])
def test_inputs_that_all_fail_are_their_error_lines_with_nothing_to_save(clip: Path, tmp_path: Path,
                                                                         exercise: list[str]) -> None:
    """Each unreadable video is its own error line, then that nothing was analysed, whether the
    exercise was named or recognised: naming none used to end in an internal error (saving nothing)."""
    bad = [tmp_path / "bad.avi", tmp_path / "text.mp4"]
    bad[0].write_bytes(b"not a video")
    bad[1].write_text("hello")
    db = tmp_path / "h.db"
    result = run("analyze", *bad, *exercise, "--db", db, "--jobs", "1")
    assert result.exit_code == EXIT_ERROR, result.output
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert all(f"Error: {path}: cannot read" in result.stderr for path in bad), result.stderr
    assert result.stderr.rstrip().endswith("Error: none of the videos could be analysed")
    assert sessions(db) == 0


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, EXIT_INTERRUPTED), (signal.SIGTERM, EXIT_TERMINATED)],
                         ids=["ctrl-c", "sigterm"])
def test_one_video_with_jobs_2_interrupted_prints_and_saves_what_was_landmarked(tmp_path: Path, signum: int,
                                                                                code: int) -> None:
    # 5 min of video: two chunks, still running when signalled on any machine (100 s once took 10 s in all).
    video = write_avi(tmp_path / "long.avi", 9000, size=(160, 120))
    db = tmp_path / "h.db"
    process = subprocess.Popen([sys.executable, "-m", "posecoach", "analyze", str(video), "-e", "plank", "--jobs",
                                "2", "--format", "json", "--db", str(db)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    assert process.stderr is not None
    assert process.stderr.readline().strip() == "long.avi"  # the progress label: the source is open
    time.sleep(10)  # the workers load their models and landmark a while
    signalled = time.monotonic()
    if signum == signal.SIGINT:
        os.killpg(process.pid, signal.SIGINT)
    else:
        process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=60)
    assert time.monotonic() - signalled < 10
    assert process.returncode == code, stderr
    assert "Traceback" not in stderr, stderr
    printed = json.loads(stdout)
    assert printed["partial"] is True and 0 < printed["frames"] < 9000
    assert sessions(db) == 1


def _problems(stderr: str) -> list[str]:
    """stderr less the line saying where the session was saved: what went wrong, one line each."""
    return [line for line in stderr.strip().splitlines() if not line.startswith("Saved ")]
