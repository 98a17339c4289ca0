"""A fake LMS that speaks LTI 1.3 the way Moodle or Canvas does, for unit and functional tests.

It plays both platform endpoints of a launch:

1. :meth:`TestPlatform.login_params`: the login initiation the LMS posts to the tool.
2. :meth:`TestPlatform.launch_form`: the LMS's auth endpoint; it checks the tool's
   authentication request as the LMS would (redirect URI registered, ``login_hint`` and
   ``lti_message_hint`` echoed unchanged, OIDC parameters right) and returns the form
   (``id_token``, ``state``) the LMS posts to the tool's redirect URI.

:meth:`TestPlatform.id_token` signs a launch directly, :meth:`claims` gives it unsigned, and the
``token_*`` helpers forge the attacks in LTI.md. Dialect facts are from LTI.md ("Moodle as a
platform", "Canvas as a platform"); each is marked where it is applied.

    platform = TestPlatform("canvas")
    platform.serve_jwks(fake_http)
    form = platform.launch_form(auth_redirect.params)      # after the tool's begin_login
"""

from __future__ import annotations

import functools
import json
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from lti import claims as c
from lti import roles as r
from lti.keys import ToolKeyPair, generate_key_pair, load_private_key
from lti.registration import Registration
from tests.support import tokens
from tests.support.http import FakeHttp
from tests.support.platform_users import Dialect, PlatformUser, UserKind, platform_user

Personal = Literal["full", "email_only", "names_only", "none"]

TOOL_HOST = "tool.example.org"
TARGET_LINK_URI = f"https://{TOOL_HOST}/lti/launch"
REDIRECT_URI = f"https://{TOOL_HOST}/lti/launch"
STORAGE_TARGET = "post_message_forwarding"

CANVAS_ISSUER = "https://canvas.instructure.com"
MOODLE_ISSUER = "https://moodle.example.org"
CANVAS_DEPLOYMENT = "12:8865aa05b4b79b64a91a86042e43af5ea8ae79eb"

#: Hosted Canvas issuers and the shared SSO host each one uses for auth, token and JWKS.
_CANVAS_SSO = {
    "https://canvas.instructure.com": "https://sso.canvaslms.com",
    "https://canvas.beta.instructure.com": "https://sso.beta.canvaslms.com",
    "https://canvas.test.instructure.com": "https://sso.test.canvaslms.com",
}

#: The 1EdTech certification suite's valid launch variants (LTI 1.3 cert guide, "Valid Teacher
#: Launches" / "Valid Student Launches"): keyword arguments for claims()/id_token().
CERT_VALID_VARIANTS: dict[str, dict[str, Any]] = {
    "multiple_roles": {"roles": (r.INSTRUCTOR, r.INSTITUTION + "Faculty", r.LEARNER)},
    "short_role": {"roles": ("Learner",)},
    "unknown_role": {"roles": ("http://purl.imsglobal.org/vocab/lis/v2/unknown/unknown#Unknown",)},
    "no_role": {"roles": ()},
    "email_only": {"personal": "email_only"},
    "names_only": {"personal": "names_only"},
    "no_personal_data": {"personal": "none"},
}


class AuthRequestRejected(AssertionError):
    """The tool's authentication request would be refused by a real LMS."""


@functools.cache
def _platform_key(key_set_url: str) -> ToolKeyPair:
    """One RSA key per key set URL per process (keys are slow to make). Hosted Canvas schools
    share one key set, as they really do."""
    return generate_key_pair()


@functools.cache
def _attacker_key() -> ToolKeyPair:
    return generate_key_pair()


@functools.cache
def _loaded(pem: bytes) -> rsa.RSAPrivateKey:
    """Loading a PEM re-validates the key, which is slow: once per key per process."""
    return load_private_key(pem)


@dataclass
class _PendingLogin:
    user: PlatformUser
    target_link_uri: str
    message_type: str
    options: dict[str, Any] = field(default_factory=dict)


