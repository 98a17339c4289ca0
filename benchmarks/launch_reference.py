"""The reference for ``benchmarks/launch.py``: a minimal Flask + PyJWT LTI 1.3 tool.

What a pylti1p3-style Flask tool does for a launch, written out in one small file and nothing
more, so that the tool's launch has a fair yardstick on the same machine and server settings:

``POST /lti/login``
    Checks ``iss``, ``client_id``, ``login_hint`` and ``target_link_uri`` against its one
    registration (held in memory, as pylti1p3's ``ToolConfDict``), makes a state and a nonce,
    keeps both in a signed cookie (pylti1p3 keeps them in the Flask session cookie and sets an
    ``lti1p3-state-*`` cookie) and redirects to the platform's auth URL (302).
``POST /lti/launch``
    Checks the form's ``state`` against the signed cookie, fetches the platform's JWKS once per
    process (``jwt.PyJWKClient``, cached), verifies the RS256 signature and ``iss``, ``aud``,
    ``exp``, ``iat``, the nonce (the cookie's), the deployment id, the LTI version and message
    type, then writes one row to PostgreSQL (the launch, keyed by its nonce: a replayed nonce
    breaks the primary key and is refused) and redirects to the landing page with a signed
    one-use-style token (303).
``GET /home``
    Checks the token, renders a small Jinja page (200).

It is the yardstick, not a tool: no rate limits, no audit, no security headers, no people,
courses or permissions. ``benchmarks/launch.py`` serves it with the tool's gunicorn settings
(``--worker-class gthread --threads 8 --preload``, same worker count, same access log) through
``create_app()``, configured by the ``REF_*`` environment variables below.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from typing import Any
from urllib.parse import urlencode

import jwt
from flask import Flask, abort, redirect, render_template_string, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import Column, DateTime, MetaData, String, Table, create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response as BaseResponse

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
STATE_COOKIE_PREFIX = "lti_state_"  # the tool's name for it, so one client drives both
STATE_SECONDS = 600
TOKEN_SECONDS = 60

metadata = MetaData()
launches = Table(
    "reference_launch",
    metadata,
    Column("nonce", String(128), primary_key=True),
    Column("issuer", String(255), nullable=False),
    Column("sub", String(255), nullable=False),
    Column("name", String(255)),
    Column("launched_at", DateTime(timezone=True), nullable=False),
)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>My training</title></head>
<body><main><h1>My training</h1><p>Signed in as {{ name }} ({{ sub }}).</p>
<p>Launched {{ at.strftime("%-d %B %Y %H:%M") }}.</p></main></body></html>
"""


def prepare(database_url: str) -> None:
    """Create (if missing) and empty the reference's one table."""
    engine = create_engine(database_url)
    with engine.begin() as connection:
        metadata.create_all(connection)
        connection.execute(launches.delete())
    engine.dispose()


