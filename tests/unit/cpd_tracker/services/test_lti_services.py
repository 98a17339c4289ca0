"""The pure parts of the LTI Advantage services: reading the AGS and NRPS claims of a launch,
the custom module parameter, the picker's filters, and who may deep link."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import pytest

from cpd_tracker.models import PermissionKind
from cpd_tracker.services.advantage import module_slug
from cpd_tracker.services.deep_linking import PickerFilters, _thaw, may_deep_link
from cpd_tracker.services.identity import SignIn
from cpd_tracker.services.permissions import Suggestion
from cpd_tracker.services.roster import RosterReport, memberships_url
from cpd_tracker.services.scores import ags_endpoint
from lti.claims import frozen
from lti.context import LaunchContext
from lti.roles import Roles

SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"


def _launch(**fields: Any) -> LaunchContext:
    values: dict[str, Any] = {
        "issuer": "https://lms.example.org",
        "client_id": "c",
        "deployment_id": "1",
        "message_type": "LtiResourceLinkRequest",
        "sub": "s",
        "roles": Roles(),
        "target_link_uri": "https://tool.example.org/lti/launch",
        **fields,
    }
    return LaunchContext(**values)


def test_ags_endpoint_reads_the_claim_as_sent() -> None:
    claim = frozen(
        {
            "scope": [SCORE, LINEITEM, SCORE, 7],
            "lineitems": "https://moodle.example.org/mod/lti/services.php/2/lineitems?type_id=1",
            "lineitem": "https://moodle.example.org/mod/lti/services.php/2/lineitems/5/lineitem?type_id=1",
        }
    )
    lineitem, lineitems, scopes = ags_endpoint(claim)
    assert lineitem is not None
    assert lineitem.endswith("/lineitems/5/lineitem?type_id=1")
    assert lineitems is not None
    assert scopes == sorted({SCORE, LINEITEM})


@pytest.mark.parametrize(
    "claim",
    [
        None,
        {"lineitem": "http://lms.example.org/li/1", "scope": [SCORE]},  # clear text
        {"lineitem": "https://lms.example.org/" + "a" * 1000, "scope": SCORE},  # too long
        {"lineitem": 5, "scope": None},
    ],
)
def test_ags_endpoint_drops_what_cannot_be_used(claim: dict[str, Any] | None) -> None:
    lineitem, _, scopes = ags_endpoint(claim)
    assert lineitem is None
    if claim is None or not isinstance(claim.get("scope"), list):
        assert scopes == []


def test_loopback_http_service_urls_are_allowed_for_local_lms_installs() -> None:
    lineitem, _, _ = ags_endpoint({"lineitem": "http://localhost:8080/li/1"})
    assert lineitem == "http://localhost:8080/li/1"


@pytest.mark.parametrize(
    ("claim", "expected"),
    [
        (
            {"context_memberships_url": "https://lms.example.org/nrps"},
            "https://lms.example.org/nrps",
        ),
        ({"context_memberships_url": "http://lms.example.org/nrps"}, None),
        ({"context_memberships_url": ""}, None),
        ({"service_versions": ["2.0"]}, None),
        (None, None),
    ],
)
def test_memberships_url(claim: dict[str, Any] | None, expected: str | None) -> None:
    launch = _launch(nrps=MappingProxyType(claim) if claim is not None else None)
    assert memberships_url(launch) == expected


@pytest.mark.parametrize(
    ("custom", "expected"),
    [
        ({"module": "send-awareness"}, "send-awareness"),
        ({"module": "  send-awareness  "}, "send-awareness"),
        ({"module": 12}, "12"),
        ({"module": ""}, None),
        ({"module": True}, None),
        ({"module": ["x"]}, None),
        ({}, None),
    ],
)
def test_module_slug(custom: dict[str, Any], expected: str | None) -> None:
    assert module_slug(_launch(custom=MappingProxyType(custom))) == expected


def test_picker_filters_parse_and_ignore_nonsense() -> None:
    filters = PickerFilters.parse({"q": "  autism ", "tier": "specialist", "role": "senco"})
    assert filters == PickerFilters("autism", "specialist", "senco")
    assert filters.active
    assert PickerFilters.parse({"tier": "expert"}).tier is None
    assert not PickerFilters.parse({}).active
    assert len(PickerFilters.parse({"q": "x" * 500}).text) == 100


def test_thaw_gives_plain_json_back() -> None:
    value = frozen({"a": [1, {"b": ("c",)}], "data": "jwt"})
    assert _thaw(value) == {"a": [1, {"b": ["c"]}], "data": "jwt"}


@pytest.mark.parametrize(
    ("kinds", "allowed"),
    [
        ({PermissionKind.STAFF}, False),
        ({PermissionKind.STAFF, PermissionKind.CPD_LEAD}, True),
        ({PermissionKind.STAFF, PermissionKind.TRUST_LEADER}, True),
    ],
)
def test_who_may_deep_link(kinds: set[PermissionKind], allowed: bool) -> None:
    sign_in = SignIn(object(), None, Suggestion(frozenset(kinds)))  # type: ignore[arg-type]
    assert may_deep_link(sign_in) is allowed
    assert not may_deep_link(SignIn(None, None, Suggestion(frozenset(kinds))))


def test_roster_report_summary() -> None:
    report = RosterReport(members=3, created=[1], linked=[2], updated=[], joined=[1, 2], left=[9])
    assert report.summary() == "3 members: 1 new, 1 linked, 0 updated, 2 joined, 1 left"


@pytest.mark.parametrize(
    ("people", "signed_in", "notice"),
    [
        ([7], 7, "Your LMS gradebook will be updated shortly."),
        ([7, 7], None, "Your LMS gradebook will be updated shortly."),  # at launch
        ([7], 3, "LMS gradebooks will be updated shortly with 1 completion."),
        ([7, 8, 9], 3, "LMS gradebooks will be updated shortly with 3 completions."),
    ],
)
def test_gradebook_notice(people: list[int], signed_in: int | None, notice: str) -> None:
    from cpd_tracker.lti_outbox import gradebook_notice

    assert gradebook_notice(people, signed_in) == notice
