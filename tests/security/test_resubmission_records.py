"""A records form sent twice creates once (issue 14, finding 8): evidence, INSET sessions,
exemptions and extensions. The second copy of the same form (same one-time token, as a double
click or Back-and-submit sends it) creates nothing and is shown what the first created."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import TestResponse, stream_encode_multipart

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    Completion,
    Evidence,
    Exemption,
    Extension,
    FormSubmission,
    InsetSession,
    Requirement,
)
from tests.functional.records.conftest import world
from tests.functional.records.helpers import World, count, csrf, days_ago, text, uk

__all__ = ["world"]

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
RESENT = "That form had already been sent, so nothing new was saved."


def _evidence_post(client: FlaskClient, token: str, **fields: Any) -> TestResponse:
    form: dict[str, Any] = {
        "csrf_token": token,
        "module_id": fields.pop("module_id"),
        "course_title": "Supporting speech and language",
        "provider": "County Speech and Language Service",
        "completed_on": uk(days_ago(10)),
        "cpd_hours": "6",
        "certificate": FileStorage(
            BytesIO(PDF), filename="certificate.pdf", content_type="application/pdf"
        ),
        **fields,
    }
    body, length, boundary = stream_encode_multipart(form, use_tempfile=False)
    return client.post(
        "/records/external/new",
        input_stream=body,
        content_length=length,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def test_evidence_sent_twice_is_recorded_once(world: World) -> None:
    staff = world.client("staff_a")
    token = csrf(staff.get("/records/external/new").get_data(as_text=True))
    first = _evidence_post(staff, token, module_id=str(world.external_module))
    assert first.status_code == 303
    again = _evidence_post(staff, token, module_id=str(world.external_module))
    assert again.status_code == 303
    assert "resent=1" in again.headers["Location"]
    assert count(world.app, Evidence) == 1
    assert len(world.stored_files()) == 1
    page = text(staff.get(again.headers["Location"]))
    assert RESENT in page
    assert "Supporting speech and language" in page


def test_a_refused_submission_can_be_corrected_and_sent_with_the_same_form(world: World) -> None:
    """The claim rolls back with the refused request: the corrected form is not a repeat."""
    staff = world.client("staff_a")
    token = csrf(staff.get("/records/external/new").get_data(as_text=True))
    refused = _evidence_post(staff, token, module_id=str(world.external_module), cpd_hours="x")
    assert refused.status_code == 400
    assert count(world.app, FormSubmission) == 0
    corrected = _evidence_post(staff, token, module_id=str(world.external_module))
    assert corrected.status_code == 303
    assert "resent" not in corrected.headers["Location"]
    assert count(world.app, Evidence) == 1


def _inset_form(world: World, token: str, ticked: list[int]) -> dict[str, Any]:
    return {
        "csrf_token": token,
        "module_id": str(world.inset_module),
        "title": "Autumn INSET: autism awareness",
        "held_on": uk(days_ago(2)),
        "cpd_hours": "",
        "attendees": [str(a) for a in ticked],
    }


def test_an_inset_session_sent_twice_records_each_attendee_once(world: World) -> None:
    lead = world.client("lead_a")
    staff = [world.add_staff(world.school_a, f"Person {n}") for n in range(10)]
    url = f"/records/schools/{world.school_a}/inset/new"
    token = csrf(lead.get(url).get_data(as_text=True))
    first = lead.post(url, data=_inset_form(world, token, staff))
    again = lead.post(url, data=_inset_form(world, token, staff))
    assert first.status_code == again.status_code == 303
    assert again.headers["Location"].split("?")[0] == first.headers["Location"].split("?")[0]
    assert RESENT in text(lead.get(again.headers["Location"]))
    # A fresh copy of the form with the same session (another tab, a reload): the session
    # already recorded gains only whoever is newly ticked.
    late = world.add_staff(world.school_a, "Late Larch")
    token = csrf(lead.get(url).get_data(as_text=True))
    third = lead.post(url, data=_inset_form(world, token, [*staff, late]))
    assert third.status_code == 303
    assert count(world.app, InsetSession) == 1
    assert count(world.app, Completion) == 11
    with world.app.app_context():
        people = list(db.session.scalars(select(Completion.person_id)))
    assert sorted(people) == sorted([*staff, late])


def _requirement(world: World) -> int:
    with world.app.app_context():
        found = db.session.scalar(
            select(Requirement.id).where(Requirement.module_id == world.external_module)
        )
    assert found is not None
    return found


def test_an_exemption_and_an_extension_sent_twice_are_granted_once(world: World) -> None:
    lead = world.client("lead_a")
    url = f"/records/schools/{world.school_a}/people/{world.person_id('staff_a')}"
    page = lead.get(url.replace("/records/", "/staff/", 1)).get_data(as_text=True)
    token = csrf(page)
    exemption = {
        "csrf_token": token,
        "exemption_requirement": str(_requirement(world)),
        "exemption_reason": "Long-term absence",
        "starts_on": uk(days_ago(5)),
        "ends_on": "",
    }
    assert lead.post(f"{url}/exemptions", data=exemption).status_code == 303
    again = lead.post(f"{url}/exemptions", data=exemption)
    assert again.status_code == 303
    assert "resent=1" in again.headers["Location"]
    assert count(world.app, Exemption) == 1
    extension = {
        "csrf_token": token,
        "extension_requirement": str(_requirement(world)),
        "extension_reason": "Course cancelled",
        "new_due_on": uk(days_ago(-30)),
    }
    # One token on two forms of the page: each form's path is part of its key.
    assert lead.post(f"{url}/extensions", data=extension).status_code == 303
    assert lead.post(f"{url}/extensions", data=extension).status_code == 303
    assert count(world.app, Extension) == 1
