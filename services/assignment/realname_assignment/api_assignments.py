"""HTTP endpoints of assignments (R18) and entry confirmation (R19, R20). Every write honours ``Idempotency-Key``."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask.views import MethodView
from marshmallow import Schema

from realname_assignment.assignment_queries import (
    AssignmentFilter,
    assignment_out,
    get_assignment,
    list_assignments,
    view_of,
)
from realname_assignment.assignment_schemas import (
    AssignIn,
    AssignmentArgs,
    AssignmentPage,
    AssignmentPatch,
    AssignmentSchema,
    AssignOut,
    DecisionsIn,
    DecisionsOut,
)
from realname_assignment.assignments import (
    KEEP,
    AssignRequest,
    assign_workers,
    change_assignment,
    etag,
    etag_for,
    withdraw_assignment,
)
from realname_assignment.decisions import decide_assignments
from realname_assignment.models import IDEMPOTENCY, Assignment
from realname_codes.roles import ADMIN, EMPLOYERS, ENTERPRISE_ROLES, PROJECT_MANAGER, REGULATOR, SERVICE, STAFF
from realname_kit.auth import allow, current_caller
from realname_kit.idempotency import run_once
from realname_kit.openapi import Blueprint
from realname_kit.web import service_context

assignments = Blueprint("assignments", __name__, url_prefix="/api/v1/assignment",
                        description="Workers assigned to projects, and entry confirmation (R18-R20).")
IDEMPOTENT = ("Send an `Idempotency-Key` header (a UUID per intended change): a retry with it gets the first "
              "answer (`Idempotent-Replayed: true`) and changes nothing again (R33).")
DELEGATES = (STAFF, PROJECT_MANAGER)  # staff act on a project only as delegated there (R32)
USING = ("specialty", "general_contractor")


def _once(operation: Any, schema: Schema, status: int) -> Response:
    """Run a write once per Idempotency-Key; an answer that is an assignment carries its ETag."""
    def run(session: Any) -> tuple[int, Any]:
        return status, schema.dump(operation(session))
    response = run_once(service_context().db, IDEMPOTENCY, run)
    body = response.get_json(silent=True)
    if isinstance(schema, AssignmentSchema) and isinstance(body, dict) and "version" in body:
        response.headers["ETag"] = etag_for(body["id"], body["version"])
    return response


@assignments.route("/assignments")
class Assignments(MethodView):
    @allow(*EMPLOYERS, *DELEGATES)
    @assignments.arguments(AssignIn)
    @assignments.response(200, AssignOut, description=IDEMPOTENT)
    @assignments.alt_response(403, description="`not_your_contract`, `function_not_delegated`.")
    @assignments.alt_response(409, description="`contract_completed`, `project_completed`.")
    @assignments.alt_response(422, description="`contract_not_found`, `team_unknown`, `team_not_on_project`, "
                                               "`team_too_large`, `idempotency_key_reused`, or invalid fields.")
    def post(self, body: dict[str, Any]) -> Any:
        """Assign one worker, a list of up to 1,000, or a whole team to a project through your contract (R18).

        Each worker is answered on its own: `assigned`, `already_assigned`, or `refused` with the reason.
        """
        caller = current_caller()
        wanted = AssignRequest(body["contract_id"], body["worker_ids"], body["team_id"])
        return _once(lambda session: assign_workers(session, caller, wanted), AssignOut(), 200)

    @allow(*ENTERPRISE_ROLES, *DELEGATES, REGULATOR, ADMIN, SERVICE)
    @assignments.arguments(AssignmentArgs, location="query")
    @assignments.response(200, AssignmentPage)
    def get(self, args: dict[str, Any]) -> Any:
        """Assignments you made (employer) or that await your decision (using enterprise), oldest first."""
        limit, cursor = args.pop("limit"), args.pop("cursor")
        with service_context().db.transaction() as session:
            rows, next_cursor = list_assignments(session, current_caller(), AssignmentFilter(**args), limit, cursor)
            return {"items": [assignment_out(view) for view in rows], "next_cursor": next_cursor}


@assignments.route("/assignments/<assignment_id>")
class OneAssignment(MethodView):
    @allow(*ENTERPRISE_ROLES, *DELEGATES, REGULATOR, ADMIN, SERVICE)
    @assignments.response(200, AssignmentSchema, headers={"ETag": {"schema": {"type": "string"}}})
    @assignments.alt_response(404, description="`assignment_not_found`.")
    def get(self, assignment_id: str) -> Any:
        """One assignment, with its ETag (send it as If-Match to change it)."""
        with service_context().db.transaction() as session:
            view = get_assignment(session, current_caller(), assignment_id)
            return assignment_out(view), 200, {"ETag": etag(view.assignment)}

    @allow(*EMPLOYERS, *DELEGATES)
    @assignments.arguments(AssignmentPatch)
    @assignments.response(200, AssignmentSchema, description=IDEMPOTENT)
    @assignments.alt_response(409, description="`already_decided`, `already_withdrawn`, `already_on_project`.")
    @assignments.alt_response(412, description="`edited_meanwhile`: read it again.")
    @assignments.alt_response(428, description="`if_match_required`: send the ETag you read.")
    def patch(self, body: dict[str, Any], assignment_id: str) -> Any:
        """Change the contract (so the project) or the team of an assignment not yet decided (R18)."""
        caller, if_match = current_caller(), request.headers.get("If-Match")

        def change(session: Any) -> Any:
            a = change_assignment(session, caller, assignment_id, if_match, contract_id=body.get("contract_id"),
                                  team_id=body.get("team_id", KEEP))
            return _named(session, a)
        return _once(change, AssignmentSchema(), 200)


@assignments.route("/assignments/<assignment_id>/withdrawal")
class Withdrawal(MethodView):
    @allow(*EMPLOYERS, *DELEGATES)
    @assignments.response(200, AssignmentSchema, description="Withdrawing again answers as it stands.")
    @assignments.alt_response(409, description="`already_decided`: the using enterprise has decided.")
    def post(self, assignment_id: str) -> Any:
        """Withdraw an assignment the using enterprise has not decided yet (R18)."""
        caller = current_caller()
        return _once(lambda session: _named(session, withdraw_assignment(session, caller, assignment_id)),
                     AssignmentSchema(), 200)


@assignments.route("/decisions")
class Decisions(MethodView):
    @allow(*USING, *DELEGATES)
    @assignments.arguments(DecisionsIn)
    @assignments.response(200, DecisionsOut, description=IDEMPOTENT)
    @assignments.alt_response(422, description="`rejection_reason_required`, `assignment_repeated` (the batch "
                                               "changes nothing), or invalid fields.")
    def post(self, body: dict[str, Any]) -> Any:
        """Accept or reject assignments on contracts you awarded, one or up to 1,000 (R19).

        The entry time is the moment of acceptance, set by the server. Accepting again is answered
        `already_accepted` with the same entry time: a worker is on a project once (R20).
        """
        caller = current_caller()
        return _once(lambda session: decide_assignments(session, caller, body["items"]), DecisionsOut(), 200)


def _named(session: Any, a: Assignment) -> dict[str, Any]:
    return assignment_out(view_of(session, a))
