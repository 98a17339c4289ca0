"""Staff records: the role arithmetic and employment status (pure), and ``StaffService`` on the
test database (who is at a school, updates with their audit entry, leavers)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    AuditEntry,
    Completion,
    CompletionMethod,
    Delivery,
    Module,
    Organisation,
    OrganisationKind,
    Person,
    School,
    StaffRole,
    StaffRoleKind,
    Tier,
)
from cpd_tracker.services.audit import Actor, AuditService
from cpd_tracker.services.cpd_record import CpdRecordService
from cpd_tracker.services.staff import (
    ASSIGNABLE_ROLES,
    Employment,
    ExistingRole,
    RolePlan,
    StaffRecordChange,
    StaffRecordError,
    StaffService,
    employment,
    plan_roles,
)

TEACHER, TA, SENCO, LEADER = (
    StaffRoleKind.TEACHER,
    StaffRoleKind.TEACHING_ASSISTANT,
    StaffRoleKind.SENCO,
    StaffRoleKind.LEADER,
)
D1, D2, D3 = dt.date(2020, 9, 1), dt.date(2023, 1, 1), dt.date(2025, 4, 1)
TODAY = dt.date(2026, 3, 15)


# --- Pure ----------------------------------------------------------------------------------------


def test_unassigned_is_not_a_role_a_lead_gives() -> None:
    assert StaffRoleKind.UNASSIGNED not in ASSIGNABLE_ROLES
    assert len(ASSIGNABLE_ROLES) == len(StaffRoleKind) - 1


@pytest.mark.parametrize(
    ("leaving", "expected"),
    [
        (None, Employment.CURRENT),
        (TODAY + dt.timedelta(days=1), Employment.LEAVING),
        # The leaving day itself is still employed (rules.employment, rules.training rule 1).
        (TODAY, Employment.LEAVING),
        (TODAY - dt.timedelta(days=1), Employment.LEFT),
        (TODAY - dt.timedelta(days=400), Employment.LEFT),
    ],
)
def test_employment(leaving: dt.date | None, expected: Employment) -> None:
    assert employment(leaving, TODAY) is expected


def test_plan_adds_new_roles() -> None:
    plan = plan_roles([], {TEACHER: D1, SENCO: None})
    assert plan == RolePlan(add={TEACHER: D1, SENCO: None})


def test_plan_ends_current_roles_not_wanted_and_leaves_ended_ones_alone() -> None:
    existing = [
        ExistingRole(TEACHER, D1, None),
        ExistingRole(StaffRoleKind.UNASSIGNED, None, None),
        ExistingRole(LEADER, D1, D2),  # already ended: nothing to do
    ]
    plan = plan_roles(existing, {TEACHER: D1})
    assert plan == RolePlan(end=frozenset({StaffRoleKind.UNASSIGNED}))


def test_plan_reopens_an_ended_role_given_back() -> None:
    plan = plan_roles([ExistingRole(LEADER, D1, D2)], {LEADER: D3})
    assert plan == RolePlan(reopen={LEADER: D3})


def test_plan_changes_an_appointment_date_including_clearing_it() -> None:
    existing = [ExistingRole(TEACHER, D1, None), ExistingRole(TA, None, None)]
    plan = plan_roles(existing, {TEACHER: None, TA: D2})
    assert plan == RolePlan(reappoint={TEACHER: (D1, None), TA: (None, D2)})


def test_plan_for_no_change_is_empty() -> None:
    plan = plan_roles([ExistingRole(TEACHER, D1, None)], {TEACHER: D1})
    assert plan.empty
    assert not RolePlan(end=frozenset({TEACHER})).empty


def _change(**fields: object) -> StaffRecordChange:
    values: dict[str, object] = {
        "roles": {TEACHER: None},
        "start_date": D1,
        "leaving_date": None,
        "staff_number": None,
        "email": None,
        **fields,
    }
    return StaffRecordChange(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "change",
    [
        _change(roles={}),
        _change(roles={StaffRoleKind.UNASSIGNED: None}),
        _change(start_date=D2, leaving_date=D1),
    ],
    ids=["no-role", "unassigned", "leaving-before-start"],
)
def test_change_check_refuses(change: StaffRecordChange) -> None:
    with pytest.raises(StaffRecordError):
        change.check()


@pytest.mark.parametrize(
    "change",
    [
        _change(leaving_date=D1),  # leaving on the day they started
        _change(start_date=None, leaving_date=D1),
        _change(start_date=None),
    ],
)
def test_change_check_accepts(change: StaffRecordChange) -> None:
    change.check()


# --- On the database ---------------------------------------------------------------------------


class Clock:
    def __call__(self) -> dt.datetime:
        return dt.datetime(TODAY.year, TODAY.month, TODAY.day, 9, tzinfo=dt.UTC)


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    with app.app_context():
        yield db.session


@pytest.fixture
def service(session: Session) -> StaffService:
    audit = AuditService(session, Actor("person", person_id=None, correlation_id="unit"))
    return StaffService(session, audit, Clock(), CpdRecordService(session))


@pytest.fixture
def alder(session: Session) -> School:
    org = Organisation(name="Trust", kind=OrganisationKind.TRUST)
    session.add(org)
    session.flush()
    school = School(organisation_id=org.id, urn="100001", name="Alder")
    birch = School(organisation_id=org.id, urn="100002", name="Birch")
    session.add_all([school, birch])
    session.flush()
    return school


def _person(
    session: Session,
    school: School,
    roles: dict[StaffRoleKind, tuple[dt.date | None, dt.date | None]],
    **fields: object,
) -> Person:
    person = Person(organisation_id=school.organisation_id, name="Sam Patel", **fields)
    session.add(person)
    session.flush()
    for role, (started, ended) in roles.items():
        session.add(
            StaffRole(
                person_id=person.id,
                school_id=school.id,
                role=role,
                started_on=started,
                ended_on=ended,
            )
        )
    session.flush()
    return person


def _other_school(session: Session, school: School) -> School:
    found = session.scalar(
        select(School).where(
            School.organisation_id == school.organisation_id, School.id != school.id
        )
    )
    assert found is not None
    return found


def test_person_at_needs_a_role_at_that_school(
    session: Session, service: StaffService, alder: School
) -> None:
    birch = _other_school(session, alder)
    sam = _person(session, alder, {TEACHER: (None, D2)})  # an ended role still counts
    bea = _person(session, birch, {TEACHER: (None, None)})
    assert service.person_at(alder, sam.id) is sam
    assert service.person_at(alder, bea.id) is None
    assert service.person_at(birch, sam.id) is None
    assert service.person_at(alder, 999_999) is None


def test_person_at_never_crosses_organisations(
    session: Session, service: StaffService, alder: School
) -> None:
    other = Organisation(name="Other", kind=OrganisationKind.SCHOOL)
    session.add(other)
    session.flush()
    # A role row pointing at Alder for a person of another organisation (bad data) is not
    # enough to show them to Alder's CPD lead.
    stranger = Person(organisation_id=other.id, name="Olly Other")
    session.add(stranger)
    session.flush()
    session.add(StaffRole(person_id=stranger.id, school_id=alder.id, role=TEACHER))
    session.flush()
    assert service.person_at(alder, stranger.id) is None


def test_update_applies_and_audits_once(
    session: Session, service: StaffService, alder: School
) -> None:
    sam = _person(
        session,
        alder,
        {TEACHER: (D1, None), StaffRoleKind.UNASSIGNED: (None, None), LEADER: (D1, D2)},
        staff_number="A1",
        email="old@alder.example.org",
    )
    changed = service.update(
        alder,
        sam,
        _change(
            roles={TEACHER: D2, SENCO: D3, LEADER: None},
            start_date=D1,
            leaving_date=TODAY,
            staff_number="A2",
            email="new@alder.example.org",
        ),
    )
    assert changed == ["start_date", "leaving_date", "staff_number", "email", "roles"]
    roles = {r.role: (r.started_on, r.ended_on) for r in service.roles_at(sam, alder)}
    assert roles == {
        TEACHER: (D2, None),
        SENCO: (D3, None),
        LEADER: (None, None),
        StaffRoleKind.UNASSIGNED: (None, TODAY),
    }
    assert sam.leaving_date == TODAY
    assert sam.active is True
    [entry] = session.scalars(select(AuditEntry))
    assert entry.action == "person.record_updated"
    assert entry.entity_type == "person"
    assert entry.entity_id == str(sam.id)
    assert entry.details == {
        "school_id": alder.id,
        "fields": changed,
        "start_date": {"from": None, "to": D1.isoformat()},
        "leaving_date": {"from": None, "to": TODAY.isoformat()},
        "staff_number": {"from": "A1", "to": "A2"},
        "roles_reopened": {
            "leader": {"previously": ["2020-09-01", "2023-01-01"], "appointed": None}
        },
        "roles_added": {"senco": "2025-04-01"},
        "roles_ended": ["unassigned"],
        "appointments": {"teacher": {"from": "2020-09-01", "to": "2023-01-01"}},
    }
    assert "new@alder" not in str(entry.details)


def test_update_with_nothing_new_writes_nothing(
    session: Session, service: StaffService, alder: School
) -> None:
    sam = _person(session, alder, {TEACHER: (None, None)}, start_date=D1)
    assert service.update(alder, sam, _change()) == []
    assert list(session.scalars(select(AuditEntry))) == []


def test_update_only_touches_roles_at_this_school(
    session: Session, service: StaffService, alder: School
) -> None:
    birch = _other_school(session, alder)
    sam = _person(session, alder, {TEACHER: (None, None)})
    session.add(StaffRole(person_id=sam.id, school_id=birch.id, role=LEADER))
    session.flush()
    service.update(alder, sam, _change(roles={SENCO: None}))
    assert [(r.role, r.ended_on) for r in service.roles_at(sam, birch)] == [(LEADER, None)]


def test_update_refuses_what_the_form_should_have(
    session: Session, service: StaffService, alder: School
) -> None:
    sam = _person(session, alder, {TEACHER: (None, None)})
    with pytest.raises(StaffRecordError):
        service.update(alder, sam, _change(start_date=D2, leaving_date=D1))
    other = Organisation(name="Other", kind=OrganisationKind.SCHOOL)
    session.add(other)
    session.flush()
    stranger = Person(organisation_id=other.id)
    session.add(stranger)
    session.flush()
    with pytest.raises(PermissionError):
        service.update(alder, stranger, _change())
    assert list(session.scalars(select(AuditEntry))) == []


def test_roles_are_listed_current_first_then_most_recently_ended(
    session: Session, service: StaffService, alder: School
) -> None:
    sam = _person(
        session,
        alder,
        {
            LEADER: (None, D2),
            SENCO: (None, None),
            TA: (None, D3),
            TEACHER: (None, None),
        },
    )
    assert [r.role for r in service.roles_at(sam, alder)] == [TEACHER, SENCO, TA, LEADER]
    record = service.record(alder, sam)
    assert [r.role for r in record.current_roles] == [TEACHER, SENCO]
    assert record.employment is Employment.CURRENT


def test_leavers_with_their_history(session: Session, service: StaffService, alder: School) -> None:
    birch = _other_school(session, alder)
    module = Module(
        organisation_id=alder.organisation_id,
        slug="unit-m",
        title="M",
        tier=Tier.AWARENESS,
        delivery=Delivery.INSET,
    )
    session.add(module)
    gone = _person(session, alder, {TA: (None, None)}, leaving_date=dt.date(2025, 7, 31))
    gone_earlier = _person(session, alder, {TEACHER: (None, D2)}, leaving_date=D2)
    leaving = _person(session, alder, {TEACHER: (None, None)}, leaving_date=TODAY.replace(month=8))
    _person(session, alder, {TEACHER: (None, None)})  # staying
    _person(session, birch, {TEACHER: (None, None)}, leaving_date=D2)  # Birch's leaver
    session.flush()
    for on, hours in ((dt.date(2024, 1, 1), "2"), (dt.date(2025, 1, 1), "1.5")):
        session.add(
            Completion(
                organisation_id=alder.organisation_id,
                person_id=gone.id,
                module_id=module.id,
                completed_on=on,
                method=CompletionMethod.INSET,
                cpd_hours=Decimal(hours),
            )
        )
    session.flush()

    leavers = service.leavers(alder)
    assert [x.person.id for x in leavers] == [gone.id, gone_earlier.id, leaving.id]
    assert [x.employment for x in leavers] == [Employment.LEFT, Employment.LEFT, Employment.LEAVING]
    first = leavers[0]
    assert first.roles == (TA,)
    assert first.completions == 2
    assert first.cpd_hours == Decimal("3.5")
    assert first.last_completed_on == dt.date(2025, 1, 1)
    assert leavers[1].completions == 0
    assert leavers[1].cpd_hours == Decimal("0")
    assert leavers[1].last_completed_on is None
