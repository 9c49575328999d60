"""A fuzz run of the video reader: truncated and byte-flipped clips never crash the process.

Each mutant is read in its own process, so a crash in FFmpeg's C code (a segfault, an abort) shows
as a signal exit instead of taking pytest down. The reader runs through ``open_source`` exactly as
``posecoach analyze`` uses it, minus the pose model, which is not what is fuzzed here; a few mutants
also go through the whole CLI to check the user sees one clean line or a partial summary.

The mutants come from two tiny generated clips (40 frames of 64x48): an MP4 (index at the end, so
most cuts lose it) and an MJPG AVI (every frame stands alone, so most damage is survivable).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest

READ_EVERYTHING = """
import json, sys
from posecoach.errors import PoseCoachError
from posecoach.sources import open_source
try:
    with open_source(sys.argv[1]) as source:
        times = [frame.timestamp_s for frame in source]
    print(json.dumps({"frames": len(times), "increasing": all(b > a for a, b in zip(times, times[1:])),
                      "partial": source.stats.stopped_early, "note": source.stats.error}))
except PoseCoachError as exc:
    print(json.dumps({"error": str(exc)}))
"""
MUTANTS_PER_CLIP = 10
SEED = 20250301


def _clip(path: Path, fourcc: str) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), 30.0, (64, 48))
    rng = np.random.default_rng(0)
    for i in range(40):
        image = rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)
        cv2.putText(image, str(i), (4, 32), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255), 2)
        writer.write(image)
    writer.release()
    return path


def mutate(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    """Cut the file short, flip some bits, or both: what a failed copy or a bad SD card does."""
    how = rng.choice(["truncate", "flip", "flip+truncate"])
    mutant = bytearray(data)
    if "flip" in how:
        for _ in range(rng.randint(1, 40)):
            position = rng.randrange(len(mutant))
            mutant[position] ^= 1 << rng.randrange(8)
    if "truncate" in how:
        mutant = mutant[: rng.randrange(1, len(mutant))]
    return how, bytes(mutant)


@pytest.fixture(scope="module")
def mutants(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """``MUTANTS_PER_CLIP`` reproducible mutants of each generated clip (seeded)."""
    folder = tmp_path_factory.mktemp("mutants")
    rng = random.Random(SEED)
    paths = []
    for clip in (_clip(folder / "clip.mp4", "mp4v"), _clip(folder / "clip.avi", "MJPG")):
        data = clip.read_bytes()
        for n in range(MUTANTS_PER_CLIP):
            how, mutant = mutate(data, rng)
            path = folder / f"{clip.stem}-{n:02d}-{how}{clip.suffix}"
            path.write_bytes(mutant)
            paths.append(path)
    return paths


def read_in_a_process(path: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-c", READ_EVERYTHING, str(path)], capture_output=True, timeout=120)


@pytest.mark.slow
def test_no_mutant_crashes_the_reader_and_every_outcome_is_clean(mutants: list[Path]) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(mutants, pool.map(read_in_a_process, mutants), strict=True))
    outcomes = []
    for path, result in results.items():
        assert result.returncode == 0, (path.name, result.returncode, result.stderr.decode(errors="replace"))
        assert result.stderr == b"", f"{path.name} printed on stderr: {result.stderr[:300]!r}"
        outcome = json.loads(result.stdout)
        if "error" in outcome:
            assert "\n" not in outcome["error"]
            outcomes.append("error")
            continue
        assert outcome["frames"] >= 1 and outcome["increasing"], (path.name, outcome)
        assert outcome["partial"] == (outcome["note"] is not None), (path.name, outcome)
        outcomes.append("partial" if outcome["partial"] else "whole")
    assert len(set(outcomes)) >= 2, f"the mutants exercised only one outcome: {outcomes}"


@pytest.mark.slow
@pytest.mark.parametrize("index", [0, 3, MUTANTS_PER_CLIP, MUTANTS_PER_CLIP + 5], ids=["mp4-a", "mp4-b", "avi-a",
                                                                                         "avi-b"])
def test_the_cli_on_a_mutant_says_one_line_or_gives_a_summary(mutants: list[Path], index: int) -> None:
    """Up to the point the model would load: an input error is one line, else the summary follows."""
    path = mutants[index]
    result = subprocess.run([sys.executable, "-m", "posecoach", "analyze", str(path), "-e", "plank", "--no-save",
                             "--format", "json", "--model", str(path.parent / "no-model.task")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    # The source is opened before the model: a readable mutant gets as far as the (missing) model.
    assert lines[0].startswith(("Error: pose model not found", "Error: cannot read", "Error: '")), lines[0]
