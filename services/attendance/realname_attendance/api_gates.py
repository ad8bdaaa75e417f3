"""HTTP endpoints of gates (R23): registered by the general contractor's gate managers; read with their health."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask.views import MethodView

from realname_attendance import credentials
from realname_attendance.access import require_gate_reader
from realname_attendance.adapters.device_broker import DeviceBroker, device_broker_for
from realname_attendance.device_access import readable
from realname_attendance.device_schemas import GateArgs, GateIn, GateOut, GatePage, NewGateOut
from realname_attendance.gates import register_gate, set_gate_enabled
from realname_attendance.models import IDEMPOTENCY, Gate
from realname_attendance.queries import gate_page, gate_view
from realname_kit.auth import AUTHENTICATED, allow
from realname_kit.idempotency import run_once
from realname_kit.openapi import Blueprint
from realname_kit.privacy import request_keyring
from realname_kit.timeutil import utcnow
from realname_kit.web import service_context

gates = Blueprint("gates", __name__, url_prefix="/api/v1/attendance",
                  description="Face-recognition gates of a project, with their health (R23).")
MANAGERS = "The project's general contractor's gate managers (`manage_gates`, R32)."


def _broker() -> DeviceBroker:
    return device_broker_for(service_context().settings)


@gates.route("/projects/<project_id>/gates")
class ProjectGates(MethodView):
    @allow(AUTHENTICATED)
    @gates.arguments(GateIn)
    @gates.response(201, NewGateOut)
    @gates.alt_response(403, description="`not_a_participant`, `function_not_delegated`. " + MANAGERS)
    @gates.alt_response(404, description="`project_not_found`.")
    @gates.alt_response(409, description="`serial_taken`, `project_completed`, `no_broker` (a native gate, "
                                         "no gate broker).")
    @gates.alt_response(422, description="`bridge_required`, `bridge_unknown`, `bridge_not_for_native`.")
    @gates.alt_response(503, description="`broker_admin_unavailable`: try again later.")
    def post(self, body: dict[str, Any], project_id: str) -> Any:
        """Register a gate. A native gate gets a broker account: its credentials are shown once, in this answer.

        With an `Idempotency-Key`, a retry makes no second gate and answers it without credentials (rotate them if
        the first answer was lost); without one, a retry answers 409 `serial_taken`."""
        def register(session: Any) -> tuple[int, Any]:
            gate, issued = register_gate(session, _broker, project_id, **body, keyring=request_keyring())
            return 201, NewGateOut().dump({**gate_view(gate, utcnow()),
                                           "credentials": asdict(issued) if issued else None})
        return run_once(service_context().db, IDEMPOTENCY, register, kept=_without_credentials)

    @allow(AUTHENTICATED)
    @gates.arguments(GateArgs, location="query")
    @gates.response(200, GatePage)
    @gates.alt_response(404, description="`project_not_found`: not a project whose gates you may read.")
    def get(self, args: dict[str, Any], project_id: str) -> Any:
        """The project's gates with their health; filters: kind, enabled, online, clock_off."""
        with service_context().db.transaction() as session:
            require_gate_reader(session, project_id)
            return gate_page(session, project_id, utcnow(), args)


@gates.route("/gates/<gate_id>")
class OneGate(MethodView):
    @allow(AUTHENTICATED)
    @gates.response(200, GateOut)
    @gates.alt_response(404, description="`gate_not_found`.")
    def get(self, gate_id: str) -> Any:
        """A gate with its health: last contact, online, people and faces against capacity, firmware, clock."""
        with service_context().db.transaction() as session:
            return gate_view(readable(session, Gate, gate_id), utcnow())


@gates.route("/gates/<gate_id>/disable")
class DisableGate(MethodView):
    @allow(AUTHENTICATED)
    @gates.response(200, GateOut)
    @gates.alt_response(403, description="`function_not_delegated`. " + MANAGERS)
    @gates.alt_response(404, description="`gate_not_found`.")
    def post(self, gate_id: str) -> Any:
        """Disable the gate: it gets no more commands. Disabling twice changes nothing."""
        with service_context().db.transaction() as session:
            return gate_view(set_gate_enabled(session, gate_id, False), utcnow())


@gates.route("/gates/<gate_id>/enable")
class EnableGate(MethodView):
    @allow(AUTHENTICATED)
    @gates.response(200, GateOut)
    @gates.alt_response(403, description="`function_not_delegated`. " + MANAGERS)
    @gates.alt_response(404, description="`gate_not_found`.")
    def post(self, gate_id: str) -> Any:
        """Enable the gate again: it is sent what it should hold."""
        with service_context().db.transaction() as session:
            return gate_view(set_gate_enabled(session, gate_id, True), utcnow())


@gates.route("/gates/<gate_id>/credentials")
class GateCredentials(MethodView):
    @allow(AUTHENTICATED)
    @gates.response(200, NewGateOut)
    @gates.alt_response(403, description="`function_not_delegated`. " + MANAGERS)
    @gates.alt_response(404, description="`gate_not_found`.")
    @gates.alt_response(409, description="`credentials_of_the_bridge` (a vendor gate), `project_completed`, "
                                         "`no_broker`.")
    def post(self, gate_id: str) -> Any:
        """A native gate's new credentials, shown once: the old password stops working and its connections are
        closed (after a revocation: a new account)."""
        with service_context().db.transaction() as session:
            gate, issued = credentials.issue(session, _broker, Gate, gate_id, keyring=request_keyring())
            return {**gate_view(gate, utcnow()), "credentials": asdict(issued)}

    @allow(AUTHENTICATED)
    @gates.response(204)
    @gates.alt_response(403, description="`function_not_delegated`. " + MANAGERS)
    @gates.alt_response(404, description="`gate_not_found`.")
    @gates.alt_response(409, description="`credentials_of_the_bridge` (a vendor gate).")
    def delete(self, gate_id: str) -> Any:
        """Revoke a native gate's credentials (a gate stolen or replaced): its broker account is deleted."""
        with service_context().db.transaction() as session:
            credentials.revoke(session, _broker, Gate, gate_id)
        return None


def _without_credentials(body: Any) -> Any:
    """What a retry of a registration answers: never a password stored in clear."""
    return {**body, "credentials": None} if isinstance(body, dict) else body
