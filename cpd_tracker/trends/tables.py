"""The figures behind a trend chart as export rows: one row per month and line, the same
numbers the page's table shows (percent, trained, expected) plus the statuses behind them."""

from __future__ import annotations

from collections.abc import Iterator

from cpd_tracker.exports import Cell
from cpd_tracker.services.trends import Trend


def header(trend: Trend) -> list[str]:
    return [
        "Month",
        trend.series_heading,
        "Trained %",
        "Trained",
        "Expected",
        "Overdue",
        "Expired",
        "Exempt",
        "Reconstructed from records",
    ]


def rows(trend: Trend) -> Iterator[list[Cell]]:
    until = trend.backfilled_until
    for month, series, point in trend.rows():
        yield [
            month,
            series.label,
            point.percent,
            point.trained,
            point.expected,
            point.overdue,
            point.expired,
            point.exempt,
            "Yes" if until is not None and month <= until else "No",
        ]
