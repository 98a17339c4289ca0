"""What every platform shares: endpoints, the AGS scores URL, product family detection."""

from __future__ import annotations

from typing import Any

import pytest

from lti.platforms import TOOL_PLATFORM_CLAIM, PlatformEndpoints, detect_family, scores_url_for
from lti.platforms.moodle import EXT_CLAIM


@pytest.mark.parametrize(
    ("lineitem_url", "scores_url"),
    [
        (
            "https://canvas.example/api/lti/courses/1/line_items/7",
            "https://canvas.example/api/lti/courses/1/line_items/7/scores",
        ),
        (
            "https://canvas.example/api/lti/courses/1/line_items/7/",
            "https://canvas.example/api/lti/courses/1/line_items/7/scores",
        ),
        (
            "https://moodle.example/mod/lti/services.php/2/lineitems/5/lineitem?type_id=3",
            "https://moodle.example/mod/lti/services.php/2/lineitems/5/lineitem/scores?type_id=3",
        ),
        (
            "https://lms.example/items/5?a=1&b=two#frag",
            "https://lms.example/items/5/scores?a=1&b=two",
        ),
    ],
)
def test_scores_url_appends_to_the_path_and_keeps_the_query(
    lineitem_url: str, scores_url: str
) -> None:
    assert scores_url_for(lineitem_url) == scores_url


@pytest.mark.parametrize(
    ("claims", "family"),
    [
        ({TOOL_PLATFORM_CLAIM: {"product_family_code": "Moodle"}}, "moodle"),
        ({TOOL_PLATFORM_CLAIM: {"product_family_code": "desire2learn"}}, "desire2learn"),
        (
            {TOOL_PLATFORM_CLAIM: {"product_family_code": " "}, EXT_CLAIM: {"lms": "moodle-2"}},
            "moodle",
        ),
        ({TOOL_PLATFORM_CLAIM: "canvas", EXT_CLAIM: {"lms": "moodle-2"}}, "moodle"),
        ({TOOL_PLATFORM_CLAIM: {"guid": "x"}, "iss": "https://canvas.instructure.com"}, "canvas"),
        ({"iss": "https://lms.example", "https://www.instructure.com/placement": None}, "canvas"),
        ({"iss": "https://lms.example"}, None),
    ],
)
def test_detect_family(claims: dict[str, Any], family: str | None) -> None:
    assert detect_family(claims) == family


def test_endpoints_become_a_registration() -> None:
    endpoints = PlatformEndpoints(
        issuer="https://lms.example",
        auth_login_url="https://lms.example/auth",
        auth_token_url="https://lms.example/token",
        key_set_url="https://lms.example/jwks",
        auth_audience="https://lms.example/token-aud",
    )

    registration = endpoints.to_registration(
        "client-1", deployment_ids=frozenset({"d1"}), accept_new_deployments=True
    )

    assert (registration.issuer, registration.client_id) == ("https://lms.example", "client-1")
    assert registration.auth_login_url == "https://lms.example/auth"
    assert registration.auth_token_url == "https://lms.example/token"
    assert registration.key_set_url == "https://lms.example/jwks"
    assert registration.deployment_ids == frozenset({"d1"})
    assert registration.accept_new_deployments
    assert registration.auth_audience == "https://lms.example/token-aud"
    assert endpoints.to_registration("c").deployment_ids == frozenset()
