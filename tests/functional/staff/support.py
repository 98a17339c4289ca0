"""Rows for the staff tests (people, modules, requirements, completions) and HTML helpers."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from flask import Flask
from sqlalchemy import select

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    Completion,
    CompletionMethod,
    Delivery,
    DueRule,
    Module,
    Person,
    Requirement,
    School,
    StaffRole,
    StaffRoleKind,
    Tier,
)
from tests.support.factories import school_id
from tests.support.platform import TestPlatform
from tests.support.platform_users import UserKind

ALDER = "100001"
BIRCH = "100002"


def person_id_of(app: Flask, platform: TestPlatform, kind: UserKind) -> int:
    sub = platform.user(kind).sub
    with app.app_context():
        found = db.session.scalar(select(Person.id).where(Person.sub == sub))
        assert found is not None
        return found


def add_person(
    app: Flask,
    urn: str,
    name: str,
    roles: Mapping[StaffRoleKind, dt.date | None] | None = None,
    **fields: Any,
) -> int:
    """A person on a school's staff (as an MIS import would make them: no LMS identity)."""
    sid = school_id(app, urn)
    with app.app_context():
        school = db.session.get(School, sid)
        assert school is not None
        given, family = name.split(" ", 1)
        person = Person(
            organisation_id=school.organisation_id,
            name=name,
            given_name=given,
            family_name=family,
            email=f"{given}.{family}@school.example.org".lower(),
            **fields,
        )
        db.session.add(person)
        db.session.flush()
        for role, started in (roles or {StaffRoleKind.TEACHER: None}).items():
            db.session.add(
                StaffRole(person_id=person.id, school_id=sid, role=role, started_on=started)
            )
        db.session.commit()
        return person.id


def add_module(app: Flask, org_id: int, title: str, hours: str = "1.5") -> int:
    with app.app_context():
        module = Module(
            organisation_id=org_id,
            slug="test-" + re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-"),
            title=title,
            tier=Tier.AWARENESS,
            delivery=Delivery.EXTERNAL,
            cpd_hours=Decimal(hours),
            provider="nasen",
        )
        db.session.add(module)
        db.session.commit()
        return module.id


def add_requirement(app: Flask, org_id: int, module_id: int, **fields: Any) -> int:
    with app.app_context():
        values: dict[str, Any] = {"due_rule": DueRule.DAYS_AFTER_START, "due_days": 60, **fields}
        requirement = Requirement(organisation_id=org_id, module_id=module_id, **values)
        db.session.add(requirement)
        db.session.commit()
        return requirement.id


def add_completion(
    app: Flask,
    person_id: int,
    module_id: int,
    on: dt.date,
    *,
    hours: str = "1.5",
    method: CompletionMethod = CompletionMethod.RECORDED,
    provider: str | None = None,
) -> int:
    with app.app_context():
        person = db.session.get(Person, person_id)
        assert person is not None
        completion = Completion(
            organisation_id=person.organisation_id,
            person_id=person_id,
            module_id=module_id,
            completed_on=on,
            method=method,
            cpd_hours=Decimal(hours),
            provider=provider,
        )
        db.session.add(completion)
        db.session.commit()
        return completion.id


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', html
    )
    assert found, f"no hidden {name}"
    return found.group(1)
