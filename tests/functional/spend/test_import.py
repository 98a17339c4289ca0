"""The purchases import: the staff import's flow (upload, preview with row errors, apply all or
nothing), the discount rules of the purchase form, and a file applied once."""

from __future__ import annotations

import io
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from cpd_tracker.extensions import db
from cpd_tracker.models import DiscountRule, ImportUpload, Provider, Purchase
from tests.functional.spend.conftest import SignIn
from tests.functional.spend.support import count, membership, provider
from tests.functional.staff.support import ALDER, hidden
from tests.support.factories import school_id

HEADER = (
    "School URN,Provider,Module,Course title,Date,Delegates,List price,Discount,"
    "Discount reason,Supply cover,Supply code,Reference\n"
)
GOOD = (
    HEADER
    + '100001,nasen,autism-awareness,,01/10/2025,2,"£250.00",,,£180,E02,INV-1\n'
    + "100002,nasen,,Dyslexia day,2025-11-03,1,400,£50,Early-bird rate,,,INV-2\n"
    + ",New Provider Ltd,,Leaders' briefing,03/12/2025,3,99.99,,,,,INV-3\n"
)


def _upload(client: FlaskClient, content: str, school: str = "0") -> Any:
    html = client.get("/spend/import").get_data(as_text=True)
    return client.post(
        "/spend/import",
        data={
            "csrf_token": hidden(html, "csrf_token"),
            "school_id": school,
            "file": (io.BytesIO(content.encode()), "finance.csv"),
        },
        content_type="multipart/form-data",
    )


def _apply(client: FlaskClient, preview: str) -> Any:
    html = client.get(preview).get_data(as_text=True)
    return client.post(preview + "/apply", data={"csrf_token": hidden(html, "csrf_token")})


def test_good_file_previews_then_applies_once(app: Flask, org_id: int, sign_in: SignIn) -> None:
    membership(app, org_id, provider(app, org_id))
    leader = sign_in("admin")
    response = _upload(leader, GOOD)
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    preview = response.headers["Location"].split("?")[0]
    page = leader.get(preview).get_data(as_text=True)
    assert "3 purchases to add" in page
    assert "£100.00" in page  # 20% of 2 x £250, suggested
    assert count(app) == 0
    token = hidden(page, "csrf_token")
    assert leader.post(preview + "/apply", data={"csrf_token": token}).status_code == 303
    with app.app_context():
        rows = list(db.session.scalars(select(Purchase).order_by(Purchase.reference)))
        assert [(p.reference, p.discount_pence, p.net_pence) for p in rows] == [
            ("INV-1", 10_000, 40_000),
            ("INV-2", 5_000, 35_000),
            ("INV-3", 0, 29_997),
        ]
        assert rows[0].supply_pence == 18_000
        assert rows[2].school_id is None
        assert db.session.scalar(select(Provider).where(Provider.name == "New Provider Ltd"))
    again = leader.post(preview + "/apply", data={"csrf_token": token})
    assert again.status_code == 409  # a double click, a second tab: applied once
    assert "already been imported" in again.get_data(as_text=True)
    assert count(app) == 3
    # The same file uploaded again adds nothing: every reference is already there.
    second = _upload(leader, GOOD)
    assert second.status_code == 303
    assert "3 already imported" in leader.get(second.headers["Location"]).get_data(as_text=True)


