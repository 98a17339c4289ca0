"""Launch validation: the id_token posted to the tool's redirect URI, checked step by step.

Security Framework 1.0 §5.1.3 (authentication response validation), LTI Core 1.3 §5.3 (required
message claims), Deep Linking 2.0 §4.4. Each step is a small named function raising its own
:class:`~lti.errors.LtiLaunchError`; :meth:`LaunchValidator.validate` lists them in order.

Order matters: cheap shape checks first; the registration is picked from the *unverified* iss
and aud (nothing else is read before the signature is checked); the browser binding and the
single-use login record come before the key fetch, so a forged post costs no outbound request;
the claims are read only from the verified payload.

Times are checked against the injected clock, not PyJWT's, with ``leeway`` seconds both ways
(Moodle's tokens live 60 s; clocks drift). PyJWT checks the signature (``algorithms=["RS256"]``
only), ``aud``, ``iss`` and the presence of ``exp``/``iat``.
"""

from __future__ import annotations

import hmac
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt import exceptions as jwt_errors

from lti.claims import (
    CONTEXT,
    DEEP_LINKING_REQUEST,
    DEEP_LINKING_SETTINGS,
    DEPLOYMENT_ID,
    LTI_VERSION,
    MAX_ID_LENGTH,
    MESSAGE_TYPE,
    MESSAGE_TYPES,
    RESOURCE_LINK,
    RESOURCE_LINK_REQUEST,
    ROLES,
    TARGET_LINK_URI,
    VERSION,
    build_context,
    has_control_characters,
    identifier,
    object_claim,
)
from lti.context import LaunchContext
from lti.errors import (
    BadSignature,
    DeploymentIdTooLong,
    DisallowedAlgorithm,
    ExpiredToken,
    ForeignTargetLink,
    InvalidClaim,
    LaunchReplayed,
    MalformedToken,
    MissingAzp,
    MissingClaim,
    MissingDeployment,
    MissingKid,
    MissingLaunchParameter,
    MissingMessageType,
    MissingNonce,
    MissingVersion,
    NonceMismatch,
    StateMismatch,
    SubTooLong,
    TargetLinkMismatch,
    TokenFromFuture,
    TokenLoginMismatch,
    TokenTooLarge,
    UnknownDeployment,
    UnknownMessageType,
    UnknownPlatform,
    UnknownState,
    WrongAudience,
    WrongVersion,
)
from lti.registration import LaunchStateStore, LoginRecord, Registration, RegistrationStore
from lti.urls import is_tool_url

ALGORITHM = "RS256"
#: Our states are 43 characters; anything much longer is not one of ours.
MAX_STATE_LENGTH = 512
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*", re.ASCII)


class PlatformKeyLookup(Protocol):
    """Finds a platform's verifying key by kid; :class:`lti.jwks.PlatformKeys` is the real one."""

    def key_for(self, registration: Registration, kid: str) -> rsa.RSAPublicKey: ...


@dataclass(frozen=True)
class LaunchResult:
    context: LaunchContext
    registration: Registration
    #: The deployment was not known and the registration accepts new ones: record it (audited).
    deployment_is_new: bool


# ---------------------------------------------------------------- steps before the signature


def check_present(id_token: object, state: object) -> None:
    if not isinstance(id_token, str) or not id_token:
        raise MissingLaunchParameter("id_token")
    if not isinstance(state, str) or not state:
        raise MissingLaunchParameter("state")


def check_size(id_token: str, limit: int) -> None:
    # Characters bound bytes from below, and a non-ASCII token fails the shape check next.
    if len(id_token) > limit:
        raise TokenTooLarge(len(id_token), limit)


def check_shape(id_token: str) -> None:
    if not _COMPACT_JWS.fullmatch(id_token):
        raise MalformedToken("it is not a compact JWT (three base64url parts)")


def read_header(id_token: str) -> dict[str, Any]:
    try:
        return jwt.get_unverified_header(id_token)
    except jwt_errors.PyJWTError as exc:
        raise MalformedToken(f"its header cannot be read ({exc})") from exc


