"""Landmark one video in parallel: contiguous chunks, one pose model per worker process.

The landmark stage costs ~16-30 ms per frame on one core and is the whole of a serial run's time,
so a video's frames are split into ``jobs`` chunks landmarked side by side and joined back into one
:class:`~posecoach.trace.PoseTrace`, which the engine then replays exactly like the serial stream.

What makes the joined trace the serial one, bit for bit:

- **Parts, the same for every run.** VIDEO mode tracks the person from frame to frame (each frame's
  landmarks choose the next frame's crop) and smooths landmarks over time, and two landmarkers that
  started at different frames never agree again while the person stays in view: after a second of
  warm-up, or at any overlap, they stay ~0.003-0.03 of the frame apart for good (measured on the
  shared clips; they meet only where both lose the person), enough to move a hold on a threshold by
  0.2 s. So a recorded video is cut into parts that depend on the clip alone (:func:`part_starts`:
  four equal parts, or two, or one, by its length), and *every* run, serial or chunked or in a batch,
  starts a fresh landmarker at each part (:class:`PartedEstimator`). A chunk is a run of whole parts,
  so its worker does exactly what the serial run does there.
- **The model's clock starts at each part.** A worker's reader counts time from its first frame, the
  serial reader from the clip's; the landmarker smooths over the milliseconds between frames, so
  both give it times since the part's first frame. They agree unless the container's clock repeats
  or jumps inside a part; the parent checks that on the positions the workers report, and when they
  disagree (or a chunk met damaged frames) the caller runs serially.

- **Seeking is checked, not trusted.** Each worker seeks with ``CAP_PROP_POS_FRAMES`` (frame-exact
  on all 31 shared clips, measured) and every seam is verified: chunk *k* decodes one frame past its
  end, and its hash and container time must equal chunk *k+1*'s first frame. A mismatch re-runs the
  later chunks decoding from the start and skipping (``grab``), which is always exact.
- **Timestamps follow the serial rule.** Workers return the container's ``CAP_PROP_POS_MSEC`` per
  frame; the parent recomputes every timestamp over the whole clip with
  :class:`~posecoach.sources.ContainerClock`,
  the rule of ``CaptureSource`` (its only history-dependent step needs the previous frame, which a
  worker that starts mid-clip does not have).

Processes are started with ``spawn`` (MediaPipe's native threads and fork do not mix), so each
worker pays an interpreter start and a model load (~1-2 s): clips too short for two parts run
serially.
"""

from __future__ import annotations

import contextlib
import dataclasses
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
from posecoach.sources import ContainerClock, frame_brightness
from posecoach.trace import PoseTrace, PoseTraceBuilder

if TYPE_CHECKING:
    from posecoach.landmarks import PoseFrame, RawPose
    from posecoach.pose import PoseEstimator
    from posecoach.sources import Frame, FrameSource

ProgressCallback = Callable[[int], None]

MAX_PARTS = 4
"""Parts of a long recorded video, so up to four workers; each part boundary costs every run one
landmarker start (~0.2-0.5 s) and the model's first-frame answer there, so not more."""
MIN_PART_S = 3.0
"""A part shorter than this would cost a worker more in start-up than it saves."""
PROGRESS_EVERY = 8
"""Frames per progress message from a worker: often enough for a progress bar, cheap on the queue."""
START_METHOD: Final = "spawn"
POLL_S = 0.2
LAST_WORDS_S = 2.0


def part_starts(frame_count: int, fps: float, min_part_s: float = MIN_PART_S) -> tuple[int, ...]:
    """The first frame of each part of a recorded video: four equal parts, two, or one (the clip is
    shorter than two parts of ``min_part_s``). Only the clip decides, never the number of workers."""
    fitting = int(frame_count / max(min_part_s * fps, 1.0))
    parts = MAX_PARTS
    while parts > 1 and parts > fitting:
        parts //= 2
    return tuple(round(i * frame_count / parts) for i in range(parts))


def restarts_for(frames: FrameSource, min_part_s: float | None = None) -> tuple[int, ...]:
    """Where a run over ``frames`` starts a fresh landmarker: the parts of a recorded video file;
    only the first frame of a camera, stream or image folder, which are never split."""
    from posecoach.sources import CaptureSource

    if isinstance(frames, CaptureSource) and not frames.is_live and frames.frame_count:
        return part_starts(frames.frame_count, frames.fps, MIN_PART_S if min_part_s is None else min_part_s)
    return (0,)


