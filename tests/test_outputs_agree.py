"""One summary feeds every output: the text table, CSV, JSON, the report and ``show`` say the same
things in plain words, and none of them shows a target nobody prescribed.

The fixture is a lying march with one counted rep flagged ``dropped-fast``, one with a warning, one
movement that did not count, a note about coverage and a camera side: each of these must reach
every output.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from posecoach.analysis import prescription
from posecoach.cli import cli
from posecoach.events import FormWarning, HoldEnded, RepCompleted, RepRejected
from posecoach.exercises import get_exercise
from posecoach.exercises.definition import Target
from posecoach.landmarks import Side
from posecoach.sinks.console import describe_summary, render_summaries
from posecoach.sinks.history import SCHEMA_VERSION, HistoryStore
from posecoach.sinks.report import SessionReport, render_markdown, render_text, report_sections
from posecoach.summary import SessionSummary
from posecoach.wording import explain, plural
from tests.support.history import as_schema

NOTE = "A person was found in only 82% of frames: counts may be incomplete."
REJECTED = "partial range: 30° of your usual 47°"


def march() -> SessionSummary:
    events = [
        RepCompleted(2.0, side=Side.LEFT, count=1, start_s=0.5, peak_s=1.3, rom=40.0, peak=40.0, up_s=0.8,
                     down_s=0.3, flags=("dropped-fast",)),
        RepRejected(3.0, side=Side.RIGHT, reason=REJECTED, start_s=2.2, rom=30.0, code="partial-range"),
        FormWarning(4.5, code="back-lifting", message="Keep your back on the floor.", side=Side.RIGHT, rep=1),
        RepCompleted(5.0, side=Side.RIGHT, count=1, start_s=3.5, peak_s=4.3, rom=47.0, peak=47.0, up_s=0.8,
                     down_s=0.7),
    ]
    return SessionSummary("lying-march", "march.mp4", duration_s=6.0, fps=30.0, frames=180, frames_with_pose=148,
                          events=events, notes=[NOTE], camera_side="left", patient="Ann Lee",
                          recorded_at="2025-03-04T09:30:00+00:00")


def plank(holds: list[HoldEnded] | None = None, source: str = "plank.gif") -> SessionSummary:
    return SessionSummary("plank", source, duration_s=40.0, frames=400, frames_with_pose=400, events=holds or [],
                          notes=["You were in position for 3 s but the hold was never held."] if not holds else [])


def every_output(summary: SessionSummary) -> dict[str, str]:
    report = report_sections(SessionReport.build(summary, title="Lying march"), with_figures=False)
    return {
        "table": render_summaries([summary], "table"),
        "csv": render_summaries([summary], "csv"),
        "json": render_summaries([summary], "json"),
        "report": render_markdown(report),
        "show": render_text(report),
    }


@pytest.mark.parametrize("output", ["table", "csv", "json", "report", "show"])
def test_every_output_carries_the_rejected_rep_the_note_and_every_flag(output: str) -> None:
    text = every_output(march())[output]
    if output == "json":
        text = json.dumps(json.loads(text), ensure_ascii=False)
    assert REJECTED in text, "why a movement did not count"
    assert NOTE in text, "the caveats"
    for code in ("dropped-fast", "back-lifting", "partial-range"):
        assert code in text
    if output != "json":
        assert explain("dropped-fast") in text, "each flag is explained in words"
    assert "Ann Lee" in text


def test_json_keeps_camera_side_patient_date_and_the_issues_of_each_rep() -> None:
    data = json.loads(every_output(march())["json"])
    assert (data["camera_side"], data["patient"], data["recorded_at"]) == ("left", "Ann Lee",
                                                                          "2025-03-04T09:30:00+00:00")
    assert data["target"] is None
    assert data["rep_issues"] == [{"rep": 1, "side": "left", "set": 1, "issues": ["dropped-fast"]},
                                  {"rep": 2, "side": "right", "set": 1, "issues": ["back-lifting"]}]
    assert data["not_counted"] == [{"t_s": 3.0, "side": "right", "code": "partial-range", "reason": REJECTED}]


def test_the_table_and_the_report_flag_the_same_reps() -> None:
    summary = march()
    table = describe_summary(summary)
    assert table.splitlines()[6].split()[-1] == "back-lifting", "the rep the warning belongs to carries it"
    report = SessionReport.build(summary)
    assert [row.issues for row in report.rows] == [["dropped-fast"], ["back-lifting"]]


def test_several_videos_keep_each_ones_notes_and_flags() -> None:
    rows = list(csv.DictReader(io.StringIO(render_summaries([march(), plank()], "csv"))))
    assert rows[1]["notes"] == "You were in position for 3 s but the hold was never held."
    assert rows[0]["flags"] == "dropped-fast back-lifting partial-range"
    assert rows[0]["not_counted"] == REJECTED
    assert rows[0]["flag_meanings"].startswith("dropped-fast: lowered much faster than lifted")
    table = render_summaries([march(), plank()], "table")
    assert "note: plank.gif: You were in position for 3 s but the hold was never held." in table
    plank_row = next(line for line in table.splitlines() if line.startswith("plank.gif"))
    assert plank_row.split()[2] == "-", "a plank has no reps column value, not 0"


def test_a_hold_exercise_never_says_reps_0() -> None:
    assert "reps:" not in describe_summary(plank())
    assert "holds: none timed" in describe_summary(plank())
    held = plank([HoldEnded(35.0, start_s=5.0, held_s=30.0, target_s=30.0, completed=True)])
    assert "reps" not in describe_summary(held)
    glance = next(s for s in report_sections(SessionReport.build(held)) if s.heading == "At a glance")
    assert glance.paragraphs[0] == "**Both**: 1 hold, 30.0 s in all, best 30.0 s."


@pytest.mark.parametrize(("count", "expected"), [(0, "0 reps"), (1, "1 rep"), (2, "2 reps"), (1.0, "1 rep")])
def test_plurals(count: float, expected: str) -> None:
    assert plural(count, "rep") == expected


# ------------------------------------------------------------------------ no invented prescriptions

def test_an_analysed_video_without_options_shows_no_target() -> None:
    summary = march()
    report = SessionReport.build(summary)
    text = render_markdown(report_sections(report, with_figures=False))
    assert "**Prescribed**: nothing was prescribed for this session" in text
    assert " of 10" not in text and "/10" not in text and "× 10" not in text
    assert "**Left**: 1 rep (0 clean, 1 flagged)." in text
    held = plank([HoldEnded(35.0, start_s=5.0, held_s=20.0, target_s=30.0, completed=False)])
    text = render_markdown(report_sections(SessionReport.build(held), with_figures=False))
    assert "Target" not in text and "30 s" not in text, "the catalogue's 30 s is not a prescription"
    assert "short of" not in describe_summary(held)


def test_a_prescription_given_as_options_is_shown() -> None:
    assert prescription(get_exercise("lying-march")) is None
    assert prescription(get_exercise("lying-march"), reps=8) == Target(1, 8, 0.0, per_side=True)
    assert prescription(get_exercise("plank"), hold_s=20) == Target(1, 1, 20.0, per_side=False)
    held = plank([HoldEnded(35.0, start_s=5.0, held_s=20.0, target_s=20.0, completed=True)])
    held.target = prescription(get_exercise("plank"), hold_s=20)
    text = render_markdown(report_sections(SessionReport.build(held), with_figures=False))
    assert "**Prescribed**: 1 hold of 20 s" in text
    assert "| Side | Start | Held (s) | Target (s) | Reached |" in text
    assert "1 of 1 hold reached 20 s" in text


# ------------------------------------------------------------------------ patients in the history

@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "history.db"
    ann, bob = march(), march()
    bob.patient = "Bob"
    own = march()
    own.patient = None
    with HistoryStore(path) as store:
        store.save_summary(ann, started_at=datetime(2025, 3, 1, 9, tzinfo=UTC))
        store.save_summary(bob, started_at=datetime(2025, 3, 2, 9, tzinfo=UTC))
        store.save_summary(own, started_at=datetime(2025, 3, 3, 9, tzinfo=UTC))
    return path


def run(*args: str | Path) -> object:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_history_keeps_patients_apart(db: Path) -> None:
    result = run("history", "--db", db, "--patient", "ann lee", "--format", "json")
    assert [s["id"] for s in json.loads(result.stdout)] == [1]  # type: ignore[attr-defined]
    table = run("history", "--db", db).stdout  # type: ignore[attr-defined]
    assert "Ann Lee" in table and "Bob" in table and "march.mp4" in table
    exported = json.loads(run("export", "--db", db, "--patient", "Bob").stdout)  # type: ignore[attr-defined]
    assert [record["patient"] for record in exported["sessions"]] == ["Bob"]


def test_show_json_keeps_what_the_analysis_knew(db: Path) -> None:
    data = json.loads(run("show", "1", "--db", db, "--format", "json").stdout)  # type: ignore[attr-defined]
    assert data["session"]["patient"] == "Ann Lee"
    summary = data["summary"]
    assert (summary["camera_side"], summary["patient"], summary["recorded_at"]) == (
        "left", "Ann Lee", "2025-03-04T09:30:00+00:00")
    assert summary["not_counted"][0]["reason"] == REJECTED


def test_a_misspelt_exercise_filter_is_answered_with_the_likely_one(db: Path) -> None:
    result = run("history", "--db", db, "-e", "plnak")
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "no exercise 'plnak' (did you mean 'plank'?)" in result.output  # type: ignore[attr-defined]
    assert run("history", "--db", db, "-e", "plank").exit_code == 0, "a real slug with no sessions is fine"  # type: ignore[attr-defined]


def test_upgrading_the_history_drops_the_targets_analyze_invented(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with HistoryStore(path) as store:
        store.save_summary(march(), mode="analyze", target=Target(1, 10, 0.0, True))
        store.save_summary(march(), mode="live", target=Target(2, 8, 0.0, True))
        as_schema(store.db, 2)
    with HistoryStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert [info.target for info in store.sessions()] == [None, Target(2, 8, 0.0, True)]


def test_a_report_of_a_patients_last_session(db: Path, tmp_path: Path) -> None:
    output = tmp_path / "ann.html"
    result = run("report", "last", "--patient", "Ann Lee", "--db", db, "--output", output)
    assert result.exit_code == 0  # type: ignore[attr-defined]
    text = output.read_text(encoding="utf-8")
    assert "<strong>Patient</strong>: Ann Lee" in text and "session 1 (complete)" in text
    missing = run("report", "last", "--patient", "Zoe", "--db", db, "--output", tmp_path / "z.html")
    assert missing.exit_code == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize(("target", "words"), [
    (Target(1, 5, 3.0, True), "5 reps per side, holds of 3 s"),
    (Target(3, 10, 0.0, False), "3 × 10 reps"),
    (Target(1, 0, 4.0, True), "holds of 4 s"),
])
def test_a_prescription_is_said_plainly(target: Target, words: str) -> None:
    summary = march()
    summary.target = target
    about = report_sections(SessionReport.build(summary))[0].paragraphs
    assert f"**Prescribed**: {words}" in about


def test_your_own_progress_leaves_your_patients_out(db: Path, tmp_path: Path) -> None:
    own = run("progress", "--db", db, "--output", tmp_path / "me.png")
    assert own.stderr == (f"Wrote {tmp_path / 'me.png'} (1 session; 2 sessions of patients left out: "  # type: ignore[attr-defined]
                          "pass --patient NAME to plot a patient's)\n")
    ann = run("progress", "--db", db, "--patient", "ann lee", "--output", tmp_path / "ann.png")
    assert ann.stderr == f"Wrote {tmp_path / 'ann.png'} (1 session)\n"  # type: ignore[attr-defined]


@pytest.mark.parametrize(("target", "words"), [(Target(1, 3, 0.0, False), "3 holds"),
                                               (Target(2, 1, 20.0, False), "2 holds of 20 s")])
def test_a_hold_prescription_is_said_plainly(target: Target, words: str) -> None:
    held = plank([HoldEnded(35.0, start_s=5.0, held_s=20.0, target_s=20.0, completed=True)])
    held.target = target
    assert f"**Prescribed**: {words}" in report_sections(SessionReport.build(held))[0].paragraphs
    assert f"prescribed {words}" in describe_summary(held)


def test_the_report_says_how_to_do_the_exercise_and_where_it_comes_from() -> None:
    sections = report_sections(SessionReport.build(march()), with_figures=False)
    exercise = next(s for s in sections if s.heading == "The exercise").paragraphs
    assert exercise[0] == "**Starting position**: lying on your back."
    assert exercise[1] == "**How to do it**:" and "• Keep your back flat on the floor." in exercise
    assert exercise[-1].startswith("**From the article** “7 Best Psoas Muscle Exercises”: #4 Lying march")


def test_a_hold_exercise_has_no_rep_columns() -> None:
    held = plank([HoldEnded(35.0, start_s=5.0, held_s=20.0, target_s=30.0, completed=False)])
    per_side = next(s for s in report_sections(SessionReport.build(held)) if s.heading == "Per side")
    assert per_side.table == (("Side", "Holds", "Hold time (s)", "Best (s)"), [("both", "1", "20.0", "20.0")])
