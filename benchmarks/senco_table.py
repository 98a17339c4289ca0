"""Benchmark of the trust's SENCO table for a trust of 60 schools, on SQLite and PostgreSQL,
with the bare SQL for the same facts timed in the same run as the floor.

The issue: "The trust SENCO table for 60 schools renders in under 100 ms (benchmark script,
figure in the README)."

What it measures, on each database, ``--runs`` times after ``--warmup`` untimed runs:

(a) ``SencoService.trust(organisation_id)`` alone, in a fresh session each run: the schools,
    their current SENCOs and those SENCOs' qualification records loaded, each assessed by the
    rules engine, the table sorted by urgency.
(b) The whole page: ``GET /senco/trust`` through the Flask test client, signed in as a trust
    leader by a launch token (``?lt=``, the cookieless iframe path): sign-in, access check,
    the table, the template, the security headers.
(c) The floor: the same facts with SQLAlchemy Core on one connection (the schools; the
    current appointments with the person's name; their qualification records). No ORM
    objects, no assessment, no HTML.

The data: the measured trust has 60 schools of 40 staff each. Each school has a history of 0
to 2 ended SENCO appointments and, now, one SENCO (every sixth school two joint SENCOs, every
tenth none), appointed between 2005 and last month, with a mix of QTS, prior service, heads as
SENCO, and 0 to 2 qualification records (NPQ or NASENCO; pending, passed, failed or
withdrawn), so every state of the rules appears. A second trust of 20 schools is built the same
way, so every query has rows to filter out.

Databases: SQLite in a temporary file; PostgreSQL database ``cpd_bench_senco`` on
127.0.0.1:5432 (user postgres), created if missing and reset at the start. Both migrated.

Run it from the repository root::

    .venv/bin/python benchmarks/senco_table.py
    .venv/bin/python benchmarks/senco_table.py --runs 50 --skip-postgres

Exit status 1 if the page's median misses 100 ms on any database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import platform as host_platform
import random
import secrets
import sqlite3
import statistics
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy
from sqlalchemy import Engine, insert, or_, select

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.school_compliance import (  # noqa: E402
    Sample,
    _timed,
    cpu_model,
    ensure_postgres,
    load_average,
    percentile,
    say,
)
from cpd_tracker import create_app, migrate  # noqa: E402
from cpd_tracker.auth import LaunchSession, issue_token  # noqa: E402
from cpd_tracker.config import normalise_database_url  # noqa: E402
from cpd_tracker.extensions import db  # noqa: E402
from cpd_tracker.models import (  # noqa: E402
    Organisation,
    OrganisationKind,
    Permission,
    PermissionKind,
    PermissionSource,
    Person,
    QualificationFunding,
    QualificationResult,
    School,
    SencoAppointment,
    SencoQualification,
    SencoQualificationKind,
    StaffRole,
)
from cpd_tracker.services.audit import Actor, AuditService  # noqa: E402
from cpd_tracker.services.senco import SencoService  # noqa: E402

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/cpd_bench_senco"
TARGET_MS = 100.0
BASE_URL = "https://tool.example.org"
SCHOOLS = 60
OTHER_SCHOOLS = 20
STAFF_PER_SCHOOL = 40


@dataclass(frozen=True)
class Seeded:
    organisation_id: int
    leader_id: int
    schools: int
    current_sencos: int
    qualifications: int


def _ids(session: Any, model: type[Any], rows: list[dict[str, Any]]) -> list[int]:
    if not rows:
        return []
    return list(session.scalars(insert(model).returning(model.id), rows))


def _date(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randrange((last - first).days + 1))


def _trust(session: Any, name: str, schools: int, rng: random.Random, today: dt.date) -> Seeded:
    org = Organisation(name=name, kind=OrganisationKind.TRUST)
    session.add(org)
    session.flush()
    school_ids = _ids(
        session,
        School,
        [
            {"organisation_id": org.id, "urn": f"{org.id}{n:05d}", "name": f"School {n:02d}"}
            for n in range(schools)
        ],
    )
    people = _ids(
        session,
        Person,
        [
            {
                "organisation_id": org.id,
                "name": f"Staff {s}-{n}",
                "email": f"staff{s}-{n}@example.org",
                "start_date": dt.date(2005, 9, 1),
            }
            for s in school_ids
            for n in range(STAFF_PER_SCHOOL)
        ],
    )
    session.execute(
        insert(StaffRole),
        [
            {"person_id": pid, "school_id": school_ids[i // STAFF_PER_SCHOOL], "role": "teacher"}
            for i, pid in enumerate(people)
        ],
    )
    appointments: list[dict[str, Any]] = []
    qualifications: list[dict[str, Any]] = []
    current = 0
    for index, school in enumerate(school_ids):
        staff = people[index * STAFF_PER_SCHOOL : (index + 1) * STAFF_PER_SCHOOL]
        chosen = rng.sample(staff, 4)
        started = _date(rng, dt.date(2005, 1, 1), today - dt.timedelta(days=2000))
        for past in chosen[: rng.randrange(3)]:
            ended = started + dt.timedelta(days=rng.randrange(300, 1500))
            appointments.append(_appointment(org.id, school, past, started, ended, rng))
            started = ended
        joint = 0 if index % 10 == 9 else (2 if index % 6 == 5 else 1)
        for senco in chosen[2 : 2 + joint]:
            became = _date(rng, dt.date(2008, 1, 1), today - dt.timedelta(days=30))
            appointments.append(_appointment(org.id, school, senco, became, None, rng))
            qualifications += _qualifications(org.id, senco, became, rng, today)
            current += 1
    session.execute(insert(SencoAppointment), appointments)
    if qualifications:
        session.execute(insert(SencoQualification), qualifications)
    leader = Person(organisation_id=org.id, name=f"{name} leader", email="leader@example.org")
    session.add(leader)
    session.flush()
    session.add_all(
        [
            Permission(
                person_id=leader.id,
                kind=PermissionKind.TRUST_LEADER,
                school_id=None,
                source=PermissionSource.OVERRIDE,
            ),
            Permission(person_id=leader.id, kind=PermissionKind.STAFF, source=PermissionSource.LMS),
        ]
    )
    session.flush()
    return Seeded(org.id, leader.id, schools, current, len(qualifications))


def _appointment(
    org_id: int,
    school_id: int,
    person_id: int,
    started: dt.date,
    ended: dt.date | None,
    rng: random.Random,
) -> dict[str, Any]:
    head = rng.random() < 0.08
    return {
        "organisation_id": org_id,
        "school_id": school_id,
        "person_id": person_id,
        "started_on": started,
        "ended_on": ended,
        "has_qts": head or rng.random() < 0.95,
        "qts_via_partial_access": rng.random() < 0.02,
        "induction_complete": rng.random() < 0.97,
        "teaches_at_school": True,
        "is_head": head,
        "prior_senco_months": rng.choice([0, 0, 0, 0, 6, 12, 13, 30]),
    }


def _qualifications(
    org_id: int, person_id: int, became: dt.date, rng: random.Random, today: dt.date
) -> list[dict[str, Any]]:
    rows = []
    for _ in range(rng.choice([0, 1, 1, 1, 2])):
        kind = rng.choice([SencoQualificationKind.NPQ_SENCO, SencoQualificationKind.NASENCO])
        started = became + dt.timedelta(days=rng.randrange(0, 900))
        result = rng.choice(
            [QualificationResult.PENDING] * 4
            + [QualificationResult.PASSED] * 3
            + [QualificationResult.FAILED, QualificationResult.WITHDRAWN]
        )
        finish = started + dt.timedelta(days=rng.randrange(450, 800))
        passed = result is QualificationResult.PASSED and finish <= today
        rows.append(
            {
                "organisation_id": org_id,
                "person_id": person_id,
                "kind": kind,
                "provider": "Ambition Institute",
                "started_on": started,
                "expected_completion_on": finish if rng.random() < 0.5 else None,
                "completed_on": finish if passed else None,
                "result": result
                if passed or result is not QualificationResult.PASSED
                else QualificationResult.PENDING,
                "funding": QualificationFunding.SCHOLARSHIP,
            }
        )
    return rows


# ---------------------------------------------------------------- measuring


def floor_queries(engine: Engine, organisation_id: int, today: dt.date) -> Callable[[], int]:
    school, appointment = School.__table__, SencoAppointment.__table__
    person, qualification = Person.__table__, SencoQualification.__table__

    def run() -> int:
        with engine.connect() as conn:
            schools = conn.execute(
                select(school.c.id, school.c.name, school.c.urn).where(
                    school.c.organisation_id == organisation_id
                )
            ).all()
            current = conn.execute(
                select(appointment, person.c.name)
                .join(person, person.c.id == appointment.c.person_id)
                .where(
                    appointment.c.organisation_id == organisation_id,
                    or_(appointment.c.ended_on.is_(None), appointment.c.ended_on > today),
                )
            ).all()
            quals = conn.execute(
                select(qualification).where(
                    qualification.c.organisation_id == organisation_id,
                    qualification.c.person_id.in_({row.person_id for row in current}),
                )
            ).all()
        return len(schools) + len(current) + len(quals)

    return run


@dataclass
class Timings:
    service: Sample
    page: Sample
    floor: Sample


def measure(url: str, runs: int, warmup: int, seed: int) -> tuple[Seeded, Timings]:
    app = create_app(
        {"DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32), "BASE_URL": BASE_URL}
    )
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    today = dt.datetime.now(dt.UTC).date()
    rng = random.Random(seed)
    with app.app_context():
        migrate.upgrade(db.engine)
        session = db.new_session()
        try:
            seeded = _trust(session, "Measured Trust", SCHOOLS, rng, today)
            _trust(session, "Other Trust", OTHER_SCHOOLS, rng, today)
            session.commit()
        finally:
            session.close()

        def service_once() -> None:
            fresh = db.new_session()
            try:
                service = SencoService(fresh, AuditService(fresh, Actor("cli")), _clock)
                assert len(service.trust(seeded.organisation_id)) == SCHOOLS
            finally:
                fresh.close()

        floor = floor_queries(db.engine, seeded.organisation_id, today)
        floor()
        service = _timed(service_once, runs, warmup, False)
        floor_ms = _timed(floor, runs, warmup, False)
        token = issue_token(LaunchSession.new(seeded.leader_id, seeded.organisation_id, None))
    client = app.test_client()
    client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": "tool.example.org"})

    def page_once() -> None:
        response = client.get("/senco/trust", query_string={"lt": token})
        body = response.get_data(as_text=True)
        if response.status_code != 200 or body.count("School ") < SCHOOLS:
            raise RuntimeError(f"GET /senco/trust: HTTP {response.status_code}: {body[:300]!r}")

    page_once()
    page = _timed(page_once, runs, warmup, False)
    with app.app_context():
        db.engine.dispose()
    return seeded, Timings(service, page, floor_ms)


def _clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def report(name: str, version: str, seeded: Seeded, timings: Timings) -> bool:
    floor_median = statistics.median(timings.floor.ms)
    say(
        f"\n{name} {version}: {seeded.schools} schools, {seeded.current_sencos} current SENCOs, "
        f"{seeded.qualifications} qualification records"
    )
    say(f"  {'what':<44} {'median ms':>9} {'p95 ms':>8} {'min ms':>8} {'÷ floor':>8}")
    for label, sample in (
        ("(a) SencoService.trust() alone", timings.service),
        ("(b) GET /senco/trust, the whole page", timings.page),
        ("(c) floor: bare SQL, the same facts", timings.floor),
    ):
        median = statistics.median(sample.ms)
        say(
            f"  {label:<44} {median:>9.1f} {percentile(sample.ms, 95):>8.1f} "
            f"{min(sample.ms):>8.1f} {median / floor_median:>7.1f}x"
        )
    median, p95 = statistics.median(timings.page.ms), percentile(timings.page.ms, 95)
    met = median < TARGET_MS
    say(
        f"  target, page under {TARGET_MS:.0f} ms: median {median:.1f} ms "
        f"{'met' if met else 'NOT met'}; p95 {p95:.1f} ms "
        f"{'met' if p95 < TARGET_MS else 'NOT met'}"
    )
    return met


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026, help="random seed for the data")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.warmup < 0:
        parser.error("--runs must be at least 1 and --warmup at least 0")

    say("Trust SENCO table benchmark")
    say(f"  date     {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    say(f"  machine  {cpu_model()}, {os.cpu_count()} CPUs, {host_platform.platform()}")
    say(
        f"  software Python {host_platform.python_version()}, SQLAlchemy {sqlalchemy.__version__},"
        f" SQLite {sqlite3.sqlite_version}, psycopg {psycopg.__version__}"
    )
    say(f"  runs     {args.runs} timed after {args.warmup} warm-up; p95 is nearest-rank")
    say(f"  load     {load_average()} (1, 5, 15 min) at the start")
    all_met = True
    with tempfile.TemporaryDirectory(prefix="cpd-bench-") as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        seeded, timings = measure(url, args.runs, args.warmup, args.seed)
        all_met &= report("SQLite", sqlite3.sqlite_version, seeded, timings)
    if not args.skip_postgres:
        url = normalise_database_url(args.postgres_url)
        version = ensure_postgres(url)
        seeded, timings = measure(url, args.runs, args.warmup, args.seed)
        all_met &= report("PostgreSQL", version.split()[0], seeded, timings)
    say(f"\n  load     {load_average()} (1, 5, 15 min) at the end")
    return 0 if all_met else 1


if __name__ == "__main__":
    sys.exit(main())
