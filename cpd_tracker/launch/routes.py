"""LTI 1.3 endpoints: OIDC login initiation, launch, the tool's JWKS.

Views stay thin: parse, call ``LaunchService``, render. Every refusal is an ``LtiError``
rendered by ``errors.handle_lti_error`` as a 4xx page an LMS admin can act on.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from cpd_tracker.access import launch_course, login_required, signed_in
from cpd_tracker.auth import LaunchSession, effective_grants, landing_endpoint, start_session
from cpd_tracker.correlation import correlation_id
from cpd_tracker.framing import allow_framing_by, login_frame_origins
from cpd_tracker.launch.forms import ChooseSchoolForm
from cpd_tracker.limits import client_address, enforce
from cpd_tracker.metrics import launch_accepted, lti_refused
from cpd_tracker.models import PermissionKind
from cpd_tracker.registry import get_service
from cpd_tracker.services.course_links import CourseLinkRefused, CourseLinkService
from cpd_tracker.services.identity import IdentityService
from cpd_tracker.services.keys import KeyService
from cpd_tracker.services.launch import Launched, LaunchService, state_cookie_name
from cpd_tracker.services.overview import OverviewService
from cpd_tracker.services.rate_limits import (
    LAUNCH_PER_ADDRESS,
    LOGIN_PER_ADDRESS,
    LOGIN_PER_PLATFORM,
)
from cpd_tracker.services.roster import RosterService
from cpd_tracker.templating import tool_url
from cpd_tracker.urls import tool_base_url
from lti.dynamic_registration import DEFAULT_SCOPES
from lti.errors import LtiLaunchError

bp = Blueprint("launch", __name__)
log = logging.getLogger("cpd_tracker")

STATE_COOKIE_SECONDS = 600


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@bp.route("/lti/login", methods=["GET", "POST"])
def login() -> BaseResponse:
    # Each login initiation writes a login state: limited per browser and per platform.
    enforce(
        (LOGIN_PER_ADDRESS, client_address()),
        (LOGIN_PER_PLATFORM, request.values.get("iss", "")[:255]),
    )
    auth = get_service(LaunchService).begin(request.values.to_dict())
    response: BaseResponse
    if auth.storage_target:
        # Platform Storage: the state and nonce also go to the platform's frame by postMessage,
        # so the launch can be bound to this browser even when our cookie is refused. The page
        # is shown in the LMS's frame before anyone is signed in: that platform may frame it.
        allow_framing_by(
            *login_frame_origins(
                request.values.get("iss", ""),
                request.values.get("client_id"),
                request.headers.get("Referer"),
            )
        )
        response = Response(
            render_template(
                "launch/storage_login.html",
                auth=auth,
                target_origin=_origin(auth.url),
            )
        )
    else:
        response = redirect(auth.url, code=302)
    response.set_cookie(
        state_cookie_name(auth.state),
        auth.state,
        max_age=STATE_COOKIE_SECONDS,
        secure=True,
        httponly=True,
        samesite="None",
        partitioned=True,
        path="/lti/",
    )
    return response


@bp.post("/lti/launch")
def launch() -> BaseResponse:
    enforce((LAUNCH_PER_ADDRESS, client_address()))
    id_token = request.form.get("id_token", "")
    state = request.form.get("state", "")
    if not id_token or not state:
        raise LtiLaunchError(
            "The launch arrived without an id_token or a state.",
            hint="Start the activity again from your LMS course. If it keeps happening, check "
            "that the tool's redirect URL in the LMS is exactly "
            f"{tool_base_url()}/lti/launch.",
        )
    service = get_service(LaunchService)
    bound = request.cookies.get(state_cookie_name(state)) or request.form.get("platform_state")
    if not bound:
        pending = service.pending(state)
        if pending is not None and not pending.taken:
            relaunch = pending.relaunch_params
            allow_framing_by(
                *login_frame_origins(
                    str(relaunch.get("iss", "")),
                    relaunch.get("client_id"),
                    request.headers.get("Referer"),
                )
            )
            if pending.storage_target and not request.form.get("storage_tried"):
                return Response(
                    render_template(
                        "launch/storage_launch.html",
                        id_token=id_token,
                        state=state,
                        storage_target=pending.storage_target,
                        target_origin=pending.platform_origin,
                    )
                )
            # A refused launch like any other: logged with the reference the page shows.
            log.warning(
                "LTI refused [%s] cookies_blocked: the browser sent no state cookie for "
                "this launch (platform %s)",
                correlation_id(),
                pending.platform_name or pending.platform_origin or "unknown",
            )
            allow_framing_by(pending.platform_origin)
            lti_refused("cookies_blocked")
            return Response(
                render_template(
                    "lti/cookies_blocked.html",
                    correlation_id=correlation_id(),
                    # Login initiation accepts GET: the new tab starts the same login again,
                    # top-level, where our cookie is first-party.
                    new_tab_url=tool_base_url()
                    + "/lti/login?"
                    + urlencode(pending.relaunch_params),
                    platform_name=pending.platform_name,
                ),
                status=401,
            )
    launched = service.complete(id_token, state, bound)
    launch_accepted()
    sign_in = launched.sign_in
    response: BaseResponse
    if sign_in.person is None:
        registration = launched.registration
        allow_framing_by(
            registration.issuer, registration.auth_login_url, *(registration.frame_origins or [])
        )
        response = Response(render_template("launch/anonymous.html"), status=200)
    else:
        session_ = LaunchSession.new(
            sign_in.person.id,
            sign_in.person.organisation_id,
            sign_in.course.id if sign_in.course else None,
            course_instructor=PermissionKind.CPD_LEAD in sign_in.suggestion.kinds,
            lms_admin=sign_in.suggestion.lms_admin,
        )
        token = start_session(session_)
        target, values = _landing(launched)
        _say_what_happened(launched)
        response = redirect(url_for(target, lt=token, **values), code=303)
    # Deleted with the attributes it was set with: a partitioning browser keeps a Partitioned
    # cookie that a plain deletion does not name.
    response.delete_cookie(
        state_cookie_name(state), path="/lti/", secure=True, samesite="None", partitioned=True
    )
    return response


def _landing(launched: Launched) -> tuple[str, dict[str, Any]]:
    """Where a launch lands: the deep-linking picker, the school choice of a new course, the
    module a resource link opens, else the landing page for the person's permissions."""
    outcome = launched.advantage
    if outcome.deep_link_token is not None:
        return "deep_linking.picker", {"token": outcome.deep_link_token}
    if launched.sign_in.needs_school_choice:
        return "launch.choose_school", {}
    if outcome.module_id is not None:
        return "deep_linking.module_launch", {"module_id": outcome.module_id}
    # Straight to the person's landing page (one request fewer than through ``/``); the
    # permissions are the ones sign-in has just brought up to date.
    person = launched.sign_in.person
    assert person is not None
    return landing_endpoint(effective_grants(list(person.permissions))), {}


