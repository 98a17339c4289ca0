"""Benchmark of the dashboards at trust scale (issue 6, "Scale"; issue 18, item 5, "Scale ten
times"), on SQLite and PostgreSQL.

Issue 6: "A benchmark script generates a trust of 60 schools, 6,000 staff, 30 requirements
and about 400,000 completions, then times each report on SQLite and on PostgreSQL, with the
single aggregate SQL query for the same figures timed in the same run as the floor." Targets on
PostgreSQL: trust dashboard under 300 ms, school dashboard under 100 ms, each within 3x of its
floor; a CSV of every status row of the trust (about 180,000 rows) streams in under 150 MB.
Issue 18 asks the same at ``--schools 600`` (60,000 staff, about 4 million completions), with
the facts of the whole organisation refreshed in under 5 minutes and the first school page
after one completion under 100 ms.

What it does, per database:

1. Seeds the trust with bulk Core statements (``RETURNING`` where ids are needed, else
   ``COPY`` on PostgreSQL with the seed's foreign keys unchecked), with each school's SENCO
   appointed and a year of monthly coverage snapshots, so every part of each dashboard (the
   trend charts, the SENCO state and table) has its data. ``--reuse`` keeps a trust of the
   same size a previous run seeded.
2. Recomputes the status facts of every school (``StatusFactsService.ensure_fresh`` with
   every school marked stale, as ``cpd-tracker report-status refresh --all``: the status
   engine's timelines for every school, person and requirement, and each school's kept
   counts) and prints how long that took.
3. Times, ``--runs`` times after a warm-up, through the Flask test client signed in as a trust
   leader by a launch token (``?lt=``): ``GET /trust`` (matrix, ranking, SENCO table, the
   whole page) and ``GET /schools/<id>`` (coverage, heatmap, gap lists, hours, SENCO, ...).
4. Times each page's floor in the same run, taking turns with the page: one SQL statement
   returning every figure the page shows, run with SQLAlchemy Core on a bare connection
   (``report_floors.py`` says what each holds). The trust page's floor reads the counts kept
   per school, requirement and status (what the page reads); the floor over every status row
   it replaced is printed beside it, as is the school page's narrower floor.
5. Streams ``GET /trust/statuses.csv`` (every status row) in a child process and reports its
   peak resident memory (``ru_maxrss``, the whole process: interpreter, app and all) and rows.
6. Times the first school page after a completion is recorded (that person's rows
   recomputed, the school recounted), once for each of ``--runs`` schools.

Needs PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres); uses the database
``cpd_bench_reports`` (created if missing, schema reset). Run from the repository root::

    .venv/bin/python benchmarks/reports_scale.py
    .venv/bin/python benchmarks/reports_scale.py --skip-sqlite --runs 20
    .venv/bin/python benchmarks/reports_scale.py --skip-sqlite --schools 600

Exit status 1 if a PostgreSQL target is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import enum
import gc
import json
import logging
import os
import platform as host_platform
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy
from sqlalchemy import Engine, event, func, insert, select, update

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from report_floors import (  # noqa: E402
    kept_trust_floor,
    narrow_school_floor,
    school_floor,
    trust_floor,
)
from school_compliance import (  # noqa: E402
    cpu_model,
    ensure_postgres,
    load_average,
    percentile,
)

from cpd_tracker import create_app, migrate  # noqa: E402
from cpd_tracker.auth import LaunchSession, issue_token  # noqa: E402
from cpd_tracker.config import normalise_database_url  # noqa: E402
from cpd_tracker.extensions import db  # noqa: E402
from cpd_tracker.models import (  # noqa: E402
    Completion,
    CompletionMethod,
    CoverageSnapshot,
    Delivery,
    DueRule,
    Module,
    Organisation,
    OrganisationKind,
    Permission,
    PermissionKind,
    PermissionSource,
    Person,
    ReportStatus,
    ReportStatusSchool,
    Requirement,
    School,
    SencoAppointment,
    StaffRole,
    StaffRoleKind,
    Tier,
)
from cpd_tracker.rules.training import add_months  # noqa: E402
from cpd_tracker.services.status_facts import StatusFactsService  # noqa: E402

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/cpd_bench_reports"
BASE_URL = "https://tool.example.org"
SCHOOLS = 60
STAFF_PER_SCHOOL = 100
REQUIREMENTS = 30
#: Months of coverage snapshots behind the trend charts (the dashboards show the last 12).
TREND_MONTHS = 12
TRUST_TARGET_MS = 300.0
SCHOOL_TARGET_MS = 100.0
FLOOR_RATIO = 3.0
CSV_TARGET_MB = 150.0
#: Issue 18, item 5: the facts of the whole organisation (600 schools) refreshed in 5 minutes.
FACTS_TARGET_S = 300.0

T, TA, SUP, LEAD, SENCO, GOV = (
    StaffRoleKind.TEACHER,
    StaffRoleKind.TEACHING_ASSISTANT,
    StaffRoleKind.SUPPORT_STAFF,
    StaffRoleKind.LEADER,
    StaffRoleKind.SENCO,
    StaffRoleKind.GOVERNOR,
)
#: A school's 100 staff: (count, roles).
STAFF_MIX: list[tuple[int, tuple[StaffRoleKind, ...]]] = [
    (42, (T,)),
    (28, (TA,)),
    (16, (SUP,)),
    (5, (LEAD, T)),
    (1, (SENCO, T)),
    (2, (TA, SUP)),
    (6, (GOV,)),
]
assert sum(n for n, _ in STAFF_MIX) == STAFF_PER_SCHOOL
PHASES = ("primary", "secondary", "special", "all-through")


def say(message: str = "") -> None:
    print(message, flush=True)


# ---------------------------------------------------------------- the data


@dataclass(frozen=True)
class Seeded:
    organisation_id: int
    leader_id: int
    school_id: int
    schools: int
    people: int
    requirements: int
    completions: int


def _requirement_rows(
    rng: random.Random, org_id: int, modules: list[int], introduced: dt.datetime
) -> list[dict[str, Any]]:
    """27 for all staff, 3 for teachers and teaching assistants; rules and validities mixed."""
    rows = []
    for i, module_id in enumerate(modules[:REQUIREMENTS]):
        rule = (DueRule.FIXED_DATE, DueRule.DAYS_AFTER_START, DueRule.DAYS_AFTER_APPOINTMENT)[i % 3]
        rows.append(
            {
                "organisation_id": org_id,
                "module_id": module_id,
                "school_id": None,
                "roles": [T.value, TA.value] if i >= 27 else [],
                "due_rule": rule,
                "due_days": None if rule is DueRule.FIXED_DATE else rng.choice([30, 60, 90, 180]),
                "due_month": 9 if rule is DueRule.FIXED_DATE else None,
                "due_day": 1 if rule is DueRule.FIXED_DATE else None,
                "validity_months": rng.choice([12, 24, 36, None]),
                "window_days": 60,
                "due_soon_days": 30,
                "notes": "",
                "created_at": introduced,
            }
        )
    return rows


def _history(rng: random.Random, validity: int | None, today: dt.date) -> list[dt.date]:
    """None to four completion dates, the latest sometimes past its validity."""
    if rng.random() > 0.88:
        return []
    cycle = (validity or 24) * 30
    latest = today - dt.timedelta(days=rng.randint(0, int(cycle * 1.2)))
    dates = [latest]
    for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
        dates.append(dates[-1] - dt.timedelta(days=cycle + rng.randint(-20, 20)))
    return dates


def bulk(conn: Any, model: type[Any], rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (the same keys each) into ``model``'s table: PostgreSQL's ``COPY``
    (600 schools have some 4 million completions; an executemany of them took minutes), an
    executemany elsewhere. Columns with a Python-side default missing from the rows get it,
    as a Core INSERT would give them."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(insert(model), rows)
        return
    table = model.__table__
    names = list(rows[0])
    filled: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if column.name in names or default is None or column.primary_key:
            continue
        filled[column.name] = default.arg if default.is_scalar else default.arg(None)
    columns = names + list(filled)
    extra = tuple(filled.values())

    def plain(value: Any) -> Any:
        return value.value if isinstance(value, enum.Enum) else value

    raw = conn.connection.driver_connection
    quoted = ", ".join(f'"{c}"' for c in columns)
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(tuple(plain(row[c]) for c in names) + extra)


def seed(engine: Engine, today: dt.date, rng: random.Random, n_schools: int = SCHOOLS) -> Seeded:
    """The trust on one connection: a statement per table with ``RETURNING`` for the rows
    whose ids are needed, ``bulk`` (``COPY``) for the rest."""
    now = dt.datetime.now(dt.UTC)
    introduced = now - dt.timedelta(days=6 * 365)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # The seed's foreign keys hold by construction: no trigger checks them row by
            # row (4 million completions; the benchmark connects as a superuser).
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")

        def ids(model: type[Any], rows: list[dict[str, Any]]) -> list[int]:
            statement = insert(model).returning(model.id, sort_by_parameter_order=True)
            return list(conn.scalars(statement, rows))

        [org_id] = ids(
            Organisation,
            [{"name": "Benchmark Trust", "kind": OrganisationKind.TRUST, "created_at": now}],
        )
        schools = ids(
            School,
            [
                {
                    "organisation_id": org_id,
                    "urn": str(140000 + i),
                    "name": f"School {i:02d}",
                    "phase": PHASES[i % len(PHASES)],
                    "created_at": now,
                }
                for i in range(n_schools)
            ],
        )
        modules = ids(
            Module,
            [
                {
                    "organisation_id": org_id,
                    "slug": f"module-{i:02d}",
                    "title": f"Module {i:02d}",
                    "summary": "",
                    "tier": Tier.AWARENESS,
                    "cpd_hours": Decimal("1.5"),
                    "delivery": Delivery.EXTERNAL,
                    "created_at": now,
                }
                for i in range(REQUIREMENTS + 4)
            ],
        )
        requirement_rows = _requirement_rows(rng, org_id, modules, introduced)
        requirement_ids = ids(Requirement, requirement_rows)
        people_rows: list[dict[str, Any]] = []
        placements: list[tuple[int, tuple[StaffRoleKind, ...]]] = []
        for school_id in schools:
            for count, roles in STAFF_MIX:
                for _ in range(count):
                    n = len(people_rows)
                    start = today - dt.timedelta(days=rng.randint(-30, 20 * 365))
                    leaving = (
                        today - dt.timedelta(days=rng.randint(1, 200)) if n % 97 == 0 else None
                    )
                    people_rows.append(
                        {
                            "organisation_id": org_id,
                            "given_name": f"Given{n}",
                            "family_name": f"Family{n % 977}",
                            "email": f"person{n}@bench.example.org",
                            "start_date": start,
                            "leaving_date": leaving,
                            "active": True,
                            "last_launch_at": now if n % 3 else None,
                            "created_at": now,
                        }
                    )
                    placements.append((school_id, roles))
        people = ids(Person, people_rows)
        bulk(
            conn,
            StaffRole,
            [
                {
                    "person_id": pid,
                    "school_id": school_id,
                    "role": role,
                    "started_on": people_rows[i]["start_date"],
                    "ended_on": None,
                }
                for i, (pid, (school_id, roles)) in enumerate(zip(people, placements, strict=True))
                for role in roles
            ],
        )
        completions: list[dict[str, Any]] = []
        total = 0
        for i, pid in enumerate(people):
            roles = placements[i][1]
            for requirement, module_id in zip(requirement_rows, modules, strict=False):
                if requirement["roles"] and not {r.value for r in roles} & set(
                    requirement["roles"]
                ):
                    continue
                for day in _history(rng, requirement["validity_months"], today):
                    completions.append(
                        {
                            "organisation_id": org_id,
                            "person_id": pid,
                            "module_id": module_id,
                            "completed_on": day,
                            "method": CompletionMethod.IMPORTED,
                            "cpd_hours": Decimal("1.5"),
                            "note": "",
                            "created_at": now,
                        }
                    )
            if rng.random() < 0.3:  # optional training on top
                completions.append({**completions[-1], "module_id": modules[-1]})
            if len(completions) >= 50000:
                bulk(conn, Completion, completions)
                total += len(completions)
                completions = []
        if completions:
            bulk(conn, Completion, completions)
            total += len(completions)
        _seed_sencos(conn, org_id, people, placements, people_rows, rng)
        _seed_snapshots(conn, org_id, schools, requirement_ids, today, rng)
        leader_id = people[0]
        conn.execute(
            insert(Permission),
            [
                {
                    "person_id": leader_id,
                    "kind": kind,
                    "school_id": None,
                    "source": PermissionSource.OVERRIDE,
                    "revoked": False,
                    "created_at": now,
                }
                for kind in (PermissionKind.STAFF, PermissionKind.TRUST_LEADER)
            ],
        )
    return Seeded(org_id, leader_id, schools[0], len(schools), len(people), REQUIREMENTS, total)


def seeded_before(engine: Engine, n_schools: int) -> Seeded | None:
    """The trust a previous run seeded (``--reuse``), if it has ``n_schools`` schools."""
    with engine.connect() as conn:
        org_id = conn.scalar(select(Organisation.id).where(Organisation.name == "Benchmark Trust"))
        if org_id is None:
            return None
        schools = list(
            conn.scalars(
                select(School.id).where(School.organisation_id == org_id).order_by(School.id)
            )
        )
        if len(schools) != n_schools:
            return None
        leader = conn.scalar(
            select(Permission.person_id).where(Permission.kind == PermissionKind.TRUST_LEADER)
        )
        people = conn.scalar(select(func.count()).select_from(Person)) or 0
        done = conn.scalar(select(func.count()).select_from(Completion)) or 0
    return Seeded(org_id, leader or 0, schools[0], len(schools), people, REQUIREMENTS, done)


def _seed_sencos(
    conn: Any,
    org_id: int,
    people: list[int],
    placements: list[tuple[int, tuple[StaffRoleKind, ...]]],
    people_rows: list[dict[str, Any]],
    rng: random.Random,
) -> None:
    """Each school's SENCO (the staff member with the SENCO role) appointed, so the SENCO
    state and table have someone to assess."""
    conn.execute(
        insert(SencoAppointment),
        [
            {
                "organisation_id": org_id,
                "school_id": school_id,
                "person_id": pid,
                "started_on": people_rows[i]["start_date"] + dt.timedelta(days=rng.randint(0, 900)),
                "ended_on": None,
                "has_qts": True,
                "is_head": False,
                "prior_senco_months": rng.choice([0, 0, 6, 14]),
            }
            for i, (pid, (school_id, roles)) in enumerate(zip(people, placements, strict=True))
            if SENCO in roles
        ],
    )


def _seed_snapshots(
    conn: Any,
    org_id: int,
    schools: list[int],
    requirements: list[int],
    today: dt.date,
    rng: random.Random,
) -> None:
    """A year of monthly snapshots for every school and requirement (what ``cpd-tracker
    snapshots take`` leaves after a year), so the trend charts draw a full year."""
    current = today.replace(day=1)
    rows = []
    for school_id in schools:
        for requirement_id in requirements:
            start = rng.uniform(0.4, 0.8)
            for back in range(TREND_MONTHS):
                month = add_months(current, -back)
                applicable = 95
                compliant = round(applicable * min(1.0, start + (TREND_MONTHS - back) * 0.02))
                rows.append(
                    {
                        "organisation_id": org_id,
                        "school_id": school_id,
                        "requirement_id": requirement_id,
                        "month": month,
                        "as_of": min(add_months(month, 1) - dt.timedelta(days=1), today),
                        "applicable": applicable,
                        "compliant": compliant,
                        "overdue": applicable - compliant,
                        "backfilled": back >= TREND_MONTHS // 2,
                    }
                )
    bulk(conn, CoverageSnapshot, rows)


# ---------------------------------------------------------------- timing


def timed_together(
    fns: Sequence[Callable[[], object]], runs: int, warmup: int
) -> list[list[float]]:
    """Each function timed ``runs`` times, taking turns (a page, then its floor, ...), so a
    slow moment of a shared machine falls on both alike rather than on one of them."""
    for fn in fns:
        for _ in range(warmup):
            fn()
    samples: list[list[float]] = [[] for _ in fns]
    for _ in range(runs):
        for fn, sample in zip(fns, samples, strict=True):
            started = time.perf_counter()
            fn()
            sample.append((time.perf_counter() - started) * 1000)
    return samples


def captured(engine: Engine, request: Callable[[], None]) -> list[tuple[str, Any]]:
    """Every SQL statement (and its parameters) one page request runs."""
    statements: list[tuple[str, Any]] = []

    def note(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", note)
    try:
        request()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return statements


def replay(engine: Engine, statements: list[tuple[str, Any]]) -> Callable[[], int]:
    """The page's SQL alone: the same statements on one bare connection, rows fetched."""

    def run() -> int:
        rows = 0
        with engine.connect() as conn:
            for statement, parameters in statements:
                result = conn.exec_driver_sql(statement, parameters)
                if result.returns_rows:
                    rows += len(result.fetchall())
            conn.rollback()
        return rows

    return run


