"""The channels' HTTP client: one verifying TLS context per process, real posts on loopback."""

from __future__ import annotations

import ssl

import httpx

from jzplan.alert.http import http_client, tls_context
from tests.alert.receivers import http_receiver


def _context_of(client: httpx.Client) -> ssl.SSLContext:
    transport = client._transport
    assert isinstance(transport, httpx.HTTPTransport)
    context = transport._pool._ssl_context
    assert isinstance(context, ssl.SSLContext)
    return context


def test_clients_share_one_verifying_context() -> None:
    with http_client() as first, http_client() as second:
        assert _context_of(first) is _context_of(second) is tls_context()
    assert tls_context().verify_mode == ssl.CERT_REQUIRED
    assert tls_context().check_hostname
    # httpx's own default loads the same certificate authorities
    assert tls_context().cert_store_stats() == httpx.create_ssl_context().cert_store_stats()


def test_a_closed_client_leaves_the_context_to_the_next() -> None:
    with http_receiver() as receiver:
        for n in range(2):
            with http_client() as http:
                assert http.post(receiver.url, json={"n": n}).status_code == 200
    assert [r.body for r in receiver.requests] == [{"n": 0}, {"n": 1}]
