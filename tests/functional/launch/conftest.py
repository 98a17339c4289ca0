from __future__ import annotations

import pytest
from flask import Flask

from tests.support.factories import make_org, register
from tests.support.http import FakeHttp
from tests.support.platform import TestPlatform


@pytest.fixture
def org_id(app: Flask) -> int:
    return make_org(app)


@pytest.fixture(params=["moodle", "canvas"])
def platform(
    request: pytest.FixtureRequest, app: Flask, fake_http: FakeHttp, org_id: int
) -> TestPlatform:
    platform = TestPlatform(request.param)
    platform.serve_jwks(fake_http)
    register(app, platform, org_id)
    return platform


@pytest.fixture
def canvas(app: Flask, fake_http: FakeHttp, org_id: int) -> TestPlatform:
    """A Canvas platform alone, for behaviour only Canvas has."""
    platform = TestPlatform("canvas")
    platform.serve_jwks(fake_http)
    register(app, platform, org_id)
    return platform
