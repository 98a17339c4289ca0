"""Moodle quirks: endpoint preset, AGS scores URL, launch fingerprint, registration hints."""

from __future__ import annotations

import pytest

from lti.platforms import moodle


@pytest.mark.parametrize(
    ("site_url", "issuer"),
    [
        ("https://moodle.school.org.uk", "https://moodle.school.org.uk"),
        ("https://moodle.school.org.uk/", "https://moodle.school.org.uk"),
        (" https://www.school.org.uk/moodle/ ", "https://www.school.org.uk/moodle"),
        ("http://localhost:8080", "http://localhost:8080"),
    ],
)
def test_preset_derives_every_endpoint_from_the_site_url(site_url: str, issuer: str) -> None:
    endpoints = moodle.preset(site_url)

    assert endpoints.issuer == issuer
    assert endpoints.auth_login_url == f"{issuer}/mod/lti/auth.php"
    assert endpoints.auth_token_url == f"{issuer}/mod/lti/token.php"
    assert endpoints.key_set_url == f"{issuer}/mod/lti/certs.php"
    assert endpoints.product_family == "moodle"
    assert endpoints.auth_audience is None


@pytest.mark.parametrize(
    ("site_url", "match"),
    [
        ("moodle.school.org.uk", "http"),
        ("ftp://moodle.school.org.uk", "http"),
        ("https://", "http"),
        ("https://moodle.school.org.uk/?lang=en", "query"),
        ("https://moodle.school.org.uk/#top", "fragment"),
    ],
)
def test_preset_refuses_anything_but_a_site_url(site_url: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        moodle.preset(site_url)


def test_scores_url_keeps_moodles_query_after_the_path() -> None:
    url = "https://moodle.school.org.uk/mod/lti/services.php/2/lineitems/5/lineitem?type_id=3"

    assert moodle.scores_url(url) == (
        "https://moodle.school.org.uk/mod/lti/services.php/2/lineitems/5/lineitem/scores?type_id=3"
    )


def test_fingerprint_is_the_ext_lms_claim() -> None:
    ext = moodle.EXT_CLAIM

    assert moodle.sent({ext: {"lms": "moodle-2"}})
    assert not moodle.sent({ext: {"lms": "sakai"}})
    assert not moodle.sent({ext: "moodle-2"})
    assert not moodle.sent({})


def test_error_hint_turns_moodle_codes_into_instructions() -> None:
    assert "Manage tools" in (moodle.error_hint(" token_already_used\n") or "")
    assert moodle.error_hint("missing_registration_token") is not None
    assert moodle.error_hint("missing required attribute client_name") is None
