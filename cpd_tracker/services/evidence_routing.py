"""Who checks a piece of evidence (issue 17, "a CPD lead's own evidence").

Evidence goes to the CPD leads of the school it was sent to. Nobody checks their own (see
``records.EvidenceService``), so a CPD lead's own evidence goes to the school's *other* CPD
leads; when the school has none (or none at all), to the organisation's trust leaders, whose
trust page lists it. The people are found as access is decided (``auth.effective_grants``:
LMS suggestions and overrides granted, minus overrides revoked), active and not left.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cpd_tracker.models import Evidence, EvidenceStatus, Permission, PermissionKind, Person
from cpd_tracker.rules.employment import has_left


@dataclass(frozen=True)
class Checkers:
    """Who may check one piece of evidence."""

    people: list[Person]
    #: The school has no CPD lead but the sender: the trust leaders check it.
    by_trust: bool

    @property
    def description(self) -> str:
        """Who checks it, as the sender is told."""
        if self.by_trust:
            return (
                "Your school has no other CPD lead in the tool, so a trust leader needs to "
                "check it; it is on their trust page."
            )
        return "Another CPD lead at your school needs to check it; it is on their list."


def _granted(
    session: Session, organisation_id: int, kind: PermissionKind, today: dt.date
) -> list[tuple[Person, set[int | None]]]:
    """Each active person of the organisation not yet left who holds ``kind``, with the
    schools (None for a trust-wide grant) it is held for, in person id order."""
    from cpd_tracker.auth import effective_grants

    permissions: dict[int, list[Permission]] = defaultdict(list)
    people: dict[int, Person] = {}
    for permission, person in session.execute(
        select(Permission, Person)
        .join(Person, Person.id == Permission.person_id)
        .where(
            Person.organisation_id == organisation_id,
            Person.active.is_(True),
            Permission.kind == kind,
        )
        .order_by(Person.id, Permission.id)
    ):
        permissions[person.id].append(permission)
        people[person.id] = person
    found = []
    for person_id, granted in permissions.items():
        person = people[person_id]
        if has_left(person.leaving_date, today):
            continue
        schools = {g.school_id for g in effective_grants(granted) if g.kind is kind}
        if schools:
            found.append((person, schools))
    return found


def leads_by_school(
    session: Session, organisation_id: int, today: dt.date
) -> dict[int, list[Person]]:
    """School id -> its CPD leads (in person id order)."""
    leads: dict[int, list[Person]] = defaultdict(list)
    for person, schools in _granted(session, organisation_id, PermissionKind.CPD_LEAD, today):
        for school_id in sorted(s for s in schools if s is not None):
            leads[school_id].append(person)
    return leads


def trust_leaders(session: Session, organisation_id: int, today: dt.date) -> list[Person]:
    return [
        person
        for person, schools in _granted(
            session, organisation_id, PermissionKind.TRUST_LEADER, today
        )
        if None in schools
    ]


def route(
    evidence: Evidence, leads: dict[int, list[Person]], leaders: Iterable[Person]
) -> Checkers:
    """Who checks ``evidence``, given the school leads and trust leaders (a pure rule)."""
    school_leads = leads.get(evidence.school_id or 0, [])
    others = [p for p in school_leads if p.id != evidence.person_id]
    if others:
        return Checkers(others, by_trust=False)
    return Checkers([p for p in leaders if p.id != evidence.person_id], by_trust=True)


class EvidenceRouting:
    """``route`` with the people loaded from the database."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def checkers(self, evidence: Evidence, today: dt.date) -> Checkers:
        leads = leads_by_school(self.session, evidence.organisation_id, today)
        return route(evidence, leads, trust_leaders(self.session, evidence.organisation_id, today))

    def for_trust(self, organisation_id: int, today: dt.date) -> list[Evidence]:
        """Evidence waiting for a trust leader: sent to a school with no CPD lead to check it
        (its only CPD lead sent it, or it has none), oldest first."""
        leads = leads_by_school(self.session, organisation_id, today)
        waiting = self.session.scalars(
            select(Evidence)
            .where(
                Evidence.organisation_id == organisation_id,
                Evidence.status == EvidenceStatus.PENDING,
            )
            .order_by(Evidence.created_at, Evidence.id)
        )
        return [e for e in waiting if route(e, leads, []).by_trust]
