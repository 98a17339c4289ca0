"""When a SENCO reminder is due: the latest safe start, six months out, overdue; the most
advanced one only; none for states with nothing to do."""

from __future__ import annotations

import datetime as dt

import pytest

from cpd_tracker.rules.senco import (
    REMINDER_MONTHS_BEFORE_DEADLINE,
    QualificationFacts,
    QualificationKind,
    SencoFacts,
    SencoReminderKind,
    assess,
    no_senco_assessment,
    reminder_due,
    six_months_before,
)

BECAME = dt.date(2023, 11, 15)
DEADLINE = dt.date(2026, 11, 15)
#: A 2023/24 appointee: the spring 2025 cohort is in time for them (DfE's transition guidance).
SAFE_START = dt.date(2025, 2, 1)
SIX_MONTHS = dt.date(2026, 5, 15)


def facts(*qualifications: QualificationFacts, **changes: object) -> SencoFacts:
    values: dict[str, object] = {
        "became_senco_on": BECAME,
        "prior_senco_months": 0,
        "has_qts": True,
        "qts_via_partial_access": False,
        "induction_complete": True,
        "teaches_at_school": True,
        "is_head": False,
        "qualifications": qualifications,
        **changes,
    }
    return SencoFacts(**values)  # type: ignore[arg-type]


def npq(started: dt.date, completed: dt.date | None = None) -> QualificationFacts:
    return QualificationFacts(QualificationKind.NPQ_SENCO, started, completed, None)


def due(f: SencoFacts, today: dt.date) -> tuple[SencoReminderKind, dt.date] | None:
    return reminder_due(assess(f, today), today)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (SAFE_START - dt.timedelta(days=1), None),
        (SAFE_START, (SencoReminderKind.SAFE_START, SAFE_START)),
        (SIX_MONTHS - dt.timedelta(days=1), (SencoReminderKind.SAFE_START, SAFE_START)),
        (SIX_MONTHS, (SencoReminderKind.DEADLINE_NEAR, DEADLINE)),
        (DEADLINE, (SencoReminderKind.DEADLINE_NEAR, DEADLINE)),
        (DEADLINE + dt.timedelta(days=1), (SencoReminderKind.OVERDUE, DEADLINE)),
        (DEADLINE + dt.timedelta(days=400), (SencoReminderKind.OVERDUE, DEADLINE)),
    ],
)
def test_a_senco_on_no_course(today: dt.date, expected: object) -> None:
    assert due(facts(), today) == expected


def test_on_track_hears_nothing_at_the_safe_start_but_is_told_six_months_out() -> None:
    f = facts(npq(dt.date(2024, 11, 1)))
    assert due(f, SAFE_START) is None
    assert due(f, SIX_MONTHS) == (SencoReminderKind.DEADLINE_NEAR, DEADLINE)


def test_a_course_that_finishes_too_late_is_reminded_at_the_safe_start() -> None:
    f = facts(npq(dt.date(2025, 6, 1)))  # NPQ derived to finish 1 April 2027
    assert due(f, SAFE_START - dt.timedelta(days=30)) is None
    assert due(f, SAFE_START) == (SencoReminderKind.SAFE_START, SAFE_START)


@pytest.mark.parametrize(
    "f",
    [
        facts(npq(dt.date(2023, 1, 9), dt.date(2024, 12, 1))),  # qualified
        facts(became_senco_on=dt.date(2009, 9, 1)),  # exempt
        facts(prior_senco_months=13),  # exempt
        facts(has_qts=False),  # not eligible: a different problem, shown on the page
        facts(school_is_relevant=False),  # not required: a special or independent school
    ],
)
def test_nothing_to_remind(f: SencoFacts) -> None:
    for today in (SAFE_START, SIX_MONTHS, DEADLINE + dt.timedelta(days=1)):
        assert due(f, today) is None


def test_no_senco_has_no_reminder() -> None:
    assert reminder_due(no_senco_assessment(), SAFE_START) is None


def test_six_months_is_named_once_and_clamps_at_month_ends() -> None:
    assert REMINDER_MONTHS_BEFORE_DEADLINE == 6
    assert six_months_before(dt.date(2027, 8, 31)) == dt.date(2027, 2, 28)
    assert six_months_before(DEADLINE) == SIX_MONTHS
