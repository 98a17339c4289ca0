"""The one rule for how a member of staff completes a requirement (issue 17)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from cpd_tracker.rules.how_to_complete import RequestFacts, Way, current_request, how_to_complete

DAY = dt.date(2026, 12, 3)


def how(**changes: Any) -> Any:
    facts: dict[str, Any] = {
        "status": "due",
        "in_tool": False,
        "started": False,
        "provider": "nasen",
        "booking_url": None,
        "next_inset": None,
        "request": None,
        "last_completed_on": None,
    }
    facts.update(changes)
    return how_to_complete(**facts)


@pytest.mark.parametrize("status", ["compliant", "exempt", "left"])
def test_nothing_to_do_shows_no_way(status: str) -> None:
    result = how(status=status, in_tool=True, booking_url="https://x.org/b")
    assert result.way is Way.NONE
    assert not result.may_ask


@pytest.mark.parametrize(
    "status", ["not_yet_due", "due", "due_soon", "overdue", "expiring_soon", "expired", "extended"]
)
def test_every_status_with_something_to_do_has_a_way(status: str) -> None:
    assert how(status=status).way is Way.ASK


def test_an_in_tool_module_is_started_then_continued() -> None:
    assert how(in_tool=True).way is Way.MODULE
    assert not how(in_tool=True).started
    assert how(in_tool=True, started=True).started
    # The module wins over everything else.
    both = how(in_tool=True, next_inset=DAY, booking_url="https://x.org/b")
    assert both.way is Way.MODULE
    assert not both.may_ask


def test_an_upcoming_inset_comes_before_a_booking_link() -> None:
    result = how(next_inset=DAY, booking_url="https://x.org/b")
    assert result.way is Way.INSET
    assert result.next_inset == DAY
    assert not result.may_ask


def test_a_booking_link_names_the_provider() -> None:
    result = how(booking_url="https://nasen.org.uk/book")
    assert result.way is Way.BOOK
    assert result.provider == "nasen"
    assert result.booking_url == "https://nasen.org.uk/book"
    assert not result.may_ask


def test_otherwise_ask_the_cpd_lead() -> None:
    result = how()
    assert result.way is Way.ASK
    assert result.may_ask
    assert result.request is None


@pytest.mark.parametrize(
    ("status", "may_ask"),
    [
        ("requested", False),
        ("approved", False),
        ("booked", False),
        ("declined", True),
    ],
)
def test_an_open_or_booked_request_stops_another(status: str, may_ask: bool) -> None:
    request = RequestFacts(status, DAY, DAY, "Full")
    result = how(request=request)
    assert result.way is Way.ASK
    assert result.request == request
    assert result.may_ask is may_ask


def test_a_request_older_than_the_latest_completion_is_history() -> None:
    request = RequestFacts("booked", dt.date(2024, 9, 1), dt.date(2024, 9, 2))
    renewal = how(status="expired", request=request, last_completed_on=dt.date(2024, 10, 1))
    assert renewal.request is None
    assert renewal.may_ask
    assert current_request(request, dt.date(2024, 9, 1)) == request  # the same day counts
    assert current_request(request, None) == request
    assert current_request(None, None) is None


def test_a_request_is_shown_whatever_the_way() -> None:
    request = RequestFacts("requested", DAY)
    assert how(booking_url="https://x.org/b", request=request).request == request
    assert how(next_inset=DAY, request=request).request == request
