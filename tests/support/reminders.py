"""A school whose staff stand in every position a reminder cares about, on a given day.

Rows are built directly (modules, requirements, people, roles, completions, exemptions,
permissions, evidence), so each person's status follows from ``rules.training`` alone:

==========  =====================================================  ==============================
person      set-up                                                 expected
==========  =====================================================  ==============================
ann         teacher, started 10 days ago                           Autism awareness due soon
owen        teacher, started 60 days ago                           Autism awareness overdue
sam         SENCO, Autism done, ADHD course done 11 months ago     ADHD course expiring soon
eve         teacher, started 60 days ago, exempt                   nothing
leo         teacher, left yesterday                                nothing
nia         teacher, started 60 days ago, no e-mail address        skipped, counted
carla       CPD lead of the school, Autism done                    the weekly digest
rex         CPD lead by LMS role, revoked in the tool              nothing
==========  =====================================================  ==============================
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from flask import Flask

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    Completion,
    CompletionMethod,
    Course,
    Delivery,
    DueRule,
    Evidence,
    EvidenceStatus,
    Exemption,
    Module,
    Permission,
    PermissionKind,
    PermissionSource,
    Person,
    Requirement,
    StaffRole,
    StaffRoleKind,
    Tier,
)
from tests.support.factories import make_org, register, school_id
from tests.support.platform import TestPlatform

AUTISM = "Autism awareness"
ADHD = "Supporting pupils with ADHD"


@dataclass(frozen=True)
class Seeded:
    organisation_id: int
    school_id: int
    #: Requirement ids (all staff: Autism awareness; SENCOs: the ADHD course) ...
    autism_id: int
    adhd_id: int
    #: ... and their modules.
    autism_module: int
    adhd_module: int
    people: dict[str, int]

    @staticmethod
    def email(name: str) -> str:
        return f"{name}@alder.sch.uk"


def _person(
    org_id: int,
    school: int,
    name: str,
    start: dt.date,
    *,
    role: StaffRoleKind = StaffRoleKind.TEACHER,
    email: bool = True,
    leaving: dt.date | None = None,
    registration_id: int | None = None,
) -> Person:
    person = Person(
        organisation_id=org_id,
        registration_id=registration_id,
        sub=f"sub-{name}" if registration_id else None,
        name=name.capitalize() + " Example",
        email=Seeded.email(name) if email else None,
        start_date=start,
        leaving_date=leaving,
    )
    db.session.add(person)
    db.session.flush()
    db.session.add(StaffRole(person_id=person.id, school_id=school, role=role, started_on=start))
    return person


def seed_school(app: Flask, today: dt.date, *, with_course: bool = True) -> Seeded:
    org_id = make_org(app)
    alder = school_id(app, "100001")
    registration_id = register(app, TestPlatform("moodle"), org_id) if with_course else None
    with app.app_context():
        autism = Module(
            organisation_id=org_id,
            slug="reminder-test-autism",
            title=AUTISM,
            tier=Tier.AWARENESS,
            delivery=Delivery.IN_TOOL,
        )
        adhd = Module(
            organisation_id=org_id,
            slug="reminder-test-adhd",
            title=ADHD,
            tier=Tier.ENHANCED,
            delivery=Delivery.EXTERNAL,
            provider="SEND Partnership",
        )
        db.session.add_all([autism, adhd])
        db.session.flush()
        long_ago = today - dt.timedelta(days=400)
        # Requirements bite from the day they were introduced: these long before anyone here.
        introduced = dt.datetime.combine(long_ago - dt.timedelta(days=400), dt.time(), dt.UTC)
        everyone = Requirement(
            organisation_id=org_id,
            module_id=autism.id,
            roles=[],
            due_rule=DueRule.DAYS_AFTER_START,
            due_days=30,
            created_at=introduced,
        )
        sencos = Requirement(
            organisation_id=org_id,
            module_id=adhd.id,
            roles=[StaffRoleKind.SENCO.value],
            due_rule=DueRule.DAYS_AFTER_START,
            due_days=30,
            validity_months=12,
            window_days=60,
            created_at=introduced,
        )
        db.session.add_all([everyone, sencos])
        db.session.flush()

        people = {
            "ann": _person(org_id, alder, "ann", today - dt.timedelta(days=10)),
            "owen": _person(
                org_id,
                alder,
                "owen",
                today - dt.timedelta(days=60),
                registration_id=registration_id,
            ),
            "sam": _person(org_id, alder, "sam", long_ago, role=StaffRoleKind.SENCO),
            "eve": _person(org_id, alder, "eve", today - dt.timedelta(days=60)),
            "leo": _person(org_id, alder, "leo", long_ago, leaving=today - dt.timedelta(days=1)),
            "nia": _person(org_id, alder, "nia", today - dt.timedelta(days=60), email=False),
            "carla": _person(org_id, alder, "carla", long_ago),
            "rex": _person(org_id, alder, "rex", long_ago),
        }
        for name, module, day in (
            ("sam", autism, long_ago + dt.timedelta(days=5)),
            ("sam", adhd, today - dt.timedelta(days=335)),
            ("carla", autism, long_ago + dt.timedelta(days=5)),
            ("rex", autism, long_ago + dt.timedelta(days=5)),
        ):
            db.session.add(
                Completion(
                    organisation_id=org_id,
                    person_id=people[name].id,
                    module_id=module.id,
                    completed_on=day,
                    method=CompletionMethod.RECORDED,
                )
            )
        db.session.add(
            Exemption(
                organisation_id=org_id,
                person_id=people["eve"].id,
                requirement_id=everyone.id,
                reason="Long-term absence",
                starts_on=today - dt.timedelta(days=5),
            )
        )
        db.session.add_all(
            [
                Permission(
                    person_id=people["carla"].id,
                    kind=PermissionKind.CPD_LEAD,
                    school_id=alder,
                    source=PermissionSource.LMS,
                ),
                Permission(
                    person_id=people["rex"].id,
                    kind=PermissionKind.CPD_LEAD,
                    school_id=alder,
                    source=PermissionSource.LMS,
                ),
                Permission(
                    person_id=people["rex"].id,
                    kind=PermissionKind.CPD_LEAD,
                    school_id=alder,
                    source=PermissionSource.OVERRIDE,
                    revoked=True,
                ),
            ]
        )
        db.session.add(
            Evidence(
                organisation_id=org_id,
                person_id=people["sam"].id,
                module_id=adhd.id,
                school_id=alder,
                course_title="ADHD in the classroom",
                provider="SEND Partnership",
                completed_on=today - dt.timedelta(days=3),
                cpd_hours=Decimal("3"),
                status=EvidenceStatus.PENDING,
            )
        )
        if registration_id is not None:
            db.session.add(
                Course(
                    organisation_id=org_id,
                    registration_id=registration_id,
                    context_id="course-1",
                    title="Staff CPD",
                    school_id=alder,
                )
            )
        db.session.commit()
        return Seeded(
            org_id,
            alder,
            everyone.id,
            sencos.id,
            autism.id,
            adhd.id,
            {n: p.id for n, p in people.items()},
        )


def add_teachers(app: Flask, seeded: Seeded, count: int, start: dt.date) -> list[str]:
    """``count`` more teachers at the school who all started on ``start``; their addresses."""
    with app.app_context():
        names = [f"teacher{n}" for n in range(count)]
        for name in names:
            _person(seeded.organisation_id, seeded.school_id, name, start)
        db.session.commit()
        return [Seeded.email(n) for n in names]
