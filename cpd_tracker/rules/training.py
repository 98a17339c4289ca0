"""The training status engine: where one person stands against one requirement, today.

A pure function of plain facts (see ``assess``); the database and the clock stay outside.
Statuses are derived, never stored (ARCHITECTURE.md, "Training"; DOMAIN.md, "Mandatory
training": relative and fixed due dates, validity, recertification windows, extensions; Totara's
recertification bases; issue 16, "Training renewals").

The rules, first match wins:

1. **Left**: the person's leaving date is before today. The leaving day is the last day
   employed: the person still counts as staff on it.
2. **Exempt**: an exemption is in force today (started, and not yet past its end date).
3. **Not yet due**: the requirement applies from a start in the future (the start date, the
   appointment date for appointment rules, falling back to the start date) and nothing has been
   completed yet.
4. **Grace**: every day from which the person must be given the requirement's due period is a
   *grace start*: the start (or appointment) date, the appointment to a role the requirement
   targets (a role change), the last day of an exemption that has ended, the day the requirement was
   introduced, and the day a new version of the module stops older completions counting. From a
   grace start G the person is due by G plus ``due_days``; for a fixed date, by the first fixed
   date on or after G, or G plus ``grace_days`` (default 30) if that is later. Someone who never
   completed is due by the latest of these (with no start date at all, a fixed-date rule is due
   by the latest occurrence of its date: the cycle rolls on the requirement's own date). Someone
   whose latest completion came before a grace start is due by that deadline or their expiry,
   whichever is later: renewers never fare worse than first-timers.
5. With a **completion** (only those on or before today count, and not those a new module version
   stopped; the latest wins): no validity means compliant for ever. Otherwise its expiry follows
   the requirement's recertification basis (``Basis``), capped by the certificate's own expiry
   when one is recorded. The expiry day is the renewal's due day and, like a first-timer's due
   day, still on time: expired from the day after it (or after the grace deadline, if later),
   inside the window before it expiring soon, else compliant. An extension reaching past that
   day turns expired into extended until its new date.
6. With **no completion**: an extension past the due date gives extended until its new date,
   then overdue; otherwise overdue after the due date, due soon within ``due_soon_days`` of it
   (the due day itself included: completing on the due day is on time), else due.

A ``DAYS_AFTER_*`` rule with no start date at all has no due date: the person is due, with no
deadline, until a start date is recorded (or an extension, exemption or grace start gives one).
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
import functools
from collections.abc import Sequence
from dataclasses import dataclass

from cpd_tracker.dates import long_date
from cpd_tracker.rules.employment import has_left


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


class Basis(enum.StrEnum):
    """Where a completion's expiry is counted from (Totara's three recertification bases)."""

    #: ``validity_months`` after the completion date.
    COMPLETION = "completion"
    #: ``validity_months`` after the previous expiry when renewed inside the window before it
    #: (early renewal keeps the anniversary); after the completion date otherwise.
    EXPIRY = "expiry"
    #: On a fixed date (``due_month``/``due_day``, then every ``validity_months``): the first
    #: that leaves at least the minimum active period after the completion.
    FIXED = "fixed"


#: Fixed-date rules: days a newcomer (starter, returner, role change, new requirement) has at
#: least, when the requirement does not say (``grace_days``).
DEFAULT_FIXED_GRACE_DAYS = 30


@dataclass(frozen=True)
class RequirementFacts:
    rule: Rule
    due_days: int | None = None
    due_month: int | None = None
    due_day: int | None = None
    validity_months: int | None = None
    window_days: int = 60
    due_soon_days: int = 30
    #: None: ``FIXED`` for fixed-date rules, ``COMPLETION`` otherwise (the old behaviour).
    basis: Basis | None = None
    #: ``FIXED`` basis: the least a completion counts for; None: half the validity.
    min_active_months: int | None = None
    #: Fixed-date rules: a newcomer has at least this many days; None: 30.
    grace_days: int | None = None
    #: The day the requirement was introduced (a grace start for everyone).
    introduced_on: dt.date | None = None
    #: A new module version: from this day, completions before it no longer count.
    counts_from: dt.date | None = None

    @property
    def recertify_from(self) -> Basis:
        if self.basis is not None:
            return self.basis
        return Basis.FIXED if self.rule is Rule.FIXED_DATE else Basis.COMPLETION

    @property
    def min_active(self) -> int:
        """Months the ``FIXED`` basis guarantees a completion at least."""
        if self.min_active_months is not None:
            return self.min_active_months
        return (self.validity_months or 0) // 2


@dataclass(frozen=True)
class PersonFacts:
    #: The start of the current employment (a rejoiner's is the day they came back).
    start_date: dt.date | None
    #: When the person took the role this requirement targets (the base of DAYS_AFTER_APPOINTMENT;
    #: for other rules, a role change that brought the requirement: a grace start).
    appointed_on: dt.date | None = None
    #: The last day employed.
    leaving_date: dt.date | None = None


@dataclass(frozen=True)
class CompletionFacts:
    completed_on: dt.date
    #: The provider's certificate's own expiry, when recorded: the completion counts no longer.
    certificate_expires_on: dt.date | None = None


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
    #: The last day the latest completion counts; None when it never expires or none exists.
    expires_on: dt.date | None
    last_completed_on: dt.date | None
    #: A sentence a member of staff understands, naming the dates that drive the status.
    reason: str


# --- Dates ----------------------------------------------------------------------------------

_DAY = dt.timedelta(days=1)


def uk_date(day: dt.date) -> str:
    """``day`` as staff in England write it: "1 September 2027" (see cpd_tracker.dates)."""
    return long_date(day)


@functools.lru_cache(maxsize=65536)
def _clamped(year: int, month: int, day: int) -> dt.date:
    # The last day of the month stands in for a day the month lacks (29 February in 2025).
    # Cached: the status facts of a trust ask for the same few thousand days millions of
    # times (``calendar.monthrange`` was a fifth of computing them).
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
        return due_after(start, requirement)
    if requirement.rule is Rule.FIXED_DATE:
        # No start date: the cycle rolls on the requirement's own date (not 1 January), so
        # the deadline is its latest occurrence, today's included.
        return previous_fixed_date(today, requirement)
    return None


def due_after(grace_start: dt.date, requirement: RequirementFacts) -> dt.date:
    """The deadline of someone given the requirement's due period from ``grace_start``."""
    if requirement.rule is Rule.FIXED_DATE:
        days = (
            DEFAULT_FIXED_GRACE_DAYS if requirement.grace_days is None else requirement.grace_days
        )
        return max(next_fixed_date(grace_start, requirement), grace_start + dt.timedelta(days=days))
    return grace_start + dt.timedelta(days=_due_days(requirement))


