"""HTTP endpoints of the Excel import (R10): the template, the upload, its progress and its error copy."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from realname_codes.roles import EMPLOYERS, REGULATOR
from realname_kit.auth import allow, current_caller
from realname_kit.formats import Instant
from realname_kit.openapi import Blueprint
from realname_kit.pagination import PageArgs, keyset_page, page_schema
from realname_kit.privacy.blobs import open_bytes
from realname_kit.problems import Problem
from realname_kit.web import service_context
from realname_registry.context import request_keyring, today
from realname_registry.excel import template_workbook
from realname_registry.imports.jobs import job_out, start_import, visible_job
from realname_registry.imports.runner import run_inline
from realname_registry.imports.sealed import COPY_CONTEXT
from realname_registry.models import ImportJob, ImportRow

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
INLINE_BYTES = 64 * 1024  # a file this small (a few hundred rows) is imported before the answer
imports = Blueprint("imports", __name__, url_prefix="/api/v1/registry/imports",
                    description="Excel import of workers, or of a whole team (R10).")


class TemplateArgs(Schema):
    kind = fields.String(load_default="workers", validate=validate.OneOf(["workers", "team"]))


class UploadFile(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class UploadForm(Schema):
    kind = fields.String(load_default="workers", validate=validate.OneOf(["workers", "team"]),
                         metadata={"description": "workers: teams named in the 班组 column; team: one team."})
    project_id = fields.String(load_default=None, validate=validate.Length(min=1, max=36),
                               metadata={"description": "workers: the project whose teams the sheet names."})
    team_id = fields.String(load_default=None, validate=validate.Length(min=1, max=36),
                            metadata={"description": "team: the team every row joins."})


class ImportOut(Schema):
    id = fields.String()
    kind = fields.String()
    target = fields.String(metadata={"description": "The project (workers) or the team (team)."})
    filename = fields.String()
    status = fields.String(metadata={"description": "queued, running, done or failed (the file as a whole)."})
    total_rows = fields.Integer(allow_none=True)
    processed_rows = fields.Integer()
    registered = fields.Integer()
    already_registered = fields.Integer(metadata={"description": "Rows of people you had registered already."})
    failed = fields.Integer()
    failure = fields.Dict(allow_none=True, metadata={
        "description": "Why the whole file was refused, or why the job stopped (`import_interrupted`)."})
    progress = fields.Float()
    errors_url = fields.String(allow_none=True, metadata={"description": "The failed rows with 错误原因."})
    created_at = Instant()
    finished_at = Instant(allow_none=True)


class ReasonOut(Schema):
    field = fields.String()
    reason = fields.String()
    message = fields.String()
    message_zh = fields.String()


class FailedRowOut(Schema):
    row_number = fields.Integer(metadata={"description": "The row's number in the uploaded sheet (原行号)."})
    reasons = fields.List(fields.Nested(ReasonOut), metadata={"description": "Every reason the row failed."})


@imports.route("/template")
class Template(MethodView):
    @allow(*EMPLOYERS)
    @imports.arguments(TemplateArgs, location="query")
    @imports.response(200, description="The .xlsx template, Chinese headers.", content_type=XLSX)
    def get(self, args: dict[str, Any]) -> Any:
        """The import template: workers with their employment terms, or a whole team."""
        name = "workers-template.xlsx" if args["kind"] == "workers" else "team-template.xlsx"
        return Response(template_workbook(args["kind"]), mimetype=XLSX,
                        headers={"Content-Disposition": f"attachment; filename={name}"})


@imports.route("")
class Imports(MethodView):
    @allow(*EMPLOYERS)
    @imports.arguments(UploadFile, location="files")
    @imports.arguments(UploadForm, location="form")
    @imports.response(201, ImportOut)
    @imports.alt_response(200, schema=ImportOut, description="This file was uploaded before: its job.")
    @imports.alt_response(202, schema=ImportOut, description="A large file: follow its progress.")
    @imports.alt_response(415, description="`not_an_xlsx`.")
    def post(self, files: dict[str, Any], form: dict[str, Any]) -> Any:
        """Upload a filled-in template: valid rows are registered, invalid ones come back with reasons."""
        target = form["project_id"] if form["kind"] == "workers" else form["team_id"]
        if not target:
            field = "project_id" if form["kind"] == "workers" else "team_id"
            raise Problem(422, f"{field}_missing", f"Give the {field.replace('_', ' ')} of the import", field=field,
                          message_zh=f"请填写导入所需的 {field}。")
        upload, keyring, db = files["file"], request_keyring(), service_context().db
        content = upload.read()
        job, created = start_import(db, keyring, current_caller(), kind=form["kind"], target=target,
                                    filename=upload.filename or "", content=content)
        if not created:
            return job_out(job), 200
        if len(content) > INLINE_BYTES:
            return job_out(job), 202, {"Location": f"/api/v1/registry/imports/{job.id}"}
        run_inline(db, keyring, job.id, today())
        with db.transaction() as session:
            return job_out(visible_job(session, current_caller(), job.id)), 201

    @allow(*EMPLOYERS, REGULATOR)
    @imports.arguments(PageArgs, location="query")
    @imports.response(200, page_schema(ImportOut, "ImportPage"))
    def get(self, args: dict[str, Any]) -> Any:
        """Your imports, oldest first."""
        caller = current_caller()
        with service_context().db.transaction() as session:
            query = select(ImportJob)
            if REGULATOR not in caller.roles:
                query = query.where(ImportJob.employer_id == (caller.enterprise_id or ""))
            rows, next_cursor = keyset_page(session, query, ImportJob.seq, args["limit"], args["cursor"])
            return {"items": [job_out(j) for j in rows], "next_cursor": next_cursor}


@imports.route("/<import_id>")
class OneImport(MethodView):
    @allow(*EMPLOYERS, REGULATOR)
    @imports.response(200, ImportOut)
    @imports.alt_response(404, description="No import of yours has this id.")
    def get(self, import_id: str) -> Any:
        """An import's progress and outcome."""
        with service_context().db.transaction() as session:
            return job_out(visible_job(session, current_caller(), import_id))


