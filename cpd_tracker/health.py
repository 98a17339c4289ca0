"""Probes for load balancers and orchestrators.

``/healthz``: the process is up and answering (200, no database query). Restart it when this
fails.

``/readyz``: the database answers and its schema is the one this code was written for (its
``alembic_version`` is the migrations' head). 503 with a JSON ``reason`` otherwise: take the
host out of the pool until it passes (a release whose ``cpd-tracker db upgrade`` has not run
yet, a database that is down or restarting).

Both are plain GETs: no session is read or set, no CSRF form, no rate limit, no framing
policy looked up (``security.UNFRAMED``), never cached. A failing database is logged once a
minute per process (``outage.outage_log``), not once per probe.
"""

from __future__ import annotations

from alembic.script import ScriptDirectory
from flask import Blueprint, Flask, Response, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from cpd_tracker.extensions import db
from cpd_tracker.outage import DATABASE_ERRORS, outage_log

bp = Blueprint("health", __name__)

_HEADS = "cpd_tracker.health.heads"


def migration_heads(app: Flask) -> frozenset[str]:
    """The revisions a current database is at (read from migrations/ once per process)."""
    if _HEADS not in app.extensions:
        from cpd_tracker.migrate import alembic_config

        script = ScriptDirectory.from_config(alembic_config(db.engine))
        app.extensions[_HEADS] = frozenset(script.get_heads())
    heads: frozenset[str] = app.extensions[_HEADS]
    return heads


def _answer(body: dict[str, object], status: int) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz() -> Response:
    return _answer({"status": "ok"}, 200)


@bp.get("/readyz")
def readyz() -> Response:
    heads = migration_heads(current_app)
    try:
        # A connection of its own, not the request's session: nothing to commit or roll back.
        connection = db.engine.connect()
    except DATABASE_ERRORS as exc:
        outage_log.note(exc)
        return _answer({"status": "not ready", "reason": "database unreachable"}, 503)
    try:
        found = set(connection.scalars(text("SELECT version_num FROM alembic_version")))
    except DATABASE_ERRORS as exc:
        if exc.connection_invalidated:  # lost on the way, not SQLite's missing table
            outage_log.note(exc)
            return _answer({"status": "not ready", "reason": "database unreachable"}, 503)
        found = set()  # SQLite: no alembic_version table, never migrated
    except SQLAlchemyError:
        found = set()  # PostgreSQL: no alembic_version table, never migrated
    finally:
        connection.close()
    if found != heads:
        return _answer(
            {
                "status": "not ready",
                "reason": "migrations not current: run `cpd-tracker db upgrade`",
                "database_revision": sorted(found),
                "code_revision": sorted(heads),
            },
            503,
        )
    return _answer({"status": "ready"}, 200)
