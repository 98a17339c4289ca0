"""Access tokens for the LTI Advantage services, and the authorised call every service makes.

1EdTech Security Framework 1.0 §4.1 ("Using JSON Web Tokens with OAuth 2.0 Client Credentials
Grant"): the tool asks the platform's token endpoint for a bearer token with the
``client_credentials`` grant, authenticating with a ``private_key_jwt`` client assertion
(RFC 7523 §2.2) signed by its own current key. The assertion carries ``iss = sub = client_id``,
``aud`` = the token endpoint (or the audience the platform names, ``Registration.auth_audience``),
``iat``, ``exp`` and a fresh ``jti``. The answer is RFC 6749 §5.1 JSON (``access_token``,
``token_type: Bearer``, ``expires_in``, ``scope``); refusals are RFC 6749 §5.2 JSON (``error``,
``error_description``).

Tokens are cached per **(issuer, client_id, scopes)** until ``expires_in`` minus a margin: every
hosted Canvas shares ``iss = https://canvas.instructure.com``, so a cache keyed by issuer alone
(as pylti1p3's is) hands one school's token to another (LTI.md, "Keys and outbound calls").

Platform facts this module lives with:

* Canvas checks the assertion with ``Canvas::Security::JwtValidator`` (canvas-lms
  ``lib/canvas/security/jwt_validator.rb`` and its spec): ``sub``, ``aud``, ``iat``, ``exp`` and
  ``jti`` required, a ``jti`` seen before refused, an ``iat`` in the future refused. So every
  assertion gets a fresh ``jti``, is dated by the injected clock (servers must keep NTP time)
  and lives :data:`ASSERTION_LIFETIME`.
* Moodle's ``mod/lti/token.php`` needs a non-empty ``scope`` and grants only the scopes switched
  on for the tool; it answers ``{"error": "invalid_scope"}`` when none are.

:func:`authorized_request` is the one way the service clients (:mod:`lti.nrps`, :mod:`lti.ags`)
call a platform: a bearer token, https only, and one retry with a fresh token when a cached one
is refused with 401 (platforms revoke tokens early, e.g. when a developer key is re-saved).
"""

from __future__ import annotations

import ipaddress
import json
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar
from urllib.parse import urljoin, urlsplit

import requests
from requests.utils import parse_header_links

from lti.advantage_errors import AdvantageServiceError, ServiceTokenError
from lti.http import HttpClient, HttpError
from lti.keys import sign_jwt
from lti.registration import Registration
from lti.registration_errors import platform_reason

CLIENT_CREDENTIALS = "client_credentials"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: How long a client assertion is valid: it is used once, straight away.
ASSERTION_LIFETIME = timedelta(minutes=5)
#: Refresh a token this long before the platform says it expires (clock drift, slow calls).
DEFAULT_MARGIN = timedelta(seconds=60)
#: Assumed lifetime when the platform omits ``expires_in`` (RFC 6749 makes it RECOMMENDED only).
DEFAULT_LIFETIME = timedelta(minutes=5)

#: A cache key: (issuer, client_id, scopes).
TokenKey = tuple[str, str, frozenset[str]]
Signer = Callable[[dict[str, Any]], str]
E = TypeVar("E", bound=AdvantageServiceError)


# ---------------------------------------------------------------- small shared rules


