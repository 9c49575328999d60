"""Landmark one video in parallel: contiguous chunks, one pose model per worker process.

The landmark stage costs ~16-30 ms per frame on one core and is the whole of a serial run's time,
so a video's frames are split into ``jobs`` chunks landmarked side by side and joined back into one
:class:`~posecoach.trace.PoseTrace`, which the engine then replays exactly like the serial stream.

What keeps the joined trace faithful to the serial one:

- **Seeking is checked, not trusted.** Each worker seeks with ``CAP_PROP_POS_FRAMES`` (frame-exact
  on all 31 shared clips, measured) and every seam is verified: chunk *k* decodes one frame past its
  end, and its hash and container time must equal chunk *k+1*'s first frame. A mismatch re-runs the
  later chunks decoding from the start and skipping (``grab``), which is always exact.
- **Timestamps follow the serial rule.** Workers return the container's ``CAP_PROP_POS_MSEC`` per
  frame; the parent recomputes every timestamp over the whole clip with
  :class:`~posecoach.sources.ContainerClock`,
  the rule of ``CaptureSource`` (its only history-dependent step needs the previous frame, which a
  worker that starts mid-clip does not have).
- **Tracking is warm.** VIDEO mode tracks the person between frames and smooths landmarks over
  time, so a model that starts cold mid-clip answers slightly differently for a few frames. Each
  worker first landmarks ``warmup_s`` of frames before its chunk and throws them away.

Processes are started with ``spawn`` (MediaPipe's native threads and fork do not mix), so each
worker pays an interpreter start and a model load (~1-2 s): short clips are run serially.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import multiprocessing as mp
import os
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from posecoach.errors import PoseCoachError, SourceError
from posecoach.landmarks import NUM_LANDMARKS
from posecoach.sources import ContainerClock
from posecoach.trace import PoseTrace, PoseTraceBuilder

if TYPE_CHECKING:
    from posecoach.pose import PoseEstimator
    from posecoach.sources import Frame

ProgressCallback = Callable[[int], None]

DEFAULT_WARMUP_S = 1.0
"""Landmarked and discarded before each chunk; 1 s brings tracking and smoothing to the serial state."""
MIN_CHUNK_S = 2.0
"""A chunk shorter than this costs more in worker start-up and warm-up than it saves."""
PROGRESS_EVERY = 8
"""Frames per progress message from a worker: often enough for a progress bar, cheap on the queue."""
START_METHOD: Final = "spawn"
POLL_S = 0.2
LAST_WORDS_S = 2.0


@dataclass(frozen=True)
class ChunkTask:
    """What one worker landmarks: frames ``[start, stop)``, after warm-up frames from ``warm_start``.

    ``stop`` is None for the last chunk, which reads to the end: container frame counts are estimates.
    """

    chunk: int
    path: str
    fps: float
    warm_start: int
    start: int
    stop: int | None
    seek: bool
    model_path: str | None
    verbose: bool


@dataclass
class ChunkResult:
    """A worker's answer: container times and raw landmarks of frames ``start .. start+len-1``."""

    chunk: int
    start: int
    container_ms: np.ndarray
    normalized: np.ndarray
    world: np.ndarray
    image_size: tuple[int, int]
    first_frame: tuple[str, float] | None = None
    """Hash and container time of frame ``start``, to check the seek against the previous chunk."""
    frame_after: tuple[str, float] | None = None
    """Hash and container time of frame ``stop`` (decoded, not landmarked), or None at the end."""
    reached_stop: bool = True


