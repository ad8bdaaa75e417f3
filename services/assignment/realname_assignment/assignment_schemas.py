"""Marshmallow schemas of the assignment and decision endpoints (they generate this part of the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from realname_assignment.assignment_rules import ACCEPT, MAX_BATCH, REJECT, STATUSES
from realname_kit.formats import Instant
from realname_kit.pagination import PageArgs, page_schema
from realname_kit.schema_errors import FieldRefusal

ID = validate.Length(min=1, max=36)


class AssignIn(Schema):
    contract_id = fields.String(required=True, validate=ID, metadata={
        "description": "One of your contracts (`GET /contracts?mine=held`): it names the project (R18)."})
    worker_ids = fields.List(fields.String(validate=ID), validate=validate.Length(min=1, max=MAX_BATCH),
                             load_default=None, metadata={"description": f"One to {MAX_BATCH} workers."})
    team_id = fields.String(validate=ID, load_default=None, metadata={
        "description": "Without worker_ids: the whole team is assigned. With them: the team they join on the "
                       "project. Left out: each worker's own team when it is on this project."})

    @validates_schema
    def _workers_or_team(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("worker_ids") is None and data.get("team_id") is None:
            raise ValidationError(FieldRefusal(
                "Name the workers (worker_ids), or a team to assign whole (team_id).",
                reason="workers_or_team_required",
                message_zh="请选择要派遣的工人（worker_ids），或选择整班派遣（team_id）。"), "worker_ids")


class AssignItem(Schema):
    worker_id = fields.String()
    outcome = fields.String(metadata={"description": "`assigned`, `already_assigned` (the same request again, "
                                                     "answered as it stands) or `refused`."})
    assignment_id = fields.String()
    status = fields.String()
    team_id = fields.String(allow_none=True)
    reason = fields.String(metadata={"description": "Why refused: `not_employed_by_you`, `resigned`, `deceased`, "
                                                    "`identity_rejected`, `already_on_project`, `worker_unknown`."})
    message = fields.String()


class AssignOut(Schema):
    project_id = fields.String()
    contract_id = fields.String()
    items = fields.List(fields.Nested(AssignItem))
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())


class AssignmentSchema(Schema):
    id = fields.String()
    project_id = fields.String()
    contract_id = fields.String()
    worker_id = fields.String()
    worker_name = fields.String()
    id_number = fields.String(allow_none=True, metadata={
        "description": "The worker's ID number masked as the registry shows it (R4): region and last four."})
    phone = fields.String(allow_none=True, metadata={"description": "The worker's phone, masked (R4)."})
    identity_status = fields.String(allow_none=True, metadata={
        "description": "verified, unverified (typed in, not yet checked by the authority) or rejected (R1-R3)."})
    trade_code = fields.String(allow_none=True)
    employer_id = fields.String()
    employer_name = fields.String(allow_none=True)
    employer_uscc = fields.String(allow_none=True, metadata={"description": "The employer's credit code."})
    team_id = fields.String(allow_none=True)
    team_name = fields.String(allow_none=True)
    status = fields.String(metadata={"description": ", ".join(STATUSES)})
    requested_at = Instant()
    requested_by = fields.String()
    decided_at = Instant(allow_none=True)
    decided_by = fields.String(allow_none=True)
    entry_at = Instant(allow_none=True, metadata={"description": "The moment of acceptance (R19)."})
    rejection_reason = fields.String(allow_none=True)
    exited_at = Instant(allow_none=True)
    exit_cause = fields.String(allow_none=True, metadata={
        "description": "`employment_ended`, `deceased`, `contract_completed`, `project_completed` (R24)."})
    version = fields.Integer()


AssignmentPage = page_schema(AssignmentSchema, "AssignmentPage")


class AssignmentArgs(PageArgs):
    project_id = fields.String(load_default=None, validate=ID)
    contract_id = fields.String(load_default=None, validate=ID)
    worker_id = fields.String(load_default=None, validate=ID)
    employer_id = fields.String(load_default=None, validate=ID)
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    side = fields.String(load_default=None, validate=validate.OneOf(["employer", "using"]), metadata={
        "description": "`employer`: those your enterprise made; `using`: those awaiting (or given) your decision."})


class AssignmentPatch(Schema):
    contract_id = fields.String(validate=ID, metadata={"description": "Another of your contracts (another project)."})
    team_id = fields.String(validate=ID, allow_none=True, metadata={"description": "Another team; null: none."})


class DecisionItem(Schema):
    assignment_id = fields.String(required=True, validate=ID)
    decision = fields.String(required=True, validate=validate.OneOf([ACCEPT, REJECT]))
    reason = fields.String(load_default=None, validate=validate.Length(max=500),
                           metadata={"description": "Required for a rejection: the employer acts on it."})


class DecisionsIn(Schema):
    items = fields.List(fields.Nested(DecisionItem), required=True,
                        validate=validate.Length(min=1, max=MAX_BATCH))


class DecisionOut(Schema):
    assignment_id = fields.String()
    outcome = fields.String(metadata={"description": "`accepted`, `rejected`, `already_accepted`, "
                                                     "`already_rejected` (answered as it stands), or `refused`."})
    status = fields.String(allow_none=True)
    worker_id = fields.String()
    entry_at = Instant(allow_none=True)
    reason = fields.String(metadata={"description": "Why refused: `assignment_not_found`, `already_decided`, "
                                                    "`withdrawn`, `exited`, `contract_completed`, `resigned`, …"})
    message = fields.String()


class DecisionsOut(Schema):
    items = fields.List(fields.Nested(DecisionOut))
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
