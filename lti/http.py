"""The one outbound HTTP wrapper: every call guarded, bounded, and failing with one error type.

Every URL the tool fetches is named by someone else (the registration page's caller, or a
platform), so every call goes through the guard in :mod:`lti.outbound` under an
:class:`~lti.outbound.OutboundPolicy`:

* only public addresses, checked after resolving and then connected to as checked (loopback and
  private networks only when the policy opens them: demo, tests, a local interop suite);
* one deadline for the whole exchange, on top of the (connect, read) timeouts;
* the body read here, up to a byte cap, never streamed to the caller unbounded;
* at most ``max_in_flight`` calls at once in this process: a further one waits briefly, then
  fails as :class:`OutboundBusy` (retryable), so hosts that never answer hold a few threads,
  never every worker;
* redirects not followed unless the caller asks (then each hop is checked like the first).

Failures are an :class:`HttpError` whose message is written in the tool's words: it names the
URL and what went wrong, never what the far end sent. Some Moodle sites answer 403 to requests
without a User-Agent, so every call carries one.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Mapping
from typing import Any

import requests
from urllib3.exceptions import NameResolutionError

from lti.outbound import (
    AddressNotAllowed,
    Deadline,
    DeadlinePassed,
    OutboundPolicy,
    attempt,
    guarded_session,
)

DEFAULT_TIMEOUT = (3.05, 10.0)
DEFAULT_USER_AGENT = "cpd-tracker-lti/1.0 (+LTI 1.3 tool)"
_CHUNK = 64 * 1024


class HttpError(Exception):
    """An outbound call failed: refused by the guard, no answer, or a non-2xx status."""

    #: Whether the same call may succeed later without anyone changing anything.
    retryable = True

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


class OutboundRefused(HttpError):
    """The URL's host is not on the public internet (loopback, private, link-local...)."""

    retryable = False


class ResponseTooLarge(HttpError):
    """The answer is larger than the policy's byte cap; it was not read to the end."""

    retryable = False


class DeadlineExceeded(HttpError):
    """The whole exchange took longer than the policy's deadline and was cut off."""


class OutboundBusy(HttpError):
    """Too many outbound calls already in flight in this process; nothing was sent."""


class HttpClient:
    """``requests`` behind the guard. A ``session`` passed in is used as it is (a test's fake
    network, a suite's own CA): the address guard is the default session's transport, while
    the deadline, byte cap, in-flight bound and error mapping apply to every session."""

    def __init__(
        self,
        *,
        user_agent: str = DEFAULT_USER_AGENT,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
        policy: OutboundPolicy | None = None,
    ) -> None:
        self.user_agent = user_agent
        self.timeout = timeout
        self.policy = policy or OutboundPolicy()
        self.session = session or guarded_session(self.policy)
        self._slots = threading.BoundedSemaphore(self.policy.max_in_flight)

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: tuple[float, float] | None = None,
        raise_for_status: bool = True,
        allow_redirects: bool = False,
        **kwargs: Any,
    ) -> requests.Response:
        """Send one request and read its answer (body included, at most ``max_bytes``).

        Raises :class:`HttpError` (or a subclass) when the call fails, and, unless
        ``raise_for_status`` is off, when the answer is not 2xx. ``stream`` is accepted and
        ignored: the body is always read here, within the deadline and the cap.
        """
        kwargs.pop("stream", None)
        kwargs.pop("proxies", None)
        all_headers = {"User-Agent": self.user_agent, **(headers or {})}
        if not self._slots.acquire(timeout=self.policy.acquire_timeout):
            raise OutboundBusy(
                f"The tool is already waiting on {self.policy.max_in_flight} other LMS "
                f"requests, so it did not contact {url}; try again in a minute",
                url=url,
            )
        try:
            response = self._send(
                method, url, all_headers, timeout or self.timeout, allow_redirects, kwargs
            )
        finally:
            self._slots.release()
        if raise_for_status and not 200 <= response.status_code < 300:
            redirect = " (a redirect, which the tool does not follow)"
            raise HttpError(
                f"{url} answered HTTP {response.status_code}"
                + (redirect if 300 <= response.status_code < 400 else ""),
                url=url,
                status=response.status_code,
                response=response,
            )
        return response

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", url, **kwargs)

    def _send(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        timeout: tuple[float, float],
        allow_redirects: bool,
        kwargs: dict[str, Any],
    ) -> requests.Response:
        # The (connect, read) timeouts still apply to each step; the deadline bounds them all
        # together (lti.outbound cuts the sockets off when it passes).
        deadline = Deadline(self.policy.total_deadline)
        try:
            with attempt(self.policy, deadline):
                try:
                    response = self.session.request(
                        method,
                        url,
                        headers=headers,
                        timeout=timeout,
                        allow_redirects=allow_redirects,
                        stream=True,
                        **kwargs,
                    )
                    try:
                        _read_body(response, url, self.policy.max_bytes)
                    finally:
                        response.close()
                except AddressNotAllowed as exc:
                    raise OutboundRefused(
                        f"{url} is not on the public internet (its host name leads to a "
                        "loopback, private or reserved network address), so the tool does not "
                        "contact it",
                        url=url,
                    ) from exc
                except (DeadlinePassed, requests.RequestException) as exc:
                    if isinstance(exc, DeadlinePassed) or deadline.passed():
                        raise self._too_slow(url, deadline) from exc
                    raise _transport_error(url, exc) from exc
            # A body without a length, cut off by the deadline, would look complete.
            if deadline.passed():
                raise self._too_slow(url, deadline)
            return response
        finally:
            deadline.close()

    @staticmethod
    def _too_slow(url: str, deadline: Deadline) -> DeadlineExceeded:
        return DeadlineExceeded(
            f"{url} did not answer in time (the tool waits at most {deadline.seconds:g} "
            f"second{'' if deadline.seconds == 1 else 's'} for an LMS)",
            url=url,
        )


