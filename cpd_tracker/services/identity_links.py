"""LMS accounts waiting to be confirmed as people on the staff list (issue 15, finding 2).

A launch links an LMS account to an imported person by e-mail by itself only when the e-mail
comes from the platform's signed claims, the person has never launched, and the person holds
nothing beyond staff (``IdentityService``). Otherwise the account signs in as a new person and
an ``IdentityLinkRequest`` waits here for someone who may vouch for it:

- a trust leader, for anyone in the organisation;
- a CPD lead, for people on the staff of a school they lead;
- never someone the person outranks (``auth.outranks``): a CPD lead cannot hand a trust
  leader's record to an LMS account, which is the attack the rule exists for.

Confirming makes the two one person (``merge.merge_pair``: the record on the staff list keeps
its history and gains the LMS identity and whatever the new account did meanwhile); refusing
leaves them apart and is not asked again. Both are audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session, selectinload

from cpd_tracker.auth import CurrentUser, effective_grants, outranks
from cpd_tracker.models import (
    IdentityLinkRequest,
    LinkOutcome,
    Person,
    StaffRole,
)
from cpd_tracker.services.audit import AuditService
from cpd_tracker.services.merge import merge_pair


class LinkNotAllowed(Exception):
    """Why this person may not decide this request, in words for the page."""


class IdentityLinkService:
    def __init__(
        self, session: Session, audit: AuditService, clock: Callable[[], dt.datetime]
    ) -> None:
        self.session = session
        self.audit = audit
        self.clock = clock

    def _visible(self, user: CurrentUser) -> Select[IdentityLinkRequest] | None:
        """The condition on requests this user may see, or None for nobody."""
        query = select(IdentityLinkRequest).where(
            IdentityLinkRequest.organisation_id == user.organisation_id,
            IdentityLinkRequest.outcome.is_(None),
            IdentityLinkRequest.person_id.is_not(None),
        )
        if user.is_trust_leader:
            return query
        schools = user.cpd_lead_school_ids()
        if not schools:
            return None
        return query.where(
            exists().where(
                StaffRole.person_id == IdentityLinkRequest.candidate_id,
                StaffRole.school_id.in_(schools),
            )
        )

    def waiting(self, user: CurrentUser) -> list[IdentityLinkRequest]:
        """Undecided requests this user may decide or see, oldest first."""
        query = self._visible(user)
        if query is None:
            return []
        return list(
            self.session.scalars(
                query.options(
                    selectinload(IdentityLinkRequest.person),
                    selectinload(IdentityLinkRequest.candidate).selectinload(Person.staff_roles),
                ).order_by(IdentityLinkRequest.id)
            )
        )

    def count_waiting(self, user: CurrentUser) -> int:
        """What the people pages' notice says: one count, nothing loaded."""
        query = self.count_waiting_query(user)
        return 0 if query is None else self.session.scalar(query) or 0

    def count_waiting_query(self, user: CurrentUser) -> Select[int] | None:
        """The COUNT ``count_waiting`` asks; None when ``user`` may see no request."""
        query = self._visible(user)
        if query is None:
            return None
        return select(func.count()).select_from(query.subquery())

    def get(self, user: CurrentUser, request_id: int) -> IdentityLinkRequest | None:
        query = self._visible(user)
        if query is None:
            return None
        return self.session.scalar(query.where(IdentityLinkRequest.id == request_id))

    def check(self, request: IdentityLinkRequest, user: CurrentUser) -> None:
        """Raise ``LinkNotAllowed`` when ``user`` may not decide ``request`` now."""
        candidate = request.candidate
        if outranks(effective_grants(candidate.permissions), user.grants):
            raise LinkNotAllowed(
                f"{candidate.display_name} has permissions you do not have, so only a trust "
                "leader can confirm who they are."
            )
        if candidate.registration_id is not None:
            raise LinkNotAllowed(
                f"{candidate.display_name} has signed in from an LMS account of their own "
                "since this was asked: the two stay apart."
            )
        if request.person_id == user.id:
            raise LinkNotAllowed("Someone else must confirm who you are.")

    def confirm(self, request: IdentityLinkRequest, user: CurrentUser) -> Person:
        self.check(request, user)
        candidate, account = request.candidate, request.person
        assert account is not None
        self._decide(request, user, LinkOutcome.LINKED)
        self.audit.record(
            "person.link_confirmed",
            organisation_id=request.organisation_id,
            entity_type="person",
            entity_id=candidate.id,
            request_id=request.id,
            lms_person_id=account.id,
        )
        account_id = account.id
        self.session.flush()
        merge_pair(
            self.session.connection(),
            survivor=candidate.id,
            other=account_id,
            now=self.clock(),
            actor_label=user.display_name,
            reason=f"LMS account confirmed as this person by #{user.id}",
        )
        # The merge worked below the ORM: what this session holds is stale.
        self.session.expire_all()
        return candidate

    def refuse(self, request: IdentityLinkRequest, user: CurrentUser) -> None:
        if request.person_id == user.id:
            raise LinkNotAllowed("Someone else must decide who you are.")
        self._decide(request, user, LinkOutcome.REFUSED)
        self.audit.record(
            "person.link_refused_by_lead",
            organisation_id=request.organisation_id,
            entity_type="person",
            entity_id=request.candidate_id,
            request_id=request.id,
            lms_person_id=request.person_id,
        )
        self.session.flush()

    def _decide(
        self, request: IdentityLinkRequest, user: CurrentUser, outcome: LinkOutcome
    ) -> None:
        request.outcome = outcome
        request.decided_at = self.clock()
        request.decided_by_id = user.id
