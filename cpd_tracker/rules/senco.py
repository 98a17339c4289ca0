"""The statutory SENCO qualification rules: where a school's SENCO stands, today.

Implements DOMAIN.md, "The statutory SENCO rules" (SEND Regulations 2014, reg. 49, as amended
by SI 2024/535). A pure function of plain facts (see ``assess``); the database and the clock
stay outside, and nothing here imports from the rest of the app.

The states, first match wins:

0. **Not required**: the school is not a relevant school (special and independent schools have
   no reg. 49 duty), so nothing here applies to it, SENCO or not.
1. **Not eligible**: not the head (or acting head), and not a qualified teacher (QTS other than
   through EU "partial access", or QTLS with SET membership, SI 2012/431) who has completed
   induction and teaches at the school.
2. **Exempt**: became SENCO on or before 1 September 2009, or was a SENCO at a relevant school
   for more than 12 months in total before.
3. **Qualified**: holds a qualification that counts, passed on or before today: the NPQ for
   SENCOs, or a NASENCO started before 1 September 2024 whose course was completed before
   1 September 2027 (reg. 49(7)(a): the course's end, not the award's date).
4. **Overdue**: today is after the deadline, the third anniversary of becoming SENCO. Reg. 49(4)
   requires the qualification "at any time after the third anniversary", so the anniversary
   itself is the last day. A 2023/24 appointee on an NPQ started by the spring 2025 cohort is
   not overdue while the outcome is awaited (DfE's transition guidance).
5. **On track**: on a course that counts, expected to finish (the recorded date, else the NPQ
   cohort's expected outcome, see ``NPQ_COHORTS``) on or before the deadline (or covered by
   the transition guidance) and, for a NASENCO, with the course ending before 1 September 2027.
6. **At risk**: on a course expected to finish too late, or on none and past the latest safe
   start (the start of the last NPQ cohort whose outcome is in time).
7. **Not started**: on no course, and the latest safe start is still ahead.

A school with no SENCO designated is an eighth state, ``no_senco``, with no person to assess:
see ``no_senco_assessment`` (``not_required`` for a school with no reg. 49 duty).

Decisions the regulations leave open:

- **29 February.** The third anniversary of an appointment on 29 February is 28 February. Three
  years is 36 calendar months, and the courts end a period of calendar months with no
  corresponding day on the last day of the shorter month (the corresponding-date rule, Dodds v
  Walker [1981] 1 WLR 1027). It is also the cautious reading: a school that plans for 28
  February is compliant whichever day a court chose, and nobody is told of a day they may not
  have. The same month arithmetic, clamped to the end of a shorter month, gives the latest
  safe start and the NPQ's derived finish. At a month end the latest safe start errs early by
  a day or two: for a 28 February deadline it is 28 April, yet an NPQ started on 30 April is
  also derived to finish on 28 February. An NPQ started on the latest safe start always
  finishes in time.
- **Enrolled** means a record of a course that counts with a start date (a start in the future
  is a booked place, and counts) whose pass has not been received by today. A pass dated after
  today is not held yet; the record counts as a course in progress. A NASENCO started on or
  after 1 September 2024 is not a course that counts; an NPQ counts whenever it started.
- **A NASENCO with no start date** counts only if passed before 1 September 2024, which proves
  it started before then; otherwise the start date must be recorded before it can count.
- **A course whose expected finish has passed** with no pass recorded no longer puts anyone on
  track: the outcome, or a new expected date, needs recording. So a failed or abandoned
  course left on the record stops counting once its expected finish passes (callers should
  leave such courses out). A NASENCO in progress with no expected date is at risk for the same
  reason: nothing shows it will finish in time.
- **Prior service** is counted in days from dated stints (``PriorSencoService``), only those at
  a relevant school (reg. 2(1): a mainstream school or maintained nursery school), only before
  this appointment, overlapping stints once. 29 February is not counted, so any 12 calendar
  months are exactly 365 days and "more than 12 months in total" is "366 days or more": a
  single stint is then judged exactly as by the calendar, and stints add up as days. Without
  stints the old figure, ``prior_senco_months`` (whole months, any part month counted as a
  month, "more than 12" being "13 or more"), is used.
- **NPQ cohorts** start in autumn (October) and spring (February) only. A course started from a
  month before a cohort's start to two months after it belongs to that cohort and is expected
  to finish on the cohort's expected outcome date. A start outside every cohort's window is
  noted, and its finish taken as 22 months from the start (as for deadlines before the first
  cohort's outcome or beyond the table).
- **Transition** (DfE, "Additional guidance on the mandatory requirements for SENCOs"): a SENCO
  appointed in the 2023/24 school year who enrols on the NPQ by the spring 2025 cohort meets
  the requirement, so that course is in time whatever its outcome date, and the latest safe
  start is never before the spring 2025 cohort for them.
- ``deadline`` and ``latest_safe_start`` are set together, for every state except not
  eligible, exempt and no SENCO. A qualified SENCO keeps the deadline that applied, so a
  report can show whether it was met.
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

# --- The statute's dates and periods, in one place ----------------------------------------------

#: Became SENCO on or before this day: exempt from the qualification.
EXEMPTION_CUTOFF: Final = dt.date(2009, 9, 1)
#: A SENCO before for more than this many months in total: exempt.
PRIOR_SERVICE_MONTHS: Final = 12
#: A NASENCO counts only if started before this day (SI 2024/535)...
NASENCO_START_BEFORE: Final = dt.date(2024, 9, 1)
#: ...and completed before this day.
NASENCO_COMPLETE_BEFORE: Final = dt.date(2027, 9, 1)
#: About 18 months of teaching plus up to 4 months for the result: the finish of an NPQ whose
#: start is in no cohort's window, and the latest safe start where the table does not reach.
NPQ_DURATION_MONTHS: Final = 22
#: "More than 12 months" of prior service, in days with 29 February not counted.
PRIOR_SERVICE_DAYS: Final = 365
#: The qualification must be held after the third anniversary of becoming SENCO.
DEADLINE_YEARS: Final = 3


class SencoState(enum.StrEnum):
    NOT_ELIGIBLE = "not_eligible"
    EXEMPT = "exempt"
    QUALIFIED = "qualified"
    OVERDUE = "overdue"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    NOT_STARTED = "not_started"
    #: The school has no SENCO designated (a school-level state; see ``no_senco_assessment``).
    NO_SENCO = "no_senco"
    #: The school has no reg. 49 duty (special or independent): nothing is required.
    NOT_REQUIRED = "not_required"


#: Most urgent first, for sorting a trust's table of schools. A SENCO who cannot lawfully hold
#: the post is a breach today, like an overdue qualification, so it sits near the top.
URGENCY: Final[tuple[SencoState, ...]] = (
    SencoState.OVERDUE,
    SencoState.NOT_ELIGIBLE,
    SencoState.AT_RISK,
    SencoState.NO_SENCO,
    SencoState.NOT_STARTED,
    SencoState.ON_TRACK,
    SencoState.QUALIFIED,
    SencoState.EXEMPT,
    SencoState.NOT_REQUIRED,
)


def urgency_rank(state: SencoState) -> int:
    """A sort key: 0 for the most urgent state (see ``URGENCY``)."""
    return URGENCY.index(state)


class QualificationKind(enum.StrEnum):
    NPQ_SENCO = "npq_senco"
    NASENCO = "nasenco"


_NAMES: Final = {
    QualificationKind.NPQ_SENCO: "NPQ for SENCOs",
    QualificationKind.NASENCO: "NASENCO",
}


@dataclass(frozen=True)
class QualificationFacts:
    kind: QualificationKind
    started_on: dt.date | None = None
    #: The day the pass outcome was received; None until then. Failed or withdrawn courses
    #: are best left out of the facts altogether.
    completed_on: dt.date | None = None
    #: When the outcome is expected; for the NPQ, the cohort's expected outcome if not given.
    expected_completion_on: dt.date | None = None
    #: The day the course itself ended (teaching and assessment done), which may be well before
    #: the award arrives. The NASENCO cut-off (reg. 49(7)(a)) tests this day, not the award.
    course_completed_on: dt.date | None = None


@dataclass(frozen=True)
class PriorSencoService:
    """A period as SENCO before this appointment, both days included."""

    started_on: dt.date
    ended_on: dt.date
    #: A mainstream school or maintained nursery school (reg. 2(1)); service at a special or
    #: independent school does not count towards the exemption.
    relevant_school: bool = True


@dataclass(frozen=True)
class SencoFacts:
    became_senco_on: dt.date
    #: Months as a SENCO before this appointment, any part month counted whole: used only when
    #: no ``prior_service`` stints are given.
    prior_senco_months: int
    has_qts: bool
    qts_via_partial_access: bool
    #: True where induction was completed or is not required.
    induction_complete: bool
    teaches_at_school: bool
    #: The head teacher or acting head teacher.
    is_head: bool
    qualifications: Sequence[QualificationFacts] = ()
    #: Dated periods as SENCO before this appointment; counted in days (see the module notes).
    prior_service: Sequence[PriorSencoService] = ()
    #: QTLS with membership of the Society for Education and Training: a qualified teacher
    #: (SI 2012/431), as QTS is.
    qtls_with_set: bool = False
    #: The school is a mainstream school or maintained nursery school, with a reg. 49 duty.
    #: False (special and independent schools) gives ``not_required``.
    school_is_relevant: bool = True


@dataclass(frozen=True)
class SencoAssessment:
    state: SencoState
    #: The third anniversary of becoming SENCO: the last day to hold the qualification.
    deadline: dt.date | None
    #: The start of the last NPQ cohort whose expected outcome is in time (see
    #: ``latest_safe_start_for``).
    latest_safe_start: dt.date | None
    #: A sentence a head understands, naming the dates that drive the state.
    reason: str


# --- Dates --------------------------------------------------------------------------------------

# Spelled out rather than strftime("%B"), which follows the server's locale.
_MONTHS: Final = ("January", "February", "March", "April", "May", "June", "July", "August",
                  "September", "October", "November", "December")  # fmt: skip


def _uk_date(day: dt.date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _add_months(day: dt.date, months: int) -> dt.date:
    # A day the target month lacks (29 February, the 31st) becomes its last day.
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return dt.date(year, month0 + 1, min(day.day, last))


# --- NPQ cohorts: the one table of start and expected outcome dates ----------------------------


@dataclass(frozen=True)
class NpqCohort:
    name: str
    #: The cohort's start: courses of the cohort begin in this month.
    starts_on: dt.date
    #: The day by which the outcome is expected (18 months of teaching, then the assessment
    #: window and up to 4 months for the result).
    expected_outcome_on: dt.date

    @property
    def opens_on(self) -> dt.date:
        """The first start day that belongs to the cohort (a month before its start)."""
        return _add_months(self.starts_on, -1)

    @property
    def closes_on(self) -> dt.date:
        """The last start day that belongs to the cohort (two months after its start, less a
        day): a provider's later first session is still the same cohort."""
        return _add_months(self.starts_on, 2) - dt.timedelta(days=1)


