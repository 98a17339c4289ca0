"""The built-in demo LMS as an LTI 1.3 platform: its key, its id_tokens.

It speaks like Moodle (login initiation by POST, ``lti_deployment_id``, a short-lived token)
and signs real RS256 tokens with its own key, kept in the instance folder, so the tool checks
a demo launch exactly as it checks a real one.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from pathlib import Path
from typing import Any

from cpd_tracker.demo_lms.people import COURSES, DemoUser
from lti import keys as lti_keys

LTI = "https://purl.imsglobal.org/spec/lti/claim/"


class DemoPlatformKey:
    def __init__(self, instance_path: Path) -> None:
        self.path = instance_path / "demo_lms_key.pem"
        if not self.path.exists():
            instance_path.mkdir(parents=True, exist_ok=True)
            pair = lti_keys.generate_key_pair()
            self.path.write_bytes(pair.private_pem)
            self.path.chmod(0o600)
        self.private_pem = self.path.read_bytes()
        self.kid = (
            "demo-"
            + lti_keys.thumbprint(lti_keys.load_private_key(self.private_pem).public_key())[:16]
        )

    def jwks(self) -> dict[str, Any]:
        return lti_keys.jwks([lti_keys.public_jwk_from_private_pem(self.private_pem, self.kid)])

    def sign(self, claims: dict[str, Any]) -> str:
        return lti_keys.sign_jwt(claims, self.private_pem, self.kid)


def id_token_claims(
    *,
    issuer: str,
    client_id: str,
    deployment_id: str,
    user: DemoUser,
    nonce: str,
    target_link_uri: str,
    return_url: str,
    now: dt.datetime,
) -> dict[str, Any]:
    iat = int(now.timestamp())
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": client_id,
        "sub": user.sub,
        "iat": iat,
        "exp": iat + 60,
        "nonce": nonce,
        "name": user.name,
        "given_name": user.given_name,
        "family_name": user.family_name,
        "email": user.email,
        LTI + "version": "1.3.0",
        LTI + "message_type": "LtiResourceLinkRequest",
        LTI + "deployment_id": deployment_id,
        LTI + "target_link_uri": target_link_uri,
        LTI + "roles": list(user.roles),
        LTI + "resource_link": {
            "id": f"demo-link-{user.context_id or 'admin'}",
            "title": "SEND CPD Tracker",
        },
        LTI + "launch_presentation": {
            "document_target": "iframe",
            "return_url": return_url,
            "locale": "en-GB",
        },
        LTI + "tool_platform": {
            "guid": "demo-lms",
            "name": "Demo LMS",
            "product_family_code": "demo",
            "version": "1",
        },
        "jti": str(uuid.uuid4()),
    }
    course = next((c for c in COURSES if c[0] == user.context_id), None)
    if course is not None:
        claims[LTI + "context"] = {
            "id": course[0],
            "title": course[1],
            "label": course[2],
            "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
        }
    return claims


def new_message_hint() -> str:
    return secrets.token_urlsafe(12)