def grace_starts(
    person: PersonFacts,
    requirement: RequirementFacts,
    exemptions: Sequence[ExemptionFacts],
    today: dt.date,
) -> list[dt.date]:
    """Days on or before ``today`` from which the person is owed the requirement's due period."""
    days = [
        applies_from(person, requirement),
        person.start_date,
        person.appointed_on,
        requirement.introduced_on,
        requirement.counts_from,
    ]
    # Back from an exemption (long-term absence, say): a full period again, counted from the
    # day it ended, once it has.
    days += [e.ends_on for e in exemptions if e.ends_on is not None and e.ends_on < today]
    return sorted({day for day in days if day is not None and day <= today})


# --- Completions ----------------------------------------------------------------------------


def covered_cycle_due_on(requirement: RequirementFacts, completed_on: dt.date) -> dt.date:
    """For a fixed-date requirement, the due date of the cycle a completion counts for.

    Early completions inside the recertification window count for the coming cycle; any
    other completion counts, late, for the cycle whose date has just gone. (The ``FIXED``
    basis anchors its cycles here when the person's own first fixed date is unknown.)
    """
    coming = next_fixed_date(completed_on, requirement)
    if (coming - completed_on).days <= requirement.window_days:
        return coming
    return previous_fixed_date(completed_on, requirement)


def _cycle_date(anchor: dt.date, steps: int, requirement: RequirementFacts) -> dt.date:
    # The anchor moved by whole validity periods, snapped back to the fixed day (clamping may
    # have cut it short: 28 Feb 2027 + 12 months is 28 Feb 2028, but 29 February falls on 29th).
    months = steps * (requirement.validity_months or 12)
    moved = add_months(anchor, months)
    return _clamped(moved.year, moved.month, _fixed_month_day(requirement)[1])


