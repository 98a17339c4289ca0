"""The LTI Advantage side of a fake Moodle or Canvas: token endpoint, NRPS, AGS, Deep Linking.

Each piece checks what the tool sends the way the real platform does, so a test passes only
if a real LMS would have accepted the request:

* :class:`FakeTokenEndpoint` verifies the client assertion's RS256 signature against the
  **tool's JWKS** registered for that client, and ``iss``/``sub``/``aud``/``iat``/``exp``/``jti``
  (against the fake clock), then issues bearer tokens for the scopes it allows. Hosted Canvas
  schools share one token endpoint; each client id gets its own tokens.
* :class:`FakeNamesRoles` serves a membership container in the platform's paging dialect:
  Canvas pages by 10 by default with ``current``/``next``/``first``/``last`` links in one header;
  Moodle returns everything unless asked for ``limit``, then pages with ``limit``/``from``.
* :class:`FakeGradebook` takes scores (checking media type, body, bearer scope, Moodle's
  timestamp rules) and line items; failures can be injected (first N calls 5xx, timeouts,
  refused connections).
* :func:`verify_deep_linking_response` is the platform's deep linking return endpoint: it
  verifies the tool's response JWT with the tool's JWKS, audience = the platform's issuer.

    http = ServiceHttp()
    lms = AdvantagePlatform(TestPlatform("canvas", clock=clock), http, clock)
    lms.trust_tool()                       # the LMS knows the tool's JWKS for its client id
    tokens = ServiceTokenClient(http, tool_signer(), clock, MemoryTokenCache())
"""

from __future__ import annotations

import functools
import json
import re
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import jwt
import requests
from jwt.algorithms import RSAAlgorithm

from lti import roles as r
from lti.ags import SCORE_MEDIA_TYPE
from lti.claims import DEEP_LINKING_SETTINGS, DEPLOYMENT_ID, MESSAGE_TYPE, VERSION
from lti.keys import ToolKeyPair, generate_key_pair, jwks
from lti.nrps import MEMBERSHIP_CONTAINER
from lti.platforms import scores_url_for
from lti.service_tokens import JWT_BEARER, Signer, tool_key_signer
from tests.support.clock import FakeClock
from tests.support.http import CannedResponse, FakeHttp, RecordedRequest
from tests.support.platform import TestPlatform

NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
LINEITEM_READONLY_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
RESULT_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
ALL_SCOPES = frozenset(
    {NRPS_SCOPE, SCORE_SCOPE, LINEITEM_SCOPE, LINEITEM_READONLY_SCOPE, RESULT_SCOPE}
)
LINEITEM_MEDIA_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEM_CONTAINER_MEDIA_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"

Handler = Callable[[RecordedRequest], CannedResponse]


# ---------------------------------------------------------------- the tool's key


@functools.cache
def tool_key() -> ToolKeyPair:
    """The tool's signing key for these tests (one per process: keys are slow to make)."""
    return generate_key_pair()


@functools.cache
def other_tool_key() -> ToolKeyPair:
    """A key the LMS does not know: what a stolen client id without the key would sign with."""
    return generate_key_pair()


def tool_jwks() -> dict[str, Any]:
    return jwks([tool_key().public_jwk])


def tool_signer(key: ToolKeyPair | None = None) -> Signer:
    key = key or tool_key()
    return tool_key_signer(key.private_pem, key.kid)


# ---------------------------------------------------------------- the network


def path_key(url: str) -> str:
    """``scheme://host/path`` of a URL: handlers match whatever the query string says."""
    parts = urlsplit(requests.Request("GET", url).prepare().url or url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def query(request: RecordedRequest) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(request.url).query, keep_blank_values=True))


def respond(
    body: Any = None, status: int = 200, headers: Mapping[str, str] | None = None
) -> CannedResponse:
    all_headers = dict(headers or {})
    payload = b""
    if body is not None:
        payload = json.dumps(body).encode()
        all_headers.setdefault("Content-Type", "application/json")
    return CannedResponse(status=status, headers=all_headers, body=payload)


