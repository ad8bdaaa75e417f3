"""HTTP endpoints of the gates' whitelist: where every worker stands on every gate of a project, and resync."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from realname_attendance.access import require_gate_manager, require_gate_reader
from realname_attendance.resync import resync
from realname_attendance.rules.whitelist import STATES
from realname_attendance.sync_queries import SyncFilter, gates_of, workers_page
from realname_codes.roles import ADMIN, ENTERPRISE_ROLES, PROJECT_MANAGER, REGULATOR, STAFF
from realname_kit.auth import allow
from realname_kit.formats import Instant
from realname_kit.openapi import Blueprint
from realname_kit.pagination import PageArgs
from realname_kit.timeutil import utcnow
from realname_kit.web import service_context

gate_sync = Blueprint("gate_sync", __name__, url_prefix="/api/v1/attendance",
                      description="What each gate of a project holds, against what it should (R23, R26).")
_ID = validate.Length(min=1, max=36)
# Who may try; access.require_gate_reader / require_gate_manager decide per project (R21, R32).
allow_readers = allow(*ENTERPRISE_ROLES, STAFF, PROJECT_MANAGER, REGULATOR, ADMIN)
allow_managers = allow(*ENTERPRISE_ROLES, STAFF, PROJECT_MANAGER)


class SyncArgs(PageArgs):
    gate_id = fields.String(load_default=None, validate=_ID)
    worker_id = fields.String(load_default=None, validate=_ID)
    state = fields.String(load_default=None, validate=validate.OneOf(STATES))
    reason = fields.String(load_default=None, validate=validate.Length(min=1, max=40))


class GateSummary(Schema):
    gate_id = fields.String()
    name = fields.String()
    kind = fields.String()
    enabled = fields.Boolean()
    online = fields.Boolean()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(),
                         metadata={"description": "Pairs by state: pending, sent, synced, failed."})
    wanted = fields.Dict(keys=fields.String(), values=fields.Integer(),
                         metadata={"description": "Pairs wanted on (admitted, R23) and off (exited, R26)."})


class PairOnGate(Schema):
    gate_id = fields.String()
    wanted = fields.String()
    state = fields.String()
    reason = fields.String(allow_none=True)
    photo_problem = fields.String(allow_none=True)
    detail = fields.String(allow_none=True, metadata={"description": "The gate's own words or code."})
    what_to_do_zh = fields.String()
    what_to_do_en = fields.String()
    attempts = fields.Integer()
    sent_at = Instant(allow_none=True)
    synced_at = Instant(allow_none=True)
    updated_at = Instant()


class WorkerOnGates(Schema):
    worker_id = fields.String()
    name = fields.String(allow_none=True)
    key = fields.String(allow_none=True, metadata={"description": "The worker's number on every gate."})
    gates = fields.List(fields.Nested(PairOnGate))


class GateSyncPage(Schema):
    gates = fields.List(fields.Nested(GateSummary))
    items = fields.List(fields.Nested(WorkerOnGates))
    next_cursor = fields.String(allow_none=True)


class ResyncIn(Schema):
    gate_id = fields.String(load_default=None, validate=_ID)
    worker_id = fields.String(load_default=None, validate=_ID)


class ResyncOut(Schema):
    pairs = fields.Integer(metadata={"description": "Pairs sent again."})


@gate_sync.route("/projects/<project_id>/gate-sync")
class GateSync(MethodView):
    @allow_readers
    @gate_sync.arguments(SyncArgs, location="query")
    @gate_sync.response(200, GateSyncPage)
    @gate_sync.alt_response(404, description="`project_not_found`: not a project whose gates you manage or read.")
    def get(self, args: dict[str, Any], project_id: str) -> Any:
        """Each gate's counts, and each worker's state on each gate, with the reason and what to do."""
        with service_context().db.transaction() as session:
            require_gate_reader(session, project_id)
            where = SyncFilter(args["gate_id"], args["worker_id"], args["state"], args["reason"])
            items, cursor = workers_page(session, project_id, where, args["limit"], args["cursor"])
            return {"gates": gates_of(session, project_id, utcnow()), "items": items, "next_cursor": cursor}


@gate_sync.route("/projects/<project_id>/gate-sync/resync")
class GateResync(MethodView):
    @allow_managers
    @gate_sync.arguments(ResyncIn)
    @gate_sync.response(202, ResyncOut)
    @gate_sync.alt_response(404, description="`project_not_found` or `gate_not_found`.")
    def post(self, body: dict[str, Any], project_id: str) -> Any:
        """Send a gate's pairs, or a worker's, again (failed ones included); audited."""
        with service_context().db.transaction() as session:
            caller, _ = require_gate_manager(session, project_id)
            return {"pairs": resync(session, caller, project_id, gate_id=body["gate_id"],
                                    worker_id=body["worker_id"])}