def _fixed_expiry(requirement: RequirementFacts, completed_on: dt.date, anchor: dt.date) -> dt.date:
    """The first cycle date (``anchor`` plus whole validity periods) after ``completed_on``
    that leaves at least the minimum active period: a June completion is not due again in
    September, and 60 or 61 days before the date give the same expiry."""
    earliest = max(add_months(completed_on, requirement.min_active), completed_on + _DAY)
    months = requirement.validity_months or 12
    gap = (earliest.year - anchor.year) * 12 + earliest.month - anchor.month
    steps = gap // months - 1
    while _cycle_date(anchor, steps, requirement) >= earliest:
        steps -= 1
    while _cycle_date(anchor, steps, requirement) < earliest:
        steps += 1
    return _cycle_date(anchor, steps, requirement)


def expiry_for(
    requirement: RequirementFacts,
    completed_on: dt.date,
    *,
    previous_expiry: dt.date | None = None,
    anchor: dt.date | None = None,
    certificate_expires_on: dt.date | None = None,
) -> dt.date | None:
    """The last day a completion on ``completed_on`` counts (its renewal's due day); None if
    it never expires.

    ``previous_expiry`` is the expiry of the completion before it (``EXPIRY`` basis);
    ``anchor`` a fixed date of the person's cycle (``FIXED`` basis; default the cycle the
    completion covers). A recorded certificate expiry caps the result.
    """
    expiry: dt.date | None = None
    months = requirement.validity_months
    if months is not None:
        basis = requirement.recertify_from
        if basis is Basis.FIXED:
            expiry = _fixed_expiry(
                requirement,
                completed_on,
                anchor if anchor is not None else covered_cycle_due_on(requirement, completed_on),
            )
        elif (
            basis is Basis.EXPIRY
            and previous_expiry is not None
            and previous_expiry - dt.timedelta(days=requirement.window_days)
            <= completed_on
            <= previous_expiry
        ):
            expiry = add_months(previous_expiry, months)
        else:
            expiry = add_months(completed_on, months)
    if certificate_expires_on is not None:
        return certificate_expires_on if expiry is None else min(expiry, certificate_expires_on)
    return expiry


def _as_facts(completion: dt.date | CompletionFacts) -> CompletionFacts:
    return completion if isinstance(completion, CompletionFacts) else CompletionFacts(completion)


def counted_completions(
    requirement: RequirementFacts,
    completions: Sequence[dt.date | CompletionFacts],
    today: dt.date,
) -> list[CompletionFacts]:
    """The completions that count on ``today``, oldest first.

    A completion dated after today is a data-entry error: it cannot count yet. From the day a
    new module version says so, completions before that day no longer count.
    """
    cut = requirement.counts_from
    facts = [_as_facts(c) for c in completions]
    return sorted(
        (
            c
            for c in facts
            if c.completed_on <= today and (cut is None or today < cut or c.completed_on >= cut)
        ),
        key=lambda c: (c.completed_on, c.certificate_expires_on or dt.date.max),
    )


def latest_expiry(
    person: PersonFacts, requirement: RequirementFacts, counted: Sequence[CompletionFacts]
) -> dt.date | None:
    """The expiry of the latest of ``counted`` (oldest first), each renewal in turn."""
    anchor = None
    if requirement.recertify_from is Basis.FIXED and requirement.validity_months is not None:
        start = applies_from(person, requirement)
        # The person's own cycle: the first fixed date once the requirement applied to them.
        anchor = next_fixed_date(start, requirement) if start is not None else None
    expiry = None
    for completion in counted:
        expiry = expiry_for(
            requirement,
            completion.completed_on,
            previous_expiry=expiry,
            anchor=anchor,
            certificate_expires_on=completion.certificate_expires_on,
        )
    return expiry


def _latest_extension(
    extensions: Sequence[ExtensionFacts], later_than: dt.date | None
) -> ExtensionFacts | None:
    candidates = [e for e in extensions if later_than is None or e.new_due_on > later_than]
    return max(candidates, key=lambda e: e.new_due_on) if candidates else None


# --- Assessment -----------------------------------------------------------------------------


