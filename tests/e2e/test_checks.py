"""The page checks themselves can fail: a missing alt text and low contrast fail axe, a page
wider than the frame fails the width check, a focus style that shows nothing fails the
keyboard check, and the layout checks of test_widths fail a key column out of view, a table
with no key column marked, cut text, a shortened chart label and an amount of money broken
after its minus sign."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser import FRAME_WIDTH, PageProblem, check_page
from tests.e2e.keyboard import Keyboard
from tests.e2e.widths import layout_problems

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


def _layout(browser_for: Callable[[str], Any], body: str) -> list[str]:
    page = browser_for("allowed").new_page()
    page.set_viewport_size({"width": 390, "height": 600})
    page.set_content(_GOOD.format(body))
    return layout_problems(page.main_frame)


_CELLS = "".join(f"<td>cell {i}</td>" for i in range(12))


def test_the_width_checks_pass_a_table_that_fits(browser_for: Callable[[str], Any]) -> None:
    body = "<table><tr><th>Name</th><th data-key>Status</th></tr><tr><td>A</td><td>OK</td></tr>"
    assert _layout(browser_for, body + "</table>") == []


def test_the_width_checks_fail_a_key_column_off_screen(browser_for: Callable[[str], Any]) -> None:
    """In a scrolling box the page does not scroll, but the key column is out of view."""
    body = (
        '<h2>Spend</h2><div style="overflow-x:auto"><table><thead><tr>'
        + "".join(f"<th>Heading {i}</th>" for i in range(12))
        + f"<th data-key>Total</th></tr></thead><tbody><tr>{_CELLS}<td>£1.00</td></tr>"
        "</tbody></table></div>"
    )
    problems = _layout(browser_for, body)
    assert len(problems) == 1
    assert 'table "Spend": its key column "Total" is off screen' in problems[0]


def test_the_width_checks_fail_a_table_without_a_key_and_cut_text(
    browser_for: Callable[[str], Any],
) -> None:
    body = (
        '<table><tr><th><span style="display:inline-block;width:60px;overflow:hidden;'
        'text-overflow:ellipsis;white-space:nowrap">Effective behaviour management</span>'
        "</th></tr><tr><td>OK</td></tr></table>"
        '<svg width="200" height="40"><text x="0" y="20">Effective behaviour…</text></svg>'
    )
    problems = _layout(browser_for, body)
    assert "no key column marked (data-key)" in problems[0]
    assert any(p.startswith('text cut off: "Effective behaviour management"') for p in problems)
    assert 'chart label shortened: "Effective behaviour…"' in problems


#: A phone's card cell, as narrow as a card's value column gets: the amount does not fit on
#: the line after its label, and the minus sign is a place the line may break.
_NARROW = '<div style="width:{}px;font:19px sans-serif">Net benefit {}</div>'


def test_the_width_checks_fail_money_broken_after_the_minus(
    browser_for: Callable[[str], Any],
) -> None:
    body = _NARROW.format(150, "<span>\u2212£571.00</span>")
    assert _layout(browser_for, body) == ['money broken across lines: "\u2212£571.00"']


def test_the_width_checks_pass_money_kept_whole(browser_for: Callable[[str], Any]) -> None:
    body = _NARROW.format(150, '<span style="white-space:nowrap">\u2212£571.00</span>')
    assert _layout(browser_for, body) == []


_APP_CSS = (Path(__file__).resolve().parents[2] / "cpd_tracker/static/app.css").read_text()
#: A three-column table (no cards) on a phone, as ``ui.table`` draws it: long names either
#: side squeeze the amount's column to its narrowest.
_SQUEEZED = (
    "<style>{css}</style><table class='govuk-table'><thead><tr>"
    "<th class='govuk-table__header'>Membership</th>"
    "<th class='govuk-table__header' data-key>Net benefit</th>"
    "<th class='govuk-table__header'>Held by</th></tr></thead><tbody><tr>"
    "<th class='govuk-table__header'>National Association for Special Educational Needs</th>"
    "<td class='govuk-table__cell{cls}' data-key>\u2212£571.00</td>"
    "<td class='govuk-table__cell'>Riverside Community Primary School and Nursery</td>"
    "</tr></tbody></table>"
)


def test_the_tables_class_keeps_money_whole_where_it_would_break(
    browser_for: Callable[[str], Any],
) -> None:
    """With the tool's own stylesheet: the amount breaks after its minus sign in a squeezed
    column, and the class ``ui.table`` gives an amount's cell keeps it whole."""
    broken = _layout(browser_for, _SQUEEZED.format(css=_APP_CSS, cls=""))
    assert broken == ['money broken across lines: "\u2212£571.00"']
    assert _layout(browser_for, _SQUEEZED.format(css=_APP_CSS, cls=" app-nowrap")) == []
