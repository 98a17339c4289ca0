"""lti.claims: the LaunchContext built from a verified launch, and the safe claim readers."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import pytest

from lti import claims as c
from lti.errors import InvalidClaim, MissingClaim
from tests.support.launcher import Launcher


@pytest.mark.parametrize("dialect", ["moodle"])
def test_moodle_context(launcher: Launcher) -> None:
    context = launcher.accepted(user="instructor", custom={"school_urn": "100000"}).context

    assert context.context_types == ("CourseSection",)
    assert context.context_id == "2"
    assert context.resource_link_id == "7"
    assert context.product_family == "moodle"
    assert context.claims["https://purl.imsglobal.org/spec/lti/claim/ext"]["lms"] == "moodle-2"
    assert context.custom["school_urn"] == "100000"
    assert context.ags is not None
    assert "?type_id=1" in context.ags["lineitem"]


@pytest.mark.parametrize("dialect", ["canvas"])
def test_canvas_context_ignores_extra_keys(launcher: Launcher) -> None:
    context = launcher.accepted(user="ta").context

    assert context.context_types == (
        "http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering",
    )
    assert context.product_family == "canvas"
    assert context.resource_link_title == "SEND awareness"
    assert context.claims[c.LTI11_LEGACY_USER_ID]
    assert context.claims["https://www.instructure.com/placement"] == "course_navigation"
    assert context.roles.is_teaching_assistant
    assert not context.roles.is_instructor


def test_context_fields(launcher: Launcher) -> None:
    context = launcher.accepted(user="learner").context
    person = launcher.platform.user("learner")

    assert context.issuer == launcher.platform.issuer
    assert context.client_id == launcher.platform.client_id
    assert context.name == person.name
    assert context.given_name == person.given_name
    assert context.family_name == person.family_name
    assert context.email == person.email
    assert context.display_name == person.name
    assert context.context_title == "SEND CPD"
    assert context.context_label == "SEND101"
    assert context.locale == "en"
    assert context.return_url
    assert context.return_url.startswith("https://")
    assert context.nrps is not None
    assert context.deep_linking_settings is None


def test_claims_and_custom_are_read_only(launcher: Launcher) -> None:
    context = launcher.accepted(custom={"a": {"b": [1, 2]}}).context

    assert isinstance(context.custom, MappingProxyType)
    assert isinstance(context.claims, MappingProxyType)
    assert context.custom["a"]["b"] == (1, 2)
    with pytest.raises(TypeError):
        context.custom["a"] = 1  # type: ignore[index]
    with pytest.raises(TypeError):
        context.claims[c.CONTEXT]["id"] = "other"


def test_product_family_is_lower_cased(launcher: Launcher) -> None:
    platform = {"product_family_code": "Moodle", "guid": "x"}
    assert launcher.accepted(overrides={c.TOOL_PLATFORM: platform}).context.product_family == (
        "moodle"
    )


def test_locale_falls_back_to_the_top_level_claim(launcher: Launcher) -> None:
    context = launcher.accepted(
        overrides={c.LAUNCH_PRESENTATION: {"document_target": "iframe"}, "locale": "cy"}
    ).context
    assert context.locale == "cy"
    assert context.return_url is None


def test_missing_optional_claims_leave_fields_empty(launcher: Launcher) -> None:
    optional = [
        c.CONTEXT,
        c.TOOL_PLATFORM,
        c.LAUNCH_PRESENTATION,
        c.NRPS,
        c.AGS,
        c.CUSTOM,
        "locale",
    ]
    context = launcher.accepted(remove=optional).context

    assert context.context_id is None
    assert context.context_types == ()
    assert context.product_family is None
    assert context.locale is None
    assert context.nrps is None
    assert context.ags is None
    assert dict(context.custom) == {}


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("name", 42),
        ("email", ["a@b.c"]),
        ("given_name", ""),
        ("family_name", None),
    ],
)
def test_personal_data_of_the_wrong_type_is_ignored(
    launcher: Launcher, claim: str, value: object
) -> None:
    context = launcher.accepted(overrides={claim: value}).context
    assert getattr(context, claim) is None


def test_garbage_inside_optional_objects_is_ignored(launcher: Launcher) -> None:
    context = launcher.accepted(
        overrides={
            c.CONTEXT: {"id": 12, "title": 5, "type": "CourseSection"},
            c.TOOL_PLATFORM: {"product_family_code": 7},
            c.LAUNCH_PRESENTATION: {"locale": ["en"], "return_url": 3},
        },
        remove=["locale"],
    ).context
    assert context.context_id == "12"
    assert context.context_title is None
    assert context.context_types == ()
    assert context.product_family is None
    assert context.locale is None
    assert context.return_url is None


@pytest.mark.parametrize(
    "claim", [c.LAUNCH_PRESENTATION, c.TOOL_PLATFORM, c.CUSTOM, c.NRPS, c.AGS, c.CONTEXT]
)
@pytest.mark.parametrize("value", ["text", ["list"], 5])
def test_an_object_claim_that_is_not_an_object_is_refused(
    launcher: Launcher, claim: str, value: object
) -> None:
    error = launcher.refused(InvalidClaim, overrides={claim: value})
    assert error.claim == claim  # type: ignore[attr-defined]


def test_context_types_keep_only_strings(launcher: Launcher) -> None:
    context_claim = {"id": "c", "type": ["CourseSection", 5, None]}
    context = launcher.accepted(overrides={c.CONTEXT: context_claim}).context
    assert context.context_types == ("CourseSection",)


# ---------------------------------------------------------------- readers


def test_object_claim() -> None:
    assert c.object_claim({}, c.CONTEXT) == {}
    assert c.object_claim({c.CONTEXT: {"id": "1"}}, c.CONTEXT) == {"id": "1"}
    with pytest.raises(MissingClaim):
        c.object_claim({}, c.CONTEXT, required=True)
    with pytest.raises(InvalidClaim):
        c.object_claim({c.CONTEXT: []}, c.CONTEXT)


@pytest.mark.parametrize(("value", "expected"), [("abc", "abc"), (12, "12"), (0, "0")])
def test_identifier_accepts_strings_and_integers(value: object, expected: str) -> None:
    assert c.identifier(value, "x") == expected


@pytest.mark.parametrize("value", [True, None, 1.5, [], {}, ""])
def test_identifier_refuses_everything_else(value: object) -> None:
    with pytest.raises(InvalidClaim):
        c.identifier(value, "x")


def test_frozen_is_deep() -> None:
    value: Any = c.frozen({"a": [{"b": 1}], "c": (2,)})
    assert value["a"][0]["b"] == 1
    assert isinstance(value["a"], tuple)
    assert isinstance(value["a"][0], MappingProxyType)
    assert value["c"] == (2,)


@pytest.mark.parametrize("text", ["a\x00", "\x0b", "x\x9by", "lone\ud800"])
def test_has_control_characters(text: str) -> None:
    assert c.has_control_characters(text)
    assert not c.has_control_characters("Siân Jones 7:abc/é")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("c\x00", "without control characters"),
        ("c" * 256, "at most 255 characters"),
    ],
)
def test_an_identifier_with_control_characters_or_too_long_is_refused(
    value: str, expected: str
) -> None:
    with pytest.raises(InvalidClaim, match=expected):
        c.identifier(value, c.CONTEXT, max_length=c.MAX_ID_LENGTH)
    assert c.identifier("c" * 255, c.CONTEXT, max_length=c.MAX_ID_LENGTH) == "c" * 255
