"""Memberships, their discount rules and included training, and providers: forms that refuse
bad input with a 400 and write nothing; every change audited."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from cpd_tracker.extensions import db
from cpd_tracker.models import DiscountRule, Membership, Provider
from tests.functional.spend.conftest import SignIn
from tests.functional.spend.support import audit_actions, count, membership, post, provider


def _membership_form(nasen: int, **kw: str) -> dict[str, Any]:
    data = {
        "name": "nasen full membership 2025/26",
        "provider_id": str(nasen),
        "school_id": "",
        "fee": "£1,500",
        "starts_on": "1/9/2025",
        "ends_on": "31/8/2026",
        "share_basis": "pupils",
    }
    data.update(kw)
    return data


def test_add_a_membership_and_its_rules(app: Flask, org_id: int, sign_in: SignIn) -> None:
    nasen = provider(app, org_id)
    leader = sign_in("admin")
    response = post(
        leader, "/spend/memberships/new", "/spend/memberships/new", _membership_form(nasen)
    )
    assert response.status_code == 302
    edit = response.headers["Location"].split("?")[0]
    rule = post(
        leader,
        edit.replace("/edit", "/rules"),
        edit,
        {"scope": "provider", "provider_id": str(nasen), "percent": "30%", "cap": "£50"},
    )
    assert rule.status_code == 302
    with app.app_context():
        row = db.session.query(Membership).one()
        assert (row.fee_pence, row.rules[0].cap_pence, str(row.rules[0].percent)) == (
            150_000,
            5_000,
            "30.00",
        )
    page = leader.get(edit).get_data(as_text=True)
    assert "Did it pay for itself?" in page
    assert "Not yet: no discount realised" in page
    actions = audit_actions(app)
    assert "membership.created" in actions
    assert "membership.rule_added" in actions
    listing = sign_in("admin").get("/spend/memberships").get_data(as_text=True)
    assert "nasen full membership 2025/26" in listing


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("fee", "-1500", "The fee must be £0 or more"),
        ("fee", "1500.001", "The fee must have no more than 2 decimal places"),
        ("fee", "", "Enter the fee"),
        ("ends_on", "31/8/2024", "The end of the membership year must be after its start"),
        ("starts_on", "soon", "Enter the start as 1/9/2025"),
        ("share_basis", "vibes", "Choose how the fee is shared among schools"),
        ("provider_id", "", "Choose the association"),
        ("name", "", "Enter the name of the membership"),
    ],
)
def test_bad_membership_input(
    app: Flask, org_id: int, sign_in: SignIn, field: str, value: str, message: str
) -> None:
    nasen = provider(app, org_id)
    leader = sign_in("admin")
    response = post(
        leader,
        "/spend/memberships/new",
        "/spend/memberships/new",
        _membership_form(nasen, **{field: value}),
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(app, Membership) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"scope": "provider", "percent": "0"}, "more than 0% and at most 100%"),
        ({"scope": "provider", "percent": "12.345"}, "a percentage like 20 or 12.5"),
        ({"scope": "module", "percent": "10"}, "Choose the module the discount is for"),
        ({"scope": "category", "percent": "10"}, "Enter the category the discount is for"),
        ({"scope": "provider", "percent": "10", "cap": "-5"}, "The cap must be £0 or more"),
        ({"scope": "everything", "percent": "10"}, "Choose what the discount is for"),
    ],
)
def test_bad_rules_are_refused(
    app: Flask, org_id: int, sign_in: SignIn, data: dict[str, str], message: str
) -> None:
    nasen = provider(app, org_id)
    mid = membership(app, org_id, nasen)
    before = count(app, DiscountRule)
    leader = sign_in("admin")
    if data["scope"] == "provider":
        data = {"provider_id": str(nasen), **data}
    response = post(
        leader, f"/spend/memberships/{mid}/rules", f"/spend/memberships/{mid}/edit", data
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(app, DiscountRule) == before


def test_remove_a_rule(app: Flask, org_id: int, sign_in: SignIn) -> None:
    mid = membership(app, org_id, provider(app, org_id))
    with app.app_context():
        rule_id = db.session.query(DiscountRule.id).scalar()
    leader = sign_in("admin")
    page = f"/spend/memberships/{mid}/edit"
    response = post(leader, f"/spend/memberships/{mid}/rules/{rule_id}/remove", page, {})
    assert response.status_code == 302
    assert count(app, DiscountRule) == 0
    assert "membership.rule_removed" in audit_actions(app)
    missing = post(leader, f"/spend/memberships/{mid}/rules/{rule_id}/remove", page, {})
    assert missing.status_code == 404


def test_providers(app: Flask, org_id: int, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    response = post(
        lead, "/spend/providers", "/spend/providers", {"name": "nasen", "kind": "association"}
    )
    assert response.status_code == 302
    duplicate = post(
        lead, "/spend/providers", "/spend/providers", {"name": "NASEN", "kind": "association"}
    )
    assert duplicate.status_code == 400
    assert "There is already a provider called nasen" in duplicate.get_data(as_text=True)
    assert count(app, Provider) == 1
    with app.app_context():
        pid = db.session.query(Provider.id).scalar()
    assert lead.get(f"/spend/providers/{pid}/edit").status_code == 403
    leader = sign_in("admin")
    renamed = post(
        leader,
        f"/spend/providers/{pid}/edit",
        f"/spend/providers/{pid}/edit",
        {
            "name": "nasen (National Association for Special Educational Needs)",
            "kind": "association",
        },
    )
    assert renamed.status_code == 302
    assert "provider.changed" in audit_actions(app)
