"""Writes the audit log. Every change to training, identity or registration data goes here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from cpd_tracker.models import AuditEntry


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in person, or a named part of the system."""

    label: str
    person_id: int | None = None
    correlation_id: str | None = None


class AuditService:
    def __init__(self, session: Session, actor: Actor) -> None:
        self.session = session
        self.actor = actor

    def record(
        self,
        action: str,
        *,
        organisation_id: int | None,
        entity_type: str,
        entity_id: object | None = None,
        **details: Any,
    ) -> AuditEntry:
        entry = AuditEntry(
            organisation_id=organisation_id,
            actor_person_id=self.actor.person_id,
            actor_label=self.actor.label,
            action=action,
            entity_type=entity_type,
            entity_id=None if entity_id is None else str(entity_id),
            details=details,
            correlation_id=self.actor.correlation_id,
        )
        self.session.add(entry)
        return entry