INTERRUPTS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def interrupts_blocked() -> Iterator[None]:
    """Start worker processes inside this: they inherit SIGINT/SIGTERM blocked, so a Ctrl-C that reaches
    the whole process group while they boot stays pending until :func:`ignore_interrupts` drops it,
    instead of printing a ``KeyboardInterrupt`` traceback from every worker. The parent handles it."""
    try:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, INTERRUPTS)
    except (AttributeError, OSError, ValueError):
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def ignore_interrupts() -> None:
    """First thing in a worker: Ctrl-C is the parent's business (it stops the workers itself), and SIGTERM
    (the parent's ``terminate()``) just ends the worker, not through a forked copy of the CLI's handler."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    with contextlib.suppress(AttributeError, OSError, ValueError):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, INTERRUPTS)


def landmark_video(source: str | os.PathLike[str], *, jobs: int, model_path: Path | None = None,
                   verbose: bool = False, on_frame: ProgressCallback | None = None,
                   warmup_s: float = DEFAULT_WARMUP_S, min_chunk_s: float = MIN_CHUNK_S,
                   seek: bool = True) -> PoseTrace:
    """Landmark a whole video with ``jobs`` worker processes and return its trace in frame order.

    Frames and timestamps are those of the serial path (``open_source`` + ``PoseEstimator``); the
    landmarks of the first few frames after each seam may differ from it by model noise.
    ``jobs=1``, live sources, image folders and clips too short for chunks of ``min_chunk_s`` run
    serially in this process. ``on_frame(n)`` is called as frames are done, summed over workers. ``seek=False`` makes
    workers decode from the start and skip, for containers whose seeking is inexact.
    """
    from posecoach.sources import CaptureSource, open_source

    with open_source(source) as probe:
        splittable = isinstance(probe, CaptureSource) and not probe.is_live and probe.frame_count
        fps, name, count = probe.fps, probe.name, probe.frame_count or 0
        size = (probe.width, probe.height)
    chunks = _plan_chunks(count, fps, jobs, warmup_s, min_chunk_s) if splittable else []
    if len(chunks) < 2:
        return landmark_serial(source, model_path=model_path, verbose=verbose, on_frame=on_frame)
    tasks = [ChunkTask(i, os.fspath(source), fps, warm, start, stop, seek and start > 0,
                       str(model_path) if model_path else None, verbose)
             for i, (warm, start, stop) in enumerate(chunks)]
    try:
        results = _run_chunks(tasks, on_frame)
    except KeyboardInterrupt as interruption:
        # Hand over the frames landmarked before Ctrl-C, from the start up to the first gap.
        done = getattr(interruption, "partial_results", [])
        kept = list(itertools.takewhile(lambda pair: pair[0] == pair[1].chunk, enumerate(done)))
        if kept and len(kept[0][1].container_ms):
            interruption.partial_trace = _join([r for _, r in kept], name, fps, size)  # type: ignore[attr-defined]
        raise
    bad = _first_bad_seam(results)
    if bad is not None and seek:
        redo = [ChunkTask(t.chunk, t.path, t.fps, t.warm_start, t.start, t.stop, False, t.model_path, t.verbose)
                for t in tasks[bad:]]
        results = results[:bad] + _run_chunks(redo, None)
        bad = _first_bad_seam(results)
    if bad is not None:
        raise SourceError(f"'{name}' decodes differently when read in parts (frame {results[bad].start}); "
                          "analyse it with --jobs 1")
    return _join(results, name, fps, size)


def landmark_serial(source: str | os.PathLike[str], *, model_path: Path | None = None, verbose: bool = False,
                    on_frame: ProgressCallback | None = None) -> PoseTrace:
    """The serial path, exactly as ``analyze_video`` runs it: one source, one model, frame by frame."""
    from posecoach.pose import PoseEstimator
    from posecoach.sources import open_source

    with open_source(source) as frames, PoseEstimator(model_path, verbose=verbose) as estimator:
        builder = PoseTraceBuilder(frames.name, frames.fps, frames.width, frames.height)
        try:
            for frame in frames:
                builder.height, builder.width = frame.image.shape[:2]
                builder.add(frame.timestamp_s, estimator.estimate_raw(frame.image, frame.timestamp_s))
                if on_frame is not None:
                    on_frame(1)
        except KeyboardInterrupt as interruption:
            interruption.partial_trace = builder.build()  # type: ignore[attr-defined]
            raise
    return builder.build()


def _plan_chunks(frame_count: int, fps: float, jobs: int, warmup_s: float,
                 min_chunk_s: float) -> list[tuple[int, int, int | None]]:
    """``(warm_start, start, stop)`` per chunk: equal contiguous shares, no more than the clip's length allows."""
    jobs = min(jobs, int(frame_count / max(min_chunk_s * fps, 1.0)))
    if jobs < 2:
        return []
    warm = round(warmup_s * fps)
    bounds = [round(i * frame_count / jobs) for i in range(jobs + 1)]
    return [(max(0, start - warm), start, stop if i < jobs - 1 else None)
            for i, (start, stop) in enumerate(itertools.pairwise(bounds))]


