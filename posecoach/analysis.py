"""The analysis pipeline: source → pose → engine → events → summary.

:class:`AnalysisSession` is the one place where pose frames meet the engine; offline analysis,
trace replay and the live loop all feed it, so they count identically.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from posecoach.errors import SourceError, UnrecognisedError
from posecoach.events import Event, RepCompleted, RepRejected
from posecoach.exercises import EngineSnapshot, Exercise, ExerciseEngine, get_exercise
from posecoach.exercises.channel import Rejection
from posecoach.exercises.definition import (
    RepSpec,
    Sightline,
    Target,
    WarningCode,
    feature_amount,
    feature_words,
    with_hold_target,
)
from posecoach.exercises.reps import RANGE_SIGHTLINE, SMALL_RANGE_SHARE
from posecoach.features import near_side
from posecoach.landmarks import PoseFrame, Side
from posecoach.summary import SessionSummary
from posecoach.wording import plural

if TYPE_CHECKING:
    from posecoach.sources import Frame
    from posecoach.trace import PoseTrace

RECOGNITION_FRAMES = 30 * 180
"""Poses kept (the first three minutes at 30 frames/s) to check that the exercise given is the one shown."""
MIN_POSE_COVERAGE = 0.5
"""Below this share of frames with a person, the summary says the clip is hard to judge."""
TOO_DARK = 25.0
"""Mean brightness (0-255) under which a clip is too dark for the pose model to find a person."""
BRIGHTNESS_EVERY = 10
"""Sample one frame in this many for the brightness check."""
UNSEEN_BECAUSE: dict[Sightline, str] = {
    Sightline.HIPS_APART: "from this camera angle your hips overlap. Film from a front-oblique angle to check it.",
    Sightline.SIDE_ON: "the camera did not see you side-on, so how high your knee rose could not be read. "
                       "Film from the side to check it.",
    Sightline.ACROSS_BODY: "the camera looked along your body (from your head or your feet), where a movement "
                           "toward the camera is a guess. Film from the side to check it.",
}
"""The notes' reason a form rule went unchecked, by what its camera needs."""

EventCallback = Callable[[Event], None]


