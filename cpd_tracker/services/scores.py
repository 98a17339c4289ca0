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

from sqlalchemy import select
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
)
from lti.advantage_errors import ScorePublishError
from lti.ags import SCOPE_SCORE, ScoreClient, completion_score
from lti.context import LaunchContext
from lti.service_tokens import is_secure_url

MAX_URL = 1000


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
        graded = link.lineitem_url is not None and SCOPE_SCORE in link.ags_scopes
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

    def __init__(self, session: Session, scores: ScoreClient) -> None:
        self.session = session
        self.scores = scores

    def __call__(self, job: ServiceJob, release: Release) -> str:
        row = self.session.get(PlatformRegistration, job.registration_id)
        if row is None or not job.lineitem_url or not job.user_id:
            raise JobGone("The LMS registration or the gradebook column of this grade is gone.")
        registration = to_lti_registration(row)
        score = completion_score(
            job.user_id, dt.datetime.fromisoformat(str(job.payload["timestamp"]))
        )
        lineitem_url = job.lineitem_url
        release()
        try:
            self.scores.publish(registration, lineitem_url, score)
        except ScorePublishError as exc:
            if exc.platform_status == 409:
                # Moodle refuses a score not newer than the grade it holds: it has this one.
                return "the LMS already holds this grade or a newer one"
            raise
        return "delivered"
