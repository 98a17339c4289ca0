"""What a launch means for the LTI Advantage services, and how the outbox reaches platforms.

:class:`AdvantageLaunchService` runs after ``IdentityService.sign_in`` for every launch:

* a Deep Linking request is kept for the module picker (instructors only);
* the course's NRPS endpoint is recorded, and an instructor's launch queues a roster sync;
* a resource link with the custom parameter ``module`` names the module to open; the link, its
  AGS line item and the person's ``sub`` are recorded so completions reach the gradebook.

Nothing here calls a platform: a launch page never waits on an LMS. The calls happen in the
outbox (:mod:`cpd_tracker.services.outbox`), whose handlers :func:`job_handlers` wires to the
``lti`` clients: one ``ServiceTokenClient`` per run, over the app's one ``HttpClient`` and its
per-process token cache (keyed by issuer, client id and scopes in ``lti.service_tokens``), and
the tool's current key for the client assertions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cpd_tracker.models import JobKind, Module, PermissionKind, PlatformRegistration
from cpd_tracker.services.audit import Actor, AuditService
from cpd_tracker.services.deep_linking import DeepLinkingService
from cpd_tracker.services.identity import SignIn
from cpd_tracker.services.keys import KeyService
from cpd_tracker.services.outbox import Handlers, OutboxRunner
from cpd_tracker.services.roster import RosterService
from cpd_tracker.services.scores import ScoreSender, ScoreService
from lti.ags import LineItemClient, ScoreClient
from lti.claims import DEEP_LINKING_REQUEST
from lti.context import LaunchContext
from lti.errors import LtiLaunchError
from lti.http import HttpClient
from lti.keys import sign_jwt
from lti.nrps import NamesRolesClient
from lti.service_tokens import ServiceTokenClient, TokenCache

MODULE_PARAMETER = "module"


class UnknownModule(LtiLaunchError):
    """The link's custom ``module`` parameter names no module of this organisation."""

    code = "unknown_module"
    status = 404
    title = "This activity's training module was not found"


class RetiredModule(LtiLaunchError):
    code = "retired_module"
    status = 410
    title = "This training module has been retired"


@dataclass(frozen=True)
class AdvantageLaunch:
    """What the launch route needs to know to land the person and tell them what happened."""

    #: A Deep Linking request waiting in the picker.
    deep_link_token: str | None = None
    #: The module a resource link opens.
    module_id: int | None = None
    #: A roster sync is queued for the course (now or already).
    roster_queued: bool = False
    #: The link has a gradebook column the tool sends completions to.
    graded: bool = False
    #: Scores queued by this launch (a completion made before the first launch of the link).
    scores_queued: int = 0


def module_slug(launch: LaunchContext) -> str | None:
    value = launch.custom.get(MODULE_PARAMETER)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()[:80]


class AdvantageLaunchService:
    def __init__(
        self,
        session: Session,
        deep_linking: DeepLinkingService,
        roster: RosterService,
        scores: ScoreService,
    ) -> None:
        self.session = session
        self.deep_linking = deep_linking
        self.roster = roster
        self.scores = scores

    def after_sign_in(
        self, registration: PlatformRegistration, launch: LaunchContext, sign_in: SignIn
    ) -> AdvantageLaunch:
        token = None
        if launch.message_type == DEEP_LINKING_REQUEST:
            token = self.deep_linking.start(registration, launch, sign_in).token
        person, course = sign_in.person, sign_in.course
        if person is None:
            return AdvantageLaunch()
        roster_queued = False
        if course is not None:
            instructor = PermissionKind.CPD_LEAD in sign_in.suggestion.kinds
            roster_queued = self.roster.note_launch(course, launch, instructor=instructor)
        if token is not None:
            return AdvantageLaunch(deep_link_token=token, roster_queued=roster_queued)
        slug = module_slug(launch)
        if slug is None or launch.resource_link_id is None:
            return AdvantageLaunch(roster_queued=roster_queued)
        module = self._module(person.organisation_id, slug)
        linked = self.scores.record_launch(registration, course, person, launch, module)
        return AdvantageLaunch(
            module_id=module.id,
            roster_queued=roster_queued,
            graded=linked.graded,
            scores_queued=linked.scores_queued,
        )

    def _module(self, organisation_id: int, slug: str) -> Module:
        module = self.session.scalar(
            select(Module).where(Module.organisation_id == organisation_id, Module.slug == slug)
        )
        if module is None:
            raise UnknownModule(
                f"This activity opens the training module “{slug}”, which is not in your "
                "organisation's catalogue.",
                hint="Ask the course's teacher to delete the activity and add the training "
                "again with the tool's “add activity” picker, which lists the modules that exist.",
            )
        if module.is_retired:
            raise RetiredModule(
                f"The training module “{module.title}” has been retired from your "
                "organisation's catalogue.",
                hint="Ask your CPD lead which module replaces it, and the course's teacher to "
                "swap the activity.",
            )
        return module


# ---------------------------------------------------------------- the outbox's handlers


def key_signer(keys: KeyService) -> Callable[[dict[str, Any]], str]:
    """Signs client assertions with the tool's current key, read now: signing then touches no
    database while a token request is under way. (After a rotation, the old key stays in the
    published JWKS for far longer than a run lasts.)"""
    key = keys.ensure_key()
    private_pem, kid = key.private_pem, key.kid

    def sign(claims: dict[str, Any]) -> str:
        return sign_jwt(claims, private_pem, kid, keys.passphrase)

    return sign


def job_handlers(
    *,
    http: HttpClient,
    token_cache: TokenCache,
    secret: str,
    clock: Callable[[], dt.datetime],
) -> Callable[[Session], Handlers]:
    """The outbox's handlers for a session: scores through AGS, rosters through NRPS."""

    def build(session: Session) -> Handlers:
        keys = KeyService(session, secret=secret, clock=clock)
        tokens = ServiceTokenClient(http, key_signer(keys), clock, token_cache)
        audit = AuditService(session, Actor("lti-outbox"))
        roster = RosterService(session, audit, clock, NamesRolesClient(http, tokens))
        return {
            JobKind.SCORE: ScoreSender(
                session, ScoreClient(http, tokens), LineItemClient(http, tokens)
            ),
            JobKind.ROSTER: roster.run_job,
        }

    return build


def outbox_runner(
    session: Session,
    *,
    http: HttpClient,
    token_cache: TokenCache,
    secret: str,
    clock: Callable[[], dt.datetime],
) -> OutboxRunner:
    handlers = job_handlers(http=http, token_cache=token_cache, secret=secret, clock=clock)
    return OutboxRunner(session, handlers, clock)
