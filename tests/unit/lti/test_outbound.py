"""lti.outbound: which addresses the tool may contact, under each policy."""

from __future__ import annotations

import ipaddress

import pytest

from lti.outbound import AddressNotAllowed, OutboundPolicy, checked_addresses, refusal

STRICT = OutboundPolicy()
LOOPBACK = OutboundPolicy(allow_loopback=True)
PRIVATE = OutboundPolicy(allow_private=True)


@pytest.mark.parametrize(
    ("address", "category"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("64:ff9b::7f00:1", "loopback"),  # NAT64 of 127.0.0.1
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "private"),  # carrier-grade NAT
        ("fd00::1", "private"),
        ("::ffff:10.1.2.3", "private"),
        ("64:ff9b::a00:1", "private"),
        ("169.254.169.254", "link-local"),  # cloud metadata
        ("::ffff:169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 - the address under test
        ("::", "unspecified"),
        ("0.1.2.3", "reserved"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("192.0.2.1", "reserved"),  # documentation
        ("192.0.0.9", "reserved"),
        ("198.18.0.1", "reserved"),
        ("2001:db8::1", "reserved"),
        ("::7f00:1", "reserved"),  # IPv4-compatible
        ("2002:7f00:1::1", "reserved"),  # 6to4
        ("2001::1", "reserved"),  # Teredo
        ("64:ff9b:1::1", "reserved"),  # local-use NAT64
        ("fec0::1", "reserved"),  # site-local
    ],
)
def test_addresses_off_the_public_internet_are_refused(address: str, category: str) -> None:
    assert refusal(ipaddress.ip_address(address), STRICT) == category


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "64:ff9b::808:808", "81.2.69.142"]
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert refusal(ipaddress.ip_address(address), STRICT) is None


def test_allow_loopback_opens_loopback_only() -> None:
    assert refusal(ipaddress.ip_address("127.0.0.1"), LOOPBACK) is None
    assert refusal(ipaddress.ip_address("::1"), LOOPBACK) is None
    assert refusal(ipaddress.ip_address("10.0.0.1"), LOOPBACK) == "private"
    assert refusal(ipaddress.ip_address("169.254.169.254"), LOOPBACK) == "link-local"


def test_allow_private_opens_private_networks_but_never_metadata_or_loopback() -> None:
    assert refusal(ipaddress.ip_address("10.0.0.1"), PRIVATE) is None
    assert refusal(ipaddress.ip_address("fd12::1"), PRIVATE) is None
    assert refusal(ipaddress.ip_address("169.254.169.254"), PRIVATE) == "link-local"
    assert refusal(ipaddress.ip_address("127.0.0.1"), PRIVATE) == "loopback"


def _resolving(*addresses: str) -> OutboundPolicy:
    return OutboundPolicy(resolver=lambda host, port: list(addresses))


def test_a_name_is_refused_if_any_of_its_addresses_is() -> None:
    policy = _resolving("8.8.8.8", "127.0.0.1")
    with pytest.raises(AddressNotAllowed) as caught:
        checked_addresses("mixed.example", 443, policy)
    assert caught.value.category == "loopback"


def test_a_name_with_public_addresses_only_is_kept_in_order() -> None:
    policy = _resolving("8.8.8.8", "2606:4700:4700::1111")
    assert checked_addresses("lms.example", 443, policy) == ["8.8.8.8", "2606:4700:4700::1111"]


def test_an_ip_literal_is_checked_without_a_lookup() -> None:
    def no_lookup(host: str, port: int) -> list[str]:
        raise AssertionError("looked up")

    policy = OutboundPolicy(resolver=no_lookup)
    assert checked_addresses("8.8.8.8", 443, policy) == ["8.8.8.8"]
    with pytest.raises(AddressNotAllowed):
        checked_addresses("10.0.0.1", 443, policy)


def test_localhost_resolves_to_loopback_and_is_refused() -> None:
    with pytest.raises(AddressNotAllowed) as caught:
        checked_addresses("localhost", 80, STRICT)
    assert caught.value.category == "loopback"


@pytest.mark.parametrize("changes", [{"total_deadline": 0}, {"max_bytes": 0}, {"max_in_flight": 0}])
def test_a_policy_needs_positive_bounds(changes: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="positive"):
        OutboundPolicy(**changes)  # type: ignore[arg-type]
