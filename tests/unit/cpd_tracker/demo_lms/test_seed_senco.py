"""The demo's SENCO dates are ones a CPD lead would believe, whatever day the demo starts
(issue 16, "Demo data"): appointed on 1 September, NPQ starts in a real cohort (never May), no
NPQ passed before its cohort's outcome could come (never a 2022 appointee passing in January
2025), and the three states the demo is for."""

from __future__ import annotations

import datetime as dt

import pytest

from cpd_tracker.demo_lms.seed_senco import plans
from cpd_tracker.models import SencoQualificationKind
from cpd_tracker.rules.senco import (
    NPQ_COHORTS,
    QualificationFacts,
    QualificationKind,
    SencoFacts,
    SencoState,
    assess,
    cohort_of,
)

#: The first of every month from the tool's day of writing for four years.
DAYS = [dt.date(2026 + m // 12, m % 12 + 1, 1) for m in range(11, 11 + 48)] + [dt.date(2026, 12, 7)]


@pytest.mark.parametrize("today", DAYS, ids=[d.isoformat() for d in DAYS])
def test_the_demo_sencos_are_on_track_at_risk_and_qualified(today: dt.date) -> None:
    states = []
    for plan in plans(today):
        assert (plan.became.month, plan.became.day) == (9, 1)
        assert plan.became <= today
        qualifications = ()
        if plan.kind is not None:
            assert plan.started is not None
            assert plan.started <= today
            if plan.kind is SencoQualificationKind.NPQ_SENCO:
                cohort = cohort_of(plan.started)
                assert cohort is not None  # autumn or spring: never May
                assert plan.started >= plan.became
                if plan.passed is not None:
                    assert cohort.expected_outcome_on - dt.timedelta(days=31) <= plan.passed
                    assert plan.passed >= NPQ_COHORTS[0].expected_outcome_on - dt.timedelta(31)
            if plan.passed is not None:
                assert plan.passed <= today
            qualifications = (
                QualificationFacts(QualificationKind(plan.kind.value), plan.started, plan.passed),
            )
        facts = SencoFacts(plan.became, 0, True, False, True, True, False, qualifications)
        states.append(assess(facts, today).state)
    assert states == [SencoState.ON_TRACK, SencoState.AT_RISK, SencoState.QUALIFIED]
