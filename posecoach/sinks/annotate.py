"""Annotated video and clips of flagged reps, for ``posecoach analyze --output/--clips``.

:class:`AnnotatedVideo` is an ``on_analyzed`` observer of :func:`~posecoach.analysis.analyze_video`:
it draws each frame with the live window's own :func:`~posecoach.sinks.overlay.render`, so a
recording and the live screen look the same. It draws once the analysis is over, from the final
events (:func:`overlay_timeline`): the engine reports a rep when it is sure of it, up to seconds
after the rep's own time (a provisional first rep is only confirmed by the next one), and a video
must show on each frame what the analysis says about that moment, not what was known then. An
offline video has no set plan, so the coach state it draws is the minimal one: one open-ended set,
the counts so far, the exercise's target.

:func:`cut_clips` cuts a short clip around every flagged rep and form warning, for a
physiotherapist to look at the moments that matter without scrubbing through the whole video.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import cv2
import numpy as np

from posecoach import outputs
from posecoach.coach import CoachState, Stage
from posecoach.errors import OutputError, PoseCoachError
from posecoach.events import Event, FormWarning, HoldEnded, RepCompleted
from posecoach.exercises.definition import Exercise, SideMode
from posecoach.landmarks import PoseFrame, Side
from posecoach.messages import Kind, Message
from posecoach.sinks.overlay import RECORDING_WARNING_S, render
from posecoach.sinks.recorder import VIDEO_SUFFIXES, VideoWriter, open_video_writer, release_video_writer
from posecoach.sources import Frame, open_source
from posecoach.summary import SessionSummary

if TYPE_CHECKING:
    from posecoach.events import EngineSnapshot

CLIP_MARGIN_S = 1.5


def check_output(path: Path, *, force: bool, inputs: Iterable[str | os.PathLike[str] | None] = ()) -> None:
    """Fail before any analysis: wrong suffix, then every rule of :func:`posecoach.outputs.check_output`."""
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        raise OutputError(f"cannot write the annotated video to '{path}': use a {', '.join(VIDEO_SUFFIXES)} file name")
    outputs.check_output(path, force=force, inputs=inputs)


def coach_state(snapshot: EngineSnapshot, exercise: Exercise, holds_done: dict[str, int]) -> CoachState:
    """The overlay's plan panel for a recording: one open-ended set of the exercise's program."""
    sided = exercise.sides is SideMode.EACH
    if exercise.rep is not None:
        done: tuple[tuple[str, int], ...] = (("left", snapshot.reps_left), ("right", snapshot.reps_right)) if sided \
            else (("both", snapshot.reps_total),)
    else:
        done = tuple((side, holds_done.get(side, 0)) for side in (("left", "right") if sided else ("both",)))
    current = snapshot.hold_side.value if sided and snapshot.hold_side is not None else None
    return CoachState(Stage.ACTIVE, 1, 1, exercise.program.reps, done, current, False, False, 0.0, None,
                      "holds" if exercise.rep is None else "reps", exercise.hold_target_s)


@dataclass(frozen=True)
class DrawnFrame:
    """What the annotated video shows on one frame: the counts and the form cue of that moment."""

    index: int
    t_s: float
    done: tuple[tuple[str, int], ...]
    """Per column ('both', or 'left' and 'right'): reps (holds, for a hold exercise) whose time is ≤ ``t_s``."""
    warning: FormWarning | None
    """The form warning raised in the last :data:`~posecoach.sinks.overlay.RECORDING_WARNING_S`, if any."""


def overlay_timeline(frames: Sequence[tuple[int, float]], events: Sequence[Event], exercise: Exercise,
                     warning_s: float = RECORDING_WARNING_S) -> list[DrawnFrame]:
    """For each analysed ``(index, t_s)``, the counts and cue as the final analysis places them in time.

    A rep counts from its own ``t_s`` (the summary's), a hold once it ended completed; a warning shows
    for ``warning_s`` from its time. Pure: what the video draws can be checked without decoding it.
    """
    sided = exercise.sides is SideMode.EACH
    columns = ("left", "right") if sided else ("both",)
    marks: list[RepCompleted | HoldEnded] = [
        e for e in events if isinstance(e, RepCompleted)] if exercise.rep is not None else [
        e for e in events if isinstance(e, HoldEnded) and e.completed]
    marks.sort(key=lambda e: e.t_s)
    warnings = sorted((e for e in events if isinstance(e, FormWarning)), key=lambda e: e.t_s)
    drawn: list[DrawnFrame] = []
    counts = dict.fromkeys(columns, 0)
    next_mark = next_warning = 0
    shown: FormWarning | None = None
    for index, t in frames:
        while next_mark < len(marks) and marks[next_mark].t_s <= t:
            side = marks[next_mark].side
            column = side.value if sided and side is not None else ("both" if not sided else None)
            if column is not None:
                counts[column] += 1
            next_mark += 1
        while next_warning < len(warnings) and warnings[next_warning].t_s <= t:
            shown = warnings[next_warning]
            next_warning += 1
        cue = shown if shown is not None and t - shown.t_s <= warning_s else None
        drawn.append(DrawnFrame(index, t, tuple((c, counts[c]) for c in columns), cue))
    return drawn


@dataclass(frozen=True)
class _Seen:
    index: int
    t_s: float
    pose: PoseFrame | None
    snapshot: EngineSnapshot


class AnnotatedVideo:
    """Writes every analysed frame, drawn, at the source's frame rate, once the analysis is over.

    While the analysis runs it keeps each frame's pose and engine snapshot (a few hundred bytes);
    :meth:`close` reads ``source`` again and draws each frame with :func:`overlay_timeline`'s state
    for it, so the counter is the analysis' to the frame. :attr:`drawn` keeps that state, for tests.
    Written through :class:`posecoach.outputs.PendingOutput`: a temporary file beside ``path``,
    checked and moved into place when closed, so ``--force`` never destroys the old video before a
    new one exists; an interrupted run keeps what was analysed. A failing write (a full disk) does
    not stop the analysis: the temporary file is dropped and :meth:`close` raises :class:`OutputError`.
    """

    def __init__(self, path: str | Path, exercise: Exercise, fps: float, *, source: str,
                 force: bool = False, inputs: Iterable[str | os.PathLike[str] | None] = ()) -> None:
        self.path = Path(path)
        check_output(self.path, force=force, inputs=inputs)
        self._output = outputs.PendingOutput(self.path, force=force, inputs=inputs, verify=outputs.verify_video)
        self.exercise = exercise
        self.source = source
        self.fps = fps if fps > 0 else 30.0
        self.frames_written = 0
        self.error: OutputError | None = None
        self.drawn: list[DrawnFrame] = []
        self._writer: VideoWriter | None = None
        self._seen: list[_Seen] = []
        self._events: list[Event] = []

    @classmethod
    def for_source(cls, path: str | Path, source: str, exercise: Exercise, *, force: bool = False,
                   inputs: Iterable[str | os.PathLike[str] | None] = ()) -> AnnotatedVideo:
        """At the frame rate of ``source`` (opened once to read it)."""
        inputs = [source, *inputs]
        check_output(Path(path), force=force, inputs=inputs)
        with open_source(source) as probe:
            fps = probe.fps
        return cls(path, exercise, fps, source=source, force=force, inputs=inputs)

    def on_event(self, event: Event) -> None:
        """Every event of the analysis (``analyze_video(on_event=...)``), placed in time when drawing."""
        self._events.append(event)

    def __call__(self, frame: Frame, pose: PoseFrame | None, snapshot: EngineSnapshot) -> None:
        self._seen.append(_Seen(frame.index, frame.timestamp_s, pose, snapshot))

    def _draw_all(self) -> None:
        """Read the source again and write each analysed frame with the state of its moment."""
        self.drawn = overlay_timeline([(seen.index, seen.t_s) for seen in self._seen], self._events, self.exercise)
        states = {seen.index: (seen, drawn) for seen, drawn in zip(self._seen, self.drawn, strict=True)}
        last = self._seen[-1].index if self._seen else -1
        try:
            with open_source(self.source) as frames:
                for frame in frames:
                    if frame.index > last or self.error is not None:
                        break
                    found = states.get(frame.index)
                    if found is None:
                        continue
                    seen, drawn = found
                    cue = drawn.warning
                    banner = Message.of(cue.message, Kind.CUE, cue.t_s, lifetime_s=RECORDING_WARNING_S) \
                        if cue is not None else None
                    coach = replace(coach_state(seen.snapshot, self.exercise, {}), done=drawn.done, banner=banner)
                    self.write(render(frame.image, seen.pose, seen.snapshot, self.exercise, coach, recording=True))
        except PoseCoachError as exc:
            self._fail(exc)

    def write(self, image: np.ndarray) -> None:
        if self.error is not None:
            return
        try:
            if self._writer is None:
                height, width = image.shape[:2]
                self._writer = open_video_writer(self._output.opencv_name, self.path, self.fps, (width, height))
                if self._writer is None:
                    raise OutputError(f"cannot write '{self.path}': OpenCV could not open a video writer there")
            self._writer.write(image)
            self.frames_written += 1
        except (OSError, cv2.error, OutputError) as exc:
            self._fail(exc)

    def _fail(self, exc: BaseException) -> None:
        """Stop writing, keep analysing: the counts matter more than the drawing."""
        self.error = exc if isinstance(exc, OutputError) else OutputError(
            f"cannot write '{self.path}' ({getattr(exc, 'strerror', None) or exc}); check free space and permissions "
            "(nothing was written under that name)")
        self._release()
        self._output.discard()

    def _release(self) -> None:
        if self._writer is not None:
            writer, self._writer = self._writer, None
            failed = release_video_writer(writer)
            if failed is not None and self.error is None:
                self._fail(failed)

    def close(self, keep: bool = True) -> None:
        """Draw and finish the file and move it into place (``keep``), or throw it away; raises a failed
        write's error."""
        if keep and self._seen and self.error is None and not self.frames_written:
            self._draw_all()
        self._release()
        if self.error is not None:
            raise self.error
        if keep and self.frames_written:
            self._output.commit()
        else:
            self._output.discard()

    def __enter__(self) -> AnnotatedVideo:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        # Ctrl-C keeps the frames analysed so far (like analyze keeps the counts); an error discards them.
        keep = exc_type is None or issubclass(exc_type, KeyboardInterrupt)
        try:
            self.close(keep=keep)
        except OutputError:
            if exc_type is None:
                raise


# ============================================================================ clips


@dataclass(frozen=True)
class Moment:
    """A stretch of the video worth a look, and why."""

    start_s: float
    end_s: float
    t_s: float
    codes: tuple[str, ...]
    rep: int | None = None

    @property
    def file_name(self) -> str:
        minutes, seconds = divmod(self.t_s, 60)
        code = re.sub(r"[^a-z0-9+-]+", "-", "+".join(self.codes).lower())
        rep = f"-rep{self.rep}" if self.rep is not None else ""
        return f"{int(minutes):02d}m{seconds:04.1f}s{rep}-{code}.mp4"


def flagged_moments(summary: SessionSummary, margin_s: float = CLIP_MARGIN_S) -> list[Moment]:
    """One moment per flagged rep (its whole movement) and per warning outside a rep, ``margin_s`` either side.

    A warning names its rep, so a rep with a warning and quality flags is one moment with every code.
    """
    reps = {(rep.side, rep.count): rep for rep in summary.reps}
    codes: dict[tuple[Side | None, int], list[str]] = {}
    loose: list[Moment] = []
    for event in summary.events:
        if isinstance(event, RepCompleted) and event.flags:
            codes.setdefault((event.side, event.count), []).extend(event.flags)
        elif isinstance(event, FormWarning):
            key = next(((side, count) for side, count in reps if count == event.rep
                        and (event.side is None or side in (None, event.side))), None) \
                if event.rep is not None else None
            if key is not None:
                codes.setdefault(key, []).append(event.code)
            else:
                loose.append(Moment(max(0.0, event.t_s - margin_s), event.t_s + margin_s, event.t_s, (event.code,)))
    moments = loose + [
        Moment(max(0.0, reps[key].start_s - margin_s), reps[key].t_s + margin_s, reps[key].start_s,
               tuple(dict.fromkeys(found)), reps[key].count)
        for key, found in codes.items()]
    return sorted(moments, key=lambda m: m.start_s)


def prepare_clip_folder(folder: str | Path, *, force: bool) -> Path:
    """Create the folder (its parent must exist); refuse one that already holds videos unless ``force``."""
    folder = Path(folder)
    if not folder.parent.is_dir():
        raise OutputError(f"cannot put clips in '{folder}': the folder '{folder.parent}' does not exist")
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"cannot put clips in '{folder}': it is a file, not a folder")
    folder.mkdir(exist_ok=True)
    if not force and any(p.suffix.lower() == ".mp4" for p in folder.iterdir()):
        raise OutputError(f"'{folder}' already holds .mp4 files; pass --force to overwrite clips of the same "
                          "names, or choose an empty folder")
    return folder


