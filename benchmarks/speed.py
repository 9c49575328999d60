"""Speed of posecoach on one clip, every stage side by side, each measured in a fresh process.

    python benchmarks/speed.py [--clip ../shared/videos/malik__kneetochest.mp4] [--repeats 2] [--jobs 2]
                               [--downscale CLIP] [--check-counts]

Rows: (a) the bare MediaPipe landmarker on frames decoded beforehand (the serial limit),
(b) decoding alone, (c) ``analyze_video`` end to end, (c2) ``analyze_video_in_chunks(jobs=N)`` (what
``analyze ONE_VIDEO`` runs by default),
(c3) serial with decoding on its own thread, (d) (c) plus the overlay drawn and written to an MP4.
Every measurement runs ``--repeats`` times, interleaved, in its own process (so model load,
imports and memory belong to it); the table gives the best and median. Wall-clock frames/s depend
on what else the machine runs, so each row also gives CPU time per frame (parent + workers),
which does not, and the load average seen. Memory is the peak over the process tree, polled from
/proc: PSS (shared pages split between processes, the honest sum) and RSS (the pessimistic one).
The engine's cost per frame is measured on the cached real-clip traces, without the model.

``--downscale`` landmarks a large clip with frames capped at several sizes before the model and
compares speed, landmarks and counts; ``--check-counts`` analyses every shared clip serially and in
chunks and compares the two summaries, and the serial counts with those of the cached trace (landmarked
before every run restarted the landmarker at the clip's parts).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import queue
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
VIDEOS = ROOT.parent / "shared" / "videos"
TRACES = ROOT / "tests" / "golden" / "traces"
GOLDEN_TABLE = ROOT / "tests" / "golden" / "expected.tsv"
DEFAULT_CLIP = VIDEOS / "malik__kneetochest.mp4"
BARE_FRAMES = 600
"""Frames decoded beforehand for (a): enough for a steady rate, without holding a whole clip in memory."""
POLL_S = 0.05
TARGETS = {"end_to_end_ratio": 1.8, "engine_us": 100.0, "memory_mb": 600.0}


# ------------------------------------------------------------------ measurements (run in a child)

def _exercise_for(clip: Path, override: str | None) -> str:
    if override:
        return override
    truth = VIDEOS / "truth.tsv"
    if truth.exists():
        with truth.open() as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                if row["file"] == clip.name:
                    return row["slug"]
    raise SystemExit(f"no exercise known for '{clip.name}': pass --exercise SLUG")


def measure_bare(clip: Path, exercise: str, jobs: int) -> dict[str, Any]:
    """(a) Model only: frames decoded beforehand, model loaded beforehand."""
    from posecoach.pose import PoseEstimator
    from posecoach.sources import open_source

    with open_source(clip) as source:
        frames = [(f.timestamp_s, f.image) for f in islice(source, BARE_FRAMES)]
    with PoseEstimator() as estimator:
        estimator.estimate_raw(frames[0][1], frames[0][0])
        with _Timing() as timing:
            for t, image in frames[1:]:
                estimator.estimate_raw(image, t)
    return timing.result(len(frames) - 1)


def measure_decode(clip: Path, exercise: str, jobs: int) -> dict[str, Any]:
    """(b) Decoding alone, through the same ``FrameSource`` the pipeline uses."""
    from posecoach.sources import open_source

    with _Timing() as timing, open_source(clip) as source:
        frames = sum(1 for _ in source)
    return timing.result(frames)


def measure_serial(clip: Path, exercise: str, jobs: int) -> dict[str, Any]:
    """(c) ``analyze_video`` end to end: open, model load, decode, landmark, engine, summary."""
    from posecoach.analysis import analyze_video

    with _Timing() as timing:
        summary = analyze_video(clip, exercise)
    return timing.result(summary.frames, counts=_counts(summary))


def measure_parallel(clip: Path, exercise: str, jobs: int) -> dict[str, Any]:
    """(c2) ``analyze_video_in_chunks``: ``jobs`` workers landmark whole parts, the engine runs over the join."""
    from posecoach.analysis import analyze_video_in_chunks

    with _Timing() as timing:
        summary = analyze_video_in_chunks(clip, exercise, jobs=jobs)
    return timing.result(summary.frames, counts=_counts(summary))


def measure_threaded(clip: Path, exercise: str, jobs: int) -> dict[str, Any]:
    """(c3) (c)'s work, but decoding on its own thread ahead of the model (a bounded queue): the same parts,
    brightness samples and exercise check, so the counts and the time are comparable with (c)'s."""
    from posecoach.analysis import BRIGHTNESS_EVERY, AnalysisSession
    from posecoach.exercises import get_exercise
    from posecoach.parallel import PartedEstimator, restarts_for
    from posecoach.sources import frame_brightness, open_source

    with _Timing() as timing, open_source(clip) as source, PartedEstimator(restarts_for(source)) as estimator:
        session = AnalysisSession(get_exercise(exercise), source.name, fps=source.fps, check_exercise=True,
                                  hold_target_prescribed=False)
        for frame in _read_ahead(iter(source)):
            if frame.index % BRIGHTNESS_EVERY == 0:
                session.brightness.append(frame_brightness(frame.image))
            session.feed(frame.timestamp_s, estimator.estimate(frame.index, frame.image, frame.timestamp_s))
        summary = session.finish()
    return timing.result(summary.frames, counts=_counts(summary))


