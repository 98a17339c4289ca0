"""Benchmark of the school compliance page (a school of 150 staff and 12 requirements) on
SQLite and PostgreSQL, with the bare SQL for the same facts timed in the same run as the floor.

The issue: "The school compliance page for a school of 150 staff and 12 requirements renders in
under 150 ms on SQLite and PostgreSQL (benchmark script, with the bare SQL for the same data
timed in the same run as the floor)."

What it measures, on each database, ``--runs`` times after ``--warmup`` untimed runs:

(a) ``ComplianceService.school(school, today)`` alone, in a fresh session each run (nothing
    cached in the identity map): the facts loaded and every status assessed.
(b) The whole page: ``GET /schools/<id>`` through the Flask test client, signed in as the
    school's CPD lead by a launch token (``?lt=``, the cookieless iframe path, where every link
    on the page also carries a fresh token): sign-in, access check, compliance, the courses
    list, the template, the security headers.
(c) The floor: the same facts fetched with SQLAlchemy Core on one connection: staff with their
    current roles, the requirements with their modules, then completions, exemptions and
    extensions of those people for those modules/requirements. No ORM objects, no statuses,
    no HTML.

It prints median and p95 (nearest rank) of each, the ratio of the page to the floor, and
whether the page's p95 is under the 150 ms target, with the machine, versions and date.

The data, built through the models with bulk inserts: one trust with the measured school (150
people on the staff list: teachers, teaching assistants, support staff, leaders, a SENCO,
governors; some with two roles; start dates from 2008 to a few weeks ahead; 4 of them leavers)
and two other schools of 120 staff each, so every query has other rows to filter out. 16 modules;
12 requirements at the measured school (11 trust-wide, 1 the school's own; another school's
own requirement is not counted), mixing days-after-start, days-after-appointment and fixed-date
rules, validities of 12, 24 and 36 months or none, and audiences from all staff to governors.
Completions: for about 85% of person-requirement pairs a history of one to three cycles (about
2.3 on average), the latest sometimes older than its validity (expired); optional training on
top; a few exemptions and extensions.

Databases: SQLite in a temporary file; PostgreSQL database ``cpd_bench_compliance`` on
127.0.0.1:5432 (user postgres), created if missing and reset (schema dropped) at the start.
Both are migrated with the app's migrations.

Run it from the repository root::

    .venv/bin/python benchmarks/school_compliance.py
    .venv/bin/python benchmarks/school_compliance.py --runs 50 --skip-postgres

Exit status 1 if the page misses the target on any database.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import logging
import math
import os
import platform as host_platform
import random
import secrets
import sqlite3
import statistics
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
from psycopg import sql
from sqlalchemy import Engine, insert, make_url, select

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cpd_tracker import create_app, migrate  # noqa: E402
from cpd_tracker.auth import LaunchSession, issue_token  # noqa: E402
from cpd_tracker.config import normalise_database_url  # noqa: E402
from cpd_tracker.extensions import db  # noqa: E402
from cpd_tracker.models import (  # noqa: E402
    Completion,
    CompletionMethod,
    Delivery,
    DueRule,
    Exemption,
    Extension,
    Module,
    Organisation,
    OrganisationKind,
    Permission,
    PermissionKind,
    PermissionSource,
    Person,
    Requirement,
    School,
    StaffRole,
    StaffRoleKind,
    Tier,
)
from cpd_tracker.services.compliance import ComplianceService  # noqa: E402

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/cpd_bench_compliance"
LOCAL_DB_HOSTS = {None, "", "127.0.0.1", "localhost", "::1"}
TARGET_MS = 150.0
BASE_URL = "https://tool.example.org"
STAFF = 150
OTHER_SCHOOL_STAFF = 120
LEAVERS = 4


def say(message: str = "") -> None:
    print(message, flush=True)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return host_platform.processor() or "unknown CPU"


# ---------------------------------------------------------------- the data


@dataclass(frozen=True)
class RequirementSpec:
    title: str
    roles: tuple[StaffRoleKind, ...]
    rule: DueRule
    due_days: int | None = None
    validity_months: int | None = None
    hours: str = "1.5"
    #: True: the measured school's own requirement.
    own: bool = False


T, TA, SUP, LEAD, SENCO, GOV = (
    StaffRoleKind.TEACHER,
    StaffRoleKind.TEACHING_ASSISTANT,
    StaffRoleKind.SUPPORT_STAFF,
    StaffRoleKind.LEADER,
    StaffRoleKind.SENCO,
    StaffRoleKind.GOVERNOR,
)
FIXED = DueRule.FIXED_DATE
START = DueRule.DAYS_AFTER_START
APPOINTED = DueRule.DAYS_AFTER_APPOINTMENT

REQUIREMENTS = [
    RequirementSpec("SEND Code of Practice and the graduated approach", (), FIXED, None, 12, "2"),
    RequirementSpec("Safeguarding children with SEND", (), START, 30, 36, "1.5"),
    RequirementSpec("Ordinarily available provision", (), START, 60, None, "1"),
    RequirementSpec("Autism awareness", (T, TA), START, 90, 36, "3"),
    RequirementSpec("Specific learning difficulties", (T, TA), START, 180, 36, "3"),
    RequirementSpec("ADHD in the classroom", (T, TA, SUP), START, 120, None, "1.5"),
    RequirementSpec("Speech, language and communication needs", (TA,), APPOINTED, 90, 24, "2"),
    RequirementSpec("Trauma-informed practice for leaders", (LEAD, SENCO), APPOINTED, 180, None),
    RequirementSpec("EHCP annual reviews", (SENCO, LEAD), APPOINTED, 60, 24, "2.5"),
    RequirementSpec("Positive behaviour support", (T, TA, SUP), FIXED, None, 24, "2"),
    RequirementSpec("SEND for governors", (GOV,), APPOINTED, 180, 36, "1"),
    RequirementSpec("Moving and handling", (TA, SUP), START, 30, 12, "3", own=True),
]
OPTIONAL_MODULES = ["Makaton level 1", "Precision teaching", "Sensory circuits", "Lego therapy"]

#: The measured school's roles: (count, roles). Leaders and the SENCO also teach.
STAFF_MIX: list[tuple[int, tuple[StaffRoleKind, ...]]] = [
    (58, (T,)),
    (44, (TA,)),
    (25, (SUP,)),
    (8, (LEAD, T)),
    (1, (SENCO, T)),
    (4, (TA, SUP)),
    (10, (GOV,)),
]
assert sum(n for n, _ in STAFF_MIX) == STAFF

FIRST_NAMES = [
    "Amira", "Ben", "Chloe", "Dev", "Ellie", "Finn", "Grace", "Hamza", "Isla", "Jack", "Kiran",
    "Leah", "Mohammed", "Niamh", "Oscar", "Priya", "Rhys", "Sofia", "Tom", "Zoë",
]  # fmt: skip
FAMILY_NAMES = [
    "Ahmed", "Brown", "Clarke", "Davies", "Evans", "Green", "Hughes", "Jones", "Khan", "Lewis",
    "Morgan", "Patel", "Roberts", "Smith", "Taylor", "Walker", "Williams", "Wright",
]  # fmt: skip


@dataclass(frozen=True)
class Seeded:
    organisation_id: int
    school_id: int
    lead_id: int
    people: int
    requirements: int
    completions: int


def _random_date(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _history(
    rng: random.Random, spec: RequirementSpec, start: dt.date, today: dt.date
) -> list[dt.date]:
    """One to three completion dates, the latest sometimes past its validity (expired)."""
    if start > today or rng.random() > 0.85:
        return []
    cycle_days = (spec.validity_months or 24) * 30
    # Up to 1.25 validities ago: roughly one in five has lapsed.
    latest = today - dt.timedelta(days=rng.randint(0, int(cycle_days * 1.25)))
    if latest < start:
        latest = _random_date(rng, start, today)
    dates = [latest]
    for _ in range(rng.choice([0, 1, 1, 2, 2])):
        earlier = dates[-1] - dt.timedelta(days=cycle_days + rng.randint(-20, 20))
        if earlier < start - dt.timedelta(days=365):  # some carried over from a last school
            break
        dates.append(earlier)
    return dates


def _ids(session: Any, model: type[Any], rows: list[dict[str, Any]]) -> list[int]:
    """Bulk INSERT ... RETURNING id, ids in the order of ``rows``."""
    statement = insert(model).returning(model.id, sort_by_parameter_order=True)
    return list(session.scalars(statement, rows))


@dataclass
class Staff:
    ids: list[int]
    rows: list[dict[str, Any]]
    #: Per person: (school id, roles).
    placements: list[tuple[int, tuple[StaffRoleKind, ...]]]
    #: Indexes of the measured school's people.
    measured: list[int]


class Seeder:
    """Builds the benchmark's trust through the models, one bulk insert per table."""

    def __init__(self, session: Any, today: dt.date, rng: random.Random) -> None:
        self.session = session
        self.today = today
        self.rng = rng

    def run(self) -> Seeded:
        org = Organisation(name="Benchmark Trust", kind=OrganisationKind.TRUST)
        self.session.add(org)
        self.session.flush()
        self.org_id = org.id
        schools = _ids(
            self.session,
            School,
            [
                {"organisation_id": org.id, "urn": urn, "name": name, "phase": "primary"}
                for urn, name in (
                    ("100001", "Alder Primary"),
                    ("100002", "Birch Academy"),
                    ("100003", "Cedar Junior"),
                )
            ],
        )
        modules = self.modules()
        requirements = self.requirements(schools, modules)
        staff = self.staff(schools)
        self.roles(staff)
        completions = self.completions(staff, modules)
        self.exemptions_and_extensions(staff, requirements)
        lead_id = self.lead(staff, schools[0])
        self.session.commit()
        return Seeded(
            organisation_id=org.id,
            school_id=schools[0],
            lead_id=lead_id,
            people=len(staff.measured),
            requirements=len(REQUIREMENTS),
            completions=completions,
        )

    def modules(self) -> list[int]:
        """The required modules (in REQUIREMENTS order), the optional ones, Birch's own."""
        titles = [spec.title for spec in REQUIREMENTS] + OPTIONAL_MODULES + ["Birch's own course"]
        hours = [spec.hours for spec in REQUIREMENTS]
        return _ids(
            self.session,
            Module,
            [
                {
                    "organisation_id": self.org_id,
                    "slug": f"bench-{i}",
                    "title": title,
                    "tier": Tier.AWARENESS,
                    "delivery": self.rng.choice(list(Delivery)),
                    "cpd_hours": Decimal(hours[i] if i < len(hours) else "1.5"),
                    "provider": self.rng.choice(["nasen", "Local authority", "In-house", None]),
                }
                for i, title in enumerate(titles)
            ],
        )

    def requirements(self, schools: list[int], modules: list[int]) -> list[int]:
        def row(module_id: int, school_id: int | None, spec: RequirementSpec) -> dict[str, Any]:
            return {
                "organisation_id": self.org_id,
                "module_id": module_id,
                "school_id": school_id,
                "roles": [r.value for r in spec.roles],
                "due_rule": spec.rule,
                "due_days": spec.due_days,
                "due_month": 9 if spec.rule is FIXED else None,
                "due_day": 1 if spec.rule is FIXED else None,
                "validity_months": spec.validity_months,
            }

        rows = [
            row(modules[i], schools[0] if spec.own else None, spec)
            for i, spec in enumerate(REQUIREMENTS)
        ]
        # Another school's own requirement: in the table, outside Alder's figures.
        rows.append(row(modules[-1], schools[1], RequirementSpec("Birch", (), START, 30)))
        return _ids(self.session, Requirement, rows)

    def staff(self, schools: list[int]) -> Staff:
        placements = [(schools[0], roles) for n, roles in STAFF_MIX for _ in range(n)]
        for other in schools[1:]:
            placements += [
                (other, self.rng.choice(STAFF_MIX)[1]) for _ in range(OTHER_SCHOOL_STAFF)
            ]
        rows = []
        for index in range(len(placements)):
            given, family = self.rng.choice(FIRST_NAMES), self.rng.choice(FAMILY_NAMES)
            launched = dt.datetime.now(dt.UTC) - dt.timedelta(days=self.rng.randint(0, 300))
            rows.append(
                {
                    "organisation_id": self.org_id,
                    "name": f"{given} {family}",
                    "given_name": given,
                    "family_name": family,
                    "email": f"{given}.{family}.{index}@bench.example.org".lower(),
                    "staff_number": f"S{index:05d}",
                    "start_date": _random_date(
                        self.rng, dt.date(2008, 9, 1), self.today + dt.timedelta(days=45)
                    ),
                    "leaving_date": None,
                    "last_launch_at": launched if self.rng.random() < 0.7 else None,
                }
            )
        measured = [i for i, (sid, _) in enumerate(placements) if sid == schools[0]]
        # A few of the measured school's staff have left: on the list, outside the figures.
        for i in self.rng.sample(measured[:-10], LEAVERS):
            rows[i]["leaving_date"] = self.today - dt.timedelta(days=self.rng.randint(1, 300))
        return Staff(_ids(self.session, Person, rows), rows, placements, measured)

    def roles(self, staff: Staff) -> None:
        rows = []
        for person_id, person, (sid, roles) in zip(
            staff.ids, staff.rows, staff.placements, strict=True
        ):
            start = person["start_date"]
            for role in roles:
                appointed = _random_date(self.rng, start, max(start, self.today))
                rows.append(
                    {
                        "person_id": person_id,
                        "school_id": sid,
                        "role": role,
                        "started_on": appointed if self.rng.random() < 0.8 else None,
                        "ended_on": None,
                    }
                )
            if self.rng.random() < 0.05:  # a role from before, since ended
                rows.append(
                    {
                        "person_id": person_id,
                        "school_id": sid,
                        "role": StaffRoleKind.UNASSIGNED,
                        "started_on": None,
                        "ended_on": start,
                    }
                )
        self.session.execute(insert(StaffRole), rows)

    def completions(self, staff: Staff, modules: list[int]) -> int:
        optional = modules[len(REQUIREMENTS) : -1]
        rows: list[dict[str, Any]] = []

        def add(person_id: int, module_id: int, on: dt.date, hours: str, **extra: Any) -> None:
            rows.append(
                {
                    "organisation_id": self.org_id,
                    "person_id": person_id,
                    "module_id": module_id,
                    "completed_on": on,
                    "cpd_hours": Decimal(hours),
                    "note": "",
                    "method": self.rng.choice(list(CompletionMethod)),
                    "provider": None,
                    **extra,
                }
            )

        for person_id, person, (_, roles) in zip(
            staff.ids, staff.rows, staff.placements, strict=True
        ):
            for spec, module_id in zip(REQUIREMENTS, modules, strict=False):
                if spec.roles and not set(spec.roles) & set(roles):
                    continue
                for on in _history(self.rng, spec, person["start_date"], self.today):
                    add(person_id, module_id, on, spec.hours)
            for _ in range(self.rng.choice([0, 0, 1, 1, 2, 3])):
                on = _random_date(self.rng, dt.date(2019, 9, 1), self.today)
                add(
                    person_id,
                    self.rng.choice(optional),
                    on,
                    "1.5",
                    method=CompletionMethod.EXTERNAL,
                    provider="nasen",
                )
        self.session.execute(insert(Completion), rows)
        return len(rows)

    def exemptions_and_extensions(self, staff: Staff, requirements: list[int]) -> None:
        chosen = [staff.ids[i] for i in self.rng.sample(staff.measured, 8)]
        self.session.execute(
            insert(Exemption),
            [
                {
                    "organisation_id": self.org_id,
                    "person_id": chosen[i],
                    "requirement_id": requirements[i],
                    "reason": "Long-term absence",
                    "starts_on": self.today - dt.timedelta(days=60),
                    "ends_on": self.today + dt.timedelta(days=30) if i else None,
                }
                for i in range(3)
            ],
        )
        self.session.execute(
            insert(Extension),
            [
                {
                    "organisation_id": self.org_id,
                    "person_id": chosen[3 + i],
                    "requirement_id": requirements[3 + i],
                    "reason": "Course full until next term",
                    "new_due_on": self.today + dt.timedelta(days=20 * (i + 1)),
                }
                for i in range(5)
            ],
        )

    def lead(self, staff: Staff, school_id: int) -> int:
        """One of the school's leaders, with the permissions a launch would have given."""
        index = next(
            i
            for i in staff.measured
            if LEAD in staff.placements[i][1] and staff.rows[i]["leaving_date"] is None
        )
        lead_id = staff.ids[index]
        self.session.execute(
            insert(Permission),
            [
                {
                    "person_id": lead_id,
                    "kind": kind,
                    "school_id": sid,
                    "source": PermissionSource.LMS,
                }
                for kind, sid in (
                    (PermissionKind.STAFF, None),
                    (PermissionKind.CPD_LEAD, school_id),
                )
            ],
        )
        return lead_id


