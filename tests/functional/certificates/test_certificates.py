"""Certificates of completion and CPD portfolios as PDF (issue 17), read back with pypdf: what
they say, who may download them, and the data-access log of downloads by others."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select
from werkzeug.test import TestResponse

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    Attempt,
    Completion,
    CompletionMethod,
    DataAccessEntry,
    Evidence,
    EvidenceStatus,
    InsetSession,
)
from tests.functional.staff.conftest import SignIn
from tests.functional.staff.support import (
    ALDER,
    BIRCH,
    add_completion,
    add_module,
    add_person,
    person_id_of,
)
from tests.support.factories import make_org, school_id
from tests.support.platform import TestPlatform


def _text(response: TestResponse) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    reader = PdfReader(io.BytesIO(response.get_data()))
    return "\n".join(page.extract_text() for page in reader.pages)


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def lena(app: Flask, sign_in: SignIn, platform: TestPlatform) -> tuple[FlaskClient, int]:
    client = sign_in("learner")
    return client, person_id_of(app, platform, "learner")


def _recorded_by(app: Flask, completion_id: int, person_id: int) -> None:
    with app.app_context():
        row = db.session.get(Completion, completion_id)
        assert row is not None
        row.recorded_by_id = person_id
        row.created_at = dt.datetime(2025, 9, 2, 10, 0, tzinfo=dt.UTC)
        db.session.commit()


def test_a_certificate_says_who_did_what_when_and_who_vouched(
    app: Flask, org_id: int, lena: tuple[FlaskClient, int]
) -> None:
    client, me = lena
    autism = add_module(app, org_id, "Autism awareness", hours="2.5")
    lead = add_person(app, ALDER, "Carys Lead")
    done = add_completion(app, me, autism, dt.date(2025, 9, 1), hours="2.5")
    _recorded_by(app, done, lead)
    text = _flat(_text(client.get(f"/certificates/{done}.pdf")))
    assert "Certificate of completion" in text
    assert "Lena Learner" in text
    assert "Autism awareness" in text
    assert "1 September 2025" in text
    assert "CPD hours 2.5" in text
    assert "Provider nasen" in text
    assert "Recorded by Carys Lead on 2 September 2025" in text
    assert f"CPD-{org_id}-{done:06d}" in text


def test_an_in_tool_pass_and_a_verified_certificate_name_how_they_were_vouched(
    app: Flask, org_id: int, lena: tuple[FlaskClient, int]
) -> None:
    client, me = lena
    module = add_module(app, org_id, "Code of Practice")
    lead = add_person(app, ALDER, "Carys Lead")
    with app.app_context():
        attempt = Attempt(
            organisation_id=org_id, person_id=me, module_id=module, answers={}, correct=7,
            total=8, score_percent=88, pass_mark_percent=80, passed=True,
        )  # fmt: skip
        evidence = Evidence(
            organisation_id=org_id, person_id=me, module_id=module,
            school_id=school_id(app, ALDER), course_title="Code of Practice day",
            provider="nasen", completed_on=dt.date(2025, 10, 3), cpd_hours=3,
            status=EvidenceStatus.VERIFIED, reviewed_by_id=lead,
            reviewed_at=dt.datetime(2025, 10, 6, 9, tzinfo=dt.UTC),
        )  # fmt: skip
        db.session.add_all([attempt, evidence])
        db.session.flush()
        in_tool = Completion(
            organisation_id=org_id, person_id=me, module_id=module,
            completed_on=dt.date(2025, 9, 20), method=CompletionMethod.IN_TOOL,
            attempt_id=attempt.id,
        )  # fmt: skip
        external = Completion(
            organisation_id=org_id, person_id=me, module_id=module,
            completed_on=dt.date(2025, 10, 3), method=CompletionMethod.EXTERNAL,
            evidence_id=evidence.id, recorded_by_id=lead, cpd_hours=3,
        )  # fmt: skip
        db.session.add_all([in_tool, external])
        db.session.commit()
        ids = in_tool.id, external.id
    first = _flat(_text(client.get(f"/certificates/{ids[0]}.pdf")))
    assert "Passed the knowledge check in this tool with 88% (7 of 8 right)" in first
    second = _flat(_text(client.get(f"/certificates/{ids[1]}.pdf")))
    assert "Certificate verified by Carys Lead on 6 October 2025" in second


def test_an_inset_certificate_names_the_session(
    app: Flask, org_id: int, lena: tuple[FlaskClient, int]
) -> None:
    client, me = lena
    module = add_module(app, org_id, "Ordinarily available provision")
    with app.app_context():
        inset = InsetSession(
            organisation_id=org_id, school_id=school_id(app, ALDER), module_id=module,
            title="Autumn INSET", held_on=dt.date(2025, 9, 1), cpd_hours=2,
        )  # fmt: skip
        db.session.add(inset)
        db.session.flush()
        row = Completion(
            organisation_id=org_id, person_id=me, module_id=module,
            completed_on=dt.date(2025, 9, 1), method=CompletionMethod.INSET,
            inset_session_id=inset.id, cpd_hours=2,
        )  # fmt: skip
        db.session.add(row)
        db.session.commit()
        done = row.id
    text = _flat(_text(client.get(f"/certificates/{done}.pdf")))
    assert "Ordinarily available provision: Autumn INSET" in text
    assert "Whole-staff INSET" in text


def test_an_imported_completion_has_no_certificate(
    app: Flask, org_id: int, lena: tuple[FlaskClient, int]
) -> None:
    client, me = lena
    module = add_module(app, org_id, "Autism")
    done = add_completion(app, me, module, dt.date(2024, 1, 5), method=CompletionMethod.IMPORTED)
    assert client.get(f"/certificates/{done}.pdf").status_code == 404
    page = client.get("/staff/me/cpd-record").get_data(as_text=True)
    assert f"/certificates/{done}.pdf" not in page


def test_names_print_as_written_and_markup_stays_text(
    app: Flask, org_id: int, sign_in: SignIn
) -> None:
    person = add_person(app, ALDER, "Siân Ó'Dálaigh-<b>Zoë</b>")
    module = add_module(app, org_id, "Speech & language <i>basics</i>")
    done = add_completion(app, person, module, dt.date(2025, 11, 11))
    text = _flat(_text(sign_in("admin").get(f"/certificates/{done}.pdf")))
    assert "Siân Ó'Dálaigh-<b>Zoë</b>" in text
    assert "Speech & language <i>basics</i>" in text


def _downloads(app: Flask) -> list[tuple[int | None, int | None, str]]:
    with app.app_context():
        rows = db.session.scalars(select(DataAccessEntry).order_by(DataAccessEntry.id))
        return [(r.viewer_id, r.subject_person_id, r.what) for r in rows]


def test_who_may_download_a_colleagues_certificate(
    app: Flask, org_id: int, sign_in: SignIn, platform: TestPlatform
) -> None:
    module = add_module(app, org_id, "Autism")
    cara = add_person(app, ALDER, "Cara Colleague")
    done = add_completion(app, cara, module, dt.date(2025, 9, 1))
    url = f"/certificates/{done}.pdf"
    learner = sign_in("learner")
    assert learner.get(url).status_code == 404
    assert learner.get(f"/certificates/people/{cara}/portfolio.pdf").status_code == 404
    assert sign_in("instructor", BIRCH).get(url).status_code == 404
    assert _downloads(app) == []
    lead = sign_in("instructor", ALDER)
    assert "Cara Colleague" in _text(lead.get(url))
    assert "Cara Colleague" in _text(lead.get(f"/certificates/people/{cara}/portfolio.pdf"))
    lead_id = person_id_of(app, platform, "instructor")
    assert _downloads(app) == [
        (lead_id, cara, f"Certificate of completion CPD-{org_id}-{done:06d}"),
        (lead_id, cara, "CPD portfolio (PDF)"),
    ]
    assert sign_in("admin").get(url).status_code == 200


def test_another_organisation_never_gets_one(app: Flask, org_id: int, sign_in: SignIn) -> None:
    other = make_org(app, "Other Trust", schools=[("200001", "Elm")])
    module = add_module(app, other, "Autism")
    stranger = add_person(app, "200001", "Sam Stranger")
    done = add_completion(app, stranger, module, dt.date(2025, 9, 1))
    admin = sign_in("admin")
    assert admin.get(f"/certificates/{done}.pdf").status_code == 404
    assert admin.get(f"/certificates/people/{stranger}/portfolio.pdf").status_code == 404
    assert admin.get("/certificates/99999999999999999999.pdf").status_code == 404


def test_the_portfolio_has_every_year_with_its_totals(
    app: Flask, org_id: int, lena: tuple[FlaskClient, int]
) -> None:
    client, me = lena
    autism = add_module(app, org_id, "Autism", hours="2")
    code = add_module(app, org_id, "Code of Practice")
    add_completion(app, me, code, dt.date(2024, 10, 1), hours="1.5")
    add_completion(app, me, autism, dt.date(2025, 8, 31), hours="2")
    imported = add_completion(
        app, me, code, dt.date(2025, 9, 1), hours="3.25", method=CompletionMethod.IMPORTED
    )
    page = client.get("/staff/me/cpd-record").get_data(as_text=True)
    assert f"/certificates/people/{me}/portfolio.pdf" in page
    assert page.count('">PDF<span class="govuk-visually-hidden"> certificate for') == 2
    assert f"/certificates/{imported}.pdf" not in page
    text = _flat(_text(client.get(f"/certificates/people/{me}/portfolio.pdf")))
    assert "CPD portfolio: Lena Learner" in text
    assert "3 completions, 6.75 CPD hours in all" in text
    assert "2025/26 (September to August)" in text
    assert "Total for 2024/25 3.5" in text
    assert "Imported from an earlier record" in text
    # Her own downloads are not someone else reading her data.
    assert _downloads(app) == []


def test_the_cpd_leads_person_page_links_the_certificates(
    app: Flask, org_id: int, sign_in: SignIn
) -> None:
    module = add_module(app, org_id, "Autism")
    cara = add_person(app, ALDER, "Cara Colleague")
    done = add_completion(app, cara, module, dt.date(2025, 9, 1))
    html = (
        sign_in("instructor", ALDER)
        .get(f"/staff/schools/{school_id(app, ALDER)}/people/{cara}")
        .get_data(as_text=True)
    )
    assert f"/certificates/{done}.pdf" in html
    assert f"/certificates/people/{cara}/portfolio.pdf" in html