class ServiceHttp(FakeHttp):
    """A FakeHttp that can also answer with a function, matched on method and URL path."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._handlers: dict[tuple[str, str], Handler] = {}
        #: One token endpoint per URL: hosted Canvas schools share theirs.
        self.token_endpoints: dict[str, FakeTokenEndpoint] = {}

    def handle(self, url: str, handler: Handler, *, method: str = "GET") -> None:
        with self._lock:
            self._handlers[(method.upper(), path_key(url))] = handler

    def _answer(self, request: requests.PreparedRequest, timeout: Any) -> CannedResponse:
        method = (request.method or "GET").upper()
        url = request.url or ""
        with self._lock:
            handler = self._handlers.get((method, path_key(url)))
        if handler is None:
            return super()._answer(request, timeout)
        body = request.body.encode() if isinstance(request.body, str) else request.body
        recorded = RecordedRequest(method, url, dict(request.headers), body, timeout)
        with self._lock:
            self.requests.append(recorded)
        return handler(recorded)


@dataclass
class Failures:
    """Failures to inject before answering normally: HTTP statuses, "timeout", "connection"."""

    planned: list[int | str] = field(default_factory=list)

    def plan(self, *failures: int | str) -> None:
        self.planned.extend(failures)

    def next(self) -> CannedResponse | None:
        if not self.planned:
            return None
        failure = self.planned.pop(0)
        if failure == "timeout":
            return CannedResponse(error=requests.ReadTimeout("read timed out"))
        if failure == "connection":
            return CannedResponse(error=requests.ConnectionError("connection refused"))
        assert isinstance(failure, int)
        headers = {"Retry-After": "30"} if failure in (429, 503) else {}
        return respond({"error": "failure injected"}, status=failure, headers=headers)


# ---------------------------------------------------------------- the token endpoint


@dataclass
class IssuedToken:
    value: str
    client_id: str
    scopes: frozenset[str]
    expires_at: datetime


@dataclass
class _Client:
    jwks: dict[str, Any]
    scopes: frozenset[str]


class FakeTokenEndpoint:
    """An LMS's OAuth 2 token endpoint for the client_credentials grant with private_key_jwt."""

    def __init__(
        self,
        http: ServiceHttp,
        url: str,
        clock: FakeClock,
        *,
        audience: str | None = None,
        lifetime: int | None = 3600,
        max_assertion_age: int = 300,
    ) -> None:
        self.url = url
        self.audience = audience or url
        self.clock = clock
        self.lifetime = lifetime
        self.max_assertion_age = max_assertion_age
        self.clients: dict[str, _Client] = {}
        self.issued: dict[str, IssuedToken] = {}
        #: Claims of every assertion that passed verification, in order.
        self.assertions: list[dict[str, Any]] = []
        #: The form of every request, verified or not.
        self.forms: list[dict[str, str]] = []
        self.failures = Failures()
        self._jtis: set[str] = set()
        http.handle(url, self._answer, method="POST")

    @classmethod
    def on(cls, http: ServiceHttp, url: str, clock: FakeClock, **kw: Any) -> FakeTokenEndpoint:
        """The endpoint at ``url``, created on first use."""
        if url not in http.token_endpoints:
            http.token_endpoints[url] = cls(http, url, clock, **kw)
        return http.token_endpoints[url]

    def register(
        self,
        client_id: str,
        tool_key_set: dict[str, Any] | None = None,
        scopes: Iterable[str] = ALL_SCOPES,
    ) -> None:
        """The LMS knows this client and its key set, and switched these services on."""
        self.clients[client_id] = _Client(tool_key_set or tool_jwks(), frozenset(scopes))

    def revoke_all(self) -> None:
        self.issued.clear()

    @property
    def count(self) -> int:
        return len(self.forms)

    # ------------------------------------------------------------ issuing

    def _answer(self, request: RecordedRequest) -> CannedResponse:
        form = dict(parse_qsl((request.body or b"").decode()))
        self.forms.append(form)
        failure = self.failures.next()
        if failure is not None:
            return failure
        if form.get("grant_type") != "client_credentials":
            return _oauth_error("unsupported_grant_type", "grant_type must be client_credentials")
        if form.get("client_assertion_type") != JWT_BEARER:
            return _oauth_error("invalid_request", "client_assertion_type must be jwt-bearer")
        requested = frozenset(form.get("scope", "").split())
        if not requested:
            # Moodle's token.php refuses a request without scope.
            return _oauth_error("invalid_request", "scope is required")
        claims_or_error = self._verify(form.get("client_assertion", ""))
        if isinstance(claims_or_error, CannedResponse):
            return claims_or_error
        client_id = claims_or_error["sub"]
        granted = requested & self.clients[client_id].scopes
        if not granted:
            return _oauth_error("invalid_scope", "none of the requested scopes is allowed")
        self.assertions.append(claims_or_error)
        value = f"token-{client_id}-{secrets.token_hex(8)}"
        lifetime = self.lifetime or 3600
        self.issued[value] = IssuedToken(
            value, client_id, granted, self.clock() + timedelta(seconds=lifetime)
        )
        body: dict[str, Any] = {
            "access_token": value,
            "token_type": "Bearer",
            "scope": " ".join(sorted(granted)),
        }
        if self.lifetime is not None:
            body["expires_in"] = self.lifetime
        return respond(body)

    def _verify(self, assertion: str) -> dict[str, Any] | CannedResponse:
        try:
            header = jwt.get_unverified_header(assertion)
            unverified = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            return _oauth_error("invalid_request", "client_assertion is not a JWT", status=400)
        client = self.clients.get(str(unverified.get("sub")))
        if client is None:
            return _oauth_error("invalid_client", "unknown client", status=401)
        jwk = next((k for k in client.jwks["keys"] if k.get("kid") == header.get("kid")), None)
        if jwk is None:
            return _oauth_error("invalid_client", "no key with that kid in the tool's JWKS")
        try:
            claims: dict[str, Any] = jwt.decode(
                assertion,
                RSAAlgorithm.from_jwk(jwk),  # type: ignore[arg-type]
                algorithms=["RS256"],
                audience=self.audience,
                issuer=unverified.get("sub"),
                # Times are checked below against the fake clock, not the real one.
                options={
                    "require": ["iss", "sub", "aud", "iat", "exp", "jti"],
                    "verify_exp": False,
                    "verify_iat": False,
                },
            )
        except jwt.PyJWTError as exc:
            return _oauth_error("invalid_client", f"client_assertion rejected: {exc}")
        now = self.clock.timestamp
        if claims["iss"] != claims["sub"]:
            return _oauth_error("invalid_client", "iss and sub must both be the client id")
        if not claims["iat"] <= now < claims["exp"]:
            return _oauth_error("invalid_client", "client_assertion expired or not yet valid")
        if now - claims["iat"] > self.max_assertion_age:
            return _oauth_error("invalid_client", "client_assertion iat too old")
        if claims["jti"] in self._jtis:
            return _oauth_error("invalid_client", "client_assertion jti already used")
        self._jtis.add(claims["jti"])
        return claims

    # ------------------------------------------------------------ checking tokens

    def authorize(
        self, request: RecordedRequest, scope: str, client_ids: Iterable[str]
    ) -> IssuedToken | CannedResponse:
        """The bearer token of a service request, or the 401/403 the LMS would answer."""
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return respond({"error": "missing bearer token"}, status=401)
        token = self.issued.get(auth[len("Bearer ") :])
        if token is None or self.clock() >= token.expires_at:
            return respond({"error": "invalid or expired token"}, status=401)
        if scope not in token.scopes:
            return respond({"error": f"token lacks {scope}"}, status=403)
        if token.client_id not in set(client_ids):
            return respond({"error": "token belongs to another client"}, status=403)
        return token


