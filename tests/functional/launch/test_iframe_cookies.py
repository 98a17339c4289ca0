"""Inside the LMS iframe: Partitioned cookies, Platform Storage when cookies are refused, the
signed launch token when they stay refused, and the new-tab page when nothing else works."""

from __future__ import annotations

import logging
import re
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.support.factories import make_org, register, school_id
from tests.support.http import FakeHttp
from tests.support.launching import follow, launch, login
from tests.support.platform import TOOL_HOST, TestPlatform


def cookieless(app: Flask) -> FlaskClient:
    client = app.test_client(use_cookies=False)
    client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": TOOL_HOST})
    return client


def hidden_inputs(html: str) -> dict[str, str]:
    fields = {}
    for tag in re.findall(r"<input[^>]*>", html):
        if 'type="hidden"' not in tag:
            continue
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            fields[name.group(1)] = unescape(value.group(1)) if value else ""
    return fields


def test_launch_cookies_are_partitioned_third_party_cookies(
    client: FlaskClient, platform: TestPlatform
) -> None:
    first = login(client, platform)
    state_cookie = first.headers["Set-Cookie"]
    for attribute in ("Secure", "HttpOnly", "SameSite=None", "Partitioned"):
        assert attribute in state_cookie
    result = launch(client, platform)
    session_cookie = next(
        v for v in result.response.headers.getlist("Set-Cookie") if v.startswith("cpd_session=")
    )
    for attribute in ("Secure", "HttpOnly", "SameSite=None", "Partitioned"):
        assert attribute in session_cookie
    # The used state cookie is deleted as it was set: a partitioning browser keeps a
    # Partitioned cookie that a deletion without the attribute does not name.
    state_name = result.login.headers["Set-Cookie"].split("=", 1)[0]
    deletion = next(
        v for v in result.response.headers.getlist("Set-Cookie") if v.startswith(state_name + "=")
    )
    assert "Expires=Thu, 01 Jan 1970" in deletion
    for attribute in ("Secure", "SameSite=None", "Partitioned", "Path=/lti/"):
        assert attribute in deletion


def test_blocked_cookies_without_platform_storage_offer_a_new_tab(
    app: Flask, platform: TestPlatform
) -> None:
    browser = cookieless(app)
    first = login(browser, platform)
    form = platform.launch_form_from_redirect(first.headers["Location"])
    page = browser.post("/lti/launch", data=form)
    assert page.status_code == 401
    html = page.get_data(as_text=True)
    assert "Open in a new tab" in html
    new_tab = unescape(re.search(r'href="([^"]+/lti/login\?[^"]+)"', html).group(1))
    params = dict(parse_qsl(urlsplit(new_tab).query))
    assert params["iss"] == platform.issuer
    assert params["login_hint"] == platform.user("learner").login_hint
    # In the new tab the tool is first party: the login starts again and completes.
    tab = app.test_client()
    tab.environ_base.update({"wsgi.url_scheme": "https", "HTTP_HOST": TOOL_HOST})
    platform.login_params()  # the LMS would issue a fresh message hint for the new login
    restarted = tab.get(new_tab)
    assert restarted.status_code == 302
    assert restarted.headers["Location"].startswith(platform.auth_login_url)


def test_platform_storage_binds_the_launch_when_cookies_are_blocked(
    app: Flask, canvas: TestPlatform
) -> None:
    """Canvas offers Platform Storage; Moodle does not (LTI.md)."""
    platform = canvas
    browser = cookieless(app)
    browser.environ_base["HTTP_REFERER"] = f"https://{platform.canvas_domain}/"
    page = login(browser, platform, platform_storage=True)
    assert page.status_code == 200
    # Shown in the LMS's frame before anyone is signed in: that platform, and the school's
    # Canvas host the login came from, may frame it (they are refused on other pages).
    ancestors = _ancestors(page)
    assert "https://canvas.instructure.com" in ancestors
    assert f"https://{platform.canvas_domain}" in ancestors
    html = page.get_data(as_text=True)
    assert 'data-lti-storage="put"' in html
    assert 'data-storage-target="post_message_forwarding"' in html
    assert f'data-target-origin="{platform.auth_login_url.rsplit("/api", 1)[0]}"' in html
    auth_params = hidden_inputs(html)
    form = platform.launch_form(auth_params)

    # No cookie came back: the tool asks the platform's storage for the state.
    storage_page = browser.post("/lti/launch", data=form)
    assert storage_page.status_code == 200
    assert f"https://{platform.canvas_domain}" in _ancestors(storage_page)
    storage_html = storage_page.get_data(as_text=True)
    assert 'data-lti-storage="get"' in storage_html
    relayed = hidden_inputs(storage_html)
    # What lti_storage.js does once lti.get_data answers with the state it put.
    relayed["platform_state"] = auth_params["state"]
    done = browser.post("/lti/launch", data=relayed)
    assert done.status_code == 303
    landing_url = done.headers["Location"]
    assert "lt=" in landing_url

    # Every page after the launch works on the signed token alone, and keeps carrying it.
    # The launch sends a learner straight to their own training (no stop at ``/``).
    assert landing_url.startswith("/my-training?lt=")
    my_training = browser.get(landing_url)
    assert my_training.status_code == 200
    body = my_training.get_data(as_text=True)
    assert platform.user("learner").name in body
    assert re.search(r'href="/my-training\?lt=[^"]+"', body)


