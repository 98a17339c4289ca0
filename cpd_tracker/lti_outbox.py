"""The LTI outbox at the request edge: run freshly queued jobs after the response, and say so.

A request that queues outbox jobs (a launch queueing a roster sync, a completion queueing
grades, "retry now") never waits for the LMS. Once the request's one commit has happened, the
response is sent, and then, from ``response.call_on_close``, a daemon thread with its own app
context and database session runs exactly those jobs (claiming each one, so the cron runner
never sends it as well), with the ``HttpClient``'s timeouts. If the process dies first, the
jobs are still in the table and ``cpd-tracker lti-outbox run`` sends them.

Pages say what happened: a request that queued grades shows "Your LMS gradebook will be
updated shortly" (flashed as the page renders, or before a redirect).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import Flask, Response, current_app, flash, g, has_request_context
from flask import before_render_template as before_render
from flask_login import current_user
from sqlalchemy.orm import Session

from cpd_tracker.extensions import db
from cpd_tracker.services.advantage import outbox_runner
from cpd_tracker.services.outbox import QUEUED_SCORES, RunReport, install_listeners, take_committed

log = logging.getLogger(__name__)

#: Config key: run a request's jobs in a thread after its response (default on).
AFTER_RESPONSE = "LTI_OUTBOX_AFTER_RESPONSE"
GRADEBOOK_NOTICE = "Your LMS gradebook will be updated shortly."


class AfterResponseRunner:
    """Starts one daemon thread per request that queued jobs; tests can wait for them."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        #: Each thread's report, in the order they finished (for tests and logs).
        self.reports: list[RunReport] = []

    def start(self, job_ids: list[int]) -> threading.Thread:
        thread = threading.Thread(
            target=self._run, args=(list(job_ids),), name="lti-outbox", daemon=True
        )
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()
        return thread

    def wait(self, timeout: float = 30.0) -> None:
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout)

    def _run(self, job_ids: list[int]) -> None:
        try:
            with self.app.app_context():
                session = db.new_session()
                try:
                    report = run_jobs(session, ids=job_ids)
                finally:
                    session.close()
            with self._lock:
                self.reports.append(report)
        except Exception:  # a background thread must never die loudly; the job waits
            log.exception("LTI outbox jobs %s could not run after the response", job_ids)


def run_jobs(session: Session, *, ids: list[int] | None = None, limit: int = 500) -> RunReport:
    """Run due outbox jobs with the app's HTTP client, token cache, key and clock."""
    runner = outbox_runner(
        session,
        http=current_app.extensions["http"],
        token_cache=current_app.extensions["lti_token_cache"],
        secret=current_app.config["SECRET_KEY"],
        clock=current_app.extensions["clock"],
    )
    return runner.run(ids=ids, limit=limit)


def _request_session() -> Session | None:
    session: Session | None = g.get("db_session")
    return session


def gradebook_notice(people: list[int], signed_in_id: int | None) -> str:
    """What to tell the person whose request queued grades for ``people``."""
    if len(set(people)) == 1 and signed_in_id in (None, people[0]):
        return GRADEBOOK_NOTICE
    count = len(people)
    return (
        f"LMS gradebooks will be updated shortly with {count} "
        f"completion{'' if count == 1 else 's'}."
    )


def _notice_gradebook() -> None:
    session = _request_session() if has_request_context() else None
    people: list[int] = session.info.pop(QUEUED_SCORES, []) if session is not None else []
    if people:
        signed_in = current_user.id if current_user.is_authenticated else None
        flash(gradebook_notice(people, signed_in), "info")


def _before_render(_sender: Flask, **_extra: Any) -> None:
    _notice_gradebook()


def _after_request(response: Response) -> Response:
    # Registered before the app's commit hook, so it runs after it (Flask runs them reversed).
    session = _request_session()
    if session is None:
        return response
    if response.status_code in (301, 302, 303, 307, 308):
        _notice_gradebook()
    ids = take_committed(session)
    if ids and current_app.config.get(AFTER_RESPONSE, True):
        runner: AfterResponseRunner = current_app.extensions["lti_after_response"]
        response.call_on_close(lambda: runner.start(ids))
    return response


def init_lti_outbox(app: Flask) -> None:
    from lti.service_tokens import MemoryTokenCache

    install_listeners()
    app.extensions.setdefault("lti_token_cache", MemoryTokenCache())
    app.extensions["lti_after_response"] = AfterResponseRunner(app)
    app.after_request(_after_request)
    before_render.connect(_before_render, app)
