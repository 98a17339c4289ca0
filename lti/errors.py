"""Every way a login or launch can be refused, each with a message an LMS admin can act on.

The app renders any :class:`LtiError` as a 4xx page showing ``title``, ``message`` and ``hint``;
``code`` is a stable short identifier used in logs and tests.

Status codes: 400 for a malformed or incomplete request, 401 when the token's authenticity or
freshness cannot be established (signature, key, time, nonce), 403 when it is authentic but not
allowed here (unknown platform or deployment, replay, a state not bound to this browser), 413 for
an oversized token, and 424 when the platform's key set cannot be fetched. Never 5xx: the page is
shown inside the LMS, and a 502 from us would read as "the tool is down".

Checks follow LTI Core 1.3 §5 and the 1EdTech Security Framework 1.0 §5.1.3.
"""

from __future__ import annotations


class LtiError(Exception):
    """Base class: a refused LTI request. Never a server error."""

    code = "lti_error"
    status = 400
    title = "This LTI request could not be accepted"
    hint = "Ask your LMS administrator to check the tool's registration."

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = hint


class LtiLoginError(LtiError):
    """Refused at OIDC login initiation."""

    code = "login_error"
    title = "The LTI login could not start"


class LtiLaunchError(LtiError):
    """Refused at launch (the id_token or its state)."""

    code = "launch_error"
    title = "The launch from your LMS was refused"


def claim_label(claim: str) -> str:
    """``deployment_id`` for ``https://purl.imsglobal.org/spec/lti/claim/deployment_id``."""
    return claim.rstrip("/").rsplit("/", 1)[-1]


_RELAUNCH = "Go back to your LMS and open the link again."


# ---------------------------------------------------------------- both stages


class UnknownPlatform(LtiLoginError, LtiLaunchError):
    """No registration for (issuer, client_id); raised at login and at launch."""

    code = "unknown_platform"
    status = 403
    title = "This LMS is not registered with the tool"

    def __init__(self, issuer: str, client_id: str | None) -> None:
        self.issuer = issuer
        self.client_id = client_id
        if client_id is None:
            message = (
                f"The LMS with issuer “{issuer}” sent no client ID, and the tool cannot tell "
                "which registration it means (there is none, or there are several)."
            )
            hint = (
                "Register this LMS in the tool, or make the LMS send client_id at login. "
                "Every hosted Canvas shares one issuer, so Canvas registrations need the "
                "developer key's client ID."
            )
        else:
            message = (
                f"No registration in the tool matches issuer “{issuer}” with client ID "
                f"“{client_id}”."
            )
            hint = (
                "Register this LMS in the tool with exactly this issuer and client ID (for "
                "Canvas, the developer key's client ID). If it is registered, compare both "
                "values character by character with the LMS's tool configuration."
            )
        super().__init__(message, hint=hint)


class RegistrationNotApproved(LtiLoginError, LtiLaunchError):
    """The registration exists but waits for the tool's side to approve it."""

    code = "registration_not_approved"
    status = 403
    title = "This LMS's registration is waiting for approval"

    def __init__(self, issuer: str, client_id: str) -> None:
        self.issuer = issuer
        self.client_id = client_id
        super().__init__(
            f"The LMS with issuer “{issuer}” and client ID “{client_id}” registered itself "
            "with the tool, and the registration has not been approved yet.",
            hint="A trust leader approves it on the tool's LMS registrations page (or removes "
            "it if nobody expected it); the tool opens from this LMS from then on.",
        )


class ForeignTargetLink(LtiLoginError, LtiLaunchError):
    """``target_link_uri`` is not an address of this tool (an open-redirect attempt or a typo)."""

    code = "foreign_target_link"
    status = 400
    title = "The link points outside this tool"

    def __init__(self, target_link_uri: str, tool_hosts: frozenset[str]) -> None:
        self.target_link_uri = target_link_uri
        hosts = ", ".join(sorted(tool_hosts)) or "(none configured)"
        super().__init__(
            f"The LMS asked to open “{target_link_uri[:300]}”, which is not an address of "
            "this tool.",
            hint=(
                f"In the LMS's tool configuration, the target link URI must be an http(s) "
                f"address on this tool's host: {hosts}."
            ),
        )


# ---------------------------------------------------------------- login


