"""Who is signed in: the launch session, carried by cookie or, when the LMS iframe's cookies are
blocked, by a short-lived signed token in links and forms (``lt``).

Flask-Login holds the signed-in person through ``request_loader`` only: every request proves
itself afresh, from the Partitioned session cookie or from the token, so nothing depends on a
cookie surviving the iframe.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, g, request, session
from flask_login import AnonymousUserMixin
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import HTTPException

from cpd_tracker.extensions import db, login_manager
from cpd_tracker.models import Permission, PermissionKind, PermissionSource, Person
from cpd_tracker.registry import clock

TOKEN_PARAM = "lt"  # noqa: S105 - a parameter name, not a secret
TOKEN_HEADER = "X-Launch-Token"  # noqa: S105
SESSION_KEY = "launch"


@dataclass(frozen=True)
class LaunchSession:
    person_id: int
    organisation_id: int
    #: The course launched from, if any (decides the "current school" for a CPD lead).
    course_id: int | None
    #: A random id per launch: binds CSRF tokens to this launch.
    sid: str
    #: The LMS named this person an instructor in that course (may map it to a school).
    course_instructor: bool = False
    #: When the launch happened (milliseconds since the epoch): the session ends a fixed time
    #: after it, however often its token is renewed (``SESSION_LIFETIME``).
    started_ms: int = 0
    #: The LMS named this person its administrator at this launch.
    lms_admin: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "p": self.person_id,
            "o": self.organisation_id,
            "c": self.course_id,
            "s": self.sid,
            "i": self.course_instructor,
            "t": self.started_ms,
            "a": self.lms_admin,
        }

    @classmethod
    def from_dict(cls, data: object) -> LaunchSession | None:
        if not isinstance(data, dict):
            return None
        person, org, course, sid = data.get("p"), data.get("o"), data.get("c"), data.get("s")
        started = data.get("t")
        if not (isinstance(person, int) and isinstance(org, int) and isinstance(sid, str)):
            return None
        if course is not None and not isinstance(course, int):
            return None
        if not isinstance(started, int) or isinstance(started, bool):
            return None  # a session from before sessions had an end: launch again
        return cls(person, org, course, sid, data.get("i") is True, started, data.get("a") is True)

    @classmethod
    def new(
        cls,
        person_id: int,
        organisation_id: int,
        course_id: int | None,
        course_instructor: bool = False,
        lms_admin: bool = False,
    ) -> LaunchSession:
        return cls(
            person_id,
            organisation_id,
            course_id,
            secrets.token_urlsafe(16),
            course_instructor,
            epoch_ms(clock()),
            lms_admin,
        )

    def ended(self, now: dt.datetime, lifetime: dt.timedelta) -> bool:
        return epoch_ms(now) >= self.started_ms + int(lifetime.total_seconds() * 1000)


def epoch_ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="launch-session")


def issue_token(launch: LaunchSession) -> str:
    return _serializer().dumps(launch.to_dict())


def read_token(token: str) -> LaunchSession | None:
    """The launch a token names, while both the token (an hour) and its session (a working
    day from the launch) last: a token renewed in every link still ends with its session."""
    try:
        data = _serializer().loads(token, max_age=current_app.config["LAUNCH_TOKEN_MAX_AGE"])
    except BadSignature:
        return None
    return _live(LaunchSession.from_dict(data))


def _live(launch: LaunchSession | None) -> LaunchSession | None:
    if launch is None or launch.ended(clock(), current_app.config["SESSION_LIFETIME"]):
        return None
    return launch


def start_session(launch: LaunchSession) -> str:
    """Sign the person in (cookie and token) and return the token for the first redirect."""
    session.clear()
    session[SESSION_KEY] = launch.to_dict()
    session.permanent = False
    return issue_token(launch)


@dataclass(frozen=True)
class Grant:
    kind: PermissionKind
    school_id: int | None


class CurrentUser:
    """The signed-in person as the views see them: identity, organisation, permissions."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, person: Person, launch: LaunchSession, grants: frozenset[Grant]) -> None:
        self.person = person
        self.launch = launch
        self.grants = grants

    def get_id(self) -> str:
        return str(self.person.id)

    @property
    def id(self) -> int:
        return self.person.id

    @property
    def organisation_id(self) -> int:
        return self.person.organisation_id

    @property
    def display_name(self) -> str:
        return self.person.display_name

    @property
    def is_trust_leader(self) -> bool:
        return Grant(PermissionKind.TRUST_LEADER, None) in self.grants

    @property
    def is_finance(self) -> bool:
        return Grant(PermissionKind.FINANCE, None) in self.grants

    @property
    def may_see_trust_money(self) -> bool:
        """Trust-wide training spend and memberships: trust leaders and finance only."""
        return self.is_trust_leader or self.is_finance

    def cpd_lead_school_ids(self) -> frozenset[int]:
        return frozenset(
            g.school_id
            for g in self.grants
            if g.kind is PermissionKind.CPD_LEAD and g.school_id is not None
        )

    def may_lead_school(self, school_id: int) -> bool:
        """CPD leads see their own schools; trust leaders every school of their organisation
        (the caller has already checked the school belongs to this organisation)."""
        return self.is_trust_leader or school_id in self.cpd_lead_school_ids()


