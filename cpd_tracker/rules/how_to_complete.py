"""How a member of staff completes a requirement (issue 17, "How to complete every
requirement"): one rule for each row of My training, from plain facts.

In order:

1. nothing to do now (compliant, exempt, left): no way shown;
2. a module with content in this tool: start it, or continue it after a first attempt;
3. an INSET session for the module at the person's school, today or later: its date. It comes
   before a booking link because it is already arranged, in school time and at no cost;
4. a booking link on the module: "Book with <provider>";
5. otherwise: ask the CPD lead for a place.

A request for a place is shown whatever the way, while it is *current*: made on or after the
latest completion (an old request, booked and done, says nothing about a renewal). The person
may ask when the way is "ask" and no current request is open or booked: after a decline they
may ask again.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

#: Status values (``rules.training.Status``) with nothing to do now.
NOTHING_TO_DO = frozenset({"compliant", "exempt", "left"})


class Way(enum.StrEnum):
    NONE = "none"
    MODULE = "module"
    INSET = "inset"
    BOOK = "book"
    ASK = "ask"


@dataclass(frozen=True)
class RequestFacts:
    """The person's latest request for a place on the module."""

    #: ``RequestStatus`` value: requested, approved, declined or booked.
    status: str
    asked_on: dt.date
    decided_on: dt.date | None = None
    #: The CPD lead's words: the reason for a decline.
    note: str = ""
    #: A booked place's training day, when the purchase records it.
    booked_for: dt.date | None = None


@dataclass(frozen=True)
class HowToComplete:
    way: Way
    provider: str | None = None
    booking_url: str | None = None
    next_inset: dt.date | None = None
    #: In-tool modules: the person has made an attempt ("Continue" rather than "Start").
    started: bool = False
    #: The current request, shown on the row (None: none, or one older than the completion).
    request: RequestFacts | None = None
    #: Whether the row offers "Ask your CPD lead".
    may_ask: bool = False


def current_request(
    request: RequestFacts | None, last_completed_on: dt.date | None
) -> RequestFacts | None:
    """The request if it still speaks to this requirement: made on or after the latest
    completion of it."""
    if request is None:
        return None
    if last_completed_on is not None and request.asked_on < last_completed_on:
        return None
    return request


def how_to_complete(
    *,
    status: str,
    in_tool: bool,
    started: bool,
    provider: str | None,
    booking_url: str | None,
    next_inset: dt.date | None,
    request: RequestFacts | None,
    last_completed_on: dt.date | None,
) -> HowToComplete:
    """The way to complete one requirement. ``in_tool``: the module is delivered in this tool
    and has content; ``next_inset``: the earliest INSET session for it at the person's school
    today or later; ``request``: the person's latest request for a place on it."""
    if status in NOTHING_TO_DO:
        return HowToComplete(Way.NONE)
    shown = current_request(request, last_completed_on)
    if in_tool:
        return HowToComplete(Way.MODULE, started=started, request=shown)
    if next_inset is not None:
        return HowToComplete(Way.INSET, next_inset=next_inset, request=shown)
    if booking_url:
        return HowToComplete(Way.BOOK, provider=provider, booking_url=booking_url, request=shown)
    blocked = shown is not None and shown.status in ("requested", "approved", "booked")
    return HowToComplete(Way.ASK, provider=provider, request=shown, may_ask=not blocked)
