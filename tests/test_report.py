"""Session reports and progress plots, built from summaries made by hand from events."""

from __future__ import annotations

import base64
import re
from datetime import date
from pathlib import Path

import pytest

from posecoach.errors import OutputError
from posecoach.events import FormWarning, HoldEnded, RepCompleted, SetCompleted
from posecoach.exercises.catalog import CATALOG
from posecoach.exercises.definition import Target
from posecoach.landmarks import Side
from posecoach.sinks.history import WeekStats
from posecoach.sinks.report import (
    REP_MARKERS_GID,
    WARNING_MARKS_GID,
    Asymmetry,
    SessionReport,
    check_output,
    plot_holds,
    plot_progress,
    plot_rom,
    plot_trace,
    render_markdown,
    report_sections,
    write_progress,
    write_report,
)
from posecoach.summary import SessionSummary

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def rep(t: float, side: Side | None, count: int, rom: float, **extra: object) -> RepCompleted:
    return RepCompleted(t, side=side, count=count, start_s=t - 1.6, peak_s=t - 0.8, rom=rom, peak=rom, up_s=0.8,
                        down_s=0.8, **extra)


def march_summary() -> SessionSummary:
    """Lying march, 3 reps left (one flagged by a warning) and 3 right with a smaller range, 2 sets, 2 holds."""
    events = [
        rep(2.0, Side.LEFT, 1, 80.0),
        rep(4.0, Side.RIGHT, 1, 60.0),
        FormWarning(5.5, code="back-lifting", message="Keep your back on the floor.", side=Side.LEFT, rep=2),
        rep(6.0, Side.LEFT, 2, 78.0),
        rep(8.0, Side.RIGHT, 2, 58.0, flags=("no-pause",)),
        SetCompleted(8.5, set_index=1, reps=4, reps_left=2, reps_right=2),
        HoldEnded(14.0, side=Side.LEFT, start_s=9.0, held_s=5.0, target_s=5.0, completed=True),
        HoldEnded(20.0, side=Side.RIGHT, start_s=16.0, held_s=3.0, target_s=5.0, completed=False),
        rep(22.0, Side.LEFT, 3, 82.0),
        FormWarning(23.2, code="hips-rolling", message="Keep both hips on the floor.", side=Side.RIGHT),
        rep(24.0, Side.RIGHT, 3, 61.0),
    ]
    trace = [(i / 10, 10.0 + 70.0 * abs(((i / 20) % 2) - 1)) for i in range(250)]
    return SessionSummary("lying-march", "march.mp4", duration_s=25.0, fps=30.0, frames=750, frames_with_pose=700,
                          events=events, notes=["The camera was slightly above the hips."],
                          signal_name="hip_flexion", signal_trace=trace)


@pytest.fixture
def report() -> SessionReport:
    return SessionReport.build(march_summary(), title="Lying march", target=Target(2, 10, 5.0, per_side=True))


# ------------------------------------------------------------------------ what the numbers say

def test_reps_are_counted_per_side_against_the_prescription(report: SessionReport) -> None:
    left, right = report.sides
    assert (left.side, left.reps, left.target_reps, left.clean, left.flagged) == ("left", 3, 20, 2, 1)
    assert (right.side, right.reps, right.target_reps, right.clean, right.flagged) == ("right", 3, 20, 1, 2)
    assert left.rom_mean == pytest.approx(80.0) and (left.rom_min, left.rom_max) == (78.0, 82.0)
    assert (left.holds, left.holds_completed, left.held_total_s) == (1, 1, 5.0)
    assert (right.holds, right.holds_completed, right.held_total_s) == (1, 0, 3.0)


@pytest.mark.parametrize(("number", "issues"), [
    (1, []),
    (2, []),
    (3, ["back-lifting"]),
    (4, ["no-pause"]),
    (5, []),
    (6, ["hips-rolling"]),
], ids=["clean", "clean-right", "warning-names-the-rep", "engine-flag", "clean-set-2", "warning-during-the-rep"])
def test_a_rep_is_flagged_by_its_own_flags_or_the_warnings_raised_in_it(report: SessionReport, number: int,
                                                                        issues: list[str]) -> None:
    row = report.rows[number - 1]
    assert row.issues == issues
    assert row.flagged is bool(issues)


def test_reps_know_their_set(report: SessionReport) -> None:
    assert [row.set_index for row in report.rows] == [1, 1, 1, 1, 2, 2]


