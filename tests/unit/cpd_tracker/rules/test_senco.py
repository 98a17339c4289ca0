"""The statutory SENCO rules, as a table of dated scenarios with their boundaries (DOMAIN.md,
"The statutory SENCO rules"). Each row states the state, the deadline, the latest safe start
and the words of the reason."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from cpd_tracker.rules.senco import (
    DEADLINE_YEARS,
    EXEMPTION_CUTOFF,
    NASENCO_COMPLETE_BEFORE,
    NASENCO_START_BEFORE,
    NPQ_DURATION_MONTHS,
    PRIOR_SERVICE_MONTHS,
    URGENCY,
    QualificationFacts,
    QualificationKind,
    SencoAssessment,
    SencoFacts,
    SencoState,
    assess,
    no_senco_assessment,
    urgency_rank,
)

date = dt.date
S = SencoState


def senco(
    became: dt.date,
    *qualifications: QualificationFacts,
    prior: int = 0,
    head: bool = False,
    qts: bool = True,
    partial: bool = False,
    induction: bool = True,
    teaches: bool = True,
) -> SencoFacts:
    """An eligible classroom teacher by default."""
    return SencoFacts(
        became_senco_on=became,
        prior_senco_months=prior,
        has_qts=qts,
        qts_via_partial_access=partial,
        induction_complete=induction,
        teaches_at_school=teaches,
        is_head=head,
        qualifications=list(qualifications),
    )


def npq(
    started: dt.date | None = None,
    completed: dt.date | None = None,
    expected: dt.date | None = None,
) -> QualificationFacts:
    return QualificationFacts(QualificationKind.NPQ_SENCO, started, completed, expected)


def nasenco(
    started: dt.date | None = None,
    completed: dt.date | None = None,
    expected: dt.date | None = None,
) -> QualificationFacts:
    return QualificationFacts(QualificationKind.NASENCO, started, completed, expected)


#: The reference SENCO: appointed 3 January 2025, so the deadline is 3 January 2028 and the
#: latest safe start for an NPQ 1 February 2026 (the spring 2026 cohort, outcome expected by
#: 31 December 2027; the autumn 2026 cohort's, 31 August 2028, is too late).
A = date(2025, 1, 3)
D = date(2028, 1, 3)
L = date(2026, 2, 1)
#: Appointed 10 January 2024: deadline 10 January 2027, latest safe start 1 February 2025 (the
#: spring 2025 cohort, outcome by 31 December 2026).
A24, D24, L24 = date(2024, 1, 10), date(2027, 1, 10), date(2025, 2, 1)
#: A NASENCO that never produced a pass: expected by July 2024, nothing recorded.
FAILED_NASENCO = nasenco(date(2023, 9, 1), expected=date(2024, 7, 31))


@dataclass(frozen=True)
class Case:
    id: str
    facts: SencoFacts
    today: dt.date
    state: SencoState
    deadline: dt.date | None
    safe_start: dt.date | None
    words: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()


def check(case: Case) -> None:
    result = assess(case.facts, case.today)
    assert (result.state, result.deadline, result.latest_safe_start) == (
        case.state,
        case.deadline,
        case.safe_start,
    )
    for word in case.words:
        assert word in result.reason
    for word in case.absent:
        assert word not in result.reason
    assert result.reason.endswith(".")
    assert "None" not in result.reason
    assert "  " not in result.reason


def table(*cases: Case) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("case", cases, ids=[c.id for c in cases])


# --- Who may be SENCO ---------------------------------------------------------------------------

ELIGIBILITY = (
    Case("SENCO without QTS", senco(A, qts=False), date(2025, 6, 1), S.NOT_ELIGIBLE, None, None,
         words=("Cannot be the SENCO: is not a qualified teacher.", "or the head teacher")),
    Case("QTS through partial access", senco(A, partial=True), date(2025, 6, 1),
         S.NOT_ELIGIBLE, None, None,
         words=("holds QTS only through partial access (which does not count).",)),
    Case("induction not complete", senco(A, induction=False), date(2025, 6, 1),
         S.NOT_ELIGIBLE, None, None, words=("Cannot be the SENCO: has not completed induction.",)),
    Case("not teaching at the school", senco(A, teaches=False), date(2025, 6, 1),
         S.NOT_ELIGIBLE, None, None, words=("does not work as a teacher at the school.",)),
    Case("every problem listed", senco(A, qts=False, induction=False, teaches=False),
         date(2025, 6, 1), S.NOT_ELIGIBLE, None, None,
         words=("is not a qualified teacher, has not completed induction and does not work as a "
                "teacher at the school.",)),
    Case("partial access and no induction", senco(A, partial=True, induction=False),
         date(2025, 6, 1), S.NOT_ELIGIBLE, None, None,
         words=("partial access (which does not count) and has not completed induction.",)),
    Case("head as SENCO without QTS", senco(A, head=True, qts=False, induction=False,
         teaches=False), date(2025, 6, 1), S.NOT_STARTED, D, L,
         words=("Became SENCO on 3 January 2025, so must hold the NPQ for SENCOs by "
                "3 January 2028.", "No course started yet: the latest safe start is "
                "1 February 2026.")),
    Case("head with QTS through partial access", senco(A, head=True, partial=True),
         date(2025, 6, 1), S.NOT_STARTED, D, L),
    Case("not eligible before exempt", senco(date(2008, 1, 1), qts=False), date(2025, 6, 1),
         S.NOT_ELIGIBLE, None, None),
)  # fmt: skip

# --- Exemption ----------------------------------------------------------------------------------

EXEMPTION = (
    Case("appointed 1 Sep 2009 exactly: exempt", senco(date(2009, 9, 1)), date(2025, 6, 1),
         S.EXEMPT, None, None,
         words=("Exempt from the SENCO qualification: became SENCO on 1 September 2009, on or "
                "before 1 September 2009.",)),
    Case("appointed 2 Sep 2009: not exempt", senco(date(2009, 9, 2)), date(2011, 1, 1),
         S.AT_RISK, date(2012, 9, 2), date(2010, 11, 2),
         words=("Became SENCO on 2 September 2009", "by 2 September 2012",
                "the latest safe start was 2 November 2010.")),
    Case("appointed 2 Sep 2009: overdue after three years", senco(date(2009, 9, 2)),
         date(2012, 9, 3), S.OVERDUE, date(2012, 9, 2), date(2010, 11, 2),
         words=("overdue since 3 September 2012.",)),
    Case("12 months prior service: not exempt", senco(A, prior=12), date(2025, 6, 1),
         S.NOT_STARTED, D, L, absent=("Exempt",)),
    Case("13 months prior service: exempt", senco(A, prior=13), date(2025, 6, 1), S.EXEMPT,
         None, None,
         words=("Exempt from the SENCO qualification: previously a SENCO for 13 months in "
                "total, more than 12.",)),
    Case("head appointed in 2005: exempt", senco(date(2005, 4, 1), head=True, qts=False),
         date(2025, 6, 1), S.EXEMPT, None, None, words=("1 April 2005",)),
    Case("exempt beats qualified", senco(date(2009, 1, 5), npq(date(2024, 9, 1),
         date(2026, 7, 1))), date(2026, 8, 1), S.EXEMPT, None, None),
)  # fmt: skip

# --- NASENCO: started before 1 Sep 2024, completed before 1 Sep 2027 --------------------------

NASENCO = (
    Case("NASENCO started 31 Aug 2024 and passed: counts",
         senco(A24, nasenco(date(2024, 8, 31), date(2025, 7, 1))), date(2025, 9, 1),
         S.QUALIFIED, D24, L24,
         words=("Became SENCO on 10 January 2024; passed the NASENCO on 1 July 2025, by the "
                "deadline of 10 January 2027.",)),
    Case("NASENCO started 1 Sep 2024: does not count",
         senco(A24, nasenco(date(2024, 9, 1), date(2025, 7, 1))), date(2025, 9, 1),
         S.AT_RISK, D24, L24,
         words=("No course that counts has started yet: the latest safe start was "
                "1 February 2025.", "The NASENCO started on 1 September 2024 does not count: only "
                "one started before 1 September 2024 does; courses started since must be the "
                "NPQ for SENCOs.")),
    Case("NASENCO started 1 Sep 2024, in progress: not a course that counts",
         senco(A, nasenco(date(2024, 9, 1), expected=date(2025, 7, 1))), date(2025, 6, 1),
         S.NOT_STARTED, D, L, words=("No course that counts", "does not count")),
    Case("NASENCO passed 31 Aug 2027: counts",
         senco(A, nasenco(date(2023, 9, 1), date(2027, 8, 31))), date(2027, 9, 1),
         S.QUALIFIED, D, L, words=("passed the NASENCO on 31 August 2027",)),
    Case("NASENCO passed 1 Sep 2027: too late to count",
         senco(A, nasenco(date(2023, 9, 1), date(2027, 9, 1))), date(2027, 9, 2),
         S.AT_RISK, D, L,
         words=("The NASENCO passed on 1 September 2027 does not count: it had to be completed "
                "before 1 September 2027.",)),
    Case("NASENCO expected 31 Aug 2027: on track",
         senco(A, nasenco(date(2024, 6, 1), expected=date(2027, 8, 31))), date(2026, 1, 1),
         S.ON_TRACK, D, L,
         words=("so must hold the NASENCO by 3 January 2028.", "On the NASENCO since "
                "1 June 2024, expected to finish by 31 August 2027: in time."),
         absent=("22 months",)),
    Case("NASENCO expected 1 Sep 2027: at risk though before the deadline",
         senco(A, nasenco(date(2024, 6, 1), expected=date(2027, 9, 1))), date(2026, 1, 1),
         S.AT_RISK, D, L,
         words=("expected to finish by 1 September 2027, but a NASENCO only counts if the "
                "course is completed before 1 September 2027.",
                "The latest safe start for an NPQ for SENCOs is 1 February 2026.")),
    Case("NASENCO in progress with no expected date",
         senco(A, nasenco(date(2024, 6, 1))), date(2026, 6, 1), S.AT_RISK, D, L,
         words=("On the NASENCO since 1 June 2024, with no expected finish date recorded: "
                "record one to show it will finish in time.",
                "The latest safe start for an NPQ for SENCOs was 1 February 2026.")),
    Case("NASENCO passed before 1 Sep 2024, start not recorded: counts",
         senco(date(2023, 1, 1), nasenco(completed=date(2024, 6, 1))), date(2025, 1, 1),
         S.QUALIFIED, date(2026, 1, 1), date(2024, 3, 1)),
    Case("NASENCO passed after 1 Sep 2024, start not recorded: not counted",
         senco(A24, nasenco(completed=date(2025, 6, 1))), date(2025, 9, 1), S.AT_RISK, D24, L24,
         words=("The NASENCO passed on 1 June 2025 has no start date recorded: it counts only "
                "if started before 1 September 2024.",)),
    Case("NASENCO passed in an earlier post counts",
         senco(A, nasenco(date(2019, 9, 1), date(2020, 7, 1))), date(2025, 2, 1),
         S.QUALIFIED, D, L, words=("passed the NASENCO on 1 July 2020, by the deadline",)),
    Case("NASENCO record without dates is ignored", senco(A, nasenco()), date(2025, 6, 1),
         S.NOT_STARTED, D, L, words=("No course started yet",)),
)  # fmt: skip

# --- NPQ for SENCOs: counts whenever started ----------------------------------------------------

NPQ = (
    Case("NPQ started 1 Sep 2024: the autumn 2024 cohort, on track",
         senco(date(2024, 6, 1), npq(date(2024, 9, 1))), date(2025, 1, 1), S.ON_TRACK,
         date(2027, 6, 1), date(2025, 2, 1),
         words=("must hold the NPQ for SENCOs by 1 June 2027.", "On the NPQ for SENCOs since "
                "1 September 2024, expected to finish by 31 August 2026 (the autumn 2024 "
                "cohort's expected outcome): in time.")),
    Case("NPQ started before 1 Sep 2024 still counts",
         senco(date(2023, 6, 1), npq(date(2023, 10, 1))), date(2024, 10, 1), S.ON_TRACK,
         date(2026, 6, 1), date(2024, 8, 1), words=("1 August 2025",)),
    Case("NPQ expected date given", senco(A, npq(date(2025, 2, 1), expected=date(2026, 7, 15))),
         date(2025, 6, 1), S.ON_TRACK, D, L,
         words=("expected to finish by 15 July 2026: in time.",), absent=("22 months",)),
    Case("NPQ expected date derived", senco(A, npq(date(2025, 2, 1))), date(2025, 6, 1),
         S.ON_TRACK, D, L,
         words=("31 December 2026 (the spring 2025 cohort's expected outcome)",)),
    Case("NPQ expected on the deadline: on track",
         senco(A, npq(date(2025, 2, 1), expected=D)), date(2025, 6, 1), S.ON_TRACK, D, L),
    Case("NPQ expected a day after the deadline: at risk",
         senco(A, npq(date(2025, 2, 1), expected=date(2028, 1, 4))), date(2025, 6, 1),
         S.AT_RISK, D, L,
         words=("expected to finish by 4 January 2028, after the deadline.",
                "The latest safe start for an NPQ for SENCOs is 1 February 2026.")),
    Case("NPQ started on the latest safe start: on track", senco(A, npq(L)), L, S.ON_TRACK, D, L,
         words=("expected to finish by 31 December 2027 (the spring 2026 cohort's expected "
                "outcome)",)),
    Case("NPQ started a month into the last cohort in time: still that cohort, on track",
         senco(A, npq(date(2026, 3, 4))), date(2026, 3, 4), S.ON_TRACK, D, L,
         words=("expected to finish by 31 December 2027",)),
    Case("NPQ in the next cohort after the latest safe start: at risk",
         senco(A, npq(date(2026, 10, 1))), date(2026, 10, 1), S.AT_RISK, D, L,
         words=("expected to finish by 31 August 2028 (the autumn 2026 cohort's expected "
                "outcome), after the deadline.", "was 1 February 2026")),
    Case("NPQ place booked for later: on track", senco(A, npq(date(2026, 1, 10))),
         date(2025, 6, 1), S.ON_TRACK, D, L,
         words=("Starts the NPQ for SENCOs on 10 January 2026, expected to finish by "
                "31 December 2027",)),
    Case("NPQ passed: qualified", senco(A, npq(date(2025, 2, 1), date(2026, 11, 20))),
         date(2026, 12, 1), S.QUALIFIED, D, L,
         words=("passed the NPQ for SENCOs on 20 November 2026, by the deadline of "
                "3 January 2028.",)),
    Case("NPQ passed on the deadline day", senco(A, npq(date(2026, 2, 1), D)), D, S.QUALIFIED,
         D, L, words=("by the deadline",)),
    Case("NPQ passed after the deadline: qualified, late",
         senco(A, npq(date(2026, 5, 1), date(2028, 3, 1))), date(2028, 3, 1), S.QUALIFIED, D, L,
         words=("passed the NPQ for SENCOs on 1 March 2028, after the deadline of "
                "3 January 2028.",)),
    Case("pass dated in the future is not held yet",
         senco(A, npq(date(2025, 2, 1), date(2026, 12, 1))), date(2026, 6, 1), S.ON_TRACK, D, L,
         words=("The NPQ for SENCOs pass recorded for 1 December 2026 is in the future, so it "
                "does not count yet.",)),
    Case("pass dated in the future, start not recorded: no course in progress",
         senco(A, npq(completed=date(2026, 12, 1))), date(2026, 6, 1), S.AT_RISK, D, L,
         words=("No course that counts has started yet: the latest safe start was "
                "1 February 2026.", "is in the future")),
    Case("NPQ with no start date is not a course in progress",
         senco(A, npq(expected=date(2026, 7, 1))), date(2025, 6, 1), S.NOT_STARTED, D, L,
         words=("No course started yet",)),
    Case("NPQ expected finish passed with no pass recorded",
         senco(date(2023, 9, 1), npq(date(2024, 1, 1))), date(2026, 1, 1), S.AT_RISK,
         date(2026, 9, 1), date(2025, 2, 1),
         words=("expected to finish by 1 November 2025 (22 months from the start), but no pass "
                "has been recorded.",)),
    Case("NPQ expected to finish today, outcome awaited: on track",
         senco(date(2023, 9, 1), npq(date(2024, 1, 1))), date(2025, 11, 1), S.ON_TRACK,
         date(2026, 9, 1), date(2025, 2, 1)),
)  # fmt: skip

# --- Several qualification records --------------------------------------------------------------

SEVERAL = (
    Case("failed NASENCO then an NPQ: on track by the NPQ",
         senco(A24, FAILED_NASENCO, npq(date(2025, 2, 1))), date(2025, 6, 1), S.ON_TRACK,
         D24, L24,
         words=("must hold the NPQ for SENCOs by 10 January 2027.", "On the NPQ for SENCOs "
                "since 1 February 2025, expected to finish by 31 December 2026")),
    Case("failed NASENCO then a late NPQ: at risk, the NPQ named",
         senco(A24, FAILED_NASENCO, npq(date(2025, 6, 1))), date(2025, 7, 1), S.AT_RISK,
         D24, L24,
         words=("On the NPQ for SENCOs since 1 June 2025, expected to finish by 1 April 2027 "
                "(22 months from the start), after the deadline.", "was 1 February 2025"),
         absent=("NASENCO",)),
    Case("failed NASENCO then an NPQ passed: qualified",
         senco(A24, FAILED_NASENCO, npq(date(2025, 2, 1), date(2026, 11, 1))),
         date(2026, 12, 1), S.QUALIFIED, D24, L24, words=("passed the NPQ for SENCOs",)),
    Case("two passes: the first is named",
         senco(date(2023, 1, 5), npq(date(2024, 9, 1), date(2026, 7, 1)),
               nasenco(date(2022, 9, 1), date(2023, 7, 1))),
         date(2026, 8, 1), S.QUALIFIED, date(2026, 1, 5), date(2024, 3, 5),
         words=("passed the NASENCO on 1 July 2023",)),
    Case("two courses in time: the earlier finish is named",
         senco(A, npq(date(2025, 2, 1)), nasenco(date(2024, 5, 1), expected=date(2026, 7, 1))),
         date(2025, 6, 1), S.ON_TRACK, D, L,
         words=("so must hold the NASENCO by 3 January 2028.",
                "On the NASENCO since 1 May 2024, expected to finish by 1 July 2026: in time.")),
)  # fmt: skip

# --- The deadline: the third anniversary is the last day ----------------------------------------

DEADLINE = (
    Case("deadline today, no course: at risk, not yet overdue", senco(A), D, S.AT_RISK, D, L,
         words=("must hold the NPQ for SENCOs by 3 January 2028.",
                "the latest safe start was 1 February 2026.")),
    Case("deadline yesterday: overdue", senco(A), date(2028, 1, 4), S.OVERDUE, D, L,
         words=("Became SENCO on 3 January 2025, so had to hold the NPQ for SENCOs by "
                "3 January 2028: overdue since 4 January 2028.",)),
    Case("overdue while on a course", senco(A, npq(date(2026, 6, 1))), date(2028, 2, 1),
         S.OVERDUE, D, L,
         words=("overdue since 4 January 2028. On the NPQ for SENCOs since 1 June 2026, "
                "expected to finish by 1 April 2028 (22 months from the start).",)),
    Case("overdue with a NASENCO that does not count",
         senco(A, nasenco(date(2024, 10, 1))), date(2028, 2, 1), S.OVERDUE, D, L,
         words=("so had to hold the NPQ for SENCOs", "The NASENCO started on 1 October 2024 "
                "does not count")),
    Case("appointed 29 Feb 2024: deadline 28 Feb 2027", senco(date(2024, 2, 29)),
         date(2025, 1, 1), S.NOT_STARTED, date(2027, 2, 28), date(2025, 2, 1),
         words=("Became SENCO on 29 February 2024", "by 28 February 2027",
                "the latest safe start is 1 February 2025.")),
    Case("appointed 29 Feb 2024: 28 Feb 2027 is the last day", senco(date(2024, 2, 29)),
         date(2027, 2, 28), S.AT_RISK, date(2027, 2, 28), date(2025, 2, 1)),
    Case("appointed 29 Feb 2024: overdue on 1 Mar 2027", senco(date(2024, 2, 29)),
         date(2027, 3, 1), S.OVERDUE, date(2027, 2, 28), date(2025, 2, 1),
         words=("overdue since 1 March 2027.",)),
    Case("appointed 29 Feb 2024: NPQ passed on 28 Feb 2027 is in time",
         senco(date(2024, 2, 29), npq(date(2025, 4, 1), date(2027, 2, 28))), date(2027, 3, 1),
         S.QUALIFIED, date(2027, 2, 28), date(2025, 2, 1), words=("by the deadline",)),
)  # fmt: skip

# --- The latest safe start ----------------------------------------------------------------------

SAFE_START = (
    Case("latest safe start today: not started", senco(A), L, S.NOT_STARTED, D, L,
         words=("No course started yet: the latest safe start is today, 1 February 2026.",)),
    Case("latest safe start yesterday: at risk", senco(A), date(2026, 3, 4), S.AT_RISK, D, L,
         words=("No course started yet: the latest safe start was 1 February 2026.",)),
    Case("appointment next term: not started", senco(date(2025, 9, 1)), date(2025, 6, 1),
         S.NOT_STARTED, date(2028, 9, 1), date(2026, 10, 1),
         words=("Becomes SENCO on 1 September 2025, so must hold the NPQ for SENCOs by "
                "1 September 2028.",)),
    Case("appointed 31 Dec: a spring outcome on the deadline day is in time",
         senco(date(2024, 12, 31)), date(2025, 1, 1), S.NOT_STARTED, date(2027, 12, 31),
         date(2026, 2, 1)),
    Case("appointed 31 Dec 2026: the spring 2028 cohort", senco(date(2026, 12, 31)),
         date(2027, 1, 1), S.NOT_STARTED, date(2029, 12, 31), date(2028, 2, 1)),
)  # fmt: skip

SCENARIOS = ELIGIBILITY + EXEMPTION + NASENCO + NPQ + SEVERAL + DEADLINE + SAFE_START


@table(*SCENARIOS)
def test_scenario(case: Case) -> None:
    check(case)


def test_the_table_is_big_enough_and_its_ids_unique() -> None:
    ids = [case.id for case in SCENARIOS]
    assert len(ids) >= 40
    assert len(set(ids)) == len(ids)


def test_a_school_with_no_senco() -> None:
    assert no_senco_assessment() == SencoAssessment(
        SencoState.NO_SENCO,
        None,
        None,
        "The school has no SENCO designated. Every mainstream school must have one "
        "(SEND Regulations 2014, reg. 49).",
    )


def test_the_statute_dates_and_periods() -> None:
    constants = (
        EXEMPTION_CUTOFF,
        PRIOR_SERVICE_MONTHS,
        NASENCO_START_BEFORE,
        NASENCO_COMPLETE_BEFORE,
        NPQ_DURATION_MONTHS,
        DEADLINE_YEARS,
    )
    assert constants == (date(2009, 9, 1), 12, date(2024, 9, 1), date(2027, 9, 1), 22, 3)


def test_states_and_kinds_are_strings() -> None:
    assert SencoState("on_track") is SencoState.ON_TRACK
    assert f"{SencoState.NO_SENCO}" == "no_senco"
    assert QualificationKind("npq_senco") is QualificationKind.NPQ_SENCO
    assert str(QualificationKind.NASENCO) == "nasenco"


def test_urgency_orders_every_state_once() -> None:
    assert sorted(URGENCY) == sorted(SencoState)
    assert len(URGENCY) == len(set(URGENCY))


def test_urgency_sorts_a_trust_table() -> None:
    shuffled = [S.EXEMPT, S.ON_TRACK, S.NO_SENCO, S.QUALIFIED, S.NOT_STARTED, S.AT_RISK,
                S.NOT_ELIGIBLE, S.OVERDUE]  # fmt: skip
    assert sorted(shuffled, key=urgency_rank) == [
        S.OVERDUE,
        S.NOT_ELIGIBLE,
        S.AT_RISK,
        S.NO_SENCO,
        S.NOT_STARTED,
        S.ON_TRACK,
        S.QUALIFIED,
        S.EXEMPT,
    ]
    assert urgency_rank(S.OVERDUE) == 0
