"""``evidence_routing.route``: who checks a piece of evidence (issue 17)."""

from __future__ import annotations

from cpd_tracker.models import Evidence, Person
from cpd_tracker.services.evidence_routing import route

SCHOOL = 7


def person(person_id: int) -> Person:
    return Person(id=person_id, organisation_id=1, name=f"Person {person_id}")


def sent_by(person_id: int, school_id: int | None = SCHOOL) -> Evidence:
    return Evidence(id=1, organisation_id=1, person_id=person_id, school_id=school_id)


LEAD, OTHER_LEAD, LEADER, STAFF = person(1), person(2), person(3), person(4)


def test_staff_evidence_goes_to_every_lead_of_the_school() -> None:
    checkers = route(sent_by(STAFF.id), {SCHOOL: [LEAD, OTHER_LEAD]}, [LEADER])
    assert checkers.people == [LEAD, OTHER_LEAD]
    assert not checkers.by_trust


def test_a_leads_own_evidence_goes_to_the_other_leads() -> None:
    checkers = route(sent_by(LEAD.id), {SCHOOL: [LEAD, OTHER_LEAD]}, [LEADER])
    assert checkers.people == [OTHER_LEAD]
    assert not checkers.by_trust
    assert "Another CPD lead" in checkers.description


def test_a_sole_leads_own_evidence_goes_to_the_trust_leaders() -> None:
    checkers = route(sent_by(LEAD.id), {SCHOOL: [LEAD], 8: [OTHER_LEAD]}, [LEADER])
    assert checkers.people == [LEADER]
    assert checkers.by_trust
    assert "trust leader" in checkers.description


def test_a_school_with_no_lead_goes_to_the_trust_leaders_but_not_the_sender() -> None:
    assert route(sent_by(STAFF.id), {}, [LEADER]).people == [LEADER]
    # A trust leader's own evidence is for the other trust leaders.
    assert route(sent_by(LEADER.id), {}, [LEADER, OTHER_LEAD]).people == [OTHER_LEAD]
