"""The training status engine: where one person stands against one requirement, today.

A pure function of plain facts (see ``assess``); the database and the clock stay outside.
Statuses are derived, never stored (ARCHITECTURE.md, "Training"; DOMAIN.md, "Mandatory
training": relative and fixed due dates, validity, recertification windows, extensions).

The rules, first match wins:

1. **Left**: the person's leaving date is today or earlier.
2. **Exempt**: an exemption is in force today (started, and not yet past its end date).
3. **Not yet due**: the requirement applies from a start in the future (the start date, the
   appointment date for appointment rules, falling back to the start date) and nothing has been
   completed yet.
4. The **first due date** of someone who never completed: the start plus ``due_days``; for a
   fixed date, its first occurrence on or after the start, or, with no start date, this calendar
   year's occurrence. After an exemption has ended, the due date moves to at least the end of the
   exemption plus ``due_days`` (or the first fixed date after it).
5. With a **completion** (only those on or before today count; the latest wins): no validity
   means compliant for ever. Otherwise the completion expires ``validity_months`` later; for a
   fixed date, the completion covers a cycle (the coming one if done inside the recertification
   window, else the one just gone) and expires on a later cycle's fixed date. From the expiry
   date it is expired, inside the window before it expiring soon, else compliant. An extension
   reaching past the expiry turns expired into extended until its new date.
6. With **no completion**: an extension past the due date gives extended until its new date,
   then overdue; otherwise overdue after the due date, due soon within ``due_soon_days`` of it
   (the due day itself included: completing on the due day is on time), else due.

A ``DAYS_AFTER_*`` rule with no start date at all has no due date: the person is due, with no
deadline, until a start date is recorded (or an extension or exemption gives one).
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass


class Status(enum.StrEnum):
    NOT_YET_DUE = "not_yet_due"
    DUE = "due"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    COMPLIANT = "compliant"
    EXPIRING_SOON = "expiring_soon"
    EXPIRED = "expired"
    EXEMPT = "exempt"
    EXTENDED = "extended"
    #: The person has left: outside every compliance figure, history kept.
    LEFT = "left"


class Rule(enum.StrEnum):
    DAYS_AFTER_START = "days_after_start"
    DAYS_AFTER_APPOINTMENT = "days_after_appointment"
    FIXED_DATE = "fixed_date"


@dataclass(frozen=True)
class RequirementFacts:
    rule: Rule
    due_days: int | None = None
    due_month: int | None = None
    due_day: int | None = None
    validity_months: int | None = None
    window_days: int = 60
    due_soon_days: int = 30


@dataclass(frozen=True)
class PersonFacts:
    start_date: dt.date | None
    #: When the person took the role this requirement targets (DAYS_AFTER_APPOINTMENT).
    appointed_on: dt.date | None = None
    leaving_date: dt.date | None = None


@dataclass(frozen=True)
class ExemptionFacts:
    starts_on: dt.date
    ends_on: dt.date | None
    reason: str = ""


@dataclass(frozen=True)
class ExtensionFacts:
    new_due_on: dt.date
    reason: str = ""


@dataclass(frozen=True)
class StatusResult:
    status: Status
    #: When the current cycle is (or was) due; None when nothing is due (exempt, left, ...).
    due_on: dt.date | None
    #: When the latest completion stops counting; None when it never expires or none exists.
    expires_on: dt.date | None
    last_completed_on: dt.date | None
    #: A sentence a member of staff understands, naming the dates that drive the status.
    reason: str


# --- Dates ----------------------------------------------------------------------------------

# Spelled out rather than strftime("%B"), which follows the server's locale.
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def uk_date(day: dt.date) -> str:
    """``day`` as staff in England write it: "1 September 2027"."""
    return f"{day.day} {_MONTH_NAMES[day.month - 1]} {day.year}"


def _clamped(year: int, month: int, day: int) -> dt.date:
    # The last day of the month stands in for a day the month lacks (29 February in 2025).
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months`` calendar months, clamped to the end of a shorter month.

    31 January + 1 month is 28 (or 29) February; 29 February 2024 + 12 months is
    28 February 2025, + 48 months is 29 February 2028.
    """
    year, month_index = divmod(day.year * 12 + day.month - 1 + months, 12)
    return _clamped(year, month_index + 1, day.day)


