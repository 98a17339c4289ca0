"""The trend a chart draws (``templates/trends/_chart.html``): lines of monthly points,
built by ``SnapshotService.school_trend`` and ``trust_trend`` from summed snapshots."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from markupsafe import Markup, escape

from cpd_tracker.charts import STYLES, Line, chart_key, line_chart
from cpd_tracker.services.months import MONTH_NAMES, month_label

#: Trend windows offered on the pages, in months.
WINDOWS = (6, 12, 24, 36)
DEFAULT_WINDOW = 12


@dataclass(frozen=True)
class LinePoint:
    """One line's figures for one month, summed from its snapshots."""

    key: str
    label: str
    month: dt.date
    point: TrendPoint
    backfilled: bool


def backfilled_until(points: Iterable[LinePoint]) -> dt.date | None:
    months = [p.month for p in points if p.backfilled]
    return max(months) if months else None


# -- the trend object the templates draw ------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    trained: int
    expected: int
    overdue: int = 0
    expired: int = 0
    exempt: int = 0

    @property
    def percent(self) -> int | None:
        return round(100 * self.trained / self.expected) if self.expected else None

    def __add__(self, other: TrendPoint) -> TrendPoint:
        return TrendPoint(
            self.trained + other.trained,
            self.expected + other.expected,
            self.overdue + other.overdue,
            self.expired + other.expired,
            self.exempt + other.exempt,
        )


@dataclass(frozen=True)
class TrendSeries:
    key: str
    label: str
    #: One per month of the trend; None where no snapshot was taken.
    points: tuple[TrendPoint | None, ...]
    emphasis: bool = False

    @property
    def percents(self) -> list[int | None]:
        return [p.percent if p is not None else None for p in self.points]


@dataclass(frozen=True)
class Trend:
    """What ``templates/trends/_chart.html`` draws: built by ``SnapshotService.school_trend``
    or ``trust_trend``. The first series is the overall line (emphasised)."""

    kind: str
    scope_id: int
    subject: str
    title: str
    #: The heading of the table's first column ("Training", "School").
    series_heading: str
    months: tuple[dt.date, ...]
    series: tuple[TrendSeries, ...]
    #: The latest month (in the window) whose figures were reconstructed from history.
    backfilled_until: dt.date | None = None
    #: The months asked for (the window), before leading empty months were trimmed.
    window: int = DEFAULT_WINDOW
    chart_id: str = field(default="")

    def trimmed(self) -> Trend:
        """Without the leading months that have no figure at all (before the first snapshot)."""
        first = next(
            (
                i
                for i in range(len(self.months))
                if any(s.points[i] is not None for s in self.series)
            ),
            None,
        )
        if first is None:
            return replace(self, months=(), series=())
        return replace(
            self,
            months=self.months[first:],
            series=tuple(
                TrendSeries(s.key, s.label, s.points[first:], s.emphasis) for s in self.series
            ),
        )

    @property
    def is_empty(self) -> bool:
        return not self.months

    @property
    def drawn(self) -> list[TrendSeries]:
        """The series the chart draws (``charts.drawable``'s rule): the table has them all."""
        return [s for s in self.series if s.emphasis] + [s for s in self.series if not s.emphasis][
            : len(STYLES)
        ]

    @property
    def left_out(self) -> int:
        """Lines in the table but not drawn (too many to tell apart)."""
        return len(self.series) - len(self.drawn)

    def month_labels(self) -> list[str]:
        return [f"{MONTH_NAMES[m.month][:3]} {m.year}" for m in self.months]

    @property
    def backfilled_label(self) -> str:
        return month_label(self.backfilled_until) if self.backfilled_until else ""

    @property
    def chart(self) -> Markup:
        shade = None
        if self.backfilled_until is not None and self.backfilled_until in self.months:
            shade = self.months.index(self.backfilled_until)
        return line_chart(
            chart_id=self.chart_id or f"trend-{self.kind}-{self.scope_id}",
            title=self.title,
            x_labels=[(MONTH_NAMES[m.month][:3], month_label(m)) for m in self.months],
            lines=[Line(s.label, s.percents, s.emphasis) for s in self.drawn],
            shade_until=shade,
            shade_label="Reconstructed from records",
        )

    @property
    def chart_key(self) -> Markup:
        """The chart's key: each line's number, marker, full name and latest figure."""
        return chart_key([Line(s.label, s.percents, s.emphasis) for s in self.drawn])

    def table_body(self) -> Markup:
        """The figures table's rows (the chart's text alternative): a row per line, a cell
        per month. Built here rather than in Jinja: a trust's table has hundreds of cells."""
        rows = []
        for series in self.series:
            cells = [
                f'<tr class="govuk-table__row"><th scope="row" class="govuk-table__header">'
                f"{escape(series.label)}</th>"
            ]
            for point in series.points:
                cells.append(_figure_cell(point))
            cells.append("</tr>")
            rows.append("".join(cells))
        return Markup("".join(rows))  # noqa: S704 - labels escaped, the rest numbers of ours

    def rows(self) -> Iterator[tuple[dt.date, TrendSeries, TrendPoint]]:
        """Every figure: month by month, each series in order."""
        for i, month in enumerate(self.months):
            for series in self.series:
                point = series.points[i]
                if point is not None:
                    yield month, series, point


_NUMERIC_CELL = '<td class="govuk-table__cell govuk-table__cell--numeric">'
_NO_FIGURE = (
    f'{_NUMERIC_CELL}<span aria-hidden="true">\u2013</span>'
    '<span class="govuk-visually-hidden">No figure</span></td>'
)


def _figure_cell(point: TrendPoint | None) -> str:
    if point is None:
        return _NO_FIGURE
    if point.percent is None:
        return f"{_NUMERIC_CELL}No staff</td>"
    return (
        f'{_NUMERIC_CELL}{point.percent}%<br><span class="govuk-!-font-size-16">'
        f"{point.trained} of {point.expected}</span></td>"
    )


def _plus(total: TrendPoint | None, point: TrendPoint) -> TrendPoint:
    return point if total is None else total + point


def series_of(
    rows: list[LinePoint], window: list[dt.date], overall_label: str
) -> list[TrendSeries]:
    """An overall series (the sums) first, then one per key, by label. With a single key the
    overall line would repeat it, so that one line is the emphasised one instead."""
    index = {m: i for i, m in enumerate(window)}
    labels: dict[str, str] = {}
    points: dict[str, list[TrendPoint | None]] = defaultdict(lambda: [None] * len(window))
    overall: list[TrendPoint | None] = [None] * len(window)
    for row in rows:
        labels[row.key] = row.label
        i = index[row.month]
        points[row.key][i] = _plus(points[row.key][i], row.point)
        overall[i] = _plus(overall[i], row.point)
    ordered = sorted(labels, key=lambda k: (labels[k].casefold(), k))
    if ordered == ["overall"]:  # summed by month alone: the overall line only
        return [TrendSeries("overall", overall_label, tuple(overall), emphasis=True)]
    if len(ordered) == 1:
        key = ordered[0]
        return [TrendSeries(key, labels[key], tuple(points[key]), emphasis=True)]
    return [TrendSeries("overall", overall_label, tuple(overall), emphasis=True)] + [
        TrendSeries(k, labels[k], tuple(points[k])) for k in ordered
    ]
