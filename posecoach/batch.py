"""Batch analysis: many whole videos, each analysed by :func:`posecoach.analysis.analyze_video`, on Ray.

A pool of Ray actors (one per CPU of the cluster) analyses one video at a time each; the driver
hands the next video to whichever actor finishes first and streams every finished video to a
callback (the CLI saves it to the history as it arrives), so an interrupted batch keeps all it did.

* **Identical to serial**: an actor runs exactly ``analyze_video(path, exercise, side=...)``, so a
  video's summary is the one a serial run gives. An actor keeps its process, imports and checked
  model warm between videos but opens a new landmarker for each: MediaPipe's VIDEO mode tracks the
  pose from frame to frame and smooths landmarks over time, so a landmarker carried over from the
  previous video would start the next one from the wrong pose and change its landmarks.
* **Resumable**: a video whose content hash, exercise, posecoach version and analysis settings (the
  pose model's hash, the side asked for) are already in the history is skipped (:func:`plan`), so a
  killed batch restarts where it stopped, and a re-run with another ``--model`` or ``--side`` does not.
* **Isolation**: a damaged video, one without a person or one that breaks the decoder fails alone,
  with its error in its :class:`BatchResult`. A worker process that dies (a native crash, the node
  lost) is restarted by Ray and the video retried once (``max_task_retries=1``); a second loss is
  reported as that video's error.

Ray is an optional extra (``pip install 'posecoach[ray]'``); without it, :func:`connect` raises a
:class:`RayMissingError` saying so. The same planning and saving also run without Ray
(:func:`run_locally`), for a manifest analysed on this machine's processes.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import os
import re
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from posecoach import __version__
from posecoach.errors import PoseCoachError, SourceError, UnknownExerciseError
from posecoach.exercises.catalog import CATALOG
from posecoach.summary import SessionMode, SessionSummary

INSTALL_RAY = "pip install 'posecoach[ray]'"
MANIFEST_COLUMNS = ("video", "exercise", "patient")
HASH_CHUNK = 1 << 20
LOCAL_ADDRESSES = ("local", "")
"""``--ray`` alone: start a Ray on this machine, with as many CPUs as it has cores."""


class RayMissingError(PoseCoachError):
    """``--ray`` was asked for but Ray is not installed."""

    def __init__(self) -> None:
        super().__init__(f"--ray needs Ray, which is not installed: run {INSTALL_RAY} (or drop --ray to use this "
                         "machine's processes)")


class ClusterError(PoseCoachError):
    """The Ray cluster cannot be started or reached."""


@dataclass(frozen=True)
class BatchItem:
    """One video to analyse, as a manifest row gives it: the path as written, its exercise, its patient."""

    video: str
    exercise: str
    patient: str | None = None
    side: str = "auto"


@dataclass
class BatchResult:
    """What became of one :class:`BatchItem`: a summary, an error, or the history session that already holds it."""

    item: BatchItem
    summary: SessionSummary | None = None
    error: str | None = None
    content_hash: str | None = None
    settings: str | None = None
    """What besides content, exercise and version decides the result (:func:`analysis_settings`)."""
    skipped_session: int | None = None
    """The id of the history session with the same content hash, exercise, version and settings."""

    @property
    def skipped(self) -> bool:
        return self.skipped_session is not None


ResultCallback = Callable[[BatchResult], None]


# ----------------------------------------------------------------------------- what to analyse


def items_for(videos: Iterable[str], exercise: str, side: str = "auto") -> list[BatchItem]:
    return [BatchItem(video, exercise, side=side) for video in videos]


def read_manifest(path: str | Path, default_exercise: str | None = None, side: str = "auto") -> list[BatchItem]:
    """Rows of ``video,exercise[,patient]`` (a header row names them; other columns are ignored).

    Relative video paths are relative to the manifest's folder; an empty exercise takes
    ``default_exercise`` (``-e``). A bad row raises an error naming its line.
    """
    manifest = Path(path)
    try:
        text = manifest.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise SourceError(f"cannot read the manifest '{manifest}' ({exc.strerror or exc}); check the path") from exc
    reader = csv.DictReader(text.splitlines())
    fields = [name.strip().lower() for name in reader.fieldnames or []]
    rows = list(reader)
    if "video" not in fields:
        raise SourceError(f"the manifest '{manifest}' needs a header row with a 'video' column (and 'exercise', "
                          "optionally 'patient'), e.g. 'video,exercise,patient'")
    items: list[BatchItem] = []
    for line, row in enumerate(rows, start=2):
        values = {(key or "").strip().lower(): (value or "").strip() for key, value in row.items()
                  if isinstance(value, str)}
        if not any(values.values()):
            continue
        video, exercise = values.get("video", ""), values.get("exercise", "") or (default_exercise or "")
        if not video:
            raise SourceError(f"{manifest}, line {line}: no video; every row needs one")
        if not exercise:
            raise SourceError(f"{manifest}, line {line}: no exercise for '{video}'; fill the 'exercise' column or "
                              "pass -e for rows without one")
        if exercise not in CATALOG:
            raise UnknownExerciseError(exercise, list(CATALOG))
        where = Path(video) if Path(video).is_absolute() else manifest.parent / video
        items.append(BatchItem(str(where), exercise, values.get("patient") or None, side))
    if not items:
        raise SourceError(f"the manifest '{manifest}' lists no videos")
    return items


def content_hash(path: str | Path) -> str:
    """SHA-256 of a video's bytes (of a folder's image names and bytes, in order): the same clip under
    another name or folder is the same clip; a re-exported one is not."""
    digest = hashlib.sha256()
    target = Path(path)
    files = sorted(p for p in target.iterdir() if p.is_file()) if target.is_dir() else [target]
    for file in files:
        if target.is_dir():
            digest.update(file.name.encode() + b"\0")
        with file.open("rb") as handle:
            while chunk := handle.read(HASH_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


# ----------------------------------------------------------------------------- the history


def plan(items: list[BatchItem], store: Any | None,
         model_path: Path | None = None) -> tuple[list[BatchResult], list[BatchResult]]:
    """Splits items into (to analyse, already done). Each gets its content hash and settings; an item
    whose file cannot be read is left to analyse, so it fails with the reader's own error message."""
    todo: list[BatchResult] = []
    done: list[BatchResult] = []
    model = model_hash(model_path)
    for item in items:
        result = BatchResult(item, settings=analysis_settings(model, item.side) if model else None)
        try:
            result.content_hash = content_hash(item.video)
        except OSError:
            todo.append(result)
            continue
        if store is not None and result.settings is not None:
            result.skipped_session = find_done(store, result.content_hash, item.exercise, result.settings)
        (done if result.skipped else todo).append(result)
    return todo, done