def is_secure_url(url: str) -> bool:
    """Whether ``url`` may carry a bearer token or a signed message: https, or http to loopback.

    Loopback http is allowed for local LMS installs in development; anything else in clear text
    would expose the token to the network.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if not parts.hostname or parts.username is not None or parts.password is not None:
        return False
    if parts.scheme == "https":
        return True
    if parts.scheme != "http":
        return False
    host = parts.hostname.lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_DEFAULT_PORTS = {"http": 80, "https": 443}


def same_origin(url: str, other: str) -> bool:
    """Whether two absolute URLs share scheme, host and port (default ports made explicit)."""

    def origin(value: str) -> tuple[str, str | None, int | None]:
        parts = urlsplit(value)
        return parts.scheme, parts.hostname, parts.port or _DEFAULT_PORTS.get(parts.scheme)

    try:
        return origin(url) == origin(other)
    except ValueError:
        return False


def parse_links(header: str | None, base_url: str) -> dict[str, str]:
    """RFC 8288 ``Link`` header as {relation: absolute URL}; the first link of a relation wins.

    One header may hold several links (Canvas sends ``current``, ``next``, ``first`` and
    ``last`` together) and one link several space-separated relations (``rel="current next"``).
    Relative references are resolved against ``base_url``; relation names are case-insensitive.
    """
    links: dict[str, str] = {}
    if not header:
        return links
    for link in parse_header_links(header):
        target = link.get("url", "").strip()
        if not target:
            continue
        for rel in link.get("rel", "").lower().split():
            links.setdefault(rel, urljoin(base_url, target))
    return links


@dataclass(frozen=True)
class ServiceFailure:
    """What an :class:`~lti.http.HttpError` says about whether to try again."""

    retryable: bool
    status: int | None
    reason: str | None
    retry_after: float | None


class InsecureServiceUrl(HttpError):
    """A service URL that would carry a bearer token in clear text; nothing was sent."""


def describe_failure(exc: HttpError) -> ServiceFailure:
    """Classify a failed call: no answer, 408, 429 and 5xx are worth retrying; other 4xx not."""
    if isinstance(exc, InsecureServiceUrl):
        return ServiceFailure(False, None, str(exc), None)
    status = exc.status
    if status is None or exc.response is None:
        # No answer: a timeout or a busy tool may pass; a refused address or an oversized
        # answer will not until someone changes the registration (HttpError.retryable).
        return ServiceFailure(exc.retryable, status, None if exc.retryable else str(exc), None)
    retryable = status >= 500 or status in (408, 429)
    return ServiceFailure(
        retryable, status, platform_reason(exc.response), _retry_after(exc.response)
    )


#: For a refusal that sending again will not change (any 4xx but 408 and 429).
PERMANENT_HINT = (
    "The LMS refused this request, so trying again will not help until something is changed "
    "in the LMS: its reason is quoted above. Ask your LMS administrator to check the tool's "
    "settings and services there."
)


def service_error(
    cls: type[E],
    what: str,
    exc: HttpError | ServiceTokenError,
    *,
    hints: Mapping[int, str] | None = None,
) -> E:
    """``exc`` as the service's own error: ``what`` failed, why, and whether to retry.

    ``hints`` maps a platform status (401, 404 ...) to what an admin should do about it.
    """
    if isinstance(exc, ServiceTokenError):
        return cls(
            f"{what}: {exc.message}",
            hint=exc.hint,
            retryable=exc.retryable,
            platform_status=exc.platform_status,
            platform_reason=exc.platform_reason,
            retry_after=exc.retry_after,
        )
    failure = describe_failure(exc)
    if failure.status is None:
        detail = failure.reason or str(exc)
    else:
        detail = f"HTTP {failure.status}" + (f": {failure.reason}" if failure.reason else "")
    hint = (hints or {}).get(failure.status or 0)
    if hint is None and not failure.retryable:
        hint = PERMANENT_HINT
    return cls(
        f"{what} ({detail}).",
        hint=hint,
        retryable=failure.retryable,
        platform_status=failure.status,
        platform_reason=failure.reason,
        retry_after=failure.retry_after,
    )


def _retry_after(response: requests.Response) -> float | None:
    # Only the delta-seconds form; an HTTP-date would need the platform's clock.
    value = response.headers.get("Retry-After", "").strip()
    return float(value) if value.isdigit() else None


def json_object(response: requests.Response) -> dict[str, Any] | None:
    """The response body as a JSON object, or None when it is anything else."""
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


# ---------------------------------------------------------------- the cache


@dataclass(frozen=True)
class AccessToken:
    value: str
    issued_at: datetime
    #: When the platform says the token stops working.
    expires_at: datetime
    #: When the tool stops using it and asks for a new one (before ``expires_at``).
    refresh_at: datetime
    #: Scopes the platform says it granted (the requested ones when it did not say).
    scopes: frozenset[str]


class TokenCache(Protocol):
    """Where access tokens live between calls; a shared store lets every worker reuse one."""

    def get(self, key: TokenKey) -> AccessToken | None: ...

    def put(self, key: TokenKey, token: AccessToken) -> None: ...

    def discard(self, key: TokenKey) -> None: ...


class MemoryTokenCache:
    """A per-process token cache, safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[TokenKey, AccessToken] = {}

    def get(self, key: TokenKey) -> AccessToken | None:
        with self._lock:
            return self._tokens.get(key)

    def put(self, key: TokenKey, token: AccessToken) -> None:
        with self._lock:
            # Drop tokens that expired before this one was issued: the cache stays small.
            stale = [k for k, t in self._tokens.items() if t.expires_at <= token.issued_at]
            for k in stale:
                del self._tokens[k]
            self._tokens[key] = token

    def discard(self, key: TokenKey) -> None:
        with self._lock:
            self._tokens.pop(key, None)


