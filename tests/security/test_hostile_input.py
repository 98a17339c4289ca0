"""Crafted values never make a 500 (issue 14, finding 7, "Typed input everywhere").

The audit walks every GET route in ``app.url_map`` (so a new route is crawled without editing
this test), with its ``<int:...>`` parts filled with real ids of the organisation. A first pass
asks each route plainly and records which query parameters its view reads (the request's
``args`` are a dict that notes every name looked up); the second sends each of those names,
and every other name any view reads, each hostile value in turn, as a staff member, a CPD
lead, a trust leader and finance. Nothing may answer 5xx; a number the tool cannot hold is a
400 that says what to send.

The POST surfaces of the finding (the knowledge check, the purchases import's Delegates, ids
chosen in forms) have their own tests below. Runs on SQLite, and on PostgreSQL with
``TEST_DATABASE_URL`` (whose ``integer`` columns stop at 2**31 - 1).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, ClassVar

import openpyxl
import pytest
from flask import Flask, Request
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import Rule
from werkzeug.routing.converters import AnyConverter, IntegerConverter

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    Base,
    CompletionMethod,
    Delivery,
    InsetSession,
    Module,
    Question,
    QuestionOption,
)
from tests.functional.spend.support import grant_finance, provider, purchase
from tests.functional.staff.conftest import SignIn, org_id, platform, sign_in
from tests.functional.staff.support import (
    ALDER,
    add_completion,
    add_module,
    add_person,
    add_requirement,
    hidden,
    person_id_of,
)
from tests.support.factories import school_id
from tests.support.platform import TestPlatform

HOSTILE = (
    "2147483648",  # one past PostgreSQL's integer
    "99999999999999999999",  # past SQLite's 64-bit integer
    "\u00b2",  # "²": str.isdigit() is true, int() refuses it
    "\u0663",  # Arabic-Indic three: int() reads it
    "-1",
    "0",
    "1.5",
    "\x00",
    "x" * 5000,
    "' OR 1=1 --",
)
#: Names every view may read; the first pass adds any it finds.
KNOWN = ("school", "module", "column", "status", "role", "phase", "months", "year", "basis",
         "q", "tier", "retired", "saved", "done", "module_id")  # fmt: skip
#: Endpoints not for a signed-in user's browser (the LTI flow, keys, the demo LMS).
SKIP = ("launch.", "registration.", "static", "demo_lms.")
#: Path parameter values for string parts.
STRINGS = {"fmt": "csv", "key": "schools", "token": "not-a-token"}
KINDS = ("learner", "instructor", "admin", "finance")
#: The staff pages' fixtures: two schools, a Moodle platform, clients signed in by launches.
__all__ = ["org_id", "platform", "sign_in"]


class RecordingArgs(ImmutableMultiDict[str, str]):
    """Query args that note every name a view looks up."""

    seen: ClassVar[set[str]] = set()

    def get(self, key: str, default: Any = None, type: Any = None) -> Any:
        RecordingArgs.seen.add(key)
        return super().get(key, default, type)

    def __getitem__(self, key: str) -> str:
        RecordingArgs.seen.add(key)
        return super().__getitem__(key)

    def getlist(self, key: str, type: Any = None) -> list[Any]:
        RecordingArgs.seen.add(key)
        return super().getlist(key, type)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            RecordingArgs.seen.add(key)
        return super().__contains__(key)


class RecordingRequest(Request):
    parameter_storage_class = RecordingArgs


def _world(app: Flask, org_id: int, platform: TestPlatform) -> None:
    """Rows behind every page: a requirement, people with completions, an INSET session, a
    purchase, a knowledge check."""
    module = add_module(app, org_id, "Autism in the classroom")
    add_requirement(app, org_id, module)
    for name in ("Ada Ash", "Ben Birch"):
        person = add_person(app, ALDER, name)
        add_completion(app, person, module, dt.date(2025, 10, 1), method=CompletionMethod.RECORDED)
    nasen = provider(app, org_id)
    purchase(app, org_id, nasen, school_id(app, ALDER))
    with app.app_context():
        db.session.add(
            InsetSession(
                organisation_id=org_id,
                school_id=school_id(app, ALDER),
                module_id=module,
                title="Autumn INSET",
                held_on=dt.date(2025, 9, 1),
                cpd_hours=Decimal("2"),
            )
        )
        db.session.commit()


def _first_id(param: str, org_id: int) -> int:
    """A real id of the organisation's rows for ``<int:param>`` (1 when none is found)."""
    stem = param.removesuffix("_id")
    aliases = {"session": "inset_session", "doc": "senco_document", "link": "purchase_delegate",
               "line": "included_training", "job": "outbox_job", "row": "exemption"}  # fmt: skip
    stem = aliases.get(stem, stem)
    for table in Base.metadata.tables.values():
        if table.name in (stem, f"training_{stem}") or table.name.endswith("_" + stem):
            query = select(table.c.id).order_by(table.c.id)
            if "organisation_id" in table.c:
                query = query.where(table.c.organisation_id == org_id)
            found = db.session.scalar(query)
            if found is not None:
                return int(found)
    return 1


