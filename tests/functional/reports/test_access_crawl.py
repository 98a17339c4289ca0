"""Leaders see only their own school or trust (issue 6, "Must show").

Every GET route of the ``reports``, ``senco``, ``trends`` and ``spend`` blueprints is found in
``app.url_map`` (so a new route is crawled without editing this test), its integer parameters
filled with real ids of both organisations. Each route is requested as a staff member, a CPD
lead and a trust leader of each organisation: with the other organisation's ids the answer is
403 or 404, and no body ever holds a name or URN of the other organisation.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Table, select
from werkzeug.routing import Rule
from werkzeug.routing.converters import AnyConverter, IntegerConverter

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    Base,
    Completion,
    CompletionMethod,
    DueRule,
    Module,
    Permission,
    PermissionKind,
    PermissionSource,
    Person,
    Requirement,
    School,
    StaffRole,
    StaffRoleKind,
)
from lti import claims as c
from tests.support.factories import make_org, register
from tests.support.http import FakeHttp
from tests.support.launching import launch
from tests.support.platform import TOOL_HOST, TestPlatform

BLUEPRINTS = ("reports", "senco", "trends", "spend")
#: Staff member, CPD lead, trust leader (LMS roles), and finance (granted in the tool).
KINDS = ("learner", "instructor", "admin", "finance")
#: Values for string parameters that are not ``any(...)`` choices.
STRING_VALUES = {"fmt": "csv", "key": "summary"}
#: Parameter names whose table is not simply ``<name>`` or ``..._<name>``.
ALIASES = {"doc": "document"}


@dataclass
class Org:
    id: int
    urns: tuple[str, str]
    names: tuple[str, ...]
    platform: TestPlatform


def _world_org(app: Flask, fake_http: FakeHttp, name: str, schools: tuple[tuple[str, str], ...],
               people: tuple[str, ...]) -> Org:  # fmt: skip
    org_id = make_org(app, name, schools=schools)
    platform = TestPlatform("moodle")
    platform.serve_jwks(fake_http)
    register(app, platform, org_id)
    with app.app_context():
        ids = list(db.session.scalars(select(School.id).where(School.organisation_id == org_id)))
        module = db.session.scalar(select(Module).where(Module.organisation_id == org_id))
        assert module is not None
        db.session.add(
            Requirement(
                organisation_id=org_id,
                module_id=module.id,
                roles=[],
                due_rule=DueRule.DAYS_AFTER_START,
                due_days=30,
                validity_months=12,
                created_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
            )
        )
        for i, full in enumerate(people):
            given, family = full.split(" ")
            person = Person(
                organisation_id=org_id,
                name=full,
                given_name=given,
                family_name=family,
                email=f"{given}.{family}@example.org".lower(),
                start_date=dt.date(2023, 9, 1),
            )
            db.session.add(person)
            db.session.flush()
            db.session.add(
                StaffRole(person_id=person.id, school_id=ids[i % 2], role=StaffRoleKind.TEACHER)
            )
            if i % 2:
                db.session.add(
                    Completion(
                        organisation_id=org_id,
                        person_id=person.id,
                        module_id=module.id,
                        completed_on=dt.date(2026, 1, 5),
                        method=CompletionMethod.RECORDED,
                    )
                )
        db.session.commit()
    names = (name, *(n for _, n in schools), *people)
    return Org(org_id, (schools[0][0], schools[1][0]), names, platform)


@pytest.fixture
def orgs(app: Flask, fake_http: FakeHttp) -> tuple[Org, Org]:
    home = _world_org(
        app,
        fake_http,
        "Hawthorn Learning Trust",
        (("141001", "Hawthorn Primary"), ("141002", "Hazel Academy")),
        ("Harriet Hawthornly", "Hector Hazelby"),
    )
    away = _world_org(
        app,
        fake_http,
        "Quarry Lane Trust",
        (("252001", "Quarry Lane Primary"), ("252002", "Quince Academy")),
        ("Quentin Quarryman", "Queenie Quinceworth"),
    )
    return home, away


def _client(app: Flask, org: Org, kind: str) -> FlaskClient:
    if kind == "finance":
        # No LMS role suggests it: a trust leader grants it in the tool to a staff member.
        _client(app, org, "ta")
        sub = org.platform.user("ta").sub
        with app.app_context():
            person_id = db.session.scalar(
                select(Person.id).where(Person.sub == sub, Person.organisation_id == org.id)
            )
            assert person_id is not None
            db.session.add(
                Permission(
                    person_id=person_id,
                    kind=PermissionKind("finance"),
                    school_id=None,
                    source=PermissionSource.OVERRIDE,
                )
            )
            db.session.commit()
        kind = "ta"
    client = app.test_client()
    client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": TOOL_HOST})
    urn = org.urns[0]
    options: dict[str, Any] = {
        "user": kind,
        "custom": {"school_urn": urn},
        "overrides": {
            c.CONTEXT: {
                "id": f"course-{urn}",
                "label": urn,
                "title": "CPD",
                "type": ["CourseSection"],
            }
        },
    }
    result = launch(client, org.platform, login_options=options)
    assert result.response.status_code == 303, result.response.get_data(as_text=True)[:300]
    return client


def _table_for(param: str) -> Table | None:
    stem = ALIASES.get(param[: -len("_id")], param[: -len("_id")])
    for table in Base.metadata.tables.values():
        if (table.name == stem or table.name.endswith("_" + stem)) and (
            "organisation_id" in table.c
        ):
            return table
    return None


def _ids(org_id: int) -> Callable[[str], int]:
    """A real id of ``org_id``'s rows for a parameter, or 0 when it has none."""

    def lookup(param: str) -> int:
        table = _table_for(param)
        assert table is not None, f"add {param} to ALIASES: no table found for it"
        found = db.session.scalar(
            select(table.c.id).where(table.c.organisation_id == org_id).order_by(table.c.id)
        )
        return int(found) if found is not None else 0

    return lookup