@dataclass
class Result:
    name: str
    version: str
    seeded: Seeded
    seed_s: float
    facts_s: float
    facts_rows: int
    trust: list[float]
    trust_floor: list[float]
    trust_narrow: list[float]
    trust_cells: list[float]
    school: list[float]
    school_floor: list[float]
    school_narrow: list[float]
    trust_sql: list[float]
    school_sql: list[float]
    recompute_ms: list[float]
    csv: dict[str, Any]


def _app(url: str) -> Any:
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-" + "x" * 40, "BASE_URL": BASE_URL})
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return app


def measure(
    name: str,
    version: str,
    url: str,
    runs: int,
    warmup: int,
    seed_value: int,
    schools: int,
    freeze: bool = False,
    reuse: bool = False,
    keep_facts: bool = False,
    skip_csv: bool = False,
) -> Result:
    app = _app(url)
    today = dt.datetime.now(dt.UTC).date()
    with app.app_context():
        migrate.upgrade(db.engine)
        found = seeded_before(db.engine, schools) if reuse else None
        started = time.perf_counter()
        seeded = found or seed(db.engine, today, random.Random(seed_value), schools)
        seed_s = time.perf_counter() - started
        say(
            f"  {name}: {'seeded' if found is None else 'the trust seeded before, found'} in "
            f"{seed_s:.1f} s; computing status facts for every school ..."
        )
        session = db.new_session()
        started = time.perf_counter()
        if not keep_facts:
            # Every school recomputed, as ``cpd-tracker report-status refresh --all`` does.
            session.execute(
                update(ReportStatusSchool)
                .where(ReportStatusSchool.organisation_id == seeded.organisation_id)
                .values(valid_until=ReportStatusSchool.computed_on)
            )
        StatusFactsService(session).ensure_fresh(seeded.organisation_id, today)
        session.commit()
        # Not a refresh of every school with --keep-facts: not compared with the target.
        facts_s = -1.0 if keep_facts else time.perf_counter() - started
        rows = session.scalar(select(func.count()).select_from(ReportStatus)) or 0
        say(
            f"  status facts {'kept (--keep-facts)' if keep_facts else 'for every school'}: "
            f"{facts_s:.1f} s, {rows} rows"
        )
        session.close()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                conn.execute(sqlalchemy.text("ANALYZE"))
                conn.commit()
        token = issue_token(LaunchSession.new(seeded.leader_id, seeded.organisation_id, None))
        if freeze:
            gc.collect()
            gc.freeze()
        engine = db.engine
    first_month = add_months(today.replace(day=1), -(TREND_MONTHS - 1))
    floor_t = kept_trust_floor(engine, seeded.organisation_id, first_month)
    # The same before the matrix was paged and each school's totals kept: every cell read.
    cells_t = kept_trust_floor(engine, seeded.organisation_id, first_month, None)
    floor_s = school_floor(engine, seeded.organisation_id, seeded.school_id, today, first_month)
    # The trust's floor before its counts were kept: grouped over every status row.
    narrow_t = trust_floor(engine, seeded.organisation_id, today, first_month)
    narrow_s = narrow_school_floor(engine, seeded.organisation_id, seeded.school_id, today)
    # The kept counts are the status rows, counted.
    assert floor_t() == cells_t() == narrow_t() == rows

    client = app.test_client()
    client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": "tool.example.org"})

    def page(path: str, must: str) -> Callable[[], None]:
        def run() -> None:
            response = client.get(path, query_string={"lt": token})
            body = response.get_data(as_text=True)
            if response.status_code != 200 or must not in body:
                raise RuntimeError(f"GET {path}: HTTP {response.status_code}: {body[:300]!r}")

        return run

    trust_page = page("/trust", "Schools by gap")
    school_page = page(f"/schools/{seeded.school_id}", "Who to chase")
    trust_sql = replay(engine, captured(engine, trust_page))
    school_sql = replay(engine, captured(engine, school_page))
    trust_ms, trust_floor_ms, trust_narrow_ms, trust_sql_ms, trust_cells_ms = timed_together(
        [trust_page, floor_t, narrow_t, trust_sql, cells_t], runs, warmup
    )
    school_ms, school_floor_ms, school_narrow_ms, school_sql_ms = timed_together(
        [school_page, floor_s, narrow_s, school_sql], runs, warmup
    )

    # The first read after a write: one completion recorded (its person marked), then the
    # school page, which recomputes that person's rows and recounts the school. Each run a
    # different person of a different school.
    recompute_ms: list[float] = []
    with app.app_context():
        session = db.new_session()
        module_id = session.scalar(select(func.min(Requirement.module_id)))
        targets = session.execute(
            select(StaffRole.school_id, func.min(StaffRole.person_id))
            .join(School, School.id == StaffRole.school_id)
            .where(School.organisation_id == seeded.organisation_id)
            .group_by(StaffRole.school_id)
            .order_by(StaffRole.school_id)
            .limit(runs)
        ).all()
        session.close()
    for school_id, person_id in targets:
        with app.app_context():
            session = db.new_session()
            session.add(
                Completion(
                    organisation_id=seeded.organisation_id,
                    person_id=person_id,
                    module_id=module_id,
                    completed_on=today,
                    method=CompletionMethod.RECORDED,
                    cpd_hours=Decimal("1"),
                )
            )
            session.commit()
            session.close()
        started = time.perf_counter()
        page(f"/schools/{school_id}", "Who to chase")()
        recompute_ms.append((time.perf_counter() - started) * 1000)

    with app.app_context():
        db.engine.dispose()
    csv = (
        {"rows": rows, "bytes": 0, "seconds": 0, "rss_before_mb": 0, "peak_rss_mb": 0}
        if skip_csv
        else export_in_child(url, seeded, token)
    )
    return Result(
        name,
        version,
        seeded,
        seed_s,
        facts_s,
        rows,
        trust_ms,
        trust_floor_ms,
        trust_narrow_ms,
        trust_cells_ms,
        school_ms,
        school_floor_ms,
        school_narrow_ms,
        trust_sql_ms,
        school_sql_ms,
        recompute_ms,
        csv,
    )


