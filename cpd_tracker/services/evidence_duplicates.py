"""Evidence sent twice at the same moment, closed before the database refuses it (migration 0031).

A staff member's evidence for one training may wait for a check only once: the service refused
a second copy by reading first, so two forms sent at the same instant could both get through.
Migration 0031 makes a partial unique index refuse it; the copies already there are settled here
first. In each group of copies waiting for the same person and training, the first sent stays
waiting; each later copy is returned (``rejected``) with a reason saying why, by nobody, its
certificate kept, and one ``evidence.closed_as_duplicate`` audit entry records each. Written in
Core against the tables as 0031 finds them, so later model changes do not alter what it does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import JSON, Connection, Integer, String, column, insert, select, table, update

from cpd_tracker.dates import local_date
from cpd_tracker.models.base import UtcDateTime
from cpd_tracker.rules.training import uk_date

_EVIDENCE = table(
    "evidence",
    column("id", Integer),
    column("organisation_id", Integer),
    column("person_id", Integer),
    column("module_id", Integer),
    column("status", String),
    column("reviewed_by_id", Integer),
    column("reviewed_at", UtcDateTime),
    column("rejection_reason", String),
    column("created_at", UtcDateTime),
)
_AUDIT = table(
    "audit_entry",
    column("organisation_id", Integer),
    column("actor_person_id", Integer),
    column("actor_label", String),
    column("action", String),
    column("entity_type", String),
    column("entity_id", String),
    column("details", JSON),
    column("correlation_id", String),
    column("created_at", UtcDateTime),
)


@dataclass(frozen=True)
class Closed:
    organisation_id: int
    person_id: int
    module_id: int
    kept: int
    closed: list[int]


def reason(first_sent: dt.datetime) -> str:
    return (
        f"Sent twice at the same moment: the copy sent on {uk_date(local_date(first_sent))} "
        "is waiting to be checked, so this copy was closed. Nothing needs sending again."
    )


def close_duplicates(
    connection: Connection,
    *,
    now: dt.datetime,
    log: Callable[[str], None],
    actor_label: str = "migration",
) -> list[Closed]:
    """Return every later copy of evidence waiting twice, reporting each group through ``log``
    (organisation, person, module, ids). Runs in the caller's transaction."""
    e = _EVIDENCE
    rows = connection.execute(
        select(e.c.id, e.c.organisation_id, e.c.person_id, e.c.module_id, e.c.created_at)
        .where(e.c.status == "pending")
        .order_by(e.c.person_id, e.c.module_id, e.c.created_at, e.c.id)
    ).all()
    groups: dict[tuple[int, int], list[tuple[int, int, dt.datetime]]] = {}
    for evidence_id, organisation_id, person_id, module_id, created_at in rows:
        groups.setdefault((person_id, module_id), []).append(
            (evidence_id, organisation_id, created_at)
        )
    done: list[Closed] = []
    for (person_id, module_id), copies in groups.items():
        if len(copies) < 2:
            continue
        (kept, organisation_id, first_sent), *later = copies
        closed = [evidence_id for evidence_id, _, _ in later]
        log(
            f"organisation {organisation_id}: person {person_id}, module {module_id}: evidence "
            f"{kept} keeps waiting; later copies {', '.join(map(str, closed))} returned"
        )
        connection.execute(
            update(e)
            .where(e.c.id.in_(closed))
            .values(
                status="rejected",
                reviewed_by_id=None,
                reviewed_at=now,
                rejection_reason=reason(first_sent),
            )
        )
        for evidence_id in closed:
            connection.execute(
                insert(_AUDIT).values(
                    organisation_id=organisation_id,
                    actor_person_id=None,
                    actor_label=actor_label,
                    action="evidence.closed_as_duplicate",
                    entity_type="evidence",
                    entity_id=str(evidence_id),
                    details={"person_id": person_id, "module_id": module_id, "kept": kept},
                    correlation_id=None,
                    created_at=now,
                )
            )
        done.append(Closed(organisation_id, person_id, module_id, kept, closed))
    if not done:
        log("no evidence waiting twice")
    return done
