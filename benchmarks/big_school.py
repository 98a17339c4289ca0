"""Benchmark of one very big school (issue 14, finding 9): 26,000 staff x 30 requirements.

The finding: "A school of 26,000 staff (legal after several 20,000-row imports) makes its
dashboard hit the 30 s worker timeout on every view, even after ``report-status refresh``."
The build point: pages that list people page or cap what they render, so that school's
dashboard answers within the targets of the dashboards at trust scale (school dashboard under
100 ms and within 3x of its SQL floor, trust dashboard under 300 ms), while every count is
still over everyone and every export still holds every row.

What it does (PostgreSQL only):

1. Seeds one trust with one school of 26,000 staff (roles mixed as in ``reports_scale.py``,
   1 in 97 a leaver, a third never launched), 30 requirements, a SENCO, a year of coverage
   snapshots, and the school's 780,000 status facts and about 440,000 completions, written by
   ``INSERT ... SELECT`` in the database. The facts are generated (a spread of every status,
   with expiry and due dates in every gap list's window), not computed by the status engine:
   computing 780,000 timelines is the nightly refresh's cost, timed separately with
   ``--refresh``; reading them is what the pages do.
2. Times through the Flask test client, signed in as a trust leader by a launch token, taking
   turns with the floors: ``GET /schools/<id>`` (first page of staff), a later page, and
   ``GET /trust``. The school page's floor is one SQL statement returning every figure the
   page shows as they are now kept (``COUNTED_FLOOR_SQL``: the school's count and list rows,
   the page of staff as a range of its kept name order, their facts and hours; the same with
   the page sorted by name, ``SORTED_FLOOR_SQL``, beside it); the statement that counted
   every fact per view (``report_floors.paged_school_floor``) is timed beside it, as is the
   trust page's old floor ``report_floors.trust_floor``. Before timing, the school is
   counted by the real code path (``SchoolCounts.recount``), timed.
3. Times the other pages that list the school's people (the CPD lead's staff records list,
   the leavers page, the trust's drill-down to a school's gap) and every export of a
   26,000-person table (CSV streamed, XLSX), with rows counted.

Needs PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres); uses the database
``cpd_bench_bigschool`` (created if missing, schema reset). Run from the repository root::

    .venv/bin/python benchmarks/big_school.py
    .venv/bin/python benchmarks/big_school.py --runs 20 --staff 26000

Exit status 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform as host_platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy
from sqlalchemy import Engine, insert, text

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from report_floors import narrow_school_floor, paged_school_floor, trust_floor  # noqa: E402
from reports_scale import (  # noqa: E402
    REQUIREMENTS,
    SENCO,
    STAFF_MIX,
    _app,
    _requirement_rows,
    _seed_snapshots,
    captured,
    peak_rss_mb,
    replay,
    timed_together,
)
from school_compliance import cpu_model, ensure_postgres, load_average, percentile  # noqa: E402

from cpd_tracker import migrate  # noqa: E402
from cpd_tracker.auth import LaunchSession, issue_token  # noqa: E402
from cpd_tracker.config import normalise_database_url  # noqa: E402
from cpd_tracker.extensions import db  # noqa: E402
from cpd_tracker.models import (  # noqa: E402
    Delivery,
    Module,
    Organisation,
    OrganisationKind,
    Permission,
    PermissionKind,
    PermissionSource,
    Person,
    Requirement,
    School,
    SencoAppointment,
    StaffRole,
    Tier,
)
from cpd_tracker.rules.training import add_months  # noqa: E402
from cpd_tracker.services.school_statements import LIST_LIMIT, PAGE_ROWS  # noqa: E402

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/cpd_bench_bigschool"
STAFF = 26_000
#: The school of ordinary size timed beside it.
SMALL_STAFF = 100
SCHOOL_TARGET_MS = 100.0
TRUST_TARGET_MS = 300.0
FLOOR_RATIO = 3.0
#: A gunicorn worker's timeout (``cpd-tracker serve``): no page or export may come near it.
WORKER_TIMEOUT_S = 30.0
FAMILIES = (
    "Adams",
    "Ahmed",
    "Ali",
    "Allen",
    "Baker",
    "Bell",
    "Brown",
    "Campbell",
    "Clarke",
    "Cooper",
    "Davies",
    "Edwards",
    "Evans",
    "Green",
    "Hall",
    "Harris",
    "Hughes",
    "Hussain",
    "Jackson",
    "James",
    "Johnson",
    "Jones",
    "Khan",
    "King",
    "Lee",
    "Lewis",
    "Martin",
    "Moore",
    "Morgan",
    "Morris",
    "Murphy",
    "Patel",
    "Phillips",
    "Roberts",
    "Robinson",
    "Scott",
    "Shah",
    "Smith",
    "Taylor",
    "Thomas",
    "Thompson",
    "Turner",
    "Walker",
    "Ward",
    "Watson",
    "White",
    "Williams",
    "Wilson",
    "Wood",
    "Wright",
    "Young",
)


def say(message: str = "") -> None:
    print(message, flush=True)


@dataclass(frozen=True)
class Seeded:
    organisation_id: int
    leader_id: int
    school_id: int
    people: int
    facts: int
    completions: int


# The school's facts: one row per person and requirement that applies to their roles. ``h``
# spreads the statuses (about half compliant, the rest in every other state, dates inside
# each gap list's window); a fiftieth of the staff never completed anything; leavers "left".
FACTS_SQL = """
INSERT INTO report_status (
    school_id, person_id, requirement_id, organisation_id, module_id, column_id,
    computed_on, valid_until, change_1, change_2, change_3,
    status_0, status_1, status_2, status_3, due_0, due_1, due_2, due_3,
    expires_on, last_completed_on)