def _oauth_error(error: str, description: str, *, status: int = 400) -> CannedResponse:
    # RFC 6749 §5.2, as Canvas and Moodle answer.
    return respond({"error": error, "error_description": description}, status=status)


# ---------------------------------------------------------------- Names and Role Provisioning


def member_json(index: int, dialect: str, *, status: str | None = "Active") -> dict[str, Any]:
    """A member as the platform lists it; Moodle omits ``status``, Canvas adds legacy ids."""
    roles = [r.LEARNER] if index % 20 else [r.INSTRUCTOR]
    member: dict[str, Any] = {
        "user_id": f"user-{index:05d}",
        "roles": roles,
        "name": f"Person {index}",
        "given_name": "Person",
        "family_name": str(index),
        "email": f"person{index}@school.example",
    }
    if dialect == "canvas":
        member["lti11_legacy_user_id"] = f"legacy{index:05d}"
        member["picture"] = "https://canvas.example/avatar.png"
        member["status"] = status or "Active"
    else:
        member["lis_person_sourcedid"] = f"sis-{index}"
        if status is not None and status != "Active":
            member["status"] = status
    return member


class FakeNamesRoles:
    """A context membership service (NRPS 2.0) in Canvas's or Moodle's paging dialect."""

    def __init__(
        self,
        http: ServiceHttp,
        tokens: FakeTokenEndpoint,
        url: str,
        dialect: str,
        client_ids: Iterable[str],
        *,
        members: Sequence[Any] = (),
        context: Mapping[str, Any] | None = None,
        combined_rels: bool = False,
        differences: bool = False,
        next_link: Callable[[str], str] | None = None,
    ) -> None:
        self.url = url
        self.dialect = dialect
        self.tokens = tokens
        self.client_ids = set(client_ids)
        self.members: list[Any] = list(members)
        self.context = dict(context or {"id": "course-3", "label": "SEND101", "title": "SEND"})
        self.combined_rels = combined_rels
        self.differences = differences
        #: Rewrites each next link (to forge loops and off-site links).
        self.next_link = next_link
        self.failures = Failures()
        self.requests: list[RecordedRequest] = []
        #: The Link header sent with each page (None: no header).
        self.sent_links: list[str | None] = []
        http.handle(url, self._answer)

    def _answer(self, request: RecordedRequest) -> CannedResponse:
        self.requests.append(request)
        failure = self.failures.next()
        if failure is not None:
            return failure
        token = self.tokens.authorize(request, NRPS_SCOPE, self.client_ids)
        if isinstance(token, CannedResponse):
            return token
        if request.headers.get("Accept") != MEMBERSHIP_CONTAINER:
            return respond({"error": "not acceptable"}, status=406)
        params = query(request)
        page = self._canvas_page(params) if self.dialect == "canvas" else self._moodle_page(params)
        self.sent_links.append(page.headers.get("Link"))
        return page

    def _container(self, members: list[Any]) -> dict[str, Any]:
        return {"id": self.url, "context": self.context, "members": members}

    def _link(self, params: Mapping[str, Any]) -> str:
        return f"{self.url}?{urlencode(params)}"

    def _canvas_page(self, params: Mapping[str, str]) -> CannedResponse:
        # Canvas: 10 per page unless asked; links current, next, first, last in one header.
        size = int(params.get("limit") or params.get("per_page") or 10)
        page = int(params.get("page", "1"))
        last = max(1, -(-len(self.members) // size))
        chunk = self.members[(page - 1) * size : page * size]
        links: list[tuple[str, list[str]]] = [
            (self._link({"page": page, "per_page": size}), ["current"])
        ]
        if page < last:
            links.append((self._link({"page": page + 1, "per_page": size}), ["next"]))
        links.append((self._link({"page": 1, "per_page": size}), ["first"]))
        links.append((self._link({"page": last, "per_page": size}), ["last"]))
        return respond(self._container(chunk), headers={"Link": self._header(links, page == last)})

    def _moodle_page(self, params: Mapping[str, str]) -> CannedResponse:
        # Moodle: everything at once unless limit is given, then limit/from and rel="next" only.
        if "limit" not in params:
            return respond(self._container(self.members), headers=self._last_headers())
        size, start = int(params["limit"]), int(params.get("from", "0"))
        chunk = self.members[start : start + size]
        if start + size >= len(self.members):
            return respond(self._container(chunk), headers=self._last_headers())
        link = self._link({"limit": size, "from": start + size})
        return respond(self._container(chunk), headers={"Link": self._header([(link, ["next"])])})

    def _last_headers(self) -> dict[str, str]:
        header = self._header([], True)
        return {"Link": header} if header else {}

    def _header(self, links: list[tuple[str, list[str]]], is_last: bool = False) -> str:
        if self.next_link is not None:
            links = [(self.next_link(u) if "next" in rels else u, rels) for u, rels in links]
        if self.combined_rels:
            merged: dict[str, list[str]] = {}
            for target, rels in links:
                merged.setdefault(target, []).extend(rels)
            links = list(merged.items())
        if self.differences and is_last:
            links.append((f"{self.url}?since=2025-01-15T10%3A00%3A00Z", ["differences"]))
        return ",".join(f'<{target}>; rel="{" ".join(rels)}"' for target, rels in links)


# ---------------------------------------------------------------- Assignment and Grade Services

#: Moodle's validate_iso8601_date (mod/lti/service/gradebookservices/classes/local/service/
#: gradebookservices.php), verbatim: scores whose timestamp fails it get 400.
MOODLE_ISO8601 = re.compile(
    r"^([\+-]?\d{4}(?!\d{2}\b))((-?)((0[1-9]|1[0-2])"
    r"(\3([12]\d|0[1-9]|3[01]))?|W([0-4]\d|5[0-2])(-?[1-7])?|(00[1-9]|0[1-9]\d|[12]\d{2}|3([0-5]\d|6[1-6])))"
    r"([T\s]((([01]\d|2[0-3])((:?)[0-5]\d)?|24\:?00)([\.,]\d+(?!:))?)?(\17[0-5]\d([\.,]\d+)?)"
    r"?([zZ]|([\+-])([01]\d|2[0-3]):?([0-5]\d)?)?)?)?$"
)


@dataclass
class PostedScore:
    url: str
    content_type: str
    client_id: str
    body: dict[str, Any]


class FakeGradebook:
    """A context's line items and their scores, as Moodle or Canvas serve them."""

    def __init__(
        self,
        http: ServiceHttp,
        tokens: FakeTokenEndpoint,
        lineitems_url: str,
        dialect: str,
        client_ids: Iterable[str],
        *,
        page_size: int | None = None,
        ignores_filter: bool = False,
    ) -> None:
        self.http = http
        self.tokens = tokens
        self.lineitems_url = lineitems_url
        self.dialect = dialect
        self.client_ids = set(client_ids)
        self.page_size = page_size
        self.ignores_filter = ignores_filter
        self.items: list[dict[str, Any]] = []
        self.scores: list[PostedScore] = []
        self.failures = Failures()
        #: Last accepted timestamp per (line item, user), for Moodle's 409.
        self._latest: dict[tuple[str, str], datetime] = {}
        http.handle(lineitems_url, self._container)
        http.handle(lineitems_url, self._create, method="POST")

    # ------------------------------------------------------------ line items

    def add_item(self, label: str, resource_id: str | None, score_maximum: float = 1) -> str:
        """A line item already in the gradebook; returns its URL."""
        number = len(self.items) + 1
        if self.dialect == "moodle":
            # .../lineitems?type_id=1 -> .../lineitems/5/lineitem?type_id=1
            parts = urlsplit(self.lineitems_url)
            path = f"{parts.path}/{number}/lineitem"
            url = urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))
        else:
            url = f"{self.lineitems_url}/{number}"
        item: dict[str, Any] = {"id": url, "label": label, "scoreMaximum": score_maximum}
        if resource_id is not None:
            item["resourceId"] = resource_id
        self.items.append(item)
        self.serve_scores(url)
        return url

    def serve_scores(self, lineitem_url: str) -> None:
        expected = scores_url_for(lineitem_url)
        self.http.handle(expected, lambda request: self._score(request, expected), method="POST")

    def _container(self, request: RecordedRequest) -> CannedResponse:
        token = self.tokens.authorize(request, LINEITEM_SCOPE, self.client_ids)
        if isinstance(token, CannedResponse):
            return token
        if request.headers.get("Accept") != LINEITEM_CONTAINER_MEDIA_TYPE:
            return respond({"error": "not acceptable"}, status=406)
        params = query(request)
        items = self.items
        if "resource_id" in params and not self.ignores_filter:
            items = [i for i in items if i.get("resourceId") == params["resource_id"]]
        if self.page_size is None:
            return respond(items)
        start = int(params.get("from", "0"))
        chunk = items[start : start + self.page_size]
        headers = {}
        if start + self.page_size < len(items):
            following = {**params, "from": str(start + self.page_size)}
            base = urlunsplit((*urlsplit(self.lineitems_url)[:3], "", ""))
            headers["Link"] = f'<{base}?{urlencode(following)}>; rel="next"'
        return respond(chunk, headers=headers)

    def _create(self, request: RecordedRequest) -> CannedResponse:
        token = self.tokens.authorize(request, LINEITEM_SCOPE, self.client_ids)
        if isinstance(token, CannedResponse):
            return token
        if request.headers.get("Content-Type") != LINEITEM_MEDIA_TYPE:
            return respond({"error": "unsupported media type"}, status=415)
        body = json.loads(request.body or b"{}")
        if not isinstance(body.get("label"), str) or not body.get("scoreMaximum"):
            return respond({"error": "label and scoreMaximum are required"}, status=400)
        url = self.add_item(body["label"], body.get("resourceId"), body["scoreMaximum"])
        created = {**self.items[-1], **{k: v for k, v in body.items() if k != "id"}, "id": url}
        self.items[-1] = created
        return respond(created, status=201)

    # ------------------------------------------------------------ scores

    def _score(self, request: RecordedRequest, expected_url: str) -> CannedResponse:
        if request.url != requests.Request("GET", expected_url).prepare().url:
            # Moodle: a query string lost or misplaced finds no line item.
            return respond({"error": "no such line item"}, status=404)
        failure = self.failures.next()
        if failure is not None:
            return failure
        token = self.tokens.authorize(request, SCORE_SCOPE, self.client_ids)
        if isinstance(token, CannedResponse):
            return token
        content_type = request.headers.get("Content-Type", "")
        if content_type != SCORE_MEDIA_TYPE:
            return respond({"error": "unsupported media type"}, status=415)
        body = json.loads(request.body or b"{}")
        problem = self._check_score(body)
        if problem:
            return respond({"error": problem}, status=400)
        key = (expected_url, body["userId"])
        stamp = datetime.fromisoformat(body["timestamp"])
        # Moodle compares whole seconds and refuses anything not strictly later.
        held = self._latest.get(key) if self.dialect == "moodle" else None
        if held is not None and int(held.timestamp()) >= int(stamp.timestamp()):
            return respond({"error": "Refusing score with an earlier timestamp"}, status=409)
        self._latest[key] = stamp
        self.scores.append(PostedScore(request.url, content_type, token.client_id, body))
        # Canvas answers 200 with a result URL; Moodle 200 with an empty body.
        if self.dialect == "canvas":
            return respond({"resultUrl": f"{expected_url[: -len('/scores')]}/results/1"})
        return CannedResponse(status=200)

    @staticmethod
    def _check_score(body: Mapping[str, Any]) -> str | None:
        for name in ("userId", "timestamp", "activityProgress", "gradingProgress"):
            if name not in body:
                return f"{name} is required"
        if not MOODLE_ISO8601.match(body["timestamp"]):
            return "timestamp is not ISO 8601"
        if "scoreGiven" in body and "scoreMaximum" not in body:
            return "scoreMaximum is required with scoreGiven"
        return None


