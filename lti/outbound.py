"""The guard under :class:`lti.http.HttpClient`: where the tool may connect, and for how long.

Every URL the tool fetches is named by someone else: the configuration URL of a Dynamic
Registration by whoever opens ``/lti/register`` (no login), and the JWKS, token, NRPS, AGS and
registration endpoints by a platform, which may have registered itself. So a URL is never
trusted to point at the public internet. This module:

* resolves the host once, refuses it unless **every** address is a public one (loopback,
  private, link-local, multicast, reserved and unspecified addresses refused, IPv4 hidden in
  IPv6 unwrapped first), and then connects to those checked addresses, not to the name: DNS
  cannot answer differently between the check and the connection ("DNS rebinding"). The
  hostname stays on the connection, so TLS SNI, certificate checks and the ``Host`` header are
  the usual ones;
* bounds the whole exchange with one deadline (:class:`Deadline`): name lookup, connect, TLS
  handshake, headers and body together, not each read on its own, so a host dripping a byte a
  second is cut off like one that never answers.

The check happens in the connection itself (:class:`GuardedAdapter` mounts connection classes
whose ``_new_conn`` does it), so it also applies to each hop of a redirect and to every
caller. Loopback and private networks are opened only by the policy (demo, tests, a local
interop suite). Nothing here is crypto: TLS is urllib3's and the ``ssl`` module's.

The rules for addresses follow the IANA special-purpose registries (RFC 6890 and its updates),
as Python's :mod:`ipaddress` encodes them, plus the ranges it does not flag on 3.11.
"""

from __future__ import annotations

import contextlib
import contextvars
import ipaddress
import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection as urllib3_connection

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]

