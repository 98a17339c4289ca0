"""LTI Dynamic Registration, tool side: configuration fetch, request body, registration answer."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from typing import Any

import pytest
import requests

from lti.dynamic_registration import (
    CLOSE_MESSAGE,
    DEEP_LINKING_REQUEST,
    DEFAULT_CLAIMS,
    DEFAULT_SCOPES,
    LTI_PLATFORM_CONFIGURATION,
    LTI_TOOL_CONFIGURATION,
    RESOURCE_LINK_REQUEST,
    SCOPE_NRPS,
    SCOPE_SCORE,
    MessageDescriptor,
    PlatformConfiguration,
    ToolDescription,
    build_registration_request,
    close_message,
    fetch_platform_configuration,
    register_tool,
)
from lti.http import HttpClient
from lti.platforms import canvas
from lti.registration_errors import (
    InsecureUrlError,
    PlatformConfigurationError,
    RegistrationError,
)

MOODLE = "https://moodle.school.org.uk"
MOODLE_CONFIG_URL = f"{MOODLE}/mod/lti/openid-configuration.php"
CANVAS_ISSUER = "https://canvas.instructure.com"
SCHOOL_CANVAS = "https://school.instructure.com"
CANVAS_CONFIG_URL = f"{SCHOOL_CANVAS}/api/lti/security/openid-configuration"
TOKEN = "reg.token.jwt"


# --- a fake requests.Session behind the real HttpClient -------------------------------------


class FakeSession(requests.Session):
    def __init__(self, *answers: requests.Response | Exception) -> None:
        super().__init__()
        self.answers = list(answers)
        self.calls: list[dict[str, Any]] = []

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.calls.append({"method": method, "url": url, **kwargs})
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def answer(status: int = 200, body: Any = None, text: str | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    raw = text if text is not None else ("" if body is None else json.dumps(body))
    response.raw = io.BytesIO(raw.encode("utf-8"))  # read by HttpClient, like a real answer
    response.encoding = "utf-8"
    return response


def client(*answers: requests.Response | Exception) -> tuple[HttpClient, FakeSession]:
    session = FakeSession(*answers)
    return HttpClient(session=session), session


# --- platform documents, shaped like the real ones ------------------------------------------


def moodle_document(site: str = MOODLE, **changes: Any) -> dict[str, Any]:
    """As mod/lti/openid-configuration.php builds it."""
    doc: dict[str, Any] = {
        "issuer": site,
        "token_endpoint": f"{site}/mod/lti/token.php",
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "jwks_uri": f"{site}/mod/lti/certs.php",
        "authorization_endpoint": f"{site}/mod/lti/auth.php",
        "registration_endpoint": f"{site}/mod/lti/openid-registration.php",
        "scopes_supported": [*DEFAULT_SCOPES, "openid"],
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["sub", "iss", "name", "given_name", "family_name", "email"],
        LTI_PLATFORM_CONFIGURATION: {
            "product_family_code": "moodle",
            "version": "4.5.2 (Build: 20250210)",
            "messages_supported": ["LtiResourceLinkRequest", "LtiDeepLinkingRequest"],
            "placements": ["AddContentMenu"],
            "variables": ["Context.id.history"],
        },
    }
    doc.update(changes)
    return doc


def canvas_document(issuer: str = CANVAS_ISSUER, **changes: Any) -> dict[str, Any]:
    """As Canvas documents it (doc/api/registration.md), with the 2023 sso endpoints."""
    sso = "https://sso.canvaslms.com"
    doc: dict[str, Any] = {
        "issuer": issuer,
        "authorization_endpoint": f"{sso}/api/lti/authorize_redirect",
        "registration_endpoint": f"{SCHOOL_CANVAS}/api/lti/registrations",
        "jwks_uri": f"{sso}/api/lti/security/jwks",
        "token_endpoint": f"{sso}/login/oauth2/token",
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "scopes_supported": [
            *DEFAULT_SCOPES,
            "https://canvas.instructure.com/lti/public_jwk/scope/update",
        ],
        "response_types_supported": ["id_token"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["sub", "iss", "name", "given_name", "family_name", "email", "locale"],
        "subject_types_supported": ["public"],
        "authorization_server": "canvas.instructure.com",
        LTI_PLATFORM_CONFIGURATION: {
            "product_family_code": "canvas",
            "version": "vCloud",
            "messages_supported": [
                {
                    "type": "LtiResourceLinkRequest",
                    "placements": ["course_navigation", "account_navigation"],
                },
                {
                    "type": "LtiDeepLinkingRequest",
                    "placements": ["assignment_selection", "link_selection"],
                },
            ],
            "https://canvas.instructure.com/lti/account_name": "Test School",
        },
    }
    doc.update(changes)
    return doc


def fetch(doc: dict[str, Any], url: str, token: str | None = TOKEN) -> PlatformConfiguration:
    http, _ = client(answer(body=doc))
    return fetch_platform_configuration(http, url, token)


@pytest.fixture
def tool() -> ToolDescription:
    return ToolDescription.for_app(
        "https://cpd.example.org/",
        client_name="CPD Tracker",
        description="SEND training records",
        deep_linking_path="/lti/deep-link",
        logo_path="/static/logo.png",
    )


@pytest.fixture
def moodle_config() -> PlatformConfiguration:
    return fetch(moodle_document(), MOODLE_CONFIG_URL, token=None)


@pytest.fixture
def canvas_config() -> PlatformConfiguration:
    return fetch(canvas_document(), CANVAS_CONFIG_URL)


# --- fetching the configuration -------------------------------------------------------------


def test_moodle_configuration_is_fetched_without_bearer_when_no_token() -> None:
    http, session = client(answer(body=moodle_document()))

    config = fetch_platform_configuration(http, MOODLE_CONFIG_URL, None)

    (call,) = session.calls
    assert call["method"] == "GET"
    assert call["url"] == MOODLE_CONFIG_URL
    assert "Authorization" not in call["headers"]
    assert call["headers"]["Accept"] == "application/json"
    assert call["allow_redirects"] is False
    assert config.issuer == MOODLE
    assert config.product_family == "moodle"
    assert config.registration_endpoint == f"{MOODLE}/mod/lti/openid-registration.php"
    assert config.version == "4.5.2 (Build: 20250210)"
    assert config.messages_supported == {RESOURCE_LINK_REQUEST: (), DEEP_LINKING_REQUEST: ()}
    assert config.endpoints.key_set_url == f"{MOODLE}/mod/lti/certs.php"
    assert config.raw["issuer"] == MOODLE
    assert not config.is_canvas


def test_canvas_configuration_is_fetched_with_bearer_token() -> None:
    http, session = client(answer(body=canvas_document()))

    config = fetch_platform_configuration(http, CANVAS_CONFIG_URL, TOKEN)

    assert session.calls[0]["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert config.issuer == CANVAS_ISSUER
    assert config.is_canvas
    assert config.messages_supported is not None
    assert config.messages_supported[DEEP_LINKING_REQUEST] == (
        "assignment_selection",
        "link_selection",
    )


def test_canvas_configuration_on_the_shared_issuer_host_is_accepted() -> None:
    url = f"{CANVAS_ISSUER}/api/lti/security/openid-configuration"
    doc = canvas_document(registration_endpoint=f"{CANVAS_ISSUER}/api/lti/registrations")

    assert fetch(doc, url).issuer == CANVAS_ISSUER


def test_canvas_beta_configuration_on_a_beta_school_host_is_accepted() -> None:
    sso = "https://sso.beta.canvaslms.com"
    doc = canvas_document(
        "https://canvas.beta.instructure.com",
        authorization_endpoint=f"{sso}/api/lti/authorize_redirect",
        jwks_uri=f"{sso}/api/lti/security/jwks",
        token_endpoint=f"{sso}/login/oauth2/token",
        registration_endpoint="https://school.beta.instructure.com/api/lti/registrations",
    )

    config = fetch(doc, "https://school.beta.instructure.com/api/lti/security/openid-configuration")

    assert config.issuer == "https://canvas.beta.instructure.com"


def test_moodle_in_a_subdirectory_passes_the_issuer_check() -> None:
    site = "https://www.school.org.uk/moodle"
    config = fetch(moodle_document(site), f"{site}/mod/lti/openid-configuration.php", None)

    assert config.issuer == site


def test_old_moodle_message_names_are_normalised() -> None:
    doc = moodle_document()
    doc[LTI_PLATFORM_CONFIGURATION]["messages_supported"] = [
        "LtiResourceLink",
        "LtiDeepLinkingRequest",
        7,
    ]

    config = fetch(doc, MOODLE_CONFIG_URL, None)

    assert set(config.messages_supported or {}) == {RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST}


def test_unlisted_capabilities_are_none_so_nothing_gets_filtered() -> None:
    doc = moodle_document(scopes_supported="all", claims_supported=None)
    doc[LTI_PLATFORM_CONFIGURATION] = {"product_family_code": " Moodle "}

    config = fetch(doc, MOODLE_CONFIG_URL, None)

    assert config.scopes_supported is None
    assert config.claims_supported is None
    assert config.messages_supported is None
    assert config.version is None
    assert config.product_family == "moodle"


@pytest.mark.parametrize(
    ("issuer", "url"),
    [
        ("https://moodle.other.org.uk", MOODLE_CONFIG_URL),
        (MOODLE, "https://moodle.school.org.uk:8443/mod/lti/openid-configuration.php"),
        ("https://evil.example", "https://evil.example.school.org.uk/openid"),
    ],
)
def test_issuer_on_another_site_than_the_configuration_is_refused(issuer: str, url: str) -> None:
    with pytest.raises(PlatformConfigurationError, match="same site"):
        fetch(moodle_document(issuer), url, None)


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/api/lti/security/openid-configuration",
        "https://evilinstructure.com/api/lti/security/openid-configuration",
        "https://school.instructure.com.evil.example/api/lti/security/openid-configuration",
        # A beta host must not speak for production Canvas.
        "https://school.beta.instructure.com/api/lti/security/openid-configuration",
    ],
)
def test_canvas_issuer_from_a_non_instructure_host_is_refused(url: str) -> None:
    with pytest.raises(PlatformConfigurationError, match="configuration URL"):
        fetch(canvas_document(), url)


@pytest.mark.parametrize(
    "field", ["jwks_uri", "authorization_endpoint", "token_endpoint", "registration_endpoint"]
)
def test_canvas_issuer_with_endpoints_off_instructure_is_refused(field: str) -> None:
    doc = canvas_document(**{field: "https://evil.example/endpoint"})

    with pytest.raises(PlatformConfigurationError, match=field):
        fetch(doc, CANVAS_CONFIG_URL)


@pytest.mark.parametrize(
    "field",
    ["issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint"],
)
def test_missing_required_field_is_refused(field: str) -> None:
    doc = moodle_document()
    del doc[field]

    with pytest.raises(PlatformConfigurationError, match=field):
        fetch(doc, MOODLE_CONFIG_URL, None)


@pytest.mark.parametrize(
    "platform_configuration", [None, "moodle", {"version": "4.5"}, {"product_family_code": " "}]
)
def test_missing_product_family_is_refused(platform_configuration: Any) -> None:
    doc = moodle_document()
    doc[LTI_PLATFORM_CONFIGURATION] = platform_configuration

    with pytest.raises(PlatformConfigurationError, match="product_family_code"):
        fetch(doc, MOODLE_CONFIG_URL, None)


@pytest.mark.parametrize(
    ("field", "value", "needed"),
    [
        ("token_endpoint_auth_methods_supported", ["client_secret_basic"], "private_key_jwt"),
        ("id_token_signing_alg_values_supported", [], "RS256"),
    ],
)
def test_platform_without_what_the_tool_needs_is_refused(
    field: str, value: list[str], needed: str
) -> None:
    with pytest.raises(PlatformConfigurationError, match=needed):
        fetch(moodle_document(MOODLE, **{field: value}), MOODLE_CONFIG_URL, None)


def test_insecure_endpoint_in_the_document_is_refused() -> None:
    doc = moodle_document(jwks_uri="http://moodle.school.org.uk/mod/lti/certs.php")

    with pytest.raises(PlatformConfigurationError, match="jwks_uri"):
        fetch(doc, MOODLE_CONFIG_URL, None)


@pytest.mark.parametrize(
    "url",
    [
        "http://moodle.school.org.uk/mod/lti/openid-configuration.php",
        "ftp://moodle.school.org.uk/config",
        "/mod/lti/openid-configuration.php",
        "https://moodle.school.org.uk:99999/config",
        "http://10.0.0.5/config",
    ],
)
def test_non_https_configuration_url_is_refused_before_any_request(url: str) -> None:
    http, session = client()

    with pytest.raises(InsecureUrlError, match="not an https"):
        fetch_platform_configuration(http, url, None)
    assert session.calls == []


def test_http_on_localhost_is_allowed_for_tests_and_the_demo() -> None:
    site = "http://localhost:8080"
    config = fetch(moodle_document(site), f"{site}/mod/lti/openid-configuration.php", None)

    assert config.issuer == site


def test_http_on_localhost_can_be_switched_off() -> None:
    http, _ = client()

    with pytest.raises(InsecureUrlError):
        fetch_platform_configuration(
            http, "http://127.0.0.1:8080/config", None, allow_loopback_http=False
        )


def test_refused_configuration_quotes_the_platform() -> None:
    http, _ = client(answer(401, {"errorMessage": "JWT did not include expected contents"}))

    with pytest.raises(PlatformConfigurationError) as caught:
        fetch_platform_configuration(http, CANVAS_CONFIG_URL, None)

    assert caught.value.platform_status == 401
    assert "JWT did not include expected contents" in caught.value.message
    assert "registration token" in caught.value.hint


def test_redirected_configuration_is_not_followed() -> None:
    http, _ = client(answer(302, text=""))

    with pytest.raises(PlatformConfigurationError, match="HTTP 302"):
        fetch_platform_configuration(http, MOODLE_CONFIG_URL, None)


def test_unreachable_platform_is_a_configuration_error() -> None:
    http, _ = client(requests.ConnectionError("refused"))

    with pytest.raises(PlatformConfigurationError, match="could not be reached"):
        fetch_platform_configuration(http, MOODLE_CONFIG_URL, None)


@pytest.mark.parametrize("text", ["<html>Moodle error</html>", "[1, 2]"])
def test_configuration_that_is_not_a_json_object_is_refused(text: str) -> None:
    http, _ = client(answer(200, text=text))

    with pytest.raises(PlatformConfigurationError, match="not a JSON object"):
        fetch_platform_configuration(http, MOODLE_CONFIG_URL, None)


# --- the registration request ---------------------------------------------------------------


def test_moodle_request_has_the_fields_moodle_requires_and_no_canvas_extensions(
    moodle_config: PlatformConfiguration, tool: ToolDescription
) -> None:
    body = build_registration_request(moodle_config, tool)

    assert body["application_type"] == "web"
    assert body["grant_types"] == ["client_credentials", "implicit"]
    assert body["response_types"] == ["id_token"]
    assert body["token_endpoint_auth_method"] == "private_key_jwt"
    assert body["initiate_login_uri"] == "https://cpd.example.org/lti/login"
    assert body["redirect_uris"] == [
        "https://cpd.example.org/lti/launch",
        "https://cpd.example.org/lti/deep-link",
    ]
    assert body["jwks_uri"] == "https://cpd.example.org/lti/jwks"
    assert body["client_name"] == "CPD Tracker"
    assert body["logo_uri"] == "https://cpd.example.org/static/logo.png"
    assert body["scope"].split() == list(DEFAULT_SCOPES)
    tool_configuration = body[LTI_TOOL_CONFIGURATION]
    assert tool_configuration["domain"] == "cpd.example.org"
    assert tool_configuration["target_link_uri"] == "https://cpd.example.org/lti/launch"
    assert tool_configuration["claims"] == list(DEFAULT_CLAIMS)
    assert tool_configuration["description"] == "SEND training records"
    assert canvas.PRIVACY_LEVEL_KEY not in tool_configuration
    assert [m["type"] for m in tool_configuration["messages"]] == [
        RESOURCE_LINK_REQUEST,
        DEEP_LINKING_REQUEST,
    ]
    assert all("placements" not in m for m in tool_configuration["messages"])
    assert "canvas" not in json.dumps(body)


def test_canvas_request_carries_privacy_level_and_placements(
    canvas_config: PlatformConfiguration, tool: ToolDescription
) -> None:
    body = build_registration_request(canvas_config, tool)

    tool_configuration = body[LTI_TOOL_CONFIGURATION]
    assert tool_configuration[canvas.PRIVACY_LEVEL_KEY] == "public"
    resource_link, deep_linking = tool_configuration["messages"]
    assert resource_link == {
        "type": RESOURCE_LINK_REQUEST,
        "target_link_uri": "https://cpd.example.org/lti/launch",
        "label": "CPD Tracker",
        "placements": ["course_navigation"],
    }
    assert deep_linking["placements"] == ["link_selection", "assignment_selection"]


def test_scopes_and_claims_are_trimmed_to_what_the_platform_supports(
    moodle_config: PlatformConfiguration, tool: ToolDescription
) -> None:
    config = replace(
        moodle_config, scopes_supported=(SCOPE_SCORE, "openid"), claims_supported=("sub", "iss")
    )

    body = build_registration_request(config, tool)

    assert body["scope"] == SCOPE_SCORE
    assert body[LTI_TOOL_CONFIGURATION]["claims"] == ["iss", "sub"]


def test_without_platform_lists_everything_the_tool_wants_is_asked_for(
    moodle_config: PlatformConfiguration, tool: ToolDescription
) -> None:
    config = replace(
        moodle_config, scopes_supported=None, claims_supported=None, messages_supported=None
    )

    body = build_registration_request(config, tool)

    assert SCOPE_NRPS in body["scope"].split()
    assert len(body[LTI_TOOL_CONFIGURATION]["messages"]) == 2


def test_messages_the_platform_lacks_are_left_out(
    canvas_config: PlatformConfiguration, tool: ToolDescription
) -> None:
    config = replace(canvas_config, messages_supported={RESOURCE_LINK_REQUEST: ()})

    messages = build_registration_request(config, tool)[LTI_TOOL_CONFIGURATION]["messages"]

    assert [m["type"] for m in messages] == [RESOURCE_LINK_REQUEST]
    # The platform listed no placements for it: the tool's own are sent unfiltered.
    assert messages[0]["placements"] == ["course_navigation"]


def test_canvas_placements_the_platform_does_not_offer_are_dropped(
    canvas_config: PlatformConfiguration, tool: ToolDescription
) -> None:
    config = replace(
        canvas_config,
        messages_supported={
            RESOURCE_LINK_REQUEST: ("account_navigation",),
            DEEP_LINKING_REQUEST: (),
        },
    )

    messages = build_registration_request(config, tool)[LTI_TOOL_CONFIGURATION]["messages"]

    assert "placements" not in messages[0]


def test_optional_message_fields_and_custom_parameters_are_sent_when_set(
    moodle_config: PlatformConfiguration,
) -> None:
    message = MessageDescriptor(
        DEEP_LINKING_REQUEST,
        icon_uri="https://cpd.example.org/icon.svg",
        custom_parameters={"context_id": "$Context.id"},
        roles=("http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",),
    )
    tool = ToolDescription(
        client_name="CPD",
        base_url="https://cpd.example.org",
        initiate_login_uri="https://cpd.example.org/login",
        redirect_uris=("https://cpd.example.org/launch",),
        jwks_uri="https://cpd.example.org/jwks",
        target_link_uri="https://cpd.example.org/launch",
        domain="cpd.example.org",
        messages=(message,),
        custom_parameters={"school": "$Context.title"},
    )

    body = build_registration_request(moodle_config, tool)

    tool_configuration = body[LTI_TOOL_CONFIGURATION]
    assert tool_configuration["custom_parameters"] == {"school": "$Context.title"}
    assert tool_configuration["messages"] == [
        {
            "type": DEEP_LINKING_REQUEST,
            "icon_uri": "https://cpd.example.org/icon.svg",
            "custom_parameters": {"context_id": "$Context.id"},
            "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"],
        }
    ]
    assert "logo_uri" not in body
    assert "description" not in tool_configuration


# --- the tool description -------------------------------------------------------------------


def test_for_app_with_one_launch_url_registers_it_once() -> None:
    tool = ToolDescription.for_app("http://localhost:5000", client_name="CPD")

    assert tool.redirect_uris == ("http://localhost:5000/lti/launch",)
    assert tool.domain == "localhost:5000"
    assert tool.logo_uri is None
    assert tool.messages[1].target_link_uri == "http://localhost:5000/lti/launch"


def _tool(**changes: Any) -> ToolDescription:
    fields: dict[str, Any] = {
        "client_name": "CPD",
        "base_url": "https://cpd.example.org",
        "initiate_login_uri": "https://cpd.example.org/login",
        "redirect_uris": ("https://cpd.example.org/launch",),
        "jwks_uri": "https://cpd.example.org/jwks",
        "target_link_uri": "https://cpd.example.org/launch",
        "domain": "cpd.example.org",
    }
    fields.update(changes)
    return ToolDescription(**fields)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"redirect_uris": ()}, "redirect URI"),
        ({"jwks_uri": "/jwks"}, "absolute"),
        ({"logo_uri": "logo.png"}, "absolute"),
        ({"target_link_uri": "https://elsewhere.example/launch"}, "domain"),
        (
            {
                "messages": (
                    MessageDescriptor(DEEP_LINKING_REQUEST, target_link_uri="https://x.example/dl"),
                )
            },
            "domain",
        ),
    ],
)
def test_tool_description_refuses_what_platforms_would_reject(
    changes: dict[str, Any], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        _tool(**changes)


# --- registering ----------------------------------------------------------------------------


def test_moodle_registration_returns_client_and_deployment(
    moodle_config: PlatformConfiguration, tool: ToolDescription
) -> None:
    request = build_registration_request(moodle_config, tool)
    response = {
        "client_id": "fYQt5KS4vCinujE",
        "scope": f"{SCOPE_SCORE} {SCOPE_NRPS}",
        LTI_TOOL_CONFIGURATION: {"deployment_id": "119", "domain": "cpd.example.org"},
    }
    http, session = client(answer(200, response))

    result = register_tool(http, moodle_config, request, TOKEN)

    (call,) = session.calls
    assert call["method"] == "POST"
    assert call["url"] == moodle_config.registration_endpoint
    assert call["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert call["json"] == request
    assert result.client_id == "fYQt5KS4vCinujE"
    assert result.deployment_id == "119"
    assert result.scopes == (SCOPE_SCORE, SCOPE_NRPS)
    assert result.raw["client_id"] == "fYQt5KS4vCinujE"
    registration = result.registration(moodle_config)
    assert registration.issuer == MOODLE
    assert registration.deployment_ids == frozenset({"119"})
    assert not registration.accept_new_deployments


def test_canvas_registration_has_no_deployment_so_new_ones_are_accepted(
    canvas_config: PlatformConfiguration, tool: ToolDescription
) -> None:
    request = build_registration_request(canvas_config, tool)
    response = {**request, "client_id": "10000000000001"}
    http, session = client(answer(200, response))

    result = register_tool(http, canvas_config, request, TOKEN)

    assert session.calls[0]["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert result.client_id == "10000000000001"
    assert result.deployment_id is None
    registration = result.registration(canvas_config)
    assert registration.issuer == CANVAS_ISSUER
    assert registration.key_set_url == "https://sso.canvaslms.com/api/lti/security/jwks"
    assert registration.deployment_ids == frozenset()
    assert registration.accept_new_deployments


def test_registration_answer_without_tool_configuration_has_no_deployment(
    canvas_config: PlatformConfiguration,
) -> None:
    http, _ = client(answer(200, {"client_id": "10000000000002", "scope": 5}))

    result = register_tool(http, canvas_config, {}, TOKEN)

    assert (result.client_id, result.deployment_id, result.scopes) == ("10000000000002", None, ())


def test_registration_without_token_sends_no_bearer(moodle_config: PlatformConfiguration) -> None:
    http, session = client(
        answer(201, {"client_id": 42, LTI_TOOL_CONFIGURATION: {"deployment_id": 5}})
    )

    result = register_tool(http, moodle_config, {}, None)

    assert "Authorization" not in session.calls[0]["headers"]
    assert (result.client_id, result.deployment_id, result.scopes) == ("42", "5", ())


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (422, {"errors": ["Redirect uris is invalid"]}, "Redirect uris is invalid"),
        (
            422,
            {"errors": [{"message": "Domain can't be blank"}, ["a", "b"], 3]},
            # Words only: a bare number or object says nothing an admin can act on.
            "Domain can't be blank; a, b",
        ),
        (422, {"errors": {"scopes": ["is invalid"]}}, "scopes: is invalid"),
        (
            400,
            {"error": "invalid_client_metadata", "error_description": "no domain"},
            "invalid_client_metadata: no domain",
        ),
        # Not an LMS error shape: described, never quoted (the body is not the page's).
        (400, {"unexpected": True}, "JSON of another shape (not shown)"),
        (500, None, "HTTP 500 with an empty body"),
    ],
)
def test_refused_registration_quotes_the_platform(
    canvas_config: PlatformConfiguration, status: int, body: Any, reason: str
) -> None:
    http, _ = client(answer(status, body))

    with pytest.raises(RegistrationError) as caught:
        register_tool(http, canvas_config, {}, TOKEN)

    assert caught.value.platform_status == status
    assert caught.value.platform_reason == reason
    assert reason in caught.value.message


def test_moodle_refusal_in_plain_text_gets_an_instruction(
    moodle_config: PlatformConfiguration,
) -> None:
    http, _ = client(answer(401, text="token_already_used"))

    with pytest.raises(RegistrationError, match="token_already_used") as caught:
        register_tool(http, moodle_config, {}, TOKEN)

    assert "Manage tools" in caught.value.hint


def test_html_and_very_long_refusals_are_described_not_quoted(
    moodle_config: PlatformConfiguration,
) -> None:
    http, _ = client(
        answer(500, text="<html><body>Fatal</body></html>"), answer(400, text="x" * 1000)
    )

    with pytest.raises(RegistrationError, match="an HTML page") as html:
        register_tool(http, moodle_config, {}, TOKEN)
    with pytest.raises(RegistrationError) as caught:
        register_tool(http, moodle_config, {}, TOKEN)

    assert "Fatal" not in html.value.message
    assert caught.value.platform_reason == "text that is not JSON (not shown)"
    assert "xxx" not in caught.value.message


def test_network_failure_while_registering_is_a_registration_error(
    moodle_config: PlatformConfiguration,
) -> None:
    http, _ = client(requests.Timeout("slow"))

    with pytest.raises(RegistrationError, match="did not answer in time"):
        register_tool(http, moodle_config, {}, TOKEN)


@pytest.mark.parametrize(
    ("response", "match"),
    [
        (answer(200, text="ok"), "not a JSON object"),
        (answer(200, {"client_name": "CPD"}), "no client_id"),
        (answer(200, {"client_id": True}), "no client_id"),
        (answer(200, {"client_id": "  "}), "no client_id"),
    ],
)
def test_unusable_registration_answers_are_refused(
    moodle_config: PlatformConfiguration, response: requests.Response, match: str
) -> None:
    http, _ = client(response)

    with pytest.raises(RegistrationError, match=match):
        register_tool(http, moodle_config, {}, TOKEN)


def test_insecure_registration_endpoint_is_refused(moodle_config: PlatformConfiguration) -> None:
    config = replace(moodle_config, registration_endpoint="http://moodle.school.org.uk/register")
    http, session = client()

    with pytest.raises(InsecureUrlError):
        register_tool(http, config, {}, TOKEN)
    assert session.calls == []


def test_close_message_is_the_spec_subject() -> None:
    assert close_message() == {"subject": "org.imsglobal.lti.close"}
    assert json.dumps(close_message()) == '{"subject": "org.imsglobal.lti.close"}'
    with pytest.raises(TypeError):
        CLOSE_MESSAGE["subject"] = "other"  # type: ignore[index]
