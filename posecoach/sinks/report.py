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
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from statistics import fmean
from typing import TYPE_CHECKING

from posecoach.events import FormWarning, HoldEnded, RepCompleted, SetCompleted
from posecoach.exercises.definition import Target
from posecoach.landmarks import Side
from posecoach.outputs import check_output, write_file
from posecoach.sinks.history import WeekStats
from posecoach.summary import SessionSummary

if TYPE_CHECKING:
    from matplotlib.figure import Figure

ASYMMETRY_NOTABLE_PCT = 15.0
"""Left/right differences from this size are highlighted; clinicians commonly use 10–15 %."""
REPORT_SUFFIXES = (".html", ".htm", ".md")
SIDE_COLOURS = {"left": "#1f77b4", "right": "#d62728", "both": "#2ca02c"}
REP_MARKERS_GID = "rep-markers"
WARNING_MARKS_GID = "warning-marks"


# ----------------------------------------------------------------------------- output paths


# Every file goes through posecoach.outputs (never an input, only regular files replaced, written to an
# exclusive temporary file and renamed); check_output stays importable from here for the CLI's early checks.


# ----------------------------------------------------------------------------- what the report says


@dataclass(frozen=True)
class RepRow:
    """One rep with the set it belongs to and the form warnings raised during it."""

    number: int
    rep: RepCompleted
    set_index: int
    warnings: tuple[str, ...] = ()

    @property
    def side(self) -> str:
        return self.rep.side.value if self.rep.side else "both"

    @property
    def flagged(self) -> bool:
        return bool(self.rep.flags or self.warnings or self.rep.uncertain)

    @property
    def issues(self) -> list[str]:
        found = [*self.rep.flags, *self.warnings]
        if self.rep.uncertain:
            found.append(f"uncertain: {self.rep.uncertain}")
        return list(dict.fromkeys(found))


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

    @classmethod
    def build(cls, summary: SessionSummary, *, title: str | None = None, target: Target | None = None,
              started_at: datetime | None = None, session_id: int | None = None,
              status: str | None = None) -> SessionReport:
        rows = _rep_rows(summary)
        report = cls(summary, title or _title(summary.exercise), target, started_at, session_id, status, rows)
        report.sides = [_side_stats(side, rows, summary.holds, target) for side in _sides_present(rows, summary)]
        report.asymmetry = _asymmetry(report.sides)
        return report

    @property
    def unit(self) -> str:
        return signal_unit(self.summary.signal_name)


def signal_unit(signal_name: str) -> str:
    """Most tracked signals are joint angles; ``knee_gap`` is a multiple of the hip width."""
    return " × hip width" if signal_name == "knee_gap" else "°"


def _side_name(side: Side | None) -> str:
    return side.value if side is not None else "both"


def _title(slug: str) -> str:
    return slug.replace("-", " ").capitalize() if slug else "Session"


def _rep_rows(summary: SessionSummary) -> list[RepRow]:
    """Sets come from ``SetCompleted``; a warning belongs to the rep it names, else to the rep it fell in."""
    set_index, placed = 1, []
    for event in summary.events:
        if isinstance(event, SetCompleted):
            set_index = event.set_index + 1
        elif isinstance(event, RepCompleted):
            placed.append((event, set_index))
    codes: dict[int, list[str]] = {i: [] for i in range(len(placed))}
    for warning in summary.warnings:
        for i, (rep, _) in enumerate(placed):
            if _warning_belongs(warning, rep):
                codes[i].append(warning.code)
                break
    return [RepRow(i + 1, rep, s, tuple(dict.fromkeys(codes[i]))) for i, (rep, s) in enumerate(placed)]


def _warning_belongs(warning: FormWarning, rep: RepCompleted) -> bool:
    same_side = warning.side is None or rep.side is None or warning.side == rep.side
    if warning.rep is not None:
        return same_side and warning.rep == rep.count
    return same_side and rep.start_s <= warning.t_s <= rep.t_s


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


def session_figures(report: SessionReport) -> dict[str, Figure]:
    """Only the plots that have something to show."""
    figures: dict[str, Figure] = {}
    if report.summary.signal_trace or report.rows:
        figures["trace"] = plot_trace(report)
    if report.rows:
        figures["rom"] = plot_rom(report)
    if report.summary.holds:
        figures["holds"] = plot_holds(report)
    return figures


