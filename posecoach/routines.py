"""Routines: a prescribed sequence of exercises, as data, and how the dose grows over weeks.

A :class:`Routine` is what a physiotherapist writes on a sheet: exercise, sets, reps per side, hold,
rest, a note. The built-in ``psoas`` routine is assembled from the seed articles; anyone can write
another in a TOML file (see :func:`load_routine_file` for the format) and keep it in the routines
folder of their config directory (:func:`user_routines_dir`) or pass it with ``--file``.

Progression (:func:`progress`) is a pure function of the previous sessions of one step, so it is
tested with synthetic history and never reads a clock or a database. The rule:

* Each step has a **ladder** of doses from its prescription up to its cap (``max_sets``,
  ``max_reps``, ``max_hold_s``): first one set more at a time up to ``max_sets``, then
  ``rep_step`` more reps per side (hold exercises: ``hold_step_s`` more seconds) up to the cap.
  For the knee-to-chest hold of seed 000 that is 1x10, 2x10, 3x10, 4x10, 4x12, 4x14, 4x15:
  "10 reps on each side the first time ... slowly add sets and reps until 4 sets of 15".
* The **current dose** is the target stored with the most recent session of that step (snapped to
  the ladder); with no sessions it is the prescription.
* **Advance** one rung when the last ``CLEAN_SESSIONS_TO_ADVANCE`` (2) sessions at the current dose
  were clean: finished (not interrupted or cut short), every target rep or hold done on each side,
  and no form warning. Two clean sessions a rung, two or three sessions a week (seed 003), climbs
  the seven rungs above in four to six weeks, as seed 003 advises.
* **Step back** one rung when the last ``SHORT_SESSIONS_TO_REGRESS`` (2) sessions at the current
  dose both fell short of the target (the dose is too much for now); never below the prescription.
* Otherwise **hold** the dose: clean work but with form warnings, or mixed results, repeat it.
"""

from __future__ import annotations

import math
import os
import sys
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from posecoach.errors import PoseCoachError
from posecoach.exercises.catalog import CATALOG, SEED_000, SEED_001, SEED_003, SEED_004
from posecoach.exercises.definition import Dose, Exercise, Target
from posecoach.inputs import read_input_file
from posecoach.summary import SessionStatus

ENV_ROUTINES = "POSECOACH_ROUTINES"
"""A folder of routine files that replaces the default one in the user's config directory."""
CLEAN_SESSIONS_TO_ADVANCE = 2
SHORT_SESSIONS_TO_REGRESS = 2
HOLD_DONE_FRACTION = 0.9
"""History keeps total hold time, not each hold's outcome: holds count as done when they averaged this
share of the target (a hold the engine ended a moment early still counts, as it does live)."""


class RoutineError(PoseCoachError):
    """A routine that does not exist, or a routine file that is not valid."""


class UnknownRoutineError(RoutineError):
    """A routine name that does not exist: a usage error (exit 2), like an unknown exercise."""

    exit_code = 2


class Change(StrEnum):
    START = "start"
    ADVANCE = "advance"
    HOLD = "hold"
    REGRESS = "regress"


@dataclass(frozen=True)
class Step:
    """One exercise of a routine as prescribed, with the caps its progression may reach."""

    exercise: str
    sets: int
    reps: int
    hold_s: float = 0.0
    rest_s: float = 60.0
    notes: str = ""
    source: str = ""
    max_sets: int | None = None
    max_reps: int | None = None
    max_hold_s: float | None = None
    rep_step: int = 2
    hold_step_s: float = 5.0

    @property
    def dose(self) -> Dose:
        return Dose(self.sets, self.reps, self.hold_s, self.rest_s)

    @property
    def definition(self) -> Exercise:
        return CATALOG[self.exercise]

    def ladder(self) -> list[Dose]:
        """Every dose from the prescription to the cap, in order (see the module doc)."""
        rungs = [self.dose]
        sets, reps, hold_s = self.sets, self.reps, self.hold_s
        while sets < (self.max_sets or self.sets):
            sets += 1
            rungs.append(Dose(sets, reps, hold_s, self.rest_s))
        if self.definition.rep is None:
            cap = self.max_hold_s or hold_s
            while hold_s < cap:
                hold_s = min(cap, hold_s + self.hold_step_s)
                rungs.append(Dose(sets, reps, hold_s, self.rest_s))
        else:
            cap_reps = self.max_reps or reps
            while reps < cap_reps:
                reps = min(cap_reps, reps + self.rep_step)
                rungs.append(Dose(sets, reps, hold_s, self.rest_s))
        return rungs


