"""Charts drawn on the server as SVG: no JavaScript, crisp in print, readable by screen readers.

Each chart is an <svg role="img"> labelled by its own <title> and <desc>; the
description states every number, and the page puts the table of the same numbers
right below. Colours come from CSS classes in static/css/site.css (no inline
styles, for the Content-Security-Policy); each series also has its own pattern
and a legend, so colour is never the only cue.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
LABEL_LINE = 20  # a category's name, above its bar
BAR = 22
GROUPED_BAR = 18
ROW_GAP = 14
VALUE_SPACE = 150  # room right of the longest bar for its value
LEGEND_LINE = 24
MAX_LABEL = 80
# Series styles, in order: a CSS class for the colour and a pattern drawn over it.
PATTERNS = ["solid", "stripes", "dots", "cross", "lines"]


@dataclass(frozen=True)
class Bar:
    """One category: its name and its value (or one value per series)."""

    label: str
    values: Sequence[float | int]


def _join(parts: Sequence[str]) -> SafeString:
    """Join markup pieces; any piece not already marked safe is escaped."""
    return mark_safe("".join(conditional_escape(part) for part in parts))  # noqa: S308


def _label(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def _number(value: float | int) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.0f}"


def _pattern(chart_id: str, index: int) -> SafeString:
    """The fill of series `index`: its colour class with a pattern over it."""
    style = PATTERNS[index % len(PATTERNS)]
    pid = f"{chart_id}-s{index}"
    marks = {
        "solid": "",
        "stripes": '<path class="chart-mark" d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4"/>',
        "dots": '<circle class="chart-dot" cx="4" cy="4" r="1.6"/>',
        "cross": '<path class="chart-mark" d="M0,0 L8,8 M8,0 L0,8"/>',
        "lines": '<path class="chart-mark" d="M0,4 H8"/>',
    }[style]
    return format_html(
        '<pattern id="{}" patternUnits="userSpaceOnUse" width="8" height="8">'
        '<rect class="chart-s{}" width="8" height="8"/>{}</pattern>',
        pid,
        index % len(PATTERNS),
        mark_safe(marks),  # noqa: S308 - constant markup above
    )


def _fill(chart_id: str, index: int) -> str:
    return f"url(#{chart_id}-s{index})"


def _legend(chart_id: str, names: Sequence[str], y: int) -> tuple[SafeString, int]:
    """Swatches and names, wrapped onto as many lines as they need; returns (svg, height)."""
    parts, x, line = [], 0, 0
    for index, name in enumerate(names):
        width = 30 + int(len(name) * 7.6)
        if x and x + width > WIDTH:
            x, line = 0, line + 1
        top = y + line * LEGEND_LINE
        parts.append(
            format_html(
                '<rect class="chart-swatch" x="{}" y="{}" width="16" height="16" fill="{}"/>'
                '<text class="chart-text" x="{}" y="{}">{}</text>',
                x,
                top,
                _fill(chart_id, index),
                x + 22,
                top + 13,
                name,
            )
        )
        x += width + 16
    return _join(parts), (line + 1) * LEGEND_LINE + 6


def _svg(chart_id: str, title: str, description: str, height: int, body: str, n_series: int):
    defs = format_html_join("", "{}", ((_pattern(chart_id, i),) for i in range(n_series)))
    return format_html(
        '<svg class="chart" role="img" aria-labelledby="{id}-title {id}-desc" '
        'viewBox="0 0 {w} {h}" width="{w}" height="{h}" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
        "<defs>{defs}</defs>{body}</svg>",
        id=chart_id,
        w=WIDTH,
        h=height,
        title=title,
        desc=description,
        defs=defs,
        body=body,
    )


def _scale(bars: Sequence[Bar], *, stacked: bool) -> float:
    """Pixels per unit, so the longest bar fills the width left after its value."""
    longest = max(
        ((sum(bar.values) if stacked else max(bar.values, default=0)) for bar in bars),
        default=0,
    )
    return (WIDTH - VALUE_SPACE) / longest if longest else 0


def bar_chart(
    *,
    chart_id: str,
    title: str,
    summary: str,
    bars: Sequence[Bar],
    series: Sequence[str],
    unit: str = "",
) -> SafeString:
    """Horizontal bars; with several series, one bar per series for each category.

    `unit` follows each value ("%"). The description lists every value.
    """
    scale = _scale(bars, stacked=False)
    grouped = len(series) > 1
    bar_height = GROUPED_BAR if grouped else BAR
    parts, y = [], 0
    if grouped:
        legend, y = _legend(chart_id, series, 0)
        parts.append(legend)
    for bar in bars:
        parts.append(
            format_html(
                '<text class="chart-text chart-category" x="0" y="{}">{}</text>',
                y + 15,
                _label(bar.label),
            )
        )
        y += LABEL_LINE + 2
        for index, value in enumerate(bar.values):
            width = round(value * scale, 1)
            text = _number(value) + unit + (f" {series[index].lower()}" if grouped else "")
            parts.append(
                format_html(
                    '<rect class="chart-bar" x="0" y="{}" width="{}" height="{}" fill="{}"/>'
                    '<text class="chart-text chart-value" x="{}" y="{}">{}</text>',
                    y,
                    width,
                    bar_height,
                    _fill(chart_id, index),
                    width + 6,
                    y + bar_height - 5,
                    text,
                )
            )
            y += bar_height + 3
        y += ROW_GAP
    if grouped:
        listed = "; ".join(
            f"{bar.label}: "
            + ", ".join(
                f"{_number(v)}{unit} {name.lower()}"
                for name, v in zip(series, bar.values, strict=True)
            )
            for bar in bars
        )
    else:
        listed = "; ".join(f"{bar.label}: {_number(bar.values[0])}{unit}" for bar in bars)
    description = f"{summary} {listed}." if bars else f"{summary} No data."
    return _svg(chart_id, title, description, max(y, 30), _join(parts), len(series))


def stacked_bar_chart(
    *,
    chart_id: str,
    title: str,
    summary: str,
    bars: Sequence[Bar],
    series: Sequence[str],
) -> SafeString:
    """One bar per category, made of a segment per series, with the total after it."""
    scale = _scale(bars, stacked=True)
    legend, y = _legend(chart_id, series, 0)
    parts = [legend]
    for bar in bars:
        parts.append(
            format_html(
                '<text class="chart-text chart-category" x="0" y="{}">{}</text>',
                y + 15,
                _label(bar.label),
            )
        )
        y += LABEL_LINE + 2
        x = 0.0
        for index, value in enumerate(bar.values):
            if not value:
                continue
            width = round(value * scale, 1)
            parts.append(
                format_html(
                    '<rect class="chart-bar chart-segment" x="{}" y="{}" width="{}" height="{}" '
                    'fill="{}"/>',
                    round(x, 1),
                    y,
                    width,
                    BAR,
                    _fill(chart_id, index),
                )
            )
            x += width
        parts.append(
            format_html(
                '<text class="chart-text chart-value" x="{}" y="{}">{}</text>',
                round(x, 1) + 6,
                y + BAR - 6,
                _number(sum(bar.values)),
            )
        )
        y += BAR + ROW_GAP
    listed = "; ".join(
        f"{bar.label}: {_number(sum(bar.values))} ("
        + ", ".join(f"{name} {_number(v)}" for name, v in zip(series, bar.values, strict=True))
        + ")"
        for bar in bars
    )
    description = f"{summary} {listed}." if bars else f"{summary} No data."
    return _svg(chart_id, title, description, max(y, 30), _join(parts), len(series))
