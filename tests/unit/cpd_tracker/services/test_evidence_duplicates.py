"""Migration 0031: evidence already waiting twice is settled, then the database refuses a second
waiting copy. Upgrades a database built at the revision before with copies seeded, on SQLite
and (with TEST_DATABASE_URL) on PostgreSQL, in a database of its own."""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, create_engine, make_url, select, text
from sqlalchemy.exc import IntegrityError

from cpd_tracker import migrate
from cpd_tracker.config import normalise_database_url

T0 = dt.datetime(2026, 9, 1, 8, 0, tzinfo=dt.UTC)
REVISION = "0031"


def _before(engine: Engine) -> str:
    script = ScriptDirectory.from_config(migrate.alembic_config(engine))
    down = script.get_revision(REVISION).down_revision
    assert isinstance(down, str)
    return down


@pytest.fixture
def engine_before(tmp_path: Path) -> Iterator[Engine]:
    url = os.environ.get("TEST_DATABASE_URL")
    admin = None
    if url:
        target = make_url(normalise_database_url(url))
        name = f"{target.database}_evidence_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
        admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine = create_engine(target.set(database=name))
    else:
        engine = create_engine(f"sqlite:///{tmp_path / 'evidence.sqlite3'}")
    migrate.upgrade(engine, _before(engine))
    yield engine
    engine.dispose()
    if admin is not None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


class Seed:
    def __init__(self, connection: Connection) -> None:
        self.c = connection
        self.meta = MetaData()
        self.meta.reflect(connection)

    def add(self, table: str, **values: Any) -> int:
        t = self.meta.tables[table]
        if "created_at" in t.c and "created_at" not in values:
            values["created_at"] = T0
        return int(self.c.execute(t.insert().values(**values).returning(t.c.id)).scalar_one())

    def rows(self, table: str) -> dict[int, dict[str, Any]]:
        t = self.meta.tables[table]
        return {r["id"]: dict(r) for r in self.c.execute(select(t)).mappings()}


def _module(seed: Seed, org: int, slug: str) -> int:
    return seed.add(
        "training_module",
        organisation_id=org,
        slug=slug,
        title=slug.title(),
        summary="",
        category="send",
        tier="awareness",
        delivery="external",
        cpd_hours=1,
    )


def _evidence(seed: Seed, org: int, person: int, module: int, status: str, minute: int) -> int:
    return seed.add(
        "evidence",
        organisation_id=org,
        person_id=person,
        module_id=module,
        course_title=f"Course {minute}",
        provider="County",
        completed_on=dt.date(2026, 8, 1),
        cpd_hours=1,
        file_key=f"key{minute}",
        status=status,
        created_at=T0 + dt.timedelta(minutes=minute),
    )


def test_upgrade_returns_later_copies_then_refuses_a_second_waiting_copy(
    engine_before: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    with engine_before.begin() as connection:
        seed = Seed(connection)
        org = seed.add("organisation", name="Trust", kind="trust")
        ann = seed.add("person", organisation_id=org, name="Ann", active=True)
        bob = seed.add("person", organisation_id=org, name="Bob", active=True)
        speech, autism = _module(seed, org, "speech"), _module(seed, org, "autism")
        # Ann sent Speech three times at once (the second one first by id, but later in time).
        third = _evidence(seed, org, ann, speech, "pending", 3)
        first = _evidence(seed, org, ann, speech, "pending", 1)
        second = _evidence(seed, org, ann, speech, "pending", 2)
        returned = _evidence(seed, org, ann, speech, "rejected", 0)
        other_module = _evidence(seed, org, ann, autism, "pending", 4)
        other_person = _evidence(seed, org, bob, speech, "pending", 5)

    caplog.set_level(logging.INFO, logger="alembic.runtime.migration")
    migrate.upgrade(engine_before, REVISION)

    with engine_before.begin() as connection:
        seed = Seed(connection)
        rows = seed.rows("evidence")
        waiting = {i for i, r in rows.items() if r["status"] == "pending"}
        assert waiting == {first, other_module, other_person}
        for closed in (second, third):
            row = rows[closed]
            assert row["status"] == "rejected"
            assert row["reviewed_by_id"] is None
            assert row["reviewed_at"] is not None
            assert row["rejection_reason"].startswith(
                "Sent twice at the same moment: the copy sent on 1 September 2026 is waiting"
            )
            assert row["file_key"] == f"key{3 if closed == third else 2}"  # certificate kept
        assert rows[returned]["rejection_reason"] is None  # untouched
        audits = list(seed.rows("audit_entry").values())
        assert sorted((a["action"], a["entity_id"], a["actor_label"]) for a in audits) == sorted(
            ("evidence.closed_as_duplicate", str(i), "migration") for i in (second, third)
        )
        assert {a["details"]["kept"] for a in audits} == {first}
    assert (
        f"person {ann}, module {speech}: evidence {first} keeps waiting; later copies "
        f"{second}, {third} returned" in caplog.text
    )

    # From now on the database refuses a second waiting copy, but not a returned one.
    with engine_before.begin() as connection:
        _evidence(Seed(connection), org, ann, speech, "rejected", 6)
    with pytest.raises(IntegrityError), engine_before.begin() as connection:
        _evidence(Seed(connection), org, ann, speech, "pending", 7)

    migrate.downgrade(engine_before, _before(engine_before))
    with engine_before.begin() as connection:
        _evidence(Seed(connection), org, ann, speech, "pending", 8)


def test_upgrade_with_no_copies_changes_nothing(
    engine_before: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="alembic.runtime.migration")
    migrate.upgrade(engine_before, REVISION)
    assert "no evidence waiting twice" in caplog.text