def fixed_date_in(year: int, requirement: RequirementFacts) -> dt.date:
    """The fixed date (e.g. 1 September) in ``year``; 29 February is 28 February in other years."""
    month, day = _fixed_month_day(requirement)
    return _clamped(year, month, day)


def next_fixed_date(on_or_after: dt.date, requirement: RequirementFacts) -> dt.date:
    """The first occurrence of the fixed date on or after ``on_or_after``."""
    this_year = fixed_date_in(on_or_after.year, requirement)
    return (
        this_year if this_year >= on_or_after else fixed_date_in(on_or_after.year + 1, requirement)
    )


def previous_fixed_date(on_or_before: dt.date, requirement: RequirementFacts) -> dt.date:
    """The latest occurrence of the fixed date on or before ``on_or_before``."""
    this_year = fixed_date_in(on_or_before.year, requirement)
    return (
        this_year
        if this_year <= on_or_before
        else fixed_date_in(on_or_before.year - 1, requirement)
    )


def _fixed_month_day(requirement: RequirementFacts) -> tuple[int, int]:
    if requirement.due_month is None or requirement.due_day is None:
        raise ValueError("A fixed-date requirement needs due_month and due_day.")
    return requirement.due_month, requirement.due_day


def _due_days(requirement: RequirementFacts) -> int:
    if requirement.due_days is None:
        raise ValueError(f"A {requirement.rule} requirement needs due_days.")
    return requirement.due_days


# --- Due dates ------------------------------------------------------------------------------


def applies_from(person: PersonFacts, requirement: RequirementFacts) -> dt.date | None:
    """When the requirement starts to apply to ``person``; None means "from the beginning"."""
    if requirement.rule is Rule.DAYS_AFTER_APPOINTMENT and person.appointed_on is not None:
        return person.appointed_on
    # Appointment rules fall back to the start date: a person appointed on arrival is often
    # recorded with a start date only.
    return person.start_date


def first_due_on(
    person: PersonFacts, requirement: RequirementFacts, today: dt.date
) -> dt.date | None:
    """When someone who never completed first had (or has) to complete.

    None only for a ``DAYS_AFTER_*`` rule when no start date is known at all.
    """
    start = applies_from(person, requirement)
    if start is not None:
        return _due_from(start, requirement)
    if requirement.rule is Rule.FIXED_DATE:
        # No start date: this calendar year's fixed date, i.e. the latest one on or before
        # today, or the coming one while today is still before this year's.
        return fixed_date_in(today.year, requirement)
    return None


def _due_from(start: dt.date, requirement: RequirementFacts) -> dt.date:
    if requirement.rule is Rule.FIXED_DATE:
        return next_fixed_date(start, requirement)
    return start + dt.timedelta(days=_due_days(requirement))


def _pushed_past_exemption(
    due: dt.date | None,
    requirement: RequirementFacts,
    exemptions: Sequence[ExemptionFacts],
    today: dt.date,
) -> dt.date | None:
    # Someone back from an exemption (long-term absence, say) gets a full period again,
    # counted from the day the exemption ended, rather than returning already overdue.
    ended = [e.ends_on for e in exemptions if e.ends_on is not None and e.ends_on < today]
    if not ended:
        return due
    ended_on = max(ended)
    if requirement.rule is Rule.FIXED_DATE:
        pushed = next_fixed_date(ended_on + dt.timedelta(days=1), requirement)
    else:
        pushed = ended_on + dt.timedelta(days=_due_days(requirement))
    return pushed if due is None else max(due, pushed)


# --- Completions ----------------------------------------------------------------------------


def covered_cycle_due_on(requirement: RequirementFacts, completed_on: dt.date) -> dt.date:
    """For a fixed-date requirement, the due date of the cycle a completion counts for.

    Early completions inside the recertification window count for the coming cycle; any
    other completion counts, late, for the cycle whose date has just gone.
    """
    coming = next_fixed_date(completed_on, requirement)
    if (coming - completed_on).days <= requirement.window_days:
        return coming
    return previous_fixed_date(completed_on, requirement)


