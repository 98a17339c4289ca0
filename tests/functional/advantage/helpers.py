"""Helpers for the LTI Advantage tests: a fake Moodle or Canvas with its token endpoint, NRPS and
gradebook on the app's fake network, launches that carry the Advantage claims, and the outbox.

The app's clock and the platform's are one :class:`~tests.support.clock.FakeClock`, so tests
move time past backoffs. Jobs queued by a request run when a test says so (:func:`run_outbox`),
unless a test switches the after-response thread on (``LTI_OUTBOX_AFTER_RESPONSE``) and waits
for it (:func:`settle`).
"""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from cpd_tracker.extensions import db
from cpd_tracker.lti_outbox import run_jobs
from cpd_tracker.models import Course, Module, Person, ServiceJob, ToolKey
from cpd_tracker.services.keys import KeyService
from cpd_tracker.services.outbox import RunReport
from lti import claims as c
from lti import roles as r
from lti.keys import ToolKeyPair, generate_key_pair
from tests.support.advantage_platform import (
    ALL_SCOPES,
    AdvantagePlatform,
    ServiceHttp,
    deep_linking_settings,
)
from tests.support.clock import FakeClock
from tests.support.factories import register
from tests.support.launching import Launch, follow, launch
from tests.support.platform import TOOL_HOST, TestPlatform
from tests.support.platform_users import UserKind

SECRET = "test-secret-key-not-for-production"
LAUNCH_URL = f"https://{TOOL_HOST}/lti/launch"
IN_TOOL = "send-code-of-practice-essentials"
AGS_SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
]


@functools.cache
def tool_key_pair() -> ToolKeyPair:
    """The tool's signing key, encrypted with the test SECRET_KEY (made once: keys are slow)."""
    return generate_key_pair(passphrase=SECRET.encode())


def install_tool_key(app: Flask, clock: FakeClock) -> dict[str, Any]:
    """Give the app its signing key; returns the tool's JWKS (what the LMS registers)."""
    pair = tool_key_pair()
    with app.app_context():
        db.session.add(
            ToolKey(
                kid=pair.kid,
                private_pem=pair.private_pem,
                public_jwk=pair.public_jwk,
                created_at=clock(),
            )
        )
        db.session.commit()
        return KeyService(db.session, secret=SECRET, clock=clock).jwks()


