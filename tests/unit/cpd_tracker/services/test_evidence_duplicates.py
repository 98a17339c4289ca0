"""Migration 0031: evidence already waiting twice is settled, then the database refuses a second
waiting copy. Upgrades a database built at the revision before with copies seeded, on SQLite
and (with TEST_DATABASE_URL) on PostgreSQL, in a database of its own."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from cpd_tracker import migrate
from tests.support.migrated import Seed, database_before, revision_before

T0 = dt.datetime(2026, 9, 1, 8, 0, tzinfo=dt.UTC)
REVISION = "0031"


@pytest.fixture
def engine_before(tmp_path: Path) -> Iterator[Engine]:
    with database_before(REVISION, tmp_path, "evidence") as engine:
        yield engine


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
        seed = Seed(connection, T0)
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
        seed = Seed(connection, T0)
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
        _evidence(Seed(connection, T0), org, ann, speech, "rejected", 6)
    with pytest.raises(IntegrityError), engine_before.begin() as connection:
        _evidence(Seed(connection, T0), org, ann, speech, "pending", 7)

    migrate.downgrade(engine_before, revision_before(engine_before, REVISION))
    with engine_before.begin() as connection:
        _evidence(Seed(connection, T0), org, ann, speech, "pending", 8)


def test_upgrade_with_no_copies_changes_nothing(
    engine_before: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="alembic.runtime.migration")
    migrate.upgrade(engine_before, REVISION)
    assert "no evidence waiting twice" in caplog.text
