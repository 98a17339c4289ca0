"""What goes in a person's weekly reminder digest, when in the week it is sent, and when
reminders pause (issue 17).

Pure functions of plain data: an organisation's lead time (how many days before a due date or
an expiry it first appears in a digest), its sending time (a day of the week and an hour,
London time: each ISO week's digests are queued on the first run once that moment has passed)
and its holiday pauses (date ranges when no reminders are queued; they resume after, since a
digest is per week and re-checked every run).
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cpd_tracker.dates import LONDON
from cpd_tracker.rules.school_year import Holiday, academic_year_of, holidays
from cpd_tracker.rules.training import Status, StatusResult, uk_date

#: Days before a due date (or an expiry) it first appears in a person's digest: six weeks,
#: about a half term, so a deadline just after a holiday is seen before it.
DEFAULT_LEAD_DAYS = 42
MAX_LEAD_DAYS = 180
#: Pauses an organisation may keep: a school year's six, a few years ahead, and closures.
MAX_PAUSES = 40
#: The longest pause: a summer holiday with some to spare.
MAX_PAUSE_DAYS = 70

#: Each week's digests are queued from Monday 07:00 London time, the start of the school day,
#: unless the organisation chooses another day and hour.
DEFAULT_SEND_WEEKDAY = 0
DEFAULT_SEND_HOUR = 7
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

_MONTHS = {
    name: number
    for number, name in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        start=1,
    )
}
_WORDS = re.compile(r"^(\d{1,2})\s+([a-z]+)\s+(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_SLASHES = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


class ItemKind(enum.StrEnum):
    OVERDUE = "overdue"
    EXPIRED = "expired"
    DUE = "due"
    EXPIRING = "expiring"


#: The digest's order: the most urgent first.
ITEM_ORDER = (ItemKind.OVERDUE, ItemKind.EXPIRED, ItemKind.DUE, ItemKind.EXPIRING)


@dataclass(frozen=True)
class DigestItem:
    kind: ItemKind
    #: The due date (overdue, due) or the last valid day (expired, expiring).
    day: dt.date


def digest_item(result: StatusResult, today: dt.date, lead_days: int) -> DigestItem | None:
    """What a requirement's status puts in the person's digest, if anything.

    Overdue and expired always; a due date (first-timer, or an extension's new date) or an
    expiry only from ``lead_days`` before it. Exempt, left and not-yet-due put nothing.
    """
    status = result.status
    if status is Status.OVERDUE and result.due_on is not None:
        return DigestItem(ItemKind.OVERDUE, result.due_on)
    if status is Status.EXPIRED and result.expires_on is not None:
        return DigestItem(ItemKind.EXPIRED, result.expires_on)
    horizon = today + dt.timedelta(days=lead_days)
    if status in (Status.DUE, Status.DUE_SOON, Status.EXTENDED):
        if result.due_on is not None and result.due_on <= horizon:
            return DigestItem(ItemKind.DUE, result.due_on)
        return None
    expires_on = result.expires_on
    if (
        status in (Status.COMPLIANT, Status.EXPIRING_SOON)
        and expires_on is not None
        and today <= expires_on <= horizon
    ):
        return DigestItem(ItemKind.EXPIRING, expires_on)
    return None


# --- Sending time ----------------------------------------------------------------------------


def digest_moment(day: dt.date, weekday: int, hour: int) -> dt.datetime:
    """The moment (in UTC) from which the digests of ``day``'s ISO week are queued: that
    week's ``weekday`` (0 Monday to 6 Sunday) at ``hour``:00 London time.

    The clocks change at 01:00 UTC on the last Sundays of March and October. An hour they skip
    (01:00 on the March Sunday) is read as the moment the clocks jump (02:00 BST); an hour
    they pass twice (01:00 on the October Sunday) as its first time (BST).
    """
    if not 0 <= weekday <= 6 or not 0 <= hour <= 23:
        raise ValueError(f"sending time out of range: weekday {weekday}, hour {hour}")
    monday = day - dt.timedelta(days=day.weekday())
    wall = dt.datetime.combine(monday + dt.timedelta(days=weekday), dt.time(hour))
    # fold=0: a skipped time takes the offset before the change (so lands on the jump), a
    # repeated one its first offset.
    return wall.replace(tzinfo=LONDON, fold=0).astimezone(dt.UTC)


def digests_due(now: dt.datetime, weekday: int, hour: int) -> bool:
    """Whether this week's digests may be queued at ``now`` (aware): once the week's sending
    moment has passed. The week is London's: Monday 00:30 BST is still Sunday in UTC."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now >= digest_moment(now.astimezone(LONDON).date(), weekday, hour)


def sending_time_text(weekday: int, hour: int) -> str:
    """ "Monday at 07:00" (London time)."""
    return f"{WEEKDAYS[weekday]} at {hour:02d}:00"


# --- Pauses ----------------------------------------------------------------------------------


Pause = Holiday


def default_pauses(today: dt.date) -> list[Pause]:
    """The English school year's holidays, this school year's and next (``school_year``)."""
    year = academic_year_of(today)
    return holidays(year) + holidays(year + 1)


def pause_on(today: dt.date, pauses: Iterable[Pause]) -> Pause | None:
    """The pause ``today`` falls in (both ends included), else None."""
    return next((p for p in pauses if p.starts_on <= today <= p.ends_on), None)


def parse_day(text: str) -> dt.date | None:
    """ "24 October 2026", "2026-10-24" or "24/10/2026"; None for anything else."""
    text = " ".join(text.strip().lower().split())
    try:
        if match := _WORDS.match(text):
            word = match[2]
            month = next(
                (n for m, n in _MONTHS.items() if len(word) >= 3 and m.startswith(word)), None
            )
            if month is None:
                return None
            return dt.date(int(match[3]), month, int(match[1]))
        if match := _ISO.match(text):
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        if match := _SLASHES.match(text):
            return dt.date(int(match[3]), int(match[2]), int(match[1]))
    except ValueError:  # 31 February
        return None
    return None


class PauseError(ValueError):
    """A pause line that cannot be read: the message says which and how to write it."""


def parse_pauses(text: str) -> list[Pause]:
    """One pause a line, ``Name: 24 October 2026 to 1 November 2026`` (the name optional),
    sorted by start. Raises ``PauseError`` naming the first line it cannot read."""
    pauses: list[Pause] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        name, _, dates = line.rpartition(":") if ":" in line else ("", "", line)
        start_text, sep, end_text = dates.partition(" to ")
        if not sep:
            raise PauseError(
                f'Line {number} ("{line[:60]}") needs two dates joined by "to", like '
                '"Christmas holidays: 19 December 2026 to 3 January 2027".'
            )
        starts_on, ends_on = parse_day(start_text), parse_day(end_text)
        if starts_on is None or ends_on is None:
            bad = start_text if starts_on is None else end_text
            raise PauseError(
                f'Line {number}: "{bad.strip()[:40]}" is not a date. Write dates like '
                "19 December 2026."
            )
        if ends_on < starts_on:
            raise PauseError(f"Line {number}: the pause ends before it starts.")
        if (ends_on - starts_on).days + 1 > MAX_PAUSE_DAYS:
            raise PauseError(
                f"Line {number}: a pause can be at most {MAX_PAUSE_DAYS} days long, so that "
                "reminders are not stopped by mistake for most of a year."
            )
        pauses.append(Pause(" ".join(name.split())[:80] or "Pause", starts_on, ends_on))
    if len(pauses) > MAX_PAUSES:
        raise PauseError(f"Enter at most {MAX_PAUSES} pauses.")
    return sorted(pauses, key=lambda p: (p.starts_on, p.ends_on))


def pauses_text(pauses: Sequence[Pause]) -> str:
    """The textarea's lines for ``pauses`` (what ``parse_pauses`` reads back)."""
    return "\n".join(f"{p.name}: {uk_date(p.starts_on)} to {uk_date(p.ends_on)}" for p in pauses)


def pauses_to_json(pauses: Sequence[Pause]) -> list[dict[str, str]]:
    return [
        {"name": p.name, "starts_on": p.starts_on.isoformat(), "ends_on": p.ends_on.isoformat()}
        for p in pauses
    ]


def pauses_from_json(rows: Sequence[dict[str, str]]) -> list[Pause]:
    return [
        Pause(r["name"], dt.date.fromisoformat(r["starts_on"]), dt.date.fromisoformat(r["ends_on"]))
        for r in rows
    ]


def organisation_pauses(saved: Sequence[dict[str, str]] | None, today: dt.date) -> list[Pause]:
    """The pauses in force: those the organisation saved, else the default school holidays
    (recomputed each school year until someone saves their own)."""
    return default_pauses(today) if saved is None else pauses_from_json(saved)
