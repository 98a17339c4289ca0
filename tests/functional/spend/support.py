"""Rows and helpers for the spend tests."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    AuditEntry,
    FundingSource,
    Module,
    Permission,
    PermissionKind,
    PermissionSource,
    Purchase,
)
from cpd_tracker.rules.money import RuleScope, ShareBasis
from cpd_tracker.services.audit import Actor, AuditService
from cpd_tracker.services.spend import (
    MembershipDetails,
    PurchaseDetails,
    RuleDetails,
    SpendService,
)
from tests.functional.staff.support import hidden, person_id_of
from tests.support.platform import TestPlatform


def service() -> SpendService:
    return SpendService(
        db.session, AuditService(db.session, Actor("test")), lambda: dt.datetime.now(dt.UTC)
    )


def provider(app: Flask, org_id: int, name: str = "nasen") -> int:
    with app.app_context():
        row = service().save_provider(org_id, name, "association", "", None)
        db.session.commit()
        return row.id


def module_id(app: Flask, org_id: int, slug: str = "autism-awareness") -> int:
    with app.app_context():
        found = db.session.scalar(
            select(Module.id).where(Module.organisation_id == org_id, Module.slug == slug)
        )
        assert found is not None
        return found


def membership(
    app: Flask,
    org_id: int,
    provider_id: int,
    *,
    fee: int = 150_000,
    percent: str = "20",
    cap: int | None = None,
    starts: dt.date = dt.date(2025, 9, 1),
    ends: dt.date = dt.date(2026, 8, 31),
    school_id: int | None = None,
    basis: ShareBasis = ShareBasis.PUPILS,
) -> int:
    with app.app_context():
        spend = service()
        row = spend.save_membership(
            org_id,
            MembershipDetails(
                "nasen full membership", provider_id, school_id, fee, starts, ends, basis
            ),
            None,
        )
        spend.add_rule(
            row, RuleDetails(RuleScope.PROVIDER, Decimal(percent), cap, provider_id=provider_id)
        )
        db.session.commit()
        return row.id


def purchase(app: Flask, org_id: int, provider_id: int, school_id: int | None, **kw: Any) -> int:
    values: dict[str, Any] = {
        "school_id": school_id,
        "provider_id": provider_id,
        "module_id": None,
        "course_title": "Autism good practice",
        "purchased_on": dt.date(2025, 10, 1),
        "delegates": 1,
        "list_price_pence": 25_000,
        "discount_pence": None,
        "discount_reason": "",
        "supply_pence": 0,
        "supply_code": None,
        "travel_pence": 0,
        "funding_source": FundingSource.SCHOOL_BUDGET if school_id else FundingSource.TRUST_CENTRAL,
    }
    values.update(kw)
    with app.app_context():
        row = service().save_purchase(org_id, PurchaseDetails(**values), None, recorded_by_id=None)
        db.session.commit()
        return row.id


def grant_finance(app: Flask, platform: TestPlatform, kind: Any) -> int:
    person_id = person_id_of(app, platform, kind)
    with app.app_context():
        db.session.add(
            Permission(
                person_id=person_id, kind=PermissionKind.FINANCE, source=PermissionSource.OVERRIDE
            )
        )
        db.session.commit()
    return person_id


def count(app: Flask, model: Any = Purchase) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def audit_actions(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def post(client: FlaskClient, path: str, form_page: str, data: dict[str, Any]) -> Any:
    """POST ``data`` to ``path`` with the CSRF token from the page at ``form_page``."""
    html = client.get(form_page).get_data(as_text=True)
    return client.post(path, data={"csrf_token": hidden(html, "csrf_token"), **data})


def table_cells(html: str, heading_id: str) -> list[list[str]]:
    """The body cells of the table after the heading with ``heading_id``, as text."""
    start = html.index(f'id="{heading_id}"')
    body = html[start:]
    body = body[body.index("<tbody") : body.index("</tbody>")]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
        rows.append([_text(c) for c in cells])
    return rows


def _text(cell: str) -> str:
    text = re.sub(r"<[^>]+>", "", cell)
    return " ".join(text.replace("&amp;", "&").replace("&#39;", "'").split())
