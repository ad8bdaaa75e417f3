"""HTTP endpoints of the registry."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from realname_kit.auth import ANYONE, allow
from realname_kit.pagination import PageArgs
from realname_kit.web import service_context
from realname_registry.enterprises import get_enterprise, list_enterprises, register_enterprise
from realname_registry.schemas import EnterpriseIn, EnterprisePage, EnterpriseSchema

enterprises = Blueprint("enterprises", __name__, url_prefix="/api/v1/registry/enterprises",
                        description="Enterprises: labour companies, specialty subcontractors, general contractors.")


@enterprises.route("")
class Enterprises(MethodView):
    @allow(ANYONE)  # open until certificate login arrives with the security issue
    @enterprises.arguments(EnterpriseIn)
    @enterprises.response(201, EnterpriseSchema)
    @enterprises.alt_response(409, description="Already registered: the body names the existing enterprise.")
    @enterprises.alt_response(422, description="Invalid input; reason `uscc_invalid` for a wrong credit code.")
    def post(self, body: dict[str, Any]) -> Any:
        """Register an enterprise."""
        return register_enterprise(service_context().db, body["name"], body["uscc"], body["kind"])

    @allow(ANYONE)
    @enterprises.arguments(PageArgs, location="query")
    @enterprises.response(200, EnterprisePage)
    def get(self, args: dict[str, Any]) -> Any:
        """List enterprises, oldest first, a page at a time."""
        items, next_cursor = list_enterprises(service_context().db, args["limit"], args["cursor"])
        return {"items": items, "next_cursor": next_cursor}


@enterprises.route("/<enterprise_id>")
class OneEnterprise(MethodView):
    @allow(ANYONE)
    @enterprises.response(200, EnterpriseSchema)
    @enterprises.alt_response(404, description="No such enterprise.")
    def get(self, enterprise_id: str) -> Any:
        """One enterprise."""
        return get_enterprise(service_context().db, enterprise_id)
