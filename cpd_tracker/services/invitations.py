"""Dynamic Registration links that register a platform into one organisation.

An LMS admin pastes the link as the tool's registration URL; Moodle and Canvas add their
``openid_configuration`` and ``registration_token`` query parameters and keep ours.

A link is a random secret naming an :class:`~cpd_tracker.models.Invitation`: used once (or a
stated number of times), valid for days (seven by default), listed on *LMS registrations* with
who made it and which registration used it, and revocable there. Only the secret's SHA-256 is
stored, so the database alone cannot rebuild a working link. (Earlier links were signed tokens
that worked for 30 days, as often as anyone liked, and could not be revoked: they no longer
work.)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from cpd_tracker.models import Invitation, Organisation, Person, PlatformRegistration
from cpd_tracker.services.audit import AuditService
from cpd_tracker.urls import tool_base_url

DEFAULT_DAYS = 7
MAX_DAYS = 30
MAX_USES = 20


class InvitationRefused(ValueError):
    """The link cannot register an LMS: the message says why, for the LMS admin."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def invite_url(secret: str, base_url: str | None = None) -> str:
    return f"{(base_url or tool_base_url()).rstrip('/')}/lti/register?invite={secret}"


@dataclass(frozen=True)
class InvitationView:
    invitation: Invitation
    #: "usable", "used", "expired" or "revoked".
    state: str
    #: The registrations made with it.
    registrations: list[PlatformRegistration]


class InvitationService:
    def __init__(
        self, session: Session, audit: AuditService, clock: Callable[[], dt.datetime]
    ) -> None:
        self.session = session
        self.audit = audit
        self.clock = clock

    def create(
        self,
        organisation: Organisation,
        *,
        by: Person | None,
        days: int = DEFAULT_DAYS,
        uses: int = 1,
    ) -> tuple[Invitation, str]:
        """A new invitation and its secret (shown once; only its hash is kept)."""
        if not 1 <= days <= MAX_DAYS:
            raise InvitationRefused(f"An invitation lasts 1 to {MAX_DAYS} days.")
        if not 1 <= uses <= MAX_USES:
            raise InvitationRefused(f"An invitation may be used 1 to {MAX_USES} times.")
        secret = secrets.token_urlsafe(32)
        now = self.clock()
        invitation = Invitation(
            organisation_id=organisation.id,
            token_hash=_hash(secret),
            created_by_id=by.id if by is not None else None,
            created_at=now,
            expires_at=now + dt.timedelta(days=days),
            max_uses=uses,
            uses=0,
        )
        self.session.add(invitation)
        self.session.flush()
        self.audit.record(
            "invitation.created",
            organisation_id=organisation.id,
            entity_type="invitation",
            entity_id=invitation.id,
            days=days,
            uses=uses,
        )
        return invitation, secret

    def find(self, secret: str) -> Invitation:
        """The usable invitation behind ``secret``, or :class:`InvitationRefused`."""
        invitation = self.session.scalar(
            select(Invitation)
            .options(selectinload(Invitation.organisation))
            .where(Invitation.token_hash == _hash(secret))
        )
        if invitation is None:
            raise InvitationRefused(
                "This registration link is not valid. Ask a trust leader for a new one from "
                "the tool's LMS registrations page."
            )
        state = self._state(invitation)
        if state != "usable":
            raise InvitationRefused(
                {
                    "used": "This registration link has been used already: each link "
                    "registers one LMS.",
                    "expired": "This registration link has expired.",
                    "revoked": "This registration link was withdrawn by a trust leader.",
                }[state]
                + " Ask a trust leader for a new one from the tool's LMS registrations page."
            )
        return invitation

    def use(self, secret: str) -> Invitation:
        """Count one use, atomically: two registrations racing on a single-use link cannot
        both have it. Part of the registration's transaction, so a registration that fails
        gives the use back."""
        invitation = self.find(secret)
        now = self.clock()
        taken = self.session.execute(
            update(Invitation)
            .where(
                Invitation.id == invitation.id,
                Invitation.uses < Invitation.max_uses,
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > now,
            )
            .values(uses=Invitation.uses + 1)
            .execution_options(synchronize_session=False)
        )
        if getattr(taken, "rowcount", 0) != 1:
            raise InvitationRefused(
                "This registration link has just been used. Ask a trust leader for a new one."
            )
        self.session.refresh(invitation)
        return invitation

    def revoke(self, invitation: Invitation, *, by: Person) -> None:
        if invitation.revoked_at is not None:
            return
        invitation.revoked_at = self.clock()
        invitation.revoked_by_id = by.id
        self.audit.record(
            "invitation.revoked",
            organisation_id=invitation.organisation_id,
            entity_type="invitation",
            entity_id=invitation.id,
        )
        self.session.flush()

    def of_organisation(self, organisation_id: int, limit: int = 50) -> list[InvitationView]:
        rows = self.session.scalars(
            select(Invitation)
            .options(selectinload(Invitation.created_by), selectinload(Invitation.revoked_by))
            .where(Invitation.organisation_id == organisation_id)
            .order_by(Invitation.created_at.desc(), Invitation.id.desc())
            .limit(limit)
        ).all()
        used_by: dict[int, list[PlatformRegistration]] = {}
        if rows:
            for registration in self.session.scalars(
                select(PlatformRegistration).where(
                    PlatformRegistration.invitation_id.in_([r.id for r in rows])
                )
            ):
                assert registration.invitation_id is not None
                used_by.setdefault(registration.invitation_id, []).append(registration)
        return [InvitationView(r, self._state(r), used_by.get(r.id, [])) for r in rows]

    def get(self, organisation_id: int, invitation_id: int) -> Invitation | None:
        return self.session.scalar(
            select(Invitation).where(
                Invitation.id == invitation_id, Invitation.organisation_id == organisation_id
            )
        )

    def _state(self, invitation: Invitation) -> str:
        if invitation.revoked_at is not None:
            return "revoked"
        if invitation.uses >= invitation.max_uses:
            return "used"
        if invitation.expires_at <= self.clock():
            return "expired"
        return "usable"
