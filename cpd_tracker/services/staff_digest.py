"""A member of staff's weekly reminder digest: one e-mail listing everything they have to do.

Issue 17: one e-mail per requirement made reminders noisy (a head with four requirements got
four a run). Each person now gets at most one digest an ISO week, listing their overdue,
expired, due and expiring training (``rules.reminders.digest_item`` decides what is listed,
with the organisation's lead time); ``staff_digest_key`` makes it once per person per week.
"Remind now" sends the same digest at once, at most once a day on top of the weekly one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment

from cpd_tracker.models import Delivery, Requirement
from cpd_tracker.rules.reminders import ITEM_ORDER, DigestItem, ItemKind
from cpd_tracker.rules.training import uk_date

HEADINGS = {
    ItemKind.OVERDUE: "Overdue",
    ItemKind.EXPIRED: "Expired",
    ItemKind.DUE: "Due soon",
    ItemKind.EXPIRING: "Expiring soon",
}
_SUBJECT_WORDS = {
    ItemKind.OVERDUE: "overdue",
    ItemKind.EXPIRED: "expired",
    ItemKind.DUE: "due soon",
    ItemKind.EXPIRING: "expiring soon",
}


def staff_digest_key(person_id: int, today: dt.date) -> str:
    year, week, _ = today.isocalendar()
    return f"staff-digest:{person_id}:{year}-W{week:02d}"


def remind_now_key(person_id: int, today: dt.date) -> str:
    return f"remind-now:{person_id}:{today.isoformat()}"


def days_phrase(day: dt.date, today: dt.date) -> str:
    days = (day - today).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days > 1:
        return f"in {days} days"
    return "yesterday" if days == -1 else f"{-days} days ago"


@dataclass(frozen=True)
class Entry:
    """One line of a digest: a requirement and what it calls for."""

    requirement: Requirement
    item: DigestItem


def _when(item: DigestItem, today: dt.date) -> str:
    day, phrase = uk_date(item.day), days_phrase(item.day, today)
    return {
        ItemKind.OVERDUE: f"was due by {day} ({phrase})",
        ItemKind.EXPIRED: f"expired on {day} ({phrase}): please renew it",
        ItemKind.DUE: f"due by {day} ({phrase})",
        ItemKind.EXPIRING: f"expires on {day} ({phrase}): renew it before then",
    }[item.kind]


def _how(requirement: Requirement) -> str:
    module = requirement.module
    if module.delivery is Delivery.IN_TOOL:
        return f'Do it online: open the tool and choose "{module.title}" under My training.'
    if module.delivery is Delivery.EXTERNAL:
        by = f" run by {module.provider}" if module.provider else ""
        return (
            f"An external course{by}: book a place (your CPD lead can help), then record it "
            "in the tool with your certificate."
        )
    if module.delivery is Delivery.INSET:
        return "Covered at a whole-staff session: if you missed it, ask your CPD lead."
    return "A qualification: talk to your CPD lead about enrolling."


def sections(entries: list[Entry], today: dt.date) -> list[dict[str, Any]]:
    found = []
    for kind in ITEM_ORDER:
        mine = sorted(
            (e for e in entries if e.item.kind is kind),
            key=lambda e: (e.item.day, e.requirement.module.title),
        )
        if mine:
            found.append(
                {
                    "heading": HEADINGS[kind],
                    "count": len(mine),
                    "lines": [
                        {
                            "title": e.requirement.module.title,
                            "when": _when(e.item, today),
                            "how": _how(e.requirement),
                        }
                        for e in mine
                    ],
                }
            )
    return found


def subject(entries: list[Entry]) -> str:
    counts = [
        f"{n} {_SUBJECT_WORDS[kind]}"
        for kind in ITEM_ORDER
        if (n := sum(1 for e in entries if e.item.kind is kind))
    ]
    return f"Your SEND training: {', '.join(counts)}"


def render(
    templates: Environment,
    *,
    name: str,
    school: str,
    entries: list[Entry],
    today: dt.date,
    lms: Any,
    link: str,
    sent_by: str | None = None,
) -> str:
    return templates.get_template("email/staff_digest.txt").render(
        name=name,
        school=school,
        today=uk_date(today),
        sections=sections(entries, today),
        lms=lms,
        link=link,
        sent_by=sent_by,
    )
