"""Where a terminal posts its events: its listening host (``httpHosts/1``), kept pointing at the bridge."""

from __future__ import annotations

from urllib.parse import urlsplit

from realname_edge.gates.isapi import bodies
from realname_edge.gates.isapi.client import IsapiClient, xml_text

HOST_ID = "1"  # one listening host per access device
PATH = f"/ISAPI/Event/notification/httpHosts/{HOST_ID}"


def events_url(listen_url: str, serial: str) -> str:
    """The bridge's ``…/isapi/events`` with the serial appended (unless the configured URL already ends in it)."""
    if not listen_url or listen_url.rstrip("/").endswith("/" + serial):
        return listen_url
    return f"{listen_url.rstrip('/')}/{serial}"


def keep_host(client: IsapiClient, url: str) -> bool:
    """Point the device's listening host at ``url`` when it points elsewhere (a new bridge address, a reset).
    True when it had to be changed."""
    target = urlsplit(url)
    ip, port, path = target.hostname or "", target.port or 80, target.path or "/"
    now = client.call("GET", PATH, as_json=False)
    if now.status == 200:
        root = now.xml()
        if (xml_text(root, "ipAddress"), xml_text(root, "portNo"), xml_text(root, "url")) == (ip, str(port), path):
            return False
    client.call("PUT", PATH, data=bodies.http_host_xml(HOST_ID, ip, port, path), as_json=False)
    return True
