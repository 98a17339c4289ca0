"""Administration: the LMS registrations and deployments of the signed-in organisation."""

from __future__ import annotations

from flask import Blueprint, render_template

from cpd_tracker.access import signed_in, trust_leader_required
from cpd_tracker.registry import get_service
from cpd_tracker.services.invitations import registration_invite_url
from cpd_tracker.services.registrations import RegistrationService
from cpd_tracker.urls import tool_base_url

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/registrations")
@trust_leader_required
def registrations() -> str:
    user = signed_in()
    base = tool_base_url()
    return render_template(
        "admin/registrations.html",
        registrations=get_service(RegistrationService).registrations_of(user.organisation_id),
        tool_urls={
            "Login initiation URL": base + "/lti/login",
            "Redirect (launch) URL": base + "/lti/launch",
            "Public keyset (JWKS) URL": base + "/.well-known/jwks.json",
            "Dynamic Registration URL": base + "/lti/register",
        },
        invite_url=registration_invite_url(user.organisation_id),
    )
