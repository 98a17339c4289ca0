"""External training: a staff member records it with a certificate, a CPD lead verifies or
rejects it; the certificate is checked by its bytes, size-limited, stored outside the web root
and downloadable only by those who may see it."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import TestResponse, stream_encode_multipart

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    Completion,
    CompletionMethod,
    Evidence,
    EvidenceStatus,
    StaffRole,
    StaffRoleKind,
)
from tests.functional.records.helpers import (
    JPEG,
    PDF,
    PNG,
    World,
    audited,
    count,
    csrf,
    days_ago,
    text,
    uk,
)

MB = 1024 * 1024


def submit(
    client: FlaskClient,
    world: World,
    *,
    data: bytes | None = PDF,
    file_name: str = "certificate.pdf",
    content_type: str = "application/pdf",
    with_csrf: bool = True,
    **fields: Any,
) -> TestResponse:
    """Fill in /records/external/new as a browser would and post it."""
    page = client.get("/records/external/new")
    assert page.status_code == 200
    form: dict[str, Any] = {
        "module_id": str(world.external_module),
        "course_title": "Supporting speech and language",
        "provider": "County Speech and Language Service",
        "completed_on": uk(days_ago(10)),
        "cpd_hours": "6",
    }
    if with_csrf:
        form["csrf_token"] = csrf(page.get_data(as_text=True))
    if data is not None:
        form["certificate"] = FileStorage(
            BytesIO(data), filename=file_name, content_type=content_type
        )
    form.update(fields)
    # Encoded in memory: the test client's own encoder spills big bodies to a temporary file
    # that it never closes (a ResourceWarning, which this suite treats as an error).
    body, length, boundary = stream_encode_multipart(form, use_tempfile=False)
    return client.post(
        "/records/external/new",
        input_stream=body,
        content_length=length,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def only_evidence(world: World) -> Evidence:
    with world.app.app_context():
        rows = list(db.session.scalars(select(Evidence)))
    assert len(rows) == 1
    return rows[0]


def review(
    client: FlaskClient, world: World, evidence_id: int, action: str, **fields: str
) -> TestResponse:
    url = f"/records/schools/{world.school_a}/evidence/{evidence_id}"
    page = client.get(url)
    assert page.status_code == 200
    return client.post(
        f"{url}/{action}", data={"csrf_token": csrf(page.get_data(as_text=True)), **fields}
    )


def status_of(client: FlaskClient, title: str) -> str:
    """The status tag beside ``title`` on My training."""
    html = text(client.get("/my-training"))
    row = html[html.index(title) :]
    row = row[: row.index("</tr>")]
    return row.split('class="govuk-tag', 1)[1].split(">", 1)[1].split("<", 1)[0]


# --- The whole flow -------------------------------------------------------------------------


def test_verified_external_training_makes_the_staff_member_compliant(world: World) -> None:
    staff, lead = world.client("staff_a"), world.client("lead_a")
    title = "Speech, language and communication needs"
    assert status_of(staff, title) == "Due"

    response = submit(staff, world)
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/records/evidence")
    listing = text(staff.get(response.headers["Location"]))
    assert "sent to your CPD lead" in listing
    assert "Waiting for your CPD lead" in listing
    evidence = only_evidence(world)
    assert evidence.status is EvidenceStatus.PENDING
    assert evidence.content_type == "application/pdf"
    assert evidence.file_size == len(PDF)
    assert evidence.school_id == world.school_a
    assert audited(world.app, "evidence.submitted")[0].entity_id == str(evidence.id)

    queue = text(lead.get(f"/records/schools/{world.school_a}/evidence"))
    assert "Supporting speech and language" in queue
    assert "Lena Learner" in queue
    school_page = text(lead.get(f"/schools/{world.school_a}"))
    assert "Evidence awaiting verification (1)" in school_page

    verified = review(lead, world, evidence.id, "verify")
    assert verified.status_code == 303
    with world.app.app_context():
        completion = db.session.scalars(select(Completion)).one()
        reloaded = db.session.get(Evidence, evidence.id)
        assert reloaded is not None
        evidence = reloaded
    assert completion.method is CompletionMethod.EXTERNAL
    assert completion.evidence_id == evidence.id
    assert completion.person_id == world.person_id("staff_a")
    assert completion.completed_on == days_ago(10)
    assert completion.cpd_hours == 6
    assert completion.provider == "County Speech and Language Service"
    assert completion.recorded_by_id == world.person_id("lead_a")
    assert evidence.status is EvidenceStatus.VERIFIED
    assert evidence.reviewed_by_id == world.person_id("lead_a")
    assert evidence.reviewed_at is not None
    assert [e.entity_id for e in audited(world.app, "evidence.verified")] == [str(evidence.id)]
    recorded = audited(world.app, "completion.recorded")
    assert [e.entity_id for e in recorded] == [str(completion.id)]
    assert recorded[0].actor_person_id == world.person_id("lead_a")

    assert status_of(staff, title) == "Compliant"
    mine = text(staff.get("/records/evidence"))
    assert "Verified by Ian Instructor" in mine
    after = text(lead.get(f"/schools/{world.school_a}"))
    assert "Evidence awaiting verification (0)" in after


def test_rejection_reason_is_shown_to_the_staff_member(world: World) -> None:
    staff, lead = world.client("staff_a"), world.client("lead_a")
    submit(staff, world)
    evidence = only_evidence(world)

    missing = review(lead, world, evidence.id, "reject", reason="  ")
    assert missing.status_code == 400
    assert "Enter the reason" in text(missing)
    assert only_evidence(world).status is EvidenceStatus.PENDING

    rejected = review(
        lead, world, evidence.id, "reject", reason="The certificate does not show your name."
    )
    assert rejected.status_code == 303
    evidence = only_evidence(world)
    assert evidence.status is EvidenceStatus.REJECTED
    assert evidence.rejection_reason == "The certificate does not show your name."
    assert count(world.app, Completion) == 0
    assert audited(world.app, "evidence.rejected")[0].details["reason"] == (
        "The certificate does not show your name."
    )
    mine = text(staff.get("/records/evidence"))
    assert "Rejected" in mine
    assert "The certificate does not show your name." in mine


def test_a_reviewed_item_cannot_be_reviewed_again(world: World) -> None:
    staff, lead = world.client("staff_a"), world.client("lead_a")
    submit(staff, world)
    evidence = only_evidence(world)
    page = lead.get(f"/records/schools/{world.school_a}/evidence/{evidence.id}")
    token = csrf(page.get_data(as_text=True))
    url = f"/records/schools/{world.school_a}/evidence/{evidence.id}"

    assert lead.post(f"{url}/verify", data={"csrf_token": token}).status_code == 303
    again = lead.post(f"{url}/verify", data={"csrf_token": token})
    assert again.status_code == 409
    assert "already reviewed" in text(again)
    rejected = lead.post(f"{url}/reject", data={"csrf_token": token, "reason": "No."})
    assert rejected.status_code == 409
    assert count(world.app, Completion) == 1
    assert only_evidence(world).status is EvidenceStatus.VERIFIED


def test_bulk_verify_and_reject(world: World) -> None:
    lead = world.client("lead_a")
    for name, module in (
        ("staff_a", world.external_module),
        ("staff_a2", world.external_module),
        ("staff_a", world.inset_module),
    ):
        assert submit(world.client(name), world, module_id=str(module)).status_code == 303
    with world.app.app_context():
        ids = list(db.session.scalars(select(Evidence.id).order_by(Evidence.id)))
    url = f"/records/schools/{world.school_a}/evidence"
    token = csrf(lead.get(url).get_data(as_text=True))

    unknown = lead.post(
        url, data={"csrf_token": token, "action": "delete", "evidence_id": [str(ids[0])]}
    )
    assert unknown.status_code == 400
    assert "Choose Verify selected or Reject selected" in text(unknown)

    nothing = lead.post(url, data={"csrf_token": token, "action": "verify"})
    assert nothing.status_code == 400
    assert "Select the evidence to verify or reject" in text(nothing)

    no_reason = lead.post(
        url, data={"csrf_token": token, "action": "reject", "evidence_id": [str(ids[2])]}
    )
    assert no_reason.status_code == 400
    assert "Enter the reason for rejecting" in text(no_reason)

    verified = lead.post(
        url,
        data={"csrf_token": token, "action": "verify", "evidence_id": [str(ids[0]), str(ids[1])]},
    )
    assert verified.status_code == 303
    assert count(world.app, Completion) == 2

    # All or nothing: one already verified item in the batch refuses the whole batch.
    stale = lead.post(
        url,
        data={
            "csrf_token": token,
            "action": "reject",
            "reason": "Duplicate",
            "evidence_id": [str(ids[1]), str(ids[2])],
        },
    )
    assert stale.status_code == 409
    assert "nothing was changed" in text(stale)
    with world.app.app_context():
        assert db.session.get(Evidence, ids[2]).status is EvidenceStatus.PENDING  # type: ignore[union-attr]

    rejected = lead.post(
        url,
        data={
            "csrf_token": token,
            "action": "reject",
            "reason": "Duplicate of your earlier record",
            "evidence_id": [str(ids[2])],
        },
    )
    assert rejected.status_code == 303
    with world.app.app_context():
        statuses = list(db.session.scalars(select(Evidence.status).order_by(Evidence.id)))
    assert statuses == [EvidenceStatus.VERIFIED, EvidenceStatus.VERIFIED, EvidenceStatus.REJECTED]
    assert len(audited(world.app, "evidence.verified")) == 2
    assert len(audited(world.app, "evidence.rejected")) == 1


def test_bulk_refuses_evidence_of_another_school(world: World) -> None:
    assert submit(world.client("staff_b"), world).status_code == 303
    other = only_evidence(world)
    lead = world.client("lead_a")
    url = f"/records/schools/{world.school_a}/evidence"
    assert "Nothing is waiting" in text(lead.get(url))
    token = csrf(lead.get(f"/records/schools/{world.school_a}/inset/new").get_data(as_text=True))
    response = lead.post(
        url, data={"csrf_token": token, "action": "verify", "evidence_id": [str(other.id)]}
    )
    assert response.status_code == 400
    assert count(world.app, Completion) == 0
    assert only_evidence(world).status is EvidenceStatus.PENDING


def test_a_cpd_lead_cannot_verify_their_own_evidence(world: World) -> None:
    lead = world.client("lead_a")
    assert submit(lead, world).status_code == 303
    evidence = only_evidence(world)
    page = lead.get(f"/records/schools/{world.school_a}/evidence/{evidence.id}")
    assert "This is your own evidence" in text(page)
    url = f"/records/schools/{world.school_a}/evidence"
    token = csrf(lead.get(url).get_data(as_text=True))
    response = lead.post(
        url, data={"csrf_token": token, "action": "verify", "evidence_id": [str(evidence.id)]}
    )
    assert response.status_code == 403
    assert "You cannot review your own evidence" in text(response)
    assert count(world.app, Completion) == 0

    # A trust leader can.
    trust = world.client("trust")
    assert review(trust, world, evidence.id, "verify").status_code == 303
    assert count(world.app, Completion) == 1


# --- Bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"course_title": " "}, "Enter the course title"),
        ({"provider": ""}, "Enter who ran the course"),
        ({"module_id": ""}, "Select the training this course counts towards"),
        ({"module_id": "999999"}, "Select the training this course counts towards"),
        ({"completed_on": ""}, "Enter the date you completed the course"),
        ({"completed_on": "31/2/2025"}, "Enter the date you completed the course, for example"),
        ({"completed_on": uk(days_ago(-1))}, "The date must be today or in the past"),
        ({"completed_on": "1/1/1989"}, "The date must be after 1 January 1990"),
        ({"cpd_hours": ""}, "Enter the CPD hours"),
        ({"cpd_hours": "six"}, "Enter CPD hours as a number"),
        ({"cpd_hours": "NaN"}, "Enter CPD hours as a number"),
        ({"cpd_hours": "0.1"}, "CPD hours must be between 0.25 and 100"),
        ({"cpd_hours": "101"}, "CPD hours must be between 0.25 and 100"),
        ({"cpd_hours": "1.125"}, "no more than 2 decimal places"),
    ],
)
def test_bad_input_is_answered_and_nothing_is_written(
    world: World, fields: dict[str, Any], message: str
) -> None:
    response = submit(world.client("staff_a"), world, **fields)
    assert response.status_code == 400
    html = text(response)
    assert "There is a problem" in html
    assert message in html
    assert "Supporting speech and language" in html or "course_title" in fields
    assert count(world.app, Evidence) == 0
    assert world.stored_files() == []


def test_certificate_required_for_a_course_optional_for_inset(world: World) -> None:
    staff = world.client("staff_a")
    missing = submit(staff, world, data=None)
    assert missing.status_code == 400
    assert "Upload the certificate" in text(missing)
    assert count(world.app, Evidence) == 0

    inset = submit(staff, world, data=None, module_id=str(world.inset_module))
    assert inset.status_code == 303
    evidence = only_evidence(world)
    assert evidence.file_key is None
    assert "No certificate" in text(staff.get("/records/evidence"))
    assert staff.get(f"/records/evidence/{evidence.id}/certificate").status_code == 404


def test_png_named_pdf_is_kept_as_a_png(world: World) -> None:
    staff = world.client("staff_a")
    response = submit(staff, world, data=PNG, file_name="../../etc/scan.pdf")
    assert response.status_code == 303
    evidence = only_evidence(world)
    assert evidence.content_type == "image/png"
    assert evidence.file_name == "scan.png"
    download = staff.get(f"/records/evidence/{evidence.id}/certificate")
    assert download.status_code == 200
    assert download.mimetype == "image/png"
    assert download.data == PNG
    assert download.headers["Content-Disposition"] == "attachment; filename=scan.png"


def test_jpeg_is_accepted(world: World) -> None:
    assert (
        submit(world.client("staff_a"), world, data=JPEG, file_name="photo.jpeg").status_code == 303
    )
    assert only_evidence(world).content_type == "image/jpeg"


@pytest.mark.parametrize(
    "data",
    [
        b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 60,  # a Windows program
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        b"GIF89a" + b"\x00" * 20,
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        b"PK\x03\x04" + b"\x00" * 40,  # a Word document or any zip
        b"",
    ],
)
def test_files_that_are_not_pdf_or_images_are_refused_whatever_their_name(
    world: World, data: bytes
) -> None:
    response = submit(world.client("staff_a"), world, data=data, file_name="certificate.pdf")
    assert response.status_code == 400
    html = text(response)
    assert "Choose the file again" in html or "Upload the certificate" in html
    assert count(world.app, Evidence) == 0
    assert world.stored_files() == []


def test_size_limit_is_5_mb_for_this_form_only(world: World) -> None:
    staff = world.client("staff_a")
    big_ok = PDF + b"0" * (int(4.9 * MB) - len(PDF))
    assert submit(staff, world, data=big_ok).status_code == 303
    assert only_evidence(world).file_size == len(big_ok)

    # Just over the limit: the form comes back with the other answers kept.
    too_big = PDF + b"0" * (int(5.1 * MB) - len(PDF))
    response = submit(staff, world, data=too_big, course_title="Second course")
    assert response.status_code == 413
    html = text(response)
    assert "smaller than 5 MB" in html
    assert 'value="Second course"' in html

    # Far over: refused before the body is read, with a page that says what to do.
    huge = PDF + b"0" * (8 * MB)
    response = submit(staff, world, data=huge)
    assert response.status_code == 413
    html = text(response)
    assert "larger than 5 MB" in html
    assert "Traceback" not in html
    assert count(world.app, Evidence) == 1
    assert len(world.stored_files()) == 1

    # Every other form keeps the app's 512 KB limit.
    lead = world.client("lead_a")
    inset = lead.post(
        f"/records/schools/{world.school_a}/inset/new", data={"title": "x" * (600 * 1024)}
    )
    assert inset.status_code == 413


# --- Storage and downloads ------------------------------------------------------------------


def test_certificate_is_stored_outside_the_web_root(world: World) -> None:
    staff = world.client("staff_a")
    submit(staff, world)
    evidence = only_evidence(world)
    assert evidence.file_key is not None
    (path,) = world.stored_files()
    assert path == world.evidence_dir() / str(world.org_id) / evidence.file_key
    assert path.read_bytes() == PDF
    static = world.app.static_folder
    assert static is not None
    assert not path.resolve().is_relative_to(static)
    assert evidence.file_key not in path.parent.name
    for url in (
        f"/static/{evidence.file_key}",
        f"/static/evidence/{world.org_id}/{evidence.file_key}",
        f"/evidence/{world.org_id}/{evidence.file_key}",
        f"/instance/evidence/{world.org_id}/{evidence.file_key}",
        f"/records/evidence/{evidence.file_key}",
    ):
        assert staff.get(url).status_code == 404, url

    download = staff.get(f"/records/evidence/{evidence.id}/certificate")
    assert download.status_code == 200
    assert download.data == PDF
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in download.headers["Cache-Control"]


def test_evidence_dir_can_be_configured(world: World, tmp_path: Any) -> None:
    world.app.config["EVIDENCE_DIR"] = str(tmp_path / "certificates")
    submit(world.client("staff_a"), world)
    evidence = only_evidence(world)
    assert (tmp_path / "certificates" / str(world.org_id) / str(evidence.file_key)).is_file()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("staff_a", 200),
        ("lead_a", 200),
        ("trust", 200),
        ("staff_a2", 404),
        ("lead_b", 404),
        ("staff_b", 404),
        ("other_lead", 404),
        ("other_staff", 404),
    ],
)
def test_who_may_download_a_certificate(world: World, who: str, status: int) -> None:
    submit(world.client("staff_a"), world)
    evidence = only_evidence(world)
    response = world.client(who).get(f"/records/evidence/{evidence.id}/certificate")
    assert response.status_code == status
    if status == 404:
        assert PDF not in response.data


def test_a_missing_file_is_a_404_not_a_500(world: World) -> None:
    staff = world.client("staff_a")
    submit(staff, world)
    (path,) = world.stored_files()
    path.unlink()
    assert staff.get(f"/records/evidence/{only_evidence(world).id}/certificate").status_code == 404


# --- CSRF -----------------------------------------------------------------------------------


def test_missing_csrf_token_is_a_400_and_writes_nothing(world: World) -> None:
    staff = world.client("staff_a")
    response = submit(staff, world, with_csrf=False)
    assert response.status_code == 400
    assert "This form has expired" in text(response)
    assert count(world.app, Evidence) == 0
    assert world.stored_files() == []

    submit(staff, world)
    evidence = only_evidence(world)
    lead = world.client("lead_a")
    url = f"/records/schools/{world.school_a}/evidence/{evidence.id}"
    assert lead.post(f"{url}/verify").status_code == 400
    assert lead.post(f"{url}/reject", data={"reason": "No"}).status_code == 400
    forged = lead.post(
        f"/records/schools/{world.school_a}/evidence",
        data={"action": "verify", "evidence_id": [str(evidence.id)]},
    )
    assert forged.status_code == 400
    # Another person's token does not do either.
    stolen = csrf(staff.get("/records/external/new").get_data(as_text=True))
    assert lead.post(f"{url}/verify", data={"csrf_token": stolen}).status_code == 400
    assert count(world.app, Completion) == 0
    assert only_evidence(world).status is EvidenceStatus.PENDING


def test_staff_member_with_no_school_cannot_record(world: World) -> None:
    trust = world.client("trust")  # a trust leader on no school's staff list
    page = trust.get("/records/external/new")
    assert page.status_code == 200
    assert "not on a school's staff list" in text(page)
    token = csrf(world.client("staff_a").get("/records/external/new").get_data(as_text=True))
    response = trust.post(
        "/records/external/new",
        data={"csrf_token": token, "module_id": str(world.external_module)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "There is a problem" in text(response)
    assert "not on a school's staff list yet" in text(response)
    assert count(world.app, Evidence) == 0


def test_someone_at_two_schools_chooses_whose_cpd_lead_checks_it(world: World) -> None:
    staff = world.client("staff_a")
    with world.app.app_context():
        db.session.add(
            StaffRole(
                person_id=world.person_id("staff_a"),
                school_id=world.school_b,
                role=StaffRoleKind.TEACHING_ASSISTANT,
            )
        )
        db.session.commit()
    page = text(staff.get("/records/external/new"))
    assert "Which school's CPD lead should check it?" in page
    assert "Birch Academy" in page
    missing = submit(staff, world, school_id="")
    assert missing.status_code == 400
    assert "Select the school whose CPD lead should check" in text(missing)
    elsewhere = submit(staff, world, school_id=str(world.school_other))
    assert elsewhere.status_code == 400
    assert submit(staff, world, school_id=str(world.school_b)).status_code == 303
    evidence = only_evidence(world)
    assert evidence.school_id == world.school_b
    assert "Supporting speech" in text(
        world.client("lead_b").get(f"/records/schools/{world.school_b}/evidence")
    )
    assert "Nothing is waiting" in text(
        world.client("lead_a").get(f"/records/schools/{world.school_a}/evidence")
    )
