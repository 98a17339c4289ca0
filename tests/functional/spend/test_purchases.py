"""Recording purchases: the suggested discount, an override needing a reason, strict money
input (400 and nothing written), delegates and the completions they led to; all audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from cpd_tracker.extensions import db
from cpd_tracker.models import Purchase, PurchaseDelegate
from tests.functional.spend.conftest import SignIn
from tests.functional.spend.support import (
    audit_actions,
    count,
    membership,
    module_id,
    post,
    provider,
    purchase,
)
from tests.functional.staff.support import ALDER, BIRCH, add_completion, add_person
from tests.support.factories import school_id


def _form(app: Flask, nasen: int, **kw: str) -> dict[str, str]:
    data = {
        "school_id": str(school_id(app, ALDER)),
        "provider_id": str(nasen),
        "module_id": "",
        "course_title": "Autism good practice",
        "purchased_on": "1/10/2025",
        "delegates": "3",
        "list_price": "£250.00",
        "funding_source": "school_budget",
    }
    data.update(kw)
    return data


def _new(client: FlaskClient, data: dict[str, Any]) -> Any:
    return post(client, "/spend/purchases/new", "/spend/purchases/new", data)


def _only(app: Flask) -> Purchase:
    with app.app_context():
        rows = db.session.query(Purchase).all()
        assert len(rows) == 1
        _ = rows[0].school  # loaded: total_pence asks who recovers the VAT
        db.session.expunge(rows[0])
        return rows[0]


def test_the_suggested_capped_discount_is_applied(app: Flask, org_id: int, sign_in: SignIn) -> None:
    nasen = provider(app, org_id)
    membership(app, org_id, nasen, percent="30", cap=5_000)
    lead = sign_in("instructor", ALDER)
    response = _new(lead, _form(app, nasen, supply="£180", supply_code="E02", travel="12.40"))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    saved = _only(app)
    # 30% of £250 is £75 a place, capped at £50 a place: 3 places, £150 off.
    assert (saved.discount_pence, saved.suggested_discount_pence) == (15_000, 15_000)
    assert saved.net_pence == 60_000
    assert saved.total_pence == 60_000 + 18_000 + 1_240
    assert saved.membership_id is not None
    assert saved.finance_code == "E09"
    assert saved.supply_code == "E02"
    assert "purchase.created" in audit_actions(app)
    page = lead.get(response.headers["Location"]).get_data(as_text=True)
    assert "£150.00" in page
    assert "£792.40" in page  # the total
    assert "£264.13" in page  # per delegate: 792.40 / 3 = 264.1333, half-up to the penny


def test_check_shows_the_suggestion_and_writes_nothing(
    app: Flask, org_id: int, sign_in: SignIn
) -> None:
    nasen = provider(app, org_id)
    membership(app, org_id, nasen)
    lead = sign_in("instructor", ALDER)
    response = _new(lead, {**_form(app, nasen), "check": "1"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Suggested discount: £150.00" in html
    assert "nasen full membership: 20% off" in html
    assert count(app) == 0


def test_an_override_needs_a_reason(app: Flask, org_id: int, sign_in: SignIn) -> None:
    nasen = provider(app, org_id)
    membership(app, org_id, nasen)
    lead = sign_in("instructor", ALDER)
    response = _new(lead, _form(app, nasen, discount="£100"))
    assert response.status_code == 400
    assert "Say why the discount differs from the suggested £150.00" in response.get_data(
        as_text=True
    )
    assert count(app) == 0
    response = _new(
        lead, _form(app, nasen, discount="£100", discount_reason="Early-bird rate instead")
    )
    assert response.status_code == 302
    saved = _only(app)
    assert (saved.discount_pence, saved.suggested_discount_pence) == (10_000, 15_000)
    assert saved.discount_reason == "Early-bird rate instead"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("list_price", "-250", "The list price must be £0 or more"),
        ("list_price", "250.123", "The list price must have no more than 2 decimal places"),
        ("list_price", "two hundred", "The list price must be in pounds and pence"),
        ("list_price", "", "Enter the list price"),
        ("supply", "-1", "The supply cover must be £0 or more"),
        ("travel", "1.005", "Travel must have no more than 2 decimal places"),
        ("discount", "£900", "The discount cannot be more than the list price"),
        ("delegates", "0", "Delegates must be a whole number from 1 to 1,000"),
        ("purchased_on", "31/2/2025", "Enter the date as 27/3/2025"),
        ("provider_id", "999999", "Choose the provider"),
        ("funding_source", "piggy_bank", "Choose where the money came from"),
        ("supply_code", "E99", "Choose E02 or E26"),
    ],
)
def test_bad_input_is_a_400_and_writes_nothing(
    app: Flask, org_id: int, sign_in: SignIn, field: str, value: str, message: str
) -> None:
    nasen = provider(app, org_id)
    lead = sign_in("instructor", ALDER)
    data = _form(app, nasen, discount_reason="Because")
    data[field] = value
    response = _new(lead, data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(app) == 0


def test_supply_cover_needs_its_code(app: Flask, org_id: int, sign_in: SignIn) -> None:
    nasen = provider(app, org_id)
    lead = sign_in("instructor", ALDER)
    response = _new(lead, _form(app, nasen, supply="£150"))
    assert response.status_code == 400
    assert "E02 or E26" in response.get_data(as_text=True)
    assert count(app) == 0


def test_thousands_separators_and_one_decimal_are_accepted(
    app: Flask, org_id: int, sign_in: SignIn
) -> None:
    nasen = provider(app, org_id)
    leader = sign_in("admin")
    response = _new(
        leader,
        _form(
            app, nasen, list_price="£1,234.5", delegates="1", school_id="", funding_source="grant"
        ),
    )
    assert response.status_code == 302
    saved = _only(app)
    assert (saved.list_price_pence, saved.school_id) == (123_450, None)


def test_a_central_purchase_cannot_be_paid_from_a_school_budget(
    app: Flask, org_id: int, sign_in: SignIn
) -> None:
    nasen = provider(app, org_id)
    leader = sign_in("admin")
    response = _new(leader, _form(app, nasen, school_id=""))
    assert response.status_code == 400
    assert "belongs to that school" in response.get_data(as_text=True)
    assert count(app) == 0


def test_editing_keeps_the_audit_trail(app: Flask, org_id: int, sign_in: SignIn) -> None:
    nasen = provider(app, org_id)
    pid = purchase(app, org_id, nasen, school_id(app, ALDER))
    lead = sign_in("instructor", ALDER)
    page = lead.get(f"/spend/purchases/{pid}/edit").get_data(as_text=True)
    assert "Suggested discount: £0.00" in page
    response = post(
        lead,
        f"/spend/purchases/{pid}/edit",
        f"/spend/purchases/{pid}/edit",
        _form(app, nasen, delegates="2", list_price="300"),
    )
    assert response.status_code == 302
    assert _only(app).list_total_pence == 60_000
    assert audit_actions(app).count("purchase.changed") == 1


def test_included_places_are_used_then_run_out(app: Flask, org_id: int, sign_in: SignIn) -> None:
    nasen = provider(app, org_id)
    mid = membership(app, org_id, nasen)
    autism = module_id(app, org_id)
    leader = sign_in("admin")
    response = post(
        leader,
        f"/spend/memberships/{mid}/included",
        f"/spend/memberships/{mid}/edit",
        {"module_id": str(autism), "places": "2"},
    )
    assert response.status_code == 302
    first = _new(leader, _form(app, nasen, module_id=str(autism), delegates="2"))
    assert first.status_code == 302
    second = _new(leader, {**_form(app, nasen, module_id=str(autism), delegates="1"), "check": "1"})
    html = second.get_data(as_text=True)
    assert "Suggested discount: £50.00" in html  # no places left: 20% of £250
    with app.app_context():
        used = db.session.query(Purchase).one()
        assert (used.included, used.discount_pence, used.net_pence) == (True, 50_000, 0)


def test_delegates_and_their_completions(app: Flask, org_id: int, sign_in: SignIn) -> None:
    nasen = provider(app, org_id)
    autism = module_id(app, org_id)
    pid = purchase(app, org_id, nasen, school_id(app, ALDER), module_id=autism, delegates=1)
    alice = add_person(app, ALDER, "Alice Ash")
    bob = add_person(app, ALDER, "Bob Beech")
    birch = add_person(app, BIRCH, "Cat Cedar")
    done = add_completion(app, alice, autism, dt.date(2025, 10, 2))
    lead = sign_in("instructor", ALDER)
    page = f"/spend/purchases/{pid}"
    assert "Cat Cedar" not in lead.get(page).get_data(as_text=True)
    refused = post(lead, f"{page}/delegates", page, {"person_id": str(birch)})
    assert refused.status_code == 400
    wrong = post(
        lead, f"{page}/delegates", page, {"person_id": str(bob), "completion_id": str(done)}
    )
    assert wrong.status_code == 400
    assert "Choose one of this person" in wrong.get_data(as_text=True)
    ok = post(
        lead, f"{page}/delegates", page, {"person_id": str(alice), "completion_id": str(done)}
    )
    assert ok.status_code == 302
    full = post(lead, f"{page}/delegates", page, {"person_id": str(bob)})
    assert full.status_code == 400
    with app.app_context():
        links = db.session.query(PurchaseDelegate).all()
        assert [(d.person_id, d.completion_id) for d in links] == [(alice, done)]
    html = lead.get(page).get_data(as_text=True)
    assert "Cost per trained person" in html
    assert "Linked" in html
    assert "purchase.delegate_linked" in audit_actions(app)


def test_delete_a_purchase_recorded_in_error(app: Flask, org_id: int, sign_in: SignIn) -> None:
    nasen = provider(app, org_id)
    mine = purchase(app, org_id, nasen, school_id(app, ALDER))
    theirs = purchase(app, org_id, nasen, school_id(app, BIRCH))
    lead = sign_in("instructor", ALDER)
    page = f"/spend/purchases/{theirs}/delete"
    assert lead.get(page).status_code == 403
    assert lead.post(page, data={}).status_code == 403
    assert (
        post(
            lead, f"/spend/purchases/{mine}/delete", f"/spend/purchases/{mine}/delete", {}
        ).status_code
        == 302
    )
    assert lead.post(f"/spend/purchases/{theirs}/delete", data={}).status_code == 403
    assert count(app) == 1
    assert "purchase.deleted" in audit_actions(app)
    staff = sign_in("learner")
    assert staff.post(page, data={}).status_code == 403