WITH pairs AS (
    SELECT p.id AS person_id, r.id AS requirement_id, r.module_id,
           (p.id * 7919 + r.id * 104729) % 1000 AS h,
           p.id % 50 = 0 AS never,
           p.leaving_date IS NOT NULL AND p.leaving_date <= :today AS gone
    FROM person p CROSS JOIN requirement r
    WHERE p.organisation_id = :org AND r.organisation_id = :org
      AND (json_array_length(r.roles) = 0 OR EXISTS (
          SELECT 1 FROM staff_role s WHERE s.person_id = p.id AND s.school_id = :school
            AND s.role IN ('teacher', 'teaching_assistant')))
), statuses AS (
    SELECT *, CASE
        WHEN gone THEN 'left'
        WHEN never THEN CASE WHEN h < 600 THEN 'overdue' WHEN h < 800 THEN 'due_soon'
                             ELSE 'not_yet_due' END
        WHEN h < 500 THEN 'compliant' WHEN h < 560 THEN 'expiring_soon'
        WHEN h < 650 THEN 'overdue' WHEN h < 720 THEN 'expired' WHEN h < 770 THEN 'due_soon'
        WHEN h < 820 THEN 'due' WHEN h < 900 THEN 'not_yet_due' WHEN h < 940 THEN 'extended'
        WHEN h < 980 THEN 'exempt' ELSE 'compliant' END AS status
    FROM pairs
), dated AS (
    SELECT *, CASE status
        WHEN 'compliant' THEN CAST(:today AS date) + 91 + h
        WHEN 'expiring_soon' THEN CAST(:today AS date) + (h - 500) * 3 / 2
        WHEN 'expired' THEN CAST(:today AS date) - (h - 649)
        END AS expires,
        CASE status
        WHEN 'overdue' THEN CAST(:today AS date) - 1 - h % 200
        WHEN 'due_soon' THEN CAST(:today AS date) + h % 30
        WHEN 'due' THEN CAST(:today AS date) + 31 + h % 30
        WHEN 'not_yet_due' THEN CAST(:today AS date) + 61 + h % 200
        WHEN 'extended' THEN CAST(:today AS date) + 10 + h % 50
        END AS due
    FROM statuses
)
SELECT :school, person_id, requirement_id, :org, module_id, requirement_id,
       :today, CAST(:today AS date) + 30,
       CASE WHEN status = 'expiring_soon' THEN expires + 1 ELSE DATE '9999-12-31' END,
       DATE '9999-12-31', DATE '9999-12-31',
       status, CASE WHEN status = 'expiring_soon' THEN 'expired' ELSE status END,
       CASE WHEN status = 'expiring_soon' THEN 'expired' ELSE status END,
       CASE WHEN status = 'expiring_soon' THEN 'expired' ELSE status END,
       due, due, due, due,
       expires, CASE WHEN expires IS NOT NULL THEN expires - 365 END
