"""Issue 14, "Safe on the open internet", point 1: server-side request forgery, with no login.

``GET /lti/register?openid_configuration=<url>`` fetched any https URL, loopback and private
addresses included: a port scanner ("SSLError" for an open port, "ConnectionError" for a
closed one), up to 300 characters of the answer shown to the caller (an internal service's
``db_password=...`` came back on the page), and slow hosts holding workers until gunicorn
killed them. The same held for every URL a platform names (JWKS, token, NRPS, AGS, the
registration endpoint). Each attack is replayed here through the app with the **real**
guarded :class:`lti.http.HttpClient` (no FakeHttp) and must end in a 4xx that says what
failed in the tool's words: no 5xx, nothing of the fetched body on the page, nothing saved.

Two policies stand in for production. ``STRICT`` is production's (public addresses only), for
the attacks on loopback, private and metadata addresses. The misbehaving hosts (slow, huge,
chatty) have to be reachable for those attacks to be tried at all, and the only hosts a test
can run are on loopback: so ``PUBLIC`` opens loopback and lets 127.0.0.1 play a public host,
with a short deadline and a small byte cap.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from cpd_tracker.config import load_config
from cpd_tracker.extensions import db
from cpd_tracker.models import Organisation, PlatformRegistration
from cpd_tracker.services_setup import outbound_policy
from lti.advantage_errors import ServiceTokenError
from lti.errors import PlatformKeysUnavailable
from lti.http import HttpClient, HttpError
from lti.jwks import MemoryKeySetCache, PlatformKeys
from lti.keys import generate_key_pair
from lti.outbound import OutboundPolicy
from lti.registration import Registration
from lti.service_tokens import MemoryTokenCache, ServiceTokenClient, tool_key_signer
from tests.support.factories import make_org, register
from tests.support.hostile_servers import (
    MB,
    Behaviour,
    HostileServer,
    answer,
    drip_body,
    drip_headers,
    huge,
    never,
)
from tests.support.launching import launch
from tests.support.platform import TOOL_HOST, TestPlatform
from tests.support.registration import form_fields

STRICT = OutboundPolicy(total_deadline=2.0)
PUBLIC = OutboundPolicy(allow_loopback=True, total_deadline=0.5, max_bytes=MB)
SECRET = "db_password=hunter2"
REFUSED = "is not on the public internet"


@pytest.fixture(autouse=True)
def open_registration(app: Flask) -> None:
    # The worst case: anyone may start a registration (no invitation needed to reach the fetch).
    app.config["OPEN_REGISTRATION"] = True


def guarded(app: Flask, policy: OutboundPolicy) -> HttpClient:
    client = HttpClient(policy=policy)
    app.extensions["http"] = client
    return client


def browser(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": TOOL_HOST})
    return client


def open_registration_page(app: Flask, config_url: str) -> TestResponse:
    return browser(app).get(
        "/lti/register",
        query_string={"openid_configuration": config_url, "registration_token": "t0k3n"},
    )


def assert_refused(page: TestResponse, *words: str) -> str:
    """A 4xx page for the LMS administrator, saying ``words``, and nothing saved."""
    html = page.get_data(as_text=True)
    assert 400 <= page.status_code < 500, (page.status_code, html[:600])
    assert "Nothing was saved in the tool" in html
    for text in words:
        assert text in html, (text, _visible(html)[:800])
    assert SECRET not in html
    assert "Error" not in re.sub(r"Error code", "", _visible(html))  # no exception class names
    return html


def _visible(html: str) -> str:
    body = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", html)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def nothing_saved(app: Flask) -> None:
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PlatformRegistration)) == 0
        assert db.session.scalar(select(func.count()).select_from(Organisation)) == 0


# --- addresses inside: refused before any connection --------------------------------------


@pytest.fixture
def inside() -> Iterator[HostileServer]:
    """An "internal service" on loopback that would hand out its settings if asked."""
    with HostileServer(answer(200, SECRET)) as server:
        yield server


@pytest.mark.parametrize(
    "target",
    [
        "https://127.0.0.1:{port}/.well-known/openid-configuration",
        "http://127.0.0.1:{port}/config",  # http is allowed to loopback in test mode
        "https://localhost:{port}/config",  # a name that resolves to loopback
        "https://[::1]:{port}/config",
        "https://[::ffff:127.0.0.1]:{port}/config",
        "https://10.20.30.40/config",
        "https://192.168.0.1/config",
        "https://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "https://0.0.0.0:{port}/config",
    ],
)
def test_configuration_urls_inside_are_refused_without_connecting(
    app: Flask, inside: HostileServer, target: str
) -> None:
    guarded(app, STRICT)

    page = open_registration_page(app, target.format(port=inside.port))

    assert_refused(page, REFUSED, "public https:// address")
    assert inside.connections == 0
    nothing_saved(app)


def test_a_public_looking_name_that_resolves_inside_is_refused(
    app: Flask, inside: HostileServer
) -> None:
    guarded(app, replace(STRICT, resolver=lambda host, port: ["127.0.0.1"]))

    page = open_registration_page(app, f"https://lms.attacker.example:{inside.port}/config")

    assert_refused(page, REFUSED)
    assert inside.connections == 0


def test_open_and_closed_ports_inside_look_the_same(app: Flask, inside: HostileServer) -> None:
    """No port scanner: the page is the same whether something listens or not."""
    guarded(app, STRICT)
    with HostileServer(answer(200)) as gone:
        closed = gone.port

    def page_for(port: int) -> str:
        text = _visible(open_registration_page(app, f"https://127.0.0.1:{port}/x").get_data(True))
        return re.sub(r"Reference \S+", "", text.replace(str(port), "PORT"))

    assert page_for(inside.port) == page_for(closed)


# --- a "public" host that misbehaves -------------------------------------------------------


def test_an_internal_answer_is_never_shown(app: Flask) -> None:
    guarded(app, PUBLIC)
    with HostileServer(answer(200, SECRET)) as server:
        page = open_registration_page(app, server.url + "/config")
    assert_refused(page, "is not a JSON object", "text that is not JSON (not shown)")


@pytest.mark.parametrize(
    ("status", "body", "said"),
    [
        (404, SECRET, "text that is not JSON (not shown)"),
        (500, f"<html><pre>{SECRET}</pre></html>", "an HTML page (not shown)"),
        (403, json.dumps({"settings": SECRET}), "JSON of another shape (not shown)"),
    ],
)
def test_a_refusal_is_described_not_quoted(app: Flask, status: int, body: str, said: str) -> None:
    guarded(app, PUBLIC)
    with HostileServer(answer(status, body)) as server:
        page = open_registration_page(app, server.url + "/config")
    assert_refused(page, f"HTTP {status}", said)


def test_redirects_are_not_followed_to_addresses_inside(app: Flask) -> None:
    guarded(app, PUBLIC)
    with HostileServer(answer(200, SECRET)) as target:
        hop = answer(302, headers={"Location": target.url + "/latest/meta-data/"})
        with HostileServer(hop) as server:
            page = open_registration_page(app, server.url + "/config")
        assert target.connections == 0
    assert_refused(page, "HTTP 302", "a redirect, which the tool does not follow")


@pytest.mark.parametrize("behaviour", [never, drip_headers(0.02), drip_body(0.02)])
def test_slow_hosts_are_cut_off_at_the_deadline(app: Flask, behaviour: Behaviour) -> None:
    guarded(app, PUBLIC)
    with HostileServer(behaviour) as server:
        page = open_registration_page(app, server.url + "/config")
    assert_refused(page, "did not answer in time", "waits at most 0.5 seconds")


@pytest.mark.parametrize("declared", [True, False])
def test_huge_answers_are_refused(app: Flask, declared: bool) -> None:
    guarded(app, PUBLIC)
    with HostileServer(huge(50 * MB, declared=declared)) as server:
        page = open_registration_page(app, server.url + "/config")
    assert_refused(page, "larger than 1 MB")


def test_a_busy_tool_says_try_again_and_contacts_nobody(app: Flask) -> None:
    client = guarded(app, replace(PUBLIC, max_in_flight=1, acquire_timeout=0.01, total_deadline=30))
    with HostileServer(never) as slow, HostileServer(answer(200, SECRET)) as other:
        hang = threading.Thread(target=_swallow, args=(client, slow.url))
        hang.start()
        _wait_for(lambda: bool(slow.requests))
        page = open_registration_page(app, other.url + "/config")
        assert other.connections == 0
        slow.close()
        hang.join(10)
    assert_refused(page, "try again in a minute")


def _swallow(client: HttpClient, url: str) -> None:
    with contextlib.suppress(HttpError):
        client.get(url)


def _wait_for(condition: Any) -> None:
    for _ in range(1000):  # bounded: at most about 10 s
        if condition():
            return
        threading.Event().wait(0.01)
    raise AssertionError("condition never held")


# --- URLs a (self-registered) platform names ----------------------------------------------


def _configuration_server(changes: dict[str, Any]) -> HostileServer:
    """A platform configuration served from loopback (standing for a public LMS), whose
    endpoints are the attacker's choice."""
    document: dict[str, Any] = {}

    def serve(conn: socket.socket, stopping: threading.Event) -> bool:
        return answer(200, json.dumps(document))(conn, stopping)

    server = HostileServer(serve)
    site = server.url
    document.update(
        {
            "issuer": site,
            "authorization_endpoint": f"{site}/auth",
            "token_endpoint": f"{site}/token",
            "jwks_uri": f"{site}/jwks",
            "registration_endpoint": f"{site}/register",
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                "product_family_code": "moodle"
            },
            **changes,
        }
    )
    return server


