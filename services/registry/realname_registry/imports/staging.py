"""Reading an uploaded workbook once into rows of its job: chunks then resume from the rows, not the file."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from realname_kit.privacy import Keyring
from realname_kit.privacy.blobs import open_bytes
from realname_kit.timeutil import utcnow
from realname_registry.excel import SheetError, SheetKind, read_rows
from realname_registry.imports.sealed import FILE_CONTEXT, seal_json
from realname_registry.models import ImportJob, ImportRow

BATCH = 1000


def stage(session: Session, keyring: Keyring, job: ImportJob) -> None:
    """Every data row into ``import_rows`` (encrypted), or the job failed with why the file was refused."""
    assert job.content_enc is not None
    kind: SheetKind = "team" if job.kind == "team" else "workers"
    try:
        rows = read_rows(open_bytes(keyring, job.content_enc, FILE_CONTEXT), kind)
        with rows:
            job.headers = [str(h) if h is not None else "" for h in rows.headers]
            total, batch = 0, []
            for row in rows:
                payload = {"values": [_cell(v) for v in row.values], "body": row.body,
                           "errors": [[e.column_header, e.message_zh] for e in row.errors]}
                batch.append({"job_id": job.id, "row_number": row.number, "position": total,
                              "payload_enc": seal_json(keyring, payload)})
                total += 1
                if len(batch) >= BATCH:
                    session.execute(insert(ImportRow), batch)
                    batch = []
            if batch:
                session.execute(insert(ImportRow), batch)
    except SheetError as refused:
        session.execute(delete(ImportRow).where(ImportRow.job_id == job.id))
        job.status, job.finished_at, job.content_enc = "failed", utcnow(), None
        job.failure = {"reason": refused.reason, "message": refused.message_en, "message_zh": refused.message_zh,
                       "missing_columns": list(refused.missing)}
        return
    job.total_rows, job.status = total, "running"


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
