"""Requirements resolved per school, audiences, coverage figures."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from sqlalchemy import select

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    DueRule,
    Module,
    Person,
    Requirement,
    School,
    StaffRole,
    StaffRoleKind,
)
from cpd_tracker.rules.training import Status
from cpd_tracker.services.compliance import (
    ComplianceService,
    applies_to,
    coverage_of,
    later,
)
from tests.support.factories import make_org

TODAY = dt.date(2026, 11, 27)


@pytest.mark.parametrize(
    ("roles", "person_roles", "expected"),
    [
        ([], {"teacher"}, True),
        (["teacher"], {"teacher", "senco"}, True),
        (["teaching_assistant"], {"teacher"}, False),
        (["senco"], set(), False),
    ],
)
def test_applies_to(roles: list[str], person_roles: set[str], expected: bool) -> None:
    requirement = Requirement(roles=roles)
    assert applies_to(requirement, person_roles) is expected


def test_later_never_goes_before_the_floor() -> None:
    floor = dt.date(2025, 9, 1)
    assert later(None, floor) == floor
    assert later(dt.date(2020, 1, 1), floor) == floor
    assert later(dt.date(2026, 1, 1), floor) == dt.date(2026, 1, 1)


def test_coverage_leaves_leavers_and_exempt_staff_out() -> None:
    cov = coverage_of(
        [
            Status.COMPLIANT,
            Status.EXPIRING_SOON,
            Status.OVERDUE,
            Status.EXEMPT,
            Status.LEFT,
            Status.DUE,
        ]
    )
    assert (cov.trained, cov.expected, cov.percent) == (2, 4, 50)
    assert coverage_of([Status.LEFT]).percent is None


def _setup(app: Flask) -> tuple[int, int, int]:
    org_id = make_org(app)
    with app.app_context():
        school = db.session.scalar(select(School).where(School.urn == "100001"))
        assert school is not None
        module = db.session.scalar(select(Module).where(Module.organisation_id == org_id))
        assert module is not None
        return org_id, school.id, module.id


def test_school_override_replaces_the_organisation_requirement_there_only(app: Flask) -> None:
    org_id, school_id, module_id = _setup(app)
    with app.app_context():
        org_wide = Requirement(
            organisation_id=org_id,
            module_id=module_id,
            roles=[],
            due_rule=DueRule.DAYS_AFTER_START,
            due_days=90,
        )
        db.session.add(org_wide)
        db.session.flush()
        override = Requirement(
            organisation_id=org_id,
            module_id=module_id,
            roles=[],
            school_id=school_id,
            overrides_id=org_wide.id,
            due_rule=DueRule.DAYS_AFTER_START,
            due_days=30,
        )
        db.session.add(override)
        db.session.commit()
        service = ComplianceService(db.session)
        alder = db.session.get(School, school_id)
        birch = db.session.scalar(select(School).where(School.urn == "100002"))
        assert alder is not None
        assert birch is not None
        assert [r.id for r in service.requirements_for_school(alder)] == [override.id]
        assert [r.id for r in service.requirements_for_school(birch)] == [org_wide.id]


def test_requirement_bites_from_its_introduction_not_the_start_of_employment(
    app: Flask,
) -> None:
    org_id, school_id, module_id = _setup(app)
    with app.app_context():
        person = Person(organisation_id=org_id, name="Long Server", start_date=dt.date(2010, 1, 4))
        db.session.add(person)
        db.session.flush()
        db.session.add(
            StaffRole(person_id=person.id, school_id=school_id, role=StaffRoleKind.TEACHER)
        )
        requirement = Requirement(
            organisation_id=org_id,
            module_id=module_id,
            roles=[],
            due_rule=DueRule.DAYS_AFTER_START,
            due_days=90,
            created_at=dt.datetime(2026, 10, 1, tzinfo=dt.UTC),
        )
        db.session.add(requirement)
        db.session.commit()
        school = db.session.get(School, school_id)
        assert school is not None
        result = ComplianceService(db.session).school(school, TODAY)
        cell = result.cells[(person.id, requirement.id)].result
        assert cell.due_on == dt.date(2026, 12, 30)
        assert cell.status is Status.DUE  # 33 days left: due soon starts at 30
