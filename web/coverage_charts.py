"""Charts of the coverage dashboard as inline SVG drawn on the server: no script, no outside asset.

Each function returns one ``<svg>`` element (``role="img"`` with a title and a description for screen
readers, and a ``<title>`` tooltip on every mark); the page shows the same figures in a table beside it.
Labels arrive already translated; every text is escaped here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import count

from markupsafe import Markup, escape

# Colours of Bootstrap's palette, so the charts match the badges and bars of the page.
CATALOGED, REGISTERED, PUBLISHED, TARGET, MUTED, GRID = "#74c0fc", "#1c7ed6", "#2b8a3e", "#c92a2a", "#495057", "#dee2e6"
FONT = 'font-family="inherit" font-size="12"'
_ids = count(1)  # element ids must be unique on a page that holds several charts


@dataclass(frozen=True)
class Series:
    """One line of a line chart: its label, colour and ``(day, value 0–1 or None)`` points."""

    label: str
    colour: str
    points: Sequence[tuple[date, float | None]]
    dashed: bool = False


@dataclass(frozen=True)
class Bar:
    """One bar: a label, a value (``None`` draws no bar and shows ``empty`` instead) and its shown text."""

    label: str
    value: float | None
    text: str
    colour: str = PUBLISHED


def _open(width: int, height: int, title: str, desc: str) -> tuple[str, list[str]]:
    ident = f"chart{next(_ids)}"
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="coverage-chart" viewBox="0 0 {width} {height}" '
            f'width="100%" style="max-width: {width}px; height: auto" role="img" '
            f'aria-labelledby="{ident}-t {ident}-d" preserveAspectRatio="xMinYMin meet">'
            f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(desc)}</desc>')
    return head, []


def _percent(value: float) -> str:
    return f"{100 * value:.0f}%"


def _month_ticks(start: date, end: date, wanted: int = 6) -> list[date]:
    """First days of months between ``start`` and ``end``, about ``wanted`` of them, evenly spaced."""
    months = []
    day = date(start.year, start.month, 1)
    if day < start:
        day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    while day <= end:
        months.append(day)
        day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    step = max(1, -(-len(months) // wanted))
    return months[::step]


def line_chart(series: Sequence[Series], *, title: str, desc: str, target: float | None = None,
               target_label: str = "", projection: tuple[date, float, date, float] | None = None,
               projection_label: str = "", due: date | None = None, due_label: str = "",
               horizon: date | None = None, width: int = 1080, height: int = 320) -> Markup:
    """Ratios over time (0–100%), a dashed target line, the projection and the target date.

    :param projection: ``(from_day, from_value, to_day, to_value)``: drawn up to ``horizon`` at most.
    :param due: the target date, marked when it falls inside the time axis.
    :param horizon: the last day the axis may reach (the projection is cut there).
    """
    legend = [(s.label, s.colour, s.dashed) for s in series]
    if target is not None:
        legend.append((target_label, TARGET, True))
    if projection is not None:
        legend.append((projection_label, PUBLISHED, True))
    left, right, top = 48, 16, 12
    rows = _legend_rows(legend, width - left - right)
    bottom = 34 + 18 * len(rows)
    height += 18 * (len(rows) - 1)
    days = [day for s in series for day, value in s.points if value is not None]
    start = min(days) if days else (horizon or date.today())
    end = max(days) if days else start
    if projection is not None:
        end = max(end, min(projection[2], horizon or projection[2]))
    if due is not None and start <= due <= (horizon or end) and due > end:
        end = due
    if end <= start:
        start, end = start - timedelta(days=15), start + timedelta(days=15)
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(day: date) -> float:
        return left + plot_w * (day - start).days / (end - start).days

    def y(value: float) -> float:
        return top + plot_h * (1 - max(0.0, min(1.0, value)))

    head, parts = _open(width, height, title, desc)
    for tick in (0, 0.2, 0.4, 0.6, 0.8, 1.0):
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="{GRID}"/>'
                     f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" fill="{MUTED}" {FONT}>'
                     f'{_percent(tick)}</text>')
    for tick in _month_ticks(start, end):
        parts.append(f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{top + plot_h}" y2="{top + plot_h + 4}" '
                     f'stroke="{MUTED}"/><text x="{x(tick):.1f}" y="{top + plot_h + 17}" text-anchor="middle" '
                     f'fill="{MUTED}" {FONT}>{tick:%Y-%m}</text>')
    if target is not None:
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(target):.1f}" y2="{y(target):.1f}" '
                     f'stroke="{TARGET}" stroke-dasharray="6 4"><title>{escape(target_label)}</title></line>')
    if due is not None and start <= due <= end:
        parts.append(f'<line x1="{x(due):.1f}" x2="{x(due):.1f}" y1="{top}" y2="{top + plot_h}" stroke="{TARGET}" '
                     f'stroke-dasharray="2 3"><title>{escape(due_label)}</title></line>')
    if projection is not None:
        (from_day, from_value, to_day, to_value) = projection
        if to_day > end:  # cut the line at the edge of the axis, on its way to the target
            share = (end - from_day).days / max(1, (to_day - from_day).days)
            to_day, to_value = end, from_value + (to_value - from_value) * share
        parts.append(f'<line x1="{x(from_day):.1f}" y1="{y(from_value):.1f}" x2="{x(to_day):.1f}" '
                     f'y2="{y(to_value):.1f}" stroke="{PUBLISHED}" stroke-width="2" stroke-dasharray="4 4">'
                     f'<title>{escape(projection_label)}</title></line>')
    for s in series:
        points = [(day, value) for day, value in s.points if value is not None]
        dash = ' stroke-dasharray="5 3"' if s.dashed else ""
        if len(points) > 1:
            path = " ".join(f"{x(day):.1f},{y(value):.1f}" for day, value in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{s.colour}" stroke-width="2"{dash}/>')
        for day, value in points:
            parts.append(f'<circle cx="{x(day):.1f}" cy="{y(value):.1f}" r="3" fill="{s.colour}">'
                         f'<title>{escape(s.label)} {day.isoformat()}: {100 * value:.1f}%</title></circle>')
    for number, row in enumerate(rows):
        baseline = top + plot_h + 38 + 18 * number
        for at, (label, colour, dashed) in row:
            dash = ' stroke-dasharray="4 3"' if dashed else ""
            parts.append(f'<line x1="{left + at}" x2="{left + at + 18}" y1="{baseline - 4}" y2="{baseline - 4}" '
                         f'stroke="{colour}" stroke-width="2"{dash}/><text x="{left + at + 22}" y="{baseline}" '
                         f'fill="{MUTED}" {FONT}>{escape(label)}</text>')
    return Markup(head + "".join(parts) + "</svg>")


def _text_width(text: str) -> int:
    """About how many pixels a label takes at 12 px (CJK characters are square, Latin ones about half)."""
    return sum(12 if ord(ch) > 0x2E80 else 7 for ch in text)


def _legend_rows(entries: Sequence[tuple[str, str, bool]], room: int) -> list[list[tuple[int, tuple[str, str, bool]]]]:
    """Legend entries laid out left to right, starting a new row where the next one would not fit."""
    rows: list[list[tuple[int, tuple[str, str, bool]]]] = [[]]
    at = 0
    for entry in entries:
        needed = 22 + _text_width(entry[0]) + 18
        if rows[-1] and at + needed > room:
            rows.append([])
            at = 0
        rows[-1].append((at, entry))
        at += needed
    return rows


def _clip(label: str, limit: int) -> str:
    """A label cut to about ``limit`` columns (CJK characters count double), with an ellipsis."""
    shown, width = "", 0
    for ch in label:
        width += 2 if ord(ch) > 0x2E80 else 1
        if width > limit:
            return shown + "…"
        shown += ch
    return shown


def bar_chart(bars: Sequence[Bar], *, title: str, desc: str, empty: str = "—", target: float | None = None,
              target_label: str = "", maximum: float = 1.0, width: int = 760, label_width: int = 170,
              value_width: int = 120) -> Markup:
    """Horizontal bars (ratios by default, or counts up to ``maximum``) with an optional target line."""
    row, top, value_w = 24, 8, value_width
    height = top + row * max(1, len(bars)) + 10
    plot_w = width - label_width - value_w
    head, parts = _open(width, height, title, desc)

    def x(value: float) -> float:
        return label_width + plot_w * max(0.0, min(1.0, value / maximum if maximum else 0.0))

    for index, bar in enumerate(bars):
        y = top + index * row
        parts.append(f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end" fill="{MUTED}" {FONT}>'
                     f'<title>{escape(bar.label)}</title>{escape(_clip(bar.label, (label_width - 10) // 7))}</text>')
        parts.append(f'<rect x="{label_width}" y="{y + 3}" width="{plot_w}" height="{row - 8}" fill="#f1f3f5"/>')
        if bar.value is not None:
            parts.append(f'<rect x="{label_width}" y="{y + 3}" width="{x(bar.value) - label_width:.1f}" '
                         f'height="{row - 8}" fill="{bar.colour}"><title>{escape(bar.label)}: {escape(bar.text)}'
                         f'</title></rect>')
        text = bar.text if bar.value is not None else empty
        parts.append(f'<text x="{label_width + plot_w + 6}" y="{y + 15}" fill="{MUTED}" {FONT}>{escape(text)}</text>')
    if target is not None:
        parts.append(f'<line x1="{x(target):.1f}" x2="{x(target):.1f}" y1="{top}" y2="{height - 10}" '
                     f'stroke="{TARGET}" stroke-width="2" stroke-dasharray="6 4"><title>{escape(target_label)}'
                     f'</title></line>')
    return Markup(head + "".join(parts) + "</svg>")
