"""Reading a course's members: 1EdTech Names and Role Provisioning Services 2.0.

The launch's ``namesroleservice`` claim (NRPS 2.0 §3.6.1) gives ``context_memberships_url``. A
GET with ``Accept: application/vnd.ims.lti-nrps.v2.membershipcontainer+json`` (§2.4) and a token
for the ``contextmembership.readonly`` scope (Security Framework 1.0 §4.1) returns the membership
container (§2.1): ``id``, the ``context`` (``id``, ``label``, ``title``) and ``members``, each
with ``user_id``, ``roles``, ``status`` (``Active`` when absent) and the personal fields the
platform's privacy settings allow. ``limit`` asks for a page size and pages are chained with
``Link: <...>; rel="next"`` (§2.4.2); a response may carry ``rel="differences"``, a URL for the
changes since this read (§2.4.3). Members queried for a resource link carry a ``message``
section (§3.2).

Platform facts this module lives with:

* Canvas pages by 10 by default and sends several links in one ``Link`` header (``current``,
  ``next``, ``first``, ``last``) (LTI.md, "Canvas as a platform"); links may also carry several
  relations at once (``rel="current next"``, RFC 8288 §3.3). Canvas sends
  ``lti11_legacy_user_id`` on members of tools migrated from LTI 1.1.
* Moodle returns every member on one page unless ``limit`` is given, then pages with
  ``limit`` and ``from`` (``mod/lti/service/memberships``).
* Either may leave ``status`` out, and either may send members the tool cannot use (no
  ``user_id``): those are skipped and counted, never fatal to the whole roster.

The next page's URL comes from the platform's header, so it must stay on the same origin as the
memberships URL: the bearer token is never sent anywhere else.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from lti.advantage_errors import NamesRolesError, ServiceTokenError
from lti.claims import LTI11_LEGACY_USER_ID
from lti.http import HttpClient, HttpError
from lti.registration import Registration
from lti.roles import Roles
from lti.service_tokens import (
    ServiceTokenClient,
    authorized_request,
    json_object,
    parse_links,
    same_origin,
    service_error,
)
from lti.urls import with_query

MEMBERSHIP_CONTAINER = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
SCOPE_MEMBERSHIP_READONLY = (
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
)
ACTIVE, INACTIVE, DELETED = "Active", "Inactive", "Deleted"
_STATUSES = {s.lower(): s for s in (ACTIVE, INACTIVE, DELETED)}
#: LTI Core 1.3 §5.3.6 caps ``sub`` at 255 characters; NRPS ``user_id`` is the same value.
MAX_USER_ID = 255

_HINT_PERMISSION = (
    "Switch on the names and roles service for this tool in the LMS (Moodle: the tool's “IMS "
    "LTI Names and Role Provisioning” setting; Canvas: the developer key's LTI Advantage "
    "services), then launch the tool from the course again."
)


@dataclass(frozen=True)
class Member:
    """One person in the course, as the platform lists them."""

    user_id: str
    #: ``Active``, ``Inactive`` or ``Deleted`` (other values are kept as sent).
    status: str
    roles: Roles
    name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None
    lis_person_sourcedid: str | None = None
    lti11_legacy_user_id: str | None = None

    @property
    def is_active(self) -> bool:
        return self.status == ACTIVE


@dataclass(frozen=True)
class MembershipContext:
    """The course the membership belongs to (NRPS 2.0 §2.1, ``context``)."""

    id: str
    label: str | None = None
    title: str | None = None


class Membership(Iterator[Member]):
    """The members of a course, read page by page as they are iterated.

    After (or during) iteration: ``context`` is the course from the first page,
    ``differences_url`` the ``rel="differences"`` link if the platform sent one, ``skipped``
    how many entries had no usable ``user_id``, ``duplicates`` how many repeated a member
    already returned (a roster that changed between pages), ``pages`` how many pages were read.
    """

    def __init__(
        self,
        http: HttpClient,
        tokens: ServiceTokenClient,
        registration: Registration,
        url: str,
        max_pages: int,
    ) -> None:
        self._http = http
        self._tokens = tokens
        self._registration = registration
        self._origin = url
        self._max_pages = max_pages
        self.context: MembershipContext | None = None
        self.differences_url: str | None = None
        self.skipped = 0
        self.duplicates = 0
        self.pages = 0
        self._members = self._read(url)

    def __next__(self) -> Member:
        return next(self._members)

    def _read(self, url: str | None) -> Iterator[Member]:
        seen_urls: set[str] = set()
        seen_users: set[str] = set()
        while url is not None:
            if url in seen_urls:
                raise self._error(f"its page links loop back to {url}")
            if self.pages >= self._max_pages:
                raise self._error(f"it has more than {self._max_pages} pages")
            seen_urls.add(url)
            body, links = self._page(url)
            self.pages += 1
            if self.context is None:
                self.context = _context(body.get("context"))
            self.differences_url = links.get("differences", self.differences_url)
            for raw in body["members"]:
                member = member_from_json(raw)
                if member is None:
                    self.skipped += 1
                elif member.user_id in seen_users:
                    self.duplicates += 1
                else:
                    seen_users.add(member.user_id)
                    yield member
            url = links.get("next")
            if url is not None and not same_origin(url, self._origin):
                raise self._error(f"its next page is on another site ({url[:200]})")

    def _page(self, url: str) -> tuple[dict[str, Any], dict[str, str]]:
        try:
            response = authorized_request(
                self._http,
                self._tokens,
                self._registration,
                [SCOPE_MEMBERSHIP_READONLY],
                "GET",
                url,
                headers={"Accept": MEMBERSHIP_CONTAINER},
            )
        except (ServiceTokenError, HttpError) as exc:
            what = f"The LMS's member list at {url[:200]} could not be read"
            hints = {401: _HINT_PERMISSION, 403: _HINT_PERMISSION}
            raise service_error(NamesRolesError, what, exc, hints=hints) from exc
        body = json_object(response)
        if body is None or not isinstance(body.get("members", []), list):
            raise self._error("a page is not a membership container", status=response.status_code)
        body.setdefault("members", [])
        return body, parse_links(response.headers.get("Link"), url)

    def _error(self, detail: str, *, status: int | None = None) -> NamesRolesError:
        return NamesRolesError(
            f"The LMS's member list at {self._origin[:200]} could not be read: {detail}.",
            hint="This is a fault in the LMS's names and roles service; report it to its admin.",
            platform_status=status,
        )


class NamesRolesClient:
    """Reads course memberships through NRPS 2.0."""

    def __init__(self, http: HttpClient, tokens: ServiceTokenClient) -> None:
        self._http = http
        self._tokens = tokens

    def members(
        self,
        registration: Registration,
        context_memberships_url: str,
        *,
        limit: int | None = None,
        max_pages: int = 500,
    ) -> Membership:
        """The course's members, fetched lazily page by page (an iterator of :class:`Member`).

        ``limit`` asks the platform for pages of that size (a hint: platforms may cap it).
        ``max_pages`` guards against a platform whose ``next`` links never end.
        """
        if limit is not None and limit < 1:
            raise ValueError("limit must be at least 1")
        if max_pages < 1:
            raise ValueError("max_pages must be at least 1")
        url = context_memberships_url
        if limit is not None:
            url = with_query(url, {"limit": str(limit)})
        return Membership(self._http, self._tokens, registration, url, max_pages)


def member_from_json(raw: object) -> Member | None:
    """A :class:`Member` from one entry of ``members``, or None when it has no usable user_id."""
    if not isinstance(raw, Mapping):
        return None
    user_id = raw.get("user_id")
    if isinstance(user_id, bool) or not isinstance(user_id, str | int):
        return None
    user_id = str(user_id)
    if not user_id.strip() or len(user_id) > MAX_USER_ID:
        return None
    status = _text(raw.get("status")) or ACTIVE
    return Member(
        user_id=user_id,
        status=_STATUSES.get(status.lower(), status),
        roles=Roles.parse(raw.get("roles")),
        name=_text(raw.get("name")),
        given_name=_text(raw.get("given_name")),
        family_name=_text(raw.get("family_name")),
        email=_text(raw.get("email")),
        lis_person_sourcedid=_text(raw.get("lis_person_sourcedid")),
        lti11_legacy_user_id=_legacy_id(raw),
    )


def _legacy_id(raw: Mapping[str, Any]) -> str | None:
    """Top-level ``lti11_legacy_user_id`` (Canvas), else the claim inside ``message`` (§3.2)."""
    direct = _text(raw.get("lti11_legacy_user_id"))
    messages = raw.get("message")
    if direct or not isinstance(messages, list):
        return direct
    for message in messages:
        legacy = _text(message.get(LTI11_LEGACY_USER_ID)) if isinstance(message, Mapping) else None
        if legacy:
            return legacy
    return None


def _context(raw: object) -> MembershipContext | None:
    if not isinstance(raw, Mapping):
        return None
    context_id = raw.get("id")
    if isinstance(context_id, bool) or not isinstance(context_id, str | int):
        return None
    return MembershipContext(
        id=str(context_id), label=_text(raw.get("label")), title=_text(raw.get("title"))
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
