"""HTTP endpoints of the assignment service."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields

from realname_assignment.parties import get_party, list_parties
from realname_kit.auth import AUTHENTICATED, allow
from realname_kit.openapi import Blueprint
from realname_kit.pagination import PageArgs, page_schema
from realname_kit.roles import ADMIN, REGULATOR, SERVICE
from realname_kit.web import service_context

parties = Blueprint("parties", __name__, url_prefix="/api/v1/assignment/parties",
                    description="Enterprises as parties of contract chains (learned from the registry).")


class PartySchema(Schema):
    enterprise_id = fields.String()
    name = fields.String()
    uscc = fields.String()
    kind = fields.String()
    unit_type = fields.String(metadata={"description": "001 specialty, 006 labour, 009 general contractor."})
    registered_at = fields.DateTime()
    learned_at = fields.DateTime()


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
