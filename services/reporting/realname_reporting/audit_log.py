"""The platform-wide audit log: every service's ``audit.recorded`` events, append-only, read by regulators.

Fed by :func:`store_audit_entries` (one insert per delivered batch); read newest first with keyset paging
on ``(at, seq)``; exported whole as CSV or XLSX within a row limit.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import Select, and_, func, insert, or_, select
from sqlalchemy.orm import Session

from realname_kit.audit import InvalidAudit, parse_audit
from realname_kit.bus.envelope import Envelope
from realname_kit.bus.processing import PoisonMessage, handles_batch
from realname_kit.db import Database
from realname_kit.pagination import cursor_position, encode_cursor
from realname_kit.problems import Problem
from realname_reporting.models import AuditEntry

EXPORT_ROW_LIMIT = 100_000
EXPORT_CHUNK = 1_000

# --- writing --------------------------------------------------------------------------------------------------


@handles_batch
def store_audit_entries(session: Session, events: list[Envelope]) -> None:
    """Append the batch to the audit log (the inbox has already dropped redeliveries)."""
    rows = []
    for event in events:
        if event.version != 1:
            raise PoisonMessage(f"audit.recorded v{event.version} is not understood (v1 only)")
        try:
            record = parse_audit(event.data)
        except InvalidAudit as exc:
            raise PoisonMessage(f"audit.recorded {event.id} from {event.source}: {exc}") from exc
        rows.append({
            "id": event.id, "at": record.at, "action": record.action, "outcome": record.outcome,
            "actor_subject": record.actor_subject, "actor_enterprise_id": record.actor_enterprise_id,
            "actor_roles": json.dumps(list(record.actor_roles), ensure_ascii=False),
            "actor_kind": record.actor_kind, "subject": record.subject, "field": record.field,
            "reason": record.reason, "details": json.dumps(record.details, ensure_ascii=False),
            "client_address": record.client_address, "source": event.source[:40],
            "correlation_id": event.correlation_id[:64] if event.correlation_id else None,
        })
    session.execute(insert(AuditEntry), rows)


# --- reading --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What a regulator asks for. ``action`` ending in ``.`` is a prefix (``auth.``); ``until`` is exclusive."""

    action: str | None = None
    actor: str | None = None
    enterprise_id: str | None = None
    subject: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        e = AuditEntry
        if self.action:
            if self.action.endswith("."):
                escaped = self.action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                query = query.where(e.action.like(f"{escaped}%", escape="\\"))
            else:
                query = query.where(e.action == self.action)
        for column, value in ((e.actor_subject, self.actor), (e.actor_enterprise_id, self.enterprise_id),
                              (e.subject, self.subject), (e.outcome, self.outcome)):
            if value is not None:
                query = query.where(column == value)
        if self.since is not None:
            query = query.where(e.at >= self.since)
        if self.until is not None:
            query = query.where(e.at < self.until)
        return query


def _newest_first(query: Select[Any]) -> Select[Any]:
    return query.order_by(AuditEntry.at.desc(), AuditEntry.seq.desc())


def _older_than(at: datetime, seq: int) -> Any:
    """Rows after ``(at, seq)`` in newest-first order: earlier, or as early with a smaller seq."""
    return or_(AuditEntry.at < at, and_(AuditEntry.at == at, AuditEntry.seq < seq))


def _position(cursor: str | None) -> tuple[datetime, int] | None:
    position = cursor_position(cursor, {"at": datetime, "seq": int})
    return None if position is None else (position["at"], position["seq"])


