"""The tool's own RSA key pairs and its public JWKS (1EdTech Security Framework 1.0 §6).

The tool signs Deep Linking responses and service-token client assertions with RS256 and
publishes its public keys as a JWK Set. Canvas requires ``alg`` and ``use`` on every published
key. Each ``kid`` is the key's RFC 7638 thumbprint: stable, derived from the key, and safe to
show.

Private keys may be kept encrypted at rest (PKCS#8 with the best encryption ``cryptography``
offers), unlocked with an application secret.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ALGORITHM = "RS256"


class ToolKeyError(ValueError):
    """The tool's own key cannot be used: a configuration fault, so not an LtiError (a 500)."""


@dataclass(frozen=True)
class ToolKeyPair:
    kid: str
    #: PKCS#8 PEM, encrypted when generated with a passphrase.
    private_pem: bytes
    public_jwk: dict[str, Any]


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def thumbprint(public_key: rsa.RSAPublicKey) -> str:
    """RFC 7638 JWK thumbprint (SHA-256) of an RSA public key, base64url."""
    numbers = public_key.public_numbers()
    # RFC 7638 §3.2: the required members only, in lexicographic order, no whitespace.
    canonical = json.dumps(
        {"e": _b64url_uint(numbers.e), "kty": "RSA", "n": _b64url_uint(numbers.n)},
        separators=(",", ":"),
        sort_keys=True,
    )
    digest = hashlib.sha256(canonical.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def load_private_key(pem: bytes, passphrase: bytes | None = None) -> rsa.RSAPrivateKey:
    """The RSA private key in ``pem``, decrypted with ``passphrase`` when it is encrypted."""
    try:
        key = serialization.load_pem_private_key(pem, password=passphrase)
    except (ValueError, TypeError) as exc:
        # cryptography says which: wrong or missing passphrase, or not a PEM key at all.
        raise ToolKeyError(f"the tool's private key cannot be loaded: {exc}") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ToolKeyError("the tool's private key must be an RSA key")
    return key


def _public_jwk(public_key: rsa.RSAPublicKey, kid: str) -> dict[str, Any]:
    jwk = RSAAlgorithm.to_jwk(public_key, as_dict=True)
    # Only the public members plus what Canvas requires; PyJWT's key_ops would contradict use.
    return {"kty": "RSA", "n": jwk["n"], "e": jwk["e"], "kid": kid, "alg": ALGORITHM, "use": "sig"}


def public_jwk_from_private_pem(
    pem: bytes, kid: str, passphrase: bytes | None = None
) -> dict[str, Any]:
    """The public JWK (``kty, n, e, kid, alg, use``) for a private key."""
    return _public_jwk(load_private_key(pem, passphrase).public_key(), kid)


def generate_key_pair(bits: int = 2048, passphrase: bytes | None = None) -> ToolKeyPair:
    """A new RSA key pair; the private PEM is encrypted when ``passphrase`` is given."""
    if bits < 2048:
        raise ToolKeyError("RSA keys for LTI must be at least 2048 bits")
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    kid = thumbprint(key.public_key())
    return ToolKeyPair(kid=kid, private_pem=pem, public_jwk=_public_jwk(key.public_key(), kid))


def jwks(public_jwks: Iterable[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The JWK Set document to serve at the tool's JWKS URL.

    Keep a rotated-out key in this list until every token signed with it has expired.
    """
    return {"keys": [dict(jwk) for jwk in public_jwks]}


def sign_jwt(
    claims: Mapping[str, Any], private_pem: bytes, kid: str, passphrase: bytes | None = None
) -> str:
    """``claims`` as a compact JWT signed RS256, with ``kid`` and ``typ: JWT`` in the header."""
    key = load_private_key(private_pem, passphrase)
    return jwt.encode(dict(claims), key, algorithm=ALGORITHM, headers={"kid": kid, "typ": "JWT"})
