"""The demo trust is one a CPD lead would believe (issue 16, "Demo data"): staff start and
train on working days, only governors are asked to do governor training, each school has the
staff its pupils need, purchases name the training they bought (so cost per compliant member
of staff is not £0.00), and the trend charts have a year of history."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from sqlalchemy import func, select

from cpd_tracker.demo_lms import people
from cpd_tracker.demo_lms.school_days import bank_holidays, is_working_day
from cpd_tracker.demo_lms.seed import seed_demo
from cpd_tracker.extensions import db
from cpd_tracker.models import (
    Completion,
    CoverageSnapshot,
    Module,
    Organisation,
    Permission,
    PermissionKind,
    Person,
    Purchase,
    School,
    StaffRole,
    StaffRoleKind,
)
from cpd_tracker.rules.money import ShareBasis, YearKind, year_of
from cpd_tracker.services.audit import Actor, AuditService
from cpd_tracker.services.compliance import ComplianceService
from cpd_tracker.services.months import month_of
from cpd_tracker.services.spend import Scope, SpendReportService, SpendService
from tests.conftest import BASE_URL


def _seed(app: Flask) -> None:
    with app.app_context():
        session = db.new_session()
        try:
            seed_demo(
                session,
                AuditService(session, Actor("cli")),
                base_url=BASE_URL,
                secret=app.config["SECRET_KEY"],
            )
            session.commit()
        finally:
            session.close()


def _not_a_day_anyone_starts(day: dt.date) -> str | None:
    if (day.month, day.day) == (12, 25):
        return "25 December"
    if day.weekday() >= 5:
        return "a weekend"
    if day in bank_holidays(day.year):
        return "a bank holiday"
    if not is_working_day(day):
        return "a school holiday"
    return None


def test_nobody_starts_or_trains_on_a_weekend_bank_holiday_or_25_december(app: Flask) -> None:
    _seed(app)
    with app.app_context():
        starts = db.session.scalars(select(Person.start_date).where(Person.start_date.is_not(None)))
        roles = db.session.scalars(select(StaffRole.started_on))
        trained = db.session.scalars(select(Completion.completed_on))
        bad = [
            (what, day, why)
            for what, days in (("start", starts), ("role", roles), ("completion", trained))
            for day in days
            if day is not None and (why := _not_a_day_anyone_starts(day)) is not None
        ]
        # SENCO appointments (1 September) are task 946d6d8's and are not looked at here.
        bad = [b for b in bad if not (b[0] == "role" and (b[1].month, b[1].day) == (9, 1))]
        assert bad == []


def test_only_governors_are_asked_for_governor_training(app: Flask) -> None:
    _seed(app)
    with app.app_context():
        compliance = ComplianceService(db.session)
        governor_module = db.session.scalar(
            select(Module.id).where(Module.slug == "send-for-governors")
        )
        roles: dict[int, set[StaffRoleKind]] = {}
        for person_id, role in db.session.execute(select(StaffRole.person_id, StaffRole.role)):
            roles.setdefault(person_id, set()).add(role)
        asked: set[int] = set()
        for school in db.session.scalars(select(School)):
            result = compliance.school(school, dt.date.today())
            for (person_id, _), row in result.cells.items():
                if row.module_id == governor_module:
                    asked.add(person_id)
        governors = {p for p, r in roles.items() if StaffRoleKind.GOVERNOR in r}
        assert governors
        assert asked == governors
        # Nor has anyone else a governor-training completion in their demo history.
        trained = set(
            db.session.scalars(
                select(Completion.person_id).where(Completion.module_id == governor_module)
            )
        )
        assert trained <= governors
        teachers_and_tas = {
            p
            for p, r in roles.items()
            if r & {StaffRoleKind.TEACHER, StaffRoleKind.TEACHING_ASSISTANT}
        }
        assert teachers_and_tas
        assert not teachers_and_tas & (asked | trained)


def test_each_school_has_the_staff_its_pupils_need(app: Flask) -> None:
    _seed(app)
    with app.app_context():
        for urn, _name, phase in people.SCHOOLS:
            staff = db.session.scalar(
                select(func.count(func.distinct(StaffRole.person_id)))
                .join(School, School.id == StaffRole.school_id)
                .where(School.urn == urn, StaffRole.role != StaffRoleKind.GOVERNOR)
            )
            assert staff is not None
            pupils_per_adult = people.PUPILS[urn] / staff
            # DfE workforce census: about 10 to 12 pupils per adult in a primary, 11 to 15 in a
            # secondary (teachers, TAs, support staff and leaders).
            low, high = (9, 13) if phase == "primary" else (11, 16)
            assert low <= pupils_per_adult <= high, (urn, staff)
            if urn == "990002":  # the 1,046-pupil secondary
                assert 70 <= staff <= 90


def test_purchases_name_their_training_and_cost_per_compliant_is_not_nil(app: Flask) -> None:
    _seed(app)
    with app.app_context():
        purchases = list(db.session.scalars(select(Purchase)))
        assert purchases
        assert all(p.module_id is not None for p in purchases)
        org = db.session.scalar(select(Organisation))
        assert org is not None
        today = dt.date.today()
        records = SpendService(db.session, AuditService(db.session, Actor("test")), dt.datetime.now)
        report = SpendReportService(db.session, records, ComplianceService(db.session)).report(
            Scope(org.id, None), year_of(YearKind.ACADEMY, today), today, ShareBasis.PUPILS
        )
        table = report.table("compliance")
        assert table is not None
        # Columns by their headings (the spend report's own tests fix the layout).
        cost, compliant, per = (
            next(i for i, h in enumerate(table.header) if h.startswith(prefix))
            for prefix in ("Cost to the school", "Staff compliant", "Cost per compliant")
        )
        costed = [row for row in table.rows if row[cost] != "£0.00"]
        assert len(costed) >= 3  # SpLD, behaviour (6 h), governors; autism used included places
        assert any(row[compliant] for row in costed)
        for row in costed:
            if row[compliant]:
                assert row[per] not in ("£0.00", "n/a"), row


def test_the_trend_charts_have_a_year_of_history(app: Flask) -> None:
    _seed(app)
    with app.app_context():
        months = {
            school_id: set(
                db.session.scalars(
                    select(CoverageSnapshot.month).where(CoverageSnapshot.school_id == school_id)
                )
            )
            for school_id in db.session.scalars(select(School.id))
        }
        this_month = month_of(dt.date.today())
        assert len(months) == 3
        for taken in months.values():
            assert len(taken) == 12
            assert this_month in taken


def test_the_finance_persona_holds_finance_in_the_tool(app: Flask) -> None:
    _seed(app)
    user = people.demo_user("finance")
    assert user is not None
    with app.app_context():
        person = db.session.scalar(select(Person).where(Person.sub == user.sub))
        assert person is not None
        kinds = set(
            db.session.scalars(select(Permission.kind).where(Permission.person_id == person.id))
        )
        assert kinds == {PermissionKind.FINANCE}
        assert not db.session.scalar(
            select(func.count()).select_from(StaffRole).where(StaffRole.person_id == person.id)
        )
