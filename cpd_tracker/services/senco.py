"""The SENCO of each school and their qualification, assessed against the statutory rules.

Rows (``SencoAppointment``, ``SencoQualification``) become ``SencoFacts`` here, and
``rules.senco.assess`` decides the state; the clock stays in this service. A failed or
withdrawn course is left out of the facts (the rules engine's advice); a completion date
counts only once the result is "passed".

Several current appointments at one school are joint SENCOs: each is assessed, and the
school's state is the most urgent of them. A school with none is ``no_senco``; a school whose
type has no reg. 49 duty (special, independent) is ``not_required`` either way.

Prior service is the person's history: their other SENCO appointments in the tool that began
before this one (at schools of any type; only relevant schools count, the rules decide), plus
the stints entered on the page (``SencoPriorService``). The old rounded
``prior_senco_months`` is used only when there are none.

Only the tool marks someone SENCO: the routes reach here after ``own_school`` (a CPD lead of
that school or a trust leader), never from a launch. Every change is audited.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session, joinedload

from cpd_tracker.dates import local_date
from cpd_tracker.models import (
    Completion,
    CompletionMethod,
    Module,
    Person,
    QualificationFunding,
    QualificationResult,
    School,
    SchoolHead,
    SchoolType,
    SencoAppointment,
    SencoPriorService,
    SencoProvider,
    SencoQualification,
    SencoQualificationKind,
    StaffRole,
    StaffRoleKind,
)
from cpd_tracker.rules.senco import (
    PriorSencoService,
    QualificationFacts,
    QualificationKind,
    SencoAssessment,
    SencoFacts,
    SencoState,
    assess,
    no_senco_assessment,
    urgency_rank,
)
from cpd_tracker.services.audit import AuditService
from cpd_tracker.services.employed import employed_sql

#: Suggested providers: the NPQ lead providers (their delivery partners deliver under their
#: name) and where NASENCO was taught. Organisations add their own: a provider typed on a
#: qualification record is remembered for the organisation (``SencoProvider``).
SUGGESTED_PROVIDERS: tuple[str, ...] = (
    "Ambition Institute",
    "Best Practice Network",
    "Church of England",
    "Education Development Trust",
    "Leadership Learning South East (LLSE)",
    "National Institute of Teaching",
    "Teacher Development Trust",
    "UCL Institute of Education",
    "A university (NASENCO)",
)

#: The catalogue's module for the NPQ (seeded in every organisation's catalogue).
NPQ_MODULE_SLUG = "npq-for-sencos"

#: Results that leave a course out of the facts.
_LEFT_OUT = frozenset({QualificationResult.FAILED, QualificationResult.WITHDRAWN})

#: What to do next, by state: a sentence for the school's page.
NEXT_STEPS: dict[SencoState, str] = {
    SencoState.NOT_ELIGIBLE: (
        "Appoint a SENCO who is a qualified teacher with induction complete and teaching at "
        "the school, or the head; or correct the appointment details if they are wrong."
    ),
    SencoState.EXEMPT: "Nothing to do: keep the evidence of the exemption on file.",
    SencoState.QUALIFIED: "Nothing to do: keep the pass outcome on file.",
    SencoState.OVERDUE: (
        "The school is in breach: book the NPQ for SENCOs now and record it, and tell the "
        "governors."
    ),
    SencoState.ON_TRACK: "Record the outcome when it arrives.",
    SencoState.AT_RISK: (
        "Book the NPQ for SENCOs at the next cohort start, or record a later expected finish "
        "date, and agree with the head how the deadline will be met."
    ),
    SencoState.NOT_STARTED: "Book a place on the NPQ for SENCOs before the latest safe start.",
    SencoState.NO_SENCO: "Appoint a SENCO from the school's staff below.",
    SencoState.NOT_REQUIRED: (
        "Nothing is required by law. If the school has a SENCO, recording them here keeps "
        "their history for a later post at a mainstream school."
    ),
}


def has_senco_duty(school: School) -> bool:
    """Whether reg. 49 applies: an unrecorded type is taken as mainstream (the cautious way)."""
    return school.school_type is None or school.school_type.has_senco_duty


class SencoError(ValueError):
    """A change the forms should have refused; the service refuses it too."""


@dataclass(frozen=True)
class AppointmentDetails:
    person_id: int
    started_on: dt.date
    has_qts: bool
    teacher_reference_number: str | None
    qts_via_partial_access: bool
    induction_complete: bool
    teaches_at_school: bool
    is_head: bool
    prior_senco_months: int = 0
    qtls_with_set: bool = False


@dataclass(frozen=True)
class PriorServiceDetails:
    """A period as SENCO before an appointment, as entered on the page."""

    started_on: dt.date
    ended_on: dt.date
    relevant_school: bool
    school_name: str | None = None


@dataclass(frozen=True)
class PriorStint:
    """A stint the assessment counted (or did not: ``relevant_school``), for the page."""

    school_name: str | None
    started_on: dt.date
    #: The last day as SENCO.
    ended_on: dt.date
    relevant_school: bool
    #: True when read from an earlier appointment in the tool, False when entered.
    from_history: bool
    #: The entered row, which can be removed; None for history.
    row_id: int | None = None


@dataclass(frozen=True)
class QualificationDetails:
    person_id: int
    kind: SencoQualificationKind
    provider: str | None
    started_on: dt.date | None
    expected_completion_on: dt.date | None
    completed_on: dt.date | None
    result: QualificationResult
    funding: QualificationFunding | None
    course_completed_on: dt.date | None = None


@dataclass(frozen=True)
class AssessedSenco:
    appointment: SencoAppointment
    person: Person
    qualifications: list[SencoQualification]
    assessment: SencoAssessment
    #: The prior service the assessment read, earliest first.
    prior_service: tuple[PriorStint, ...] = ()

    @property
    def next_step(self) -> str:
        return NEXT_STEPS[self.assessment.state]


@dataclass(frozen=True)
class SchoolSenco:
    school: School
    current: list[AssessedSenco]
    #: Ended appointments, most recent first.
    past: list[SencoAppointment]
    #: The school's state: the most urgent of its current SENCOs, else no_senco.
    assessment: SencoAssessment

    @property
    def next_step(self) -> str:
        return NEXT_STEPS[self.assessment.state]


def facts_for(
    appointment: SencoAppointment,
    qualifications: Iterable[SencoQualification],
    prior_service: Iterable[PriorStint] = (),
    school_is_relevant: bool = True,
) -> SencoFacts:
    """The rules engine's facts for one appointment, the person's qualification records, their
    prior stints and whether the school has a reg. 49 duty."""
    return SencoFacts(
        became_senco_on=appointment.started_on,
        prior_senco_months=appointment.prior_senco_months,
        has_qts=appointment.has_qts,
        qts_via_partial_access=appointment.qts_via_partial_access,
        induction_complete=appointment.induction_complete,
        teaches_at_school=appointment.teaches_at_school,
        is_head=appointment.is_head,
        qualifications=tuple(
            QualificationFacts(
                kind=QualificationKind(q.kind.value),
                started_on=q.started_on,
                completed_on=q.completed_on if q.result is QualificationResult.PASSED else None,
                expected_completion_on=q.expected_completion_on,
                course_completed_on=q.course_completed_on,
            )
            for q in qualifications
            if q.result not in _LEFT_OUT
        ),
        prior_service=tuple(
            PriorSencoService(s.started_on, s.ended_on, s.relevant_school) for s in prior_service
        ),
        qtls_with_set=appointment.qtls_with_set,
        school_is_relevant=school_is_relevant,
    )


def most_urgent(
    assessments: Sequence[SencoAssessment], school_is_relevant: bool = True
) -> SencoAssessment:
    if not assessments:
        return no_senco_assessment(school_is_relevant)
    return min(assessments, key=lambda a: urgency_rank(a.state))


def _current(today: dt.date) -> ColumnElement[bool]:
    return or_(SencoAppointment.ended_on.is_(None), SencoAppointment.ended_on > today)


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


class SencoService:
    def __init__(
        self, session: Session, audit: AuditService, clock: Callable[[], dt.datetime]
    ) -> None:
        self.session = session
        self.audit = audit
        self.clock = clock

    def today(self) -> dt.date:
        return local_date(self.clock())

    # --- Reading ------------------------------------------------------------------------------

    def staff_at(self, school: School) -> list[Person]:
        """People with a current role at the school: whom a SENCO can be chosen from."""
        today = self.today()
        rows = self.session.scalars(
            select(Person)
            .join(StaffRole, StaffRole.person_id == Person.id)
            .where(
                StaffRole.school_id == school.id,
                Person.organisation_id == school.organisation_id,
                or_(StaffRole.ended_on.is_(None), StaffRole.ended_on > today),
                employed_sql(today),
            )
            .distinct()
        )
        return sorted(rows, key=lambda p: (p.display_name.lower(), p.id))

    def _qualifications(
        self, organisation_id: int, person_ids: Iterable[int]
    ) -> dict[int, list[SencoQualification]]:
        ids = set(person_ids)
        found: dict[int, list[SencoQualification]] = defaultdict(list)
        if not ids:
            return found
        rows = self.session.scalars(
            select(SencoQualification)
            .where(
                SencoQualification.organisation_id == organisation_id,
                SencoQualification.person_id.in_(ids),
            )
            .order_by(SencoQualification.started_on, SencoQualification.id)
        )
        for row in rows:
            found[row.person_id].append(row)
        return found

    def _prior_service(
        self, organisation_id: int, appointments: Sequence[SencoAppointment]
    ) -> dict[int, tuple[PriorStint, ...]]:
        """Each appointment's prior stints: the person's earlier appointments in the tool (up
        to the day before this one began) and the stints entered for it."""
        if not appointments:
            return {}
        people = {a.person_id for a in appointments}
        # Each person's appointments: a trust of 600 schools has 600 SENCOs, and looking
        # through everyone's for each of them took a third of a second.
        history: dict[int, list[tuple[SencoAppointment, School]]] = defaultdict(list)
        for other, school in self.session.execute(
            select(SencoAppointment, School)
            .join(School, School.id == SencoAppointment.school_id)
            .where(
                SencoAppointment.organisation_id == organisation_id,
                SencoAppointment.person_id.in_(people),
            )
        ):
            history[other.person_id].append((other, school))
        entered: dict[int, list[SencoPriorService]] = defaultdict(list)
        for row in self.session.scalars(
            select(SencoPriorService).where(
                SencoPriorService.organisation_id == organisation_id,
                SencoPriorService.appointment_id.in_({a.id for a in appointments}),
            )
        ):
            entered[row.appointment_id].append(row)
        found: dict[int, tuple[PriorStint, ...]] = {}
        for a in appointments:
            before = a.started_on - dt.timedelta(days=1)
            stints = [
                PriorStint(
                    school.name,
                    other.started_on,
                    min(before, other.ended_on - dt.timedelta(days=1))
                    if other.ended_on is not None
                    else before,
                    has_senco_duty(school),
                    from_history=True,
                )
                for other, school in history[a.person_id]
                if other.id != a.id and other.started_on < a.started_on
            ]
            stints += [
                PriorStint(r.school_name, r.started_on, r.ended_on, r.relevant_school, False, r.id)
                for r in entered[a.id]
            ]
            found[a.id] = tuple(
                sorted(
                    (s for s in stints if s.started_on <= s.ended_on),
                    key=lambda s: (s.started_on, s.ended_on),
                )
            )
        return found

    def _assessed(
        self,
        appointments: Sequence[SencoAppointment],
        organisation_id: int,
        today: dt.date | None = None,
        relevant: dict[int, bool] | None = None,
    ) -> list[AssessedSenco]:
        """``relevant``: whether each school (by id) has the reg. 49 duty (default: yes)."""
        today = today or self.today()
        quals = self._qualifications(organisation_id, (a.person_id for a in appointments))
        prior = self._prior_service(organisation_id, appointments)
        relevant = relevant or {}
        assessed = []
        for a in appointments:
            facts = facts_for(a, quals[a.person_id], prior[a.id], relevant.get(a.school_id, True))
            assessed.append(
                AssessedSenco(a, a.person, quals[a.person_id], assess(facts, today), prior[a.id])
            )
        return assessed

    def school(self, school: School) -> SchoolSenco:
        today = self.today()
        rows = list(
            self.session.scalars(
                select(SencoAppointment)
                .options(joinedload(SencoAppointment.person))
                .where(
                    SencoAppointment.school_id == school.id,
                    SencoAppointment.organisation_id == school.organisation_id,
                )
                .order_by(SencoAppointment.started_on.desc(), SencoAppointment.id.desc())
            )
        )
        current = [a for a in rows if a.ended_on is None or a.ended_on > today]
        past = [a for a in rows if a not in current]
        relevant = has_senco_duty(school)
        assessed = self._assessed(current, school.organisation_id, relevant={school.id: relevant})
        return SchoolSenco(
            school, assessed, past, most_urgent([a.assessment for a in assessed], relevant)
        )

    def trust(self, organisation_id: int, today: dt.date | None = None) -> list[SchoolSenco]:
        """Every school of the organisation, most urgent first (then by name), on ``today``
        (default: the clock's today)."""
        today = today or self.today()
        schools = list(
            self.session.scalars(select(School).where(School.organisation_id == organisation_id))
        )
        appointments = list(
            self.session.scalars(
                select(SencoAppointment)
                .options(joinedload(SencoAppointment.person))
                .where(SencoAppointment.organisation_id == organisation_id, _current(today))
                .order_by(SencoAppointment.started_on, SencoAppointment.id)
            )
        )
        relevant = {s.id: has_senco_duty(s) for s in schools}
        assessed = self._assessed(appointments, organisation_id, today, relevant)
        by_school: dict[int, list[AssessedSenco]] = defaultdict(list)
        for item in assessed:
            by_school[item.appointment.school_id].append(item)
        table = [
            SchoolSenco(
                s,
                by_school[s.id],
                [],
                most_urgent([a.assessment for a in by_school[s.id]], relevant[s.id]),
            )
            for s in schools
        ]
        table.sort(key=lambda r: (urgency_rank(r.assessment.state), r.school.name.lower()))
        return table

    def appointment_at(self, school: School, appointment_id: int) -> SencoAppointment | None:
        return self.session.scalar(
            select(SencoAppointment).where(
                SencoAppointment.id == appointment_id,
                SencoAppointment.school_id == school.id,
                SencoAppointment.organisation_id == school.organisation_id,
            )
        )

    def sencos_of(self, school: School) -> list[Person]:
        """Everyone ever appointed SENCO at the school (whose qualifications it may record)."""
        rows = self.session.scalars(
            select(Person)
            .join(SencoAppointment, SencoAppointment.person_id == Person.id)
            .where(
                SencoAppointment.school_id == school.id,
                Person.organisation_id == school.organisation_id,
            )
            .distinct()
        )
        return sorted(rows, key=lambda p: (p.display_name.lower(), p.id))

    def qualification_at(self, school: School, qualification_id: int) -> SencoQualification | None:
        """A qualification record of someone appointed SENCO at the school."""
        ids = {p.id for p in self.sencos_of(school)}
        row = self.session.scalar(
            select(SencoQualification).where(
                SencoQualification.id == qualification_id,
                SencoQualification.organisation_id == school.organisation_id,
            )
        )
        return row if row is not None and row.person_id in ids else None

    # --- Changes ------------------------------------------------------------------------------

    def appoint(self, school: School, details: AppointmentDetails) -> SencoAppointment:
        if details.person_id not in {p.id for p in self.staff_at(school)}:
            raise SencoError("a SENCO is chosen from the school's current staff")
        trn = details.teacher_reference_number
        if trn is not None and not (len(trn) == 7 and trn.isdigit()):
            raise SencoError("a teacher reference number is 7 digits")
        if details.prior_senco_months < 0:
            raise SencoError("prior months as a SENCO cannot be negative")
        row = SencoAppointment(
            organisation_id=school.organisation_id,
            school_id=school.id,
            person_id=details.person_id,
            started_on=details.started_on,
            has_qts=details.has_qts,
            teacher_reference_number=trn,
            qts_via_partial_access=details.qts_via_partial_access,
            induction_complete=details.induction_complete,
            teaches_at_school=details.teaches_at_school,
            is_head=details.is_head,
            prior_senco_months=details.prior_senco_months,
            qtls_with_set=details.qtls_with_set,
            created_by_id=self.audit.actor.person_id,
        )
        self.session.add(row)
        self.session.flush()
        self._give_senco_role(school, details.person_id, details.started_on)
        self.audit.record(
            "senco.appointed",
            organisation_id=school.organisation_id,
            entity_type="senco_appointment",
            entity_id=row.id,
            school_id=school.id,
            person_id=details.person_id,
            started_on=details.started_on.isoformat(),
            has_qts=details.has_qts,
            teacher_reference_number=trn,
            qts_via_partial_access=details.qts_via_partial_access,
            induction_complete=details.induction_complete,
            teaches_at_school=details.teaches_at_school,
            is_head=details.is_head,
            prior_senco_months=details.prior_senco_months,
            qtls_with_set=details.qtls_with_set,
        )
        return row

    def add_prior_service(
        self, school: School, appointment: SencoAppointment, details: PriorServiceDetails
    ) -> SencoPriorService:
        """Record a period as SENCO before ``appointment`` (elsewhere, or before the tool)."""
        if appointment.school_id != school.id:
            raise SencoError("the appointment is at another school")
        if details.ended_on < details.started_on:
            raise SencoError("a period as SENCO cannot end before it started")
        if details.started_on >= appointment.started_on:
            raise SencoError("an earlier period as SENCO starts before this appointment")
        row = SencoPriorService(
            organisation_id=school.organisation_id,
            appointment_id=appointment.id,
            school_name=details.school_name,
            started_on=details.started_on,
            ended_on=details.ended_on,
            relevant_school=details.relevant_school,
            created_by_id=self.audit.actor.person_id,
        )
        self.session.add(row)
        self.session.flush()
        self.audit.record(
            "senco.prior_service_added",
            organisation_id=school.organisation_id,
            entity_type="senco_prior_service",
            entity_id=row.id,
            school_id=school.id,
            appointment_id=appointment.id,
            person_id=appointment.person_id,
            school_name=details.school_name,
            started_on=details.started_on.isoformat(),
            ended_on=details.ended_on.isoformat(),
            relevant_school=details.relevant_school,
        )
        return row

    def remove_prior_service(
        self, school: School, appointment: SencoAppointment, row_id: int
    ) -> None:
        """Remove a stint entered by mistake (audited with what it said)."""
        row = self.session.scalar(
            select(SencoPriorService).where(
                SencoPriorService.id == row_id,
                SencoPriorService.appointment_id == appointment.id,
                SencoPriorService.organisation_id == school.organisation_id,
            )
        )
        if row is None or appointment.school_id != school.id:
            raise SencoError("no such period as SENCO on this appointment")
        self.session.delete(row)
        self.session.flush()
        self.audit.record(
            "senco.prior_service_removed",
            organisation_id=school.organisation_id,
            entity_type="senco_prior_service",
            entity_id=row_id,
            school_id=school.id,
            appointment_id=appointment.id,
            person_id=appointment.person_id,
            school_name=row.school_name,
            started_on=row.started_on.isoformat(),
            ended_on=row.ended_on.isoformat(),
            relevant_school=row.relevant_school,
        )

    def set_school_type(self, school: School, school_type: SchoolType | None) -> None:
        """Record what kind of school it is (whether reg. 49's duty applies follows)."""
        before = school.school_type
        if before == school_type:
            return
        school.school_type = school_type
        self.session.flush()
        self.audit.record(
            "school.type_changed",
            organisation_id=school.organisation_id,
            entity_type="school",
            entity_id=school.id,
            before=None if before is None else before.value,
            after=None if school_type is None else school_type.value,
        )

    def end(self, school: School, appointment: SencoAppointment, ended_on: dt.date) -> None:
        if appointment.school_id != school.id:
            raise SencoError("the appointment is at another school")
        if appointment.ended_on is not None:
            raise SencoError("the appointment has already ended")
        if ended_on < appointment.started_on:
            raise SencoError("an appointment cannot end before it started")
        appointment.ended_on = ended_on
        self._end_senco_role(school, appointment)
        self.audit.record(
            "senco.ended",
            organisation_id=school.organisation_id,
            entity_type="senco_appointment",
            entity_id=appointment.id,
            school_id=school.id,
            person_id=appointment.person_id,
            ended_on=ended_on.isoformat(),
        )

    def _give_senco_role(self, school: School, person_id: int, started_on: dt.date) -> None:
        """The appointed person has the staff role SENCO at the school (so requirements for
        SENCOs apply to them), from the appointment on; an ended role is reopened."""
        role = self.session.scalar(
            select(StaffRole).where(
                StaffRole.person_id == person_id,
                StaffRole.school_id == school.id,
                StaffRole.role == StaffRoleKind.SENCO,
            )
        )
        if role is None:
            self.session.add(
                StaffRole(
                    person_id=person_id,
                    school_id=school.id,
                    role=StaffRoleKind.SENCO,
                    started_on=started_on,
                )
            )
        elif role.ended_on is not None:
            role.ended_on = None
        else:
            return
        self.session.flush()
        self.audit.record(
            "person.role_added",
            organisation_id=school.organisation_id,
            entity_type="person",
            entity_id=person_id,
            school_id=school.id,
            role=StaffRoleKind.SENCO.value,
            reason="appointed SENCO",
        )

    def _end_senco_role(self, school: School, appointment: SencoAppointment) -> None:
        """When the person's last current appointment at the school ends, so does the role."""
        assert appointment.ended_on is not None
        others = self.session.scalar(
            select(SencoAppointment.id).where(
                SencoAppointment.school_id == school.id,
                SencoAppointment.person_id == appointment.person_id,
                SencoAppointment.id != appointment.id,
                _current(appointment.ended_on),
            )
        )
        if others is not None:
            return
        role = self.session.scalar(
            select(StaffRole).where(
                StaffRole.person_id == appointment.person_id,
                StaffRole.school_id == school.id,
                StaffRole.role == StaffRoleKind.SENCO,
                StaffRole.ended_on.is_(None),
            )
        )
        if role is None:
            return
        role.ended_on = appointment.ended_on
        self.audit.record(
            "person.role_ended",
            organisation_id=school.organisation_id,
            entity_type="person",
            entity_id=appointment.person_id,
            school_id=school.id,
            role=StaffRoleKind.SENCO.value,
            ended_on=appointment.ended_on.isoformat(),
            reason="SENCO appointment ended",
        )

    # --- Providers and the head ---------------------------------------------------------------

    def providers(self, organisation_id: int) -> list[str]:
        """The suggested providers, then the organisation's own, without repeats."""
        own = self.session.scalars(
            select(SencoProvider.name)
            .where(SencoProvider.organisation_id == organisation_id)
            .order_by(SencoProvider.name)
        )
        seen = {p.casefold() for p in SUGGESTED_PROVIDERS}
        return [*SUGGESTED_PROVIDERS, *(p for p in own if p.casefold() not in seen)]

    def _remember_provider(self, organisation_id: int, name: str | None) -> None:
        if not name or name.casefold() in {p.casefold() for p in self.providers(organisation_id)}:
            return
        self.session.add(SencoProvider(organisation_id=organisation_id, name=name))
        self.session.flush()
        self.audit.record(
            "senco.provider_added",
            organisation_id=organisation_id,
            entity_type="senco_provider",
            name=name,
        )

    def head_of(self, school: School) -> Person | None:
        row = self.session.scalar(
            select(SchoolHead).where(
                SchoolHead.school_id == school.id,
                SchoolHead.organisation_id == school.organisation_id,
            )
        )
        return None if row is None else row.person

    def set_head(self, school: School, person_id: int | None) -> None:
        """Record who is head (None: nobody recorded). Chosen from the school's staff."""
        if person_id is not None and person_id not in {p.id for p in self.staff_at(school)}:
            raise SencoError("the head is chosen from the school's current staff")
        row = self.session.scalar(select(SchoolHead).where(SchoolHead.school_id == school.id))
        before = None if row is None else row.person_id
        if before == person_id:
            return
        if person_id is None:
            assert row is not None
            self.session.delete(row)
        elif row is None:
            self.session.add(
                SchoolHead(
                    organisation_id=school.organisation_id,
                    school_id=school.id,
                    person_id=person_id,
                )
            )
        else:
            row.person_id = person_id
            row.updated_at = self.clock()
        self.session.flush()
        self.audit.record(
            "school.head_changed",
            organisation_id=school.organisation_id,
            entity_type="school",
            entity_id=school.id,
            before=before,
            after=person_id,
        )

    def _check_qualification(self, school: School, details: QualificationDetails) -> None:
        if details.person_id not in {p.id for p in self.sencos_of(school)}:
            raise SencoError("qualifications are recorded for the school's SENCOs")
        if details.completed_on is not None and details.result is not QualificationResult.PASSED:
            raise SencoError("an outcome date is recorded with a pass")
        start = details.started_on
        for later in (
            details.expected_completion_on,
            details.completed_on,
            details.course_completed_on,
        ):
            if start is not None and later is not None and later < start:
                raise SencoError("a course cannot finish before it starts")
        ended, award = details.course_completed_on, details.completed_on
        if ended is not None and award is not None and award < ended:
            raise SencoError("the award cannot come before the course ended")

    def _apply(self, row: SencoQualification, details: QualificationDetails) -> None:
        row.person_id = details.person_id
        row.kind = details.kind
        row.provider = details.provider
        row.started_on = details.started_on
        row.expected_completion_on = details.expected_completion_on
        row.completed_on = details.completed_on
        row.course_completed_on = details.course_completed_on
        row.result = details.result
        row.funding = details.funding

    def _audit_qualification(self, action: str, school: School, row: SencoQualification) -> None:
        self.audit.record(
            action,
            organisation_id=school.organisation_id,
            entity_type="senco_qualification",
            entity_id=row.id,
            school_id=school.id,
            person_id=row.person_id,
            kind=row.kind.value,
            provider=row.provider,
            started_on=_iso(row.started_on),
            expected_completion_on=_iso(row.expected_completion_on),
            completed_on=_iso(row.completed_on),
            course_completed_on=_iso(row.course_completed_on),
            result=row.result.value,
            funding=None if row.funding is None else row.funding.value,
        )

    def add_qualification(
        self, school: School, details: QualificationDetails
    ) -> SencoQualification:
        self._check_qualification(school, details)
        self._remember_provider(school.organisation_id, details.provider)
        row = SencoQualification(
            organisation_id=school.organisation_id, person_id=details.person_id
        )
        self._apply(row, details)
        self.session.add(row)
        self.session.flush()
        self._audit_qualification("senco.qualification_added", school, row)
        self._record_pass(school, row)
        return row

    def update_qualification(
        self, school: School, row: SencoQualification, details: QualificationDetails
    ) -> None:
        self._check_qualification(school, details)
        self._remember_provider(school.organisation_id, details.provider)
        self._apply(row, details)
        self.session.flush()
        self._audit_qualification("senco.qualification_updated", school, row)
        self._record_pass(school, row)

    def _record_pass(self, school: School, row: SencoQualification) -> None:
        """A passed NPQ for SENCOs is also a completion of the catalogue's NPQ module, so it
        shows in the person's training and in reports like any other. Completions are never
        edited: a corrected outcome date adds none (one for the module is enough)."""
        if (
            row.kind is not SencoQualificationKind.NPQ_SENCO
            or row.result is not QualificationResult.PASSED
            or row.completed_on is None
        ):
            return
        module = self.session.scalar(
            select(Module).where(
                Module.organisation_id == school.organisation_id, Module.slug == NPQ_MODULE_SLUG
            )
        )
        if module is None:
            return
        done = self.session.scalar(
            select(Completion.id).where(
                Completion.person_id == row.person_id, Completion.module_id == module.id
            )
        )
        if done is not None:
            return
        completion = Completion(
            organisation_id=school.organisation_id,
            person_id=row.person_id,
            module_id=module.id,
            completed_on=row.completed_on,
            method=CompletionMethod.RECORDED,
            cpd_hours=module.cpd_hours,
            provider=row.provider,
            recorded_by_id=self.audit.actor.person_id,
            note=f"Pass outcome on the SENCO qualification record {row.id}",
        )
        self.session.add(completion)
        self.session.flush()
        self.audit.record(
            "completion.recorded",
            organisation_id=school.organisation_id,
            entity_type="completion",
            entity_id=completion.id,
            person_id=row.person_id,
            module_id=module.id,
            method=CompletionMethod.RECORDED.value,
            completed_on=row.completed_on.isoformat(),
            senco_qualification_id=row.id,
        )