def measure_annotated(clip: Path, exercise: str, jobs: int) -> dict[str, Any]:
    """(d) Serial analysis plus the live overlay drawn on every frame and written to an MP4."""
    import cv2

    from posecoach.analysis import AnalysisSession
    from posecoach.coach import Coach, Plan
    from posecoach.exercises import get_exercise
    from posecoach.pose import PoseEstimator
    from posecoach.sinks.overlay import render
    from posecoach.sources import open_source

    plan_exercise = get_exercise(exercise)
    coach_state = Coach(Plan.for_exercise(plan_exercise), skip_setup=True).state
    with tempfile.TemporaryDirectory() as folder, _Timing() as timing, open_source(clip) as source, \
            PoseEstimator() as estimator:
        session = AnalysisSession(plan_exercise, source.name, fps=source.fps)
        writer: Any = None
        for frame in source:
            pose = estimator.estimate(frame.image, frame.timestamp_s)
            session.feed(frame.timestamp_s, pose)
            image = render(frame.image, pose, session.engine.snapshot(), plan_exercise, coach_state)
            if writer is None:
                height, width = image.shape[:2]
                writer = cv2.VideoWriter(str(Path(folder) / "annotated.mp4"), cv2.VideoWriter_fourcc(*"mp4v"),
                                         source.fps, (width, height))
            writer.write(image)
        writer.release()
        summary = session.finish()
    return timing.result(summary.frames, counts=_counts(summary))


def measure_downscale(clip: Path, exercise: str, jobs: int, side: int) -> dict[str, Any]:
    """Landmark a clip with frames capped at ``side`` pixels before the model (0: no cap at all)."""
    import posecoach.pose as pose
    from posecoach.pose import PoseEstimator
    from posecoach.sources import open_source
    from posecoach.trace import PoseTraceBuilder

    pose.MAX_MODEL_INPUT_SIDE = side or 100_000
    with open_source(clip) as source:
        frames = [(f.timestamp_s, f.image) for f in islice(source, BARE_FRAMES)]
        builder = PoseTraceBuilder(source.name, source.fps, source.width, source.height)
    with PoseEstimator() as estimator, _Timing() as timing:
        for t, image in frames:
            builder.height, builder.width = image.shape[:2]
            builder.add(t, estimator.estimate_raw(image, t))
    path = Path(tempfile.gettempdir()) / f"posecoach-speed-{os.getpid()}.npz"
    builder.build().save(path)
    return timing.result(len(frames), trace=str(path))


MEASUREMENTS: dict[str, tuple[str, Callable[..., dict[str, Any]]]] = {
    "bare": ("(a) landmarker only, frames decoded beforehand", measure_bare),
    "decode": ("(b) decode only", measure_decode),
    "serial": ("(c) analyze end to end, serial", measure_serial),
    "parallel": ("(c2) analyze end to end, {jobs} chunks", measure_parallel),
    "threaded": ("(c3) serial with a decode thread", measure_threaded),
    "annotated": ("(d) serial + overlay written to MP4", measure_annotated),
}


def _read_ahead(frames: Iterator[Any], depth: int = 8) -> Iterator[Any]:
    """Decode on a thread, at most ``depth`` frames ahead; the decoder releases the GIL while it works."""
    buffer: queue.Queue[Any] = queue.Queue(maxsize=depth)
    done = object()

    def decode() -> None:
        try:
            for frame in frames:
                buffer.put(frame)
        finally:
            buffer.put(done)

    thread = threading.Thread(target=decode, daemon=True)
    thread.start()
    while (item := buffer.get()) is not done:
        yield item
    thread.join()