class MissingLoginParameter(LtiLoginError):
    code = "missing_login_parameter"

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"The LMS did not send the “{name}” parameter when starting the LTI login.",
            hint=(
                "Open the link from inside the LMS rather than from a bookmark. If it still "
                "fails, check that the LMS has this tool's login (OpenID Connect initiation) "
                "URL and that the link is an LTI 1.3 link."
            ),
        )


class LoginParameterTooLong(LtiLoginError):
    code = "login_parameter_too_long"

    def __init__(self, name: str, length: int, limit: int) -> None:
        self.name = name
        super().__init__(
            f"The login parameter “{name}” is {length} characters long; the tool accepts at "
            f"most {limit}.",
            hint="Check the LMS's tool configuration for an unusually long value.",
        )


class LoginParameterInvalid(LtiLoginError):
    code = "login_parameter_invalid"

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"The login parameter “{name}” holds a control character (such as NUL), which no "
            "LMS sends.",
            hint="Open the link from inside the LMS; check the LMS's tool configuration.",
        )


# ---------------------------------------------------------------- launch: shape


class MissingLaunchParameter(LtiLaunchError):
    code = "missing_launch_parameter"

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"The launch request carried no “{name}”.",
            hint=(
                f"{_RELAUNCH} This address only works as the end of a launch from the LMS; "
                "check that the registration's redirect URI is this tool's launch URL."
            ),
        )


class TokenTooLarge(LtiLaunchError):
    code = "token_too_large"
    status = 413

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            f"The launch token is {size} bytes; the tool accepts at most {limit}.",
            hint=("Reduce the custom parameters or other data the LMS adds to this link's launch."),
        )


class MalformedToken(LtiLaunchError):
    code = "malformed_token"

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(
            f"The launch did not carry a readable LTI 1.3 token: {detail}.",
            hint=(
                f"{_RELAUNCH} If it keeps failing, the LMS may not be sending an LTI 1.3 "
                "launch to this address: check the registration's redirect URI."
            ),
        )


# ---------------------------------------------------------------- launch: keys and signature


class MissingKid(LtiLaunchError):
    code = "missing_kid"
    status = 401

    def __init__(self) -> None:
        super().__init__(
            "The launch token's header has no key ID (kid), so the tool cannot pick the "
            "LMS's key to check its signature.",
            hint="The LMS must sign launches with a key published, with its kid, in its JWKS.",
        )


class UnknownKid(LtiLaunchError):
    code = "unknown_kid"
    status = 401

    def __init__(self, kid: str, key_set_url: str) -> None:
        self.kid = kid
        self.key_set_url = key_set_url
        super().__init__(
            f"The launch token was signed with key “{kid[:100]}”, which is not in the LMS's "
            f"key set at {key_set_url}.",
            hint=(
                "Check the registration's JWKS (public keyset) URL: it must be the one of the "
                "LMS that sent this launch. If the LMS has just rotated its keys, try again in "
                "a minute."
            ),
        )


class DisallowedAlgorithm(LtiLaunchError):
    code = "disallowed_algorithm"
    status = 401

    def __init__(self, alg: object) -> None:
        self.alg = alg
        super().__init__(
            f"The launch token is signed with algorithm “{str(alg)[:40]}”; LTI 1.3 requires RS256.",
            hint="Configure the LMS to sign LTI 1.3 launches with RS256.",
        )


class BadSignature(LtiLaunchError):
    code = "bad_signature"
    status = 401

    def __init__(self, key_set_url: str) -> None:
        super().__init__(
            "The launch token's signature does not verify with the LMS's published key.",
            hint=(
                f"Check that the registration's JWKS URL ({key_set_url}) belongs to the LMS "
                "that sent this launch."
            ),
        )


class UnsuitablePlatformKey(LtiLaunchError):
    code = "unsuitable_platform_key"
    status = 401

    def __init__(self, kid: str, reason: str) -> None:
        self.kid = kid
        super().__init__(
            f"The LMS's key “{kid[:100]}” cannot verify an LTI launch: {reason}.",
            hint="LTI 1.3 platforms must publish RSA signing keys of 2048 bits or more.",
        )