@pytest.mark.parametrize(("left", "right", "index", "notable"), [
    (10, 10, 0.0, False),
    (80, 60, 25.0, True),
    (100, 88, 12.0, False),
    (0, 5, 100.0, True),
    (0, 0, 0.0, False),
], ids=["symmetric", "rom-gap", "under-threshold", "one-side-only", "nothing"])
def test_asymmetry_index_is_the_gap_relative_to_the_stronger_side(left: float, right: float, index: float,
                                                                  notable: bool) -> None:
    asymmetry = Asymmetry("reps", left, right)
    assert asymmetry.index_pct == pytest.approx(index)
    assert asymmetry.notable is notable


def test_the_summary_at_a_glance_names_counts_asymmetry_and_warnings(report: SessionReport) -> None:
    glance = next(s for s in report_sections(report) if s.heading == "At a glance").paragraphs
    assert glance[0] == "**Left**: 3 of 20 reps (2 clean, 1 flagged); 1 of 1 hold reached 5 s, best 5.0 s."
    assert glance[1] == "**Right**: 3 of 20 reps (1 clean, 2 flagged); 0 of 1 hold reached 5 s, best 3.0 s."
    assert any(line.startswith("Asymmetry in mean range of motion: left 80 vs right 60 (25 %") for line in glance)
    assert any(line.startswith("Asymmetry in hold time (s): left 5.0 vs right 3.0 (40 %") for line in glance)
    assert glance[-1] == "Form warnings: the lower back lifted off the floor (1 time); hips rolling (1 time)."


def test_a_hold_exercise_is_measured_against_prescribed_holds() -> None:
    plank = SessionSummary("plank", "plank.mp4", duration_s=100.0, events=[
        HoldEnded(35.0, start_s=5.0, held_s=30.0, target_s=30.0, completed=True),
        HoldEnded(90.0, start_s=70.0, held_s=20.0, target_s=30.0, completed=False),
    ])
    (both,) = SessionReport.build(plank, target=Target(3, 1, 30.0, per_side=False)).sides
    assert (both.side, both.target_reps, both.target_holds, both.holds_completed) == ("both", None, 3, 1)


# ------------------------------------------------------------------------ plots

def _artists(figure, gid: str) -> list:
    return [line for ax in figure.axes for line in ax.lines if line.get_gid() == gid]


def test_the_trace_plot_has_one_marker_per_rep_and_per_warning(report: SessionReport) -> None:
    figure = plot_trace(report)
    markers = _artists(figure, REP_MARKERS_GID)
    assert sum(len(line.get_xdata()) for line in markers) == 6
    assert sorted(x for line in markers for x in line.get_xdata()) == [1.2, 3.2, 5.2, 7.2, 21.2, 23.2]
    (warnings,) = _artists(figure, WARNING_MARKS_GID)
    assert list(warnings.get_xdata()) == [5.5, 23.2]


def test_the_trace_plot_still_marks_reps_when_no_trace_was_saved() -> None:
    summary = march_summary()
    summary.signal_trace = []
    figure = plot_trace(SessionReport.build(summary))
    assert sum(len(line.get_xdata()) for line in _artists(figure, REP_MARKERS_GID)) == 6


def test_the_rom_plot_has_one_bar_per_rep_hatched_when_flagged(report: SessionReport) -> None:
    (ax,) = plot_rom(report).axes
    assert [bar.get_height() for bar in ax.patches] == [80.0, 60.0, 78.0, 58.0, 82.0, 61.0]
    assert [bool(bar.get_hatch()) for bar in ax.patches] == [False, False, True, True, False, True]


def test_the_hold_plot_has_a_bar_per_hold_and_the_target_line(report: SessionReport) -> None:
    (ax,) = plot_holds(report).axes
    assert [bar.get_height() for bar in ax.patches] == [5.0, 3.0]
    assert [label.get_text() for label in ax.get_xticklabels()] == ["left 1", "right 1"]
    assert [line.get_ydata()[0] for line in ax.lines] == [5.0]


def test_the_progress_plot_has_a_row_per_exercise_and_never_sums_across_them() -> None:
    weeks = [
        WeekStats(date(2025, 3, 3), "lying-march", 2, {"left": 20, "right": 18, "both": 0}, 62.0, 0.0),
        WeekStats(date(2025, 3, 10), "lying-march", 3, {"left": 30, "right": 30, "both": 0}, 70.0, 0.0),
        WeekStats(date(2025, 3, 10), "plank", 2, {"left": 0, "right": 0, "both": 0}, None, 90.0),
    ]
    figure = plot_progress(weeks)
    march_reps, march_rom, plank_held = figure.axes
    assert [bar.get_height() for bar in march_reps.patches] == [20, 30, 18, 30]
    (rom_line,) = march_rom.lines
    assert list(rom_line.get_ydata()) == [62.0, 70.0]
    assert march_rom.get_ylabel() == "mean range of motion (°)", "a unit on range of motion"
    assert [bar.get_height() for bar in plank_held.patches] == [90.0], "the plank's hold time alone"
    titles = [sub.get_suptitle() for sub in figure.subfigs]
    assert titles == [CATALOG["lying-march"].name, CATALOG["plank"].name], "each row names its exercise"
    assert march_reps.get_xlim()[1] >= 4, "two weeks are not two huge bars"


