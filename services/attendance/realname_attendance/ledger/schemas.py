"""What the ledger endpoints take and answer (R28)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from realname_attendance.rules.corrections import KINDS
from realname_attendance.rules.ledger_day import ANOMALIES
from realname_kit.formats import Instant
from realname_kit.pagination import PageArgs, page_schema

_ID = validate.Length(min=1, max=36)
_KINDS = "; ".join(f"`{code}` {zh} ({en})" for code, (zh, en) in KINDS.items())
_ANOMALIES = ", ".join(f"`{a}`" for a in ANOMALIES)
MAX_RANGE_DAYS = 366


class RangeArgs(Schema):
    from_ = fields.Date(data_key="from", load_default=None, metadata={"description": "First day (included)."})
    to = fields.Date(load_default=None, metadata={"description": "Last day (included)."})
    employer_id = fields.String(load_default=None, validate=_ID)
    team_id = fields.String(load_default=None, validate=_ID)

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        first, last = data.get("from_"), data.get("to")
        if first is not None and last is not None and (last < first or (last - first).days >= MAX_RANGE_DAYS):
            raise ValidationError(f"`to` must be on or after `from`, at most {MAX_RANGE_DAYS} days on.", "to")


class DayArgs(RangeArgs, PageArgs):
    worker_id = fields.String(load_default=None, validate=_ID)
    anomaly = fields.Boolean(load_default=None, metadata={
        "description": f"true: only days flagged ({_ANOMALIES}); false: only days without."})


class MonthArgs(Schema):
    employer_id = fields.String(load_default=None, validate=_ID)
    team_id = fields.String(load_default=None, validate=_ID)
    limit = fields.Integer(load_default=5000, validate=validate.Range(min=1, max=5000),
                           metadata={"description": "Workers per page (1–5000)."})
    cursor = fields.String(load_default=None, metadata={"description": "`next_cursor` of the previous page."})


class LedgerDayOut(Schema):
    worker_id = fields.String()
    name = fields.String(allow_none=True)
    project_id = fields.String()
    day = fields.Date()
    employer_id = fields.String(allow_none=True)
    team_id = fields.String(allow_none=True)
    first_in = Instant(allow_none=True)
    last_out = Instant(allow_none=True)
    minutes = fields.Integer(metadata={"description": "Minutes on site: paired in/out only."})
    hours = fields.Float()
    punches = fields.Integer(metadata={"description": "The gates' valid punches (corrections not counted)."})
    anomaly = fields.String(allow_none=True, metadata={"description": f"{_ANOMALIES}; null: none."})
    corrected = fields.Boolean()
    corrected_late = fields.Boolean(metadata={"description": "Changed after it was closed, and told again."})
    closed_at = Instant(allow_none=True)
    version = fields.Integer()


LedgerDayPage = page_schema(LedgerDayOut, "LedgerDayPage")


class MonthWorkerOut(Schema):
    worker_id = fields.String()
    name = fields.String(allow_none=True)
    employer_id = fields.String(allow_none=True)
    team_id = fields.String(allow_none=True)
    days = fields.Integer(metadata={"description": "Days on the ledger (a valid punch or a correction)."})
    minutes = fields.Integer()
    hours = fields.Float()
    anomalies = fields.Integer(metadata={"description": "Days flagged."})
    corrected_days = fields.Integer()


class MonthOut(Schema):
    month = fields.String()
    items = fields.List(fields.Nested(MonthWorkerOut))
    next_cursor = fields.String(allow_none=True)


class DailyOut(Schema):
    day = fields.Date()
    headcount = fields.Integer(metadata={"description": "Workers on the ledger that day."})
    minutes = fields.Integer()
    anomalies = fields.Integer()


class DailyList(Schema):
    items = fields.List(fields.Nested(DailyOut))


class SummaryOut(Schema):
    team_id = fields.String(allow_none=True)
    employer_id = fields.String(allow_none=True)
    workers = fields.Integer()
    days = fields.Integer(metadata={"description": "Worker-days."})
    minutes = fields.Integer()
    hours = fields.Float()
    anomalies = fields.Integer()


class SummaryList(Schema):
    items = fields.List(fields.Nested(SummaryOut))


class OnSiteWorker(Schema):
    worker_id = fields.String()
    name = fields.String(allow_none=True)


class OnSiteOut(Schema):
    day = fields.Date()
    at = Instant()
    count = fields.Integer(metadata={"description": "Workers on site now: their last passage today is an in."})
    punched_today = fields.Integer()
    workers = fields.List(fields.Nested(OnSiteWorker))


class PunchOut(Schema):
    at = Instant()
    direction = fields.String(allow_none=True)
    device = fields.String()
    gate_id = fields.String(allow_none=True)
    verified_by = fields.String()
    valid = fields.Boolean()
    reason = fields.String(allow_none=True, metadata={"description": "Why it was rejected (R27)."})
    late = fields.Boolean()


class CorrectionOut(Schema):
    id = fields.String()
    project_id = fields.String()
    worker_id = fields.String()
    day = fields.Date()
    kind = fields.String()
    at = Instant()
    direction = fields.String()
    reason = fields.String()
    evidence_reference = fields.String(allow_none=True)
    evidence_name = fields.String(allow_none=True)
    evidence_type = fields.String(allow_none=True)
    evidence_sha256 = fields.String(allow_none=True)
    evidence_bytes = fields.Integer(allow_none=True)
    recorded_at = Instant()
    recorded_by = fields.String()
    recorded_for = fields.String()


class WorkerDayOut(Schema):
    worker_id = fields.String()
    project_id = fields.String()
    day = fields.Date()
    ledger = fields.Nested(LedgerDayOut, allow_none=True, metadata={"description": "null until computed."})
    punches = fields.List(fields.Nested(PunchOut))
    corrections = fields.List(fields.Nested(CorrectionOut))


class CorrectionForm(Schema):
    worker_id = fields.String(required=True, validate=_ID)
    day = fields.Date(required=True, metadata={"description": "The day corrected (China time)."})
    kind = fields.String(required=True, validate=validate.OneOf(list(KINDS)), metadata={"description": _KINDS})
    at = Instant(required=True, metadata={"description": "When the passage happened, on `day`."})
    direction = fields.String(load_default=None, validate=validate.OneOf(["in", "out"]), metadata={
        "description": "in | out: required for `other`; for the others, their own if given."})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    evidence_reference = fields.String(load_default=None, validate=validate.Length(max=500), metadata={
        "description": "Where paper evidence is kept, when no file is uploaded."})


class EvidenceUpload(Schema):
    evidence = fields.Raw(load_default=None, metadata={
        "type": "string", "format": "binary", "description": "The evidence: PDF, JPEG or PNG, at most 5 MB."})