def require_kid(header: Mapping[str, Any]) -> str:
    """The kid that names the key; ``jku``, ``x5u`` and ``jwk`` headers are never consulted."""
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise MissingKid()
    return kid


def require_rs256(header: Mapping[str, Any]) -> None:
    """Refuse ``none``, every ``HS*`` (an HMAC keyed with our public key) and anything else."""
    if header.get("alg") != ALGORITHM:
        raise DisallowedAlgorithm(header.get("alg"))


def read_unverified_claims(id_token: str) -> dict[str, Any]:
    try:
        return jwt.decode(id_token, options={"verify_signature": False})
    except jwt_errors.PyJWTError as exc:
        raise MalformedToken(f"its payload cannot be read ({exc})") from exc


def issuer_and_client_id(claims: Mapping[str, Any]) -> tuple[str, str]:
    """Which registration the token claims to be for: (iss, client id from aud/azp)."""
    issuer = claims.get("iss")
    if issuer is None:
        raise MissingClaim("iss")
    if not isinstance(issuer, str) or not issuer or has_control_characters(issuer):
        raise InvalidClaim("iss", "a string without control characters")
    aud = claims.get("aud")
    if aud is None:
        raise MissingClaim("aud")
    if isinstance(aud, str) and aud:
        audiences = [aud]
    elif isinstance(aud, list) and all(isinstance(a, str) and a for a in aud):
        audiences = aud
    else:
        audiences = []
    if not audiences or any(has_control_characters(a) for a in audiences):
        raise InvalidClaim("aud", "a client ID or a list of client IDs")
    azp = claims.get("azp")
    if azp is not None and not isinstance(azp, str):
        raise InvalidClaim("azp", "a string")
    # OIDC Core §2: with several audiences, azp names the one the token was issued to.
    if len(audiences) > 1 and azp is None:
        raise MissingAzp()
    if azp is not None and azp not in audiences:
        raise WrongAudience(f"its authorised party (azp) “{azp[:100]}” is not among its audiences")
    return issuer, azp if azp is not None else audiences[0]


def check_browser_binding(state: str, bound_state: str | None, states: LaunchStateStore) -> None:
    """The state posted back must be the one this browser kept (cookie or Platform Storage).

    This defeats login CSRF: an attacker can post their own valid launch into a victim's
    browser, but cannot plant the matching state in the victim's cookie or frame storage.
    Checked before the login is taken, so a forged post burns nothing; a replay whose cookie
    went with the first use is still named as a replay, not as blocked cookies.
    """
    if bound_state is not None and hmac.compare_digest(
        state.encode("utf-8", "surrogatepass"), bound_state.encode("utf-8", "surrogatepass")
    ):
        return
    if _plausible_state(state) and states.was_taken(state):
        raise LaunchReplayed()
    raise StateMismatch()


def _plausible_state(state: str) -> bool:
    """Could be one of ours: not too long, no control characters (a NUL is not even a value
    the database can look up)."""
    return len(state) <= MAX_STATE_LENGTH and not has_control_characters(state)


def take_login(states: LaunchStateStore, state: str, now: datetime) -> LoginRecord:
    """Consume the login for ``state`` (so its nonce is single use)."""
    if not _plausible_state(state):
        raise UnknownState()
    record = states.take_login(state, now)
    if record is None:
        if states.was_taken(state):
            raise LaunchReplayed()
        raise UnknownState()
    return record


def check_login_matches(record: LoginRecord, registration: Registration) -> None:
    """The token is for the registration the login was started for.

    Two Canvas schools share ``iss``; without this, school A's token could complete a login
    started for school B.
    """
    login = (record.issuer, record.client_id)
    token = (registration.issuer, registration.client_id)
    if login != token:
        raise TokenLoginMismatch(login=login, token=token)


# ---------------------------------------------------------------- the signature


