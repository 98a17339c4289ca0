"""The leaders' pages that landed after the three journeys (SENCO, trends, spend, the trust
dashboard), reached by navigation inside the LMS frame and checked like every other page:
axe (no serious or critical violation), no sideways scrolling at 1024 px, a screenshot.

Run in the cookies-allowed frame and in the frame whose cookies are refused (Platform Storage,
the launch token in every link), the two ways a leader most often meets them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser import (
    COOKIE_PROFILE,
    assert_cookie_mode,
    assert_links_carry_token,
    check_page,
    open_tool,
    screenshot,
    wait_heading,
)
from tests.e2e.servers import SCHOOL_NAME, Servers

pytestmark = pytest.mark.e2e

Shots = Callable[[Any, str], Path]
WAYS = ("allowed", "blocked_storage")


def _follow(view: Any, name: str) -> None:
    """Follow the navigation bar's link called ``name``."""
    view.locator("nav").get_by_role("link", name=name, exact=True).first.click()
    view.wait_for_load_state("load")
    view.locator("h1").first.wait_for()


def _open(view: Any, href_part: str) -> None:
    """Follow the first link on the page whose address contains ``href_part``."""
    link = view.locator(f"a[href*='{href_part}']").first
    if link.count() == 0:
        pytest.fail(f"no link to {href_part} on the page")
    link.click()
    view.wait_for_load_state("load")
    view.locator("h1").first.wait_for()


@pytest.mark.parametrize("mode", WAYS)
def test_a_cpd_lead_reaches_the_senco_and_trend_pages_and_spend(
    mode: str, servers: Servers, browser_for: Callable[[str], Any], shots: Shots
) -> None:
    context = browser_for(COOKIE_PROFILE[mode])
    opened = open_tool(servers, context, mode, shots, user="instructor", who=f"leadpages_{mode}")
    view = opened.view

    def shot(step: str) -> Path:
        return screenshot(opened, shots, step)

    wait_heading(view, SCHOOL_NAME)
    _open(view, "/senco/schools/")
    wait_heading(view, "SENCO")
    check_page(view, shot, "senco")
    _follow(view, "School")
    _open(view, "/trend")
    check_page(view, shot, "trend")
    _follow(view, "Spend")
    check_page(view, shot, "spend")
    assert_links_carry_token(opened)
    assert_cookie_mode(servers, opened)


@pytest.mark.parametrize("mode", WAYS)
def test_a_trust_leader_reaches_the_trust_pages(
    mode: str, servers: Servers, browser_for: Callable[[str], Any], shots: Shots
) -> None:
    context = browser_for(COOKIE_PROFILE[mode])
    opened = open_tool(servers, context, mode, shots, user="admin", who=f"trust_{mode}")
    view = opened.view

    def shot(step: str) -> Path:
        return screenshot(opened, shots, step)

    view.locator("h1").first.wait_for()
    _follow(view, "Trust")
    check_page(view, shot, "trust")
    for href, step in (("/senco/trust", "senco-trust"), ("/trust/trend", "trend-trust")):
        _open(view, href)
        check_page(view, shot, step)
        _follow(view, "Trust")
    _follow(view, "Spend")
    check_page(view, shot, "spend-trust")
    assert_links_carry_token(opened)
    assert_cookie_mode(servers, opened)
