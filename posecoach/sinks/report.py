"""Session reports a physiotherapist reads in a minute, and progress plots over weeks.

A :class:`SessionReport` is computed once from a :class:`SessionSummary` (per-side totals against
the prescription, clean vs flagged reps, asymmetry), turned into format-neutral sections, then
rendered as self-contained HTML (plots embedded as base64 PNG) or Markdown (PNGs beside it).
Plots use matplotlib's object API on an Agg canvas: no pyplot global state, no display needed;
matplotlib is imported only when a plot is drawn.
"""

from __future__ import annotations

import base64
import html
import io
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from statistics import fmean
from typing import TYPE_CHECKING

from posecoach.events import HoldEnded
from posecoach.exercises.definition import Target
from posecoach.landmarks import Side
from posecoach.outputs import check_output, write_file
from posecoach.sinks.history import WeekStats
from posecoach.summary import RepRow, SessionSummary
from posecoach.wording import article_title, explain, glossary, plural

if TYPE_CHECKING:
    from matplotlib.figure import Figure

ASYMMETRY_NOTABLE_PCT = 15.0
"""Left/right differences from this size are highlighted; clinicians commonly use 10–15 %."""
REPORT_SUFFIXES = (".html", ".htm", ".md", ".pdf")
SIDE_COLOURS = {"left": "#1f77b4", "right": "#d62728", "both": "#2ca02c"}
REP_MARKERS_GID = "rep-markers"
WARNING_MARKS_GID = "warning-marks"


# ----------------------------------------------------------------------------- output paths


# Every file goes through posecoach.outputs (never an input, only regular files replaced, written to an
# exclusive temporary file and renamed); check_output stays importable from here for the CLI's early checks.


# ----------------------------------------------------------------------------- what the report says


@dataclass(frozen=True)
class SideStats:
    side: str
    reps: int
    clean: int
    target_reps: int | None
    """Prescribed reps for this side (all sets), when the exercise counts reps."""
    target_holds: int | None
    """Prescribed holds for this side, when the exercise is a hold."""
    rom_mean: float | None
    rom_min: float | None
    rom_max: float | None
    up_mean_s: float | None
    down_mean_s: float | None
    holds: int
    holds_completed: int
    held_total_s: float
    held_best_s: float

    @property
    def flagged(self) -> int:
        return self.reps - self.clean


@dataclass(frozen=True)
class Asymmetry:
    measure: str
    left: float
    right: float

    @property
    def index_pct(self) -> float:
        """``|L − R| / max(L, R)``: 0 % is symmetric, 100 % is one side only."""
        top = max(abs(self.left), abs(self.right))
        return 100.0 * abs(self.left - self.right) / top if top else 0.0

    @property
    def notable(self) -> bool:
        return self.index_pct >= ASYMMETRY_NOTABLE_PCT

    def format(self, value: float) -> str:
        return f"{value:.0f}" if self.measure in ("reps", "mean range of motion") else f"{value:.1f}"


@dataclass
class SessionReport:
    summary: SessionSummary
    title: str
    target: Target | None = None
    started_at: datetime | None = None
    session_id: int | None = None
    status: str | None = None
    rows: list[RepRow] = field(default_factory=list)
    sides: list[SideStats] = field(default_factory=list)
    asymmetry: list[Asymmetry] = field(default_factory=list)
    key_frames: dict[int, bytes] = field(default_factory=dict)
    """Rep number → a small JPEG of that flagged rep at its worst moment (see :mod:`posecoach.sinks.keyframes`)."""
    warning_frames: dict[int, bytes] = field(default_factory=dict)
    """Index in ``summary.warnings`` → a JPEG at that warning, for warnings outside any rep (a sagging plank)."""

    @classmethod
    def build(cls, summary: SessionSummary, *, title: str | None = None, target: Target | None = None,
              started_at: datetime | None = None, session_id: int | None = None,
              status: str | None = None) -> SessionReport:
        rows = _rep_rows(summary)
        # Only a prescription someone made is shown: a routine, a plan, --reps/--hold.
        target = target if target is not None else summary.target
        report = cls(summary, title or _title(summary.exercise), target, started_at, session_id, status, rows)
        report.sides = [_side_stats(side, rows, summary.holds, target) for side in _sides_present(rows, summary)]
        report.asymmetry = _asymmetry(report.sides)
        return report

    @property
    def unit(self) -> str:
        return signal_unit(self.summary.signal_name)


