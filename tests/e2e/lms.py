"""A small LMS for the browser tests, on its own origin (https://127.0.0.1:PORT).

It behaves like a hosted Canvas course page: the tool is launched *inside an iframe* whose
page posts the login initiation to the tool; the platform's OIDC auth endpoint checks the
tool's request and answers with a form that posts a real RS256 ``id_token`` (signed by
:class:`~tests.support.platform.TestPlatform` in Canvas's dialect) to the tool's redirect URI.

* ``/course``: the course page. ``?user=learner|instructor|admin``, ``&message=deep_link`` for a
  Deep Linking request, ``&storage=1`` to offer Platform Storage (``lti_storage_target`` and a
  ``post_message_forwarding`` frame that answers ``lti.capabilities``, ``lti.put_data`` and
  ``lti.get_data`` as in 1EdTech's "LTI Client Side postMessages"), ``&window=1`` for a link
  that opens the tool top-level in a new window instead of the iframe.
* ``/api/lti/authorize_redirect``: the OIDC auth endpoint. A login hint stays valid for five
  minutes, as Canvas's signed hint does, so a "new tab" relaunch can use it again.
* ``/deep_linking_response``: receives the tool's ``LtiDeepLinkingResponse`` (kept in
  :attr:`Lms.deep_link_responses` for the test to verify).
"""

from __future__ import annotations

import html
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, abort, jsonify, request

from lti import claims as c
from tests.support.platform import TestPlatform
from tests.support.platform_users import UserKind

HINT_SECONDS = 300
#: Canvas frames tools in a sandboxed iframe with these permissions.
SANDBOX = (
    "allow-scripts allow-forms allow-same-origin allow-popups "
    "allow-popups-to-escape-sandbox allow-downloads allow-modals"
)


@dataclass
class _Login:
    user: UserKind
    message_type: str
    options: dict[str, Any]
    expires: float


@dataclass
class Lms:
    """The platform side: its TestPlatform (keys, claims) and what it has been sent."""

    platform: TestPlatform
    tool_base: str = ""
    #: The school every launch names (the ``school_urn`` custom parameter).
    school_urn: str = "100001"
    logins: dict[str, _Login] = field(default_factory=dict)
    deep_link_responses: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base(self) -> str:
        return self.platform.issuer

    def login_fields(
        self, user: UserKind, message_type: str, storage: bool, options: dict[str, Any]
    ) -> dict[str, str]:
        hint = secrets.token_urlsafe(16)
        with self.lock:
            self.logins[hint] = _Login(user, message_type, options, time.time() + HINT_SECONDS)
        person = self.platform.user(user)
        fields = {
            "iss": self.platform.issuer,
            "login_hint": person.login_hint,
            "client_id": self.platform.client_id,
            "deployment_id": self.platform.deployment_id,
            "target_link_uri": self.tool_base + "/lti/launch",
            "lti_message_hint": hint,
            "canvas_environment": "prod",
            "canvas_region": "not_configured",
        }
        if storage:
            fields["lti_storage_target"] = "post_message_forwarding"
        return fields


def _page(title: str, body: str, *, script: str = "") -> str:
    return (
        '<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)} - Test LMS</title>"
        "<style>body{margin:0;font-family:sans-serif}header{background:#394b58;color:#fff;"
        "padding:8px 16px}main{padding:0 16px}iframe.tool{width:1024px;height:700px;border:0;"
        "display:block}</style></head>"
        f"<body><header>Test LMS · {html.escape(title)}</header><main>{body}</main>"
        f"{script}</body></html>"
    )


def _autopost(action: str, fields: dict[str, str]) -> str:
    inputs = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in fields.items()
    )
    return (
        f'<form id="post" method="post" action="{html.escape(action)}">{inputs}'
        '<button type="submit">Continue</button></form>'
    )


# The Platform Storage responder (LTI Client Side postMessages): a frame on the platform's
# origin, named post_message_forwarding as Canvas names it. Data is kept per tool origin.
_FORWARDER_JS = """
<script>
(function () {
  var store = {};
  window.e2eLog = [];
  var supported = [{subject: "lti.capabilities"}, {subject: "lti.put_data"},
                   {subject: "lti.get_data"}];
  window.addEventListener("message", function (event) {
    var m = event.data;
    if (!m || typeof m !== "object" || !m.subject || !m.message_id) { return; }
    var reply = {subject: m.subject + ".response", message_id: m.message_id};
    var bucket = store[event.origin] = store[event.origin] || {};
    if (m.subject === "lti.capabilities") {
      reply.supported_messages = supported;
    } else if (m.subject === "lti.put_data") {
      bucket[m.key] = m.value; reply.key = m.key; reply.value = m.value;
    } else if (m.subject === "lti.get_data") {
      reply.key = m.key;
      if (Object.prototype.hasOwnProperty.call(bucket, m.key)) { reply.value = bucket[m.key]; }
      else { reply.error = {code: "key_not_found", message: "no such key"}; }
    } else {
      reply.error = {code: "unsupported_subject", message: "not supported"};
    }
    window.e2eLog.push(m.subject);
    event.source.postMessage(reply, event.origin);
  });
}());
</script>
"""

_AUTOSUBMIT_JS = "<script>document.getElementById('post').submit();</script>"