# ---------------------------------------------------------------- the client


def tool_key_signer(private_pem: bytes, kid: str, passphrase: bytes | None = None) -> Signer:
    """A ``signer`` for :class:`ServiceTokenClient` that signs with one of the tool's keys."""

    def sign(claims: dict[str, Any]) -> str:
        return sign_jwt(claims, private_pem, kid, passphrase)

    return sign


class ServiceTokenClient:
    """Gets, caches and refreshes bearer tokens from each platform's token endpoint."""

    def __init__(
        self,
        http: HttpClient,
        signer: Signer,
        clock: Callable[[], datetime],
        cache: TokenCache,
        *,
        margin: timedelta = DEFAULT_MARGIN,
    ) -> None:
        self._http = http
        self._signer = signer
        self._clock = clock
        self._cache = cache
        self._margin = margin

    @staticmethod
    def key(registration: Registration, scopes: Iterable[str]) -> TokenKey:
        return (registration.issuer, registration.client_id, frozenset(scopes))

    def token(self, registration: Registration, scopes: Iterable[str]) -> str:
        """A bearer token for ``scopes`` at this registration, from the cache when still good."""
        return self.token_with_source(registration, scopes)[0]

    def token_with_source(
        self, registration: Registration, scopes: Iterable[str]
    ) -> tuple[str, bool]:
        """(token, came_from_cache)."""
        key = self.key(registration, scopes)
        if not key[2]:
            raise ValueError("ask for at least one scope")
        now = self._clock()
        cached = self._cache.get(key)
        if cached is not None and now < cached.refresh_at:
            return cached.value, True
        fresh = self._request(registration, key[2], now)
        self._cache.put(key, fresh)
        return fresh.value, False

    def invalidate(self, registration: Registration, scopes: Iterable[str]) -> None:
        """Forget the cached token, e.g. after the platform refused it with 401."""
        self._cache.discard(self.key(registration, scopes))

    def assertion_claims(self, registration: Registration, now: datetime) -> dict[str, Any]:
        """The client assertion's claims (Security Framework §4.1.1)."""
        issued = int(now.timestamp())
        return {
            "iss": registration.client_id,
            "sub": registration.client_id,
            "aud": registration.auth_audience or registration.auth_token_url,
            "iat": issued,
            "exp": issued + int(ASSERTION_LIFETIME.total_seconds()),
            "jti": secrets.token_urlsafe(24),
        }

    def _request(
        self, registration: Registration, scopes: frozenset[str], now: datetime
    ) -> AccessToken:
        url = registration.auth_token_url
        if not is_secure_url(url):
            raise ServiceTokenError(
                f"The token endpoint {url} is not an https address.",
                hint="Correct the registration's access token URL: it must start https://.",
            )
        form = {
            "grant_type": CLIENT_CREDENTIALS,
            "client_assertion_type": JWT_BEARER,
            "client_assertion": self._signer(self.assertion_claims(registration, now)),
            # Sorted so that the same request is byte-identical (logs, tests).
            "scope": " ".join(sorted(scopes)),
        }
        try:
            response = self._http.post(url, data=form, headers={"Accept": "application/json"})
        except HttpError as exc:
            raise _token_error(registration, exc) from exc
        return self._parse(registration, response, scopes, now)

    def _parse(
        self,
        registration: Registration,
        response: requests.Response,
        scopes: frozenset[str],
        now: datetime,
    ) -> AccessToken:
        body = json_object(response)
        value = body.get("access_token") if body else None
        if body is None or not isinstance(value, str) or not value:
            raise ServiceTokenError(
                f"The token endpoint {registration.auth_token_url} answered without an "
                "access token.",
                hint=(
                    "Check the registration's access token URL: it should be the LMS's OAuth 2 "
                    "token endpoint (Moodle: /mod/lti/token.php; Canvas: /login/oauth2/token)."
                ),
                platform_status=response.status_code,
                platform_reason=platform_reason(response),
            )
        token_type = body.get("token_type")
        if isinstance(token_type, str) and token_type.lower() != "bearer":
            raise ServiceTokenError(
                f"The token endpoint issued a “{token_type[:40]}” token; LTI services use "
                "bearer tokens.",
                platform_status=response.status_code,
            )
        lifetime = _lifetime(body.get("expires_in"))
        usable = max(lifetime - self._margin, lifetime / 2)
        granted = body.get("scope")
        return AccessToken(
            value=value,
            issued_at=now,
            expires_at=now + lifetime,
            refresh_at=now + usable,
            scopes=frozenset(granted.split()) if isinstance(granted, str) else scopes,
        )


