"""A CPD lead's own evidence (issue 17): never in their own queue with a tick box; it goes to
the school's other CPD leads or, when there are none, to the trust leaders' trust page; the
review routes refuse self-review with the reason, not a bare 403."""

from __future__ import annotations

from cpd_tracker.extensions import db
from cpd_tracker.models import (
    Completion,
    EvidenceStatus,
    Permission,
    PermissionKind,
    PermissionSource,
)
from tests.functional.records.helpers import World, count, csrf, text
from tests.functional.records.test_evidence import only_evidence, review, submit

TO_TRUST = "a trust leader needs to check it"
TO_OTHER_LEAD = "Another CPD lead at your school needs to check it"


def make_lead(world: World, name: str, school_id: int) -> None:
    """Grant ``name`` CPD lead of ``school_id`` in the tool (as a trust leader would)."""
    person_id = world.person_id(name)
    with world.app.app_context():
        db.session.add(
            Permission(
                person_id=person_id,
                kind=PermissionKind.CPD_LEAD,
                school_id=school_id,
                source=PermissionSource.OVERRIDE,
            )
        )
        db.session.commit()


def checkbox(evidence_id: int) -> str:
    return f'name="evidence_id" type="checkbox" value="{evidence_id}"'


def test_a_sole_leads_own_evidence_goes_to_the_trust_leaders(world: World) -> None:
    lead, trust = world.client("lead_a"), world.client("trust")
    assert submit(lead, world).status_code == 303
    evidence = only_evidence(world)

    queue = lead.get(f"/records/schools/{world.school_a}/evidence")
    page = text(queue)
    assert checkbox(evidence.id) not in queue.get_data(as_text=True)
    assert "Nothing is waiting to be checked" in page
    assert "Your own evidence (1)" in page
    assert TO_TRUST in page

    trust_page = trust.get("/trust")
    assert trust_page.status_code == 200
    html = text(trust_page)
    assert "Evidence for a trust leader to check (1)" in html
    assert "Supporting speech and language" in html
    assert f"/records/schools/{world.school_a}/evidence/{evidence.id}" in html

    assert review(trust, world, evidence.id, "verify").status_code == 303
    assert only_evidence(world).status is EvidenceStatus.VERIFIED
    assert "Evidence for a trust leader to check" not in text(trust.get("/trust"))


def test_with_another_lead_it_is_in_their_queue_not_the_trusts(world: World) -> None:
    lead = world.client("lead_a")
    make_lead(world, "staff_a2", world.school_a)
    other = world.client("staff_a2")
    assert submit(lead, world).status_code == 303
    evidence = only_evidence(world)

    mine = text(lead.get(f"/records/schools/{world.school_a}/evidence"))
    assert "Your own evidence (1)" in mine
    assert TO_OTHER_LEAD in mine
    theirs = other.get(f"/records/schools/{world.school_a}/evidence")
    assert checkbox(evidence.id) in theirs.get_data(as_text=True)
    assert "Your own evidence" not in text(theirs)
    assert "Evidence for a trust leader to check" not in text(world.client("trust").get("/trust"))

    assert review(other, world, evidence.id, "verify").status_code == 303
    assert count(world.app, Completion) == 1


def test_staff_evidence_stays_with_the_school_lead(world: World) -> None:
    assert submit(world.client("staff_a"), world).status_code == 303
    evidence = only_evidence(world)
    queue = world.client("lead_a").get(f"/records/schools/{world.school_a}/evidence")
    assert checkbox(evidence.id) in queue.get_data(as_text=True)
    assert "Your own evidence" not in text(queue)
    assert "Evidence for a trust leader to check" not in text(world.client("trust").get("/trust"))


def test_the_review_routes_refuse_self_review_with_the_reason(world: World) -> None:
    lead = world.client("lead_a")
    submit(lead, world)
    evidence = only_evidence(world)
    url = f"/records/schools/{world.school_a}/evidence/{evidence.id}"
    page = text(lead.get(url))
    assert "This is your own evidence, so you cannot check it." in page
    assert TO_TRUST in page
    assert f'action="{url}/verify"' not in page
    token = csrf(lead.get(f"/records/schools/{world.school_a}/evidence").get_data(as_text=True))

    for action, data in (("verify", {}), ("reject", {"reason": "Mine"})):
        refused = lead.post(f"{url}/{action}", data={"csrf_token": token, **data})
        assert refused.status_code == 403
        html = text(refused)
        assert "There is a problem" in html
        assert "You cannot review your own evidence" in html
    assert only_evidence(world).status is EvidenceStatus.PENDING
    assert count(world.app, Completion) == 0
