"""HTTP endpoints of the reporting service."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from realname_kit.auth import ANYONE, allow
from realname_kit.pagination import PageArgs, page_schema
from realname_kit.web import service_context
from realname_reporting.directory import browse_directory

directory = Blueprint("directory", __name__, url_prefix="/api/v1/reporting/enterprises",
                      description="The enterprise directory, built from registry events.")


class DirectoryArgs(PageArgs):
    kind = fields.String(load_default=None,
                         validate=validate.OneOf(["labour", "specialty", "general_contractor"]))


class DirectoryEntrySchema(Schema):
    enterprise_id = fields.String()
    name = fields.String()
    uscc = fields.String()
    kind = fields.String()
    registered_at = fields.DateTime()


@directory.route("")
class Directory(MethodView):
    @allow(ANYONE)  # regulators only, once accounts arrive with the security issue
    @directory.arguments(DirectoryArgs, location="query")
    @directory.response(200, page_schema(DirectoryEntrySchema, "DirectoryPage"))
    def get(self, args: dict[str, Any]) -> Any:
        """Registered enterprises, newest first, optionally of one kind."""
        items, next_cursor = browse_directory(service_context().db, args["kind"], args["limit"],
                                              args["cursor"])
        return {"items": items, "next_cursor": next_cursor}
