"""A trust with a known coverage history (``tests/support/trends.py``), its snapshots taken,
and clients signed in through real launches on 15 March 2026."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from cpd_tracker.extensions import db
from cpd_tracker.services.compliance import ComplianceService
from cpd_tracker.services.snapshots import SnapshotService
from lti import claims as c
from tests.functional.staff.support import ALDER
from tests.support.clock import FakeClock
from tests.support.factories import register
from tests.support.http import FakeHttp
from tests.support.launching import launch
from tests.support.platform import TOOL_HOST, TestPlatform
from tests.support.platform_users import UserKind
from tests.support.trends import History, seed_history, use_clock

SignIn = Callable[..., FlaskClient]


@pytest.fixture
def clock(app: Flask) -> FakeClock:
    return use_clock(app)


def take_snapshots(app: Flask, clock: FakeClock) -> None:
    with app.app_context():
        SnapshotService(db.session, ComplianceService(db.session), clock).take_pending()
        db.session.commit()


@pytest.fixture
def history(app: Flask, clock: FakeClock) -> History:
    history = seed_history(app)
    take_snapshots(app, clock)
    return history


@pytest.fixture
def platform(app: Flask, fake_http: FakeHttp, history: History, clock: FakeClock) -> TestPlatform:
    platform = TestPlatform("moodle", clock=clock)
    platform.serve_jwks(fake_http)
    register(app, platform, history.organisation_id)
    return platform


@pytest.fixture
def sign_in(app: Flask, platform: TestPlatform) -> SignIn:
    """A client signed in as ``kind`` from the course of the school ``urn``: "learner" is
    staff, "instructor" the school's CPD lead, "admin" a trust leader."""

    def signed_in(kind: UserKind, urn: str = ALDER) -> FlaskClient:
        client = app.test_client()
        client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": TOOL_HOST})
        options: dict[str, Any] = {
            "user": kind,
            "custom": {"school_urn": urn},
            "overrides": {
                c.CONTEXT: {
                    "id": f"course-{urn}",
                    "label": urn,
                    "title": f"CPD {urn}",
                    "type": ["CourseSection"],
                }
            },
        }
        result = launch(client, platform, login_options=options)
        assert result.response.status_code == 303, result.response.get_data(as_text=True)[:300]
        return client

    return signed_in
