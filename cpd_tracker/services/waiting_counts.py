"""What waits for a CPD lead or trust leader, counted once per page (issue 17, review).

Every page a CPD lead or trust leader opens shows how many requests for a place wait (the
navigation's "Place requests (N)"), and the people pages say how many LMS accounts wait to be
confirmed (``templates/links/_waiting_notice.html``). Each was its own COUNT; here they are
one statement of scalar subqueries, each the very query its service counts with
(``training_requests.count_waiting_query``, ``IdentityLinkService.count_waiting_query``), so
the numbers and their scopes (a lead's schools, a trust leader's organisation) cannot drift
apart. Plain staff see neither, and no statement runs for them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, literal, select
from sqlalchemy.orm import Session

from cpd_tracker.auth import CurrentUser
from cpd_tracker.services.identity_links import IdentityLinkService
from cpd_tracker.services.training_requests import count_waiting_query


@dataclass(frozen=True)
class Waiting:
    #: Requests for a place on training, requested or approved, in the person's scope.
    place_requests: int = 0
    #: LMS accounts waiting for the person to confirm who they are.
    links: int = 0


NOTHING = Waiting()


def leads(user: CurrentUser) -> bool:
    """Whether ``user`` sees the counts: trust leaders and CPD leads."""
    return user.is_trust_leader or bool(user.cpd_lead_school_ids())


class WaitingCounts:
    def __init__(self, session: Session, links: IdentityLinkService) -> None:
        self.session = session
        self.links = links

    def for_user(self, user: CurrentUser) -> Waiting:
        """The counts for ``user``: one statement, or none for plain staff."""
        if not leads(user):
            return NOTHING
        scope = None if user.is_trust_leader else user.cpd_lead_school_ids()
        requests = count_waiting_query(user.organisation_id, scope)
        links = self.links.count_waiting_query(user)
        row = self.session.execute(
            select(_scalar(requests).label("place_requests"), _scalar(links).label("links"))
        ).one()
        return Waiting(place_requests=int(row.place_requests or 0), links=int(row.links or 0))


def _scalar(query: Select[int] | None) -> ColumnElement[int]:
    """A COUNT as a column of the one statement; 0 when there is nothing in scope to count."""
    return literal(0) if query is None else query.scalar_subquery()