def outranks(target: frozenset[Grant], acting: frozenset[Grant]) -> bool:
    """Whether a person holding ``target`` may do something ``acting`` may not: then the
    acting person may not change who the target is (e-mail, staff number) or what they may
    do. A trust leader is outranked by nobody; a CPD lead by trust leaders, finance and the
    CPD leads of schools they do not lead."""
    if Grant(PermissionKind.TRUST_LEADER, None) in acting:
        return False
    return any(grant.kind is not PermissionKind.STAFF and grant not in acting for grant in target)


def effective_grants(permissions: list[Permission]) -> frozenset[Grant]:
    """LMS suggestions plus overrides granted, minus overrides revoked."""
    granted = {Grant(p.kind, p.school_id) for p in permissions if not p.revoked}
    revoked = {
        Grant(p.kind, p.school_id)
        for p in permissions
        if p.revoked and p.source is PermissionSource.OVERRIDE
    }
    return frozenset(granted - revoked)


def landing_endpoint(grants: frozenset[Grant]) -> str:
    """The page a person's permissions open on: the trust's overview for a trust leader, the
    school's for a CPD lead, their own training for everyone else (``home.index``, and a
    launch, which sends the browser there directly rather than through ``/``)."""
    if Grant(PermissionKind.TRUST_LEADER, None) in grants:
        return "reports.trust"
    if any(g.kind is PermissionKind.CPD_LEAD and g.school_id is not None for g in grants):
        return "reports.school"
    return "training.my_training"


def _token_in_request() -> str | None:
    try:
        form_token = request.form.get(TOKEN_PARAM) if request.method == "POST" else None
    except HTTPException:
        # An unreadable body (too large, malformed) is answered elsewhere; it carries no token.
        form_token = None
    return request.args.get(TOKEN_PARAM) or form_token or request.headers.get(TOKEN_HEADER)


def _launch_from_request() -> LaunchSession | None:
    token = _token_in_request()
    cookie_launch = _live(LaunchSession.from_dict(session.get(SESSION_KEY)))
    g.launch_token = None
    if token:
        # A token names the launch this page belongs to; it wins over a cookie that another
        # tab's launch may have overwritten.
        launch = read_token(token)
        if launch is not None:
            if launch != cookie_launch:
                # Cookies are not reaching us: carry a fresh token in every link and form.
                g.launch_token = issue_token(launch)
            return launch
    return cookie_launch


def _load_user(_request: object) -> CurrentUser | None:
    launch = _launch_from_request()
    if launch is None or g.get("database_down"):
        return None
    # One statement for what every page reads: the person, their permissions and the
    # organisation's name (the header).
    person = (
        db.session.scalars(
            select(Person)
            .options(joinedload(Person.permissions), joinedload(Person.organisation))
            .where(
                Person.id == launch.person_id,
                Person.organisation_id == launch.organisation_id,
                Person.active.is_(True),
            )
        )
        .unique()
        .first()
    )
    if person is None:
        return None
    ended = person.sessions_valid_after
    if ended is not None and launch.started_ms <= epoch_ms(ended):
        return None  # signed out, or permissions taken away, since this launch
    return CurrentUser(person, launch, effective_grants(list(person.permissions)))


def end_sessions(person: Person, now: dt.datetime) -> None:
    """End every session of ``person`` started until now (cookie and token alike): sign-out,
    and a permission taken away. The next launch from the LMS starts a new one."""
    person.sessions_valid_after = now


def shown_organisation_id() -> int | None:
    """The organisation a response belongs to, for its framing policy: the signed-in person's
    when the request loaded one, otherwise the launch this browser carries (no query)."""
    if "_login_user" in g:
        user = g._login_user
        return user.organisation_id if isinstance(user, CurrentUser) else None
    token = _token_in_request()
    launch = read_token(token) if token else None
    if launch is None:
        launch = _live(LaunchSession.from_dict(session.get(SESSION_KEY)))
    return launch.organisation_id if launch else None


class Anonymous(AnonymousUserMixin):  # type: ignore[misc]
    display_name = None
    grants: frozenset[Grant] = frozenset()
    is_trust_leader = False
    is_finance = False
    may_see_trust_money = False


def init_auth(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.request_loader(_load_user)
    login_manager.anonymous_user = Anonymous
    login_manager.session_protection = None
