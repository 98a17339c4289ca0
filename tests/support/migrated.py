"""A database of its own built at one revision, for testing the migration after it: SQLite in
``tmp_path``, or (with TEST_DATABASE_URL) a PostgreSQL database made for the test and dropped
after it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, create_engine, make_url, select, text

from cpd_tracker import migrate
from cpd_tracker.config import normalise_database_url


def revision_before(engine: Engine, revision: str) -> str:
    """The revision ``revision`` follows (its ``down_revision``)."""
    script = ScriptDirectory.from_config(migrate.alembic_config(engine))
    down = script.get_revision(revision).down_revision
    assert isinstance(down, str)
    return down


@contextmanager
def database_before(revision: str, tmp_path: Path, label: str) -> Iterator[Engine]:
    """An engine on a new database migrated up to the revision before ``revision``."""
    url = os.environ.get("TEST_DATABASE_URL")
    admin = None
    name = ""
    if url:
        target = make_url(normalise_database_url(url))
        name = f"{target.database}_{label}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
        admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine = create_engine(target.set(database=name))
    else:
        engine = create_engine(f"sqlite:///{tmp_path / f'{label}.sqlite3'}")
    try:
        migrate.upgrade(engine, revision_before(engine, revision))
        yield engine
    finally:
        engine.dispose()
        if admin is not None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            admin.dispose()


class Seed:
    """Rows written and read with Core, against the tables as they are at that revision."""

    def __init__(self, connection: Connection, created_at: Any) -> None:
        self.c = connection
        self.created_at = created_at
        self.meta = MetaData()
        self.meta.reflect(connection)

    def add(self, table: str, **values: Any) -> int:
        t = self.meta.tables[table]
        if "created_at" in t.c and "created_at" not in values:
            values["created_at"] = self.created_at
        return int(self.c.execute(t.insert().values(**values).returning(t.c.id)).scalar_one())

    def rows(self, table: str) -> dict[int, dict[str, Any]]:
        t = self.meta.tables[table]
        return {r["id"]: dict(r) for r in self.c.execute(select(t)).mappings()}
