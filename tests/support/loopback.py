"""Real HTTP on loopback for the interop tests that run other people's platform code.

* :class:`LoopbackServer` serves a WSGI app (a platform built on a PyPI library, or the tool
  itself for the platform to fetch its JWKS) with werkzeug on ``127.0.0.1`` in a thread.
* :class:`LossyHttp` is the tool's outbound :class:`~lti.http.HttpClient` on a real
  ``requests`` session, whose answers a test can lose on the way back (the platform did the
  work, the tool never heard): the case a retried score must survive.
* :class:`ShiftedClock` is the tool's clock: real time, because the platform libraries stamp
  and check their tokens with ``time.time()``, moved ahead by :meth:`~ShiftedClock.advance`
  to get past the outbox's backoffs.
* :class:`Browser` plays the person's browser through a launch: the login initiation the
  platform's page sends to the tool (Flask test client, cookies kept), the tool's redirect to
  the platform's auth endpoint (real HTTP, its own cookie jar), and the auto-submitted form
  with ``id_token`` and ``state`` posted back to the tool.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from flask.testing import FlaskClient
from requests.adapters import HTTPAdapter
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.test import TestResponse

from lti.http import HttpClient
from tests.support.platform import TOOL_HOST

TOOL_LOGIN_URL = f"https://{TOOL_HOST}/lti/login"
TOOL_LAUNCH_URL = f"https://{TOOL_HOST}/lti/launch"


class LoopbackServer:
    """A WSGI app on ``http://127.0.0.1:<free port>``, served by a thread until :meth:`stop`."""

    def __init__(self, app: Any, name: str = "loopback") -> None:
        self._server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name=name, daemon=True)

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


# ---------------------------------------------------------------- the tool's outbound client


class _LossyAdapter(HTTPAdapter):
    def __init__(self) -> None:
        super().__init__()
        self.lose: Callable[[requests.PreparedRequest], bool] | None = None
        self.lost: list[str] = []

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        response = super().send(request, *args, **kwargs)
        lose, self.lose = self.lose, None
        if lose is not None and not lose(request):
            self.lose = lose  # not this one: keep waiting for the call to lose
        elif lose is not None:
            # The platform has answered (and done the work); the answer never arrives.
            response.close()
            self.lost.append(f"{request.method} {request.url}")
            raise requests.ConnectionError("connection reset before the answer arrived")
        return response


class LossyHttp(HttpClient):
    """The app's one HttpClient, on the real network (loopback), able to lose one answer."""

    def __init__(self) -> None:
        session = requests.Session()
        # No proxy from the environment may stand between the tool and 127.0.0.1.
        session.trust_env = False
        self._adapter = _LossyAdapter()
        session.mount("http://", self._adapter)
        session.mount("https://", self._adapter)
        super().__init__(session=session)

    def lose_answer_to(self, method: str, path_suffix: str) -> None:
        """The next ``method`` call whose URL path ends with ``path_suffix`` reaches the
        platform, which answers, but the tool sees a dropped connection instead."""

        def matches(request: requests.PreparedRequest) -> bool:
            path = urlsplit(request.url or "").path
            return request.method == method and path.endswith(path_suffix)

        self._adapter.lose = matches

    @property
    def lost(self) -> list[str]:
        return list(self._adapter.lost)


class ShiftedClock:
    """Real time plus whatever the test has advanced (see the module docstring)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


# ---------------------------------------------------------------- the browser


@dataclass
class AutoSubmitForm:
    action: str
    method: str
    fields: dict[str, str]


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[AutoSubmitForm] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(
                AutoSubmitForm(values.get("action", ""), values.get("method", "get").lower(), {})
            )
        elif tag == "input" and self.forms and values.get("name"):
            self.forms[-1].fields[values["name"]] = values.get("value", "")


def read_form(page: str) -> AutoSubmitForm:
    """The first form in ``page`` (a browser would submit it)."""
    parser = _FormParser()
    parser.feed(page)
    assert parser.forms, f"no form in the page: {page[:500]}"
    return parser.forms[0]


@dataclass
class BrowserLaunch:
    login: TestResponse
    #: The platform's answer to the tool's authentication request.
    auth: requests.Response
    form: AutoSubmitForm
    response: TestResponse


class Browser:
    """One person's browser: the tool through the test client, the platform over HTTP."""

    def __init__(self, tool: FlaskClient) -> None:
        self.tool = tool
        self.platform = requests.Session()
        self.platform.trust_env = False

    def launch(self, login_url: str, *, method: str = "GET") -> BrowserLaunch:
        """Start at the platform's login initiation URL (which the platform built for the
        tool's login endpoint) and go through to the tool's answer to the launch."""
        parts = urlsplit(login_url)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == TOOL_LOGIN_URL, login_url
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        if method == "GET":
            login = self.tool.get(parts.path, query_string=params)
        else:
            login = self.tool.post(parts.path, data=params)
        assert login.status_code == 302, login.get_data(as_text=True)[:800]
        auth = self.platform.get(login.headers["Location"], allow_redirects=False, timeout=30)
        assert auth.status_code == 200, auth.text[:800]
        form = read_form(auth.text)
        assert form.method == "post"
        assert form.action == TOOL_LAUNCH_URL, form.action
        response = self.tool.post(urlsplit(form.action).path, data=form.fields)
        return BrowserLaunch(login, auth, form, response)

    def follow(self, response: TestResponse, limit: int = 5) -> TestResponse:
        """Follow the tool's redirects inside the tool."""
        for _ in range(limit):
            if response.status_code not in (301, 302, 303):
                return response
            response = self.tool.get(response.headers["Location"])
        return response

    def land(self, result: BrowserLaunch) -> TestResponse:
        assert result.response.status_code == 303, result.response.get_data(as_text=True)[:800]
        return self.follow(result.response)
