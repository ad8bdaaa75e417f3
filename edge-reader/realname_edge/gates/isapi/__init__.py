"""The site bridge's Hikvision ISAPI driver: ``IsapiDriver`` per terminal, ``IsapiListener`` for their events."""

from realname_edge.gates.isapi.driver import IsapiDriver
from realname_edge.gates.isapi.events import IsapiListener

__all__ = ["IsapiDriver", "IsapiListener"]
