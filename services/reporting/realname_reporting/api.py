"""HTTP endpoints of the reporting service."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import IO, Any

from flask import Response, current_app
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from realname_codes.roles import ADMIN, REGULATOR
from realname_kit.audit import OUTCOMES
from realname_kit.auth import allow
from realname_kit.formats import Instant
from realname_kit.openapi import Blueprint
from realname_kit.pagination import PageArgs, page_schema
from realname_kit.schema_errors import FieldRefusal
from realname_kit.timeutil import utcnow
from realname_kit.web import service_context
from realname_reporting.audit_log import EXPORT_ROW_LIMIT, AuditFilter, Export, browse_audit, entry_view
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
    registered_at = Instant()


@directory.route("")
class Directory(MethodView):
    @allow(REGULATOR, ADMIN)
    @directory.arguments(DirectoryArgs, location="query")
    @directory.response(200, page_schema(DirectoryEntrySchema, "DirectoryPage"))
    def get(self, args: dict[str, Any]) -> Any:
        """Registered enterprises, newest first, optionally of one kind."""
        items, next_cursor = browse_directory(service_context().db, args["kind"], args["limit"],
                                              args["cursor"])
        return {"items": items, "next_cursor": next_cursor}


# --- the audit log ------------------------------------------------------------------------------------------

audit = Blueprint("audit", __name__, url_prefix="/api/v1/reporting/audit",
                  description="The platform-wide audit log (append-only), for regulators.")

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NO_STORE = {"Cache-Control": "no-store"}


class AuditFilterArgs(Schema):
    action = fields.String(load_default=None, validate=[validate.Length(max=100),
                                                        validate.Regexp(r"^[a-z][a-z0-9_.]*$")],
                           metadata={"description": "An action (`privacy.reveal`), or a prefix ending in a dot "
                                                    "(`auth.` for every login)."})
    actor = fields.String(load_default=None, validate=validate.Length(max=200),
                          metadata={"description": "Who acted (the token subject)."})
    enterprise_id = fields.String(load_default=None, validate=validate.Length(max=64),
                                  metadata={"description": "The enterprise the actor belongs to."})
    subject = fields.String(load_default=None, validate=validate.Length(max=200),
                            metadata={"description": "Whom or what the act concerned (a worker id, an account)."})
    outcome = fields.String(load_default=None, validate=validate.OneOf(OUTCOMES))
    since = Instant(data_key="from", load_default=None, metadata={"description": "From this time (inclusive)."})
    until = Instant(data_key="to", load_default=None, metadata={"description": "Up to this time (exclusive)."})

    @validates_schema
    def _range(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("since") and data.get("until") and data["since"] >= data["until"]:
            raise ValidationError(FieldRefusal("from must be before to", reason="range_reversed",
                                               message_zh="开始时间（from）须早于结束时间（to）：请核对。"), "to")


class AuditPageArgs(AuditFilterArgs, PageArgs):
    pass


class AuditExportArgs(AuditFilterArgs):
    format = fields.String(load_default="csv", validate=validate.OneOf(["csv", "xlsx"]))


class AuditActorSchema(Schema):
    subject = fields.String(allow_none=True)
    enterprise_id = fields.String(allow_none=True)
    roles = fields.List(fields.String())
    kind = fields.String(allow_none=True)


class AuditEntrySchema(Schema):
    id = fields.String(metadata={"description": "The id of the audit event."})
    at = Instant(metadata={"description": "When the act happened."})
    action = fields.String()
    outcome = fields.String()
    actor = fields.Nested(AuditActorSchema)
    subject = fields.String(allow_none=True)
    field = fields.String(allow_none=True, metadata={"description": "The personal field revealed, if any."})
    reason = fields.String(allow_none=True)
    details = fields.Dict()
    client_address = fields.String(allow_none=True)
    source = fields.String(metadata={"description": "The service that recorded it."})
    correlation_id = fields.String(allow_none=True)


def _filters(args: dict[str, Any]) -> AuditFilter:
    return AuditFilter(action=args["action"], actor=args["actor"], enterprise_id=args["enterprise_id"],
                       subject=args["subject"], outcome=args["outcome"], since=args["since"], until=args["until"])


@audit.route("")
class AuditLog(MethodView):
    @allow(REGULATOR)
    @audit.arguments(AuditPageArgs, location="query")
    @audit.response(200, page_schema(AuditEntrySchema, "AuditPage"))
    def get(self, args: dict[str, Any]) -> Any:
        """Audit entries newest first: logins, reveals, entry decisions, resignations, account changes."""
        items, next_cursor = browse_audit(service_context().db, _filters(args), args["limit"], args["cursor"])
        return {"items": [entry_view(e) for e in items], "next_cursor": next_cursor}, 200, NO_STORE


@audit.route("/export")
class AuditExport(MethodView):
    @allow(REGULATOR)
    @audit.arguments(AuditExportArgs, location="query")
    @audit.doc(responses={"200": {"description": "Every matching entry, newest first (at most the row limit).",
                                  "content": {"text/csv": {"schema": {"type": "string"}},
                                              XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}}}},
                          "422": {"description": "More entries match than one export may hold (export_too_large)."}})
    def get(self, args: dict[str, Any]) -> Response:
        """Export the matching audit entries as CSV (UTF-8 with BOM) or XLSX, with Chinese headers."""
        row_limit = int(current_app.config.get("AUDIT_EXPORT_ROW_LIMIT", EXPORT_ROW_LIMIT))
        export = Export.prepare(service_context().db, _filters(args), row_limit)
        stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
        headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="audit-log-{stamp}.{args["format"]}"'}
        if args["format"] == "csv":
            return Response(export.csv(), mimetype="text/csv", headers=headers,
                            content_type="text/csv; charset=utf-8")
        workbook = export.xlsx()
        size = workbook.seek(0, io.SEEK_END)
        workbook.seek(0)
        response = Response(_chunks(workbook), content_type=XLSX_TYPE,
                            headers={**headers, "Content-Length": str(size)})
        response.call_on_close(workbook.close)
        return response


def _chunks(stream: IO[bytes], size: int = 64 * 1024) -> Iterator[bytes]:
    while chunk := stream.read(size):
        yield chunk
