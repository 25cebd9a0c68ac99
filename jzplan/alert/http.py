"""The HTTP client the channels send through: one TLS context per process.

``httpx.Client()`` builds a new TLS context on every call, loading certifi's CA bundle
(~25 ms). A monthly run opens a client for the alert digests and one for the offices'
messages, most of the time to send nothing; a process that runs several months opened two
per month. The context is built the first time a client is wanted and shared by every
client after it, with httpx's own defaults (certifi's bundle, or ``SSL_CERT_FILE`` /
``SSL_CERT_DIR`` when set)."""

from __future__ import annotations

import ssl
from functools import cache

import httpx


@cache
def tls_context() -> ssl.SSLContext:
    """httpx's default verifying context, built once per process."""
    return httpx.create_ssl_context()


def http_client() -> httpx.Client:
    """A new client (close it) on the process's shared TLS context."""
    return httpx.Client(verify=tls_context())