def new_client(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": TOOL_HOST})
    return client


@dataclass
class Lms:
    """One registered LMS: the launching platform and its Advantage services."""

    platform: TestPlatform
    services: AdvantagePlatform
    registration_id: int
    org_id: int

    @property
    def dialect(self) -> str:
        return self.platform.dialect

    @property
    def gradebook(self) -> Any:
        return self.services.gradebook

    def sub(self, user: UserKind) -> str:
        sub = self.platform.user(user).sub
        assert sub is not None
        return sub

    def launch(
        self,
        client: FlaskClient,
        user: UserKind = "learner",
        *,
        module: str | None = None,
        lineitem: str | None = None,
        ags: bool = True,
        scopes: list[str] | None = None,
        custom: dict[str, Any] | None = None,
        resource_link_id: str | None = None,
        nrps: bool = True,
        lineitems_only: bool = False,
        **login_options: Any,
    ) -> Launch:
        """A resource link launch; ``module`` sets the custom parameter, ``lineitem`` the AGS
        claim's line item (``ags=False`` drops the claim; ``lineitems_only`` sends the
        context's ``lineitems`` and no ``lineitem``, as Open edX does in programmatic mode)."""
        custom = dict(custom or {})
        if module is not None:
            custom["module"] = module
        overrides: dict[str, Any] = dict(login_options.pop("overrides", {}))
        if ags and lineitems_only:
            overrides[c.AGS] = {
                "scope": list(AGS_SCOPES if scopes is None else scopes),
                "lineitems": self.services.lineitems_url,
            }
        elif ags and lineitem is not None:
            overrides[c.AGS] = {
                "scope": list(AGS_SCOPES if scopes is None else scopes),
                "lineitems": self.services.lineitems_url,
                "lineitem": lineitem,
            }
        remove = list(login_options.pop("remove", []))
        if not ags:
            remove.append(c.AGS)
        if not nrps:
            remove.append(c.NRPS)
        if resource_link_id is not None:
            base = self.platform.claims(nonce="n")[c.RESOURCE_LINK]
            overrides[c.RESOURCE_LINK] = {**base, "id": resource_link_id}
        options: dict[str, Any] = {"user": user, **login_options}
        if custom:
            options["custom"] = custom
        if overrides:
            options["overrides"] = overrides
        if remove:
            options["remove"] = remove
        return launch(client, self.platform, login_options=options)

    def deep_link(
        self, client: FlaskClient, user: UserKind = "instructor", **changes: Any
    ) -> Launch:
        """An LtiDeepLinkingRequest; ``changes`` edit the deep_linking_settings claim."""
        custom = changes.pop("custom", None)
        options: dict[str, Any] = {
            "user": user,
            "message_type": c.DEEP_LINKING_REQUEST,
            "overrides": {c.DEEP_LINKING_SETTINGS: deep_linking_settings(self.platform, **changes)},
        }
        if custom:
            options["custom"] = custom
        return launch(client, self.platform, login_options=options)

    def member(self, user: UserKind, **fields: Any) -> dict[str, Any]:
        """The NRPS entry of one of the platform's launch users."""
        person = self.platform.user(user)
        roles = [r.INSTRUCTOR] if user == "instructor" else [r.LEARNER]
        entry: dict[str, Any] = {
            "user_id": person.sub,
            "roles": roles,
            "name": person.name,
            "given_name": person.given_name,
            "family_name": person.family_name,
            "email": person.email,
            "status": "Active",
        }
        entry.update(fields)
        return entry


def make_lms(
    app: Flask,
    http: ServiceHttp,
    clock: FakeClock,
    org_id: int,
    dialect: str,
    tool_jwks: dict[str, Any],
    *,
    client_id: str | None = None,
    members: list[Any] | None = None,
    scopes: Any = ALL_SCOPES,
) -> Lms:
    platform = TestPlatform(dialect, clock=clock, client_id=client_id)  # type: ignore[arg-type]
    platform.serve_jwks(http)
    registration_id = register(app, platform, org_id)
    services = AdvantagePlatform(platform, http, clock, members=members or [])
    services.trust_tool(tool_jwks, scopes)
    return Lms(platform, services, registration_id, org_id)


# ---------------------------------------------------------------- the outbox


def run_outbox(app: Flask) -> RunReport:
    with app.app_context():
        session = db.new_session()
        try:
            return run_jobs(session)
        finally:
            session.close()


def settle(app: Flask, *responses: TestResponse) -> None:
    """Close responses (their ``call_on_close`` starts the after-response runs) and wait."""
    for response in responses:
        response.close()
    app.extensions["lti_after_response"].wait()


def jobs(app: Flask) -> list[ServiceJob]:
    with app.app_context():
        rows = list(db.session.scalars(select(ServiceJob).order_by(ServiceJob.id)))
        db.session.expunge_all()
        return rows


# ---------------------------------------------------------------- data


def module(app: Flask, org_id: int, slug: str = IN_TOOL) -> Module:
    with app.app_context():
        found = db.session.scalar(
            select(Module).where(Module.organisation_id == org_id, Module.slug == slug)
        )
        assert found is not None
        _ = [q.options for q in found.questions], found.pages
        db.session.expunge(found)
        return found


def person(app: Flask, registration_id: int, sub: str) -> Person:
    with app.app_context():
        found = db.session.scalar(
            select(Person).where(Person.registration_id == registration_id, Person.sub == sub)
        )
        assert found is not None
        db.session.expunge(found)
        return found


def course(app: Flask, registration_id: int) -> Course:
    with app.app_context():
        found = db.session.scalar(select(Course).where(Course.registration_id == registration_id))
        assert found is not None
        db.session.expunge(found)
        return found


def text(response: TestResponse) -> str:
    """The page as a reader sees it (entities decoded)."""
    return html.unescape(response.get_data(as_text=True))


def csrf(page: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, "no csrf_token in the page"
    return match.group(1)


def hidden_fields(page: str) -> dict[str, str]:
    return {
        html.unescape(name): html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    }


def form_action(page: str, marker: str = "data-autosubmit") -> str:
    match = re.search(rf'<form method="post" action="([^"]+)" {marker}>', page)
    assert match, "no auto-submitted form in the page"
    return html.unescape(match.group(1))


def pass_module(client: FlaskClient, mod: Module) -> TestResponse:
    """Take the in-tool module's knowledge check and pass it."""
    page = client.get(f"/modules/{mod.id}/check").get_data(as_text=True)
    paper = re.search(r'name="paper" value="([^"]+)"', page)
    assert paper, "no sealed paper in the knowledge check"
    answers: dict[str, Any] = {"csrf_token": csrf(page), "paper": paper.group(1)}
    for q in mod.questions:
        answers[f"q{q.id}"] = [str(o.id) for o in q.options if o.correct]
    response = client.post(f"/modules/{mod.id}/check", data=answers)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response


def land(client: FlaskClient, result: Launch) -> TestResponse:
    assert result.response.status_code == 303, result.response.get_data(as_text=True)[:800]
    return follow(client, result.response)