@dataclass
class RecordingReport:
    """A recording of several exercises one after another (a routine): one :class:`SessionReport` per
    part, in the recording's order, each counted on its own part of the recording."""

    parts: list[SessionReport]

    @property
    def title(self) -> str:
        return f"{plural(len(self.parts), 'exercise')} in one recording"


Report = SessionReport | RecordingReport


def signal_unit(signal_name: str) -> str:
    """Most tracked signals are joint angles; ``knee_gap`` is a multiple of the hip width."""
    return " × hip width" if signal_name == "knee_gap" else "°"


def _side_name(side: Side | None) -> str:
    return side.value if side is not None else "both"


def _title(slug: str) -> str:
    return slug.replace("-", " ").capitalize() if slug else "Session"


def _rep_rows(summary: SessionSummary) -> list[RepRow]:
    return summary.rep_rows()


def _sides_present(rows: list[RepRow], summary: SessionSummary) -> list[str]:
    seen = {row.side for row in rows} | {_side_name(h.side) for h in summary.holds}
    return [side for side in ("left", "right", "both") if side in seen]


def _mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return fmean(values) if values else None


def _side_stats(side: str, rows: list[RepRow], holds: list[HoldEnded], target: Target | None) -> SideStats:
    mine = [row for row in rows if row.side == side]
    side_holds = [h for h in holds if _side_name(h.side) == side]
    roms = [row.rep.rom for row in mine]
    target_reps = target_holds = None
    if target is not None and (side == "both") != target.per_side:
        if target.reps > 1:
            target_reps = target.total_reps
        elif target.hold_s > 0:
            target_holds = target.sets
    return SideStats(
        side=side, reps=len(mine), clean=sum(not row.flagged for row in mine), target_reps=target_reps,
        target_holds=target_holds,
        rom_mean=_mean(roms), rom_min=min(roms, default=None), rom_max=max(roms, default=None),
        up_mean_s=_mean(row.rep.up_s for row in mine if row.rep.up_s > 0),
        down_mean_s=_mean(row.rep.down_s for row in mine if row.rep.down_s > 0),
        holds=len(side_holds), holds_completed=sum(h.completed for h in side_holds),
        held_total_s=sum(h.held_s for h in side_holds), held_best_s=max((h.held_s for h in side_holds), default=0.0),
    )


def _asymmetry(sides: list[SideStats]) -> list[Asymmetry]:
    by_side = {s.side: s for s in sides}
    if "left" not in by_side or "right" not in by_side:
        return []
    left, right = by_side["left"], by_side["right"]
    found = []
    if left.reps or right.reps:
        found.append(Asymmetry("reps", left.reps, right.reps))
    if left.rom_mean is not None and right.rom_mean is not None:
        found.append(Asymmetry("mean range of motion", left.rom_mean, right.rom_mean))
    if left.holds or right.holds:
        found.append(Asymmetry("hold time (s)", left.held_total_s, right.held_total_s))
    return found


# ----------------------------------------------------------------------------- plots