def browse_audit(db: Database, filters: AuditFilter, limit: int,
                 cursor: str | None) -> tuple[list[AuditEntry], str | None]:
    """One page of the audit log, newest first."""
    query = filters.apply(select(AuditEntry))
    position = _position(cursor)
    if position is not None:
        query = query.where(_older_than(*position))
    with db.transaction() as session:
        rows = list(session.scalars(_newest_first(query).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, encode_cursor({"at": last.at.isoformat(), "seq": last.seq})


def entry_view(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id, "at": entry.at, "action": entry.action, "outcome": entry.outcome,
        "actor": {"subject": entry.actor_subject, "enterprise_id": entry.actor_enterprise_id,
                  "roles": json.loads(entry.actor_roles), "kind": entry.actor_kind},
        "subject": entry.subject, "field": entry.field, "reason": entry.reason,
        "details": json.loads(entry.details), "client_address": entry.client_address,
        "source": entry.source, "correlation_id": entry.correlation_id,
    }


# --- exporting ------------------------------------------------------------------------------------------------

COLUMNS = ("时间 (UTC)", "操作", "结果", "操作人", "操作人所属企业", "操作人角色", "操作人类型", "对象", "字段",
           "事由", "详情", "客户端地址", "来源服务", "关联ID", "记录ID")


@dataclass(frozen=True, slots=True)
class Export:
    """Everything a filter matches, up to the newest row present when the export began."""

    db: Database
    filters: AuditFilter
    up_to_seq: int

    @classmethod
    def prepare(cls, db: Database, filters: AuditFilter, row_limit: int) -> Export:
        """Fix the rows to export; 422 when more than ``row_limit`` match (a partial audit export misleads)."""
        with db.transaction() as session:
            up_to = session.scalar(select(func.max(AuditEntry.seq))) or 0
            matching = filters.apply(select(AuditEntry.seq)).where(AuditEntry.seq <= up_to).limit(row_limit + 1)
            count = session.scalar(select(func.count()).select_from(matching.subquery())) or 0
        if count > row_limit:
            raise Problem(422, "export_too_large", "Too many audit entries match to export at once",
                          f"More than {row_limit} entries match; narrow the time range (from, to) or the filters.",
                          row_limit=row_limit,
                          message_zh=f"符合条件的审计记录超过 {row_limit} 条，不能一次导出：请缩小时间范围（from、to）"
                                     "或增加筛选条件。")
        return cls(db, filters, up_to)

    def rows(self) -> Iterator[tuple[str, ...]]:
        """The matching rows newest first, read in short transactions of ``EXPORT_CHUNK`` rows."""
        base = self.filters.apply(select(AuditEntry)).where(AuditEntry.seq <= self.up_to_seq)
        position: tuple[datetime, int] | None = None
        while True:
            query = base if position is None else base.where(_older_than(*position))
            with self.db.transaction() as session:
                chunk = list(session.scalars(_newest_first(query).limit(EXPORT_CHUNK)))
            for entry in chunk:
                yield _cells(entry)
            if len(chunk) < EXPORT_CHUNK:
                return
            position = (chunk[-1].at, chunk[-1].seq)

    def csv(self) -> Iterator[bytes]:
        """UTF-8 with a byte-order mark, so that Excel shows the Chinese headers and names rightly."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")
        writer.writerow(COLUMNS)
        for n, row in enumerate(self.rows(), 1):
            writer.writerow([_csv_safe(v) for v in row])
            if n % 500 == 0:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode()

    def xlsx(self) -> IO[bytes]:
        """The workbook in an anonymous temporary file (openpyxl's write-only mode keeps memory flat)."""
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("审计日志")
        sheet.append(COLUMNS)
        for row in self.rows():
            sheet.append([_text_cell(sheet, v) for v in row])
        out = tempfile.TemporaryFile()  # noqa: SIM115 - the response streams and then closes it
        workbook.save(out)
        out.seek(0)
        return out


def _cells(e: AuditEntry) -> tuple[str, ...]:
    return (e.at.isoformat(), e.action, e.outcome, e.actor_subject or "", e.actor_enterprise_id or "",
            ",".join(json.loads(e.actor_roles)), e.actor_kind or "", e.subject or "", e.field or "",
            e.reason or "", e.details, e.client_address or "", e.source, e.correlation_id or "", e.id)


def _csv_safe(value: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection): a value a user typed must stay text."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _text_cell(sheet: Any, value: str) -> WriteOnlyCell | None:
    if not value:
        return None
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("\ufffd", value))
    cell.data_type = "s"  # never a formula, whatever the text starts with
    return cell
