"""The database session, kept at the edge: one session per request, committed once.

Services take a session and ``flush()``; only the request edge (``commit_or_rollback``) and the
CLI commit. SQLite gets foreign keys switched on and WAL, so the embedded mode behaves like
PostgreSQL where it matters.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite keeps its own transaction handling (BEGIN before the first write): reads take
    # no lock, so concurrent requests and cron runs wait on busy_timeout instead of failing.
    # The cost is that a SAVEPOINT opened before any write starts the transaction itself;
    # code that needs one (IdentityService._insert_or_existing) always runs after a write.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
        if url in {"sqlite://", "sqlite:///:memory:"}:
            kwargs["poolclass"] = StaticPool
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(url, pool_size=5, max_overflow=10)
    _ping_idle_connections(engine)
    return engine


#: A pooled connection back from a request this recently is taken to be alive without a ping.
PING_AFTER_IDLE_SECONDS = 5.0


def _ping_idle_connections(engine: Engine) -> None:
    """``pool_pre_ping``, for connections that have sat idle: a ping is a round trip, and a
    launch checks a connection out five times (each request, each rate-limit count), so
    pinging one used milliseconds ago was a sixth of a launch's round trips.

    A connection idle longer than ``PING_AFTER_IDLE_SECONDS`` (or never returned) is pinged
    at checkout as before; a dead one is replaced (``DisconnectionError`` makes the pool
    connect afresh). If the database restarts within those seconds of a connection's last
    use, the request using it fails as any request does mid-outage (``outage.py``: a 503),
    and SQLAlchemy, seeing the disconnect, discards every pooled connection of that age."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get("returned_at")
        if returned is not None and time.monotonic() - returned < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(str(exc)) from exc


class _Bound:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.session_factory = sessionmaker(bind=engine, expire_on_commit=False)


class Database:
    """Binds an engine to each app (tests build several) and hands out the request's session."""

    def init_app(self, app: Flask) -> None:
        app.extensions["cpd_db"] = _Bound(make_engine(app.config["DATABASE_URL"]))
        app.teardown_appcontext(self._close)

    @staticmethod
    def _bound() -> _Bound:
        bound: _Bound = current_app.extensions["cpd_db"]
        return bound

    @property
    def engine(self) -> Engine:
        return self._bound().engine

    def new_session(self) -> Session:
        """A session outside the request's (CLI work, background jobs)."""
        return self._bound().session_factory()

    @property
    def session(self) -> Session:
        if "db_session" not in g:
            g.db_session = self.new_session()
        session: Session = g.db_session
        return session

    def _close(self, _exc: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            session.close()
