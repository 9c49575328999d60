"""Render the synthetic benchmark suite: every scripted exercise x views x fault / hard-condition mixes.

Clips go to a cache folder outside git (default ``~/.cache/posecoach/synth-suite``), each as
``<name>.mp4`` + ``<name>.truth.json`` (+ ``<name>.joints.npz``); a clip whose truth file exists is
skipped, so an interrupted run resumes where it stopped. The accuracy benchmark scores posecoach's
counts on these against the exact truth. Rendering is the slow part (~20-60 frames/s at 640x480 on
two cores); the whole suite is a few hundred clips, so run it in the background once.

    python benchmarks/render_suite.py [--output DIR] [--exercises a,b] [--views side,oblique]
                                      [--size 640x480] [--limit N] [--dry-run]

``--random N --seed S`` renders instead N clips drawn by :mod:`posecoach.synth.random_suite`:
camera anywhere the exercise's views allow (either side, obliques from both ends, end-on for
exercises lying on the back), portrait 360x640 or landscape 480x360, body size, tempo, range of
motion, one leg or alternating, lead-ins and tails, and one fault in about half the clips; every
choice is recorded in the truth file's ``variation``. Clip i depends only on (S, i), so a larger N
extends a smaller one. ``--exercises`` filters the drawn clips; ``--views`` and ``--size`` do not apply.

    python benchmarks/render_suite.py --random 120 --seed 7 --output /work/synth-random

``--laptop`` renders instead twelve clips filmed as by a laptop on a table 2 m from the mat,
looking down at 30-36° (the random suites film floor exercises from at most 22-32° above), the
main user's camera, checked on its own.

    python benchmarks/render_suite.py --laptop --output /work/synth-laptop
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from posecoach.synth import EXERCISES, VIEWS, SynthSpec, truth_path_for, write_clip
from posecoach.synth.motions import SCRIPTS_BY_SLUG
from posecoach.synth.random_suite import draw_suite

DEFAULT_OUTPUT = Path.home() / ".cache" / "posecoach" / "synth-suite"
CONDITION_MIXES: tuple[tuple[str, ...], ...] = (
    ("noise",),
    ("blur", "dropped-frames"),
    ("dark",),
    ("partly-out-of-frame",),
    ("second-person",),
    ("ntsc-timebase",),
)


@dataclass(frozen=True)
class SuiteClip:
    name: str
    spec: SynthSpec


def fault_mixes(slug: str) -> list[tuple[str, ...]]:
    """No fault, then each fault the exercise can show on its own (rep 2), then two together."""
    faults = sorted(SCRIPTS_BY_SLUG[slug].faults)
    kind = SCRIPTS_BY_SLUG[slug].kind
    placed = [code if kind == "hold" else f"{code}@2" for code in faults]
    mixes: list[tuple[str, ...]] = [(), *((fault,) for fault in placed)]
    if len(placed) >= 2:
        mixes.append((placed[0], placed[-1].replace("@2", "@3")) if kind == "reps" else (placed[0],))
    return list(dict.fromkeys(mixes))


def suite(exercises: list[str], views: list[str], size: tuple[int, int]) -> list[SuiteClip]:
    """The clips, each with its own seed so person, room and camera vary across the suite."""
    clips: list[SuiteClip] = []
    seed = 1000
    for slug in exercises:
        reps = 3 if SCRIPTS_BY_SLUG[slug].kind == "reps" else 1
        for view in views:
            for faults in fault_mixes(slug):
                seed += 1
                tag = "+".join(code.replace("@", "-r") for code in faults) or "clean"
                clips.append(SuiteClip(f"{slug}__{view}__{tag}__s{seed}",
                                       SynthSpec(slug, reps=reps, view=view, faults=faults, seed=seed, size=size)))
            for conditions in CONDITION_MIXES:
                seed += 1
                tag = "+".join(conditions)
                clips.append(SuiteClip(f"{slug}__{view}__{tag}__s{seed}",
                                       SynthSpec(slug, reps=reps, view=view, conditions=conditions, seed=seed,
                                                 size=size)))
    return clips


LAPTOP_CLIPS: tuple[tuple[str, str, float, float, tuple[str, ...]], ...] = (
    ("plank", "side", 30, 90, ()), ("plank", "side", 36, -95, ("hip-sag",)), ("plank", "oblique", 32, 50, ()),
    ("plank", "oblique", 35, -130, ("hip-sag",)), ("side-plank", "side", 32, 90, ()),
    ("glute-bridge", "side", 33, 85, ()), ("lying-leg-raise", "side", 34, -92, ()), ("boat-pose", "side", 30, 88, ()),
    ("bird-dog", "side", 30, 95, ()), ("lying-march", "side", 35, 80, ()),
    ("supine-knee-to-chest", "side", 33, -88, ()), ("plank-knee-drive", "side", 31, 92, ()),
)
"""(exercise, view, camera elevation, azimuth, faults) of the laptop-height clips."""


def laptop_suite() -> list[SuiteClip]:
    """Floor exercises filmed from a laptop's height: each clip's seed is its number."""
    clips = []
    for seed, (slug, view, elevation, azimuth, faults) in enumerate(LAPTOP_CLIPS, start=1):
        name = f"l{seed:02d}__{slug}__{view}-el{elevation:.0f}__{'-'.join(faults) or 'clean'}"
        clips.append(SuiteClip(name, SynthSpec(slug, view=view, faults=faults, seed=seed, azimuth_deg=azimuth,
                                               elevation_deg=elevation, lead_in="idle", lead_in_s=1.0,
                                               tail="idle", tail_s=0.5)))
    return clips


def _parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT (e.g. 640x480), got '{text}'") from None
    return width, height


def _parse_list(valid: tuple[str, ...]) -> Callable[[str], list[str]]:
    def parse(text: str) -> list[str]:
        items = [item.strip() for item in text.split(",") if item.strip()]
        unknown = [item for item in items if item not in valid]
        if unknown:
            raise argparse.ArgumentTypeError(f"unknown '{unknown[0]}'; valid: {', '.join(valid)}")
        return items

    return parse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help=f"folder for the suite ({DEFAULT_OUTPUT})")
    parser.add_argument("--exercises", type=_parse_list(EXERCISES), default=list(EXERCISES))
    parser.add_argument("--views", type=_parse_list(VIEWS), default=["side", "oblique", "front"])
    parser.add_argument("--size", type=_parse_size, default=(640, 480))
    parser.add_argument("--limit", type=int, default=None, help="render at most this many new clips")
    parser.add_argument("--dry-run", action="store_true", help="list the clips that would be rendered")
    parser.add_argument("--random", type=int, metavar="N", help="draw N randomised clips instead of the fixed suite")
    parser.add_argument("--seed", type=int, default=7, help="seed of the --random suite (7)")
    parser.add_argument("--laptop", action="store_true", help="render the laptop-height clips instead")
    args = parser.parse_args(argv)

    if args.laptop:
        clips = laptop_suite()
    elif args.random is not None:
        clips = [SuiteClip(clip.name, clip.spec) for clip in draw_suite(args.random, args.seed)
                 if clip.spec.exercise in args.exercises]
    else:
        clips = suite(args.exercises, args.views, args.size)
    todo = [clip for clip in clips if not truth_path_for(args.output / f"{clip.name}.mp4").exists()]
    if args.limit is not None:
        todo = todo[: args.limit]
    print(f"{len(clips)} clips in the suite, {len(clips) - len(todo)} already rendered, {len(todo)} to render "
          f"into {args.output}", file=sys.stderr)
    if args.dry_run:
        for clip in todo:
            print(clip.name)
        return 0
    args.output.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    frames = 0
    for number, clip in enumerate(todo, start=1):
        clip_start = time.perf_counter()
        truth = write_clip(clip.spec, args.output / f"{clip.name}.mp4")
        frames += truth.frame_count
        elapsed = time.perf_counter() - started
        print(f"[{number}/{len(todo)}] {clip.name}: {truth.frame_count} frames in "
              f"{time.perf_counter() - clip_start:.1f} s ({frames / elapsed:.1f} frames/s overall)",
              file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
