"""The pool pings a PostgreSQL connection only after it has sat idle (``db.make_engine``)."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from cpd_tracker.db import make_engine

# The module, not the ``db`` object that ``cpd_tracker`` exports under the same name.
db_module = importlib.import_module("cpd_tracker.db")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    if not database_url.startswith("postgresql"):
        pytest.skip("pings are for PostgreSQL's pool (SQLite has no server to lose)")
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_back_from_use_a_moment_ago_is_not_pinged(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings: list[Any] = []
    real = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda c: pings.append(c) or real(c))
    first = backend_pid(engine)  # a new connection is pinged once
    assert [backend_pid(engine) for _ in range(3)] == [first] * 3
    assert len(pings) == 1
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    assert backend_pid(engine) == first
    assert len(pings) == 2


def test_a_dead_idle_connection_is_replaced_before_use(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = backend_pid(engine)
    other = make_engine(database_url)
    with other.begin() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dead})
    other.dispose()
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    assert backend_pid(engine) != dead