def _run_chunks(tasks: list[ChunkTask], on_frame: ProgressCallback | None) -> list[ChunkResult]:
    """Start one process per task, relay their progress, and collect their results in chunk order.

    Ctrl-C and SIGTERM are noted, not raised, while results are read (an exception in the middle of
    reading a message would leave half a pickle in the pipe): the workers are then asked to stop and
    send what they have, and the signal is raised with those results as ``partial_results``.
    """
    context = mp.get_context(START_METHOD)
    messages: Any = context.Queue()
    stop = context.Event()
    processes = {t.chunk: context.Process(target=_worker, args=(t, messages, stop),
                                          name=f"posecoach-landmark-{t.chunk}", daemon=True) for t in tasks}
    results: dict[int, ChunkResult] = {}
    try:
        with deferred_interrupts() as received:
            with interrupts_blocked():
                for process in processes.values():
                    process.start()
            while len(results) < len(tasks) and not received.signals:
                try:
                    kind, chunk, payload = messages.get(timeout=POLL_S)
                except queue.Empty:
                    if _lost_worker(processes, results) is None:
                        continue
                    try:  # its last message may still be on its way through the pipe
                        kind, chunk, payload = messages.get(timeout=LAST_WORDS_S)
                    except queue.Empty:
                        raise _lost_worker_error(processes, results) from None
                if kind == "progress":
                    if on_frame is not None:
                        on_frame(payload)
                elif kind == "done":
                    results[chunk] = payload
                else:
                    raise payload
            if received.signals:
                # Workers ignore Ctrl-C: ask them to stop and send what they have, briefly.
                stop.set()
                _collect_last_words(messages, processes, results, time.monotonic() + LAST_WORDS_S)
        if received.signals:
            received.raise_first(partial_results=[results[t.chunk] for t in tasks if t.chunk in results])
        for process in processes.values():
            process.join()
    finally:
        for process in processes.values():
            if process.is_alive():
                process.terminate()
                process.join()
        messages.close()
    return [results[t.chunk] for t in tasks]


class _Received:
    """Signals noted by :func:`deferred_interrupts`, and the handlers that were in place before."""

    def __init__(self) -> None:
        self.signals: list[int] = []
        self.previous: dict[int, Any] = {}

    def raise_first(self, **attributes: Any) -> None:
        """Act on the first signal as the previous handler would (the CLI's raise KeyboardInterrupt or
        Terminated), with ``attributes`` set on the exception."""
        signum = self.signals[0]
        handler = self.previous.get(signum)
        try:
            if callable(handler):
                handler(signum, None)
            raise KeyboardInterrupt
        except KeyboardInterrupt as interruption:
            for name, value in attributes.items():
                setattr(interruption, name, value)
            raise


@contextlib.contextmanager
def deferred_interrupts() -> Iterator[_Received]:
    """SIGINT/SIGTERM only noted in the block (main thread only; elsewhere nothing changes)."""
    received = _Received()
    if threading.current_thread() is not threading.main_thread():
        yield received
        return
    received.previous = {signum: signal.getsignal(signum) for signum in INTERRUPTS}
    for signum in INTERRUPTS:
        signal.signal(signum, lambda number, _frame: received.signals.append(number))
    try:
        yield received
    finally:
        for number, handler in received.previous.items():
            signal.signal(number, handler if handler is not None else signal.SIG_DFL)


def _collect_last_words(messages: Any, processes: dict[int, Any], results: dict[int, ChunkResult],
                        deadline: float) -> None:
    while len(results) < len(processes) and time.monotonic() < deadline:
        try:
            kind, chunk, payload = messages.get(timeout=max(0.01, min(POLL_S, deadline - time.monotonic())))
        except queue.Empty:
            if all(not p.is_alive() for p in processes.values()):
                return
            continue
        except (EOFError, OSError, ValueError):  # a worker killed mid-message: nothing more to read
            return
        if kind == "done":
            results[chunk] = payload


def _lost_worker(processes: dict[int, Any], results: dict[int, ChunkResult]) -> int | None:
    """A chunk whose worker has exited without its result having arrived, if any."""
    return next((chunk for chunk, process in processes.items()
                 if chunk not in results and not process.is_alive()), None)


def _lost_worker_error(processes: dict[int, Any], results: dict[int, ChunkResult]) -> PoseCoachError:
    chunk = _lost_worker(processes, results) or 0
    return PoseCoachError(f"the landmarking worker for part {chunk + 1} stopped unexpectedly "
                          f"(exit code {processes[chunk].exitcode}); run again with --jobs 1")


