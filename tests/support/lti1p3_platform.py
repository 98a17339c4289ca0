"""A platform built on the PyPI library ``lti1p3platform``, served over loopback HTTP.

The library is a platform toolkit: its abstract classes carry the LTI logic and leave the
web framework and the storage to the integrator. It ships Django and FastAPI adapters; this
is the same adapter for Flask (a ``Request`` built from Flask's request, a redirect for the
login, a form page for the launch), plus in-memory storage. Everything LTI is the library's:

* the login initiation URL: ``OIDCLoginAbstract.prepare_preflight_url``;
* the auth endpoint: ``LTIAdvantageMessageLaunchAbstract.lti_launch`` checks the tool's
  authentication request and signs the ``id_token`` (claims from ``set_user_data``,
  ``set_resource_link_claim``, ``set_launch_context_claim``, ``set_ags``, ``set_nrps``,
  ``set_dl``, ...);
* the token endpoint: ``LTI1P3PlatformConfAbstract.get_access_token`` (client assertion
  checked against the tool's JWKS URL, fetched over HTTP from the tool's server);
* AGS and NRPS: ``AssignmentsGradesService`` and ``NamesRoleProvisioningService`` (bearer
  token and scopes, routing, paging links); this module stores line items, scores and members;
* the Deep Linking return: ``validate_deeplinking_resp`` verifies the tool's response JWT.
"""

from __future__ import annotations

import functools
import html
import itertools
import json
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, Response, abort
from flask import request as flask_request
from lti1p3platform.exceptions import LineItemNotFoundException, LtiException
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.membership import Context
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request, TRequest
from lti1p3platform.response import Response as LtiResponse
from lti1p3platform.response import generate_next_link
from lti1p3platform.score import UpdateScoreStatus
from lti1p3platform.service_connector import (
    AssignmentsGradesService,
    NamesRoleProvisioningService,
    TPage,
)

from tests.support.loopback import TOOL_LAUNCH_URL, TOOL_LOGIN_URL, LoopbackServer

INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
COURSE_OFFERING = "http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"


@functools.cache
def _platform_key() -> tuple[str, str]:
    """(private PEM, public PEM): one per process, keys are slow to make."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


# ---------------------------------------------------------------- the Flask adapter


class FlaskRequest(Request):
    def build_metadata(self, request: Any) -> TRequest:
        content_type = request.content_type or ""
        data = request.get_json(force=True, silent=True) if "json" in content_type else None
        return {
            "method": request.method,
            "form_data": request.form.to_dict(),
            "get_data": request.args.to_dict(),
            "headers": request.headers,
            "content_type": request.content_type,
            "path": request.path,
            "json": data,
        }


class FlaskOIDCLogin(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> Any:
        return Response(status=302, headers={"Location": url})


class FlaskMessageLaunch(LTIAdvantageMessageLaunchAbstract):
    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> Response:
        # The library's own template, written out here: its loader needs pkg_resources.
        inputs = "".join(
            f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(str(value))}">'
            for name, value in launch_data.items()
            if name != "launch_url"
        )
        page = (
            f'<form method="post" action="{html.escape(launch_data["launch_url"])}">'
            f"{inputs}</form><script>document.forms[0].submit()</script>"
        )
        return Response(page, content_type="text/html")


def _flask(resp: LtiResponse) -> Response:
    """As the library's ``framework.django.response.wrap_json_resp``."""
    if 200 <= resp.code < 300:
        result = resp.result
        data = result["content"] if result and "content" in result else result
        out = Response(json.dumps(data), status=resp.code, content_type=resp.media_type)
        if result and result.get("next"):
            out.headers["Link"] = generate_next_link(result["next"])
        return out
    return Response(
        json.dumps({"error": resp.message}), status=resp.code, content_type=resp.media_type
    )


# ---------------------------------------------------------------- storage


@dataclass
class User:
    id: str
    name: str
    email: str
    roles: list[str]


@dataclass
class PendingLaunch:
    user: User
    message_type: str
    resource_link_id: str | None
    ags: (
        str | None
    )  # "lineitem": the claim names the link's line item; "lineitems": only the container
    custom: dict[str, Any]


