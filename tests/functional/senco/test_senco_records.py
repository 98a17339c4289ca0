"""The SENCO page's records beyond the appointment: documents kept with a qualification, the
organisation's providers, the head teacher, and the SENCO staff role an appointment gives."""

from __future__ import annotations

import datetime as dt
import io

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import TestResponse, stream_encode_multipart

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    AuditEntry,
    SchoolHead,
    SencoDocument,
    SencoProvider,
    StaffRole,
    StaffRoleKind,
)
from cpd_tracker.services.senco import SUGGESTED_PROVIDERS
from tests.functional.senco.conftest import SignIn
from tests.functional.senco.support import post
from tests.functional.senco.test_senco_pages import _appoint, _qualify
from tests.functional.staff.support import ALDER, add_person, hidden
from tests.support.factories import school_id

PDF = b"%PDF-1.4\n% an offer of a place\n"
TODAY = dt.date.today()


def _upload(client: FlaskClient, path: str, page: str, data: bytes, name: str) -> TestResponse:
    html = client.get(page).get_data(as_text=True)
    form = {
        "csrf_token": hidden(html, "csrf_token"),
        "document": FileStorage(io.BytesIO(data), filename=name),
    }
    # Encoded in memory: the test client's own encoder spills big bodies to a temporary file
    # that it never closes (a ResourceWarning, which this suite treats as an error).
    body, length, boundary = stream_encode_multipart(form, use_tempfile=False)
    return client.post(
        path,
        input_stream=body,
        content_length=length,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def test_a_document_is_kept_with_a_qualification_and_downloaded(
    app: Flask, sign_in: SignIn
) -> None:
    lead = sign_in("instructor")
    sid = school_id(app, ALDER)
    pid = add_person(app, ALDER, "Sian Evans")
    _appoint(app, ALDER, pid, TODAY - dt.timedelta(days=30))
    qid = _qualify(app, pid, kind="npq_senco", started_on=TODAY)
    page = f"/senco/schools/{sid}/qualifications/{qid}"
    response = _upload(lead, page + "/documents", page, PDF, "../../Offer letter.pdf")
    assert response.status_code == 303
    html = lead.get(page).get_data(as_text=True)
    assert "Offer letter.pdf" in html
    with app.app_context():
        doc = db.session.scalars(select(SencoDocument)).one()
        assert db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "senco.document_added")
        ).one()
    download = lead.get(f"{page}/documents/{doc.id}")
    assert download.status_code == 200
    assert download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    # The school page counts it.
    assert lead.get(f"/senco/schools/{sid}").status_code == 200


def test_a_file_that_is_not_a_document_is_refused_and_nothing_is_kept(
    app: Flask, sign_in: SignIn
) -> None:
    lead = sign_in("instructor")
    sid = school_id(app, ALDER)
    pid = add_person(app, ALDER, "Sian Evans")
    _appoint(app, ALDER, pid, TODAY - dt.timedelta(days=30))
    qid = _qualify(app, pid, kind="npq_senco", started_on=TODAY)
    page = f"/senco/schools/{sid}/qualifications/{qid}"
    for data, message in [
        (b"<html><script>alert(1)</script></html>", "whatever its name says"),
        (b"", "The selected file is empty"),
    ]:
        response = _upload(lead, page + "/documents", page, data, "offer.pdf")
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    too_big = b"%PDF-" + b"0" * (5 * 1024 * 1024)
    response = _upload(lead, page + "/documents", page, too_big, "big.pdf")
    assert response.status_code in (400, 413)
    assert "smaller" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(SencoDocument)).all() == []


