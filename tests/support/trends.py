"""A trust whose coverage history is known month by month, for the snapshot and trend tests.

Today is 15 March 2026. One requirement, Autism awareness for all staff within 30 days of
starting, introduced on 1 December 2025 (before that, nobody is overdue against it):

=========  ===========  =====================================  ==============================
school     person       set-up                                 counted
=========  ===========  =====================================  ==============================
Alder      Ann          started 1 Sep 2025, done 10 Nov 2025   trained from November
Alder      Ben          started 1 Sep 2025, done 20 Jan 2026   trained from January
Alder      Cat          started 1 Feb 2026, not done           not in post before February
Alder      Dan          started 1 Sep 2025, done 5 Mar 2026    trained from March
Alder      Eve          started 1 Sep 2025, exempt from        outside the figures from
                        10 Feb 2026                            February
Birch      Fay          started 1 Sep 2025, done 15 Dec 2025   trained from December
=========  ===========  =====================================  ==============================

So Alder is 1 of 4 (Nov), 1 of 4 (Dec), 2 of 4 (Jan), 2 of 4 (Feb), 3 of 4 (Mar, so far);
Birch 0 of 1, then 1 of 1 from December; the trust 1/5, 2/5, 3/5, 3/5, 4/5. The earliest
completion (10 November 2025) is where back-filling starts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import Flask

from cpd_tracker.extensions import db
from cpd_tracker.models import DueRule, Exemption, Requirement, StaffRoleKind
from tests.functional.staff.support import ALDER, BIRCH, add_completion, add_module, add_person
from tests.support.clock import FakeClock
from tests.support.factories import make_org, school_id

NOW = dt.datetime(2026, 3, 15, 10, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
NOVEMBER, DECEMBER, JANUARY, FEBRUARY, MARCH = (
    dt.date(2025, 11, 1),
    dt.date(2025, 12, 1),
    dt.date(2026, 1, 1),
    dt.date(2026, 2, 1),
    dt.date(2026, 3, 1),
)
MONTHS = (NOVEMBER, DECEMBER, JANUARY, FEBRUARY, MARCH)
#: (trained, expected) per month, November to March.
ALDER_FIGURES = ((1, 4), (1, 4), (2, 4), (2, 4), (3, 4))
BIRCH_FIGURES = ((0, 1), (1, 1), (1, 1), (1, 1), (1, 1))
TRUST_FIGURES = ((1, 5), (2, 5), (3, 5), (3, 5), (4, 5))
AUTISM = "Autism awareness"


@dataclass(frozen=True)
class History:
    organisation_id: int
    alder: int
    birch: int
    module_id: int
    requirement_id: int
    people: dict[str, int]


def seed_history(
    app: Flask, *, autism_title: str = AUTISM, org_name: str = "Test Trust"
) -> History:
    org_id = make_org(app)
    alder, birch = school_id(app, ALDER), school_id(app, BIRCH)
    module_id = add_module(app, org_id, autism_title)
    with app.app_context():
        requirement = Requirement(
            organisation_id=org_id,
            module_id=module_id,
            roles=[],
            due_rule=DueRule.DAYS_AFTER_START,
            due_days=30,
            created_at=dt.datetime(2025, 12, 1, 9, 0, tzinfo=dt.UTC),
        )
        db.session.add(requirement)
        db.session.commit()
        requirement_id = requirement.id
    september = dt.date(2025, 9, 1)
    people = {}
    for urn, name, start in (
        (ALDER, "Ann Archer", september),
        (ALDER, "Ben Baker", september),
        (ALDER, "Cat Cole", dt.date(2026, 2, 1)),
        (ALDER, "Dan Dale", september),
        (ALDER, "Eve Ellis", september),
        (BIRCH, "Fay Fox", september),
    ):
        people[name.split()[0].lower()] = add_person(
            app, urn, name, {StaffRoleKind.TEACHER: start}, start_date=start
        )
    for name, day in (
        ("ann", dt.date(2025, 11, 10)),
        ("ben", dt.date(2026, 1, 20)),
        ("dan", dt.date(2026, 3, 5)),
        ("fay", dt.date(2025, 12, 15)),
    ):
        add_completion(app, people[name], module_id, day)
    with app.app_context():
        db.session.add(
            Exemption(
                organisation_id=org_id,
                person_id=people["eve"],
                requirement_id=requirement_id,
                reason="Long-term absence",
                starts_on=dt.date(2026, 2, 10),
            )
        )
        db.session.commit()
    return History(org_id, alder, birch, module_id, requirement_id, people)


def use_clock(app: Flask, now: dt.datetime = NOW) -> FakeClock:
    clock = FakeClock(now)
    app.extensions["clock"] = clock
    return clock