class PartedEstimator:
    """The pose estimator of every run over a recorded video: a fresh landmarker at each part's first frame.

    Tracking and smoothing state cannot be handed to a worker, so the serial run gives it up at the
    same frames a worker starts from; starting afresh costs one model load (~0.2-0.5 s) per part.
    """

    def __init__(self, restarts: Iterable[int], model_path: Path | None = None, *, verbose: bool = False) -> None:
        self.restarts = frozenset(restarts)
        self.model_path, self.verbose = model_path, verbose
        self._stack = contextlib.ExitStack()
        self._estimator = self._start()
        self._fresh = True
        self._part_t0 = 0.0

    def _start(self) -> PoseEstimator:
        from posecoach.pose import PoseEstimator

        return self._stack.enter_context(PoseEstimator(self.model_path, verbose=self.verbose))

    def _model_time(self, index: int, timestamp_s: float) -> float:
        """Seconds since the part's first frame, starting a fresh landmarker there."""
        if index in self.restarts or self._fresh:
            if not self._fresh:
                self._stack.close()
                self._estimator = self._start()
            self._part_t0 = timestamp_s
        self._fresh = False
        return timestamp_s - self._part_t0

    def estimate_raw(self, index: int, image: np.ndarray, timestamp_s: float) -> RawPose | None:
        """The model's answer for frame ``index`` of the video (counted from its first frame)."""
        model_t = self._model_time(index, timestamp_s)  # before naming the estimator: this may start a new one
        return self._estimator.estimate_raw(image, model_t)

    def estimate(self, index: int, image: np.ndarray, timestamp_s: float) -> PoseFrame | None:
        """The pose in frame ``index``, stamped with the stream's ``timestamp_s`` (not the model's)."""
        model_t = self._model_time(index, timestamp_s)
        pose = self._estimator.estimate(image, model_t)
        return None if pose is None else dataclasses.replace(pose, timestamp_s=timestamp_s)

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> PartedEstimator:
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stack.__exit__(*exc)


class ProgressOnce:
    """Relays progress to ``on_frame`` once per frame of the video, however many passes read it.

    A chunked pass that gives way to a serial one (damaged frames, a container clock that jumps inside
    a part) has already moved the bar: the serial pass moves it only past what the chunks reported.
    """

    def __init__(self, on_frame: ProgressCallback) -> None:
        self._on_frame = on_frame
        self._shown = 0
        self._done = 0

    def __call__(self, frames: int) -> None:
        self._done += frames
        if self._done > self._shown:
            self._on_frame(self._done - self._shown)
            self._shown = self._done

    def next_pass(self) -> ProgressOnce:
        """This relay, for a new pass from the video's first frame."""
        self._done = 0
        return self


def progress_once(on_frame: ProgressCallback | None) -> ProgressOnce | None:
    return None if on_frame is None else ProgressOnce(on_frame)


@dataclass(frozen=True)
class ChunkTask:
    """What one worker landmarks: frames ``[start, stop)``, a fresh landmarker at each of ``restarts``.

    ``stop`` is None for the last chunk, which reads to the end: container frame counts are estimates.
    """

    chunk: int
    path: str
    fps: float
    start: int
    stop: int | None
    restarts: tuple[int, ...]
    seek: bool
    model_path: str | None
    verbose: bool
    brightness_every: int = 0


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
    brightness: list[float] = dataclasses.field(default_factory=list)
    read_cleanly: bool = True
    """No damaged frame was skipped and the reader did not stop short of the container's length."""


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


@dataclass
class LandmarkedVideo:
    """A video landmarked in chunks: the trace, and what the serial analysis sees of the pixels besides."""

    trace: PoseTrace
    brightness: list[float]
    """Brightness of every ``brightness_every``-th frame, in order, as the serial analysis samples it."""
    serial_equivalent: bool
    """The serial run's landmarks for sure: every worker gave the model the serial run's times, no
    frame was skipped as damaged and the video was not cut short (only a serial read says where)."""


