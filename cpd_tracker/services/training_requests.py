"""How to complete each requirement, and requests for a place (issue 17).

``how`` loads the facts ``rules.how_to_complete`` needs for a person's My training rows in
three queries (their attempts, upcoming INSET sessions at their schools, their latest
requests). ``ask`` records a request for a place; a CPD lead of the school (or a trust
leader) approves it, declines it with a reason, or books it (a purchase naming the person as a
delegate: the spend pages call ``booked``). Every change is audited, and the person hears of
each decision by e-mail, queued in ``outgoing_email`` in the same transaction (it leaves with
``cpd-tracker reminders send`` after the commit, once: the dedupe key names the request and
its new state).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from jinja2 import Environment
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from cpd_tracker.dates import local_date
from cpd_tracker.models import (
    Attempt,
    InsetSession,
    OutgoingEmail,
    Person,
    Purchase,
    RequestStatus,
    Requirement,
    School,
    TrainingRequest,
)
from cpd_tracker.rules.how_to_complete import HowToComplete, RequestFacts, Way, how_to_complete
from cpd_tracker.rules.training import StatusResult, uk_date
from cpd_tracker.services.audit import AuditService

MAX_NOTE = 1000
#: How many decided requests the CPD lead's page lists under the waiting ones.
RECENT_DECIDED = 50

Row = tuple[School, Requirement, StatusResult]

SUBJECTS = {
    RequestStatus.APPROVED: "Your request for a place on {training} is approved",
    RequestStatus.DECLINED: "Your request for a place on {training} is declined",
    RequestStatus.BOOKED: "Your place on {training} is booked",
}


class RequestRefused(ValueError):
    """Why this request or decision cannot be made, in words for the page."""


def facts_of(request: TrainingRequest) -> RequestFacts:
    purchase = request.purchase
    return RequestFacts(
        status=request.status.value,
        asked_on=local_date(request.created_at),
        decided_on=local_date(request.decided_at) if request.decided_at else None,
        note=request.note,
        booked_for=purchase.delivered_on if purchase is not None else None,
    )


@dataclass(frozen=True)
class Waiting:
    """The CPD lead's page: open requests (oldest first) and the latest decided ones."""

    open: list[TrainingRequest]
    decided: list[TrainingRequest]


def count_waiting_query(
    organisation_id: int, school_ids: frozenset[int] | None
) -> Select[int] | None:
    """The COUNT of open requests of the organisation's schools (``school_ids``; None: every
    school); None when no school is in scope (nothing to ask). The navigation's count
    (``services/waiting_counts.py``) asks it together with the others."""
    query = select(func.count(TrainingRequest.id)).where(
        TrainingRequest.organisation_id == organisation_id,
        TrainingRequest.status.in_(_OPEN),
    )
    if school_ids is None:
        return query
    if not school_ids:
        return None
    return query.where(TrainingRequest.school_id.in_(school_ids))