def _figure(width: float = 8.0, height: float = 2.8) -> Figure:
    """matplotlib is imported here, not at module level, so listing history never pays for it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def png_bytes(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def plot_trace(report: SessionReport) -> Figure:
    """The tracked signal over time, a marker on each rep's peak (gid ``rep-markers``, hollow when
    flagged) and a red mark at each warning (gid ``warning-marks``); holds shaded."""
    summary = report.summary
    figure = _figure()
    ax = figure.add_subplot()
    trace = summary.signal_trace
    if trace:
        ax.plot([t for t, _ in trace], [v for _, v in trace], color="0.45", linewidth=1)

    def value_at(t: float, fallback: float) -> float:
        if not trace:
            return fallback
        return min(trace, key=lambda point: abs(point[0] - t))[1]

    for flagged in (False, True):
        rows = [row for row in report.rows if row.flagged is flagged]
        if rows:
            ax.plot([row.rep.peak_s for row in rows], [value_at(row.rep.peak_s, row.rep.peak) for row in rows],
                    linestyle="none", marker="o", markersize=7, gid=REP_MARKERS_GID,
                    markerfacecolor="none" if flagged else "#2ca02c", markeredgecolor="#ff7f0e" if flagged else
                    "#2ca02c", label="flagged rep" if flagged else "clean rep")
    for i, hold in enumerate(summary.holds):
        ax.axvspan(hold.start_s, hold.t_s, color=SIDE_COLOURS[_side_name(hold.side)], alpha=0.12,
                   label="hold" if i == 0 else None)
    if summary.warnings:
        top = max((v for _, v in trace), default=max((r.rep.peak for r in report.rows), default=1.0))
        ax.plot([w.t_s for w in summary.warnings], [top] * len(summary.warnings), linestyle="none", marker="v",
                color="#d62728", markersize=8, gid=WARNING_MARKS_GID, label="form warning")
    ax.set_xlabel("time (s)")
    ax.set_ylabel(f"{summary.signal_name or 'signal'} ({report.unit.strip()})")
    ax.set_xlim(0, max(summary.duration_s, max((t for t, _ in trace), default=0.0), 1.0))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper right", fontsize=8)
    ax.set_title("Movement over the session", fontsize=10)
    return figure


def plot_rom(report: SessionReport) -> Figure:
    """Range of motion of each rep, coloured by side, hatched when flagged."""
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    figure = _figure()
    ax = figure.add_subplot()
    rows = report.rows
    bars = ax.bar([row.number for row in rows], [row.rep.rom for row in rows],
                  color=[SIDE_COLOURS[row.side] for row in rows], edgecolor="black", linewidth=0.5)
    for bar, row in zip(bars, rows, strict=True):
        if row.flagged:
            bar.set_hatch("//")
    sides = sorted({row.side for row in rows})
    if sides:
        ax.legend(handles=[Patch(color=SIDE_COLOURS[side], label=side) for side in sides], fontsize=8)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("rep")
    ax.set_ylabel(f"range of motion ({report.unit.strip()})")
    ax.set_title("Range of motion per rep (hatched: flagged)", fontsize=10)
    return figure


def plot_holds(report: SessionReport) -> Figure:
    """Each hold's time in position, grouped by side, against the target."""
    figure = _figure(6.0, 2.8)
    ax = figure.add_subplot()
    holds = sorted(report.summary.holds, key=lambda h: (_side_name(h.side), h.t_s))
    numbers: Counter[str] = Counter()
    labels = []
    for hold in holds:
        numbers[_side_name(hold.side)] += 1
        labels.append(f"{_side_name(hold.side)} {numbers[_side_name(hold.side)]}")
    ax.bar(labels, [h.held_s for h in holds], color=[SIDE_COLOURS[_side_name(h.side)] for h in holds])
    targets = {h.target_s for h in holds if h.target_s > 0}
    for target in targets:
        ax.axhline(target, color="black", linestyle="--", linewidth=1, label=f"target {target:g} s")
    if targets:
        ax.legend(fontsize=8)
    ax.set_ylabel("held (s)")
    ax.set_title("Hold time per side", fontsize=10)
    return figure


def session_figures(report: Report) -> dict[str, Figure]:
    """Only the plots that have something to show (a recording's keyed by part: ``2-trace``)."""
    if isinstance(report, RecordingReport):
        return {f"{number}-{key}": figure for number, part in enumerate(report.parts, 1)
                for key, figure in session_figures(part).items()}
    figures: dict[str, Figure] = {}
    if report.summary.signal_trace or report.rows:
        figures["trace"] = plot_trace(report)
    if report.rows:
        figures["rom"] = plot_rom(report)
    if report.summary.holds:
        figures["holds"] = plot_holds(report)
    return figures


FEW_WEEKS = 3
"""With fewer weeks than this in the history, progress is plotted per session, not per week."""
MIN_SLOTS = 5
"""The x axis spans at least this many bars, so one week of data is not one huge bar."""


