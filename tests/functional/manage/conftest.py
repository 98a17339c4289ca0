"""The ``world`` fixture: see ``helpers.World``."""

from __future__ import annotations

import pytest
from flask import Flask

from cpd_tracker.extensions import db
from cpd_tracker.models import DueRule, Requirement
from tests.functional.manage.helpers import World, make_module
from tests.support.factories import make_org, register, school_id
from tests.support.http import FakeHttp
from tests.support.platform import TestPlatform


@pytest.fixture
def world(app: Flask, fake_http: FakeHttp) -> World:
    org_id = make_org(app)
    other_org_id = make_org(app, "Other Trust", schools=[("200001", "Elm School")])
    platforms = {"moodle": TestPlatform("moodle"), "canvas": TestPlatform("canvas")}
    for platform in platforms.values():
        platform.serve_jwks(fake_http)
        register(app, platform, org_id)
    with app.app_context():
        module = make_module(org_id, "Test module: attention and regulation", price=15000)
        module2 = make_module(org_id, "Test module: phonics catch-up")
        other_module = make_module(other_org_id, "Other trust's module")
        other_requirement = Requirement(
            organisation_id=other_org_id,
            module_id=other_module,
            roles=[],
            due_rule=DueRule.DAYS_AFTER_START,
            due_days=30,
        )
        db.session.add(other_requirement)
        db.session.commit()
        other_requirement_id = other_requirement.id
    return World(
        app=app,
        org_id=org_id,
        other_org_id=other_org_id,
        platforms=platforms,
        school_a=school_id(app, "100001"),
        school_b=school_id(app, "100002"),
        school_other=school_id(app, "200001"),
        module=module,
        module2=module2,
        other_org_module=other_module,
        other_org_requirement=other_requirement_id,
    )