def export_in_child(url: str, seeded: Seeded, token: str) -> dict[str, Any]:
    """Stream the trust's statuses CSV in a fresh process; its peak RSS is the export's."""
    child = subprocess.run(
        [sys.executable, __file__, "--export-child", url, token],
        capture_output=True,
        text=True,
        check=False,
    )
    if child.returncode != 0:
        raise RuntimeError(f"the export child failed: {child.stderr[-2000:]}")
    found: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    return found


def postgres_version(url: str) -> str:
    plain = sqlalchemy.make_url(url).set(drivername="postgresql")
    with psycopg.connect(plain.render_as_string(hide_password=False)) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]).split()[0] if row else "unknown"


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM). Not ``ru_maxrss``: Linux carries that
    across ``exec`` from the forked parent, so a child would report the benchmark's own."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def export_child(url: str, token: str) -> None:
    app = _app(url)
    client = app.test_client()
    client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": "tool.example.org"})
    before = peak_rss_mb()
    started = time.perf_counter()
    response = client.get("/trust/statuses.csv", query_string={"lt": token}, buffered=False)
    assert response.status_code == 200, response.status_code
    lines = 0
    size = 0
    for chunk in response.response:
        data = chunk if isinstance(chunk, bytes) else chunk.encode()
        lines += data.count(b"\n")
        size += len(data)
    response.close()
    seconds = time.perf_counter() - started
    peak = peak_rss_mb()
    print(
        json.dumps(
            {
                "rows": lines - 1,
                "bytes": size,
                "seconds": round(seconds, 2),
                "rss_before_mb": before,
                "peak_rss_mb": peak,
            }
        )
    )