# ------------------------------------------------------------------------ files

def test_an_html_report_is_one_self_contained_file_with_its_plots(report: SessionReport, tmp_path: Path) -> None:
    output = tmp_path / "report.html"
    assert write_report(report, output) == [output]
    text = output.read_text(encoding="utf-8")
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', text)
    assert len(images) == 3, "trace, range of motion per rep, holds"
    assert all(base64.b64decode(data).startswith(PNG_SIGNATURE) for data in images)
    assert all(len(base64.b64decode(data)) > 5_000 for data in images)
    assert "http" not in text.replace("http-equiv", "")
    assert "<td>0:05.5</td><td>left</td><td>2</td><td>the lower back lifted off the floor</td>" in text
    assert "<strong>Left</strong>: 3 of 20 reps" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"], "no temporary files left behind"


def test_a_markdown_report_writes_its_plots_beside_it(report: SessionReport, tmp_path: Path) -> None:
    output = tmp_path / "march.md"
    written = write_report(report, output)
    assert [p.name for p in written] == ["march.md", "march-trace.png", "march-rom.png", "march-holds.png"]
    text = output.read_text(encoding="utf-8")
    for png in written[1:]:
        assert png.read_bytes().startswith(PNG_SIGNATURE)
        assert f"]({png.name})" in text
    assert "| 3 | 1 | left | 0:04.4 | 0:06.0 | 78 | 0.8 | 0.0 | 0.8 | back-lifting |" in text


def test_a_text_rendering_has_tables_but_no_plots(report: SessionReport) -> None:
    text = render_markdown(report_sections(report, with_figures=False))
    assert "## Reps" in text and "## Warnings" in text and "## Notes" in text
    assert ".png" not in text


@pytest.mark.parametrize(("name", "force", "exists", "error"), [
    ("missing/report.html", False, False, "folder .* does not exist"),
    ("report.html", False, True, "already exists; pass --force"),
    ("report.html", True, True, None),
    ("report.pdf", False, False, "use .html or .htm or .md"),
], ids=["missing-folder", "exists", "exists-forced", "unknown-format"])
def test_output_paths_are_checked_before_any_work(tmp_path: Path, name: str, force: bool, exists: bool,
                                                  error: str | None) -> None:
    path = tmp_path / name
    if exists:
        path.write_text("keep me")
    if error is None:
        assert check_output(path, force=force, suffixes=(".html", ".htm", ".md")) == path
    else:
        with pytest.raises(OutputError, match=error):
            check_output(path, force=force, suffixes=(".html", ".htm", ".md"))
        assert not exists or path.read_text() == "keep me"


def test_markdown_report_refuses_to_overwrite_a_plot_beside_it(report: SessionReport, tmp_path: Path) -> None:
    (tmp_path / "march-rom.png").write_bytes(b"someone else's plot")
    with pytest.raises(OutputError, match=r"march-rom\.png' already exists"):
        write_report(report, tmp_path / "march.md")
    assert not (tmp_path / "march.md").exists()


def test_progress_png_is_written(tmp_path: Path) -> None:
    weeks = [WeekStats(date(2025, 3, 3), "lying-march", 1, {"left": 10, "right": 10, "both": 0}, 60.0)]
    output = write_progress(weeks, tmp_path / "progress.png")
    assert output.read_bytes().startswith(PNG_SIGNATURE)


def test_a_short_history_is_plotted_per_session_with_the_patient_in_the_title() -> None:
    sessions = [WeekStats(date(2025, 3, day), "plank", 1, {"left": 0, "right": 0, "both": 0}, None, held)
                for day, held in ((3, 20.0), (5, 25.0))]
    figure = plot_progress(sessions, per_session=True, patient="Ann Lee")
    assert figure.get_suptitle() == "Progress by session — Ann Lee"
    (held,) = figure.axes
    assert held.get_ylabel() == "hold time per session (s)"
    assert [label.get_text() for label in held.get_xticklabels()] == ["03 Mar", "05 Mar"]
