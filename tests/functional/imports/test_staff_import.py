"""The staff import through the HTTP surface: upload, preview, apply, all or nothing."""

from __future__ import annotations

import datetime as dt
import re

from flask import Flask
from sqlalchemy import func, select

from cpd_tracker.extensions import db
from cpd_tracker.models import AuditEntry, ImportUpload, Person, StaffRole, StaffRoleKind
from tests.functional.imports.conftest import (
    ALDER,
    BIRCH,
    SignIn,
    apply,
    browser,
    counts,
    hidden,
    post_file,
    school,
    upload,
)
from tests.support.csv_files import STAFF_HEADINGS, staff_csv, staff_row, staff_rows, to_csv
from tests.support.launching import login
from tests.support.platform import TestPlatform


def test_cpd_lead_uploads_previews_and_applies(app: Flask, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    rows = [*staff_rows(3), staff_row(4, leaving_date="31/08/2024")]
    uploaded = upload(lead, staff_csv(rows, bom=True))
    assert uploaded.status_code == 303
    location = uploaded.headers["Location"]
    assert re.fullmatch(r"/imports/\d+", location)

    preview = lead.get(location)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Check the import before applying it" in html
    assert "Alder Primary (URN 100001)" in html
    assert '<span class="app-stat__value">4</span> <span class="app-stat__label">new staff' in html
    assert '<span class="app-stat__value">1</span> <span class="app-stat__label">leavers' in html
    assert "staff1@alder.example.org" in html
    assert "New (leaver)" in html
    assert "Apply import" in html
    # The preview wrote nothing but the upload.
    with app.app_context():
        assert db.session.scalar(select(func.count(StaffRole.id))) == 1  # the lead's own

    applied = apply(lead, location)
    assert applied.status_code == 303
    done = lead.get(applied.headers["Location"])
    html = done.get_data(as_text=True)
    assert done.status_code == 200
    assert "Import complete" in html
    assert "New staff added" in html

    with app.app_context():
        people = {
            p.staff_number: p
            for p in db.session.scalars(select(Person).where(Person.staff_number.is_not(None)))
        }
        assert sorted(people) == ["S00001", "S00002", "S00003", "S00004"]
        first = people["S00001"]
        assert (first.given_name, first.family_name, first.email) == (
            "Ben",
            "Brown-1",
            "staff1@alder.example.org",
        )
        assert first.registration_id is None
        assert first.sub is None
        assert first.start_date == dt.date(2001, 2, 2)
        assert [(r.school.urn, r.role) for r in first.staff_roles] == [
            (ALDER, StaffRoleKind.TEACHING_ASSISTANT)
        ]
        assert people["S00004"].leaving_date == dt.date(2024, 8, 31)
        upload_row = db.session.scalars(select(ImportUpload)).one()
        assert upload_row.applied_at is not None
        actions = [
            a
            for (a,) in db.session.execute(
                select(AuditEntry.action)
                .where(AuditEntry.action.like("%import%"))
                .order_by(AuditEntry.id)
            )
        ]
        assert actions.count("person.created_from_import") == 4
        assert actions[0] == "import.uploaded"
        assert actions[-1] == "import.applied"
        summary = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "import.applied")
        ).one()
        assert summary.actor_label == "person"
        assert summary.actor_person_id is not None
        assert summary.details["counts"] == {"new": 4, "updated": 0, "unchanged": 0, "leavers": 1}