def test_row_errors_are_listed_and_nothing_is_stored(
    app: Flask, org_id: int, sign_in: SignIn
) -> None:
    provider(app, org_id)
    leader = sign_in("admin")
    bad = (
        HEADER
        + "100001,nasen,autism-awareness,,01/10/2025,2,-250,,,,,A\n"
        + "999999,nasen,,Course,01/10/2025,1,100,,,,,B\n"
        + "100001,nasen,no-such-module,,01/10/2025,1,100,,,,,C\n"
        + "100001,nasen,,Course,01/10/2025,1,100.123,,,,,F\n"
        + "100001,nasen,,Course,01/10/2025,1,100,£20,,,,D\n"
        + "100001,nasen,,Course,01/10/2025,1,100,,,£50,E99,E\n"
    )
    response = _upload(leader, bad)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    for message in (
        "the list price must be £0 or more",
        "school URN 999999 is not a school of your organisation",
        "module &#39;no-such-module&#39; is not in your organisation",
        "no more than 2 decimal places",
        "say why the discount differs from the suggested £0.00",
        "supply code &#39;E99&#39; must be E02 or E26",
    ):
        assert message in html, message
    assert count(app) == 0
    assert count(app, ImportUpload) == 0


def test_apply_is_all_or_nothing_when_the_data_changed(
    app: Flask, org_id: int, sign_in: SignIn
) -> None:
    membership(app, org_id, provider(app, org_id))
    leader = sign_in("admin")
    # Row 2 states the discount the membership gives today (20% of £400 = £80), no reason.
    content = (
        HEADER
        + "100001,nasen,,Course one,01/10/2025,1,100,,,,,R1\n"
        + "100001,nasen,,Course two,01/10/2025,1,400,£80,,,,R2\n"
    )
    response = _upload(leader, content)
    assert response.status_code == 303
    preview = response.headers["Location"].split("?")[0]
    token = hidden(leader.get(preview).get_data(as_text=True), "csrf_token")
    with app.app_context():
        for rule in db.session.scalars(select(DiscountRule)):
            rule.percent = rule.percent / 2  # the association changed its terms
        db.session.commit()
    applied = leader.post(preview + "/apply", data={"csrf_token": token})
    assert applied.status_code == 409
    assert "say why the discount differs from the suggested £40.00" in applied.get_data(
        as_text=True
    )
    assert count(app) == 0  # row 1 was fine, but nothing is written
    with app.app_context():
        upload = db.session.scalar(select(ImportUpload))
        assert upload is not None
        assert upload.applied_at is None


def test_a_cpd_lead_imports_for_their_school_only(app: Flask, org_id: int, sign_in: SignIn) -> None:
    provider(app, org_id)
    lead = sign_in("instructor", ALDER)
    page = lead.get("/spend/import").get_data(as_text=True)
    assert "Any school" not in page
    alder_id = str(school_id(app, ALDER))
    other = HEADER + "100002,nasen,,Course,01/10/2025,1,100,,,,,X\n"
    assert _upload(lead, other, alder_id).status_code == 400
    assert _upload(lead, other, "0").status_code == 400  # "any school" is not offered
    mine = HEADER + ",nasen,,Course,01/10/2025,1,100,,,,,Y\n"
    response = _upload(lead, mine, alder_id)
    assert response.status_code == 303
    preview = response.headers["Location"].split("?")[0]
    assert _apply(lead, preview).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Purchase.school_id)) == int(alder_id)


def test_staff_cannot_see_an_upload(app: Flask, org_id: int, sign_in: SignIn) -> None:
    provider(app, org_id)
    leader = sign_in("admin")
    response = _upload(leader, HEADER + ",nasen,,Course,01/10/2025,1,100,,,,,Z\n")
    preview = response.headers["Location"].split("?")[0]
    staff = sign_in("learner")
    assert staff.get(preview).status_code == 403
    lead = sign_in("instructor", ALDER)
    assert lead.get(preview).status_code == 403  # a trust-wide upload


def test_a_purchases_upload_is_not_a_staff_import(app: Flask, org_id: int, sign_in: SignIn) -> None:
    """The staff import's pages answer 404 for a purchases upload (it once raised a 500)."""
    leader = sign_in("admin")
    response = _upload(leader, GOOD)
    assert response.status_code == 303
    with app.app_context():
        upload_id = db.session.scalars(select(ImportUpload.id)).one()
    assert leader.get(f"/imports/{upload_id}").status_code == 404
