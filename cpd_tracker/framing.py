"""Who may frame a response (CSP ``frame-ancestors``), decided per response.

Never from a per-process cache that another worker could hold stale after a registration:
this tool's own origin, plus

* on a page of an organisation (someone signed in, or a launch just made), the origins of
  **that organisation's** registered platforms: each registration's issuer and login URL
  origins and the origins learned from its launches (a hosted Canvas frames the tool from the
  school's own host, not from its issuer). Another organisation's LMS cannot frame it;
* origins a view adds for its one response with :func:`allow_framing_by`: the Dynamic
  Registration page allows the LMS being registered (Moodle and Canvas open it in an iframe
  on their own site, and that LMS is by definition not registered yet); a refused launch
  allows the LMS that sent it, so its administrator sees the reason rather than a grey box.
"""

from __future__ import annotations

from flask import g
from sqlalchemy import select

from cpd_tracker.auth import shown_organisation_id
from cpd_tracker.extensions import db
from cpd_tracker.models import PlatformRegistration
from cpd_tracker.outage import DATABASE_ERRORS, database_down, mark_database_down
from cpd_tracker.services.identity import frame_origin
from lti.platforms import canvas


def allow_framing_by(*urls: object) -> None:
    """Let the https origins of ``urls`` frame this one response (in addition to the rest)."""
    extra: set[str] = g.setdefault("frame_origins", set())
    extra.update(o for o in map(frame_origin, urls) if o)


def organisation_origins(organisation_id: int) -> set[str]:
    """The origins from which the platforms registered to one organisation frame the tool."""
    found: set[str] = set()
    for issuer, login, learned in db.session.execute(
        select(
            PlatformRegistration.issuer,
            PlatformRegistration.auth_login_url,
            PlatformRegistration.frame_origins,
        ).where(
            PlatformRegistration.organisation_id == organisation_id,
            PlatformRegistration.approved_at.is_not(None),
        )
    ):
        found.update(o for o in map(frame_origin, (issuer, login, *(learned or []))) if o)
    return found


def login_frame_origins(issuer: str, client_id: str | None, referrer: str | None) -> list[str]:
    """Who may frame a login step's page (Platform Storage, before anyone is signed in): the
    approved registration's own origins, and for hosted Canvas the school's Canvas host the
    login came from (``Referer``), which no launch may have taught us yet."""
    query = select(
        PlatformRegistration.issuer,
        PlatformRegistration.auth_login_url,
        PlatformRegistration.frame_origins,
    ).where(
        PlatformRegistration.issuer == issuer[:255],
        PlatformRegistration.approved_at.is_not(None),
    )
    if client_id:
        query = query.where(PlatformRegistration.client_id == client_id[:255])
    urls: list[object] = []
    for row_issuer, login, learned in db.session.execute(query.limit(2)):
        urls += [row_issuer, login, *(learned or [])]
        environment = canvas.environment_of(row_issuer)
        if referrer and environment and canvas.is_instructure_url(referrer, environment):
            urls.append(referrer)
    return [o for o in map(frame_origin, urls) if o]


def frame_ancestors() -> list[str]:
    origins: set[str] = set(g.get("frame_origins", ()))
    organisation_id = None if database_down() else shown_organisation_id()
    if organisation_id is not None:
        try:
            origins |= organisation_origins(organisation_id)
        except DATABASE_ERRORS as exc:
            # No database: this response may be framed by this tool only (its LMS shows the
            # tool's 503 in a new tab, or a grey box, until the database is back).
            mark_database_down(exc)
    return ["'self'", *sorted(origins)]