#: RFC 1918, RFC 6598 (carrier-grade NAT, often routed to internal workloads) and IPv6 unique
#: local addresses: opened by ``allow_private`` only.
PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)
#: Never contacted, whatever the policy: ranges Python 3.11 does not mark non-global, and
#: transition mechanisms that carry an IPv4 address this check would not see.
ALWAYS_REFUSED = tuple(
    ipaddress.ip_network(net)
    for net in (
        "192.0.0.0/24",  # IETF protocol assignments
        "198.18.0.0/15",  # benchmarking
        "64:ff9b:1::/48",  # local-use NAT64 (RFC 8215)
        "2002::/16",  # 6to4: an IPv4 address inside
        "2001::/32",  # Teredo: an IPv4 address inside
        "5f00::/16",  # IPv6 segment routing SIDs
        "3fff::/20",  # documentation (RFC 9637)
        "fec0::/10",  # deprecated site-local
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


@dataclass(frozen=True)
class OutboundPolicy:
    """Where the tool may connect and how much it will wait for and read.

    Production: public addresses only. ``allow_loopback`` is for the demo, tests and a local
    interop suite; ``allow_private`` for a tool and LMS on the same private network.
    """

    allow_loopback: bool = False
    allow_private: bool = False
    #: Seconds for one whole request: lookup, connect, TLS, headers and body (and redirects).
    total_deadline: float = 15.0
    #: Bytes of body read at most (after decompression); a larger answer is refused.
    max_bytes: int = 10 * 1024 * 1024
    #: Requests in flight at once in this process; more wait ``acquire_timeout``, then fail.
    max_in_flight: int = 2
    acquire_timeout: float = 0.5
    #: Hops followed when a caller asks for redirects (each hop checked like the first).
    max_redirects: int = 3
    resolver: Resolver = field(default=lambda host, port: system_resolver(host, port))

    def __post_init__(self) -> None:
        if self.total_deadline <= 0 or self.max_bytes <= 0 or self.max_in_flight < 1:
            raise ValueError("OutboundPolicy needs a positive deadline, byte cap and bound")


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, in the resolver's order, without duplicates."""
    infos = socket.getaddrinfo(host, port, socket.AF_UNSPEC, socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def refusal(address: IPAddress, policy: OutboundPolicy) -> str | None:
    """Why ``address`` may not be contacted under ``policy`` (a short category), or None."""
    ip = _unwrap(address)
    if ip.is_loopback:
        return None if policy.allow_loopback else "loopback"
    if any(ip in net for net in PRIVATE_NETWORKS):
        return None if policy.allow_private else "private"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_reserved or not ip.is_global or any(ip in net for net in ALWAYS_REFUSED):
        return "reserved"
    return None


def _unwrap(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 one stands for (``::ffff:a.b.c.d``, NAT64 ``64:ff9b::/96``)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


class AddressNotAllowed(Exception):
    """The host resolves to an address the policy does not let the tool contact.

    Deliberately not an ``OSError`` or a ``requests`` exception, so that urllib3 and requests
    let it through unwrapped (no retry, no "connection error") to :class:`lti.http.HttpClient`.
    """

    def __init__(self, host: str, category: str) -> None:
        super().__init__(f"{host} resolves to a {category} address")
        self.host = host
        self.category = category


class DeadlinePassed(Exception):
    """The request's deadline passed before the name lookup finished."""


class Deadline:
    """One request's deadline, enforced on its sockets.

    Socket timeouts bound each read; a host sending a byte just inside each one would never
    time out. So a timer shuts down every socket the request uses when the deadline passes:
    the blocked read returns at once, whether it was in the TLS handshake, the headers or the
    body. The timer shuts down a duplicate descriptor of each socket (shutdown acts on the
    connection, which both share), so it never touches a descriptor number that may have been
    reused by then.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expires_at = time.monotonic() + seconds
        self.expired = False
        self._lock = threading.Lock()
        self._handles: list[socket.socket] = []
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        return max(0.0, self.expires_at - time.monotonic())

    def passed(self) -> bool:
        """Whether the deadline has passed (a connect timed out on it, or the timer fired)."""
        return self.expired or self.remaining() <= 0

    def watch(self, sock: socket.socket) -> None:
        """Cut ``sock`` off when the deadline passes (at once if it already has)."""
        handle = socket.socket(fileno=os.dup(sock.fileno()))
        with self._lock:
            self._handles.append(handle)
            if self.expired:
                _cut(handle)

    def close(self) -> None:
        """Stop the timer and let go of the duplicates (the sockets themselves stay open)."""
        self._timer.cancel()
        with self._lock:
            for handle in self._handles:
                handle.close()
            self._handles.clear()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for handle in self._handles:
                _cut(handle)


def _cut(handle: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the peer or by us
        handle.shutdown(socket.SHUT_RDWR)


@dataclass(frozen=True)
class _Attempt:
    policy: OutboundPolicy
    deadline: Deadline | None


_ATTEMPT: contextvars.ContextVar[_Attempt | None] = contextvars.ContextVar(
    "outbound_attempt", default=None
)
#: For a connection made outside :func:`attempt` (someone using the session directly).
_STRICT = _Attempt(OutboundPolicy(), None)


@contextlib.contextmanager
def attempt(policy: OutboundPolicy, deadline: Deadline) -> Iterator[None]:
    """Connections opened in this block (this thread) follow ``policy`` and ``deadline``."""
    token = _ATTEMPT.set(_Attempt(policy, deadline))
    try:
        yield
    finally:
        _ATTEMPT.reset(token)


def checked_addresses(host: str, port: int, policy: OutboundPolicy) -> list[str]:
    """The addresses to connect to for ``host``: all of them public (or allowed), or refused.

    One disallowed address refuses the host: a name that resolves both ways is either
    misconfigured or an attempt to reach inside.
    """
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    addresses = [host] if literal is not None else list(policy.resolver(host, port))
    if not addresses:
        raise socket.gaierror(socket.EAI_NONAME, "no addresses")
    for text in addresses:
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            raise AddressNotAllowed(host, "non-IP") from None
        category = refusal(address, policy)
        if category is not None:
            log.warning("Outbound request to %s refused: %s is %s", host, address, category)
            raise AddressNotAllowed(host, category)
    return addresses


def _lookup(host: str, port: int, current: _Attempt) -> list[str]:
    """:func:`checked_addresses` within the deadline: ``getaddrinfo`` has no timeout of its
    own, so a slow DNS server is waited for in a helper thread, only until the deadline."""
    deadline = current.deadline
    if deadline is None:
        return checked_addresses(host, port, current.policy)
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(checked_addresses(host, port, current.policy))
        except BaseException as exc:  # handed to the waiting thread
            outcome.append(exc)

    helper = threading.Thread(target=run, name="outbound-dns", daemon=True)
    helper.start()
    helper.join(deadline.remaining())
    if not outcome:
        raise DeadlinePassed(host)
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    result: list[str] = outcome[0]
    return result


class _GuardedConnection(HTTPConnection):
    """Resolves, checks, and connects to the checked address; the hostname stays for TLS."""

    def _new_conn(self) -> socket.socket:
        current = _ATTEMPT.get() or _STRICT
        host = self._dns_host.strip("[]")
        try:
            addresses = _lookup(host, self.port, current)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        timeout = self.timeout
        if current.deadline is not None:
            left = current.deadline.remaining()
            timeout = left if not isinstance(timeout, int | float) else min(timeout, left)
        error: OSError | None = None
        for address in addresses:
            try:
                sock = urllib3_connection.create_connection(
                    (address, self.port),
                    timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except TimeoutError as exc:
                raise ConnectTimeoutError(
                    self, f"Connection to {self.host} timed out. (connect timeout={timeout})"
                ) from exc
            except OSError as exc:
                error = exc
                continue
            if current.deadline is not None:
                current.deadline.watch(sock)
            sys.audit("http.client.connect", self, self.host, self.port)
            return sock
        raise NewConnectionError(self, f"Failed to establish a new connection: {error}")

    def request(self, *args: Any, **kwargs: Any) -> None:
        # A connection kept alive from an earlier request joins this request's deadline.
        current = _ATTEMPT.get()
        if self.sock is not None and current is not None and current.deadline is not None:
            current.deadline.watch(self.sock)
        super().request(*args, **kwargs)


class _GuardedHTTPSConnection(_GuardedConnection, HTTPSConnection):
    """HTTPS with the same guard: urllib3 still verifies the certificate for ``self.host``."""


class _GuardedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _GuardedConnection


class _GuardedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    """A ``requests`` transport whose every connection goes through the guard, never a proxy."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedHTTPConnectionPool,
            "https": _GuardedHTTPSConnectionPool,
        }

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        # A proxy would make the connection instead of the guard: outbound calls go direct.
        kwargs["proxies"] = {}
        return super().send(request, *args, **kwargs)


def guarded_session(policy: OutboundPolicy) -> requests.Session:
    """A session for :class:`lti.http.HttpClient` with the guard mounted for http and https.

    Settings from the environment are not taken (``trust_env`` off: no proxy, no ``.netrc``
    credentials sent to an LMS), except the CA bundle variables ``requests`` honours, so a
    private CA (a local interop suite) still works.
    """
    session = requests.Session()
    session.trust_env = False
    session.verify = (
        os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    )
    session.max_redirects = policy.max_redirects
    adapter = GuardedAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
