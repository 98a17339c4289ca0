"""The database session, kept at the edge: one session per request, committed once.

Services take a session and ``flush()``; only the request edge (``commit_or_rollback``) and the
CLI commit. SQLite gets foreign keys switched on and WAL, so the embedded mode behaves like
PostgreSQL where it matters.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event
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
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


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