FROM dated
"""

COMPLETIONS_SQL = """
INSERT INTO completion (organisation_id, person_id, module_id, completed_on, method,
                        cpd_hours, note, created_at)
SELECT organisation_id, person_id, module_id, last_completed_on, 'imported', 1.5, '', now()
FROM report_status WHERE school_id = :school AND last_completed_on IS NOT NULL
"""


# The school page's floor with counts kept (issue 14, finding 9): one statement returning
# every figure the page shows, as stored: the school's count rows and list rows, the page of
# staff (a range of its kept name order, ``report_staff``; the staff-list and never-opened
# counts among the count rows, kept since issue 18; the first never-opened, live), that
# page's facts by primary key and CPD hours,
# the names on the lists, evidence waiting. ``SORTED_FLOOR_SQL`` is the same with the page
# sorted by name over everyone, as before the order was kept.
COUNTED_FLOOR_SQL = """
WITH page AS (
    SELECT p.id, p.family_name FROM report_staff k JOIN person p ON p.id = k.person_id
    WHERE k.school_id = :school AND k.scope = ''
      AND k.position > 0 AND k.position <= :rows
), never_launched AS (
    SELECT p.id, p.family_name FROM report_staff k JOIN person p ON p.id = k.person_id
    WHERE k.school_id = :school AND k.scope = '' AND p.last_launch_at IS NULL
    ORDER BY k.position LIMIT :list
)
SELECT 'count' AS kind, c.column_id AS id, c.tag AS tag, c.status AS status, c.n AS n
FROM report_count c WHERE c.school_id = :school AND c.scope = ''
UNION ALL
SELECT 'list', l.person_id, p.family_name, l.status, l.position
FROM report_list l JOIN person p ON p.id = l.person_id
WHERE l.school_id = :school AND l.scope = ''
UNION ALL
SELECT 'staff', id, family_name, NULL, 0 FROM page
UNION ALL
SELECT 'cell', r.person_id, CAST(r.column_id AS text),
       CASE WHEN :today < r.change_1 THEN r.status_0 WHEN :today < r.change_2 THEN r.status_1
            WHEN :today < r.change_3 THEN r.status_2 ELSE r.status_3 END, 0
FROM report_status r WHERE r.school_id = :school AND r.person_id IN (SELECT id FROM page)
UNION ALL
SELECT 'hours', c.person_id, NULL, NULL, CAST(round(sum(c.cpd_hours) * 100) AS int)
FROM completion c
WHERE c.person_id IN (SELECT id FROM page) AND c.completed_on >= :since
  AND c.completed_on <= :today