def _counts(summary: Any) -> str:
    counts = summary.rep_counts()
    holds = ";".join(f"{h.held_s:.1f}" for h in summary.holds) or "-"
    return f"{counts['total']} ({counts['left']}/{counts['right']}) holds {holds}"


class _Timing:
    """Wall and CPU time (this process and its finished children) around a block."""

    def __enter__(self) -> _Timing:
        self.cpu0 = _cpu_seconds()
        self.wall0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall0
        self.cpu = _cpu_seconds() - self.cpu0

    def result(self, frames: int, **extra: Any) -> dict[str, Any]:
        return {"frames": frames, "seconds": self.wall, "cpu_s": self.cpu, **extra}


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


# ------------------------------------------------------------------ the parent: run, poll memory, tabulate

@dataclass
class Run:
    frames: int
    seconds: float
    cpu_s: float
    pss_mb: float
    rss_mb: float
    load: float
    extra: dict[str, Any]

    @property
    def fps(self) -> float:
        return self.frames / self.seconds


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def _memory_kb(pid: int) -> tuple[int, int]:
    """(PSS, RSS) of one process in kB; zeros once it has gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            fields = dict(line.split(":", 1) for line in handle if ":" in line)
        return int(fields["Pss"].split()[0]), int(fields["Rss"].split()[0])
    except (OSError, KeyError, ValueError):
        return 0, 0


def run_child(name: str, args: argparse.Namespace, *extra: str) -> Run:
    """Run one measurement in a fresh interpreter, polling its process tree's memory meanwhile."""
    command = [sys.executable, __file__, "--child", name, "--clip", str(args.clip), "--exercise", args.exercise,
               "--jobs", str(args.jobs), *extra]
    load0 = os.getloadavg()[0]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as child:
        peak_pss = peak_rss = 0
        while child.poll() is None:
            pss, rss = (sum(values) for values in zip(*(_memory_kb(p) for p in _tree(child.pid)), strict=True))
            peak_pss, peak_rss = max(peak_pss, pss), max(peak_rss, rss)
            time.sleep(POLL_S)
        output = child.stdout.read() if child.stdout else ""
    if child.returncode != 0:
        raise SystemExit(f"measurement '{name}' failed (exit code {child.returncode}); run it alone: "
                         f"{' '.join(command)}")
    result = json.loads(output.strip().splitlines()[-1])
    frames, seconds, cpu_s = result.pop("frames"), result.pop("seconds"), result.pop("cpu_s")
    load = (load0 + os.getloadavg()[0]) / 2
    return Run(frames, seconds, cpu_s, peak_pss / 1024, peak_rss / 1024, load, result)


def engine_cost(repeats: int) -> tuple[list[float], list[float], int]:
    """CPU µs per frame of the engine alone, and of turning cached landmarks into PoseFrames, over every golden
    trace; CPU time rather than wall time, so other work on the machine does not inflate it."""
    from posecoach.analysis import replay
    from posecoach.trace import PoseTrace

    with GOLDEN_TABLE.open() as handle:
        exercises = {row["trace"]: row["exercise"] for row in csv.DictReader(handle, delimiter="\t")}
    traces = [(PoseTrace.load(TRACES / f"{name}.npz"), slug) for name, slug in exercises.items()]
    frames = sum(len(trace) for trace, _ in traces)
    engine, convert = [], []
    for _ in range(repeats):
        start = time.process_time()
        poses = [(trace, slug, list(trace.pose_frames())) for trace, slug in traces]
        convert.append((time.process_time() - start) / frames * 1e6)
        start = time.process_time()
        for trace, slug, frames_of_trace in poses:
            replay(frames_of_trace, slug, fps=trace.fps)
        engine.append((time.process_time() - start) / frames * 1e6)
    return engine, convert, frames


def _best_median(values: list[float], higher_is_better: bool = True) -> tuple[float, float]:
    return (max(values) if higher_is_better else min(values)), statistics.median(values)


