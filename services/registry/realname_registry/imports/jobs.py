"""Starting an import and reading its progress (R10).

The same file uploaded again (same employer, kind, target and bytes) is the same job: nobody is
registered twice. A different file naming people already registered by you counts them as
``already_registered``, not as failures.
"""

from __future__ import annotations

import hashlib
import io
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from realname_codes.roles import GENERAL_CONTRACTOR
from realname_kit.auth import Caller
from realname_kit.db import Database
from realname_kit.privacy import Keyring
from realname_kit.privacy.blobs import seal_bytes
from realname_kit.problems import Problem
from realname_registry.excel import SheetError, check_archive
from realname_registry.imports.sealed import FILE_CONTEXT
from realname_registry.models import OUTBOX, ImportJob
from realname_registry.participation import project_taken_part_in
from realname_registry.teams import visible_team
from realname_registry.workers.access import employer_of, reads_all

XLSX_MAGIC = b"PK\x03\x04"


def start_import(db: Database, keyring: Keyring, caller: Caller, *, kind: str, target: str, filename: str,
                 content: bytes) -> tuple[ImportJob, bool]:
    """The job for this file (created, and True, or the existing one, and False)."""
    employer_id = employer_of(caller)
    if not content.startswith(XLSX_MAGIC):
        raise Problem(415, "not_an_xlsx", "The file is not an Excel workbook (.xlsx)",
                      "Save it as .xlsx (Excel 2007 or later), or start from the template.", field="file",
                      message_zh="文件不是 Excel 工作簿（.xlsx）：请另存为 .xlsx（Excel 2007 及以上），或从导入模板开"
                                 "始填写。")
    _refuse_unreadable(content)
    sha = hashlib.sha256(content).hexdigest()
    try:
        with db.transaction() as session:
            _check_target(session, caller, kind, target)
            existing = _same_file(session, employer_id, kind, target, sha)
            if existing is not None:
                return existing, False
            job = ImportJob(employer_id=employer_id, kind=kind, target=target, sha256=sha, status="queued",
                            filename=(filename or "import.xlsx")[:200], created_by=caller.subject or "",
                            employer_role=GENERAL_CONTRACTOR if GENERAL_CONTRACTOR in caller.roles else "labour",
                            content_enc=seal_bytes(keyring, content, FILE_CONTEXT))
            session.add(job)
            session.flush()
            OUTBOX.record(session, "import.requested", {"job_id": job.id, "position": 0})
            return job, True
    except IntegrityError:  # the same file uploaded twice at once: the other upload made the job
        with db.transaction() as session:
            found = _same_file(session, employer_id, kind, target, sha)
        if found is None:
            raise
        return found, False


def _refuse_unreadable(content: bytes) -> None:
    """A workbook that unpacks to too much is refused before it is kept or queued: no job could read it."""
    try:
        check_archive(io.BytesIO(content))
    except SheetError as refused:
        status = 413 if refused.reason == "workbook_too_large" else 415
        raise Problem(status, refused.reason, "The workbook cannot be imported", refused.message_en, field="file",
                      message_zh=refused.message_zh) from refused


def _check_target(session: Session, caller: Caller, kind: str, target: str) -> None:
    """The project (or the team's project) must be one the employer takes part in (R16, R21)."""
    project_id = target if kind == "workers" else visible_team(session, caller, target).project_id
    project_taken_part_in(session, caller, project_id)


def _same_file(session: Session, employer_id: str, kind: str, target: str, sha: str) -> ImportJob | None:
    return session.scalars(select(ImportJob).where(ImportJob.employer_id == employer_id, ImportJob.kind == kind,
                                                   ImportJob.target == target, ImportJob.sha256 == sha)).first()


def visible_job(session: Session, caller: Caller, job_id: str) -> ImportJob:
    job = session.scalars(select(ImportJob).where(ImportJob.id == job_id)).first()
    if job is None or not (caller.acts_for(job.employer_id) or reads_all(caller)):
        raise Problem(404, "import_not_found", "No import of yours has this id", import_id=job_id,
                      message_zh="找不到贵单位的这次导入：请核对编号。")
    return job


def job_out(job: ImportJob) -> dict[str, Any]:
    done = job.status in ("done", "failed")
    return {"id": job.id, "kind": job.kind, "target": job.target, "filename": job.filename, "status": job.status,
            "total_rows": job.total_rows, "processed_rows": job.processed_rows, "registered": job.registered,
            "already_registered": job.already_registered, "failed": job.failed, "failure": job.failure,
            "progress": 1.0 if done else (job.processed_rows / job.total_rows if job.total_rows else 0.0),
            "errors_url": f"/api/v1/registry/imports/{job.id}/errors" if job.error_copy_enc else None,
            "created_at": job.created_at, "finished_at": job.finished_at}
