"""Design invariant 6: tests never touch the internet.  The adapter tests run inside
``fixture_servers.no_network()``; these tests prove that guard refuses anything but
loopback, before a packet leaves (192.0.2.0/24 is the RFC 5737 documentation range)."""

from __future__ import annotations

import socket

import pytest
import requests

from fixture_servers import FixtureServer, NetworkBlocked, Reply, no_network


@pytest.mark.parametrize("family, address", [
    (socket.AF_INET, ("192.0.2.1", 443)),
    (socket.AF_INET6, ("2001:db8::1", 443)),
])
def test_guard_refuses_a_socket_to_a_non_loopback_address(family, address):
    with no_network(), socket.socket(family, socket.SOCK_STREAM) as sock:
        with pytest.raises(NetworkBlocked, match="tests stay on loopback"):
            sock.connect(address)
        with pytest.raises(NetworkBlocked):
            sock.connect_ex(address)


def test_guard_refuses_name_lookups_of_other_hosts():
    with no_network(), pytest.raises(NetworkBlocked):
        socket.getaddrinfo("registry.invalid", 443)


def test_guard_lets_loopback_through_and_is_undone_afterwards():
    real = socket.socket.connect
    with no_network(), FixtureServer({("GET", "/ok"): lambda s, seen: Reply(200, {"ok": 1})}) as srv:
        assert requests.get(srv.url + "/ok", timeout=2).json() == {"ok": 1}
        assert socket.getaddrinfo("localhost", 80)
    assert socket.socket.connect is real

