"""Backup and restore rehearsed (issue 18, item 4), as the README's *Backup and restore* says:
``pg_dump --format=custom`` of a database holding the demo trust and people who have launched,
a tar of the evidence folder, then ``pg_restore`` into an empty database and the tar unpacked
into an empty instance folder. The restored copy has every table's rows, its sequences, the
tool's keys (readable with the same ``SECRET_KEY``), the evidence files, and serves the same
pages to the same signed-in people.

PostgreSQL only (skipped on SQLite with the reason); needs ``pg_dump`` and ``pg_restore``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, make_url, select, text

from cpd_tracker import create_app
from cpd_tracker.cli import cli_session
from cpd_tracker.demo_lms.seed import seed_demo
from cpd_tracker.extensions import db
from cpd_tracker.models import Organisation
from cpd_tracker.storage import EvidenceStore, evidence_root
from tests.conftest import BASE_URL
from tests.support.factories import register
from tests.support.http import FakeHttp
from tests.support.launching import follow, launch
from tests.support.platform import TOOL_HOST, TestPlatform

pytestmark = pytest.mark.postgres

SESSION_COOKIE = "cpd_session"
#: A small PDF, as a scanned certificate would start.
CERTIFICATE = b"%PDF-1.4\n% a certificate of attendance\n" + bytes(range(256)) * 8


def _tool(name: str) -> str:
    found = shutil.which(name) or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))), None
    )
    if found is None:
        pytest.skip(f"{name} is not installed (Debian: postgresql-client)")
    return found


def _libpq(url: str) -> str:
    """The SQLAlchemy URL as pg_dump and pg_restore take it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def restored_url(database_url: str) -> Iterator[str]:
    """An empty database beside the test database, dropped afterwards."""
    if not database_url.startswith("postgresql"):
        pytest.skip("pg_dump and pg_restore back up PostgreSQL (set TEST_DATABASE_URL)")
    source = make_url(database_url)
    name = f"{source.database}_restored"
    admin = create_engine(source.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield source.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _run(*args: str) -> None:
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"{args[0]}: {done.stdout}{done.stderr}"


def _row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        tables = connection.scalars(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        ).all()
        return {
            # Names read from the catalogue, not from input.
            table: int(connection.scalar(text(f'SELECT count(*) FROM "{table}"')) or 0)  # noqa: S608
            for table in tables
        }


def _sequences(engine: Engine) -> dict[str, int | None]:
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'")
        )
        return {str(row[0]): row[1] for row in rows}


class _MainText(HTMLParser):
    """The words of a page's ``<main>``: what a person reads, without the per-request tokens
    (CSRF, launch token, nonces) that live in attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.words: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "main" or self.depth:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.words.extend(data.split())


def _read(client: FlaskClient, cookie: str, path: str) -> str:
    response = client.get(path, headers={"Cookie": f"{SESSION_COOKIE}={cookie}"})
    assert response.status_code == 200, f"{path}: {response.status_code}"
    parser = _MainText()
    parser.feed(response.get_data(as_text=True))
    assert parser.words, path
    return " ".join(parser.words)


def _browser(app: Flask, cookies: bool = True) -> FlaskClient:
    client = app.test_client(use_cookies=cookies)
    client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": TOOL_HOST})
    return client


def _signed_in(app: Flask, platform: TestPlatform, user: str) -> tuple[str, str]:
    """A person who has launched: their session cookie and the page they landed on."""
    client = _browser(app)
    page = follow(client, launch(client, platform, login_options={"user": user}).response)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    [cookie] = [c for c in client._cookies.values() if c.key == SESSION_COOKIE]
    return cookie.value, page.request.full_path.rstrip("?")


def test_a_backup_restored_into_an_empty_database_is_the_same_tool(
    app: Flask, fake_http: FakeHttp, database_url: str, restored_url: str, tmp_path: Path
) -> None:
    pg_dump, pg_restore = _tool("pg_dump"), _tool("pg_restore")
    # What there is to back up: the demo trust (schools, staff, training history, SENCOs,
    # spend, snapshots), an LMS whose people have launched, the tool's keys, an evidence file.
    with app.app_context():
        with cli_session() as (session, audit):
            seed_demo(session, audit, base_url=BASE_URL, secret=app.config["SECRET_KEY"])
        org_id = db.session.scalar(select(Organisation.id).order_by(Organisation.id))
        assert org_id is not None
        evidence_key = EvidenceStore(evidence_root()).save(org_id, CERTIFICATE)
    platform = TestPlatform("moodle")
    platform.serve_jwks(fake_http)
    register(app, platform, org_id)
    people = [_signed_in(app, platform, user) for user in ("learner", "instructor")]
    jwks = _browser(app).get("/.well-known/jwks.json").get_json()
    assert jwks["keys"]

    # The backup, as the README does it.
    dump = tmp_path / "cpd_tracker.dump"
    _run(pg_dump, "--format=custom", "--no-owner", f"--file={dump}", _libpq(database_url))
    instance = Path(app.instance_path)
    evidence_tar = tmp_path / "evidence.tar.gz"
    with tarfile.open(evidence_tar, "w:gz") as archive:
        archive.add(instance / "evidence", arcname="evidence")

    # The restore, into an empty database and an empty instance folder.
    _run(
        pg_restore,
        "--no-owner",
        "--exit-on-error",
        "--single-transaction",
        f"--dbname={_libpq(restored_url)}",
        str(dump),
    )
    restored_instance = tmp_path / "restored-instance"
    restored_instance.mkdir()
    with tarfile.open(evidence_tar) as archive:
        archive.extractall(restored_instance, filter="data")

    source_engine, restored_engine = create_engine(database_url), create_engine(restored_url)
    restored = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": restored_url,
            "SECRET_KEY": app.config["SECRET_KEY"],
            "BASE_URL": BASE_URL,
        }
    )
    restored.instance_path = str(restored_instance)
    restored.extensions["http"] = fake_http
    try:
        counts = _row_counts(source_engine)
        assert _row_counts(restored_engine) == counts
        assert counts["person"] >= 37
        assert counts["completion"] > 0
        assert counts["alembic_version"] == 1
        assert _sequences(restored_engine) == _sequences(source_engine)

        # The keys decrypt with the same SECRET_KEY: the same key set is published.
        assert _browser(restored).get("/.well-known/jwks.json").get_json() == jwks
        with restored.app_context():
            assert EvidenceStore(evidence_root()).open(org_id, evidence_key) == CERTIFICATE

        # The same people, signed in before the backup, read the same pages from the copy.
        original, copy = _browser(app, cookies=False), _browser(restored, cookies=False)
        for cookie, landing in people:
            assert _read(copy, cookie, landing) == _read(original, cookie, landing)
        learner_page = _read(copy, people[0][0], people[0][1])
        assert platform.user("learner").name in learner_page
        instructor_page = _read(copy, people[1][0], people[1][1])
        assert re.search(r"URN \d{6}", instructor_page), instructor_page[:500]

        # The copy takes new rows where the original left off (sequences restored).
        platform_two = TestPlatform("moodle", issuer="https://moodle.restored.example")
        platform_two.serve_jwks(fake_http)
        register(restored, platform_two, org_id)
        _signed_in(restored, platform_two, "learner")
    finally:
        with restored.app_context():
            db.engine.dispose()
        source_engine.dispose()
        restored_engine.dispose()
