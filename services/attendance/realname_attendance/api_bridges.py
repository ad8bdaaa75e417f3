"""HTTP endpoints of site bridges (R23): the general contractor's gate managers register them; readers read."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask.views import MethodView

from realname_attendance import credentials
from realname_attendance.access import require_gate_reader
from realname_attendance.adapters.device_broker import DeviceBroker, device_broker_for
from realname_attendance.bridges import register_bridge, set_bridge_enabled
from realname_attendance.device_access import readable
from realname_attendance.device_schemas import BridgeDetailOut, BridgeIn, BridgeOut, BridgePage, NewBridgeOut
from realname_attendance.models import IDEMPOTENCY, Bridge
from realname_attendance.queries import bridge_detail, bridge_page, bridge_view
from realname_kit.auth import AUTHENTICATED, allow
from realname_kit.idempotency import run_once
from realname_kit.openapi import Blueprint
from realname_kit.pagination import PageArgs
from realname_kit.privacy import request_keyring
from realname_kit.timeutil import utcnow
from realname_kit.web import service_context

bridges = Blueprint("bridges", __name__, url_prefix="/api/v1/attendance",
                    description="Site bridges: the program on a site's LAN that drives its vendor gates (R23).")
MANAGERS = "The project's general contractor's gate managers (`manage_gates`, R32)."


def _broker() -> DeviceBroker:
    return device_broker_for(service_context().settings)


@bridges.route("/projects/<project_id>/bridges")
class ProjectBridges(MethodView):
    @allow(AUTHENTICATED)
    @bridges.arguments(BridgeIn)
    @bridges.response(201, NewBridgeOut)
    @bridges.alt_response(403, description="`not_a_participant`, `function_not_delegated`. " + MANAGERS)
    @bridges.alt_response(404, description="`project_not_found`.")
    @bridges.alt_response(409, description="`project_completed`, `no_broker` (no gate broker).")
    @bridges.alt_response(503, description="`broker_admin_unavailable`: try again later.")
    def post(self, body: dict[str, Any], project_id: str) -> Any:
        """Register a site bridge: its broker account's credentials are shown once, in this answer.

        With an `Idempotency-Key`, a retry makes no second bridge; it answers the bridge without its credentials
        (rotate them if the first answer was lost)."""
        def register(session: Any) -> tuple[int, Any]:
            bridge, issued = register_bridge(session, _broker, project_id, **body, keyring=request_keyring())
            return 201, NewBridgeOut().dump({**bridge_view(bridge, utcnow()), "credentials": asdict(issued)})
        return run_once(service_context().db, IDEMPOTENCY, register, kept=_without_credentials)

    @allow(AUTHENTICATED)
    @bridges.arguments(PageArgs, location="query")
    @bridges.response(200, BridgePage)
    @bridges.alt_response(404, description="`project_not_found`: not a project whose gates you may read.")
    def get(self, args: dict[str, Any], project_id: str) -> Any:
        """The project's site bridges."""
        with service_context().db.transaction() as session:
            require_gate_reader(session, project_id)
            return bridge_page(session, project_id, utcnow(), args)


@bridges.route("/bridges/<bridge_id>")
class OneBridge(MethodView):
    @allow(AUTHENTICATED)
    @bridges.response(200, BridgeDetailOut)
    @bridges.alt_response(404, description="`bridge_not_found`.")
    def get(self, bridge_id: str) -> Any:
        """A site bridge, with the unknown devices that contacted it."""
        with service_context().db.transaction() as session:
            return bridge_detail(session, readable(session, Bridge, bridge_id), utcnow())


@bridges.route("/bridges/<bridge_id>/credentials")
class BridgeCredentials(MethodView):
    @allow(AUTHENTICATED)
    @bridges.response(200, NewBridgeOut)
    @bridges.alt_response(403, description="`function_not_delegated`. " + MANAGERS)
    @bridges.alt_response(404, description="`bridge_not_found`.")
    @bridges.alt_response(409, description="`project_completed`, `no_broker`.")
    def post(self, bridge_id: str) -> Any:
        """New credentials, shown once: the old password stops working and its connections are closed (after a
        revocation: a new account)."""
        with service_context().db.transaction() as session:
            bridge, issued = credentials.issue(session, _broker, Bridge, bridge_id, keyring=request_keyring())
            return {**bridge_view(bridge, utcnow()), "credentials": asdict(issued)}

    @allow(AUTHENTICATED)
    @bridges.response(204)
    @bridges.alt_response(403, description="`function_not_delegated`. " + MANAGERS)
    @bridges.alt_response(404, description="`bridge_not_found`.")
    def delete(self, bridge_id: str) -> Any:
        """Revoke the credentials (a bridge PC lost or replaced): the broker account is deleted."""
        with service_context().db.transaction() as session:
            credentials.revoke(session, _broker, Bridge, bridge_id)
        return None


@bridges.route("/bridges/<bridge_id>/disable")
class DisableBridge(MethodView):
    @allow(AUTHENTICATED)
    @bridges.response(200, BridgeOut)
    @bridges.alt_response(403, description="`function_not_delegated`. " + MANAGERS)
    @bridges.alt_response(404, description="`bridge_not_found`.")
    def post(self, bridge_id: str) -> Any:
        """Disable the bridge: the gates behind it get no more commands. Disabling twice changes nothing."""
        with service_context().db.transaction() as session:
            return bridge_view(set_bridge_enabled(session, bridge_id, False), utcnow())


@bridges.route("/bridges/<bridge_id>/enable")
class EnableBridge(MethodView):
    @allow(AUTHENTICATED)
    @bridges.response(200, BridgeOut)
    @bridges.alt_response(403, description="`function_not_delegated`. " + MANAGERS)
    @bridges.alt_response(404, description="`bridge_not_found`.")
    def post(self, bridge_id: str) -> Any:
        """Enable the bridge again: its gates are sent what they should hold."""
        with service_context().db.transaction() as session:
            return bridge_view(set_bridge_enabled(session, bridge_id, True), utcnow())


def _without_credentials(body: Any) -> Any:
    """What a retry of a registration answers: never a password stored in clear."""
    return {**body, "credentials": None} if isinstance(body, dict) else body