def _autumn(year: int) -> NpqCohort:
    return NpqCohort(f"autumn {year}", dt.date(year, 10, 1), dt.date(year + 2, 8, 31))


def _spring(year: int) -> NpqCohort:
    return NpqCohort(f"spring {year}", dt.date(year, 2, 1), dt.date(year + 1, 12, 31))


#: DfE's NPQ for SENCOs cohorts: autumn (October) and spring (February) starts only, the first in
#: autumn 2024. An autumn cohort's outcome is expected by the end of August two years on, a
#: spring cohort's by the end of December the next year. Correct a row here when DfE publishes
#: different dates; beyond the last row the flat 22 months is used.
NPQ_COHORTS: Final[tuple[NpqCohort, ...]] = (
    _autumn(2024), _spring(2025), _autumn(2025), _spring(2026), _autumn(2026), _spring(2027),
    _autumn(2027), _spring(2028), _autumn(2028), _spring(2029), _autumn(2029), _spring(2030),
    _autumn(2030), _spring(2031),
)  # fmt: skip

#: DfE's transition guidance: SENCOs appointed in the 2023/24 school year...
TRANSITION_APPOINTED_FROM: Final = dt.date(2023, 9, 1)
TRANSITION_APPOINTED_UNTIL: Final = dt.date(2024, 8, 31)
#: ...who enrol on the NPQ by this cohort meet the requirement.
TRANSITION_LAST_COHORT: Final = NPQ_COHORTS[1]


