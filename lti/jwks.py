"""Platform public keys, fetched from each registration's JWKS URL (Security Framework 1.0 §6.3).

A launch's ``kid`` is looked up **only** in the key set of the registration the token claims to
come from; ``jku``, ``x5u`` and ``jwk`` headers are never read (LTI.md check 1).

Caching honours the platform's ``Cache-Control`` (``max-age``; ``no-store``/``no-cache`` mean
"fetch again next time"), clamped to ``max_ttl``. An unknown ``kid`` triggers one refetch, since
Canvas rotates keys monthly and D2L hourly, but at most one per :data:`REFETCH_INTERVAL` per URL,
so a stream of tokens with invented kids cannot turn the tool into a fetch amplifier. When a
refresh fails, keys fetched within ``max_ttl`` keep launches working through a platform hiccup.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from jwt.exceptions import PyJWTError

from lti.errors import PlatformKeysUnavailable, UnknownKid, UnsuitablePlatformKey
from lti.http import HttpClient, HttpError
from lti.registration import Registration

MAX_JWKS_BYTES = 1_000_000
REFETCH_INTERVAL = timedelta(seconds=10)
MIN_RSA_BITS = 2048

_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)\"?\s*(?:,|$)", re.IGNORECASE)
_NO_CACHE = re.compile(r"(?:^|,)\s*(?:no-store|no-cache)\s*(?:=|,|$)", re.IGNORECASE)


@dataclass(frozen=True)
class CachedKeySet:
    keys: tuple[dict[str, Any], ...]
    fetched_at: datetime
    expires_at: datetime

    def find(self, kid: str) -> dict[str, Any] | None:
        return next((k for k in self.keys if k.get("kid") == kid), None)


class KeySetCache(Protocol):
    """Where fetched key sets live; a shared store lets every worker reuse one fetch."""

    def get(self, url: str) -> CachedKeySet | None: ...

    def put(self, url: str, key_set: CachedKeySet) -> None: ...


class MemoryKeySetCache:
    """A per-process cache, safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sets: dict[str, CachedKeySet] = {}

    def get(self, url: str) -> CachedKeySet | None:
        with self._lock:
            return self._sets.get(url)

    def put(self, url: str, key_set: CachedKeySet) -> None:
        with self._lock:
            self._sets[url] = key_set


def cache_lifetime(cache_control: str | None, default: timedelta, maximum: timedelta) -> timedelta:
    """How long a response may be reused, from its ``Cache-Control`` header."""
    if not cache_control:
        return min(default, maximum)
    if _NO_CACHE.search(cache_control):
        return timedelta(0)
    match = _MAX_AGE.search(cache_control)
    if match is None:
        return min(default, maximum)
    return min(timedelta(seconds=int(match.group(1))), maximum)


def rsa_public_key(jwk: dict[str, Any]) -> rsa.RSAPublicKey:
    """The verifying key for a JWK, refusing anything that could not carry an RS256 signature."""
    kid = str(jwk.get("kid", ""))
    if jwk.get("kty") != "RSA":
        raise UnsuitablePlatformKey(kid, f"its key type is {jwk.get('kty')!r}, not RSA")
    if jwk.get("alg", "RS256") != "RS256":
        raise UnsuitablePlatformKey(kid, f"it is published for {jwk.get('alg')!r}, not RS256")
    if jwk.get("use", "sig") != "sig":
        raise UnsuitablePlatformKey(kid, f"it is published for use {jwk.get('use')!r}")
    try:
        key = RSAAlgorithm.from_jwk(jwk)
    except (PyJWTError, ValueError, TypeError) as exc:
        raise UnsuitablePlatformKey(kid, "its JWK is not a valid RSA key") from exc
    # A key set that leaks a private key still verifies with its public half.
    public = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    if public.key_size < MIN_RSA_BITS:
        raise UnsuitablePlatformKey(kid, f"it is only {public.key_size} bits")
    return public


class PlatformKeys:
    """Finds the platform key that signed a launch, fetching and caching JWKS documents."""

    def __init__(
        self,
        http: HttpClient,
        cache: KeySetCache,
        clock: Callable[[], datetime],
        default_ttl: timedelta = timedelta(hours=1),
        max_ttl: timedelta = timedelta(days=1),
    ) -> None:
        self._http = http
        self._cache = cache
        self._clock = clock
        self._default_ttl = default_ttl
        self._max_ttl = max_ttl

    def key_for(self, registration: Registration, kid: str) -> rsa.RSAPublicKey:
        url = registration.key_set_url
        now = self._clock()
        cached = self._cache.get(url)
        if cached is None or now >= cached.expires_at:
            cached = self._refresh(url, now, stale=cached, kid=kid)
        jwk = cached.find(kid)
        if jwk is None and now - cached.fetched_at >= REFETCH_INTERVAL:
            # The platform may have rotated its keys since our copy: look once more.
            cached = self._refresh(url, now, stale=None, kid=kid)
            jwk = cached.find(kid)
        if jwk is None:
            raise UnknownKid(kid, url)
        return rsa_public_key(jwk)

    def _refresh(
        self, url: str, now: datetime, *, stale: CachedKeySet | None, kid: str
    ) -> CachedKeySet:
        try:
            keys, cache_control = self._fetch(url)
        except PlatformKeysUnavailable:
            if stale is not None and now - stale.fetched_at <= self._max_ttl and stale.find(kid):
                return stale
            raise
        ttl = cache_lifetime(cache_control, self._default_ttl, self._max_ttl)
        fresh = CachedKeySet(keys=keys, fetched_at=now, expires_at=now + ttl)
        self._cache.put(url, fresh)
        return fresh

    def _fetch(self, url: str) -> tuple[tuple[dict[str, Any], ...], str | None]:
        try:
            response = self._http.get(url, headers={"Accept": "application/json"}, stream=True)
        except HttpError as exc:
            raise PlatformKeysUnavailable(url, str(exc)) from exc
        with response:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > MAX_JWKS_BYTES:
                raise PlatformKeysUnavailable(url, "the key set is larger than 1 MB")
            body = bytearray()
            for chunk in response.iter_content(chunk_size=65536):
                body += chunk
                if len(body) > MAX_JWKS_BYTES:
                    raise PlatformKeysUnavailable(url, "the key set is larger than 1 MB")
            cache_control = response.headers.get("Cache-Control")
        try:
            document = json.loads(bytes(body))
        except (ValueError, RecursionError) as exc:
            raise PlatformKeysUnavailable(url, "the answer is not JSON") from exc
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise PlatformKeysUnavailable(url, "the answer is not a JWK Set (no “keys” list)")
        keys = tuple(k for k in document["keys"] if isinstance(k, dict))
        return keys, cache_control
