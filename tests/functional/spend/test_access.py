"""Who sees which money: trust leaders and finance the whole organisation's, a CPD lead their
own school's only, staff nothing (403); another organisation's ids are 404."""

from __future__ import annotations

import pytest
from flask import Flask

from cpd_tracker.extensions import db
from cpd_tracker.models import Permission, PermissionKind, Purchase
from tests.functional.spend.conftest import SignIn
from tests.functional.spend.support import (
    count,
    grant_finance,
    membership,
    post,
    provider,
    purchase,
)
from tests.functional.staff.support import ALDER, BIRCH
from tests.support.factories import make_org, school_id
from tests.support.platform import TestPlatform

STAFF_FORBIDDEN = [
    "/spend/",
    "/spend/report",
    "/spend/report/schools.csv",
    "/spend/report/memberships.xlsx",
    "/spend/purchases",
    "/spend/purchases.csv",
    "/spend/purchases/new",
    "/spend/memberships",
    "/spend/memberships/new",
    "/spend/providers",
    "/spend/settings",
    "/spend/import",
    "/spend/import/template.csv",
]


@pytest.mark.parametrize("path", STAFF_FORBIDDEN)
def test_staff_see_nothing_of_money(sign_in: SignIn, path: str) -> None:
    staff = sign_in("learner")
    assert staff.get(path).status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/spend/purchases/new",
        "/spend/providers",
        "/spend/memberships/new",
        "/spend/settings",
        "/spend/import",
        "/spend/purchases/1/delegates",
        "/spend/memberships/1/rules",
    ],
)
def test_staff_cannot_post_money_forms(app: Flask, sign_in: SignIn, path: str) -> None:
    from cpd_tracker.models import Provider

    staff = sign_in("learner")
    assert staff.post(path, data={"name": "Sneaky", "kind": "other"}).status_code == 403
    assert count(app, Provider) == 0


def test_staff_have_no_spend_nav(sign_in: SignIn) -> None:
    html = sign_in("learner").get("/my-training").get_data(as_text=True)
    assert "/spend/report" not in html


def _setup(app: Flask, org_id: int) -> dict[str, int]:
    nasen = provider(app, org_id)
    alder, birch = school_id(app, ALDER), school_id(app, BIRCH)
    return {
        "alder": purchase(app, org_id, nasen, alder, course_title="Alder course"),
        "birch": purchase(app, org_id, nasen, birch, course_title="Birch course"),
        "central": purchase(
            app, org_id, nasen, None, course_title="Central course", list_price_pence=77_777
        ),
        "birch_school": birch,
    }


def test_cpd_lead_sees_only_their_school(app: Flask, org_id: int, sign_in: SignIn) -> None:
    ids = _setup(app, org_id)
    lead = sign_in("instructor", ALDER)
    report = lead.get("/spend/report?year=2025").get_data(as_text=True)
    assert "Alder Primary" in report
    assert "Birch Academy" not in report.split('id="apportionment"')[0]
    assert "Central course" not in report
    assert "£777.77" not in report  # the trust-central total is trust-wide money
    listing = lead.get("/spend/purchases?year=2025").get_data(as_text=True)
    assert "Alder course" in listing
    assert "Birch course" not in listing
    assert "Central course" not in listing
    csv_text = lead.get("/spend/purchases.csv?year=2025").get_data(as_text=True)
    assert "Alder course" in csv_text
    assert "Birch course" not in csv_text
    assert lead.get(f"/spend/purchases/{ids['alder']}").status_code == 200
    assert lead.get(f"/spend/purchases/{ids['birch']}").status_code == 403
    assert lead.get(f"/spend/purchases/{ids['central']}").status_code == 403
    assert lead.get(f"/spend/purchases?school={ids['birch_school']}").status_code == 403
    assert lead.get("/spend/purchases?school=central").status_code == 403
    for path in ("/spend/memberships/new", "/spend/settings"):
        assert lead.get(path).status_code == 403


