"""Staff opening a new activity at the same moment race to create the same rows; the loser of
each race reads the winner's row back instead of failing the launch."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from sqlalchemy import func, select

from cpd_tracker.extensions import db
from cpd_tracker.models import Course, Person
from cpd_tracker.services.audit import Actor, AuditService
from cpd_tracker.services.identity import IdentityService
from tests.support.factories import make_org, register
from tests.support.platform import TestPlatform


def test_insert_losing_a_race_returns_the_winners_row(app: Flask) -> None:
    platform = TestPlatform("canvas")
    org_id = make_org(app)
    registration_id = register(app, platform, org_id)
    with app.app_context():
        # Another worker committed the course a moment ago.
        other = db.new_session()
        other.add(Course(organisation_id=org_id, registration_id=registration_id, context_id="c1"))
        other.commit()
        other.close()

        service = IdentityService(
            db.session, AuditService(db.session, Actor("test")), lambda: dt.datetime.now(dt.UTC)
        )
        loser = Course(organisation_id=org_id, registration_id=registration_id, context_id="c1")
        row, created = service._insert_or_existing(
            loser,
            lambda: db.session.scalar(select(Course).where(Course.context_id == "c1")),
        )
        assert created is False
        assert row is not loser
        assert row.context_id == "c1"
        # The session survived the failed insert and can go on working.
        db.session.add(Person(organisation_id=org_id, sub=None, name="Still works"))
        db.session.commit()
        assert db.session.scalar(select(func.count(Course.id))) == 1
        assert db.session.scalar(select(func.count(Person.id))) == 1