def assess(
    person: PersonFacts,
    requirement: RequirementFacts,
    completions: Sequence[dt.date | CompletionFacts],
    exemptions: Sequence[ExemptionFacts],
    extensions: Sequence[ExtensionFacts],
    today: dt.date,
) -> StatusResult:
    """Where ``person`` stands against ``requirement`` on ``today``."""
    counted = counted_completions(requirement, completions, today)
    completed_on = counted[-1].completed_on if counted else None
    expires_on = latest_expiry(person, requirement, counted)

    # Rule 1: a leaver drops out of every figure from the day after the leaving day (their
    # last day employed), history kept.
    if person.leaving_date is not None and has_left(person.leaving_date, today):
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

    starts = grace_starts(person, requirement, exemptions, today)
    if completed_on is None:
        return _assess_outstanding(person, requirement, starts, extensions, today)
    # Rule 4 for renewers: a grace start after the latest completion gives the due period too.
    owed = [due_after(day, requirement) for day in starts if day > completed_on]
    grace_due = max(owed) if owed else None
    return _assess_completed(requirement, completed_on, expires_on, grace_due, extensions, today)


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
    grace_due: dt.date | None,
    extensions: Sequence[ExtensionFacts],
    today: dt.date,
) -> StatusResult:
    done = f"Completed on {uk_date(completed_on)}"

    def result(status: Status, due_on: dt.date | None, reason: str) -> StatusResult:
        return StatusResult(status, due_on, expires_on, completed_on, reason)

    if expires_on is None:
        return result(Status.COMPLIANT, None, f"{done}; does not expire.")
    # The renewal is due on the expiry day, or later when a grace start owes a full period.
    renew_by = expires_on if grace_due is None else max(expires_on, grace_due)
    counts = f"{done}; counts until {uk_date(expires_on)}"
    if renew_by > expires_on:
        counts += f", renewal due by {uk_date(renew_by)}"
    if today <= expires_on:
        if today < renew_by - dt.timedelta(days=requirement.window_days):
            return result(Status.COMPLIANT, renew_by, f"{counts}.")
        # The recertification window is open: renewing now keeps the person compliant. The
        # expiry day itself is on time, as a first-timer's due day is.
        reason = f"{counts}, renew now: {_days_left(renew_by, today)}."
        return result(Status.EXPIRING_SOON, renew_by, reason)
    if today <= renew_by:
        # Lapsed, but owed the due period (back from an exemption, rejoined, new role, ...).
        status = (
            Status.DUE_SOON
            if today >= renew_by - dt.timedelta(days=requirement.due_soon_days)
            else Status.DUE
        )
        reason = (
            f"Due by {uk_date(renew_by)}: {_days_left(renew_by, today)}; last completed on "
            f"{uk_date(completed_on)}, which counted until {uk_date(expires_on)}."
        )
        return result(status, renew_by, reason)

    # After the renewal's due day the completion no longer counts. Only an extension beyond
    # that day belongs to this cycle; an older one was for an earlier cycle.
    extension = _latest_extension(extensions, renew_by)
    if extension is not None and today <= extension.new_due_on:
        reason = _extended_reason(extension, renew_by, today)
        return result(Status.EXTENDED, extension.new_due_on, reason)
    reason = f"Expired: counted until {uk_date(expires_on)}"
    if renew_by > expires_on:
        reason += f", renewal was due by {uk_date(renew_by)}"
    reason += f"; last completed on {uk_date(completed_on)}."
    if extension is not None:
        reason = (
            f"Expired: counted until {uk_date(expires_on)}; the extension to "
            f"{uk_date(extension.new_due_on)} has also passed."
        )
    return result(Status.EXPIRED, renew_by, reason)


def _assess_outstanding(
    person: PersonFacts,
    requirement: RequirementFacts,
    starts: Sequence[dt.date],
    extensions: Sequence[ExtensionFacts],
    today: dt.date,
) -> StatusResult:
    def result(status: Status, due_on: dt.date | None, reason: str) -> StatusResult:
        return StatusResult(status, due_on, None, None, reason)

    start = applies_from(person, requirement)
    if start is not None and start > today:
        # Not started yet. An exemption that ended before today cannot push a due date
        # counted from a start that is still to come, so it is left out.
        first = due_after(start, requirement)
        reason = f"Not due yet: applies from {uk_date(start)}, due by {uk_date(first)}."
        return result(Status.NOT_YET_DUE, first, reason)

    candidates = [due_after(day, requirement) for day in starts]
    if start is None and requirement.rule is Rule.FIXED_DATE:
        candidates.append(previous_fixed_date(today, requirement))
    due = max(candidates, default=None)

    # An extension earlier than (or on) the due date gives nothing: it is ignored.
    extension = _latest_extension(extensions, due)
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
