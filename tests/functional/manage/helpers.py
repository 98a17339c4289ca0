"""Helpers for the training setup tests: a trust with two schools, a second organisation, and
people signed in through real LTI launches, each with their own test client (cookie jar):

========  ==========================  =============================================
name      launch                      is
========  ==========================  =============================================
leader    Canvas admin                trust leader of Test Trust
lead_a    Moodle instructor, 100001   CPD lead of Alder Primary
lead_b    Canvas instructor, 100002   CPD lead of Birch Academy
staff     Moodle learner, 100001      staff member at Alder Primary
========  ==========================  =============================================
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    AuditEntry,
    Completion,
    CompletionMethod,
    Delivery,
    DueRule,
    Module,
    Person,
    Requirement,
    StaffRole,
    StaffRoleKind,
    Tier,
)
from tests.support.launching import launch
from tests.support.platform import TOOL_HOST, TestPlatform, UserKind

_USERS: dict[str, tuple[str, UserKind, str | None]] = {
    "leader": ("canvas", "admin", None),
    "lead_a": ("moodle", "instructor", "100001"),
    "lead_b": ("canvas", "instructor", "100002"),
    "staff": ("moodle", "learner", "100001"),
}


def new_client(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": TOOL_HOST})
    return client


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def submit(client: FlaskClient, url: str, data: dict[str, Any]) -> TestResponse:
    """GET the form (for its CSRF token), then POST ``data`` to the same address."""
    page = client.get(url)
    assert page.status_code == 200, text(page)[:800]
    return client.post(url, data={"csrf_token": csrf(text(page)), **data})


def count(app: Flask, model: Any, *where: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def audited(app: Flask, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


def module_row(app: Flask, module_id: int) -> Module:
    with app.app_context():
        found = db.session.get(Module, module_id)
        assert found is not None
        return found


def requirement_row(app: Flask, requirement_id: int) -> Requirement:
    with app.app_context():
        found = db.session.get(Requirement, requirement_id)
        assert found is not None
        return found


def requirements_of(app: Flask, module_id: int) -> list[Requirement]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Requirement)
                .where(Requirement.module_id == module_id)
                .order_by(Requirement.id)
            )
        )


def module_form(**changes: Any) -> dict[str, Any]:
    data = {
        "title": "Precision teaching",
        "summary": "Short daily sessions for fluency.",
        "category": "SEND",
        "tier": "enhanced",
        "delivery": "external",
        "cpd_hours": "3",
        "provider": "Local authority",
        "list_price": "£1,234.50",
        "default_validity_months": "24",
    }
    data.update(changes)
    return data


def requirement_form(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "module_id": "",
        "scope": "organisation",
        "roles": [],
        "due_rule": "days_after_start",
        "start_days": "90",
        "appointment_days": "",
        "due_day": "",
        "due_month": "",
        "expires": "months",
        "validity_months": "12",
        "window_days": "60",
        "due_soon_days": "30",
        "notes": "",
    }
    data.update(changes)
    return data


@dataclass
class World:
    app: Flask
    org_id: int
    other_org_id: int
    platforms: dict[str, TestPlatform]
    school_a: int
    school_b: int
    school_other: int
    #: Modules of Test Trust without requirements, made for these tests.
    module: int
    module2: int
    other_org_module: int
    other_org_requirement: int
    _clients: dict[str, FlaskClient] = field(default_factory=dict)

    def client(self, name: str) -> FlaskClient:
        """``name``'s signed-in client (launched on first use)."""
        if name not in self._clients:
            dialect, kind, urn = _USERS[name]
            client = new_client(self.app)
            options: dict[str, Any] = {"user": kind}
            if urn:
                options["custom"] = {"school_urn": urn}
            result = launch(client, self.platforms[dialect], login_options=options)
            assert result.response.status_code == 303, text(result.response)
            self._clients[name] = client
        return self._clients[name]

    def add_teacher(self, school: int, name: str, start: dt.date | None = None) -> int:
        """A teacher on a school's staff list who never launched (as after an MIS import)."""
        with self.app.app_context():
            person = Person(organisation_id=self.org_id, name=name, start_date=start)
            db.session.add(person)
            db.session.flush()
            db.session.add(
                StaffRole(
                    person_id=person.id,
                    school_id=school,
                    role=StaffRoleKind.TEACHER,
                    started_on=start,
                )
            )
            db.session.commit()
            return person.id

    def complete(self, person_id: int, module_id: int, on: dt.date) -> int:
        with self.app.app_context():
            row = Completion(
                organisation_id=self.org_id,
                person_id=person_id,
                module_id=module_id,
                completed_on=on,
                method=CompletionMethod.RECORDED,
                cpd_hours=Decimal("1"),
            )
            db.session.add(row)
            db.session.commit()
            return row.id

    def requirement(self, module_id: int, school_id: int | None = None, **values: Any) -> int:
        """A requirement row written directly (the service is tested elsewhere)."""
        with self.app.app_context():
            row = Requirement(
                organisation_id=self.org_id,
                module_id=module_id,
                school_id=school_id,
                roles=values.pop("roles", []),
                due_rule=values.pop("due_rule", DueRule.DAYS_AFTER_START),
                due_days=values.pop("due_days", 90),
                validity_months=values.pop("validity_months", None),
                **values,
            )
            db.session.add(row)
            db.session.commit()
            return row.id


def make_module(org_id: int, title: str, *, price: int | None = None) -> int:
    """Call inside an app context."""
    module = Module(
        organisation_id=org_id,
        slug=re.sub(r"[^a-z0-9]+", "-", title.lower()),
        title=title,
        tier=Tier.AWARENESS,
        delivery=Delivery.EXTERNAL,
        cpd_hours=Decimal("1.5"),
        provider="Test provider",
        list_price_pence=price,
    )
    db.session.add(module)
    db.session.flush()
    return module.id


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()