# ---------------------------------------------------------------- Deep Linking return


def verify_deep_linking_response(
    platform: TestPlatform,
    form: Mapping[str, str],
    *,
    clock: FakeClock,
    tool_key_set: Mapping[str, Any] | None = None,
    expected_data: Any = None,
) -> dict[str, Any]:
    """What the platform's deep linking return endpoint does with the posted form.

    Verifies the ``JWT`` with the tool's JWKS (kid from the header), ``aud`` = the platform's
    issuer, ``iss`` = the client id, times against the fake clock, the LTI claims, and the
    ``data`` echo. Returns the verified claims; raises AssertionError with the reason otherwise.
    """
    token = form["JWT"]
    key_set = tool_key_set or tool_jwks()
    kid = jwt.get_unverified_header(token).get("kid")
    jwk = next((k for k in key_set["keys"] if k.get("kid") == kid), None)
    assert jwk is not None, f"kid {kid!r} is not in the tool's JWKS"
    claims: dict[str, Any] = jwt.decode(
        token,
        RSAAlgorithm.from_jwk(jwk),  # type: ignore[arg-type]
        algorithms=["RS256"],
        audience=platform.issuer,
        issuer=platform.client_id,
        options={
            "require": ["iss", "aud", "iat", "exp", "nonce"],
            "verify_exp": False,
            "verify_iat": False,
        },
    )
    now = clock.timestamp
    assert claims["iat"] <= now < claims["exp"], "response expired or from the future"
    assert now - claims["iat"] <= 300, "Canvas refuses a response issued over 5 minutes ago"
    assert claims[MESSAGE_TYPE] == "LtiDeepLinkingResponse"
    assert claims[VERSION] == "1.3.0"
    assert claims[DEPLOYMENT_ID] == platform.deployment_id
    data_claim = "https://purl.imsglobal.org/spec/lti-dl/claim/data"
    if expected_data is not None:
        assert claims.get(data_claim) == expected_data, "data was not echoed unchanged"
    else:
        assert data_claim not in claims
    items = claims.get("https://purl.imsglobal.org/spec/lti-dl/claim/content_items", [])
    if platform.dialect == "moodle":
        # Moodle takes ltiResourceLink items only.
        assert all(item.get("type") == "ltiResourceLink" for item in items)
    return claims