def _urls(rule: Rule, ids: Callable[[str], int]) -> Iterator[str]:
    """Every URL of ``rule``: each ``any(...)`` choice, int params from ``ids``."""
    choices: list[dict[str, Any]] = [{}]
    for name, converter in rule._converters.items():
        if isinstance(converter, AnyConverter):
            values: list[Any] = sorted(converter.items)
        elif isinstance(converter, IntegerConverter):
            values = [ids(name)]
        else:
            values = [STRING_VALUES.get(name, "x")]
        choices = [{**done, name: v} for done in choices for v in values]
    for values in choices:
        built = rule.build(values)
        assert built is not None
        yield built[1]


def _rules(app: Flask) -> list[Rule]:
    return [
        r
        for r in app.url_map.iter_rules()
        if r.endpoint.split(".")[0] in BLUEPRINTS and r.methods and "GET" in r.methods
    ]


def _text(data: bytes) -> str:
    """A body as text: an XLSX (a zip) as the text of every part in it."""
    if data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "\n".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    return data.decode("utf-8", "replace")


def _leaks(body: str, other: Org) -> list[str]:
    return [n for n in (*other.names, *other.urns) if re.search(re.escape(n), body)]


def test_every_report_route_shows_only_the_users_own_organisation(
    app: Flask, orgs: tuple[Org, Org]
) -> None:
    rules = _rules(app)
    endpoints = {r.endpoint for r in rules}
    assert {"reports.school_page", "reports.trust", "reports.people", "senco.school"} <= endpoints
    crawled = shown = 0
    for me, other in (orgs, orgs[::-1]):
        with app.app_context():
            mine = {r.rule: list(_urls(r, _ids(me.id))) for r in rules}
            theirs = {r.rule: list(_urls(r, _ids(other.id))) for r in rules}
        for kind in KINDS:
            client = _client(app, me, kind)
            for rule in rules:
                for url in mine[rule.rule]:
                    response = client.get(url)
                    body = _text(response.get_data())
                    assert response.status_code < 500, (kind, url)
                    assert not _leaks(body, other), (kind, url, _leaks(body, other))
                    crawled += 1
                    shown += response.status_code == 200
                has_ids = any(isinstance(v, IntegerConverter) for v in rule._converters.values())
                for url in theirs[rule.rule]:
                    response = client.get(url)
                    body = _text(response.get_data())
                    if has_ids:
                        assert response.status_code in (403, 404), (kind, url)
                    assert not _leaks(body, other), (kind, url, _leaks(body, other))
                    crawled += 1
    assert crawled > 100
    assert shown > 40  # own pages really rendered: the crawl saw data, not only refusals


def test_the_trust_filters_refuse_another_organisations_ids(
    app: Flask, orgs: tuple[Org, Org]
) -> None:
    home, away = orgs
    leader = _client(app, home, "admin")
    with app.app_context():
        their_school = db.session.scalar(select(School.id).where(School.organisation_id == away.id))
        their_module = db.session.scalar(select(Module.id).where(Module.organisation_id == away.id))
        their_requirement = db.session.scalar(
            select(Requirement.id).where(Requirement.organisation_id == away.id)
        )
    for query in (
        f"school={their_school}",
        f"module={their_module}",
        f"column={their_requirement}",
    ):
        for path in ("/trust", "/trust/people", "/trust/statuses.csv"):
            response = leader.get(f"{path}?{query}")
            if path == "/trust" and query.startswith("column"):
                assert response.status_code == 200  # the dashboard has no column filter
                continue
            assert response.status_code == 404, (path, query)
    assert leader.get("/trust/people?school=abc").status_code == 400
    assert leader.get("/trust/people?status=nonsense").status_code == 400