@dataclass(frozen=True)
class Routine:
    name: str
    title: str
    steps: tuple[Step, ...]
    rest_between_s: float = 30.0
    """The countdown before each exercise after the first: time to change position."""
    description: str = ""
    source: str = ""
    path: Path | None = field(default=None, compare=False)
    """The file it was read from; None for a built-in routine."""

    def step_keys(self) -> list[str]:
        """Stable names of the steps for history: the slug, ``#2`` on its second use (a stretch done
        before and after), so inserting another exercise does not reset a step's progression."""
        seen: dict[str, int] = {}
        keys = []
        for step in self.steps:
            seen[step.exercise] = seen.get(step.exercise, 0) + 1
            keys.append(step.exercise if seen[step.exercise] == 1 else f"{step.exercise}#{seen[step.exercise]}")
        return keys


def session_tag(routine: Routine, key: str) -> str:
    """What a step's session carries in its history ``source``, so progression finds its sessions."""
    return f"[routine {routine.name}/{key}]"


# ============================================================================ the built-in routine

PSOAS = Routine(
    name="psoas",
    title="Psoas: stretch, strengthen, stretch",
    description="Massage aside, the seeds' order: lengthen the hip flexor, strengthen it and its "
                "stabilisers, stretch again. Two or three times a week.",
    source="Seeds 000, 001, 003 and 004; order from 001 ('massage, then stretch, then strengthen'), "
           "frequency and progression from 003 ('2-3 times per week ... over 4-6 weeks').",
    rest_between_s=30.0,
    steps=(
        Step("kneeling-hip-flexor-stretch", sets=1, reps=1, hold_s=25, rest_s=15, max_hold_s=30,
             notes="Warm-up. Tuck your pelvis, then shift forward until the front of the back hip stretches.",
             source=f"{SEED_004}: hold 20 to 30 seconds"),
        Step("supine-knee-to-chest", sets=1, reps=10, hold_s=3, rest_s=30, max_sets=4, max_reps=15,
             notes="Pull one knee in and hold 3 seconds; your back and the other leg stay on the floor.",
             source=f"{SEED_000}: 10 reps on each side, slowly add sets and reps until 4 sets of 15"),
        Step("lying-march", sets=2, reps=10, rest_s=45, max_sets=3, max_reps=15,
             notes="Knees up at 90 degrees; straighten one leg and bring it back, then the other.",
             source=f"{SEED_001}: #4 lying march"),
        Step("glute-bridge", sets=2, reps=10, rest_s=45, max_sets=3, max_reps=15,
             notes="Lift until shoulders, hips and knees line up; lower slowly.",
             source=f"{SEED_004}: bridge; {SEED_003}: add reps and sets over 4-6 weeks"),
        Step("standing-march", sets=2, reps=10, rest_s=30, max_sets=3, max_reps=15,
             notes="Stand tall; drive one knee toward your chest, pause briefly, switch.",
             source=f"{SEED_001}: #6 standing march"),
        Step("kneeling-hip-flexor-stretch", sets=1, reps=1, hold_s=30, rest_s=15,
             notes="Cool-down: the same stretch, a little longer.", source=f"{SEED_004}: hold 20 to 30 seconds"),
    ),
)
BUILT_IN: dict[str, Routine] = {PSOAS.name: PSOAS}


# ============================================================================ routine files


