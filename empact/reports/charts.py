"""The reports' charts, drawn by matplotlib from plain values (never from models).

Each function returns a `Chart`: SVG text for HTML and PDF, PNG bytes (200 dpi)
for DOCX, both drawn on demand from the same figure code. Charts must read on
paper in black and white, so every status has a hatch and a symbol as well as a
colour, and values are written on the bars rather than left to an axis.

Figures are `matplotlib.figure.Figure` objects, never pyplot (whose global figure
registry is not thread-safe); the few settings matplotlib only reads from its
global rcParams at save time are applied under one lock. Output is deterministic:
a fixed SVG hash salt and no date in the metadata. Labels are user text: controls
are dropped, they are cut to a few lines, and "$" is never read as mathtext.
"""

import io
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator

from empact.reports import fonts
from empact.reports.text import one_line, wrapped

PNG_DPI = 200
WIDTH_IN = 6.7  # an A4 page's text width, 17 cm
ROW_IN = 0.34
_RC = {
    "svg.fonttype": "none",  # text stays text: searchable, and copied out of the PDF
    "svg.hashsalt": "empact",
    "text.parse_math": False,
    "text.usetex": False,
    "font.family": fonts.FAMILY,
    "axes.unicode_minus": False,
}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class StatusStyle:
    label: str
    symbol: str
    colour: str
    hatch: str
    text_colour: str = "black"


# Colours are light enough that black text and hatching stay visible in colour and
# in grey; the hatches alone tell the statuses apart on a black-and-white page.
STATUSES = {
    "green": StatusStyle("On track", "✓", "#7cc47f", ""),
    "amber": StatusStyle("Behind", "!", "#ffd54f", "///"),
    "red": StatusStyle("Far behind", "✕", "#ef8a80", "xxx"),
    "none": StatusStyle("No status", "–", "#f2f2f2", "---"),
}


@dataclass(frozen=True)
class GoalStatusCounts:
    """How many KPIs of one strategic goal have each status."""

    goal: str
    green: int = 0
    amber: int = 0
    red: int = 0
    none: int = 0

    @property
    def total(self) -> int:
        return self.green + self.amber + self.red + self.none


@dataclass(frozen=True)
class KPIProgress:
    """One KPI: accepted so far, expected by now and the target (None: no target)."""

    label: str
    accepted: Decimal | float | int | None
    expected: Decimal | float | int | None = None
    target: Decimal | float | int | None = None
    status: str = "none"


@dataclass(frozen=True)
class Chart:
    """A chart, drawn on first use as SVG text or as PNG bytes."""

    title: str
    description: str  # the same facts in words: alt text, and for screen readers
    draw: Callable[[], Figure] = field(repr=False, compare=False)

    @cached_property
    def svg(self) -> str:
        return _save(self.draw, "svg").decode("utf-8")

    @cached_property
    def png(self) -> bytes:
        return _save(self.draw, "png")


def attainment_by_goal(goals: Sequence[GoalStatusCounts]) -> Chart:
    """KPIs per strategic goal by status, one stacked horizontal bar per goal."""
    goals = tuple(goals)
    description = "; ".join(
        f"{one_line(g.goal)}: "
        + ", ".join(
            f"{getattr(g, key)} {STATUSES[key].label.lower()}" for key in STATUSES
        )
        for g in goals
    )
    return Chart(
        "KPI attainment by strategic goal",
        description or "No KPIs.",
        lambda: _draw_attainment(goals),
    )


def kpi_progress(kpis: Sequence[KPIProgress]) -> Chart:
    """Accepted value of each KPI as a share of its target, with the expected
    share marked; KPIs without a target show their accepted value only."""
    kpis = tuple(kpis)
    description = "; ".join(f"{one_line(k.label)}: {_progress_words(k)}" for k in kpis)
    return Chart(
        "KPI progress against target",
        description or "No KPIs.",
        lambda: _draw_kpis(kpis),
    )


def participation_by_country(counts: Sequence[tuple[str, int]]) -> Chart:
    """How many operational actions each country takes part in, most first."""
    rows = tuple(sorted(counts, key=lambda c: (-c[1], c[0])))
    description = "; ".join(f"{one_line(country)}: {n}" for country, n in rows)
    return Chart(
        "Participation by country",
        description or "No participation recorded.",
        lambda: _draw_participation(rows),
    )


def _save(draw: Callable[[], Figure], fmt: str) -> bytes:
    buffer = io.BytesIO()
    with _LOCK, matplotlib.rc_context(_RC):
        figure = draw()
        _apply_font(figure)
        if fmt == "svg":
            figure.savefig(buffer, format="svg", metadata={"Date": None})
        else:
            figure.savefig(
                buffer, format="png", dpi=PNG_DPI, metadata={"Software": None}
            )
    return buffer.getvalue()


_REGULAR = FontProperties(family=fonts.FAMILY, fname=fonts.REGULAR)
_BOLD = FontProperties(family=fonts.FAMILY, fname=fonts.BOLD, weight="bold")


def _apply_font(figure: Figure) -> None:
    """Every text in the vendored font files, so charts match the pages exactly."""
    for text in figure.findobj(Text):
        bold = text.get_fontweight() in ("bold", 700, "heavy")
        size = text.get_fontsize()
        text.set_fontproperties(_BOLD if bold else _REGULAR)
        text.set_fontsize(size)


def _figure(rows: int) -> tuple[Figure, object]:
    figure = Figure(
        figsize=(WIDTH_IN, 0.9 + ROW_IN * max(rows, 1)), layout="constrained"
    )
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.tick_params(axis="y", length=0, labelsize=8)
    axes.tick_params(axis="x", labelsize=7)
    return figure, axes


