"""The client's address behind a trusted proxy: believed from it, ignored from anyone else."""

from __future__ import annotations

import pytest

from manyi.proxy import client_address, parse_trusted

LOOPBACK = parse_trusted(["127.0.0.1"])


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    headers = {"x-real-ip": "203.0.113.9", "x-forwarded-for": "203.0.113.9"}
    assert client_address("127.0.0.1", headers, ()) == "127.0.0.1"


def test_from_the_trusted_proxy_its_x_real_ip_is_the_client() -> None:
    headers = {"x-real-ip": "223.104.3.17", "x-forwarded-for": "10.9.9.9"}
    assert client_address("127.0.0.1", headers, LOOPBACK) == "223.104.3.17"


def test_from_anyone_else_the_headers_are_ignored() -> None:
    headers = {"x-real-ip": "223.104.3.17", "x-forwarded-for": "223.104.3.17"}
    assert client_address("198.51.100.7", headers, LOOPBACK) == "198.51.100.7"


def test_x_forwarded_for_is_read_from_the_right_skipping_trusted_hops() -> None:
    trusted = parse_trusted(["127.0.0.1", "10.0.0.0/8"])
    # A client's own (forged) entry on the left, then the citizen, then an inner proxy.
    headers = {"x-forwarded-for": "1.2.3.4, 223.104.3.17, 10.1.2.3"}
    assert client_address("127.0.0.1", headers, trusted) == "223.104.3.17"
    # An entry that is not an address stops the walk: nothing left of it is believed.
    headers = {"x-forwarded-for": "223.104.3.17, unknown, 10.1.2.3"}
    assert client_address("127.0.0.1", headers, trusted) == "127.0.0.1"
    assert client_address("127.0.0.1", {"x-forwarded-for": "10.1.2.3"}, trusted) == "127.0.0.1"


def test_a_garbled_x_real_ip_falls_back_to_x_forwarded_for_then_the_peer() -> None:
    headers = {"x-real-ip": "not-an-address", "x-forwarded-for": "2001:db8::5"}
    assert client_address("127.0.0.1", headers, LOOPBACK) == "2001:db8::5"
    assert client_address("127.0.0.1", {"x-real-ip": "<script>"}, LOOPBACK) == "127.0.0.1"


def test_an_ipv4_peer_on_a_dual_stack_socket_is_recognised() -> None:
    headers = {"x-real-ip": "::ffff:223.104.3.17"}
    assert client_address("::ffff:127.0.0.1", headers, LOOPBACK) == "223.104.3.17"


def test_trusted_proxies_are_addresses_or_networks_and_bad_ones_are_named() -> None:
    assert [str(n) for n in parse_trusted(["127.0.0.1,::1", " 10.0.0.0/8 "])] == [
        "127.0.0.1/32",
        "::1/128",
        "10.0.0.0/8",
    ]
    with pytest.raises(ValueError, match="'localhost'"):
        parse_trusted(["localhost"])
