"""Who may reach each training setup route: staff never; CPD leads the catalogue (read only)
and their own schools' requirements; trust leaders everything in their organisation; another
organisation's ids are a 404, exactly like ids that do not exist."""

from __future__ import annotations

import re

import pytest

from cpd_tracker.models import AuditEntry, Requirement
from tests.functional.manage.helpers import (
    World,
    count,
    new_client,
    requirement_form,
    submit,
    text,
)


def _routes(world: World) -> list[tuple[str, str]]:
    org = world.requirement(world.module)
    mine = world.requirement(world.module2, world.school_a)
    return [
        ("GET", "/manage/catalogue"),
        ("GET", "/manage/catalogue/new"),
        ("POST", "/manage/catalogue/new"),
        ("GET", f"/manage/catalogue/{world.module}/edit"),
        ("POST", f"/manage/catalogue/{world.module}/edit"),
        ("GET", f"/manage/catalogue/{world.module}/retire"),
        ("POST", f"/manage/catalogue/{world.module}/retire"),
        ("POST", f"/manage/catalogue/{world.module}/restore"),
        ("GET", "/manage/requirements"),
        ("GET", f"/manage/requirements/schools/{world.school_a}"),
        ("GET", "/manage/requirements/new"),
        ("POST", "/manage/requirements/new"),
        ("GET", f"/manage/requirements/{org}/edit"),
        ("POST", f"/manage/requirements/{org}/edit"),
        ("GET", f"/manage/requirements/{mine}/edit"),
        ("POST", f"/manage/requirements/{mine}/retire"),
        ("GET", f"/manage/requirements/{org}/override/{world.school_a}"),
        ("POST", f"/manage/requirements/{org}/override/{world.school_a}"),
    ]


def test_staff_members_are_refused_everywhere(world: World) -> None:
    client = world.client("staff")
    before = count(world.app, AuditEntry)
    for method, url in _routes(world):
        response = client.open(url, method=method, data=requirement_form())
        assert response.status_code == 403, (method, url)
        assert "You do not have access to this page" in text(response)
    assert count(world.app, AuditEntry) == before


def test_staff_members_have_no_training_setup_link(world: World) -> None:
    assert "Training setup" not in text(world.client("staff").get("/my-training"))


def test_nobody_signed_in_is_asked_to_open_the_tool_from_the_lms(world: World) -> None:
    client = new_client(world.app)
    for method, url in _routes(world):
        assert client.open(url, method=method).status_code == 401, (method, url)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/manage/catalogue/new"),
        ("POST", "/manage/catalogue/new"),
        ("GET", "/manage/catalogue/{m}/edit"),
        ("POST", "/manage/catalogue/{m}/edit"),
        ("GET", "/manage/catalogue/{m}/retire"),
        ("POST", "/manage/catalogue/{m}/retire"),
        ("GET", "/manage/catalogue/{m}/restore"),
        ("POST", "/manage/catalogue/{m}/restore"),
    ],
)
def test_cpd_leads_cannot_change_the_shared_catalogue(world: World, method: str, path: str) -> None:
    response = world.client("lead_a").open(path.format(m=world.module), method=method)
    assert response.status_code == 403


def test_cpd_leads_cannot_change_organisation_requirements(world: World) -> None:
    org = world.requirement(world.module)
    client = world.client("lead_a")
    for method in ("GET", "POST"):
        for action in ("edit", "retire"):
            url = f"/manage/requirements/{org}/{action}"
            assert client.open(url, method=method).status_code == 403, (method, url)
    page = text(client.get(f"/manage/requirements/schools/{world.school_a}"))
    assert f"/manage/requirements/{org}/edit" not in page


def test_cpd_leads_cannot_touch_another_schools_requirements(world: World) -> None:
    org = world.requirement(world.module)
    birch = world.requirement(world.module2, world.school_b)
    client = world.client("lead_a")
    for method in ("GET", "POST"):
        for url in (
            f"/manage/requirements/{birch}/edit",
            f"/manage/requirements/{birch}/retire",
            f"/manage/requirements/{org}/override/{world.school_b}",
            f"/manage/requirements/schools/{world.school_b}",
        ):
            if method == "POST" and "/schools/" in url:
                continue
            assert client.open(url, method=method).status_code == 403, (method, url)
    assert requirement_row_unchanged(world, birch)