def plot_progress(weeks: list[WeekStats]) -> Figure:
    """Reps per week (stacked by side), mean range of motion per week, and hold time per week."""
    with_holds = any(w.held_s > 0 for w in weeks)
    figure = _figure(8.0, 7.5 if with_holds else 5.2)
    axes = figure.subplots(3 if with_holds else 2, 1, sharex=True)
    week_list = sorted({w.week for w in weeks})
    x = {week: i for i, week in enumerate(week_list)}
    ticks = [week.isoformat() for week in week_list]
    reps_ax, rom_ax = axes[0], axes[1]
    bottoms = [0] * len(week_list)
    for side in ("left", "right", "both"):
        heights = [0] * len(week_list)
        for w in weeks:
            heights[x[w.week]] += w.reps.get(side, 0)
        if any(heights):
            reps_ax.bar(range(len(week_list)), heights, bottom=bottoms, color=SIDE_COLOURS[side], label=side)
            bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    reps_ax.set_ylabel("reps per week")
    if any(bottoms):
        reps_ax.legend(fontsize=8)
    for slug in sorted({w.exercise for w in weeks}):
        points = [(x[w.week], w.rom_mean) for w in weeks if w.exercise == slug and w.rom_mean is not None]
        if points:
            rom_ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=slug)
    rom_ax.set_ylabel("mean range of motion")
    if rom_ax.get_legend_handles_labels()[0]:
        rom_ax.legend(fontsize=8)
    if with_holds:
        held = [0.0] * len(week_list)
        for w in weeks:
            held[x[w.week]] += w.held_s
        axes[2].bar(range(len(week_list)), held, color="#9467bd")
        axes[2].set_ylabel("hold time per week (s)")
    axes[-1].set_xticks(range(len(week_list)), ticks, rotation=30, ha="right", fontsize=8)
    axes[-1].set_xlabel("week starting")
    figure.suptitle("Progress by week", fontsize=11)
    return figure


# ----------------------------------------------------------------------------- sections, rendered twice


@dataclass(frozen=True)
class Section:
    """Format-neutral content: paragraphs, an optional table and an optional plot key."""

    heading: str
    paragraphs: tuple[str, ...] = ()
    table: tuple[tuple[str, ...], list[tuple[str, ...]]] | None = None
    figure: str | None = None


def _num(value: float | None, digits: int = 0, unit: str = "") -> str:
    return "–" if value is None else f"{value:.{digits}f}{unit}"


def _clock(t_s: float) -> str:
    minutes, seconds = divmod(t_s, 60)
    return f"{int(minutes)}:{seconds:04.1f}"


def _headline(report: SessionReport) -> list[str]:
    """The one-minute read: counts against target, form, asymmetry, warnings."""
    lines = []
    for s in report.sides:
        parts = []
        if s.reps or s.target_reps:
            done = f"{s.reps}/{s.target_reps}" if s.target_reps else str(s.reps)
            parts.append(f"{done} reps ({s.clean} clean, {s.flagged} flagged)")
        if s.holds or s.target_holds:
            parts.append(f"{s.holds_completed}/{s.target_holds or s.holds} holds on target, "
                         f"best {s.held_best_s:.1f} s")
        if parts:
            lines.append(f"**{s.side.capitalize()}**: " + "; ".join(parts) + ".")
    if not lines:
        lines.append("No reps or holds were recorded.")
    for a in report.asymmetry:
        if a.notable:
            lines.append(f"Asymmetry in {a.measure}: left {a.format(a.left)} vs right {a.format(a.right)} "
                         f"({a.index_pct:.0f} % difference).")
    codes = Counter(w.code for w in report.summary.warnings)
    if codes:
        lines.append("Form warnings: " + ", ".join(f"{code} ×{n}" for code, n in codes.most_common()) + ".")
    if report.summary.partial:
        lines.append("The session ended early; totals cover what was recorded.")
    return lines


def _side_row(s: SideStats) -> tuple[str, ...]:
    reps = f"{s.reps}/{s.target_reps}" if s.target_reps else str(s.reps)
    holds = f"{s.holds_completed}/{s.target_holds or s.holds}" if s.holds or s.target_holds else "–"
    return (s.side, reps, str(s.clean), str(s.flagged), _num(s.rom_mean),
            f"{_num(s.rom_min)}–{_num(s.rom_max)}" if s.reps else "–", _num(s.up_mean_s, 1), _num(s.down_mean_s, 1),
            holds, _num(s.held_total_s, 1) if s.holds else "–")