# ---------------------------------------------------------------- databases


def ensure_postgres(url: str) -> str:
    """Create the database if missing, drop its schema; returns the server version."""
    target = make_url(url)
    name = target.database
    if not name:
        raise SystemExit("the PostgreSQL URL names no database")
    if target.host not in LOCAL_DB_HOSTS:
        raise SystemExit("the benchmark only talks to a database on this machine")
    admin = target.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            say(f"created database {name}")
    plain = target.set(drivername="postgresql")
    with psycopg.connect(plain.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "unknown"


@dataclass
class Sample:
    """The timed runs of one measurement, and the full (generation 2) garbage collections
    that ran inside them: the tail of a Python web request is mostly those."""

    ms: list[float]
    gc_full: int = 0
    gc_full_ms: float = 0.0


@dataclass
class Timings:
    service: Sample
    page: Sample
    floor: Sample


class FullCollections:
    """Counts generation-2 collections and their time while ``active``."""

    def __init__(self) -> None:
        self.active = False
        self.count = 0
        self.ms = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if not self.active or info.get("generation") != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.count += 1
            self.ms += (time.perf_counter() - self._started) * 1000


COLLECTIONS = FullCollections()
gc.callbacks.append(COLLECTIONS)


def _timed(fn: Callable[[], object], runs: int, warmup: int, freeze: bool) -> Sample:
    for _ in range(warmup):
        fn()
    if freeze:
        # What a server would do once started (e.g. in gunicorn's post_fork): move everything
        # alive now out of the collector's sight, so full collections only walk new objects.
        gc.collect()
        gc.freeze()
    samples = []
    COLLECTIONS.count, COLLECTIONS.ms, COLLECTIONS.active = 0, 0.0, True
    try:
        for _ in range(runs):
            started = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - started) * 1000)
    finally:
        COLLECTIONS.active = False
        if freeze:
            gc.unfreeze()
    return Sample(samples, COLLECTIONS.count, COLLECTIONS.ms)