def plot_progress(weeks: list[WeekStats], *, per_session: bool = False, patient: str | None = None) -> Figure:
    """One row per exercise: reps (stacked by side), mean range of motion (in the exercise's unit) and
    hold time, per week (or per session: ``per_session``). Nothing is summed across exercises."""
    from matplotlib.ticker import MaxNLocator

    from posecoach.exercises.catalog import CATALOG

    slugs = sorted({w.exercise for w in weeks})
    figure = _figure(9.0, 0.6 + 2.6 * len(slugs))
    rows = figure.subfigures(len(slugs), 1, squeeze=False)[:, 0]
    period = "session" if per_session else "week"
    for row, slug in zip(rows, slugs, strict=True):
        mine = sorted((w for w in weeks if w.exercise == slug), key=lambda w: w.week)
        exercise = CATALOG.get(slug)
        unit = signal_unit(exercise.rep.signal.split(".")[0]) if exercise and exercise.rep else "°"
        panels = []
        if any(w.reps_total for w in mine) or (exercise is not None and exercise.rep is not None):
            panels.append("reps")
        if any(w.rom_mean is not None for w in mine):
            panels.append("rom")
        if any(w.held_s > 0 for w in mine) or (exercise is not None and exercise.hold is not None):
            panels.append("held")
        axes = row.subplots(1, len(panels), squeeze=False)[0]
        row.suptitle(exercise.name if exercise else slug, fontsize=10, fontweight="bold")
        x = list(range(len(mine)))
        ticks = [w.week.strftime("%d %b") if per_session else f"wk of {w.week.strftime('%d %b')}" for w in mine]
        for ax, panel in zip(axes, panels, strict=True):
            if panel == "reps":
                bottoms = [0] * len(mine)
                for side in ("left", "right", "both"):
                    heights = [w.reps.get(side, 0) for w in mine]
                    if any(heights):
                        ax.bar(x, heights, width=0.6, bottom=bottoms, color=SIDE_COLOURS[side], label=side)
                        bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
                ax.set_ylabel(f"reps per {period}")
                ax.yaxis.set_major_locator(MaxNLocator(integer=True))
                if any(bottoms):
                    ax.legend(fontsize=7)
            elif panel == "rom":
                points = [(i, w.rom_mean) for i, w in enumerate(mine) if w.rom_mean is not None]
                ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", color="#444")
                ax.set_ylabel(f"mean range of motion ({unit.strip()})")
            else:
                ax.bar(x, [w.held_s for w in mine], width=0.6, color="#9467bd")
                ax.set_ylabel(f"hold time per {period} (s)")
            ax.set_xlim(-0.6, max(len(mine), MIN_SLOTS) - 0.4)
            ax.set_xticks(x, ticks, rotation=30, ha="right", fontsize=7)
            ax.set_ylim(bottom=0)
    whose = f" — {patient}" if patient else ""
    figure.suptitle(f"Progress by {period}{whose}", fontsize=11)
    return figure


# ----------------------------------------------------------------------------- sections, rendered twice


@dataclass(frozen=True)
class Section:
    """Format-neutral content: paragraphs, an optional table and an optional plot key."""

    heading: str
    paragraphs: tuple[str, ...] = ()
    table: tuple[tuple[str, ...], list[tuple[str, ...]]] | None = None
    figure: str | None = None
    stills: tuple[tuple[str, bytes], ...] = ()
    """``(caption, JPEG bytes)`` of video stills shown after the section (HTML and PDF; not Markdown or text)."""


def _num(value: float | None, digits: int = 0, unit: str = "") -> str:
    return "–" if value is None else f"{value:.{digits}f}{unit}"


def clock(t_s: float) -> str:
    minutes, seconds = divmod(t_s, 60)
    return f"{int(minutes)}:{seconds:04.1f}"


def _holds_prescribed(report: SessionReport) -> bool:
    return report.target is not None and report.target.hold_s > 0


def _headline(report: SessionReport) -> list[str]:
    """The one-minute read: counts (against a target only when one was prescribed), form, asymmetry."""
    lines = []
    for s in report.sides:
        parts = []
        if s.reps or s.target_reps:
            done = f"{s.reps} of {plural(s.target_reps, 'rep')}" if s.target_reps else plural(s.reps, "rep")
            parts.append(f"{done} ({s.clean} clean, {s.flagged} flagged)")
        if s.holds and _holds_prescribed(report):
            assert report.target is not None
            parts.append(f"{s.holds_completed} of {plural(s.target_holds or s.holds, 'hold')} reached "
                         f"{report.target.hold_s:g} s, best {s.held_best_s:.1f} s")
        elif s.holds:
            parts.append(f"{plural(s.holds, 'hold')}, {s.held_total_s:.1f} s in all, best {s.held_best_s:.1f} s")
        if parts:
            lines.append(f"**{s.side.capitalize()}**: " + "; ".join(parts) + ".")
    if not lines:
        lines.append("No reps or holds were recorded." if report.summary.counts_reps else "No holds were recorded.")
    rejected = report.summary.rejected
    if rejected:
        lines.append(f"{plural(len(rejected), 'movement')} did not count (see “Not counted”).")
    for a in report.asymmetry:
        if a.notable:
            lines.append(f"Asymmetry in {a.measure}: left {a.format(a.left)} vs right {a.format(a.right)} "
                         f"({a.index_pct:.0f} % difference).")
    codes = Counter(w.code for w in report.summary.warnings)
    if codes:
        lines.append("Form warnings: " + "; ".join(f"{explain(code)} ({plural(n, 'time')})"
                                                   for code, n in codes.most_common()) + ".")
    if report.summary.partial:
        lines.append("The session ended early; totals cover what was recorded.")
    return lines


