"""HTTP endpoints of the contract chain (R21, R22) and of completion (R24). Every write honours ``Idempotency-Key``."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from realname_assignment.contract_rules import CONTRACT_KINDS
from realname_assignment.contracts import (
    AWARDED,
    HELD,
    award_contract,
    complete_contract,
    complete_project,
    get_contract,
    list_my_contracts,
    list_project_contracts,
)
from realname_assignment.models import IDEMPOTENCY
from realname_assignment.schemas import ContractSchema, ProjectSchema
from realname_codes.roles import ENTERPRISE_ROLES, GENERAL_CONTRACTOR, PROJECT_MANAGER, SPECIALTY, STAFF
from realname_kit.auth import AUTHENTICATED, allow, current_caller
from realname_kit.idempotency import run_once
from realname_kit.openapi import Blueprint
from realname_kit.pagination import PageArgs, page_schema
from realname_kit.web import service_context

contracts = Blueprint("contracts", __name__, url_prefix="/api/v1/assignment",
                      description="The contract chain of a project: who awarded which subcontract to whom (R21, R22).")
_ID = validate.Length(min=1, max=36)


class ContractIn(Schema):
    contractor_uscc = fields.String(required=True, validate=validate.Length(min=18, max=40), metadata={
        "description": "The subcontractor's unified social credit code; it must be registered on the platform."})
    kind = fields.String(required=True, validate=validate.OneOf(CONTRACT_KINDS))
    name = fields.String(load_default=None, validate=validate.Length(max=200), metadata={
        "description": "The contract's name; left out, lists show the project's name with a marker (R22)."})
    parent_id = fields.String(load_default=None, validate=_ID, metadata={
        "description": "A specialty subcontractor: its own first-tier contract, to award a labour one beneath."})


ContractPage = page_schema(ContractSchema, "ContractPage")


class MyContractArgs(PageArgs):
    mine = fields.String(load_default=HELD, validate=validate.OneOf([HELD, AWARDED]), metadata={
        "description": "`held`: the contracts naming your enterprise (what you assign workers through); "
                       "`awarded`: those you awarded."})
    project_id = fields.String(load_default=None, validate=_ID)
    status = fields.String(load_default=None, validate=validate.OneOf(["active", "completed"]))


def _once(operation: Any, schema: Schema) -> Response:
    return run_once(service_context().db, IDEMPOTENCY, lambda session: operation(session, schema))


@contracts.route("/projects/<project_id>/contracts")
class ProjectContracts(MethodView):
    @allow(GENERAL_CONTRACTOR, SPECIALTY)
    @contracts.arguments(ContractIn)
    @contracts.response(201, ContractSchema)
    @contracts.alt_response(200, description="The same award again (a retry): the contract as it stands.")
    @contracts.alt_response(403, description="`first_tier_by_general_contractor_only`, `not_your_contract`.")
    @contracts.alt_response(404, description="`project_not_found`.")
    @contracts.alt_response(409, description="`contract_exists` (other terms; `existing` is it), "
                                             "`project_completed`, `contract_completed`.")
    @contracts.alt_response(422, description="`credit_code_invalid`, `contractor_unknown`, "
                                             "`contractor_kind_mismatch`, `parent_contract_not_found`, "
                                             "`parent_is_the_project`, `no_third_tier`, "
                                             "`labour_awards_nothing_beneath`, `second_tier_is_labour_only`.")
    def post(self, body: dict[str, Any], project_id: str) -> Any:
        """Award a subcontract: the general contractor at tier 1, a specialty subcontractor beneath its own."""
        caller = current_caller()

        def award(session: Any, schema: Schema) -> tuple[int, Any]:
            contract, made = award_contract(session, caller, project_id, **body)
            return (201 if made else 200), schema.dump(contract)
        return _once(award, ContractSchema())

    @allow(AUTHENTICATED)  # narrowed to the part of the chain the caller takes part in (R21)
    @contracts.arguments(PageArgs, location="query")
    @contracts.response(200, ContractPage)
    @contracts.alt_response(404, description="`project_not_found`: not a project whose chain you take part in.")
    def get(self, args: dict[str, Any], project_id: str) -> Any:
        """The project's chain as you may see it: all of it for its general contractor and regulators."""
        items, next_cursor = list_project_contracts(service_context().db, current_caller(), project_id,
                                                    args["limit"], args["cursor"])
        return {"items": items, "next_cursor": next_cursor}


@contracts.route("/contracts")
class MyContracts(MethodView):
    @allow(*ENTERPRISE_ROLES, STAFF, PROJECT_MANAGER)
    @contracts.arguments(MyContractArgs, location="query")
    @contracts.response(200, ContractPage)
    def get(self, args: dict[str, Any]) -> Any:
        """The contracts your enterprise holds (to assign workers through) or has awarded."""
        items, next_cursor = list_my_contracts(service_context().db, current_caller(), args["mine"], args["limit"],
                                               args["cursor"], project_id=args["project_id"], status=args["status"])
        return {"items": items, "next_cursor": next_cursor}


@contracts.route("/contracts/<contract_id>")
class OneContract(MethodView):
    @allow(AUTHENTICATED)
    @contracts.response(200, ContractSchema)
    @contracts.alt_response(404, description="`contract_not_found`.")
    def get(self, contract_id: str) -> Any:
        """One contract, for its parties, the project's general contractor and regulators."""
        return get_contract(service_context().db, current_caller(), contract_id)


@contracts.route("/contracts/<contract_id>/completion")
class ContractCompletion(MethodView):
    @allow(GENERAL_CONTRACTOR, SPECIALTY)
    @contracts.response(200, ContractSchema, description="Completing again answers as it stands.")
    @contracts.alt_response(403, description="`not_the_awarding_party`.")
    @contracts.alt_response(404, description="`contract_not_found`.")
    @contracts.alt_response(422, description="`complete_the_project`: the project's own contract ends with it.")
    def post(self, contract_id: str) -> Any:
        """Complete a subcontract: it and those beneath it close, and everyone under them exits (R24)."""
        caller = current_caller()
        return _once(lambda session, schema: (200, schema.dump(complete_contract(session, caller, contract_id))),
                     ContractSchema())


@contracts.route("/projects/<project_id>/completion")
class ProjectCompletion(MethodView):
    @allow(GENERAL_CONTRACTOR)
    @contracts.response(200, ProjectSchema, description="Completing again answers as it stands.")
    @contracts.alt_response(403, description="`not_the_general_contractor`.")
    @contracts.alt_response(404, description="`project_not_found`.")
    def post(self, project_id: str) -> Any:
        """Complete the project: every contract closes and everyone on it exits (R24)."""
        caller = current_caller()
        return _once(lambda session, schema: (200, schema.dump(complete_project(session, caller, project_id))),
                     ProjectSchema())
