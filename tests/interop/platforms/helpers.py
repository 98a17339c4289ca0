"""Tool-side helpers for the interop tests: registering a platform by hand (as an admin types
its details in), running the outbox until it is idle, reading the tool's rows."""

from __future__ import annotations

from typing import Any

import jwt
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from cpd_tracker.extensions import db
from cpd_tracker.models import Organisation, Person, ServiceJob
from cpd_tracker.services.audit import Actor, AuditService
from cpd_tracker.services.outbox import RunReport
from cpd_tracker.services.registrations import PlatformDetails, RegistrationService
from tests.functional.advantage.helpers import csrf, new_client, run_outbox
from tests.support.loopback import Browser, ShiftedClock, read_form

__all__ = [
    "browser",
    "choose_modules",
    "id_token_claims",
    "jobs",
    "people",
    "register_platform",
    "run_until_idle",
]


def register_platform(
    app: Flask,
    org_id: int,
    *,
    name: str,
    issuer: str,
    client_id: str,
    deployment_id: str,
    auth_login_url: str,
    auth_token_url: str,
    key_set_url: str,
    product_family: str | None = None,
) -> int:
    """``cpd-tracker platform add custom ...``: returns the registration id."""
    with app.app_context():
        org = db.session.get(Organisation, org_id)
        assert org is not None
        service = RegistrationService(db.session, AuditService(db.session, Actor("test")))
        row = service.add_platform(
            org,
            PlatformDetails(
                name=name,
                issuer=issuer,
                client_id=client_id,
                auth_login_url=auth_login_url,
                auth_token_url=auth_token_url,
                key_set_url=key_set_url,
                product_family=product_family,
            ),
            deployment_ids=[deployment_id],
            accept_new_deployments=False,
            created_via="cli",
        )
        db.session.commit()
        return row.id


def browser(app: Flask) -> Browser:
    client: FlaskClient = new_client(app)
    return Browser(client)


def id_token_claims(form_fields: dict[str, str]) -> dict[str, Any]:
    """The launch's claims as the platform's library wrote them (the tool checked the
    signature; this only reads)."""
    claims: dict[str, Any] = jwt.decode(
        form_fields["id_token"], options={"verify_signature": False}
    )
    return claims


def run_until_idle(
    app: Flask, clock: ShiftedClock | None = None, rounds: int = 5
) -> list[RunReport]:
    """Run due outbox jobs until a run attempts nothing (a job may queue another, e.g. a
    line item found or created before its score)."""
    reports = []
    for _ in range(rounds):
        report = run_outbox(app)
        reports.append(report)
        if report.attempted == 0:
            return reports
    return reports


def jobs(app: Flask) -> list[ServiceJob]:
    with app.app_context():
        rows = list(db.session.scalars(select(ServiceJob).order_by(ServiceJob.id)))
        db.session.expunge_all()
        return rows


def people(app: Flask, registration_id: int) -> dict[str, Person]:
    with app.app_context():
        rows = list(
            db.session.scalars(select(Person).where(Person.registration_id == registration_id))
        )
        db.session.expunge_all()
        return {str(p.sub): p for p in rows}


def choose_modules(tool: FlaskClient, picker: TestResponse, *module_ids: int) -> dict[str, Any]:
    """Pick modules in the tool's deep linking picker; returns the auto-submitted form the
    tool answers with (action = the platform's return URL, field ``JWT``)."""
    page = picker.get_data(as_text=True)
    answer = tool.post(
        picker.request.path,
        data={"csrf_token": csrf(page), "action": "add", "modules": [str(i) for i in module_ids]},
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)[:800]
    form = read_form(answer.get_data(as_text=True))
    return {"action": form.action, "fields": form.fields}
