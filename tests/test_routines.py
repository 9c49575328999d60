"""Routines: the built-in one matches the seeds, routine files fail with one clear line, progression
follows its documented rule, and ``routine run`` takes small rendered clips end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from posecoach.cli import cli
from posecoach.exercises import CATALOG
from posecoach.exercises.definition import Dose, Target
from posecoach.routines import (
    PSOAS,
    Change,
    RoutineError,
    Step,
    find_routine,
    load_routine_file,
    progress,
    user_routines_dir,
)
from posecoach.sinks.history import open_store


def test_psoas_routine_is_made_of_catalogue_exercises_and_the_seed_doses() -> None:
    assert all(step.exercise in CATALOG for step in PSOAS.steps)
    assert PSOAS.steps[0].exercise == PSOAS.steps[-1].exercise == "kneeling-hip-flexor-stretch"
    knee = next(step for step in PSOAS.steps if step.exercise == "supine-knee-to-chest")
    assert knee.ladder()[0] == Dose(1, 10, 3.0)
    assert knee.ladder()[-1] == Dose(4, 15, 3.0)  # seed 000: "until you reach a total of 4 sets of 15"
    assert PSOAS.step_keys()[-1] == "kneeling-hip-flexor-stretch#2"


def _write(tmp_path: Path, text: str, name: str = "mine.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


STEP = '[[steps]]\nexercise = "glute-bridge"\n'
BAD_FILES = [
    ("missing-title", STEP, "missing key 'title'"),
    ("missing-steps", 'title = "x"\n', "missing key 'steps'"),
    ("missing-exercise", 'title = "x"\n[[steps]]\nreps = 3\n', "step 1: missing key 'exercise'"),
    ("unknown-slug", 'title = "x"\n[[steps]]\nexercise = "squat"\n',
     "step 1: unknown exercise 'squat'. Valid exercises: alternating-knee-to-chest, bird-dog"),
    ("negative", f'title = "x"\n{STEP}rest_s = -5\n', "step 1: 'rest_s' cannot be negative (got -5)"),
    ("zero-sets", f'title = "x"\n{STEP}sets = 0\n', "step 1: 'sets' must be at least 1 (got 0)"),
    ("wrong-type", f'title = "x"\n{STEP}reps = "ten"\n', "step 1: 'reps' must be a whole number (got 'ten')"),
    ("typo-key", f'title = "x"\n{STEP}rep = 10\n', "step 1: unknown key 'rep'. Valid keys: exercise, sets"),
    ("cap-below", f'title = "x"\n{STEP}sets = 3\nmax_sets = 2\n', "'max_sets' (2) is below 'sets' (3)"),
    ("hold-without-hold", f'title = "x"\n{STEP}hold_s = 3\n', "'glute-bridge' has no hold"),
    ("not-toml", 'title = "x\n', "is not valid TOML"),
    ("empty-steps", 'title = "x"\nsteps = []\n', "'steps' is empty"),
]


@pytest.mark.parametrize(("text", "message"), [case[1:] for case in BAD_FILES], ids=[c[0] for c in BAD_FILES])
def test_a_bad_routine_file_is_one_line_saying_what_to_fix(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(RoutineError) as raised:
        load_routine_file(path)
    assert message in str(raised.value)
    assert f"'{path}'" in str(raised.value)
    result = CliRunner().invoke(cli, ["routine", "show", "--file", str(path)])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: routine file")


def test_a_routine_file_takes_missing_numbers_from_the_exercise_program(tmp_path: Path) -> None:
    path = _write(tmp_path, 'title = "Evening"\nrest_between_s = 20\n[[steps]]\nexercise = "supine-knee-to-chest"\n'
                            'reps = 8\nmax_sets = 2\n[[steps]]\nexercise = "plank"\nhold_s = 20\nmax_hold_s = 30\n',
                  "evening.toml")
    routine = load_routine_file(path)
    assert routine.name == "evening" and routine.rest_between_s == 20
    knee, plank = routine.steps
    assert (knee.sets, knee.reps, knee.hold_s, knee.rest_s) == (1, 8, 3.0, 30.0)
    assert [dose.hold_s for dose in plank.ladder()] == [20.0, 25.0, 30.0]
    assert plank.ladder()[0].sets == CATALOG["plank"].program.sets


def test_user_routines_come_from_the_config_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, f'title = "Mine"\n{STEP}', "mine.toml")
    monkeypatch.setenv("POSECOACH_ROUTINES", str(tmp_path))
    assert find_routine("mine").title == "Mine"
    listed = CliRunner().invoke(cli, ["routine", "list", "--format", "json"])
    assert {"psoas", "mine"} <= {r["name"] for r in json.loads(listed.stdout)}
    with pytest.raises(RoutineError, match=r"unknown routine 'nope'\. Valid routines: mine, psoas"):
        find_routine("nope")


@pytest.mark.parametrize(("platform", "env", "expected"), [
    ("linux", {}, "/home/u/.config/posecoach/routines"),
    ("linux", {"XDG_CONFIG_HOME": "/cfg"}, "/cfg/posecoach/routines"),
    ("darwin", {}, "/home/u/Library/Application Support/posecoach/routines"),
    ("win32", {"APPDATA": "/appdata"}, "/appdata/posecoach/routines"),
    ("linux", {"POSECOACH_ROUTINES": "/r"}, "/r"),
], ids=["xdg-default", "xdg-set", "macos", "windows", "env"])
def test_routines_folder_follows_the_platform(platform: str, env: dict[str, str], expected: str) -> None:
    assert user_routines_dir(env, platform, Path("/home/u")) == Path(expected)


# ---------------------------------------------------------------- progression


@dataclass(frozen=True)
class Past:
    """A past session as history reports it (the fields of SessionInfo that progression reads)."""

    target: Target | None
    reps_left: int = 0
    reps_right: int = 0
    warnings: int = 0
    status: str = "complete"
    holds: int = 0
    held_s: float = 0.0

    @property
    def reps(self) -> int:
        return self.reps_left + self.reps_right


KNEE = Step("supine-knee-to-chest", sets=1, reps=10, hold_s=3, max_sets=4, max_reps=15)
STRETCH = Step("kneeling-hip-flexor-stretch", sets=1, reps=1, hold_s=25, max_hold_s=30)


def clean(sets: int, reps: int) -> Past:
    return Past(Target(sets, reps, 3.0, True), sets * reps, sets * reps)


def short(sets: int, reps: int) -> Past:
    return Past(Target(sets, reps, 3.0, True), sets * reps, sets * reps - 3)


def warned(sets: int, reps: int) -> Past:
    return Past(Target(sets, reps, 3.0, True), sets * reps, sets * reps, warnings=2)


PROGRESSION = [
    ("first-time", KNEE, [], Dose(1, 10, 3), Change.START),
    ("one-clean-holds", KNEE, [clean(1, 10)], Dose(1, 10, 3), Change.HOLD),
    ("two-clean-add-a-set", KNEE, [clean(1, 10), clean(1, 10)], Dose(2, 10, 3), Change.ADVANCE),
    ("sets-capped-then-reps", KNEE, [clean(4, 10), clean(4, 10)], Dose(4, 12, 3), Change.ADVANCE),
    ("reps-capped-at-15", KNEE, [clean(4, 14), clean(4, 14)], Dose(4, 15, 3), Change.ADVANCE),
    ("at-the-cap", KNEE, [clean(4, 15), clean(4, 15)], Dose(4, 15, 3), Change.HOLD),
    ("old-level-sessions-ignored", KNEE, [clean(1, 10), clean(2, 10)], Dose(2, 10, 3), Change.HOLD),
    ("warnings-hold", KNEE, [clean(2, 10), warned(2, 10)], Dose(2, 10, 3), Change.HOLD),
    ("interrupted-is-not-clean", KNEE, [clean(2, 10), Past(Target(2, 10, 3.0, True), 20, 20, status="interrupted")],
     Dose(2, 10, 3), Change.HOLD),
    ("one-side-short", KNEE, [clean(2, 10), Past(Target(2, 10, 3.0, True), 20, 12)], Dose(2, 10, 3), Change.HOLD),
    ("two-short-step-back", KNEE, [short(3, 10), short(3, 10)], Dose(2, 10, 3), Change.REGRESS),
    ("short-at-the-start", KNEE, [short(1, 10), short(1, 10)], Dose(1, 10, 3), Change.HOLD),
    ("mixed-holds", KNEE, [short(2, 10), clean(2, 10)], Dose(2, 10, 3), Change.HOLD),
    ("off-ladder-snaps-down", KNEE, [Past(Target(3, 11, 3.0, True), 33, 33)] * 2, Dose(4, 10, 3), Change.ADVANCE),
    ("holds-clean-lengthen", STRETCH, [Past(Target(1, 1, 25.0, True), holds=2, held_s=51)] * 2, Dose(1, 1, 30),
     Change.ADVANCE),
    ("holds-too-short", STRETCH, [Past(Target(1, 1, 25.0, True), holds=2, held_s=30)] * 2, Dose(1, 1, 25),
     Change.HOLD),
]


@pytest.mark.parametrize(("step", "history", "dose", "change"), [c[1:] for c in PROGRESSION],
                         ids=[c[0] for c in PROGRESSION])
def test_progression_rule(step: Step, history: list[Past], dose: Dose, change: Change) -> None:
    decision = progress(step, history)
    assert (decision.dose, decision.change) == (dose, change), decision.reason


def test_progression_reads_real_history_sessions(tmp_path: Path) -> None:
    """SessionInfo from a real database is what progression consumes; here it is read back and judged."""
    from posecoach.events import RepCompleted
    from posecoach.landmarks import Side
    from posecoach.summary import SessionSummary

    db = tmp_path / "h.db"
    with open_store(db) as store:
        for _ in range(2):
            summary = SessionSummary("supine-knee-to-chest", "camera 0 [routine r/supine-knee-to-chest]")
            summary.events = [RepCompleted(float(i), side, count=i // 2 + 1) for i, side in
                              enumerate([Side.LEFT, Side.RIGHT] * 10)]
            store.save_summary(summary, mode="live", target=Target(1, 10, 3.0, True))
        sessions = store.sessions(exercise="supine-knee-to-chest")
    assert progress(KNEE, sessions).dose == Dose(2, 10, 3)


# ---------------------------------------------------------------- run, end to end


def _render(tmp_path: Path, slug: str) -> Path:
    out = tmp_path / f"{slug}.mp4"
    subprocess.run([sys.executable, "-m", "posecoach", "synth", slug, "--reps", "2", "--size", "320x240", "--fps", "15",
                    "--duration-scale", "0.6", "--no-joints", "-o", str(out)], check=True, capture_output=True)
    return out


@pytest.mark.model
@pytest.mark.slow
def test_routine_run_records_each_step_and_progresses_after_two_clean_runs(tmp_path: Path) -> None:
    """A one-step routine (knee-to-chest 1 x 2 per side, up to 2 sets) on a clip with exactly 2 reps per
    side: each run ends the step when its set is done, saves a tagged session, and the third run's
    dose has a set more."""
    clip = _render(tmp_path, "supine-knee-to-chest")
    routine = _write(tmp_path, 'title = "Tiny"\nrest_between_s = 1\n[[steps]]\nexercise = "supine-knee-to-chest"\n'
                               "sets = 1\nreps = 2\nmax_sets = 2\n", "tiny.toml")
    db = tmp_path / "h.db"
    args = ["routine", "run", "--file", str(routine), "--source", str(clip), "--no-window", "--no-voice",
            "--as-fast-as-possible", "--db", str(db)]
    for _ in range(2):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
        assert "1. supine-knee-to-chest: 1 x 2 reps each side" in result.stdout
        assert "left 2, right 2" in result.stdout and "all sets done" in result.stdout
        assert "First exercise: Supine knee-to-chest hold" in result.stderr
    with open_store(db) as store:
        sessions = store.sessions()
    assert [(s.exercise, s.status, s.reps_left, s.reps_right) for s in sessions] == \
        [("supine-knee-to-chest", "complete", 2, 2)] * 2
    assert all(s.source.endswith("[routine tiny/supine-knee-to-chest]") for s in sessions)
    shown = CliRunner().invoke(cli, ["routine", "show", "--file", str(routine), "--db", str(db)])
    assert "2 x 2 reps each side, 3 s hold" in shown.stdout and "today: advance" in shown.stdout


def test_run_needs_one_source_or_one_per_step(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["routine", "run", "psoas", "--source", "a.mp4", "--source", "b.mp4",
                                      "--no-window"])
    assert result.exit_code == 2
    assert "give --source once, or once for each of the 6 steps (got 2)" in result.stderr