def cohort_of(started_on: dt.date) -> NpqCohort | None:
    """The NPQ cohort a course started on ``started_on`` belongs to, if any."""
    for cohort in NPQ_COHORTS:
        if cohort.opens_on <= started_on <= cohort.closes_on:
            return cohort
    return None


def transition_applies(became_senco_on: dt.date) -> bool:
    """Appointed in the 2023/24 school year: DfE's transition guidance covers them."""
    return TRANSITION_APPOINTED_FROM <= became_senco_on <= TRANSITION_APPOINTED_UNTIL


def _transition_covers(became_senco_on: dt.date, qualification: QualificationFacts) -> bool:
    """An NPQ started by the spring 2025 cohort, by a 2023/24 appointee."""
    return (
        transition_applies(became_senco_on)
        and qualification.kind is QualificationKind.NPQ_SENCO
        and qualification.started_on is not None
        and qualification.started_on <= TRANSITION_LAST_COHORT.closes_on
    )


def deadline_for(became_senco_on: dt.date) -> dt.date:
    """The third anniversary of becoming SENCO; for 29 February, 28 February (see above)."""
    return _add_months(became_senco_on, DEADLINE_YEARS * 12)


def latest_safe_start_for(deadline: dt.date, became_senco_on: dt.date | None = None) -> dt.date:
    """The last day an NPQ can start and still finish in time: the start of the last cohort
    whose expected outcome is on or before the deadline (for a 2023/24 appointee, never before
    the spring 2025 cohort). Where the table does not reach (a deadline before the first
    cohort's outcome, or after the last's), the deadline less 22 months, moved before the
    window of a cohort that would finish late."""
    covered = became_senco_on is not None and transition_applies(became_senco_on)
    in_time = [
        c
        for c in NPQ_COHORTS
        if c.expected_outcome_on <= deadline
        or (covered and c.starts_on <= TRANSITION_LAST_COHORT.starts_on)
    ]
    if in_time and deadline <= NPQ_COHORTS[-1].expected_outcome_on:
        return in_time[-1].starts_on
    safe = _add_months(deadline, -NPQ_DURATION_MONTHS)
    cohort = cohort_of(safe)
    if cohort is not None and cohort.expected_outcome_on > deadline:
        return cohort.opens_on - dt.timedelta(days=1)
    return safe


