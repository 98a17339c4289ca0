"""The tool as other people's LTI platforms meet it: real HTTP on loopback both ways.

The tool runs on the root conftest's app (SQLite, or PostgreSQL with ``TEST_DATABASE_URL``).
The person's browser is played through the Flask test client; everything a platform calls
(the tool's JWKS) goes to the same app served on loopback, and everything the tool calls (the
platform's JWKS, token endpoint, AGS, NRPS) goes over real HTTP through the app's one
``HttpClient`` (:class:`~tests.support.loopback.LossyHttp`). The tool's clock is real time
(the libraries stamp their tokens with ``time.time()``) that tests can move ahead.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests.functional.advantage.helpers import install_tool_key
from tests.support.factories import make_org
from tests.support.loopback import LoopbackServer, LossyHttp, ShiftedClock


@pytest.fixture
def clock() -> ShiftedClock:
    return ShiftedClock()


@pytest.fixture
def fake_http() -> LossyHttp:
    """Replaces the root conftest's fake network: these tests call real servers."""
    return LossyHttp()


@pytest.fixture
def http(fake_http: LossyHttp) -> LossyHttp:
    return fake_http


@pytest.fixture(autouse=True)
def interop_app(app: Flask, clock: ShiftedClock) -> Iterator[Flask]:
    app.extensions["clock"] = clock
    # Tests run queued jobs themselves (run_outbox), in the order they choose.
    app.config["LTI_OUTBOX_AFTER_RESPONSE"] = False
    yield app
    app.extensions["lti_after_response"].wait()


@pytest.fixture
def tool_jwks(app: Flask, clock: ShiftedClock) -> dict[str, Any]:
    return install_tool_key(app, clock)  # type: ignore[arg-type]


@pytest.fixture
def tool_server(app: Flask, tool_jwks: dict[str, Any]) -> Iterator[LoopbackServer]:
    """The tool itself on loopback, for the platforms to fetch its JWKS from."""
    server = LoopbackServer(app, name="tool").start()
    yield server
    server.stop()


@pytest.fixture
def tool_keyset_url(tool_server: LoopbackServer) -> str:
    return f"{tool_server.url}/.well-known/jwks.json"


@pytest.fixture
def org_id(app: Flask) -> int:
    return make_org(app)