def test_a_registration_endpoint_inside_is_refused(app: Flask) -> None:
    guarded(app, replace(PUBLIC, total_deadline=5))
    metadata = "https://169.254.169.254/latest/api/token"
    with _configuration_server({"registration_endpoint": metadata}) as lms:
        client = browser(app)
        query = {"openid_configuration": lms.url + "/config", "registration_token": "t"}
        page = client.get("/lti/register", query_string=query)
        assert page.status_code == 200, page.get_data(as_text=True)[:500]
        fields = form_fields(page.get_data(as_text=True))
        fields.update(organisation_name="Rowan Trust", organisation_kind="trust")
        answer_page = client.post("/lti/register", data=fields)
    assert_refused(answer_page, "Could not send the registration", REFUSED)
    nothing_saved(app)


@pytest.mark.parametrize(
    "key_set_url",
    ["https://169.254.169.254/keys", "https://10.0.0.7/jwks", "https://localhost/jwks"],
)
def test_a_launch_never_fetches_keys_from_inside(
    app: Flask, client: FlaskClient, key_set_url: str
) -> None:
    platform = TestPlatform("moodle")
    org = make_org(app)
    register(app, platform, org)
    with app.app_context():
        row = db.session.scalars(select(PlatformRegistration)).one()
        row.key_set_url = key_set_url
        db.session.commit()
    guarded(app, STRICT)

    page = launch(client, platform).response

    html = page.get_data(as_text=True)
    assert page.status_code == 424, html[:600]
    assert REFUSED in html


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _registration(**urls: str) -> Registration:
    values = {
        "auth_login_url": "https://lms.example/auth",
        "auth_token_url": "https://lms.example/token",
        "key_set_url": "https://lms.example/jwks",
        **urls,
    }
    return Registration(issuer="https://lms.example", client_id="c", **values)


