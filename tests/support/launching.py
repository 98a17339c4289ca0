"""Drive a complete LTI launch through the Flask test client: login initiation, the platform's
auth step (played by ``TestPlatform``), and the form post back to the tool."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.support.platform import TestPlatform


@dataclass
class Launch:
    login: TestResponse
    form: dict[str, str]
    response: TestResponse


def login(
    client: FlaskClient, platform: TestPlatform, *, method: str | None = None, **login_options: Any
) -> TestResponse:
    params = platform.login_params(**login_options)
    if (method or platform.login_method) == "GET":
        return client.get("/lti/login", query_string=params)
    return client.post("/lti/login", data=params)


def launch(
    client: FlaskClient,
    platform: TestPlatform,
    *,
    login_options: dict[str, Any] | None = None,
    **token_overrides: Any,
) -> Launch:
    """A full launch; ``token_overrides`` go to the platform's id_token (e.g. ``remove=[...]``)."""
    first = login(client, platform, **(login_options or {}))
    assert first.status_code == 302, first.get_data(as_text=True)[:500]
    form = platform.launch_form_from_redirect(first.headers["Location"], **token_overrides)
    response = client.post("/lti/launch", data=form)
    return Launch(first, form, response)


def follow(client: FlaskClient, response: TestResponse, limit: int = 5) -> TestResponse:
    """Follow redirects inside the tool (the test client keeps cookies)."""
    for _ in range(limit):
        if response.status_code not in (301, 302, 303):
            return response
        response = client.get(response.headers["Location"])
    return response