# --- Prior service ------------------------------------------------------------------------------


def _days_without_29_february(first: dt.date, last: dt.date) -> int:
    days = (last - first).days + 1
    leap_days = sum(
        1
        for year in range(first.year, last.year + 1)
        if calendar.isleap(year) and first <= dt.date(year, 2, 29) <= last
    )
    return days - leap_days


def prior_service_days(stints: Sequence[PriorSencoService], became_senco_on: dt.date) -> int:
    """Days as SENCO at relevant schools before ``became_senco_on``: overlaps counted once,
    29 February not counted (so 12 calendar months are 365 days)."""
    before = became_senco_on - dt.timedelta(days=1)
    spans = sorted(
        (s.started_on, min(s.ended_on, before))
        for s in stints
        if s.relevant_school and s.started_on <= min(s.ended_on, before)
    )
    total, current = 0, None
    for start, end in spans:
        if current is not None and start <= current[1] + dt.timedelta(days=1):
            current = (current[0], max(current[1], end))
            continue
        if current is not None:
            total += _days_without_29_february(*current)
        current = (start, end)
    if current is not None:
        total += _days_without_29_february(*current)
    return total


# --- Qualifications -----------------------------------------------------------------------------


def counts(qualification: QualificationFacts) -> bool:
    """Whether this course can count towards the requirement, if passed (in time, for NASENCO)."""
    if qualification.kind is QualificationKind.NPQ_SENCO:
        return True
    ended = _course_end(qualification)
    if ended is not None and ended >= NASENCO_COMPLETE_BEFORE:
        return False
    if qualification.started_on is not None:
        return qualification.started_on < NASENCO_START_BEFORE
    # No start date: only an end before the start cut-off proves the course began before it.
    return ended is not None and ended < NASENCO_START_BEFORE


