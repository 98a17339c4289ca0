"""Calendar feeds (issue 17): a person's due dates and sessions, a school's INSET sessions and
deadlines, served at a secret address a calendar app subscribes to.

A person's feed: each requirement's due date (or the day their training expires) as an
all-day event, the INSET sessions at their schools (timed when the session's times are
recorded), and the courses booked for them (purchases naming them as a delegate, on the
delivery day). A school's feed: its INSET sessions and its requirements' deadlines, as counts
of staff ("Due: Autism awareness (3 staff)"), never names: the address is a bearer secret that
may end up in a shared calendar.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections import Counter
from collections.abc import Callable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from cpd_tracker.models import (
    CalendarFeed,
    InsetSession,
    Person,
    Purchase,
    PurchaseDelegate,
    School,
    StaffRole,
)
from cpd_tracker.rules.training import Status, StatusResult
from cpd_tracker.services.audit import AuditService
from cpd_tracker.services.compliance import ComplianceService
from cpd_tracker.services.feed_keys import feed_id, feed_key, legacy_hash, matches
from cpd_tracker.services.ics import CalendarEvent, calendar_bytes

#: How far back a feed reaches: a year of past sessions is context, more is clutter.
LOOKBACK = dt.timedelta(days=366)

_DUE = (Status.DUE, Status.DUE_SOON, Status.OVERDUE, Status.EXTENDED, Status.NOT_YET_DUE)
_EXPIRY = (Status.COMPLIANT, Status.EXPIRING_SOON, Status.EXPIRED)


def deadline(result: StatusResult) -> tuple[str, dt.date] | None:
    """What a requirement's status puts on a calendar: ("Due", due date) while it is to be
    done, ("Renew by", expiry) once it is done and expires; None otherwise (exempt, left, no
    date yet, never expires)."""
    if result.status in _DUE and result.due_on is not None:
        return "Due", result.due_on
    if result.status in _EXPIRY and result.expires_on is not None:
        return "Renew by", result.expires_on
    return None


class CalendarService:
    def __init__(
        self,
        session: Session,
        audit: AuditService,
        clock: Callable[[], dt.datetime],
        compliance: ComplianceService,
        host: str,
        secret: str,
    ) -> None:
        self.session = session
        self.audit = audit
        self.clock = clock
        self.compliance = compliance
        #: The tool's host, for event UIDs unique to this deployment.
        self.host = host
        #: SECRET_KEY, from which each feed's key is derived (``feed_keys``).
        self.secret = secret

    # -- the secret addresses -----------------------------------------------------------

    def person_feed(self, person: Person) -> CalendarFeed:
        """The person's feed, made on first use."""
        found = self.session.scalar(select(CalendarFeed).where(CalendarFeed.person_id == person.id))
        return found or self._new(person.organisation_id, person_id=person.id)

    def school_feed(self, school: School) -> CalendarFeed:
        found = self.session.scalar(select(CalendarFeed).where(CalendarFeed.school_id == school.id))
        return found or self._new(school.organisation_id, school_id=school.id)

    def _new(self, organisation_id: int, **owner: int) -> CalendarFeed:
        feed = CalendarFeed(organisation_id=organisation_id, created_at=self.clock(), **owner)
        self.session.add(feed)
        self.session.flush()
        return feed

    def key(self, feed: CalendarFeed) -> str:
        """The secret in the feed's address (the same each time until the address is reset)."""
        return feed_key(self.secret, feed.id, feed.generation)

    def regenerate(self, feed: CalendarFeed) -> CalendarFeed:
        """A new address: every calendar subscribed to the old one (or to a token from before
        migration 0031) stops updating."""
        feed.generation += 1
        feed.legacy_token_hash = None
        feed.created_at = self.clock()
        self.session.flush()
        self.audit.record(
            "calendar_feed.regenerated",
            organisation_id=feed.organisation_id,
            entity_type="calendar_feed",
            entity_id=feed.id,
            person_id=feed.person_id,
            school_id=feed.school_id,
            generation=feed.generation,
        )
        return feed

    def by_key(self, key: str) -> CalendarFeed | None:
        """The feed ``key`` opens; None for anything else (wrong, replaced, malformed)."""
        claimed = feed_id(key)
        if claimed is not None:
            feed = self.session.get(CalendarFeed, claimed)
            if feed is None or not matches(self.secret, feed.id, feed.generation, key):
                return None
            return feed
        hashed = legacy_hash(key)
        if hashed is None:
            return None
        feed = self.session.scalar(
            select(CalendarFeed).where(CalendarFeed.legacy_token_hash == hashed)
        )
        # Found by an index on the hash; compared again in constant time all the same.
        if feed is None or not hmac.compare_digest(feed.legacy_token_hash or "", hashed):
            return None
        return feed

    # -- the feeds ----------------------------------------------------------------------

    def render(self, feed: CalendarFeed, today: dt.date) -> bytes | None:
        """The feed's iCalendar text; None when its person or school is no longer there (a
        leaver's or an erased person's feed answers 404 like a wrong token)."""
        if feed.person_id is not None:
            person = self.session.get(Person, feed.person_id)
            if (
                person is None
                or not person.active
                or person.organisation_id != feed.organisation_id
            ):
                return None
            events = list(self._person_events(person, today))
            return calendar_bytes("SEND training", events, self.clock())
        school = self.session.get(School, feed.school_id) if feed.school_id else None
        if school is None or school.organisation_id != feed.organisation_id:
            return None
        events = list(self._school_events(school, today))
        return calendar_bytes(f"SEND training at {school.name}", events, self.clock())

    def _person_events(self, person: Person, today: dt.date) -> Iterator[CalendarEvent]:
        for school, requirement, result in self.compliance.for_person(person, today):
            found = deadline(result)
            if found is None:
                continue
            label, day = found
            title = requirement.module.title
            yield CalendarEvent(
                uid=f"req-{requirement.id}-person-{person.id}-{day.isoformat()}@{self.host}",
                summary=f"{label}: {title}",
                day=day,
                description=f"SEND training for {school.name}: {result.reason}",
            )
        school_ids = set(
            self.session.scalars(
                select(StaffRole.school_id).where(
                    StaffRole.person_id == person.id, StaffRole.ended_on.is_(None)
                )
            )
        )
        yield from self._inset_events(school_ids, person.organisation_id, today)
        for purchase in self.session.scalars(
            select(Purchase)
            .join(PurchaseDelegate, PurchaseDelegate.purchase_id == Purchase.id)
            .where(
                PurchaseDelegate.person_id == person.id,
                Purchase.organisation_id == person.organisation_id,
                Purchase.delivered_on.is_not(None),
                Purchase.delivered_on >= today - LOOKBACK,
            )
            .order_by(Purchase.delivered_on, Purchase.id)
        ):
            assert purchase.delivered_on is not None
            title = purchase.module.title if purchase.module else purchase.course_title
            yield CalendarEvent(
                uid=f"booking-{purchase.id}-person-{person.id}@{self.host}",
                summary=f"Booked: {title}",
                day=purchase.delivered_on,
                description=f"A place booked for you with {purchase.provider.name}.",
            )

    def _school_events(self, school: School, today: dt.date) -> Iterator[CalendarEvent]:
        yield from self._inset_events({school.id}, school.organisation_id, today)
        compliance = self.compliance.school(school, today)
        titles = {r.id: r.module.title for r in compliance.requirements}
        counts: Counter[tuple[int, str, dt.date]] = Counter()
        for (_, requirement_id), row in compliance.cells.items():
            found = deadline(row.result)
            if found is not None and found[1] >= today - LOOKBACK:
                counts[(requirement_id, *found)] += 1
        for (requirement_id, label, day), staff in sorted(counts.items(), key=lambda c: c[0][2]):
            yield CalendarEvent(
                uid=f"req-{requirement_id}-school-{school.id}-{label[0]}-{day.isoformat()}@{self.host}",
                summary=f"{label}: {titles[requirement_id]} ({staff} staff)",
                day=day,
                description=(
                    f"{staff} {'member' if staff == 1 else 'members'} of staff at {school.name}. "
                    "Who they are is on the school page in SEND CPD Tracker."
                ),
            )

    def _inset_events(
        self, school_ids: set[int], organisation_id: int, today: dt.date
    ) -> Iterator[CalendarEvent]:
        if not school_ids:
            return
        rows = self.session.execute(
            select(InsetSession, School.name)
            .join(School, School.id == InsetSession.school_id)
            .where(
                InsetSession.school_id.in_(school_ids),
                InsetSession.organisation_id == organisation_id,
                InsetSession.held_on >= today - LOOKBACK,
            )
            .order_by(InsetSession.held_on, InsetSession.id)
        )
        for inset, school_name in rows:
            yield CalendarEvent(
                uid=f"inset-{inset.id}@{self.host}",
                summary=f"INSET: {inset.title}",
                day=inset.held_on,
                description=f"Whole-staff training at {school_name}: {inset.module.title}.",
                starts_at=inset.starts_at,
                ends_at=inset.ends_at,
            )