def main_table(args: argparse.Namespace) -> int:
    from posecoach.sources import open_source

    with open_source(args.clip) as source:
        fps, size, count = source.fps, f"{source.width}x{source.height}", source.frame_count
    names = [n for n in MEASUREMENTS if n in args.measure and (n != "annotated" or _has_overlay())]
    print(f"clip {args.clip.name}: {size}, {fps:.2f} frames/s, {count} frames; exercise {args.exercise}; "
          f"{os.cpu_count()} cores; {args.repeats} runs each, interleaved", file=sys.stderr)
    runs: dict[str, list[Run]] = {name: [] for name in names}
    for round_index in range(args.repeats):
        for name in names:
            runs[name].append(run_child(name, args))
            last = runs[name][-1]
            print(f"  run {round_index + 1} {name}: {last.fps:.1f} frames/s", file=sys.stderr, flush=True)

    bare_best, bare_median = _best_median([r.fps for r in runs["bare"]])
    header = (f"{'measurement':44} {'frames':>6} {'fps best':>8} {'median':>7} {'x real':>6} {'/(a) best':>9} "
              f"{'median':>6} {'CPU ms/f':>8} {'PSS MB':>7} {'RSS MB':>7} {'load':>5}  counts")
    print(header)
    print("-" * len(header))
    for name in names:
        label = MEASUREMENTS[name][0].format(jobs=args.jobs)
        best, median = _best_median([r.fps for r in runs[name]])
        cpu_ms = min(r.cpu_s / r.frames * 1000 for r in runs[name])
        pss, rss = max(r.pss_mb for r in runs[name]), max(r.rss_mb for r in runs[name])
        load = statistics.median(r.load for r in runs[name])
        counts = runs[name][-1].extra.get("counts", "")
        print(f"{label:44} {runs[name][0].frames:6d} {best:8.1f} {median:7.1f} {best / fps:6.2f} "
              f"{best / bare_best:9.2f} {median / bare_median:6.2f} {cpu_ms:8.1f} {pss:7.0f} {rss:7.0f} "
              f"{load:5.1f}  {counts}")
    if "annotated" in args.measure and "annotated" not in names:
        print("(d) skipped: posecoach.sinks.overlay.render is not available")

    engine, convert, frames = engine_cost(max(args.repeats, 3))
    engine_best, engine_median = _best_median(engine, higher_is_better=False)
    convert_best, convert_median = _best_median(convert, higher_is_better=False)
    print(f"\nengine over {frames} cached real-clip frames: {engine_best:.0f} CPU µs/frame best, "
          f"{engine_median:.0f} median (+ {convert_best:.0f} µs best, {convert_median:.0f} median "
          "turning cached landmarks into PoseFrames)")
    end_to_end = [n for n in ("serial", "parallel", "threaded") if n in runs]
    best_end_to_end = max(_best_median([r.fps for r in runs[n]])[0] for n in end_to_end)
    memory = max(r.pss_mb for n in end_to_end for r in runs[n])
    ratio = best_end_to_end / bare_best
    print("targets: end to end >= {:.1f}x (a): {:.2f}x {}; engine < {:.0f} µs: {:.0f} {}; memory < {:.0f} MB: {:.0f} {}"
          .format(TARGETS["end_to_end_ratio"], ratio, _verdict(ratio >= TARGETS["end_to_end_ratio"]),
                  TARGETS["engine_us"], engine_median, _verdict(engine_median < TARGETS["engine_us"]),
                  TARGETS["memory_mb"], memory, _verdict(memory < TARGETS["memory_mb"])))
    cpu_bare = min(r.cpu_s / r.frames for r in runs["bare"])
    print(f"(a) keeps {min(r.cpu_s / r.seconds for r in runs['bare']):.2f}-"
          f"{max(r.cpu_s / r.seconds for r in runs['bare']):.2f} cores busy; at {cpu_bare * 1000:.1f} CPU ms/frame "
          f"{os.cpu_count()} idle cores could landmark at most {(os.cpu_count() or 1) / cpu_bare:.0f} frames/s "
          f"= {(os.cpu_count() or 1) / cpu_bare / bare_best:.2f}x (a)'s best")
    return 0


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def _has_overlay() -> bool:
    try:
        from posecoach.sinks.overlay import render  # noqa: F401
    except ImportError:
        return False
    return True


def main_downscale(args: argparse.Namespace) -> int:
    """Speed, landmark change and counts with frames capped at several sizes before the model."""
    from posecoach.analysis import replay
    from posecoach.trace import PoseTrace

    clip = args.downscale
    exercise = _exercise_for(clip, None)
    sides = [0, 960, 640, 480, 256]
    results: dict[int, list[Run]] = {side: [] for side in sides}
    for _ in range(args.repeats):
        for side in sides:
            results[side].append(run_child("downscale", argparse.Namespace(**{**vars(args), "clip": clip,
                                                                            "exercise": exercise}),
                                           "--side", str(side)))
    reference = PoseTrace.load(Path(results[0][0].extra["trace"]))
    print(f"{clip.name}, first {len(reference)} frames, {exercise}")
    print(f"{'cap':>6} {'fps best':>8} {'median':>7} {'mean Δ (norm.)':>14} {'found':>6}  counts")
    for side in sides:
        trace = PoseTrace.load(Path(results[side][0].extra["trace"]))
        visible = (reference.normalized[..., 3] > 0.5) & (trace.normalized[..., 3] > 0.5)
        delta = np.linalg.norm(reference.normalized[..., :2] - trace.normalized[..., :2], axis=2)[visible]
        summary = replay(trace.pose_frames(), exercise, fps=trace.fps)
        best, median = _best_median([r.fps for r in results[side]])
        found = int((~np.isnan(trace.normalized[:, 0, 0])).sum())
        print(f"{side or 'none':>6} {best:8.1f} {median:7.1f} {float(delta.mean()):14.4f} {found:6d}  "
              f"{_counts(summary)}")
    for runs in results.values():
        for run in runs:
            Path(run.extra["trace"]).unlink(missing_ok=True)
    return 0


