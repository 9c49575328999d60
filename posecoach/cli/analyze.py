"""``posecoach analyze``: count reps, time holds and check form in recorded videos."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import click

from posecoach.analysis import analyze_video
from posecoach.cli.options import (
    db_option,
    exercise_option,
    format_option,
    model_option,
    patient_option,
    side_option,
    verbose_option,
)
from posecoach.errors import NothingAnalysedError, OutputError, PoseCoachError, SomeVideosFailedError
from posecoach.sinks.console import render_summaries
from posecoach.summary import SessionSummary
from posecoach.terminal import clean, echo, echo_error
from posecoach.wording import plural

PROGRESS_MIN_FRAMES = 150
"""Videos shorter than this (about 5 s) finish before a progress bar would help."""


def _expand(inputs: tuple[str, ...]) -> list[str]:
    """Folders of videos expand to their videos; a folder of images stays one source."""
    from posecoach.sources import IMAGE_SUFFIXES

    videos = {".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".gif"}
    expanded: list[str] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            clips = sorted(str(p) for p in path.iterdir() if p.suffix.lower() in videos)
            has_images = any(p.suffix.lower() in IMAGE_SUFFIXES for p in path.iterdir())
            expanded.extend(clips if clips and not has_images else [item])
        else:
            expanded.append(item)
    return expanded


def _analyze_one(source: str, exercise: str, side: str, model: Path | None, verbose: bool,
                 show_progress: bool, jobs: int = 1, hold_s: float | None = None, image_fps: float | None = None,
                 **observers: Any) -> SessionSummary:
    """One video, with a progress bar when it is long enough to want one; ``jobs`` > 1 landmarks it in
    chunks in parallel (not when observers need every frame in order, e.g. an annotated video)."""
    from posecoach.analysis import analyze_video_in_chunks

    def run(on_frame: Callable[[int], None] | None) -> SessionSummary:
        if jobs > 1 and not observers and image_fps is None:
            return analyze_video_in_chunks(source, exercise, jobs=jobs, side=side, model_path=model,
                                           verbose=verbose, on_frame=on_frame, hold_s=hold_s)
        return analyze_video(source, exercise, side=side, model_path=model, verbose=verbose, on_frame=on_frame,
                             hold_s=hold_s, image_fps=image_fps, **observers)

    length = _frame_count(source) if show_progress else None
    if not length or length < PROGRESS_MIN_FRAMES:
        return run(None)
    with contextlib.ExitStack() as stack:
        bar: Any = None

        def update(frames: int) -> None:
            # The bar (its label, when stderr is not a terminal) appears with the first analysed frame:
            # loading the model is not progress, and scripts can take the label as "analysis under way".
            nonlocal bar
            if bar is None:
                bar = stack.enter_context(click.progressbar(length=length, label=clean(Path(source).name),
                                                            file=sys.stderr))
            bar.update(frames)

        return run(update)


def _frame_count(source: str) -> int | None:
    from posecoach.sources import open_source

    with open_source(source) as probe:
        return probe.frame_count


def _analyze_quietly(args: tuple[str, str, str, Path | None, bool, float | None, float | None]) -> SessionSummary | str:
    """Worker-process entry: errors come back as text so one bad file does not sink the batch."""
    try:
        return _analyze_one(*args[:5], show_progress=False, hold_s=args[5], image_fps=args[6])
    except PoseCoachError as exc:
        return f"{args[0]}: {exc}"


@click.command()
@click.argument("videos", nargs=-1, required=False)
@exercise_option(required=False)
@side_option
@format_option("table", "json", "csv")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: all cores). Several videos: analysed side by side. One video: "
                   "landmarked in up to N chunks at once, with the serial run's result exactly; 1 runs serially.")
@click.option("--save/--no-save", default=True, show_default=True,
              help="Record each analysed video as a session in the history database.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the video with skeleton, counts, hold ring and warnings drawn (.mp4).")
@click.option("--clips", "clips_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Cut a short clip around every flagged rep and warning into this folder.")
@click.option("--force", is_flag=True, help="Overwrite an existing --output video or --clips files.")
@click.option("--manifest", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="CSV with a 'video' and an 'exercise' column (and 'patient'): one batch can mix exercises.")
@click.option("--ray", "ray_address", is_flag=False, flag_value="local", default=None, metavar="[ADDRESS]",
              help="Analyse the videos on Ray: alone, a Ray started on this machine; 'auto' or "
                   "ray://head:10001 joins a cluster (--jobs: workers, default one per CPU). "
                   "Videos already in the history are skipped.")
@patient_option
@click.option("--reps", type=click.IntRange(1, 500), default=None,
              help="Reps prescribed (per side for one-sided exercises). Default: none, counts are not judged.")
@click.option("--hold", "hold_s", type=click.FloatRange(1, 3600), default=None,
              help="Seconds each hold was prescribed. Default: none, holds are timed, not judged.")
@click.option("--fps", "image_fps", type=click.FloatRange(1, 1000, min_open=False), default=None,
              help="Frame rate of an image folder (default 30, and the summary says it was assumed).")
@db_option
@model_option
@verbose_option
def analyze(videos: tuple[str, ...], exercise_slug: str | None, side: str, output_format: str, jobs: int | None,
            output: Path | None, clips_dir: Path | None, force: bool, save: bool, db_path: Path | None,
            model_path: Path | None, verbose: bool, manifest: Path | None = None,
            ray_address: str | None = None, patient: str | None = None, reps: int | None = None,
            hold_s: float | None = None, image_fps: float | None = None) -> None:
    """Analyse recorded VIDEOS (files, GIFs, image folders or folders of videos).

    Counts reps per side, times holds and lists form warnings. Data goes to stdout;
    progress and messages to stderr.

    \b
    posecoach analyze clip.mp4 --exercise lying-leg-raise
    posecoach analyze clip.mp4 -e supine-knee-to-chest --format json
    posecoach analyze recordings/ -e glute-bridge --format csv --jobs 2
    posecoach analyze clip.mp4 -e lying-leg-raise --output annotated.mp4 --clips flagged/
    posecoach analyze recordings/ -e lying-march --ray            (or --ray ray://head-node:10001)
    posecoach analyze --manifest week.csv --ray
    """
    if ray_address is not None or manifest is not None:
        from posecoach.cli.batch import analyze_batch

        return analyze_batch(_expand(videos), manifest=manifest, exercise=exercise_slug, side=side,
                             output_format=output_format, jobs=jobs, save=save, db_path=db_path,
                             model_path=model_path, verbose=verbose, ray_address=ray_address,
                             one_video_outputs=bool(output or clips_dir))
    if not videos:
        raise click.UsageError("Missing argument 'VIDEOS...' (or give --manifest CSV)")
    sources = _expand(videos)
    if exercise_slug is None:
        if output or clips_dir:
            raise click.UsageError("--output and --clips need the exercise: add -e EXERCISE")
        return _recognise_each(sources, side, model_path, verbose, output_format, save, db_path, patient)
    inputs = [*sources, model_path, _history_path(db_path) if save else None]
    annotated, clips = _video_outputs(sources, exercise_slug, output, clips_dir, force, inputs)
    as_list = len(sources) > 1
    problems: list[PoseCoachError] = []
    try:
        if len(sources) == 1:
            observers = {"on_analyzed": annotated, "on_event": annotated.on_event} if annotated else {}
            summaries = [_analyze_one(sources[0], exercise_slug, side, model_path, verbose, show_progress=True,
                                      jobs=jobs or os.cpu_count() or 1, hold_s=hold_s, image_fps=image_fps,
                                      **observers)]
        else:
            summaries, failed = _analyze_many(sources, exercise_slug, side, model_path, verbose,
                                              jobs or os.cpu_count() or 1, hold_s, image_fps)
            if failed:
                problems.append(SomeVideosFailedError(failed, len(sources)))
    except KeyboardInterrupt as interruption:
        # Ctrl-C or SIGTERM: what was finished is still saved and printed before exiting 130/143.
        if annotated is not None:
            with contextlib.suppress(PoseCoachError):
                annotated.close(keep=True)
        finished = getattr(interruption, "partial_summaries", None)
        if finished is None:
            partial = getattr(interruption, "partial_summary", None)
            finished = [partial] if partial is not None else []
        if finished:
            _describe_session(finished, exercise_slug, patient, reps, hold_s)
            try:
                _deliver(finished, output_format, as_list, save, db_path)
            except PoseCoachError as exc:
                echo_error(str(exc))
        raise
    except BaseException:
        if annotated is not None:
            with contextlib.suppress(PoseCoachError):
                annotated.close(keep=False)
        raise
    if annotated is not None:
        try:
            annotated.close()
        except PoseCoachError as exc:  # the disk filled up: the counts are still good
            problems.append(exc)
    if clips is not None:
        from posecoach.sinks.annotate import cut_clips

        try:
            written = cut_clips(output if output is not None and not problems else sources[0], summaries[0], clips,
                                force=force, inputs=inputs)
            echo(f"{plural(len(written), 'clip')} of flagged reps and warnings in {clips}", err=True)
        except PoseCoachError as exc:
            problems.append(exc)
    _describe_session(summaries, exercise_slug, patient, reps, hold_s)
    _deliver(summaries, output_format, as_list, save, db_path, problems)


def _recognise_each(sources: list[str], side: str, model_path: Path | None, verbose: bool, output_format: str,
                    save: bool, db_path: Path | None, patient: str | None) -> None:
    """No ``-e``: landmark each video once, name its exercise (or exercises, one after another) and count.

    A recording that shows no catalogue exercise is one ``Error:`` line and the others still count."""
    from posecoach.analysis import recognise_video

    summaries: list[SessionSummary] = []
    failed = 0
    for source in sources:
        try:
            found = recognise_video(source, side=side, model_path=model_path, verbose=verbose)
        except PoseCoachError as exc:
            if len(sources) == 1:
                raise
            echo_error(f"{source}: {exc}")  # as with -e: each video's error on its own line
            failed += 1
            continue
        for summary in found:
            summary.patient = patient.strip() if patient and patient.strip() else None
            echo(f"{clean(Path(source).name)}: {summary.notes[0]}", err=True)
        summaries.extend(found)
    if not summaries:
        raise NothingAnalysedError()
    _deliver(summaries, output_format, len(summaries) > 1 or len(sources) > 1, save, db_path,
             [SomeVideosFailedError(failed, len(sources))] if failed else [])


def _history_path(db_path: Path | None) -> Path:
    from posecoach.sinks.history import default_db_path

    return db_path.expanduser() if db_path is not None else default_db_path()


def _deliver(summaries: list[SessionSummary], output_format: str, as_list: bool, save: bool, db_path: Path | None,
             problems: list[PoseCoachError] | None = None) -> None:
    """Save, then print, then report what failed: neither a history problem nor a reader that went
    away (``| head``) costs the user the other, and an output that could not be written costs neither."""
    problems = list(problems or [])
    if save:
        try:
            _save_to_history(summaries, db_path)
        except PoseCoachError as exc:
            problems.append(exc)
    echo(render_summaries(summaries, output_format, as_list=as_list))
    if problems:
        first = problems[0]
        if len(problems) > 1:
            raise type(first)("; and ".join(str(p) for p in problems)) from first
        raise first


def _describe_session(summaries: list[SessionSummary], exercise_slug: str, patient: str | None, reps: int | None,
                      hold_s: float | None) -> None:
    """Whose sessions these are and what was prescribed (nothing, unless --reps/--hold said so)."""
    from posecoach.analysis import prescription
    from posecoach.exercises import get_exercise

    target = prescription(get_exercise(exercise_slug), reps=reps, hold_s=hold_s)
    for summary in summaries:
        summary.patient = patient.strip() if patient and patient.strip() else None
        summary.target = target


def _video_outputs(sources: list[str], exercise: str, output: Path | None, clips_dir: Path | None,
                   force: bool, inputs: list[Any]) -> tuple[Any, Path | None]:
    """The annotated-video writer and the clips folder, checked before any analysis starts."""
    if output is None and clips_dir is None:
        return None, None
    if len(sources) > 1:
        raise OutputError(f"--output and --clips take one video, and {len(sources)} were given; "
                          "analyse them one at a time")
    from posecoach.exercises import get_exercise
    from posecoach.sinks.annotate import AnnotatedVideo, prepare_clip_folder

    annotated = AnnotatedVideo.for_source(output, sources[0], get_exercise(exercise), force=force,
                                          inputs=inputs) if output else None
    return annotated, prepare_clip_folder(clips_dir, force=force) if clips_dir is not None else None


def _save_to_history(summaries: list[SessionSummary], db_path: Path | None) -> None:
    """Before the results are printed (a reader that goes away never costs the session); a history
    problem is reported after them, so it never costs the user the analysis either."""
    from posecoach.sinks.history import open_store
    from posecoach.summary import SessionMode

    with open_store(db_path) as store:
        store.save_summaries(summaries, mode=SessionMode.ANALYZE)
        where = store.path
    whose = f" (patient {summaries[0].patient})" if summaries[0].patient else ""
    echo(f"Saved {plural(len(summaries), 'session')}{whose} to the history in {where}; "
         "see them with 'posecoach history'.", err=True)


def _analyze_many(sources: list[str], exercise: str, side: str, model: Path | None, verbose: bool, jobs: int,
                  hold_s: float | None = None, image_fps: float | None = None) -> tuple[list[SessionSummary], int]:
    """Each video on its own: one that fails (or crashes its worker) is one ``Error:`` line, the others count;
    returns their summaries and how many failed.

    Ctrl-C or SIGTERM stops the batch at once (workers are killed, not waited for) and hands the
    videos already finished to the caller on the exception, as ``partial_summaries``.
    """
    tasks = [(source, exercise, side, model, verbose, hold_s, image_fps) for source in sources]
    results: dict[int, SessionSummary | str] = {}
    try:
        with click.progressbar(length=len(tasks), label=f"{len(tasks)} videos", file=sys.stderr) as bar:
            if jobs == 1:
                for index, task in enumerate(tasks):
                    results[index] = _analyze_quietly(task)
                    bar.update(1)
            else:
                _in_workers(tasks, jobs, results, lambda: bar.update(1))
    except KeyboardInterrupt as interruption:
        interruption.partial_summaries = _summaries(results)  # type: ignore[attr-defined]
        raise
    finally:
        for index in sorted(results):
            if isinstance(results[index], str):
                echo_error(str(results[index]))
    summaries = _summaries(results)
    if not summaries:
        raise NothingAnalysedError()
    return summaries, len(results) - len(summaries)


def _summaries(results: dict[int, SessionSummary | str]) -> list[SessionSummary]:
    """In the order the videos were given, whatever order they finished in."""
    return [result for _, result in sorted(results.items()) if not isinstance(result, str)]


def _in_workers(tasks: list[tuple[Any, ...]], jobs: int, results: dict[int, SessionSummary | str],
                done: Callable[[], None]) -> None:
    """Analyse ``tasks`` in worker processes into ``results`` (by task index).

    A worker that dies (a decoder crash) breaks the whole pool; the videos it left unfinished are
    then run again one per pool, so the crash is put on the one video that causes it.
    """
    from posecoach.parallel import ignore_interrupts, interrupts_blocked

    pending, isolated = list(range(len(tasks))), False
    while pending:
        batch = pending[:1] if isolated else pending
        pool = ProcessPoolExecutor(max_workers=min(jobs, len(batch)), initializer=ignore_interrupts)
        try:
            with interrupts_blocked():  # workers start with Ctrl-C ignored: no traceback from them
                futures = {index: pool.submit(_analyze_quietly, tasks[index]) for index in batch}
            for index, future in futures.items():
                try:
                    results[index] = future.result()
                except BrokenProcessPool:
                    if not isolated:
                        continue
                    results[index] = (f"{tasks[index][0]}: the worker process analysing it crashed; analyse it on "
                                      "its own with --verbose to see why")
                done()
        except BaseException:
            for process in list(getattr(pool, "_processes", {}).values()):  # do not wait for them
                process.terminate()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        pending = [index for index in pending if index not in results]
        isolated = True


COMMANDS = [analyze]
