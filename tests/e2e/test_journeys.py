"""The three journeys, each in the four ways a person meets the tool (see browser.MODES):
a teacher completing an in-tool module and its knowledge check; a CPD lead's school page and
an export download; a CPD lead adding a module to the course through Deep Linking.

Every tool page reached is checked by :func:`~tests.e2e.browser.check_page` (axe, 1024 px
width, screenshot); each journey also asserts when the tool's cookie reached it and when
the launch token had to ride in the links instead.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
import pytest

from lti import claims as c
from tests.e2e.browser import (
    COOKIE_PROFILE,
    MODES,
    Opened,
    assert_cookie_mode,
    assert_links_carry_token,
    check_page,
    heading,
    open_tool,
    screenshot,
    wait_heading,
)
from tests.e2e.servers import SCHOOL_NAME, Servers

pytestmark = pytest.mark.e2e

Shots = Callable[[Any, str], Path]


def _shot(opened: Opened, shots: Shots) -> Callable[[str], Path]:
    return lambda step: screenshot(opened, shots, step)


def _assert_storage_used(opened: Opened) -> None:
    if opened.mode != "blocked_storage":
        return
    forwarder = opened.lms_page.frame(name="post_message_forwarding")
    assert forwarder is not None
    log = forwarder.evaluate("() => window.e2eLog")
    # The OIDC state went into the platform's storage at login and came back at launch.
    assert "lti.capabilities" in log, log
    assert "lti.put_data" in log, log
    assert "lti.get_data" in log, log


@pytest.mark.parametrize("mode", MODES)
def test_teacher_completes_an_in_tool_module(
    mode: str, servers: Servers, browser_for: Callable[[str], Any], shots: Shots
) -> None:
    module = servers.module()
    context = browser_for(COOKIE_PROFILE[mode])
    opened = open_tool(servers, context, mode, shots, user="learner", who=mode)
    view, shot = opened.view, _shot(opened, shots)

    wait_heading(view, "My training")
    check_page(view, shot, "my-training")
    _assert_storage_used(opened)
    assert_links_carry_token(opened)
    row = view.locator("tr", has_text=module.title)
    assert "Compliant" not in row.inner_text()

    row.get_by_role("link", name=module.title).click()
    wait_heading(view, module.title)
    check_page(view, shot, "module")

    view.get_by_role("button", name="Start the module").click()
    for page in module.pages:
        wait_heading(view, page.title)
        assert f"page {page.position} of {len(module.pages)}" in view.inner_text("main")
        check_page(view, shot, f"page-{page.position}")
        view.locator("a[rel=next]").click()

    wait_heading(view, "Knowledge check")
    check_page(view, shot, "knowledge-check")
    for question in module.questions:
        for option in question.options:
            if option.correct:
                view.locator(f"#q{question.id}-{option.position}").check()
    view.get_by_role("button", name="Submit answers").click()

    wait_heading(view, "You passed")
    check_page(view, shot, "passed")
    view.get_by_role("button", name="Back to my training").click()
    wait_heading(view, "My training")
    row = view.locator("tr", has_text=module.title)
    assert "Compliant" in row.inner_text()
    check_page(view, shot, "my-training-compliant")
    assert_cookie_mode(servers, opened)


@pytest.mark.parametrize("mode", MODES)
def test_cpd_lead_opens_the_school_page_and_downloads_an_export(
    mode: str, servers: Servers, browser_for: Callable[[str], Any], shots: Shots
) -> None:
    context = browser_for(COOKIE_PROFILE[mode])
    opened = open_tool(servers, context, mode, shots, user="instructor", who=f"lead_{mode}")
    view, shot = opened.view, _shot(opened, shots)

    # Kept to the heading and the export link: the school page is being redesigned.
    wait_heading(view, SCHOOL_NAME)
    assert heading(view) == SCHOOL_NAME
    check_page(view, shot, "school")
    _assert_storage_used(opened)

    link = view.locator("a[href*='compliance.csv']").first
    with opened.page.expect_download() as started:
        link.click()
    download = started.value
    assert download.failure() is None
    assert download.suggested_filename.endswith(".csv")
    saved = Path(download.path()).read_bytes().decode("utf-8-sig")
    header = saved.splitlines()[0].split(",")
    assert header[0] == "Name", header
    assert len(saved.splitlines()) > 1, "the export has no rows"
    assert_cookie_mode(servers, opened)


@pytest.mark.parametrize("mode", MODES)
def test_cpd_lead_adds_a_module_through_deep_linking(
    mode: str, servers: Servers, browser_for: Callable[[str], Any], shots: Shots
) -> None:
    module = servers.module()
    before = len(servers.lms.deep_link_responses)
    context = browser_for(COOKIE_PROFILE[mode])
    opened = open_tool(
        servers, context, mode, shots, user="instructor", who=f"dl_{mode}", message="deep_link"
    )
    view, shot = opened.view, _shot(opened, shots)

    wait_heading(view, "Add training to your course")
    check_page(view, shot, "picker")
    _assert_storage_used(opened)
    view.get_by_label("Search").fill("code of practice")
    view.get_by_role("button", name="Filter").click()
    view.wait_for_url(lambda url: "q=code+of+practice" in url)
    view.wait_for_load_state("load")
    check_page(view, shot, "picker-filtered")
    view.get_by_label(module.title).check()
    view.get_by_role("button", name="Add to course").click()

    view.locator("#lms-received").wait_for()
    shot("lms-received")
    assert len(servers.lms.deep_link_responses) == before + 1
    token = servers.lms.deep_link_responses[-1]
    platform = servers.lms.platform
    jwks = jwt.PyJWKSet.from_dict(servers.tool_jwks())
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in jwks.keys if k.key_id == kid)
    claims = jwt.decode(
        token, key=key, algorithms=["RS256"], audience=platform.issuer, issuer=platform.client_id
    )
    assert claims[c.MESSAGE_TYPE] == "LtiDeepLinkingResponse"
    assert claims[c.DEPLOYMENT_ID] == platform.deployment_id
    assert claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == "e2e-opaque-data"
    items = claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
    assert [item["title"] for item in items] == [module.title]
    assert items[0]["type"] == "ltiResourceLink"
    assert_cookie_mode(servers, opened)
