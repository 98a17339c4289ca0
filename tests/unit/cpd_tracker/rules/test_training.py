"""The training status engine, as tables of cases with their boundaries (DOMAIN.md,
"Mandatory training"). Each row states the status, the dates and the words of the reason."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from cpd_tracker.rules.training import (
    ExemptionFacts,
    ExtensionFacts,
    PersonFacts,
    RequirementFacts,
    Rule,
    Status,
    assess,
)

date = dt.date

#: Induction: within 30 days of starting, never expires.
INDUCTION = RequirementFacts(Rule.DAYS_AFTER_START, due_days=30)
#: Refreshed every year: within 30 days of starting, then yearly, reminders 14 days ahead.
YEARLY = RequirementFacts(
    Rule.DAYS_AFTER_START, due_days=30, validity_months=12, window_days=60, due_soon_days=14
)
#: Renewed every four years (e.g. a first-aid style certificate).
FOUR_YEARLY = RequirementFacts(Rule.DAYS_AFTER_START, due_days=30, validity_months=48)
#: Role-based: within 90 days of appointment as SENCO, every three years.
SENCO = RequirementFacts(Rule.DAYS_AFTER_APPOINTMENT, due_days=90, validity_months=36)
#: The academic year: by 1 September each year.
ACADEMIC = RequirementFacts(Rule.FIXED_DATE, due_month=9, due_day=1, validity_months=12)
#: By 1 September, once.
ACADEMIC_ONCE = RequirementFacts(Rule.FIXED_DATE, due_month=9, due_day=1)
#: A fixed date on 29 February: 28 February in other years.
LEAP_DAY = RequirementFacts(Rule.FIXED_DATE, due_month=2, due_day=29, validity_months=12)

#: Started 5 January 2026: YEARLY and INDUCTION first fall due on 4 February 2026.
STAFF = PersonFacts(start_date=date(2026, 1, 5))
LONG_SERVING = PersonFacts(start_date=date(2020, 1, 1))
NO_START = PersonFacts(start_date=None)

ABSENCE = ExemptionFacts(date(2026, 3, 1), date(2026, 8, 31), "long-term absence")


@dataclass(frozen=True)
class Case:
    id: str
    today: dt.date
    status: Status
    due_on: dt.date | None
    expires_on: dt.date | None = None
    last: dt.date | None = None
    words: tuple[str, ...] = ()
    requirement: RequirementFacts = YEARLY
    person: PersonFacts = STAFF
    completions: Sequence[dt.date] = ()
    exemptions: Sequence[ExemptionFacts] = ()
    extensions: Sequence[ExtensionFacts] = ()


def check(case: Case) -> None:
    result = assess(
        case.person,
        case.requirement,
        case.completions,
        case.exemptions,
        case.extensions,
        case.today,
    )
    assert (result.status, result.due_on, result.expires_on, result.last_completed_on) == (
        case.status,
        case.due_on,
        case.expires_on,
        case.last,
    )
    for word in case.words:
        assert word in result.reason
    assert result.reason.endswith(".")


def table(*cases: Case) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("case", cases, ids=[c.id for c in cases])


# --- Never completed: due, due soon, overdue, not yet due --------------------------------------


@table(
    Case("just started", date(2026, 1, 6), Status.DUE, date(2026, 2, 4),
         words=("Due by 4 February 2026", "29 days left")),
    Case("start day itself applies", date(2026, 1, 5), Status.DUE, date(2026, 2, 4),
         words=("30 days left",)),
    Case("day before due-soon", date(2026, 1, 20), Status.DUE, date(2026, 2, 4),
         words=("15 days left",)),
    Case("due-soon opens", date(2026, 1, 21), Status.DUE_SOON, date(2026, 2, 4),
         words=("Due by 4 February 2026", "14 days left")),
    Case("day before due", date(2026, 2, 3), Status.DUE_SOON, date(2026, 2, 4),
         words=("1 day left",)),
    Case("due day itself is on time", date(2026, 2, 4), Status.DUE_SOON, date(2026, 2, 4),
         words=("today is the last day",)),
    Case("day after due", date(2026, 2, 5), Status.OVERDUE, date(2026, 2, 4),
         words=("Overdue since 4 February 2026",)),
    Case("start tomorrow", date(2026, 1, 4), Status.NOT_YET_DUE, date(2026, 2, 4),
         words=("Not due yet", "5 January 2026", "4 February 2026")),
    Case("start in future, completion only after today", date(2025, 12, 1), Status.NOT_YET_DUE,
         date(2026, 2, 4), completions=[date(2026, 1, 10)]),
    Case("completed before starting counts", date(2026, 1, 1), Status.COMPLIANT,
         date(2026, 12, 10), expires_on=date(2026, 12, 10), last=date(2025, 12, 10),
         completions=[date(2025, 12, 10)]),
    Case("completion after today ignored", date(2026, 3, 1), Status.OVERDUE, date(2026, 2, 4),
         completions=[date(2026, 4, 1)], words=("Overdue since 4 February 2026",)),
)  # fmt: skip
def test_never_completed(case: Case) -> None:
    check(case)


# --- Completed: compliant, expiring soon, expired ----------------------------------------------

DONE_ON_DUE_DAY = [date(2026, 2, 4)]  # due 4 Feb 2026, done that day: expires 4 Feb 2027


@table(
    Case("completed on the due day", date(2026, 2, 4), Status.COMPLIANT, date(2027, 2, 4),
         expires_on=date(2027, 2, 4), last=date(2026, 2, 4), completions=DONE_ON_DUE_DAY,
         words=("Completed on 4 February 2026", "counts until 4 February 2027")),
    Case("day before window opens", date(2026, 12, 5), Status.COMPLIANT, date(2027, 2, 4),
         expires_on=date(2027, 2, 4), last=date(2026, 2, 4), completions=DONE_ON_DUE_DAY),
    Case("window opening today", date(2026, 12, 6), Status.EXPIRING_SOON, date(2027, 2, 4),
         expires_on=date(2027, 2, 4), last=date(2026, 2, 4), completions=DONE_ON_DUE_DAY,
         words=("counts until 4 February 2027", "renew now", "60 days left")),
    Case("day before expiry", date(2027, 2, 3), Status.EXPIRING_SOON, date(2027, 2, 4),
         expires_on=date(2027, 2, 4), last=date(2026, 2, 4), completions=DONE_ON_DUE_DAY,
         words=("1 day left",)),
    # Issue 16: the renewal's due day is on time, as a first-timer's is.
    Case("expiry day: renewing today is on time", date(2027, 2, 4), Status.EXPIRING_SOON,
         date(2027, 2, 4), expires_on=date(2027, 2, 4), last=date(2026, 2, 4),
         completions=DONE_ON_DUE_DAY, words=("counts until 4 February 2027",
                                             "today is the last day")),
    Case("day after the expiry day", date(2027, 2, 5), Status.EXPIRED, date(2027, 2, 4),
         expires_on=date(2027, 2, 4), last=date(2026, 2, 4), completions=DONE_ON_DUE_DAY,
         words=("Expired: counted until 4 February 2027", "last completed on 4 February 2026")),
    Case("long after expiry", date(2028, 6, 1), Status.EXPIRED, date(2027, 2, 4),
         expires_on=date(2027, 2, 4), last=date(2026, 2, 4), completions=DONE_ON_DUE_DAY),
    Case("latest of several wins", date(2026, 3, 1), Status.COMPLIANT, date(2027, 1, 20),
         expires_on=date(2027, 1, 20), last=date(2026, 1, 20),
         completions=[date(2025, 2, 1), date(2026, 1, 20), date(2025, 3, 10)]),
    Case("future completion ignored, earlier one counts", date(2026, 3, 1), Status.COMPLIANT,
         date(2027, 2, 4), expires_on=date(2027, 2, 4), last=date(2026, 2, 4),
         completions=[date(2026, 6, 1), date(2026, 2, 4)]),
    Case("no validity: compliant for ever", date(2040, 1, 1), Status.COMPLIANT, None,
         last=date(2026, 2, 1), requirement=INDUCTION, completions=[date(2026, 2, 1)],
         words=("Completed on 1 February 2026", "does not expire")),
    Case("31 January + 12 months", date(2026, 6, 1), Status.COMPLIANT, date(2027, 1, 31),
         expires_on=date(2027, 1, 31), last=date(2026, 1, 31), completions=[date(2026, 1, 31)]),
)  # fmt: skip
def test_completed(case: Case) -> None:
    check(case)


# --- 29 February --------------------------------------------------------------------------------


@table(
    Case("48 months from 29 Feb 2024: day before 29 Feb 2028", date(2028, 2, 28),
         Status.EXPIRING_SOON, date(2028, 2, 29), expires_on=date(2028, 2, 29),
         last=date(2024, 2, 29), requirement=FOUR_YEARLY, completions=[date(2024, 2, 29)],
         words=("counts until 29 February 2028", "1 day left")),
    Case("48 months from 29 Feb 2024: last day 29 Feb 2028", date(2028, 2, 29),
         Status.EXPIRING_SOON, date(2028, 2, 29), expires_on=date(2028, 2, 29),
         last=date(2024, 2, 29), requirement=FOUR_YEARLY, completions=[date(2024, 2, 29)],
         words=("today is the last day",)),
    Case("48 months from 29 Feb 2024: expired 1 March 2028", date(2028, 3, 1), Status.EXPIRED,
         date(2028, 2, 29), expires_on=date(2028, 2, 29), last=date(2024, 2, 29),
         requirement=FOUR_YEARLY, completions=[date(2024, 2, 29)],
         words=("counted until 29 February 2028",)),
    Case("12 months from 29 Feb 2024: 28 Feb 2025", date(2025, 2, 27), Status.EXPIRING_SOON,
         date(2025, 2, 28), expires_on=date(2025, 2, 28), last=date(2024, 2, 29),
         completions=[date(2024, 2, 29)], words=("28 February 2025",)),
    Case("12 months from 29 Feb 2024: expired 1 March 2025", date(2025, 3, 1), Status.EXPIRED,
         date(2025, 2, 28), expires_on=date(2025, 2, 28), last=date(2024, 2, 29),
         completions=[date(2024, 2, 29)]),
    Case("fixed 29 Feb: first due in a common year is 28 Feb", date(2025, 3, 1), Status.OVERDUE,
         date(2025, 2, 28), requirement=LEAP_DAY, person=PersonFacts(date(2025, 1, 1)),
         words=("Overdue since 28 February 2025",)),
    Case("fixed 29 Feb: cycle of 28 Feb 2027 runs to 29 Feb 2028", date(2027, 3, 1),
         Status.COMPLIANT, date(2028, 2, 29), expires_on=date(2028, 2, 29),
         last=date(2027, 2, 28), requirement=LEAP_DAY, person=LONG_SERVING,
         completions=[date(2027, 2, 28)]),
)  # fmt: skip
def test_leap_day(case: Case) -> None:
    check(case)


# --- Leavers ------------------------------------------------------------------------------------

LEAVING = date(2026, 7, 20)


@table(
    # Issue 16: the leaving day is the last day employed, still counted as staff.
    Case("leaving day: still staff", LEAVING, Status.OVERDUE, date(2026, 2, 4),
         person=PersonFacts(STAFF.start_date, leaving_date=LEAVING),
         words=("Overdue since 4 February 2026",)),
    Case("day after the leaving day: left", LEAVING + dt.timedelta(days=1), Status.LEFT, None,
         person=PersonFacts(STAFF.start_date, leaving_date=LEAVING),
         words=("Left on 20 July 2026",)),
    Case("left last week", LEAVING + dt.timedelta(days=7), Status.LEFT, None,
         person=PersonFacts(STAFF.start_date, leaving_date=LEAVING)),
    Case("leaving tomorrow: still counted", LEAVING - dt.timedelta(days=1), Status.OVERDUE,
         date(2026, 2, 4), person=PersonFacts(STAFF.start_date, leaving_date=LEAVING)),
    Case("leaver keeps completion history", LEAVING + dt.timedelta(days=1), Status.LEFT, None,
         expires_on=date(2027, 2, 4), last=date(2026, 2, 4), completions=DONE_ON_DUE_DAY,
         person=PersonFacts(STAFF.start_date, leaving_date=LEAVING)),
    Case("leaving beats exemption", LEAVING + dt.timedelta(days=1), Status.LEFT, None,
         exemptions=[ABSENCE],
         person=PersonFacts(STAFF.start_date, leaving_date=LEAVING)),
)  # fmt: skip
def test_leavers(case: Case) -> None:
    check(case)


# --- Exemptions ---------------------------------------------------------------------------------


@table(
    Case("exempt", date(2026, 5, 1), Status.EXEMPT, None, exemptions=[ABSENCE],
         words=("Exempt until 31 August 2026: long-term absence.",)),
    Case("first day of exemption", date(2026, 3, 1), Status.EXEMPT, None, exemptions=[ABSENCE]),
    Case("day before exemption: rules apply", date(2026, 2, 28), Status.OVERDUE,
         date(2026, 2, 4), exemptions=[ABSENCE]),
    Case("last day of exemption", date(2026, 8, 31), Status.EXEMPT, None, exemptions=[ABSENCE]),
    Case("day after exemption: due date pushed", date(2026, 9, 1), Status.DUE,
         date(2026, 9, 30), exemptions=[ABSENCE],
         words=("Due by 30 September 2026", "29 days left")),
    Case("after exemption: overdue from pushed date", date(2026, 10, 1), Status.OVERDUE,
         date(2026, 9, 30), exemptions=[ABSENCE], words=("Overdue since 30 September 2026",)),
    Case("old exemption does not bring the due date forward", date(2026, 1, 10), Status.DUE,
         date(2026, 2, 4), exemptions=[ExemptionFacts(date(2025, 1, 1), date(2025, 1, 31))]),
    Case("latest ended exemption pushes", date(2026, 9, 1), Status.DUE, date(2026, 9, 30),
         exemptions=[ExemptionFacts(date(2026, 2, 1), date(2026, 2, 20)), ABSENCE]),
    Case("open-ended exemption", date(2030, 1, 1), Status.EXEMPT, None,
         exemptions=[ExemptionFacts(date(2026, 3, 1), None, "maternity leave")],
         words=("Exempt until further notice: maternity leave.",)),
    Case("exemption without a reason", date(2026, 5, 1), Status.EXEMPT, None,
         exemptions=[ExemptionFacts(date(2026, 3, 1), date(2026, 8, 31))],
         words=("Exempt until 31 August 2026.",)),
    Case("overlapping exemptions: the longest is named", date(2026, 5, 1), Status.EXEMPT, None,
         exemptions=[ABSENCE, ExemptionFacts(date(2026, 4, 1), None, "governor only"),
                     ExemptionFacts(date(2026, 4, 1), date(2026, 6, 1), "short")],
         words=("until further notice: governor only",)),
    Case("future exemption ignored", date(2026, 2, 10), Status.OVERDUE, date(2026, 2, 4),
         exemptions=[ABSENCE]),
    Case("exemption beats an expired completion", date(2027, 3, 1), Status.EXEMPT, None,
         expires_on=date(2027, 2, 4), last=date(2026, 2, 4), completions=DONE_ON_DUE_DAY,
         exemptions=[ExemptionFacts(date(2027, 1, 1), None, "on secondment")]),
    Case("exemption beats not-yet-due", date(2025, 12, 1), Status.EXEMPT, None,
         exemptions=[ExemptionFacts(date(2025, 11, 1), None, "governor")]),
    Case("fixed date after exemption: next 1 September after it", date(2026, 9, 16), Status.DUE,
         date(2027, 9, 1), requirement=ACADEMIC, person=PersonFacts(date(2026, 1, 1)),
         exemptions=[ExemptionFacts(date(2026, 6, 1), date(2026, 9, 15))]),
    # Issue 16: back on 1 September is owed the grace period (30 days), not overdue next day.
    Case("fixed date exemption ending on the day before 1 September", date(2026, 9, 1),
         Status.DUE_SOON, date(2026, 9, 30), requirement=ACADEMIC, person=LONG_SERVING,
         exemptions=[ExemptionFacts(date(2026, 6, 1), date(2026, 8, 31))],
         words=("Due by 30 September 2026", "29 days left")),
)  # fmt: skip
def test_exemptions(case: Case) -> None:
    check(case)


# --- Extensions ---------------------------------------------------------------------------------

TO_4_MARCH = ExtensionFacts(date(2026, 3, 4))  # due was 4 February 2026


@table(
    Case("extended, before the new date", date(2026, 2, 10), Status.EXTENDED, date(2026, 3, 4),
         extensions=[TO_4_MARCH],
         words=("Extended to 4 March 2026", "was due 4 February 2026", "22 days left")),
    Case("extended, on the new date", date(2026, 3, 4), Status.EXTENDED, date(2026, 3, 4),
         extensions=[TO_4_MARCH], words=("today is the last day",)),
    Case("extended, day after the new date", date(2026, 3, 5), Status.OVERDUE, date(2026, 3, 4),
         extensions=[TO_4_MARCH],
         words=("Overdue since 4 March 2026", "extended from 4 February 2026")),
    Case("extension granted before the due date", date(2026, 1, 30), Status.EXTENDED,
         date(2026, 3, 4), extensions=[TO_4_MARCH]),
    Case("extension earlier than due changes nothing", date(2026, 2, 5), Status.OVERDUE,
         date(2026, 2, 4), extensions=[ExtensionFacts(date(2026, 2, 1))],
         words=("Overdue since 4 February 2026.",)),
    Case("extension to the due date itself changes nothing", date(2026, 2, 5), Status.OVERDUE,
         date(2026, 2, 4), extensions=[ExtensionFacts(date(2026, 2, 4))]),
    Case("latest extension wins", date(2026, 3, 3), Status.EXTENDED, date(2026, 3, 4),
         extensions=[ExtensionFacts(date(2026, 2, 20)), TO_4_MARCH]),
    Case("extension reason shown", date(2026, 2, 10), Status.EXTENDED, date(2026, 3, 4),
         extensions=[ExtensionFacts(date(2026, 3, 4), "course cancelled by provider")],
         words=("(was due 4 February 2026; course cancelled by provider)",)),
    Case("expired, extended past expiry", date(2027, 2, 10), Status.EXTENDED, date(2027, 3, 1),
         expires_on=date(2027, 2, 4), last=date(2026, 2, 4), completions=DONE_ON_DUE_DAY,
         extensions=[ExtensionFacts(date(2027, 3, 1))],
         words=("Extended to 1 March 2027", "was due 4 February 2027", "19 days left")),
    Case("extension to the expiry day itself changes nothing", date(2027, 2, 5),
         Status.EXPIRED, date(2027, 2, 4), expires_on=date(2027, 2, 4), last=date(2026, 2, 4),
         completions=DONE_ON_DUE_DAY, extensions=[ExtensionFacts(date(2027, 2, 4))]),
    Case("expired, extension passed", date(2027, 3, 2), Status.EXPIRED, date(2027, 2, 4),
         expires_on=date(2027, 2, 4), last=date(2026, 2, 4), completions=DONE_ON_DUE_DAY,
         extensions=[ExtensionFacts(date(2027, 3, 1))],
         words=("counted until 4 February 2027", "extension to 1 March 2027 has also passed")),
    Case("expired, extension from an earlier cycle ignored", date(2027, 2, 10), Status.EXPIRED,
         date(2027, 2, 4), expires_on=date(2027, 2, 4), last=date(2026, 2, 4),
         completions=DONE_ON_DUE_DAY, extensions=[TO_4_MARCH],
         words=("last completed on 4 February 2026",)),
    Case("expiring soon: extension not needed yet", date(2027, 2, 1), Status.EXPIRING_SOON,
         date(2027, 2, 4), expires_on=date(2027, 2, 4), last=date(2026, 2, 4),
         completions=DONE_ON_DUE_DAY, extensions=[ExtensionFacts(date(2027, 3, 1))]),
)  # fmt: skip
def test_extensions(case: Case) -> None:
    check(case)


# --- Appointment-based rules ---------------------------------------------------------------------

APPOINTED = PersonFacts(start_date=date(2015, 9, 1), appointed_on=date(2026, 9, 1))


@table(
    Case("counted from appointment, not start", date(2026, 10, 1), Status.DUE,
         date(2026, 11, 30), requirement=SENCO, person=APPOINTED,
         words=("Due by 30 November 2026", "60 days left")),
    Case("appointment due soon", date(2026, 10, 31), Status.DUE_SOON, date(2026, 11, 30),
         requirement=SENCO, person=APPOINTED),
    Case("appointment in the future", date(2026, 8, 1), Status.NOT_YET_DUE, date(2026, 11, 30),
         requirement=SENCO, person=APPOINTED,
         words=("applies from 1 September 2026", "due by 30 November 2026")),
    Case("no appointment date: start date used", date(2025, 12, 1), Status.OVERDUE,
         date(2025, 11, 30), requirement=SENCO, person=PersonFacts(date(2025, 9, 1)),
         words=("Overdue since 30 November 2025",)),
    Case("appointment rule, completed", date(2027, 1, 1), Status.COMPLIANT, date(2029, 11, 1),
         expires_on=date(2029, 11, 1), last=date(2026, 11, 1), requirement=SENCO,
         person=APPOINTED, completions=[date(2026, 11, 1)]),
)  # fmt: skip
def test_appointment(case: Case) -> None:
    check(case)


# --- Fixed dates: academic-year cycles (by 1 September, valid 12 months, window 60 days) --------


@table(
    Case("early, within the window", date(2026, 7, 16), Status.COMPLIANT, date(2027, 9, 1),
         expires_on=date(2027, 9, 1), last=date(2026, 7, 15), requirement=ACADEMIC,
         person=LONG_SERVING, completions=[date(2026, 7, 15)],
         words=("Completed on 15 July 2026", "counts until 1 September 2027")),
    Case("early, window's first day (60 days before)", date(2026, 7, 4), Status.COMPLIANT,
         date(2027, 9, 1), expires_on=date(2027, 9, 1), last=date(2026, 7, 3),
         requirement=ACADEMIC, person=LONG_SERVING, completions=[date(2026, 7, 3)]),
    # Issue 16: the minimum active period (half the validity): 61 days before as 60 days.
    Case("61 days before: counts for the coming cycle too", date(2026, 7, 3),
         Status.COMPLIANT, date(2027, 9, 1), expires_on=date(2027, 9, 1),
         last=date(2026, 7, 2), requirement=ACADEMIC, person=LONG_SERVING,
         completions=[date(2026, 7, 2)]),
    Case("on the day", date(2026, 9, 1), Status.COMPLIANT, date(2027, 9, 1),
         expires_on=date(2027, 9, 1), last=date(2026, 9, 1), requirement=ACADEMIC,
         person=LONG_SERVING, completions=[date(2026, 9, 1)]),
    Case("late, in September", date(2026, 9, 6), Status.COMPLIANT, date(2027, 9, 1),
         expires_on=date(2027, 9, 1), last=date(2026, 9, 5), requirement=ACADEMIC,
         person=LONG_SERVING, completions=[date(2026, 9, 5)]),
    Case("late, in January", date(2027, 1, 2), Status.COMPLIANT, date(2027, 9, 1),
         expires_on=date(2027, 9, 1), last=date(2027, 1, 1), requirement=ACADEMIC,
         person=LONG_SERVING, completions=[date(2027, 1, 1)]),
    Case("day before the window opens", date(2027, 7, 2), Status.COMPLIANT, date(2027, 9, 1),
         expires_on=date(2027, 9, 1), last=date(2026, 7, 15), requirement=ACADEMIC,
         person=LONG_SERVING, completions=[date(2026, 7, 15)]),
    Case("window opens (3 July)", date(2027, 7, 3), Status.EXPIRING_SOON, date(2027, 9, 1),
         expires_on=date(2027, 9, 1), last=date(2026, 7, 15), requirement=ACADEMIC,
         person=LONG_SERVING, completions=[date(2026, 7, 15)], words=("60 days left",)),
    Case("next 1 September: due today", date(2027, 9, 1), Status.EXPIRING_SOON,
         date(2027, 9, 1), expires_on=date(2027, 9, 1), last=date(2026, 7, 15),
         requirement=ACADEMIC, person=LONG_SERVING, completions=[date(2026, 7, 15)],
         words=("today is the last day",)),
    Case("2 September: expired", date(2027, 9, 2), Status.EXPIRED, date(2027, 9, 1),
         expires_on=date(2027, 9, 1), last=date(2026, 7, 15), requirement=ACADEMIC,
         person=LONG_SERVING, completions=[date(2026, 7, 15)],
         words=("Expired: counted until 1 September 2027",)),
    Case("new starter: first 1 September after start", date(2026, 8, 1), Status.DUE,
         date(2026, 9, 1), requirement=ACADEMIC, person=PersonFacts(date(2026, 1, 1)),
         words=("Due by 1 September 2026", "31 days left")),
    Case("new starter: due soon 30 days ahead", date(2026, 8, 2), Status.DUE_SOON,
         date(2026, 9, 1), requirement=ACADEMIC, person=PersonFacts(date(2026, 1, 1))),
    # Issue 16: a fixed-date rule gives a newcomer at least its grace days (default 30).
    Case("starting on 1 September: 30 days", date(2026, 9, 1), Status.DUE_SOON,
         date(2026, 10, 1), requirement=ACADEMIC, person=PersonFacts(date(2026, 9, 1)),
         words=("30 days left",)),
    Case("starting 2 September: next year", date(2026, 9, 2), Status.DUE, date(2027, 9, 1),
         requirement=ACADEMIC, person=PersonFacts(date(2026, 9, 2))),
    Case("starting in the future, 12 days before the date", date(2026, 8, 1),
         Status.NOT_YET_DUE, date(2026, 9, 19), requirement=ACADEMIC,
         person=PersonFacts(date(2026, 8, 20))),
    # Issue 16: with no start date the cycle rolls on 1 September, not 1 January.
    Case("no start date, before this year's date", date(2026, 3, 1), Status.OVERDUE,
         date(2025, 9, 1), requirement=ACADEMIC, person=NO_START,
         words=("Overdue since 1 September 2025",)),
    Case("no start date, on this year's date", date(2026, 9, 1), Status.DUE_SOON,
         date(2026, 9, 1), requirement=ACADEMIC, person=NO_START),
    Case("no start date, after this year's date", date(2026, 9, 2), Status.OVERDUE,
         date(2026, 9, 1), requirement=ACADEMIC, person=NO_START,
         words=("Overdue since 1 September 2026",)),
    Case("once only: never expires", date(2035, 1, 1), Status.COMPLIANT, None,
         last=date(2026, 8, 1), requirement=ACADEMIC_ONCE, person=LONG_SERVING,
         completions=[date(2026, 8, 1)], words=("does not expire",)),
)  # fmt: skip
def test_fixed_date(case: Case) -> None:
    check(case)


# --- A relative rule with no start date at all ----------------------------------------------------


@table(
    Case("no start date: due, no deadline", date(2026, 3, 1), Status.DUE, None,
         person=NO_START, words=("no start date",)),
    Case("no start date, extended", date(2026, 3, 1), Status.EXTENDED, date(2026, 4, 1),
         person=NO_START, extensions=[ExtensionFacts(date(2026, 4, 1))],
         words=("Extended to 1 April 2026: 31 days left.",)),
    Case("no start date, extension passed", date(2026, 4, 2), Status.OVERDUE, date(2026, 4, 1),
         person=NO_START, extensions=[ExtensionFacts(date(2026, 4, 1))],
         words=("Overdue since 1 April 2026 (extended).",)),
    Case("no start date, back from exemption", date(2026, 9, 1), Status.DUE, date(2026, 9, 30),
         person=NO_START, exemptions=[ABSENCE]),
)  # fmt: skip
def test_no_start_date(case: Case) -> None:
    check(case)


@pytest.mark.parametrize(
    ("requirement", "message"),
    [
        pytest.param(RequirementFacts(Rule.DAYS_AFTER_START), "needs due_days", id="no due_days"),
        pytest.param(
            RequirementFacts(Rule.FIXED_DATE, due_month=9),
            "needs due_month and due_day",
            id="no day",
        ),
    ],
)
def test_incomplete_requirement_is_refused(requirement: RequirementFacts, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        assess(STAFF, requirement, [], [], [], date(2026, 3, 1))
