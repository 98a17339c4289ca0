"""Status facts and report figures agree with the status engine on generated data, for many
days, and follow every change to the facts behind them (issue 6, "Numbers agree")."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    Completion,
    CompletionMethod,
    DueRule,
    Exemption,
    Extension,
    Module,
    Person,
    ReportStatus,
    ReportStatusPerson,
    ReportStatusSchool,
    Requirement,
    School,
    StaffRole,
    StaffRoleKind,
)
from cpd_tracker.services.compliance import ComplianceService
from cpd_tracker.services.coverage import LIST_LIMIT, ReportService, SchoolReport, TrustFilters
from cpd_tracker.services.status_facts import StatusFactsService, status_on
from tests.support.factories import make_org

T0 = dt.date(2026, 11, 27)
DAYS = (0, 1, 2, 13, 29, 30, 31, 35, 59, 60, 61, 90, 120, 200, 280, 365, 399, 420, 800)
ROLES = list(StaffRoleKind)


def _day(rng: random.Random, low: int = -1500, high: int = 200) -> dt.date:
    return T0 + dt.timedelta(days=rng.randint(low, high))


def complete(org_id: int, person_id: int, module_id: int, on: dt.date = T0) -> None:
    """A completion recorded through the unit of work (the session's listeners see it)."""
    db.session.add(
        Completion(
            organisation_id=org_id,
            person_id=person_id,
            module_id=module_id,
            completed_on=on,
            method=CompletionMethod.RECORDED,
        )
    )


def generate(app: Flask, seed: int) -> int:
    """An organisation of two schools with random requirements, staff and histories."""
    rng = random.Random(seed)
    org_id = make_org(app, f"Generated {seed}")
    with app.app_context():
        s = db.session
        schools = list(s.scalars(select(School).where(School.organisation_id == org_id)))
        modules = list(s.scalars(select(Module).where(Module.organisation_id == org_id)))[:8]
        requirements: list[Requirement] = []
        for i, module in enumerate(modules[:6]):
            rule = list(DueRule)[i % 3]
            requirement = Requirement(
                organisation_id=org_id,
                module_id=module.id,
                school_id=schools[1].id if i == 5 else None,
                roles=rng.choice([[], [], ["teacher"], ["teaching_assistant", "senco"]]),
                due_rule=rule,
                due_days=None if rule is DueRule.FIXED_DATE else rng.choice([0, 30, 90]),
                due_month=9 if rule is DueRule.FIXED_DATE else None,
                due_day=1 if rule is DueRule.FIXED_DATE else None,
                validity_months=rng.choice([None, 12, 24]),
                window_days=rng.choice([30, 60]),
                due_soon_days=rng.choice([14, 30]),
                created_at=dt.datetime(2024, 1, 10, tzinfo=dt.UTC),
            )
            s.add(requirement)
            requirements.append(requirement)
        s.flush()
        # Alder overrides the first trust-wide requirement.
        s.add(
            Requirement(
                organisation_id=org_id,
                module_id=requirements[0].module_id,
                school_id=schools[0].id,
                overrides_id=requirements[0].id,
                roles=[],
                due_rule=DueRule.DAYS_AFTER_START,
                due_days=45,
                validity_months=12,
                created_at=requirements[0].created_at,
            )
        )
        for n in range(36):
            person = Person(
                organisation_id=org_id,
                name=f"Generated Person{n}",
                family_name=f"Person{n}",
                email=f"p{n}@gen.example.org",
                start_date=_day(rng) if rng.random() < 0.9 else None,
                leaving_date=_day(rng, 0, 300) if rng.random() < 0.1 else None,
            )
            s.add(person)
            s.flush()
            for school in rng.sample(schools, rng.choice([1, 1, 1, 2])):
                for role in rng.sample(ROLES, rng.choice([1, 1, 2])):
                    s.add(
                        StaffRole(
                            person_id=person.id,
                            school_id=school.id,
                            role=role,
                            started_on=_day(rng) if rng.random() < 0.7 else None,
                        )
                    )
            for module in modules:
                for _ in range(rng.choice([0, 0, 1, 1, 2])):
                    s.add(
                        Completion(
                            organisation_id=org_id,
                            person_id=person.id,
                            module_id=module.id,
                            completed_on=_day(rng, -1200, 60),
                            method=CompletionMethod.RECORDED,
                        )
                    )
            for requirement in requirements:
                if rng.random() < 0.08:
                    start = _day(rng, -400, 100)
                    s.add(
                        Exemption(
                            organisation_id=org_id,
                            person_id=person.id,
                            requirement_id=requirement.id,
                            reason="Generated",
                            starts_on=start,
                            ends_on=start + dt.timedelta(days=rng.randint(0, 300))
                            if rng.random() < 0.7
                            else None,
                        )
                    )
                if rng.random() < 0.08:
                    s.add(
                        Extension(
                            organisation_id=org_id,
                            person_id=person.id,
                            requirement_id=requirement.id,
                            reason="Generated",
                            new_due_on=_day(rng, -200, 200),
                        )
                    )
        s.commit()
    return org_id


def _engine(school: School, today: dt.date) -> dict[tuple[int, int], str]:
    compliance = ComplianceService(db.session).school(school, today)
    return {key: row.result.status.value for key, row in compliance.cells.items()}


def _assert_school_figures_are_the_engines(report: SchoolReport, today: dt.date) -> None:
    """The dashboard's other figures (per role, per expiry window, the gap lists, who never
    started) against the status engine's answers for the same school and day."""
    compliance = ComplianceService(db.session).school(report.school, today)
    roles = {m.person_id: m.roles for m in compliance.staff}
    by_role: Counter[tuple[str, str]] = Counter()
    windows: Counter[int] = Counter()
    overdue: set[tuple[int, int]] = set()
    expected: set[int] = set()
    started: set[int] = set()
    for (person_id, _), row in compliance.cells.items():
        status, expires = row.result.status.value, row.result.expires_on
        for role in roles.get(person_id, ()):
            by_role[(role, status)] += 1
        if row.result.last_completed_on is not None:
            started.add(person_id)
        if status in ("exempt", "left"):
            continue
        expected.add(person_id)
        if status in ("overdue", "expired"):
            overdue.add((person_id, row.module_id))
        trained = status in ("compliant", "expiring_soon")
        if trained and expires is not None and 0 <= (expires - today).days <= 90:
            windows[next(d for d in (30, 60, 90) if (expires - today).days <= d)] += 1
    got_roles = Counter(
        {
            (role, status): n
            for role, counts in report.by_role.items()
            for status, n in counts.by_status.items()
        }
    )
    assert got_roles == by_role, today
    assert report.expiring_counts == {d: windows[d] for d in (30, 60, 90)}, today
    assert sum(len(lines) for lines in report.expiring.values()) == min(
        sum(windows.values()), sum(min(n, LIST_LIMIT) for n in windows.values())
    )
    assert report.overdue_count == len(overdue), today
    modules = {c.title: c.module_id for c in report.columns}
    shown = {(g.person_id, modules[g.title]) for g in report.overdue}
    assert shown <= overdue, today
    assert len(shown) == min(len(overdue), LIST_LIMIT), today
    assert {m.person_id for m in report.never_started} == expected - started, today


def _facts(school: School, today: dt.date) -> dict[tuple[int, int], str]:
    return {
        (pid, rid): status
        for pid, rid, status in db.session.execute(
            select(ReportStatus.person_id, ReportStatus.requirement_id, status_on(today)).where(
                ReportStatus.school_id == school.id
            )
        )
    }


def _columns(org_id: int) -> dict[int, int]:
    """Requirement id -> the dashboard column it is counted under."""
    return {
        r.id: (r.overrides_id if r.school_id and r.overrides_id else r.id)
        for r in db.session.scalars(
            select(Requirement).where(Requirement.organisation_id == org_id)
        )
    }


def _days() -> Iterator[dt.date]:
    for offset in DAYS:
        yield T0 + dt.timedelta(days=offset)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sql_statuses_and_figures_are_the_engines_on_many_days(app: Flask, seed: int) -> None:
    org_id = generate(app, seed)
    with app.app_context():
        facts = StatusFactsService(db.session)
        reports = ReportService(db.session, facts)
        schools = list(db.session.scalars(select(School).where(School.organisation_id == org_id)))
        columns = _columns(org_id)
        assert facts.ensure_fresh(org_id, T0) == 2
        reused = 0
        for today in _days():
            recomputed = facts.ensure_fresh(org_id, today)
            reused += recomputed == 0
            trust = reports.trust(org_id, today, TrustFilters())
            trust_rows = 0
            for school in schools:
                engine = _engine(school, today)
                assert engine, "the generated school has statuses"
                assert _facts(school, today) == engine, (today, school.name)
                expected: Counter[tuple[int, str]] = Counter(
                    (columns[rid], status) for (_, rid), status in engine.items()
                )
                report = reports.school(school, today)
                got = Counter(
                    {
                        (column, status): n
                        for column, counts in report.by_requirement.items()
                        for status, n in counts.by_status.items()
                    }
                )
                assert got == expected, today
                _assert_school_figures_are_the_engines(report, today)
                in_trust = Counter(
                    {
                        (column, status): n
                        for (sid, column), counts in trust.cells.items()
                        if sid == school.id
                        for status, n in counts.by_status.items()
                    }
                )
                assert in_trust == expected, today
                trust_rows += len(engine)
            rows = list(reports.people(org_id, today, TrustFilters()))
            assert len(rows) == trust_rows == sum(trust.total.by_status.values())
            db.session.commit()
        # Many days were answered by the stored timelines rather than by recomputing (the
        # generated data has future-dated completions, which end timelines early).
        assert reused >= len(DAYS) // 2


def _stale_schools(org_id: int) -> set[int]:
    """Schools with rows to recompute: stale whole, or people marked there."""
    whole = set(
        db.session.scalars(
            select(ReportStatusSchool.school_id).where(
                ReportStatusSchool.organisation_id == org_id,
                ReportStatusSchool.valid_until <= ReportStatusSchool.computed_on,
            )
        )
    )
    return whole | set(
        db.session.scalars(
            select(ReportStatusPerson.school_id)
            .join(School, School.id == ReportStatusPerson.school_id)
            .where(School.organisation_id == org_id)
        )
    )


def test_changes_to_the_facts_mark_the_schools_concerned_stale(app: Flask) -> None:
    org_id = generate(app, 7)
    with app.app_context():
        facts = StatusFactsService(db.session)
        alder, birch = sorted(
            db.session.scalars(select(School).where(School.organisation_id == org_id)),
            key=lambda s: s.name,
        )

        def fresh() -> None:
            facts.ensure_fresh(org_id, T0)
            db.session.commit()
            assert _stale_schools(org_id) == set()

        fresh()
        only_alder = db.session.scalar(
            select(Person.id)
            .join(StaffRole, StaffRole.person_id == Person.id)
            .where(StaffRole.school_id == alder.id, Person.organisation_id == org_id)
            .where(
                ~Person.id.in_(select(StaffRole.person_id).where(StaffRole.school_id == birch.id))
            )
        )
        assert only_alder is not None
        module_id = db.session.scalar(select(Requirement.module_id).limit(1))
        # A completion (unit of work): only the person's school.
        complete(org_id, only_alder, module_id)
        db.session.flush()
        assert _stale_schools(org_id) == {alder.id}
        db.session.commit()
        fresh()
        # A launch touches last_launch_at and sets roles again unchanged: nothing goes stale.
        person = db.session.get(Person, only_alder)
        assert person is not None
        person.last_launch_at = dt.datetime(2026, 11, 27, 9, tzinfo=dt.UTC)
        for role in db.session.scalars(select(StaffRole).where(StaffRole.person_id == only_alder)):
            role.role = role.role
        db.session.flush()
        assert _stale_schools(org_id) == set()
        # A leaving date does.
        person.leaving_date = T0
        db.session.flush()
        assert _stale_schools(org_id) == {alder.id}
        db.session.commit()
        fresh()
        # A requirement: every school of the organisation.
        requirement = db.session.scalar(
            select(Requirement).where(Requirement.organisation_id == org_id).limit(1)
        )
        assert requirement is not None
        requirement.validity_months = 6
        db.session.flush()
        assert _stale_schools(org_id) == {alder.id, birch.id}
        db.session.commit()
        fresh()
        # ORM bulk statements (CSV imports) too.
        db.session.execute(
            update(Person),
            [{"id": only_alder, "start_date": T0}],
        )
        assert _stale_schools(org_id) == {alder.id}
        db.session.commit()
        fresh()
        from sqlalchemy import insert

        db.session.execute(
            insert(Completion),
            [
                {
                    "organisation_id": org_id,
                    "person_id": only_alder,
                    "module_id": module_id,
                    "completed_on": T0,
                    "method": CompletionMethod.IMPORTED,
                }
            ],
        )
        assert _stale_schools(org_id) == {alder.id}
        db.session.commit()
        # And the recomputed figures are the engine's again.
        facts.ensure_fresh(org_id, T0)
        assert _facts(alder, T0) == _engine(alder, T0)


def test_a_school_with_nothing_required_has_no_rows(app: Flask) -> None:
    org_id = make_org(app, "Empty")
    with app.app_context():
        facts = StatusFactsService(db.session)
        assert facts.ensure_fresh(org_id, T0) == 2
        assert db.session.scalar(select(func.count()).select_from(ReportStatus)) == 0
        assert facts.ensure_fresh(org_id, T0) == 0
        # A clock that goes back (a test, a restored backup) recomputes rather than guess.
        assert facts.ensure_fresh(org_id, T0 - dt.timedelta(days=1)) == 2
