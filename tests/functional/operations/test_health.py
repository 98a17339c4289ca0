"""``/healthz`` and ``/readyz`` for load balancers (issue 18, item 1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text

from cpd_tracker.extensions import db
from tests.functional.operations.conftest import app_on, browser


def _statements(app: Flask) -> list[str]:
    """Every statement the app's engine runs from now on."""
    seen: list[str] = []
    with app.app_context():

        def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
    return seen


def test_healthz_answers_without_a_query_a_cookie_or_a_cache(
    app: Flask, teacher: FlaskClient
) -> None:
    seen = _statements(app)
    # The browser carries a launch: even so the probe reads no session and looks nothing up.
    response = teacher.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert seen == []
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_healthz_is_up_while_the_database_is_down(unreachable_app: Flask) -> None:
    assert browser(unreachable_app).get("/healthz").status_code == 200


def test_readyz_is_ready_on_a_migrated_database(app: Flask, teacher: FlaskClient) -> None:
    response = teacher.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready"}
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_probes_are_not_rate_limited(app: Flask) -> None:
    app.config["RATE_LIMITS"] = True
    client = browser(app)
    assert {client.get(p).status_code for p in ("/healthz", "/readyz") for _ in range(70)} == {200}


def test_readyz_is_503_while_the_migrations_are_behind(tmp_path: Path) -> None:
    """A database stamped one revision back (a release whose ``db upgrade`` has not run)."""
    url = f"sqlite:///{tmp_path / 'behind.sqlite3'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
        connection.execute(text("INSERT INTO alembic_version VALUES ('0001')"))
    engine.dispose()
    app = app_on(url, tmp_path)
    try:
        response = browser(app).get("/readyz")
        body = response.get_json()
        assert response.status_code == 503
        assert body["status"] == "not ready"
        assert "db upgrade" in body["reason"]
        assert body["database_revision"] == ["0001"]
        assert body["code_revision"] != ["0001"]
        assert response.headers["Cache-Control"] == "no-store"
    finally:
        with app.app_context():
            db.engine.dispose()


def test_readyz_is_503_on_a_database_never_migrated(tmp_path: Path) -> None:
    app = app_on(f"sqlite:///{tmp_path / 'empty.sqlite3'}", tmp_path)
    try:
        response = browser(app).get("/readyz")
        assert response.status_code == 503
        assert response.get_json()["database_revision"] == []
    finally:
        with app.app_context():
            db.engine.dispose()


def test_readyz_is_503_when_the_database_cannot_be_reached(unreachable_app: Flask) -> None:
    response = browser(unreachable_app).get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "not ready", "reason": "database unreachable"}
    assert response.headers["Cache-Control"] == "no-store"
    assert "postgres" not in response.get_data(as_text=True)  # nothing about where it lives
