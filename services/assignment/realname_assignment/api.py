"""HTTP endpoints of the assignment service."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from realname_assignment.models import IDEMPOTENCY
from realname_assignment.parties import get_party, list_parties
from realname_assignment.projects import get_project, list_projects, participation_in, register_project
from realname_assignment.schemas import ProjectArgs, ProjectIn, ProjectPage, ProjectSchema
from realname_codes.participation import PARTICIPATION
from realname_codes.roles import ADMIN, GENERAL_CONTRACTOR, REGULATOR, SERVICE
from realname_kit.auth import AUTHENTICATED, allow, current_caller
from realname_kit.formats import Instant
from realname_kit.idempotency import run_once
from realname_kit.openapi import Blueprint
from realname_kit.pagination import PageArgs, page_schema
from realname_kit.web import service_context

parties = Blueprint("parties", __name__, url_prefix="/api/v1/assignment/parties",
                    description="Enterprises as parties of contract chains (learned from the registry).")

projects = Blueprint("projects", __name__, url_prefix="/api/v1/assignment/projects",
                     description="Projects, registered by their general contractor: the root of contract chains (R21).")


class PartySchema(Schema):
    enterprise_id = fields.String()
    name = fields.String()
    uscc = fields.String()
    kind = fields.String()
    unit_type = fields.String(metadata={"description": "001 specialty, 006 labour, 009 general contractor."})
    registered_at = Instant()
    learned_at = Instant()


@parties.route("")
class Parties(MethodView):
    @allow(REGULATOR, ADMIN, SERVICE)
    @parties.arguments(PageArgs, location="query")
    @parties.response(200, page_schema(PartySchema, "PartyPage"))
    def get(self, args: dict[str, Any]) -> Any:
        """List the parties this service knows."""
        items, next_cursor = list_parties(service_context().db, args["limit"], args["cursor"])
        return {"items": items, "next_cursor": next_cursor}


@parties.route("/<enterprise_id>")
class OneParty(MethodView):
    @allow(AUTHENTICATED)  # contract partners look each other up by id (R21 narrows the workforce, not names)
    @parties.response(200, PartySchema)
    @parties.alt_response(404, description="Not known (yet).")
    def get(self, enterprise_id: str) -> Any:
        """One party, by the registry's enterprise id."""
        return get_party(service_context().db, enterprise_id)


@projects.route("")
class Projects(MethodView):
    @allow(GENERAL_CONTRACTOR, ADMIN, SERVICE)
    @projects.arguments(ProjectIn)
    @projects.response(201, ProjectSchema)
    @projects.alt_response(403, description="`not_your_enterprise`: a general contractor names another enterprise.")
    @projects.alt_response(409, description="`project_exists`: the registration number is taken; `existing` is the "
                                            "project when you may read it.")
    @projects.alt_response(422, description="`registration_number_invalid`, `planned_dates_reversed`, "
                                            "`general_contractor_required`, `general_contractor_unknown`, "
                                            "`not_a_general_contractor`, or invalid fields.")
    def post(self, body: dict[str, Any]) -> Any:
        """Register a project (a general contractor its own; an operator or a service names the contractor).

        With an `Idempotency-Key`, a retry gets the first answer; without, it gets 409 `project_exists`.
        """
        caller = current_caller()
        return run_once(service_context().db, IDEMPOTENCY,
                        lambda session: (201, ProjectSchema().dump(register_project(session, caller, **body))))

    @allow(AUTHENTICATED)  # the list narrows to what the caller may read: empty for most callers
    @projects.arguments(ProjectArgs, location="query")
    @projects.response(200, ProjectPage)
    def get(self, args: dict[str, Any]) -> Any:
        """List projects, oldest first: a general contractor (and its accounts) its own; regulators all."""
        items, next_cursor = list_projects(service_context().db, current_caller(), args["limit"], args["cursor"],
                                           args["registration_number"])
        return {"items": items, "next_cursor": next_cursor}


@projects.route("/<project_id>")
class OneProject(MethodView):
    @allow(AUTHENTICATED)
    @projects.response(200, ProjectSchema)
    @projects.alt_response(404, description="`project_not_found`: no such project, or not yours.")
    def get(self, project_id: str) -> Any:
        """One project: its general contractor's (and its accounts'), or any for regulators."""
        return get_project(service_context().db, current_caller(), project_id)


class ParticipationSchema(Schema):
    project_id = fields.String()
    enterprise_id = fields.String()
    participation = fields.String(validate=validate.OneOf(PARTICIPATION), metadata={
        "description": "`active`: its general contractor, or holding an active contract in its chain; `completed`: "
                       "the project, or every contract it held there, is completed (R24); `none`: no part in it."})


@projects.route("/<project_id>/participants/<enterprise_id>")
class Participant(MethodView):
    @allow(REGULATOR, ADMIN, SERVICE)
    @projects.response(200, ParticipationSchema)
    @projects.alt_response(404, description="`project_not_found`.")
    def get(self, project_id: str, enterprise_id: str) -> Any:
        """Whether an enterprise takes part in the project (R21): what the gateway asks before appointing managers."""
        return participation_in(service_context().db, project_id, enterprise_id)