def main_check_counts(args: argparse.Namespace) -> int:
    """Every shared clip: the chunked summary must be the serial one, whole; and the serial counts are
    compared with the cached trace's (landmarked without restarts at the parts)."""
    from posecoach.analysis import analyze_video, analyze_video_in_chunks, replay
    from posecoach.parallel import part_starts
    from posecoach.sources import open_source
    from posecoach.trace import PoseTrace

    def row(summary: Any) -> tuple[Any, ...]:
        counts = summary.rep_counts()
        return (counts["total"], counts["left"], counts["right"], tuple(round(h.held_s, 1) for h in summary.holds),
                tuple(sorted({w.code for w in summary.warnings})))

    with GOLDEN_TABLE.open() as handle:
        exercises = {r["trace"]: r["exercise"] for r in csv.DictReader(handle, delimiter="\t")}
    same = split = unchanged = 0
    for name, exercise in exercises.items():
        clip = next(VIDEOS.glob(f"{name}.*"), None)
        if clip is None:
            continue
        with open_source(clip) as probe:
            parts = len(part_starts(probe.frame_count or 0, probe.fps))
        start = time.perf_counter()
        serial = analyze_video(clip, exercise)
        serial_s = time.perf_counter() - start
        start = time.perf_counter()
        chunked = analyze_video_in_chunks(clip, exercise, jobs=args.jobs) if parts > 1 else serial
        chunked_s = time.perf_counter() - start
        cached = PoseTrace.load(TRACES / f"{name}.npz")
        before = row(replay(cached.pose_frames(), exercise, fps=cached.fps))
        identical = chunked.to_dict() == serial.to_dict()
        same += identical
        split += parts > 1
        unchanged += row(serial) == before
        print(f"{name:32} {serial.frames:5d} frames {parts} parts  serial {serial.frames / serial_s:5.1f} fps"
              + (f"  chunked {serial.frames / chunked_s:5.1f} fps" if parts > 1 else "  (not split)             ")
              + f"  summary {'IDENTICAL' if identical else 'DIFFERS'}  {row(serial)}"
              + ("" if row(serial) == before else f"  without parts {before}"), flush=True)
    print(f"{same}/{len(exercises)} chunked summaries identical to the serial ones ({split} clips split); "
          f"{unchanged}/{len(exercises)} serial counts as before parts")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=DEFAULT_CLIP)
    parser.add_argument("--exercise", help="catalogue slug; default: the clip's row in truth.tsv")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--measure", nargs="+", choices=list(MEASUREMENTS), default=list(MEASUREMENTS),
                        help="rows to measure (default: all); 'bare' and one of 'serial'/'parallel' are needed")
    parser.add_argument("--downscale", type=Path, metavar="CLIP", help="study capping frame size on CLIP instead")
    parser.add_argument("--check-counts", action="store_true", help="compare parallel counts on every shared clip")
    parser.add_argument("--child", choices=[*MEASUREMENTS, "downscale"], help=argparse.SUPPRESS)
    parser.add_argument("--side", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        function = measure_downscale if args.child == "downscale" else MEASUREMENTS[args.child][1]
        extra = (args.side,) if args.child == "downscale" else ()
        print(json.dumps(function(args.clip, args.exercise, args.jobs, *extra)))
        return 0
    if args.check_counts:
        return main_check_counts(args)
    if args.downscale:
        return main_downscale(args)
    if not args.clip.exists():
        print(f"no clip at {args.clip}: pass --clip VIDEO (the shared clips sit in ../shared/videos)", file=sys.stderr)
        return 1
    args.exercise = _exercise_for(args.clip, args.exercise)
    return main_table(args)


if __name__ == "__main__":
    sys.exit(main())