def model_hash(model_path: Path | None) -> str | None:
    """SHA-256 of the pose model the batch will load (``--model``, else the default one), None when it
    cannot be read: nothing is skipped then, and the analysis reports the model's own error."""
    from posecoach.pose import default_model_path

    try:
        return content_hash(model_path or default_model_path())
    except OSError:
        return None


def analysis_settings(model: str, side: str) -> str:
    """The settings that change a video's result besides its content, exercise and posecoach version."""
    return f"model={model};side={side}"


def find_done(store: Any, digest: str, exercise: str, settings: str, version: str = __version__) -> int | None:
    """The history session that already holds this content analysed for this exercise by this version
    with these settings."""
    with store._errors("read the history"):
        row = store.db.execute(
            "SELECT id FROM sessions WHERE content_hash = ? AND exercise = ? AND posecoach_version = ? "
            "AND analysis_settings = ? AND mode = 'analyze' AND status IN ('complete', 'partial') "
            "ORDER BY id DESC LIMIT 1",
            (digest, exercise, version, settings)).fetchone()
    return int(row[0]) if row else None


def save_result(store: Any, result: BatchResult) -> int | None:
    """Saves an analysed video with its content hash, version, settings and patient, in one transaction."""
    if result.summary is None:
        return None
    from posecoach.sinks.history import target_for

    with store.transaction("save the session"):
        session_id = int(store.save_summary(result.summary, mode=SessionMode.ANALYZE,
                                            target=target_for(result.summary.exercise)))
        store.db.execute("UPDATE sessions SET content_hash = ?, posecoach_version = ?, analysis_settings = ?, "
                         "patient = ? WHERE id = ?",
                         (result.content_hash, __version__, result.settings, result.item.patient, session_id))
    return session_id


# ----------------------------------------------------------------------------- one video, anywhere