class PlatformKeysUnavailable(LtiLaunchError):
    """The platform's JWKS could not be fetched or read. 424, never 502: the fault is upstream."""

    code = "platform_keys_unavailable"
    status = 424
    title = "The tool could not fetch your LMS's public keys"

    def __init__(self, key_set_url: str, reason: str) -> None:
        self.key_set_url = key_set_url
        self.reason = reason
        super().__init__(
            f"The LMS's key set at {key_set_url} could not be used: {reason}.",
            hint=(
                "Check the registration's JWKS URL, and that the LMS answers it from the "
                "internet (a firewall or a site in maintenance mode blocks it). Then launch "
                "again."
            ),
        )


# ---------------------------------------------------------------- launch: audience and time


class WrongAudience(LtiLaunchError):
    code = "wrong_audience"
    status = 401

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"The launch token was not issued for this tool: {detail}.",
            hint=(
                "Check that the client ID in the tool's registration is the one the LMS "
                "assigned to this tool (for Canvas, the developer key's client ID)."
            ),
        )


class MissingAzp(LtiLaunchError):
    code = "missing_azp"

    def __init__(self) -> None:
        super().__init__(
            "The launch token names several audiences but no authorised party (azp), so "
            "the tool cannot tell which client it was issued to.",
            hint="An LMS that sends several audiences must send azp with the tool's client ID.",
        )


_CLOCK_HINT = (
    "{relaunch} If it keeps happening, the clock of the LMS server or of the tool server is "
    "wrong: both should be set by NTP. (Moodle's launch tokens are valid for only 60 seconds.)"
)


class ExpiredToken(LtiLaunchError):
    code = "expired_token"
    status = 401

    def __init__(self, seconds_ago: int) -> None:
        self.seconds_ago = seconds_ago
        super().__init__(
            f"The launch token expired {seconds_ago} seconds ago.",
            hint=_CLOCK_HINT.format(relaunch=_RELAUNCH),
        )


class TokenFromFuture(LtiLaunchError):
    code = "token_from_future"
    status = 401

    def __init__(self, claim: str, seconds_ahead: int) -> None:
        self.claim = claim
        self.seconds_ahead = seconds_ahead
        super().__init__(
            f"The launch token's {claim} time is {seconds_ahead} seconds in the future.",
            hint=_CLOCK_HINT.format(relaunch=_RELAUNCH),
        )


# ---------------------------------------------------------------- launch: state and nonce


_COOKIE_HINT = (
    "Your browser did not keep the tool's login cookie. This usually means third-party "
    "cookies are blocked for this site (Safari, Firefox strict mode, Chrome incognito, or a "
    "school browser policy). Allow cookies for this tool, or open the link in a new tab, then "
    "launch again."
)


class UnknownState(LtiLaunchError):
    """No pending login for this ``state``: never issued, expired, or lost."""

    code = "unknown_state"

    def __init__(self) -> None:
        super().__init__(
            "This launch does not match any login the tool started, or the login took longer "
            "than allowed.",
            hint=(
                f"{_RELAUNCH} Do not reuse a launch page left open for a long time, or use the "
                "browser's back button into it."
            ),
        )


class LaunchReplayed(LtiLaunchError):
    code = "launch_replayed"
    status = 403

    def __init__(self) -> None:
        super().__init__(
            "This launch has already been used. Each launch from the LMS works once.",
            hint=f"{_RELAUNCH} Reloading the launch page or going back to it does not work.",
        )


class StateMismatch(LtiLaunchError):
    code = "state_mismatch"
    status = 403
    title = "Your browser blocked the tool's login cookie"

    def __init__(self, *, storage_target: str | None = None) -> None:
        where = "the LMS's browser storage" if storage_target else "this browser's login cookie"
        super().__init__(
            f"The launch could not be matched to {where}, so the tool cannot tell that this "
            "browser started it.",
            hint=_COOKIE_HINT,
        )


class TokenLoginMismatch(LtiLaunchError):
    """The token names a different (issuer, client_id) from the login that started it."""

    code = "token_login_mismatch"
    status = 403

    def __init__(self, *, login: tuple[str, str], token: tuple[str, str]) -> None:
        super().__init__(
            f"The launch came from issuer “{token[0]}” client “{token[1]}”, but the login was "
            f"started for issuer “{login[0]}” client “{login[1]}”.",
            hint=(
                f"{_RELAUNCH} If two registrations share an issuer (hosted Canvas), check "
                "that each school's link uses its own developer key."
            ),
        )


