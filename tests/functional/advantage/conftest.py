"""Fixtures for the LTI Advantage tests: the app on a fake clock and a fake network that speaks
the platforms' token endpoints, NRPS and AGS, and one LMS per dialect (Moodle, Canvas)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests.functional.advantage.helpers import Lms, install_tool_key, make_lms
from tests.support.advantage_platform import ServiceHttp
from tests.support.clock import FakeClock
from tests.support.factories import make_org


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake_http() -> ServiceHttp:
    """The app's one HttpClient (the root conftest installs this fixture's value)."""
    return ServiceHttp()


@pytest.fixture
def http(fake_http: ServiceHttp) -> ServiceHttp:
    return fake_http


@pytest.fixture(autouse=True)
def advantage_app(app: Flask, clock: FakeClock) -> Iterator[Flask]:
    app.extensions["clock"] = clock
    # Tests run queued jobs themselves unless they switch the after-response thread on.
    app.config["LTI_OUTBOX_AFTER_RESPONSE"] = False
    yield app
    app.extensions["lti_after_response"].wait()


@pytest.fixture
def tool_jwks(app: Flask, clock: FakeClock) -> dict[str, Any]:
    return install_tool_key(app, clock)


@pytest.fixture
def org_id(app: Flask) -> int:
    return make_org(app)


@pytest.fixture(params=["moodle", "canvas"])
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def lms(
    app: Flask,
    http: ServiceHttp,
    clock: FakeClock,
    org_id: int,
    dialect: str,
    tool_jwks: dict[str, Any],
) -> Lms:
    return make_lms(app, http, clock, org_id, dialect, tool_jwks)