@dataclass
class AnalysisSession:
    """Feeds pose frames to the engine and collects what a summary needs."""

    exercise: Exercise
    source: str
    side: str = "auto"
    fps: float = 0.0
    on_event: EventCallback | None = None
    hold_target_prescribed: bool = True
    """A routine, a plan or ``--hold`` set the hold target; recorded videos without one only time holds."""
    engine: ExerciseEngine = field(init=False)
    summary: SessionSummary = field(init=False)
    _first_t: float | None = field(default=None, init=False)
    _last_t: float = field(default=0.0, init=False)
    _frames_in_position: int = field(default=0, init=False)
    _near_sides: Counter[Side | None] = field(default_factory=Counter, init=False)
    check_exercise: bool = False
    """Keep the first ``RECOGNITION_FRAMES`` poses and, at the end, say so in a note when the recording
    clearly shows another exercise than the one given."""
    _poses: list[tuple[float, PoseFrame | None]] = field(default_factory=list, init=False)
    brightness: list[float] = field(default_factory=list)
    """Mean brightness of sampled frames, when the caller can see pixels (offline and live)."""

    def __post_init__(self) -> None:
        self.engine = ExerciseEngine(self.exercise, self.side, hold_target_prescribed=self.hold_target_prescribed)
        self.summary = SessionSummary(self.exercise.slug, self.source, fps=self.fps)

    def feed(self, t: float, pose: PoseFrame | None) -> list[Event]:
        if self._first_t is None:
            self._first_t = t
        self._last_t = t
        self.summary.frames += 1
        if pose is not None:
            self.summary.frames_with_pose += 1
        events = self.engine.update(pose, t)
        if self.check_exercise and len(self._poses) < RECOGNITION_FRAMES:
            self._poses.append((t, pose))
        if pose is not None:
            self._near_sides[near_side(self.engine.features)] += 1
        if self.engine.in_position:
            self._frames_in_position += 1
        value = self.engine.signal_value()
        if pose is not None and math.isfinite(value):
            self.summary.signal_trace.append((round(t, 3), round(value, 2)))
        self._publish(events)
        return events

    def _publish(self, events: list[Event]) -> None:
        self.summary.events.extend(events)
        if self.on_event is not None:
            for event in events:
                self.on_event(event)

    def finish(self, *, partial: bool = False, reason: str | None = None) -> SessionSummary:
        """Close open holds and write the caveats; safe to call once, in ``finally``."""
        self._publish(self.engine.finish(self._last_t))
        summary = self.summary
        # A provisional first rep is settled late but keeps its own time: list events by time.
        summary.events.sort(key=lambda event: event.t_s)
        summary.duration_s = (self._last_t - self._first_t) + (1.0 / self.fps if self.fps else 0.0) \
            if self._first_t is not None else 0.0
        summary.partial = partial
        if self._near_sides:
            side, frames = self._near_sides.most_common(1)[0]
            summary.camera_side = side.value if side and frames >= 0.6 * summary.frames_with_pose else None
        rep = self.exercise.rep
        summary.signal_name = rep.signal.replace(".{side}", "").replace(".both", "") if rep else ""
        if reason:
            summary.notes.append(reason)
        summary.notes.extend(self._caveats())
        return summary

    def _caveats(self) -> list[str]:
        summary, notes = self.summary, []
        brightness = statistics.median(self.brightness) if self.brightness else None
        if brightness is not None and brightness < TOO_DARK:
            notes.append(f"The video is very dark (brightness {brightness:.0f}/255), which makes the person "
                         "hard to find: add light or face a window.")
        if summary.frames and summary.frames_with_pose == 0:
            notes.append("No person was found in any frame: nothing could be judged.")
            return notes
        if summary.frames and summary.pose_coverage < MIN_POSE_COVERAGE:
            notes.append(f"A person was found in only {summary.pose_coverage:.0%} of frames: "
                         "counts may be incomplete.")
        notes.extend(self._why_little_counted())
        if self._poses:
            note = other_exercise_note(self._poses, self.exercise)
            if note:
                notes.append(note)
        seen = self.engine.diagnostics
        sightlines = {rule.code.value: rule.sightline for rule in self.exercise.form if rule.sightline is not None}
        if self.exercise.rep is not None:
            sightlines[WarningCode.PARTIAL_RANGE.value] = RANGE_SIGHTLINE
        for code, times in sorted(seen.unjudged_rules.items()):
            if times > seen.judged_rules[code] and code in sightlines:
                reason = UNSEEN_BECAUSE[sightlines[code]]
                notes.append(f"{code.replace('-', ' ').capitalize()} was not checked: {reason}")
        uncertain = [e for e in summary.events if isinstance(e, RepCompleted) and e.uncertain]
        if uncertain:
            reasons = sorted({rep.uncertain for rep in uncertain if rep.uncertain})
            notes.append(f"{plural(len(uncertain), 'rep')} marked uncertain: {'; '.join(reasons)}.")
        return notes


    def _why_little_counted(self) -> list[str]:
        """Never silent: when a person was seen but nothing counted, say what was seen and what to try."""
        seen = self.engine.diagnostics
        exercise, summary = self.exercise, self.summary
        if not seen.frames_with_pose:
            return []
        end_on = seen.end_on_frames > 0.5 * seen.frames_with_pose
        camera = (" The camera seems to look along your body (from your head or your feet): film from the side."
                  if end_on else "")
        if seen.frames_in_position == 0:
            posture = seen.postures_seen.most_common(1)[0][0] if seen.postures_seen else "out of the picture"
            frames_out = sum(seen.postures_seen.values())
            off = [feature_words(name) for name, n in seen.posture_misses.most_common() if n >= 0.5 * frames_out]
            why = f" ({' and '.join(dict.fromkeys(off))} did not match)" if off and not end_on else ""
            return [f"Never saw the starting position ({exercise.posture.name}): you seemed to be {posture} "
                    f"most of the time{why}. Check the exercise (-e) and that the camera sees your whole body."
                    + camera]
        in_position = f"{seen.frames_in_position / self.fps:.0f} s" if self.fps else "a while"
        if exercise.rep is not None and not summary.reps:
            rejected = [e for e in summary.events if isinstance(e, RepRejected)]
            if rejected:
                reasons = sorted({e.code.replace("-", " ") for e in rejected})
                commonest = Counter(e.code for e in rejected).most_common(1)[0][0]
                return [f"Nothing counted: {plural(len(rejected), 'movement')} did not count "
                        f"({', '.join(reasons)}).{_what_to_try(commonest, exercise.rep)}" + camera]
            signal, full = exercise.rep.signal, exercise.rep.min_excursion
            # Both thresholds: a movement larger than the small one can still be no rep (it never
            # started from a still rest, or never came back), and the note must not read as if it were.
            return [f"You were in position for {in_position} but no rep was seen: the largest movement of "
                    f"{feature_words(signal)} was {feature_amount(signal, seen.largest_movement)}, and a rep "
                    f"needs at least {feature_amount(signal, SMALL_RANGE_SHARE * full)} out from a rest kept "
                    f"still ({feature_amount(signal, full)} from any other start) and back. "
                    "Check the exercise (-e)." + camera]
        if exercise.hold is not None and exercise.rep is None and not summary.holds:
            missed = seen.hold_misses.most_common(1)
            why = f": {feature_words(missed[0][0])} was out of range most of the time" if missed else ""
            return [f"You were in position for {in_position} but the hold was never held{why}." + camera]
        return []


