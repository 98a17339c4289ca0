"""Fixtures for the LTI Advantage services: a fake LMS's token endpoint, NRPS and gradebook on a
fake network, and the tool's token client. Most tests run once per dialect (Moodle, Canvas)."""

from __future__ import annotations

import pytest

from lti.registration import Registration
from lti.service_tokens import MemoryTokenCache, ServiceTokenClient
from tests.support.advantage_platform import AdvantagePlatform, ServiceHttp, tool_signer
from tests.support.clock import FakeClock
from tests.support.platform import TestPlatform


@pytest.fixture
def http(platform: TestPlatform) -> ServiceHttp:
    """The fake network, with the platform's launch keys on it (for the ``launcher`` fixture)."""
    fake = ServiceHttp()
    platform.serve_jwks(fake)
    return fake


@pytest.fixture
def lms(platform: TestPlatform, http: ServiceHttp, clock: FakeClock) -> AdvantagePlatform:
    services = AdvantagePlatform(platform, http, clock)
    services.trust_tool()
    return services


@pytest.fixture
def registration(platform: TestPlatform) -> Registration:
    return platform.registration()


@pytest.fixture
def cache() -> MemoryTokenCache:
    return MemoryTokenCache()


@pytest.fixture
def tokens(http: ServiceHttp, clock: FakeClock, cache: MemoryTokenCache) -> ServiceTokenClient:
    return ServiceTokenClient(http, tool_signer(), clock, cache)
