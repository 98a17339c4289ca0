"""What waits for a CPD lead or trust leader (``services/waiting_counts.py``): the navigation's
"Place requests (N)" and the people pages' LMS-accounts notice come from one statement per
page, none for plain staff, with the same numbers as each service's own count, for a school's
CPD lead, a trust leader and another organisation's lead alike."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

import pytest
from sqlalchemy import event, select

from cpd_tracker.auth import CurrentUser, LaunchSession, effective_grants
from cpd_tracker.extensions import db
from cpd_tracker.models import (
    IdentityLinkRequest,
    LinkOutcome,
    Person,
    RequestStatus,
    StaffRole,
    StaffRoleKind,
    TrainingRequest,
)
from cpd_tracker.services.identity_links import IdentityLinkService
from cpd_tracker.services.training_requests import TrainingRequestService
from cpd_tracker.services.waiting_counts import Waiting, WaitingCounts
from tests.functional.records import conftest as records
from tests.functional.records.helpers import World, text

world = records.world

WAITING_TABLES = ("training_request", "identity_link_request")


@contextmanager
def statements(world: World) -> Iterator[list[str]]:
    """Every statement sent to the database meanwhile."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    with world.app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def _person(world: World, org_id: int, school: int, name: str) -> int:
    person = Person(organisation_id=org_id, name=name)
    db.session.add(person)
    db.session.flush()
    db.session.add(StaffRole(person_id=person.id, school_id=school, role=StaffRoleKind.TEACHER))
    db.session.flush()
    return person.id


def _requests(world: World, org_id: int, school: int, module: int, *states: RequestStatus) -> None:
    for n, status in enumerate(states):
        person = _person(world, org_id, school, f"Asker {school}-{n}-{status}")
        db.session.add(
            TrainingRequest(
                organisation_id=org_id,
                person_id=person,
                module_id=module,
                school_id=school,
                status=status,
                note="",
            )
        )


def _links(world: World, org_id: int, school: int, *outcomes: LinkOutcome | None) -> None:
    for n, outcome in enumerate(outcomes):
        candidate = _person(world, org_id, school, f"On the list {school}-{n}")
        account = Person(organisation_id=org_id, name=f"LMS account {school}-{n}")
        db.session.add(account)
        db.session.flush()
        db.session.add(
            IdentityLinkRequest(
                organisation_id=org_id,
                person_id=account.id,
                candidate_id=candidate,
                email=f"someone{school}-{n}@example.org",
                outcome=outcome,
            )
        )


@pytest.fixture
def seeded(world: World) -> World:
    """Requests for a place and LMS accounts waiting at both schools and in another trust."""
    requested, approved = RequestStatus.REQUESTED, RequestStatus.APPROVED
    with world.app.app_context():
        module, other_module = world.external_module, world.other_org_module
        _requests(
            world,
            world.org_id,
            world.school_a,
            module,
            requested,
            approved,
            RequestStatus.DECLINED,
            RequestStatus.BOOKED,
        )
        _requests(world, world.org_id, world.school_b, module, requested, requested, requested)
        _requests(world, world.other_org_id, world.school_other, other_module, *[requested] * 4)
        _links(world, world.org_id, world.school_a, None, LinkOutcome.REFUSED)
        _links(world, world.org_id, world.school_b, None, None)
        _links(world, world.other_org_id, world.school_other, None, None, None)
        db.session.commit()
    return world


#: Who, their people page, and what waits for them: (place requests, LMS accounts).
EXPECTED = {
    "lead_a": ("school_a", Waiting(place_requests=2, links=1)),
    "lead_b": ("school_b", Waiting(place_requests=3, links=2)),
    "trust": ("school_a", Waiting(place_requests=5, links=3)),
    "other_lead": ("school_other", Waiting(place_requests=4, links=3)),
}


def _touching_waiting(seen: list[str]) -> list[str]:
    """The COUNTs of what waits (My training reads the person's own requests besides)."""
    return [s for s in seen if "count(" in s.lower() and any(t in s for t in WAITING_TABLES)]


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_one_statement_per_page_with_the_numbers_for_each_scope(seeded: World, who: str) -> None:
    school_attr, expected = EXPECTED[who]
    client = seeded.client(who)
    people = f"/records/schools/{getattr(seeded, school_attr)}/people"

    with statements(seeded) as seen:
        page = text(client.get("/my-training"))
    [asked] = _touching_waiting(seen)  # one statement asks both
    assert all(t in asked for t in WAITING_TABLES)
    assert f"Place requests ({expected.place_requests})" in page

    with statements(seeded) as seen:
        response = client.get(people)
    assert response.status_code == 200
    assert len(_touching_waiting(seen)) == 1  # the nav and the notice share it
    notice = re.search(r"(\d+) LMS accounts? waits? for you to confirm", text(response))
    assert notice is not None
    assert int(notice.group(1)) == expected.links


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_the_same_numbers_as_each_services_own_count(seeded: World, who: str) -> None:
    person_id = seeded.person_id(who)
    with seeded.app.app_context():
        person = db.session.get_one(Person, person_id)
        user = CurrentUser(
            person, cast(LaunchSession, None), effective_grants(list(person.permissions))
        )
        session = db.session
        # Counting only: no audit, clock or e-mail is needed.
        unused = cast(Any, None)
        links = IdentityLinkService(session, unused, unused)
        requests = TrainingRequestService(session, unused, unused, unused, "")
        scope = None if user.is_trust_leader else user.cpd_lead_school_ids()
        found = WaitingCounts(session, links).for_user(user)
        assert found == Waiting(
            place_requests=requests.count_waiting(person.organisation_id, scope),
            links=links.count_waiting(user),
        )
        assert found == EXPECTED[who][1]


def test_plain_staff_ask_nothing(seeded: World) -> None:
    client = seeded.client("staff_a")
    with statements(seeded) as seen:
        page = text(client.get("/my-training"))
    assert _touching_waiting(seen) == []
    assert "Place requests" not in page
    with seeded.app.app_context():
        person = db.session.get_one(Person, seeded.person_id("staff_a"))
        user = CurrentUser(person, cast(LaunchSession, None), frozenset())
        assert db.session.scalars(select(TrainingRequest)).first() is not None
        with statements(seeded) as seen:
            assert WaitingCounts(db.session, cast(Any, None)).for_user(user) == Waiting()
        assert seen == []
