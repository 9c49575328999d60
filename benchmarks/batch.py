"""A folder of real clips three ways, side by side in one run: serial, local processes, local Ray.

    nice -n 15 python benchmarks/batch.py [--clips 8] [--min-frames 180] [--jobs 2] [--no-stride]

Each way runs in its own fresh process, one after the other (never two at once), over the same
clips: (1) serial, ``analyze_video`` one video after another, as ``analyze A B C --jobs 1``;
(2) today's local processes, ``analyze DIR --jobs N`` (its pool of ``_analyze_quietly``); (3) a Ray started on
this machine (``analyze DIR --ray``: ``connect('local')`` + ``run_on_ray``), the time to start Ray
included. It prints wall time, frames/s and speed-up over serial, checks that every video's
summary is identical in all three, and gives Ray's overhead: the fixed cost (starting Ray and one
warm worker per core) and, per video, the time a worker was not analysing (dispatch, result
transfer, waiting for the last video).

``--no-stride`` skips the frame-stride check: for every cached real-clip trace recorded above
30 frames/s, the engine is replayed on every other pose (what landmarking every other frame would
feed it, at best) and its counts are compared with the golden table's.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VIDEOS = ROOT.parent / "shared" / "videos"


def pick_clips(folder: Path, count: int, min_frames: int) -> list[tuple[str, str, int]]:
    """The ``count`` shortest real clips of at least ``min_frames`` frames, with their exercise."""
    import cv2

    with (folder / "truth.tsv").open() as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    clips = []
    for row in rows:
        if row["file"].endswith(".gif"):
            continue
        capture = cv2.VideoCapture(str(folder / row["file"]))
        frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        capture.release()
        if frames >= min_frames:
            clips.append((str(folder / row["file"]), row["slug"], frames))
    clips.sort(key=lambda clip: (clip[2], clip[0]))
    return clips[:count]


# ------------------------------------------------------------------ the three ways (each in a child)


def run_serial(clips: list[list[str]], jobs: int) -> dict[str, Any]:
    from posecoach.analysis import analyze_video

    started = time.perf_counter()
    summaries = []
    for path, exercise in clips:
        summaries.append(analyze_video(path, exercise).to_dict())
    return {"wall_s": time.perf_counter() - started, "summaries": summaries}


def run_processes(clips: list[list[str]], jobs: int) -> dict[str, Any]:
    """Today's ``analyze A B C --jobs N``: a process pool over ``_analyze_quietly``, one task per video
    (the CLI takes one exercise per run; the pool itself takes one per task, so the clips mix here)."""
    from concurrent.futures import ProcessPoolExecutor

    from posecoach.cli.analyze import _analyze_quietly

    started = time.perf_counter()
    tasks = [(path, exercise, "auto", None, False, None, None) for path, exercise in clips]
    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks))) as pool:
        summaries = [r.to_dict() if not isinstance(r, str) else r for r in pool.map(_analyze_quietly, tasks)]
    return {"wall_s": time.perf_counter() - started, "summaries": summaries}


def run_ray(clips: list[list[str]], jobs: int) -> dict[str, Any]:
    from posecoach.batch import BatchItem, BatchResult, VideoAnalyser, connect, run_on_ray

    class TimedAnalyser(VideoAnalyser):
        def analyse(self, item: BatchItem, data: bytes | None = None) -> Any:
            began = time.time()
            summary, error = super().analyse(item, data)
            if summary is not None:
                summary.bench = (os.getpid(), began, time.time())  # type: ignore[attr-defined]
            return summary, error

    started, wall_clock = time.perf_counter(), time.time()
    shutdown = connect("local")
    todo = [BatchResult(BatchItem(path, exercise)) for path, exercise in clips]
    connected = time.perf_counter()
    try:
        import ray

        workers = int(ray.cluster_resources().get("CPU", 1))
        first: list[float] = []
        results = run_on_ray(todo, on_result=lambda r: first.append(time.time()), analyser=TimedAnalyser)
        wall = time.perf_counter() - started
    finally:
        shutdown()
    spans = [r.summary.bench for r in results if r.summary is not None]  # type: ignore[attr-defined]
    began = min(span[1] for span in spans)
    busy = sum(span[2] - span[1] for span in spans)
    ended = max(first)
    by_source = {r.item.video: r.summary.to_dict() for r in results if r.summary is not None}
    return {"wall_s": wall, "connect_s": connected - started, "workers": workers,
            "first_video_start_s": began - wall_clock,
            "analysis_busy_s": busy, "pool_span_s": ended - began,
            "summaries": [by_source.get(path) for path, _ in clips]}


WAYS = {"serial": run_serial, "processes": run_processes, "ray": run_ray}


def child(way: str, clips_json: str, jobs: int) -> None:
    clips = json.loads(clips_json)
    print(json.dumps(WAYS[way](clips, jobs)))


def measure(way: str, clips: list[tuple[str, str, int]], jobs: int) -> dict[str, Any]:
    payload = json.dumps([[path, exercise] for path, exercise, _ in clips])
    done = subprocess.run([sys.executable, __file__, "--child", way, "--payload", payload, "--jobs", str(jobs)],
                          capture_output=True, text=True, check=False, cwd=ROOT)
    if done.returncode:
        raise SystemExit(f"{way} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------ frame stride on cached traces


def stride_check() -> list[tuple[str, float, str, str]]:
    from posecoach.analysis import replay
    from posecoach.trace import PoseTrace

    sys.path.insert(0, str(ROOT))
    from tests.golden.regenerate import GOLDEN, golden_row, read_expected

    rows = []
    for expected in read_expected():
        trace = PoseTrace.load(GOLDEN / "traces" / f"{expected['trace']}.npz")
        if trace.fps <= 30.5:
            continue
        frames = list(trace.pose_frames())[::2]
        summary = replay(frames, expected["exercise"], source=trace.source, fps=trace.fps / 2)
        counts = summary.rep_counts()
        strided = {**golden_row(expected["trace"], expected["exercise"]), "reps": str(counts["total"]),
                   "left": str(counts["left"]), "right": str(counts["right"]),
                   "holds_s": ";".join(f"{h.held_s:.1f}" for h in summary.holds) or "-",
                   "warnings": ",".join(sorted({w.code for w in summary.warnings})) or "-"}
        keys = ("reps", "left", "right", "holds_s", "warnings")
        rows.append((expected["trace"], trace.fps, " ".join(expected[k] for k in keys),
                     " ".join(strided[k] for k in keys)))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--videos", type=Path, default=VIDEOS)
    parser.add_argument("--clips", type=int, default=8)
    parser.add_argument("--min-frames", type=int, default=180)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--no-stride", action="store_true")
    parser.add_argument("--child", choices=sorted(WAYS))
    parser.add_argument("--payload")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.payload, args.jobs)
        return 0
    if not (args.videos / "truth.tsv").exists():
        raise SystemExit(f"no real clips: {args.videos}/truth.tsv is absent")
    clips = pick_clips(args.videos, args.clips, args.min_frames)
    frames = sum(clip[2] for clip in clips)
    print(f"{len(clips)} clips, {frames} frames, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}:")
    for path, exercise, count in clips:
        print(f"  {Path(path).name} ({exercise}, {count} frames)")
    results = {}
    for way in WAYS:
        results[way] = measure(way, clips, args.jobs)
        print(f"  ... {way} done in {results[way]['wall_s']:.1f} s (load {os.getloadavg()[0]:.1f})", flush=True)
    serial = results["serial"]["wall_s"]
    print(f"\n{'way':<22}{'wall s':>8}{'frames/s':>10}{'speed-up':>10}  identical to serial")
    for way, label in (("serial", "serial"), ("processes", f"processes --jobs {args.jobs}"), ("ray", "local Ray")):
        same = sum(a == b for a, b in zip(results[way]["summaries"], results["serial"]["summaries"], strict=True))
        wall = results[way]["wall_s"]
        print(f"{label:<22}{wall:>8.1f}{frames / wall:>10.1f}{serial / wall:>9.2f}x  {same}/{len(clips)} videos")
    ray = results["ray"]
    workers = ray["workers"]
    idle = (ray["pool_span_s"] * workers - ray["analysis_busy_s"]) / len(clips)
    print(f"\nRay: {workers} workers; starting Ray took {ray['connect_s']:.1f} s and the first video began "
          f"{ray['first_video_start_s']:.1f} s after the start (fixed cost, "
          f"{ray['first_video_start_s'] / len(clips):.2f} s per video over {len(clips)});")
    print(f"     workers analysed for {ray['analysis_busy_s']:.1f} s in all vs serial's {serial:.1f} s; "
          f"not analysing {idle:.2f} s per video between the first start and the last result "
          "(dispatch, transfer, the tail)")
    if not args.no_stride:
        print("\nFrame stride 2 on the cached traces above 30 frames/s (reps left right holds warnings):")
        rows = stride_check()
        for name, fps, full, strided in rows:
            print(f"  {name:<34} {fps:5.1f} fps  every frame: {full:<28} every 2nd: {strided}"
                  f"{'' if full == strided else '   <- differs'}")
        print(f"  {sum(full == strided for *_, full, strided in rows)}/{len(rows)} identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