@dataclass
class ReceivedScore:
    line_item_id: str
    body: dict[str, Any]


@dataclass
class Course:
    """What the platform keeps for one course: its gradebook and its members."""

    id: str
    label: str = "CPD101"
    title: str = "SEND CPD"
    line_items: list[dict[str, Any]] = field(default_factory=list)
    scores: list[ReceivedScore] = field(default_factory=list)
    members: list[dict[str, Any]] = field(default_factory=list)
    content_items: list[dict[str, Any]] = field(default_factory=list)


class _Config(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs: Any) -> None:
        self._the_registration: Registration = kwargs["registration"]

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        return self._the_registration


class Lti1p3Platform:
    """One LMS on ``lti1p3platform`` with one course, served by :meth:`serve`."""

    def __init__(self, *, tool_keyset_url: str) -> None:
        self.tool_keyset_url = tool_keyset_url
        self.client_id = f"lti1p3platform-{secrets.token_hex(6)}"
        self.deployment_id = "deployment-1"
        self.course = Course(id="course-101")
        self.pending: dict[str, PendingLaunch] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.app = self._make_app()
        self.server = LoopbackServer(self.app, name="lti1p3platform")
        self.url = self.server.url

    def serve(self) -> Lti1p3Platform:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    # ------------------------------------------------------------ registration

    @property
    def issuer(self) -> str:
        return self.url

    @property
    def auth_login_url(self) -> str:
        return f"{self.url}/lti/auth"

    @property
    def auth_token_url(self) -> str:
        return f"{self.url}/lti/token"

    @property
    def key_set_url(self) -> str:
        return f"{self.url}/lti/jwks"

    @property
    def lineitems_url(self) -> str:
        return f"{self.url}/courses/{self.course.id}/lineitems"

    @property
    def memberships_url(self) -> str:
        return f"{self.url}/courses/{self.course.id}/memberships"

    @property
    def deep_link_return_url(self) -> str:
        return f"{self.url}/courses/{self.course.id}/deep_links"

    def registration(self) -> Registration:
        private, public = _platform_key()
        return (
            Registration()
            .set_iss(self.issuer)
            .set_client_id(self.client_id)
            .set_deployment_id(self.deployment_id)
            .set_launch_url(TOOL_LAUNCH_URL)
            .set_deeplink_launch_url(TOOL_LAUNCH_URL)
            .set_oidc_login_url(TOOL_LOGIN_URL)
            .set_platform_private_key(private)
            .set_platform_public_key(public)
            .set_tool_key_set_url(self.tool_keyset_url)
        )

    def config(self) -> _Config:
        config = _Config(registration=self.registration())
        config.get_registration()
        return config

    # ------------------------------------------------------------ the gradebook

    def add_line_item(self, **values: Any) -> dict[str, Any]:
        """A line item as the platform stores it (``id`` is its URL)."""
        with self._lock:
            item = {"id": f"{self.lineitems_url}/{next(self._ids)}", **values}
            self.course.line_items.append(item)
        return item

    # ------------------------------------------------------------ launching

    def login_url(
        self,
        user: User,
        *,
        resource_link_id: str | None = "resource-link-1",
        ags: str | None = "lineitem",
        custom: dict[str, Any] | None = None,
        deep_link: bool = False,
    ) -> str:
        """The login initiation URL the library builds for the tool's login endpoint."""
        hint = secrets.token_urlsafe(16)
        self.pending[hint] = PendingLaunch(
            user,
            "LtiDeepLinkingRequest" if deep_link else "LtiResourceLinkRequest",
            None if deep_link else resource_link_id,
            ags,
            dict(custom or {}),
        )
        login = FlaskOIDCLogin(None, self.config())
        login.set_lti_message_hint(hint=hint)
        if deep_link:
            login.set_deeplinking_launch_url()
        return login.prepare_preflight_url(user.id)

    def _authorize(self) -> Response:
        params = flask_request.args if flask_request.method == "GET" else flask_request.form
        pending = self.pending.pop(params.get("lti_message_hint", ""), None)
        if pending is None or params.get("login_hint") != pending.user.id:
            # The library leaves the user check to the platform: this one knows who is signed in.
            abort(400)
        launch = FlaskMessageLaunch(FlaskRequest(flask_request), self.config())
        user = pending.user
        launch.set_user_data(user.id, user.roles, full_name=user.name, email_address=user.email)
        launch.set_launch_context_claim(
            self.course.id, [COURSE_OFFERING], self.course.title, self.course.label
        )
        launch.set_launch_presentation_claim("iframe", f"{self.url}/courses/{self.course.id}")
        if pending.custom:
            launch.set_custom_parameters_claim(pending.custom)
        launch.set_nrps(self.memberships_url)
        if pending.message_type == "LtiDeepLinkingRequest":
            launch.set_dl(self.deep_link_return_url, title="Add training", accept_types=None)
        else:
            assert pending.resource_link_id is not None
            launch.set_resource_link_claim(pending.resource_link_id, title="SEND awareness")
            if pending.ags == "lineitem":
                # A graded activity: the platform made its gradebook column with the link.
                item = self._item_for(pending.resource_link_id) or self.add_line_item(
                    label="SEND awareness",
                    scoreMaximum=100,
                    resourceLinkId=pending.resource_link_id,
                )
                launch.set_ags(self.lineitems_url, item["id"])
            elif pending.ags == "lineitems":
                launch.set_ags(self.lineitems_url)
        try:
            response: Response = launch.lti_launch()
        except LtiException:
            abort(400)
        return response

    def _item_for(self, resource_link_id: str) -> dict[str, Any] | None:
        return next(
            (i for i in self.course.line_items if i.get("resourceLinkId") == resource_link_id),
            None,
        )

    # ------------------------------------------------------------ the Flask app

    def _make_app(self) -> Flask:
        app = Flask("lti1p3platform_lms")
        platform = self

        @app.route("/lti/auth", methods=["GET", "POST"])
        def auth() -> Response:
            return platform._authorize()

        @app.get("/lti/jwks")
        def jwks() -> Any:
            return dict(platform.config().get_jwks())

        @app.post("/lti/token")
        def token() -> Any:
            try:
                return dict(platform.config().get_access_token(flask_request.form.to_dict()))
            except Exception as exc:  # the library raises several kinds; RFC 6749 §5.2
                return {"error": "invalid_client", "error_description": str(exc)}, 400

        def gradebook() -> Gradebook:
            return Gradebook(platform, FlaskRequest(flask_request), platform.config())

        @app.route(f"/courses/{self.course.id}/lineitems", methods=["GET", "POST"])
        def line_items() -> Response:
            service = gradebook()
            if flask_request.method == "POST":
                return _flask(service.handle_resp(service.handle_create_lineitem))
            return _flask(service.handle_resp(service.handle_get_lineitems))

        @app.route(f"/courses/{self.course.id}/lineitems/<item>", methods=["GET", "PUT"])
        def line_item(item: str) -> Response:
            service = gradebook()
            item_id = f"{platform.lineitems_url}/{item}"
            if flask_request.method == "PUT":
                return _flask(
                    service.handle_resp(service.handle_update_lineitem, line_item_id=item_id)
                )
            return _flask(service.handle_resp(service.handle_get_lineitem, line_item_id=item_id))

        @app.post(f"/courses/{self.course.id}/lineitems/<item>/scores")
        def scores(item: str) -> Response:
            service = gradebook()
            item_id = f"{platform.lineitems_url}/{item}"
            return _flask(service.handle_resp(service.handle_update_score, line_item_id=item_id))

        @app.get(f"/courses/{self.course.id}/memberships")
        def memberships() -> Response:
            service = Roster(platform, FlaskRequest(flask_request), platform.config())
            return _flask(service.handle_resp(service.handle_get_members))

        @app.post(f"/courses/{self.course.id}/deep_links")
        def deep_links() -> Any:
            try:
                items = platform.config().validate_deeplinking_resp(flask_request.form.to_dict())
            except Exception as exc:  # a refused response: what the LMS shows the teacher
                return f"Deep linking response refused: {exc}", 400
            platform.course.content_items.extend(items)
            return "Saved"

        return app