def _side_row(s: SideStats, holds_prescribed: bool) -> tuple[str, ...]:
    reps = f"{s.reps} of {s.target_reps}" if s.target_reps else str(s.reps)
    if holds_prescribed:
        holds = f"{s.holds_completed} of {s.target_holds or s.holds}" if s.holds or s.target_holds else "–"
    else:
        holds = str(s.holds) if s.holds else "–"
    return (s.side, reps, str(s.clean), str(s.flagged), _num(s.rom_mean),
            f"{_num(s.rom_min)}–{_num(s.rom_max)}" if s.reps else "–", _num(s.up_mean_s, 1), _num(s.down_mean_s, 1),
            holds, _num(s.held_total_s, 1) if s.holds else "–")


def _describe_target(target: Target, hold_only: bool) -> str:
    if hold_only:
        length = f" of {target.hold_s:g} s" if target.hold_s else ""
        return f"{plural(target.sets * max(target.reps, 1), 'hold')}{length}" + (" per side" if target.per_side else "")
    sets = f"{target.sets} × " if target.sets > 1 else ""
    dose = f"{sets}{plural(target.reps, 'rep')}" + (" per side" if target.per_side else "") if target.reps else ""
    if not dose:
        return f"holds of {target.hold_s:g} s"
    return dose + (f", holds of {target.hold_s:g} s" if target.hold_s else "")


def recognised_words(recognition: dict[str, object]) -> str:
    """'Glute bridge (sure)', 'Lying leg raise or Lying march (unsure): pass -e to choose', from the
    summary's ``recognition`` (the names of exercises this posecoach no longer has stay slugs)."""
    from posecoach.exercises.catalog import CATALOG

    def name(slug: object) -> str:
        exercise = CATALOG.get(str(slug))
        return exercise.name if exercise else str(slug)

    if recognition.get("exercise") is None:
        return "no exercise recognised"
    if recognition.get("sure"):
        return f"{name(recognition['exercise'])} (sure)"
    alternatives = recognition.get("alternatives")
    runner_up = alternatives[0].get("exercise") if isinstance(alternatives, list) and alternatives else None
    names = " or ".join(name(slug) for slug in (recognition["exercise"], runner_up) if slug is not None)
    return f"{names} (unsure): pass -e to choose"


def _part_line(summary: SessionSummary) -> str | None:
    if not summary.segment:
        return None
    segment = summary.segment
    return (f"**Part**: {segment['index']} of {segment['of']} of the recording, from {clock(segment['start_s'])} "
            f"to {clock(segment['end_s'])}")


def _about(report: SessionReport, *, in_recording: bool = False) -> list[str]:
    """Who, when, from what, how the exercise was found and what was asked: the lines a patient and a
    colleague need first. ``in_recording``: one part of a :class:`RecordingReport`, whose overview
    already says who, when and from what video."""
    summary = report.summary
    lines = [] if in_recording else _who_and_what(report)
    part = _part_line(summary)
    if part:
        lines.append(part)
    if summary.recognition:
        lines.append(f"**Recognised**: {recognised_words(summary.recognition)}")
    return lines + _prescribed_and_history(report)


def _who_and_what(report: SessionReport, *, whole_recording: bool = False) -> list[str]:
    """Patient, date and video; ``whole_recording`` names the video alone (the parts' own reports give
    their durations and views)."""
    summary = report.summary
    lines = []
    if summary.patient:
        lines.append(f"**Patient**: {summary.patient}")
    if summary.recorded_at:
        guess = " (the file's date: the video carries none)" if summary.recorded_at_from == "file" else ""
        lines.append(f"**Recorded**: {_when(summary.recorded_at)}{guess}")
    elif report.started_at:
        lines.append(f"**Session**: {report.started_at.astimezone().strftime('%Y-%m-%d %H:%M')}")
    source = Path(summary.source).name if summary.source and not summary.source.startswith("camera") \
        else summary.source
    facts = [f"{source}" if source else ""]
    if not whole_recording:
        facts.append(f"{summary.duration_s:.0f} s")
        if summary.frames:
            facts.append(f"person visible in {summary.pose_coverage:.0%} of frames")
        if summary.camera_side:
            facts.append(f"filmed from the {summary.camera_side}")
    lines.append("**Video**: " + ", ".join(f for f in facts if f))
    return lines


def _prescribed_and_history(report: SessionReport) -> list[str]:
    lines = []
    if report.target:
        lines.append("**Prescribed**: " + _describe_target(report.target, not report.summary.counts_reps))
    else:
        lines.append("**Prescribed**: nothing was prescribed for this session; counts and times are as measured.")
    if report.session_id is not None:
        lines.append(f"**History**: session {report.session_id}" + (f" ({report.status})" if report.status else ""))
    return lines