def user_routines_dir(env: Mapping[str, str] | None = None, platform: str | None = None,
                      home: Path | None = None) -> Path:
    """``$POSECOACH_ROUTINES``, else ``routines`` in the platform's per-user config folder
    (``$XDG_CONFIG_HOME`` or ~/.config on Linux, Application Support on macOS, APPDATA on Windows)."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    home = Path.home() if home is None else home
    if env.get(ENV_ROUTINES):
        return Path(env[ENV_ROUTINES]).expanduser()
    if platform.startswith("win"):
        return Path(env.get("APPDATA") or home / "AppData" / "Roaming") / "posecoach" / "routines"
    if platform == "darwin":
        return home / "Library" / "Application Support" / "posecoach" / "routines"
    xdg = env.get("XDG_CONFIG_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".config"
    return base / "posecoach" / "routines"


ROUTINE_KEYS = {"name": str, "title": str, "description": str, "source": str, "rest_between_s": float,
                "steps": list}
STEP_KEYS = {"exercise": str, "sets": int, "reps": int, "hold_s": float, "rest_s": float, "notes": str,
             "source": str, "max_sets": int, "max_reps": int, "max_hold_s": float, "rep_step": int,
             "hold_step_s": float}


BOUNDS: dict[str, tuple[float, float]] = {
    "sets": (0, 50), "max_sets": (0, 50), "reps": (0, 500), "max_reps": (0, 500), "rep_step": (0, 100),
    "hold_s": (0, 3600), "max_hold_s": (0, 3600), "hold_step_s": (0.5, 600), "rest_s": (0, 3600),
    "rest_between_s": (0, 3600),
}
"""Sane ranges of every number (those of ``posecoach live --sets/--reps/--hold/--rest``): ``nan``, ``inf``,
a zero step (an endless progression ladder) or 10^9 sets are refused, not run. Minimums of 1 for whole
numbers are checked after, with their own message."""
MAX_ROUTINE_BYTES = 1 << 20


def _check(where: str, key: str, value: Any, kind: type) -> Any:
    """Type, finiteness and range of one value; a float key takes a whole number too, a bool is never a number."""
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        expected = {str: "text in quotes", int: "a whole number", float: "a number", list: "a list of [[steps]]"}
        raise RoutineError(f"{where}: '{key}' must be {expected[kind]} (got {value!r})")
    if isinstance(value, int | float) and not math.isfinite(value):
        raise RoutineError(f"{where}: '{key}' must be a finite number (got {value!r})")
    if isinstance(value, int | float) and value < 0:
        raise RoutineError(f"{where}: '{key}' cannot be negative (got {value:g})")
    low, high = BOUNDS.get(key, (-math.inf, math.inf))
    if isinstance(value, int | float) and not low <= value <= high:
        raise RoutineError(f"{where}: '{key}' must be between {low:g} and {high:g} (got {value:g})")
    return value


def _unknown_keys(where: str, data: Mapping[str, Any], valid: Mapping[str, type]) -> None:
    unknown = sorted(set(data) - set(valid))
    if unknown:
        raise RoutineError(f"{where}: unknown key '{unknown[0]}'. Valid keys: {', '.join(valid)}")


def parse_step(data: Mapping[str, Any], where: str) -> Step:
    """One ``[[steps]]`` table; what it leaves out comes from the exercise's own program."""
    _unknown_keys(where, data, STEP_KEYS)
    if "exercise" not in data:
        raise RoutineError(f"{where}: missing key 'exercise' (e.g. exercise = \"supine-knee-to-chest\")")
    values = {key: _check(where, key, value, STEP_KEYS[key]) for key, value in data.items()}
    slug = values["exercise"]
    if slug not in CATALOG:
        raise RoutineError(f"{where}: unknown exercise '{slug}'. Valid exercises: {', '.join(sorted(CATALOG))}")
    exercise = CATALOG[slug]
    program = exercise.program
    has_hold = exercise.hold_target_s > 0
    if not has_hold and (values.get("hold_s") or values.get("max_hold_s")):
        raise RoutineError(f"{where}: '{slug}' has no hold, so 'hold_s' does not apply; exercises with holds "
                           "include plank, kneeling-hip-flexor-stretch and supine-knee-to-chest")
    values.setdefault("sets", program.sets)
    values.setdefault("reps", program.reps)
    values.setdefault("hold_s", float(program.hold_s) if has_hold else 0.0)
    values.setdefault("rest_s", float(program.rest_s))
    values.setdefault("source", f"{exercise.source.article}: {exercise.source.instruction}" if exercise.source
                      else "")
    for key in ("sets", "reps", "rep_step"):
        if key in values and values[key] < 1:
            raise RoutineError(f"{where}: '{key}' must be at least 1 (got {values[key]})")
    if has_hold and values["hold_s"] <= 0:
        raise RoutineError(f"{where}: 'hold_s' must be more than 0 seconds for '{slug}'")
    for cap, base in (("max_sets", "sets"), ("max_reps", "reps"), ("max_hold_s", "hold_s")):
        if cap in values and values[cap] < values[base]:
            raise RoutineError(f"{where}: '{cap}' ({values[cap]:g}) is below '{base}' ({values[base]:g}); "
                               "the cap is where progression stops, so it must be at least the starting dose")
    return Step(**values)