def _lifetime(expires_in: object) -> timedelta:
    if isinstance(expires_in, bool):
        return DEFAULT_LIFETIME
    if isinstance(expires_in, str):
        try:
            expires_in = float(expires_in)
        except ValueError:
            return DEFAULT_LIFETIME
    if isinstance(expires_in, int | float) and expires_in > 0:
        return timedelta(seconds=float(expires_in))
    return DEFAULT_LIFETIME


_TOKEN_HINTS = {
    "invalid_client": (
        "The LMS did not accept the tool's signed request. Check that the registration's "
        "client ID is the one the LMS assigned (in Canvas, the developer key's client ID) and "
        "that the LMS has the tool's current public key (its JWKS URL)."
    ),
    "invalid_scope": (
        "Switch the service on for this tool in the LMS: in Moodle, the tool's “IMS LTI "
        "Assignment and Grade Services” and “IMS LTI Names and Role Provisioning” settings; in "
        "Canvas, the developer key's LTI Advantage services."
    ),
}
_TOKEN_HINTS["unauthorized_client"] = _TOKEN_HINTS["invalid_scope"]
_REGISTRATION_HINT = (
    "Check the tool's registration in the LMS and in the tool: the client ID, the access token "
    "URL and the tool's public key (JWKS URL) must all match."
)


def _token_error(registration: Registration, exc: HttpError) -> ServiceTokenError:
    failure = describe_failure(exc)
    body = json_object(exc.response) if exc.response is not None else None
    error = body.get("error") if body else None
    description = body.get("error_description") if body else None
    error = error if isinstance(error, str) else None
    description = description if isinstance(description, str) else None
    where = f"The LMS's token endpoint ({registration.auth_token_url})"
    if failure.status is None and not failure.retryable:
        message = f"{where} could not be used: {exc}."
    elif failure.status is None:
        message = f"{where} did not answer: {exc}."
    else:
        message = f"{where} refused the tool's request (HTTP {failure.status})"
        message += f": {failure.reason}." if failure.reason else "."
    return ServiceTokenError(
        message,
        hint=None if failure.retryable else _TOKEN_HINTS.get(error or "", _REGISTRATION_HINT),
        retryable=failure.retryable,
        platform_status=failure.status,
        platform_reason=failure.reason,
        retry_after=failure.retry_after,
        error=error,
        error_description=description,
    )


# ---------------------------------------------------------------- the authorised call


def authorized_request(
    http: HttpClient,
    tokens: ServiceTokenClient,
    registration: Registration,
    scopes: Iterable[str],
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> requests.Response:
    """One call to a platform service with a bearer token for ``scopes``.

    Raises :class:`~lti.advantage_errors.ServiceTokenError` when no token can be had and
    :class:`~lti.http.HttpError` when the service call fails. A 401 to a *cached* token drops
    it and tries once more with a fresh one; a 401 to a fresh token is final.
    """
    wanted = frozenset(scopes)
    if not is_secure_url(url):
        # An HttpError, so that each service maps it to its own error; no token was fetched.
        raise InsecureServiceUrl(f"{url} is not an https address", url=url)

    def send(token: str) -> requests.Response:
        all_headers = {**(headers or {}), "Authorization": f"Bearer {token}"}
        return http.request(method, url, headers=all_headers, **kwargs)

    token, cached = tokens.token_with_source(registration, wanted)
    try:
        return send(token)
    except HttpError as exc:
        if exc.status != 401 or not cached:
            raise
    tokens.invalidate(registration, wanted)
    return send(tokens.token(registration, wanted))
