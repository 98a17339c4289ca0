"""Deep Linking 2.0 through the HTTP surface: an instructor's request opens the module picker,
the choice goes back to the LMS as a signed response that the platform verifies with the
tool's JWKS, and nobody else can reach or reuse the request."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from cpd_tracker.extensions import db
from cpd_tracker.models import AuditEntry, DeepLinkRequest, Module, Requirement
from lti.deep_linking import CONTENT_ITEMS
from tests.functional.advantage.helpers import (
    IN_TOOL,
    LAUNCH_URL,
    Lms,
    csrf,
    form_action,
    hidden_fields,
    land,
    module,
    new_client,
    text,
)
from tests.support.advantage_platform import deep_linking_settings, verify_deep_linking_response
from tests.support.clock import FakeClock

CANVAS_DATA = "eyJhbGciOiJIUzI1NiJ9.eyJjb250ZXh0IjoiY291cnNlIn0.c2lnbmF0dXJl"


def _choose(
    client: FlaskClient, picker_html: str, path: str, *module_ids: int, **extra: Any
) -> Any:
    data: dict[str, Any] = {"csrf_token": csrf(picker_html), "action": "add", **extra}
    data["modules"] = [str(i) for i in module_ids]
    return client.post(path, data=data)


def _items(claims: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = claims[CONTENT_ITEMS]
    return items


def test_round_trip_is_verified_by_the_platform_with_the_tools_jwks(
    app: Flask, lms: Lms, clock: FakeClock, tool_jwks: dict[str, Any]
) -> None:
    client = new_client(app)
    data = CANVAS_DATA if lms.dialect == "canvas" else {"moodle": "opaque", "n": 1}
    picker = land(client, lms.deep_link(client, data=data, custom={"school_urn": "100001"}))
    assert picker.status_code == 200
    page = picker.get_data(as_text=True)
    assert "Add training to your course" in page
    first = module(app, lms.org_id, IN_TOOL)
    second = module(app, lms.org_id, "autism-awareness")
    assert first.title in page
    # Canvas's link_selection takes one item; Moodle's activity chooser several.
    chosen = [first.id, second.id] if lms.dialect == "moodle" else [first.id]
    answer = _choose(client, page, picker.request.path, *chosen)
    assert answer.status_code == 200
    body = answer.get_data(as_text=True)
    settings = deep_linking_settings(lms.platform)
    assert form_action(body) == settings["deep_link_return_url"]
    form = hidden_fields(body)
    assert set(form) == {"JWT"}
    claims = verify_deep_linking_response(
        lms.platform, form, clock=clock, tool_key_set=tool_jwks, expected_data=data
    )
    items = _items(claims)
    assert [i["title"] for i in items] == [m.title for m in (first, second)][: len(chosen)]
    for item, slug in zip(items, [first.slug, second.slug], strict=False):
        assert item["type"] == "ltiResourceLink"
        assert item["url"] == LAUNCH_URL
        assert item["custom"] == {"module": slug, "school_urn": "100001"}
        assert item["lineItem"] == {
            "scoreMaximum": 1,
            "label": item["title"],
            "resourceId": f"module:{slug}",
        }


def test_line_items_are_left_out_when_the_platform_refuses_them(
    app: Flask, lms: Lms, clock: FakeClock, tool_jwks: dict[str, Any]
) -> None:
    client = new_client(app)
    picker = land(client, lms.deep_link(client, accept_lineitem=False))
    mod = module(app, lms.org_id)
    answer = _choose(client, picker.get_data(as_text=True), picker.request.path, mod.id)
    claims = verify_deep_linking_response(
        lms.platform,
        hidden_fields(answer.get_data(as_text=True)),
        clock=clock,
        tool_key_set=tool_jwks,
    )
    (item,) = _items(claims)
    assert "lineItem" not in item
    # An unmapped course: no school to name.
    assert item["custom"] == {"module": IN_TOOL}


def test_a_learner_never_reaches_the_picker(app: Flask, lms: Lms) -> None:
    client = new_client(app)
    result = lms.deep_link(client, user="learner")
    assert result.response.status_code == 403
    assert "Only the course's teachers can add training" in text(result.response)
    with app.app_context():
        assert db.session.scalar(select(func.count(DeepLinkRequest.id))) == 0


def test_the_request_is_single_use(
    app: Flask, lms: Lms, clock: FakeClock, tool_jwks: dict[str, Any]
) -> None:
    client = new_client(app)
    picker = land(client, lms.deep_link(client))
    page = picker.get_data(as_text=True)
    mod = module(app, lms.org_id)
    assert _choose(client, page, picker.request.path, mod.id).status_code == 200
    again = _choose(client, page, picker.request.path, mod.id)
    assert again.status_code == 410
    assert "already been sent back to your LMS" in again.get_data(as_text=True)
    assert client.get(picker.request.path).status_code == 410
    with app.app_context():
        responded = db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "deep_link.responded")
        )
    assert responded == 1


def test_the_request_expires(app: Flask, lms: Lms, clock: FakeClock) -> None:
    client = new_client(app)
    picker = land(client, lms.deep_link(client))
    clock.advance(61 * 60)
    assert client.get(picker.request.path).status_code == 410


def test_another_instructor_cannot_use_someone_elses_request(app: Flask, lms: Lms) -> None:
    owner = new_client(app)
    picker = land(owner, lms.deep_link(owner))
    other = new_client(app)
    land(other, lms.deep_link(other, user="admin"))
    response = other.get(picker.request.path)
    assert response.status_code == 410
    assert "not made by you" in response.get_data(as_text=True)


def test_several_modules_where_the_lms_takes_one_is_refused_and_the_request_stays_open(
    app: Flask, lms: Lms
) -> None:
    client = new_client(app)
    picker = land(client, lms.deep_link(client, accept_multiple=False))
    page = picker.get_data(as_text=True)
    assert 'type="radio"' in page
    one, two = module(app, lms.org_id).id, module(app, lms.org_id, "autism-awareness").id
    refused = _choose(client, page, picker.request.path, one, two)
    assert refused.status_code == 400
    assert "takes one activity at a time" in refused.get_data(as_text=True)
    nothing = _choose(client, page, picker.request.path)
    assert nothing.status_code == 400
    assert "Choose the training module to add" in nothing.get_data(as_text=True)
    assert _choose(client, page, picker.request.path, one).status_code == 200


def test_cancel_sends_an_empty_answer(
    app: Flask, lms: Lms, clock: FakeClock, tool_jwks: dict[str, Any]
) -> None:
    client = new_client(app)
    picker = land(client, lms.deep_link(client))
    page = picker.get_data(as_text=True)
    answer = client.post(picker.request.path, data={"csrf_token": csrf(page), "action": "cancel"})
    assert answer.status_code == 200
    claims = verify_deep_linking_response(
        lms.platform,
        hidden_fields(answer.get_data(as_text=True)),
        clock=clock,
        tool_key_set=tool_jwks,
    )
    assert _items(claims) == []
    assert claims["https://purl.imsglobal.org/spec/lti-dl/claim/msg"] == (
        "No training module was added."
    )


def test_picker_filters_by_text_tier_and_required_role(app: Flask, lms: Lms) -> None:
    client = new_client(app)
    picker = land(client, lms.deep_link(client))
    path = picker.request.path
    autism = client.get(path, query_string={"q": "autism"}).get_data(as_text=True)
    assert "Autism awareness" in autism or "autism" in autism.lower()
    assert module(app, lms.org_id, IN_TOOL).title not in autism
    specialist = client.get(path, query_string={"tier": "specialist"}).get_data(as_text=True)
    assert module(app, lms.org_id, "npq-for-sencos").title in specialist
    assert module(app, lms.org_id, IN_TOOL).title not in specialist
    governor_only = module(app, lms.org_id, "send-for-governors")
    with app.app_context():
        db.session.add(
            Requirement(
                organisation_id=lms.org_id,
                module_id=governor_only.id,
                roles=["governor"],
                due_rule="days_after_start",
                due_days=90,
            )
        )
        db.session.commit()
    governors = client.get(path, query_string={"role": "governor"}).get_data(as_text=True)
    assert governor_only.title in governors
    assert module(app, lms.org_id, IN_TOOL).title not in governors
    assert '<option value="governor"' in governors
    assert client.get(path, query_string={"role": "teacher"}).status_code == 200


def test_retired_modules_are_not_offered_or_accepted(
    app: Flask, lms: Lms, clock: FakeClock
) -> None:
    retired = module(app, lms.org_id, "autism-awareness")
    with app.app_context():
        row = db.session.get(Module, retired.id)
        assert row is not None
        row.retired_at = clock()
        db.session.commit()
    client = new_client(app)
    picker = land(client, lms.deep_link(client))
    page = picker.get_data(as_text=True)
    assert retired.title not in page
    refused = _choose(client, page, picker.request.path, retired.id)
    assert refused.status_code == 400
    assert "not in your organisation's catalogue" in text(refused)


def test_a_request_that_takes_no_lti_links_is_refused_at_launch(app: Flask, lms: Lms) -> None:
    client = new_client(app)
    result = lms.deep_link(client, accept_types=["file", "html"])
    assert result.response.status_code == 400
    assert "does not accept LTI activity links" in result.response.get_data(as_text=True)


def test_picker_works_without_cookies(app: Flask, lms: Lms) -> None:
    """Inside an iframe whose cookies are refused, the launch token rides in links and forms."""
    client = new_client(app)
    result = lms.deep_link(client)
    location = result.response.headers["Location"]
    token = parse_qs(urlsplit(location).query)["lt"][0]
    cookieless = new_client(app)
    picker = cookieless.get(location)
    assert picker.status_code == 200
    page = picker.get_data(as_text=True)
    assert f'name="lt" value="{token}"' in page or "lt=" in page
    mod = module(app, lms.org_id)
    data = {"csrf_token": csrf(page), "action": "add", "modules": [str(mod.id)], "lt": token}
    answer = cookieless.post(urlsplit(location).path, data=data)
    assert answer.status_code == 200
    assert "JWT" in hidden_fields(answer.get_data(as_text=True))


@pytest.mark.parametrize("dialect", ["canvas"], indirect=True)
def test_canvas_data_jwt_is_echoed_unchanged(
    app: Flask, lms: Lms, clock: FakeClock, tool_jwks: dict[str, Any]
) -> None:
    client = new_client(app)
    picker = land(client, lms.deep_link(client, data=CANVAS_DATA))
    answer = _choose(
        client, picker.get_data(as_text=True), picker.request.path, module(app, lms.org_id).id
    )
    claims = verify_deep_linking_response(
        lms.platform,
        hidden_fields(answer.get_data(as_text=True)),
        clock=clock,
        tool_key_set=tool_jwks,
        expected_data=CANVAS_DATA,
    )
    assert claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == CANVAS_DATA
