"""The demo trust's SENCOs: one school on track, one at risk, one qualified, so the SENCO pages,
the trust table and the landing pages show the states a trust meets most. Heads are recorded so
reminders have someone to reach, and each school has its type (all three mainstream).

Dates a CPD lead would believe, whenever the demo is started: SENCOs are appointed on
1 September, after they joined the school; NPQ courses start in a real DfE cohort (autumn or
spring, from ``rules.senco.NPQ_COHORTS``) and pass no earlier than their cohort's outcome
allows (nobody passed the NPQ for SENCOs before its first outcomes in summer 2026; before that
the qualified SENCO holds the NASENCO)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cpd_tracker.models import (
    Organisation,
    Person,
    QualificationFunding,
    QualificationResult,
    School,
    SchoolHead,
    SchoolType,
    SencoAppointment,
    SencoQualification,
    SencoQualificationKind,
    StaffRole,
    StaffRoleKind,
)
from cpd_tracker.rules.senco import NPQ_COHORTS, NpqCohort, deadline_for

#: The demo schools' types, by URN (see ``people.SCHOOLS``).
SCHOOL_TYPES = {
    "990001": SchoolType.MAINTAINED,
    "990002": SchoolType.ACADEMY,
    "990003": SchoolType.MAINTAINED,
}


@dataclass(frozen=True)
class _Plan:
    became: dt.date
    kind: SencoQualificationKind | None = None
    started: dt.date | None = None
    passed: dt.date | None = None
    provider: str | None = None


def _school_year_start(today: dt.date) -> dt.date:
    """1 September of the school year ``today`` is in."""
    year = today.year if today.month >= 9 else today.year - 1
    return dt.date(year, 9, 1)


def _first_session(cohort: NpqCohort) -> dt.date:
    """A provider's first session: the first Monday on or after the cohort's start."""
    return cohort.starts_on + dt.timedelta(days=(7 - cohort.starts_on.weekday()) % 7)


def plans(today: dt.date) -> list[_Plan]:
    """On track, at risk, qualified: the three SENCOs, dated from ``today``."""
    this_year = _school_year_start(today)
    last_year, two_years_ago = (this_year.replace(year=this_year.year - n) for n in (1, 2))
    # On track: appointed last September, on the latest cohort that has begun and finishes in
    # time.
    deadline = deadline_for(last_year)
    begun = [
        c for c in NPQ_COHORTS if _first_session(c) <= today and c.expected_outcome_on <= deadline
    ]
    current = begun[-1] if begun else NPQ_COHORTS[0]
    on_track = _Plan(
        last_year,
        SencoQualificationKind.NPQ_SENCO,
        _first_session(current),
        provider="Ambition Institute",
    )
    # At risk: appointed two Septembers ago, the latest safe start passed, nothing booked.
    at_risk = _Plan(two_years_ago)
    # Qualified: the latest cohort whose outcome came a month or more ago, its SENCO appointed
    # the September before it began; with none yet, a NASENCO passed in July 2024.
    done = [c for c in NPQ_COHORTS if c.expected_outcome_on + dt.timedelta(days=30) <= today]
    if done:
        cohort = done[-1]
        became = _school_year_start(cohort.starts_on)
        qualified = _Plan(
            became,
            SencoQualificationKind.NPQ_SENCO,
            _first_session(cohort),
            cohort.expected_outcome_on - dt.timedelta(days=17),
            "Ambition Institute",
        )
    else:
        qualified = _Plan(
            dt.date(2022, 9, 1),
            SencoQualificationKind.NASENCO,
            dt.date(2023, 1, 9),
            dt.date(2024, 7, 19),
            "A university (NASENCO)",
        )
    return [on_track, at_risk, qualified]


def _staff(session: Session, school: School, role: StaffRoleKind) -> list[Person]:
    return list(
        session.scalars(
            select(Person)
            .join(StaffRole, StaffRole.person_id == Person.id)
            .where(StaffRole.school_id == school.id, StaffRole.role == role)
            .order_by(Person.id)
        )
    )


def _senco_for(session: Session, school: School, became: dt.date) -> tuple[Person | None, bool]:
    """A SENCO-role person (else a teacher) who had joined by ``became``, and whether they
    already hold the SENCO role."""
    for role, named in ((StaffRoleKind.SENCO, True), (StaffRoleKind.TEACHER, False)):
        for person in _staff(session, school, role):
            if person.start_date is None or person.start_date <= became:
                return person, named
    return None, False


def seed_sencos(session: Session, org: Organisation, today: dt.date) -> None:
    """Appoint a SENCO at each of the first three schools (idempotent: skipped once any
    appointment exists)."""
    schools = list(
        session.scalars(select(School).where(School.organisation_id == org.id).order_by(School.urn))
    )
    for school in schools:
        if school.school_type is None and school.urn in SCHOOL_TYPES:
            school.school_type = SCHOOL_TYPES[school.urn]
    if session.scalar(
        select(SencoAppointment.id).where(SencoAppointment.organisation_id == org.id)
    ):
        return
    for school, plan in zip(schools[:3], plans(today), strict=False):
        senco, named = _senco_for(session, school, plan.became)
        leaders = _staff(session, school, StaffRoleKind.LEADER)
        if senco is None:
            continue
        session.add(
            SencoAppointment(
                organisation_id=org.id,
                school_id=school.id,
                person_id=senco.id,
                started_on=plan.became,
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
                    started_on=plan.became,
                )
            )
        if plan.kind is not None:
            session.add(
                SencoQualification(
                    organisation_id=org.id,
                    person_id=senco.id,
                    kind=plan.kind,
                    provider=plan.provider,
                    started_on=plan.started,
                    completed_on=plan.passed,
                    course_completed_on=None,
                    result=QualificationResult.PASSED
                    if plan.passed
                    else QualificationResult.PENDING,
                    funding=QualificationFunding.SCHOLARSHIP
                    if plan.kind is SencoQualificationKind.NPQ_SENCO
                    else QualificationFunding.SCHOOL,
                )
            )
        if leaders:
            session.add(
                SchoolHead(organisation_id=org.id, school_id=school.id, person_id=leaders[0].id)
            )
    session.flush()