def _when(iso: str) -> str:
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment.tzinfo else moment.strftime("%Y-%m-%d %H:%M")


def _instructions(slug: str) -> Section | None:
    """The starting position, the catalogue's cues and what the source article says, for the patient."""
    from posecoach.exercises.catalog import CATALOG

    exercise = CATALOG.get(slug)
    if exercise is None:
        return None
    lines = [f"**Starting position**: {exercise.posture.name}."]
    if exercise.cues:
        lines.append("**How to do it**:")
        lines.extend(f"• {cue}" for cue in exercise.cues)
    if exercise.source:
        title, note = article_title(exercise.source.article), exercise.source.instruction.rstrip(".")
        if title != exercise.source.article:  # one of the seed articles
            lines.append(f"**From the article** “{title}”: {note}.")
        else:
            lines.append(f"**Note**: {note}.")
    return Section("The exercise", tuple(lines))


def report_sections(report: Report, *, with_figures: bool = True) -> list[Section]:
    if isinstance(report, RecordingReport):
        return _recording_sections(report, with_figures=with_figures)
    return _session_sections(report, with_figures=with_figures)


def _recording_sections(report: RecordingReport, *, with_figures: bool) -> list[Section]:
    """An overview of the parts, then each part's own report under "Part N: exercise" headings (its
    figures keyed by part, as :func:`session_figures` draws them)."""
    rows: list[tuple[str, ...]] = []
    for number, part in enumerate(report.parts, 1):
        summary, segment = part.summary, part.summary.segment or {}
        held = sum(h.held_s for h in summary.holds)
        rows.append((str(number), clock(segment.get("start_s", 0.0)), clock(segment.get("end_s", summary.duration_s)),
                     part.title, recognised_words(summary.recognition) if summary.recognition else "given (-e)",
                     str(len(summary.reps)) if summary.counts_reps else "–",
                     f"{len(summary.holds)} ({held:.0f} s)" if summary.holds else "–",
                     str(part.session_id) if part.session_id is not None else "–"))
    summary_line = (f"The recording shows {plural(len(report.parts), 'exercise')} one after another; each was "
                    "recognised and counted on its own part of the recording, below.")
    overview = Section(report.title, (*_who_and_what(report.parts[0], whole_recording=True), summary_line),
                       (("Part", "From", "To", "Exercise", "Recognised", "Reps", "Holds", "Session"), rows))
    sections = [overview]
    for number, part in enumerate(report.parts, 1):
        sections.extend(replace(section, heading=f"Part {number}: {section.heading}",
                                figure=f"{number}-{section.figure}" if section.figure else None)
                        for section in _session_sections(part, with_figures=with_figures, in_recording=True))
    return sections