class TestPlatform:
    """A Moodle or Canvas site as a test double (not a test class: ``__test__ = False``)."""

    __test__ = False

    def __init__(
        self,
        dialect: Dialect,
        *,
        issuer: str | None = None,
        client_id: str | None = None,
        deployment_id: str | None = None,
        redirect_uris: Iterable[str] = (REDIRECT_URI,),
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.dialect: Dialect = dialect
        moodle = dialect == "moodle"
        self.issuer = issuer or (MOODLE_ISSUER if moodle else CANVAS_ISSUER)
        # Moodle: a random 15-character string; Canvas: the developer key's numeric id.
        self.client_id = client_id or (
            secrets.token_urlsafe(11)[:15] if moodle else "10000000000001"
        )
        self.deployment_id = deployment_id or ("1" if moodle else CANVAS_DEPLOYMENT)
        self.redirect_uris = frozenset(redirect_uris)
        self.clock = clock or (lambda: datetime.now(UTC))
        #: Moodle posts an auto-submitted form; Canvas posts into the iframe (and accepts GET).
        self.login_method = "POST"
        self._pending: dict[str, _PendingLogin] = {}
        self._hint_secret = secrets.token_bytes(64)
        # Canvas course URLs live on the school's own domain, not on the shared issuer.
        self.canvas_domain = f"school{self.client_id[-4:]}.instructure.com"

    # ------------------------------------------------------------ registration and keys

    @property
    def _base(self) -> str:
        if self.dialect == "moodle":
            return self.issuer
        return _CANVAS_SSO.get(self.issuer, self.issuer)

    @property
    def auth_login_url(self) -> str:
        if self.dialect == "moodle":
            return f"{self.issuer}/mod/lti/auth.php"
        return f"{self._base}/api/lti/authorize_redirect"

    @property
    def auth_token_url(self) -> str:
        if self.dialect == "moodle":
            return f"{self.issuer}/mod/lti/token.php"
        return f"{self._base}/login/oauth2/token"

    @property
    def key_set_url(self) -> str:
        if self.dialect == "moodle":
            return f"{self.issuer}/mod/lti/certs.php"
        return f"{self._base}/api/lti/security/jwks"

    @property
    def key(self) -> ToolKeyPair:
        return _platform_key(self.key_set_url)

    @property
    def kid(self) -> str:
        return self.key.kid

    def registration(
        self,
        *,
        deployment_ids: Iterable[str] | None = None,
        accept_new_deployments: bool = False,
    ) -> Registration:
        """This platform as the tool would register it."""
        return Registration(
            issuer=self.issuer,
            client_id=self.client_id,
            auth_login_url=self.auth_login_url,
            auth_token_url=self.auth_token_url,
            key_set_url=self.key_set_url,
            deployment_ids=frozenset(
                [self.deployment_id] if deployment_ids is None else deployment_ids
            ),
            accept_new_deployments=accept_new_deployments,
        )

    def jwks(self) -> dict[str, Any]:
        return {"keys": [dict(self.key.public_jwk)]}

    def serve_jwks(self, http: FakeHttp, *, cache_control: str | None = "max-age=3600") -> None:
        """Publish this platform's key set on a fake network."""
        headers = {"Cache-Control": cache_control} if cache_control else {}
        http.add(self.key_set_url, json=self.jwks(), headers=headers)

    def user(self, kind: UserKind) -> PlatformUser:
        return platform_user(self.dialect, self.issuer, kind)

    # ------------------------------------------------------------ step 1: login initiation

    def login_params(
        self,
        target_link_uri: str = TARGET_LINK_URI,
        *,
        user: UserKind = "learner",
        message_type: str = c.RESOURCE_LINK_REQUEST,
        platform_storage: bool = False,
        send_client_id: bool = True,
        send_deployment_id: bool = True,
        **options: Any,
    ) -> dict[str, str]:
        """The parameters the LMS sends to the tool's login URL.

        ``options`` are remembered and passed to :meth:`id_token` when the tool comes back
        through :meth:`launch_form`. ``platform_storage`` adds Canvas's ``lti_storage_target``.
        """
        person = self.user(user)
        hint = self._message_hint()
        self._pending[hint] = _PendingLogin(person, target_link_uri, message_type, options)
        params = {
            "iss": self.issuer,
            "target_link_uri": target_link_uri,
            "login_hint": person.login_hint,
            "lti_message_hint": hint,
        }
        if send_client_id:
            params["client_id"] = self.client_id
        if send_deployment_id:
            # Canvas calls it deployment_id; the spec (and Moodle) lti_deployment_id.
            name = "lti_deployment_id" if self.dialect == "moodle" else "deployment_id"
            params[name] = self.deployment_id
        if self.dialect == "canvas":
            params["canvas_environment"] = "prod"
            params["canvas_region"] = "us-east-1"
            if platform_storage:
                params["lti_storage_target"] = STORAGE_TARGET
        return params

    def _message_hint(self) -> str:
        if self.dialect == "moodle":
            # Newer Moodle: JSON with the course module and a session launch id.
            return json.dumps({"cmid": 7, "launchid": f"ltilaunch1_{secrets.token_hex(8)}"})
        # Canvas: a short-lived JWT signed with a secret only Canvas knows.
        claims = {
            "verifier": secrets.token_hex(32),
            "canvas_domain": self.canvas_domain,
            "context_type": "Course",
            "context_id": 10000000000003,
            "canvas_locale": "en",
            "include_storage_target": True,
            "exp": int(self.clock().timestamp()) + 300,
        }
        return jwt.encode(claims, self._hint_secret, algorithm="HS256")

    # ------------------------------------------------------------ step 2: the auth endpoint

    def launch_form(
        self, auth_params: Mapping[str, str], *, user: UserKind | None = None, **overrides: Any
    ) -> dict[str, str]:
        """Answer the tool's authentication request with the form the LMS posts back."""
        self._check_auth_request(auth_params)
        pending = self._pending.pop(auth_params["lti_message_hint"])
        if auth_params["login_hint"] != pending.user.login_hint:
            raise AuthRequestRejected("login_hint was not echoed unchanged")
        if user is not None and user != pending.user.kind:
            # Moodle: "login_hint must match the current user"; a swapped session fails here.
            raise AuthRequestRejected(f"the signed-in user is not the login's {user}")
        options = {**pending.options, **overrides}
        token = self.id_token(
            nonce=auth_params["nonce"],
            target_link_uri=pending.target_link_uri,
            user=pending.user.kind,
            message_type=pending.message_type,
            **options,
        )
        return {"id_token": token, "state": auth_params["state"]}

    def launch_form_from_redirect(
        self, location: str, *, user: UserKind | None = None, **overrides: Any
    ) -> dict[str, str]:
        """As :meth:`launch_form`, from the tool's redirect ``Location`` to the auth URL."""
        parts = urlsplit(location)
        if f"{parts.scheme}://{parts.netloc}{parts.path}" != self.auth_login_url:
            raise AuthRequestRejected(f"{location[:200]} is not this LMS's auth URL")
        return self.launch_form(dict(parse_qsl(parts.query)), user=user, **overrides)

    def _check_auth_request(self, params: Mapping[str, str]) -> None:
        expected = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
            "client_id": self.client_id,
        }
        for name, value in expected.items():
            if params.get(name) != value:
                raise AuthRequestRejected(f"{name} must be {value!r}, not {params.get(name)!r}")
        if params.get("redirect_uri") not in self.redirect_uris:
            raise AuthRequestRejected(f"redirect_uri {params.get('redirect_uri')!r} not registered")
        for name in ("state", "nonce", "login_hint"):
            if not params.get(name):
                raise AuthRequestRejected(f"{name} is missing")
        if params.get("lti_message_hint") not in self._pending:
            raise AuthRequestRejected("lti_message_hint was not echoed unchanged")

    # ------------------------------------------------------------ the id_token

    def claims(
        self,
        *,
        nonce: str,
        target_link_uri: str = TARGET_LINK_URI,
        user: UserKind = "learner",
        message_type: str = c.RESOURCE_LINK_REQUEST,
        roles: Iterable[str] | None = None,
        personal: Personal = "full",
        custom: Mapping[str, Any] | None = None,
        deployment_id: str | None = None,
        iat: int | None = None,
        exp: int | None = None,
        overrides: Mapping[str, Any] | None = None,
        remove: Iterable[str] = (),
    ) -> dict[str, Any]:
        """The launch payload before signing; ``overrides`` replace top-level claims."""
        person = self.user(user)
        issued = int(self.clock().timestamp()) if iat is None else iat
        # Moodle's tokens live 60 s, Canvas's an hour.
        lifetime = 60 if self.dialect == "moodle" else 3600
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.client_id,
            "iat": issued,
            "exp": issued + lifetime if exp is None else exp,
            "nonce": nonce,
            c.MESSAGE_TYPE: message_type,
            c.VERSION: c.LTI_VERSION,
            c.DEPLOYMENT_ID: deployment_id or self.deployment_id,
            c.TARGET_LINK_URI: target_link_uri,
            c.ROLES: list(person.roles if roles is None else roles),
        }
        if person.sub is not None:
            payload["sub"] = person.sub
            payload.update(_personal(person, personal))
        if custom is not None:
            payload[c.CUSTOM] = dict(custom)
        dialect_claims = self._moodle_claims if self.dialect == "moodle" else self._canvas_claims
        payload.update(dialect_claims(person, message_type, personal))
        payload.update(overrides or {})
        for name in remove:
            payload.pop(name, None)
        return payload

    def id_token(
        self,
        *,
        nonce: str,
        target_link_uri: str = TARGET_LINK_URI,
        user: UserKind = "learner",
        message_type: str = c.RESOURCE_LINK_REQUEST,
        headers: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> str:
        """A launch signed RS256 with this platform's key; ``headers`` are merged into the JWS
        header (a ``None`` value removes that header, e.g. ``{"kid": None}``)."""
        payload = self.claims(
            nonce=nonce,
            target_link_uri=target_link_uri,
            user=user,
            message_type=message_type,
            **options,
        )
        return self.sign(payload, headers=headers)

    def sign(self, payload: Mapping[str, Any], *, headers: Mapping[str, Any] | None = None) -> str:
        """RS256 over any payload: signed at the JWS level, since PyJWT's JWT encoder refuses
        some of the broken claims (a numeric ``iss``) that tests must send."""
        header = {"kid": self.kid, "typ": "JWT", **(headers or {})}
        header = {k: v for k, v in header.items() if v is not None}
        key = _loaded(self.key.private_pem)
        body = json.dumps(dict(payload), separators=(",", ":")).encode()
        return jwt.PyJWS().encode(body, key, algorithm="RS256", headers=header)

    # ------------------------------------------------------------ attacks

    def token_alg_none(self, claims: Mapping[str, Any]) -> str:
        return tokens.alg_none(claims, self.kid)

    def token_hs256_with_public_key(self, claims: Mapping[str, Any]) -> str:
        public_pem = (
            _loaded(self.key.private_pem)
            .public_key()
            .public_bytes(
                encoding=serialization.Encoding.PEM,
                format=serialization.PublicFormat.SubjectPublicKeyInfo,
            )
        )
        return tokens.hs256_with_secret(claims, public_pem, self.kid)

    def token_with_kid(self, claims: Mapping[str, Any], kid: str) -> str:
        return self.sign(claims, headers={"kid": kid})

    def token_signed_by_other_key(self, claims: Mapping[str, Any]) -> str:
        """Signed by a key the platform never published, under the platform's kid."""
        key = _loaded(_attacker_key().private_pem)
        return jwt.encode(dict(claims), key, algorithm="RS256", headers={"kid": self.kid})

    @staticmethod
    def attacker_jwks() -> dict[str, Any]:
        """The attacker's own key set (what a ``jku`` header would point at)."""
        return {"keys": [dict(_attacker_key().public_jwk)]}

    def token_with_attacker_key_set(self, claims: Mapping[str, Any], jwks_url: str) -> str:
        """Signed by the attacker, whose key set at ``jwks_url`` is named in jku/x5u/jwk."""
        attacker = _attacker_key()
        key = _loaded(attacker.private_pem)
        headers = {
            "kid": attacker.kid,
            "jku": jwks_url,
            "x5u": jwks_url,
            "jwk": attacker.public_jwk,
        }
        return jwt.encode(dict(claims), key, algorithm="RS256", headers=headers)

    # ------------------------------------------------------------ dialect claims

    def _moodle_claims(
        self, person: PlatformUser, message_type: str, personal: Personal
    ) -> dict[str, Any]:
        site = self.issuer
        extra: dict[str, Any] = {
            c.CONTEXT: {
                "id": "2",
                "label": "SEND101",
                "title": "SEND CPD",
                "type": ["CourseSection"],
            },
            c.TOOL_PLATFORM: {
                "product_family_code": "moodle",
                "version": "2024100700",
                "guid": urlsplit(site).hostname,
                "name": "Example Moodle",
                "description": "Example Moodle",
            },
            c.LAUNCH_PRESENTATION: {
                "locale": "en",
                "document_target": "iframe",
                "return_url": f"{site}/mod/lti/return.php?course=2&launch_container=3&instanceid=7",
            },
            c.LIS: {"person_sourcedid": "", "course_section_sourcedid": ""},
            "https://purl.imsglobal.org/spec/lti/claim/ext": {
                "user_username": "u",
                "lms": "moodle-2",
            },
            "https://purl.imsglobal.org/spec/lti-bo/claim/basicoutcome": {
                "lis_result_sourcedid": json.dumps({"data": {"instanceid": "7"}}),
                "lis_outcome_service_url": f"{site}/mod/lti/service.php",
            },
            c.NRPS: {
                "context_memberships_url": (
                    f"{site}/mod/lti/services.php/CourseSection/2/bindings/1/memberships"
                ),
                "service_versions": ["1.0", "2.0"],
            },
        }
        if message_type == c.DEEP_LINKING_REQUEST:
            extra[c.DEEP_LINKING_SETTINGS] = {
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["frame", "iframe", "window"],
                "accept_copy_advice": False,
                "accept_multiple": True,
                "accept_unsigned": False,
                "auto_create": False,
                "can_confirm": False,
                "deep_link_return_url": f"{site}/mod/lti/contentitem_return.php?course=2&id=1",
                "title": "",
                "text": "",
            }
        else:
            extra[c.RESOURCE_LINK] = {"id": "7", "title": "SEND awareness", "description": ""}
            extra[c.AGS] = {
                "scope": [
                    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
                    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
                ],
                "lineitems": f"{site}/mod/lti/services.php/2/lineitems?type_id=1",
                "lineitem": f"{site}/mod/lti/services.php/2/lineitems/5/lineitem?type_id=1",
            }
        return extra

    def _canvas_claims(
        self, person: PlatformUser, message_type: str, personal: Personal
    ) -> dict[str, Any]:
        school = f"https://{self.canvas_domain}"
        # Canvas adds these bookkeeping keys to its claim objects; tools must ignore them.
        noise: dict[str, Any] = {"validation_context": None, "errors": {"errors": {}}}
        extra: dict[str, Any] = {
            "azp": self.client_id,
            "locale": "en",
            "errors": {"errors": {}},
            c.CONTEXT: {
                "id": "4dde05e8ca1973bcca9bffc13e1548820eee93a3",
                "label": "SEND101",
                "title": "SEND CPD",
                "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
                **noise,
            },
            c.TOOL_PLATFORM: {
                "guid": "R9Wq1Bcd5CzrjWkGKevbV8xovnt7Ypa0SlPCGRH0:canvas-lms",
                "name": "Example School",
                "version": "cloud",
                "product_family_code": "canvas",
                **noise,
            },
            c.LAUNCH_PRESENTATION: {
                "document_target": "iframe",
                "return_url": f"{school}/courses/3/external_content/success/external_tool_redirect",
                "locale": "en",
                "height": 400,
                "width": 800,
                **noise,
            },
            c.LIS: {"person_sourcedid": None, "course_offering_sourcedid": None, **noise},
            "https://www.instructure.com/placement": (
                "link_selection" if message_type == c.DEEP_LINKING_REQUEST else "course_navigation"
            ),
            c.NRPS: {
                "context_memberships_url": f"{school}/api/lti/courses/3/names_and_roles",
                "service_versions": ["2.0"],
                **noise,
            },
        }
        if person.sub is not None:
            extra[c.LTI11_LEGACY_USER_ID] = person.legacy_id
            extra[c.LTI + "lti1p1"] = {"user_id": person.legacy_id, **noise}
            if personal == "full":
                extra["picture"] = f"{school}/images/messages/avatar-50.png"
        if message_type == c.DEEP_LINKING_REQUEST:
            extra[c.DEEP_LINKING_SETTINGS] = {
                "deep_link_return_url": f"{school}/courses/3/deep_linking_response?modal=true",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "accept_media_types": "application/vnd.ims.lti.v1.ltilink",
                "auto_create": True,
                "accept_multiple": False,
                **noise,
            }
        else:
            extra[c.RESOURCE_LINK] = {
                "id": "6f6a8a1e-7c3b-4b8e-9c55-2f0f4c8f2d11",
                "description": None,
                "title": "SEND awareness",
                **noise,
            }
            extra[c.AGS] = {
                "scope": [
                    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
                    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
                ],
                "lineitems": f"{school}/api/lti/courses/3/line_items",
                "lineitem": f"{school}/api/lti/courses/3/line_items/1",
                **noise,
            }
        return extra


def _personal(person: PlatformUser, personal: Personal) -> dict[str, str]:
    names = {
        "name": person.name,
        "given_name": person.given_name,
        "family_name": person.family_name,
    }
    email = {"email": person.email}
    return {"full": {**names, **email}, "email_only": email, "names_only": names, "none": {}}[
        personal
    ]
