"""A fake network for :class:`lti.http.HttpClient`: canned answers by URL, every call recorded.

``FakeHttp`` *is* an ``HttpClient`` whose ``requests.Session`` has a transport adapter that
answers from a table instead of the network, so the real wrapper code (timeouts, User-Agent,
non-2xx mapped to ``HttpError``) runs in tests. Unknown URLs answer 404, like a real server.

    http = FakeHttp()
    http.add("https://lms.example/jwks", json={"keys": []}, headers={"Cache-Control": "max-age=60"})
    http.fail("https://down.example/jwks")            # connection refused
    http.count("https://lms.example/jwks")            # how many GETs so far
"""

from __future__ import annotations

import http as http_status
import io
import json as json_module
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from lti.http import HttpClient


@dataclass
class CannedResponse:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    #: Raised instead of answering (a ``requests`` exception, e.g. ``ConnectionError``).
    error: Exception | None = None


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes | None
    timeout: Any


def _normalise(url: str) -> str:
    """The URL as requests will send it (so ``https://host`` matches ``https://host/``)."""
    prepared = requests.Request("GET", url).prepare().url
    return prepared or url


class _Adapter(BaseAdapter):
    def __init__(self, fake: FakeHttp) -> None:
        super().__init__()
        self._fake = fake

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        canned = self._fake._answer(request, timeout)
        if canned.error is not None:
            raise canned.error
        response = requests.Response()
        response.status_code = canned.status
        response.headers = CaseInsensitiveDict(canned.headers)
        response.headers.setdefault("Content-Length", str(len(canned.body)))
        response.raw = io.BytesIO(canned.body)
        response.url = request.url or ""
        response.request = request
        response.reason = http_status.HTTPStatus(canned.status).phrase
        response.encoding = requests.utils.get_encoding_from_headers(response.headers)
        response.connection = self  # type: ignore[assignment]  # any adapter will do
        return response

    def close(self) -> None:
        pass


class FakeHttp(HttpClient):
    def __init__(self, **kwargs: Any) -> None:
        session = requests.Session()
        adapter = _Adapter(self)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        super().__init__(session=session, **kwargs)
        self._lock = threading.Lock()
        self._routes: dict[tuple[str, str], CannedResponse] = {}
        self.requests: list[RecordedRequest] = []

    def add(
        self,
        url: str,
        *,
        method: str = "GET",
        status: int = 200,
        json: Any = None,
        body: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer ``method url`` with this, replacing any earlier answer."""
        all_headers = dict(headers or {})
        if json is not None:
            payload = json_module.dumps(json).encode()
            all_headers.setdefault("Content-Type", "application/json")
        else:
            payload = body.encode() if isinstance(body, str) else (body or b"")
        with self._lock:
            self._routes[(method.upper(), _normalise(url))] = CannedResponse(
                status=status, headers=all_headers, body=payload
            )

    def fail(self, url: str, error: Exception | None = None, *, method: str = "GET") -> None:
        """Make ``method url`` raise (default: connection refused)."""
        with self._lock:
            self._routes[(method.upper(), _normalise(url))] = CannedResponse(
                error=error or requests.ConnectionError("connection refused")
            )

    def calls(self, url: str | None = None, method: str | None = None) -> list[RecordedRequest]:
        wanted = _normalise(url) if url else None
        with self._lock:
            return [
                r
                for r in self.requests
                if (wanted is None or r.url == wanted)
                and (method is None or r.method == method.upper())
            ]

    def count(self, url: str | None = None, method: str | None = None) -> int:
        return len(self.calls(url, method))

    def _answer(self, request: requests.PreparedRequest, timeout: Any) -> CannedResponse:
        method = (request.method or "GET").upper()
        url = request.url or ""
        body = request.body.encode() if isinstance(request.body, str) else request.body
        with self._lock:
            self.requests.append(RecordedRequest(method, url, dict(request.headers), body, timeout))
            canned = self._routes.get((method, url))
        return canned or CannedResponse(status=404, body=b"not found")