def _session_sections(report: SessionReport, *, with_figures: bool, in_recording: bool = False) -> list[Section]:
    summary, unit = report.summary, report.unit
    sections = [Section(report.title, tuple(_about(report, in_recording=in_recording))),
                Section("At a glance", tuple(_headline(report)))]
    instructions = _instructions(summary.exercise)
    if instructions is not None:
        sections.append(instructions)
    holds_prescribed = _holds_prescribed(report)
    if report.sides and not summary.counts_reps:
        sections.append(Section("Per side", table=(
            ("Side", "Holds reaching target" if holds_prescribed else "Holds", "Hold time (s)", "Best (s)"),
            [(side.side, _side_row(side, holds_prescribed)[8], _num(side.held_total_s, 1), _num(side.held_best_s, 1))
             for side in report.sides])))
    elif report.sides:
        sections.append(Section("Per side", table=(
            ("Side", "Reps", "Clean", "Flagged", f"ROM mean ({unit.strip()})", "ROM min–max", "Up (s)", "Down (s)",
             "Holds reaching target" if holds_prescribed else "Holds", "Hold time (s)"),
            [_side_row(s, holds_prescribed) for s in report.sides])))
    if report.asymmetry:
        sections.append(Section(
            "Asymmetry (left vs right)",
            (f"Differences of {ASYMMETRY_NOTABLE_PCT:.0f} % or more are marked ⚠.",),
            (("Measure", "Left", "Right", "Difference"),
             [(a.measure, a.format(a.left), a.format(a.right), f"{a.index_pct:.0f} %" + (" ⚠" if a.notable else ""))
              for a in report.asymmetry])))
    if with_figures and (summary.signal_trace or report.rows):
        sections.append(Section("Movement", ("Filled dots: clean reps; hollow: flagged; red triangles: warnings.",),
                                figure="trace"))
    if report.rows:
        sections.append(Section("Reps", table=(
            ("#", "Set", "Side", "Start", "End", f"ROM ({unit.strip()})", "Up (s)", "Top (s)", "Down (s)", "Issues"),
            [(str(r.number), str(r.set_index), r.side, clock(r.rep.start_s), clock(r.rep.t_s), f"{r.rep.rom:.0f}",
              f"{r.rep.up_s:.1f}", f"{r.rep.held_s:.1f}", f"{r.rep.down_s:.1f}", ", ".join(r.issues) or "clean")
             for r in report.rows]), figure="rom" if with_figures else None))
    if with_figures and report.key_frames:
        sections.append(Section("Flagged reps, at their worst moment", tuple(
            f"Rep {number}: " + "; ".join(explain(code) for code in _row(report, number).codes)
            + (f" (uncertain: {_row(report, number).rep.uncertain})" if _row(report, number).rep.uncertain else "")
            for number in report.key_frames),
            stills=tuple((f"Rep {number}", jpeg) for number, jpeg in report.key_frames.items())))
    if with_figures and report.warning_frames:
        seen = [(summary.warnings[i], jpeg) for i, jpeg in sorted(report.warning_frames.items())]
        sections.append(Section("Form warnings, as the camera saw them", tuple(
            f"{clock(w.t_s)}: {explain(w.code)}." for w, _ in seen),
            stills=tuple((f"{clock(w.t_s)} {w.code}", jpeg) for w, jpeg in seen)))
    if summary.rejected:
        sections.append(Section("Not counted", ("Movements that looked like a rep but did not count, and why.",), (
            ("Time", "Side", "Why"),
            [(clock(r.t_s), _side_name(r.side), r.reason or explain(r.code)) for r in summary.rejected])))
    if summary.holds:
        header: tuple[str, ...] = ("Side", "Start", "Held (s)")
        if holds_prescribed:
            header += ("Target (s)", "Reached")
        sections.append(Section("Holds", table=(header, [
            (_side_name(h.side), clock(h.start_s), f"{h.held_s:.1f}")
            + ((f"{h.target_s:g}", "yes" if h.completed else "no") if holds_prescribed else ())
            for h in summary.holds]), figure="holds" if with_figures else None))
    if summary.warnings:
        sections.append(Section("Warnings", table=(
            ("Time", "Side", "Rep", "What", "Cue"),
            [(clock(w.t_s), w.side.value if w.side else "–", str(w.rep) if w.rep is not None else "–",
              explain(w.code), w.message) for w in summary.warnings])))
    codes = summary.flag_codes()
    if codes:
        meanings: list[tuple[str, ...]] = list(glossary(codes))
        sections.append(Section("What the flags mean", table=(("Flag", "Meaning"), meanings)))
    if summary.notes:
        sections.append(Section("Notes", tuple(summary.notes)))
    return sections


def _md_text(text: str) -> str:
    """Markdown passes HTML through to the reader's renderer: names, notes and sources come from data."""
    return html.escape(text, quote=False)


def _row(report: SessionReport, number: int) -> RepRow:
    return next(row for row in report.rows if row.number == number)


def render_text(sections: list[Section]) -> str:
    """The sections for a terminal: underlined headings, aligned tables, no Markdown markup."""
    from posecoach.sinks.console import format_table

    out: list[str] = []
    for i, section in enumerate(sections):
        out.extend([section.heading, ("=" if i == 0 else "-") * len(section.heading)])
        out.extend(paragraph.replace("**", "") for paragraph in section.paragraphs)
        if section.table:
            header, rows = section.table
            out.append(format_table(rows, header))
        out.append("")
    return "\n".join(out).rstrip("\n")