class TrainingRequestService:
    def __init__(
        self,
        session: Session,
        audit: AuditService,
        clock: Callable[[], dt.datetime],
        templates: Environment,
        base_url: str,
    ) -> None:
        self.session = session
        self.audit = audit
        self.clock = clock
        self.templates = templates
        self.base_url = base_url.rstrip("/")

    # -- My training ----------------------------------------------------------------------

    def how(self, person: Person, rows: Iterable[Row], today: dt.date) -> dict[int, HowToComplete]:
        """The way to complete each row's requirement, by requirement id."""
        rows = list(rows)
        if not rows:
            return {}
        module_ids = {requirement.module_id for _, requirement, _ in rows}
        school_ids = {school.id for school, _, _ in rows}
        started = set(
            self.session.scalars(
                select(Attempt.module_id)
                .where(Attempt.person_id == person.id, Attempt.module_id.in_(module_ids))
                .distinct()
            )
        )
        inset: dict[tuple[int, int], dt.date] = {
            (school_id, module_id): held_on
            for school_id, module_id, held_on in self.session.execute(
                select(
                    InsetSession.school_id, InsetSession.module_id, func.min(InsetSession.held_on)
                )
                .where(
                    InsetSession.organisation_id == person.organisation_id,
                    InsetSession.school_id.in_(school_ids),
                    InsetSession.module_id.in_(module_ids),
                    InsetSession.held_on >= today,
                )
                .group_by(InsetSession.school_id, InsetSession.module_id)
            )
        }
        latest = self.latest_requests(person, module_ids)
        ways = {}
        for school, requirement, result in rows:
            module = requirement.module
            request = latest.get(module.id)
            ways[requirement.id] = how_to_complete(
                status=result.status.value,
                in_tool=module.delivery.value == "in_tool" and bool(module.pages),
                started=module.id in started,
                provider=module.provider,
                booking_url=module.booking_url,
                next_inset=inset.get((school.id, module.id)),
                request=facts_of(request) if request is not None else None,
                last_completed_on=result.last_completed_on,
            )
        return ways

    def latest_requests(
        self, person: Person, module_ids: Iterable[int]
    ) -> dict[int, TrainingRequest]:
        """The person's latest request for each module, by module id."""
        latest: dict[int, TrainingRequest] = {}
        for request in self.session.scalars(
            select(TrainingRequest)
            .where(
                TrainingRequest.person_id == person.id,
                TrainingRequest.module_id.in_(list(module_ids)),
            )
            .options(selectinload(TrainingRequest.purchase))
            .order_by(TrainingRequest.created_at, TrainingRequest.id)
        ):
            latest[request.module_id] = request
        return latest

    # -- asking ---------------------------------------------------------------------------

    def ask(
        self, person: Person, requirement_id: int, rows: Iterable[Row], today: dt.date
    ) -> TrainingRequest:
        """Record ``person``'s request for a place on the training of one of their rows
        (``rows``: what My training shows them). Refused when the requirement is not theirs,
        has another way to complete it, or a request is already open or booked."""
        found = [row for row in rows if row[1].id == requirement_id]
        if not found:
            raise RequestRefused(
                "That training is not required of you. Reload My training and try again."
            )
        school, requirement, _ = found[0]
        way = self.how(person, found, today)[requirement.id]
        title = requirement.module.title
        if way.request is not None and not way.may_ask:
            raise RequestRefused(self._already(title, way.request))
        if way.way is not Way.ASK:
            raise RequestRefused(
                f"{title} does not need a request: My training says how to complete it."
            )
        request = TrainingRequest(
            organisation_id=person.organisation_id,
            person_id=person.id,
            module_id=requirement.module_id,
            requirement_id=requirement.id,
            school_id=school.id,
            status=RequestStatus.REQUESTED,
            created_at=self.clock(),
            note="",
        )
        try:
            # Two clicks at once: the partial unique index refuses the second.
            with self.session.begin_nested():
                self.session.add(request)
                self.session.flush()
        except IntegrityError as exc:
            raise RequestRefused(
                f"You have already asked for a place on {title}: your CPD lead has it."
            ) from exc
        self.audit.record(
            "training_request.requested",
            organisation_id=person.organisation_id,
            entity_type="training_request",
            entity_id=request.id,
            person_id=person.id,
            module_id=requirement.module_id,
            requirement_id=requirement.id,
            school_id=school.id,
        )
        return request

    @staticmethod
    def _already(title: str, request: RequestFacts) -> str:
        if request.status == RequestStatus.BOOKED.value:
            return f"Your place on {title} is already booked."
        state = "approved" if request.status == RequestStatus.APPROVED.value else "waiting"
        return (
            f"You already asked for a place on {title} on {uk_date(request.asked_on)} and it "
            f"is {state}: you cannot ask again until your CPD lead has decided."
        )

    # -- the CPD lead's page ----------------------------------------------------------------

    def waiting(self, organisation_id: int, school_ids: frozenset[int] | None) -> Waiting:
        """Requests of the organisation's schools (``school_ids``: those the person leads;
        None: every school, for a trust leader)."""
        base = select(TrainingRequest).where(TrainingRequest.organisation_id == organisation_id)
        if school_ids is not None:
            base = base.where(TrainingRequest.school_id.in_(school_ids))
        base = base.options(
            selectinload(TrainingRequest.person),
            selectinload(TrainingRequest.module),
            selectinload(TrainingRequest.school),
            selectinload(TrainingRequest.decided_by),
            selectinload(TrainingRequest.purchase),
        )
        open_ = list(
            self.session.scalars(
                base.where(TrainingRequest.status.in_(_OPEN)).order_by(
                    TrainingRequest.created_at, TrainingRequest.id
                )
            )
        )
        decided = list(
            self.session.scalars(
                base.where(TrainingRequest.status.not_in(_OPEN))
                .order_by(TrainingRequest.decided_at.desc(), TrainingRequest.id.desc())
                .limit(RECENT_DECIDED)
            )
        )
        return Waiting(open_, decided)

    def count_waiting(self, organisation_id: int, school_ids: frozenset[int] | None) -> int:
        """Open requests of the organisation's schools (``school_ids``, or None for every
        school), one COUNT."""
        query = count_waiting_query(organisation_id, school_ids)
        return 0 if query is None else self.session.scalar(query) or 0

    def get(self, organisation_id: int, request_id: int) -> TrainingRequest | None:
        """A request of the organisation (another organisation's id: None, like a missing
        one)."""
        return self.session.scalar(
            select(TrainingRequest).where(
                TrainingRequest.id == request_id,
                TrainingRequest.organisation_id == organisation_id,
            )
        )

    # -- deciding ---------------------------------------------------------------------------

    def approve(self, request: TrainingRequest, decider: Person, note: str = "") -> None:
        if request.status is not RequestStatus.REQUESTED:
            raise RequestRefused(self._decided(request))
        self._decide(request, decider, RequestStatus.APPROVED, note.strip())

    def decline(self, request: TrainingRequest, decider: Person, reason: str) -> None:
        reason = reason.strip()
        if not request.status.is_open:
            raise RequestRefused(self._decided(request))
        if not reason:
            raise RequestRefused("Enter the reason: the person is told it.")
        if len(reason) > MAX_NOTE:
            raise RequestRefused(f"The reason must be {MAX_NOTE:,} characters or fewer.")
        self._decide(request, decider, RequestStatus.DECLINED, reason)

    def check_bookable(self, request: TrainingRequest) -> None:
        if not request.status.is_open:
            raise RequestRefused(self._decided(request))

    def booked(self, request: TrainingRequest, decider: Person, purchase: Purchase) -> None:
        """The request became ``purchase`` (already saved, the person named on it)."""
        self.check_bookable(request)
        request.purchase_id = purchase.id
        request.purchase = purchase
        self._decide(request, decider, RequestStatus.BOOKED, request.note, purchase_id=purchase.id)

    def booked_inset(
        self, request: TrainingRequest, decider: Person, inset: InsetSession, today: dt.date
    ) -> None:
        """The person's place is at ``inset``, a session of the training at their school on a
        day to come (whole-staff: they attend it like everyone; on the day the CPD lead ticks
        them among the attendees)."""
        self.check_bookable(request)
        if (
            inset.school_id != request.school_id
            or inset.module_id != request.module_id
            or inset.held_on < today
        ):
            raise RequestRefused(
                "Choose an INSET session of this training at the person's school, today or later."
            )
        self._decide(
            request,
            decider,
            RequestStatus.BOOKED,
            request.note,
            inset=inset,
            inset_session_id=inset.id,
        )

    @staticmethod
    def _decided(request: TrainingRequest) -> str:
        return (
            f"This request was already {request.status.value}: nothing was changed. "
            "Reload the page to see it."
        )

    def _decide(
        self,
        request: TrainingRequest,
        decider: Person,
        status: RequestStatus,
        note: str,
        inset: InsetSession | None = None,
        **details: object,
    ) -> None:
        before = request.status
        request.status = status
        request.decided_by_id = decider.id
        request.decided_at = self.clock()
        request.note = note
        self.session.flush()
        self.audit.record(
            f"training_request.{status.value}",
            organisation_id=request.organisation_id,
            entity_type="training_request",
            entity_id=request.id,
            person_id=request.person_id,
            module_id=request.module_id,
            school_id=request.school_id,
            was=before.value,
            note=note,
            **details,
        )
        self._tell(request, inset)

    def _tell(self, request: TrainingRequest, inset: InsetSession | None = None) -> None:
        """Queue the e-mail to the person (none when they have no address)."""
        person = request.person
        if not person.email:
            return
        title = request.module.title
        purchase = request.purchase
        booked_for = purchase.delivered_on if purchase is not None else None
        body = self.templates.get_template("email/place_request.txt").render(
            name=person.display_name,
            status=request.status.value,
            training=title,
            school=request.school.name,
            asked_on=uk_date(local_date(request.created_at)),
            note=request.note,
            booked_for=uk_date(booked_for) if booked_for else "",
            provider=request.module.provider or "",
            inset_title=inset.title if inset is not None else "",
            inset_on=uk_date(inset.held_on) if inset is not None else "",
            link=f"{self.base_url}/my-training",
        )
        self.session.add(
            OutgoingEmail(
                organisation_id=request.organisation_id,
                person_id=person.id,
                dedupe_key=f"training-request:{request.id}:{request.status.value}",
                to_address=person.email,
                subject=SUBJECTS[request.status].format(training=title),
                body_text=body,
                created_at=self.clock(),
                next_attempt_at=self.clock(),
            )
        )
        self.session.flush()


_OPEN = (RequestStatus.REQUESTED, RequestStatus.APPROVED)
