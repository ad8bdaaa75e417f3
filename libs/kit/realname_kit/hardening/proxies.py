"""The client's address behind trusted reverse proxies (an ingress in front of the gateway, the gateway in front
of a service), from ``X-Forwarded-For``, and never from a header a client could write itself."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

TRUSTED_PROXY_HOPS = "REALNAME_TRUSTED_PROXY_HOPS"
_ORIGINAL = "werkzeug.proxy_fix.orig"  # where ProxyFix keeps the environ values it replaced


def trust_proxies(app: Flask, hops: int, *, behind_gateway: bool = False) -> None:
    """Read the client's address (``request.remote_addr``, so rate limits and audit records), scheme and host
    from the ``X-Forwarded-*`` headers the last ``hops`` proxies added; 0 trusts none, so a forged
    ``X-Forwarded-For`` changes nothing. Each proxy appends the address it saw, so only the entries the trusted
    proxies appended are believed: the one ``hops`` from the end is the client. A service (``behind_gateway``)
    also trusts the gateway, which always sits in front of it and forwards as a proxy does; the gateway states
    the scheme and host it settled on as one value."""
    if hops < 0:
        raise ValueError(f"{TRUSTED_PROXY_HOPS} must be 0 or more, not {hops}")
    if behind_gateway:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops + 1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    elif hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]


def forwarded_for(environ: Mapping[str, Any]) -> str:
    """The ``X-Forwarded-For`` a proxy sends on: the chain as it arrived, and the peer it came from, as they were
    before ``trust_proxies`` read them (the next hop judges the chain by its own count)."""
    chain = environ.get("HTTP_X_FORWARDED_FOR")  # ProxyFix leaves the header as it came
    peer = (environ.get(_ORIGINAL) or environ).get("REMOTE_ADDR") or "unknown"
    return f"{chain}, {peer}" if chain else str(peer)
