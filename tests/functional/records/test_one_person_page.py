"""The one person page (issue 17): ``/staff/schools/<s>/people/<p>`` shows a CPD lead the
person's details and roles, their training record with how to complete each requirement, the
evidence they sent (awaiting check, verified, returned) with links to review it, exemptions and
extensions with their forms, completions with certificates and the portfolio, the roles and
dates form, and the data protection links; a refused form re-renders this page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from cpd_tracker.extensions import db
from cpd_tracker.models import Evidence, EvidenceStatus, InsetSession, StaffRole
from cpd_tracker.services.compliance import ComplianceService
from tests.functional.records.helpers import World, csrf, days_ago, text

SECTIONS = (
    "Details",
    "Training record",
    "Evidence sent",
    "Exemptions and extensions",
    "Completions and certificates",
    "Change roles and dates",
    "Data protection",
)


def page_url(world: World, person: int) -> str:
    return f"/staff/schools/{world.school_a}/people/{person}"


def add_evidence(
    world: World, person: int, school: int, title: str, status: EvidenceStatus, module: int
) -> int:
    with world.app.app_context():
        reviewed = status is not EvidenceStatus.PENDING
        row = Evidence(
            organisation_id=world.org_id,
            person_id=person,
            module_id=module,
            school_id=school,
            course_title=title,
            provider="County",
            completed_on=days_ago(20),
            cpd_hours=Decimal(3),
            status=status,
            reviewed_by_id=world.person_id("lead_a") if reviewed else None,
            reviewed_at=dt.datetime.now(dt.UTC) if reviewed else None,
            rejection_reason=(
                "The certificate has no date" if status is EvidenceStatus.REJECTED else None
            ),
        )
        db.session.add(row)
        db.session.commit()
        return row.id


def test_the_page_shows_everything_about_the_person_in_a_cpd_leads_order(world: World) -> None:
    staff = world.person_id("staff_a")
    lead = world.client("lead_a")
    pending = add_evidence(
        world, staff, world.school_a, "Talk Boost", EvidenceStatus.PENDING, world.external_module
    )
    verified = add_evidence(
        world, staff, world.school_a, "Autism day", EvidenceStatus.VERIFIED, world.inset_module
    )
    returned = add_evidence(
        world, staff, world.school_a, "SLCN online", EvidenceStatus.REJECTED, world.in_tool_module
    )
    elsewhere = add_evidence(
        world, staff, world.school_b, "Birch course", EvidenceStatus.PENDING, world.inset_module
    )
    inset_day = days_ago(-14)
    with world.app.app_context():
        db.session.add(
            InsetSession(
                organisation_id=world.org_id,
                school_id=world.school_a,
                module_id=world.inset_module,
                title="Autism INSET",
                held_on=inset_day,
                cpd_hours=Decimal("1.5"),
            )
        )
        db.session.commit()

    response = lead.get(page_url(world, staff))
    assert response.status_code == 200
    html = text(response)
    places = [html.index(f">{heading}</h2>") for heading in SECTIONS]
    assert places == sorted(places)

    # Where they stand on each requirement, and how to complete it.
    record = html[places[1] : places[2]]
    assert "Speech, language and communication needs" in record
    assert "Autism awareness" in record
    assert f"Next INSET: {inset_day.day} {inset_day:%B %Y}" in record
    assert "Test provider: no booking link or INSET date; they can ask you for a place" in record

    # What they sent to this school, each with its state and a link to review it.
    sent = html[places[2] : places[3]]
    assert "Awaiting check" in sent
    assert "Verified" in sent
    assert "Returned" in sent
    assert "The certificate has no date" in sent
    for evidence in (pending, verified, returned):
        assert f"/records/schools/{world.school_a}/evidence/{evidence}" in sent
    assert f"/evidence/{elsewhere}" not in html  # sent to another school's lead

    # Exemptions and extensions, with their forms.
    assert "Grant an exemption" in html
    assert f"/records/schools/{world.school_a}/people/{staff}/exemptions" in html
    assert f"/records/schools/{world.school_a}/people/{staff}/extensions" in html
    # Certificates, the portfolio, the roles form and the data protection links.
    assert f"/certificates/people/{staff}/portfolio.pdf" in html
    assert f'action="{page_url(world, staff)}"' in html
    assert f"{page_url(world, staff)}/subject-access.zip" in html
    # Nothing points at the old second page.
    assert f'href="/records/schools/{world.school_a}/people/{staff}"' not in html


def test_someone_whose_roles_here_ended_still_has_a_page(world: World) -> None:
    staff = world.person_id("staff_a2")
    with world.app.app_context():
        for role in db.session.query(StaffRole).filter_by(
            person_id=staff, school_id=world.school_a
        ):
            role.ended_on = days_ago(30)
        db.session.commit()
    html = text(world.client("lead_a").get(page_url(world, staff)))
    assert "they hold no role at this school now" in html
    assert "Earlier roles" in html
    assert "Grant an exemption" not in html


def test_a_refused_roles_form_shows_the_whole_page_with_its_errors(world: World) -> None:
    staff = world.person_id("staff_a")
    lead = world.client("lead_a")
    url = page_url(world, staff)
    token = csrf(lead.get(url).get_data(as_text=True))
    response = lead.post(url, data={"csrf_token": token, "start_date": "31/2/2025"})
    assert response.status_code == 400
    html = text(response)
    assert "There is a problem" in html
    assert "Training record" in html
    assert "Grant an exemption" in html


def test_the_people_list_links_the_one_page(world: World) -> None:
    staff = world.person_id("staff_a")
    html = text(world.client("lead_a").get(f"/records/schools/{world.school_a}/people"))
    assert f'href="{page_url(world, staff)}"' in html
    assert f'href="/records/schools/{world.school_a}/people/{staff}"' not in html


def test_the_page_assesses_the_person_alone_not_the_whole_school(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A school may hold 26,000 staff (issue 14): one person's page reads and assesses that
    person, never the school's whole staff list."""
    staff = world.person_id("staff_a")
    lead = world.client("lead_a")

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("the whole school was assessed for one person's page")

    monkeypatch.setattr(ComplianceService, "school", refuse)
    assessed: list[int] = []
    assess = ComplianceService.assess

    def noted(service: ComplianceService, members: Any, *rest: Any) -> Any:
        assessed.extend(m.person_id for m in members)
        return assess(service, members, *rest)

    monkeypatch.setattr(ComplianceService, "assess", noted)
    html = text(lead.get(page_url(world, staff)))
    assert "Training record" in html
    assert "Autism awareness" in html.split("Training record")[2]
    assert assessed == [staff]
