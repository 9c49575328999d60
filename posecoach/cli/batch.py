"""``posecoach analyze --ray [ADDRESS]`` and ``--manifest CSV``: the CLI side of :mod:`posecoach.batch`.

Each finished video is saved to the history as it arrives, under one progress bar (videos done,
frames/s, time left); the summaries are printed at the end in the order given, or, on Ctrl-C,
those finished so far. No command of its own: ``analyze`` calls :func:`analyze_batch`.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path
from typing import Any

import click

from posecoach.batch import (
    BatchItem,
    BatchResult,
    connect,
    import_ray,
    items_for,
    normalise_address,
    plan,
    read_manifest,
    run_locally,
    run_on_ray,
    save_result,
)
from posecoach.errors import HistoryError, NothingAnalysedError, OutputError, SomeVideosFailedError
from posecoach.sinks.console import render_summaries
from posecoach.terminal import echo, echo_error


def analyze_batch(sources: list[str], *, manifest: Path | None, exercise: str | None, side: str,
                  output_format: str, jobs: int | None, save: bool, db_path: Path | None, model_path: Path | None,
                  verbose: bool, ray_address: str | None, one_video_outputs: bool = False) -> None:
    if one_video_outputs:
        raise OutputError("--output and --clips take one video, not a --ray or --manifest batch; analyse that "
                          "video on its own")
    address = normalise_address(ray_address)
    if address is not None:
        import_ray()  # before anything else: a missing Ray is the one line the user sees
    items: list[BatchItem] = read_manifest(manifest, exercise, side) if manifest is not None else []
    if sources:
        if exercise is None:
            raise click.UsageError("Missing option '-e' / '--exercise' for the videos given on the command line "
                                   "(a --manifest gives each row's exercise)")
        items += items_for(sources, exercise, side)
    with contextlib.ExitStack() as stack:
        store = _open_history(stack, db_path) if save else None
        todo, done = plan(items, store, model_path)
        for result in done:
            echo(f"Skipped {result.item.video} ({result.item.exercise}): already analysed with the same "
                 f"content, model, side and posecoach version, history session {result.skipped_session}",
                 err=True)
        if address is not None and todo:  # before the progress bar: starting or joining Ray is not progress
            stack.callback(connect(address, verbose=verbose))
        progress = _Progress(len(todo), stack)
        saving = _Saver(store)

        def on_result(result: BatchResult) -> None:
            saving.save(result)
            progress.advance(result)

        try:
            if address is not None:
                run_on_ray(todo, on_result=on_result, model_path=model_path, verbose=verbose, actors=jobs,
                           ship_videos=address.startswith("ray://"))
            else:
                run_locally(todo, on_result=on_result, jobs=jobs or os.cpu_count() or 1, model_path=model_path,
                            verbose=verbose)
        except KeyboardInterrupt:
            _report(todo, output_format, interrupted=True)
            raise
    _report(todo, output_format, interrupted=False, skipped=len(done))
    if saving.error is not None:
        raise saving.error


def _open_history(stack: contextlib.ExitStack, db_path: Path | None) -> Any:
    from posecoach.sinks.history import open_store

    return stack.enter_context(open_store(db_path))


class _Saver:
    """Saves each result as it arrives; a history failure stops saving, never the analysis."""

    def __init__(self, store: Any | None) -> None:
        self.store = store
        self.error: HistoryError | None = None

    def save(self, result: BatchResult) -> None:
        if self.store is None or self.error is not None or result.summary is None:
            return
        try:
            save_result(self.store, result)
        except HistoryError as exc:
            self.error = exc


class _Progress:
    """One bar over the batch: videos done, frames/s over all workers, and the time left."""

    def __init__(self, total: int, stack: contextlib.ExitStack) -> None:
        self.bar: Any = None
        self.frames = 0
        self.started = time.monotonic()
        if total:
            self.bar = stack.enter_context(click.progressbar(
                length=total, label=f"{total} videos", file=sys.stderr, show_eta=True, show_pos=True,
                item_show_func=lambda text: text))

    def advance(self, result: BatchResult) -> None:
        self.frames += result.summary.frames if result.summary else 0
        rate = self.frames / max(time.monotonic() - self.started, 1e-6)
        if self.bar is not None:
            self.bar.update(1, f"{rate:.0f} frames/s")


def _report(results: list[BatchResult], output_format: str, *, interrupted: bool, skipped: int = 0) -> None:
    """The finished videos' summaries on stdout, in the order given; each failed video as an ``Error:`` line."""
    summaries = [r.summary for r in results if r.summary is not None]
    for result in results:
        if result.error is not None:
            echo_error(f"{result.item.video}: {result.error}")
    if summaries:
        echo(render_summaries(summaries, output_format))
    if interrupted:
        echo(f"{len(summaries)} of {len(results)} videos finished before the interruption; they are printed "
             "above and saved. Run the same command again to analyse the rest.", err=True)
    elif not summaries and not skipped:
        raise NothingAnalysedError()
    elif failed := sum(result.error is not None for result in results):
        raise SomeVideosFailedError(failed, len(results) + skipped)
