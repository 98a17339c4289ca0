"""Token mix-up between two hosted Canvas schools: one issuer, one key set, two client ids.

Every hosted Canvas shares ``iss = https://canvas.instructure.com`` and one JWKS, so a token
for school A verifies with the same key as a token for school B. Registrations are keyed by
(iss, client_id), and the launch must match the login that started it.
"""

from __future__ import annotations

import pytest

from lti.errors import TokenLoginMismatch, UnknownPlatform
from lti.jwks import MemoryKeySetCache, PlatformKeys
from lti.launch import LaunchValidator
from lti.memory import MemoryLaunchStateStore, MemoryRegistrationStore
from tests.support.clock import FakeClock
from tests.support.http import FakeHttp
from tests.support.launcher import TOOL_HOSTS, Launcher, assert_clean
from tests.support.platform import TestPlatform


@pytest.fixture
def schools(clock: FakeClock) -> tuple[TestPlatform, TestPlatform, Launcher]:
    school_a = TestPlatform("canvas", client_id="10000000000001", clock=clock)
    school_b = TestPlatform("canvas", client_id="10000000000002", clock=clock)
    http = FakeHttp()
    school_a.serve_jwks(http)  # the same URL and key set as school_b's
    registrations = MemoryRegistrationStore([school_a.registration(), school_b.registration()])
    states = MemoryLaunchStateStore()
    keys = PlatformKeys(http, MemoryKeySetCache(), clock)
    validator = LaunchValidator(registrations, states, keys, clock=clock, tool_hosts=TOOL_HOSTS)
    return school_a, school_b, Launcher(school_a, registrations, states, validator, clock)


def test_both_schools_share_issuer_and_keys(
    schools: tuple[TestPlatform, TestPlatform, Launcher],
) -> None:
    school_a, school_b, _ = schools
    assert school_a.issuer == school_b.issuer
    assert school_a.key_set_url == school_b.key_set_url
    assert school_a.kid == school_b.kid


def test_each_school_lands_on_its_own_registration(
    schools: tuple[TestPlatform, TestPlatform, Launcher],
) -> None:
    school_a, school_b, launcher = schools
    for school in (school_a, school_b):
        auth = launcher.start(school)
        result = launcher.submit(school.id_token(nonce=auth.nonce), auth)
        assert result.registration.client_id == school.client_id


def test_school_a_token_cannot_complete_school_b_login(
    schools: tuple[TestPlatform, TestPlatform, Launcher],
) -> None:
    school_a, school_b, launcher = schools
    auth_b = launcher.start(school_b)
    token_a = school_a.id_token(nonce=auth_b.nonce)

    error = launcher.refused_token(TokenLoginMismatch, token_a, auth_b)
    assert school_a.client_id in error.message
    assert school_b.client_id in error.message


def test_a_token_for_several_schools_must_say_which(
    schools: tuple[TestPlatform, TestPlatform, Launcher],
) -> None:
    school_a, school_b, launcher = schools
    auth_a = launcher.start(school_a)
    both = [school_a.client_id, school_b.client_id]
    token = school_a.id_token(
        nonce=auth_a.nonce, overrides={"aud": both, "azp": school_b.client_id}
    )

    launcher.refused_token(TokenLoginMismatch, token, auth_a)


def test_login_without_client_id_is_ambiguous_for_a_shared_issuer(
    schools: tuple[TestPlatform, TestPlatform, Launcher],
) -> None:
    school_a, _, launcher = schools
    with pytest.raises(UnknownPlatform) as caught:
        launcher.start(school_a, send_client_id=False)
    assert_clean(caught.value)
    assert "client ID" in caught.value.message
