"""The dashboards read counts kept per school and day (issue 14, finding 9): every figure they
show must be what counting the status facts shows, for several schools, each role filter and
status filter, on many days, and after a completion, a bulk import, a rename and a new day."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, insert, select

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    Completion,
    CompletionMethod,
    Person,
    ReportStatus,
    ReportStatusSchool,
    School,
    StaffRole,
    StaffRoleKind,
)
from cpd_tracker.models.status import ReportCount
from cpd_tracker.services import school_statements as statements
from cpd_tracker.services.coverage import ReportService, SchoolReport, TrustFilters
from cpd_tracker.services.school_counts import SchoolCounts
from cpd_tracker.services.status_facts import StatusFactsService, status_on
from tests.unit.cpd_tracker.services.test_status_facts import T0, generate

ROLES: list[str | None] = [None, *(r.value for r in StaffRoleKind)]
STATUSES = ("overdue", "expired", "due_soon", "due", "compliant", "expiring_soon", "exempt")
DAYS = (0, 1, 31, 61, 200, 400)


@pytest.fixture(autouse=True)
def short_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lists of three rows, so which rows come first is tested, not only all of them."""
    monkeypatch.setattr(statements, "LIST_LIMIT", 3)


def _counted_from_facts(school: School, today: dt.date, role: str | None) -> dict[str, Any]:
    """The figures as the dashboard counted them per view, from every fact of the school
    (``school_statements.dashboard``, the statement the counts replace)."""
    values = statements.parameters(
        school.id, school.organisation_id, today, role, dt.date(2026, 9, 1)
    )
    found = db.session.connection().execute(statements.dashboard(role is not None), values)
    figures: dict[str, Any] = {
        "requirement": Counter(),
        "role": Counter(),
        "expiring": dict.fromkeys(statements.EXPIRY_WINDOWS, 0),
        "never_started": set(),
        "never_started_count": 0,
        "gaps": set(),
        "evidence": 0,
    }
    for kind, person_id, column_id, tag, status, due, expires, n in found:
        if kind == "requirement":
            figures["requirement"][(column_id, status)] += n
        elif kind == "role":
            figures["role"][(tag, status)] += n
        elif kind == "expiring":
            figures["expiring"][column_id] = n
        elif kind == "never_started":
            figures["never_started"].add(person_id)
        elif kind == "never_started_count":
            figures["never_started_count"] = n
        elif kind == "gap":
            figures["gaps"].add((tag, person_id, column_id, status, due, expires))
        elif kind == "evidence":
            figures["evidence"] = n
    figures["with_status"] = {}
    for status in STATUSES:
        [(_, _, n)] = db.session.connection().execute(
            statements.staff_counts(role is not None, True), {**values, "status": status}
        )
        figures["with_status"][status] = n
    return figures


def _shown(report: SchoolReport) -> dict[str, Any]:
    """The same figures as the counts-backed page has them."""
    column_of = {c.title: c.id for c in report.columns}
    gaps = set()
    for tag, lines in (
        ("overdue", report.overdue),
        *((str(d), v) for d, v in report.expiring.items()),
    ):
        for g in lines:
            gaps.add((tag, g.person_id, column_of[g.title], g.status, g.due_on, g.expires_on))
    return {
        "requirement": Counter(
            {
                (c, s): n
                for c, counts in report.by_requirement.items()
                for s, n in counts.by_status.items()
            }
        ),
        "role": Counter(
            {(r, s): n for r, counts in report.by_role.items() for s, n in counts.by_status.items()}
        ),
        "expiring": report.expiring_counts,
        "never_started": {m.person_id for m in report.never_started},
        "never_started_count": report.never_started_count,
        "gaps": gaps,
        "evidence": report.evidence_pending,
    }


def _assert_same_figures(org_id: int, today: dt.date) -> int:
    """Every school, role filter and status filter; returns how many figures were compared."""
    reports = ReportService(db.session)
    schools = list(db.session.scalars(select(School).where(School.organisation_id == org_id)))
    compared = 0
    for school in schools:
        for role in ROLES:
            report = reports.school(school, today, role)
            expected = _counted_from_facts(school, today, role)
            with_status = expected.pop("with_status")
            got = _shown(report)
            assert got == expected, (school.name, role, today)
            assert report.total.of("overdue", "expired") == report.overdue_count
            for status in STATUSES:
                listed = reports.school(school, today, role, status=status).listed_count
                assert listed == with_status[status], (school.name, role, status, today)
            compared += sum(expected["requirement"].values()) + len(expected["gaps"])
    # The trust page: each school's figures, with and without each filter.
    for role in ROLES:
        for module_id in (None, *_modules(org_id)):
            trust = reports.trust(org_id, today, TrustFilters(role=role, module_id=module_id))
            got = Counter(
                {
                    (k, s): n
                    for k, counts in trust.cells.items()
                    for s, n in counts.by_status.items()
                }
            )
            assert got == _trust_from_facts(org_id, today, role, module_id), (role, module_id)
    return compared


def _modules(org_id: int) -> list[int]:
    return sorted(
        set(
            db.session.scalars(
                select(ReportStatus.module_id).where(ReportStatus.organisation_id == org_id)
            )
        )
    )


