"""The ``world`` fixture: see ``helpers.World``."""

from __future__ import annotations

import pytest
from flask import Flask

from cpd_tracker.extensions import db
from cpd_tracker.models import Delivery
from tests.functional.records.helpers import World, make_module
from tests.support.factories import make_org, register, school_id
from tests.support.http import FakeHttp
from tests.support.platform import TestPlatform


@pytest.fixture
def world(app: Flask, fake_http: FakeHttp) -> World:
    org_id = make_org(app)
    other_org_id = make_org(app, "Other Trust", schools=[("200001", "Elm School")])
    platforms = {
        "moodle": TestPlatform("moodle"),
        "canvas": TestPlatform("canvas"),
        "other": TestPlatform("moodle", issuer="https://moodle.other-trust.example.org"),
    }
    registrations = {}
    for name, platform in platforms.items():
        platform.serve_jwks(fake_http)
        registrations[name] = register(app, platform, other_org_id if name == "other" else org_id)
    with app.app_context():
        external = make_module(
            org_id,
            "slcn",
            "Speech, language and communication needs",
            Delivery.EXTERNAL,
            "6",
            requirement=True,
        )
        inset = make_module(
            org_id, "autism", "Autism awareness", Delivery.INSET, "1.5", requirement=True
        )
        in_tool = make_module(
            org_id, "code", "SEND Code of Practice", Delivery.IN_TOOL, "1", requirement=False
        )
        other = make_module(
            other_org_id, "slcn", "Other trust's SLCN", Delivery.EXTERNAL, "6", requirement=True
        )
        db.session.commit()
    return World(
        app=app,
        org_id=org_id,
        other_org_id=other_org_id,
        platforms=platforms,
        registrations=registrations,
        school_a=school_id(app, "100001"),
        school_b=school_id(app, "100002"),
        school_other=school_id(app, "200001"),
        external_module=external,
        inset_module=inset,
        in_tool_module=in_tool,
        other_org_module=other,
    )