def _what_to_try(code: str, rep: RepSpec) -> str:
    """What the commonest reason a movement did not count means for the person, and what to try."""
    advice = {
        Rejection.BOTH_SIDES_MOVED: " Both legs seemed to rise together, and this exercise moves one at a time: "
                                    "if you moved one, the camera mixed up your legs, so film with both legs in "
                                    "clear view.",
        Rejection.TOO_FAST: f" A rep takes at least {rep.min_rep_s:g} s: move slower, with control.",
        Rejection.HOLD_TOO_SHORT: f" Hold the top {rep.hold_s:g} s before coming back down.",
        Rejection.OTHER_MOVEMENT: " The rest of your body did not match this exercise at the top: check the "
                                  "exercise (-e).",
    }
    return advice.get(Rejection(code), "")


def other_exercise_note(poses: list[tuple[float, PoseFrame | None]], exercise: Exercise) -> str | None:
    """A note when the poses clearly show another exercise than ``exercise`` (``-e`` given wrongly)."""
    from posecoach.exercises.recognize import recognize

    recognition = recognize(poses)
    if not recognition.contradicts(exercise.slug):
        return None
    shown = recognition.describe().removesuffix(" (sure)")
    return (f"This looks like {shown.lower()} rather than {exercise.name.lower()}: if so, analyse it with "
            f"-e {recognition.slug}.")


def recognise_and_count(trace: PoseTrace, *, side: str = "auto") -> list[SessionSummary]:
    """Name the exercise (or the exercises, one after another) from already-estimated poses, and count each.

    One exercise: the whole recording is counted with it, exactly as with ``-e``. Several: each
    segment's stretch of the recording is counted on its own, and its summary says which segment it is.
    """
    from posecoach.exercises.recognize import segment

    poses = list(trace.pose_frames())
    segments = [s for s in segment(poses) if s.recognition.slug is not None]
    if not segments:
        raise UnrecognisedError(trace.source)
    if len({s.recognition.slug for s in segments}) == 1:
        parts = [(segments[0], poses)]
    else:
        parts = [(s, [(t, pose) for t, pose in poses if s.owns(t)]) for s in segments]
    summaries: list[SessionSummary] = []
    for part, part_poses in parts:
        recognition = part.recognition
        assert recognition.slug is not None
        summary = replay(part_poses, recognition.slug, side=side, source=trace.source, fps=trace.fps)
        summary.recognition = recognition.to_dict()
        if len(parts) > 1:
            summary.segment = {"start_s": round(part.start_s, 3), "end_s": round(part.end_s, 3),
                               "index": len(summaries) + 1, "of": len(parts)}
        unsure = "" if recognition.sure else ": pass -e to choose"
        summary.notes.insert(0, f"Recognised: {recognition.describe()}{unsure}.")
        summaries.append(summary)
    return summaries