def _course_end(qualification: QualificationFacts) -> dt.date | None:
    """The day the course ended if recorded, else the award (which cannot come before it)."""
    return qualification.course_completed_on or qualification.completed_on


def expected_completion(qualification: QualificationFacts) -> dt.date | None:
    """The recorded expected finish, else for the NPQ its cohort's expected outcome (22 months
    from the start for a start in no cohort), else None."""
    if qualification.expected_completion_on is not None:
        return qualification.expected_completion_on
    if qualification.kind is QualificationKind.NPQ_SENCO and qualification.started_on is not None:
        cohort = cohort_of(qualification.started_on)
        if cohort is not None:
            return cohort.expected_outcome_on
        return _add_months(qualification.started_on, NPQ_DURATION_MONTHS)
    return None


def _held(qualification: QualificationFacts, today: dt.date) -> bool:
    return qualification.completed_on is not None and qualification.completed_on <= today


def _in_time(
    qualification: QualificationFacts, facts: SencoFacts, deadline: dt.date, today: dt.date
) -> bool:
    finish = expected_completion(qualification)
    if finish is None or finish < today:
        # Unknown, or passed with no outcome recorded: nothing shows it will finish in time.
        return False
    if qualification.kind is QualificationKind.NASENCO and _late_nasenco(qualification):
        return False
    return finish <= deadline or _transition_covers(facts.became_senco_on, qualification)


def _late_nasenco(qualification: QualificationFacts) -> bool:
    """A NASENCO whose course ends (or, with no end recorded, is expected to) too late."""
    ended = qualification.course_completed_on or expected_completion(qualification)
    return ended is not None and ended >= NASENCO_COMPLETE_BEFORE


# --- Assessment ---------------------------------------------------------------------------------


