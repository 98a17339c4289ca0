"""Small URL rules shared by login and launch: "is this one of our addresses", and query joining.

``target_link_uri`` arrives from the browser before anything is signed (Security Framework 1.0
§5.1.1.1), so it is untrusted: an address is ours only when it is http(s), carries no user info,
and its host[:port] is one of the tool's hosts (LTI.md check 13).
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit, urlunsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_tool_url(url: str, tool_hosts: frozenset[str]) -> bool:
    """Whether ``url`` is http(s) on one of ``tool_hosts`` (each ``host`` or ``host:port``)."""
    if any(ch.isspace() or ord(ch) < 32 or ch == "\\" for ch in url):
        return False
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return False
    if parts.username is not None or parts.password is not None:
        return False
    hosts = {h.lower() for h in tool_hosts}
    if port is None or port == _DEFAULT_PORTS[parts.scheme]:
        names = {parts.hostname, f"{parts.hostname}:{_DEFAULT_PORTS[parts.scheme]}"}
    else:
        names = {f"{parts.hostname}:{port}"}
    return not names.isdisjoint(hosts)


def with_query(url: str, params: Mapping[str, str]) -> str:
    """``url`` with ``params`` appended to any query string it already has."""
    parts = urlsplit(url)
    extra = urlencode(params)
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
