"""Leave-one-source-out check of an engine threshold on the real clips.

A threshold tuned on the clips it is scored on looks better than it will be on videos nobody has
seen. This script tunes a module constant on the clips of every source but one, scores the
left-out source with the value chosen, and repeats for every source. It prints, per candidate,
the in-sample score, and then the leave-one-source-out (LOSO) score: the honest number.

A source is the part of the clip name before ``__`` (one channel, one person, one camera).

    python benchmarks/loso.py posecoach.exercises.engine.SMALL_RANGE_SHARE 0.4 0.5 0.75 1.0
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections import defaultdict
from pathlib import Path

from accuracy import DEFAULT_TRACES, DEFAULT_TRUTH, Score, score_real


def _source(score: Score) -> str:
    return Path(score.truth.clip).stem.split("__")[0]


def _merit(scores: list[Score]) -> tuple[int, float]:
    """More exact clips first, then a smaller total count error: what a tuner would maximise."""
    error = sum(s.rep_error or 0 for s in scores) + sum(s.hold_error or 0.0 for s in scores)
    return sum(s.exact for s in scores), -error


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("constant", help="dotted path of a module constant, e.g. posecoach.exercises.engine.X")
    parser.add_argument("values", nargs="+", type=float, help="candidate values")
    parser.add_argument("--truth", type=Path, default=DEFAULT_TRUTH)
    parser.add_argument("--traces", type=Path, default=DEFAULT_TRACES)
    parser.add_argument("--confidence", default="high,medium", help="truth confidences scored (default: high,medium)")
    args = parser.parse_args()
    if not args.truth.exists():
        print(f"no truth table at {args.truth}", file=sys.stderr)
        return 1
    module_name, _, name = args.constant.rpartition(".")
    module = importlib.import_module(module_name)
    if not hasattr(module, name):
        print(f"{module_name} has no constant {name}", file=sys.stderr)
        return 1
    default = getattr(module, name)
    levels = set(args.confidence.split(","))
    by_value: dict[float, list[Score]] = {}
    for value in args.values:
        setattr(module, name, value)
        by_value[value] = [s for s in score_real(args.truth, args.traces) if s.truth.confidence in levels]
    setattr(module, name, default)

    clips = len(next(iter(by_value.values())))
    print(f"{args.constant} (now {default}); {clips} scored clips ({args.confidence}) from "
          f"{len({_source(s) for s in by_value[args.values[0]]})} sources")
    for value, scores in by_value.items():
        exact, error = _merit(scores)
        print(f"  {value:>8g}: in-sample exact {exact}/{clips}, total error {-error:.1f}")

    sources: dict[str, list[int]] = defaultdict(list)
    for index, s in enumerate(by_value[args.values[0]]):
        sources[_source(s)].append(index)
    loso_exact = 0
    chosen: dict[str, float] = {}
    for source, indices in sorted(sources.items()):
        held_out = set(indices)

        def training_merit(value: float, held_out: set[int] = held_out) -> tuple[int, float]:
            return _merit([s for i, s in enumerate(by_value[value]) if i not in held_out])

        best = max(args.values, key=lambda v: (*training_merit(v), -abs(v - default)))
        chosen[source] = best
        loso_exact += sum(by_value[best][i].exact for i in indices)
    print(f"  leave-one-source-out: exact {loso_exact}/{clips}; value chosen per source: "
          + ", ".join(f"{source}={value:g}" for source, value in chosen.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
