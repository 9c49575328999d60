"""Rewrite ``expected.tsv`` from what the engine now says about every cached real-clip trace.

Run it only after a deliberate change to features or engine, then review the diff of the table
like code: every changed count must be explained (``git diff tests/golden/expected.tsv``).

    python tests/golden/regenerate.py
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from posecoach.analysis import replay
from posecoach.trace import PoseTrace

GOLDEN = Path(__file__).resolve().parent
EXPECTED = GOLDEN / "expected.tsv"
TRUTH = GOLDEN.parent.parent.parent / "shared" / "videos" / "truth.tsv"
FIELDS = ("trace", "exercise", "reps", "left", "right", "holds_s", "warnings")


def golden_row(trace_name: str, exercise: str) -> dict[str, str]:
    trace = PoseTrace.load(GOLDEN / "traces" / f"{trace_name}.npz")
    summary = replay(trace.pose_frames(), exercise, source=trace.source, fps=trace.fps)
    counts = summary.rep_counts()
    return {
        "trace": trace_name,
        "exercise": exercise,
        "reps": str(counts["total"]),
        "left": str(counts["left"]),
        "right": str(counts["right"]),
        "holds_s": ";".join(f"{h.held_s:.1f}" for h in summary.holds) or "-",
        "warnings": ",".join(sorted({w.code for w in summary.warnings})) or "-",
    }


def read_expected() -> list[dict[str, str]]:
    with EXPECTED.open() as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def exercises_by_trace() -> dict[str, str]:
    """Each cached trace's exercise: the table's, or for a newly cached clip the slug in truth.tsv."""
    known = {row["trace"]: row["exercise"] for row in read_expected()}
    if TRUTH.exists():
        with TRUTH.open() as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                known.setdefault(Path(row["file"]).stem, row["slug"])
    cached = sorted(p.stem for p in (GOLDEN / "traces").glob("*.npz"))
    missing = [name for name in cached if name not in known]
    if missing:
        raise SystemExit(f"no exercise known for {', '.join(missing)}: add them to {TRUTH}")
    return {name: known[name] for name in cached}


def main() -> int:
    order = [row["trace"] for row in read_expected()]
    traces = exercises_by_trace()
    names = [name for name in order if name in traces] + [name for name in traces if name not in order]
    rows = [golden_row(name, traces[name]) for name in names]
    with EXPECTED.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {EXPECTED}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