def parse_routine(data: Mapping[str, Any], name: str, where: str, path: Path | None = None) -> Routine:
    """A routine from decoded TOML; every problem is one line naming the file, the step and the key."""
    _unknown_keys(where, data, ROUTINE_KEYS)
    for key in ("title", "steps"):
        if key not in data:
            raise RoutineError(f"{where}: missing key '{key}'. A routine file needs title = \"...\" and at least "
                               "one [[steps]] table with exercise = \"<slug>\" (see 'posecoach routine --help')")
    values = {key: _check(where, key, value, ROUTINE_KEYS[key]) for key, value in data.items()}
    raw_steps = values.pop("steps")
    if not raw_steps:
        raise RoutineError(f"{where}: 'steps' is empty; add at least one [[steps]] table with an exercise")
    steps = []
    for number, raw in enumerate(raw_steps, 1):
        if not isinstance(raw, dict):
            raise RoutineError(f"{where}: step {number} must be a [[steps]] table (got {raw!r})")
        steps.append(parse_step(raw, f"{where}: step {number}"))
    values.setdefault("name", name)
    if not values["name"].strip() or any(ch.isspace() or ch == "/" for ch in values["name"]):
        raise RoutineError(f"{where}: 'name' must be one word without spaces or '/' (got {values['name']!r})")
    return Routine(steps=tuple(steps), path=path, **values)