def test_a_token_endpoint_inside_is_refused_and_not_retried() -> None:
    """The token endpoint; NRPS and AGS calls go through the same client (lti.http)."""
    key = generate_key_pair()
    tokens = ServiceTokenClient(
        HttpClient(policy=STRICT),
        tool_key_signer(key.private_pem, key.kid),
        _now,
        MemoryTokenCache(),
    )
    registration = _registration(auth_token_url="https://169.254.169.254/token")

    with pytest.raises(ServiceTokenError, match=REFUSED) as caught:
        tokens.token(registration, ["scope"])

    assert caught.value.retryable is False
    assert caught.value.hint is not None
    assert "access token URL" in caught.value.hint


def test_platform_keys_from_inside_are_refused() -> None:
    keys = PlatformKeys(HttpClient(policy=STRICT), MemoryKeySetCache(), _now)
    registration = _registration(key_set_url="https://127.0.0.1:1/jwks")

    with pytest.raises(PlatformKeysUnavailable, match=REFUSED):
        keys.key_for(registration, "kid")


# --- the policy production builds ----------------------------------------------------------


def test_production_refuses_loopback_and_the_operator_setting_opens_it(tmp_path: Path) -> None:
    env = {"SECRET_KEY": "x" * 40}
    production = outbound_policy(load_config(tmp_path, environ=env))
    opened = outbound_policy(
        load_config(tmp_path, environ={**env, "CPD_TRACKER_OUTBOUND_ALLOW_LOOPBACK": "1"})
    )
    demo = outbound_policy(load_config(tmp_path, environ={**env, "CPD_TRACKER_DEMO": "1"}))

    assert not production.allow_loopback
    assert not production.allow_private
    assert opened.allow_loopback
    assert demo.allow_loopback
    assert production.total_deadline > 0
    assert production.max_in_flight >= 1