GROUP BY c.person_id
UNION ALL
SELECT 'never_launched', id, family_name, NULL, 0 FROM never_launched
UNION ALL
SELECT 'evidence', CAST(count(*) AS int), NULL, NULL, 0 FROM evidence e
WHERE e.school_id = :school AND e.organisation_id = :org AND e.status = 'pending'
"""
SORTED_FLOOR_SQL = """
WITH staff AS (
    SELECT p.id, p.family_name, p.given_name, p.name, p.last_launch_at FROM person p
    WHERE p.organisation_id = :org AND p.active AND EXISTS (
        SELECT 1 FROM staff_role s
        WHERE s.person_id = p.id AND s.school_id = :school AND s.ended_on IS NULL)
), page AS (
    SELECT id, family_name FROM staff ORDER BY family_name, given_name, name, id LIMIT :rows
), never_launched AS (
    SELECT id, family_name FROM staff WHERE last_launch_at IS NULL
    ORDER BY family_name, given_name, name, id LIMIT :list
)
SELECT 'count' AS kind, c.column_id AS id, c.tag AS tag, c.status AS status, c.n AS n
FROM report_count c WHERE c.school_id = :school AND c.scope = ''
UNION ALL
SELECT 'list', l.person_id, p.family_name, l.status, l.position
FROM report_list l JOIN person p ON p.id = l.person_id
WHERE l.school_id = :school AND l.scope = ''
UNION ALL
SELECT 'staff', id, family_name, NULL, 0 FROM page
UNION ALL
SELECT 'cell', r.person_id, CAST(r.column_id AS text),
       CASE WHEN :today < r.change_1 THEN r.status_0 WHEN :today < r.change_2 THEN r.status_1
            WHEN :today < r.change_3 THEN r.status_2 ELSE r.status_3 END, 0
FROM report_status r WHERE r.school_id = :school AND r.person_id IN (SELECT id FROM page)
UNION ALL
SELECT 'hours', c.person_id, NULL, NULL, CAST(round(sum(c.cpd_hours) * 100) AS int)
FROM completion c
WHERE c.person_id IN (SELECT id FROM page) AND c.completed_on >= :since
  AND c.completed_on <= :today
GROUP BY c.person_id
UNION ALL
SELECT 'staff_count', CAST(count(*) AS int), NULL, NULL,
       CAST(sum(CASE WHEN last_launch_at IS NULL THEN 1 ELSE 0 END) AS int) FROM staff
