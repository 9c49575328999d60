"""Console sink: summaries as a table, JSON or CSV, and events as lines while they happen."""

from __future__ import annotations

import csv
import heapq
import io
import math
from collections.abc import Callable, Sequence
from typing import IO, Any

from posecoach.events import Event, FormWarning, HoldEnded, HoldStarted, PoseFound, PoseLost, RepCompleted, RepRejected
from posecoach.landmarks import Side
from posecoach.summary import SessionStatus, SessionSummary, strict_json
from posecoach.terminal import echo
from posecoach.wording import glossary, plural

SUMMARY_CSV_FIELDS = ("source", "exercise", "duration_s", "frames", "frames_with_pose", "reps_total", "reps_left",
                      "reps_right", "holds", "holds_s", "warnings", "partial", "patient", "recorded_at",
                      "camera_side", "target", "flagged_reps", "flags", "flag_meanings", "not_counted", "notes")
"""Columns are only ever added at the end; ``flags`` lists every flag, warning and rejection code."""


def format_table(rows: Sequence[Sequence[object]], headers: Sequence[str]) -> str:
    """A plain aligned text table (no dependency for something this small)."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _summary_row(summary: SessionSummary) -> dict[str, Any]:
    counts = summary.rep_counts()
    return {
        "source": summary.source,
        "exercise": summary.exercise,
        "duration_s": f"{summary.duration_s:.1f}",
        "frames": summary.frames,
        "frames_with_pose": summary.frames_with_pose,
        "reps_total": counts["total"],
        "reps_left": counts["left"],
        "reps_right": counts["right"],
        "holds": len(summary.holds),
        "holds_s": ";".join(f"{h.held_s:.1f}" for h in summary.holds),
        "warnings": len(summary.warnings),
        "partial": summary.partial,
        "patient": summary.patient or "",
        "recorded_at": summary.recorded_at or "",
        "camera_side": summary.camera_side or "",
        "target": describe_target(summary),
        "flagged_reps": sum(1 for row in summary.rep_rows() if row.flagged),
        "flags": " ".join(summary.flag_codes()),
        "flag_meanings": "; ".join(f"{code}: {meaning}" for code, meaning in glossary(summary.flag_codes())),
        "not_counted": "; ".join(r.reason for r in summary.rejected),
        "notes": " ".join(summary.notes),
    }


def describe_target(summary: SessionSummary) -> str:
    """"3 x 10 reps per side", or "" when nothing was prescribed."""
    target = summary.target
    if target is None:
        return ""
    if not summary.counts_reps:
        length = f" of {target.hold_s:g} s" if target.hold_s else ""
        return f"{plural(target.sets * max(target.reps, 1), 'hold')}{length}"
    sets = f"{target.sets} x " if target.sets > 1 else ""
    text = f"{sets}{plural(target.reps, 'rep')}" + (" per side" if target.per_side else "") if target.reps else ""
    hold = f"{target.hold_s:g} s hold" if target.hold_s else ""
    return ", ".join(part for part in (text, hold) if part)


def render_summaries(summaries: Sequence[SessionSummary], output_format: str, *, as_list: bool | None = None) -> str:
    """All summaries in one document: a JSON object (one input) or list (several inputs, even when only
    one of them could be analysed), a CSV, or text tables."""
    as_list = len(summaries) != 1 if as_list is None else as_list
    if output_format == "json":
        data: Any = [s.to_dict() for s in summaries] if as_list else summaries[0].to_dict()
        return strict_json(data, indent=2)
    if output_format == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=SUMMARY_CSV_FIELDS, lineterminator="\n")
        writer.writeheader()
        for summary in summaries:
            writer.writerow(_summary_row(summary))
        return buffer.getvalue().rstrip("\n")
    if len(summaries) > 1:
        rows = [[r["source"], r["exercise"], r["reps_total"] if summary.counts_reps else "-",
                 f"{r['reps_left']}/{r['reps_right']}" if summary.counts_reps else "-",
                 r["holds_s"] or "-", r["warnings"], r["flags"] or "-", "yes" if r["partial"] else ""]
                for summary, r in zip(summaries, map(_summary_row, summaries), strict=True)]
        table = format_table(rows, ["source", "exercise", "reps", "left/right", "holds (s)", "warnings", "flags",
                                    "partial"])
        notes = [f"{summary.source}: {note}" for summary in summaries for note in summary.notes]
        notes += [f"{summary.source}: not counted at {r.t_s:.1f} s: {r.reason}"
                  for summary in summaries for r in summary.rejected]
        codes = [code for summary in summaries for code in summary.flag_codes()]
        return "\n".join([table, *(f"note: {note}" for note in notes),
                          *(f"{code}: {meaning}" for code, meaning in glossary(codes))])
    return describe_summary(summaries[0])


def describe_summary(summary: SessionSummary) -> str:
    """A person-readable report of one session, from the same rows as the report, CSV and JSON."""
    counts = summary.rep_counts()
    lines = [f"{summary.source}: {summary.exercise}, {summary.duration_s:.1f} s, "
             f"person seen in {summary.frames_with_pose}/{plural(summary.frames, 'frame')}"]
    who = [f"patient {summary.patient}" if summary.patient else "",
           f"recorded {summary.recorded_at[:16].replace('T', ' ')}" if summary.recorded_at else "",
           f"filmed from the {summary.camera_side}" if summary.camera_side else "",
           f"prescribed {describe_target(summary)}" if summary.target else ""]
    if any(who):
        lines.append(", ".join(w for w in who if w))
    if summary.counts_reps:
        per_side = f" (left {counts['left']}, right {counts['right']})" if counts["left"] or counts["right"] else ""
        lines.append(f"reps: {counts['total']}{per_side}")
    elif not summary.holds:
        lines.append("holds: none timed")
    rows = []
    for row in summary.rep_rows():
        rep = row.rep
        rows.append([f"{rep.t_s:.1f}", rep.side.value if rep.side else "", rep.count, f"{rep.rom:.0f}",
                     f"{rep.up_s:.1f}/{rep.down_s:.1f}", f"{rep.held_s:.1f}" if rep.held_s else "",
                     ",".join(row.codes) or "", rep.uncertain or ""])
    if rows:
        lines.append(format_table(rows, ["t (s)", "side", "#", "range", "up/down (s)", "top hold (s)", "flags",
                                         "uncertain"]))
    hold_target = summary.target.hold_s if summary.target is not None else 0.0
    for hold in summary.holds:
        side = f" {hold.side.value}" if hold.side else ""
        if hold_target:
            status = "reached the target" if hold.completed else "short of the target"
            lines.append(f"hold{side}: {hold.held_s:.1f} s of {hold.target_s:g} s ({status}), "
                         f"{hold.start_s:.1f}-{hold.t_s:.1f} s")
        else:
            lines.append(f"hold{side}: {hold.held_s:.1f} s, {hold.start_s:.1f}-{hold.t_s:.1f} s")
    asymmetry = summary.asymmetry()
    if asymmetry:
        sides = summary.side_stats()
        labels = {"reps": "reps {:.0f} vs {:.0f}", "mean_rom": "mean range {:.0f} vs {:.0f}",
                  "held_s": "held {:.1f} s vs {:.1f} s"}
        lines.append("left/right: " + ", ".join(
            label.format(sides["left"][key], sides["right"][key])
            for key, label in labels.items() if sides["left"][key] or sides["right"][key]
        ) + f" (largest difference {max(asymmetry.values()):.0%})")
    decay = summary.range_decay()
    if decay:
        lines.append(f"range of motion fell from rep {decay}: below 80% of your first reps")
    for rejected in summary.rejected:
        side = f" {rejected.side.value}" if rejected.side else ""
        lines.append(f"not counted{side} at {rejected.t_s:.1f} s: {rejected.reason}")
    for warning in summary.warnings:
        which = f" (rep {warning.rep})" if warning.rep else ""
        lines.append(f"warning at {warning.t_s:.1f} s{which}: [{warning.code}] {warning.message}")
    if summary.partial:
        lines.append("partial: the input ended early; the counts cover what was read.")
    lines.extend(f"note: {note}" for note in summary.notes)
    lines.extend(f"{code}: {meaning}" for code, meaning in glossary(summary.flag_codes()))
    return "\n".join(lines)


def describe_event(event: Event) -> str | None:
    """One line for a live event, or None for events not worth a line."""
    sided: Side | None = getattr(event, "side", None)
    side = f" {sided.value}" if sided else ""
    if isinstance(event, RepCompleted):
        flags = f" [{', '.join(event.flags)}]" if event.flags else ""
        return f"{event.t_s:7.1f}s  rep{side} #{event.count} (range {event.rom:.0f}){flags}"
    if isinstance(event, RepRejected):
        return f"{event.t_s:7.1f}s  not counted{side}: {event.reason}"
    if isinstance(event, HoldStarted):
        return f"{event.t_s:7.1f}s  hold{side} started (target {event.target_s:.0f} s)"
    if isinstance(event, HoldEnded):
        uncounted = "" if event.counted else " (not counted)"
        return f"{event.t_s:7.1f}s  hold{side} ended: {event.held_s:.1f} s of {event.target_s:.0f} s{uncounted}"
    if isinstance(event, FormWarning):
        return f"{event.t_s:7.1f}s  warning [{event.code}] {event.message}"
    if isinstance(event, PoseLost):
        return f"{event.t_s:7.1f}s  can't see you"
    if isinstance(event, PoseFound):
        return f"{event.t_s:7.1f}s  tracking"
    return None


class EventPrinter:
    """Prints events as they happen: text lines, or JSON lines for scripts."""

    def __init__(self, stream: IO[str], as_json: bool = False) -> None:
        self.stream = stream
        self.as_json = as_json

    def __call__(self, event: Event, late: bool = False) -> None:
        if self.as_json:
            line: str | None = strict_json({**event.to_dict(), "late": True} if late else event.to_dict())
        else:
            line = describe_event(event)
            if line is not None and late:
                line += "  (reported late)"
        if line is not None:
            echo(line, file=self.stream)  # cleaned, and a reader that went away never stops the session


class PrinterSink:
    """Events as lines on a stream (stdout), in time order.

    The engine reports some events a little after their own time: a hold starts when the body
    settled, a hold's form warning is said once the hold went on a second past it, a rep ends at its
    return to rest. So lines wait ``reorder_s`` of stream time (the loop calls :meth:`advance` with
    each frame's time) and leave sorted by ``t_s``: a reader sees times that never go back. An event
    reported later still than that (a provisional first rep confirmed by the next one) is printed at
    once and marked late (``"late": true``), never held back or lost. :meth:`close` prints the rest.
    """

    def __init__(self, printer: Callable[..., None], reorder_s: float = 0.0) -> None:
        self._printer = printer
        self.reorder_s = reorder_s
        self._pending: list[tuple[float, int, Event]] = []
        self._seq = 0
        self._printed_t = -math.inf

    def handle(self, event: Event) -> None:
        if event.t_s < self._printed_t:
            self._printer(event, late=True)
            return
        heapq.heappush(self._pending, (event.t_s, self._seq, event))
        self._seq += 1
        if self.reorder_s <= 0:
            self._release(math.inf)

    def advance(self, t: float) -> None:
        """Stream time is now ``t``: print what is at least ``reorder_s`` old."""
        self._release(t - self.reorder_s)

    def _release(self, until: float) -> None:
        while self._pending and self._pending[0][0] <= until:
            t_s, _, event = heapq.heappop(self._pending)
            self._printed_t = max(self._printed_t, t_s)
            self._printer(event)

    def close(self, summary: SessionSummary, status: SessionStatus) -> None:
        self._release(math.inf)
