"""Who may import, and whose uploads they may see: staff data never crosses organisations, and
inside one organisation a CPD lead imports for their own school only."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from cpd_tracker.extensions import db
from cpd_tracker.models import ImportUpload, Person
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
from tests.support.csv_files import staff_csv, staff_row, staff_rows
from tests.support.factories import make_org, register
from tests.support.http import FakeHttp
from tests.support.platform import TestPlatform

PAGES = (
    "/imports/staff",
    "/imports/completions",
    "/imports/staff/template.csv",
    "/imports/completions/template.csv",
)


def _alder_upload(sign_in: SignIn) -> tuple[FlaskClient, str]:
    lead = sign_in("instructor")
    response = upload(lead, staff_csv())
    assert response.status_code == 303
    return lead, response.headers["Location"]


def test_pages_need_a_launch(app: Flask, sign_in: SignIn) -> None:
    _, location = _alder_upload(sign_in)
    anonymous = browser(app)
    for path in (*PAGES, location):
        assert anonymous.get(path).status_code == 401, path
    assert anonymous.post(location + "/apply").status_code == 401


def test_a_staff_member_may_not_import(app: Flask, sign_in: SignIn) -> None:
    _, location = _alder_upload(sign_in)
    member = sign_in("learner")
    for path in (*PAGES, location):
        response = member.get(path)
        assert response.status_code == 403, path
        assert "You do not have access to this page" in response.get_data(as_text=True)
    before = counts(app)
    assert member.post(location + "/apply", data={}).status_code == 403
    assert member.post("/imports/staff", data={}).status_code == 403
    assert counts(app) == before


def test_another_organisation_sees_nothing(
    app: Flask, sign_in: SignIn, fake_http: FakeHttp
) -> None:
    _, location = _alder_upload(sign_in)
    other_org = make_org(app, "Other Trust", schools=[("200001", "Elm School")])
    elsewhere = TestPlatform("moodle")
    elsewhere.serve_jwks(fake_http)
    register(app, elsewhere, other_org)
    for kind in ("instructor", "admin"):
        outsider = sign_in(kind, "200001", target=elsewhere)
        before = counts(app)
        assert outsider.get(location).status_code == 404
        page = outsider.get("/imports/staff").get_data(as_text=True)
        csrf = hidden(page, "csrf_token")
        assert outsider.post(location + "/apply", data={"csrf_token": csrf}).status_code == 404
        assert counts(app) == before
        assert "Alder Primary" not in page


def test_an_import_never_reaches_into_another_organisation(
    app: Flask, sign_in: SignIn, fake_http: FakeHttp
) -> None:
    lead, location = _alder_upload(sign_in)
    assert apply(lead, location).status_code == 303
    other_org = make_org(app, "Other Trust", schools=[("200001", "Elm School")])
    elsewhere = TestPlatform("moodle")
    elsewhere.serve_jwks(fake_http)
    register(app, elsewhere, other_org)
    leader = sign_in("admin", "200001", target=elsewhere)
    # Same staff numbers and e-mails as Alder's: new people in this organisation, not matches.
    same = staff_csv(staff_rows(3, urn="200001"))
    location = upload(leader, same, school=0).headers["Location"]
    assert '3</span> <span class="app-stat__label">new staff' in leader.get(location).get_data(
        as_text=True
    )
    assert apply(leader, location).status_code == 303
    refused = upload(leader, staff_csv([staff_row(9, urn=ALDER)]), school=0)
    assert "school URN 100001 is not a school of your organisation" in refused.get_data(
        as_text=True
    )
    with app.app_context():
        by_org: dict[int, int] = {}
        for person in db.session.scalars(select(Person).where(Person.staff_number.is_not(None))):
            by_org[person.organisation_id] = by_org.get(person.organisation_id, 0) + 1
        assert sorted(by_org.values()) == [3, 3]


def test_a_cpd_lead_of_another_school_cannot_import_into_this_one(
    app: Flask, sign_in: SignIn
) -> None:
    _, location = _alder_upload(sign_in)
    birch_lead = sign_in("designer", BIRCH)
    assert birch_lead.get(location).status_code == 403
    page = birch_lead.get("/imports/staff").get_data(as_text=True)
    csrf = hidden(page, "csrf_token")
    assert "Alder Primary" not in page
    assert birch_lead.post(location + "/apply", data={"csrf_token": csrf}).status_code == 403
    before = counts(app)
    forced = post_file(
        birch_lead,
        "/imports/staff",
        {"csrf_token": csrf, "school_id": str(school(app, ALDER))},
        staff_csv(),
        "staff.csv",
    )
    assert forced.status_code == 400
    assert "Not a valid choice" in forced.get_data(as_text=True)
    by_urn = upload(birch_lead, staff_csv([staff_row(1, urn=ALDER)]))
    assert by_urn.status_code == 400
    assert (
        "school URN 100001 is not Birch Academy (URN 100002): this import is for Birch Academy "
        "only" in by_urn.get_data(as_text=True)
    )
    assert counts(app) == before
    with app.app_context():
        assert db.session.scalars(select(ImportUpload)).one().applied_at is None


def test_a_trust_wide_upload_is_for_trust_leaders_only(app: Flask, sign_in: SignIn) -> None:
    leader = sign_in("admin")
    location = upload(leader, staff_csv(), school=0).headers["Location"]
    lead = sign_in("instructor")
    assert lead.get(location).status_code == 403
    assert "Several schools" not in lead.get("/imports/staff").get_data(as_text=True)
    forced = post_file(
        lead,
        "/imports/staff",
        {
            "csrf_token": hidden(lead.get("/imports/staff").get_data(as_text=True), "csrf_token"),
            "school_id": "0",
        },
        staff_csv(),
        "staff.csv",
    )
    assert forced.status_code == 400


def test_an_unknown_upload_is_a_404(sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    assert lead.get("/imports/99999").status_code == 404


def test_an_organisation_without_schools_is_told_to_add_them(
    app: Flask, sign_in: SignIn, fake_http: FakeHttp
) -> None:
    empty = make_org(app, "Empty Trust", schools=[])
    elsewhere = TestPlatform("moodle")
    elsewhere.serve_jwks(fake_http)
    register(app, elsewhere, empty)
    leader = sign_in("admin", "300001", target=elsewhere)
    page = leader.get("/imports/staff")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Your organisation has no schools in the tool yet" in html
    assert "multipart/form-data" not in html
