"""Renewals as schools live them (issue 16), through the pages: the requirement form offers
the recertification bases, and the school page shows people in the issue's named cases with
the right status."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
from typing import Any

import pytest

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    Completion,
    DueRule,
    Exemption,
    Module,
    RecertifyFrom,
    Requirement,
)
from tests.functional.manage.helpers import (
    World,
    audited,
    count,
    csrf,
    requirement_form,
    requirement_row,
    requirements_of,
    submit,
    text,
    today,
)

NEW = "/manage/requirements/new"


def _new(world: World, **changes: Any) -> Any:
    data = requirement_form(**{"module_id": str(world.module), **changes})
    return submit(world.client("leader"), NEW, data)


def _row_text(html: str, name: str) -> str:
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, flags=re.S):
        if name in row:
            return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html_lib.unescape(row)))
    raise AssertionError(f"no row for {name}")


def _introduced_long_ago(world: World, requirement_id: int) -> None:
    with world.app.app_context():
        row = db.session.get(Requirement, requirement_id)
        assert row is not None
        row.created_at = dt.datetime(2015, 1, 1, tzinfo=dt.UTC)
        db.session.commit()


# --- The form ----------------------------------------------------------------------------------


def test_the_form_offers_the_recertification_bases_with_hints(world: World) -> None:
    page = html_lib.unescape(text(world.client("leader").get(NEW)))
    for words in (
        "From the date it was completed",
        "From the expiry date",
        "On the fixed date",
        "renewing early (inside the renewal window) keeps the anniversary",
        "the least time a completion counts for",
        "Newcomers have at least this many days",
    ):
        assert words in page, words


def test_renewals_from_the_expiry_date_are_saved_and_audited(world: World) -> None:
    response = _new(world, recertify_from="expiry")
    assert response.status_code == 302
    [requirement] = requirements_of(world.app, world.module)
    assert requirement.recertify_from is RecertifyFrom.EXPIRY
    assert requirement.min_active_months is None
    [entry] = audited(world.app, "requirement.created")
    assert entry.details["recertify_from"] == "expiry"


def test_a_fixed_date_with_a_minimum_active_period_and_grace(world: World) -> None:
    response = _new(
        world,
        due_rule="fixed_date",
        due_day="1",
        due_month="9",
        grace_days="45",
        recertify_from="fixed",
        min_active_months="4",
    )
    assert response.status_code == 302
    [requirement] = requirements_of(world.app, world.module)
    assert (requirement.grace_days, requirement.min_active_months) == (45, 4)
    assert requirement.recertify_from is RecertifyFrom.FIXED
    edit = text(world.client("leader").get(f"/manage/requirements/{requirement.id}/edit"))
    assert re.search(r'name="grace_days"[^>]*value="45"', edit)
    assert re.search(r'name="min_active_months"[^>]*value="4"', edit)
    assert re.search(r'checked[^>]*value="fixed"|value="fixed"[^>]*checked', edit)


def test_leaving_the_new_options_empty_keeps_the_old_meaning(world: World) -> None:
    assert _new(world).status_code == 302
    [requirement] = requirements_of(world.app, world.module)
    assert (requirement.recertify_from, requirement.min_active_months) == (None, None)
    assert requirement.grace_days is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"recertify_from": "fixed"}, "Renewing on a fixed date needs a fixed date"),
        ({"recertify_from": "sometimes"}, "Choose how renewals are counted from the list"),
        (
            {"due_rule": "fixed_date", "due_day": "1", "due_month": "9", "grace_days": "x"},
            "The number of days newcomers have must be a whole number",
        ),
        (
            {"due_rule": "fixed_date", "due_day": "1", "due_month": "9", "grace_days": "400"},
            "The days newcomers have must be between 0 and 365",
        ),
        (
            {"due_rule": "fixed_date", "due_day": "1", "due_month": "9",
             "min_active_months": "13"},
            "The least time it counts for must be between 0 and 12 months",
        ),
    ],
)  # fmt: skip
def test_bad_renewal_options_are_refused(
    world: World, changes: dict[str, Any], message: str
) -> None:
    response = _new(world, **changes)
    assert response.status_code == 400
    assert message in html_lib.unescape(text(response))
    assert count(world.app, Requirement, Requirement.organisation_id == world.org_id) == 0


# --- The school page -----------------------------------------------------------------------------


def test_back_from_an_exemption_with_a_lapsed_completion_is_due_not_expired(
    world: World,
) -> None:
    requirement = world.requirement(world.module, due_days=60, validity_months=12)
    _introduced_long_ago(world, requirement)
    back = world.add_teacher(world.school_a, "Rita Returner", start=dt.date(2016, 9, 1))
    lapsed = world.add_teacher(world.school_a, "Larry Lapsed", start=dt.date(2016, 9, 1))
    for person in (back, lapsed):
        world.complete(person, world.module, today() - dt.timedelta(days=800))
    with world.app.app_context():
        db.session.add(
            Exemption(
                organisation_id=world.org_id,
                person_id=back,
                requirement_id=requirement,
                reason="long-term absence",
                starts_on=today() - dt.timedelta(days=300),
                ends_on=today() - dt.timedelta(days=1),
            )
        )
        db.session.commit()
    page = text(world.client("leader").get(f"/schools/{world.school_a}"))
    returner = _row_text(page, "Rita Returner")
    assert "Due" in returner
    assert "Expired" not in returner
    assert "Expired" in _row_text(page, "Larry Lapsed")


def test_a_certificate_expiry_caps_the_requirement_on_the_school_page(world: World) -> None:
    requirement = world.requirement(world.module, due_days=60, validity_months=36)
    _introduced_long_ago(world, requirement)
    capped = world.add_teacher(world.school_a, "Cara Certificate", start=dt.date(2016, 9, 1))
    plain = world.add_teacher(world.school_a, "Pat Plain", start=dt.date(2016, 9, 1))
    done = today() - dt.timedelta(days=400)
    world.complete(plain, world.module, done)
    completion = world.complete(capped, world.module, done)
    with world.app.app_context():
        row = db.session.get(Completion, completion)
        assert row is not None
        row.certificate_expires_on = today() - dt.timedelta(days=35)
        db.session.commit()
    page = text(world.client("leader").get(f"/schools/{world.school_a}"))
    assert "Expired" in _row_text(page, "Cara Certificate")
    assert "Compliant" in _row_text(page, "Pat Plain")


def test_a_retired_module_replaced_by_another_carries_its_requirement(world: World) -> None:
    requirement = world.requirement(world.module, due_days=60, validity_months=12)
    _introduced_long_ago(world, requirement)
    teacher = world.add_teacher(world.school_a, "Nina Newversion", start=dt.date(2016, 9, 1))
    world.complete(teacher, world.module2, today() - dt.timedelta(days=10))
    with world.app.app_context():
        old = db.session.get(Module, world.module)
        assert old is not None
        old.retired_at = dt.datetime.now(dt.UTC)
        old.replaced_by_id = world.module2
        db.session.commit()
        title = old.title
    page = text(world.client("leader").get(f"/schools/{world.school_a}"))
    assert title in page
    assert "Compliant" in _row_text(page, "Nina Newversion")
    assert requirement_row(world.app, requirement).due_rule is DueRule.DAYS_AFTER_START


def test_requirement_form_posts_need_csrf(world: World) -> None:
    client = world.client("leader")
    page = text(client.get(NEW))
    assert csrf(page)
    response = client.post(NEW, data=requirement_form(module_id=str(world.module)))
    assert response.status_code in (400, 403)
