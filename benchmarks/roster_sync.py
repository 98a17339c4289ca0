"""Benchmark of an NRPS roster sync: 1,000 members over 10 pages, on SQLite and PostgreSQL.

What it measures
    ``RosterService.sync`` of one course, as the outbox runs it: a client_credentials token
    (a real RS256 client assertion, verified by the fake token endpoint against the tool's
    JWKS), 10 pages of 100 members from the fake platform's NRPS endpoint (in-process, Canvas
    or Moodle paging, bearer token checked on every page), then the database: people created
    or updated, course memberships, staff roles at the course's school, one audit entry, and
    the commit. Three phases per repeat, each into a new organisation and course:

    first sync      1,000 new people, memberships and staff roles.
    again, same     the same roster again (the nightly case): nothing to write but the times.
    again, changed  100 left the course, 100 joined, 100 changed their e-mail address.
    floor           the same 10 pages read by ``NamesRolesClient`` alone (HTTP, JSON, paging,
                    no database), plus a bare SQLAlchemy Core ``executemany`` INSERT of the
                    1,000 ``person`` rows and the commit: ``first sync / floor`` is the
                    overhead of the rules (matching, memberships, roles, audit).

    Figures are medians of the repeats. The requirement is a roster of 1,000 members over 10
    pages synced in under 5 seconds.

Set-up
    SQLite: a temporary file database (WAL, as the app configures it), migrated. PostgreSQL:
    ``--postgres`` (default ``postgresql://postgres@127.0.0.1:5432/cpd_bench_roster``); the
    database is created if missing and its ``public`` schema rebuilt, so point it at a database
    of its own. ``--skip-postgres`` runs SQLite only. Nothing leaves the process: the LMS is the
    test suite's fake platform (``tests/support/advantage_platform.py``).

Run it from the repository root::

    .venv/bin/python benchmarks/roster_sync.py
    .venv/bin/python benchmarks/roster_sync.py --members 1000 --page-size 100 --repeats 5

Exit status 1 if a first sync took 5 seconds or more.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import platform as host_platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import insert, make_url

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # for ``tests.support`` when run as benchmarks/roster_sync.py

from cpd_tracker import create_app, migrate  # noqa: E402
from cpd_tracker.config import normalise_database_url  # noqa: E402
from cpd_tracker.extensions import db  # noqa: E402
from cpd_tracker.models import Course, OrganisationKind, Person, ToolKey  # noqa: E402
from cpd_tracker.services.advantage import key_signer  # noqa: E402
from cpd_tracker.services.audit import Actor, AuditService  # noqa: E402
from cpd_tracker.services.keys import KeyService  # noqa: E402
from cpd_tracker.services.registrations import PlatformDetails, RegistrationService  # noqa: E402
from cpd_tracker.services.roster import RosterService  # noqa: E402
from lti.keys import generate_key_pair  # noqa: E402
from lti.nrps import NamesRolesClient  # noqa: E402
from lti.service_tokens import MemoryTokenCache, ServiceTokenClient  # noqa: E402
from tests.support.advantage_platform import AdvantagePlatform, ServiceHttp, member_json  # noqa: E402
from tests.support.clock import FakeClock  # noqa: E402
from tests.support.platform import TestPlatform  # noqa: E402

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/cpd_bench_roster"
TARGET_SECONDS = 5.0
SECRET = "benchmark-not-a-secret"  # noqa: S105 - a throwaway key for a throwaway database
URN = "100001"


def machine() -> str:
    cpu = host_platform.processor() or host_platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} CPU(s), {host_platform.system()} {host_platform.release()}, "
        f"Python {host_platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


def prepare_postgres(url: str) -> str:
    """Create the database if missing and empty its public schema; returns the server version."""
    parts = make_url(url)
    name = parts.database or "cpd_bench_roster"
    admin = parts.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    target = parts.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(target, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
        version = conn.execute("SHOW server_version").fetchone()
    return f"PostgreSQL {version[0] if version else '?'}"


class Bench:
    """One database and one fake LMS; a new organisation, registration and course per repeat."""

    def __init__(self, url: str, members: int, page_size: int, dialect: str) -> None:
        self.app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": SECRET})
        self.members = members
        self.page_size = page_size
        self.dialect = dialect
        self.clock = FakeClock(dt.datetime.now(dt.UTC))
        self.http = ServiceHttp()
        self.cache = MemoryTokenCache()
        self.timings: dict[str, list[float]] = {}
        self.pages: list[int] = []
        pair = generate_key_pair(passphrase=SECRET.encode())
        with self.app.app_context():
            migrate.upgrade(db.engine)
            session = db.new_session()
            try:
                session.add(
                    ToolKey(
                        kid=pair.kid,
                        private_pem=pair.private_pem,
                        public_jwk=pair.public_jwk,
                        created_at=self.clock(),
                    )
                )
                session.commit()
                self.jwks = KeyService(session, secret=SECRET, clock=self.clock).jwks()
            finally:
                session.close()

    def timed(self, label: str, work: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        result = work()
        self.timings.setdefault(label, []).append(time.perf_counter() - start)
        return result

    def _course(self, n: int) -> tuple[int, AdvantagePlatform]:
        platform = TestPlatform(self.dialect, clock=self.clock, client_id=f"bench-client-{n:04d}")  # type: ignore[arg-type]
        lms = AdvantagePlatform(
            platform,
            self.http,
            self.clock,
            members=[member_json(i, self.dialect) for i in range(1, self.members + 1)],
        )
        lms.trust_tool(self.jwks)
        session = db.new_session()
        try:
            service = RegistrationService(session, AuditService(session, Actor("benchmark")))
            org = service.create_organisation(f"Benchmark Trust {n}", OrganisationKind.TRUST)
            school = service.add_school(org, urn=URN, name=f"Benchmark School {n}")
            registration = service.add_platform(
                org,
                PlatformDetails(
                    name="bench",
                    issuer=platform.issuer,
                    client_id=platform.client_id,
                    auth_login_url=platform.auth_login_url,
                    auth_token_url=platform.auth_token_url,
                    key_set_url=platform.key_set_url,
                    product_family=self.dialect,
                ),
                deployment_ids=[platform.deployment_id],
                accept_new_deployments=False,
                created_via="cli",
            )
            course = Course(
                organisation_id=org.id,
                registration_id=registration.id,
                context_id=f"course-{n}",
                title="SEND CPD",
                school_id=school.id,
                memberships_url=lms.memberships_url,
            )
            session.add(course)
            session.commit()
            return course.id, lms
        finally:
            session.close()

    def _sync(self, course_id: int) -> None:
        session = db.new_session()
        try:
            keys = KeyService(session, secret=SECRET, clock=self.clock)
            tokens = ServiceTokenClient(self.http, key_signer(keys), self.clock, self.cache)
            roster = RosterService(
                session,
                AuditService(session, Actor("benchmark")),
                self.clock,
                NamesRolesClient(self.http, tokens),
                page_size=self.page_size,
            )
            course = session.get(Course, course_id)
            assert course is not None
            report = roster.sync(course)
            session.commit()
            self.pages.append(report.pages)
        finally:
            session.close()

    def once(self, n: int) -> None:
        course_id, lms = self._course(n)
        before = len(lms.nrps.requests)
        self.timed("first sync", lambda: self._sync(course_id))
        assert len(lms.nrps.requests) - before == self.pages[-1]
        self.timed("again, same", lambda: self._sync(course_id))
        # 100 change their e-mail address, the next 100 leave, 100 newcomers join.
        original = lms.nrps.members
        changed = [
            {**m, "email": m["email"].replace("@school.", "@changed.")} for m in original[:100]
        ]
        joining = [
            member_json(i, self.dialect) for i in range(self.members + 1, self.members + 101)
        ]
        lms.nrps.members = changed + original[200:] + joining
        self.timed("again, changed", lambda: self._sync(course_id))
        self.floor(n, lms)

    def floor(self, n: int, lms: AdvantagePlatform) -> None:
        registration = lms.platform.registration()
        keys_session = db.new_session()
        try:
            keys = KeyService(keys_session, secret=SECRET, clock=self.clock)
            tokens = ServiceTokenClient(self.http, key_signer(keys), self.clock, self.cache)
            client = NamesRolesClient(self.http, tokens)
            self.timed(
                "floor: NRPS read only",
                lambda: list(
                    client.members(registration, lms.memberships_url, limit=self.page_size)
                ),
            )
        finally:
            keys_session.close()
        session = db.new_session()
        try:
            org = RegistrationService(
                session, AuditService(session, Actor("benchmark"))
            ).create_organisation(f"Floor Trust {n}", OrganisationKind.TRUST)
            session.commit()
            org_id = org.id
        finally:
            session.close()
        now = self.clock()
        rows = [
            {
                "organisation_id": org_id,
                "sub": f"floor-{i}",
                "name": f"Person {i}",
                "email": f"floor{i}@bench.example.org",
                "active": True,
                "created_at": now,
            }
            for i in range(self.members)
        ]

        def insert_people() -> None:
            with db.engine.begin() as conn:
                conn.execute(insert(Person), rows)

        self.timed("floor: Core INSERT of the people", insert_people)

    def run(self, repeats: int) -> dict[str, float]:
        with self.app.app_context():
            for n in range(repeats):
                self.once(n)
            db.engine.dispose()
        return {label: statistics.median(values) for label, values in self.timings.items()}


def report(name: str, bench: Bench, medians: dict[str, float]) -> bool:
    pages = max(bench.pages) if bench.pages else 0
    print(f"\n{name} ({bench.dialect} paging, {pages} pages of {bench.page_size})")
    print(f"  {'phase':<36}{'seconds':>9}{'members/s':>11}")
    for label, seconds in medians.items():
        print(f"  {label:<36}{seconds:>9.3f}{bench.members / seconds:>11,.0f}")
    first = medians["first sync"]
    floor = medians["floor: NRPS read only"] + medians["floor: Core INSERT of the people"]
    ok = first < TARGET_SECONDS
    print(
        f"  first sync of {bench.members:,} members over {pages} pages: {first:.2f} s "
        f"({'under' if ok else 'NOT under'} the {TARGET_SECONDS:.0f} s target); "
        f"floor {floor:.2f} s; first sync / floor = {first / floor:.1f}x"
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dialect", choices=["canvas", "moodle"], default="canvas")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    if min(args.members, args.page_size, args.repeats) < 1 or args.members < 300:
        parser.error("--members must be at least 300; --page-size and --repeats at least 1")
    logging.disable(logging.INFO)

    print("NRPS roster sync benchmark")
    print(f"  date:     {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(f"  machine:  {machine()}")
    print(
        f"  roster:   {args.members:,} members, pages of {args.page_size}, "
        f"{args.repeats} repeats, medians"
    )

    ok = True
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        bench = Bench(url, args.members, args.page_size, args.dialect)
        ok &= report("SQLite (temporary file, WAL)", bench, bench.run(args.repeats))
    if not args.skip_postgres:
        url = normalise_database_url(args.postgres)
        version = prepare_postgres(url)
        bench = Bench(url, args.members, args.page_size, args.dialect)
        ok &= report(f"{version} ({make_url(url).database})", bench, bench.run(args.repeats))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
