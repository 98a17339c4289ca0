"""Line charts drawn as SVG on the server (issue 6, "Charts"): nothing to fetch, no script.

The chart is for people who would rather look than read, and never the only way to get the
figures: callers pair it with a table of the same numbers (``templates/trends/_chart.html``).

Accessibility (WCAG 2.2 AA):

- ``role="img"`` named by the chart's ``<title>`` and described by a ``<desc>`` that gives
  each line's first and latest figure in words;
- every line has its own colour *and* its own marker shape and dash pattern, and is marked
  at its end with its number and latest figure; :func:`chart_key` lists the numbers with each
  line's marker, full name and latest figure as HTML under the chart, in the page's own type
  at every width (names cut short to fit beside the plot could not be told apart, and the
  drawing's text shrinks with it on a phone);
- every colour reaches 4.5:1 against white (1.4.3 for the label text, above the 3:1 that
  1.4.11 asks of graphics); ``PALETTE_CONTRAST`` in the tests checks the arithmetic.

Every text is escaped with markupsafe before it enters the markup; the drawing scales with
its container (``viewBox``, ``width="100%"``), so it fits a 1024 px LMS frame. Colours are
presentation attributes, not ``style``: the Content-Security-Policy forbids inline styles.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

#: (colour, dash pattern, marker): each line differs from every other in all three.
STYLES: tuple[tuple[str, str, str], ...] = (
    ("#1d70b8", "", "square"),
    ("#b0281a", "8 4", "triangle"),
    ("#00703c", "2 4", "diamond"),
    ("#6f3cb5", "12 4 3 4", "triangle-down"),
    ("#8a4b08", "", "cross"),
    ("#b1005d", "8 4", "circle-open"),
    ("#0b5c63", "2 4", "square-open"),
    ("#505a5f", "12 4 3 4", "plus"),
)
#: The emphasised line (an overall figure): black, thick, solid, filled circles.
EMPHASIS = ("#0b0c0c", "", "circle")

TEXT = "#0b0c0c"
SECONDARY_TEXT = "#505a5f"
GRID = "#b1b4b6"
SHADE = "#f3f2f1"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"

WIDTH, HEIGHT = 960, 380
LEFT, RIGHT, TOP, BOTTOM = 64, 716, 52, 310
#: Space inside the plot so markers never sit on an axis.
INSET = 14
LABEL_GAP = 17


@dataclass(frozen=True)
class Line:
    label: str
    #: One value per x label, 0 to 100; None where there is no figure (a gap in the line).
    values: Sequence[float | None]
    emphasis: bool = False


def line_chart(
    *,
    chart_id: str,
    title: str,
    x_labels: Sequence[tuple[str, str]],
    lines: Sequence[Line],
    y_title: str = "Staff trained (%)",
    x_title: str = "Month",
    shade_until: int | None = None,
    shade_label: str = "",
    description: str | None = None,
) -> Markup:
    """A percentage line chart. ``x_labels`` are (short, long) pairs such as ("Nov", "November
    2026"): the short one goes under the axis (the year is added under January and the first
    month), the long one into the description. ``shade_until`` shades the columns up to that
    index (inclusive) behind ``shade_label``, e.g. months reconstructed from history."""
    n = len(x_labels)
    if any(len(line.values) != n for line in lines):
        raise ValueError("Every line needs one value per x label.")
    drawn = drawable(lines)
    ident = escape(chart_id)
    desc = description if description is not None else describe(x_labels, drawn, y_title)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="app-chart" viewBox="0 0 {WIDTH} '
        f'{HEIGHT}" width="100%" role="img" aria-labelledby="{ident}-title {ident}-desc" '
        f'font-family="{escape(FONT)}" font-size="14" fill="{TEXT}">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(desc)}</desc>',
        f'<text x="{LEFT}" y="20" font-size="17" font-weight="bold">{escape(title)}</text>',
    ]
    if shade_until is not None and n and shade_until >= 0:
        parts.append(_shade(n, min(shade_until, n - 1), shade_label))
    parts.extend(_axes(x_labels, y_title, x_title))
    styles = _styles(drawn)
    # Emphasised lines last, so they are drawn on top.
    order = sorted(range(len(drawn)), key=lambda i: drawn[i].emphasis)
    for i in order:
        parts.extend(_line(drawn[i], styles[i], n))
    parts.extend(_direct_labels(drawn, styles))
    parts.append("</svg>")
    # Safe: every text in ``parts`` went through escape(); the rest is our own markup.
    return Markup("\n".join(parts))  # noqa: S704


def chart_key(lines: Sequence[Line]) -> Markup:
    """The key under a :func:`line_chart` of the same ``lines``: for each line drawn, its
    number (as at the line's end), marker, full name and latest figure. The chart is an
    image named by its description, so the key repeats it for the eye only."""
    drawn = drawable(lines)
    items = []
    for number, (line, style) in enumerate(zip(drawn, _styles(drawn), strict=True), start=1):
        colour, dash, marker = style
        known = [v for v in line.values if v is not None]
        figure = f": {_pc(known[-1])}" if known else ": no figures"
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        swatch = (
            '<svg class="app-chart-key__marker" width="34" height="14" viewBox="0 0 34 14" '
            'aria-hidden="true" focusable="false">'
            f'<line x1="1" y1="7" x2="33" y2="7" stroke="{colour}" stroke-width="2.5"'
            f"{dash_attr}/>{_marker(marker, 17, 7, colour, size=4.5)}</svg>"
        )
        weight = "<strong>{}</strong>" if line.emphasis else "{}"
        text = weight.format(f"{number}. {escape(line.label)}{figure}")
        items.append(f'<li class="app-chart-key__item">{swatch}<span>{text}</span></li>')
    if not items:
        return Markup("")
    # Safe: labels escaped above; the rest is our own markup and numbers.
    return Markup(  # noqa: S704
        f'<ol class="app-chart-key" aria-hidden="true">{"".join(items)}</ol>'
    )


def drawable(lines: Sequence[Line]) -> list[Line]:
    """The lines a chart draws: one emphasised line and as many others as there are styles,
    so no two lines look alike. Callers say which were left out (their table has them all)."""
    kept: list[Line] = []
    emphasised = plain = 0
    for line in lines:
        if line.emphasis and emphasised < 1:
            emphasised += 1
            kept.append(line)
        elif not line.emphasis and plain < len(STYLES):
            plain += 1
            kept.append(line)
    return kept


def describe(
    x_labels: Sequence[tuple[str, str]], lines: Sequence[Line], y_title: str = "Staff trained (%)"
) -> str:
    """The chart in words: the span it covers, then each line's first and latest figure."""
    if not x_labels:
        return "No figures yet."
    sentences = [
        f"Line chart of {y_title.lower()} by month, {x_labels[0][1]} to {x_labels[-1][1]}."
    ]
    for line in lines:
        known = [(i, v) for i, v in enumerate(line.values) if v is not None]
        if not known:
            sentences.append(f"{line.label}: no figures.")
            continue
        (first_i, first), (last_i, last) = known[0], known[-1]
        if first_i == last_i:
            sentences.append(f"{line.label}: {_pc(last)} in {x_labels[last_i][1]}.")
        else:
            sentences.append(
                f"{line.label}: {_pc(first)} in {x_labels[first_i][1]}, "
                f"{_pc(last)} in {x_labels[last_i][1]}."
            )
    return " ".join(sentences)


# -- geometry ---------------------------------------------------------------------------------


def _x(i: int, n: int) -> float:
    if n <= 1:
        return (LEFT + RIGHT) / 2
    return LEFT + INSET + i * (RIGHT - LEFT - 2 * INSET) / (n - 1)


def _y(value: float) -> float:
    clamped = max(0.0, min(100.0, value))
    return BOTTOM - clamped / 100 * (BOTTOM - TOP)


def _pc(value: float) -> str:
    return f"{round(value)}%"


def _f(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


# -- pieces -----------------------------------------------------------------------------------


def _shade(n: int, until: int, label: str) -> str:
    half = 0.0 if n <= 1 else (_x(1, n) - _x(0, n)) / 2
    right = RIGHT if until == n - 1 else _x(until, n) + half
    rect = (
        f'<rect x="{LEFT}" y="{TOP}" width="{_f(right - LEFT)}" height="{BOTTOM - TOP}" '
        f'fill="{SHADE}"/>'
    )
    # Above the plot, where no line can cross it.
    text = (
        f'<text x="{LEFT}" y="{TOP - 10}" font-size="13" fill="{SECONDARY_TEXT}">'
        f"{escape(label)}</text>"
    )
    return rect + (text if label else "")


def _axes(x_labels: Sequence[tuple[str, str]], y_title: str, x_title: str) -> list[str]:
    parts = []
    for pc in (0, 25, 50, 75, 100):
        y = _f(_y(pc))
        parts.append(
            f'<line x1="{LEFT}" y1="{y}" x2="{RIGHT}" y2="{y}" stroke="{GRID}" stroke-width="1"/>'
        )
        parts.append(f'<text x="{LEFT - 8}" y="{y}" dy="5" text-anchor="end">{pc}%</text>')
    parts.append(
        f'<line x1="{LEFT}" y1="{BOTTOM}" x2="{RIGHT}" y2="{BOTTOM}" stroke="{TEXT}" '
        'stroke-width="1.5"/>'
    )
    n = len(x_labels)
    step = max(1, math.ceil(n * 40 / (RIGHT - LEFT)))
    for i, (short, long) in enumerate(x_labels):
        x = _f(_x(i, n))
        parts.append(
            f'<line x1="{x}" y1="{BOTTOM}" x2="{x}" y2="{BOTTOM + 5}" stroke="{TEXT}" '
            'stroke-width="1"/>'
        )
        if i % step:
            continue
        year = long.rsplit(" ", 1)[-1]
        text = f'<text x="{x}" y="{BOTTOM + 21}" text-anchor="middle">{escape(short)}'
        if i == 0 or short.startswith("Jan"):
            text += f'<tspan x="{x}" dy="16" fill="{SECONDARY_TEXT}">{escape(year)}</tspan>'
        parts.append(text + "</text>")
    middle = _f((TOP + BOTTOM) / 2)
    parts.append(
        f'<text x="16" y="{middle}" text-anchor="middle" transform="rotate(-90 16 {middle})">'
        f"{escape(y_title)}</text>"
    )
    parts.append(
        f'<text x="{_f((LEFT + RIGHT) / 2)}" y="{HEIGHT - 10}" text-anchor="middle">'
        f"{escape(x_title)}</text>"
    )
    return parts


def _styles(lines: Sequence[Line]) -> list[tuple[str, str, str]]:
    styles, k = [], 0
    for line in lines:
        if line.emphasis:
            styles.append(EMPHASIS)
        else:
            styles.append(STYLES[k])
            k += 1
    return styles


def _segments(values: Sequence[float | None], n: int) -> list[list[tuple[float, float]]]:
    segments: list[list[tuple[float, float]]] = [[]]
    for i, value in enumerate(values):
        if value is None:
            if segments[-1]:
                segments.append([])
            continue
        segments[-1].append((_x(i, n), _y(value)))
    return [s for s in segments if s]


def _marker_size(n: int) -> float:
    """Smaller markers as months crowd together, so they do not merge into one band."""
    return 5.5 if n <= 12 else 4.5 if n <= 24 else 3.5


def _line(line: Line, style: tuple[str, str, str], n: int) -> list[str]:
    colour, dash, marker = style
    size = _marker_size(n)
    width = "4" if line.emphasis else "2.5"
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    parts = [f'<g class="app-chart__line" fill="{colour}" stroke="{colour}">']
    for segment in _segments(line.values, n):
        if len(segment) > 1:
            points = " ".join(f"{_f(x)},{_f(y)}" for x, y in segment)
            parts.append(
                f'<polyline points="{points}" fill="none" stroke-width="{width}"'
                f' stroke-linejoin="round"{dash_attr}/>'
            )
        parts.extend(_marker(marker, x, y, colour, size) for x, y in segment)
    parts.append("</g>")
    return parts


def _marker(shape: str, x: float, y: float, colour: str, size: float = 5.5) -> str:
    """A marker centred on (x, y); open shapes are white inside, so they read as different."""
    s = size
    white = ' fill="#ffffff"' if shape.endswith("-open") else ""
    base = shape.removesuffix("-open")
    common = f'stroke="{colour}" stroke-width="2"{white}'
    if base == "circle":
        return f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{_f(s)}" {common}/>'
    if base == "square":
        return (
            f'<rect x="{_f(x - s)}" y="{_f(y - s)}" width="{_f(2 * s)}" height="{_f(2 * s)}" '
            f"{common}/>"
        )
    if base in ("cross", "plus"):
        # Strokes only: an X or a + drawn as two lines through the centre.
        d = s * 0.9 if base == "cross" else s * 1.2
        ends = (
            [(-d, -d, d, d), (-d, d, d, -d)] if base == "cross" else [(-d, 0, d, 0), (0, -d, 0, d)]
        )
        path = "".join(
            f"M{_f(x + x1)},{_f(y + y1)}L{_f(x + x2)},{_f(y + y2)}" for x1, y1, x2, y2 in ends
        )
        return f'<path d="{path}" stroke="{colour}" stroke-width="3" fill="none"/>'
    points = {
        "triangle": [(x, y - s * 1.2), (x + s * 1.1, y + s * 0.8), (x - s * 1.1, y + s * 0.8)],
        "triangle-down": [(x, y + s * 1.2), (x + s * 1.1, y - s * 0.8), (x - s * 1.1, y - s * 0.8)],
        "diamond": [(x, y - s * 1.3), (x + s * 1.1, y), (x, y + s * 1.3), (x - s * 1.1, y)],
    }[base]
    listed = " ".join(f"{_f(px)},{_f(py)}" for px, py in points)
    return f'<polygon points="{listed}" {common}/>'


def _direct_labels(lines: Sequence[Line], styles: Sequence[tuple[str, str, str]]) -> list[str]:
    """Each line's number (its place in :func:`chart_key`) and latest figure beside the plot,
    nudged apart so none overlap."""
    wanted: list[tuple[float, int, float]] = []
    for i, line in enumerate(lines):
        known = [v for v in line.values if v is not None]
        if known:
            wanted.append((_y(known[-1]), i, known[-1]))
    wanted.sort()
    ys = _spread([y for y, _, _ in wanted], TOP, BOTTOM + 40)
    parts = []
    for (_, i, value), y in zip(wanted, ys, strict=True):
        colour, _, marker = styles[i]
        weight = ' font-weight="bold"' if lines[i].emphasis else ""
        parts.append(_marker(marker, RIGHT + 22, y, colour, size=4.5))
        parts.append(
            f'<text x="{RIGHT + 34}" y="{_f(y)}" dy="5" font-size="13" fill="{colour}"{weight}>'
            f"{i + 1}: {_pc(value)}</text>"
        )
    return parts


def _spread(ys: list[float], low: float, high: float) -> list[float]:
    """Move sorted positions apart to at least ``LABEL_GAP``, staying within [low, high]."""
    placed: list[float] = []
    for y in ys:
        placed.append(max(y, placed[-1] + LABEL_GAP) if placed else max(y, low))
    overflow = (placed[-1] - high) if placed else 0
    if overflow > 0:
        placed[-1] -= overflow
        for k in range(len(placed) - 2, -1, -1):
            placed[k] = min(placed[k], placed[k + 1] - LABEL_GAP)
    return [max(low, y) for y in placed]