def _say_what_happened(launched: Launched) -> None:
    # Outbound calls happen after the response: the page says they are on their way.
    if launched.advantage.roster_queued:
        flash(
            "Roster sync queued: staff in this course who have never opened the tool will "
            "appear on the school's list shortly.",
            "info",
        )


@bp.get("/.well-known/jwks.json")
@bp.get("/lti/jwks")
def jwks() -> Response:
    keys = get_service(KeyService)
    keys.ensure_key()
    response = jsonify(keys.jwks())
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/lti/config")
def config() -> Response:
    """The URLs an LMS admin types in when registering the tool by hand."""
    base = tool_base_url()
    return jsonify(
        {
            "title": current_app.config.get("TOOL_NAME", "SEND CPD Tracker"),
            "oidc_initiation_url": base + "/lti/login",
            "target_link_uri": base + "/lti/launch",
            "redirect_uris": [base + "/lti/launch"],
            "public_jwk_url": base + "/.well-known/jwks.json",
            "dynamic_registration_url": base + "/lti/register",
        }
    )


@bp.route("/lti/course-school", methods=["GET", "POST"])
@login_required
def choose_school() -> BaseResponse | str:
    """A teacher's first launch from a course no school claims yet.

    The LMS's administrator or a trust leader links it here (its teachers become that school's
    CPD leads); any other teacher asks, and a trust leader decides on *LMS registrations*."""
    user = signed_in()
    course = launch_course()
    trusted = user.is_trust_leader or user.launch.lms_admin
    if course is None or not (user.launch.course_instructor or trusted):
        abort(403)
    if course.school_id is not None:
        return redirect(tool_url("home.index"))
    links = get_service(CourseLinkService)
    schools = get_service(OverviewService).schools_of(user.organisation_id)
    form = ChooseSchoolForm(request.form if request.method == "POST" else None)
    choices = [(s.id, f"{s.name} (URN {s.urn})") for s in schools]
    form.school_id.choices = lambda: choices  # type: ignore[assignment]  # stubs lag 3.3
    if request.method == "POST" and form.validate():
        if trusted:
            get_service(IdentityService).confirm_course_school(
                user.person, course, form.school_id.data
            )
            if get_service(RosterService).course_mapped(course):
                flash("Roster sync queued: the course's members will join the school's list.")
            return redirect(tool_url("home.index"))
        try:
            school = links.request(user.person, course, form.school_id.data)
        except CourseLinkRefused as exc:
            abort(400, description=str(exc))
        flash(
            f"Your request to link this course to {school.name} has gone to your trust leaders. "
            "You will be the school's CPD lead in the tool once one of them approves it.",
            "success",
        )
        return redirect(tool_url("launch.choose_school"))
    status = 400 if form.errors else 200
    return Response(
        render_template(
            "launch/choose_school.html",
            form=form,
            course=course,
            schools=schools,
            trusted=trusted,
            leaders=[] if trusted else links.trust_leaders(user.organisation_id),
        ),
        status=status,
    )


@bp.get("/lti/canvas.json")
def canvas_config() -> Response:
    """Canvas "Enter URL" / "Paste JSON" developer key configuration (manual registration)."""
    base = tool_base_url()
    launch_url = base + "/lti/launch"
    return jsonify(
        {
            "title": "SEND CPD Tracker",
            "description": "SEND training and the SENCO qualification for schools and trusts.",
            "oidc_initiation_url": base + "/lti/login",
            "target_link_uri": launch_url,
            "public_jwk_url": base + "/.well-known/jwks.json",
            "scopes": list(DEFAULT_SCOPES),
            "extensions": [
                {
                    "platform": "canvas.instructure.com",
                    "privacy_level": "public",
                    "settings": {
                        "placements": [
                            {
                                "placement": "course_navigation",
                                "message_type": "LtiResourceLinkRequest",
                                "target_link_uri": launch_url,
                                "text": "SEND CPD Tracker",
                            },
                            {
                                "placement": "link_selection",
                                "message_type": "LtiDeepLinkingRequest",
                                "target_link_uri": launch_url,
                                "text": "SEND training module",
                            },
                        ]
                    },
                }
            ],
        }
    )