def recognise_video(source: str | Path, *, side: str = "auto", model_path: Path | None = None,
                    verbose: bool = False) -> list[SessionSummary]:
    """Landmark a video once, name its exercise (or exercises) and count each, dated like
    :func:`analyze_video`'s summary: history and reports need the day it was recorded either way."""
    from posecoach.parallel import landmark_serial

    summaries = recognise_and_count(landmark_serial(source, model_path=model_path, verbose=verbose), side=side)
    for summary in summaries:
        date_recording(summary, source)
    return summaries


def prescription(exercise: Exercise, *, reps: int | None = None, hold_s: float | None = None,
                 sets: int | None = None) -> Target | None:
    """The target someone set (``--reps``, ``--hold``, ``--sets``), or None: a recorded video without
    them is measured, never judged against the catalogue's dose."""
    if reps is None and hold_s is None and sets is None:
        return None
    from posecoach.exercises.definition import SideMode

    count = reps if reps is not None else (1 if exercise.rep is None else 0)  # a hold exercise's reps are holds
    return Target(sets or 1, count, float(hold_s) if hold_s is not None else 0.0, exercise.sides is SideMode.EACH)


def date_recording(summary: SessionSummary, source: str | Path) -> None:
    """When the video was recorded (container metadata, else the file's time, which the summary says)."""
    from posecoach.media_date import recording_time

    found = recording_time(source)
    if found is not None:
        summary.recorded_at = found[0].isoformat()
        summary.recorded_at_from = found[1]


def replay(poses: Iterable[tuple[float, PoseFrame | None]], exercise_slug: str, *, side: str = "auto",
           source: str = "", fps: float = 0.0, hold_s: float | None = None, partial: bool = False,
           reason: str | None = None) -> SessionSummary:
    """Run the engine over already-estimated poses (a cached trace, a synthetic trajectory).

    ``hold_s`` prescribes a hold target; without it holds are timed, not judged against the catalogue's.
    """
    session = AnalysisSession(with_hold_target(get_exercise(exercise_slug), hold_s), source, side, fps,
                              hold_target_prescribed=hold_s is not None)
    for t, pose in poses:
        session.feed(t, pose)
    return session.finish(partial=partial, reason=reason)


ProgressCallback = Callable[[int], None]
FrameObserver = Callable[["Frame", PoseFrame | None, EngineSnapshot], None]