def landmark_video(source: str | os.PathLike[str], *, jobs: int, model_path: Path | None = None,
                   verbose: bool = False, on_frame: ProgressCallback | None = None,
                   min_part_s: float | None = None, seek: bool = True) -> PoseTrace:
    """Landmark a whole video with ``jobs`` worker processes and return its trace in frame order.

    Frames, timestamps and landmarks are those of the serial path (:func:`landmark_serial`), bit for
    bit. ``jobs=1``, live sources, image folders and clips of one part run serially in this process.
    ``on_frame(n)`` is called as frames are done, summed over workers. ``seek=False`` makes
    workers decode from the start and skip, for containers whose seeking is inexact.
    """
    progress = progress_once(on_frame)
    chunked = landmark_in_chunks(source, jobs=jobs, model_path=model_path, verbose=verbose, on_frame=progress,
                                 min_part_s=min_part_s, seek=seek)
    if chunked is not None and chunked.serial_equivalent:
        return chunked.trace
    return landmark_serial(source, model_path=model_path, verbose=verbose,
                           on_frame=progress.next_pass() if progress else None, min_part_s=min_part_s)


def landmark_in_chunks(source: str | os.PathLike[str], *, jobs: int, model_path: Path | None = None,
                       verbose: bool = False, on_frame: ProgressCallback | None = None,
                       min_part_s: float | None = None, seek: bool = True,
                       brightness_every: int = 0) -> LandmarkedVideo | None:
    """:func:`landmark_video`'s chunked path; None when the video is not split (``jobs=1``, one part,
    not a recorded file), so the caller runs serially. ``brightness_every`` > 0 samples frame brightness."""
    from posecoach.sources import open_source

    with open_source(source) as probe:
        restarts = restarts_for(probe, min_part_s)
        fps, name, size = probe.fps, probe.name, (probe.width, probe.height)
    chunks = _plan_chunks(restarts, jobs)
    if len(chunks) < 2:
        return None
    tasks = [ChunkTask(i, os.fspath(source), fps, start, stop, restarts, seek and start > 0,
                     str(model_path) if model_path else None, verbose, brightness_every)
             for i, (start, stop) in enumerate(chunks)]
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
        redo = [dataclasses.replace(task, seek=False) for task in tasks[bad:]]
        results = results[:bad] + _run_chunks(redo, None)
        bad = _first_bad_seam(results)
    if bad is not None:
        raise SourceError(f"'{name}' decodes differently when read in parts (frame {results[bad].start}); "
                          "analyse it with --jobs 1")
    read = _kept(results)
    equivalent = (all(r.read_cleanly for r in read) and read[-1] is results[-1]
                  and _same_model_times(read, restarts, fps))
    return LandmarkedVideo(_join(read, name, fps, size), [b for r in read for b in r.brightness], equivalent)


def landmark_serial(source: str | os.PathLike[str], *, model_path: Path | None = None, verbose: bool = False,
                    on_frame: ProgressCallback | None = None, min_part_s: float | None = None) -> PoseTrace:
    """The serial path, exactly as ``analyze_video`` runs it: one source, frame by frame, a fresh
    landmarker at each part."""
    from posecoach.sources import open_source

    with open_source(source) as frames, \
            PartedEstimator(restarts_for(frames, min_part_s), model_path, verbose=verbose) as estimator:
        builder = PoseTraceBuilder(frames.name, frames.fps, frames.width, frames.height)
        try:
            for frame in frames:
                builder.height, builder.width = frame.image.shape[:2]
                builder.add(frame.timestamp_s, estimator.estimate_raw(frame.index, frame.image, frame.timestamp_s))
                if on_frame is not None:
                    on_frame(1)
        except KeyboardInterrupt as interruption:
            interruption.partial_trace = builder.build()  # type: ignore[attr-defined]
            raise
    return builder.build()


def _plan_chunks(restarts: tuple[int, ...], jobs: int) -> list[tuple[int, int | None]]:
    """``(start, stop)`` per chunk: runs of whole parts, as even as the parts allow (the last reads to the end)."""
    jobs = min(jobs, len(restarts))
    if jobs < 2:
        return []
    firsts = [restarts[round(i * len(restarts) / jobs)] for i in range(jobs)]
    return [(start, stop) for start, stop in itertools.zip_longest(firsts, firsts[1:])]


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