def deep_linking_settings(platform: TestPlatform, **changes: Any) -> dict[str, Any]:
    """The deep_linking_settings claim this platform sends, with ``changes`` applied."""
    claims = platform.claims(nonce="n", message_type="LtiDeepLinkingRequest")
    settings: dict[str, Any] = dict(claims[DEEP_LINKING_SETTINGS])
    for name, value in changes.items():
        if value is None:
            settings.pop(name, None)
        else:
            settings[name] = value
    return settings


# ---------------------------------------------------------------- one LMS


class AdvantagePlatform:
    """One TestPlatform's Advantage services on a ServiceHttp."""

    def __init__(
        self,
        platform: TestPlatform,
        http: ServiceHttp,
        clock: FakeClock,
        *,
        members: Sequence[Any] = (),
        **nrps_options: Any,
    ) -> None:
        self.platform = platform
        self.http = http
        self.clock = clock
        self.tokens = FakeTokenEndpoint.on(http, platform.auth_token_url, clock)
        claims = platform.claims(nonce="n")
        self.memberships_url: str = claims[
            "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
        ]["context_memberships_url"]
        ags = claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]
        self.lineitems_url: str = ags["lineitems"]
        self.nrps = FakeNamesRoles(
            http,
            self.tokens,
            self.memberships_url,
            platform.dialect,
            [platform.client_id],
            members=members,
            **nrps_options,
        )
        self.gradebook = FakeGradebook(
            http, self.tokens, self.lineitems_url, platform.dialect, [platform.client_id]
        )

    def trust_tool(
        self, key_set: dict[str, Any] | None = None, scopes: Iterable[str] = ALL_SCOPES
    ) -> None:
        """Register the tool's client id and JWKS at the token endpoint."""
        self.tokens.register(self.platform.client_id, key_set, scopes)
