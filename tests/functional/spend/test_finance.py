"""Money as school finance sees it (issue 16) through the spend pages: VAT and who recovers it,
the year of delivery in either calendar, DfE- and grant-funded lines shown but not counted,
named warnings for missing figures, included places used in part, and cost per delegate trained
beside cost per compliant member of staff with the same year's compliance."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from cpd_tracker.extensions import db
from cpd_tracker.models import FundingSource, Membership, Purchase, School, SchoolType
from cpd_tracker.services.spend import PurchaseDetails, SpendError
from tests.functional.spend.conftest import SignIn
from tests.functional.spend.support import (
    audit_actions,
    count,
    module_id,
    post,
    provider,
    purchase,
    service,
    table_cells,
)
from tests.functional.staff.support import ALDER, hidden
from tests.support.factories import school_id


def _form(app: Flask, nasen: int, **kw: str) -> dict[str, str]:
    data = {
        "school_id": str(school_id(app, ALDER)),
        "provider_id": str(nasen),
        "module_id": "",
        "course_title": "Autism good practice",
        "purchased_on": "1/10/2025",
        "delegates": "2",
        "list_price": "£250.00",
        "vat": "standard",
        "funding_source": "school_budget",
    }
    data.update(kw)
    return data


def _new(client: FlaskClient, data: dict[str, Any]) -> Any:
    return post(client, "/spend/purchases/new", "/spend/purchases/new", data)


def _school_type(app: Flask, urn: str, kind: SchoolType | None, pupils: int | None = 0) -> None:
    with app.app_context():
        school = db.session.scalar(select(School).where(School.urn == urn))
        assert school is not None
        school.school_type = kind
        if pupils != 0:
            service().set_census(school.organisation_id, 2025, {school.id: pupils}, None)
        db.session.commit()


def _checked(html: str) -> str | None:
    """The value of the VAT radio that is checked."""
    for tag in re.findall(r"<input[^>]*>", html):
        if 'name="vat"' in tag and "checked" in tag:
            found = re.search(r'value="([^"]*)"', tag)
            return found.group(1) if found else None
    return None


def _saved(app: Flask) -> tuple[int, Decimal | None, dt.date | None, int]:
    with app.app_context():
        row = db.session.scalars(select(Purchase)).one()
        return row.vat_pence, row.vat_rate, row.delivered_on, row.total_pence


def test_vat_on_the_price_after_discount_recovered_by_an_academy(
    app: Flask, org_id: int, sign_in: SignIn
) -> None:
    _school_type(app, ALDER, SchoolType.ACADEMY)
    nasen = provider(app, org_id)
    lead = sign_in("instructor", ALDER)
    # 2 places at £250 ex VAT, £100 off: £400 net, VAT at 20% on the £400 = £80.
    response = _new(lead, _form(app, nasen, discount="£100", discount_reason="Early-bird rate"))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    vat, rate, delivered, total = _saved(app)
    assert (vat, rate, delivered) == (8_000, Decimal(20), None)
    assert total == 40_000  # the academy recovers the £80 (VATA s.33B): not a cost
    page = lead.get(response.headers["Location"]).get_data(as_text=True)
    assert "£80.00 at 20%" in page
    assert "s.33B" in page
    assert "purchase.created" in audit_actions(app)


def test_an_independent_school_bears_the_vat(app: Flask, org_id: int, sign_in: SignIn) -> None:
    _school_type(app, ALDER, SchoolType.INDEPENDENT)
    nasen = provider(app, org_id)
    response = _new(sign_in("instructor", ALDER), _form(app, nasen))
    assert response.status_code == 302
    assert _saved(app)[0::3] == (10_000, 60_000)  # £500 + £100 VAT not recoverable


def test_vat_exempt_training_and_a_bad_vat_answer(app: Flask, org_id: int, sign_in: SignIn) -> None:
    nasen = provider(app, org_id)
    lead = sign_in("instructor", ALDER)
    bad = _new(lead, _form(app, nasen, vat="17.5"))
    assert bad.status_code == 400
    assert "Choose whether VAT is charged" in bad.get_data(as_text=True)
    assert count(app) == 0
    assert _new(lead, _form(app, nasen, vat="none")).status_code == 302
    assert _saved(app)[:2] == (0, Decimal(0))


def test_a_purchase_counts_in_the_year_it_is_delivered_in_either_calendar(
    app: Flask, org_id: int, sign_in: SignIn
) -> None:
    nasen = provider(app, org_id)
    alder = school_id(app, ALDER)
    # Booked in March 2026, delivered in April 2026.
    purchase(
        app,
        org_id,
        nasen,
        alder,
        purchased_on=dt.date(2026, 3, 25),
        delivered_on=dt.date(2026, 4, 2),
        list_price_pence=30_000,
    )
    leader = sign_in("admin")

    def total(query: str) -> list[list[str]]:
        return table_cells(leader.get(f"/spend/report?{query}").get_data(as_text=True), "schools")

    # Academy calendar (the default): 2025/26 either way.
    assert total("year=2025")[0][0] == "Alder Primary"
    # Financial calendar: the new financial year 2026/27, not 2025/26 when it was booked.
    assert total("year=2025&calendar=financial") == [["Nothing for this year."]]
    assert total("year=2026&calendar=financial")[0][-1] == "£300.00"
    page = leader.get("/spend/report?year=2026&calendar=financial").get_data(as_text=True)
    assert "Training spend 2026/27" in page
    assert "calendar=financial" in page  # downloads keep the calendar
    listing = leader.get("/spend/purchases?year=2026&calendar=financial").get_data(as_text=True)
    assert "2 April 2026" in listing  # shown by the day it is delivered
    assert "Purchases 2026/27" in listing


def test_npq_scholarship_and_grant_lines_are_shown_but_not_the_schools_cost(
    app: Flask, org_id: int, sign_in: SignIn
) -> None:
    npq = provider(app, org_id, "NPQ lead provider")
    alder = school_id(app, ALDER)
    purchase(
        app,
        org_id,
        npq,
        alder,
        list_price_pence=200_000,
        supply_pence=30_000,
        supply_code="E02",
        funding_source=FundingSource.NPQ_SCHOLARSHIP,
    )
    purchase(app, org_id, npq, alder, list_price_pence=10_000)
    html = sign_in("admin").get("/spend/report?year=2025").get_data(as_text=True)
    funding = {r[0]: r for r in table_cells(html, "funding")}
    # Total (net of recoverable VAT), funded by DfE or a grant, cost to the school.
    assert funding["NPQ scholarship"][-3:] == ["£2,300.00", "£2,000.00", "£300.00"]
    assert funding["School budget"][-3:] == ["£100.00", "£0.00", "£100.00"]
    assert funding["Total"][-3:] == ["£2,400.00", "£2,000.00", "£400.00"]


def test_schools_without_pupil_or_staff_numbers_are_named(
    app: Flask, org_id: int, sign_in: SignIn
) -> None:
    _school_type(app, ALDER, None, pupils=300)
    nasen = provider(app, org_id)
    purchase(app, org_id, nasen, None, list_price_pence=60_000)
    html = sign_in("admin").get("/spend/report?year=2025&basis=pupils").get_data(as_text=True)
    assert "Warning: no pupil numbers recorded for Birch" in html
    rows = {r[0]: r for r in table_cells(html, "apportionment")}
    assert rows["Alder Primary"][4] == "£600.00"
    staff = sign_in("admin").get("/spend/report?year=2025&basis=staff").get_data(as_text=True)
    assert "Warning: no staff recorded for" in staff


def test_three_delegates_with_two_included_places_left(
    app: Flask, org_id: int, sign_in: SignIn
) -> None:
    from tests.functional.spend.support import membership

    nasen = provider(app, org_id)
    autism = module_id(app, org_id)
    member = membership(app, org_id, nasen)
    with app.app_context():
        spend = service()
        row = spend.membership(org_id, member)
        assert row is not None
        spend.add_included(row, autism, 2)
        db.session.commit()
    lead = sign_in("instructor", ALDER)
    check = _new(
        lead, _form(app, nasen, module_id=str(autism), delegates="3", list_price="150", check="1")
    )
    text = check.get_data(as_text=True)
    assert "2 included in nasen full membership (2 places left) and 1 paid" in text
    assert "£330.00" in text  # £300 of included places + 20% off the paid £150
    response = _new(lead, _form(app, nasen, module_id=str(autism), delegates="3", list_price="150"))
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.scalars(select(Purchase)).one()
        assert (saved.included_places, saved.discount_pence, saved.net_pence) == (2, 33_000, 12_000)
    html = sign_in("admin").get("/spend/report?year=2025").get_data(as_text=True)
    memberships = table_cells(html, "memberships")
    # D = £30 (20% of the one paid place), I = £300 (two included places at list price).
    assert memberships[0][4:6] == ["£30.00", "£300.00"]
    assert memberships[0][8] == "20.0%"


def test_cost_per_compliant_uses_the_same_years_compliance(
    app: Flask, org_id: int, sign_in: SignIn
) -> None:
    from tests.functional.staff.support import add_completion, add_person, add_requirement

    autism = module_id(app, org_id)
    add_requirement(app, org_id, autism, roles=[])
    people = [add_person(app, ALDER, name) for name in ("Ann Ash", "Ben Birch")]
    today = dt.date.today()
    for pid in people:
        add_completion(app, pid, autism, today - dt.timedelta(days=2))
    nasen = provider(app, org_id)
    this_year = today.year if today.month >= 9 else today.year - 1
    last_year_day = dt.date(this_year - 1, 10, 1)
    purchase(
        app,
        org_id,
        nasen,
        school_id(app, ALDER),
        module_id=autism,
        delegates=2,
        list_price_pence=10_000,
        purchased_on=last_year_day,
    )
    leader = sign_in("admin")
    html = leader.get(f"/spend/report?year={this_year - 1}").get_data(as_text=True)
    rows = {r[0]: r for r in table_cells(html, "compliance")}
    # Last year's £200 over last year's compliance (nobody had trained by 31 August): n/a,
    # not £100 over the two who trained this week.
    assert rows["Autism awareness"][1:] == ["£200.00", "2", "0", "n/a", "0", "n/a"]


def test_the_import_reads_delivery_dates_and_vat(app: Flask, org_id: int, sign_in: SignIn) -> None:
    provider(app, org_id)
    content = (
        "School URN,Provider,Course title,Date,Delivered,Delegates,List price,VAT rate,Reference\n"
        "100001,nasen,Dyslexia day,20/06/2026,14/09/2026,1,400,20%,INV-1\n"
        "100002,nasen,Autism day,20/06/2026,,1,100,exempt,INV-2\n"
        "100002,nasen,Old row,20/06/2026,,1,100,,INV-3\n"
    )
    leader = sign_in("admin")
    html = leader.get("/spend/import").get_data(as_text=True)
    response = leader.post(
        "/spend/import",
        data={
            "csrf_token": hidden(html, "csrf_token"),
            "school_id": "0",
            "file": (io.BytesIO(content.encode()), "finance.csv"),
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    preview = response.headers["Location"].split("?")[0]
    token = hidden(leader.get(preview).get_data(as_text=True), "csrf_token")
    assert leader.post(preview + "/apply", data={"csrf_token": token}).status_code == 303
    with app.app_context():
        rows = {
            p.reference: (p.delivered_on, p.vat_rate, p.vat_pence)
            for p in db.session.scalars(select(Purchase))
        }
    assert rows == {
        "INV-1": (dt.date(2026, 9, 14), Decimal(20), 8_000),
        "INV-2": (None, Decimal(0), 0),
        "INV-3": (None, None, 0),  # not stated: VAT unknown, counted as nil
    }


def test_an_unknown_vat_rate_in_the_import_is_a_row_error() -> None:
    from cpd_tracker.services.spend.imports import parse_purchases_csv

    parsed = parse_purchases_csv(
        b"Provider,Course title,Date,List price,VAT rate,Delivered\n"
        b"nasen,Day,01/10/2025,100,17.5,31/02/2026\n"
        b"nasen,Day,01/10/2025,100,S,14/10/2025\n"
    )
    messages = [p.message for p in parsed.errors]
    assert any("VAT rate '17.5'" in m for m in messages)
    assert any("delivery date" in m for m in messages)
    assert [(r.vat_rate, r.delivered_on) for r in parsed.rows] == [
        (Decimal(20), dt.date(2025, 10, 14))
    ]


def test_a_delivery_date_years_from_the_booking_is_refused(app: Flask, org_id: int) -> None:
    nasen = provider(app, org_id)
    details = PurchaseDetails(
        school_id=None,
        provider_id=nasen,
        module_id=None,
        course_title="Day",
        purchased_on=dt.date(2025, 10, 1),
        delivered_on=dt.date(2030, 10, 1),
        delegates=1,
        list_price_pence=100,
        discount_pence=None,
        discount_reason="",
        supply_pence=0,
        supply_code=None,
        travel_pence=0,
        funding_source=FundingSource.TRUST_CENTRAL,
    )
    with app.app_context(), pytest.raises(SpendError, match="three years"):
        service().save_purchase(org_id, details, None, recorded_by_id=None)


def test_not_stated_vat_is_offered_only_for_a_purchase_recorded_before_vat_was_asked(
    app: Flask, org_id: int, sign_in: SignIn
) -> None:
    nasen = provider(app, org_id)
    lead = sign_in("instructor", ALDER)
    new = lead.get("/spend/purchases/new").get_data(as_text=True)
    assert _checked(new) == "standard"
    assert 'value="unknown"' not in new
    refused = _new(lead, _form(app, nasen, vat="unknown"))
    assert refused.status_code == 400
    assert count(app) == 0
    # A row from before VAT was asked (stored as ex VAT, rate not stated).
    old = purchase(app, org_id, nasen, school_id(app, ALDER))
    edit = f"/spend/purchases/{old}/edit"
    page = lead.get(edit).get_data(as_text=True)
    assert _checked(page) == "unknown"
    kept = post(lead, edit, edit, _form(app, nasen, vat="unknown", delegates="1"))
    assert kept.status_code == 302, kept.get_data(as_text=True)[:2000]
    assert _saved(app)[:2] == (0, None)


def test_a_purchase_bought_only_for_the_discount_is_not_a_saving(
    app: Flask, org_id: int, sign_in: SignIn
) -> None:
    from tests.functional.spend.support import membership

    nasen = provider(app, org_id)
    membership(app, org_id, nasen)
    lead = sign_in("instructor", ALDER)
    anyway = _new(lead, _form(app, nasen, list_price="500", reference="A"))
    assert anyway.status_code == 302
    only = _new(lead, _form(app, nasen, list_price="500", reference="B", only_for_discount="y"))
    assert only.status_code == 302
    page = lead.get(only.headers["Location"]).get_data(as_text=True)
    assert "its discount is not counted as a saving" in page
    html = sign_in("admin").get("/spend/report?year=2025").get_data(as_text=True)
    (row,) = table_cells(html, "memberships")
    # 2 places at £500 each time, 20% off: £200 counted as D, £200 shown apart.
    assert (row[4], row[-1]) == ("£200.00", "£200.00")
    assert "purchase.created" in audit_actions(app)


def test_staff_shares_use_the_years_own_staff_not_todays(
    app: Flask, org_id: int, sign_in: SignIn
) -> None:
    from cpd_tracker.models import StaffRoleKind
    from tests.functional.staff.support import add_person

    add_person(app, ALDER, "Ann Ash", roles={StaffRoleKind.TEACHER: dt.date(2023, 9, 1)})
    # Joined after the end of 2024/25: on today's list, not on that year's.
    add_person(app, ALDER, "Ben Birch", roles={StaffRoleKind.TEACHER: dt.date(2025, 9, 1)})
    nasen = provider(app, org_id)
    purchase(app, org_id, nasen, None, list_price_pence=60_000, purchased_on=dt.date(2024, 10, 1))
    html = sign_in("admin").get("/spend/report?year=2024&basis=staff").get_data(as_text=True)
    rows = {r[0]: r for r in table_cells(html, "apportionment")}
    assert rows["Alder Primary"][2] == "1"
    assert "Staff are those on the list on 31 August 2025" in html


def test_the_trusts_nominal_code_beside_the_cfr_code(
    app: Flask, org_id: int, sign_in: SignIn
) -> None:
    nasen = provider(app, org_id)
    lead = sign_in("instructor", ALDER)
    refused = _new(lead, _form(app, nasen, finance_code="E99"))
    assert refused.status_code == 400
    assert "Choose E09 or E27" in refused.get_data(as_text=True)
    assert count(app) == 0
    trainer = _form(app, nasen, finance_code="E27", nominal_code="4010-CPD", vat="none")
    response = _new(lead, trainer)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert _new(lead, _form(app, nasen, vat="none", reference="R2")).status_code == 302
    page = lead.get(response.headers["Location"]).get_data(as_text=True)
    assert "4010-CPD" in page
    html = sign_in("admin").get("/spend/report?year=2025").get_data(as_text=True)
    assert table_cells(html, "codes") == [
        ["E09", "", "£0.00", "£500.00"],
        ["E27", "4010-CPD", "£0.00", "£500.00"],
        ["Total", "", "£0.00", "£1,000.00"],
    ]


def test_membership_fees_are_coded_and_counted_in_the_totals_by_code(
    app: Flask, org_id: int, sign_in: SignIn
) -> None:
    """A £1,500 membership from 1 September 2025 to 31 August 2026, booked to E09 under the
    trust's ledger code 4020-SUBS: the 2025/26 totals by code hold the whole fee beside a
    £500 E09 course; a trust membership of 2024/25 is in 2024/25's totals, not 2025/26's."""
    nasen = provider(app, org_id)
    leader = sign_in("admin")
    form = {
        "name": "nasen full membership 2025/26",
        "provider_id": str(nasen),
        "school_id": "",
        "fee": "£1,500",
        "starts_on": "1/9/2025",
        "ends_on": "31/8/2026",
        "share_basis": "pupils",
    }
    refused = post(
        leader,
        "/spend/memberships/new",
        "/spend/memberships/new",
        {**form, "finance_code": "E99"},
    )
    assert refused.status_code == 400
    assert "Choose E09 or E27" in refused.get_data(as_text=True)
    assert count(app, Membership) == 0
    page = leader.get("/spend/memberships/new").get_data(as_text=True)
    checked = [t for t in re.findall(r"<input[^>]*>", page) if "checked" in t]
    assert any('name="finance_code"' in t and 'value="E09"' in t for t in checked)
    saved = post(
        leader,
        "/spend/memberships/new",
        "/spend/memberships/new",
        {**form, "nominal_code": "4020-SUBS"},
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    edit = leader.get(saved.headers["Location"]).get_data(as_text=True)
    assert 'value="4020-SUBS"' in edit
    service_membership = {
        "name": "Old membership 2024/25",
        "starts_on": "1/9/2024",
        "ends_on": "31/8/2025",
        "finance_code": "E27",
    }
    assert (
        post(
            leader,
            "/spend/memberships/new",
            "/spend/memberships/new",
            {**form, **service_membership},
        ).status_code
        == 302
    )
    lead = sign_in("instructor", ALDER)
    assert _new(lead, _form(app, nasen, vat="none")).status_code == 302
    html = sign_in("admin").get("/spend/report?year=2025").get_data(as_text=True)
    assert table_cells(html, "codes") == [
        ["E09", "", "£0.00", "£500.00"],
        ["E09", "4020-SUBS", "£1,500.00", "£1,500.00"],
        ["Total", "", "£1,500.00", "£2,000.00"],
    ]
    earlier = sign_in("admin").get("/spend/report?year=2024").get_data(as_text=True)
    assert table_cells(earlier, "codes") == [
        ["E27", "", "£1,500.00", "£1,500.00"],
        ["Total", "", "£1,500.00", "£1,500.00"],
    ]
    download = sign_in("admin").get("/spend/report/codes.csv?year=2025")
    assert "4020-SUBS" in download.get_data(as_text=True)
    with app.app_context():
        coded = db.session.scalars(select(Membership).order_by(Membership.id)).all()
        assert [(m.finance_code, m.nominal_code) for m in coded] == [
            ("E09", "4020-SUBS"),
            ("E27", ""),
        ]
    assert "membership.created" in audit_actions(app)


def test_the_import_reads_the_trust_nominal_code() -> None:
    from cpd_tracker.services.spend.imports import parse_purchases_csv

    parsed = parse_purchases_csv(
        b"Provider,Course title,Date,List price,Finance code,Trust nominal code\n"
        b"nasen,Day,01/10/2025,100,E27,4010-CPD\n"
    )
    assert not parsed.errors
    assert [(r.finance_code, r.nominal_code) for r in parsed.rows] == [("E27", "4010-CPD")]
