"""Benchmark of the staff CSV import: 5,000 staff of one school, on SQLite and PostgreSQL.

What it measures
    For each database, ``--repeats`` times, each time into a new organisation (so earlier runs'
    people sit in the same tables, as other tenants would):

    check, new      ``ImportService.check``: decode, parse and validate every row, load the
                    organisation's people and roles, and plan (5,000 new people).
    apply, new      ``ImportService.execute`` and the commit: 5,000 people, 5,000 staff roles,
                    5,001 audit entries.
    check+apply,    the same file again (5,000 unchanged: the nightly import of a stable MIS).
      unchanged
    check+apply,    the file with every e-mail address changed (5,000 updates, 5,000 audit
      updated       entries).
    floor           a bare SQLAlchemy Core ``executemany`` INSERT of the same 5,000 ``person``
                    rows and the commit: no parsing, no checks, no roles, no audit. What the
                    database costs for the people alone; ``apply / floor`` is the overhead.

    Figures are the median of the repeats; rows/s is 5,000 / seconds. The requirement is a good
    file of 5,000 staff imported (checked and applied) in under 10 seconds.

Set-up
    SQLite: a temporary file database (WAL, as the app configures it), migrated. PostgreSQL:
    ``--postgres`` (default ``postgresql://postgres@127.0.0.1:5432/cpd_bench_imports``); the
    database is created if missing and its ``public`` schema rebuilt, so point it at a
    database of its own. ``--skip-postgres`` runs SQLite only.

Run it from the repository root::

    .venv/bin/python benchmarks/import_staff.py
    .venv/bin/python benchmarks/import_staff.py --rows 5000 --repeats 5
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
from sqlalchemy import insert, make_url, text

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # for ``tests.support`` when run as benchmarks/import_staff.py

from cpd_tracker import create_app, migrate  # noqa: E402
from cpd_tracker.config import normalise_database_url  # noqa: E402
from cpd_tracker.extensions import db  # noqa: E402
from cpd_tracker.models import OrganisationKind, Person  # noqa: E402
from cpd_tracker.services.audit import Actor, AuditService  # noqa: E402
from cpd_tracker.services.imports import ImportKind, ImportService, KnownSchool  # noqa: E402
from cpd_tracker.services.registrations import RegistrationService  # noqa: E402
from tests.support.csv_files import staff_csv, staff_rows  # noqa: E402

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/cpd_bench_imports"
TARGET_SECONDS = 10.0
URN = "100001"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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
    name = parts.database or "cpd_bench_imports"
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
    """One database: a migrated app, and a new organisation with one school per repeat."""

    def __init__(self, url: str, rows: int) -> None:
        self.app = create_app(
            {"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "benchmark-not-a-secret"}
        )
        self.rows = rows
        self.data = staff_csv(staff_rows(rows, urn=URN))
        changed = staff_rows(rows, urn=URN)
        for row in changed:
            row["Email"] = row["Email"].replace("@alder.", "@changed.")
        self.changed = staff_csv(changed)
        self.timings: dict[str, list[float]] = {}
        with self.app.app_context():
            migrate.upgrade(db.engine)

    def new_school(self, n: int) -> tuple[int, KnownSchool]:
        session = db.new_session()
        try:
            service = RegistrationService(session, AuditService(session, Actor("benchmark")))
            org = service.create_organisation(f"Benchmark Trust {n}", OrganisationKind.TRUST)
            school = service.add_school(org, urn=URN, name=f"Benchmark School {n}")
            session.commit()
            return org.id, KnownSchool(school.id, school.urn, school.name)
        finally:
            session.close()

    def timed(self, label: str, work: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        result = work()
        self.timings.setdefault(label, []).append(time.perf_counter() - start)
        return result

    def import_once(self, n: int) -> None:
        org_id, school = self.new_school(n)
        session = db.new_session()
        try:
            service = ImportService(session, AuditService(session, Actor("benchmark")), _now)
            plan = self.timed(
                "check, new",
                lambda: service.check(ImportKind.STAFF, org_id, self.data, school=school),
            )
            assert plan.ok, plan.errors[:5]
            assert plan.counts["new"] == self.rows, plan.counts

            def apply() -> None:
                service.execute(plan, file_name="bench.csv")
                session.commit()

            self.timed("apply, new", apply)

            def again(data: bytes, expect: str) -> None:
                replan = service.check(ImportKind.STAFF, org_id, data, school=school)
                assert replan.ok, replan.errors[:5]
                assert replan.counts[expect] == self.rows, replan.counts
                service.execute(replan, file_name="bench.csv")
                session.commit()

            self.timed("check+apply, unchanged", lambda: again(self.data, "unchanged"))
            self.timed("check+apply, updated", lambda: again(self.changed, "updated"))
        finally:
            session.close()

    def floor_once(self, n: int) -> None:
        org_id, _ = self.new_school(1000 + n)
        now = _now()
        rows = [
            {
                "organisation_id": org_id,
                "staff_number": f"S{i:05d}",
                "given_name": "Given",
                "family_name": f"Family-{i}",
                "name": f"Given Family-{i}",
                "email": f"floor{i}@bench.example.org",
                "start_date": dt.date(2020, 9, 1),
                "leaving_date": None,
                "active": True,
                "created_at": now,
            }
            for i in range(self.rows)
        ]

        def insert_people() -> None:
            with db.engine.begin() as conn:
                conn.execute(insert(Person.__table__), rows)

        self.timed("floor: Core executemany INSERT", insert_people)

    def run(self, repeats: int) -> dict[str, float]:
        with self.app.app_context():
            for n in range(repeats):
                self.import_once(n)
                self.floor_once(n)
            db.engine.dispose()
        return {label: statistics.median(values) for label, values in self.timings.items()}


def report(name: str, rows: int, medians: dict[str, float]) -> bool:
    print(f"\n{name}")
    print(f"  {'phase':<34}{'seconds':>9}{'rows/s':>10}")
    for label, seconds in medians.items():
        print(f"  {label:<34}{seconds:>9.3f}{rows / seconds:>10,.0f}")
    total = medians["check, new"] + medians["apply, new"]
    floor = medians["floor: Core executemany INSERT"]
    ok = total < TARGET_SECONDS
    print(
        f"  check + apply of {rows:,} new staff: {total:.2f} s "
        f"({'under' if ok else 'NOT under'} the {TARGET_SECONDS:.0f} s target); "
        f"apply / floor = {medians['apply, new'] / floor:.1f}x"
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    logging.disable(logging.INFO)

    print("Staff CSV import benchmark")
    print(f"  date:     {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(f"  machine:  {machine()}")
    print(f"  file:     {args.rows:,} staff rows of one school, {args.repeats} repeats, medians")

    ok = True
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        size = len(staff_csv(staff_rows(args.rows, urn=URN)))
        print(f"  CSV size: {size / 1024:,.0f} KB")
        ok &= report(
            "SQLite (temporary file, WAL)", args.rows, Bench(url, args.rows).run(args.repeats)
        )
    if not args.skip_postgres:
        url = normalise_database_url(args.postgres)
        version = prepare_postgres(url)
        bench = Bench(url, args.rows)
        ok &= report(f"{version} ({make_url(url).database})", args.rows, bench.run(args.repeats))
        with bench.app.app_context(), db.engine.begin() as conn:
            conn.execute(text("SELECT 1"))
            db.engine.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
