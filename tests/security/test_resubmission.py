"""Money, SENCO and training forms sent twice create once (issue 14, finding 8).

The same form sent again (its one-time token reused, as a double click or Back-and-submit
does) creates nothing and is redirected to what the first created; a purchase with a finance
reference already on another purchase of the organisation is refused with a message naming
that purchase, whichever form it comes from."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from cpd_tracker.models import (
    Attempt,
    DiscountRule,
    Membership,
    Module,
    Provider,
    Purchase,
    PurchaseDelegate,
    SencoAppointment,
)
from tests.functional.spend.support import count, membership, provider, purchase
from tests.functional.staff.conftest import SignIn, org_id, platform, sign_in
from tests.functional.staff.support import ALDER, add_person, hidden
from tests.security.test_hostile_input import _check_module
from tests.support.factories import school_id

__all__ = ["org_id", "platform", "sign_in"]

RESENT = "That form had already been sent, so nothing new was saved."


def twice(client: FlaskClient, page: str, path: str, data: dict[str, Any]) -> list[TestResponse]:
    """The form at ``page`` posted to ``path`` twice with the same token (and the knowledge
    check's sealed paper, where the form has one)."""
    html = client.get(page).get_data(as_text=True)
    sent = {"csrf_token": hidden(html, "csrf_token"), **data}
    if 'name="paper"' in html:
        sent["paper"] = hidden(html, "paper")
    return [client.post(path, data=sent) for _ in range(2)]


def _purchase_form(app: Flask, nasen: int, **kw: str) -> dict[str, str]:
    return {
        "school_id": str(school_id(app, ALDER)),
        "provider_id": str(nasen),
        "module_id": "",
        "course_title": "Autism good practice",
        "purchased_on": "1/10/2025",
        "delegates": "3",
        "list_price": "£250.00",
        "funding_source": "school_budget",
        **kw,
    }


def test_a_purchase_sent_twice_is_recorded_once(app: Flask, org_id: int, sign_in: SignIn) -> None:
    nasen = provider(app, org_id)
    lead = sign_in("instructor")
    first, again = twice(
        lead, "/spend/purchases/new", "/spend/purchases/new", _purchase_form(app, nasen)
    )
    assert (first.status_code, again.status_code) == (302, 303)
    assert again.headers["Location"].split("?")[0] == first.headers["Location"].split("?")[0]
    assert "resent=1" in again.headers["Location"]
    assert count(app, Purchase) == 1
    page = lead.get(again.headers["Location"]).get_data(as_text=True)
    assert RESENT in page
    assert "Autism good practice" in page


def test_a_finance_reference_names_one_purchase(app: Flask, org_id: int, sign_in: SignIn) -> None:
    nasen = provider(app, org_id)
    purchase(app, org_id, nasen, school_id(app, ALDER), reference="INV-1042")
    lead = sign_in("instructor")
    # A fresh form (not a resubmission) with the same reference: refused, naming the purchase.
    response, _ = twice(
        lead,
        "/spend/purchases/new",
        "/spend/purchases/new",
        _purchase_form(app, nasen, reference="INV-1042", course_title="Another course"),
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Finance reference INV-1042 is already on the purchase of Autism good practice" in html
    assert "on 1 October 2025" in html
    assert count(app, Purchase) == 1
    # Another reference, or none, is a purchase of its own.
    for reference in ("INV-1043", ""):
        created, _ = twice(
            lead,
            "/spend/purchases/new",
            "/spend/purchases/new",
            _purchase_form(app, nasen, reference=reference),
        )
        assert created.status_code == 302
    assert count(app, Purchase) == 3


def test_editing_a_purchase_keeps_its_own_reference(
    app: Flask, org_id: int, sign_in: SignIn
) -> None:
    nasen = provider(app, org_id)
    pid = purchase(app, org_id, nasen, school_id(app, ALDER), reference="INV-7")
    lead = sign_in("instructor")
    response, _ = twice(
        lead,
        f"/spend/purchases/{pid}/edit",
        f"/spend/purchases/{pid}/edit",
        _purchase_form(app, nasen, reference="INV-7", delegates="4"),
    )
    assert response.status_code == 302
    assert count(app, Purchase) == 1


def test_spend_setup_forms_sent_twice_create_once(app: Flask, org_id: int, sign_in: SignIn) -> None:
    leader = sign_in("admin")
    first, again = twice(
        leader, "/spend/providers", "/spend/providers", {"name": "nasen", "kind": "association"}
    )
    assert (first.status_code, again.status_code) == (302, 303)
    assert count(app, Provider) == 1
    nasen = provider(app, org_id, "SEND Training Co")
    form = {
        "name": "nasen full membership",
        "provider_id": str(nasen),
        "school_id": "",
        "fee": "£1,500.00",
        "starts_on": "1/9/2025",
        "ends_on": "31/8/2026",
        "share_basis": "pupils",
    }
    first, again = twice(leader, "/spend/memberships/new", "/spend/memberships/new", form)
    assert (first.status_code, again.status_code) == (302, 303), first.get_data(as_text=True)
    assert count(app, Membership) == 1
    mid = membership(app, org_id, nasen)
    rules = count(app, DiscountRule)
    rule = {"scope": "provider", "provider_id": str(nasen), "percent": "30%", "cap": "£50"}
    edit = f"/spend/memberships/{mid}/edit"
    first, again = twice(leader, edit, f"/spend/memberships/{mid}/rules", rule)
    assert (first.status_code, again.status_code) == (302, 303)
    assert count(app, DiscountRule) == rules + 1


def test_a_delegate_sent_twice_is_named_once(app: Flask, org_id: int, sign_in: SignIn) -> None:
    nasen = provider(app, org_id)
    pid = purchase(app, org_id, nasen, school_id(app, ALDER))
    person = add_person(app, ALDER, "Dee Delegate")
    lead = sign_in("instructor")
    first, again = twice(
        lead,
        f"/spend/purchases/{pid}",
        f"/spend/purchases/{pid}/delegates",
        {"person_id": str(person), "completion_id": ""},
    )
    assert (first.status_code, again.status_code) == (302, 303)
    assert count(app, PurchaseDelegate) == 1


def test_a_senco_appointment_sent_twice_is_made_once(app: Flask, sign_in: SignIn) -> None:
    lead = sign_in("instructor")
    sid = school_id(app, ALDER)
    pid = add_person(app, ALDER, "Sian Evans")
    started = dt.date.today() - dt.timedelta(days=30)
    first, again = twice(
        lead,
        f"/senco/schools/{sid}",
        f"/senco/schools/{sid}/appointments",
        {"person_id": str(pid), "started_on": started.isoformat(), "has_qts": "y"},
    )
    assert (first.status_code, again.status_code) == (303, 303)
    assert count(app, SencoAppointment) == 1


def test_a_knowledge_check_sent_twice_is_one_attempt(
    app: Flask, org_id: int, sign_in: SignIn
) -> None:
    module_id, question_id, right = _check_module(app, org_id)
    staff = sign_in("learner")
    url = f"/modules/{module_id}/check"
    first, again = twice(staff, url, url, {f"q{question_id}": str(right)})
    assert first.status_code == 200
    assert again.status_code == 303
    assert again.headers["Location"].split("?")[0].endswith(f"/modules/{module_id}")
    assert count(app, Attempt) == 1


@pytest.mark.parametrize("path", ["/manage/catalogue/new"])
def test_a_new_module_sent_twice_is_added_once(
    app: Flask, org_id: int, sign_in: SignIn, path: str
) -> None:
    before = count(app, Module)
    leader = sign_in("admin")
    form = {
        "title": "Precision teaching",
        "summary": "Short daily practice.",
        "tier": "enhanced",
        "delivery": "external",
        "category": "SEND",
        "cpd_hours": "3",
        "provider": "nasen",
        "list_price": "£1,234.50",
        "default_validity_months": "24",
    }
    first, again = twice(leader, path, path, form)
    assert (first.status_code, again.status_code) == (302, 303), first.get_data(as_text=True)
    assert count(app, Module) == before + 1
