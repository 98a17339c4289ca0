"""Date arithmetic and record rules under the SENCO rules: the third anniversary, the latest
safe start, the NPQ's derived finish, and which qualification records can count."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from cpd_tracker.rules.senco import (
    NPQ_COHORTS,
    TRANSITION_LAST_COHORT,
    NpqCohort,
    QualificationFacts,
    QualificationKind,
    SencoFacts,
    SencoState,
    assess,
    cohort_of,
    counts,
    deadline_for,
    expected_completion,
    latest_safe_start_for,
)

date = dt.date
NPQ = QualificationKind.NPQ_SENCO
NASENCO = QualificationKind.NASENCO


@pytest.mark.parametrize(
    ("became", "deadline"),
    [
        pytest.param(date(2025, 1, 3), date(2028, 1, 3), id="ordinary day"),
        pytest.param(date(2024, 2, 29), date(2027, 2, 28), id="29 Feb: 28 Feb"),
        pytest.param(date(2025, 2, 28), date(2028, 2, 28), id="28 Feb into a leap year"),
        pytest.param(date(2025, 3, 1), date(2028, 3, 1), id="1 Mar into a leap year"),
        pytest.param(date(2024, 8, 31), date(2027, 8, 31), id="31 Aug"),
        pytest.param(date(2009, 9, 2), date(2012, 9, 2), id="first non-exempt day"),
    ],
)
def test_deadline_is_the_third_anniversary(became: dt.date, deadline: dt.date) -> None:
    assert deadline_for(became) == deadline


@pytest.mark.parametrize(
    ("deadline", "safe_start"),
    [
        pytest.param(date(2028, 1, 3), date(2026, 2, 1), id="spring 2026: outcome 31 Dec 2027"),
        pytest.param(date(2027, 12, 31), date(2026, 2, 1), id="outcome on the deadline day"),
        pytest.param(date(2027, 12, 30), date(2025, 10, 1), id="a day short: autumn 2025"),
        pytest.param(date(2029, 12, 31), date(2028, 2, 1), id="spring 2028"),
        pytest.param(date(2028, 10, 31), date(2026, 10, 1), id="autumn 2026"),
        # The flat 22 months would say 1 November 2026, after autumn 2026 had begun.
        pytest.param(date(2028, 9, 1), date(2026, 10, 1), id="not after the cohort began"),
        pytest.param(date(2028, 7, 31), date(2026, 2, 1), id="autumn 2026 a month late"),
        # Before the first cohort's outcome the table does not reach: 22 months, kept before
        # the autumn 2024 window (whose outcome, 31 August 2026, would be late).
        pytest.param(date(2026, 7, 15), date(2024, 8, 31), id="before the table"),
        pytest.param(date(2026, 3, 1), date(2024, 5, 1), id="long before the table"),
        # Beyond the last row: the flat 22 months.
        pytest.param(date(2033, 6, 1), date(2031, 8, 1), id="beyond the table"),
    ],
)
def test_latest_safe_start_is_the_last_cohort_in_time(
    deadline: dt.date, safe_start: dt.date
) -> None:
    assert latest_safe_start_for(deadline) == safe_start


@pytest.mark.parametrize(
    ("became", "safe_start"),
    [
        # Deadline 1 September 2026: only autumn 2024 finishes in time, but the transition
        # guidance accepts the spring 2025 cohort.
        pytest.param(date(2023, 9, 1), date(2025, 2, 1), id="first day of 2023/24"),
        pytest.param(date(2024, 8, 31), date(2025, 10, 1), id="last day: later cohort in time"),
        pytest.param(date(2023, 8, 31), date(2024, 10, 1), id="2022/23: autumn 2024 just in time"),
        pytest.param(date(2023, 8, 30), date(2024, 8, 31), id="2022/23: no cohort in time"),
    ],
)
def test_the_transition_moves_the_latest_safe_start(became: dt.date, safe_start: dt.date) -> None:
    assert latest_safe_start_for(deadline_for(became), became) == safe_start


def test_the_cohort_table() -> None:
    assert NPQ_COHORTS[0] == NpqCohort("autumn 2024", date(2024, 10, 1), date(2026, 8, 31))
    assert NPQ_COHORTS[1] == NpqCohort("spring 2025", date(2025, 2, 1), date(2026, 12, 31))
    assert TRANSITION_LAST_COHORT.name == "spring 2025"
    for earlier, later in itertools.pairwise(NPQ_COHORTS):
        assert earlier.closes_on < later.opens_on
        assert earlier.expected_outcome_on < later.expected_outcome_on
    for cohort in NPQ_COHORTS:
        assert (cohort.starts_on.month, cohort.starts_on.day) in {(10, 1), (2, 1)}
        assert cohort.name.split()[0] == ("autumn" if cohort.starts_on.month == 10 else "spring")


@pytest.mark.parametrize(
    ("started", "name"),
    [
        pytest.param(date(2024, 9, 1), "autumn 2024", id="a month early"),
        pytest.param(date(2024, 11, 30), "autumn 2024", id="two months late"),
        pytest.param(date(2024, 12, 1), None, id="December: none"),
        pytest.param(date(2025, 1, 1), "spring 2025", id="January"),
        pytest.param(date(2025, 3, 31), "spring 2025", id="end of March"),
        pytest.param(date(2025, 5, 12), None, id="May: none"),
        pytest.param(date(2024, 2, 1), None, id="before the first cohort"),
    ],
)
def test_cohort_of(started: dt.date, name: str | None) -> None:
    cohort = cohort_of(started)
    assert (cohort.name if cohort else None) == name


def test_an_npq_started_on_the_latest_safe_start_finishes_in_time() -> None:
    # For every appointment day over four years (leap days and month ends included).
    day = date(2024, 1, 1)
    while day < date(2028, 1, 1):
        deadline = deadline_for(day)
        started = latest_safe_start_for(deadline)
        assert started < deadline
        finish = expected_completion(QualificationFacts(NPQ, started_on=started))
        assert finish is not None
        assert finish <= deadline
        day += dt.timedelta(days=1)


def test_the_state_turns_at_risk_the_day_after_the_latest_safe_start() -> None:
    facts = SencoFacts(date(2024, 2, 29), 0, True, False, True, True, False)
    safe = latest_safe_start_for(deadline_for(facts.became_senco_on))
    assert assess(facts, safe).state is SencoState.NOT_STARTED
    assert assess(facts, safe + dt.timedelta(days=1)).state is SencoState.AT_RISK


@pytest.mark.parametrize(
    ("qualification", "expected"),
    [
        pytest.param(
            QualificationFacts(NPQ, date(2025, 2, 1), expected_completion_on=date(2026, 7, 15)),
            date(2026, 7, 15),
            id="given date wins",
        ),
        pytest.param(
            QualificationFacts(NPQ, date(2025, 2, 1)), date(2026, 12, 31), id="spring 2025 cohort"
        ),
        pytest.param(
            QualificationFacts(NPQ, date(2025, 5, 12)), date(2027, 3, 12), id="May: 22 months"
        ),
        pytest.param(
            QualificationFacts(NPQ, date(2024, 4, 30)), date(2026, 2, 28), id="derived, clamped"
        ),
        pytest.param(
            QualificationFacts(NPQ, date(2024, 2, 29)), date(2025, 12, 29), id="derived, 29 Feb"
        ),
        pytest.param(QualificationFacts(NPQ), None, id="NPQ without a start"),
        pytest.param(
            QualificationFacts(NASENCO, date(2024, 6, 1)), None, id="NASENCO: not derived"
        ),
        pytest.param(
            QualificationFacts(NASENCO, date(2024, 6, 1), expected_completion_on=date(2025, 7, 1)),
            date(2025, 7, 1),
            id="NASENCO given",
        ),
    ],
)
def test_expected_completion(qualification: QualificationFacts, expected: dt.date | None) -> None:
    assert expected_completion(qualification) == expected


@pytest.mark.parametrize(
    ("qualification", "expected"),
    [
        pytest.param(QualificationFacts(NPQ), True, id="NPQ, no dates"),
        pytest.param(QualificationFacts(NPQ, date(2023, 1, 1)), True, id="NPQ before 2024"),
        pytest.param(
            QualificationFacts(NPQ, date(2026, 1, 1), date(2028, 9, 1)), True, id="NPQ late pass"
        ),
        pytest.param(
            QualificationFacts(NASENCO, date(2024, 8, 31)), True, id="started 31 Aug 2024"
        ),
        pytest.param(QualificationFacts(NASENCO, date(2024, 9, 1)), False, id="started 1 Sep 2024"),
        pytest.param(
            QualificationFacts(NASENCO, date(2023, 9, 1), date(2027, 8, 31)),
            True,
            id="passed 31 Aug 2027",
        ),
        pytest.param(
            QualificationFacts(NASENCO, date(2023, 9, 1), date(2027, 9, 1)),
            False,
            id="passed 1 Sep 2027",
        ),
        pytest.param(
            QualificationFacts(NASENCO, None, date(2024, 8, 31)), True, id="no start, passed early"
        ),
        pytest.param(
            QualificationFacts(NASENCO, None, date(2024, 9, 1)), False, id="no start, passed late"
        ),
        pytest.param(QualificationFacts(NASENCO), False, id="NASENCO, no dates"),
    ],
)
def test_counts(qualification: QualificationFacts, expected: bool) -> None:
    assert counts(qualification) is expected
