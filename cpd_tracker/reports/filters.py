"""The trust dashboard's filters and drill-down, read from the query string and checked
against the signed-in leader's organisation: an id from another organisation is a 404."""

from __future__ import annotations

from flask import abort, request
from sqlalchemy import select

from cpd_tracker.extensions import db
from cpd_tracker.models import Module, Requirement, School
from cpd_tracker.params import id_arg, text_arg
from cpd_tracker.rules.training import Status
from cpd_tracker.services.coverage import GROUPS, TrustFilters
from cpd_tracker.templating import ROLE_LABELS

#: What each id filter is called in a refusal.
LABELS = {"school": "The school filter", "module": "The training filter", "column": "The column"}


def _int_arg(name: str) -> int | None:
    return id_arg(name, label=LABELS[name])


def _owned(model: type[School] | type[Module] | type[Requirement], ident: int | None,
           organisation_id: int) -> int | None:  # fmt: skip
    if ident is None:
        return None
    found = db.session.scalar(
        select(model.id).where(model.id == ident, model.organisation_id == organisation_id)
    )
    if found is None:
        abort(404)
    return ident


def trust_filters(organisation_id: int) -> TrustFilters:
    role = request.args.get("role") or None
    return TrustFilters(
        phase=text_arg("phase", max_length=50) or None,
        school_id=_owned(School, _int_arg("school"), organisation_id),
        role=role if role in ROLE_LABELS else None,
        module_id=_owned(Module, _int_arg("module"), organisation_id),
    )


def drill_down(organisation_id: int) -> tuple[int | None, tuple[str, ...]]:
    """The requirement column and the statuses (one, or a group such as "gap") asked for."""
    column_id = _owned(Requirement, _int_arg("column"), organisation_id)
    wanted = request.args.get("status") or None
    if wanted is None:
        return column_id, ()
    if wanted in GROUPS:
        return column_id, GROUPS[wanted]
    if wanted not in {s.value for s in Status}:
        abort(400, description="That status is not one the tool knows.")
    return column_id, (wanted,)
