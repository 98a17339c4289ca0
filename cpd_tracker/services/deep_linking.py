"""Adding training modules to an LMS course: 1EdTech Deep Linking 2.0, the tool's side.

An instructor's ``LtiDeepLinkingRequest`` (§4.4) is verified by the launch; :meth:`start`
keeps its ``deep_linking_settings`` in a :class:`~cpd_tracker.models.DeepLinkRequest` row and
hands back a random token for the picker's URL, so the settings (return URL, ``data``,
``accept_multiple``) never travel through the browser and cannot be altered there. The picker
lists the organisation's modules still in the catalogue; :meth:`respond` consumes the request
(once, before it expires) and builds the signed ``LtiDeepLinkingResponse`` (§4.5) of
``ltiResourceLink`` items that the browser posts to the platform:

* a title (the module's), ``text`` (its summary), the tool's launch URL;
* custom parameters ``module=<slug>`` (which module the link opens) and, when the course is
  mapped to a school, ``school_urn`` (so a course copied elsewhere keeps its school);
* a ``lineItem`` (``scoreMaximum`` 1, the module's title as label, ``resourceId``
  ``module:<slug>``) unless the platform said ``accept_lineitem: false``; the platform makes
  it the activity's gradebook column, which completions then reach through AGS.

Only ``ltiResourceLink`` items are made, which is all Moodle accepts; a request whose
``accept_types`` lacks them is refused at launch rather than after the teacher has chosen.
A learner never gets a request, so never reaches the picker (403).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session

from cpd_tracker.models import (
    DeepLinkRequest,
    Module,
    PermissionKind,
    PlatformRegistration,
    Requirement,
    School,
    Tier,
)
from cpd_tracker.services.audit import AuditService
from cpd_tracker.services.identity import SignIn
from cpd_tracker.services.keys import KeyService
from lti.advantage_errors import DeepLinkingError
from lti.context import LaunchContext
from lti.deep_linking import (
    DeepLinkingSettings,
    LineItemSpec,
    ResourceLinkItem,
    auto_post_form,
    build_response,
    sign_response,
)
from lti.errors import LtiError

#: Time from the LMS's request to the teacher's choice. Canvas's ``data`` JWT is good for an
#: hour, so waiting longer would only produce a response Canvas refuses.
REQUEST_LIFETIME = dt.timedelta(hours=1)
TEXT_LIMIT = 500


class DeepLinkingForbidden(LtiError):
    """Someone who is not a teacher of the course asked to add content to it."""

    code = "deep_linking_forbidden"
    status = 403
    title = "Only the course's teachers can add training to it"
    hint = (
        "Ask a teacher of this course to add the training module, or your LMS administrator to "
        "give you a teacher's role in the course."
    )


class DeepLinkRequestUnusable(LtiError):
    """The picker's request is unknown, someone else's, used already or too old."""

    code = "deep_link_request_unusable"
    status = 410
    title = "This request to add training has expired"
    hint = "Close this window and start adding the activity again from your LMS course."


def _thaw(value: Any) -> Any:
    """A frozen claim value (MappingProxyType, tuples) as plain JSON (dicts, lists)."""
    if isinstance(value, Mapping):
        return {str(k): _thaw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_thaw(v) for v in value]
    return value


def may_deep_link(sign_in: SignIn) -> bool:
    """Course instructors (who become the school's CPD lead) and trust leaders."""
    kinds = sign_in.suggestion.kinds
    return sign_in.person is not None and bool(
        {PermissionKind.CPD_LEAD, PermissionKind.TRUST_LEADER} & kinds
    )


@dataclass(frozen=True)
class PickerFilters:
    text: str = ""
    tier: str | None = None
    role: str | None = None

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> PickerFilters:
        tier = args.get("tier") or None
        return cls(
            text=(args.get("q") or "").strip()[:100],
            tier=tier if tier in {t.value for t in Tier} else None,
            role=(args.get("role") or None),
        )

    @property
    def active(self) -> bool:
        return bool(self.text or self.tier or self.role)


class DeepLinkingService:
    def __init__(
        self,
        session: Session,
        audit: AuditService,
        clock: Callable[[], dt.datetime],
        keys: KeyService,
        *,
        launch_url: str,
    ) -> None:
        self.session = session
        self.audit = audit
        self.clock = clock
        self.keys = keys
        self.launch_url = launch_url

    # -- at launch -----------------------------------------------------------------------

    def start(
        self, registration: PlatformRegistration, launch: LaunchContext, sign_in: SignIn
    ) -> DeepLinkRequest:
        """Keep a verified Deep Linking request for the picker; refuse learners (403)."""
        if not may_deep_link(sign_in):
            raise DeepLinkingForbidden(
                "Adding training to a course is for the course's teachers; the LMS says you "
                "are not one here."
            )
        assert sign_in.person is not None
        settings = DeepLinkingSettings.from_launch(launch)
        if not settings.accepts_resource_links:
            offered = ", ".join(settings.accept_types) or "none"
            raise DeepLinkingError(
                "The LMS does not accept LTI activity links from this place (it accepts: "
                f"{offered}), and a training module can only be added as one.",
            )
        now = self.clock()
        row = DeepLinkRequest(
            token=secrets.token_urlsafe(32),
            organisation_id=registration.organisation_id,
            registration_id=registration.id,
            course_id=sign_in.course.id if sign_in.course is not None else None,
            person_id=sign_in.person.id,
            deployment_id=launch.deployment_id,
            settings=_thaw(launch.deep_linking_settings),
            created_at=now,
            expires_at=now + REQUEST_LIFETIME,
        )
        self.session.add(row)
        self.session.flush()
        return row

    # -- the picker ----------------------------------------------------------------------

    def request_for(self, token: str, person_id: int, organisation_id: int) -> DeepLinkRequest:
        """The open request behind a picker URL, for the person who launched it."""
        row = self.session.scalar(
            select(DeepLinkRequest).where(DeepLinkRequest.token == token[:64])
        )
        if row is None or row.person_id != person_id or row.organisation_id != organisation_id:
            raise DeepLinkRequestUnusable(
                "This page belongs to a request to add training that was not made by you here."
            )
        if row.used_at is not None:
            raise DeepLinkRequestUnusable(
                "The training for this request has already been sent back to your LMS.",
                hint="Look in your course: the activity is there. To add more, start again "
                "from your LMS.",
            )
        if row.expires_at <= self.clock():
            raise DeepLinkRequestUnusable("This request to add training is over an hour old.")
        return row

    @staticmethod
    def settings(row: DeepLinkRequest) -> DeepLinkingSettings:
        return DeepLinkingSettings.from_claim(row.settings)

    def modules(self, organisation_id: int, filters: PickerFilters) -> list[Module]:
        """The organisation's catalogue (retired modules left out), filtered."""
        query = select(Module).where(
            Module.organisation_id == organisation_id, Module.retired_at.is_(None)
        )
        if filters.text:
            like = f"%{filters.text.lower()}%"
            query = query.where(
                or_(
                    Module.title.ilike(like),
                    Module.summary.ilike(like),
                    Module.category.ilike(like),
                    Module.slug.ilike(like),
                )
            )
        if filters.tier:
            query = query.where(Module.tier == Tier(filters.tier))
        modules = list(self.session.scalars(query.order_by(Module.tier, Module.title)))
        if filters.role:
            wanted = self.modules_for_role(organisation_id, filters.role)
            modules = [m for m in modules if m.id in wanted]
        return modules

    def modules_for_role(self, organisation_id: int, role: str) -> set[int]:
        """Modules a live requirement asks of ``role`` (a requirement for all staff counts)."""
        rows = self.session.execute(
            select(Requirement.module_id, Requirement.roles).where(
                Requirement.organisation_id == organisation_id, Requirement.retired_at.is_(None)
            )
        ).all()
        return {module_id for module_id, roles in rows if not roles or role in roles}

    def roles_required(self, organisation_id: int) -> list[str]:
        """Staff roles that some live requirement names (for the role filter)."""
        roles: set[str] = set()
        for listed in self.session.scalars(
            select(Requirement.roles).where(
                Requirement.organisation_id == organisation_id, Requirement.retired_at.is_(None)
            )
        ):
            roles.update(listed or [])
        return sorted(roles)

    # -- the answer ----------------------------------------------------------------------

    def respond(
        self, row: DeepLinkRequest, module_ids: Sequence[int]
    ) -> tuple[str, dict[str, str]]:
        """Sign the answer to ``row`` with the chosen modules (none: "nothing added") and use
        the request up. (form action, fields) of the auto-posted form back."""
        settings = self.settings(row)
        modules = self._chosen(row.organisation_id, module_ids)
        registration = self.session.get(PlatformRegistration, row.registration_id)
        assert registration is not None
        school_urn = self._school_urn(row)
        items = [self._item(m, school_urn) for m in modules]
        now = self.clock()
        message = (
            f"Added {len(items)} training module{'s' if len(items) != 1 else ''}."
            if items
            else "No training module was added."
        )
        # Build first: a selection the LMS would refuse (several where it takes one) is
        # refused here, and the request stays open for a better choice.
        claims = build_response(
            settings,
            items,
            issuer_client_id=registration.client_id,
            platform_issuer=registration.issuer,
            deployment_id=row.deployment_id,
            now=now,
            message=message,
        )
        self._consume(row, now)
        key = self.keys.ensure_key()
        jwt = sign_response(claims, key.private_pem, key.kid, self.keys.passphrase)
        self.audit.record(
            "deep_link.responded",
            organisation_id=row.organisation_id,
            entity_type="course",
            entity_id=row.course_id,
            modules=[m.slug for m in modules],
            line_items=settings.accepts_line_items,
        )
        return auto_post_form(settings, jwt)

    def _chosen(self, organisation_id: int, module_ids: Sequence[int]) -> list[Module]:
        wanted = list(dict.fromkeys(module_ids))
        if not wanted:
            return []
        found = {
            m.id: m
            for m in self.session.scalars(
                select(Module).where(
                    Module.organisation_id == organisation_id,
                    Module.id.in_(wanted),
                    Module.retired_at.is_(None),
                )
            )
        }
        if len(found) != len(wanted):
            raise DeepLinkingError(
                "One of the chosen modules is not in your organisation's catalogue any more.",
                hint="Go back, reload the list and choose again.",
            )
        return [found[i] for i in wanted]

    def _school_urn(self, row: DeepLinkRequest) -> str | None:
        course = row.course
        if course is None or course.school_id is None:
            return None
        school = self.session.get(School, course.school_id)
        return school.urn if school is not None else None

    def _item(self, module: Module, school_urn: str | None) -> ResourceLinkItem:
        custom = {"module": module.slug}
        if school_urn:
            custom["school_urn"] = school_urn
        summary = (module.summary or "").strip()
        return ResourceLinkItem(
            title=module.title,
            url=self.launch_url,
            custom=custom,
            text=summary[:TEXT_LIMIT] or None,
            line_item=LineItemSpec(
                score_maximum=1, label=module.title, resource_id=f"module:{module.slug}"
            ),
        )

    def _consume(self, row: DeepLinkRequest, now: dt.datetime) -> None:
        # One UPDATE ... WHERE used_at IS NULL: a double click (or two tabs) answers once.
        result = cast(
            CursorResult[Any],
            self.session.execute(
                update(DeepLinkRequest)
                .where(
                    DeepLinkRequest.id == row.id,
                    DeepLinkRequest.used_at.is_(None),
                    DeepLinkRequest.expires_at > now,
                )
                .values(used_at=now)
                .execution_options(synchronize_session=False)
            ),
        )
        if result.rowcount != 1:
            raise DeepLinkRequestUnusable(
                "The training for this request has already been sent back to your LMS, or the "
                "request expired."
            )
        self.session.refresh(row, ["used_at"])