def _labels(names: Sequence[str]) -> list[str]:
    return [wrapped(name, width=34, lines=2) or "—" for name in names]


def _draw_attainment(goals: tuple[GoalStatusCounts, ...]) -> Figure:
    figure, axes = _figure(len(goals))
    positions = list(range(len(goals)))[::-1]  # the first goal on top
    left = [0] * len(goals)
    # A count is written inside its segment only where it fits; narrower
    # segments are told by their hatch, and the total is written at the end.
    fits = max((g.total for g in goals), default=0) * 0.1
    for key, style in STATUSES.items():
        widths = [getattr(g, key) for g in goals]
        axes.barh(
            positions,
            widths,
            left=left,
            height=0.62,
            color=style.colour,
            hatch=style.hatch,
            edgecolor="black",
            linewidth=0.6,
            label=f"{style.symbol} {style.label}",
        )
        for y, x0, width in zip(positions, left, widths, strict=True):
            if width and width >= fits:
                axes.text(
                    x0 + width / 2,
                    y,
                    f"{width} {style.symbol}",
                    ha="center",
                    va="center",
                    fontsize=7.5,
                    fontweight="bold",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "lw": 0},
                )
        left = [a + b for a, b in zip(left, widths, strict=True)]
    for y, goal in zip(positions, goals, strict=True):
        counts = ", ".join(
            f"{getattr(goal, key)} {style.symbol}"
            for key, style in STATUSES.items()
            if getattr(goal, key)
        )
        label = f"{goal.total} KPIs" + (f" ({counts})" if counts else "")
        # An offset in points, not leading spaces: SVG renderers collapse those.
        axes.annotate(
            label,
            (goal.total, y),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=7,
        )
    axes.set_yticks(positions, _labels([g.goal for g in goals]))
    largest = max(left, default=0) or 1
    axes.set_xlim(0, largest * 1.5)  # room for the totals written after the bars
    axes.set_xlabel("Number of KPIs", fontsize=7.5)
    figure.legend(
        handles=[
            Patch(
                facecolor=s.colour,
                hatch=s.hatch,
                edgecolor="black",
                label=f"{s.symbol} {s.label}",
            )
            for s in STATUSES.values()
        ],
        loc="outside lower center",
        ncols=4,
        fontsize=7.5,
        frameon=False,
    )
    return figure


def _number(value) -> str:
    value = float(value)
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.1f}"


def _progress_words(kpi: KPIProgress) -> str:
    accepted = "nothing accepted" if kpi.accepted is None else _number(kpi.accepted)
    if not kpi.target:
        return f"{accepted} (no target)"
    expected = "" if kpi.expected is None else f", {_number(kpi.expected)} expected"
    return f"{accepted} of {_number(kpi.target)}{expected}"


CAP = 1.5  # bars stop at 150 % of the target; the label says the real figure


def _draw_kpis(kpis: tuple[KPIProgress, ...]) -> Figure:
    figure, axes = _figure(len(kpis))
    positions = list(range(len(kpis)))[::-1]
    for y, kpi in zip(positions, kpis, strict=True):
        style = STATUSES.get(kpi.status, STATUSES["none"])
        share = None
        if kpi.target and kpi.accepted is not None:
            share = min(float(kpi.accepted) / float(kpi.target), CAP)
            axes.barh(
                y,
                share,
                height=0.6,
                color=style.colour,
                hatch=style.hatch,
                edgecolor="black",
                linewidth=0.6,
            )
        if kpi.target and kpi.expected is not None:
            mark = min(float(kpi.expected) / float(kpi.target), CAP)
            axes.plot([mark, mark], [y - 0.38, y + 0.38], color="black", linewidth=1.6)
        symbol = style.symbol if kpi.target else ""
        axes.annotate(
            f"{symbol} {_progress_words(kpi)}".strip(),
            (share or 0, y),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=7,
        )
    axes.axvline(1.0, color="black", linewidth=0.8, linestyle="--")
    ticks = [0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5]
    axes.set_xticks(ticks, [f"{t:.0%}" for t in ticks])
    axes.set_xlim(0, 2.3)  # room on the right for the direct labels
    axes.set_yticks(positions, _labels([k.label for k in kpis]))
    axes.set_xlabel(
        "Accepted as a share of the target "
        "(dashed line: the target; black tick: expected by now)",
        fontsize=7.5,
    )
    return figure


def _draw_participation(rows: tuple[tuple[str, int], ...]) -> Figure:
    """Columns, not bars: 30 countries fit across a page in a few centimetres."""
    figure = Figure(figsize=(WIDTH_IN, 2.3), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    positions = list(range(len(rows)))
    counts = [n for _, n in rows]
    axes.bar(
        positions, counts, width=0.7, color="#9fb7d9", edgecolor="black", linewidth=0.5
    )
    for x, n in zip(positions, counts, strict=True):
        axes.text(x, n, str(n), ha="center", va="bottom", fontsize=6.5)
    names = [wrapped(country, width=14, lines=1) for country, _ in rows]
    rotation = 90 if any(len(name) > 3 for name in names) else 0
    axes.set_xticks(positions, names, rotation=rotation, fontsize=7)
    axes.tick_params(axis="x", length=0)
    axes.tick_params(axis="y", labelsize=7)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlim(-0.6, max(len(rows), 1) - 0.4)
    axes.set_ylim(0, (max(counts, default=0) or 1) * 1.15)
    axes.set_ylabel("Operational actions", fontsize=7.5)
    return figure