UNION ALL
SELECT 'never_launched', id, family_name, NULL, 0 FROM never_launched
UNION ALL
SELECT 'evidence', CAST(count(*) AS int), NULL, NULL, 0 FROM evidence e
WHERE e.school_id = :school AND e.organisation_id = :org AND e.status = 'pending'
"""


def counted_school_floor(
    engine: Engine,
    org_id: int,
    school_id: int,
    today: dt.date,
    since: dt.date,
    sql: str = COUNTED_FLOOR_SQL,
) -> Callable[[], int]:
    values = {
        "org": org_id,
        "school": school_id,
        "today": today,
        "since": since,
        "rows": PAGE_ROWS,
        "list": LIST_LIMIT,
    }

    def run() -> int:
        with engine.connect() as conn:
            return len(conn.execute(text(sql), values).all())

    return run


def count(engine: Engine, seeded: Seeded, today: dt.date) -> tuple[float, int]:
    """The school's counts for today by the real code path (``SchoolCounts.recount``, as
    ``StatusFactsService`` runs it after the facts and on each new day): seconds, rows."""
    from sqlalchemy.orm import Session

    from cpd_tracker.services.school_counts import SchoolCounts

    started = time.perf_counter()
    with Session(engine) as session:
        rows = SchoolCounts(session).recount(seeded.school_id, seeded.organisation_id, today)
        session.commit()
    return time.perf_counter() - started, rows


def seed(
    engine: Engine,
    today: dt.date,
    rng: random.Random,
    staff: int,
    urn: str = "150000",
    name: str = "Very Big Academy",
) -> Seeded:
    """The trust and its big school: Core executemany for the people and their roles, the
    facts and completions written by the database itself (``INSERT ... SELECT``)."""
    now = dt.datetime.now(dt.UTC)
    introduced = now - dt.timedelta(days=6 * 365)
    with engine.begin() as conn:
        # Bulk rows of our own making: skip the foreign-key triggers (every one of 780,000
        # facts would look up five parents), as a restore does.
        conn.execute(text("SET LOCAL session_replication_role = replica"))

        def ids(model: type[Any], rows: list[dict[str, Any]]) -> list[int]:
            statement = insert(model).returning(model.id, sort_by_parameter_order=True)
            return list(conn.scalars(statement, rows))

        [org_id] = ids(
            Organisation,
            [{"name": f"{name} Trust", "kind": OrganisationKind.TRUST, "created_at": now}],
        )
        [school_id] = ids(
            School,
            [
                {
                    "organisation_id": org_id,
                    "urn": urn,
                    "name": name,
                    "phase": "all-through",
                    "created_at": now,
                }
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
        requirement_ids = ids(Requirement, _requirement_rows(rng, org_id, modules, introduced))
        mix = [roles for count, roles in STAFF_MIX for _ in range(count)]
        people_rows = []
        for n in range(staff):
            start = today - dt.timedelta(days=rng.randint(-30, 20 * 365))
            people_rows.append(
                {
                    "organisation_id": org_id,
                    "given_name": f"Given{n}",
                    "family_name": f"{FAMILIES[n % len(FAMILIES)]}{n % 977:03d}",
                    "email": f"person{n}@big.example.org",
                    "start_date": start,
                    "leaving_date": today - dt.timedelta(days=1 + n % 200) if n % 97 == 0 else None,
                    "active": True,
                    "last_launch_at": now if n % 3 else None,
                    "created_at": now,
                }
            )
        people = ids(Person, people_rows)
        conn.execute(
            insert(StaffRole),
            [
                {
                    "person_id": pid,
                    "school_id": school_id,
                    "role": role,
                    "started_on": people_rows[i]["start_date"],
                    "ended_on": None,
                }
                for i, pid in enumerate(people)
                for role in mix[i % len(mix)]
            ],
        )
        values = {"org": org_id, "school": school_id, "today": today}
        facts = conn.execute(text(FACTS_SQL), values).rowcount
        completions = conn.execute(text(COMPLETIONS_SQL), values).rowcount
        conn.execute(
            text(
                "INSERT INTO report_status_school (school_id, organisation_id, computed_on, "
                "valid_until) VALUES (:school, :org, :today, CAST(:today AS date) + 30)"
            ),
            values,
        )
        senco = next(i for i in range(staff) if SENCO in mix[i % len(mix)])
        conn.execute(
            insert(SencoAppointment),
            [
                {
                    "organisation_id": org_id,
                    "school_id": school_id,
                    "person_id": people[senco],
                    "started_on": today - dt.timedelta(days=400),
                    "ended_on": None,
                    "has_qts": True,
                    "is_head": False,
                    "prior_senco_months": 6,
                }
            ],
        )
        _seed_snapshots(conn, org_id, [school_id], requirement_ids, today, rng)
        leader_id = people[1]
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
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    return Seeded(org_id, leader_id, school_id, len(people), facts, completions)


# ---------------------------------------------------------------- timing


@dataclass
class Timing:
    label: str
    ms: list[float]
    floor: list[float] | None = None
    target: float | None = None


def _with_token(path: str, token: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}lt={token}"


def _get(client: Any, token: str, path: str, must: str, status: int = 200) -> Callable[[], int]:
    def run() -> int:
        response = client.get(_with_token(path, token))
        body = response.get_data()
        if response.status_code != status or must.encode() not in body:
            raise RuntimeError(f"GET {path}: HTTP {response.status_code}: {body[:300]!r}")
        return len(body)

    return run


def _export(client: Any, token: str, path: str) -> dict[str, Any]:
    """One download, read to the end: seconds, bytes and rows (lines of a CSV, the sheet's
    rows of an XLSX), and the process's peak RSS after it."""
    started = time.perf_counter()
    response = client.get(_with_token(path, token), buffered=False)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path}: HTTP {response.status_code}")
    data = b"".join(
        chunk if isinstance(chunk, bytes) else chunk.encode() for chunk in response.response
    )
    response.close()
    seconds = time.perf_counter() - started
    if ".csv" in path:
        rows = data.count(b"\n") - 1
    else:
        from io import BytesIO

        from openpyxl import load_workbook

        book = load_workbook(BytesIO(data), read_only=True)
        sheet = book.active
        rows = sum(1 for _ in sheet.iter_rows()) - 1 if sheet is not None else 0
    return {"path": path, "s": seconds, "bytes": len(data), "rows": rows, "rss": peak_rss_mb()}


