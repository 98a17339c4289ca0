"""Completions to LMS gradebooks: 1EdTech Assignment and Grade Services 2.0, through the outbox.

At launch (:meth:`ScoreService.record_launch`) a resource link that opens a module (custom
``module=<slug>``) is recorded with its AGS claim: the line item URL where its scores go and
the scopes the platform granted (AGS 2.0 §3.1); the person who launched it is *bound* to it
with their ``sub``, the score's ``userId``. From then on every completion of that module by
that person, however it is recorded, is queued as a score by the outbox's session listener
(:mod:`cpd_tracker.services.outbox`); a person who completed the module *before* their first
launch of the link has their latest completion queued at that launch.

:class:`ScoreSender` is the outbox's handler: it posts ``scoreGiven = scoreMaximum = 1``,
``activityProgress: Completed``, ``gradingProgress: FullyGraded`` and the completion's time
(``lti.ags.completion_score``; Canvas shows complete/incomplete as complete only at 100%).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cpd_tracker.models import (
    Completion,
    Course,
    LineItemBinding,
    Module,
    Person,
    PlatformRegistration,
    ResourceLink,
    ServiceJob,
)
from cpd_tracker.services.audit import AuditService
from cpd_tracker.services.identity import insert_or_existing
from cpd_tracker.services.launch_state import to_lti_registration
from cpd_tracker.services.outbox import (
    CompletionFacts,
    JobGone,
    Release,
    enqueue_scores,
    note_scores,
    takes_scores,
)
from lti.ags import LineItemClient, ScoreClient, completion_score
from lti.context import LaunchContext
from lti.registration import Registration
from lti.service_tokens import is_secure_url

MAX_URL = 1000
#: The tag on the gradebook columns the tool creates (AGS 2.0 §3.2.7), and their resourceId.
LINE_ITEM_TAG = "send-cpd-tracker"


def line_item_resource_id(module_slug: str) -> str:
    return f"send-cpd-tracker:{module_slug}"


def _url(value: object) -> str | None:
    """A service URL from the AGS claim, or None when it is unusable (not https, too long)."""
    if not isinstance(value, str) or not value or len(value) > MAX_URL:
        return None
    return value if is_secure_url(value) else None


def ags_endpoint(claim: Mapping[str, Any] | None) -> tuple[str | None, str | None, list[str]]:
    """(lineitem URL, lineitems URL, scopes) from the AGS endpoint claim (AGS 2.0 §3.1)."""
    if not isinstance(claim, Mapping):
        return None, None, []
    scopes = claim.get("scope")
    listed = [s for s in scopes if isinstance(s, str)] if isinstance(scopes, list | tuple) else []
    return _url(claim.get("lineitem")), _url(claim.get("lineitems")), sorted(set(listed))


@dataclass(frozen=True)
class LinkLaunch:
    link: ResourceLink
    #: The link has a gradebook column the tool may send scores to.
    graded: bool
    #: Scores queued at this launch (a completion made before the person's first launch).
    scores_queued: int


class ScoreService:
    def __init__(
        self, session: Session, audit: AuditService, clock: Callable[[], dt.datetime]
    ) -> None:
        self.session = session
        self.audit = audit
        self.clock = clock

    def record_launch(
        self,
        registration: PlatformRegistration,
        course: Course | None,
        person: Person,
        launch: LaunchContext,
        module: Module,
    ) -> LinkLaunch:
        """Remember the resource link, its line item and who launched it; queue the score of a
        completion made before this person's first launch of it."""
        assert launch.resource_link_id is not None
        assert launch.sub is not None
        now = self.clock()
        lineitem, lineitems, scopes = ags_endpoint(launch.ags)
        link = self._upsert_link(registration, launch.resource_link_id)
        link.course_id = course.id if course is not None else None
        link.title = launch.resource_link_title or link.title
        link.module_id = module.id
        link.module_slug = module.slug
        # A launch without the AGS claim (grading switched off) leaves no line item to use.
        link.lineitem_url = lineitem
        link.lineitems_url = lineitems
        link.ags_scopes = scopes
        link.updated_at = now
        self._bind(link, person, launch.sub, now)
        self.session.flush()
        graded = takes_scores(link.lineitem_url, link.lineitems_url, link.ags_scopes)
        queued = 0
        if graded:
            queued = self._queue_latest(person, module)
        return LinkLaunch(link, graded, queued)

    def _upsert_link(
        self, registration: PlatformRegistration, resource_link_id: str
    ) -> ResourceLink:
        def existing() -> ResourceLink | None:
            return self.session.scalar(
                select(ResourceLink).where(
                    ResourceLink.registration_id == registration.id,
                    ResourceLink.resource_link_id == resource_link_id,
                )
            )

        found = existing()
        if found is not None:
            return found
        link, created = insert_or_existing(
            self.session,
            ResourceLink(
                organisation_id=registration.organisation_id,
                registration_id=registration.id,
                resource_link_id=resource_link_id,
                ags_scopes=[],
                created_at=self.clock(),
                updated_at=self.clock(),
            ),
            existing,
        )
        if created:
            self.audit.record(
                "resource_link.recorded",
                organisation_id=registration.organisation_id,
                entity_type="resource_link",
                entity_id=link.id,
                resource_link_id=resource_link_id,
            )
        return link

    def _bind(
        self, link: ResourceLink, person: Person, user_id: str, now: dt.datetime
    ) -> LineItemBinding:
        def existing() -> LineItemBinding | None:
            return self.session.scalar(
                select(LineItemBinding).where(
                    LineItemBinding.resource_link_id == link.id,
                    LineItemBinding.person_id == person.id,
                )
            )

        found = existing()
        if found is not None:
            binding = found
        else:
            binding, _ = insert_or_existing(
                self.session,
                LineItemBinding(
                    resource_link_id=link.id,
                    person_id=person.id,
                    user_id=user_id,
                    first_launch_at=now,
                    last_launch_at=now,
                ),
                existing,
            )
        binding.user_id = user_id
        binding.last_launch_at = now
        return binding

    def _queue_latest(self, person: Person, module: Module) -> int:
        latest = self.session.scalars(
            select(Completion)
            .where(Completion.person_id == person.id, Completion.module_id == module.id)
            .order_by(Completion.completed_on.desc(), Completion.id.desc())
            .limit(1)
        ).first()
        if latest is None:
            return 0
        facts = CompletionFacts(
            latest.id,
            latest.organisation_id,
            latest.person_id,
            latest.module_id,
            latest.completed_on,
            latest.created_at,
        )
        connection = self.session.connection()
        ids = enqueue_scores(connection, [facts], self.clock())
        note_scores(self.session, connection, ids)
        return len(ids)


