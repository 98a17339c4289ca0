"""lti.keys: the tool's key pairs, its JWKS, and RS256 signing."""

from __future__ import annotations

import functools

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import RSAAlgorithm

from lti.keys import (
    ToolKeyError,
    ToolKeyPair,
    generate_key_pair,
    jwks,
    load_private_key,
    public_jwk_from_private_pem,
    sign_jwt,
    thumbprint,
)

SECRET = b"correct horse battery staple"


@functools.cache
def plain() -> ToolKeyPair:
    return generate_key_pair()


@functools.cache
def encrypted() -> ToolKeyPair:
    return generate_key_pair(passphrase=SECRET)


def test_the_public_jwk_has_what_canvas_requires() -> None:
    jwk = plain().public_jwk
    assert set(jwk) == {"kty", "n", "e", "kid", "alg", "use"}
    assert jwk["kty"] == "RSA"
    assert jwk["alg"] == "RS256"
    assert jwk["use"] == "sig"
    assert jwk["kid"] == plain().kid


def test_the_kid_is_the_rfc_7638_thumbprint() -> None:
    key = load_private_key(plain().private_pem).public_key()
    assert plain().kid == thumbprint(key)


def test_thumbprint_matches_the_rfc_7638_example() -> None:
    # RFC 7638 §3.1.
    n = (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_B"
        "JECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FD"
        "W2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQ"
        "Fh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    )
    key = RSAAlgorithm.from_jwk({"kty": "RSA", "n": n, "e": "AQAB"})
    assert thumbprint(key) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"  # type: ignore[arg-type]


def test_keys_are_unique() -> None:
    assert plain().kid != encrypted().kid


def test_an_unencrypted_pem_loads_without_passphrase() -> None:
    assert b"ENCRYPTED" not in plain().private_pem
    assert load_private_key(plain().private_pem).key_size == 2048


def test_an_encrypted_pem_needs_its_passphrase() -> None:
    pem = encrypted().private_pem
    assert b"ENCRYPTED PRIVATE KEY" in pem
    assert load_private_key(pem, SECRET).key_size == 2048
    with pytest.raises(ToolKeyError):
        load_private_key(pem)
    with pytest.raises(ToolKeyError):
        load_private_key(pem, b"wrong")


def test_garbage_is_not_a_key() -> None:
    with pytest.raises(ToolKeyError):
        load_private_key(b"-----BEGIN NOTHING-----")


def test_a_non_rsa_key_is_refused() -> None:
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(ToolKeyError, match="RSA"):
        load_private_key(pem)


def test_small_keys_are_refused() -> None:
    with pytest.raises(ToolKeyError):
        generate_key_pair(bits=1024)


def test_the_public_jwk_can_be_rebuilt_from_the_private_pem() -> None:
    pair = encrypted()
    assert public_jwk_from_private_pem(pair.private_pem, pair.kid, SECRET) == pair.public_jwk


def test_jwks_lists_copies_of_the_keys() -> None:
    document = jwks([plain().public_jwk, encrypted().public_jwk])
    assert [k["kid"] for k in document["keys"]] == [plain().kid, encrypted().kid]
    document["keys"][0]["kid"] = "changed"
    assert plain().public_jwk["kid"] != "changed"


@pytest.mark.parametrize("pair_and_secret", [(plain, None), (encrypted, SECRET)])
def test_signed_jwts_verify_with_the_published_key(
    pair_and_secret: tuple[object, bytes | None],
) -> None:
    make, secret = pair_and_secret
    pair: ToolKeyPair = make()  # type: ignore[operator]
    token = sign_jwt({"iss": "tool", "n": 1}, pair.private_pem, pair.kid, secret)

    header = jwt.get_unverified_header(token)
    assert header == {"alg": "RS256", "typ": "JWT", "kid": pair.kid}
    public = RSAAlgorithm.from_jwk(pair.public_jwk)
    assert jwt.decode(token, public, algorithms=["RS256"]) == {"iss": "tool", "n": 1}  # type: ignore[arg-type]