def _trust_from_facts(
    org_id: int, today: dt.date, role: str | None, module_id: int | None
) -> Counter[tuple[tuple[int, int], str]]:
    """The trust matrix as it was counted per view: a ``GROUP BY`` over every fact."""
    status = status_on(today)
    query = (
        select(ReportStatus.school_id, ReportStatus.column_id, status, func.count())
        .where(ReportStatus.organisation_id == org_id)
        .group_by(ReportStatus.school_id, ReportStatus.column_id, status)
    )
    if role is not None:
        query = query.where(statements.has_role(StaffRoleKind(role)))
    if module_id is not None:
        query = query.where(ReportStatus.module_id == module_id)
    return Counter({((s, c), v): n for s, c, v, n in db.session.execute(query)})


def _counted_on(org_id: int) -> set[dt.date | None]:
    return set(
        db.session.scalars(
            select(ReportStatusSchool.counted_on).where(
                ReportStatusSchool.organisation_id == org_id
            )
        )
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_the_kept_counts_are_what_counting_the_facts_shows_on_many_days(
    app: Flask, seed: int
) -> None:
    org_id = generate(app, seed)
    with app.app_context():
        compared = 0
        for offset in DAYS:
            today = T0 + dt.timedelta(days=offset)
            compared += _assert_same_figures(org_id, today)
            # Counted for the day read, every school of the organisation.
            assert _counted_on(org_id) == {today}
            db.session.commit()
        assert compared > 1000


def test_the_counts_follow_a_completion_an_import_a_rename_and_a_new_day(app: Flask) -> None:
    org_id = generate(app, 3)
    with app.app_context():
        facts = StatusFactsService(db.session)
        facts.ensure_fresh(org_id, T0)
        db.session.commit()
        assert _counted_on(org_id) == {T0}
        _assert_same_figures(org_id, T0)
        # A completion through the unit of work, for someone overdue.
        overdue = db.session.execute(
            select(ReportStatus.person_id, ReportStatus.module_id, ReportStatus.organisation_id)
            .where(ReportStatus.organisation_id == org_id, status_on(T0) == "overdue")
            .order_by(ReportStatus.person_id)
            .limit(3)
        ).all()
        assert len(overdue) == 3
        person_id, module_id, _ = overdue[0]
        before = _overdue_total(org_id, T0)
        db.session.add(
            Completion(
                organisation_id=org_id,
                person_id=person_id,
                module_id=module_id,
                completed_on=T0,
                method=CompletionMethod.RECORDED,
            )
        )
        db.session.commit()
        _assert_same_figures(org_id, T0)
        assert _overdue_total(org_id, T0) < before
        db.session.commit()
        # A bulk insert, as the completion imports make (no unit of work).
        db.session.execute(
            insert(Completion),
            [
                {
                    "organisation_id": org_id,
                    "person_id": p,
                    "module_id": m,
                    "completed_on": T0,
                    "method": CompletionMethod.IMPORTED,
                }
                for p, m, _ in overdue[1:]
            ],
        )
        db.session.commit()
        _assert_same_figures(org_id, T0)
        assert _counted_on(org_id) == {T0}
        db.session.commit()
        # A rename moves a person in the lists' order: the counts are recounted, the facts kept.
        computed = set(db.session.scalars(select(ReportStatusSchool.computed_on)))
        someone = db.session.scalar(
            select(Person)
            .join(StaffRole, StaffRole.person_id == Person.id)
            .where(Person.organisation_id == org_id)
            .order_by(Person.id)
            .limit(1)
        )
        assert someone is not None
        someone.family_name = "Aaaaardvark"
        db.session.commit()
        assert None in _counted_on(org_id)
        _assert_same_figures(org_id, T0)
        assert set(db.session.scalars(select(ReportStatusSchool.computed_on))) == computed
        db.session.commit()
        # A new day: statuses and expiry windows move; the counts are that day's.
        tomorrow = T0 + dt.timedelta(days=45)
        facts.ensure_fresh(org_id, tomorrow)
        db.session.commit()
        assert _counted_on(org_id) == {tomorrow}
        _assert_same_figures(org_id, tomorrow)


def _overdue_total(org_id: int, today: dt.date) -> int:
    report = ReportService(db.session).trust(org_id, today, TrustFilters())
    return report.total.of("overdue")


def test_recounting_replaces_the_schools_rows_and_nothing_else(app: Flask) -> None:
    first, second = generate(app, 4), generate(app, 5)
    with app.app_context():
        facts = StatusFactsService(db.session)
        facts.ensure_fresh(first, T0)
        facts.ensure_fresh(second, T0)
        db.session.commit()

        def rows(org_id: int) -> list[tuple[Any, ...]]:
            return [
                tuple(r)
                for r in db.session.execute(
                    select(ReportCount.__table__).where(ReportCount.organisation_id == org_id)
                )
            ]

        kept, other = sorted(rows(first)), sorted(rows(second))
        assert kept
        assert other
        school = db.session.scalar(select(School).where(School.organisation_id == first).limit(1))
        assert school is not None
        counts = SchoolCounts(db.session)
        counts.recount(school.id, first, T0)
        counts.recount(school.id, first, T0)
        assert sorted(rows(first)) == kept
        assert sorted(rows(second)) == other
