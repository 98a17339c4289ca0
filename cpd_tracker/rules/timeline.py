"""A status over time: where one person stands against one requirement on every day from
``today`` until a horizon, as a few segments of constant status (issue 6, "Scale").

Reports at trust scale cannot run ``training.assess`` for 180,000 person-requirement pairs per
request. Between changes in the facts (a completion, an exemption, a new start date), a status
only moves on dates the facts already name: a due date and the day after it, the day due-soon
starts, an expiry and the day after it, the opening of the recertification window, the end of
an extension or exemption, a start, appointment or leaving date (and the day after it), the day
a requirement was introduced or a module version stopped older completions counting, each
occurrence of the fixed date for a fixed-date rule with no start date. ``timeline`` asks ``assess``
itself on those dates only, so every segment is the engine's own answer (never a second copy
of the rules), and the database derives today's status with one ``CASE`` over the boundaries.

A completion dated in the future (a data-entry error that only counts from its date) ends the
timeline on that date, as does the day a new module version stops older completions counting,
so the stored expiry and last completion stay true for every day covered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cpd_tracker.rules.training import (
    CompletionFacts,
    ExemptionFacts,
    ExtensionFacts,
    PersonFacts,
    RequirementFacts,
    Rule,
    Status,
    StatusResult,
    applies_from,
    assess,
    fixed_date_in,
)

#: Segments kept per person and requirement; a timeline with more ends early (and is recomputed).
MAX_SEGMENTS = 4
#: How far ahead a timeline reaches: a little over a year, so a nightly refresh rarely has work.
HORIZON_DAYS = 400
_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Segment:
    starts_on: dt.date
    status: Status
    due_on: dt.date | None


@dataclass(frozen=True)
class Timeline:
    #: The first starts on the day computed; each lasts until the next one starts.
    segments: tuple[Segment, ...]
    #: The first day this timeline no longer describes (exclusive).
    valid_until: dt.date
    expires_on: dt.date | None
    last_completed_on: dt.date | None


def _fixed_dates(person: PersonFacts, requirement: RequirementFacts) -> set[dt.date]:
    """Dates on which a status may change whatever the result of the day before."""
    dates: set[dt.date] = set()
    for day in (
        person.start_date,
        person.appointed_on,
        requirement.introduced_on,
        requirement.counts_from,
    ):
        if day is not None:
            dates.add(day)
    if person.leaving_date is not None:
        # The leaving day is still a working day: the person has left from the day after.
        dates.add(person.leaving_date + _DAY)
    return dates


def _result_dates(result: StatusResult, requirement: RequirementFacts) -> Iterable[dt.date]:
    """Where the status in ``result`` can end: around its due date and its expiry."""
    if result.due_on is not None:
        yield result.due_on + _DAY
        yield result.due_on - dt.timedelta(days=requirement.due_soon_days)
        yield result.due_on - dt.timedelta(days=requirement.window_days)
    if result.expires_on is not None:
        yield result.expires_on + _DAY
        yield result.expires_on - dt.timedelta(days=requirement.window_days)


def timeline(
    person: PersonFacts,
    requirement: RequirementFacts,
    completions: Sequence[dt.date | CompletionFacts],
    exemptions: Sequence[ExemptionFacts],
    extensions: Sequence[ExtensionFacts],
    today: dt.date,
    *,
    horizon_days: int = HORIZON_DAYS,
    max_segments: int = MAX_SEGMENTS,
) -> Timeline:
    """The engine's answers from ``today`` until ``valid_until``, merged into segments."""
    end = today + dt.timedelta(days=horizon_days)
    days = [c.completed_on if isinstance(c, CompletionFacts) else c for c in completions]
    future = [day for day in days if day > today]
    if future:
        end = min(end, min(future))
    cut = requirement.counts_from
    if cut is not None and cut > today and any(day < cut for day in days):
        # A new module version stops older completions counting: the stored expiry and last
        # completion change that day, so the timeline ends there too.
        end = min(end, cut)
    fixed = _fixed_dates(person, requirement)
    for exemption in exemptions:
        fixed.add(exemption.starts_on)
        if exemption.ends_on is not None:
            fixed.add(exemption.ends_on + _DAY)
    fixed.update(extension.new_due_on + _DAY for extension in extensions)
    if requirement.rule is Rule.FIXED_DATE and applies_from(person, requirement) is None:
        # With no start date, the cycle rolls on each occurrence of the fixed date.
        fixed.update(fixed_date_in(year, requirement) for year in range(today.year, end.year + 1))

    def at(day: dt.date) -> StatusResult:
        return assess(person, requirement, completions, exemptions, extensions, day)

    day, result = today, at(today)
    first = result
    segments = [Segment(today, result.status, result.due_on)]
    while True:
        candidates = [d for d in fixed if d > day]
        candidates += [d for d in _result_dates(result, requirement) if d > day]
        following = min(candidates, default=None)
        if following is None or following >= end:
            break
        result = at(following)
        last = segments[-1]
        if (result.status, result.due_on) != (last.status, last.due_on):
            if len(segments) == max_segments:
                end = following
                break
            segments.append(Segment(following, result.status, result.due_on))
        day = following
    return Timeline(tuple(segments), end, first.expires_on, first.last_completed_on)
