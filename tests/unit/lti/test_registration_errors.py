"""lti.registration_errors.platform_reason: an LMS's own words are quoted, other bodies never."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
import requests

from lti.registration_errors import describe_body, platform_reason


def response(status: int, body: Any = None, *, text: str | None = None) -> requests.Response:
    answer = requests.Response()
    answer.status_code = status
    raw = text if text is not None else json.dumps(body)
    answer.raw = io.BytesIO(raw.encode())
    answer.encoding = "utf-8"
    return answer


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (response(400, text="token_already_used\n"), "token_already_used"),
        (
            response(400, text="missing required attribute client_name"),
            "missing required attribute client_name",
        ),
        (response(422, {"errors": ["Domain can't be blank"]}), "Domain can't be blank"),
        (response(401, {"errorMessage": "token expired"}), "token expired"),
        (
            response(400, {"error": "invalid_scope", "error_description": "none"}),
            "invalid_scope: none",
        ),
    ],
)
def test_lms_error_shapes_are_quoted(answer: requests.Response, reason: str) -> None:
    assert platform_reason(answer) == reason


@pytest.mark.parametrize(
    ("answer", "described"),
    [
        (response(200, text="db_password=hunter2"), "text that is not JSON (not shown)"),
        (response(404, text="user: admin\npass: x"), "text that is not JSON (not shown)"),
        (response(500, text="  <!doctype html><p>secret</p>"), "an HTML page (not shown)"),
        (response(400, {"password": "x"}), "JSON of another shape (not shown)"),
        (response(400, [1, 2]), "JSON of another shape (not shown)"),
        (response(302, text="moved"), "a redirect, which the tool does not follow"),
        (response(400, {"errors": ["<b>markup</b>"]}), "JSON of another shape (not shown)"),
    ],
)
def test_other_bodies_are_described_never_quoted(answer: requests.Response, described: str) -> None:
    assert platform_reason(answer) == described


def test_an_empty_refusal_says_so() -> None:
    assert platform_reason(response(500, text="")) == "HTTP 500 with an empty body"
    assert describe_body(response(200, text=" ")) == "an empty answer"


def test_long_error_lists_are_quoted_in_whole_items_with_a_count() -> None:
    errors = [f"field {i} is not valid for this registration request" for i in range(20)]

    reason = platform_reason(response(422, {"errors": errors}))

    assert len(reason) <= 320
    assert reason.startswith("field 0 is not valid")
    assert reason.endswith("more)")
    assert "field 19" not in reason


def test_one_error_too_long_to_quote_is_described() -> None:
    answer = response(400, {"error_description": "y" * 1000})
    assert platform_reason(answer) == "an error message too long to show"


def test_control_characters_and_runs_of_space_are_flattened() -> None:
    assert platform_reason(response(422, {"errors": ["bad\r\n\t  uri"]})) == "bad uri"
