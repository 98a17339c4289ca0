"""Fixtures for the import pages: an organisation with two schools (Alder 100001, Birch
100002), a Moodle platform, clients signed in through real launches, and CSV uploads."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from html import unescape
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import TestResponse, encode_multipart

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    AuditEntry,
    Completion,
    ImportUpload,
    Person,
    StaffRole,
)
from lti import claims as c
from tests.support.factories import make_org, register, school_id
from tests.support.http import FakeHttp
from tests.support.launching import launch
from tests.support.platform import TOOL_HOST, TestPlatform
from tests.support.platform_users import UserKind

ALDER = "100001"
BIRCH = "100002"


@pytest.fixture
def org_id(app: Flask) -> int:
    return make_org(app)


@pytest.fixture
def platform(app: Flask, fake_http: FakeHttp, org_id: int) -> TestPlatform:
    # Who may import does not depend on the LMS dialect (the launch tests cover both).
    platform = TestPlatform("moodle")
    platform.serve_jwks(fake_http)
    register(app, platform, org_id)
    return platform


def browser(app: Flask, *, cookies: bool = True) -> FlaskClient:
    client = app.test_client(use_cookies=cookies)
    client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": TOOL_HOST})
    return client


SignIn = Callable[..., FlaskClient]


@pytest.fixture
def sign_in(app: Flask, platform: TestPlatform) -> SignIn:
    """A fresh client signed in through a real launch as ``kind`` from a course for ``urn``:
    "learner" is a staff member of that school, "instructor" its CPD lead, "admin" (Moodle
    sends site administrators institution roles) a trust leader."""

    def signed_in(
        kind: UserKind, urn: str = ALDER, target: TestPlatform | None = None
    ) -> FlaskClient:
        client = browser(app)
        options: dict[str, Any] = {
            "user": kind,
            "custom": {"school_urn": urn},
            # One LMS course per school: a course is mapped to one school, once.
            "overrides": {
                c.CONTEXT: {
                    "id": f"course-{urn}",
                    "label": urn,
                    "title": f"CPD {urn}",
                    "type": ["CourseSection"],
                }
            },
        }
        result = launch(client, target or platform, login_options=options)
        assert result.response.status_code == 303, result.response.get_data(as_text=True)[:300]
        return client

    return signed_in


def hidden(html: str, name: str) -> str:
    for tag in re.findall(r"<input[^>]*>", html):
        if f'name="{name}"' in tag:
            value = re.search(r'value="([^"]*)"', tag)
            return unescape(value.group(1)) if value else ""
    raise AssertionError(f"no input {name} in page")


def upload(
    client: FlaskClient,
    data: bytes,
    *,
    kind: str = "staff",
    school: int | None = None,
    file_name: str = "staff.csv",
    extra: dict[str, str] | None = None,
    csrf: bool = True,
) -> TestResponse:
    """GET the upload page, then POST the file with its CSRF token (as a browser does)."""
    page = client.get(f"/imports/{kind}")
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    html = page.get_data(as_text=True)
    form: dict[str, Any] = {"school_id": str(school) if school is not None else hidden_school(html)}
    if csrf:
        form["csrf_token"] = hidden(html, "csrf_token")
    form.update(extra or {})
    return post_file(client, f"/imports/{kind}", form, data, file_name)


def post_file(
    client: FlaskClient, path: str, fields: dict[str, str], data: bytes, file_name: str
) -> TestResponse:
    """A multipart POST built in memory (the test client's own encoder spools large bodies to
    a temporary file it never closes, which ``filterwarnings = error`` rightly fails on)."""
    values = MultiDict(fields)
    values.add("file", FileStorage(io.BytesIO(data), filename=file_name, content_type="text/csv"))
    boundary, body = encode_multipart(values)
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def hidden_school(html: str) -> str:
    """The school the page selected (a hidden input when there is one choice)."""
    selected = re.search(r'<option selected value="([^"]+)"', html) or re.search(
        r'<option value="([^"]+)" selected', html
    )
    if selected:
        return selected.group(1)
    return hidden(html, "school_id")


def apply(client: FlaskClient, location: str) -> TestResponse:
    page = client.get(location)
    assert page.status_code == 200, page.get_data(as_text=True)[:800]
    csrf = hidden(page.get_data(as_text=True), "csrf_token")
    return client.post(location + "/apply", data={"csrf_token": csrf})


def counts(app: Flask) -> dict[str, int]:
    """Rows per table an import may write, to prove a refused one wrote nothing."""
    with app.app_context():
        return {
            model.__tablename__: db.session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Person, StaffRole, Completion, AuditEntry, ImportUpload)
        }


def school(app: Flask, urn: str) -> int:
    return school_id(app, urn)