def verify_signature(
    id_token: str, key: rsa.RSAPublicKey, registration: Registration
) -> dict[str, Any]:
    try:
        return jwt.decode(
            id_token,
            key,
            algorithms=[ALGORITHM],
            audience=registration.client_id,
            issuer=registration.issuer,
            options={
                "require": ["iss", "aud", "exp", "iat"],
                # Checked against the injected clock by check_times.
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt_errors.InvalidSignatureError as exc:
        raise BadSignature(registration.key_set_url) from exc
    except jwt_errors.InvalidAudienceError as exc:
        raise WrongAudience(f"its audience does not include “{registration.client_id}”") from exc
    except jwt_errors.InvalidIssuerError as exc:
        raise InvalidClaim("iss", f"the registered issuer “{registration.issuer}”") from exc
    except jwt_errors.MissingRequiredClaimError as exc:
        raise MissingClaim(exc.claim) from exc
    except jwt_errors.InvalidSubjectError as exc:
        raise InvalidClaim("sub", "a string") from exc
    except jwt_errors.PyJWTError as exc:
        raise MalformedToken(str(exc)) from exc


# ---------------------------------------------------------------- steps on verified claims


def _timestamp(claims: Mapping[str, Any], name: str) -> float:
    value = claims.get(name)
    # json.loads accepts NaN and Infinity, and NaN compares false with everything.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidClaim(name, "a time in seconds since 1970")
    return float(value)


def check_times(claims: Mapping[str, Any], now: float, leeway: int) -> None:
    exp = _timestamp(claims, "exp")
    if exp + leeway < now:
        raise ExpiredToken(int(now - exp))
    for name in ("iat", "nbf"):
        if name == "nbf" and "nbf" not in claims:
            continue
        moment = _timestamp(claims, name)
        if moment > now + leeway:
            raise TokenFromFuture(name, int(moment - now))


def check_nonce(claims: Mapping[str, Any], record: LoginRecord) -> None:
    nonce = claims.get("nonce")
    if nonce is None or nonce == "":
        raise MissingNonce()
    if not isinstance(nonce, str):
        raise InvalidClaim("nonce", "a string")
    if not hmac.compare_digest(
        nonce.encode("utf-8", "surrogatepass"), record.nonce.encode("utf-8")
    ):
        raise NonceMismatch()


def check_deployment(claims: Mapping[str, Any], registration: Registration) -> tuple[str, bool]:
    """The deployment id, and whether it is new to an auto-accepting registration."""
    value = claims.get(DEPLOYMENT_ID)
    if value is None or value == "":
        raise MissingDeployment()
    deployment_id = identifier(value, DEPLOYMENT_ID)
    if len(deployment_id) > MAX_ID_LENGTH:
        raise DeploymentIdTooLong(len(deployment_id))
    if deployment_id in registration.deployment_ids:
        return deployment_id, False
    if registration.accept_new_deployments:
        return deployment_id, True
    raise UnknownDeployment(deployment_id, registration.issuer, registration.client_id)


def check_version(claims: Mapping[str, Any]) -> None:
    version = claims.get(VERSION)
    if version is None:
        raise MissingVersion()
    if version != LTI_VERSION:
        raise WrongVersion(version)


def check_message_type(claims: Mapping[str, Any]) -> str:
    message_type = claims.get(MESSAGE_TYPE)
    if message_type is None or message_type == "":
        raise MissingMessageType()
    if message_type not in MESSAGE_TYPES:
        raise UnknownMessageType(message_type)
    return str(message_type)


def check_required_claims(claims: Mapping[str, Any], message_type: str) -> None:
    """The claims the message type requires, with the shapes the app relies on."""
    if ROLES not in claims:
        raise MissingClaim(ROLES)
    if not isinstance(claims[ROLES], list):
        raise InvalidClaim(ROLES, "a list (possibly empty)")
    if message_type == RESOURCE_LINK_REQUEST:
        resource_link = object_claim(claims, RESOURCE_LINK, required=True)
        if "id" not in resource_link:
            raise InvalidClaim(RESOURCE_LINK, "an object with an id")
        identifier(resource_link["id"], RESOURCE_LINK)
    if message_type == DEEP_LINKING_REQUEST:
        settings = object_claim(claims, DEEP_LINKING_SETTINGS, required=True)
        return_url = settings.get("deep_link_return_url")
        if not isinstance(return_url, str) or not return_url:
            raise InvalidClaim(DEEP_LINKING_SETTINGS, "an object with a deep_link_return_url")
    context = object_claim(claims, CONTEXT)
    if context:
        identifier(context.get("id"), CONTEXT)


def check_target_link(
    claims: Mapping[str, Any],
    record: LoginRecord,
    message_type: str,
    tool_hosts: frozenset[str],
) -> str:
    """The launch targets what the login asked for, on this tool.

    Required for resource links (Core §5.3.4); a deep linking request may omit it, and then
    the login's (already checked) target stands.
    """
    value = claims.get(TARGET_LINK_URI)
    if value is None and message_type == DEEP_LINKING_REQUEST:
        return record.target_link_uri
    if value is None:
        raise MissingClaim(TARGET_LINK_URI)
    if not isinstance(value, str):
        raise InvalidClaim(TARGET_LINK_URI, "a URL")
    if not is_tool_url(value, tool_hosts):
        raise ForeignTargetLink(value, tool_hosts)
    if value != record.target_link_uri:
        raise TargetLinkMismatch(value, record.target_link_uri)
    return value


def check_sub(claims: Mapping[str, Any]) -> str | None:
    """The user's id, or None for an anonymous launch.

    Core 1.3 §5.3.6 allows a launch without ``sub`` (no user signed in to the platform). The
    certification suite's "user claim missing" payload expects a refusal page: the layer passes
    such a launch through as anonymous (``LaunchContext.sub is None``) and the app refuses it
    with a page saying training needs a signed-in user, so both readings are met.
    """
    sub = claims.get("sub")
    if sub is None:
        return None
    if not isinstance(sub, str) or not sub:
        raise InvalidClaim("sub", "a non-empty string")
    if len(sub) > MAX_ID_LENGTH:
        raise SubTooLong(len(sub))
    if has_control_characters(sub):
        raise InvalidClaim("sub", "a user identifier without control characters")
    return sub


# ---------------------------------------------------------------- the chain


class LaunchValidator:
    """Turns a posted ``id_token`` and ``state`` into a :class:`LaunchResult`, or refuses."""

    def __init__(
        self,
        registrations: RegistrationStore,
        states: LaunchStateStore,
        keys: PlatformKeyLookup,
        *,
        clock: Callable[[], datetime],
        tool_hosts: frozenset[str],
        leeway: int = 60,
        max_token_bytes: int = 256_000,
    ) -> None:
        self._registrations = registrations
        self._states = states
        self._keys = keys
        self._clock = clock
        self._tool_hosts = tool_hosts
        self._leeway = leeway
        self._max_token_bytes = max_token_bytes

    def validate(self, id_token: str, state: str, *, bound_state: str | None) -> LaunchResult:
        """``bound_state`` is the state this browser kept (cookie or Platform Storage)."""
        check_present(id_token, state)
        check_size(id_token, self._max_token_bytes)
        check_shape(id_token)
        header = read_header(id_token)
        kid = require_kid(header)
        require_rs256(header)
        registration = self._registration(read_unverified_claims(id_token))
        check_browser_binding(state, bound_state, self._states)
        now = self._clock()
        record = take_login(self._states, state, now)
        check_login_matches(record, registration)

        key = self._keys.key_for(registration, kid)
        claims = verify_signature(id_token, key, registration)

        check_times(claims, now.timestamp(), self._leeway)
        check_nonce(claims, record)
        deployment_id, deployment_is_new = check_deployment(claims, registration)
        check_version(claims)
        message_type = check_message_type(claims)
        check_required_claims(claims, message_type)
        target_link_uri = check_target_link(claims, record, message_type, self._tool_hosts)
        sub = check_sub(claims)

        context = build_context(
            claims,
            issuer=registration.issuer,
            client_id=registration.client_id,
            deployment_id=deployment_id,
            message_type=message_type,
            sub=sub,
            target_link_uri=target_link_uri,
        )
        return LaunchResult(context, registration, deployment_is_new)

    def _registration(self, unverified: Mapping[str, Any]) -> Registration:
        issuer, client_id = issuer_and_client_id(unverified)
        registration = self._registrations.find_registration(issuer, client_id)
        if registration is None:
            raise UnknownPlatform(issuer, client_id)
        return registration
