"""Landmark the real clips in ../shared/videos once and cache them as pose traces.

The cache feeds the golden regression test and the accuracy benchmark, which then replay the
clips through features and engine without MediaPipe. Rerun it after changing the model or the
pose stage (``--force``), then review the golden table.

    python benchmarks/cache_landmarks.py [--videos ../shared/videos] [--output tests/golden/traces]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from posecoach.parallel import landmark_serial

ROOT = Path(__file__).resolve().parent.parent
VIDEO_SUFFIXES = {".mp4", ".gif", ".mov", ".avi", ".mkv", ".webm"}


def cache_clip(video: Path, output: Path) -> tuple[int, int, float]:
    """Landmark ``video`` exactly as ``posecoach analyze`` does (a fresh landmarker at each of its
    parts, :func:`posecoach.parallel.landmark_serial`), so replaying the cache is replaying analyze."""
    start = time.perf_counter()
    trace = landmark_serial(video)
    trace.save(output)
    found = sum(pose is not None for _, pose in trace.pose_frames())
    return len(trace), found, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=Path, default=ROOT.parent / "shared" / "videos")
    parser.add_argument("--output", type=Path, default=ROOT / "tests" / "golden" / "traces")
    parser.add_argument("--force", action="store_true", help="recompute traces that exist")
    args = parser.parse_args()
    if not args.videos.is_dir():
        print(f"no videos folder at {args.videos}", file=sys.stderr)
        return 1
    args.output.mkdir(parents=True, exist_ok=True)
    for video in sorted(p for p in args.videos.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES):
        target = args.output / f"{video.stem}.npz"
        if target.exists() and not args.force:
            continue
        frames, found, seconds = cache_clip(video, target)
        print(f"{video.name}: {frames} frames, pose in {found}, {frames / seconds:.1f} frames/s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
