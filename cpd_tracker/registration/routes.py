"""``/lti/register``: LTI Dynamic Registration, opened by Moodle or Canvas in a frame.

GET shows what will be registered and asks for confirmation; POST registers and posts
``org.imsglobal.lti.close`` to the LMS. The registration link either carries an invitation
(``?invite=``, from the admin page or ``cpd-tracker org invite``) naming the organisation, or,
when open registration is allowed, the admin names a new organisation here.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, abort, current_app, g, render_template, request

from cpd_tracker.framing import allow_framing_by
from cpd_tracker.limits import client_address, enforce
from cpd_tracker.models import Organisation, OrganisationKind
from cpd_tracker.registration.forms import RegisterForm, RegisterNewOrganisationForm
from cpd_tracker.registry import get_service
from cpd_tracker.services.dynamic_registration import (
    DynamicRegistrationService,
    NewOrganisation,
)
from cpd_tracker.services.invitations import InvitationRefused, InvitationService
from cpd_tracker.services.rate_limits import REGISTER_PER_ADDRESS
from cpd_tracker.services.registrations import RegistrationConflict

bp = Blueprint("registration", __name__)


def _organisation(invite: str | None) -> Organisation | None:
    if not invite:
        if not current_app.config["OPEN_REGISTRATION"]:
            abort(
                403,
                description="Registering this tool needs an invitation link. Ask a trust "
                "leader for one (LMS registrations page), or the tool's administrator "
                "(cpd-tracker org invite).",
            )
        return None
    try:
        invitation = get_service(InvitationService).find(invite)
    except InvitationRefused as exc:
        abort(400, description=str(exc))
    return invitation.organisation


@bp.route("/lti/register", methods=["GET", "POST"])
def register() -> Response:
    values = request.values
    config_url = values.get("openid_configuration", "")
    token = values.get("registration_token") or None
    if not config_url:
        return Response(render_template("registration/start_from_lms.html"), status=400)
    # Each registration page fetches from the LMS it names.
    enforce((REGISTER_PER_ADDRESS, client_address()))
    # The LMS being registered opens this page in an iframe on its own site (Moodle's Manage
    # tools, Canvas's developer keys); it is not registered yet, so only this page says so.
    allow_framing_by(config_url)
    # CSRF is bound to this registration attempt: there is no signed-in user yet.
    g.csrf_binding = "register:" + hashlib.sha256(f"{config_url}|{token}".encode()).hexdigest()
    organisation = _organisation(values.get("invite"))
    form_class = RegisterForm if organisation is not None else RegisterNewOrganisationForm
    form = form_class(
        request.form if request.method == "POST" else None,
        data={
            "openid_configuration": config_url,
            "registration_token": token or "",
            "invite": values.get("invite", ""),
        },
    )
    service = get_service(DynamicRegistrationService)
    config = service.configuration(config_url, token)
    if request.method == "POST" and form.validate():
        target: Organisation | NewOrganisation
        if organisation is not None:
            target = organisation
        else:
            assert isinstance(form, RegisterNewOrganisationForm)
            target = NewOrganisation(
                (form.organisation_name.data or "").strip(),
                OrganisationKind(form.organisation_kind.data),
            )
        invite = values.get("invite") or None
        try:
            # The use is part of this request's transaction: a refusal below gives it back.
            invitation = get_service(InvitationService).use(invite) if invite else None
            registration = service.register(
                config, token, target, invitation_id=invitation.id if invitation else None
            )
        except InvitationRefused as exc:
            abort(400, description=str(exc))
        except RegistrationConflict as exc:
            abort(409, description=str(exc) + " Remove the old registration first, or use it.")
        return Response(render_template("registration/done.html", registration=registration))
    status = 400 if form.errors else 200
    return Response(
        render_template(
            "registration/confirm.html", form=form, config=config, organisation=organisation
        ),
        status=status,
    )
