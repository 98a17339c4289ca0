"""lti.deep_linking: reading the settings, building, signing and posting the response."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from lti import claims as c
from lti.advantage_errors import DeepLinkingError
from lti.deep_linking import (
    CONTENT_ITEMS,
    DATA,
    ERRORLOG,
    ERRORMSG,
    LOG,
    MSG,
    DeepLinkingSettings,
    LineItemSpec,
    ResourceLinkItem,
    auto_post_form,
    build_response,
    build_response_for_launch,
    sign_response,
)
from lti.keys import generate_key_pair, jwks
from tests.support.advantage_platform import (
    deep_linking_settings,
    other_tool_key,
    tool_key,
    verify_deep_linking_response,
)
from tests.support.clock import FakeClock
from tests.support.launcher import Launcher, assert_clean
from tests.support.platform import TOOL_HOST, TestPlatform

#: What Canvas puts in ``data``: a JWT it checks on return.
CANVAS_DATA = "eyJhbGciOiJIUzI1NiJ9.eyJwbGFjZW1lbnQiOiJsaW5rX3NlbGVjdGlvbiJ9.c2ln"
MODULE_URL = f"https://{TOOL_HOST}/lti/launch/modules/7"


def settings_for(platform: TestPlatform, **changes: Any) -> DeepLinkingSettings:
    """The settings each LMS really sends; Canvas always adds ``data``."""
    if platform.dialect == "canvas":
        changes.setdefault("data", CANVAS_DATA)
    return DeepLinkingSettings.from_claim(deep_linking_settings(platform, **changes))


def module_item(number: int = 7, *, line_item: bool = True) -> ResourceLinkItem:
    return ResourceLinkItem(
        f"SEND module {number}",
        url=f"https://{TOOL_HOST}/lti/launch/modules/{number}",
        custom={"module_id": str(number)},
        line_item=(
            LineItemSpec(label=f"SEND module {number}", resource_id=f"module-{number}")
            if line_item
            else None
        ),
        text="Complete the module and its knowledge check.",
    )


def respond(
    platform: TestPlatform,
    clock: FakeClock,
    settings: DeepLinkingSettings,
    items: Any,
    **kw: Any,
) -> dict[str, Any]:
    return build_response(
        settings,
        items,
        issuer_client_id=platform.client_id,
        platform_issuer=platform.issuer,
        deployment_id=platform.deployment_id,
        now=clock(),
        **kw,
    )


# ---------------------------------------------------------------- settings


def test_moodle_settings_are_read_as_moodle_sends_them(clock: FakeClock) -> None:
    settings = settings_for(TestPlatform("moodle", clock=clock))

    assert settings.accept_types == ("ltiResourceLink",)
    assert settings.accept_presentation_document_targets == ("frame", "iframe", "window")
    assert settings.accept_multiple is True
    assert settings.auto_create is False
    assert settings.accept_lineitem is None
    assert settings.data is None
    # Moodle sends empty title and text: no default text.
    assert settings.title is None
    assert settings.text is None
    assert settings.deep_link_return_url.endswith("contentitem_return.php?course=2&id=1")


def test_canvas_settings_ignore_canvas_bookkeeping_keys(clock: FakeClock) -> None:
    settings = settings_for(TestPlatform("canvas", clock=clock))

    assert settings.accept_multiple is False
    assert settings.auto_create is True
    assert settings.accept_media_types == "application/vnd.ims.lti.v1.ltilink"
    assert settings.data == CANVAS_DATA
    assert settings.accepts_resource_links


def test_absent_optional_settings_take_the_safe_defaults() -> None:
    settings = DeepLinkingSettings.from_claim(
        {"deep_link_return_url": "https://lms.example/return", "accept_types": "ltiResourceLink"}
    )

    assert settings.accept_types == ("ltiResourceLink",)  # a lone string tolerated
    assert settings.accept_presentation_document_targets == ()
    assert settings.accept_multiple is False  # one item: every platform takes that
    assert settings.accept_lineitem is None
    assert settings.accepts_line_items
    assert settings.auto_create is False


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(True, True), (False, False), ("true", True), (" FALSE ", False), ("yes", None), (1, None)],
)
def test_boolean_settings_tolerate_strings_only(raw: object, expected: bool | None) -> None:
    settings = DeepLinkingSettings.from_claim(
        {"deep_link_return_url": "https://lms.example/r", "accept_lineitem": raw}
    )
    assert settings.accept_lineitem is expected


def test_a_non_string_data_value_is_kept_to_be_echoed_unchanged() -> None:
    settings = DeepLinkingSettings.from_claim(
        {"deep_link_return_url": "https://lms.example/r", "data": {"opaque": [1, 2]}}
    )
    assert settings.data == {"opaque": [1, 2]}


@pytest.mark.parametrize(
    "claim",
    [
        None,
        ["not", "an", "object"],
        {},
        {"deep_link_return_url": ""},
        {"deep_link_return_url": 42},
        {"deep_link_return_url": "http://lms.example/return"},
        {"deep_link_return_url": "javascript:alert(1)"},
        {"deep_link_return_url": "https://user:pw@lms.example/return"},
    ],
)
def test_settings_without_a_safe_return_url_are_refused(claim: Any) -> None:
    with pytest.raises(DeepLinkingError) as caught:
        DeepLinkingSettings.from_claim(claim)
    assert_clean(caught.value)
    assert caught.value.hint


@pytest.mark.parametrize(
    "url",
    ["http://localhost:8080/mod/lti/return.php", "http://127.0.0.1/r", "http://moodle.localhost/r"],
)
def test_loopback_http_return_urls_are_allowed_for_local_lms_installs(url: str) -> None:
    assert DeepLinkingSettings.from_claim({"deep_link_return_url": url}).deep_link_return_url == url


# ---------------------------------------------------------------- the response claims


def test_moodle_response_claims_are_exactly_the_specs(clock: FakeClock) -> None:
    platform = TestPlatform("moodle", clock=clock)
    settings = settings_for(platform)

    claims = respond(platform, clock, settings, [module_item()], nonce="nonce-1")

    now = clock.timestamp
    assert claims == {
        "iss": platform.client_id,
        "aud": platform.issuer,
        "azp": platform.client_id,
        "iat": now,
        "exp": now + 300,
        "nonce": "nonce-1",
        c.DEPLOYMENT_ID: "1",
        c.MESSAGE_TYPE: "LtiDeepLinkingResponse",
        c.VERSION: "1.3.0",
        CONTENT_ITEMS: [
            {
                "type": "ltiResourceLink",
                "title": "SEND module 7",
                "url": MODULE_URL,
                "text": "Complete the module and its knowledge check.",
                "custom": {"module_id": "7"},
                "lineItem": {"scoreMaximum": 1, "label": "SEND module 7", "resourceId": "module-7"},
            }
        ],
    }


def test_canvas_response_claims_are_exactly_the_specs_with_data_echoed(clock: FakeClock) -> None:
    platform = TestPlatform("canvas", clock=clock)
    settings = settings_for(platform)
    item = ResourceLinkItem(
        "SEND awareness",
        line_item=LineItemSpec(
            score_maximum=1, label="SEND awareness", resource_id="m-1", tag="cpd"
        ),
    )

    claims = respond(platform, clock, settings, [item], nonce="nonce-2", message="Added.")

    now = clock.timestamp
    assert claims == {
        "iss": "10000000000001",
        "aud": "https://canvas.instructure.com",
        "azp": "10000000000001",
        "iat": now,
        "exp": now + 300,
        "nonce": "nonce-2",
        c.DEPLOYMENT_ID: "12:8865aa05b4b79b64a91a86042e43af5ea8ae79eb",
        c.MESSAGE_TYPE: "LtiDeepLinkingResponse",
        c.VERSION: "1.3.0",
        CONTENT_ITEMS: [
            {
                "type": "ltiResourceLink",
                "title": "SEND awareness",
                "lineItem": {
                    "scoreMaximum": 1,
                    "label": "SEND awareness",
                    "resourceId": "m-1",
                    "tag": "cpd",
                },
            }
        ],
        DATA: CANVAS_DATA,
        MSG: "Added.",
    }


def test_data_is_echoed_unchanged_whatever_its_shape(
    platform: TestPlatform, clock: FakeClock
) -> None:
    for data in ("", "csrftoken:c7fbba78", {"nested": ["x"]}):
        settings = settings_for(platform, data=data)
        assert respond(platform, clock, settings, [module_item()])[DATA] == data


def test_no_data_claim_when_the_request_had_none(clock: FakeClock) -> None:
    platform = TestPlatform("moodle", clock=clock)
    assert DATA not in respond(platform, clock, settings_for(platform), [module_item()])


def test_every_response_gets_a_fresh_nonce(platform: TestPlatform, clock: FakeClock) -> None:
    settings = settings_for(platform)
    first = respond(platform, clock, settings, [module_item()])
    second = respond(platform, clock, settings, [module_item()])
    assert first["nonce"] != second["nonce"]
    assert len(first["nonce"]) >= 32


def test_an_empty_selection_is_a_valid_answer_even_where_links_are_not_accepted(
    platform: TestPlatform, clock: FakeClock
) -> None:
    settings = settings_for(platform, accept_types=["link"])
    claims = respond(
        platform, clock, settings, [], error_message="Nothing chosen.", error_log="cancelled"
    )
    assert claims[CONTENT_ITEMS] == []
    assert claims[ERRORMSG] == "Nothing chosen."
    assert claims[ERRORLOG] == "cancelled"
    assert MSG not in claims


def test_log_message_is_sent_when_given(platform: TestPlatform, clock: FakeClock) -> None:
    claims = respond(platform, clock, settings_for(platform), [module_item()], log="module 7")
    assert claims[LOG] == "module 7"


def test_line_items_are_left_out_only_when_the_platform_says_it_ignores_them(
    platform: TestPlatform, clock: FakeClock
) -> None:
    ignored = respond(
        platform, clock, settings_for(platform, accept_lineitem=False), [module_item()]
    )
    honoured = respond(
        platform, clock, settings_for(platform, accept_lineitem=True), [module_item()]
    )

    assert "lineItem" not in ignored[CONTENT_ITEMS][0]
    assert "lineItem" in honoured[CONTENT_ITEMS][0]


def test_an_item_without_url_custom_text_or_line_item_is_minimal(
    platform: TestPlatform, clock: FakeClock
) -> None:
    claims = respond(platform, clock, settings_for(platform), [ResourceLinkItem("Module")])
    assert claims[CONTENT_ITEMS] == [{"type": "ltiResourceLink", "title": "Module"}]


def test_several_items_go_where_accept_multiple_allows(clock: FakeClock) -> None:
    moodle = TestPlatform("moodle", clock=clock)
    claims = respond(moodle, clock, settings_for(moodle), [module_item(1), module_item(2)])
    assert [i["title"] for i in claims[CONTENT_ITEMS]] == ["SEND module 1", "SEND module 2"]


# ---------------------------------------------------------------- refusals


def test_two_items_are_refused_when_accept_multiple_is_false(clock: FakeClock) -> None:
    canvas = TestPlatform("canvas", clock=clock)  # Canvas sends accept_multiple: false

    with pytest.raises(DeepLinkingError, match="accepts only one") as caught:
        respond(canvas, clock, settings_for(canvas), [module_item(1), module_item(2)])
    assert_clean(caught.value)
    assert "one at a time" in caught.value.hint


def test_items_are_refused_when_accept_types_lacks_lti_resource_link(
    platform: TestPlatform, clock: FakeClock
) -> None:
    settings = settings_for(platform, accept_types=["link", "html"])

    with pytest.raises(DeepLinkingError, match="accepts: link, html") as caught:
        respond(platform, clock, settings, [module_item()])
    assert_clean(caught.value)


def test_items_are_refused_when_accept_types_is_missing(
    platform: TestPlatform, clock: FakeClock
) -> None:
    with pytest.raises(DeepLinkingError, match="accepts: none"):
        respond(platform, clock, settings_for(platform, accept_types=None), [module_item()])


@pytest.mark.parametrize("missing", ["issuer_client_id", "platform_issuer", "deployment_id"])
def test_every_identifier_is_required(
    platform: TestPlatform, clock: FakeClock, missing: str
) -> None:
    ids = {
        "issuer_client_id": platform.client_id,
        "platform_issuer": platform.issuer,
        "deployment_id": platform.deployment_id,
        missing: "",
    }
    with pytest.raises(ValueError, match=missing):
        build_response(settings_for(platform), [module_item()], now=clock(), **ids)


def test_a_naive_time_is_refused(platform: TestPlatform) -> None:
    with pytest.raises(ValueError, match="timezone"):
        build_response(
            settings_for(platform),
            [],
            issuer_client_id="c",
            platform_issuer="i",
            deployment_id="d",
            now=datetime(2025, 1, 15, 10, 0),  # naive: the point of the test
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"title": ""}, "title"),
        ({"title": "T", "url": "ftp://tool/x"}, "http"),
        ({"title": "T", "url": "/relative"}, "http"),
        ({"title": "T", "custom": {"n": 1}}, "strings"),
    ],
)
def test_malformed_items_are_programming_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ResourceLinkItem(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"score_maximum": 0}, "positive"), ({"label": ""}, "label")],
)
def test_malformed_line_items_are_programming_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LineItemSpec(**{"label": "L", "resource_id": "r", **kwargs})


def test_custom_parameters_are_frozen_copies() -> None:
    custom = {"module_id": "7"}
    item = ResourceLinkItem("Module", custom=custom)
    custom["module_id"] = "8"

    assert item.custom == {"module_id": "7"}
    with pytest.raises(TypeError):
        item.custom["module_id"] = "9"  # type: ignore[index]


# ---------------------------------------------------------------- signing and posting


def test_the_signed_response_is_verified_by_the_platform_with_the_tools_jwks(
    platform: TestPlatform, clock: FakeClock
) -> None:
    settings = settings_for(platform)
    claims = respond(platform, clock, settings, [module_item()])
    key = tool_key()

    token = sign_response(claims, key.private_pem, key.kid)
    action, fields = auto_post_form(settings, token)
    clock.advance(20)  # the teacher's browser posts it a moment later
    verified = verify_deep_linking_response(
        platform, fields, clock=clock, expected_data=settings.data
    )

    assert action == settings.deep_link_return_url
    assert fields == {"JWT": token}
    assert verified == claims


def test_moodles_return_url_keeps_its_query_string(clock: FakeClock) -> None:
    moodle = TestPlatform("moodle", clock=clock)
    action, _ = auto_post_form(settings_for(moodle), "jwt")
    assert action == "https://moodle.example.org/mod/lti/contentitem_return.php?course=2&id=1"


def test_a_response_signed_with_an_unpublished_key_fails_verification(
    platform: TestPlatform, clock: FakeClock
) -> None:
    claims = respond(platform, clock, settings_for(platform), [module_item()])
    stranger = other_tool_key()
    token = sign_response(claims, stranger.private_pem, stranger.kid)

    with pytest.raises(AssertionError, match="not in the tool's JWKS"):
        verify_deep_linking_response(platform, {"JWT": token}, clock=clock)


def test_a_response_is_stale_after_five_minutes(platform: TestPlatform, clock: FakeClock) -> None:
    settings = settings_for(platform)
    key = tool_key()
    token = sign_response(respond(platform, clock, settings, []), key.private_pem, key.kid)
    clock.advance(301)

    with pytest.raises(AssertionError, match="expired"):
        verify_deep_linking_response(
            platform, {"JWT": token}, clock=clock, expected_data=settings.data
        )


def test_an_encrypted_tool_key_signs_with_its_passphrase(
    platform: TestPlatform, clock: FakeClock
) -> None:
    key = generate_key_pair(passphrase=b"app secret")
    settings = settings_for(platform)
    claims = respond(platform, clock, settings, [module_item()])

    token = sign_response(claims, key.private_pem, key.kid, b"app secret")

    verified = verify_deep_linking_response(
        platform,
        {"JWT": token},
        clock=clock,
        tool_key_set=jwks([key.public_jwk]),
        expected_data=settings.data,
    )
    assert verified[CONTENT_ITEMS] == claims[CONTENT_ITEMS]


# ---------------------------------------------------------------- from a real launch


def test_a_deep_linking_launch_is_answered_with_its_own_ids(
    launcher: Launcher, platform: TestPlatform, clock: FakeClock
) -> None:
    context = launcher.accepted(user="instructor", message_type=c.DEEP_LINKING_REQUEST).context

    settings, claims = build_response_for_launch(
        context, [module_item()], now=clock(), message="Module added."
    )

    assert settings.deep_link_return_url == context.deep_linking_settings["deep_link_return_url"]  # type: ignore[index]
    key = tool_key()
    _, fields = auto_post_form(settings, sign_response(claims, key.private_pem, key.kid))
    verified = verify_deep_linking_response(platform, fields, clock=clock)
    assert verified[MSG] == "Module added."
    assert verified[c.DEPLOYMENT_ID] == context.deployment_id


def test_a_resource_link_launch_cannot_be_answered_as_a_deep_link(launcher: Launcher) -> None:
    context = launcher.accepted(user="instructor").context

    with pytest.raises(DeepLinkingError, match="not a Deep Linking request") as caught:
        build_response_for_launch(context, [], now=datetime.now(UTC))
    assert_clean(caught.value)
