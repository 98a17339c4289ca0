"""The purchase delegate picker offers the staff employed on the day of the purchase
(issue 17: leavers excluded by the one rule, ``rules.employment``): a leaver whose leaving day
was before the purchase is not offered and cannot be named; someone who left after it (they
may have gone on the course) still is."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from tests.functional.spend.conftest import SignIn
from tests.functional.spend.support import module_id, post, provider, purchase
from tests.functional.staff.support import ALDER, add_person
from tests.support.factories import school_id

BOUGHT = dt.date(2026, 11, 2)


def test_a_leaver_before_the_purchase_is_not_offered(
    app: Flask, org_id: int, sign_in: SignIn
) -> None:
    nasen = provider(app, org_id)
    pid = purchase(
        app,
        org_id,
        nasen,
        school_id(app, ALDER),
        module_id=module_id(app, org_id),
        purchased_on=BOUGHT,
        delegates=3,
    )
    add_person(app, ALDER, "Stan Staying")
    gone = add_person(app, ALDER, "Lou Leaver", leaving_date=BOUGHT - dt.timedelta(days=1))
    add_person(app, ALDER, "Dee Dayof", leaving_date=BOUGHT)
    add_person(app, ALDER, "Al After", leaving_date=BOUGHT + dt.timedelta(days=10))
    lead = sign_in("instructor", ALDER)
    page = f"/spend/purchases/{pid}"
    html = lead.get(page).get_data(as_text=True)
    assert "Lou Leaver" not in html
    for name in ("Stan Staying", "Dee Dayof", "Al After"):
        assert name in html
    refused = post(lead, f"{page}/delegates", page, {"person_id": str(gone)})
    assert refused.status_code == 400
    assert "Lou Leaver" not in lead.get(page).get_data(as_text=True)
