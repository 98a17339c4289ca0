"""The demo trust's SENCOs: one school on track, one at risk, one qualified, so the SENCO
pages, the trust table and the landing pages show the states a trust meets most. Heads are
recorded so reminders have someone to reach. Dates count back from today, so the demo looks
the same whenever it is started."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from cpd_tracker.models import (
    Organisation,
    Person,
    QualificationFunding,
    QualificationResult,
    School,
    SchoolHead,
    SencoAppointment,
    SencoQualification,
    SencoQualificationKind,
    StaffRole,
    StaffRoleKind,
)


def _staff(session: Session, school: School, role: StaffRoleKind) -> list[Person]:
    return list(
        session.scalars(
            select(Person)
            .join(StaffRole, StaffRole.person_id == Person.id)
            .where(StaffRole.school_id == school.id, StaffRole.role == role)
            .order_by(Person.id)
        )
    )


def seed_sencos(session: Session, org: Organisation, today: dt.date) -> None:
    """Appoint a SENCO at each of the first three schools (idempotent: skipped once any
    appointment exists)."""
    if session.scalar(
        select(SencoAppointment.id).where(SencoAppointment.organisation_id == org.id)
    ):
        return
    schools = list(
        session.scalars(select(School).where(School.organisation_id == org.id).order_by(School.urn))
    )[:3]
    plans = [
        # (became SENCO this many days ago, NPQ started that many days ago or None, passed)
        (400, 200, False),  # on track: started well before the latest safe start
        (620, None, False),  # at risk: past the latest safe start with nothing booked
        (1500, 1300, True),  # qualified
    ]
    for school, (became_days, started_days, passed) in zip(schools, plans, strict=False):
        named = _staff(session, school, StaffRoleKind.SENCO)
        sencos = named or _staff(session, school, StaffRoleKind.TEACHER)
        leaders = _staff(session, school, StaffRoleKind.LEADER)
        if not sencos:
            continue
        senco = sencos[0]
        session.add(
            SencoAppointment(
                organisation_id=org.id,
                school_id=school.id,
                person_id=senco.id,
                started_on=today - dt.timedelta(days=became_days),
                has_qts=True,
                teacher_reference_number="1234567",
                induction_complete=True,
                teaches_at_school=True,
            )
        )
        if not named:  # as appointing on the SENCO page does
            session.add(
                StaffRole(
                    person_id=senco.id,
                    school_id=school.id,
                    role=StaffRoleKind.SENCO,
                    started_on=today - dt.timedelta(days=became_days),
                )
            )
        if started_days is not None:
            finished = today - dt.timedelta(days=started_days - 600) if passed else None
            session.add(
                SencoQualification(
                    organisation_id=org.id,
                    person_id=senco.id,
                    kind=SencoQualificationKind.NPQ_SENCO,
                    provider="Ambition Institute",
                    started_on=today - dt.timedelta(days=started_days),
                    completed_on=finished,
                    result=QualificationResult.PASSED if passed else QualificationResult.PENDING,
                    funding=QualificationFunding.SCHOLARSHIP,
                )
            )
        if leaders:
            session.add(
                SchoolHead(organisation_id=org.id, school_id=school.id, person_id=leaders[0].id)
            )
    session.flush()