def _urls(rule: Rule, org_id: int) -> Iterator[str]:
    values: dict[str, Any] = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        elif isinstance(converter, IntegerConverter):
            values[name] = _first_id(name, org_id)
        else:
            values[name] = STRINGS.get(name, "x")
    built = rule.build(values)
    assert built is not None
    yield built[1]


def _get_rules(app: Flask) -> list[Rule]:
    return [
        r
        for r in app.url_map.iter_rules()
        if r.methods and "GET" in r.methods and not r.endpoint.startswith(SKIP)
    ]


def _get(client: FlaskClient, url: str, query: dict[str, str] | None = None) -> int:
    """The status of a GET, its body read and the response closed (downloads stream)."""
    response = client.get(url, query_string=query)
    response.get_data()
    response.close()
    return response.status_code


def _clients(app: Flask, sign_in: SignIn, platform: TestPlatform) -> dict[str, FlaskClient]:
    clients = {kind: sign_in(kind) for kind in ("learner", "instructor", "admin")}
    sign_in("ta")
    grant_finance(app, platform, "ta")
    clients["finance"] = sign_in("ta")
    return clients


def test_no_get_route_fails_on_hostile_query_values(
    app: Flask, org_id: int, platform: TestPlatform, sign_in: SignIn
) -> None:
    _world(app, org_id, platform)
    clients = _clients(app, sign_in, platform)
    app.request_class = RecordingRequest
    with app.app_context():
        urls = [url for rule in _get_rules(app) for url in _urls(rule, org_id)]
    reads: dict[tuple[str, str], set[str]] = {}
    for kind, client in clients.items():
        for url in urls:
            RecordingArgs.seen = set()
            status = _get(client, url)
            assert status < 500, (kind, url)
            if status == 200:
                reads[kind, url] = set(RecordingArgs.seen)
    names = set(KNOWN).union(*reads.values()) - {"lt"}
    assert {"school", "module", "column", "months", "year"} <= names
    assert len(reads) > 60  # the crawl reached real pages as each kind of user
    refused = 0
    for (kind, url), seen in reads.items():
        client = clients[kind]
        # Names this view read first, each value alone; then every other name at once.
        for name in sorted(seen - {"lt"}):
            for value in HOSTILE:
                status = _get(client, url, {name: value})
                assert status < 500, (kind, url, name, value[:20])
                refused += status == 400
        for value in HOSTILE:
            status = _get(client, url, dict.fromkeys(names - seen, value))
            assert status < 500, (kind, url, value[:20])
    assert refused > 50


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/trust?school=2147483648", "The school filter must be the number of one of the items"),
        ("/trust?school=%C2%B2", "The school filter must be the number of one of the items"),
        ("/trust?module=99999999999999999999", "The training filter must be the number"),
        ("/trust/people?column=2147483648", "The column must be the number of one of the items"),
        ("/trust/people?column=%C2%B2", "The column must be the number of one of the items"),
        ("/trust/trend?months=%C2%B2", "Show the trend over 6, 12, 24, 36 months."),
        ("/trust/trend?months=2147483648", "Show the trend over 6, 12, 24, 36 months."),
        ("/spend/purchases?school=2147483648", "The school filter must be the number of one"),
        ("/spend/purchases?school=%C2%B2", "The school filter must be the number of one"),
        ("/spend/report?year=99999999999999999999", "The year must be a whole number from 2,000"),
        ("/trust?phase=%00", "is not one this tool makes"),
    ],
)
def test_the_findings_query_values_are_refused_with_a_message(
    sign_in: SignIn, app: Flask, platform: TestPlatform, path: str, message: str
) -> None:
    leader = sign_in("admin")
    response = leader.get(path)
    assert response.status_code == 400, path
    assert message in response.get_data(as_text=True).replace("&#39;", "'")


