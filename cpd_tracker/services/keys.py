"""The tool's own signing keys: generation, rotation, and the published JWKS.

Rotation keeps the old key published until every token it signed has expired (our tokens live
at most ``TOKEN_LIFETIME``; platforms may cache our JWKS for a while, hence the margin), so a
platform verifying a deep-linking response or a client assertion never meets an unknown kid.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cpd_tracker.models import ToolKey
from cpd_tracker.services.audit import AuditService
from lti import keys as lti_keys

TOKEN_LIFETIME = dt.timedelta(minutes=10)
JWKS_CACHE_MARGIN = dt.timedelta(hours=24)


class KeyService:
    def __init__(
        self,
        session: Session,
        *,
        secret: str,
        clock: Callable[[], dt.datetime],
        audit: AuditService | None = None,
    ) -> None:
        self.session = session
        self.passphrase = secret.encode()
        self.clock = clock
        self.audit = audit

    def current(self) -> ToolKey | None:
        return self.session.scalars(
            select(ToolKey).where(ToolKey.retired_at.is_(None)).order_by(ToolKey.id.desc())
        ).first()

    def ensure_key(self) -> ToolKey:
        """The current signing key, generating the first one if there is none."""
        return self.current() or self._generate()

    def rotate(self) -> tuple[ToolKey, ToolKey | None]:
        """Start signing with a new key; keep the old one published for a while."""
        old = self.current()
        now = self.clock()
        if old is not None:
            old.retired_at = now
            old.publish_until = now + TOKEN_LIFETIME + JWKS_CACHE_MARGIN
        new = self._generate()
        if self.audit is not None:
            self.audit.record(
                "tool_key.rotated",
                organisation_id=None,
                entity_type="tool_key",
                entity_id=new.kid,
                retired_kid=old.kid if old else None,
                old_key_published_until=old.publish_until.isoformat()
                if old and old.publish_until
                else None,
            )
        return new, old

    def published(self) -> list[ToolKey]:
        now = self.clock()
        return list(
            self.session.scalars(
                select(ToolKey)
                .where(or_(ToolKey.retired_at.is_(None), ToolKey.publish_until > now))
                .order_by(ToolKey.id.desc())
            )
        )

    def jwks(self) -> dict[str, Any]:
        return lti_keys.jwks(key.public_jwk for key in self.published())

    def sign(self, claims: dict[str, Any]) -> str:
        key = self.ensure_key()
        return lti_keys.sign_jwt(claims, key.private_pem, key.kid, self.passphrase)

    def _generate(self) -> ToolKey:
        pair = lti_keys.generate_key_pair(passphrase=self.passphrase)
        key = ToolKey(
            kid=pair.kid,
            private_pem=pair.private_pem,
            public_jwk=pair.public_jwk,
            created_at=self.clock(),
        )
        self.session.add(key)
        self.session.flush()
        return key
