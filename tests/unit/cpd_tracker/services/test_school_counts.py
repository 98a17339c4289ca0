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
from tests.unit.cpd_tracker.services.test_status_facts import T0, complete, generate

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
        complete(org_id, person_id, module_id)
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


# -- the staff list's order, kept per school and day -----------------------------------------


def _live_staff(
    school: School,
    today: dt.date,
    role: str | None,
    status: str | None,
    *,
    unlaunched: bool = False,
) -> list[int]:
    """The whole staff list as the page sorted it per view (``school_statements.staff_page``:
    ``ORDER BY`` the name order over everyone), the order the kept positions must give."""
    values = statements.parameters(
        school.id, school.organisation_id, today, role, dt.date(2026, 9, 1), status
    )
    found = db.session.connection().execute(
        statements.staff_page(role is not None, status is not None, unlaunched),
        {**values, "limit": 100_000, "offset": 0},
    )
    return [r.id for r in found]


def _assert_same_staff_lists(org_id: int, today: dt.date) -> int:
    """Page after page of each school's staff list (each role filter; each status filter,
    with and without a role), the never-opened list and the heatmap download: the people
    and their order are the per-view sort's. Returns how many people were compared."""
    reports = ReportService(db.session)
    schools = list(db.session.scalars(select(School).where(School.organisation_id == org_id)))
    compared = 0
    cases = [(role, None) for role in ROLES]
    cases += [(role, status) for role in (None, "teacher") for status in STATUSES]
    for school in schools:
        for role, status in cases:
            live = _live_staff(school, today, role, status)
            shown: list[int] = []
            first = reports.school(school, today, role, status=status, page_size=5)
            for page in range(1, first.pages + 2):  # and one past the last: empty
                report = reports.school(school, today, role, page=page, status=status, page_size=5)
                assert report.listed_count == len(live), (school.name, role, status)
                assert len(report.staff) <= 5
                shown += [m.person_id for m in report.staff]
            assert shown == live, (school.name, role, status, today)
            compared += len(live)
            if status is None:
                unlaunched = _live_staff(school, today, role, None, unlaunched=True)
                assert [m.person_id for m in first.never_launched] == unlaunched[:3]
                # The kept count (a first launch updates it, no recount) is the live one.
                assert first.never_launched_count == len(unlaunched), (school.name, role)
                assert first.staff_count == len(live), (school.name, role)
                exported = [m.person_id for m, _, _ in reports.school_staff(school, today, role, 4)]
                assert exported == live
                gaps = reports.school_gaps(school, today, role)
                never = [line.person_id for tag, line in gaps if tag == "never_launched"]
                assert never == unlaunched
    return compared


def _people(org_id: int) -> list[Person]:
    return list(
        db.session.scalars(
            select(Person).where(Person.organisation_id == org_id).order_by(Person.id)
        )
    )


def test_the_staff_list_pages_keep_todays_order_after_a_rename_and_a_new_starter(
    app: Flask,
) -> None:
    org_id = generate(app, 6)
    with app.app_context():
        # Names that tie and names that are missing, so every key of the order decides some
        # place (family, given, full name, id; NULLs where the database puts them); some
        # people have opened the tool.
        for i, person in enumerate(_people(org_id)):
            if i % 4 == 0:
                person.family_name = "Smith"
                person.given_name = ("Ann", None, "Bob")[i % 3]
            if i % 5 == 0:
                person.family_name = None
                person.name = "Zed Only" if i % 2 else None
            if i % 3 == 0:
                person.last_launch_at = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
        db.session.commit()
        compared = 0
        for offset in (0, 61):
            compared += _assert_same_staff_lists(org_id, T0 + dt.timedelta(days=offset))
            db.session.commit()
        assert compared > 200
        # A rename: the renamed person moves up each list they are on (behind those without
        # a family name where the database sorts NULLs first).
        someone = [p for p in _people(org_id) if p.family_name and p.family_name > "P"][-1]
        school = db.session.scalar(
            select(School)
            .join(StaffRole, StaffRole.school_id == School.id)
            .where(StaffRole.person_id == someone.id, StaffRole.ended_on.is_(None))
        )
        assert school is not None

        def place() -> int:
            pages = (
                ReportService(db.session).school(school, T0, page=p, page_size=5)
                for p in range(1, 10)
            )
            return [m.person_id for page in pages for m in page.staff].index(someone.id)

        was = place()
        someone.family_name = "Aardvark"
        db.session.commit()
        _assert_same_staff_lists(org_id, T0)
        assert place() < was
        db.session.commit()
        # A new starter and a leaver: on (and off) the list the same day, in their place.
        starter = Person(organisation_id=org_id, name="Nia Middle", family_name="Middle")
        db.session.add(starter)
        db.session.flush()
        db.session.add(
            StaffRole(person_id=starter.id, school_id=school.id, role=StaffRoleKind.TEACHER)
        )
        leaver = db.session.scalar(
            select(StaffRole).where(StaffRole.school_id == school.id).order_by(StaffRole.id)
        )
        assert leaver is not None
        leaver.ended_on = T0
        db.session.commit()
        before = len(_live_staff(school, T0, None, None))
        _assert_same_staff_lists(org_id, T0)
        listed = [
            m.person_id
            for p in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
            for m in ReportService(db.session).school(school, T0, page=p, page_size=5).staff
        ]
        assert starter.id in listed
        assert len(listed) == before
        db.session.commit()
        # A first launch moves no position: the never-opened list is read live.
        unlaunched = _live_staff(school, T0, None, None, unlaunched=True)
        opener = db.session.get(Person, unlaunched[0])
        assert opener is not None
        opener.last_launch_at = dt.datetime(2026, 11, 27, 9, tzinfo=dt.UTC)
        db.session.commit()
        assert _counted_on(org_id) == {T0}
        _assert_same_staff_lists(org_id, T0)
        page = ReportService(db.session).school(school, T0)
        assert opener.id not in [m.person_id for m in page.never_launched]
        # A launch undone (the person's record put back): counted as never opened again.
        opener.last_launch_at = None
        db.session.commit()
        assert _counted_on(org_id) == {T0}
        _assert_same_staff_lists(org_id, T0)


@pytest.mark.parametrize("by", [None, "module", "school"])
def test_the_trends_current_month_sums_the_counts_by_line(app: Flask, by: str | None) -> None:
    """``SchoolCounts.summed``: the trend's current month per line and status, summed by
    the database (a trust's 80,000 count rows are not read one by one) or from counts the
    transaction already read, the same either way and the same as counting the facts."""
    org_id = generate(app, 3)
    with app.app_context():
        StatusFactsService(db.session).ensure_fresh(org_id, T0)
        schools = list(
            db.session.scalars(select(School.id).where(School.organisation_id == org_id))
        )
        r = ReportStatus
        line: Any = {"module": r.module_id, "school": r.school_id}.get(by, 0)
        status = status_on(T0)
        facts = Counter(
            {
                (int(key), value): n
                for key, value, n in db.session.execute(
                    select(line if by else func.min(0), status, func.count())
                    .where(r.school_id.in_(schools))
                    .group_by(*([line] if by else []), status)
                )
            }
        )
        counts = SchoolCounts(db.session)
        summed = counts.summed(schools, by)
        counts.counts(schools)
        again = counts.summed(schools, by)
        assert Counter({(line, status): n for line, status, n in summed}) == facts
        assert sorted(again) == sorted(summed)
        assert {line for line, _, _ in summed} == {key[0] for key in facts}
