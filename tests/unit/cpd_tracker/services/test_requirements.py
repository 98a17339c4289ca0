"""RequirementService and its pure helpers: the words shown for due rules and validity, the
rules a requirement must keep, overlap, and what create, update, override and retire write."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import func, select

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    AuditEntry,
    Completion,
    CompletionMethod,
    Delivery,
    DueRule,
    Module,
    Person,
    Requirement,
    School,
    Tier,
)
from cpd_tracker.services.audit import Actor, AuditService
from cpd_tracker.services.requirements import (
    InvalidRequirement,
    RequirementConflict,
    RequirementDetails,
    RequirementService,
    check_details,
    describe_due_rule,
    describe_months,
    describe_validity,
    describe_window,
    roles_overlap,
    shortest_period_days,
)
from tests.support.factories import make_org

NOW = dt.datetime(2026, 11, 27, 9, 30, tzinfo=dt.UTC)
DAYS = RequirementDetails(roles=(), due_rule=DueRule.DAYS_AFTER_START, due_days=90)
FIXED = RequirementDetails(roles=(), due_rule=DueRule.FIXED_DATE, due_month=9, due_day=1)


# --- Words -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("details", "words"),
    [
        (DAYS, "Within 90 days of starting"),
        (replace(DAYS, due_days=1), "Within 1 day of starting"),
        (
            replace(DAYS, due_rule=DueRule.DAYS_AFTER_APPOINTMENT, due_days=30),
            "Within 30 days of appointment to the role",
        ),
        (FIXED, "By 1 September each year"),
        (replace(FIXED, due_month=2, due_day=29), "By 29 February each year"),
        (replace(FIXED, due_month=None), "By a fixed date each year"),
    ],
)
def test_describe_due_rule(details: RequirementDetails, words: str) -> None:
    assert describe_due_rule(details) == words


def test_describe_due_rule_reads_requirement_rows() -> None:
    row = Requirement(due_rule=DueRule.FIXED_DATE, due_month=12, due_day=25)
    assert describe_due_rule(row) == "By 25 December each year"


@pytest.mark.parametrize(
    ("months", "words"),
    [(None, "Once"), (1, "Every month"), (12, "Every 12 months"), (36, "Every 36 months")],
)
def test_describe_validity(months: int | None, words: str) -> None:
    assert describe_validity(months) == words


@pytest.mark.parametrize(
    ("validity", "window", "words"),
    [
        (None, 60, "Not applicable"),
        (12, 0, "Opens on expiry"),
        (12, 1, "Opens 1 day before expiry"),
        (12, 60, "Opens 60 days before expiry"),
    ],
)
def test_describe_window(validity: int | None, window: int, words: str) -> None:
    details = replace(DAYS, validity_months=validity, window_days=window)
    assert describe_window(details) == words


def test_describe_months() -> None:
    assert describe_months(1) == "1 month"
    assert describe_months(2) == "2 months"


# --- Rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("months", "days"), [(1, 28), (2, 59), (12, 365), (48, 1461)])
def test_shortest_period_days(months: int, days: int) -> None:
    assert shortest_period_days(months) == days


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        ((), (), True),
        ((), ("teacher",), True),
        (("senco",), (), True),
        (("teacher", "senco"), ("senco",), True),
        (("teacher",), ("teaching_assistant",), False),
    ],
)
def test_roles_overlap(a: tuple[str, ...], b: tuple[str, ...], overlap: bool) -> None:
    assert roles_overlap(a, b) is overlap


@pytest.mark.parametrize(
    "details",
    [
        DAYS,
        replace(DAYS, due_days=1),
        replace(DAYS, due_days=730),
        FIXED,
        replace(FIXED, due_month=2, due_day=29),
        replace(FIXED, due_month=12, due_day=31),
        replace(DAYS, validity_months=1, window_days=27),
        replace(DAYS, validity_months=120, window_days=365),
        replace(DAYS, validity_months=12, window_days=0, due_soon_days=0),
        replace(DAYS, roles=("teacher", "governor")),
        # Without expiry the window is stored but means nothing.
        replace(DAYS, validity_months=None, window_days=365),
    ],
)
def test_valid_details(details: RequirementDetails) -> None:
    assert check_details(details) == {}


@pytest.mark.parametrize(
    ("details", "field", "message"),
    [
        (replace(DAYS, due_days=None), "due_days", "Enter how many days"),
        (replace(DAYS, due_days=0), "due_days", "between 1 and 730"),
        (replace(DAYS, due_days=731), "due_days", "between 1 and 730"),
        (replace(FIXED, due_day=None), "due_date", "Enter the day and month"),
        (replace(FIXED, due_month=0), "due_date", "between 1 and 12"),
        (replace(FIXED, due_month=13), "due_date", "between 1 and 12"),
        (replace(FIXED, due_month=4, due_day=31), "due_date", "April has no day 31"),
        (replace(FIXED, due_month=2, due_day=30), "due_date", "February has no day 30"),
        (replace(FIXED, due_day=0), "due_date", "September has no day 0"),
        (replace(DAYS, validity_months=0), "validity_months", "between 1 and 120"),
        (replace(DAYS, validity_months=121), "validity_months", "between 1 and 120"),
        (replace(DAYS, window_days=-1), "window_days", "between 0 and 365"),
        (replace(DAYS, window_days=366), "window_days", "between 0 and 365"),
        (
            replace(DAYS, validity_months=1, window_days=28),
            "window_days",
            "at most 27 days for 1 month",
        ),
        (
            replace(DAYS, validity_months=12, window_days=365),
            "window_days",
            "at most 364 days for 12 months",
        ),
        (replace(DAYS, due_soon_days=-1), "due_soon_days", "between 0 and 365"),
        (replace(DAYS, due_soon_days=366), "due_soon_days", "between 0 and 365"),
        (replace(DAYS, roles=("teacher", "caretaker")), "roles", "caretaker is not one"),
        (replace(DAYS, roles=("unassigned",)), "roles", "unassigned is not one"),
    ],
)
def test_invalid_details(details: RequirementDetails, field: str, message: str) -> None:
    problems = check_details(details)
    assert list(problems) == [field]
    assert message in problems[field]


def test_window_is_not_judged_against_a_validity_out_of_range() -> None:
    problems = check_details(replace(DAYS, validity_months=500, window_days=60))
    assert list(problems) == ["validity_months"]


def test_normalised_sorts_roles_and_clears_unused_fields() -> None:
    messy = RequirementDetails(
        roles=("teacher", "senco", "teacher"),
        due_rule=DueRule.FIXED_DATE,
        due_days=90,
        due_month=9,
        due_day=1,
        notes="  policy 4.2 ",
    )
    clean = messy.normalised()
    assert clean.roles == ("senco", "teacher")
    assert (clean.due_days, clean.due_month, clean.due_day) == (None, 9, 1)
    assert clean.notes == "policy 4.2"
    days = replace(DAYS, due_month=9, due_day=1).normalised()
    assert (days.due_days, days.due_month, days.due_day) == (90, None, None)


# --- The service -----------------------------------------------------------------------------


@pytest.fixture
def org_id(app: Flask) -> int:
    return make_org(app)


@pytest.fixture
def other_org(app: Flask) -> int:
    return make_org(app, "Other Trust", schools=[("200001", "Elm School")])


@pytest.fixture
def ctx(app: Flask, org_id: int, other_org: int) -> Iterator[None]:
    # The organisations exist (committed) before this test's session starts writing.
    with app.app_context():
        yield


@pytest.fixture
def service(ctx: None) -> RequirementService:
    return RequirementService(db.session, AuditService(db.session, Actor("test")), lambda: NOW)


def _schools(org_id: int) -> list[School]:
    return list(
        db.session.scalars(
            select(School).where(School.organisation_id == org_id).order_by(School.urn)
        )
    )


def _module(org_id: int, title: str = "Test module") -> Module:
    module = Module(
        organisation_id=org_id,
        slug=title.lower().replace(" ", "-"),
        title=title,
        tier=Tier.AWARENESS,
        delivery=Delivery.EXTERNAL,
    )
    db.session.add(module)
    db.session.flush()
    return module


def _audits(action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def test_create_writes_the_row_and_an_audit_entry(service: RequirementService, org_id: int) -> None:
    module = _module(org_id)
    details = replace(DAYS, roles=("teacher", "senco"), validity_months=12, notes=" why ")
    requirement = service.create(module, None, details)
    assert requirement.organisation_id == org_id
    assert requirement.school_id is None
    assert requirement.roles == ["senco", "teacher"]
    assert requirement.created_at == NOW
    assert requirement.notes == "why"
    [entry] = _audits("requirement.created")
    assert entry.entity_id == str(requirement.id)
    assert entry.details["roles"] == ["senco", "teacher"]
    assert entry.details["due_rule"] == "days_after_start"
    assert entry.actor_label == "test"


def test_create_refuses_invalid_details_and_writes_nothing(
    service: RequirementService, org_id: int
) -> None:
    module = _module(org_id)
    with pytest.raises(InvalidRequirement) as raised:
        service.create(module, None, replace(DAYS, due_days=0))
    assert list(raised.value.problems) == ["due_days"]
    assert db.session.scalar(select(func.count(Requirement.id))) == 0
    assert _audits("requirement.created") == []


def test_create_refuses_a_retired_module(service: RequirementService, org_id: int) -> None:
    module = _module(org_id)
    module.retired_at = NOW
    with pytest.raises(ValueError, match="retired module"):
        service.create(module, None, DAYS)


def test_create_refuses_another_organisations_school(
    service: RequirementService, org_id: int, other_org: int
) -> None:
    module = _module(org_id)
    with pytest.raises(ValueError, match="another organisation"):
        service.create(module, _schools(other_org)[0], DAYS)


def test_conflicts_follow_scope_and_roles(service: RequirementService, org_id: int) -> None:
    alder, birch = _schools(org_id)
    module = _module(org_id)
    org_teachers = service.create(module, None, replace(DAYS, roles=("teacher",)))
    # Same scope, other roles: fine. Same scope, overlapping roles: refused.
    service.create(module, None, replace(DAYS, roles=("teaching_assistant",)))
    with pytest.raises(RequirementConflict) as raised:
        service.create(module, None, replace(DAYS, roles=()))
    assert len(raised.value.existing) == 2
    # A school requirement overlapping an organisation one that still applies there.
    with pytest.raises(RequirementConflict) as clash:
        service.create(module, alder, replace(DAYS, roles=("teacher", "senco")))
    assert clash.value.existing == [org_teachers]
    # Roles the organisation does not cover are the school's to add.
    service.create(module, alder, replace(DAYS, roles=("senco",)))
    # Once overridden at Birch, the organisation's teacher rule no longer applies there.
    service.override(org_teachers, birch, replace(DAYS, roles=("teacher",), due_days=30))
    assert service.conflicts(org_id, module.id, birch.id, ("teacher",)) != []
    assert [r.school_id for r in service.conflicts(org_id, module.id, birch.id, ("teacher",))] == [
        birch.id
    ]


def test_conflicts_ignore_retired_requirements_and_other_modules(
    service: RequirementService, org_id: int
) -> None:
    module, other = _module(org_id), _module(org_id, "Other module")
    old = service.create(module, None, DAYS)
    service.retire(old)
    service.create(other, None, DAYS)
    assert service.conflicts(org_id, module.id, None, ()) == []


def test_override_bites_from_the_originals_introduction(
    service: RequirementService, org_id: int
) -> None:
    alder, _ = _schools(org_id)
    module = _module(org_id)
    original = service.create(module, None, replace(DAYS, validity_months=12))
    original.created_at = dt.datetime(2024, 9, 1, tzinfo=dt.UTC)
    override = service.override(original, alder, replace(DAYS, validity_months=24))
    assert override.overrides_id == original.id
    assert override.school_id == alder.id
    assert override.module_id == module.id
    assert override.created_at == dt.datetime(2024, 9, 1, tzinfo=dt.UTC)
    [entry] = _audits("requirement.overridden")
    assert entry.details["overrides_id"] == original.id
    assert entry.details["school_id"] == alder.id


def test_only_active_organisation_requirements_are_overridden(
    service: RequirementService, org_id: int, other_org: int
) -> None:
    alder, birch = _schools(org_id)
    module = _module(org_id)
    school_only = service.create(module, alder, DAYS)
    with pytest.raises(ValueError, match="organisation-wide"):
        service.override(school_only, birch, DAYS)
    retired = service.create(_module(org_id, "Second"), None, DAYS)
    service.retire(retired)
    with pytest.raises(ValueError, match="organisation-wide"):
        service.override(retired, alder, DAYS)
    active = service.create(_module(org_id, "Third"), None, DAYS)
    with pytest.raises(ValueError, match="another organisation"):
        service.override(active, _schools(other_org)[0], DAYS)


def test_update_changes_the_rule_only_and_audits_what_changed(
    service: RequirementService, org_id: int
) -> None:
    alder, _ = _schools(org_id)
    module = _module(org_id)
    person = Person(organisation_id=org_id, name="Tess Teacher")
    db.session.add(person)
    db.session.flush()
    db.session.add(
        Completion(
            organisation_id=org_id,
            person_id=person.id,
            module_id=module.id,
            completed_on=dt.date(2025, 10, 1),
            method=CompletionMethod.RECORDED,
            cpd_hours=Decimal("1"),
        )
    )
    requirement = service.create(module, None, replace(DAYS, validity_months=24))
    completions = list(db.session.execute(select(Completion.__table__)))
    changed = service.update(
        requirement, replace(DAYS, validity_months=12, window_days=30, roles=("teacher",))
    )
    assert changed == {
        "roles": [[], ["teacher"]],
        "validity_months": [24, 12],
        "window_days": [60, 30],
    }
    assert (requirement.validity_months, requirement.window_days) == (12, 30)
    assert requirement.module_id == module.id
    assert requirement.school_id is None
    assert requirement.created_at == NOW
    [entry] = _audits("requirement.updated")
    assert entry.details["changed"]["validity_months"] == [24, 12]
    assert list(db.session.execute(select(Completion.__table__))) == completions
    assert alder.id  # the school is untouched: the scope never changes


def test_update_with_nothing_changed_records_nothing(
    service: RequirementService, org_id: int
) -> None:
    requirement = service.create(_module(org_id), None, DAYS)
    assert service.update(requirement, DAYS) == {}
    assert _audits("requirement.updated") == []


def test_update_refuses_bad_details_overlap_and_history(
    service: RequirementService, org_id: int
) -> None:
    module = _module(org_id)
    teachers = service.create(module, None, replace(DAYS, roles=("teacher",)))
    assistants = service.create(module, None, replace(DAYS, roles=("teaching_assistant",)))
    with pytest.raises(InvalidRequirement):
        service.update(teachers, replace(DAYS, due_days=None))
    with pytest.raises(RequirementConflict):
        service.update(assistants, replace(DAYS, roles=()))
    assert assistants.roles == ["teaching_assistant"]
    # Its own row never counts as a clash.
    service.update(teachers, replace(DAYS, roles=("teacher",), due_days=60))
    service.retire(teachers)
    with pytest.raises(ValueError, match="history"):
        service.update(teachers, DAYS)


def test_retire_once(service: RequirementService, org_id: int) -> None:
    requirement = service.create(_module(org_id), None, DAYS)
    assert service.retire(requirement) is True
    assert requirement.retired_at == NOW
    assert service.retire(requirement) is False
    assert len(_audits("requirement.retired")) == 1


def test_reading_a_school_view(service: RequirementService, org_id: int, other_org: int) -> None:
    alder, birch = _schools(org_id)
    first, second, third = (_module(org_id, t) for t in ("One", "Two", "Three"))
    org_one = service.create(first, None, DAYS)
    org_two = service.create(second, None, DAYS)
    override = service.override(org_one, alder, replace(DAYS, due_days=30))
    own = service.create(third, alder, DAYS)
    gone = service.create(third, birch, DAYS)
    service.retire(gone)
    old = service.create(_module(org_id, "Four"), alder, DAYS)
    service.retire(old)

    view = service.school_view(alder)
    assert [item.requirement for item in view.organisation] == [org_one, org_two]
    assert [item.overridden for item in view.organisation] == [True, False]
    assert view.organisation[0].overrides == [override]
    assert view.overrides == [override]
    assert view.own == [own]
    assert view.retired == []
    assert service.school_view(alder, include_retired=True).retired == [old]
    assert service.school_counts(org_id) == {alder.id: 2}
    assert service.active_for_module(first) == [org_one, override]
    assert service.overrides_of(org_one) == [override]
    assert service.organisation_requirements(org_id) == [org_one, org_two]
    assert service.school_requirements(birch) == []
    assert service.school_requirements(birch, include_retired=True) == [gone]
    assert [s.id for s in service.schools(org_id)] == [alder.id, birch.id]
    # Scoped by organisation: another organisation's id reads as nothing.
    assert service.requirement(other_org, org_one.id) is None
    assert service.requirement(org_id, org_one.id) is org_one
