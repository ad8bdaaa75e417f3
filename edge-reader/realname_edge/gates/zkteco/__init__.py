"""ZKTeco PUSH ("iclock", protocol v2.4.x) for the site bridge: the terminals call the bridge and poll it for
commands, so a site behind NAT works. ``ZkPushServer`` is the WSGI app the bridge mounts at ``/iclock``;
``server.driver_for(config)`` gives each configured terminal its ``ZkDriver``."""

from realname_edge.gates.zkteco.driver import ZkDriver
from realname_edge.gates.zkteco.server import ZkPushServer

__all__ = ["ZkDriver", "ZkPushServer"]
