"""Accuracy of posecoach's counts and holds against hand-counted truth.

Replays the cached pose traces of the real clips (``tests/golden/traces``, made by
``benchmarks/cache_landmarks.py``) through the engine and scores them against
``../shared/videos/truth.tsv``; with ``--synthetic DIR`` it also scores rendered clips against
their exact ``*.truth.json``. Prints one row per clip and the totals:

* exact: the count (and the unordered per-side pair, where truth has one) is exactly right;
* OBO: off by at most one; MAE: mean absolute count error; MAE/true: the RepCount metric;
* hold error: mean absolute difference of hold durations, in seconds.

    python benchmarks/accuracy.py [--truth ../shared/videos/truth.tsv] [--synthetic DIR] [--verbose]
                                  [--every N]

``--every 2`` replays the 30 fps renders at 15 fps (a laptop webcam in dim light), the check that
counting does not depend on the frame rate.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import statistics
import sys
from dataclasses import dataclass, field
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
    groups: dict[str, str] = field(default_factory=dict)
    """Synthetic clips: what the clip varies (exercise, view bucket, portrait, ...), for the breakdowns."""

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
    def within_one(self) -> bool:
        return self.rep_error is None or self.rep_error <= 1

    @property
    def holds_within_1s(self) -> bool | None:
        """Every true hold timed within 1 s by the hold in the same place (None: no holds to time)."""
        if not self.truth.holds:
            return None
        return len(self.holds) == len(self.truth.holds) and all(
            abs(a - b) <= HOLD_TOLERANCE_S for a, b in zip(self.holds, self.truth.holds, strict=True))

    @property
    def silent_miss(self) -> bool:
        """Nothing counted or timed where the truth has something, and no note saying why."""
        missed = (self.truth.reps and not self.reps) or (self.truth.holds and not self.holds)
        return bool(missed) and not self.notes

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


FAULT_WARNINGS: dict[str, tuple[str, ...]] = {fault.value: tuple(fault.warnings) for fault in Fault}
"""The warning codes that report each fault the renderer injects (from synth's ``Fault``)."""
FAULT_SLACK_S = (1.0, 2.0)
"""A warning matches an injected fault from this long before it starts to this long after it ends."""
HOLD_TOLERANCE_S = 1.0
BREAKDOWNS = ("exercise", "view", "in catalogue view", "orientation", "sides", "lead-in", "tail", "fault",
              "conditions")


@dataclass
class Tally:
    expected: int = 0
    found: int = 0
    raised: int = 0
    correct: int = 0

    def line(self) -> str:
        recall = f"{self.found / self.expected:.0%}" if self.expected else "-"
        precision = f"{self.correct / self.raised:.0%}" if self.raised else "-"
        return (f"recall {recall:>4} ({self.found}/{self.expected}), "
                f"precision {precision:>4} ({self.correct}/{self.raised})")


@dataclass
class WarningScore:
    """Form warnings against injected faults: recall and precision overall and per fault type.

    Every warning posecoach raises counts toward precision (the renderer's clean motion never shows
    a fault it did not inject), and the clean clips with any warning are counted on their own.
    """

    overall: Tally = field(default_factory=Tally)
    by_fault: dict[str, Tally] = field(default_factory=dict)
    unmatched_codes: dict[str, int] = field(default_factory=dict)
    clean_clips: int = 0
    clean_warned: list[str] = field(default_factory=list)

    def add(self, clip: str, faults: list[dict], warnings: list[dict]) -> None:
        if not faults:
            self.clean_clips += 1
            if warnings:
                self.clean_warned.append(f"{clip}: {', '.join(sorted({w['code'] for w in warnings}))}")
        for fault in faults:
            found = any(_matches(w, fault) for w in warnings)
            for tally in (self.overall, self.by_fault.setdefault(fault["code"], Tally())):
                tally.expected += 1
                tally.found += found
        for warning in warnings:
            correct = any(_matches(warning, f) for f in faults)
            self.overall.raised += 1
            self.overall.correct += correct
            code = next((fault for fault, codes in FAULT_WARNINGS.items() if warning["code"] in codes), None)
            if code is not None:
                tally = self.by_fault.setdefault(code, Tally())
                tally.raised += 1
                tally.correct += correct
            if not correct:
                self.unmatched_codes[warning["code"]] = self.unmatched_codes.get(warning["code"], 0) + 1

    def report(self) -> None:
        print(f"\nform warnings: {self.overall.line()}")
        for code in sorted(self.by_fault):
            print(f"  {code:18} warned as {'/'.join(FAULT_WARNINGS[code]):30} {self.by_fault[code].line()}")
        if self.unmatched_codes:
            print("  false warnings by code: " + ", ".join(f"{code} {n}" for code, n in
                                                          sorted(self.unmatched_codes.items(), key=lambda i: -i[1])))
        print(f"clean clips with any fault warning: {len(self.clean_warned)}/{self.clean_clips}")
        for line in self.clean_warned:
            print(f"  {line}")


def _matches(warning: dict, fault: dict) -> bool:
    before, after = FAULT_SLACK_S
    return (warning["code"] in FAULT_WARNINGS[fault["code"]]
            and fault["start_s"] - before <= warning["t_s"] <= fault["end_s"] + after)


def replay_cached(video: Path, slug: str, hold_s: float | None = None, every: int = 1) -> SessionSummary:
    """Landmark a rendered clip once (``<clip>.trace.npz`` beside it, outside git), then replay it:
    the landmarks do not depend on the engine, so re-scoring after an engine change takes seconds.
    ``every`` > 1 keeps one frame in that many: the same clip filmed at a lower frame rate."""
    from cache_landmarks import cache_clip

    trace_path = video.with_suffix(".trace.npz")
    if not trace_path.exists():
        frames, found, seconds = cache_clip(video, trace_path)
        print(f"landmarked {video.name}: pose in {found}/{frames} frames, {frames / seconds:.0f} frames/s",
              file=sys.stderr, flush=True)
    trace = PoseTrace.load(trace_path)
    frames = itertools.islice(trace.pose_frames(), 0, None, every)
    return replay(frames, slug, source=video.name, fps=trace.fps / every, hold_s=hold_s)


def synthetic_groups(data: dict) -> dict[str, str]:
    """What a rendered clip varies, for the breakdowns (clips of the fixed suite have only some)."""
    variation = data.get("variation", {})
    camera = data["camera"]
    conditions = sorted({c["code"] for c in data.get("conditions", [])})
    return {
        "exercise": data["exercise"],
        "view": variation.get("view_bucket", camera["view"]),
        "in catalogue view": str(variation.get("in_catalog", True)).lower(),
        "orientation": camera.get("orientation", "landscape"),
        "sides": variation.get("sides", "-"),
        "lead-in": variation.get("lead_in", "-"),
        "tail": variation.get("tail", "-"),
        "fault": data["faults"][0]["code"] if data.get("faults") else "clean",
        "conditions": "+".join(conditions) or "none",
    }


def score_synthetic(folder: Path, warnings: WarningScore, every: int = 1) -> list[Score]:
    """Rendered clips: ``*.truth.json`` beside each video; landmarked once with the pose model (slow)."""
    from posecoach.exercises import get_exercise
    from posecoach.exercises.definition import SideMode

    scores = []
    for truth_file in sorted(folder.glob("*.truth.json")):
        data = json.loads(truth_file.read_text())
        video = truth_file.with_name(truth_file.name.replace(".truth.json", ".mp4"))
        if not video.exists():
            continue
        expected = data["expected"]["reps"]
        holds = [h["duration_s"] for h in data.get("holds", [])] if data["kind"] == "hold" else []
        one_sided = get_exercise(data["exercise"]).sides is not SideMode.NONE  # else only the total is scored
        sides = (expected["left"], expected["right"]) if one_sided and (expected["left"] or expected["right"]) else None
        truth = Truth(video.name, data["exercise"], expected["total"] if data["kind"] == "reps" else None,
                      sides, holds, "exact", synthetic_groups(data))
        # The script's hold target is what a physiotherapist prescribed for this recording: the
        # engine judges holds against a target only when one is given.
        prescribed = data["holds"][0]["target_s"] if data["kind"] == "hold" and data.get("holds") else None
        summary = replay_cached(video, truth.slug, prescribed, every)
        warnings.add(video.name, data.get("faults", []), summary.to_dict()["warnings"])
        scores.append(score(truth, summary))
    return scores


def print_breakdowns(scores: list[Score], keys: tuple[str, ...]) -> None:
    """Counts exact / within one and holds within 1 s, per value of each key (exercise, view, ...)."""
    for key in keys:
        groups: dict[str, list[Score]] = {}
        for s in scores:
            groups.setdefault(s.truth.groups.get(key, "-"), []).append(s)
        if len(groups) < 2 and key != "exercise":
            continue
        print(f"\nby {key}:")
        print(f"  {key[:28]:28} {'clips':>5} {'count exact':>12} {'within one':>11} {'holds <=1 s':>12} "
              f"{'silent':>6}")
        for value, members in sorted(groups.items()):
            reps = [s for s in members if s.truth.reps is not None]
            holds = [s for s in members if s.truth.holds]
            exact = sum(s.exact for s in reps)
            obo = sum(s.within_one for s in reps)
            held = sum(bool(s.holds_within_1s) for s in holds)
            print(f"  {value[:28]:28} {len(members):5} {_ratio(exact, len(reps)):>12} {_ratio(obo, len(reps)):>11} "
                  f"{_ratio(held, len(holds)):>12} {sum(s.silent_miss for s in members):6}")


def _ratio(part: int, whole: int) -> str:
    return f"{part}/{whole}" if whole else "-"


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
        print(f"hold clips: {len(hold_scores)}, every hold within {HOLD_TOLERANCE_S:.0f} s "
              f"{sum(bool(s.holds_within_1s) for s in hold_scores)}, mean hold error "
              f"{statistics.mean(s.hold_error or 0 for s in hold_scores):.2f} s, worst "
              f"{max(s.hold_error or 0 for s in hold_scores):.2f} s")
    silent = [s.truth.clip for s in scores if s.silent_miss]
    if silent:
        print(f"silent misses (nothing counted or timed, no note): {len(silent)}: {', '.join(silent)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--truth", type=Path, default=DEFAULT_TRUTH)
    parser.add_argument("--traces", type=Path, default=DEFAULT_TRACES)
    parser.add_argument("--synthetic", type=Path, help="folder of rendered clips with *.truth.json")
    parser.add_argument("--verbose", action="store_true", help="print each clip's notes")
    parser.add_argument("--every", type=int, default=1, metavar="N",
                        help="rendered clips: keep one frame in N (15 fps from the 30 fps renders with 2)")
    args = parser.parse_args()
    if args.every < 1:
        parser.error("--every must be 1 or more")
    if args.truth.exists():
        print_table("Real clips (hand-counted truth)", score_real(args.truth, args.traces), args.verbose)
    else:
        print(f"no truth table at {args.truth}; skipping real clips", file=sys.stderr)
    if args.synthetic:
        warnings = WarningScore()
        scores = score_synthetic(args.synthetic, warnings, args.every)
        print_table("Synthetic clips (exact truth)", scores, args.verbose)
        print_breakdowns(scores, BREAKDOWNS)
        warnings.report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
