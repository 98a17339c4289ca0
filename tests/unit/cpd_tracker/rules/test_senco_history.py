"""The SENCO's real history (issue 16, "The SENCO form"): the NASENCO's course end, prior
service counted in days at relevant schools, QTLS with SET, schools with no reg. 49 duty, and
the NPQ's cohorts with DfE's transition guidance. Each row names the case, the state, the
deadline and the latest safe start, and the words of the reason that explain it."""

from __future__ import annotations

import datetime as dt

from cpd_tracker.rules.senco import (
    PRIOR_SERVICE_DAYS,
    URGENCY,
    PriorSencoService,
    QualificationFacts,
    QualificationKind,
    SencoFacts,
    SencoState,
    no_senco_assessment,
    prior_service_days,
)
from tests.unit.cpd_tracker.rules.test_senco import A, Case, D, L, check, table

date = dt.date
S = SencoState


def senco(
    became: dt.date,
    *qualifications: QualificationFacts,
    stints: tuple[PriorSencoService, ...] = (),
    months: int = 0,
    qts: bool = True,
    qtls: bool = False,
    relevant: bool = True,
) -> SencoFacts:
    return SencoFacts(
        became_senco_on=became,
        prior_senco_months=months,
        has_qts=qts,
        qts_via_partial_access=False,
        induction_complete=True,
        teaches_at_school=True,
        is_head=False,
        qualifications=qualifications,
        prior_service=stints,
        qtls_with_set=qtls,
        school_is_relevant=relevant,
    )


def nasenco(
    started: dt.date,
    passed: dt.date | None = None,
    expected: dt.date | None = None,
    course_end: dt.date | None = None,
) -> QualificationFacts:
    return QualificationFacts(QualificationKind.NASENCO, started, passed, expected, course_end)


def npq(started: dt.date, passed: dt.date | None = None) -> QualificationFacts:
    return QualificationFacts(QualificationKind.NPQ_SENCO, started, passed)


def stint(first: dt.date, last: dt.date, relevant: bool = True) -> PriorSencoService:
    return PriorSencoService(first, last, relevant)


