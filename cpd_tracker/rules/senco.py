"""The statutory SENCO qualification rules: where a school's SENCO stands, today.

Implements DOMAIN.md, "The statutory SENCO rules" (SEND Regulations 2014, reg. 49, as amended
by SI 2024/535). A pure function of plain facts (see ``assess``); the database and the clock
stay outside, and nothing here imports from the rest of the app.

The states, first match wins:

1. **Not eligible**: not the head (or acting head), and not a qualified teacher (other than
   through EU "partial access") who has completed induction and teaches at the school.
2. **Exempt**: became SENCO on or before 1 September 2009, or was a SENCO for more than 12
   months in total before.
3. **Qualified**: holds a qualification that counts, passed on or before today: the NPQ for
   SENCOs, or a NASENCO started before 1 September 2024 and completed before 1 September 2027.
4. **Overdue**: today is after the deadline, the third anniversary of becoming SENCO. Reg. 49(4)
   requires the qualification "at any time after the third anniversary", so the anniversary
   itself is the last day.
5. **On track**: on a course that counts, expected to finish (the recorded date, else 22 months
   after the start for the NPQ) on or before the deadline and, for a NASENCO, before
   1 September 2027.
6. **At risk**: on a course expected to finish too late, or on none and past the latest safe
   start (the deadline less 22 months).
7. **Not started**: on no course, and the latest safe start is still ahead.

A school with no SENCO designated is an eighth state, ``no_senco``, with no person to assess:
see ``no_senco_assessment``.

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
- **Prior service** is whole months, any part month counted as a month: "more than 12 months"
  is then exactly "13 or more".
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
#: About 18 months of teaching plus up to 4 months for the result.
NPQ_DURATION_MONTHS: Final = 22
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
    #: When the outcome is expected; for the NPQ, 22 months after the start if not given.
    expected_completion_on: dt.date | None = None


@dataclass(frozen=True)
class SencoFacts:
    became_senco_on: dt.date
    #: Months as a SENCO before this appointment, at any school, any part month counted whole.
    prior_senco_months: int
    has_qts: bool
    qts_via_partial_access: bool
    #: True where induction was completed or is not required.
    induction_complete: bool
    teaches_at_school: bool
    #: The head teacher or acting head teacher.
    is_head: bool
    qualifications: Sequence[QualificationFacts] = ()


@dataclass(frozen=True)
class SencoAssessment:
    state: SencoState
    #: The third anniversary of becoming SENCO: the last day to hold the qualification.
    deadline: dt.date | None
    #: The deadline less 22 months: the last day an NPQ can start and still finish in time.
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


def deadline_for(became_senco_on: dt.date) -> dt.date:
    """The third anniversary of becoming SENCO; for 29 February, 28 February (see above)."""
    return _add_months(became_senco_on, DEADLINE_YEARS * 12)


def latest_safe_start_for(deadline: dt.date) -> dt.date:
    """The deadline less the NPQ's 22 months: starting by then, the NPQ finishes in time."""
    return _add_months(deadline, -NPQ_DURATION_MONTHS)


# --- Qualifications -----------------------------------------------------------------------------


def counts(qualification: QualificationFacts) -> bool:
    """Whether this course can count towards the requirement, if passed (in time, for NASENCO)."""
    if qualification.kind is QualificationKind.NPQ_SENCO:
        return True
    passed = qualification.completed_on
    if passed is not None and passed >= NASENCO_COMPLETE_BEFORE:
        return False
    if qualification.started_on is not None:
        return qualification.started_on < NASENCO_START_BEFORE
    # No start date: only a pass before the start cut-off proves the course began before it.
    return passed is not None and passed < NASENCO_START_BEFORE


def expected_completion(qualification: QualificationFacts) -> dt.date | None:
    """The recorded expected finish, else the start plus 22 months for the NPQ, else None."""
    if qualification.expected_completion_on is not None:
        return qualification.expected_completion_on
    if qualification.kind is QualificationKind.NPQ_SENCO and qualification.started_on is not None:
        return _add_months(qualification.started_on, NPQ_DURATION_MONTHS)
    return None


def _held(qualification: QualificationFacts, today: dt.date) -> bool:
    return qualification.completed_on is not None and qualification.completed_on <= today


def _in_time(qualification: QualificationFacts, deadline: dt.date, today: dt.date) -> bool:
    finish = expected_completion(qualification)
    if finish is None or finish < today:
        # Unknown, or passed with no outcome recorded: nothing shows it will finish in time.
        return False
    if qualification.kind is QualificationKind.NASENCO and finish >= NASENCO_COMPLETE_BEFORE:
        return False
    return finish <= deadline


# --- Assessment ---------------------------------------------------------------------------------


