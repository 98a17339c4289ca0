"""Forged tokens for attack tests. Test-only attacker code: never import from ``lti/``.

PyJWT refuses to build some of these (it will not use an RSA public key as an HMAC secret,
which is the point), so those are assembled by hand from base64url and ``hmac``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

import jwt


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_json(value: Any) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def alg_none(claims: Mapping[str, Any], kid: str) -> str:
    """An unsigned token (``alg: none``) naming a real kid."""
    return jwt.encode(dict(claims), "", algorithm="none", headers={"kid": kid})


def hs256_with_secret(claims: Mapping[str, Any], secret: bytes, kid: str) -> str:
    """HS256 keyed with ``secret``: with the platform's public PEM, the classic key-confusion
    attack on verifiers that let the token choose the algorithm."""
    header = {"alg": "HS256", "typ": "JWT", "kid": kid}
    signing_input = f"{b64url_json(header)}.{b64url_json(dict(claims))}"
    signature = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def unsigned(header: Mapping[str, Any], payload: Any, signature: bytes = b"sig") -> str:
    """Any header and payload (even non-objects) with a junk signature, for shape tests."""
    return f"{b64url_json(dict(header))}.{b64url_json(payload)}.{b64url(signature)}"