# ---------------------------------------------------------------- report


def report(result: Result) -> bool:
    s = result.seeded
    say(f"\n{result.name} {result.version}")
    say(
        f"  data: {s.schools} schools, {s.people} staff, {s.requirements} requirements, "
        f"{s.completions} completions; {result.facts_rows} status rows"
    )
    say(
        f"  seeding {result.seed_s:.1f} s; status facts for the whole trust {result.facts_s:.1f} s "
        f"({result.facts_s / max(1, result.facts_rows) * 1e6:.0f} µs a row)"
    )
    say(f"  {'what':<46} {'median ms':>9} {'p95 ms':>8} {'÷ floor':>8}")
    met = True
    pairs = [
        ("GET /trust (whole page)", result.trust, result.trust_floor, TRUST_TARGET_MS),
        ("  the page's own SQL, replayed bare", result.trust_sql, result.trust_floor, None),
        ("  floor: one statement, kept counts", result.trust_floor, result.trust_floor, None),
        ("  (before: every school's cells read)", result.trust_cells, result.trust_floor, None),
        ("  (before: counted over every row)", result.trust_narrow, result.trust_floor, None),
        ("GET /schools/<id> (whole page)", result.school, result.school_floor, SCHOOL_TARGET_MS),
        ("  the page's own SQL, replayed bare", result.school_sql, result.school_floor, None),
        ("  floor: one statement, every figure", result.school_floor, result.school_floor, None),
        ("  (coverage counts only, one GROUP BY)", result.school_narrow, result.school_floor, None),
    ]
    for label, sample, floor, target in pairs:
        median, floor_median = statistics.median(sample), statistics.median(floor)
        ratio = median / floor_median
        verdict = ""
        if target is not None:
            fast, close = median < target, ratio <= FLOOR_RATIO
            met &= fast and close
            verdict = (
                f"  under {target:.0f} ms: {'met' if fast else 'NOT met'}; "
                f"within {FLOOR_RATIO:.0f}x of the floor: {'met' if close else 'NOT met'}"
            )
        say(f"  {label:<46} {median:>9.1f} {percentile(sample, 95):>8.1f} {ratio:>7.1f}x{verdict}")
    facts_ok = 0 <= result.facts_s < FACTS_TARGET_S
    first = result.recompute_ms
    first_ok = statistics.median(first) < SCHOOL_TARGET_MS
    met &= facts_ok and first_ok
    say(
        f"  status facts for the whole organisation: {result.facts_s:.0f} s; target under "
        f"{FACTS_TARGET_S:.0f} s: {'met' if facts_ok else 'NOT met'}"
    )
    say(
        f"  first school page after a completion (its person recomputed, the school recounted),"
        f" {len(first)} schools: median {statistics.median(first):.0f} ms, p95 "
        f"{percentile(first, 95):.0f} ms; target under {SCHOOL_TARGET_MS:.0f} ms: "
        f"{'met' if first_ok else 'NOT met'}"
    )
    csv = result.csv
    if not csv["bytes"]:
        say("  GET /trust/statuses.csv: not run (--skip-csv)")
        return met
    csv_ok = bool(csv["peak_rss_mb"] < CSV_TARGET_MB and csv["rows"] == result.facts_rows)
    met &= csv_ok
    say(
        f"  GET /trust/statuses.csv: {csv['rows']} rows, {csv['bytes'] / 1e6:.1f} MB in "
        f"{csv['seconds']} s; process peak RSS (VmHWM) {csv['peak_rss_mb']} MB (app loaded: "
        f"{csv['rss_before_mb']} MB); target < {CSV_TARGET_MB:.0f} MB and every row: "
        f"{'met' if csv_ok else 'NOT met'}"
    )
    return met


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--schools", type=int, default=SCHOOLS, help="for a quick trial run")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="PostgreSQL: keep the trust a previous run of the same size seeded (no reset)",
    )
    parser.add_argument(
        "--keep-facts",
        action="store_true",
        help="with --reuse: keep its status facts (only what is stale recomputed, not timed)",
    )
    parser.add_argument("--skip-csv", action="store_true", help="no statuses CSV export")
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="gc.freeze() before timing, as cpd_tracker/wsgi.py does after start-up",
    )
    parser.add_argument("--export-child", nargs=2, metavar=("URL", "TOKEN"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.export_child:
        export_child(*args.export_child)
        return 0

    say("Dashboards at trust scale")
    say(f"  date     {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    say(f"  machine  {cpu_model()}, {os.cpu_count()} CPUs, {host_platform.platform()}")
    say(
        f"  software Python {host_platform.python_version()}, SQLAlchemy {sqlalchemy.__version__},"
        f" SQLite {sqlite3.sqlite_version}, psycopg {psycopg.__version__}"
    )
    say(
        f"  runs     {args.runs} timed after {args.warmup} warm-up; medians, p95 nearest-rank;"
        f" gc.freeze() {'on' if args.gc_freeze else 'off'}"
    )
    say(f"  load     {load_average()} (1, 5, 15 min) at the start")
    results = []
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory(prefix="cpd-bench-") as folder:
            url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
            results.append(
                measure(
                    "SQLite",
                    sqlite3.sqlite_version,
                    url,
                    args.runs,
                    args.warmup,
                    args.seed,
                    args.schools,
                    args.gc_freeze,
                )
            )
            report(results[-1])
    all_met = True
    if not args.skip_postgres:
        url = normalise_database_url(args.postgres_url)
        version = postgres_version(url) if args.reuse else ensure_postgres(url).split()[0]
        result = measure(
            "PostgreSQL",
            version,
            url,
            args.runs,
            args.warmup,
            args.seed,
            args.schools,
            args.gc_freeze,
            args.reuse,
            args.keep_facts,
            args.skip_csv,
        )
        all_met = report(result)
    say(f"\n  load     {load_average()} (1, 5, 15 min) at the end")
    return 0 if all_met else 1


if __name__ == "__main__":
    sys.exit(main())