def analyse_item(item: BatchItem, model_path: Path | None = None, verbose: bool = False,
                 data: bytes | None = None) -> tuple[SessionSummary | None, str | None]:
    """``analyze_video`` on one item; errors come back as text so one bad video never sinks the batch.

    ``data`` is the video's bytes, shipped by a driver whose files this machine cannot see: they are
    written to a temporary file of the same name, and the summary names the original path.
    """
    from posecoach.analysis import analyze_video

    try:
        if data is None:
            summary = analyze_video(item.video, item.exercise, side=item.side, model_path=model_path,
                                    verbose=verbose)
        else:
            with tempfile.TemporaryDirectory(prefix="posecoach-") as folder:
                copy = Path(folder) / Path(item.video).name
                copy.write_bytes(data)
                try:
                    summary = analyze_video(str(copy), item.exercise, side=item.side, model_path=model_path,
                                            verbose=verbose)
                except PoseCoachError as exc:  # name the video as the user knows it, not its temporary copy
                    return None, str(exc).replace(str(copy), item.video)
            summary.source = item.video
            if summary.recorded_at_from == "file":  # the copy's time is now, not the recording's: the driver dates it
                summary.recorded_at = summary.recorded_at_from = None
        return summary, None
    except PoseCoachError as exc:
        return None, str(exc)
    except Exception as exc:  # a bug on one video is that video's error, reported with its type
        return None, f"internal error ({type(exc).__name__}: {exc}); please report it"


class VideoAnalyser:
    """A Ray actor: one warm worker process that analyses whole videos, one at a time."""

    def __init__(self, model_path: Path | None, verbose: bool) -> None:
        from posecoach.pose import PoseEstimator

        self.model_path = model_path
        self.verbose = verbose
        self.broken: str | None = None
        try:  # load the model once: MediaPipe's imports and caches stay warm, a bad model shows up here
            PoseEstimator(model_path, verbose=verbose).close()
        except PoseCoachError as exc:
            self.broken = str(exc)  # every video then reports it, rather than the worker dying at birth

    def analyse(self, item: BatchItem, data: bytes | None = None) -> tuple[SessionSummary | None, str | None]:
        if self.broken is not None:
            return None, self.broken
        return analyse_item(item, self.model_path, self.verbose, data)


# ----------------------------------------------------------------------------- Ray


def import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise RayMissingError() from exc
    return ray


def normalise_address(value: str | None) -> str | None:
    """``--ray``'s value: None (no Ray), 'local' (start one here), 'auto' or 'ray://host:port' (join one)."""
    if value is None:
        return None
    text = value.strip()
    if text.lower() in LOCAL_ADDRESSES:
        return "local"
    if text.lower() == "auto" or text.startswith("ray://") or re.fullmatch(r"[\w.\-]+:\d+", text):
        return text
    raise ClusterError(f"--ray takes no value (a Ray on this machine), 'auto' (the cluster this machine belongs "
                       f"to) or an address like ray://head-node:10001, not '{value}'; put a bare --ray after the "
                       "videos")


def connect(address: str, *, verbose: bool = False) -> Callable[[], None]:
    """Starts (``local``) or joins a Ray cluster; returns what disconnects from it."""
    ray = import_ray()
    if ray.is_initialized():
        return lambda: None
    options: dict[str, Any] = {"logging_level": logging.INFO if verbose else logging.ERROR,
                               "log_to_driver": verbose}
    try:
        with warnings.catch_warnings():
            if not verbose:  # Ray Client warns of a timeout before raising it; the error below says more
                warnings.simplefilter("ignore")
            if address == "local":
                # address="local": a new Ray of our own, never one somebody else started on this machine.
                ray.init(address="local", num_cpus=os.cpu_count() or 1, include_dashboard=False, **options)
            else:
                ray.init(address=address, **options)
    except (ConnectionError, RuntimeError, ValueError, TimeoutError) as exc:
        if address == "local":
            raise ClusterError(f"cannot start Ray on this machine ({_first_line(exc)}); rerun with --verbose for "
                               "Ray's log, or drop --ray to use this machine's processes") from exc
        raise ClusterError(f"cannot reach the Ray cluster at {address} ({_first_line(exc)}); check that 'ray start "
                           "--head' runs there, that the address and port are right and, if the cluster uses token "
                           "authentication, that RAY_AUTH_MODE=token and its RAY_AUTH_TOKEN are set here; or drop "
                           "--ray to use this machine's processes") from exc
    return ray.shutdown


