"""The charts agree with the page (issue 17, "Charts contradict the page"): the current month
of a school's chart is the school page's headline, and the last point of the trust's trend the
trust page's, however stale the month's snapshot rows are. Replays the issue's case: snapshots
taken, then an INSET (a completion today) and an import (a leaver), and no new snapshot run.

The data is ``tests/support/trends.py`` (today 15 March 2026; Alder 3 of 4 this month).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from cpd_tracker.extensions import db
from cpd_tracker.models import CoverageSnapshot, Person, School
from cpd_tracker.services.compliance import ComplianceService
from cpd_tracker.services.coverage import ReportService, TrustFilters
from cpd_tracker.services.snapshots import SnapshotService
from tests.functional.staff.support import add_completion
from tests.support.clock import FakeClock
from tests.support.trends import MARCH, TODAY, History, seed_history, use_clock


@pytest.fixture
def history(app: Flask) -> History:
    return seed_history(app)


@pytest.fixture
def clock(app: Flask) -> FakeClock:
    return use_clock(app)


@pytest.fixture
def service(app: Flask, history: History, clock: FakeClock) -> Iterator[SnapshotService]:
    with app.app_context():
        yield SnapshotService(db.session, ComplianceService(db.session), clock)


def _take(service: SnapshotService) -> None:
    service.take_pending()
    db.session.commit()


def _inset_and_a_leaver(app: Flask, history: History) -> None:
    """Cat (overdue) completes the training at an INSET today; an import says Ben (trained)
    left on 10 March."""
    add_completion(app, history.people["cat"], history.module_id, TODAY)
    with app.app_context():
        ben = db.session.get(Person, history.people["ben"])
        assert ben is not None
        ben.leaving_date = dt.date(2026, 3, 10)
        db.session.commit()


def _stored(school_id: int) -> tuple[int, int]:
    row = db.session.scalars(
        select(CoverageSnapshot).where(
            CoverageSnapshot.school_id == school_id, CoverageSnapshot.month == MARCH
        )
    ).one()
    return row.compliant, row.applicable


def test_the_school_charts_this_month_is_the_headline_after_an_inset_and_an_import(
    app: Flask, service: SnapshotService, history: History
) -> None:
    _take(service)
    _inset_and_a_leaver(app, history)
    school = db.session.get(School, history.alder)
    assert school is not None
    headline = ReportService(db.session).school(school, TODAY).total
    # Ann, Cat and Dan trained; Ben has left; Eve exempt.
    assert (headline.trained, headline.expected, headline.percent) == (3, 3, 100)
    # The month's snapshot row still holds the last run's 3 of 4 ...
    assert _stored(history.alder) == (3, 4)
    # ... but the chart's this month is the headline, on the dashboard and on the trend page.
    for lines in (False, True):
        trend = service.school_trend(school, months=12, lines=lines)
        assert trend.months[-1] == MARCH
        last = trend.series[0].points[-1]
        assert last is not None
        assert (last.trained, last.expected, last.percent) == (3, 3, 100)
    # Earlier months still come from the snapshots.
    assert service.school_trend(school, months=12).series[0].percents[:-1] == [25, 25, 50, 50]


def test_the_trust_trends_last_point_is_the_trust_headline(
    app: Flask, service: SnapshotService, history: History
) -> None:
    _take(service)
    _inset_and_a_leaver(app, history)
    report = ReportService(db.session).trust(history.organisation_id, TODAY, TrustFilters())
    assert (report.total.trained, report.total.expected) == (4, 4)
    for lines in (False, True):
        trend = service.trust_trend(history.organisation_id, "Test Trust", months=6, lines=lines)
        overall = trend.series[0].points[-1]
        assert overall is not None
        assert (overall.trained, overall.expected) == (report.total.trained, report.total.expected)
        assert overall.percent == report.total.percent
    # Each school's line ends on its own headline.
    full = service.trust_trend(history.organisation_id, "Test Trust", months=6)
    ends = {s.label: s.points[-1] for s in full.series[1:]}
    assert {label: (p.trained, p.expected) for label, p in ends.items() if p} == {
        "Alder Primary": (3, 3),
        "Birch Academy": (1, 1),
    }


def test_this_month_is_live_when_only_earlier_months_were_taken(
    app: Flask, service: SnapshotService, history: History, clock: FakeClock
) -> None:
    """No run yet this month (the cron missed it): the chart still ends on this month, from
    the headline."""
    clock.now = dt.datetime(2026, 2, 28, 10, 0, tzinfo=dt.UTC)
    _take(service)
    clock.now = dt.datetime(2026, 3, 15, 10, 0, tzinfo=dt.UTC)
    _inset_and_a_leaver(app, history)
    school = db.session.get(School, history.alder)
    assert school is not None
    assert not db.session.scalars(
        select(CoverageSnapshot).where(CoverageSnapshot.month == MARCH)
    ).all()
    trend = service.school_trend(school, months=12, lines=False)
    assert trend.months[-1] == MARCH
    assert trend.series[0].percents[-2:] == [50, 100]


def test_a_past_window_month_is_not_replaced(service: SnapshotService, history: History) -> None:
    """Only the current month is live: a month that has ended keeps its snapshot."""
    _take(service)
    school = db.session.get(School, history.alder)
    assert school is not None
    trend = service.school_trend(school, months=12)
    assert trend.series[0].percents == [25, 25, 50, 50, 75]
    assert trend.backfilled_until is not None
    assert trend.backfilled_until < MARCH
