"""Which headers cross the gateway: hop-by-hop ones belong to one connection (RFC 9110 §7.6.1)."""

from __future__ import annotations

from collections.abc import Iterable

HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "host",
    "proxy-authenticate", "proxy-authorization", "proxy-connection",
})


def end_to_end(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers without hop-by-hop ones, nor those the Connection header names."""
    pairs = list(headers)
    named = {token.strip().lower() for name, value in pairs if name.lower() == "connection"
             for token in value.split(",")}
    return [(name, value) for name, value in pairs
            if name.lower() not in HOP_BY_HOP and name.lower() not in named
            and not name.lower().startswith("proxy-")]