def floor_queries(engine: Engine, seeded: Seeded, today: dt.date) -> Callable[[], int]:
    """The same facts as ``ComplianceService.school`` loads, as bare Core statements."""
    person, role = Person.__table__, StaffRole.__table__
    requirement, module = Requirement.__table__, Module.__table__
    completion, exemption, extension = (
        Completion.__table__,
        Exemption.__table__,
        Extension.__table__,
    )
    staff_q = (
        select(
            person.c.id,
            person.c.name,
            person.c.given_name,
            person.c.family_name,
            person.c.email,
            person.c.start_date,
            person.c.leaving_date,
            person.c.last_launch_at,
            role.c.role,
            role.c.started_on,
        )
        .join(role, role.c.person_id == person.c.id)
        .where(
            role.c.school_id == seeded.school_id,
            role.c.ended_on.is_(None),
            person.c.organisation_id == seeded.organisation_id,
            person.c.active.is_(True),
        )
    )
    requirements_q = (
        select(requirement, module.c.title, module.c.retired_at)
        .join(module, module.c.id == requirement.c.module_id)
        .where(
            requirement.c.organisation_id == seeded.organisation_id,
            requirement.c.retired_at.is_(None),
            (requirement.c.school_id.is_(None)) | (requirement.c.school_id == seeded.school_id),
        )
    )

    def run() -> int:
        with engine.connect() as conn:
            staff = conn.execute(staff_q).all()
            requirements = conn.execute(requirements_q).all()
            people = sorted({row.id for row in staff})
            modules = sorted({row.module_id for row in requirements})
            requirement_ids = [row.id for row in requirements]
            completions = conn.execute(
                select(
                    completion.c.person_id, completion.c.module_id, completion.c.completed_on
                ).where(
                    completion.c.person_id.in_(people),
                    completion.c.module_id.in_(modules),
                    completion.c.completed_on <= today,
                )
            ).all()
            exemptions = conn.execute(
                select(exemption).where(
                    exemption.c.person_id.in_(people),
                    exemption.c.requirement_id.in_(requirement_ids),
                    exemption.c.revoked_at.is_(None),
                )
            ).all()
            extensions = conn.execute(
                select(extension).where(
                    extension.c.person_id.in_(people),
                    extension.c.requirement_id.in_(requirement_ids),
                    extension.c.revoked_at.is_(None),
                )
            ).all()
        return len(staff) + len(requirements) + len(completions) + len(exemptions) + len(extensions)

    return run