def measure(url: str, runs: int, warmup: int, staff: int, rng_seed: int) -> bool:
    app = _app(url)
    today = dt.datetime.now(dt.UTC).date()
    with app.app_context():
        migrate.upgrade(db.engine)
        started = time.perf_counter()
        seeded = seed(db.engine, today, random.Random(rng_seed), staff)
        seed_s = time.perf_counter() - started
        token = issue_token(LaunchSession.new(seeded.leader_id, seeded.organisation_id, None))
        engine = db.engine
        count_s, count_rows = count(engine, seeded, today)
    say(
        f"  seeded in {seed_s:.1f} s: {seeded.people:,} staff, {seeded.facts:,} status facts, "
        f"{seeded.completions:,} completions"
    )
    say(
        f"  counted in {count_s:.1f} s (SchoolCounts.recount, what the first read of a day or "
        f"the nightly refresh pays): {count_rows:,} count rows"
    )
    first_month = add_months(today.replace(day=1), -11)
    sid = seeded.school_id
    since = dt.date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    floor = counted_school_floor(engine, seeded.organisation_id, sid, today, since)
    sorted_floor = counted_school_floor(
        engine, seeded.organisation_id, sid, today, since, SORTED_FLOOR_SQL
    )
    per_view = paged_school_floor(
        engine, seeded.organisation_id, sid, today, first_month, PAGE_ROWS, LIST_LIMIT
    )
    narrow = narrow_school_floor(engine, seeded.organisation_id, sid, today)
    floor_t = trust_floor(engine, seeded.organisation_id, today, first_month)
    client = app.test_client()
    client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": "tool.example.org"})
    school = _get(client, token, f"/schools/{sid}", "Who to chase")
    later = _get(client, token, f"/schools/{sid}?page=60", "Who to chase")
    overdue = _get(client, token, f"/schools/{sid}?status=overdue&page=3", "Who to chase")
    trust = _get(client, token, "/trust", "Schools by gap")
    # The same page for a school of ordinary size, in the same run: what the page costs
    # whatever the school's size (its own trust, seeded and counted the same way).
    with app.app_context():
        small = seed(engine, today, random.Random(rng_seed), SMALL_STAFF, "150001", "Small Primary")
        count(engine, small, today)
        small_token = issue_token(LaunchSession.new(small.leader_id, small.organisation_id, None))
    small_page = _get(client, small_token, f"/schools/{small.school_id}", "Who to chase")
    small_floor = counted_school_floor(engine, small.organisation_id, small.school_id, today, since)
    school_sql = replay(engine, captured(engine, school))
    say(f"  school page: {school():,} bytes; timing {runs} runs after {warmup} warm-up ...")
    # The pages and their floors take turns; the statements they replaced (some take
    # seconds, and would leave the caches cold for whatever ran next) are timed on their own.
    timed = timed_together(
        [school, floor, school_sql, later, overdue, small_page, small_floor, trust, floor_t],
        runs,
        warmup,
    )
    s_ms, floor_ms, sql_ms, later_ms, overdue_ms, small_ms, small_floor_ms = timed[:7]
    trust_ms, trust_floor_ms = timed[7:9]
    sorted_floor_ms, per_view_ms, narrow_ms = timed_together(
        [sorted_floor, per_view, narrow], runs, warmup
    )
    rows = [
        Timing(
            f"GET /schools/<id> (page 1 of {-(-staff // PAGE_ROWS)})",
            s_ms,
            floor_ms,
            SCHOOL_TARGET_MS,
        ),
        Timing("  its own SQL, replayed bare", sql_ms, floor_ms),
        Timing("  floor: one statement, every figure shown, counts kept", floor_ms, floor_ms),
        Timing("  (before: the same, the page sorted by name)", sorted_floor_ms, floor_ms),
        Timing("  (before: one statement counting every fact)", per_view_ms, floor_ms),
        Timing("  (before: coverage counts only, one GROUP BY)", narrow_ms, floor_ms),
        Timing("GET /schools/<id>?page=60", later_ms, floor_ms),
        Timing("GET /schools/<id>?status=overdue&page=3", overdue_ms, floor_ms),
        Timing(f"GET /schools/<id> of {SMALL_STAFF} staff", small_ms, small_floor_ms),
        Timing("  its floor, the same statement", small_floor_ms, small_floor_ms),
        Timing("GET /trust (one school)", trust_ms, trust_floor_ms, TRUST_TARGET_MS),
        Timing("  floor: one statement, every figure", trust_floor_ms, trust_floor_ms),
    ]
    met = report_timings(rows)
    say(
        f"  the page of a {staff:,}-staff school takes "
        f"{statistics.median(s_ms) / statistics.median(small_ms):.2f}x the page of a "
        f"{SMALL_STAFF}-staff school's"
    )
    say("\n  other pages listing the school's people (median of 3, ms; bytes)")
    for path, must in (
        (f"/records/schools/{sid}/people", "Staff training records"),
        (f"/staff/schools/{sid}/leavers", "eaver"),
        (f"/trust/people?school={sid}&status=gap", "People behind the figure"),
    ):
        page = _get(client, token, path, must)
        size = page()
        [ms] = timed_together([page], 3, 0)
        slow = statistics.median(ms) > WORKER_TIMEOUT_S * 1000 / 10
        say(f"    {path:<48} {statistics.median(ms):>9.1f} {size:>10,}{'  SLOW' if slow else ''}")
    say("\n  exports (each read to its end once)")
    for table in ("heatmap", "hours", "gaps", "roles"):
        for fmt in ("csv", "xlsx"):
            found = _export(client, token, f"/schools/{sid}/{table}.{fmt}")
            ok = found["s"] < WORKER_TIMEOUT_S / 3
            met &= ok
            say(
                f"    {found['path']:<36} {found['s']:>7.2f} s {found['bytes'] / 1e6:>7.1f} MB "
                f"{found['rows']:>8,} rows  peak RSS {found['rss']} MB{'' if ok else '  SLOW'}"
            )
    for path in (f"/trust/statuses.csv?school={sid}", f"/trust/statuses.xlsx?school={sid}"):
        found = _export(client, token, path)
        say(
            f"    {found['path']:<36} {found['s']:>7.2f} s {found['bytes'] / 1e6:>7.1f} MB "
            f"{found['rows']:>8,} rows  peak RSS {found['rss']} MB"
        )
    return met


