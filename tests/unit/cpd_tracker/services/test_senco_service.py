"""SencoService: rows to facts, joint SENCOs, no SENCO, the trust table and audited changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    AuditEntry,
    Person,
    QualificationResult,
    School,
    SchoolType,
    SencoAppointment,
    SencoQualification,
    SencoQualificationKind,
    StaffRole,
    StaffRoleKind,
)
from cpd_tracker.rules.senco import QualificationKind, SencoState
from cpd_tracker.services.audit import Actor, AuditService
from cpd_tracker.services.senco import (
    AppointmentDetails,
    PriorServiceDetails,
    QualificationDetails,
    SencoError,
    SencoService,
    facts_for,
)
from tests.support.factories import make_org

TODAY = dt.date(2026, 3, 1)


@pytest.fixture
def ctx(app: Flask) -> Iterator[tuple[SencoService, School, School]]:
    org_id = make_org(app)
    with app.app_context():
        schools = list(
            db.session.scalars(
                select(School).where(School.organisation_id == org_id).order_by(School.urn)
            )
        )
        service = SencoService(
            db.session,
            AuditService(db.session, Actor("test")),
            lambda: dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC),
        )
        yield service, schools[0], schools[1]


def _staff(school: School, name: str) -> Person:
    person = Person(organisation_id=school.organisation_id, name=name)
    db.session.add(person)
    db.session.flush()
    db.session.add(StaffRole(person_id=person.id, school_id=school.id, role=StaffRoleKind.TEACHER))
    db.session.flush()
    return person


def _details(person: Person, started_on: dt.date, **fields: object) -> AppointmentDetails:
    values: dict[str, object] = {
        "person_id": person.id,
        "started_on": started_on,
        "has_qts": True,
        "teacher_reference_number": None,
        "qts_via_partial_access": False,
        "induction_complete": True,
        "teaches_at_school": True,
        "is_head": False,
        "prior_senco_months": 0,
        **fields,
    }
    return AppointmentDetails(**values)  # type: ignore[arg-type]


def _qual(person: Person, **fields: object) -> QualificationDetails:
    values: dict[str, object] = {
        "person_id": person.id,
        "kind": SencoQualificationKind.NPQ_SENCO,
        "provider": None,
        "started_on": None,
        "expected_completion_on": None,
        "completed_on": None,
        "result": QualificationResult.PENDING,
        "funding": None,
        **fields,
    }
    return QualificationDetails(**values)  # type: ignore[arg-type]


def test_a_school_with_none_is_no_senco(ctx: tuple[SencoService, School, School]) -> None:
    service, alder, _ = ctx
    view = service.school(alder)
    assert view.current == []
    assert view.assessment.state is SencoState.NO_SENCO


@pytest.mark.parametrize(
    ("started", "fields", "state"),
    [
        (dt.date(2009, 9, 1), {}, SencoState.EXEMPT),
        (dt.date(2009, 9, 2), {"prior_senco_months": 13}, SencoState.EXEMPT),
        (dt.date(2022, 9, 2), {"prior_senco_months": 12}, SencoState.OVERDUE),
        (dt.date(2023, 2, 28), {}, SencoState.OVERDUE),  # deadline 28 Feb 2026: yesterday
        (dt.date(2023, 3, 1), {}, SencoState.AT_RISK),  # deadline today: not yet overdue
        (dt.date(2022, 3, 1), {}, SencoState.OVERDUE),
        (dt.date(2025, 9, 1), {}, SencoState.NOT_STARTED),
        (dt.date(2025, 9, 1), {"has_qts": False}, SencoState.NOT_ELIGIBLE),
        (dt.date(2025, 9, 1), {"has_qts": False, "is_head": True}, SencoState.NOT_STARTED),
    ],
)
def test_states(
    ctx: tuple[SencoService, School, School],
    started: dt.date,
    fields: dict[str, object],
    state: SencoState,
) -> None:
    service, alder, _ = ctx
    person = _staff(alder, "Sian Evans")
    service.appoint(alder, _details(person, started, **fields))
    assert service.school(alder).assessment.state is state


def test_deadline_falling_today_vs_yesterday(ctx: tuple[SencoService, School, School]) -> None:
    service, alder, birch = ctx
    service.appoint(alder, _details(_staff(alder, "A A"), dt.date(2023, 3, 1)))
    service.appoint(birch, _details(_staff(birch, "B B"), dt.date(2023, 2, 28)))
    # 2023-02-28 + 3 years = 2026-02-28, before today: overdue. 2023-03-01: deadline today.
    assert service.school(alder).assessment.state is SencoState.AT_RISK
    assert service.school(birch).assessment.state is SencoState.OVERDUE


def test_failed_and_withdrawn_courses_are_left_out(
    ctx: tuple[SencoService, School, School],
) -> None:
    service, alder, _ = ctx
    person = _staff(alder, "Sian Evans")
    appointment = service.appoint(alder, _details(person, dt.date(2025, 9, 1)))
    service.add_qualification(
        alder, _qual(person, started_on=dt.date(2025, 10, 1), result=QualificationResult.FAILED)
    )
    assert service.school(alder).assessment.state is SencoState.NOT_STARTED
    service.add_qualification(alder, _qual(person, started_on=dt.date(2025, 11, 1)))
    view = service.school(alder)
    assert view.assessment.state is SencoState.ON_TRACK
    quals = db.session.scalars(select(SencoQualification)).all()
    facts = facts_for(appointment, quals)
    assert [q.kind for q in facts.qualifications] == [QualificationKind.NPQ_SENCO]


def test_nasenco_started_on_1_september_2024_does_not_count(
    ctx: tuple[SencoService, School, School],
) -> None:
    service, alder, _ = ctx
    person = _staff(alder, "Sian Evans")
    service.appoint(alder, _details(person, dt.date(2024, 6, 1)))
    service.add_qualification(
        alder,
        _qual(
            person,
            kind=SencoQualificationKind.NASENCO,
            started_on=dt.date(2024, 9, 1),
            completed_on=dt.date(2025, 9, 1),
            result=QualificationResult.PASSED,
        ),
    )
    assert service.school(alder).assessment.state is SencoState.AT_RISK
    service.add_qualification(
        alder,
        _qual(
            person,
            kind=SencoQualificationKind.NASENCO,
            started_on=dt.date(2024, 8, 31),
            completed_on=dt.date(2025, 9, 1),
            result=QualificationResult.PASSED,
        ),
    )
    assert service.school(alder).assessment.state is SencoState.QUALIFIED


def test_joint_sencos_show_the_most_urgent(ctx: tuple[SencoService, School, School]) -> None:
    service, alder, _ = ctx
    service.appoint(alder, _details(_staff(alder, "A A"), dt.date(2008, 9, 1)))
    service.appoint(alder, _details(_staff(alder, "B B"), dt.date(2022, 1, 1)))
    view = service.school(alder)
    assert {s.assessment.state for s in view.current} == {SencoState.EXEMPT, SencoState.OVERDUE}
    assert view.assessment.state is SencoState.OVERDUE


def test_ended_appointments_are_history(ctx: tuple[SencoService, School, School]) -> None:
    service, alder, _ = ctx
    appointment = service.appoint(alder, _details(_staff(alder, "A A"), dt.date(2008, 9, 1)))
    service.end(alder, appointment, dt.date(2026, 1, 31))
    view = service.school(alder)
    assert view.assessment.state is SencoState.NO_SENCO
    assert view.past == [appointment]
    with pytest.raises(SencoError):
        service.end(alder, appointment, dt.date(2026, 2, 1))
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert [a for a in actions if a.startswith("senco.")][-2:] == ["senco.appointed", "senco.ended"]
    # The staff role SENCO came and went with the appointment.
    assert [a for a in actions if a.startswith("person.role")] == [
        "person.role_added",
        "person.role_ended",
    ]


def test_trust_table_sorted_by_urgency(ctx: tuple[SencoService, School, School]) -> None:
    service, alder, birch = ctx
    service.appoint(alder, _details(_staff(alder, "A A"), dt.date(2022, 1, 1)))
    table = service.trust(alder.organisation_id)
    assert [(r.school.id, r.assessment.state) for r in table] == [
        (alder.id, SencoState.OVERDUE),
        (birch.id, SencoState.NO_SENCO),
    ]


def test_refuses_someone_not_on_the_schools_staff(
    ctx: tuple[SencoService, School, School],
) -> None:
    service, alder, birch = ctx
    outsider = _staff(birch, "B B")
    with pytest.raises(SencoError):
        service.appoint(alder, _details(outsider, dt.date(2025, 9, 1)))
    with pytest.raises(SencoError):
        service.appoint(
            alder,
            _details(_staff(alder, "A A"), dt.date(2025, 9, 1), teacher_reference_number="12"),
        )
    with pytest.raises(SencoError):
        service.add_qualification(alder, _qual(outsider))
    assert db.session.scalars(select(SencoAppointment)).all() == []


def test_prior_service_is_read_from_the_persons_other_appointments(
    ctx: tuple[SencoService, School, School],
) -> None:
    service, alder, birch = ctx
    person = _staff(alder, "Sian Evans")
    db.session.add(StaffRole(person_id=person.id, school_id=birch.id, role=StaffRoleKind.TEACHER))
    db.session.flush()
    # Still SENCO at Birch since 2024; appointed at Alder too on 3 January 2025.
    service.appoint(birch, _details(person, dt.date(2024, 1, 1)))
    ended = service.appoint(birch, _details(person, dt.date(2019, 9, 1)))
    service.end(birch, ended, dt.date(2019, 10, 1))
    service.appoint(alder, _details(person, dt.date(2025, 1, 3), prior_senco_months=40))
    (item,) = service.school(alder).current
    assert [(s.started_on, s.ended_on, s.from_history) for s in item.prior_service] == [
        (dt.date(2019, 9, 1), dt.date(2019, 9, 30), True),  # ended 1 Oct: last day 30 Sep
        (dt.date(2024, 1, 1), dt.date(2025, 1, 2), True),  # still current: until the day before
    ]
    # 30 days + 367 (368 calendar days less 29 February): exempt; the 40 months are not used.
    assert item.assessment.state is SencoState.EXEMPT
    assert "397 days in total" in item.assessment.reason
    # At Birch the earlier Birch appointment counts, the later Alder one does not.
    birch_items = {i.appointment.started_on: i for i in service.school(birch).current}
    assert [s.started_on for s in birch_items[dt.date(2024, 1, 1)].prior_service] == [
        dt.date(2019, 9, 1)
    ]


def test_a_special_school_is_not_required_in_the_trust_table(
    ctx: tuple[SencoService, School, School],
) -> None:
    service, alder, birch = ctx
    service.set_school_type(birch, SchoolType.INDEPENDENT)
    service.set_school_type(birch, SchoolType.INDEPENDENT)  # no change: audited once
    states = {row.school.id: row.assessment.state for row in service.trust(alder.organisation_id)}
    assert states == {alder.id: SencoState.NO_SENCO, birch.id: SencoState.NOT_REQUIRED}
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.action == "school.type_changed")
    ).all()
    assert actions == ["school.type_changed"]


def test_an_earlier_period_must_come_before_the_appointment(
    ctx: tuple[SencoService, School, School],
) -> None:
    service, alder, _ = ctx
    person = _staff(alder, "Sian Evans")
    row = service.appoint(alder, _details(person, dt.date(2025, 1, 3)))
    with pytest.raises(SencoError):
        service.add_prior_service(
            alder, row, PriorServiceDetails(dt.date(2025, 1, 3), dt.date(2025, 2, 1), True)
        )
    with pytest.raises(SencoError):
        service.add_prior_service(
            alder, row, PriorServiceDetails(dt.date(2020, 1, 3), dt.date(2019, 2, 1), True)
        )
    with pytest.raises(SencoError):
        service.remove_prior_service(alder, row, 999)