def _read_body(response: requests.Response, url: str, max_bytes: int) -> None:
    """Read the whole body into ``response`` (so ``.content``, ``.json()`` work), or refuse."""
    too_large = ResponseTooLarge(
        f"{url} sent an answer larger than {_size(max_bytes)}, more than the tool reads from "
        "an LMS; it was not used",
        url=url,
    )
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    body = bytearray()
    for chunk in response.iter_content(_CHUNK):
        body += chunk
        if len(body) > max_bytes:
            raise too_large
    # requests' own attributes for a body already read: .content, .text and .json() use it,
    # and iter_content() replays it (lti.jwks reads it that way).
    response._content = bytes(body)
    response._content_consumed = True  # type: ignore[attr-defined]


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB" if n >= 1024 * 1024 else f"{n:,} bytes"


def _transport_error(url: str, exc: requests.RequestException) -> HttpError:
    """No answer: say which kind in words an admin can act on, not the exception's name (the
    difference between "refused" and "TLS error" would map ports on the far side)."""
    if isinstance(exc, requests.Timeout):
        return HttpError(f"{url} did not answer in time", url=url)
    if isinstance(exc, requests.TooManyRedirects):
        return HttpError(f"{url} redirected too many times", url=url)
    if _caused_by(exc, ssl.SSLCertVerificationError):
        return HttpError(
            f"{url} could not be reached: its TLS certificate was not accepted (expired, "
            "self-signed, or for another name)",
            url=url,
        )
    if _caused_by(exc, (NameResolutionError, socket.gaierror)):
        return HttpError(f"{url} could not be reached: its host name was not found", url=url)
    return HttpError(f"{url} could not be reached", url=url)


def _caused_by(
    exc: BaseException, kind: type[BaseException] | tuple[type[BaseException], ...]
) -> bool:
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kind):
            return True
        stack += [current.__cause__, current.__context__, *_wrapped(current)]
    return False


def _wrapped(exc: BaseException) -> list[BaseException]:
    # urllib3's MaxRetryError keeps the real failure in .reason; requests wraps it in args.
    found = [arg for arg in exc.args if isinstance(arg, BaseException)]
    reason = getattr(exc, "reason", None)
    if isinstance(reason, BaseException):
        found.append(reason)
    return found