def run_on_ray(todo: list[BatchResult], *, on_result: ResultCallback, model_path: Path | None = None,
               verbose: bool = False, actors: int | None = None, ship_videos: bool = False,
               analyser: type = VideoAnalyser) -> list[BatchResult]:
    """Analyses ``todo`` on the connected Ray cluster, calling ``on_result`` as each video finishes.

    ``ship_videos`` sends each video's bytes to its worker (a ``ray://`` client whose files the
    cluster cannot see); otherwise workers open the path. On Ctrl-C the workers are stopped and
    the ``KeyboardInterrupt`` propagates; every result reported before it stands.
    """
    ray = import_ray()
    if not todo:
        return []
    if model_path is not None and not ship_videos:
        model_path = Path(model_path).resolve()  # workers need not share the driver's working folder
    size = actors or max(1, int(ray.cluster_resources().get("CPU", 1)))
    remote = ray.remote(num_cpus=1, max_restarts=-1, max_task_retries=1)(analyser)
    pool = [remote.remote(model_path, verbose) for _ in range(min(size, len(todo)))]
    waiting: Iterator[BatchResult] = iter(todo)
    running: dict[Any, tuple[Any, BatchResult]] = {}
    finished: list[BatchResult] = []

    def start(actor: Any) -> None:
        result = next(waiting, None)
        if result is None:
            return
        item = result.item
        path = item.video if ship_videos else os.path.abspath(item.video)
        data = _read_or_none(item.video) if ship_videos else None
        running[actor.analyse.remote(BatchItem(path, item.exercise, item.patient, item.side), data)] = (actor, result)

    try:
        for actor in pool:
            start(actor)
        while running:
            ready, _ = ray.wait(list(running), num_returns=1)
            actor, result = running.pop(ready[0])
            try:
                summary, error = ray.get(ready[0])
            except ray.exceptions.RayActorError as exc:
                summary, error = None, (f"the worker analysing it was lost twice ({_first_line(exc)}); it was "
                                        "retried once: check the video and the worker nodes' memory and logs")
            except ray.exceptions.RayError as exc:
                summary, error = None, f"Ray failed on it ({_first_line(exc)})"
            # Name the video as the user gave it, as a serial run does, not as the worker opened it.
            if summary is not None:
                summary.source = result.item.video
                if ship_videos:  # the worker dated its temporary copy; the driver sees the original's date
                    from posecoach.analysis import date_recording

                    date_recording(summary, result.item.video)
            if error is not None and not ship_videos:
                error = error.replace(os.path.abspath(result.item.video), result.item.video)
            result.summary, result.error = summary, error
            finished.append(result)
            on_result(result)
            start(actor)
    finally:
        for actor in pool:
            ray.kill(actor)
    return finished


def _read_or_none(path: str) -> bytes | None:
    try:
        return Path(path).read_bytes()
    except OSError:
        return None  # the worker's own reader reports the error, in the same words as a serial run


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


# ----------------------------------------------------------------------------- without Ray


def run_locally(todo: list[BatchResult], *, on_result: ResultCallback, jobs: int, model_path: Path | None = None,
                verbose: bool = False) -> list[BatchResult]:
    """The same batch on this machine: in this process (``jobs`` 1) or on worker processes."""
    finished: list[BatchResult] = []

    def report(result: BatchResult, outcome: tuple[SessionSummary | None, str | None]) -> None:
        result.summary, result.error = outcome
        finished.append(result)
        on_result(result)

    if jobs <= 1 or len(todo) <= 1:
        for result in todo:
            report(result, analyse_item(result.item, model_path, verbose))
        return finished
    with ProcessPoolExecutor(max_workers=min(jobs, len(todo))) as pool:
        futures: dict[Future[tuple[SessionSummary | None, str | None]], BatchResult] = {
            pool.submit(analyse_item, result.item, model_path, verbose): result for result in todo}
        pending = set(futures)
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    try:
                        outcome = future.result()
                    except BrokenProcessPool:
                        outcome = (None, "a worker process died while analysing it; run it again on its own, or "
                                         "with --ray, which retries a lost worker")
                    report(futures[future], outcome)
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    return finished