def expiry_for(requirement: RequirementFacts, completed_on: dt.date) -> dt.date | None:
    """The day a completion on ``completed_on`` stops counting; None if it never does."""
    if requirement.validity_months is None:
        return None
    if requirement.rule is not Rule.FIXED_DATE:
        return add_months(completed_on, requirement.validity_months)
    # Academic-year cycles: the completion lasts until a later cycle's date, so the month
    # arithmetic is snapped back to the fixed day, which clamping may have cut short
    # (28 Feb 2027 + 12 months is 28 Feb 2028, but the 29 February cycle falls on the 29th).
    moved = add_months(covered_cycle_due_on(requirement, completed_on), requirement.validity_months)
    return _clamped(moved.year, moved.month, _fixed_month_day(requirement)[1])


def _latest_on_or_before(days: Sequence[dt.date], today: dt.date) -> dt.date | None:
    # A completion dated after today is a data-entry error: it cannot count yet.
    counted = [day for day in days if day <= today]
    return max(counted) if counted else None


def _latest_extension(
    extensions: Sequence[ExtensionFacts], later_than: dt.date | None, *, inclusive: bool
) -> ExtensionFacts | None:
    def reaches(extension: ExtensionFacts) -> bool:
        if later_than is None:
            return True
        if inclusive:
            return extension.new_due_on >= later_than
        return extension.new_due_on > later_than

    candidates = [e for e in extensions if reaches(e)]
    return max(candidates, key=lambda e: e.new_due_on) if candidates else None


# --- Assessment -----------------------------------------------------------------------------


def assess(
    person: PersonFacts,
    requirement: RequirementFacts,
    completions: Sequence[dt.date],
    exemptions: Sequence[ExemptionFacts],
    extensions: Sequence[ExtensionFacts],
    today: dt.date,
) -> StatusResult:
    """Where ``person`` stands against ``requirement`` on ``today``."""
    completed_on = _latest_on_or_before(completions, today)
    expires_on = expiry_for(requirement, completed_on) if completed_on is not None else None

    # Rule 1: a leaver drops out of every figure from the leaving day on, history kept.
    if person.leaving_date is not None and person.leaving_date <= today:
        return StatusResult(
            Status.LEFT,
            due_on=None,
            expires_on=expires_on,
            last_completed_on=completed_on,
            reason=f"Left on {uk_date(person.leaving_date)}.",
        )

    # Rule 2: an exemption in force today outweighs due dates and expiry alike.
    exemption = _exemption_in_force(exemptions, today)
    if exemption is not None:
        return StatusResult(
            Status.EXEMPT,
            due_on=None,
            expires_on=expires_on,
            last_completed_on=completed_on,
            reason=_exemption_reason(exemption),
        )

    if completed_on is None:
        return _assess_outstanding(person, requirement, exemptions, extensions, today)
    return _assess_completed(requirement, completed_on, expires_on, extensions, today)


def _exemption_in_force(
    exemptions: Sequence[ExemptionFacts], today: dt.date
) -> ExemptionFacts | None:
    in_force = [
        e for e in exemptions if e.starts_on <= today and (e.ends_on is None or today <= e.ends_on)
    ]
    # Of overlapping exemptions, report the one that lasts longest (open-ended first).
    return max(in_force, key=lambda e: (e.ends_on is None, e.ends_on or dt.date.min), default=None)


def _exemption_reason(exemption: ExemptionFacts) -> str:
    until = (
        "Exempt until further notice"
        if exemption.ends_on is None
        else f"Exempt until {uk_date(exemption.ends_on)}"
    )
    return f"{until}: {exemption.reason}." if exemption.reason else f"{until}."