@imports.route("/<import_id>/errors")
class ImportErrors(MethodView):
    @allow(*EMPLOYERS, REGULATOR)
    @imports.response(200, description="The failed rows with their Excel row and 错误原因.", content_type=XLSX)
    @imports.alt_response(404, description="No import of yours has this id, or no row failed.")
    def get(self, import_id: str) -> Any:
        """The copy of the sheet's failed rows, each with its reasons in Chinese: fix and upload it again."""
        with service_context().db.transaction() as session:
            job = visible_job(session, current_caller(), import_id)
        if job.error_copy_enc is None:
            raise Problem(404, "no_failed_rows", "No row of this import failed (or it is still running)",
                          message_zh="该导入没有失败的行（或仍在处理中）：无需下载错误表。")
        return Response(open_bytes(request_keyring(), job.error_copy_enc, COPY_CONTEXT), mimetype=XLSX,
                        headers={"Content-Disposition": f"attachment; filename=errors-{job.id}.xlsx"})


@imports.route("/<import_id>/failed-rows")
class FailedRows(MethodView):
    @allow(*EMPLOYERS, REGULATOR)
    @imports.arguments(PageArgs, location="query")
    @imports.response(200, page_schema(FailedRowOut, "FailedRowPage"))
    @imports.alt_response(404, description="No import of yours has this id.")
    def get(self, args: dict[str, Any], import_id: str) -> Any:
        """The failed rows, each with every reason it failed (the error copy's 错误原因, for a program)."""
        with service_context().db.transaction() as session:
            job = visible_job(session, current_caller(), import_id)
            query = select(ImportRow).where(ImportRow.job_id == job.id, ImportRow.outcome == "failed")
            rows, next_cursor = keyset_page(session, query, ImportRow.position, args["limit"], args["cursor"])
            return {"items": [{"row_number": r.row_number, "reasons": r.reasons or []} for r in rows],
                    "next_cursor": next_cursor}
