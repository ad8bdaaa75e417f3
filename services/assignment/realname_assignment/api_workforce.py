"""HTTP endpoint of the workforce query (用工查询, R21)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from realname_assignment.schemas import PartyRef
from realname_assignment.workforce import WorkforceQuery, workforce
from realname_codes.roles import ADMIN, ENTERPRISE_ROLES, PROJECT_MANAGER, REGULATOR, SERVICE, STAFF
from realname_kit.auth import allow, current_caller
from realname_kit.formats import Instant
from realname_kit.openapi import Blueprint
from realname_kit.pagination import PageArgs
from realname_kit.web import service_context

workforce_blp = Blueprint("workforce", __name__, url_prefix="/api/v1/assignment",
                          description="Who works on a project, as the contract chain lets the caller see (R21).")
_ID = validate.Length(min=1, max=36)


class WorkforceArgs(PageArgs):
    name = fields.String(load_default=None, validate=validate.Length(min=1, max=30),
                         metadata={"description": "Part of the worker's name."})
    trade_code = fields.String(load_default=None, validate=validate.Length(equal=3))
    team_id = fields.String(load_default=None, validate=_ID)
    employer_id = fields.String(load_default=None, validate=_ID)
    contract_id = fields.String(load_default=None, validate=_ID)
    status = fields.String(load_default=None, validate=validate.OneOf(
        ["requested", "accepted", "rejected", "withdrawn", "exited"]),
        metadata={"description": "Default: those on the project now (requested or accepted)."})


class ContractRef(Schema):
    id = fields.String()
    tier = fields.Integer()
    kind = fields.String()
    display_name = fields.String(metadata={"description": "Its name, or the project's name marked (R22)."})
    name_missing = fields.Boolean()


class WorkforceRow(Schema):
    assignment_id = fields.String()
    worker_id = fields.String()
    name = fields.String()
    trade_code = fields.String(allow_none=True)
    identity_status = fields.String()
    team_id = fields.String(allow_none=True)
    employer = fields.Nested(PartyRef)
    contract = fields.Nested(ContractRef)
    status = fields.String()
    requested_at = Instant()
    entry_at = Instant(allow_none=True, metadata={"description": "The moment of acceptance (R19)."})
    exited_at = Instant(allow_none=True)
    exit_cause = fields.String(allow_none=True)


class WorkforcePage(Schema):
    items = fields.List(fields.Nested(WorkforceRow))
    next_cursor = fields.String(allow_none=True)


@workforce_blp.route("/projects/<project_id>/workforce")
class Workforce(MethodView):
    @allow(*ENTERPRISE_ROLES, STAFF, PROJECT_MANAGER, REGULATOR, ADMIN, SERVICE)
    @workforce_blp.arguments(WorkforceArgs, location="query")
    @workforce_blp.response(200, WorkforcePage)
    @workforce_blp.alt_response(404, description="`project_not_found`: not a project whose chain you take part in.")
    def get(self, args: dict[str, Any], project_id: str) -> Any:
        """Every worker on the project you may see, with employer, contract, team, trade, entry time, status."""
        with service_context().db.transaction() as session:
            return workforce(session, current_caller(), project_id, WorkforceQuery(**args))