def analyze_video(source: str | Path, exercise_slug: str, *, side: str = "auto", model_path: Path | None = None,
                  verbose: bool = False, hold_s: float | None = None, on_event: EventCallback | None = None,
                  on_frame: ProgressCallback | None = None,
                  on_analyzed: FrameObserver | None = None, image_fps: float | None = None) -> SessionSummary:
    """Analyse a recorded video, image folder or stream end to end.

    ``on_frame`` hears of progress (frames done); ``on_analyzed`` sees each frame with its pose and
    the engine's state after it (an annotated-video writer draws from these, never recomputes).
    The summary is returned even when the input breaks part-way: it is then flagged ``partial``
    with a note saying where reading stopped.
    """
    from posecoach.parallel import PartedEstimator, restarts_for
    from posecoach.sources import ImageFolderSource, frame_brightness, open_source

    exercise = with_hold_target(get_exercise(exercise_slug), hold_s)
    with open_source(source, image_fps=image_fps) as frames, \
            PartedEstimator(restarts_for(frames), model_path, verbose=verbose) as estimator:
        session = AnalysisSession(exercise, frames.name, side, frames.fps, on_event,
                                  hold_target_prescribed=hold_s is not None, check_exercise=True)
        try:
            for frame in frames:
                if frame.index % BRIGHTNESS_EVERY == 0:
                    session.brightness.append(frame_brightness(frame.image))
                pose = estimator.estimate(frame.index, frame.image, frame.timestamp_s)
                session.feed(frame.timestamp_s, pose)
                if on_analyzed is not None:
                    on_analyzed(frame, pose, session.engine.snapshot())
                if on_frame is not None:
                    on_frame(1)
        except KeyboardInterrupt as interruption:
            # Ctrl-C or SIGTERM: hand what was counted to the caller on the exception itself, so the
            # CLI can still print and save it before exiting 130/143.
            interruption.partial_summary = session.finish(  # type: ignore[attr-defined]
                partial=True, reason=f"interrupted after {session.summary.frames} frames")
            raise
        stats = frames.stats
        if stats.frames_read == 0:
            raise SourceError(f"'{frames.name}' has no frames that could be decoded")
        summary = session.finish(partial=stats.stopped_early, reason=stats.error if stats.stopped_early else None)
        if isinstance(frames, ImageFolderSource) and frames.fps_assumed:
            summary.notes.append(f"The images were taken as frames {frames.fps:g} per second apart (a folder has no "
                                 "frame rate): pass --fps with the rate they were captured at, or times and tempo "
                                 "are off.")
    date_recording(summary, source)
    summary.target = prescription(exercise, hold_s=hold_s)
    return summary


def analyze_video_in_chunks(source: str | Path, exercise_slug: str, *, jobs: int, side: str = "auto",
                            model_path: Path | None = None, verbose: bool = False, hold_s: float | None = None,
                            on_frame: ProgressCallback | None = None) -> SessionSummary:
    """Analyse one recorded video with ``jobs`` worker processes landmarking contiguous chunks: the
    summary of :func:`analyze_video`, exactly.

    The chunks are whole parts of the video, where the serial run starts a fresh landmarker too
    (:mod:`posecoach.parallel`), so the joined landmarks are the serial run's bit for bit; the engine
    then runs once over them, with the brightness samples the serial run takes. Live sources, image
    folders and short clips run serially, and so does a video whose chunks met damaged frames, an
    early end or a container clock that repeats or jumps inside a part (read again serially).
    """
    from posecoach.parallel import landmark_in_chunks, progress_once

    exercise = with_hold_target(get_exercise(exercise_slug), hold_s)
    progress = progress_once(on_frame)
    try:
        chunked = landmark_in_chunks(source, jobs=jobs, model_path=model_path, verbose=verbose, on_frame=progress,
                                     brightness_every=BRIGHTNESS_EVERY)
    except KeyboardInterrupt as interruption:
        # Like the serial run: the frames landmarked before Ctrl-C are counted and handed to the CLI.
        done = getattr(interruption, "partial_trace", None)
        if done is not None and len(done):
            interruption.partial_summary = replay(  # type: ignore[attr-defined]
                done.pose_frames(), exercise_slug, side=side, source=done.source, fps=done.fps, hold_s=hold_s,
                partial=True, reason=f"interrupted after {len(done)} frames")
        raise
    if chunked is None or not chunked.serial_equivalent:
        return analyze_video(source, exercise_slug, side=side, model_path=model_path, verbose=verbose,
                             hold_s=hold_s, on_frame=progress.next_pass() if progress else None)
    trace = chunked.trace
    session = AnalysisSession(exercise, trace.source, side, trace.fps, hold_target_prescribed=hold_s is not None,
                              check_exercise=True, brightness=chunked.brightness)
    for t, pose in trace.pose_frames():
        session.feed(t, pose)
    summary = session.finish()
    date_recording(summary, source)
    summary.target = prescription(exercise, hold_s=hold_s)
    return summary