#: Seven one-month acting stints: the old form's "any part month counted whole" made them 14
#: "months" (each straddles two calendar months) and a false exemption.
ACTING = tuple(
    stint(date(2019 + (m + 9) // 12, (m + 9) % 12 + 1, 15),
          date(2019 + (m + 10) // 12, (m + 10) % 12 + 1, 14))
    for m in range(0, 14, 2)
)  # fmt: skip

COURSE_END = (
    Case("NASENCO course ended 30 Jun 2027, award 15 Sep 2027: counts (reg. 49(7)(a))",
         senco(A, nasenco(date(2024, 1, 8), date(2027, 9, 15), course_end=date(2027, 6, 30))),
         date(2027, 9, 20), S.QUALIFIED, D, L,
         words=("passed the NASENCO on 15 September 2027 (course completed on 30 June 2027), "
                "by the deadline of 3 January 2028.",)),
    Case("NASENCO award 15 Sep 2027 with no course end recorded: not counted, told what to do",
         senco(A, nasenco(date(2024, 1, 8), date(2027, 9, 15))), date(2027, 9, 20),
         S.AT_RISK, D, L,
         words=("The NASENCO passed on 15 September 2027 does not count",
                "record the day it ended: it then counts.")),
    Case("NASENCO course ended 1 Sep 2027: too late, whatever the award",
         senco(A, nasenco(date(2024, 1, 8), date(2027, 10, 1), course_end=date(2027, 9, 1))),
         date(2027, 10, 2), S.AT_RISK, D, L,
         words=("The NASENCO course completed on 1 September 2027 does not count: the course had "
                "to be completed before 1 September 2027.",)),
    Case("NASENCO course ended 31 Aug 2027, award awaited in October: on track",
         senco(A, nasenco(date(2024, 1, 8), expected=date(2027, 10, 15),
                          course_end=date(2027, 8, 31))),
         date(2027, 9, 10), S.ON_TRACK, D, L,
         words=("expected to finish by 15 October 2027: in time.",)),
    Case("NASENCO course ended in time, award expected after the deadline: at risk",
         senco(A, nasenco(date(2024, 1, 8), expected=date(2028, 2, 1),
                          course_end=date(2027, 6, 30))),
         date(2027, 9, 10), S.AT_RISK, D, L, words=("after the deadline.",)),
)  # fmt: skip

PRIOR_SERVICE = (
    Case("seven one-month acting stints: 14 'months' before, not exempt now",
         senco(A, stints=ACTING, months=14), date(2025, 6, 1), S.NOT_STARTED, D, L,
         words=("Previous service as SENCO counted: 212 days at mainstream schools or "
                "maintained nursery schools, not more than 12 months (365 days).",),
         absent=("Exempt",)),
    Case("one stint of exactly 12 months: not exempt",
         senco(A, stints=(stint(date(2022, 9, 1), date(2023, 8, 31)),)), date(2025, 6, 1),
         S.NOT_STARTED, D, L, words=("365 days",)),
    Case("12 months and a day: exempt",
         senco(A, stints=(stint(date(2022, 9, 1), date(2023, 9, 1)),)), date(2025, 6, 1),
         S.EXEMPT, None, None,
         words=("Exempt from the SENCO qualification: previously a SENCO at a mainstream school "
                "or maintained nursery school for 366 days in total, more than 12 months "
                "(365 days, 29 February not counted).",)),
    Case("12 months across 29 February: 366 calendar days, still exactly 12 months",
         senco(A, stints=(stint(date(2023, 3, 1), date(2024, 2, 29)),)), date(2025, 6, 1),
         S.NOT_STARTED, D, L, words=("365 days",)),
    Case("two years at a special school: not a relevant school, not exempt",
         senco(A, stints=(stint(date(2021, 9, 1), date(2023, 8, 31), relevant=False),)),
         date(2025, 6, 1), S.NOT_STARTED, D, L,
         words=("0 days", "service at special or independent schools does not count.")),
    Case("two seven-month stints at relevant schools add up: exempt",
         senco(A, stints=(stint(date(2020, 1, 1), date(2020, 7, 31)),
                          stint(date(2022, 1, 1), date(2022, 7, 31)))),
         date(2025, 6, 1), S.EXEMPT, None, None, words=("424 days in total",)),
    Case("overlapping stints (two schools at once) count once: not exempt",
         senco(A, stints=(stint(date(2022, 1, 1), date(2022, 8, 31)),
                          stint(date(2022, 3, 1), date(2022, 8, 31)))),
         date(2025, 6, 1), S.NOT_STARTED, D, L, words=("243 days",)),
    Case("a stint running on into this appointment counts only until the day before",
         senco(A, stints=(stint(date(2024, 6, 1), date(2026, 8, 31)),)), date(2025, 6, 1),
         S.NOT_STARTED, D, L, words=("216 days",)),
    Case("stints given: the old months figure is not used",
         senco(A, stints=(stint(date(2024, 1, 1), date(2024, 3, 31)),), months=40),
         date(2025, 6, 1), S.NOT_STARTED, D, L, absent=("Exempt",)),
)  # fmt: skip

QUALIFIED_TEACHER = (
    Case("QTLS with SET membership and no QTS: a qualified teacher (SI 2012/431)",
         senco(A, qts=False, qtls=True), date(2025, 6, 1), S.NOT_STARTED, D, L),
    Case("neither QTS nor QTLS: not eligible, both named",
         senco(A, qts=False), date(2025, 6, 1), S.NOT_ELIGIBLE, None, None,
         words=("is not a qualified teacher.", "(QTS, or QTLS with membership of the Society "
                "for Education and Training)")),
)  # fmt: skip

SCHOOL = (
    Case("special or independent school: not required, however the SENCO stands",
         senco(A, qts=False, relevant=False), date(2029, 1, 1), S.NOT_REQUIRED, None, None,
         words=("Not required: special and independent schools have no duty",),
         absent=("Cannot be the SENCO",)),
)  # fmt: skip

#: Appointed on the first day of 2023/24: deadline 1 September 2026. Only the autumn 2024 cohort
#: finishes by then; DfE's transition guidance accepts the spring 2025 cohort too.
T = date(2023, 9, 1)
TD = date(2026, 9, 1)
TL = date(2025, 2, 1)

COHORTS = (
    Case("latest safe start is the last cohort in time, not the deadline less 22 months",
         senco(date(2025, 9, 1)), date(2026, 10, 15), S.AT_RISK, date(2028, 9, 1),
         date(2026, 10, 1),
         words=("No course started yet: the latest safe start was 1 October 2026.",)),
    Case("an NPQ start in May is in no cohort: noted, 22 months from the start",
         senco(A, npq(date(2025, 5, 12))), date(2025, 6, 1), S.ON_TRACK, D, L,
         words=("expected to finish by 12 March 2027 (22 months from the start): in time.",
                "The NPQ for SENCOs start of 12 May 2025 is in no DfE cohort (they start in "
                "autumn and spring only): check the start date.")),
    Case("2023/24 appointee on the spring 2025 cohort: on track under the transition",
         senco(T, npq(date(2025, 2, 3))), date(2026, 6, 1), S.ON_TRACK, TD, TL,
         words=("expected to finish by 31 December 2026 (the spring 2025 cohort's expected "
                "outcome): in time under DfE's transition guidance",)),
    Case("2023/24 appointee on the spring 2025 cohort after the deadline: not overdue",
         senco(T, npq(date(2025, 2, 3))), date(2026, 10, 1), S.ON_TRACK, TD, TL,
         words=("so had to hold the NPQ for SENCOs by 1 September 2026.",
                "in time under DfE's transition guidance"), absent=("overdue",)),
    Case("2023/24 appointee passing in December 2026: qualified, the transition named",
         senco(T, npq(date(2025, 2, 3), date(2026, 12, 10))), date(2026, 12, 11),
         S.QUALIFIED, TD, TL,
         words=("passed the NPQ for SENCOs on 10 December 2026, after the deadline of "
                "1 September 2026, in time under DfE's transition guidance",)),
    Case("2023/24 appointee whose spring 2025 outcome never came: overdue",
         senco(T, npq(date(2025, 2, 3))), date(2027, 1, 5), S.OVERDUE, TD, TL,
         words=("overdue since 2 September 2026.",)),
    Case("2023/24 appointee on the autumn 2025 cohort: too late, the transition does not cover",
         senco(T, npq(date(2025, 10, 6))), date(2026, 1, 5), S.AT_RISK, TD, TL,
         words=("(the autumn 2025 cohort's expected outcome), after the deadline.",
                "The latest safe start for an NPQ for SENCOs was 1 February 2025.")),
    Case("2022/23 appointee on the spring 2025 cohort: not covered, at risk",
         senco(date(2023, 8, 30), npq(date(2025, 2, 3))), date(2025, 6, 1), S.AT_RISK,
         date(2026, 8, 30), date(2024, 8, 31), words=("after the deadline.",)),
)  # fmt: skip

HISTORY = COURSE_END + PRIOR_SERVICE + QUALIFIED_TEACHER + SCHOOL + COHORTS


@table(*HISTORY)
def test_history(case: Case) -> None:
    check(case)


def test_ids_are_unique() -> None:
    ids = [case.id for case in HISTORY]
    assert len(set(ids)) == len(ids)


def test_the_acting_stints_are_seven_single_months() -> None:
    assert len(ACTING) == 7
    assert all((s.ended_on - s.started_on).days in range(27, 31) for s in ACTING)
    assert prior_service_days(ACTING, A) == 212


def test_prior_service_counts_days_without_29_february() -> None:
    assert PRIOR_SERVICE_DAYS == 365
    leap_year = (stint(date(2024, 1, 1), date(2024, 12, 31)),)
    assert prior_service_days(leap_year, A) == 365
    # After this appointment began nothing counts; a stint ending before it starts is ignored.
    assert prior_service_days((stint(date(2025, 2, 1), date(2025, 9, 1)),), A) == 0
    assert prior_service_days((stint(date(2024, 5, 1), date(2024, 4, 1)),), A) == 0


def test_a_school_with_no_duty_and_no_senco_is_not_in_breach() -> None:
    assessment = no_senco_assessment(school_is_relevant=False)
    assert assessment.state is S.NOT_REQUIRED
    assert "special and independent schools" in assessment.reason
    assert no_senco_assessment().state is S.NO_SENCO
    assert URGENCY[-1] is S.NOT_REQUIRED