def _same_model_times(results: list[ChunkResult], restarts: tuple[int, ...], fps: float) -> bool:
    """Each worker gave the model the times since its part's start that the serial run gives it:
    the serial reader's clock replayed over the whole clip, the worker's from its chunk's first frame."""
    serial = _model_times(np.concatenate([r.container_ms for r in results]), 0, restarts, fps)
    workers = [_model_times(r.container_ms, r.start, restarts, fps) for r in results]
    return bool(np.array_equal(serial, np.concatenate(workers)))


def _model_times(container_ms: np.ndarray, first: int, restarts: tuple[int, ...], fps: float) -> np.ndarray:
    """What :class:`PartedEstimator` hands the model for frames ``first, first + 1, ...`` read by a fresh reader."""
    clock = ContainerClock(fps)
    times, part_t0 = [], 0.0
    for index, ms in enumerate(container_ms, start=first):
        t = clock(float(ms))
        if index in restarts or index == first:
            part_t0 = t
        times.append(t - part_t0)
    return np.asarray(times, dtype=np.float64)


def _kept(results: list[ChunkResult]) -> list[ChunkResult]:
    """Chunks up to one that ended early, as the serial read would stop there."""
    kept: list[ChunkResult] = []
    for result in results:
        kept.append(result)
        if not result.reached_stop:
            break
    return kept


def _join(results: list[ChunkResult], name: str, fps: float, size: tuple[int, int]) -> PoseTrace:
    """Concatenate chunks (up to one that ended early) and time them."""
    kept = _kept(results)
    container_ms = np.concatenate([r.container_ms for r in kept])
    clock = ContainerClock(fps)
    timestamps = np.array([clock(float(ms)) for ms in container_ms], dtype=np.float64)
    width, height = next((r.image_size for r in kept if r.image_size != (0, 0)), size)
    return PoseTrace(name, fps, width, height, timestamps,
                     np.concatenate([r.normalized for r in kept]), np.concatenate([r.world for r in kept]))


def _frame_key(image: np.ndarray, container_ms: float) -> tuple[str, float]:
    return hashlib.blake2b(image.tobytes(), digest_size=16).hexdigest(), container_ms


def _worker(task: ChunkTask, messages: Any, stop: Any = None) -> None:
    """Process entry point: landmark one chunk, send the result (or the error) to the parent, and exit.

    ``stop`` set (the parent was interrupted) ends the chunk early: what was landmarked is sent.
    Once the answer is through the pipe the process ends at once: tearing its interpreter down (MediaPipe,
    cv2 and numpy freed module by module) took ~0.2 s that the parent spent waiting in ``join``.
    """
    ignore_interrupts()
    try:
        messages.put(("done", task.chunk, landmark_chunk(task, lambda n: messages.put(("progress", task.chunk, n)),
                                                         stop)))
    except BaseException as exc:
        error = exc if isinstance(exc, PoseCoachError) else PoseCoachError(
            f"landmarking part {task.chunk + 1} failed: {type(exc).__name__}: {exc}")
        messages.put(("error", task.chunk, error))
    messages.close()
    messages.join_thread()  # the answer has left this process
    os._exit(0)


def landmark_chunk(task: ChunkTask, progress: ProgressCallback | None = None, stop: Any = None) -> ChunkResult:
    """Decode and landmark one chunk in this process (the body of a worker; callable directly in tests).

    Frames come from the same reader as the serial path (:class:`~posecoach.sources.CaptureSource`,
    started at the chunk's first frame), so a damaged frame is skipped here as it is there.
    """
    from posecoach.sources import CaptureSource

    model = Path(task.model_path) if task.model_path else None
    frames = CaptureSource(task.path, task.path, fps_hint=task.fps, start_frame=task.start, seek=task.seek)
    with frames, PartedEstimator(task.restarts, model, verbose=task.verbose) as estimator:
        result = _landmark_frames(frames, estimator, task, progress, stop)
    result.read_cleanly = not frames.stats.frames_skipped and not frames.stats.stopped_early
    return result


def _landmark_frames(frames: Iterable[Frame], estimator: PartedEstimator, task: ChunkTask,
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
        index, image, ms = task.start + frame.index, frame.image, frame.container_ms
        if index == task.stop:
            result.frame_after = _frame_key(image, ms)
            result.reached_stop = True
            break
        raw = estimator.estimate_raw(index, image, frame.timestamp_s)
        if task.brightness_every and index % task.brightness_every == 0:
            result.brightness.append(frame_brightness(image))
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