def test_wrong_platform_storage_value_is_refused(app: Flask, canvas: TestPlatform) -> None:
    platform = canvas
    browser = cookieless(app)
    html = login(browser, platform, platform_storage=True).get_data(as_text=True)
    form = platform.launch_form(hidden_inputs(html))
    relayed = hidden_inputs(browser.post("/lti/launch", data=form).get_data(as_text=True))
    relayed["platform_state"] = "not-the-state"
    refused = browser.post("/lti/launch", data=relayed)
    assert refused.status_code == 403
    assert "state_mismatch" in refused.get_data(as_text=True)


def test_forms_carry_the_token_when_cookies_are_blocked(app: Flask, platform: TestPlatform) -> None:
    """A CPD lead without cookies can still submit the school form (CSRF and identity by
    token)."""
    browser = cookieless(app)
    first = login(browser, platform, user="instructor")
    form = platform.launch_form_from_redirect(first.headers["Location"])
    # Pretend the storage step happened (tested above) by posting the bound state directly.
    form["platform_state"] = form["state"]
    done = browser.post("/lti/launch", data=form)
    assert done.status_code == 303
    page = browser.get(done.headers["Location"])
    html = page.get_data(as_text=True)
    fields = hidden_inputs(html)
    assert fields["lt"]
    chosen = browser.post(
        "/lti/course-school",
        data={
            "csrf_token": fields["csrf_token"],
            "lt": fields["lt"],
            "school_id": school_id(app, "100001"),
        },
    )
    assert chosen.status_code == 302
    assert "lt=" in chosen.headers["Location"]


def test_expired_or_forged_token_is_not_a_session(app: Flask) -> None:
    browser = cookieless(app)
    assert browser.get("/my-training?lt=forged.token.value").status_code == 401


def _ancestors(response: TestResponse) -> list[str]:
    csp = response.headers["Content-Security-Policy"]
    return re.search(r"frame-ancestors ([^;]+)", csp).group(1).split()


def test_csp_frames_pages_by_their_own_organisations_platforms_only(
    app: Flask, client: FlaskClient, fake_http: FakeHttp, platform: TestPlatform
) -> None:
    other_org = make_org(app, "Other Trust", schools=[("300001", "Hazel School")])
    stranger = TestPlatform(platform.dialect, issuer="https://lms.other-trust.example")
    stranger.serve_jwks(fake_http)
    register(app, stranger, other_org)

    # A page of no organisation: the tool itself only.
    anonymous = client.get("/lti/config")
    assert _ancestors(anonymous) == ["'self'"]
    csp = anonymous.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert anonymous.headers["Referrer-Policy"] == "same-origin"

    page = follow(client, launch(client, platform).response)
    ancestors = _ancestors(page)
    assert "'self'" in ancestors
    assert "{0.scheme}://{0.netloc}".format(urlsplit(platform.issuer)) in ancestors
    assert "https://lms.other-trust.example" not in ancestors
    assert "*" not in ancestors


def test_canvas_school_host_learned_from_launch_may_frame_the_tool(
    client: FlaskClient, canvas: TestPlatform
) -> None:
    platform = canvas
    page = follow(client, launch(client, platform).response)
    assert f"https://{platform.canvas_domain}" in _ancestors(page)


def test_cookies_blocked_refusal_is_logged_with_the_reference_it_shows(
    app: Flask, platform: TestPlatform, caplog: pytest.LogCaptureFixture
) -> None:
    browser = cookieless(app)
    first = login(browser, platform)
    form = platform.launch_form_from_redirect(first.headers["Location"])
    with caplog.at_level(logging.WARNING, logger="cpd_tracker"):
        page = browser.post("/lti/launch", data=form)
    assert page.status_code == 401
    reference = page.headers["X-Correlation-Id"]
    assert reference in page.get_data(as_text=True)
    logged = [r.getMessage() for r in caplog.records if reference in r.getMessage()]
    assert logged
    assert "cookies_blocked" in logged[0]
    # The LMS that sent the launch may frame the refusal (its teacher reads it there).
    issuer_origin = "{0.scheme}://{0.netloc}".format(urlsplit(platform.auth_login_url))
    assert issuer_origin in _ancestors(page)
