"""Date arithmetic and record rules under the SENCO rules: the third anniversary, the latest
safe start, the NPQ's derived finish, and which qualification records can count."""

from __future__ import annotations

import datetime as dt

import pytest

from cpd_tracker.rules.senco import (
    QualificationFacts,
    QualificationKind,
    SencoFacts,
    SencoState,
    assess,
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
        pytest.param(date(2028, 1, 3), date(2026, 3, 3), id="ordinary day"),
        pytest.param(date(2027, 12, 31), date(2026, 2, 28), id="31 Dec: 28 Feb"),
        pytest.param(date(2029, 12, 31), date(2028, 2, 29), id="31 Dec: 29 Feb in a leap year"),
        pytest.param(date(2027, 2, 28), date(2025, 4, 28), id="28 Feb"),
        pytest.param(date(2028, 10, 31), date(2026, 12, 31), id="31 Oct: 31 Dec"),
        pytest.param(date(2028, 5, 31), date(2026, 7, 31), id="across a year"),
        pytest.param(date(2028, 7, 31), date(2026, 9, 30), id="31 Jul: 30 Sep"),
    ],
)
def test_latest_safe_start_is_22_months_before(deadline: dt.date, safe_start: dt.date) -> None:
    assert latest_safe_start_for(deadline) == safe_start


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
        pytest.param(QualificationFacts(NPQ, date(2025, 2, 1)), date(2026, 12, 1), id="derived"),
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