def test_bad_rows_change_nothing_and_say_which_rows_and_why(app: Flask, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    before = counts(app)
    rows = [
        staff_row(1),
        staff_row(2, role="Cleaner"),
        staff_row(3, start_date="31/02/2020"),
        staff_row(4, email="not-an-email"),
        staff_row(5, staff_number="S00001"),
    ]
    response = upload(lead, staff_csv(rows))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nothing has been imported" in html
    assert "There are problems with the file" in html
    assert "The file has 4 problems" in html
    assert "role &#39;Cleaner&#39; is not one of: teacher, teaching assistant" in html
    assert "start date &#39;31/02/2020&#39; is not a real date" in html
    assert "email &#39;not-an-email&#39; is not an email address" in html
    assert "staff number S00001 is also on row 2" in html
    for row in ("3", "4", "5", "6"):
        assert f'<th scope="row" class="govuk-table__header">{row}</th>' in html
    assert "Apply import" not in html
    assert "Traceback" not in html
    assert counts(app) == before


def test_file_level_problems_are_a_400_with_what_to_do(app: Flask, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    before = counts(app)
    cases = [
        (b"PK\x03\x04xlsx", "Excel workbook (.xlsx)"),
        ("First name,Surname\r\nZo\u00eb,Lee\r\n".encode("cp1252"), "not UTF-8 text"),
        (to_csv([["S1", "Ann"]], ["Staff number", "First name"]), "has no &#39;Last name&#39;"),
        (staff_csv([]), "header row but no staff rows"),
    ]
    for data, message in cases:
        response = upload(lead, data)
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    assert counts(app) == before


def test_the_upload_form_checks_the_file(app: Flask, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    cases = [
        ({"file_name": "staff.xlsx"}, b"x", "must be a CSV file: in Excel, use Save As"),
        ({"file_name": "staff.pdf"}, b"x", "The selected file must be a CSV file"),
        ({}, b"", "The selected file is empty"),
        ({}, b"a" * (5 * 1024 * 1024 + 1), "The selected file must be smaller than 5MB"),
    ]
    for options, data, message in cases:
        response = upload(lead, data, **options)  # type: ignore[arg-type]
        html = response.get_data(as_text=True)
        assert response.status_code == 400, message
        assert message in html
        assert "There is a problem" in html
    page = lead.get("/imports/staff")
    csrf = hidden(page.get_data(as_text=True), "csrf_token")
    missing = lead.post(
        "/imports/staff", data={"csrf_token": csrf, "school_id": str(school(app, ALDER))}
    )
    assert missing.status_code == 400
    assert "Select a CSV file" in missing.get_data(as_text=True)


def test_a_body_beyond_the_limit_is_a_friendly_413(sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    response = upload(lead, b"a" * (6 * 1024 * 1024))
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "The file is larger than 5MB" in html
    assert "Traceback" not in html


def test_other_pages_keep_the_small_body_limit(sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    location = upload(lead, staff_csv()).headers["Location"]
    response = lead.post(location + "/apply", data={"x": "a" * (600 * 1024)})
    assert response.status_code == 413


def test_upload_without_csrf_is_refused(app: Flask, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    before = counts(app)
    response = upload(lead, staff_csv(), csrf=False)
    assert response.status_code == 400
    assert "This form has expired or was not sent by this tool" in response.get_data(as_text=True)
    assert counts(app) == before


def test_apply_without_csrf_is_refused_and_writes_nothing(app: Flask, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    location = upload(lead, staff_csv()).headers["Location"]
    before = counts(app)
    response = lead.post(location + "/apply", data={"csrf_token": "forged"})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert counts(app) == before
    with app.app_context():
        assert db.session.scalars(select(ImportUpload)).one().applied_at is None


def test_applying_twice_is_refused(app: Flask, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    location = upload(lead, staff_csv()).headers["Location"]
    page = lead.get(location)
    csrf = hidden(page.get_data(as_text=True), "csrf_token")
    assert lead.post(location + "/apply", data={"csrf_token": csrf}).status_code == 303
    before = counts(app)
    again = lead.post(location + "/apply", data={"csrf_token": csrf})
    assert again.status_code == 409
    assert "This file has already been imported" in again.get_data(as_text=True)
    assert counts(app) == before


def test_data_changed_since_the_preview_refuses_the_apply(app: Flask, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    location = upload(lead, staff_csv()).headers["Location"]
    page = lead.get(location)
    csrf = hidden(page.get_data(as_text=True), "csrf_token")
    org = page and db  # keep the names below readable
    assert org
    with app.app_context():
        org_id = db.session.scalar(select(ImportUpload.organisation_id))
        # Row 2's e-mail and staff number now belong to two different people: ambiguous.
        db.session.add(Person(organisation_id=org_id, email="staff1@alder.example.org"))
        db.session.add(Person(organisation_id=org_id, staff_number="S00001"))
        db.session.commit()
    before = counts(app)
    response = lead.post(location + "/apply", data={"csrf_token": csrf})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "The records in the tool changed since you checked this file" in html
    assert (
        "staff number S00001 and email staff1@alder.example.org belong to two different people"
        in html
    )
    assert counts(app) == before
    with app.app_context():
        assert db.session.scalars(select(ImportUpload)).one().applied_at is None


def test_reimporting_updates_matched_people_and_records_leavers(
    app: Flask, sign_in: SignIn
) -> None:
    lead = sign_in("instructor")
    assert (
        apply(lead, upload(lead, staff_csv(staff_rows(3))).headers["Location"]).status_code == 303
    )
    changed = [
        staff_row(1, last_name="Married", role="Teacher"),
        staff_row(2, leaving_date="31/12/2024"),
        staff_row(3),
    ]
    location = upload(lead, staff_csv(changed)).headers["Location"]
    html = lead.get(location).get_data(as_text=True)
    assert "Updated: last name, role added: teacher, role ended: teaching assistant" in html
    assert "Updated: leaving date (leaver)" in html
    assert "No change" in html
    assert apply(lead, location).status_code == 303
    with app.app_context():
        first = db.session.scalars(select(Person).where(Person.staff_number == "S00001")).one()
        assert first.family_name == "Married"
        assert first.name == "Ben Married"
        roles = {r.role: r.ended_on for r in first.staff_roles}
        assert roles[StaffRoleKind.TEACHER] is None
        assert roles[StaffRoleKind.TEACHING_ASSISTANT] is not None
        second = db.session.scalars(select(Person).where(Person.staff_number == "S00002")).one()
        assert second.leaving_date == dt.date(2024, 12, 31)
        updates = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "person.updated_from_import")
        ).all()
        assert sorted(e.entity_id or "" for e in updates) == sorted([str(first.id), str(second.id)])
        by_id = {e.entity_id: e.details for e in updates}
        assert by_id[str(first.id)]["fields"] == ["family_name", "name"]
        assert by_id[str(first.id)]["roles"] == {"teacher": "added", "teaching_assistant": "ended"}


def test_the_lead_on_their_own_list_is_updated_in_the_same_request(
    app: Flask, sign_in: SignIn, platform: TestPlatform
) -> None:
    lead = sign_in("instructor")
    me = platform.user("instructor")
    row = staff_row(1, email=me.email, first_name=me.given_name, last_name=me.family_name)
    row["Role"] = "SENCO"
    location = upload(lead, staff_csv([row])).headers["Location"]
    assert "Updated:" in lead.get(location).get_data(as_text=True)
    assert apply(lead, location).status_code == 303
    with app.app_context():
        person = db.session.scalars(select(Person).where(Person.sub == me.sub)).one()
        assert person.staff_number == "S00001"
        assert {r.role for r in person.staff_roles if r.ended_on is None} == {StaffRoleKind.SENCO}
    # Still signed in, and the page shows the import as done.
    assert lead.get(location).status_code == 200


def test_imported_staff_are_linked_to_their_lms_account_by_email(
    app: Flask, sign_in: SignIn, platform: TestPlatform
) -> None:
    lead = sign_in("instructor")
    learner = platform.user("learner")
    row = staff_row(7, email=learner.email.upper(), role="Teacher")
    assert apply(lead, upload(lead, staff_csv([row])).headers["Location"]).status_code == 303
    sign_in("learner")
    with app.app_context():
        person = db.session.scalars(select(Person).where(Person.staff_number == "S00007")).one()
        assert person.sub == learner.sub


def test_trust_leader_imports_several_schools_from_the_urn_column(
    app: Flask, sign_in: SignIn
) -> None:
    leader = sign_in("admin")
    page = leader.get("/imports/staff").get_data(as_text=True)
    assert "Several schools: each row&#39;s School URN column says which" in page
    rows = [staff_row(1, urn=ALDER), staff_row(2, urn=BIRCH), staff_row(3, urn="999999")]
    refused = upload(leader, staff_csv(rows), school=0)
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "school URN 999999 is not a school of your organisation" in html
    assert '<th scope="row" class="govuk-table__header">4</th>' in html
    location = upload(leader, staff_csv(rows[:2]), school=0).headers["Location"]
    assert "Each row&#39;s School URN" in leader.get(location).get_data(as_text=True)
    assert apply(leader, location).status_code == 303
    with app.app_context():
        urns = {
            p.staff_number: [r.school.urn for r in p.staff_roles]
            for p in db.session.scalars(select(Person).where(Person.staff_number.is_not(None)))
        }
    assert urns == {"S00001": [ALDER], "S00002": [BIRCH]}


def test_trust_leader_may_choose_any_school(app: Flask, sign_in: SignIn) -> None:
    leader = sign_in("admin")
    response = upload(leader, staff_csv(staff_rows(2, urn="")), school=school(app, BIRCH))
    assert response.status_code == 303
    assert "Birch Academy (URN 100002)" in leader.get(response.headers["Location"]).get_data(
        as_text=True
    )


def test_upload_page_defaults_to_the_school_asked_for(app: Flask, sign_in: SignIn) -> None:
    leader = sign_in("admin")
    birch = school(app, BIRCH)
    html = leader.get(f"/imports/staff?school={birch}").get_data(as_text=True)
    assert f'<option selected value="{birch}">' in html


def test_upload_page_explains_the_columns_and_links_the_template(sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    html = lead.get("/imports/staff").get_data(as_text=True)
    assert '<h1 class="govuk-heading-l">Import staff</h1>' in html
    assert 'enctype="multipart/form-data" novalidate' in html
    assert '<label class="govuk-label" for="file">Upload a CSV file</label>' in html
    assert 'accept=".csv,text/csv"' in html
    assert "School: <strong>Alder Primary (URN 100001)</strong>" in html
    assert 'href="/imports/staff/template.csv"' in html
    template = lead.get("/imports/staff/template.csv")
    assert template.status_code == 200
    assert template.mimetype == "text/csv"
    assert "attachment" in template.headers["Content-Disposition"]
    body = template.get_data(as_text=True)
    assert body == "\ufeff" + ",".join(STAFF_HEADINGS) + "\r\n"


def test_school_page_links_to_the_imports(app: Flask, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    html = lead.get(f"/schools/{school(app, ALDER)}").get_data(as_text=True)
    assert f'href="/imports/staff?school={school(app, ALDER)}"' in html


def test_without_cookies_the_launch_token_rides_in_every_link_and_form(
    app: Flask, platform: TestPlatform
) -> None:
    client = browser(app, cookies=False)
    first = login(client, platform, user="instructor", custom={"school_urn": ALDER})
    form = platform.launch_form_from_redirect(first.headers["Location"])
    form["platform_state"] = form["state"]
    done = client.post("/lti/launch", data=form)
    assert done.status_code == 303
    token = re.search(r"lt=([^&]+)", done.headers["Location"])
    assert token
    page = client.get(f"/imports/staff?lt={token.group(1)}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert re.search(r'action="/imports/staff\?lt=[^"]+"', html)
    assert re.search(r'href="/imports/staff/template.csv\?lt=[^"]+"', html)
    fields = {
        "csrf_token": hidden(html, "csrf_token"),
        "lt": hidden(html, "lt"),
        "school_id": hidden(html, "school_id"),
    }
    posted = post_file(client, "/imports/staff", fields, staff_csv(), "staff.csv")
    assert posted.status_code == 303
    location = posted.headers["Location"]
    assert "lt=" in location
    preview = client.get(location).get_data(as_text=True)
    assert re.search(r'action="/imports/\d+/apply\?lt=[^"]+"', preview)
    path = location.split("?")[0]
    applied = client.post(
        f"{path}/apply",
        data={"csrf_token": hidden(preview, "csrf_token"), "lt": hidden(preview, "lt")},
    )
    assert applied.status_code == 303
    assert "lt=" in applied.headers["Location"]