class MissingNonce(LtiLaunchError):
    code = "missing_nonce"

    def __init__(self) -> None:
        super().__init__(
            "The launch token has no nonce.",
            hint="The LMS must echo the nonce from the tool's login request.",
        )


class NonceMismatch(LtiLaunchError):
    code = "nonce_mismatch"
    status = 401

    def __init__(self) -> None:
        super().__init__(
            "The launch token's nonce is not the one the tool issued for this login.",
            hint=_RELAUNCH,
        )


# ---------------------------------------------------------------- launch: LTI claims


class MissingDeployment(LtiLaunchError):
    code = "missing_deployment"

    def __init__(self) -> None:
        super().__init__(
            "The launch token has no deployment_id claim.",
            hint="The LMS must send the deployment ID of this tool's installation.",
        )


class DeploymentIdTooLong(LtiLaunchError):
    code = "deployment_id_too_long"

    def __init__(self, length: int) -> None:
        super().__init__(
            f"The launch's deployment_id is {length} characters; LTI allows at most 255.",
            hint="Check the deployment settings of this tool in the LMS.",
        )


class UnknownDeployment(LtiLaunchError):
    code = "unknown_deployment"
    status = 403

    def __init__(self, deployment_id: str, issuer: str, client_id: str) -> None:
        self.deployment_id = deployment_id
        super().__init__(
            f"Deployment “{deployment_id}” is not registered for issuer “{issuer}” client "
            f"“{client_id}”.",
            hint=(
                "Add this deployment ID to the tool's registration for this LMS (in Canvas "
                "it is shown on the app's Deployment ID menu; in Moodle it is the tool's "
                "type id), or let the registration accept new deployments."
            ),
        )


class MissingVersion(LtiLaunchError):
    code = "missing_version"

    def __init__(self) -> None:
        super().__init__(
            "The launch token has no LTI version claim.",
            hint="This tool accepts LTI 1.3 launches only: set the link's LTI version to 1.3.",
        )


class WrongVersion(LtiLaunchError):
    code = "wrong_version"

    def __init__(self, version: object) -> None:
        super().__init__(
            f"The launch is LTI version “{str(version)[:40]}”; this tool accepts 1.3.0.",
            hint="Set the link's LTI version to 1.3 in the LMS.",
        )


class MissingMessageType(LtiLaunchError):
    code = "missing_message_type"

    def __init__(self) -> None:
        super().__init__(
            "The launch token has no message_type claim.",
            hint="The LMS must say whether this is a resource link or a deep linking launch.",
        )


class UnknownMessageType(LtiLaunchError):
    code = "unknown_message_type"

    def __init__(self, message_type: object) -> None:
        super().__init__(
            f"The launch is a “{str(message_type)[:60]}” message, which this tool does not handle.",
            hint=(
                "This tool accepts resource link launches (LtiResourceLinkRequest) and deep "
                "linking (LtiDeepLinkingRequest). Check the placement configured in the LMS."
            ),
        )


class MissingClaim(LtiLaunchError):
    code = "missing_claim"

    def __init__(self, claim: str) -> None:
        self.claim = claim
        super().__init__(
            f"The launch token lacks the required “{claim_label(claim)}” claim ({claim}).",
            hint="The LMS's launch is incomplete for LTI 1.3: check the tool's configuration.",
        )


class InvalidClaim(LtiLaunchError):
    code = "invalid_claim"

    def __init__(self, claim: str, expected: str) -> None:
        self.claim = claim
        super().__init__(
            f"The launch token's “{claim_label(claim)}” claim ({claim}) is not {expected}.",
            hint="The LMS sent a launch that does not follow LTI 1.3.",
        )


class TargetLinkMismatch(LtiLaunchError):
    code = "target_link_mismatch"

    def __init__(self, claimed: str, expected: str) -> None:
        super().__init__(
            f"The launch targets “{claimed[:300]}”, but the login was started for "
            f"“{expected[:300]}”.",
            hint=(
                f"{_RELAUNCH} If it keeps failing, check that the link's target URI is the "
                "same in every place the LMS stores it."
            ),
        )


class SubTooLong(LtiLaunchError):
    code = "sub_too_long"

    def __init__(self, length: int) -> None:
        super().__init__(
            f"The launch's user identifier (sub) is {length} characters; LTI allows at most 255.",
            hint="The LMS sent a user identifier that does not follow LTI 1.3.",
        )
