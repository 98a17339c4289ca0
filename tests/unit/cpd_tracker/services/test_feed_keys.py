"""Calendar feed keys: derived from SECRET_KEY, a feed's id and generation, never stored; tokens
from before migration 0031 kept only as their SHA-256 and still opening their feed until the
address is reset. The migration runs on SQLite and (with TEST_DATABASE_URL) PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from cpd_tracker import migrate
from cpd_tracker.models import CalendarFeed, School
from cpd_tracker.services.audit import Actor, AuditService
from cpd_tracker.services.calendars import CalendarService
from cpd_tracker.services.compliance import ComplianceService
from cpd_tracker.services.feed_keys import feed_id, feed_key, legacy_hash, matches
from tests.support.migrated import Seed, database_before, revision_before

SECRET = "a-secret-key-for-these-tests"
T0 = dt.datetime(2026, 9, 1, 8, 0, tzinfo=dt.UTC)


def test_a_key_is_stable_and_names_its_feed() -> None:
    key = feed_key(SECRET, 42, 1)
    assert key == feed_key(SECRET, 42, 1)  # the page shows the same address every time
    assert key.startswith("42.")
    assert len(key.split(".", 1)[1]) == 43
    assert feed_id(key) == 42
    assert matches(SECRET, 42, 1, key)


@pytest.mark.parametrize(
    ("secret", "feed", "generation"),
    [("another-secret-key", 42, 1), (SECRET, 43, 1), (SECRET, 42, 2)],
)
def test_a_key_opens_only_its_feed_generation_and_secret(
    secret: str, feed: int, generation: int
) -> None:
    key = feed_key(SECRET, 42, 1)
    assert feed_key(secret, feed, generation).split(".")[1] != key.split(".")[1]
    assert not matches(secret, feed, generation, key)


@pytest.mark.parametrize(
    "key",
    [
        "",
        "42",
        "0." + "A" * 43,  # no feed 0
        "1234567890." + "A" * 43,  # beyond a 32-bit id
        "42." + "A" * 42,
        "42." + "A" * 44,
        "42." + "A" * 42 + "=",
        " 42." + "A" * 43,
        "uskl9qWvcqQL223E2nIPy1mYT3CWCTyOLop_hmqPiMg",  # a token from before 0031
    ],
)
def test_anything_not_shaped_like_a_key_names_no_feed(key: str) -> None:
    assert feed_id(key) is None


def test_a_legacy_token_is_kept_as_its_sha256() -> None:
    token = secrets.token_urlsafe(32)
    assert legacy_hash(token) == hashlib.sha256(token.encode()).hexdigest()
    for wrong in ("short", "x" * 65, "42." + "A" * 43, "a b" * 10):
        assert legacy_hash(wrong) is None


# -- migration 0031 on a database with feeds ------------------------------------------------


@pytest.fixture
def engine_before(tmp_path: Path) -> Iterator[Engine]:
    with database_before("0031", tmp_path, "feeds") as engine:
        yield engine


def test_existing_feeds_keep_working_with_only_a_hash_stored(engine_before: Engine) -> None:
    person_token, school_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with engine_before.begin() as connection:
        seed = Seed(connection, T0)
        org = seed.add("organisation", name="Trust", kind="trust")
        school = seed.add("school", organisation_id=org, urn="100001", name="Alder")
        ann = seed.add("person", organisation_id=org, name="Ann", active=True)
        mine = seed.add("calendar_feed", organisation_id=org, person_id=ann, token=person_token)
        ours = seed.add("calendar_feed", organisation_id=org, school_id=school, token=school_token)

    migrate.upgrade(engine_before, "0031")
    with engine_before.begin() as connection:
        rows = Seed(connection, T0).rows("calendar_feed")
    # Nothing in the table is a usable token any more.
    assert "token" not in rows[mine]
    stored = " ".join(str(v) for row in rows.values() for v in row.values())
    assert person_token not in stored
    assert school_token not in stored
    assert rows[mine]["legacy_token_hash"] == hashlib.sha256(person_token.encode()).hexdigest()
    assert rows[mine]["generation"] == 1

    migrate.upgrade(engine_before, "head")
    with Session(engine_before) as session:
        service = CalendarService(
            session,
            AuditService(session, Actor("test")),
            lambda: T0,
            ComplianceService(session),
            "cpd.example.org",
            SECRET,
        )
        old = service.by_key(person_token)
        assert old is not None
        assert old.id == mine
        school_feed = service.by_key(school_token)
        assert school_feed is not None
        assert school_feed.id == ours
        # The page shows the derived address, which opens the same feed alongside the old one.
        assert service.by_key(service.key(old)) is old
        assert service.by_key(secrets.token_urlsafe(32)) is None
        # A new address cuts off the old token and the previous derived one.
        before = service.key(old)
        service.regenerate(old)
        assert old.legacy_token_hash is None
        assert service.by_key(person_token) is None
        assert service.by_key(before) is None
        assert service.by_key(service.key(old)) is old
        assert service.by_key(school_token) is school_feed  # other feeds untouched
        session.commit()

    # Down again: a fresh random token each (a hash cannot be turned back into one).
    migrate.downgrade(engine_before, revision_before(engine_before, "0031"))
    with engine_before.begin() as connection:
        rows = Seed(connection, T0).rows("calendar_feed")
    tokens = {row["token"] for row in rows.values()}
    assert len(tokens) == 2
    assert not tokens & {person_token, school_token}
    assert all(len(t) == 43 for t in tokens)


def test_a_feed_made_now_stores_no_key(engine_before: Engine) -> None:
    migrate.upgrade(engine_before, "head")
    with engine_before.begin() as connection:
        seed = Seed(connection, T0)
        org = seed.add("organisation", name="Trust", kind="trust")
        school = seed.add("school", organisation_id=org, urn="100001", name="Alder")
    with Session(engine_before) as session:
        service = CalendarService(
            session,
            AuditService(session, Actor("test")),
            lambda: T0,
            ComplianceService(session),
            "cpd.example.org",
            SECRET,
        )
        feed = service.school_feed(session.get_one(School, school))
        session.commit()
        key = service.key(feed)
        row = session.get(CalendarFeed, feed.id)
        assert row is not None
        assert row.legacy_token_hash is None
        stored = " ".join(str(getattr(row, c.key)) for c in CalendarFeed.__table__.columns)
        assert key.split(".")[1] not in stored
        assert service.by_key(key) is row
