"""Prometheus metrics (``prometheus_client``), served at ``/metrics`` to a scraper that
carries ``Authorization: Bearer $CPD_TRACKER_METRICS_TOKEN``.

Without the token configured ``/metrics`` does not exist (404): the tool is on the open
internet, and its request counts, refusal reasons and queue depths are nobody else's business.
A wrong or missing token is a 401.

What is measured:

- ``cpd_http_requests_total{route,method,status}`` and the histogram
  ``cpd_http_request_duration_seconds{route,method}``: every request, labelled by its URL
  rule (``/schools/<int:school_id>``, never the path with its values; ``(no route)`` for a
  404), timed until the response is built (a streamed download's rows come after);
- ``cpd_lti_launches_total`` (launches that signed someone in or showed the anonymous page)
  and ``cpd_lti_refusals_total{stage,reason}`` (every refused login, launch or registration
  by its error code, ``cookies_blocked`` included);
- ``cpd_facts_refresh_seconds{caller}`` and ``cpd_facts_schools_recomputed_total{caller}``:
  status facts recomputed by a page (``page``) or by ``report-status refresh`` (``cli``),
  timed only when something was recomputed;
- read from the database at scrape time (not per process): ``cpd_lti_outbox_pending``,
  ``cpd_lti_outbox_failing`` (pending after a failed attempt), ``cpd_lti_outbox_gave_up``,
  ``cpd_lti_outbox_oldest_age_seconds`` (the oldest pending grade or roster job),
  ``cpd_email_queue_pending``, ``cpd_email_queue_failing``,
  ``cpd_email_queue_oldest_age_seconds``, and ``cpd_database_up`` (0 when those could not be
  read).

Several gunicorn workers: set ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory the service
may write, emptied at each start (systemd ``RuntimeDirectory=``), before the server starts.
Each worker then writes its counts there and any worker's ``/metrics`` answers for all of
them (prometheus_client's multiprocess mode; ``cpd-tracker serve`` tells gunicorn to drop a
dead worker's gauges). Unset, each process serves its own counts (one process: the
development server, ``cpd-tracker demo``).
"""

from __future__ import annotations

import datetime as dt
import hmac
import os
import time
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, g, has_request_context, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select

from cpd_tracker.logging_setup import log_access
from cpd_tracker.outage import DATABASE_ERRORS
from cpd_tracker.services.status_facts import StatusFactsService

bp = Blueprint("metrics", __name__)

NO_ROUTE = "(no route)"

REQUESTS = Counter(
    "cpd_http_requests",
    "HTTP requests answered, by URL rule, method and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "cpd_http_request_duration_seconds",
    "Time to build the response, by URL rule and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
LAUNCHES = Counter("cpd_lti_launches", "LTI launches accepted.")
REFUSALS = Counter(
    "cpd_lti_refusals",
    "LTI logins, launches and registrations refused, by stage and error code.",
    ["stage", "reason"],
)
FACTS_SECONDS = Histogram(
    "cpd_facts_refresh_seconds",
    "Time to recompute stale status facts (only when some school was recomputed).",
    ["caller"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0),
)
FACTS_SCHOOLS = Counter(
    "cpd_facts_schools_recomputed", "Schools whose status facts were recomputed.", ["caller"]
)


# -- what other modules call -----------------------------------------------------------------


def launch_accepted() -> None:
    LAUNCHES.inc()


def lti_refused(code: str) -> None:
    """Count a refused LTI request; the stage is read from the endpoint that refused it."""
    endpoint = (request.endpoint or "") if has_request_context() else ""
    stage = {"launch.login": "login", "launch.launch": "launch"}.get(endpoint)
    if stage is None:
        stage = "registration" if endpoint.startswith("registration.") else "other"
    REFUSALS.labels(stage, code).inc()


class TimedStatusFacts(StatusFactsService):
    """The status facts service, timing each refresh that recomputed something."""

    caller = "page"

    def ensure_fresh(
        self, organisation_id: int, today: dt.date, school_ids: Iterable[int] | None = None
    ) -> int:
        started = time.perf_counter()
        count = super().ensure_fresh(organisation_id, today, school_ids)
        if count:
            FACTS_SECONDS.labels(self.caller).observe(time.perf_counter() - started)
            FACTS_SCHOOLS.labels(self.caller).inc(count)
        return count


class CliStatusFacts(TimedStatusFacts):
    caller = "cli"


# -- per request -----------------------------------------------------------------------------


def _started() -> None:
    g.request_started = time.perf_counter()


def _observe(response: Response) -> Response:
    started = g.get("request_started")
    if started is None:
        return response
    duration = time.perf_counter() - started
    rule = request.url_rule.rule if request.url_rule is not None else NO_ROUTE
    REQUESTS.labels(rule, request.method, str(response.status_code)).inc()
    LATENCY.labels(rule, request.method).observe(duration)
    if current_app.config.get("LOG_FORMAT") == "json":
        log_access(response.status_code, duration)
    return response


# -- read at scrape time ---------------------------------------------------------------------


def _age(now: dt.datetime, oldest: dt.datetime | None) -> float:
    if oldest is None:
        return 0.0
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=dt.UTC)
    return max((now - oldest).total_seconds(), 0.0)


