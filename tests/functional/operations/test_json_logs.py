"""JSON logs (issue 18, item 1): one object per line, with the request's reference, route
and organisation, and nothing personal or secret."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from flask import Flask

from cpd_tracker.logging_setup import JsonFormatter
from tests.functional.operations.conftest import browser
from tests.support.launching import follow, launch
from tests.support.platform import TestPlatform


@pytest.fixture
def json_log(app: Flask, caplog: pytest.LogCaptureFixture) -> Iterator[io.StringIO]:
    """The log as an operator reads it with ``CPD_TRACKER_LOG_FORMAT=json``."""
    app.config["LOG_FORMAT"] = "json"
    caplog.set_level(logging.INFO)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logging.getLogger().addHandler(handler)
    yield stream
    logging.getLogger().removeHandler(handler)


def test_every_line_is_json_with_the_request_and_nothing_personal(
    app: Flask, platform: TestPlatform, json_log: io.StringIO
) -> None:
    teacher = browser(app)
    started = launch(teacher, platform, login_options={"user": "instructor"})
    page = follow(teacher, started.response)  # the landing page's URL carries ?lt=<token>
    assert page.status_code == 200
    token = started.response.headers["Location"].split("lt=")[1].split("&")[0]
    refused = browser(app).post("/lti/launch?iss=https://x.example&login_hint=ian", data={})
    assert refused.status_code == 400
    missing = browser(app).get("/no-such-page?email=ian.instructor@school.example.org")
    assert missing.status_code == 404

    json_lines = json_log.getvalue().splitlines()
    lines = [json.loads(line) for line in json_lines]  # each line parses on its own
    assert lines
    for line in lines:
        assert {"time", "level", "logger", "message"} <= line.keys()
    text = "\n".join(json_lines)
    user = platform.user("instructor")
    for secret in (token, user.email, user.name, user.family_name, "login_hint", "?"):
        assert secret
        assert secret not in text, secret

    access = [line for line in lines if line["logger"] == "cpd_tracker.access"]
    assert {line["status"] for line in access} >= {200, 303, 400, 404}
    for line in access:
        assert isinstance(line["duration_ms"], float)
        assert line["correlation_id"]
        assert line["method"] in {"GET", "POST"}
    landing = next(line for line in access if line["status"] == 200 and line["method"] == "GET")
    assert landing["organisation_id"] > 0
    assert landing["route"].startswith("/")
    refusal = next(line for line in lines if line["message"].startswith("LTI refused"))
    assert refusal["route"] == "/lti/launch"
    assert refusal["correlation_id"] == refused.headers["X-Correlation-Id"]
    assert next(line for line in access if line["status"] == 404)["message"] == (
        "GET (no route) 404"
    )


def test_text_stays_the_default(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    assert app.config["LOG_FORMAT"] == "text"
    browser(app).get("/lti/config?x=1")
    assert not [r for r in caplog.records if r.name == "cpd_tracker.access"]