def cut_clips(video: str | Path, summary: SessionSummary, folder: str | Path,
              margin_s: float = CLIP_MARGIN_S, *, force: bool = True,
              inputs: Iterable[str | os.PathLike[str] | None] = ()) -> list[Path]:
    """Write a clip of ``video`` around each flagged moment into ``folder``, in one pass; returns the files.

    Each clip goes through :class:`posecoach.outputs.PendingOutput` (``force`` was settled by
    :func:`prepare_clip_folder`); on a failure no half-written clip is left under a clip's name.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise OutputError(f"cannot put clips in '{folder}': the folder does not exist")
    moments = flagged_moments(summary, margin_s)
    if not moments:
        return []
    writers: dict[Moment, VideoWriter] = {}
    inputs = [video, *inputs]
    pending = {moment: outputs.PendingOutput(folder / moment.file_name, force=force, inputs=inputs,
                                             verify=outputs.verify_video) for moment in moments}
    paths = {moment: output.path for moment, output in pending.items()}
    done = False
    try:
        with open_source(video) as frames:
            fps = frames.fps or 30.0
            last_end = max(moment.end_s for moment in moments)
            for frame in frames:
                t = frame.timestamp_s
                if t > last_end:
                    break
                for moment in moments:
                    if moment.start_s <= t <= moment.end_s:
                        writer = writers.get(moment)
                        if writer is None:
                            height, width = frame.image.shape[:2]
                            opened = open_video_writer(pending[moment].opencv_name, paths[moment], fps,
                                                       (width, height))
                            if opened is None:
                                raise OutputError(f"cannot write the clip '{paths[moment]}'")
                            writers[moment] = writer = opened
                        writer.write(frame.image)
        for writer in writers.values():
            writer.release()
        for moment in writers:
            pending[moment].commit()
        done = True
    except (OSError, cv2.error) as exc:
        raise OutputError(f"cannot write the clips into '{folder}' ({getattr(exc, 'strerror', None) or exc}); "
                          "check free space and permissions (no half-written clip was left)") from exc
    finally:
        if not done:
            for writer in writers.values():
                release_video_writer(writer)  # the error being raised says what went wrong
            for output in pending.values():
                output.discard()
    return [paths[moment] for moment in moments if moment in writers]