class QueueCollector(Collector):
    """Outbox and e-mail queue depths and ages, read from the database when scraped."""

    def __init__(self, engine: Engine, now: dt.datetime) -> None:
        self.engine = engine
        self.now = now

    def collect(self) -> Iterator[Metric]:
        from cpd_tracker.models import JobStatus, OutgoingEmail, ServiceJob

        up = GaugeMetricFamily("cpd_database_up", "1 when the queues below could be read.")
        try:
            with self.engine.connect() as connection:
                pending = ServiceJob.status == JobStatus.PENDING
                jobs = connection.execute(
                    select(
                        func.count(ServiceJob.id),
                        func.count(ServiceJob.id).filter(ServiceJob.attempts > 0),
                        func.min(ServiceJob.created_at),
                    ).where(pending)
                ).one()
                gave_up = connection.scalar(
                    select(func.count(ServiceJob.id)).where(ServiceJob.status == JobStatus.FAILED)
                )
                mail = connection.execute(
                    select(
                        func.count(OutgoingEmail.id),
                        func.count(OutgoingEmail.id).filter(OutgoingEmail.last_error.is_not(None)),
                        func.min(OutgoingEmail.created_at),
                    ).where(OutgoingEmail.sent_at.is_(None))
                ).one()
        except DATABASE_ERRORS:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from (
            _gauge("cpd_lti_outbox_pending", "Grade and roster jobs waiting.", jobs[0]),
            _gauge("cpd_lti_outbox_failing", "Waiting jobs that have failed before.", jobs[1]),
            _gauge("cpd_lti_outbox_gave_up", "Jobs given up (see /admin/outbox).", gave_up),
            _gauge(
                "cpd_lti_outbox_oldest_age_seconds",
                "Age of the oldest waiting job (0 when none).",
                _age(self.now, jobs[2]),
            ),
            _gauge("cpd_email_queue_pending", "E-mails queued and not yet sent.", mail[0]),
            _gauge("cpd_email_queue_failing", "Queued e-mails that failed before.", mail[1]),
            _gauge(
                "cpd_email_queue_oldest_age_seconds",
                "Age of the oldest unsent e-mail (0 when none).",
                _age(self.now, mail[2]),
            ),
        )


def _gauge(name: str, documentation: str, value: Any) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=float(value or 0))


# -- the endpoint ----------------------------------------------------------------------------


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def _authorised() -> bool:
    token: str | None = current_app.config.get("METRICS_TOKEN")
    if not token:
        abort(404)
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@bp.get("/metrics")
def metrics() -> Response:
    if not _authorised():
        response = Response("A bearer token is required.\n", 401, mimetype="text/plain")
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    from cpd_tracker.extensions import db
    from cpd_tracker.registry import clock

    if multiprocess_dir():
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)  # type: ignore[no-untyped-call]
    else:
        counted = REGISTRY
    queues = CollectorRegistry()
    queues.register(QueueCollector(db.engine, clock()))
    response = Response(generate_latest(counted) + generate_latest(queues), 200)
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    response.headers["Cache-Control"] = "no-store"
    return response


def init_metrics(app: Flask) -> None:
    """Register first, so the timing starts before any other hook and ends after all of them
    (Flask runs ``after_request`` hooks in reverse): the status counted is the one sent."""
    app.before_request(_started)
    app.after_request(_observe)
    app.register_blueprint(bp)