def _user_kind(value: str | None) -> UserKind:
    """learner (the default), instructor, or admin (a Canvas account admin: a trust leader)."""
    if value == "instructor":
        return "instructor"
    if value == "admin":
        return "admin"
    return "learner"


def create_lms_app(lms: Lms) -> Flask:
    app = Flask("e2e_lms")

    @app.get("/course")
    def course() -> str:
        user = _user_kind(request.args.get("user"))
        deep_link = request.args.get("message") == "deep_link"
        storage = request.args.get("storage") == "1"
        launch = "/launch?" + urlencode(
            {
                "user": user,
                "message": request.args.get("message", ""),
                "storage": int(storage),
                "who": request.args.get("who", ""),
            }
        )
        forwarder = (
            '<iframe name="post_message_forwarding" title="Platform messages" '
            'src="/post_message_forwarding" hidden></iframe>'
            if storage
            else ""
        )
        what = "Add an activity (Deep Linking)" if deep_link else "SEND CPD Tracker"
        if request.args.get("window") == "1":
            body = (
                f"<h1>Staff CPD course</h1><p>{what} opens in a new window.</p>"
                f'<p><a id="open-tool" href="{html.escape(launch)}" target="_blank">'
                "Open SEND CPD Tracker in a new window</a></p>"
            )
            return _page("Staff CPD course", body)
        # ``&width=960``: the tool's frame at that width (the default is 1024 px).
        width = request.args.get("width", "")
        sized = f' style="width:{int(width)}px"' if width.isdigit() else ""
        body = (
            f"<h1>Staff CPD course</h1>{forwarder}"
            f'<iframe name="tool" class="tool"{sized} title="{html.escape(what)}" '
            f'src="{html.escape(launch)}" sandbox="{SANDBOX}" '
            'allow="clipboard-write"></iframe>'
        )
        return _page("Staff CPD course", body)

    @app.get("/launch")
    def launch() -> str:
        """What Canvas loads in the tool's iframe (or window): the login initiation post."""
        user = _user_kind(request.args.get("user"))
        deep_link = request.args.get("message") == "deep_link"
        options: dict[str, Any] = {
            "custom": {"school_urn": lms.school_urn},
            # No roster or gradebook services: nothing should leave the tool for them here.
            "remove": [c.NRPS, c.AGS],
        }
        if deep_link:
            settings = dict(
                lms.platform.claims(nonce="n", message_type=c.DEEP_LINKING_REQUEST)[
                    c.DEEP_LINKING_SETTINGS
                ]
            )
            settings["deep_link_return_url"] = lms.base + "/deep_linking_response"
            settings["data"] = "e2e-opaque-data"
            options["overrides"] = {c.DEEP_LINKING_SETTINGS: settings}
        message_type = c.DEEP_LINKING_REQUEST if deep_link else c.RESOURCE_LINK_REQUEST
        who = request.args.get("who", "")
        if who:
            # One person per journey, so each starts with nothing done.
            options.setdefault("overrides", {}).update(
                {
                    "sub": f"e2e-{user}-{who}",
                    "name": f"Sam {who.replace('_', ' ').title()}",
                    "given_name": "Sam",
                    "family_name": who.replace("_", " ").title(),
                    "email": f"sam.{who}@alder.example",
                }
            )
        fields = lms.login_fields(user, message_type, request.args.get("storage") == "1", options)
        return _page(
            "Launching",
            _autopost(lms.tool_base + "/lti/login", fields),
            script=_AUTOSUBMIT_JS,
        )

    @app.get("/post_message_forwarding")
    def forwarder() -> str:
        return _page("Platform messages", "", script=_FORWARDER_JS)

    @app.get("/api/lti/authorize_redirect")
    def authorize() -> str:
        args = request.args
        expected = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
            "client_id": lms.platform.client_id,
            "redirect_uri": lms.tool_base + "/lti/launch",
        }
        wrong = [name for name, value in expected.items() if args.get(name) != value]
        with lms.lock:
            login = lms.logins.get(args.get("lti_message_hint", ""))
        if login is None or login.expires < time.time():
            wrong.append("lti_message_hint")
        elif args.get("login_hint") != lms.platform.user(login.user).login_hint:
            wrong.append("login_hint")
        if not args.get("state") or not args.get("nonce"):
            wrong.append("state/nonce")
        if wrong:
            abort(400, description="Refused: " + ", ".join(wrong))
        assert login is not None
        token = lms.platform.id_token(
            nonce=args["nonce"],
            target_link_uri=lms.tool_base + "/lti/launch",
            user=login.user,
            message_type=login.message_type,
            **login.options,
        )
        return _page(
            "Signing in",
            _autopost(args["redirect_uri"], {"id_token": token, "state": args["state"]}),
            script=_AUTOSUBMIT_JS,
        )

    @app.get("/api/lti/security/jwks")
    def jwks() -> Response:
        return jsonify(lms.platform.jwks())

    @app.post("/deep_linking_response")
    def deep_linking_response() -> str:
        token = request.form.get("JWT", "")
        with lms.lock:
            lms.deep_link_responses.append(token)
        return _page(
            "Activity added",
            '<h1 id="lms-received">The LMS received the tool\'s answer</h1>',
        )

    return app
