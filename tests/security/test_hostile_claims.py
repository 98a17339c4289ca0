"""An LMS's crafted claims never fail a launch with a 500 (issue 14, finding 7).

A NUL in a name or a course title (PostgreSQL refuses it), a lone surrogate (valid JSON, no
database takes it), a name past its column, a vertical tab: the launch lands, with the value
cleaned and cut to fit. A ``sub``, context id or resource link id holding such characters, or
longer than LTI's 255, is refused as an invalid launch (LTI.md, checks 11 and 12) with a page
an LMS admin can act on.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from cpd_tracker.extensions import db
from cpd_tracker.models import Course, Person
from lti import claims as c
from tests.functional.launch.conftest import org_id, platform
from tests.support.launching import launch
from tests.support.platform import TestPlatform

__all__ = ["org_id", "platform"]


def _context(title: str, *, context_id: str = "course-1", label: str = "CPD") -> dict[str, Any]:
    return {
        c.CONTEXT: {"id": context_id, "label": label, "title": title, "type": ["CourseSection"]}
    }


def _person(app: Flask, platform: TestPlatform) -> Person:
    with app.app_context():
        person = db.session.scalar(select(Person).where(Person.sub == platform.user("learner").sub))
        assert person is not None
        db.session.expunge(person)
        return person


@pytest.mark.parametrize(
    ("claims", "name", "given"),
    [
        ({"name": "Ada\x00 Lovelace"}, "Ada Lovelace", "Ada"),
        ({"name": "Ada\x0bLovelace"}, "Ada Lovelace", "Ada"),
        ({"name": "Ada \ud800Lovelace", "given_name": "A\x85da"}, "Ada Lovelace", "A da"),
        ({"name": "A" * 300}, "A" * 255, "Ada"),
        ({"name": "\x00\x01", "given_name": "\x7f"}, None, None),
    ],
)
def test_crafted_names_are_cleaned_and_cut_to_fit(
    app: Flask, platform: TestPlatform, claims: dict[str, Any], name: str | None, given: str | None
) -> None:
    client = app.test_client()
    claims = {"given_name": "Ada", **claims}
    result = launch(client, platform, login_options={"user": "learner"}, overrides=claims)
    assert result.response.status_code == 303, result.response.get_data(as_text=True)[:300]
    person = _person(app, platform)
    assert person.name == name
    assert person.given_name == given


def test_a_crafted_email_is_dropped_not_stored(app: Flask, platform: TestPlatform) -> None:
    client = app.test_client()
    overrides = {"email": "ada\x00@example.org"}
    result = launch(client, platform, login_options={"user": "learner"}, overrides=overrides)
    assert result.response.status_code == 303
    assert _person(app, platform).email is None


def test_a_crafted_course_title_is_cleaned(app: Flask, platform: TestPlatform) -> None:
    client = app.test_client()
    overrides = _context("SEND\x00 CPD\ud800 " + "x" * 400, label="L\x0b1")
    result = launch(client, platform, login_options={"user": "learner"}, overrides=overrides)
    assert result.response.status_code == 303, result.response.get_data(as_text=True)[:300]
    with app.app_context():
        course = db.session.scalar(select(Course))
        assert course is not None
        assert course.title is not None
        assert course.title.startswith("SEND CPD xxx")
        assert len(course.title) == 255
        assert course.label == "L 1"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"sub": "user\x00-1"}, "user identifier without control characters"),
        ({"sub": "user\ud800"}, "user identifier without control characters"),
        ({"sub": "u" * 256}, "LTI allows at most 255"),
        (_context("CPD", context_id="c\x00"), "an identifier without control characters"),
        (_context("CPD", context_id="c" * 256), "an identifier of at most 255 characters"),
        (
            {c.RESOURCE_LINK: {"id": "link\x00"}},
            "an identifier without control characters",
        ),
        ({c.DEPLOYMENT_ID: "1\x00"}, "an identifier without control characters"),
    ],
)
def test_crafted_identifiers_are_refused_as_invalid_launches(
    app: Flask, platform: TestPlatform, overrides: dict[str, Any], message: str
) -> None:
    client = app.test_client()
    result = launch(client, platform, login_options={"user": "learner"}, overrides=overrides)
    html = result.response.get_data(as_text=True)
    assert 400 <= result.response.status_code < 500, html[:300]
    assert message in html
    assert "Traceback" not in html
    with app.app_context():
        assert db.session.scalar(select(Person)) is None


@pytest.mark.parametrize("field", ["iss", "login_hint", "client_id", "target_link_uri"])
def test_a_nul_in_a_login_parameter_is_never_a_500(
    platform: TestPlatform, app: Flask, field: str
) -> None:
    """In a query string it is refused before anything reads it; posted, the login either
    refuses it (no such platform, not this tool's URL) or passes it on unread (``login_hint``
    is the LMS's own opaque value, echoed back to it)."""
    client = app.test_client()
    params = platform.login_params(user="learner")
    params[field] = params[field] + "\x00"
    assert client.get("/lti/login", query_string=params).status_code == 400
    response = client.post("/lti/login", data=params)
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    if field != "login_hint":
        assert response.status_code >= 400


@pytest.mark.parametrize(
    "form",
    [
        {"id_token": "a.b.c", "state": "s\x00"},
        {"id_token": "a.b.c", "state": "s\x00", "platform_state": "s\x00"},
        {"id_token": "a\x00.b.c", "state": "s"},
    ],
)
def test_a_nul_in_the_launch_post_is_refused(
    app: Flask, platform: TestPlatform, form: dict[str, str]
) -> None:
    response = app.test_client().post("/lti/launch", data=form)
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)[:300]


@pytest.mark.parametrize(
    "overrides",
    [{"iss": "https://moodle.example.org\x00"}, {"aud": "client\x00"}, {"aud": ["a", "b\x00"]}],
)
def test_a_nul_in_the_tokens_issuer_or_audience_is_refused(
    app: Flask, platform: TestPlatform, overrides: dict[str, Any]
) -> None:
    """The registration is looked up by these before the signature is checked."""
    client = app.test_client()
    result = launch(client, platform, login_options={"user": "learner"}, overrides=overrides)
    html = result.response.get_data(as_text=True)
    assert 400 <= result.response.status_code < 500, html[:300]
    assert "invalid_claim" in html
