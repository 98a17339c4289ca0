"""From a verified launch to a person in an organisation: upserts, audited.

Launch -> organisation (from the registration) -> person (keyed by registration and ``sub``;
names and email refreshed when the platform shares them) -> course (mapped to a school by the
``school_urn`` custom parameter, or later by the CPD lead) -> tool permissions suggested by LMS
roles. Nothing here crosses organisations: every lookup is scoped by the registration's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from sqlalchemy import exists, func, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, joinedload

from cpd_tracker.models import (
    Course,
    Deployment,
    Permission,
    PermissionKind,
    PermissionSource,
    Person,
    PlatformRegistration,
    ResourceLink,
    School,
    StaffRole,
    StaffRoleKind,
)
from cpd_tracker.models.link_request import IdentityLinkRequest
from cpd_tracker.models.person import email_key
from cpd_tracker.rules.text import clean_email, clean_line
from cpd_tracker.services.audit import AuditService
from cpd_tracker.services.permissions import Suggestion, suggest_permissions
from lti.context import LaunchContext

PERSON_FIELDS = ("name", "given_name", "family_name", "email")


@dataclass(frozen=True)
class SignIn:
    person: Person | None
    course: Course | None
    suggestion: Suggestion

    @property
    def needs_school_choice(self) -> bool:
        """An instructor launched from a course not yet mapped to a school (they ask for it to
        be linked, or link it themselves when the LMS names them its administrator)."""
        return (
            self.course is not None
            and self.course.school_id is None
            and PermissionKind.CPD_LEAD in self.suggestion.kinds
        )


def frame_origin(url: object) -> str | None:
    """The https origin of a platform URL, or None (we never allow http framing origins,
    except localhost for the demo)."""
    if not isinstance(url, str):
        return None
    parts = urlsplit(url)
    if not parts.netloc:
        return None
    local = parts.hostname in {"localhost", "127.0.0.1"}
    if parts.scheme == "https" or (parts.scheme == "http" and local):
        return f"{parts.scheme}://{parts.netloc}"
    return None


#: Display claims and the columns they are kept in (``Person``, ``Course``, ``ResourceLink``).
DISPLAY_CLAIMS = {
    "name": Person.name,
    "given_name": Person.given_name,
    "family_name": Person.family_name,
    "context_title": Course.title,
    "context_label": Course.label,
    "resource_link_title": ResourceLink.title,
}


def clean_launch(launch: LaunchContext) -> LaunchContext:
    """The launch with its display claims made storable: control characters and lone
    surrogates out, each cut to its column (a 300-character name keeps its first 255), an
    email that cannot be one dropped. ``lti/`` has already refused identifiers (``sub``,
    context and resource link ids) that hold such characters or run past 255."""
    changes: dict[str, Any] = {
        claim: clean_line(getattr(launch, claim), _length(column))
        for claim, column in DISPLAY_CLAIMS.items()
    }
    changes["email"] = clean_email(launch.email, _length(Person.email))
    return dataclasses.replace(launch, **changes)


def _length(column: object) -> int:
    length = getattr(getattr(column, "type", None), "length", None)
    assert isinstance(length, int)
    return length


T = TypeVar("T")


def insert_or_existing(
    session: Session, row: T, existing: Callable[[], T | None]
) -> tuple[T, bool]:
    """Insert ``row`` in a savepoint; if a concurrent request won the race (a unique
    constraint refused it), return the winner's row instead. (row, created) back."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        winner = existing()
        if winner is None:
            raise
        return winner, False
    return row, True