def assess(facts: SencoFacts, today: dt.date) -> SencoAssessment:
    """Where the SENCO described by ``facts`` stands against reg. 49 on ``today``."""
    if not facts.school_is_relevant:
        return SencoAssessment(SencoState.NOT_REQUIRED, None, None, _NOT_REQUIRED_REASON)
    if not _eligible(facts):
        return SencoAssessment(SencoState.NOT_ELIGIBLE, None, None, _not_eligible_reason(facts))

    if facts.became_senco_on <= EXEMPTION_CUTOFF:
        reason = (
            f"Exempt from the SENCO qualification: became SENCO on "
            f"{_uk_date(facts.became_senco_on)}, on or before {_uk_date(EXEMPTION_CUTOFF)}."
        )
        return SencoAssessment(SencoState.EXEMPT, None, None, reason)
    service_days = prior_service_days(facts.prior_service, facts.became_senco_on)
    if facts.prior_service and service_days > PRIOR_SERVICE_DAYS:
        reason = (
            f"Exempt from the SENCO qualification: previously a SENCO at a mainstream school or "
            f"maintained nursery school for {service_days} days in total, more than 12 months "
            f"({PRIOR_SERVICE_DAYS} days, 29 February not counted)."
        )
        return SencoAssessment(SencoState.EXEMPT, None, None, reason)
    if not facts.prior_service and facts.prior_senco_months > PRIOR_SERVICE_MONTHS:
        reason = (
            f"Exempt from the SENCO qualification: previously a SENCO for "
            f"{facts.prior_senco_months} months in total, more than {PRIOR_SERVICE_MONTHS}."
        )
        return SencoAssessment(SencoState.EXEMPT, None, None, reason)

    deadline = deadline_for(facts.became_senco_on)
    safe_start = latest_safe_start_for(deadline, facts.became_senco_on)

    def result(state: SencoState, *sentences: str) -> SencoAssessment:
        return SencoAssessment(state, deadline, safe_start, " ".join(sentences))

    counting = [q for q in facts.qualifications if counts(q)]
    held = [q for q in counting if _held(q, today)]
    if held:
        first = min(held, key=lambda q: q.completed_on or dt.date.min)
        return result(SencoState.QUALIFIED, _qualified_reason(facts, first, deadline))

    # Nothing counting is held, so every counting record with a start is a course in progress.
    courses = [q for q in counting if q.started_on is not None]
    notes = _notes(facts.qualifications, today) + _service_notes(facts, service_days)
    # The most recently started course is the one a head will recognise as current.
    latest = max(courses, key=lambda q: q.started_on or dt.date.min, default=None)
    in_time = [q for q in courses if _in_time(q, facts, deadline, today)]

    if today > deadline and not in_time:
        since = _uk_date(deadline + dt.timedelta(days=1))
        overdue = f"{_headline(facts, deadline, today, latest)}: overdue since {since}."
        course = [_course(latest, today) + "."] if latest is not None else []
        return result(SencoState.OVERDUE, overdue, *course, *notes)

    if in_time:
        best = min(in_time, key=lambda q: expected_completion(q) or dt.date.max)
        headline = f"{_headline(facts, deadline, today, best)}."
        finish = expected_completion(best)
        if finish is not None and finish > deadline:  # only the transition puts it in time
            on_track = f"{_course(best, today)}: {_TRANSITION}."
        else:
            on_track = f"{_course(best, today)}: in time."
        return result(SencoState.ON_TRACK, headline, on_track, *notes)

    if latest is not None:
        was = "was" if today > safe_start else "is"
        return result(
            SencoState.AT_RISK,
            f"{_headline(facts, deadline, today, latest)}.",
            _too_late(latest, deadline, today),
            f"The latest safe start for an NPQ for SENCOs {was} {_uk_date(safe_start)}.",
            *notes,
        )

    nothing = "No course that counts has started yet" if notes else "No course started yet"
    headline = f"{_headline(facts, deadline, today, None)}."
    if today > safe_start:
        late = f"{nothing}: the latest safe start was {_uk_date(safe_start)}."
        return result(SencoState.AT_RISK, headline, late, *notes)
    when = "is today, " if today == safe_start else "is "
    ahead = f"{nothing}: the latest safe start {when}{_uk_date(safe_start)}."
    return result(SencoState.NOT_STARTED, headline, ahead, *notes)


_NOT_REQUIRED_REASON: Final = (
    "Not required: special and independent schools have no duty to designate a SENCO with the "
    "qualification (SEND Regulations 2014, reg. 49 applies to mainstream schools and "
    "maintained nursery schools)."
)

_TRANSITION: Final = (
    "in time under DfE's transition guidance (SENCOs appointed in the 2023/24 school year who "
    "enrol on the NPQ for SENCOs by the spring 2025 cohort meet the requirement)"
)


def no_senco_assessment(school_is_relevant: bool = True) -> SencoAssessment:
    """The state of a school with no SENCO designated: there is nobody to assess. A school
    with no reg. 49 duty is ``not_required``, not in breach."""
    if not school_is_relevant:
        return SencoAssessment(SencoState.NOT_REQUIRED, None, None, _NOT_REQUIRED_REASON)
    return SencoAssessment(
        SencoState.NO_SENCO,
        None,
        None,
        "The school has no SENCO designated. Every mainstream school must have one "
        "(SEND Regulations 2014, reg. 49).",
    )


def _eligible(facts: SencoFacts) -> bool:
    if facts.is_head:
        return True
    return _qualified_teacher(facts) and facts.induction_complete and facts.teaches_at_school


def _qualified_teacher(facts: SencoFacts) -> bool:
    return (facts.has_qts and not facts.qts_via_partial_access) or facts.qtls_with_set


