"""``/metrics`` (issue 18, item 1): Prometheus text, behind a bearer token."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from cpd_tracker.extensions import db
from cpd_tracker.models import OutgoingEmail
from tests.functional.operations.conftest import browser
from tests.support.factories import make_org
from tests.support.launching import launch
from tests.support.platform import TestPlatform

TOKEN = "scrape-token-for-tests"


def scrape(client: FlaskClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def value(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def scraper(app: Flask) -> FlaskClient:
    app.config["METRICS_TOKEN"] = TOKEN
    return browser(app)


def test_metrics_do_not_exist_without_a_token_configured(client: FlaskClient) -> None:
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


def test_metrics_need_the_token(scraper: FlaskClient) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        response = scraper.get("/metrics", headers=headers)
        assert response.status_code == 401
        assert "cpd_http_requests" not in response.get_data(as_text=True)
    assert scraper.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_a_request_is_counted_by_its_route_not_its_path(scraper: FlaskClient) -> None:
    before = scrape(scraper)
    assert scraper.get("/lti/config").status_code == 200
    assert scraper.get("/schools/4242").status_code == 401
    after = scrape(scraper)

    config = {"route": "/lti/config", "method": "GET", "status": "200"}
    school = {"route": "/schools/<int:school_id>", "method": "GET", "status": "401"}
    for labels in (config, school):
        assert value(after, "cpd_http_requests_total", **labels) == (
            value(before, "cpd_http_requests_total", **labels) + 1
        )
    timed = {"route": "/lti/config", "method": "GET"}
    assert value(after, "cpd_http_request_duration_seconds_count", **timed) == (
        value(before, "cpd_http_request_duration_seconds_count", **timed) + 1
    )
    assert not [key for key in after if "4242" in str(key)]


def test_launches_and_refusals_are_counted_by_reason(
    scraper: FlaskClient, platform: TestPlatform, app: Flask
) -> None:
    before = scrape(scraper)
    assert launch(browser(app), platform).response.status_code == 303
    assert browser(app).post("/lti/launch", data={"state": "x"}).status_code == 400
    after = scrape(scraper)

    assert value(after, "cpd_lti_launches_total") == value(before, "cpd_lti_launches_total") + 1
    refused = {"stage": "launch", "reason": "launch_error"}
    assert value(after, "cpd_lti_refusals_total", **refused) == (
        value(before, "cpd_lti_refusals_total", **refused) + 1
    )


def test_queues_are_read_from_the_database_when_scraped(app: Flask, scraper: FlaskClient) -> None:
    org = make_org(app)
    two_hours_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    with app.app_context():
        session = db.new_session()
        session.add(
            OutgoingEmail(
                organisation_id=org,
                dedupe_key="metrics-test",
                to_address="someone@school.example.org",
                subject="s",
                body_text="b",
                created_at=two_hours_ago,
                next_attempt_at=two_hours_ago,
                attempts=1,
                last_error="mail server down",
            )
        )
        session.commit()
        session.close()

    samples = scrape(scraper)
    assert value(samples, "cpd_database_up") == 1
    assert value(samples, "cpd_email_queue_pending") == 1
    assert value(samples, "cpd_email_queue_failing") == 1
    assert value(samples, "cpd_email_queue_oldest_age_seconds") >= 2 * 3600
    assert value(samples, "cpd_lti_outbox_pending") == 0
    assert value(samples, "cpd_lti_outbox_oldest_age_seconds") == 0
    assert "someone@" not in str(samples)


def test_metrics_answer_while_the_database_is_down(unreachable_app: Flask) -> None:
    unreachable_app.config["METRICS_TOKEN"] = TOKEN
    samples = scrape(browser(unreachable_app))
    assert value(samples, "cpd_database_up") == 0