def measure(
    url: str, runs: int, warmup: int, seed_value: int, freeze: bool
) -> tuple[Seeded, Timings, int]:
    app = create_app(
        {"DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32), "BASE_URL": BASE_URL}
    )
    # create_app configures INFO logging; the report is this script's output.
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    today = dt.datetime.now(dt.UTC).date()
    with app.app_context():
        migrate.upgrade(db.engine)
        session = db.new_session()
        try:
            seeded = Seeder(session, today, random.Random(seed_value)).run()
        finally:
            session.close()
        token = issue_token(LaunchSession.new(seeded.lead_id, seeded.organisation_id, None))

        def service_once() -> None:
            fresh = db.new_session()
            try:
                school = fresh.get(School, seeded.school_id)
                assert school is not None
                result = ComplianceService(fresh).school(school, today)
                assert len(result.staff) == seeded.people
                assert len(result.requirements) == seeded.requirements
            finally:
                fresh.close()

        floor = floor_queries(db.engine, seeded, today)
        facts = floor()
        service = _timed(service_once, runs, warmup, freeze)
        floor_ms = _timed(floor, runs, warmup, freeze)

    client = app.test_client()
    client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": "tool.example.org"})
    path = f"/schools/{seeded.school_id}"

    def page_once() -> None:
        response = client.get(path, query_string={"lt": token})
        body = response.get_data()
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: HTTP {response.status_code}: {body[:300]!r}")

    first = client.get(path, query_string={"lt": token})
    html = first.get_data(as_text=True)
    if first.status_code != 200 or "Alder Primary" not in html or "Moving and handling" not in html:
        raise RuntimeError(f"the page did not render as expected: HTTP {first.status_code}")
    page = _timed(page_once, runs, warmup, freeze)
    with app.app_context():
        db.engine.dispose()
    return seeded, Timings(service, page, floor_ms), facts


# ---------------------------------------------------------------- report


def load_average() -> str:
    with contextlib.suppress(OSError):
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return "unknown"


def report(name: str, version: str, seeded: Seeded, timings: Timings, facts: int) -> bool:
    floor_median = statistics.median(timings.floor.ms)
    say(f"\n{name} {version}: {seeded.people} staff, {seeded.requirements} requirements")
    say(f"  {seeded.completions} completions in the trust; the floor fetches {facts} rows")
    say(
        f"  {'what':<40} {'median ms':>9} {'p95 ms':>8} {'min ms':>8} {'÷ floor':>8}  full GCs (ms)"
    )
    rows = [
        ("(a) ComplianceService.school() alone", timings.service),
        ("(b) GET /schools/<id>, the whole page", timings.page),
        ("(c) floor: bare SQL, the same facts", timings.floor),
    ]
    for label, sample in rows:
        median = statistics.median(sample.ms)
        say(
            f"  {label:<40} {median:>9.1f} {percentile(sample.ms, 95):>8.1f} "
            f"{min(sample.ms):>8.1f} {median / floor_median:>7.1f}x"
            f"  {sample.gc_full} ({sample.gc_full_ms:.0f})"
        )
    median, p95 = statistics.median(timings.page.ms), percentile(timings.page.ms, 95)
    met = p95 < TARGET_MS
    say(
        f"  target, page under {TARGET_MS:.0f} ms: p95 {p95:.1f} ms "
        f"{'met' if met else 'NOT met'}; median {median:.1f} ms "
        f"{'met' if median < TARGET_MS else 'NOT met'}"
    )
    return met


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026, help="random seed for the data")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="gc.freeze() after the warm-up, as a server could after start-up (the app's "
        "`serve` does not do this today)",
    )
    args = parser.parse_args(argv)
    if args.runs < 1 or args.warmup < 0:
        parser.error("--runs must be at least 1 and --warmup at least 0")

    say("School compliance page benchmark")
    say(f"  date     {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    say(f"  machine  {cpu_model()}, {os.cpu_count()} CPUs, {host_platform.platform()}")
    say(
        f"  software Python {host_platform.python_version()}, SQLAlchemy {sqlalchemy.__version__},"
        f" SQLite {sqlite3.sqlite_version}, psycopg {psycopg.__version__}"
    )
    say(
        f"  runs     {args.runs} timed after {args.warmup} warm-up, per measurement; "
        f"gc.freeze() {'on' if args.gc_freeze else 'off'}; p95 is nearest-rank"
    )
    say(f"  load     {load_average()} (1, 5, 15 min) at the start")

    all_met = True
    with tempfile.TemporaryDirectory(prefix="cpd-bench-") as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        seeded, timings, facts = measure(url, args.runs, args.warmup, args.seed, args.gc_freeze)
        all_met &= report("SQLite", sqlite3.sqlite_version, seeded, timings, facts)
    if not args.skip_postgres:
        url = normalise_database_url(args.postgres_url)
        version = ensure_postgres(url)
        seeded, timings, facts = measure(url, args.runs, args.warmup, args.seed, args.gc_freeze)
        all_met &= report("PostgreSQL", version.split()[0], seeded, timings, facts)
    say(f"\n  load     {load_average()} (1, 5, 15 min) at the end")
    return 0 if all_met else 1


if __name__ == "__main__":
    sys.exit(main())