# ---------------------------------------------------------------- the services' storage


class Gradebook(AssignmentsGradesService):
    def __init__(self, platform: Lti1p3Platform, request: Request, config: _Config) -> None:
        super().__init__(request, config, platform.lineitems_url)
        self.platform = platform

    @property
    def course(self) -> Course:
        return self.platform.course

    def find_lineitems(  # type: ignore[override]
        self,
        page: int | str = 1,
        limit: int | str | None = None,
        line_item_id: str | None = None,
        resource_link_id: str | None = None,
        resource_id: str | None = None,
        tag: str | None = None,
        **_ignored: Any,
    ) -> TPage:
        items = [
            dict(i)
            for i in self.course.line_items
            if (resource_link_id is None or i.get("resourceLinkId") == resource_link_id)
            and (resource_id is None or i.get("resourceId") == resource_id)
            and (tag is None or i.get("tag") == tag)
        ]
        if limit is not None:
            start = (int(page) - 1) * int(limit)
            window = items[start : start + int(limit)]
            return {"content": window, "has_next": start + int(limit) < len(items)}
        return {"content": items, "has_next": False}

    def find_lineitem(self, line_item_id: str) -> Any:
        for item in self.course.line_items:
            if item["id"] == line_item_id:
                return dict(item)
        raise LineItemNotFoundException()

    def create_lineitem(self, creation_data: Any) -> Any:
        values = {k: v for k, v in dict(creation_data).items() if k != "id"}
        return self.platform.add_line_item(**values)

    def update_lineitem(self, update_data: Any) -> Any:
        for item in self.course.line_items:
            if item["id"] == update_data["id"]:
                item.update(update_data)
                return dict(item)
        raise LineItemNotFoundException()

    def delete_lineitem(self, line_item_id: str) -> None:
        self.find_lineitem(line_item_id)
        self.course.line_items[:] = [i for i in self.course.line_items if i["id"] != line_item_id]

    def update_score(self, line_item_id: str, score: Any) -> UpdateScoreStatus:
        self.find_lineitem(line_item_id)
        self.course.scores.append(ReceivedScore(line_item_id, dict(score)))
        return UpdateScoreStatus.SUCCESS

    def get_results(
        self,
        line_item_id: str,
        page: int = 1,
        limit: int | None = None,
        user_id: str | None = None,
    ) -> TPage:
        self.find_lineitem(line_item_id)
        results = [
            {
                "id": f"{line_item_id}/results/{s.body.get('userId')}",
                "scoreOf": line_item_id,
                "userId": s.body.get("userId"),
                "resultScore": s.body.get("scoreGiven"),
                "resultMaximum": s.body.get("scoreMaximum"),
            }
            for s in self.course.scores
            if s.line_item_id == line_item_id
            and (user_id is None or s.body.get("userId") == user_id)
        ]
        return {"content": results, "has_next": False}


class Roster(NamesRoleProvisioningService):
    def __init__(self, platform: Lti1p3Platform, request: Request, config: _Config) -> None:
        super().__init__(request, config, platform.memberships_url)
        self.platform = platform

    def get_member_data_page(  # type: ignore[override]
        self,
        page: int | str = 1,
        limit: int | str | None = None,
        role: str | None = None,
        since: str | None = None,
        **_ignored: Any,
    ) -> TPage:
        members = [
            dict(m)
            for m in self.platform.course.members
            if role is None or role in m.get("roles", [])
        ]
        if limit is not None:
            start = (int(page) - 1) * int(limit)
            window = members[start : start + int(limit)]
            return {"content": window, "has_next": start + int(limit) < len(members)}
        return {"content": members, "has_next": False}

    def get_context_by_id(self) -> Context:
        course = self.platform.course
        return Context(id=course.id, label=course.label, title=course.title)
