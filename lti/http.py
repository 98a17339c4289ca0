"""The one outbound HTTP wrapper: every call has a timeout, a User-Agent, and one error type.

Some Moodle sites answer 403 to requests without a User-Agent; an LMS that hangs must never hang
a teacher's page, so every call carries a (connect, read) timeout.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

DEFAULT_TIMEOUT = (3.05, 10.0)
DEFAULT_USER_AGENT = "cpd-tracker-lti/1.0 (+LTI 1.3 tool)"


class HttpError(Exception):
    """An outbound call failed: no answer, a timeout, or a non-2xx status."""

    def __init__(
        self,
        message: str,
        *,
        url: str,
        status: int | None = None,
        response: requests.Response | None = None,
    ) -> None:
        super().__init__(message)
        self.url = url
        self.status = status
        self.response = response


class HttpClient:
    def __init__(
        self,
        *,
        user_agent: str = DEFAULT_USER_AGENT,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
    ) -> None:
        self.user_agent = user_agent
        self.timeout = timeout
        self.session = session or requests.Session()

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: tuple[float, float] | None = None,
        raise_for_status: bool = True,
        **kwargs: Any,
    ) -> requests.Response:
        all_headers = {"User-Agent": self.user_agent, **(headers or {})}
        try:
            response = self.session.request(
                method, url, headers=all_headers, timeout=timeout or self.timeout, **kwargs
            )
        except requests.Timeout as exc:
            raise HttpError(f"{url} did not answer in time", url=url) from exc
        except requests.RequestException as exc:
            raise HttpError(
                f"{url} could not be reached: {exc.__class__.__name__}", url=url
            ) from exc
        if raise_for_status and not response.ok:
            raise HttpError(
                f"{url} answered HTTP {response.status_code}",
                url=url,
                status=response.status_code,
                response=response,
            )
        return response

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", url, **kwargs)