def test_ids_past_the_database_in_a_url_are_not_found(sign_in: SignIn) -> None:
    leader = sign_in("admin")
    assert leader.get("/schools/2147483648").status_code == 404
    assert leader.get("/spend/purchases/99999999999999999999").status_code == 404
    assert leader.get(f"/schools/{2**31 - 1}").status_code == 404  # in range: no such school


def _check_module(app: Flask, org_id: int) -> tuple[int, int, int]:
    """An in-tool module with one question; (module id, question id, right option id)."""
    with app.app_context():
        module = Module(
            organisation_id=org_id,
            slug="check",
            title="Check",
            tier="awareness",
            delivery=Delivery.IN_TOOL,
            cpd_hours=Decimal("1"),
        )
        db.session.add(module)
        db.session.flush()
        question = Question(module_id=module.id, position=1, prompt="Which?")
        db.session.add(question)
        db.session.flush()
        right = QuestionOption(question_id=question.id, position=1, text="This", correct=True)
        db.session.add_all([right, QuestionOption(question_id=question.id, position=2, text="No")])
        db.session.commit()
        return module.id, question.id, right.id


@pytest.mark.parametrize("value", ["2147483648", "99999999999999999999", "\u00b2", "-1", ""])
def test_a_knowledge_check_with_crafted_answers_counts_them_unanswered(
    app: Flask, org_id: int, sign_in: SignIn, value: str
) -> None:
    module_id, question_id, right = _check_module(app, org_id)
    staff = sign_in("learner")
    page = staff.get(f"/modules/{module_id}/check").get_data(as_text=True)
    response = staff.post(
        f"/modules/{module_id}/check",
        data={
            "csrf_token": hidden(page, "csrf_token"),
            "paper": hidden(page, "paper"),
            f"q{question_id}": value,
        },
    )
    assert response.status_code == 400
    assert "Which?" in response.get_data(as_text=True)
    # ... and a real answer alongside a crafted one still counts.
    page = staff.get(f"/modules/{module_id}/check").get_data(as_text=True)
    response = staff.post(
        f"/modules/{module_id}/check",
        data={
            "csrf_token": hidden(page, "csrf_token"),
            "paper": hidden(page, "paper"),
            f"q{question_id}": [value, str(right)],
        },
    )
    assert response.status_code == 200


@pytest.mark.parametrize("value", ["2147483648", "\u00b2", "-1", "0"])
def test_ids_chosen_in_forms_are_refused_by_the_form(
    app: Flask, org_id: int, sign_in: SignIn, platform: TestPlatform, value: str
) -> None:
    lead = sign_in("instructor")
    person_id_of(app, platform, "instructor")
    page = lead.get("/spend/purchases/new").get_data(as_text=True)
    response = lead.post(
        "/spend/purchases/new",
        data={
            "csrf_token": hidden(page, "csrf_token"),
            "school_id": value,
            "provider_id": value,
            "module_id": value,
            "course_title": "A course",
            "purchased_on": "1/10/2025",
            "delegates": value,
            "list_price": "100",
            "funding_source": "school_budget",
        },
    )
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "There is a problem" in body
    assert "Delegates must be a whole number from 1 to 1,000" in body


TABLES = ("compliance", "coverage", "chase", "roles", "gaps", "hours", "heatmap")


def test_every_xlsx_export_writes_a_name_with_a_vertical_tab(
    app: Flask, org_id: int, sign_in: SignIn
) -> None:
    """Names already stored (before launches were cleaned, or from an import) still export."""
    module = add_module(app, org_id, '=HYPERLINK("http://evil.example")')
    add_requirement(app, org_id, module)
    person = add_person(app, ALDER, "Cat Che\x0brry")
    add_completion(app, person, module, dt.date(2025, 10, 1))
    add_person(app, ALDER, "Dan Dam\x01son")
    leader = sign_in("admin")
    alder = school_id(app, ALDER)
    urls = [f"/schools/{alder}/{t}.xlsx" for t in TABLES]
    urls += ["/trust/statuses.xlsx", "/trust/matrix.xlsx", "/trust/ranking.xlsx"]
    for url in urls:
        response = leader.get(url)
        assert response.status_code == 200, url
        book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
        cells = [str(v) for row in book.active.iter_rows(values_only=True) for v in row if v]
        if url.endswith(("compliance.xlsx", "statuses.xlsx")):
            assert "Cat Cherry" in cells, url
        assert not any(v.startswith("=") for v in cells), url
        csv_response = leader.get(url.replace(".xlsx", ".csv"))
        assert csv_response.status_code == 200
        assert "=HYPERLINK" not in csv_response.get_data(as_text=True).replace("'=HYPERLINK", "")