def report_timings(rows: Sequence[Timing]) -> bool:
    say(f"\n  {'what':<48} {'median ms':>9} {'p95 ms':>8} {'÷ floor':>8}")
    met = True
    for row in rows:
        median = statistics.median(row.ms)
        ratio = median / statistics.median(row.floor) if row.floor else float("nan")
        verdict = ""
        if row.target is not None:
            fast = median < row.target
            close = ratio <= FLOOR_RATIO
            met &= fast and close
            verdict = (
                f"  under {row.target:.0f} ms: {'met' if fast else 'NOT met'}; within "
                f"{FLOOR_RATIO:.0f}x of the floor: {'met' if close else 'NOT met'}"
            )
        p95 = percentile(row.ms, 95)
        say(f"  {row.label:<48} {median:>9.1f} {p95:>8.1f} {ratio:>7.1f}x{verdict}")
    return met


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--staff", type=int, default=STAFF)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    args = parser.parse_args(argv)
    say("One school of 26,000 staff")
    say(f"  date     {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    say(f"  machine  {cpu_model()}, {os.cpu_count()} CPUs, {host_platform.platform()}")
    url = normalise_database_url(args.postgres_url)
    version = ensure_postgres(url).split()[0]
    say(
        f"  software Python {host_platform.python_version()}, SQLAlchemy {sqlalchemy.__version__},"
        f" PostgreSQL {version}, psycopg {psycopg.__version__}"
    )
    say(f"  load     {load_average()} (1, 5, 15 min) at the start")
    met = measure(url, args.runs, args.warmup, args.staff, args.seed)
    say(f"\n  load     {load_average()} (1, 5, 15 min) at the end")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