# --- Reasons ------------------------------------------------------------------------------------


def _not_eligible_reason(facts: SencoFacts) -> str:
    problems = []
    if _qualified_teacher(facts):
        pass
    elif not facts.has_qts:
        problems.append("is not a qualified teacher")
    else:
        problems.append("holds QTS only through partial access (which does not count)")
    if not facts.induction_complete:
        problems.append("has not completed induction")
    if not facts.teaches_at_school:
        problems.append("does not work as a teacher at the school")
    listed = ", ".join(problems[:-1]) + " and " + problems[-1] if len(problems) > 1 else problems[0]
    return (
        f"Cannot be the SENCO: {listed}. The SENCO must be a qualified teacher (QTS, or QTLS "
        "with membership of the Society for Education and Training) who has completed "
        "induction and teaches at the school, or the head teacher "
        "(SEND Regulations 2014, reg. 49)."
    )


def _headline(
    facts: SencoFacts, deadline: dt.date, today: dt.date, course: QualificationFacts | None
) -> str:
    became = "Becomes" if facts.became_senco_on > today else "Became"
    must = "had to" if today > deadline else "must"
    name = _NAMES[course.kind] if course is not None else _NAMES[QualificationKind.NPQ_SENCO]
    return (
        f"{became} SENCO on {_uk_date(facts.became_senco_on)}, "
        f"so {must} hold the {name} by {_uk_date(deadline)}"
    )


def _qualified_reason(
    facts: SencoFacts, qualification: QualificationFacts, deadline: dt.date
) -> str:
    passed = qualification.completed_on
    assert passed is not None  # only held qualifications get here
    met = "by" if passed <= deadline else "after"
    ended = qualification.course_completed_on
    course = f" (course completed on {_uk_date(ended)})" if ended and ended != passed else ""
    text = (
        f"Became SENCO on {_uk_date(facts.became_senco_on)}; passed the "
        f"{_NAMES[qualification.kind]} on {_uk_date(passed)}{course}, {met} the deadline of "
        f"{_uk_date(deadline)}"
    )
    if passed > deadline and _transition_covers(facts.became_senco_on, qualification):
        return f"{text}, {_TRANSITION}."
    return f"{text}."


def _course(course: QualificationFacts, today: dt.date) -> str:
    """The course and its expected finish, as the start of a sentence (no full stop)."""
    started = course.started_on
    assert started is not None  # only courses in progress get here
    name, start = _NAMES[course.kind], _uk_date(started)
    text = f"Starts the {name} on {start}" if started > today else f"On the {name} since {start}"
    finish = expected_completion(course)
    if finish is None:
        return f"{text}, with no expected finish date recorded"
    text += f", expected to finish by {_uk_date(finish)}"
    if course.expected_completion_on is None:
        cohort = cohort_of(started)
        if cohort is not None:
            text += f" (the {cohort.name} cohort's expected outcome)"
        else:
            text += f" ({NPQ_DURATION_MONTHS} months from the start)"
    return text


def _too_late(course: QualificationFacts, deadline: dt.date, today: dt.date) -> str:
    """Why a course in progress does not put the SENCO on track."""
    text = _course(course, today)
    finish = expected_completion(course)
    if finish is None:
        return f"{text}: record one to show it will finish in time."
    if finish < today:
        return f"{text}, but no pass has been recorded."
    if course.kind is QualificationKind.NASENCO and _late_nasenco(course):
        return (
            f"{text}, but a NASENCO only counts if the course is completed before "
            f"{_uk_date(NASENCO_COMPLETE_BEFORE)}."
        )
    return f"{text}, after the deadline."


