"""Fixtures for the staff pages: an organisation with two schools (Alder, Birch), a Moodle
platform, and clients signed in through real launches."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lti import claims as c
from tests.functional.staff.support import ALDER
from tests.support.factories import make_org, register
from tests.support.http import FakeHttp
from tests.support.launching import launch
from tests.support.platform import TOOL_HOST, TestPlatform
from tests.support.platform_users import UserKind


@pytest.fixture
def org_id(app: Flask) -> int:
    return make_org(app)


@pytest.fixture
def platform(app: Flask, fake_http: FakeHttp, org_id: int) -> TestPlatform:
    # Who may see what does not depend on the LMS dialect (the launch tests cover both).
    platform = TestPlatform("moodle")
    platform.serve_jwks(fake_http)
    register(app, platform, org_id)
    return platform


SignIn = Callable[..., FlaskClient]


@pytest.fixture
def sign_in(app: Flask, platform: TestPlatform) -> SignIn:
    """A fresh client signed in through a real launch as ``kind`` from a course for ``urn``:
    "learner" is a staff member of that school, "instructor" its CPD lead, "admin" (Moodle
    sends site administrators institution roles) a trust leader."""

    def signed_in(kind: UserKind, urn: str | None = ALDER) -> FlaskClient:
        client = app.test_client()
        client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": TOOL_HOST})
        options: dict[str, Any] = {"user": kind}
        if urn is not None:
            options["custom"] = {"school_urn": urn}
            # One LMS course per school: a course is mapped to one school, once.
            options["overrides"] = {
                c.CONTEXT: {
                    "id": f"course-{urn}",
                    "label": urn,
                    "title": f"CPD {urn}",
                    "type": ["CourseSection"],
                }
            }
        result = launch(client, platform, login_options=options)
        assert result.response.status_code == 303, result.response.get_data(as_text=True)[:300]
        return client

    return signed_in
