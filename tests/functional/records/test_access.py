"""Who may see and change what, route by route: a staff member only their own records, a CPD
lead only their school's, nobody anything of another organisation; a refused request changes
nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from cpd_tracker.auth import LaunchSession, issue_token
from cpd_tracker.extensions import db
from cpd_tracker.models import (
    AuditEntry,
    Completion,
    Evidence,
    EvidenceStatus,
    Exemption,
    Extension,
    InsetSession,
    Requirement,
)
from tests.functional.records.helpers import World, csrf, days_ago, new_client, text


@dataclass(frozen=True)
class Ids:
    evidence: int
    inset: int
    exemption: int
    extension: int
    person: int
    not_on_staff: int


@pytest.fixture
def ids(world: World) -> Ids:
    """A piece of everything at school A, for staff_a, made directly in the database."""
    person = world.person_id("staff_a")
    not_on_staff = world.person_id("staff_b")
    with world.app.app_context():
        requirement = db.session.scalar(
            select(Requirement.id).where(Requirement.module_id == world.external_module)
        )
        assert requirement is not None
        evidence = Evidence(
            organisation_id=world.org_id,
            person_id=person,
            module_id=world.external_module,
            school_id=world.school_a,
            course_title="A course of staff_a",
            provider="Provider",
            completed_on=days_ago(3),
            cpd_hours=Decimal("2"),
            status=EvidenceStatus.PENDING,
        )
        inset = InsetSession(
            organisation_id=world.org_id,
            school_id=world.school_a,
            module_id=world.inset_module,
            title="INSET",
            held_on=days_ago(1),
            cpd_hours=Decimal("1"),
        )
        exemption = Exemption(
            organisation_id=world.org_id,
            person_id=person,
            requirement_id=requirement,
            reason="Leave",
            starts_on=days_ago(1),
        )
        extension = Extension(
            organisation_id=world.org_id,
            person_id=person,
            requirement_id=requirement,
            reason="Busy",
            new_due_on=days_ago(-200),
        )
        db.session.add_all([evidence, inset, exemption, extension])
        db.session.commit()
        return Ids(evidence.id, inset.id, exemption.id, extension.id, person, not_on_staff)


def lead_routes(school: int, ids: Ids, person: int | None = None) -> list[tuple[str, str]]:
    p = f"/records/schools/{school}/people/{person or ids.person}"
    # The one person page, where the exemption and extension forms are.
    page = f"/staff/schools/{school}/people/{person or ids.person}"
    return [
        ("GET", f"/records/schools/{school}/evidence"),
        ("POST", f"/records/schools/{school}/evidence"),
        ("GET", f"/records/schools/{school}/evidence/{ids.evidence}"),
        ("POST", f"/records/schools/{school}/evidence/{ids.evidence}/verify"),
        ("POST", f"/records/schools/{school}/evidence/{ids.evidence}/reject"),
        ("GET", f"/records/schools/{school}/inset"),
        ("GET", f"/records/schools/{school}/inset/new"),
        ("POST", f"/records/schools/{school}/inset/new"),
        ("GET", f"/records/schools/{school}/inset/{ids.inset}"),
        ("GET", f"/records/schools/{school}/people"),
        ("GET", page),
        ("POST", f"{p}/exemptions"),
        ("POST", f"{p}/extensions"),
        ("POST", f"{p}/exemptions/{ids.exemption}/revoke"),
        ("POST", f"{p}/extensions/{ids.extension}/revoke"),
    ]


def snapshot(world: World) -> tuple[int, ...]:
    with world.app.app_context():
        counts = tuple(
            db.session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Completion, Evidence, InsetSession, Exemption, Extension, AuditEntry)
        )
        changed = db.session.scalar(
            select(func.count()).select_from(Evidence).where(Evidence.status != "pending")
        )
        revoked = db.session.scalar(
            select(func.count()).select_from(Exemption).where(Exemption.revoked_at.is_not(None))
        )
        return (*counts, changed or 0, revoked or 0)


def attack(world: World, who: str, routes: list[tuple[str, str]], expected: int) -> None:
    client = world.client(who)
    # A valid token of the attacker's own session: what refuses them is access, not CSRF.
    token = (
        csrf(client.get("/records/external/new").get_data(as_text=True)) if "staff" in who else None
    )
    if token is None:
        own = {"lead_a": world.school_a, "lead_b": world.school_b, "other_lead": world.school_other}
        token = csrf(client.get(f"/records/schools/{own[who]}/inset/new").get_data(as_text=True))
    before = snapshot(world)
    everything = {
        "csrf_token": token,
        "action": "verify",
        "evidence_id": "1",
        "reason": "x",
        "module_id": str(world.inset_module),
        "title": "x",
        "held_on": "1/1/2024",
        "everyone": "y",
        "exemption_requirement": "1",
        "exemption_reason": "x",
        "starts_on": "1/1/2024",
        "extension_requirement": "1",
        "extension_reason": "x",
        "new_due_on": "1/1/2030",
    }
    for method, url in routes:
        response = client.get(url) if method == "GET" else client.post(url, data=everything)
        assert response.status_code == expected, (who, method, url, response.status_code)
        assert "Traceback" not in text(response)
    assert snapshot(world) == before


def test_a_staff_member_is_refused_every_cpd_lead_route(world: World, ids: Ids) -> None:
    attack(world, "staff_a", lead_routes(world.school_a, ids), 403)
    attack(world, "staff_a2", lead_routes(world.school_a, ids), 403)


def test_a_cpd_lead_is_refused_another_schools_routes(world: World, ids: Ids) -> None:
    attack(world, "lead_b", lead_routes(world.school_a, ids), 403)


def test_a_person_not_on_the_school_staff_is_not_found(world: World, ids: Ids) -> None:
    routes = lead_routes(world.school_a, ids, person=ids.not_on_staff)[10:]
    attack(world, "lead_a", routes, 404)
    # Nor is anyone of another organisation, nor a made-up id.
    routes = lead_routes(world.school_a, ids, person=world.person_id("other_staff"))[10:]
    attack(world, "lead_a", routes, 404)
    attack(world, "lead_a", lead_routes(world.school_a, ids, person=999999)[10:], 404)


def test_school_b_lead_cannot_reach_school_a_items_through_school_b(world: World, ids: Ids) -> None:
    routes = [
        (m, u)
        for m, u in lead_routes(world.school_b, ids)
        if str(ids.evidence) in u or str(ids.inset) in u or "/people/" in u
    ]
    routes = [r for r in routes if not r[1].endswith("/evidence")]
    attack(world, "lead_b", routes, 404)


@pytest.mark.parametrize("who", ["other_lead", "other_staff"])
def test_another_organisation_gets_404_everywhere(world: World, ids: Ids, who: str) -> None:
    attack(world, who, lead_routes(world.school_a, ids), 404)
    attack(world, who, [("GET", f"/records/evidence/{ids.evidence}/certificate")], 404)


def test_a_cpd_lead_gets_404_for_another_organisations_school(world: World, ids: Ids) -> None:
    attack(world, "lead_a", lead_routes(world.school_other, ids), 404)


def test_the_trust_leader_may_see_every_school(world: World, ids: Ids) -> None:
    trust = world.client("trust")
    for method, url in lead_routes(world.school_a, ids):
        if method == "GET":
            assert trust.get(url).status_code == 200, url


def test_signed_out_is_401_everywhere(world: World, ids: Ids) -> None:
    client = new_client(world.app)
    routes = [
        *lead_routes(world.school_a, ids),
        ("GET", "/records/external/new"),
        ("POST", "/records/external/new"),
        ("GET", "/records/evidence"),
        ("GET", f"/records/evidence/{ids.evidence}/certificate"),
    ]
    for method, url in routes:
        response = client.get(url) if method == "GET" else client.post(url)
        assert response.status_code == 401, url
        assert "Open the tool from your LMS" in text(response)


def test_my_evidence_lists_only_my_own(world: World, ids: Ids) -> None:
    mine = text(world.client("staff_a").get("/records/evidence"))
    assert "A course of staff_a" in mine
    theirs = text(world.client("staff_a2").get("/records/evidence"))
    assert "A course of staff_a" not in theirs
    assert "You have not recorded any external training yet" in theirs


def test_cookieless_iframe_keeps_the_launch_token_in_links_and_forms(
    world: World, ids: Ids
) -> None:
    """The LMS iframe refused our cookie: the token rides in every link and form action."""
    with world.app.app_context():
        token = issue_token(LaunchSession.new(world.person_id("lead_a"), world.org_id, None))
    cookieless = new_client(world.app)
    for url in (
        f"/records/schools/{world.school_a}/evidence",
        f"/records/schools/{world.school_a}/inset/new",
        f"/staff/schools/{world.school_a}/people/{ids.person}",
        f"/schools/{world.school_a}",
    ):
        page = cookieless.get(url, query_string={"lt": token})
        assert page.status_code == 200, url
        links = re.findall(r'(?:href|action)="(/records[^"]*)"', page.get_data(as_text=True))
        assert links, url
        for href in links:
            assert "lt=" in href, (url, href)
    html = text(cookieless.get("/my-training", query_string={"lt": token}))
    assert "/records/external/new?lt=" in html

    # A whole review without a cookie: follow the links and forms the pages give.
    queue = cookieless.get(
        f"/records/schools/{world.school_a}/evidence", query_string={"lt": token}
    )
    (review,) = re.findall(r'href="(/records/schools/\d+/evidence/\d+\?lt=[^"]+)"', text(queue))
    review_page = text(cookieless.get(review))
    (action,) = re.findall(r'action="([^"]*/verify\?lt=[^"]+)"', review_page)
    response = cookieless.post(action, data={"csrf_token": csrf(review_page)})
    assert response.status_code == 303
    assert "lt=" in response.headers["Location"]
    with world.app.app_context():
        assert db.session.get(Evidence, ids.evidence).status is EvidenceStatus.VERIFIED  # type: ignore[union-attr]


def test_the_old_record_address_sends_the_browser_to_the_one_person_page(
    world: World, ids: Ids
) -> None:
    """``/records/.../people/<id>`` was the second page about a person: it now moves for good
    to ``/staff/.../people/<id>``, keeping its confirmation, once the same access checks pass
    (a refusal is never answered with a move a browser would remember)."""
    old = f"/records/schools/{world.school_a}/people/{ids.person}"
    one = f"/staff/schools/{world.school_a}/people/{ids.person}"
    response = world.client("lead_a").get(old, query_string={"done": "revoked"})
    assert response.status_code == 301
    assert response.headers["Location"] == f"{one}?done=revoked"
    assert world.client("lead_a").get(old).headers["Location"] == one
    assert world.client("lead_b").get(old).status_code == 403
    assert world.client("other_lead").get(old).status_code == 404
    not_here = f"/records/schools/{world.school_a}/people/{ids.not_on_staff}"
    assert world.client("lead_a").get(not_here).status_code == 404


def test_every_records_page_is_html(world: World, ids: Ids) -> None:
    """Browsers refuse to render text/plain under nosniff: the pages showed raw source."""
    pages = [url for method, url in lead_routes(world.school_a, ids) if method == "GET"]
    lead = world.client("lead_a")
    for url in pages:
        response = lead.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Type"] == "text/html; charset=utf-8", url
    staff = world.client("staff_a")
    for url in ("/records/external/new", "/records/evidence"):
        response = staff.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Type"] == "text/html; charset=utf-8", url
