"""``timeline`` agrees with ``assess`` on every day it covers, for random facts."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import replace

import pytest

from cpd_tracker.rules.timeline import Timeline, timeline
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

TODAY = dt.date(2026, 11, 27)


def _day(rng: random.Random, spread: int = 900) -> dt.date:
    return TODAY + dt.timedelta(days=rng.randint(-spread, spread // 2))


def _maybe(rng: random.Random, day: dt.date) -> dt.date | None:
    return day if rng.random() < 0.8 else None


def random_case(
    rng: random.Random,
) -> tuple[
    PersonFacts,
    RequirementFacts,
    list[dt.date | CompletionFacts],
    list[ExemptionFacts],
    list[ExtensionFacts],
]:
    rule = rng.choice(list(Rule))
    bases = list(Basis) if rule is Rule.FIXED_DATE else [Basis.COMPLETION, Basis.EXPIRY]
    requirement = RequirementFacts(
        rule=rule,
        due_days=None if rule is Rule.FIXED_DATE else rng.choice([0, 30, 90, 365]),
        due_month=rng.choice([9, 2, 12]) if rule is Rule.FIXED_DATE else None,
        due_day=rng.choice([1, 29, 31]) if rule is Rule.FIXED_DATE else None,
        validity_months=rng.choice([None, 1, 12, 24]),
        window_days=rng.choice([0, 30, 60]),
        due_soon_days=rng.choice([0, 14, 30]),
        # Issue 16: recertification bases, minimum active periods, grace days, introduction
        # dates and module versions.
        basis=rng.choice([None, *bases]),
        min_active_months=rng.choice([None, None, 0, 2, 9]),
        grace_days=rng.choice([None, 0, 45]) if rule is Rule.FIXED_DATE else None,
        introduced_on=_day(rng) if rng.random() < 0.3 else None,
        counts_from=_day(rng) if rng.random() < 0.2 else None,
    )
    if requirement.due_month == 2 and requirement.due_day == 31:
        requirement = replace(requirement, due_day=28)
    person = PersonFacts(
        start_date=_maybe(rng, _day(rng)),
        appointed_on=_maybe(rng, _day(rng)) if rng.random() < 0.5 else None,
        leaving_date=_day(rng) if rng.random() < 0.15 else None,
    )
    completions: list[dt.date | CompletionFacts] = []
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
        done = _day(rng, 1200)
        certificate = done + dt.timedelta(days=rng.randint(30, 800))
        completions.append(CompletionFacts(done, certificate) if rng.random() < 0.3 else done)
    exemptions = [
        ExemptionFacts(start := _day(rng), _maybe(rng, start + dt.timedelta(rng.randint(0, 300))))
        for _ in range(rng.choice([0, 0, 0, 1, 2]))
    ]
    extensions = [ExtensionFacts(_day(rng)) for _ in range(rng.choice([0, 0, 0, 1, 2]))]
    return person, requirement, completions, exemptions, extensions


def _check(case: tuple, line: Timeline) -> None:  # type: ignore[type-arg]
    person, requirement, completions, exemptions, extensions = case
    day = TODAY
    index = 0
    while day < line.valid_until:
        if index + 1 < len(line.segments) and line.segments[index + 1].starts_on <= day:
            index += 1
        expected = assess(person, requirement, completions, exemptions, extensions, day)
        segment = line.segments[index]
        assert (segment.status, segment.due_on) == (expected.status, expected.due_on), (day, case)
        assert (line.expires_on, line.last_completed_on) == (
            expected.expires_on,
            expected.last_completed_on,
        )
        day += dt.timedelta(days=1)


@pytest.mark.parametrize("seed", range(8))
def test_timeline_is_the_engine_on_every_day(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(150):
        case = random_case(rng)
        line = timeline(*case, TODAY)
        assert line.valid_until > TODAY
        _check(case, line)


def test_segments_are_merged_and_capped() -> None:
    person = PersonFacts(start_date=TODAY + dt.timedelta(days=10))
    requirement = RequirementFacts(Rule.DAYS_AFTER_START, due_days=60, due_soon_days=30)
    line = timeline(person, requirement, [], [], [], TODAY)
    assert [s.status for s in line.segments] == [
        Status.NOT_YET_DUE,
        Status.DUE,
        Status.DUE_SOON,
        Status.OVERDUE,
    ]
    assert [s.starts_on for s in line.segments] == [
        TODAY,
        TODAY + dt.timedelta(days=10),
        TODAY + dt.timedelta(days=40),
        TODAY + dt.timedelta(days=71),
    ]
    assert line.valid_until == TODAY + dt.timedelta(days=400)
    short = timeline(person, requirement, [], [], [], TODAY, max_segments=2)
    assert len(short.segments) == 2
    assert short.valid_until == TODAY + dt.timedelta(days=40)


def test_a_future_completion_ends_the_timeline_on_its_date() -> None:
    person = PersonFacts(start_date=dt.date(2020, 1, 1))
    requirement = RequirementFacts(Rule.DAYS_AFTER_START, due_days=30, validity_months=12)
    line = timeline(person, requirement, [TODAY + dt.timedelta(days=5)], [], [], TODAY)
    assert line.valid_until == TODAY + dt.timedelta(days=5)
    assert line.segments[0].status is Status.OVERDUE