class ScoreSender:
    """The outbox handler for score jobs."""

    def __init__(self, session: Session, scores: ScoreClient, lineitems: LineItemClient) -> None:
        self.session = session
        self.scores = scores
        self.lineitems = lineitems

    def __call__(self, job: ServiceJob, release: Release) -> str:
        row = self.session.get(PlatformRegistration, job.registration_id)
        if row is None or not job.user_id:
            raise JobGone("The LMS registration or the gradebook column of this grade is gone.")
        registration = to_lti_registration(row)
        lineitem_url = job.lineitem_url or self._lineitem_of_link(job, registration)
        score = completion_score(
            job.user_id, dt.datetime.fromisoformat(str(job.payload["timestamp"]))
        )
        release()
        if self.scores.publish(registration, lineitem_url, score) == "already_held":
            # A resend after a lost answer (Moodle 409, Open edX and Canvas 400s).
            return "the LMS already holds this grade or a newer one"
        return "delivered"

    def _lineitem_of_link(self, job: ServiceJob, registration: Registration) -> str:
        """The link's gradebook column when its launch gave only the context's ``lineitems``
        (Open edX in programmatic mode, a link not yet graded): found by the link's id and our
        tag, or created, once per link, and kept on the link for every later score.

        The link's row is locked (an UPDATE, which SQLite and PostgreSQL both serialise) while
        the LMS is asked, so two senders never create two columns for one link; it happens once
        per link."""
        link_id = job.resource_link_id
        self.session.execute(
            update(ResourceLink)
            .where(ResourceLink.id == link_id)
            .values(updated_at=ResourceLink.updated_at)
            .execution_options(synchronize_session=False)
        )
        link = self.session.get(ResourceLink, link_id, populate_existing=True)
        if link is None or not (link.lineitem_url or link.lineitems_url):
            raise JobGone("The LMS activity this grade was for no longer has a gradebook.")
        if link.lineitem_url is None:
            assert link.lineitems_url is not None
            module = link.module
            item = self.lineitems.find_or_create(
                registration,
                link.lineitems_url,
                resource_id=line_item_resource_id(link.module_slug or str(link.module_id)),
                label=(module.title if module is not None else link.title) or "SEND training",
                score_maximum=1,
                tag=LINE_ITEM_TAG,
                resource_link_id=link.resource_link_id,
            )
            link.lineitem_url = item.id
        job.lineitem_url = link.lineitem_url
        return link.lineitem_url
