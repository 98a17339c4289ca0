"""Fixtures for the LTI layer: one fake LMS per dialect, its keys on a fake network, real stores.

Most tests take ``launcher`` and run once per dialect (Moodle and Canvas).
"""

from __future__ import annotations

import pytest

from lti.jwks import MemoryKeySetCache, PlatformKeys
from lti.launch import LaunchValidator
from lti.memory import MemoryLaunchStateStore, MemoryRegistrationStore
from tests.support.clock import FakeClock
from tests.support.http import FakeHttp
from tests.support.launcher import TOOL_HOSTS, Launcher
from tests.support.platform import TestPlatform


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["moodle", "canvas"])
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def platform(dialect: str, clock: FakeClock) -> TestPlatform:
    return TestPlatform(dialect, clock=clock)  # type: ignore[arg-type]


@pytest.fixture
def http(platform: TestPlatform) -> FakeHttp:
    fake = FakeHttp()
    platform.serve_jwks(fake)
    return fake


@pytest.fixture
def registrations(platform: TestPlatform) -> MemoryRegistrationStore:
    return MemoryRegistrationStore([platform.registration()])


@pytest.fixture
def states() -> MemoryLaunchStateStore:
    return MemoryLaunchStateStore()


@pytest.fixture
def keys(http: FakeHttp, clock: FakeClock) -> PlatformKeys:
    return PlatformKeys(http, MemoryKeySetCache(), clock)


@pytest.fixture
def validator(
    registrations: MemoryRegistrationStore,
    states: MemoryLaunchStateStore,
    keys: PlatformKeys,
    clock: FakeClock,
) -> LaunchValidator:
    return LaunchValidator(registrations, states, keys, clock=clock, tool_hosts=TOOL_HOSTS)


@pytest.fixture
def launcher(
    platform: TestPlatform,
    registrations: MemoryRegistrationStore,
    states: MemoryLaunchStateStore,
    validator: LaunchValidator,
    clock: FakeClock,
) -> Launcher:
    return Launcher(platform, registrations, states, validator, clock)