def test_cpd_lead_cannot_record_for_another_school(
    app: Flask, org_id: int, sign_in: SignIn
) -> None:
    nasen = provider(app, org_id)
    lead = sign_in("instructor", ALDER)
    before = count(app)
    response = post(
        lead,
        "/spend/purchases/new",
        "/spend/purchases/new",
        {
            "school_id": str(school_id(app, BIRCH)),
            "provider_id": str(nasen),
            "course_title": "Somewhere else",
            "purchased_on": "1/10/2025",
            "delegates": "1",
            "list_price": "100",
            "funding_source": "school_budget",
        },
    )
    assert response.status_code == 400  # not one of the schools offered
    assert count(app) == before
    # Trust-central is not offered to a CPD lead either.
    response = post(
        lead,
        "/spend/purchases/new",
        "/spend/purchases/new",
        {
            "school_id": "",
            "provider_id": str(nasen),
            "course_title": "Central",
            "purchased_on": "1/10/2025",
            "list_price": "100",
            "funding_source": "trust_central",
        },
    )
    assert response.status_code == 400
    assert count(app) == before


@pytest.mark.parametrize("kind", ["admin", "finance"])
def test_trust_leader_and_finance_see_trust_money(
    app: Flask, org_id: int, platform: TestPlatform, sign_in: SignIn, kind: str
) -> None:
    ids = _setup(app, org_id)
    if kind == "finance":
        client = sign_in("mentor", BIRCH)
        grant_finance(app, platform, "mentor")
    else:
        client = sign_in("admin")
    assert "£777.77" in client.get("/spend/report?year=2025").get_data(as_text=True)
    listing = client.get("/spend/purchases?year=2025").get_data(as_text=True)
    for title in ("Alder course", "Birch course", "Central course"):
        assert title in listing
    for key in ("alder", "birch", "central"):
        assert client.get(f"/spend/purchases/{ids[key]}").status_code == 200
    assert client.get("/spend/settings").status_code == 200
    assert client.get("/spend/memberships/new").status_code == 200
    assert 'href="/spend/report' in client.get("/spend/report").get_data(as_text=True)


def test_finance_alone_does_not_make_a_trust_leader(
    app: Flask, org_id: int, platform: TestPlatform, sign_in: SignIn
) -> None:
    client = sign_in("mentor", BIRCH)
    grant_finance(app, platform, "mentor")
    assert client.get("/spend/report").status_code == 200
    assert client.get("/admin/permissions").status_code == 403


def test_another_organisations_ids_are_404(app: Flask, org_id: int, sign_in: SignIn) -> None:
    other = make_org(app, "Other Trust", schools=[("200001", "Elsewhere School")])
    elsewhere = school_id(app, "200001")
    theirs = purchase(app, other, provider(app, other, "Their provider"), elsewhere)
    their_membership = membership(app, other, provider(app, other, "Their association"))
    leader = sign_in("admin")
    assert leader.get(f"/spend/memberships/{their_membership}/edit").status_code == 404
    assert leader.get(f"/spend/purchases/{theirs}").status_code == 404
    assert leader.get(f"/spend/purchases/{theirs}/edit").status_code == 404
    assert leader.get(f"/spend/purchases?school={elsewhere}").status_code == 404
    with app.app_context():
        assert db.session.get(Purchase, theirs) is not None


def test_trust_leader_grants_finance_on_the_permissions_page(
    app: Flask, org_id: int, platform: TestPlatform, sign_in: SignIn
) -> None:
    leader = sign_in("admin")
    member = sign_in("mentor", BIRCH)
    assert member.get("/spend/report").status_code == 403
    email = platform.user("mentor").email
    response = post(
        leader,
        "/admin/permissions",
        "/admin/permissions",
        {"person": email, "kind": "finance", "school_id": "0"},
    )
    assert response.status_code == 302
    with app.app_context():
        kinds = {p.kind for p in db.session.query(Permission).all()}
    assert PermissionKind.FINANCE in kinds
    assert member.get("/spend/report").status_code == 200
    page = leader.get("/admin/permissions").get_data(as_text=True)
    assert "Finance" in page