def load_routine_file(path: str | Path) -> Routine:
    """Read and validate a routine file. Keys (``title`` and ``steps`` required)::

        name = "morning"            # optional; default: the file name without .toml
        title = "Morning psoas"
        rest_between_s = 30         # countdown before each exercise after the first
        description = "..."         # optional
        source = "Prescribed by ..."  # optional

        [[steps]]
        exercise = "supine-knee-to-chest"   # required: a slug from 'posecoach exercises'
        sets = 1                    # optional, like every other key: default from the exercise
        reps = 10                   # per side for one-sided exercises; holds per set for holds
        hold_s = 3                  # only for exercises with a hold
        rest_s = 30                 # between sets
        max_sets = 4                # progression caps (default: no progression)
        max_reps = 15
        max_hold_s = 30
        rep_step = 2                # reps added per rung once the sets are at their cap
        hold_step_s = 5
        notes = "..."
    """
    path = Path(path)
    where = f"routine file '{path}'"
    data_bytes = read_input_file(path, what="routine file", max_bytes=MAX_ROUTINE_BYTES, error=RoutineError)
    try:
        text = data_bytes.decode("utf-8")
    except UnicodeDecodeError:
        raise RoutineError(f"{where} is not UTF-8 text; save it as UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RoutineError(f"{where} is not valid TOML: {exc}") from None
    return parse_routine(data, path.stem, where, path)


def available_routines(folder: Path | None = None) -> dict[str, Routine]:
    """Built-in routines, then the user's (a user routine of the same name replaces the built-in)."""
    routines = dict(BUILT_IN)
    folder = user_routines_dir() if folder is None else folder
    if folder.is_dir():
        for path in sorted(folder.glob("*.toml")):
            routine = load_routine_file(path)
            routines[routine.name] = routine
    return routines


def find_routine(name: str, file: Path | None = None, folder: Path | None = None) -> Routine:
    """The routine ``name`` (a file's routine when ``file`` is given; then ``name`` may be omitted)."""
    if file is not None:
        routine = load_routine_file(file)
        if name and name != routine.name:
            raise RoutineError(f"routine file '{file}' holds the routine '{routine.name}', not '{name}'")
        return routine
    routines = available_routines(folder)
    if name not in routines:
        where = folder if folder is not None else user_routines_dir()
        from posecoach.wording import did_you_mean

        raise UnknownRoutineError(f"unknown routine '{name}'{did_you_mean(name, routines)}. Valid routines: "
                                  f"{', '.join(sorted(routines))} "
                                  f"(user routines are *.toml files in {where}, or pass --file)")
    return routines[name]


# ============================================================================ progression (pure)


class SessionRecord(Protocol):
    """What progression reads of a past session; :class:`~posecoach.sinks.history.SessionInfo` is one."""

    @property
    def status(self) -> str: ...
    @property
    def target(self) -> Target | None: ...
    @property
    def reps(self) -> int: ...
    @property
    def reps_left(self) -> int: ...
    @property
    def reps_right(self) -> int: ...
    @property
    def holds(self) -> int: ...
    @property
    def held_s(self) -> float: ...
    @property
    def warnings(self) -> int: ...


def target_met(record: SessionRecord, counts_holds: bool) -> bool:
    """Every prescribed rep (each side) or hold was done, by the target stored with the session."""
    target = record.target
    if target is None:
        return False
    wanted = target.sets * target.reps
    if counts_holds:
        holds_wanted = wanted * (2 if target.per_side else 1)
        return (record.holds >= holds_wanted and record.held_s >= HOLD_DONE_FRACTION * holds_wanted * target.hold_s)
    if target.per_side:
        return min(record.reps_left, record.reps_right) >= wanted
    return record.reps >= wanted


def is_clean(record: SessionRecord, counts_holds: bool) -> bool:
    """Finished, everything done, no form warning: the session earns progress."""
    return record.status == SessionStatus.COMPLETE and record.warnings == 0 and target_met(record, counts_holds)


@dataclass(frozen=True)
class Decision:
    dose: Dose
    change: Change
    reason: str


def _dose_of(record: SessionRecord) -> Dose | None:
    return record.target.dose if record.target is not None else None


def _rung(ladder: Sequence[Dose], dose: Dose) -> int:
    """The highest rung not above ``dose`` (a dose off the ladder, e.g. after a caps edit, snaps down)."""
    below = [i for i, rung in enumerate(ladder)
             if rung.sets <= dose.sets and rung.reps <= dose.reps and rung.hold_s <= dose.hold_s + 1e-9]
    return below[-1] if below else 0


def progress(step: Step, history: Sequence[SessionRecord], *, clean_needed: int = CLEAN_SESSIONS_TO_ADVANCE,
             short_needed: int = SHORT_SESSIONS_TO_REGRESS) -> Decision:
    """Today's dose for ``step`` from its previous sessions, oldest first (the rule is in the module doc)."""
    ladder = step.ladder()
    dated = [(record, dose) for record in history if (dose := _dose_of(record)) is not None]
    if not dated:
        return Decision(ladder[0], Change.START, "first time: the prescribed dose")
    rung = _rung(ladder, dated[-1][1])
    current = ladder[rung]
    at_level = [record for record, dose in dated if _rung(ladder, dose) == rung]
    counts_holds = step.definition.rep is None
    recent = at_level[-max(clean_needed, short_needed):]
    if len(recent) >= clean_needed and all(is_clean(r, counts_holds) for r in recent[-clean_needed:]):
        if rung + 1 < len(ladder):
            return Decision(ladder[rung + 1], Change.ADVANCE,
                            f"last {clean_needed} sessions at {current.sets}x{current.reps} were clean")
        return Decision(current, Change.HOLD, "clean, and already at the cap of this step")
    if len(recent) >= short_needed and not any(target_met(r, counts_holds) for r in recent[-short_needed:]):
        if rung > 0:
            return Decision(ladder[rung - 1], Change.REGRESS,
                            f"the last {short_needed} sessions fell short of {current.sets}x{current.reps}")
        return Decision(current, Change.HOLD, "short of the target, but this is the starting dose")
    last = recent[-1]
    why = ("form warnings last time" if last.warnings and target_met(last, counts_holds)
           else "not yet two clean sessions at this dose")
    return Decision(current, Change.HOLD, why)