def _notes(qualifications: Sequence[QualificationFacts], today: dt.date) -> list[str]:
    """Sentences on records that look like qualifications but do not count (yet)."""
    notes = []
    for q in qualifications:
        name, started, passed = _NAMES[q.kind], q.started_on, q.completed_on
        ended = q.course_completed_on
        if not counts(q):
            if ended is not None and ended >= NASENCO_COMPLETE_BEFORE:
                notes.append(
                    f"The NASENCO course completed on {_uk_date(ended)} does not count: the "
                    f"course had to be completed before {_uk_date(NASENCO_COMPLETE_BEFORE)}."
                )
            elif passed is not None and passed >= NASENCO_COMPLETE_BEFORE:
                notes.append(
                    f"The NASENCO passed on {_uk_date(passed)} does not count: it had to be "
                    f"completed before {_uk_date(NASENCO_COMPLETE_BEFORE)}. If the course "
                    "itself ended before then, record the day it ended: it then counts."
                )
            elif started is not None:
                notes.append(
                    f"The NASENCO started on {_uk_date(started)} does not count: only one "
                    f"started before {_uk_date(NASENCO_START_BEFORE)} does; courses started "
                    "since must be the NPQ for SENCOs."
                )
            elif passed is not None or ended is not None:
                what = f"passed on {_uk_date(passed)}" if passed else "recorded"
                notes.append(
                    f"The NASENCO {what} has no start date recorded: it "
                    f"counts only if started before {_uk_date(NASENCO_START_BEFORE)}."
                )
        elif passed is not None and passed > today:
            notes.append(
                f"The {name} pass recorded for {_uk_date(passed)} is in the future, "
                "so it does not count yet."
            )
        elif (
            q.kind is QualificationKind.NPQ_SENCO
            and started is not None
            and started >= NPQ_COHORTS[0].opens_on
            and started <= NPQ_COHORTS[-1].closes_on
            and cohort_of(started) is None
        ):
            notes.append(
                f"The NPQ for SENCOs start of {_uk_date(started)} is in no DfE cohort (they "
                "start in autumn and spring only): check the start date."
            )
    return notes


def _service_notes(facts: SencoFacts, service_days: int) -> list[str]:
    """A sentence on the prior stints given, where they did not make the SENCO exempt."""
    if not facts.prior_service:
        return []
    text = (
        f"Previous service as SENCO counted: {service_days} days at mainstream schools or "
        f"maintained nursery schools, not more than 12 months ({PRIOR_SERVICE_DAYS} days)"
    )
    if any(not s.relevant_school for s in facts.prior_service):
        text += "; service at special or independent schools does not count"
    return [text + "."]


# --- Reminders ----------------------------------------------------------------------------------

#: The reminder before the deadline is sent this many months before it.
REMINDER_MONTHS_BEFORE_DEADLINE: Final = 6


class SencoReminderKind(enum.StrEnum):
    #: The latest safe start has come and no course that counts will finish in time.
    SAFE_START = "safe_start"
    #: Six months to the deadline and the qualification is not held.
    DEADLINE_NEAR = "deadline_near"
    #: The deadline has passed and the qualification is not held.
    OVERDUE = "overdue"


def six_months_before(deadline: dt.date) -> dt.date:
    return _add_months(deadline, -REMINDER_MONTHS_BEFORE_DEADLINE)


def reminder_due(
    assessment: SencoAssessment, today: dt.date
) -> tuple[SencoReminderKind, dt.date] | None:
    """The reminder a SENCO's assessment calls for on ``today``, with the date that names it.

    Three moments, each sent once (the caller keys messages by kind and date): the latest safe
    start, six months before the deadline, and the day after it (overdue). Only the most
    advanced that applies is returned, so a school that first runs reminders late hears the
    news that matters now, not a backlog. A SENCO on track hears nothing at the safe start
    (their course will finish in time) but is reminded six months out, to record the outcome.
    """
    deadline, safe_start = assessment.deadline, assessment.latest_safe_start
    if deadline is None or safe_start is None:
        return None
    state = assessment.state
    if state is SencoState.OVERDUE:
        return SencoReminderKind.OVERDUE, deadline
    if state not in (SencoState.ON_TRACK, SencoState.AT_RISK, SencoState.NOT_STARTED):
        return None
    if today >= six_months_before(deadline):
        return SencoReminderKind.DEADLINE_NEAR, deadline
    if state is not SencoState.ON_TRACK and today >= safe_start:
        return SencoReminderKind.SAFE_START, safe_start
    return None