def _first_bad_seam(results: list[ChunkResult]) -> int | None:
    """Index of the first chunk whose first frame is not the frame its predecessor decoded past its end."""
    for before, after in itertools.pairwise(results):
        if not before.reached_stop:
            return None
        if before.frame_after != after.first_frame:
            return after.chunk
    return None


def _join(results: list[ChunkResult], name: str, fps: float, size: tuple[int, int]) -> PoseTrace:
    """Concatenate chunks (up to one that ended early, as the serial read would stop there) and time them."""
    kept: list[ChunkResult] = []
    for result in results:
        kept.append(result)
        if not result.reached_stop:
            break
    container_ms = np.concatenate([r.container_ms for r in kept])
    clock = ContainerClock(fps)
    timestamps = np.array([clock(float(ms)) for ms in container_ms], dtype=np.float64)
    width, height = next((r.image_size for r in kept if r.image_size != (0, 0)), size)
    return PoseTrace(name, fps, width, height, timestamps,
                     np.concatenate([r.normalized for r in kept]), np.concatenate([r.world for r in kept]))


def _frame_key(image: np.ndarray, container_ms: float) -> tuple[str, float]:
    return hashlib.blake2b(image.tobytes(), digest_size=16).hexdigest(), container_ms


def _worker(task: ChunkTask, messages: Any, stop: Any = None) -> None:
    """Process entry point: landmark one chunk and send the result (or the error) to the parent.

    ``stop`` set (the parent was interrupted) ends the chunk early: what was landmarked is sent.
    """
    ignore_interrupts()
    try:
        messages.put(("done", task.chunk, landmark_chunk(task, lambda n: messages.put(("progress", task.chunk, n)),
                                                         stop)))
    except BaseException as exc:
        error = exc if isinstance(exc, PoseCoachError) else PoseCoachError(
            f"landmarking part {task.chunk + 1} failed: {type(exc).__name__}: {exc}")
        messages.put(("error", task.chunk, error))


def landmark_chunk(task: ChunkTask, progress: ProgressCallback | None = None, stop: Any = None) -> ChunkResult:
    """Decode and landmark one chunk in this process (the body of a worker; callable directly in tests).

    Frames come from the same reader as the serial path (:class:`~posecoach.sources.CaptureSource`,
    started at the chunk's warm-up frame), so a damaged frame is skipped here as it is there.
    """
    from posecoach.pose import PoseEstimator
    from posecoach.sources import CaptureSource

    model = Path(task.model_path) if task.model_path else None
    frames = CaptureSource(task.path, task.path, fps_hint=task.fps, start_frame=task.warm_start, seek=task.seek)
    with frames, PoseEstimator(model, verbose=task.verbose) as estimator:
        return _landmark_frames(frames, estimator, task, progress, stop)


def _landmark_frames(frames: Iterable[Frame], estimator: PoseEstimator, task: ChunkTask,
                     progress: ProgressCallback | None, stop: Any = None) -> ChunkResult:
    container_ms: list[float] = []
    normalized: list[np.ndarray] = []
    world: list[np.ndarray] = []
    result = ChunkResult(task.chunk, task.start, np.empty(0), np.empty(0), np.empty(0), (0, 0))
    result.reached_stop = task.stop is None
    pending = 0
    for frame in frames:
        if stop is not None and stop.is_set():  # the parent was interrupted: send what is done
            result.reached_stop = False
            break
        index, image, ms = task.warm_start + frame.index, frame.image, frame.container_ms
        if index == task.stop:
            result.frame_after = _frame_key(image, ms)
            result.reached_stop = True
            break
        raw = estimator.estimate_raw(image, frame.timestamp_s)
        if index >= task.start:
            if index == task.start:
                result.first_frame = _frame_key(image, ms)
                result.image_size = (image.shape[1], image.shape[0])
            container_ms.append(ms)
            normalized.append(raw.normalized if raw else np.full((NUM_LANDMARKS, 5), np.nan, np.float32))
            world.append(raw.world if raw else np.full((NUM_LANDMARKS, 3), np.nan, np.float32))
            pending += 1
            if progress is not None and pending >= PROGRESS_EVERY:
                progress(pending)
                pending = 0
    if progress is not None and pending:
        progress(pending)
    result.container_ms = np.asarray(container_ms, dtype=np.float64)
    result.normalized = np.stack(normalized) if normalized else np.empty((0, NUM_LANDMARKS, 5), np.float32)
    result.world = np.stack(world) if world else np.empty((0, NUM_LANDMARKS, 3), np.float32)
    return result
