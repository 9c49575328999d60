"""Running a routine live: each step through the same live session as ``posecoach live``.

The only addition to a plain live session is :class:`StepAdvance`, which ends a step once the
coach says all its sets are done, so the routine moves on by itself. Each step is one history
session, tagged with the routine and step so the next run can progress it. Usable from Python::

    with open_store(None) as store, RoutineRunner(find_routine("psoas"), store) as runner:
        lines = runner.run_all(sessions_of(store, runner.routine))
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from posecoach.capture import Pacing, open_live_source
from posecoach.coach import Coach, Command, Plan, Stage
from posecoach.exercises import get_exercise
from posecoach.exercises.definition import with_hold_target
from posecoach.live import KeySource, LiveResult, StopReason, build_session, pacing_for
from posecoach.routines import Change, Decision, Routine, SessionRecord, Step, progress, session_tag
from posecoach.sinks.history import HistoryRecorder, HistoryStore
from posecoach.sinks.window import TerminalKeys
from posecoach.terminal import echo
from posecoach.wording import plural

if TYPE_CHECKING:
    from posecoach.sinks.voice import Speaker

STOPS_ROUTINE = (StopReason.QUIT, StopReason.WINDOW_CLOSED, StopReason.INTERRUPTED, StopReason.TERMINATED,
                 StopReason.SOURCE_FAILED, StopReason.ERROR)
"""How a step ends the whole routine (unless the step had already advanced by itself)."""


def sessions_of(store: HistoryStore, routine: Routine) -> dict[str, list[Any]]:
    """Each step's earlier sessions, oldest first, found by the tag in their source."""
    found: dict[str, list[Any]] = {}
    for step, key in zip(routine.steps, routine.step_keys(), strict=True):
        tag = session_tag(routine, key)
        found[key] = [s for s in store.sessions(exercise=step.exercise) if s.source.endswith(tag)]
    return found


def todays_decisions(routine: Routine, history: dict[str, list[Any]], use_history: bool = True) -> list[Decision]:
    """Today's dose of every step: progressed from its history, or as prescribed."""
    return [decide(step, history.get(key, []), use_history)
            for step, key in zip(routine.steps, routine.step_keys(), strict=True)]


def decide(step: Step, history: Sequence[SessionRecord], use_history: bool = True) -> Decision:
    return progress(step, history) if use_history else Decision(step.dose, Change.START, "progression off")


