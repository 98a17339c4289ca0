"""lti.urls: which addresses are the tool's, and joining query strings."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from lti.urls import is_tool_url, with_query

HOSTS = frozenset({"tool.example.org", "localhost:5000"})


@pytest.mark.parametrize(
    "url",
    [
        "https://tool.example.org/lti/launch",
        "https://TOOL.example.org/lti/launch?x=1#frag",
        "http://tool.example.org/",
        "https://tool.example.org:443/launch",
        "http://tool.example.org:80/launch",
        "http://localhost:5000/launch",
    ],
)
def test_the_tool_s_own_addresses(url: str) -> None:
    assert is_tool_url(url, HOSTS)


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/",
        "https://tool.example.org.evil.example/",
        "https://tool.example.org:8443/",
        "http://localhost/launch",
        "http://localhost:5001/launch",
        "https://a:b@tool.example.org/",
        "https://tool.example.org@evil.example/",
        "https://evil.example\\@tool.example.org/",
        "data:text/html,hi",
        "//tool.example.org/launch",
        "https:///path",
        "https://tool.example.org:99999/",
        "https://tool.example.org/\x00",
        " https://tool.example.org/",
    ],
)
def test_everything_else_is_foreign(url: str) -> None:
    assert not is_tool_url(url, HOSTS)


def test_configured_hosts_are_case_insensitive() -> None:
    assert is_tool_url("https://tool.example.org/", frozenset({"Tool.Example.ORG"}))


def test_with_query_appends() -> None:
    assert with_query("https://lms/auth", {"a": "1 2"}) == "https://lms/auth?a=1+2"
    url = with_query("https://lms/auth?x=y#top", {"a": "&"})
    parts = urlsplit(url)
    assert parse_qsl(parts.query) == [("x", "y"), ("a", "&")]
    assert parts.fragment == "top"