def create_app(env: dict[str, str] | None = None) -> Flask:
    settings = dict(os.environ if env is None else env)
    issuer = settings["REF_ISSUER"]
    client_id = settings["REF_CLIENT_ID"]
    deployment_id = settings["REF_DEPLOYMENT_ID"]
    auth_login_url = settings["REF_AUTH_LOGIN_URL"]
    launch_url = settings["REF_LAUNCH_URL"]
    app = Flask(__name__)
    app.config["SECRET_KEY"] = settings["REF_SECRET"]
    signer = URLSafeTimedSerializer(settings["REF_SECRET"], salt="lti-state")
    tokens = URLSafeTimedSerializer(settings["REF_SECRET"], salt="landing")
    # Made on first use: after gunicorn's fork, so no worker shares a connection or a socket.
    lazy: dict[str, Any] = {}

    def engine() -> Engine:
        if "engine" not in lazy:
            lazy["engine"] = create_engine(settings["REF_DATABASE_URL"], pool_size=8)
        return lazy["engine"]  # type: ignore[no-any-return]

    def key_client() -> jwt.PyJWKClient:
        if "jwks" not in lazy:
            lazy["jwks"] = jwt.PyJWKClient(settings["REF_JWKS_URL"], cache_keys=True)
        return lazy["jwks"]  # type: ignore[no-any-return]

    @app.route("/lti/login", methods=["GET", "POST"])
    def login() -> BaseResponse:
        params = request.values
        if params.get("iss") != issuer or params.get("client_id", client_id) != client_id:
            abort(400, "unknown platform")
        if not params.get("login_hint") or params.get("target_link_uri") != launch_url:
            abort(400, "login_hint and target_link_uri are required")
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        query = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
            "client_id": client_id,
            "redirect_uri": launch_url,
            "login_hint": params["login_hint"],
            "state": state,
            "nonce": nonce,
        }
        if params.get("lti_message_hint"):
            query["lti_message_hint"] = params["lti_message_hint"]
        response = redirect(f"{auth_login_url}?{urlencode(query)}", code=302)
        response.set_cookie(
            STATE_COOKIE_PREFIX + state[:24],
            signer.dumps({"state": state, "nonce": nonce}),
            max_age=STATE_SECONDS,
            secure=True,
            httponly=True,
            samesite="None",
            path="/lti/",
        )
        return response

    @app.post("/lti/launch")
    def launch() -> BaseResponse:
        id_token = request.form.get("id_token", "")
        state = request.form.get("state", "")
        cookie = request.cookies.get(STATE_COOKIE_PREFIX + state[:24], "")
        try:
            saved = signer.loads(cookie, max_age=STATE_SECONDS)
        except BadSignature:
            abort(401, "state cookie missing or invalid")
        if not id_token or saved.get("state") != state:
            abort(401, "state does not match")
        try:
            key = key_client().get_signing_key_from_jwt(id_token)
            claims = jwt.decode(
                id_token,
                key.key,
                algorithms=["RS256"],
                audience=client_id,
                issuer=issuer,
                leeway=60,
                options={"require": ["exp", "iat", "iss", "aud", "sub", "nonce"]},
            )
        except jwt.PyJWTError as exc:
            abort(401, f"invalid id_token: {exc}")
        if claims.get("nonce") != saved["nonce"]:
            abort(401, "nonce does not match")
        if claims.get(LTI + "deployment_id") != deployment_id:
            abort(401, "unknown deployment")
        if claims.get(LTI + "version") != "1.3.0":
            abort(401, "not LTI 1.3")
        if claims.get(LTI + "message_type") != "LtiResourceLinkRequest":
            abort(401, "unsupported message type")
        if not isinstance(claims.get(LTI + "roles"), list):
            abort(401, "roles claim missing")
        now = dt.datetime.now(dt.UTC)
        try:
            with engine().begin() as connection:
                connection.execute(
                    launches.insert().values(
                        nonce=claims["nonce"],
                        issuer=issuer,
                        sub=claims["sub"],
                        name=str(claims.get("name", ""))[:255],
                        launched_at=now,
                    )
                )
        except IntegrityError:
            abort(401, "nonce already used")
        token = tokens.dumps({"sub": claims["sub"], "name": claims.get("name", "")})
        response = redirect(f"/home?{urlencode({'lt': token})}", code=303)
        response.delete_cookie(
            STATE_COOKIE_PREFIX + state[:24], path="/lti/", secure=True, samesite="None"
        )
        return response

    @app.get("/home")
    def home() -> str:
        try:
            user = tokens.loads(request.args.get("lt", ""), max_age=TOKEN_SECONDS)
        except BadSignature:
            abort(401, "sign-in token missing or expired")
        return render_template_string(
            PAGE, name=user["name"], sub=user["sub"], at=dt.datetime.now(dt.UTC)
        )

    @app.get("/lti/config")
    def config() -> dict[str, str]:
        return {"oidc_initiation_url": "/lti/login", "target_link_uri": launch_url}

    return app