def requirement_row_unchanged(world: World, requirement_id: int) -> bool:
    return (
        count(
            world.app,
            Requirement,
            Requirement.id == requirement_id,
            Requirement.retired_at.is_(None),
            Requirement.due_days == 90,
        )
        == 1
    )


@pytest.mark.parametrize(
    "scope", ["organisation", "school_b"], ids=["whole organisation", "another school"]
)
def test_cpd_leads_choose_only_their_own_schools(world: World, scope: str) -> None:
    client = world.client("lead_a")
    page = text(client.get("/manage/requirements/new"))
    scopes = re.findall(r'<input[^>]*name="scope"[^>]*>', page)
    assert len(scopes) == 1
    # Their one school is chosen for them.
    assert f'value="{world.school_a}"' in scopes[0]
    assert "checked" in scopes[0]
    value = "organisation" if scope == "organisation" else str(world.school_b)
    response = submit(
        client,
        "/manage/requirements/new",
        requirement_form(module_id=str(world.module), scope=value),
    )
    assert response.status_code == 400
    assert "Choose where the requirement applies from the list" in text(response)
    assert count(world.app, Requirement, Requirement.organisation_id == world.org_id) == 0


def test_cpd_leads_manage_their_own_school(world: World) -> None:
    org = world.requirement(world.module)
    mine = world.requirement(world.module2, world.school_a)
    client = world.client("lead_a")
    for url in (
        f"/manage/requirements/schools/{world.school_a}",
        f"/manage/requirements/{mine}/edit",
        f"/manage/requirements/{mine}/retire",
        f"/manage/requirements/{org}/override/{world.school_a}",
        "/manage/catalogue",
    ):
        assert client.get(url).status_code == 200, url


def test_trust_leaders_manage_any_school_of_their_own(world: World) -> None:
    org = world.requirement(world.module)
    birch = world.requirement(world.module2, world.school_b)
    client = world.client("leader")
    for url in (
        f"/manage/requirements/schools/{world.school_b}",
        f"/manage/requirements/{birch}/edit",
        f"/manage/requirements/{org}/edit",
        f"/manage/requirements/{org}/override/{world.school_b}",
    ):
        assert client.get(url).status_code == 200, url


def test_another_organisations_ids_are_not_found(world: World) -> None:
    org = world.requirement(world.module)
    client = world.client("leader")
    theirs = world.other_org_requirement
    for method, url in [
        ("GET", f"/manage/catalogue/{world.other_org_module}/edit"),
        ("POST", f"/manage/catalogue/{world.other_org_module}/edit"),
        ("GET", f"/manage/catalogue/{world.other_org_module}/retire"),
        ("POST", f"/manage/catalogue/{world.other_org_module}/restore"),
        ("GET", f"/manage/requirements/{theirs}/edit"),
        ("POST", f"/manage/requirements/{theirs}/retire"),
        ("GET", f"/manage/requirements/{theirs}/override/{world.school_a}"),
        ("GET", f"/manage/requirements/{org}/override/{world.school_other}"),
        ("GET", f"/manage/requirements/schools/{world.school_other}"),
        ("GET", "/manage/requirements/999999/edit"),
        ("GET", "/manage/catalogue/999999/edit"),
    ]:
        assert client.open(url, method=method).status_code == 404, (method, url)
    # Their module cannot be required here either.
    page = text(client.get("/manage/requirements/new"))
    assert f'value="{world.other_org_module}"' not in page


def test_training_setup_is_in_the_navigation_of_leads_and_leaders(world: World) -> None:
    for who in ("lead_a", "leader"):
        page = text(world.client(who).get("/manage/catalogue"))
        assert 'href="/manage/requirements"' in page, who