class IdentityService:
    """Upserts race when several staff open a new activity at once (several workers, one
    course): each insert runs in a savepoint, and a unique-constraint loss means another
    request just created the row, which is then read back instead of failing the launch."""

    def __init__(
        self, session: Session, audit: AuditService, clock: Callable[[], dt.datetime]
    ) -> None:
        self.session = session
        self.audit = audit
        self.clock = clock

    def sign_in(
        self, registration: PlatformRegistration, launch: LaunchContext, deployment_is_new: bool
    ) -> SignIn:
        org_id = registration.organisation_id
        if deployment_is_new:
            self._record_deployment(registration, launch.deployment_id)
        self._learn_frame_origins(registration, launch)
        suggestion = suggest_permissions(launch.roles)
        if launch.sub is None:
            return SignIn(None, None, suggestion)
        person = self._upsert_person(registration, launch)
        course = self._upsert_course(registration, launch) if launch.context_id else None
        # A site administrator opening an activity (Moodle gives them every course, enrolled
        # or not) is not thereby one of the school's staff: if they are, the course roster
        # or the staff import puts them on the list.
        if course is not None and course.school_id is not None and not launch.roles.is_system_admin:
            self._ensure_on_staff(person, course.school_id)
        self._sync_permissions(person, suggestion, course)
        self.session.flush()
        assert person.organisation_id == org_id
        return SignIn(person, course, suggestion)

    def assign_course_school(self, course: Course, school: School) -> None:
        if school.organisation_id != course.organisation_id:
            raise PermissionError("school belongs to another organisation")
        previous = course.school_id
        course.school_id = school.id
        self.audit.record(
            "course.school_set",
            organisation_id=course.organisation_id,
            entity_type="course",
            entity_id=course.id,
            school_id=school.id,
            previous_school_id=previous,
        )
        self.session.flush()

    def confirm_course_school(self, person: Person, course: Course, school_id: int) -> None:
        """An instructor says which school their course is for: map it, and make them that
        school's CPD lead as their LMS role suggested."""
        school = self.session.scalar(
            select(School).where(
                School.id == school_id, School.organisation_id == person.organisation_id
            )
        )
        if school is None or course.organisation_id != person.organisation_id:
            raise PermissionError("school or course belongs to another organisation")
        self.assign_course_school(course, school)
        self._ensure_on_staff(person, school.id)
        self._sync_permissions(
            person, Suggestion(frozenset({PermissionKind.STAFF, PermissionKind.CPD_LEAD})), course
        )
        self.session.flush()

    def _insert_or_existing(self, row: T, existing: Callable[[], T | None]) -> tuple[T, bool]:
        return insert_or_existing(self.session, row, existing)

    # -- steps -------------------------------------------------------------------------------

    def _record_deployment(self, registration: PlatformRegistration, deployment_id: str) -> None:
        exists = self.session.scalar(
            select(Deployment.id).where(
                Deployment.registration_id == registration.id,
                Deployment.deployment_id == deployment_id,
            )
        )
        if exists is not None:
            return
        deployment, created = self._insert_or_existing(
            Deployment(
                registration_id=registration.id, deployment_id=deployment_id, created_via="launch"
            ),
            lambda: self.session.scalar(
                select(Deployment).where(
                    Deployment.registration_id == registration.id,
                    Deployment.deployment_id == deployment_id,
                )
            ),
        )
        if not created:
            return
        self.audit.record(
            "deployment.accepted_on_launch",
            organisation_id=registration.organisation_id,
            entity_type="deployment",
            entity_id=deployment.id,
            deployment_id=deployment_id,
            registration_id=registration.id,
        )

    def _learn_frame_origins(
        self, registration: PlatformRegistration, launch: LaunchContext
    ) -> None:
        platform = launch.claims.get("https://purl.imsglobal.org/spec/lti/claim/tool_platform")
        candidates = [
            launch.return_url,
            platform.get("url") if isinstance(platform, dict) else None,
        ]
        known = list(registration.frame_origins or [])
        added = [o for o in map(frame_origin, candidates) if o and o not in known]
        if added:
            registration.frame_origins = known + sorted(set(added))
            self.audit.record(
                "registration.frame_origin_learned",
                organisation_id=registration.organisation_id,
                entity_type="platform_registration",
                entity_id=registration.id,
                origins=sorted(set(added)),
            )

    def _upsert_person(self, registration: PlatformRegistration, launch: LaunchContext) -> Person:
        def by_sub() -> Person | None:
            return self.session.scalar(
                select(Person).where(
                    Person.registration_id == registration.id, Person.sub == launch.sub
                )
            )

        shared = {f: getattr(launch, f) for f in PERSON_FIELDS if getattr(launch, f)}
        email = email_key(shared.pop("email", None))
        # One person per e-mail in an organisation (issue 15): an address someone else has
        # (an imported person this account may not be linked to, the same member of staff's
        # account at another LMS) stays theirs; this person signs in without it.
        assert launch.sub is not None  # sign_in signs in no one without it
        found, withheld = self._returning_person(registration, launch.sub, email)
        if found is None:
            found = self._link_imported(registration, launch)
            withheld = email is not None and self._email_taken(
                registration.organisation_id, email, None if found is None else found.id
            )
        if email is not None and not withheld:
            shared["email"] = email
        if found is None:
            person, created = self._insert_or_existing(
                Person(
                    organisation_id=registration.organisation_id,
                    registration_id=registration.id,
                    sub=launch.sub,
                    **shared,
                ),
                by_sub,
            )
            if created:
                self.audit.record(
                    "person.created_from_launch",
                    organisation_id=person.organisation_id,
                    entity_type="person",
                    entity_id=person.id,
                    fields=sorted(shared),
                    **({"email_withheld": "another person has this e-mail"} if withheld else {}),
                )
                person.last_launch_at = self.clock()
                if withheld and email is not None:
                    self._ask_to_link(person, email)
                return person
        else:
            person = found
        if withheld and email is not None:
            self._ask_to_link(person, email)
        changed = {f: v for f, v in shared.items() if getattr(person, f) != v}
        for name, value in changed.items():
            setattr(person, name, value)
        if not person.active:
            person.active = True
            changed["active"] = True
        if changed:
            self.audit.record(
                "person.updated_from_launch",
                organisation_id=person.organisation_id,
                entity_type="person",
                entity_id=person.id,
                fields=sorted(changed),
            )
        person.last_launch_at = self.clock()
        return person

    def _returning_person(
        self, registration: PlatformRegistration, sub: str, email: str | None
    ) -> tuple[Person | None, bool]:
        """The person of this ``sub`` (with the staff roles and permissions sign-in checks)
        and whether someone else of the organisation has ``email``: one statement."""
        other = aliased(Person)
        taken = (
            exists()
            .where(
                other.organisation_id == registration.organisation_id,
                other.email == email,
                other.id != Person.id,
            )
            .correlate(Person)
            if email is not None
            else literal(False)
        )
        row = (
            self.session.execute(
                select(Person, taken)
                .options(joinedload(Person.staff_roles), joinedload(Person.permissions))
                .where(Person.registration_id == registration.id, Person.sub == sub)
            )
            .unique()
            .first()
        )
        if row is None:
            return None, False
        return row[0], bool(row[1])

    def _ask_to_link(self, person: Person, email: str) -> None:
        """The signed e-mail of this account belongs to someone on the staff list who has never
        launched, whom it could not be linked to by itself: ask a CPD lead or trust leader to
        confirm they are one person (once per pair; a refusal is not asked again)."""
        holder = self.session.scalar(
            select(Person).where(
                Person.organisation_id == person.organisation_id,
                Person.email == email,
                Person.id != person.id,
                Person.registration_id.is_(None),
            )
        )
        if holder is None:
            return

        def existing() -> IdentityLinkRequest | None:
            return self.session.scalar(
                select(IdentityLinkRequest).where(
                    IdentityLinkRequest.person_id == person.id,
                    IdentityLinkRequest.candidate_id == holder.id,
                )
            )

        if existing() is not None:
            return
        request, created = self._insert_or_existing(
            IdentityLinkRequest(
                organisation_id=person.organisation_id,
                person_id=person.id,
                candidate_id=holder.id,
                email=email,
            ),
            existing,
        )
        if created:
            self.audit.record(
                "person.link_requested",
                organisation_id=person.organisation_id,
                entity_type="person",
                entity_id=holder.id,
                request_id=request.id,
                lms_person_id=person.id,
            )

    def _email_taken(self, organisation_id: int, email: str, person_id: int | None) -> bool:
        """Someone of the organisation other than ``person_id`` has this (stored) e-mail."""
        query = select(Person.id).where(
            Person.organisation_id == organisation_id, Person.email == email
        )
        if person_id is not None:
            query = query.where(Person.id != person_id)
        return self.session.scalar(query.limit(1)) is not None

    def _link_imported(
        self, registration: PlatformRegistration, launch: LaunchContext
    ) -> Person | None:
        """A person on the staff list from an MIS import (no LMS identity yet) with this
        launch's email, launching for the first time: give them this LMS identity."""
        if not launch.email:
            return None
        person = self.session.scalar(
            select(Person).where(
                Person.organisation_id == registration.organisation_id,
                Person.registration_id.is_(None),
                func.lower(Person.email) == launch.email.strip().lower(),
            )
        )
        if person is None:
            return None
        if any(p.kind is not PermissionKind.STAFF and not p.revoked for p in person.permissions):
            # An e-mail can be changed by a CPD lead; a person granted more than staff is not
            # handed to whichever LMS account now shows that address. The launch signs in as
            # a new person (staff only) and asks a CPD lead or trust leader to confirm.
            self.audit.record(
                "person.link_refused",
                organisation_id=person.organisation_id,
                entity_type="person",
                entity_id=person.id,
                reason="holds permissions beyond staff",
            )
            return None
        person.registration_id = registration.id
        person.sub = launch.sub
        self.audit.record(
            "person.linked_to_lms",
            organisation_id=person.organisation_id,
            entity_type="person",
            entity_id=person.id,
            matched_by="email",
        )
        return person

    def _upsert_course(self, registration: PlatformRegistration, launch: LaunchContext) -> Course:
        def by_context() -> Course | None:
            return self.session.scalar(
                select(Course).where(
                    Course.registration_id == registration.id,
                    Course.context_id == launch.context_id,
                )
            )

        found = by_context()
        if found is not None:
            course, created = found, False
        else:
            course, created = self._insert_or_existing(
                Course(
                    organisation_id=registration.organisation_id,
                    registration_id=registration.id,
                    context_id=launch.context_id,
                    title=launch.context_title,
                    label=launch.context_label,
                ),
                by_context,
            )
        if created:
            self.audit.record(
                "course.created_from_launch",
                organisation_id=course.organisation_id,
                entity_type="course",
                entity_id=course.id,
                context_id=launch.context_id,
            )
        else:
            course.title = launch.context_title or course.title
            course.label = launch.context_label or course.label
        urn = launch.custom.get("school_urn")
        if course.school_id is None and isinstance(urn, str | int):
            school = self.session.scalar(
                select(School).where(
                    School.organisation_id == registration.organisation_id,
                    School.urn == str(urn).strip(),
                )
            )
            if school is not None:
                self.assign_course_school(course, school)
        return course

    def _ensure_on_staff(self, person: Person, school_id: int) -> None:
        if any(r.school_id == school_id and r.ended_on is None for r in person.staff_roles):
            return
        role, created = self._insert_or_existing(
            StaffRole(person_id=person.id, school_id=school_id, role=StaffRoleKind.UNASSIGNED),
            lambda: self.session.scalar(
                select(StaffRole).where(
                    StaffRole.person_id == person.id,
                    StaffRole.school_id == school_id,
                    StaffRole.role == StaffRoleKind.UNASSIGNED,
                )
            ),
        )
        self.session.refresh(person, ["staff_roles"])
        if not created:
            return
        self.audit.record(
            "staff_role.added_from_launch",
            organisation_id=person.organisation_id,
            entity_type="staff_role",
            entity_id=role.id,
            person_id=person.id,
            school_id=school_id,
            role=role.role.value,
        )

    def _sync_permissions(
        self, person: Person, suggestion: Suggestion, course: Course | None
    ) -> None:
        """Add what the LMS suggests. LMS permissions accumulate across courses; only an
        override in the tool takes one away (Canvas shows a person different roles per course,
        and a launch from one course says nothing about another)."""
        wanted: set[tuple[PermissionKind, int | None]] = {(PermissionKind.STAFF, None)}
        if PermissionKind.TRUST_LEADER in suggestion.kinds:
            wanted.add((PermissionKind.TRUST_LEADER, None))
        if PermissionKind.CPD_LEAD in suggestion.kinds and course and course.school_id:
            wanted.add((PermissionKind.CPD_LEAD, course.school_id))
        have = {
            (p.kind, p.school_id) for p in person.permissions if p.source is PermissionSource.LMS
        }
        missing = sorted(wanted - have, key=lambda w: (w[0].value, w[1] or 0))
        for kind, school_id in missing:
            permission, created = self._insert_or_existing(
                Permission(
                    person_id=person.id, kind=kind, school_id=school_id, source=PermissionSource.LMS
                ),
                lambda k=kind, sid=school_id: self.session.scalar(  # type: ignore[misc]
                    select(Permission).where(
                        Permission.person_id == person.id,
                        Permission.kind == k,
                        Permission.school_id == sid,
                        Permission.source == PermissionSource.LMS,
                    )
                ),
            )
            if not created:
                continue
            self.audit.record(
                "permission.suggested_by_lms",
                organisation_id=person.organisation_id,
                entity_type="permission",
                entity_id=permission.id,
                person_id=person.id,
                kind=kind.value,
                school_id=school_id,
            )
        if missing:
            # The launch lands the person on the page their permissions open (launch.routes).
            self.session.refresh(person, ["permissions"])
