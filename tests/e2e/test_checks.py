"""The page checks themselves can fail: a missing alt text and low contrast fail axe, a page
wider than the frame fails the width check, a focus style that shows nothing fails the
keyboard check."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser import FRAME_WIDTH, PageProblem, check_page
from tests.e2e.keyboard import Keyboard

pytestmark = pytest.mark.e2e

_GOOD = (
    '<!DOCTYPE html><html lang="en"><head><title>t</title></head>'
    "<body><main>{}</main></body></html>"
)


def _page(browser_for: Callable[[str], Any], body: str) -> Any:
    page = browser_for("allowed").new_page()
    page.set_viewport_size({"width": FRAME_WIDTH, "height": 600})
    page.set_content(_GOOD.format(body))
    return page


def _no_shot(step: str) -> Path:
    return Path(step)


def test_a_clean_page_passes(browser_for: Callable[[str], Any]) -> None:
    page = _page(browser_for, "<h1>Fine</h1><p>Plain text.</p>")
    check_page(page.main_frame, _no_shot, "clean")


def test_axe_failures_name_the_rules(browser_for: Callable[[str], Any]) -> None:
    page = _page(
        browser_for,
        '<h1>Bad</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        '<p style="color:#bbb;background:#fff">Too faint to read</p>',
    )
    with pytest.raises(PageProblem) as failed:
        check_page(page.main_frame, _no_shot, "bad")
    assert "image-alt (critical)" in str(failed.value)
    assert "color-contrast (serious)" in str(failed.value)


def test_a_page_wider_than_the_frame_fails(browser_for: Callable[[str], Any]) -> None:
    page = _page(browser_for, '<h1>Wide</h1><div style="width:1500px">wide table</div>')
    with pytest.raises(PageProblem, match="scrolls sideways"):
        check_page(page.main_frame, _no_shot, "wide")


def test_an_invisible_focus_fails_the_keyboard_check(browser_for: Callable[[str], Any]) -> None:
    page = _page(
        browser_for,
        "<style>a:focus{outline:none}</style>"
        '<h1>Focus</h1><a href="#one">one</a> <a href="#two">two</a>',
    )
    page.bring_to_front()
    keys = Keyboard(page, page.main_frame)
    assert keys.tab() is not None
    with pytest.raises(AssertionError, match="focus was not visible"):
        keys.tab()