def test_a_new_provider_is_remembered_for_the_organisation(app: Flask, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    sid = school_id(app, ALDER)
    pid = add_person(app, ALDER, "Sian Evans")
    _appoint(app, ALDER, pid, TODAY - dt.timedelta(days=30))
    page = f"/senco/schools/{sid}"
    before = lead.get(page).get_data(as_text=True)
    assert f'<option value="{SUGGESTED_PROVIDERS[0]}">' in before
    assert "Northern SEND Partnership" not in before
    for _ in range(2):
        response = post(
            lead,
            f"{page}/qualifications",
            page,
            {
                "person_id": str(pid),
                "kind": "npq_senco",
                "provider": "Northern SEND Partnership",
                "result": "pending",
                "funding": "",
            },
        )
        assert response.status_code == 303
    assert '<option value="Northern SEND Partnership">' in lead.get(page).get_data(as_text=True)
    with app.app_context():
        assert list(db.session.scalars(select(SencoProvider.name))) == ["Northern SEND Partnership"]


def test_the_head_is_recorded_from_the_staff_and_audited(app: Flask, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    sid = school_id(app, ALDER)
    head = add_person(app, ALDER, "Helen Head")
    page = f"/senco/schools/{sid}"
    assert "No head teacher is recorded" in lead.get(page).get_data(as_text=True)
    response = post(lead, f"{page}/head", page, {"head_id": str(head)})
    assert response.status_code == 303
    assert "Helen Head is recorded as head teacher" in lead.get(page).get_data(as_text=True)
    # Someone not on the school's staff is refused, and nothing changes.
    response = post(lead, f"{page}/head", page, {"head_id": "999999"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalars(select(SchoolHead.person_id)).one() == head
        audit = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "school.head_changed")
        ).one()
        assert audit.details["after"] == head


def test_appointing_gives_the_senco_role_and_ending_takes_it_away(
    app: Flask, sign_in: SignIn
) -> None:
    lead = sign_in("instructor")
    sid = school_id(app, ALDER)
    pid = add_person(app, ALDER, "Sian Evans")
    page = f"/senco/schools/{sid}"
    started = TODAY - dt.timedelta(days=30)
    response = post(
        lead,
        f"{page}/appointments",
        page,
        {
            "person_id": str(pid),
            "started_on": started.isoformat(),
            "has_qts": "y",
            "induction_complete": "y",
            "teaches_at_school": "y",
        },
    )
    assert response.status_code == 303

    def senco_role() -> StaffRole | None:
        with app.app_context():
            return db.session.scalar(
                select(StaffRole).where(
                    StaffRole.person_id == pid, StaffRole.role == StaffRoleKind.SENCO
                )
            )

    role = senco_role()
    assert role is not None
    assert role.started_on == started
    assert role.ended_on is None
    with app.app_context():
        from cpd_tracker.models import SencoAppointment

        aid = db.session.scalars(select(SencoAppointment.id)).one()
    response = post(lead, f"{page}/appointments/{aid}/end", page, {"ended_on": TODAY.isoformat()})
    assert response.status_code == 303
    role = senco_role()
    assert role is not None
    assert role.ended_on == TODAY


def test_a_passed_npq_becomes_a_completion_of_the_catalogues_npq_module_once(
    app: Flask, sign_in: SignIn
) -> None:
    from cpd_tracker.models import Completion, Module

    lead = sign_in("instructor")
    sid = school_id(app, ALDER)
    pid = add_person(app, ALDER, "Sian Evans")
    _appoint(app, ALDER, pid, TODAY - dt.timedelta(days=700))
    page = f"/senco/schools/{sid}"
    passed = TODAY - dt.timedelta(days=3)
    fields = {
        "person_id": str(pid),
        "kind": "npq_senco",
        "provider": "Ambition Institute",
        "started_on": (TODAY - dt.timedelta(days=600)).isoformat(),
        "result": "passed",
        "completed_on": passed.isoformat(),
        "funding": "scholarship",
    }
    assert post(lead, f"{page}/qualifications", page, fields).status_code == 303
    with app.app_context():
        from cpd_tracker.models import SencoQualification

        qid = db.session.scalars(select(SencoQualification.id)).one()
    edit = f"{page}/qualifications/{qid}"
    later = {**fields, "completed_on": (passed + dt.timedelta(days=1)).isoformat()}
    assert post(lead, edit, edit, later).status_code == 303
    with app.app_context():
        rows = db.session.execute(
            select(Completion, Module.slug).join(Module, Module.id == Completion.module_id)
        ).all()
        assert [(c.person_id, slug, c.completed_on) for c, slug in rows] == [
            (pid, "npq-for-sencos", passed)
        ]
        assert rows[0][0].provider == "Ambition Institute"
