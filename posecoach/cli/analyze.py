"""``posecoach analyze``: count reps, time holds and check form in recorded videos."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
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
from posecoach.errors import OutputError, PoseCoachError
from posecoach.sinks.console import render_summaries
from posecoach.summary import SessionSummary
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
                bar = stack.enter_context(click.progressbar(length=length, label=Path(source).name,
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
@click.argument("videos", nargs=-1, required=True)
@exercise_option()
@side_option
@format_option("table", "json", "csv")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes. Several videos: analysed side by side (default: all cores). "
                   "One video: landmarked in N chunks at once (default: 1, the exact serial run).")
@click.option("--save/--no-save", default=True, show_default=True,
              help="Record each analysed video as a session in the history database.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the video with skeleton, counts, hold ring and warnings drawn (.mp4).")
@click.option("--clips", "clips_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Cut a short clip around every flagged rep and warning into this folder.")
@click.option("--force", is_flag=True, help="Overwrite an existing --output video or --clips files.")
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
def analyze(videos: tuple[str, ...], exercise_slug: str, side: str, output_format: str, jobs: int | None,
            output: Path | None, clips_dir: Path | None, force: bool, save: bool, db_path: Path | None,
            model_path: Path | None, verbose: bool, patient: str | None = None, reps: int | None = None,
            hold_s: float | None = None, image_fps: float | None = None) -> None:
    """Analyse recorded VIDEOS (files, GIFs, image folders or folders of videos).

    Counts reps per side, times holds and lists form warnings. Data goes to stdout;
    progress and messages to stderr.

    \b
    posecoach analyze clip.mp4 --exercise lying-leg-raise
    posecoach analyze clip.mp4 -e supine-knee-to-chest --format json
    posecoach analyze recordings/ -e glute-bridge --format csv --jobs 2
    posecoach analyze clip.mp4 -e lying-leg-raise --output annotated.mp4 --clips flagged/
    """
    sources = _expand(videos)
    annotated, clips = _video_outputs(sources, exercise_slug, output, clips_dir, force)
    if len(sources) == 1:
        try:
            with annotated or contextlib.nullcontext():
                observers = {"on_analyzed": annotated, "on_event": annotated.on_event} if annotated else {}
                summaries = [_analyze_one(sources[0], exercise_slug, side, model_path, verbose, show_progress=True,
                                          jobs=jobs or 1, hold_s=hold_s, image_fps=image_fps, **observers)]
        except KeyboardInterrupt as interruption:
            partial = getattr(interruption, "partial_summary", None)
            if partial is not None:
                _describe_session([partial], exercise_slug, patient, reps, hold_s)
                click.echo(render_summaries([partial], output_format))
                if save:
                    _save_to_history([partial], db_path)
            raise
    else:
        summaries = _analyze_many(sources, exercise_slug, side, model_path, verbose, jobs or os.cpu_count() or 1,
                                  hold_s, image_fps)
    _describe_session(summaries, exercise_slug, patient, reps, hold_s)
    click.echo(render_summaries(summaries, output_format))
    if clips is not None:
        from posecoach.sinks.annotate import cut_clips

        written = cut_clips(output or sources[0], summaries[0], clips)
        click.echo(f"{plural(len(written), 'clip')} of flagged reps and warnings in {clips}", err=True)
    if save:
        _save_to_history(summaries, db_path)


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
                   force: bool) -> tuple[Any, Path | None]:
    """The annotated-video writer and the clips folder, checked before any analysis starts."""
    if output is None and clips_dir is None:
        return None, None
    if len(sources) > 1:
        raise OutputError(f"--output and --clips take one video, and {len(sources)} were given; "
                          "analyse them one at a time")
    from posecoach.exercises import get_exercise
    from posecoach.sinks.annotate import AnnotatedVideo, prepare_clip_folder

    annotated = AnnotatedVideo.for_source(output, sources[0], get_exercise(exercise), force=force) if output else None
    return annotated, prepare_clip_folder(clips_dir, force=force) if clips_dir is not None else None


def _save_to_history(summaries: list[SessionSummary], db_path: Path | None) -> None:
    """After the results are out: a history problem must never cost the user the analysis."""
    from posecoach.sinks.history import open_store
    from posecoach.summary import SessionMode

    with open_store(db_path) as store:
        for summary in summaries:
            store.save_summary(summary, mode=SessionMode.ANALYZE, target=summary.target)
        where = store.path
    whose = f" (patient {summaries[0].patient})" if summaries[0].patient else ""
    click.echo(f"Saved {plural(len(summaries), 'session')}{whose} to the history in {where}; "
               "see them with 'posecoach history'.", err=True)


def _analyze_many(sources: list[str], exercise: str, side: str, model: Path | None, verbose: bool,
                  jobs: int, hold_s: float | None = None, image_fps: float | None = None) -> list[SessionSummary]:
    tasks = [(source, exercise, side, model, verbose, hold_s, image_fps) for source in sources]
    failures: list[str] = []
    summaries: list[SessionSummary] = []
    with click.progressbar(length=len(tasks), label=f"{len(tasks)} videos", file=sys.stderr) as bar:
        if jobs == 1:
            results = (_analyze_quietly(task) for task in tasks)
            for result in results:
                _collect(result, summaries, failures)
                bar.update(1)
        else:
            with ProcessPoolExecutor(max_workers=min(jobs, len(tasks))) as pool:
                for result in pool.map(_analyze_quietly, tasks):
                    _collect(result, summaries, failures)
                    bar.update(1)
    for failure in failures:
        click.echo(f"Error: {failure}", err=True)
    if not summaries:
        raise PoseCoachError("none of the videos could be analysed")
    return summaries


def _collect(result: SessionSummary | str, summaries: list[SessionSummary], failures: list[str]) -> None:
    if isinstance(result, str):
        failures.append(result)
    else:
        summaries.append(result)


COMMANDS = [analyze]
