"""The secret in a calendar feed's address, kept out of the database (issue 17, review).

A feed's key is ``<feed id>.<HMAC-SHA256 of the feed id and its generation, keyed by a key
derived from SECRET_KEY>`` (base64url, 43 characters). The database holds the id and the
generation, never the key: a copy of the database alone opens no feed, while the page can show
the same address every time it is opened (so a second device subscribes without cutting off
the first). A new address is the next generation; the old key no longer matches.

Feeds made before migration 0031 had a random token stored as it was: the migration kept only
its SHA-256 (``legacy_token_hash``), so calendars subscribed to it keep updating until the
feed's address is reset. Every comparison of a presented key is constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

#: ``<id>.<mac>``: ids are positive integers below 10**9 (a 32-bit column), the MAC 32 bytes
#: in unpadded base64url.
_KEY = re.compile(r"(?P<id>[1-9][0-9]{0,8})\.(?P<mac>[A-Za-z0-9_-]{43})")
#: Tokens before 0031: ``secrets.token_urlsafe(32)`` (43 characters; "." never occurs).
_LEGACY = re.compile(r"[A-Za-z0-9_-]{20,64}")
#: Separates this use of SECRET_KEY from its others (sessions, launch tokens, key storage).
_PURPOSE = b"cpd-tracker calendar feed key v1"


def _mac_key(secret: str) -> bytes:
    return hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).digest()


def feed_key(secret: str, feed_id: int, generation: int) -> str:
    """The key in the address of generation ``generation`` of feed ``feed_id``."""
    message = f"{feed_id}:{generation}".encode()
    mac = hmac.new(_mac_key(secret), message, hashlib.sha256).digest()
    return f"{feed_id}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def feed_id(key: str) -> int | None:
    """The feed a presented key claims to open (checked with ``matches``); None if it is not
    shaped like a key."""
    found = _KEY.fullmatch(key)
    return int(found["id"]) if found else None


def matches(secret: str, feed_id: int, generation: int, presented: str) -> bool:
    return hmac.compare_digest(feed_key(secret, feed_id, generation), presented)


def legacy_hash(token: str) -> str | None:
    """The SHA-256 (hex) a pre-0031 token is kept as; None if ``token`` cannot be one."""
    if not _LEGACY.fullmatch(token):
        return None
    return hashlib.sha256(token.encode()).hexdigest()
