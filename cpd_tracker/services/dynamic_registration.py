"""LTI Dynamic Registration, the tool's side: ask the platform, register, record it (audited).

The platform-facing protocol lives in ``lti.dynamic_registration``; this service decides which
organisation the new registration belongs to and stores it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from cpd_tracker.models import Organisation, OrganisationKind, PlatformRegistration
from cpd_tracker.services.audit import AuditService
from cpd_tracker.services.identity import frame_origin
from cpd_tracker.services.registrations import PlatformDetails, RegistrationService
from lti.dynamic_registration import (
    PlatformConfiguration,
    ToolDescription,
    build_registration_request,
    fetch_platform_configuration,
    register_tool,
)
from lti.http import HttpClient

TOOL_NAME = "SEND CPD Tracker"
TOOL_DESCRIPTION = (
    "Mandatory SEND training and the SENCO qualification: who needs what, by when, and who "
    "is missing it."
)


@dataclass(frozen=True)
class NewOrganisation:
    name: str
    kind: OrganisationKind


class DynamicRegistrationService:
    def __init__(
        self,
        session: Session,
        audit: AuditService,
        registrations: RegistrationService,
        http: HttpClient,
        *,
        base_url: str,
        allow_loopback_http: bool,
    ) -> None:
        self.session = session
        self.audit = audit
        self.registrations = registrations
        self.http = http
        self.base_url = base_url
        self.allow_loopback_http = allow_loopback_http

    def tool(self) -> ToolDescription:
        return ToolDescription.for_app(
            self.base_url,
            client_name=TOOL_NAME,
            description=TOOL_DESCRIPTION,
            jwks_path="/.well-known/jwks.json",
        )

    def configuration(self, url: str, token: str | None) -> PlatformConfiguration:
        return fetch_platform_configuration(
            self.http, url, token, allow_loopback_http=self.allow_loopback_http
        )

    def register(
        self,
        config: PlatformConfiguration,
        token: str | None,
        organisation: Organisation | NewOrganisation,
        *,
        invitation_id: int | None = None,
    ) -> PlatformRegistration:
        """Register with the LMS and record it. Into an organisation that already has a trust
        leader, the registration waits, inert, for one of them to approve it; the first
        registration of an organisation (from the command line's invitation, or a new
        organisation under open registration) does not."""
        body = build_registration_request(config, self.tool())
        result = register_tool(
            self.http, config, body, token, allow_loopback_http=self.allow_loopback_http
        )
        if isinstance(organisation, NewOrganisation):
            organisation = self.registrations.create_organisation(
                organisation.name, organisation.kind
            )
        awaiting_approval = self.registrations.has_trust_leader(organisation)
        lms_host = urlsplit(config.openid_configuration_url).netloc
        endpoints = config.endpoints
        registration = self.registrations.add_platform(
            organisation,
            PlatformDetails(
                name=f"{config.product_family.capitalize()} at {lms_host}",
                issuer=config.issuer,
                client_id=result.client_id,
                auth_login_url=endpoints.auth_login_url,
                auth_token_url=endpoints.auth_token_url,
                key_set_url=endpoints.key_set_url,
                auth_audience=endpoints.auth_audience,
                product_family=config.product_family,
            ),
            deployment_ids=[result.deployment_id] if result.deployment_id else [],
            # Canvas answers without a deployment id: its deployments are recorded (and
            # audited) on their first valid launch.
            accept_new_deployments=result.deployment_id is None,
            created_via="dynamic",
            awaiting_approval=awaiting_approval,
            invitation_id=invitation_id,
        )
        origin = frame_origin(config.openid_configuration_url)
        if origin:
            registration.frame_origins = [origin]
        self.audit.record(
            "platform_registration.dynamic_registration",
            organisation_id=organisation.id,
            entity_type="platform_registration",
            entity_id=registration.id,
            openid_configuration=config.openid_configuration_url,
            scopes=list(result.scopes),
        )
        return registration
