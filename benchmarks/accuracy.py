"""Accuracy of posecoach's counts and holds against hand-counted truth.

Replays the cached pose traces of the real clips (``tests/golden/traces``, made by
``benchmarks/cache_landmarks.py``) through the engine and scores them against
``../shared/videos/truth.tsv``; with ``--synthetic DIR`` it also scores rendered clips against
their exact ``*.truth.json``. Prints one row per clip and the totals:

* exact: the count (and the unordered per-side pair, where truth has one) is exactly right;
* OBO: off by at most one; MAE: mean absolute count error; MAE/true: the RepCount metric;
* hold error: mean absolute difference of hold durations, in seconds.

    python benchmarks/accuracy.py [--truth ../shared/videos/truth.tsv] [--synthetic DIR] [--verbose]
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

from posecoach.analysis import replay
from posecoach.summary import SessionSummary
from posecoach.synth.motions import Fault
from posecoach.trace import PoseTrace

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TRUTH = ROOT.parent / "shared" / "videos" / "truth.tsv"
DEFAULT_TRACES = ROOT / "tests" / "golden" / "traces"


@dataclass
class Truth:
    clip: str
    slug: str
    reps: int | None
    sides: tuple[int, int] | None
    holds: list[float]
    confidence: str

    @property
    def scored(self) -> bool:
        return self.reps is not None or bool(self.holds)


@dataclass
class Score:
    truth: Truth
    reps: int
    sides: tuple[int, int]
    holds: list[float]
    notes: list[str]

    @property
    def rep_error(self) -> int | None:
        return None if self.truth.reps is None else abs(self.reps - self.truth.reps)

    @property
    def exact(self) -> bool:
        if self.truth.reps is not None:
            if self.reps != self.truth.reps:
                return False
            if self.truth.sides is not None and sorted(self.sides) != sorted(self.truth.sides):
                return False
        if self.truth.holds:
            return len(self.holds) == len(self.truth.holds) and self.hold_error is not None and self.hold_error <= 1.5
        return True

    @property
    def hold_error(self) -> float | None:
        if not self.truth.holds:
            return None
        if len(self.holds) != len(self.truth.holds):
            return abs(sum(self.holds) - sum(self.truth.holds))
        return statistics.mean(abs(a - b) for a, b in zip(self.holds, self.truth.holds, strict=True))


def read_truth(path: Path) -> list[Truth]:
    rows = []
    with path.open() as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            sides = tuple(int(v) for v in row["sides"].split("/")) if row["sides"] != "-" else None
            holds = [float(v) for v in row["holds"].split(";")] if row["holds"] != "-" else []
            rows.append(Truth(row["file"], row["slug"], None if row["reps"] == "-" else int(row["reps"]),
                              sides, holds, row["conf"]))  # type: ignore[arg-type]
    return rows


def score(truth: Truth, summary: SessionSummary) -> Score:
    counts = summary.rep_counts()
    return Score(truth, counts["total"], (counts["left"], counts["right"]),
                 [h.held_s for h in summary.holds], summary.notes)


def score_real(truth_path: Path, traces: Path) -> list[Score]:
    scores = []
    for truth in read_truth(truth_path):
        trace_path = traces / f"{Path(truth.clip).stem}.npz"
        if not truth.scored or not trace_path.exists():
            continue
        trace = PoseTrace.load(trace_path)
        summary = replay(trace.pose_frames(), truth.slug, source=truth.clip, fps=trace.fps)
        scores.append(score(truth, summary))
    return scores


FAULT_SLACK_S = (1.0, 2.0)
"""A warning matches an injected fault from this long before it starts to this long after it ends."""


@dataclass
class WarningScore:
    expected: int = 0
    found: int = 0
    raised: int = 0
    correct: int = 0

    def add(self, faults: list[dict], warnings: list[dict]) -> None:
        relevant = [w for w in warnings if w["code"] in {fault.warning for fault in Fault}]
        self.expected += len(faults)
        self.raised += len(relevant)
        for fault in faults:
            self.found += any(_matches(w, fault) for w in relevant)
        for warning in relevant:
            self.correct += any(_matches(warning, f) for f in faults)


def _matches(warning: dict, fault: dict) -> bool:
    before, after = FAULT_SLACK_S
    return (warning["code"] == Fault(fault["code"]).warning
            and fault["start_s"] - before <= warning["t_s"] <= fault["end_s"] + after)


def replay_cached(video: Path, slug: str) -> SessionSummary:
    """Landmark a rendered clip once (``<clip>.trace.npz`` beside it, outside git), then replay it:
    the landmarks do not depend on the engine, so re-scoring after an engine change takes seconds."""
    from cache_landmarks import cache_clip

    trace_path = video.with_suffix(".trace.npz")
    if not trace_path.exists():
        cache_clip(video, trace_path)
    trace = PoseTrace.load(trace_path)
    return replay(trace.pose_frames(), slug, source=video.name, fps=trace.fps)


def score_synthetic(folder: Path, warnings: WarningScore) -> list[Score]:
    """Rendered clips: ``*.truth.json`` beside each video; landmarked once with the pose model (slow)."""
    scores = []
    for truth_file in sorted(folder.glob("*.truth.json")):
        data = json.loads(truth_file.read_text())
        video = truth_file.with_name(truth_file.name.replace(".truth.json", ".mp4"))
        if not video.exists():
            continue
        expected = data["expected"]["reps"]
        holds = [h["duration_s"] for h in data.get("holds", [])] if not expected["total"] else []
        sides = (expected["left"], expected["right"]) if expected["left"] or expected["right"] else None
        truth = Truth(video.name, data["exercise"], expected["total"] if expected["total"] or not holds else None,
                      sides, holds, "exact")
        summary = replay_cached(video, truth.slug)
        warnings.add(data.get("faults", []), summary.to_dict()["warnings"])
        scores.append(score(truth, summary))
    return scores


def print_table(title: str, scores: list[Score], verbose: bool) -> None:
    print(f"\n{title}")
    print(f"{'clip':42} {'exercise':28} {'truth':>9} {'got':>9} {'holds truth':>14} {'holds got':>16} ok")
    for s in scores:
        t = s.truth
        truth_reps = "-" if t.reps is None else (f"{t.reps}" + (f" {t.sides[0]}/{t.sides[1]}" if t.sides else ""))
        got = f"{s.reps}" + (f" {s.sides[0]}/{s.sides[1]}" if t.sides else "")
        holds_t = ";".join(f"{h:.1f}" for h in t.holds) or "-"
        holds_g = ";".join(f"{h:.1f}" for h in s.holds) or "-"
        print(f"{t.clip[:42]:42} {t.slug[:28]:28} {truth_reps:>9} {got if t.reps is not None else '-':>9} "
              f"{holds_t:>14} {holds_g[:16]:>16} {'yes' if s.exact else 'NO'}  [{t.confidence}]")
        if verbose and s.notes:
            for note in s.notes:
                print(f"{'':44}note: {note}")
    rep_scores = [s for s in scores if s.truth.reps is not None]
    hold_scores = [s for s in scores if s.truth.holds]
    exact = sum(s.exact for s in scores)
    print(f"exact: {exact}/{len(scores)} ({exact / len(scores):.0%})" if scores else "no clips")
    by_confidence = {}
    for s in scores:
        by_confidence.setdefault(s.truth.confidence, []).append(s.exact)
    if len(by_confidence) > 1:
        print("by truth confidence: " + ", ".join(
            f"{level} {sum(marks)}/{len(marks)}" for level, marks in sorted(by_confidence.items())))
    if rep_scores:
        errors = [s.rep_error or 0 for s in rep_scores]
        obo = sum(e <= 1 for e in errors)
        normalised = statistics.mean(e / max(s.truth.reps or 1, 1) for e, s in zip(errors, rep_scores, strict=True))
        print(f"rep clips: {len(rep_scores)}, exact {sum(e == 0 for e in errors)}, OBO {obo}, "
              f"MAE {statistics.mean(errors):.2f}, MAE/true {normalised:.3f}")
    if hold_scores:
        print(f"hold clips: {len(hold_scores)}, mean hold error "
              f"{statistics.mean(s.hold_error or 0 for s in hold_scores):.2f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--truth", type=Path, default=DEFAULT_TRUTH)
    parser.add_argument("--traces", type=Path, default=DEFAULT_TRACES)
    parser.add_argument("--synthetic", type=Path, help="folder of rendered clips with *.truth.json")
    parser.add_argument("--verbose", action="store_true", help="print each clip's notes")
    args = parser.parse_args()
    if args.truth.exists():
        print_table("Real clips (hand-counted truth)", score_real(args.truth, args.traces), args.verbose)
    else:
        print(f"no truth table at {args.truth}; skipping real clips", file=sys.stderr)
    if args.synthetic:
        warnings = WarningScore()
        print_table("Synthetic clips (exact truth)", score_synthetic(args.synthetic, warnings), args.verbose)
        precision = warnings.correct / warnings.raised if warnings.raised else float("nan")
        recall = warnings.found / warnings.expected if warnings.expected else float("nan")
        print(f"form warnings: {warnings.expected} injected faults, recall {recall:.0%} ({warnings.found}); "
              f"{warnings.raised} fault-type warnings raised, precision {precision:.0%} ({warnings.correct})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
