"""HTTP endpoints of the registry."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from realname_codes.roles import ADMIN, REGULATOR, SERVICE
from realname_kit.auth import AUTHENTICATED, allow, current_caller
from realname_kit.openapi import Blueprint
from realname_kit.web import service_context
from realname_registry.enterprises import get_enterprise, list_enterprises, register_enterprise
from realname_registry.schemas import EnterpriseArgs, EnterpriseIn, EnterprisePage, EnterpriseSchema

enterprises = Blueprint("enterprises", __name__, url_prefix="/api/v1/registry/enterprises",
                        description="Enterprises: labour companies, specialty subcontractors, general contractors.")


@enterprises.route("")
class Enterprises(MethodView):
    @allow(ADMIN, SERVICE)  # an enterprise registers itself by its first certificate login (R31)
    @enterprises.arguments(EnterpriseIn)
    @enterprises.response(201, EnterpriseSchema)
    @enterprises.alt_response(409, description="Already registered: the body names the existing enterprise.")
    @enterprises.alt_response(422, description="Invalid input; reason `uscc_invalid` for a wrong credit code.")
    def post(self, body: dict[str, Any]) -> Any:
        """Register an enterprise."""
        return register_enterprise(service_context().db, body["name"], body["uscc"], body["kind"])

    @allow(REGULATOR, ADMIN, SERVICE)
    @enterprises.arguments(EnterpriseArgs, location="query")
    @enterprises.response(200, EnterprisePage)
    def get(self, args: dict[str, Any]) -> Any:
        """List enterprises, oldest first, a page at a time (``uscc`` finds one by its credit code)."""
        items, next_cursor = list_enterprises(service_context().db, args["limit"], args["cursor"], args["uscc"])
        return {"items": items, "next_cursor": next_cursor}


@enterprises.route("/<enterprise_id>")
class OneEnterprise(MethodView):
    @allow(AUTHENTICATED)
    @enterprises.response(200, EnterpriseSchema)
    @enterprises.alt_response(404, description="No such enterprise, or not yours.")
    def get(self, enterprise_id: str) -> Any:
        """One enterprise: your own (or any, for regulators)."""
        return get_enterprise(service_context().db, enterprise_id, current_caller())