def report_sections(report: SessionReport, *, with_figures: bool = True) -> list[Section]:
    summary, unit = report.summary, report.unit
    meta = [f"Source: {summary.source}", f"duration {summary.duration_s:.0f} s"]
    if report.started_at:
        meta.insert(0, report.started_at.astimezone().strftime("%Y-%m-%d %H:%M"))
    if summary.frames:
        meta.append(f"person visible in {summary.pose_coverage:.0%} of frames")
    if report.target:
        t = report.target
        dose = f"{t.sets} × {t.reps} reps" + (" per side" if t.per_side else "")
        meta.append("prescribed " + dose + (f", holds of {t.hold_s:g} s" if t.hold_s else ""))
    if report.session_id is not None:
        meta.append(f"session {report.session_id}" + (f" ({report.status})" if report.status else ""))
    sections = [Section(report.title, ("; ".join(meta) + ".",)), Section("At a glance", tuple(_headline(report)))]
    if report.sides:
        sections.append(Section("Per side", table=(
            ("Side", "Reps", "Clean", "Flagged", f"ROM mean ({unit.strip()})", "ROM min–max", "Up (s)", "Down (s)",
             "Holds on target", "Hold time (s)"),
            [_side_row(s) for s in report.sides])))
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
            [(str(r.number), str(r.set_index), r.side, _clock(r.rep.start_s), _clock(r.rep.t_s), f"{r.rep.rom:.0f}",
              f"{r.rep.up_s:.1f}", f"{r.rep.held_s:.1f}", f"{r.rep.down_s:.1f}", ", ".join(r.issues) or "clean")
             for r in report.rows]), figure="rom" if with_figures else None))
    if summary.holds:
        sections.append(Section("Holds", table=(
            ("Side", "Start", "Held (s)", "Target (s)", "Reached"),
            [(_side_name(h.side), _clock(h.start_s), f"{h.held_s:.1f}", f"{h.target_s:g}",
              "yes" if h.completed else "no") for h in summary.holds]), figure="holds" if with_figures else None))
    if summary.warnings:
        sections.append(Section("Warnings", table=(
            ("Time", "Side", "Rep", "Code", "Cue"),
            [(_clock(w.t_s), w.side.value if w.side else "–", str(w.rep) if w.rep is not None else "–", w.code,
              w.message) for w in summary.warnings])))
    if summary.notes:
        sections.append(Section("Notes", tuple(summary.notes)))
    return sections


def _md_text(text: str) -> str:
    """Markdown passes HTML through to the reader's renderer: names, notes and sources come from data."""
    return html.escape(text, quote=False)


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


_CSS = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}
th{background:#f3f3f3}img{max-width:100%}h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:1.5rem}"""


def _inline_bold(text: str) -> str:
    escaped = html.escape(text)
    parts = escaped.split("**")
    return "".join(f"<strong>{p}</strong>" if i % 2 else p for i, p in enumerate(parts))


def render_html(sections: list[Section], images: dict[str, bytes] | None = None) -> str:
    """One self-contained file: ``images`` (PNG bytes) are embedded as data URIs."""
    images = images or {}
    title = html.escape(sections[0].heading if sections else "posecoach report")
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{title}</title><style>{_CSS}</style></head><body>"]
    for i, section in enumerate(sections):
        tag = "h1" if i == 0 else "h2"
        out.append(f"<{tag}>{html.escape(section.heading)}</{tag}>")
        out.extend(f"<p>{_inline_bold(p)}</p>" for p in section.paragraphs)
        if section.table:
            header, rows = section.table
            out.append("<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>")
            out.extend("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
            out.append("</table>")
        if section.figure and section.figure in images:
            data = base64.b64encode(images[section.figure]).decode("ascii")
            out.append(f'<img alt="{html.escape(section.heading)}" src="data:image/png;base64,{data}">')
    out.append("</body></html>")
    return "\n".join(out)


def write_report(report: SessionReport, output: Path, *, force: bool = False,
                 inputs: Sequence[str | os.PathLike[str] | None] = ()) -> list[Path]:
    """Writes ``.html`` (self-contained) or ``.md`` (plus ``<stem>-<plot>.png`` beside it); returns the files."""
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
    write_file(output, render_html(sections, images).encode("utf-8"), force=force, inputs=inputs)
    return [output]


def write_progress(weeks: list[WeekStats], output: Path, *, force: bool = False,
                   inputs: Sequence[str | os.PathLike[str] | None] = ()) -> Path:
    return write_file(output, png_bytes(plot_progress(weeks)), force=force, inputs=inputs, suffixes=(".png",))