def _md_cell(text: str) -> str:
    return _md_text(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(sections: list[Section], images: dict[str, str] | None = None) -> str:
    """``images`` maps a figure key to the PNG file name written beside the Markdown."""
    images = images or {}
    out: list[str] = []
    for i, section in enumerate(sections):
        out.append(("# " if i == 0 else "## ") + _md_text(section.heading))
        out.append("")
        for paragraph in section.paragraphs:
            out.extend([_md_text(paragraph), ""])
        if section.table:
            header, rows = section.table
            out.append("| " + " | ".join(_md_cell(h) for h in header) + " |")
            out.append("|" + "|".join("---" for _ in header) + "|")
            out.extend("| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows)
            out.append("")
        if section.figure and section.figure in images:
            out.extend([f"![{section.heading}]({images[section.figure]})", ""])
    return "\n".join(out)


_CSS = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222;
line-height:1.4}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;max-width:100%}
table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left;
vertical-align:top}
th{background:#f3f3f3}img{max-width:100%;height:auto}h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:1.5rem}
figure.key{display:inline-block;margin:.3rem .6rem .6rem 0;max-width:100%}figure.key img{width:16rem;max-width:100%;
border:2px solid #ff7f0e}figure.key figcaption{font-size:.85rem}
@media (max-width:40rem){body{margin:1rem auto;padding:0 .6rem;font-size:15px}td,th{padding:.15rem .3rem;
font-size:.85rem}h1{font-size:1.25rem}}
@media print{body{max-width:none;margin:0;padding:0;font-size:10pt;color:#000}.scroll{overflow:visible}
h2{break-after:avoid}section,table,img,figure{break-inside:avoid}tr{break-inside:avoid}th{background:#eee}
@page{margin:15mm}}"""


def _inline_bold(text: str) -> str:
    escaped = html.escape(text)
    parts = escaped.split("**")
    return "".join(f"<strong>{p}</strong>" if i % 2 else p for i, p in enumerate(parts))


def render_html(sections: list[Section], images: dict[str, bytes] | None = None) -> str:
    """One self-contained file: ``images`` (PNG bytes) and the sections' stills (JPEG) are embedded as
    data URIs; it reads on a phone (viewport, tables that scroll sideways) and prints cleanly."""
    images = images or {}
    title = html.escape(sections[0].heading if sections else "posecoach report")
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{title}</title><style>{_CSS}</style></head><body>"]
    for i, section in enumerate(sections):
        tag = "h1" if i == 0 else "h2"
        out.append(f"<section><{tag}>{html.escape(section.heading)}</{tag}>")
        out.extend(f"<p>{_inline_bold(p)}</p>" for p in section.paragraphs)
        if section.table:
            header, rows = section.table
            out.append('<div class="scroll"><table><tr>' + "".join(f"<th>{html.escape(h)}</th>" for h in header)
                       + "</tr>")
            out.extend("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
            out.append("</table></div>")
        if section.figure and section.figure in images:
            data = base64.b64encode(images[section.figure]).decode("ascii")
            out.append(f'<img alt="{html.escape(section.heading)}" src="data:image/png;base64,{data}">')
        for caption, jpeg in section.stills:
            data = base64.b64encode(jpeg).decode("ascii")
            out.append(f'<figure class="key"><img alt="{html.escape(caption)}" src="data:image/jpeg;base64,{data}">'
                       f"<figcaption>{html.escape(caption)}</figcaption></figure>")
        out.append("</section>")
    out.append("</body></html>")
    return "\n".join(out)


def write_report(report: Report, output: Path, *, force: bool = False,
                 inputs: Sequence[str | os.PathLike[str] | None] = ()) -> list[Path]:
    """Writes ``.html`` (self-contained), ``.pdf`` or ``.md`` (plus ``<stem>-<plot>.png`` beside it); returns
    the files."""
    check_output(output, force=force, suffixes=REPORT_SUFFIXES, inputs=inputs)
    figures = session_figures(report)
    sections = report_sections(report)
    if output.suffix.lower() == ".md":
        names = {key: f"{output.stem}-{key}.png" for key in figures}
        pngs = [output.with_name(name) for name in names.values()]
        for png in pngs:
            check_output(png, force=force, inputs=inputs)
        for key, png in zip(names, pngs, strict=True):
            write_file(png, png_bytes(figures[key]), force=force, inputs=inputs)
        write_file(output, render_markdown(sections, names).encode("utf-8"), force=force, inputs=inputs)
        return [output, *pngs]
    images = {key: png_bytes(figure) for key, figure in figures.items()}
    if output.suffix.lower() == ".pdf":
        from posecoach.sinks.pdf import render_pdf

        write_file(output, render_pdf(sections, images), force=force, inputs=inputs)
        return [output]
    write_file(output, render_html(sections, images).encode("utf-8"), force=force, inputs=inputs)
    return [output]


def write_progress(weeks: list[WeekStats], output: Path, *, force: bool = False, per_session: bool = False,
                   patient: str | None = None, inputs: Sequence[str | os.PathLike[str] | None] = ()) -> Path:
    figure = plot_progress(weeks, per_session=per_session, patient=patient)
    return write_file(output, png_bytes(figure), force=force, inputs=inputs, suffixes=(".png",))
