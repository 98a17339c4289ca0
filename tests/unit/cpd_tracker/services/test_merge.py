"""Merging duplicate people (issue 15, finding 3), and migration 0012 that does it.

The pure part (who is one person, who survives, when not to merge) is tested on rows; the
merge itself by upgrading a database built at 0011 with duplicates seeded, on SQLite and (with
TEST_DATABASE_URL) on PostgreSQL, in a database of its own.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, MetaData, create_engine, func, make_url, select, text
from sqlalchemy.exc import IntegrityError

from cpd_tracker import migrate
from cpd_tracker.config import normalise_database_url
from cpd_tracker.services.merge import find_groups

T0 = dt.datetime(2026, 9, 1, 8, 0, tzinfo=dt.UTC)


def person(pid: int, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": pid,
        "organisation_id": 1,
        "registration_id": None,
        "staff_number": None,
        "staff_number_school_id": None,
        "email": None,
        "created_at": T0 + dt.timedelta(minutes=pid),
    }
    row.update(values)
    return row


# -- who is one person --------------------------------------------------------------------


def test_the_same_number_at_the_same_school_is_one_person_the_oldest_survives() -> None:
    [group] = find_groups(
        [
            person(2, staff_number="7", staff_number_school_id=10),
            person(1, staff_number="7", staff_number_school_id=10),
        ],
        {},
    )
    assert (group.survivor, group.others, group.merged) == (1, [2], True)
    assert group.shared == ["staff number 7 (school 10)"]


def test_the_same_number_at_two_schools_is_two_people() -> None:
    people = [
        person(1, staff_number="7", staff_number_school_id=10),
        person(2, staff_number="7", staff_number_school_id=11),
        person(3, staff_number="7", staff_number_school_id=10, organisation_id=2),
    ]
    assert find_groups(people, {}) == []


def test_emails_match_whatever_their_case_and_chains_join() -> None:
    [group] = find_groups(
        [
            person(1, staff_number="7", staff_number_school_id=10),
            person(2, staff_number="7", staff_number_school_id=10, email="a@x.org"),
            person(3, email="A@X.org "),
        ],
        {},
    )
    assert (group.survivor, sorted(group.others)) == (1, [2, 3])


def test_the_person_who_launched_survives_though_younger() -> None:
    [group] = find_groups(
        [person(1, email="a@x.org"), person(2, email="a@x.org", registration_id=5)], {}
    )
    assert (group.survivor, group.others, group.merged) == (2, [1], True)


def test_two_lms_accounts_are_kept_apart() -> None:
    [group] = find_groups(
        [
            person(1, email="a@x.org", registration_id=5),
            person(2, email="a@x.org", registration_id=6),
        ],
        {},
    )
    assert not group.merged
    assert "launched from different LMS accounts" in group.reason


def test_an_lms_account_never_gains_a_duplicates_permissions() -> None:
    people = [person(1, email="a@x.org", registration_id=5), person(2, email="a@x.org")]
    [refused] = find_groups(people, {2: {"staff", "trust_leader"}})
    assert not refused.merged
    assert "beyond staff" in refused.reason
    [merged] = find_groups(people, {2: {"staff"}})
    assert merged.merged


# -- migration 0012 on a database with duplicates ------------------------------------------


@pytest.fixture
def engine_at_0011(tmp_path: Path) -> Iterator[Engine]:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        target = make_url(normalise_database_url(url))
        name = f"{target.database}_merge_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
        admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine = create_engine(target.set(database=name))
    else:
        admin = None
        engine = create_engine(f"sqlite:///{tmp_path / 'merge.sqlite3'}")
    migrate.upgrade(engine, "0011")
    yield engine
    engine.dispose()
    if admin is not None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


class Seed:
    """Rows written with Core into a database at revision 0011."""

    def __init__(self, connection: Connection) -> None:
        self.c = connection
        self.meta = MetaData()
        self.meta.reflect(connection)

    def add(self, table: str, **values: Any) -> int:
        t = self.meta.tables[table]
        if "created_at" in t.c and "created_at" not in values:
            values["created_at"] = T0
        result = self.c.execute(t.insert().values(**values).returning(t.c.id))
        return int(result.scalar_one())

    def count(self, table: str, **where: Any) -> int:
        t = self.meta.tables[table]
        query = select(func.count()).select_from(t)
        for name, value in where.items():
            query = query.where(t.c[name] == value)
        return int(self.c.scalar(query) or 0)

    def rows(self, table: str, **where: Any) -> list[dict[str, Any]]:
        t = self.meta.tables[table]
        query = select(t)
        for name, value in where.items():
            query = query.where(t.c[name] == value)
        return [dict(r) for r in self.c.execute(query.order_by(t.c.id)).mappings()]


def _registration(seed: Seed, org: int, n: int) -> int:
    return seed.add(
        "platform_registration",
        organisation_id=org,
        name=f"LMS {n}",
        issuer=f"https://lms{n}.example.org",
        client_id=f"client-{n}",
        auth_login_url="https://lms.example.org/auth",
        auth_token_url="https://lms.example.org/token",
        key_set_url="https://lms.example.org/jwks",
        accept_new_deployments=True,
        created_via="cli",
        frame_origins=[],
    )


def test_upgrade_merges_racing_imports_duplicates_keeping_every_record(
    engine_at_0011: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    with engine_at_0011.begin() as connection:
        seed = Seed(connection)
        org = seed.add("organisation", name="Trust", kind="trust")
        alder = seed.add("school", organisation_id=org, urn="100001", name="Alder")
        birch = seed.add("school", organisation_id=org, urn="100002", name="Birch")
        module = seed.add(
            "training_module",
            organisation_id=org,
            slug="send-basics",
            title="SEND basics",
            summary="",
            category="send",
            tier="awareness",
            delivery="in_tool",
            cpd_hours=1,
        )
        people = {}
        # Two imports racing: each made Ann (S1) and Bob (S2) at Alder.
        for n, (who, number, email) in enumerate(
            [("ann", "S1", "Ann@Alder.org"), ("bob", "S2", "bob@alder.org")] * 2
        ):
            pid = seed.add(
                "person",
                organisation_id=org,
                name=who,
                staff_number=number,
                email=email if n < 2 else email.upper(),
                active=True,
                created_at=T0 + dt.timedelta(seconds=n),
            )
            people.setdefault(who, []).append(pid)
            seed.add("staff_role", person_id=pid, school_id=alder, role="teacher")
        # Birch numbers its own staff: its S1 is someone else, and blank e-mails are no e-mail.
        cat = seed.add("person", organisation_id=org, staff_number="S1", email="", active=True)
        seed.add("staff_role", person_id=cat, school_id=birch, role="teacher")
        dan = seed.add("person", organisation_id=org, staff_number=" ", email=" ", active=True)
        ann, ann2 = people["ann"]
        # The second Ann launched (so survives), did training and was recorded by a lead.
        registration = _registration(seed, org, 1)
        connection.execute(
            seed.meta.tables["person"]
            .update()
            .where(seed.meta.tables["person"].c.id == ann2)
            .values(registration_id=registration, sub="lms-ann")
        )
        for pid in (ann, ann2):
            seed.add(
                "completion",
                organisation_id=org,
                person_id=pid,
                module_id=module,
                completed_on=dt.date(2026, 10, 1),
                method="imported",
                cpd_hours=1,
                note="",
                recorded_by_id=ann,
            )
            seed.add("permission", person_id=pid, kind="staff", source="lms", revoked=False)
            seed.add(
                "audit_entry",
                organisation_id=org,
                actor_person_id=pid,
                actor_label="person",
                action="something",
                entity_type="person",
                entity_id=str(pid),
                details={},
            )
        completions = seed.count("completion")
        audits = seed.count("audit_entry")

    caplog.set_level(logging.INFO, logger="alembic.runtime.migration")
    migrate.upgrade(engine_at_0011, "0012")

    with engine_at_0011.begin() as connection:
        seed = Seed(connection)
        alive = {p["id"]: p for p in seed.rows("person")}
        # Ann: the one who launched kept; Bob: the oldest.
        assert sorted(alive) == sorted([ann2, people["bob"][0], cat, dan])
        assert alive[ann2]["email"] == "ann@alder.org"  # stored lower-case
        assert alive[dan]["email"] is None
        assert alive[dan]["staff_number"] is None
        assert alive[cat]["staff_number_school_id"] == birch
        assert alive[ann2]["staff_number_school_id"] == alder
        # Every completion kept, now the survivor's (the recorder too); every audit entry kept.
        assert seed.count("completion") == completions
        assert seed.count("completion", person_id=ann2) == 2
        assert seed.count("completion", recorded_by_id=ann2) == 2
        assert seed.count("audit_entry", action="something") == audits
        assert seed.count("audit_entry", actor_person_id=ann2) == 2
        # Identical rows of the two are kept once.
        assert seed.count("staff_role", person_id=ann2) == 1
        assert seed.count("permission", person_id=ann2) == 1
        merges = seed.rows("audit_entry", action="person.merged")
        assert sorted(int(m["entity_id"]) for m in merges) == sorted([ann2, people["bob"][0]])
        ann_merge = next(m for m in merges if m["entity_id"] == str(ann2))
        assert ann_merge["details"]["merged_person_ids"] == [ann]
        assert ann_merge["details"]["moved"]["completion.person_id"] == 1
        # The indexes now refuse a third Ann, whatever the case of her address.
        with pytest.raises(IntegrityError), connection.begin_nested():
            seed.add("person", organisation_id=org, email="ann@alder.org", active=True)
    report = caplog.text
    assert f"merging person(s) {ann} into person {ann2}" in report
    assert "staff number S1 (school" in report
    assert "e-mail ann@alder.org" in report


def test_upgrade_keeps_two_lms_accounts_apart_and_says_so(
    engine_at_0011: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    with engine_at_0011.begin() as connection:
        seed = Seed(connection)
        org = seed.add("organisation", name="Trust", kind="trust")
        moodle, canvas = _registration(seed, org, 1), _registration(seed, org, 2)
        first = seed.add(
            "person",
            organisation_id=org,
            email="sam@x.org",
            registration_id=moodle,
            sub="m-sam",
            active=True,
        )
        second = seed.add(
            "person",
            organisation_id=org,
            email="SAM@x.org",
            registration_id=canvas,
            sub="c-sam",
            active=True,
            created_at=T0 + dt.timedelta(days=1),
        )
    caplog.set_level(logging.INFO, logger="alembic.runtime.migration")
    migrate.upgrade(engine_at_0011, "0012")
    with engine_at_0011.begin() as connection:
        seed = Seed(connection)
        kept = {p["id"]: p for p in seed.rows("person")}
        assert kept[first]["email"] == "sam@x.org"
        assert kept[second]["email"] is None
        assert (kept[second]["registration_id"], kept[second]["sub"]) == (canvas, "c-sam")
        [cleared] = seed.rows("audit_entry", action="person.duplicate_identifier_cleared")
        assert cleared["entity_id"] == str(second)
        assert cleared["details"]["fields"] == ["email"]
        assert cleared["details"]["kept_by"] == first
    assert "NOT merged" in caplog.text
    assert f"cleared on person(s) {second}" in caplog.text
