"""The demo LMS: a course page that frames the tool and launches it through a real LTI 1.3
flow (login initiation, OIDC auth, signed id_token). Registered only in demo mode."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from werkzeug.wrappers import Response

from cpd_tracker.demo_lms.people import LAUNCHABLE, demo_user
from cpd_tracker.demo_lms.platform import DemoPlatformKey, id_token_claims, new_message_hint
from cpd_tracker.demo_lms.seed import CLIENT_ID, DEPLOYMENT_ID
from cpd_tracker.registry import clock
from cpd_tracker.urls import tool_base_url

bp = Blueprint("demo_lms", __name__, url_prefix="/demo-lms")


def _key() -> DemoPlatformKey:
    key = current_app.extensions.get("demo_lms_key")
    if key is None:
        key = current_app.extensions["demo_lms_key"] = DemoPlatformKey(
            Path(current_app.instance_path)
        )
    assert isinstance(key, DemoPlatformKey)
    return key


def _issuer() -> str:
    return tool_base_url() + "/demo-lms"


@bp.get("/")
def course_page() -> str:
    return render_template("demo_lms/course.html", users=LAUNCHABLE)


@bp.post("/start")
def start() -> str:
    """The LMS side of clicking an activity: post a login initiation to the tool."""
    user = demo_user(request.form.get("user", ""))
    if user is None:
        abort(400, description="Choose one of the demo users.")
    base = tool_base_url()
    return render_template(
        "demo_lms/autopost.html",
        action=base + "/lti/login",
        fields={
            "iss": _issuer(),
            "login_hint": user.key,
            "target_link_uri": base + "/lti/launch",
            "lti_message_hint": new_message_hint(),
            "client_id": CLIENT_ID,
            "lti_deployment_id": DEPLOYMENT_ID,
        },
        heading=f"Opening the tool as {user.name}",
    )


@bp.get("/auth")
def auth() -> str:
    """The platform's OIDC authorisation endpoint: checks the tool's request, signs a token."""
    args = request.args
    base = tool_base_url()
    problems = [
        name
        for name, ok in (
            ("scope", args.get("scope") == "openid"),
            ("response_type", args.get("response_type") == "id_token"),
            ("response_mode", args.get("response_mode") == "form_post"),
            ("client_id", args.get("client_id") == CLIENT_ID),
            ("redirect_uri", args.get("redirect_uri") == base + "/lti/launch"),
            ("nonce", bool(args.get("nonce"))),
            ("state", bool(args.get("state"))),
        )
        if not ok
    ]
    user = demo_user(args.get("login_hint", ""))
    if user is None:
        problems.append("login_hint")
    if problems:
        abort(
            400,
            description="The demo LMS refused the authorisation request: "
            + ", ".join(problems)
            + " not as registered.",
        )
    assert user is not None
    claims = id_token_claims(
        issuer=_issuer(),
        client_id=CLIENT_ID,
        deployment_id=DEPLOYMENT_ID,
        user=user,
        nonce=args["nonce"],
        target_link_uri=base + "/lti/launch",
        return_url=base + "/demo-lms/",
        now=clock(),
    )
    redirect_uri = args["redirect_uri"]
    assert urlsplit(redirect_uri).netloc == urlsplit(base).netloc
    return render_template(
        "demo_lms/autopost.html",
        action=redirect_uri,
        fields={"id_token": _key().sign(claims), "state": args["state"]},
        heading="Signing you in to the tool",
    )


@bp.get("/jwks")
def jwks() -> Response:
    return jsonify(_key().jwks())