def assess(facts: SencoFacts, today: dt.date) -> SencoAssessment:
    """Where the SENCO described by ``facts`` stands against reg. 49 on ``today``."""
    if not _eligible(facts):
        return SencoAssessment(SencoState.NOT_ELIGIBLE, None, None, _not_eligible_reason(facts))

    if facts.became_senco_on <= EXEMPTION_CUTOFF:
        reason = (
            f"Exempt from the SENCO qualification: became SENCO on "
            f"{_uk_date(facts.became_senco_on)}, on or before {_uk_date(EXEMPTION_CUTOFF)}."
        )
        return SencoAssessment(SencoState.EXEMPT, None, None, reason)
    if facts.prior_senco_months > PRIOR_SERVICE_MONTHS:
        reason = (
            f"Exempt from the SENCO qualification: previously a SENCO for "
            f"{facts.prior_senco_months} months in total, more than {PRIOR_SERVICE_MONTHS}."
        )
        return SencoAssessment(SencoState.EXEMPT, None, None, reason)

    deadline = deadline_for(facts.became_senco_on)
    safe_start = latest_safe_start_for(deadline)

    def result(state: SencoState, *sentences: str) -> SencoAssessment:
        return SencoAssessment(state, deadline, safe_start, " ".join(sentences))

    counting = [q for q in facts.qualifications if counts(q)]
    held = [q for q in counting if _held(q, today)]
    if held:
        first = min(held, key=lambda q: q.completed_on or dt.date.min)
        return result(SencoState.QUALIFIED, _qualified_reason(facts, first, deadline))

    # Nothing counting is held, so every counting record with a start is a course in progress.
    courses = [q for q in counting if q.started_on is not None]
    notes = _notes(facts.qualifications, today)
    # The most recently started course is the one a head will recognise as current.
    latest = max(courses, key=lambda q: q.started_on or dt.date.min, default=None)

    if today > deadline:
        since = _uk_date(deadline + dt.timedelta(days=1))
        overdue = f"{_headline(facts, deadline, today, latest)}: overdue since {since}."
        course = [_course(latest, today) + "."] if latest is not None else []
        return result(SencoState.OVERDUE, overdue, *course, *notes)

    in_time = [q for q in courses if _in_time(q, deadline, today)]
    if in_time:
        best = min(in_time, key=lambda q: expected_completion(q) or dt.date.max)
        on_track = f"{_course(best, today)}: in time."
        headline = f"{_headline(facts, deadline, today, best)}."
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


def no_senco_assessment() -> SencoAssessment:
    """The state of a school with no SENCO designated: there is nobody to assess."""
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
    qualified_teacher = facts.has_qts and not facts.qts_via_partial_access
    return qualified_teacher and facts.induction_complete and facts.teaches_at_school


# --- Reasons ------------------------------------------------------------------------------------


def _not_eligible_reason(facts: SencoFacts) -> str:
    problems = []
    if not facts.has_qts:
        problems.append("is not a qualified teacher")
    elif facts.qts_via_partial_access:
        problems.append("holds QTS only through partial access (which does not count)")
    if not facts.induction_complete:
        problems.append("has not completed induction")
    if not facts.teaches_at_school:
        problems.append("does not work as a teacher at the school")
    listed = ", ".join(problems[:-1]) + " and " + problems[-1] if len(problems) > 1 else problems[0]
    return (
        f"Cannot be the SENCO: {listed}. The SENCO must be a qualified teacher who has "
        "completed induction and teaches at the school, or the head teacher "
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
    return (
        f"Became SENCO on {_uk_date(facts.became_senco_on)}; passed the "
        f"{_NAMES[qualification.kind]} on {_uk_date(passed)}, {met} the deadline of "
        f"{_uk_date(deadline)}."
    )


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
    if course.kind is QualificationKind.NASENCO and finish >= NASENCO_COMPLETE_BEFORE:
        return (
            f"{text}, but a NASENCO only counts if completed before "
            f"{_uk_date(NASENCO_COMPLETE_BEFORE)}."
        )
    return f"{text}, after the deadline."


def _notes(qualifications: Sequence[QualificationFacts], today: dt.date) -> list[str]:
    """Sentences on records that look like qualifications but do not count (yet)."""
    notes = []
    for q in qualifications:
        name, started, passed = _NAMES[q.kind], q.started_on, q.completed_on
        if not counts(q):
            if passed is not None and passed >= NASENCO_COMPLETE_BEFORE:
                notes.append(
                    f"The NASENCO passed on {_uk_date(passed)} does not count: it had to be "
                    f"completed before {_uk_date(NASENCO_COMPLETE_BEFORE)}."
                )
            elif started is not None:
                notes.append(
                    f"The NASENCO started on {_uk_date(started)} does not count: only one "
                    f"started before {_uk_date(NASENCO_START_BEFORE)} does; courses started "
                    "since must be the NPQ for SENCOs."
                )
            elif passed is not None:
                notes.append(
                    f"The NASENCO passed on {_uk_date(passed)} has no start date recorded: it "
                    f"counts only if started before {_uk_date(NASENCO_START_BEFORE)}."
                )
        elif passed is not None and passed > today:
            notes.append(
                f"The {name} pass recorded for {_uk_date(passed)} is in the future, "
                "so it does not count yet."
            )
    return notes


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