class StepAdvance:
    """The keys a step listens to: the user's (q ends the routine), plus a QUIT of its own once the
    coach has said all sets are done and ``linger_s`` has passed, which ends just this step."""

    def __init__(self, coach: Coach, keys: KeySource | None = None, linger_s: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._coach = coach
        self._keys = keys
        self._linger_s = linger_s
        self._clock = clock
        self._done_at: float | None = None
        self.advanced = False

    def poll(self) -> Command | None:
        command = self._keys.poll() if self._keys is not None else None
        if command is not None:
            return command
        if self._coach.stage is Stage.DONE:
            now = self._clock()
            self._done_at = now if self._done_at is None else self._done_at
            if now - self._done_at >= self._linger_s:
                self.advanced = True
                return Command.QUIT
        return None

    def close(self) -> None:
        """The terminal keys outlive the step: the routine restores the terminal when it ends."""


def _print_stderr(message: str) -> None:
    echo(message, err=True)


class RoutineRunner:
    """Runs a routine's steps one after another through the live loop; keeps what outlives a step
    (the history store, the speech engine, the terminal's key mode). Use it as a context manager."""

    def __init__(self, routine: Routine, store: HistoryStore, camera: int | None = None,
                 sources: Sequence[str] = (), *, voice: bool = True, window: bool = True, realtime: bool = True,
                 model_path: Path | None = None, verbose: bool = False,
                 notify: Callable[[str], None] = _print_stderr) -> None:
        self.routine = routine
        self.store = store
        self.camera = camera
        self.sources = tuple(sources)
        self.window = window
        self.realtime = realtime
        self.model_path = model_path
        self.verbose = verbose
        self.notify = notify
        self.engine: Any = None
        if voice:
            from posecoach.sinks.voice import find_engine

            self.engine, notice = find_engine()
            if notice:
                notify(notice)
        self.keys = TerminalKeys() if not window else None
        self.stopped: StopReason | None = None

    def close(self) -> None:
        if self.keys is not None:
            self.keys.close()

    def __enter__(self) -> RoutineRunner:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _speaker(self) -> Speaker | None:
        if self.engine is None:
            return None
        from posecoach.sinks.voice import Speaker

        return Speaker(self.engine, notify=self.notify)

    def run_all(self, history: dict[str, list[Any]], use_history: bool = True,
                get_ready_s: float = 5.0) -> list[str]:
        """Every step in turn; returns the report lines. :attr:`stopped` says why it ended early."""
        lines = [f"Routine {self.routine.name}: {self.routine.title}"]
        steps = list(zip(self.routine.steps, self.routine.step_keys(), strict=True))
        for index, (step, key) in enumerate(steps):
            decision = decide(step, history.get(key, []), use_history)
            ready = get_ready_s if index == 0 else self.routine.rest_between_s
            result, advanced = self.run_step(index, step, key, decision, ready)
            summary = result.summary
            done = ", ".join(f"{side} {n}" for side, n in result.coach.done)
            ended = "all sets done" if advanced else result.reason.value
            lines.append(f"{index + 1}. {step.exercise}: {decision.dose.describe(step.definition)} "
                         f"({decision.change.value}); last set {result.coach.set_index}/{result.coach.sets}: {done}; "
                         f"{plural(len(summary.warnings), 'warning')}; {ended}")
            if result.reason in STOPS_ROUTINE and not advanced:
                self.stopped = result.reason
                lines.append(f"Routine stopped after step {index + 1} of {len(steps)} ({result.reason.value}).")
                return lines
        lines.append(f"Routine complete: {len(steps)} exercises.")
        return lines

    def _announce(self, index: int, step: Step, decision: Decision, speaker: Speaker | None) -> None:
        exercise = step.definition
        first = "First exercise" if index == 0 else "Next exercise"
        text = f"{first}: {exercise.name}, {decision.dose.describe(exercise)}"
        self.notify(f"[{index + 1}/{len(self.routine.steps)}] {text}")
        if decision.change is not Change.START:
            self.notify(f"   progression: {decision.change.value} ({decision.reason})")
        if step.notes:
            self.notify(f"   {step.notes}")
        if speaker is not None:
            speaker.say(text, key="announce", kind="stage", priority=2)

    def run_step(self, index: int, step: Step, key: str, decision: Decision,
                 get_ready_s: float) -> tuple[LiveResult, bool]:
        """One step as a live session; also says whether it ended by itself (all sets done)."""
        from posecoach.pose import PoseEstimator

        dose = decision.dose
        exercise = with_hold_target(get_exercise(step.exercise), dose.hold_s or None)
        plan = Plan.for_exercise(exercise, "auto", sets=dose.sets, reps=dose.reps, rest_s=step.rest_s,
                                 get_ready_s=get_ready_s)
        spec = self.sources[min(index, len(self.sources) - 1)] if self.sources else None
        speaker = self._speaker()
        self._announce(index, step, decision, speaker)
        with open_live_source(self.camera, spec) as frames, HistoryRecorder(self.store) as recorder, \
                PoseEstimator(self.model_path, verbose=self.verbose) as estimator:
            coach = Coach(plan)
            linger_s = 0.0 if pacing_for(frames, self.realtime) is Pacing.FAST else 2.0
            advance = StepAdvance(coach, self.keys, linger_s=linger_s)
            session = build_session(
                exercise, plan, frames, estimator, realtime=self.realtime,
                window_title=f"posecoach: {self.routine.title}" if self.window else None,
                keys=advance, speaker=speaker, history=recorder,
                history_source=f"{frames.name} {session_tag(self.routine, key)}", coach=coach, notify=self.notify,
            )
            result = session.run()
        return result, advance.advanced
