"""Helpers for the records tests: a trust with two schools and a second organisation, and
people signed in through real LTI launches, each with their own test client (cookie jar):

=============  ==========================  =============================================
name           launch                      is
=============  ==========================  =============================================
lead_a         Moodle instructor, 100001   CPD lead of Alder Primary (and on its staff)
staff_a        Moodle learner, 100001      staff member at Alder Primary
staff_a2       Moodle mentor, 100001       another staff member at Alder Primary
lead_b         Canvas instructor, 100002   CPD lead of Birch Academy
staff_b        Canvas TA, 100002           staff member at Birch Academy
trust          Canvas admin                trust leader of Test Trust
other_lead     other Moodle, 200001        CPD lead of Elm School in Other Trust
other_staff    other Moodle, 200001        staff member at Elm School in Other Trust
=============  ==========================  =============================================
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    AuditEntry,
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
from tests.support.platform import TOOL_HOST, TestPlatform
from tests.support.platform_users import UserKind

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40

_USERS: dict[str, tuple[str, UserKind, str | None]] = {
    "lead_a": ("moodle", "instructor", "100001"),
    "staff_a": ("moodle", "learner", "100001"),
    "staff_a2": ("moodle", "mentor", "100001"),
    "lead_b": ("canvas", "instructor", "100002"),
    "staff_b": ("canvas", "ta", "100002"),
    "trust": ("canvas", "admin", None),
    "other_lead": ("other", "instructor", "200001"),
    "other_staff": ("other", "learner", "200001"),
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
    """The page as a reader sees it (entities such as &#39; turned back into characters)."""
    return html.unescape(response.get_data(as_text=True))


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


@dataclass
class World:
    app: Flask
    org_id: int
    other_org_id: int
    platforms: dict[str, TestPlatform]
    registrations: dict[str, int]
    school_a: int
    school_b: int
    school_other: int
    external_module: int
    inset_module: int
    in_tool_module: int
    other_org_module: int
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
            assert result.response.status_code == 303, result.response.get_data(as_text=True)
            self._clients[name] = client
        return self._clients[name]

    def person_id(self, name: str) -> int:
        self.client(name)
        dialect, kind, _ = _USERS[name]
        platform = self.platforms[dialect]
        with self.app.app_context():
            found = db.session.scalar(
                select(Person.id).where(
                    Person.registration_id == self.registrations[dialect],
                    Person.sub == platform.user(kind).sub,
                )
            )
        assert found is not None
        return found

    def add_staff(self, school: int, name: str, org_id: int | None = None) -> int:
        """Someone on a school's staff list who never launched (as after an MIS import)."""
        with self.app.app_context():
            person = Person(organisation_id=org_id or self.org_id, name=name)
            db.session.add(person)
            db.session.flush()
            db.session.add(
                StaffRole(person_id=person.id, school_id=school, role=StaffRoleKind.TEACHER)
            )
            db.session.commit()
            return person.id

    def evidence_dir(self) -> Path:
        return Path(self.app.instance_path) / "evidence"

    def stored_files(self) -> list[Path]:
        root = self.evidence_dir()
        return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def make_module(
    org_id: int, slug: str, title: str, delivery: Delivery, hours: str, *, requirement: bool
) -> int:
    module = Module(
        organisation_id=org_id,
        slug=slug,
        title=title,
        tier=Tier.AWARENESS,
        delivery=delivery,
        cpd_hours=Decimal(hours),
        provider="Test provider",
    )
    db.session.add(module)
    db.session.flush()
    if requirement:
        # Everyone, within 90 days of starting, never expires: with no start date recorded
        # the launched staff are "due" until they complete it.
        db.session.add(
            Requirement(
                organisation_id=org_id,
                module_id=module.id,
                roles=[],
                due_rule=DueRule.DAYS_AFTER_START,
                due_days=90,
                validity_months=None,
            )
        )
    return module.id


def days_ago(days: int) -> dt.date:
    return dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days)


def uk(day: dt.date) -> str:
    return f"{day.day}/{day.month}/{day.year}"
