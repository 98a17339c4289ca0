"""Monthly coverage snapshots: back-fill from completion history, idempotency, refresh of the
current month, finality of past months, and the trend objects built from them.

The data is ``tests/support/trends.py``: figures known month by month.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from cpd_tracker.extensions import db
from cpd_tracker.models import CoverageSnapshot, Requirement, School
from cpd_tracker.services.compliance import ComplianceService
from cpd_tracker.services.months import month_end, months_from, parse_month
from cpd_tracker.services.snapshots import MAX_BACKFILL_MONTHS, Job, SnapshotService, TakeReport
from tests.functional.staff.support import (
    add_completion,
    add_module,
    add_person,
    add_requirement,
)
from tests.support.clock import FakeClock
from tests.support.factories import make_org, school_id
from tests.support.trends import (
    ALDER_FIGURES,
    BIRCH_FIGURES,
    FEBRUARY,
    MARCH,
    MONTHS,
    NOVEMBER,
    TODAY,
    TRUST_FIGURES,
    History,
    seed_history,
    use_clock,
)


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


def take_all(service: SnapshotService, **options: bool) -> TakeReport:
    report = TakeReport()
    for job in service.pending(**options):
        report.add(service.take(job, replace=options.get("replace", False)))
    db.session.commit()
    return report


def figures(school_id: int) -> list[tuple[dt.date, int, int]]:
    rows = db.session.scalars(
        select(CoverageSnapshot)
        .where(CoverageSnapshot.school_id == school_id)
        .order_by(CoverageSnapshot.month)
    )
    return [(r.month, r.compliant, r.applicable) for r in rows]


def expected(figures_by_month: tuple[tuple[int, int], ...]) -> list[tuple[dt.date, int, int]]:
    return [(m, t, e) for m, (t, e) in zip(MONTHS, figures_by_month, strict=True)]


# -- months ----------------------------------------------------------------------------------


def test_month_helpers() -> None:
    assert parse_month("2026-02") == dt.date(2026, 2, 1)
    assert month_end(dt.date(2024, 2, 1)) == dt.date(2024, 2, 29)
    assert months_from(dt.date(2025, 11, 20), dt.date(2026, 1, 3)) == [
        dt.date(2025, 11, 1),
        dt.date(2025, 12, 1),
        dt.date(2026, 1, 1),
    ]
    for bad in ("2026-13", "March", "", "2026-3-1"):
        with pytest.raises(ValueError, match="YYYY-MM"):
            parse_month(bad)


# -- back-fill -------------------------------------------------------------------------------


def test_first_run_backfills_from_the_earliest_completion(
    service: SnapshotService, history: History
) -> None:
    jobs = service.pending()
    assert jobs == [Job(s, m) for m in MONTHS for s in (history.alder, history.birch)]
    report = take_all(service)
    assert (report.created, report.updated, report.unchanged) == (10, 0, 0)
    assert figures(history.alder) == expected(ALDER_FIGURES)
    assert figures(history.birch) == expected(BIRCH_FIGURES)


def test_backfilled_statuses_follow_the_engine_on_each_month_end(
    service: SnapshotService, history: History
) -> None:
    take_all(service)
    rows = {
        r.month: r
        for r in db.session.scalars(
            select(CoverageSnapshot).where(CoverageSnapshot.school_id == history.alder)
        )
    }
    # November: the requirement was not yet introduced, so nobody is overdue; Cat not in post.
    assert (rows[NOVEMBER].not_yet_due, rows[NOVEMBER].overdue) == (3, 0)
    # January: Dan and Eve are past their due date; February: Eve exempt, Cat due soon.
    assert rows[dt.date(2026, 1, 1)].overdue == 2
    assert (rows[FEBRUARY].exempt, rows[FEBRUARY].due_soon, rows[FEBRUARY].overdue) == (1, 1, 1)
    assert rows[FEBRUARY].as_of == dt.date(2026, 2, 28)
    assert rows[MARCH].as_of == TODAY
    assert [rows[m].backfilled for m in MONTHS] == [True, True, True, True, False]
    assert [rows[m].is_final for m in MONTHS] == [True, True, True, True, False]
    assert rows[MARCH].percent == 75


def test_backfill_goes_back_at_most_three_years(
    app: Flask, service: SnapshotService, history: History
) -> None:
    add_completion(app, history.people["ann"], history.module_id, dt.date(2015, 6, 1))
    first = service.earliest_month(history.organisation_id, TODAY)
    assert first == dt.date(2023, 3, 1)
    assert len(months_from(first, TODAY)) == MAX_BACKFILL_MONTHS + 1


def test_an_organisation_without_requirements_has_nothing_to_take(
    app: Flask, service: SnapshotService
) -> None:
    other = make_org(app, "Empty Trust", schools=[("200001", "Cedar School")])
    assert service.pending(organisation_id=other) == []
    assert service.earliest_month(other, TODAY) is None


# -- idempotency -----------------------------------------------------------------------------


def test_a_second_run_on_the_same_day_changes_nothing(
    service: SnapshotService, history: History
) -> None:
    take_all(service)
    before = [(r.id, r.taken_at, r.as_of) for r in db.session.scalars(select(CoverageSnapshot))]
    # Only the current month is still open; the closed months are not even recomputed.
    assert service.pending() == [Job(history.alder, MARCH), Job(history.birch, MARCH)]
    report = take_all(service)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    report = take_all(service, backfill=True)
    assert (report.created, report.updated) == (0, 0)
    after = [(r.id, r.taken_at, r.as_of) for r in db.session.scalars(select(CoverageSnapshot))]
    assert after == before


def test_the_current_month_is_refreshed_and_closed_months_are_kept(
    app: Flask, service: SnapshotService, history: History, clock: FakeClock
) -> None:
    take_all(service)
    clock.now += dt.timedelta(days=5)  # 20 March
    # Cat's training is recorded late, dated 20 February: March moves, February is final.
    add_completion(app, history.people["cat"], history.module_id, dt.date(2026, 2, 20))
    report = take_all(service)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    alder = {m: (t, e) for m, t, e in figures(history.alder)}
    assert alder[MARCH] == (4, 4)
    assert alder[FEBRUARY] == (2, 4)

    # Asked to replace, February is taken again (and is now a reconstruction).
    report = take_all(service, replace=True)
    assert (report.created, report.updated) == (0, 1)
    feb = db.session.scalar(
        select(CoverageSnapshot).where(
            CoverageSnapshot.school_id == history.alder, CoverageSnapshot.month == FEBRUARY
        )
    )
    assert feb is not None
    assert (feb.compliant, feb.applicable, feb.backfilled) == (3, 4, True)


def test_a_month_measured_live_stays_live_when_it_is_finished(
    service: SnapshotService, history: History, clock: FakeClock
) -> None:
    take_all(service)
    clock.now = dt.datetime(2026, 4, 2, 6, 0, tzinfo=dt.UTC)
    assert service.pending() == [
        Job(history.alder, MARCH),
        Job(history.birch, MARCH),
        Job(history.alder, dt.date(2026, 4, 1)),
        Job(history.birch, dt.date(2026, 4, 1)),
    ]
    report = take_all(service)
    assert (report.created, report.updated) == (2, 2)
    march = db.session.scalar(
        select(CoverageSnapshot).where(
            CoverageSnapshot.school_id == history.alder, CoverageSnapshot.month == MARCH
        )
    )
    assert march is not None
    # Measured again on its last day: final now, and still a live figure, not a reconstruction.
    assert (march.as_of, march.is_final, march.backfilled) == (dt.date(2026, 3, 31), True, False)
    assert service.pending() == [
        Job(history.alder, dt.date(2026, 4, 1)),
        Job(history.birch, dt.date(2026, 4, 1)),
    ]


def test_a_missed_month_is_filled_and_a_new_school_backfilled(
    app: Flask, service: SnapshotService, history: History, clock: FakeClock
) -> None:
    take_all(service)
    clock.now = dt.datetime(2026, 5, 10, 6, 0, tzinfo=dt.UTC)
    with app.app_context():
        org_school = School(organisation_id=history.organisation_id, urn="100003", name="Cedar")
        db.session.add(org_school)
        db.session.commit()
        cedar = org_school.id
    jobs = service.pending()
    assert {j.month for j in jobs if j.school_id == history.alder} == {
        MARCH,
        dt.date(2026, 4, 1),
        dt.date(2026, 5, 1),
    }
    assert [j.month for j in jobs if j.school_id == cedar] == [
        *MONTHS,
        dt.date(2026, 4, 1),
        dt.date(2026, 5, 1),
    ]


def test_one_month_only_and_not_the_future(service: SnapshotService, history: History) -> None:
    assert service.pending(month=dt.date(2026, 1, 1)) == [
        Job(history.alder, dt.date(2026, 1, 1)),
        Job(history.birch, dt.date(2026, 1, 1)),
    ]
    with pytest.raises(ValueError, match="April 2026 has not started yet"):
        service.pending(month=dt.date(2026, 4, 1))
    with pytest.raises(ValueError, match="has not started yet"):
        service.take(Job(history.alder, dt.date(2026, 4, 1)))


def test_snapshots_stay_inside_their_organisation(
    app: Flask, service: SnapshotService, history: History
) -> None:
    other_org = make_org(app, "Other Trust", schools=[("300001", "Oak School")])
    module = add_module(app, other_org, "Oak training")
    add_requirement(app, other_org, module, created_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC))
    oak_person = add_person(app, "300001", "Olu Oak", start_date=dt.date(2025, 1, 1))
    add_completion(app, oak_person, module, dt.date(2026, 2, 2))

    assert {j.school_id for j in service.pending(organisation_id=other_org)} == {
        school_id(app, "300001")
    }
    take_all(service)
    for row in db.session.scalars(select(CoverageSnapshot)):
        school = db.session.get(School, row.school_id)
        assert school is not None
        assert row.organisation_id == school.organisation_id
    oak = db.session.scalars(
        select(CoverageSnapshot).where(CoverageSnapshot.organisation_id == other_org)
    ).all()
    # Its own history starts with its own requirement (January), not the other trust's.
    assert [(r.month, r.compliant, r.applicable) for r in oak] == [
        (dt.date(2026, 1, 1), 0, 1),
        (FEBRUARY, 1, 1),
        (MARCH, 1, 1),
    ]
    trend = service.trust_trend(history.organisation_id, "Test Trust", months=12)
    assert {s.key for s in trend.series} == {
        "overall",
        f"school-{history.alder}",
        f"school-{history.birch}",
    }


# -- trends ----------------------------------------------------------------------------------


def test_school_trend_has_the_months_figures(service: SnapshotService, history: History) -> None:
    take_all(service)
    school = db.session.get(School, history.alder)
    assert school is not None
    trend = service.school_trend(school, months=12)
    # The window is April 2025 to March 2026; the months before the first snapshot go.
    assert trend.months == MONTHS
    # One training only: it is the emphasised line, no separate overall line.
    [line] = trend.series
    assert line.emphasis
    assert line.label == "Autism awareness"
    assert line.percents == [25, 25, 50, 50, 75]
    assert trend.backfilled_until == FEBRUARY
    assert trend.backfilled_label == "February 2026"
    assert trend.month_labels()[0] == "Nov 2025"


def test_trust_trend_sums_the_schools(service: SnapshotService, history: History) -> None:
    take_all(service)
    trend = service.trust_trend(history.organisation_id, "Test Trust", months=6)
    overall, *schools = trend.series
    assert overall.label == "All schools"
    assert [(p.trained, p.expected) for p in overall.points if p] == list(TRUST_FIGURES)
    assert [s.label for s in schools] == ["Alder Primary", "Birch Academy"]
    assert schools[1].percents == [0, 100, 100, 100, 100]
    assert trend.left_out == 0


def test_a_dashboards_headline_is_the_overall_line_summed_in_sql(
    service: SnapshotService, history: History
) -> None:
    take_all(service)
    full = service.trust_trend(history.organisation_id, "Test Trust", months=6)
    headline = service.trust_trend(history.organisation_id, "Test Trust", months=6, lines=False)
    [line] = headline.series
    assert line == full.series[0]
    assert line.label == "All schools"
    assert headline.months == full.months
    assert headline.backfilled_until == full.backfilled_until
    school = db.session.get(School, history.alder)
    assert school is not None
    [alone] = service.school_trend(school, months=12, lines=False).series
    assert alone.label == "All required training"
    assert alone.points == service.school_trend(school, months=12).series[0].points


def test_a_short_window_and_no_snapshots(service: SnapshotService, history: History) -> None:
    school = db.session.get(School, history.alder)
    assert school is not None
    assert service.school_trend(school).is_empty
    take_all(service)
    trend = service.school_trend(school, months=2)
    assert trend.months == (FEBRUARY, MARCH)
    assert trend.series[0].percents == [50, 75]


def test_a_requirement_retired_in_an_open_month_leaves_it(
    app: Flask, service: SnapshotService, history: History, clock: FakeClock
) -> None:
    take_all(service)
    clock.now += dt.timedelta(days=3)
    with app.app_context():
        requirement = db.session.get(Requirement, history.requirement_id)
        assert requirement is not None
        requirement.retired_at = clock.now
        db.session.commit()
    report = take_all(service)
    assert report.removed == 2
    assert [m for m, _, _ in figures(history.alder)] == list(MONTHS[:-1])  # history stays
