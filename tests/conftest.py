"""Fixtures shared by every test: an app on a migrated database (SQLite by default, PostgreSQL
when ``TEST_DATABASE_URL`` is set), its test client, and a fake network for outbound calls."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from cpd_tracker import create_app, migrate
from cpd_tracker.config import normalise_database_url
from cpd_tracker.models import Base
from tests.support.http import FakeHttp
from tests.support.platform import TOOL_HOST

BASE_URL = f"https://{TOOL_HOST}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        url = _per_worker(normalise_database_url(url))
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    engine = create_engine(url)
    _drop_everything(engine)
    migrate.upgrade(engine)
    engine.dispose()
    return url


def _per_worker(url: str) -> str:
    """Under pytest-xdist (``-n 2``) each worker gets its own PostgreSQL database, named after
    the given one with the worker id appended (created here when missing), so workers never
    truncate each other's tables. Without xdist, the given database is used as it is."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    target = make_url(url)
    name = f"{target.database}_{worker}"
    admin = target.set(database="postgres")
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return target.set(database=name).render_as_string(hide_password=False)


def _drop_everything(engine: Engine) -> None:
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        else:
            Base.metadata.drop_all(connection)
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def _truncate(engine: Engine, attempts: int = 5) -> None:
    """TRUNCATE every table. Servers a test started in other processes (tests/functional/
    operations: two hosts, workers) may still be reading when it runs: PostgreSQL then ends
    one side with a deadlock, and the truncation is simply tried again."""
    names = ", ".join(t.name for t in Base.metadata.sorted_tables)
    for attempt in range(attempts):
        try:
            with engine.begin() as connection:
                connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            return
        except OperationalError as exc:
            if "deadlock detected" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))


def _empty_tables(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        _truncate(engine)
        return
    with engine.begin() as connection:
        # Checked at commit, when every table is empty: registrations name invitations,
        # which name people, who name registrations (a cycle no delete order breaks).
        connection.execute(text("PRAGMA defer_foreign_keys = ON"))
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def fake_http() -> FakeHttp:
    return FakeHttp()


@pytest.fixture
def app(database_url: str, fake_http: FakeHttp, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret-key-not-for-production",
            "BASE_URL": BASE_URL,
        }
    )
    app.instance_path = str(tmp_path / "instance")
    app.extensions["http"] = fake_http
    yield app
    with app.app_context():
        from cpd_tracker.extensions import db

        _empty_tables(db.engine)
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": TOOL_HOST})
    return client


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()
