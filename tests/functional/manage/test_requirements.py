"""The requirements pages: organisation and school requirements, overrides, edits and
retirement; statuses follow every change and completions are never touched."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
from typing import Any

import pytest
from sqlalchemy import select

from cpd_tracker.extensions import db
from cpd_tracker.models import AuditEntry, Completion, DueRule, Module, Requirement
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


def _new(world: World, who: str = "leader", **changes: Any) -> Any:
    data = requirement_form(**{"module_id": str(world.module), **changes})
    return submit(world.client(who), NEW, data)


def _row_text(html: str, name: str) -> str:
    """The words of the table row that mentions ``name``."""
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, flags=re.S):
        if name in row:
            return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))
    raise AssertionError(f"no row for {name}")


def _completions(world: World) -> list[tuple[Any, ...]]:
    with world.app.app_context():
        return [
            (c.id, c.person_id, c.module_id, c.completed_on, c.method, c.cpd_hours, c.created_at)
            for c in db.session.scalars(select(Completion).order_by(Completion.id))
        ]


# --- Creating --------------------------------------------------------------------------------


def test_an_organisation_requirement_shows_on_every_school_page(world: World) -> None:
    response = _new(world)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/manage/requirements")
    [requirement] = requirements_of(world.app, world.module)
    assert requirement.school_id is None
    assert requirement.overrides_id is None
    assert requirement.roles == []
    assert requirement.due_rule is DueRule.DAYS_AFTER_START
    assert (requirement.due_days, requirement.due_month, requirement.due_day) == (90, None, None)
    assert (requirement.validity_months, requirement.window_days) == (12, 60)
    assert requirement.due_soon_days == 30
    [entry] = audited(world.app, "requirement.created")
    assert entry.entity_id == str(requirement.id)
    assert entry.details["validity_months"] == 12
    assert entry.details["school_id"] is None

    client = world.client("leader")
    listed = text(client.get("/manage/requirements"))
    assert "is now required" in listed
    row = _row_text(listed, "Test module: attention and regulation")
    assert "All staff, every school" in row
    assert "Within 90 days of starting" in row
    assert "Every 12 months" in row
    assert "Opens 60 days before expiry" in row
    for school in (world.school_a, world.school_b):
        page = text(client.get(f"/schools/{school}"))
        assert "Test module: attention and regulation" in page
        assert "All staff, every school" in page


def test_a_fixed_date_that_never_expires_reads_as_words(world: World) -> None:
    response = _new(
        world, due_rule="fixed_date", due_day="1", due_month="September", expires="never"
    )
    assert response.status_code == 302
    [requirement] = requirements_of(world.app, world.module)
    assert (requirement.due_month, requirement.due_day, requirement.due_days) == (9, 1, None)
    assert requirement.validity_months is None
    row = _row_text(
        text(world.client("leader").get("/manage/requirements")), "Test module: attention"
    )
    assert "By 1 September each year" in row
    assert "Once" in row
    assert "Not applicable" in row


def test_29_february_is_a_date_each_year(world: World) -> None:
    response = _new(world, due_rule="fixed_date", due_day="29", due_month="2")
    assert response.status_code == 302
    [requirement] = requirements_of(world.app, world.module)
    assert (requirement.due_month, requirement.due_day) == (2, 29)


def test_appointment_rule_for_chosen_roles(world: World) -> None:
    response = _new(
        world,
        roles=["senco", "teacher"],
        due_rule="days_after_appointment",
        start_days="",
        appointment_days="30",
        validity_months="36",
        window_days="90",
        scope=str(world.school_a),
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/manage/requirements/schools/{world.school_a}")
    [requirement] = requirements_of(world.app, world.module)
    assert requirement.school_id == world.school_a
    assert requirement.roles == ["senco", "teacher"]
    assert requirement.due_days == 30
    page = text(world.client("lead_a").get(f"/manage/requirements/schools/{world.school_a}"))
    row = _row_text(page, "Test module: attention")
    assert "SENCO, Teacher, Alder Primary" in row
    assert "Within 30 days of appointment to the role" in row
    assert "Every 36 months" in row


BAD_REQUIREMENTS = [
    ({"module_id": ""}, "Choose the training staff must complete"),
    ({"module_id": "999999"}, "Choose training from the list"),
    ({"scope": ""}, "Choose where the requirement applies"),
    ({"roles": ["headteacher"]}, "Choose roles from the list"),
    ({"due_rule": ""}, "Choose when the training is due"),
    ({"due_rule": "whenever"}, "Choose when the training is due"),
    ({"start_days": ""}, "Enter the number of days after starting"),
    ({"start_days": "0"}, "The number of days must be between 1 and 730"),
    ({"start_days": "731"}, "The number of days must be between 1 and 730"),
    ({"start_days": "-5"}, "The number of days after starting must be a whole number"),
    ({"start_days": "1.5"}, "The number of days after starting must be a whole number"),
    (
        {"due_rule": "days_after_appointment", "appointment_days": "abc"},
        "The number of days after appointment must be a whole number",
    ),
    ({"due_rule": "fixed_date"}, "Enter the day and month it is due each year"),
    (
        {"due_rule": "fixed_date", "due_day": "31", "due_month": "4"},
        "April has no day 31",
    ),
    (
        {"due_rule": "fixed_date", "due_day": "30", "due_month": "February"},
        "February has no day 30",
    ),
    (
        {"due_rule": "fixed_date", "due_day": "1", "due_month": "13"},
        "The month must be between 1 and 12",
    ),
    (
        {"due_rule": "fixed_date", "due_day": "1", "due_month": "Septober"},
        "Enter the month as a number",
    ),
    ({"expires": ""}, "Choose whether the training needs renewing"),
    ({"expires": "sometimes"}, "Choose whether the training needs renewing"),
    (
        {"due_rule": "fixed_date", "due_day": "first", "due_month": "9"},
        "The day must be a whole number",
    ),
    ({"validity_months": ""}, "Enter the number of months it counts for"),
    ({"validity_months": "0"}, "The number of months must be between 1 and 120"),
    ({"validity_months": "121"}, "The number of months must be between 1 and 120"),
    ({"window_days": "366"}, "The renewal window must be between 0 and 365 days"),
    (
        {"validity_months": "1", "window_days": "28"},
        "The renewal window must be shorter than the validity: at most 27 days for 1 month",
    ),
    ({"due_soon_days": "366"}, "The due soon period must be between 0 and 365 days"),
    ({"due_soon_days": ""}, "Enter the number of days for due soon"),
    ({"notes": "x" * 2001}, "Notes must be 2,000 characters or fewer"),
]


@pytest.mark.parametrize(("changes", "message"), BAD_REQUIREMENTS)
def test_bad_requirement_input_is_refused_and_nothing_written(
    world: World, changes: dict[str, Any], message: str
) -> None:
    response = _new(world, **changes)
    assert response.status_code == 400
    html = html_lib.unescape(text(response))
    assert "There is a problem" in html
    assert message in html
    assert count(world.app, Requirement, Requirement.organisation_id == world.org_id) == 0
    assert audited(world.app, "requirement.created") == []


def test_the_form_offers_only_modules_in_the_catalogue(world: World) -> None:
    with world.app.app_context():
        module = db.session.get(Module, world.module2)
        assert module is not None
        module.retired_at = module.created_at
        db.session.commit()
    page = text(world.client("leader").get(NEW))
    assert f'value="{world.module}"' in page
    assert f'value="{world.module2}"' not in page
    assert f'value="{world.other_org_module}"' not in page
    # A retired module sent anyway is refused.
    response = _new(world, module_id=str(world.module2))
    assert response.status_code == 400
    assert count(world.app, Requirement, Requirement.module_id == world.module2) == 0


def test_school_link_preselects_the_scope(world: World) -> None:
    page = text(world.client("leader").get(f"{NEW}?school={world.school_b}"))
    scopes = re.findall(r'<input[^>]*name="scope"[^>]*>', page)
    assert len(scopes) == 3  # the organisation and both schools
    [chosen] = [s for s in scopes if "checked" in s]
    assert f'value="{world.school_b}"' in chosen


def test_a_second_requirement_for_the_same_staff_is_refused(world: World) -> None:
    world.requirement(world.module)
    response = _new(world, roles=["teacher"])
    assert response.status_code == 400
    html = html_lib.unescape(text(response))
    assert "This training is already required of some of these staff" in html
    assert "All staff, every school" in html
    assert len(requirements_of(world.app, world.module)) == 1


def test_requirements_for_other_roles_may_sit_side_by_side(world: World) -> None:
    world.requirement(world.module, roles=["teacher"])
    response = _new(world, roles=["teaching_assistant"], validity_months="24")
    assert response.status_code == 302
    assert len(requirements_of(world.app, world.module)) == 2


def test_a_school_requirement_overlapping_the_organisations_is_refused(world: World) -> None:
    world.requirement(world.module)
    response = _new(world, "lead_a", scope=str(world.school_a))
    assert response.status_code == 400
    assert "override that requirement at this school instead" in html_lib.unescape(text(response))
    assert len(requirements_of(world.app, world.module)) == 1


# --- Overrides -------------------------------------------------------------------------------


def test_a_school_override_replaces_the_requirement_at_that_school_only(world: World) -> None:
    original = world.requirement(world.module, validity_months=12)
    url = f"/manage/requirements/{original}/override/{world.school_a}"
    lead = world.client("lead_a")
    form = lead.get(url)
    assert form.status_code == 200
    html = text(form)
    assert "Override Test module: attention and regulation at Alder Primary" in html
    assert 'value="90"' in html  # pre-filled from the original
    response = lead.post(
        url,
        data={
            "csrf_token": csrf(html),
            **requirement_form(validity_months="24", start_days="60"),
        },
    )
    assert response.status_code == 302
    override = requirements_of(world.app, world.module)[-1]
    assert override.overrides_id == original
    assert override.school_id == world.school_a
    assert (override.validity_months, override.due_days) == (24, 60)
    # The same duty, set differently: it bites from the original's introduction.
    assert override.created_at == requirement_row(world.app, original).created_at
    [entry] = audited(world.app, "requirement.overridden")
    assert entry.details["overrides_id"] == original

    alder = text(lead.get(f"/schools/{world.school_a}"))
    assert "All staff, Alder Primary" in alder
    assert "All staff, every school" not in alder
    birch = text(world.client("leader").get(f"/schools/{world.school_b}"))
    assert "All staff, every school" in birch
    assert "All staff, Alder Primary" not in birch

    setup = text(lead.get(f"/manage/requirements/schools/{world.school_a}"))
    assert "Overridden here" in setup
    assert "Within 60 days of starting" in setup


def test_a_second_overlapping_override_is_refused(world: World) -> None:
    original = world.requirement(world.module)
    world.requirement(world.module, world.school_a, overrides_id=original, roles=["teacher"])
    response = submit(
        world.client("lead_a"),
        f"/manage/requirements/{original}/override/{world.school_a}",
        requirement_form(roles=["teacher", "senco"]),
    )
    assert response.status_code == 400
    assert "already required of some of these staff" in html_lib.unescape(text(response))
    assert len(requirements_of(world.app, world.module)) == 2


def test_only_active_organisation_requirements_can_be_overridden(world: World) -> None:
    school_only = world.requirement(world.module, world.school_a)
    retired = world.requirement(world.module2, retired_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    client = world.client("leader")
    for requirement in (school_only, retired, 999_999):
        url = f"/manage/requirements/{requirement}/override/{world.school_a}"
        assert client.get(url).status_code == 404


# --- Editing ---------------------------------------------------------------------------------


def test_changing_validity_rederives_status_and_never_touches_completions(world: World) -> None:
    requirement = world.requirement(world.module, validity_months=24)
    with world.app.app_context():
        # Introduced long ago: a requirement new today gives everyone its due period
        # whatever their history (issue 16), which is not what this test is about.
        row = db.session.get(Requirement, requirement)
        assert row is not None
        row.created_at = dt.datetime(2015, 1, 1, tzinfo=dt.UTC)
        db.session.commit()
    teacher = world.add_teacher(world.school_a, "Tess Teacher", start=today() - dt.timedelta(900))
    world.complete(teacher, world.module, today() - dt.timedelta(days=400))
    completions = _completions(world)
    client = world.client("leader")
    school_page = f"/schools/{world.school_a}"
    assert "Compliant" in _row_text(text(client.get(school_page)), "Tess Teacher")

    edit = f"/manage/requirements/{requirement}/edit"
    page = client.get(edit)
    assert 'value="24"' in text(page)
    response = client.post(
        edit,
        data={"csrf_token": csrf(text(page)), **requirement_form(validity_months="12")},
    )
    assert response.status_code == 302
    assert "Expired" in _row_text(text(client.get(school_page)), "Tess Teacher")
    assert _completions(world) == completions
    [entry] = audited(world.app, "requirement.updated")
    assert entry.details["changed"] == {"validity_months": [24, 12]}
    assert requirement_row(world.app, requirement).validity_months == 12


@pytest.mark.parametrize(
    ("values", "shown"),
    [
        (
            {"due_rule": DueRule.DAYS_AFTER_APPOINTMENT, "due_days": 45},
            [r'name="appointment_days"[^>]*value="45"'],
        ),
        (
            {"due_rule": DueRule.FIXED_DATE, "due_days": None, "due_month": 9, "due_day": 1},
            [r'name="due_day"[^>]*value="1"', r'name="due_month"[^>]*value="9"'],
        ),
    ],
)
def test_the_edit_form_shows_the_current_rule(
    world: World, values: dict[str, Any], shown: list[str]
) -> None:
    requirement = world.requirement(world.module, **values)
    page = text(world.client("leader").get(f"/manage/requirements/{requirement}/edit"))
    for pattern in [*shown, r'checked[^>]*value="never"']:
        assert re.search(pattern, page), pattern


def test_saving_without_changes_records_nothing(world: World) -> None:
    requirement = world.requirement(world.module, validity_months=12)
    response = submit(
        world.client("leader"),
        f"/manage/requirements/{requirement}/edit",
        requirement_form(),
    )
    assert response.status_code == 302
    assert audited(world.app, "requirement.updated") == []


def test_never_expiring_keeps_the_window_it_had(world: World) -> None:
    requirement = world.requirement(world.module, validity_months=None, window_days=45)
    response = submit(
        world.client("leader"),
        f"/manage/requirements/{requirement}/edit",
        requirement_form(expires="never", validity_months="", window_days="45"),
    )
    assert response.status_code == 302
    assert audited(world.app, "requirement.updated") == []


def test_bad_edit_writes_nothing(world: World) -> None:
    requirement = world.requirement(world.module, validity_months=12)
    response = submit(
        world.client("leader"),
        f"/manage/requirements/{requirement}/edit",
        requirement_form(validity_months="500", start_days="30"),
    )
    assert response.status_code == 400
    row = requirement_row(world.app, requirement)
    assert (row.validity_months, row.due_days) == (12, 90)
    assert audited(world.app, "requirement.updated") == []


def test_an_edit_that_would_overlap_is_refused(world: World) -> None:
    world.requirement(world.module, roles=["teacher"])
    other = world.requirement(world.module, roles=["teaching_assistant"])
    response = submit(
        world.client("leader"),
        f"/manage/requirements/{other}/edit",
        requirement_form(roles=["teaching_assistant", "teacher"]),
    )
    assert response.status_code == 400
    assert requirement_row(world.app, other).roles == ["teaching_assistant"]


def test_cpd_lead_edits_their_own_school_requirement(world: World) -> None:
    requirement = world.requirement(world.module, world.school_a)
    response = submit(
        world.client("lead_a"),
        f"/manage/requirements/{requirement}/edit",
        requirement_form(due_rule="fixed_date", due_day="1", due_month="9", start_days=""),
    )
    assert response.status_code == 302
    row = requirement_row(world.app, requirement)
    assert (row.due_rule, row.due_month, row.due_day, row.due_days) == (
        DueRule.FIXED_DATE,
        9,
        1,
        None,
    )


# --- Retiring --------------------------------------------------------------------------------


def test_retiring_a_requirement_keeps_it_as_history(world: World) -> None:
    requirement = world.requirement(world.module, validity_months=12)
    client = world.client("leader")
    url = f"/manage/requirements/{requirement}/retire"
    page = client.get(url)
    assert page.status_code == 200
    assert "Retire the requirement for Test module: attention and regulation?" in text(page)
    response = client.post(url, data={"csrf_token": csrf(text(page))})
    assert response.status_code == 302
    row = requirement_row(world.app, requirement)
    assert row.retired_at is not None
    assert row.validity_months == 12
    [entry] = audited(world.app, "requirement.retired")
    assert entry.entity_id == str(requirement)
    assert "is retired" in text(client.get(response.headers["Location"]))
    assert "Test module: attention" not in text(client.get(f"/schools/{world.school_a}"))
    assert "Test module: attention" not in text(client.get("/manage/requirements"))
    history = text(client.get("/manage/requirements?retired=1"))
    assert "Retired " in _row_text(history, "Test module: attention")
    school_history = text(client.get(f"/manage/requirements/schools/{world.school_a}?retired=1"))
    assert "Test module: attention" in school_history
    # History cannot be edited.
    assert client.get(f"/manage/requirements/{requirement}/edit").status_code == 404
    assert client.get(url).status_code == 404


def test_overrides_outlive_the_requirement_they_override(world: World) -> None:
    original = world.requirement(world.module)
    world.requirement(world.module, world.school_a, overrides_id=original, due_days=30)
    client = world.client("leader")
    page = client.get(f"/manage/requirements/{original}/retire")
    html = text(page)
    assert "Overrides that keep applying" in html
    assert "All staff, Alder Primary" in html
    client.post(f"/manage/requirements/{original}/retire", data={"csrf_token": csrf(html)})
    assert "All staff, Alder Primary" in text(client.get(f"/schools/{world.school_a}"))
    assert "Test module: attention" not in text(client.get(f"/schools/{world.school_b}"))


def test_retiring_an_override_brings_back_the_organisation_rule(world: World) -> None:
    original = world.requirement(world.module)
    override = world.requirement(world.module, world.school_a, overrides_id=original)
    client = world.client("lead_a")
    page = client.get(f"/manage/requirements/{override}/retire")
    assert "the organisation's own requirement applies" in html_lib.unescape(text(page))
    response = client.post(
        f"/manage/requirements/{override}/retire", data={"csrf_token": csrf(text(page))}
    )
    assert response.headers["Location"].endswith(f"/manage/requirements/schools/{world.school_a}")
    assert "All staff, every school" in text(client.get(f"/schools/{world.school_a}"))


# --- Pages -----------------------------------------------------------------------------------


def test_cpd_lead_lands_on_their_school(world: World) -> None:
    response = world.client("lead_a").get("/manage/requirements")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/manage/requirements/schools/{world.school_a}")
    page = text(world.client("lead_a").get(response.headers["Location"]))
    assert "Training required at Alder Primary" in page
    assert "Training setup" in page


def test_cpd_lead_sees_organisation_requirements_with_an_override_link(world: World) -> None:
    original = world.requirement(world.module)
    own = world.requirement(world.module2, world.school_a)
    page = text(world.client("lead_a").get(f"/manage/requirements/schools/{world.school_a}"))
    assert f"/manage/requirements/{original}/override/{world.school_a}" in page
    assert f"/manage/requirements/{original}/edit" not in page
    assert f"/manage/requirements/{own}/edit" in page
    assert "Only a trust leader can change the organisation" in html_lib.unescape(page)


def test_trust_leader_overview_counts_school_requirements(world: World) -> None:
    world.requirement(world.module2, world.school_a)
    page = text(world.client("leader").get("/manage/requirements"))
    assert _row_text(page, "Alder Primary").split()[-1] == "1"
    assert "None" in _row_text(page, "Birch Academy")


# --- CSRF ------------------------------------------------------------------------------------


def test_requirement_forms_without_csrf_are_refused(world: World) -> None:
    original = world.requirement(world.module, validity_months=12)
    client = world.client("leader")
    before = count(world.app, AuditEntry)
    for url in (
        NEW,
        f"/manage/requirements/{original}/edit",
        f"/manage/requirements/{original}/override/{world.school_a}",
        f"/manage/requirements/{original}/retire",
    ):
        response = client.post(
            url, data=requirement_form(module_id=str(world.module2), validity_months="6")
        )
        assert response.status_code == 400, url
        assert "There is a problem" in text(response)
    assert count(world.app, AuditEntry) == before
    assert len(requirements_of(world.app, world.module)) == 1
    assert requirements_of(world.app, world.module2) == []
    row = requirement_row(world.app, original)
    assert (row.validity_months, row.retired_at) == (12, None)
