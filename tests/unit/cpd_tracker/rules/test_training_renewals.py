"""Renewals as schools live them (issue 16, "Training renewals"): every case the issue names,
as a table row with its reason, run through ``assess`` itself.

Recertification bases (DOMAIN.md, "Mandatory training"; Totara's certification semantics):
from the completion date, from the expiry date (early renewal keeps the anniversary), and from
a fixed date with a minimum active period; capped by a certificate's own expiry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from cpd_tracker.rules.training import (
    Basis,
    CompletionFacts,
    ExemptionFacts,
    ExtensionFacts,
    PersonFacts,
    RequirementFacts,
    Rule,
    Status,
    assess,
)

date = dt.date

#: By 1 September each year, valid 12 months (minimum active period: half, 6 months).
BY_1_SEPTEMBER = RequirementFacts(Rule.FIXED_DATE, due_month=9, due_day=1, validity_months=12)
#: Positive handling: an accredited 24-month certificate on a 1 September cycle.
POSITIVE_HANDLING = RequirementFacts(Rule.FIXED_DATE, due_month=9, due_day=1, validity_months=24)
#: By 1 September, renewed every 6 months (the form allows it).
HALF_YEARLY = RequirementFacts(Rule.FIXED_DATE, due_month=9, due_day=1, validity_months=6)
#: Within 60 days of starting, every 12 months: from completion (the default) or from expiry.
FROM_COMPLETION = RequirementFacts(Rule.DAYS_AFTER_START, due_days=60, validity_months=12)
FROM_EXPIRY = RequirementFacts(
    Rule.DAYS_AFTER_START, due_days=60, validity_months=12, basis=Basis.EXPIRY
)
#: Behaviour (6 h): by 1 September the first time, then 24 months from each completion.
BEHAVIOUR = RequirementFacts(
    Rule.FIXED_DATE, due_month=9, due_day=1, validity_months=24, basis=Basis.COMPLETION
)
#: Teachers only, within 30 days of appointment, every 12 months.
TEACHERS = RequirementFacts(Rule.DAYS_AFTER_START, due_days=30, validity_months=12)

LONG_SERVING = PersonFacts(start_date=date(2015, 9, 1))
NO_START = PersonFacts(start_date=None)


@dataclass(frozen=True)
class Case:
    id: str
    today: dt.date
    status: Status
    due_on: dt.date | None
    expires_on: dt.date | None = None
    last: dt.date | None = None
    words: tuple[str, ...] = ()
    requirement: RequirementFacts = BY_1_SEPTEMBER
    person: PersonFacts = LONG_SERVING
    completions: Sequence[dt.date | CompletionFacts] = ()
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
    ), result.reason
    for word in case.words:
        assert word in result.reason, result.reason
    assert result.reason.endswith(".")


def table(*cases: Case) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("case", cases, ids=[c.id for c in cases])


# --- The due day is on time for renewers as for first-timers ----------------------------------


@table(
    Case("renewer, last trained 2 Sept last year: due today on 1 Sept, not expired",
         date(2027, 9, 1), Status.EXPIRING_SOON, date(2027, 9, 1), expires_on=date(2027, 9, 1),
         last=date(2026, 9, 2), completions=[date(2026, 9, 2)],
         words=("counts until 1 September 2027", "today is the last day")),
    Case("first-timer on the same 1 Sept: due today", date(2027, 9, 1), Status.DUE_SOON,
         date(2027, 9, 1), person=PersonFacts(date(2027, 1, 4)),
         words=("Due by 1 September 2027", "today is the last day")),
    Case("renewer on the first INSET day (1 Sept) after a July renewal last year: due today",
         date(2027, 9, 1), Status.EXPIRING_SOON, date(2027, 9, 1), expires_on=date(2027, 9, 1),
         last=date(2026, 7, 20), completions=[date(2026, 7, 20)],
         words=("today is the last day",)),
    Case("renewer on 2 Sept: expired from the day after the due day", date(2027, 9, 2),
         Status.EXPIRED, date(2027, 9, 1), expires_on=date(2027, 9, 1), last=date(2026, 9, 2),
         completions=[date(2026, 9, 2)],
         words=("Expired: counted until 1 September 2027", "last completed on 2 September 2026")),
    Case("first-timer on 2 Sept: overdue, as the renewer is expired", date(2027, 9, 2),
         Status.OVERDUE, date(2027, 9, 1), person=PersonFacts(date(2027, 1, 4)),
         words=("Overdue since 1 September 2027",)),
    Case("from completion: the expiry day is on time too", date(2027, 3, 10),
         Status.EXPIRING_SOON, date(2027, 3, 10), expires_on=date(2027, 3, 10),
         last=date(2026, 3, 10), requirement=FROM_COMPLETION, completions=[date(2026, 3, 10)],
         words=("today is the last day",)),
)  # fmt: skip
def test_due_day_on_time_for_renewers(case: Case) -> None:
    check(case)


# --- A minimum active period on fixed dates --------------------------------------------------


@table(
    Case("new starter trained 10 June: not expired on 1 Sept", date(2026, 9, 2),
         Status.COMPLIANT, date(2027, 9, 1), expires_on=date(2027, 9, 1), last=date(2026, 6, 10),
         person=PersonFacts(date(2026, 4, 20)), completions=[date(2026, 6, 10)],
         words=("Completed on 10 June 2026", "counts until 1 September 2027")),
    Case("summer INSET 61 days before the date: about 14 months", date(2026, 9, 2),
         Status.COMPLIANT, date(2027, 9, 1), expires_on=date(2027, 9, 1), last=date(2026, 7, 2),
         completions=[date(2026, 7, 2)], words=("counts until 1 September 2027",)),
    Case("summer INSET 60 days before the date: the same", date(2026, 9, 2),
         Status.COMPLIANT, date(2027, 9, 1), expires_on=date(2027, 9, 1), last=date(2026, 7, 3),
         completions=[date(2026, 7, 3)], words=("counts until 1 September 2027",)),
    Case("completed 1 March: exactly the minimum 6 months, due 1 Sept", date(2026, 3, 2),
         Status.COMPLIANT, date(2026, 9, 1), expires_on=date(2026, 9, 1), last=date(2026, 3, 1),
         completions=[date(2026, 3, 1)]),
    Case("completed 2 March: under 6 months to 1 Sept, so the next 1 Sept", date(2026, 3, 3),
         Status.COMPLIANT, date(2027, 9, 1), expires_on=date(2027, 9, 1), last=date(2026, 3, 2),
         completions=[date(2026, 3, 2)]),
    Case("a minimum active period of 2 months set: a 10 June course lasts to 1 Sept",
         date(2026, 8, 1), Status.EXPIRING_SOON, date(2026, 9, 1), expires_on=date(2026, 9, 1),
         last=date(2026, 6, 10), completions=[date(2026, 6, 10)],
         requirement=RequirementFacts(Rule.FIXED_DATE, due_month=9, due_day=1,
                                      validity_months=12, min_active_months=2),
         words=("renew now", "31 days left")),
    Case("6-month validity on a fixed date: not expired on the day of completion",
         date(2026, 6, 1), Status.COMPLIANT, date(2026, 9, 1), expires_on=date(2026, 9, 1),
         last=date(2026, 6, 1), requirement=HALF_YEARLY, completions=[date(2026, 6, 1)],
         words=("counts until 1 September 2026",)),
    Case("6-month validity: cycles on 1 Sept and 1 March", date(2026, 9, 2), Status.COMPLIANT,
         date(2027, 3, 1), expires_on=date(2027, 3, 1), last=date(2026, 9, 1),
         requirement=HALF_YEARLY, completions=[date(2026, 9, 1)]),
)  # fmt: skip
def test_minimum_active_period(case: Case) -> None:
    check(case)


# --- A certificate's own expiry caps validity ------------------------------------------------

CERTIFICATE = CompletionFacts(date(2025, 7, 10), certificate_expires_on=date(2027, 7, 9))


@table(
    Case("24-month certificate on a 1 Sept cycle: counts until the certificate's expiry",
         date(2027, 6, 1), Status.EXPIRING_SOON, date(2027, 7, 9), expires_on=date(2027, 7, 9),
         last=date(2025, 7, 10), requirement=POSITIVE_HANDLING, completions=[CERTIFICATE],
         words=("counts until 9 July 2027",)),
    Case("24-month certificate: expired the day after the certificate", date(2027, 7, 10),
         Status.EXPIRED, date(2027, 7, 9), expires_on=date(2027, 7, 9), last=date(2025, 7, 10),
         requirement=POSITIVE_HANDLING, completions=[CERTIFICATE],
         words=("counted until 9 July 2027",)),
    Case("without a recorded certificate expiry: the cycle's 1 Sept", date(2027, 7, 10),
         Status.EXPIRING_SOON, date(2027, 9, 1), expires_on=date(2027, 9, 1),
         last=date(2025, 7, 10), requirement=POSITIVE_HANDLING,
         completions=[date(2025, 7, 10)]),
    Case("a certificate expiring later than the requirement: the requirement wins",
         date(2026, 9, 2), Status.EXPIRED, date(2026, 9, 1), expires_on=date(2026, 9, 1),
         last=date(2025, 9, 1), completions=[CompletionFacts(date(2025, 9, 1),
                                                             date(2028, 9, 1))]),
    Case("once-only requirement, certificate with an expiry: capped by it", date(2028, 1, 1),
         Status.EXPIRED, date(2027, 12, 31), expires_on=date(2027, 12, 31),
         last=date(2026, 1, 5),
         requirement=RequirementFacts(Rule.DAYS_AFTER_START, due_days=30),
         completions=[CompletionFacts(date(2026, 1, 5), date(2027, 12, 31))]),
)  # fmt: skip
def test_certificate_caps_validity(case: Case) -> None:
    check(case)


# --- Cycles roll on the requirement's date, also with no start date ---------------------------


@table(
    Case("no start date, 2 January: still overdue for the year that began 1 Sept",
         date(2027, 1, 2), Status.OVERDUE, date(2026, 9, 1), person=NO_START,
         words=("Overdue since 1 September 2026",)),
    Case("no start date, 31 August: still overdue", date(2027, 8, 31), Status.OVERDUE,
         date(2026, 9, 1), person=NO_START),
    Case("no start date, 1 Sept: the new cycle's due day", date(2027, 9, 1), Status.DUE_SOON,
         date(2027, 9, 1), person=NO_START, words=("today is the last day",)),
    Case("no start date, trained in July: the cycle from 1 Sept", date(2027, 1, 2),
         Status.COMPLIANT, date(2027, 9, 1), expires_on=date(2027, 9, 1),
         last=date(2026, 7, 1), person=NO_START, completions=[date(2026, 7, 1)]),
)  # fmt: skip
def test_cycles_roll_on_the_date(case: Case) -> None:
    check(case)


# --- Grace whatever the history ---------------------------------------------------------------

#: Trained once in 2023: lapsed on 1 September 2024.
LAPSED = [date(2023, 7, 1)]
LAPSED_EXPIRY = date(2024, 9, 1)
BACK_ON_1_SEPTEMBER = ExemptionFacts(date(2026, 1, 5), date(2026, 8, 31), "long-term absence")


@table(
    Case("back from exemption on 1 Sept, never trained: not overdue next day",
         date(2026, 9, 2), Status.DUE_SOON, date(2026, 9, 30), exemptions=[BACK_ON_1_SEPTEMBER],
         words=("Due by 30 September 2026", "28 days left")),
    Case("back from exemption on 1 Sept, lapsed completion: the same grace",
         date(2026, 9, 2), Status.DUE_SOON, date(2026, 9, 30), expires_on=LAPSED_EXPIRY,
         last=date(2023, 7, 1), completions=LAPSED, exemptions=[BACK_ON_1_SEPTEMBER],
         words=("Due by 30 September 2026", "last completed on 1 July 2023",
                "counted until 1 September 2024")),
    Case("back from exemption, lapsed: expired once the grace has gone", date(2026, 10, 1),
         Status.EXPIRED, date(2026, 9, 30), expires_on=LAPSED_EXPIRY, last=date(2023, 7, 1),
         completions=LAPSED, exemptions=[BACK_ON_1_SEPTEMBER],
         words=("renewal was due by 30 September 2026",)),
    Case("rejoiner (new start date), lapsed completion: the due period from rejoining",
         date(2026, 11, 2), Status.DUE, date(2026, 12, 31), expires_on=date(2025, 11, 1),
         last=date(2024, 11, 1), requirement=FROM_COMPLETION,
         person=PersonFacts(date(2026, 11, 1)), completions=[date(2024, 11, 1)],
         words=("Due by 31 December 2026", "last completed on 1 November 2024")),
    Case("rejoiner, never trained: the same period", date(2026, 11, 2), Status.DUE,
         date(2026, 12, 31), requirement=FROM_COMPLETION, person=PersonFacts(date(2026, 11, 1))),
    Case("role change (TA to teacher), lapsed completion: 30 days from the appointment",
         date(2026, 10, 1), Status.DUE_SOON, date(2026, 10, 31), expires_on=date(2022, 3, 1),
         last=date(2021, 3, 1), requirement=TEACHERS,
         person=PersonFacts(date(2015, 9, 1), appointed_on=date(2026, 10, 1)),
         completions=[date(2021, 3, 1)], words=("Due by 31 October 2026",)),
    Case("role change, never trained: not overdue since the first day at school",
         date(2026, 10, 1), Status.DUE_SOON, date(2026, 10, 31), requirement=TEACHERS,
         person=PersonFacts(date(2015, 9, 1), appointed_on=date(2026, 10, 1))),
    Case("requirement introduced 1 Oct 2026, lapsed completion: its due period",
         date(2026, 10, 2), Status.DUE, date(2026, 11, 30), expires_on=date(2022, 3, 1),
         last=date(2021, 3, 1),
         requirement=RequirementFacts(Rule.DAYS_AFTER_START, due_days=60, validity_months=12,
                                      introduced_on=date(2026, 10, 1)),
         completions=[date(2021, 3, 1)], words=("Due by 30 November 2026",)),
    Case("grace never shortens a valid completion", date(2026, 10, 2), Status.COMPLIANT,
         date(2027, 7, 1), expires_on=date(2027, 7, 1), last=date(2026, 7, 1),
         requirement=RequirementFacts(Rule.DAYS_AFTER_START, due_days=60, validity_months=12,
                                      introduced_on=date(2026, 10, 1)),
         completions=[date(2026, 7, 1)]),
    Case("grace longer than what is left: the renewal is due at the grace's end",
         date(2026, 10, 2), Status.COMPLIANT, date(2026, 11, 30), expires_on=date(2026, 10, 15),
         last=date(2025, 10, 15),
         requirement=RequirementFacts(Rule.DAYS_AFTER_START, due_days=60, validity_months=12,
                                      window_days=30, introduced_on=date(2026, 10, 1)),
         completions=[date(2025, 10, 15)],
         words=("counts until 15 October 2026", "renewal due by 30 November 2026")),
    Case("grace with an extension beyond it", date(2026, 10, 10), Status.EXTENDED,
         date(2026, 10, 20), expires_on=LAPSED_EXPIRY, last=date(2023, 7, 1),
         completions=LAPSED, exemptions=[BACK_ON_1_SEPTEMBER],
         extensions=[ExtensionFacts(date(2026, 10, 20))],
         words=("Extended to 20 October 2026", "was due 30 September 2026")),
)  # fmt: skip
def test_grace_whatever_the_history(case: Case) -> None:
    check(case)


# --- Leavers: the leaving day is the last day employed ----------------------------------------


@table(
    Case("leaving day: still counted as staff", date(2027, 7, 23), Status.EXPIRING_SOON,
         date(2027, 9, 1), expires_on=date(2027, 9, 1), last=date(2026, 9, 1),
         person=PersonFacts(date(2015, 9, 1), leaving_date=date(2027, 7, 23)),
         completions=[date(2026, 9, 1)]),
    Case("the day after: left", date(2027, 7, 24), Status.LEFT, None,
         expires_on=date(2027, 9, 1), last=date(2026, 9, 1),
         person=PersonFacts(date(2015, 9, 1), leaving_date=date(2027, 7, 23)),
         completions=[date(2026, 9, 1)], words=("Left on 23 July 2027",)),
)  # fmt: skip
def test_leaving_day(case: Case) -> None:
    check(case)


# --- The three recertification bases -----------------------------------------------------------


@table(
    Case("from completion: early renewal restarts the year from its date", date(2027, 2, 1),
         Status.COMPLIANT, date(2028, 2, 1), expires_on=date(2028, 2, 1), last=date(2027, 2, 1),
         requirement=FROM_COMPLETION, person=PersonFacts(date(2026, 1, 5)),
         completions=[date(2026, 3, 1), date(2027, 2, 1)]),
    Case("from expiry: renewal inside the window keeps the anniversary", date(2027, 2, 1),
         Status.COMPLIANT, date(2028, 3, 1), expires_on=date(2028, 3, 1), last=date(2027, 2, 1),
         requirement=FROM_EXPIRY, person=PersonFacts(date(2026, 1, 5)),
         completions=[date(2026, 3, 1), date(2027, 2, 1)],
         words=("counts until 1 March 2028",)),
    Case("from expiry: renewal on the expiry day keeps it too", date(2027, 3, 1),
         Status.COMPLIANT, date(2028, 3, 1), expires_on=date(2028, 3, 1), last=date(2027, 3, 1),
         requirement=FROM_EXPIRY, person=PersonFacts(date(2026, 1, 5)),
         completions=[date(2026, 3, 1), date(2027, 3, 1)]),
    Case("from expiry: three renewals in their windows stay on 1 March", date(2029, 2, 1),
         Status.COMPLIANT, date(2030, 3, 1), expires_on=date(2030, 3, 1), last=date(2029, 1, 15),
         requirement=FROM_EXPIRY, person=PersonFacts(date(2026, 1, 5)),
         completions=[date(2026, 3, 1), date(2027, 2, 1), date(2028, 1, 20),
                      date(2029, 1, 15)]),
    Case("from expiry: a lapsed renewal counts from its own date", date(2027, 6, 2),
         Status.COMPLIANT, date(2028, 6, 1), expires_on=date(2028, 6, 1), last=date(2027, 6, 1),
         requirement=FROM_EXPIRY, person=PersonFacts(date(2026, 1, 5)),
         completions=[date(2026, 3, 1), date(2027, 6, 1)]),
    Case("from expiry: before the window, from its own date", date(2026, 10, 2),
         Status.COMPLIANT, date(2027, 10, 1), expires_on=date(2027, 10, 1),
         last=date(2026, 10, 1), requirement=FROM_EXPIRY, person=PersonFacts(date(2026, 1, 5)),
         completions=[date(2026, 3, 1), date(2026, 10, 1)]),
    Case("fixed date: the first 1 Sept at least 6 months on", date(2027, 4, 2),
         Status.COMPLIANT, date(2028, 9, 1), expires_on=date(2028, 9, 1), last=date(2027, 4, 1),
         completions=[date(2026, 8, 1), date(2027, 4, 1)]),
    Case("behaviour (6 h): by 1 Sept the first time, then 24 months from completion",
         date(2027, 10, 1), Status.COMPLIANT, date(2028, 10, 20), expires_on=date(2028, 10, 20),
         last=date(2026, 10, 20), requirement=BEHAVIOUR, completions=[date(2026, 10, 20)]),
)  # fmt: skip
def test_recertification_bases(case: Case) -> None:
    check(case)


# --- Module versions: completions before a date stop counting ----------------------------------

NEW_VERSION = RequirementFacts(Rule.DAYS_AFTER_START, due_days=60, counts_from=date(2027, 1, 4))


@table(
    Case("old version completed: counts until the new version's date", date(2027, 1, 3),
         Status.COMPLIANT, None, last=date(2024, 5, 1), requirement=NEW_VERSION,
         completions=[date(2024, 5, 1)], words=("does not expire",)),
    Case("from that date it no longer counts: the due period from then", date(2027, 1, 4),
         Status.DUE, date(2027, 3, 5), requirement=NEW_VERSION, completions=[date(2024, 5, 1)],
         words=("Due by 5 March 2027",)),
    Case("overdue once the due period has gone", date(2027, 3, 6), Status.OVERDUE,
         date(2027, 3, 5), requirement=NEW_VERSION, completions=[date(2024, 5, 1)]),
    Case("the new version completed: counts", date(2027, 2, 1), Status.COMPLIANT, None,
         last=date(2027, 1, 20), requirement=NEW_VERSION,
         completions=[date(2024, 5, 1), date(2027, 1, 20)]),
)  # fmt: skip
def test_module_versions(case: Case) -> None:
    check(case)


def test_fixed_basis_needs_a_fixed_date() -> None:
    requirement = RequirementFacts(
        Rule.DAYS_AFTER_START, due_days=30, validity_months=12, basis=Basis.FIXED
    )
    with pytest.raises(ValueError, match="needs due_month and due_day"):
        assess(LONG_SERVING, requirement, [date(2026, 1, 1)], [], [], date(2026, 3, 1))