def _assess_completed(
    requirement: RequirementFacts,
    completed_on: dt.date,
    expires_on: dt.date | None,
    extensions: Sequence[ExtensionFacts],
    today: dt.date,
) -> StatusResult:
    done = f"Completed on {uk_date(completed_on)}"

    def result(status: Status, due_on: dt.date | None, reason: str) -> StatusResult:
        return StatusResult(status, due_on, expires_on, completed_on, reason)

    if expires_on is None:
        return result(Status.COMPLIANT, None, f"{done}; does not expire.")
    if today < expires_on - dt.timedelta(days=requirement.window_days):
        return result(Status.COMPLIANT, expires_on, f"{done}; counts until {uk_date(expires_on)}.")
    if today < expires_on:
        # The recertification window is open: renewing now keeps the person compliant.
        left = _days_left(expires_on, today)
        reason = f"{done}; counts until {uk_date(expires_on)}, renew now: {left}."
        return result(Status.EXPIRING_SOON, expires_on, reason)

    # From the expiry day on, the completion no longer counts. Only an extension reaching
    # the expiry date or later belongs to this cycle; an older one was for an earlier cycle.
    extension = _latest_extension(extensions, expires_on, inclusive=True)
    if extension is not None and today <= extension.new_due_on:
        reason = _extended_reason(extension, expires_on, today)
        return result(Status.EXTENDED, extension.new_due_on, reason)
    reason = f"Expired on {uk_date(expires_on)}; last completed on {uk_date(completed_on)}."
    if extension is not None:
        reason = (
            f"Expired on {uk_date(expires_on)}; the extension to "
            f"{uk_date(extension.new_due_on)} has also passed."
        )
    return result(Status.EXPIRED, expires_on, reason)


def _assess_outstanding(
    person: PersonFacts,
    requirement: RequirementFacts,
    exemptions: Sequence[ExemptionFacts],
    extensions: Sequence[ExtensionFacts],
    today: dt.date,
) -> StatusResult:
    def result(status: Status, due_on: dt.date | None, reason: str) -> StatusResult:
        return StatusResult(status, due_on, None, None, reason)

    start = applies_from(person, requirement)
    if start is not None and start > today:
        # Not started yet. An exemption that ended before today cannot push a due date
        # counted from a start that is still to come, so it is left out.
        first = _due_from(start, requirement)
        reason = f"Not due yet: applies from {uk_date(start)}, due by {uk_date(first)}."
        return result(Status.NOT_YET_DUE, first, reason)

    due = _pushed_past_exemption(
        first_due_on(person, requirement, today), requirement, exemptions, today
    )

    # An extension earlier than (or on) the due date gives nothing: it is ignored.
    extension = _latest_extension(extensions, due, inclusive=False)
    if extension is not None:
        if today <= extension.new_due_on:
            return result(
                Status.EXTENDED, extension.new_due_on, _extended_reason(extension, due, today)
            )
        reason = f"Overdue since {uk_date(extension.new_due_on)}"
        reason += f" (extended from {uk_date(due)})." if due is not None else " (extended)."
        return result(Status.OVERDUE, extension.new_due_on, reason)

    if due is None:
        return result(
            Status.DUE, None, "Due now: no start date is recorded, so no deadline can be set."
        )
    if today > due:
        return result(Status.OVERDUE, due, f"Overdue since {uk_date(due)}.")
    # The due day itself is on time: due soon, not overdue.
    status = (
        Status.DUE_SOON
        if today >= due - dt.timedelta(days=requirement.due_soon_days)
        else Status.DUE
    )
    return result(status, due, f"Due by {uk_date(due)}: {_days_left(due, today)}.")


def _days_left(deadline: dt.date, today: dt.date) -> str:
    days = (deadline - today).days
    if days == 0:
        return "today is the last day"
    return "1 day left" if days == 1 else f"{days} days left"


def _extended_reason(extension: ExtensionFacts, was_due: dt.date | None, today: dt.date) -> str:
    notes = [f"was due {uk_date(was_due)}"] if was_due is not None else []
    if extension.reason:
        notes.append(extension.reason)
    detail = f" ({'; '.join(notes)})" if notes else ""
    left = _days_left(extension.new_due_on, today)
    return f"Extended to {uk_date(extension.new_due_on)}{detail}: {left}."
