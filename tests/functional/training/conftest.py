from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.factories import make_org, register
from tests.support.http import FakeHttp
from tests.support.launching import launch
from tests.support.platform import TestPlatform


@pytest.fixture
def org_id(app: Flask) -> int:
    return make_org(app)


@pytest.fixture
def platform(app: Flask, fake_http: FakeHttp, org_id: int) -> TestPlatform:
    platform = TestPlatform("moodle")
    platform.serve_jwks(fake_http)
    register(app, platform, org_id)
    return platform


@pytest.fixture
def teacher(client: FlaskClient, platform: TestPlatform) -> FlaskClient:
    """The test client, signed in as a staff member of Alder Primary (URN 100001)."""
    result = launch(client, platform, login_options={"custom": {"school_urn": "100001"}})
    assert result.response.status_code == 303
    return client
