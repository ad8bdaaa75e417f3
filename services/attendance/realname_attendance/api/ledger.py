"""HTTP endpoints of the attendance ledger (R28): its days, months, headcounts, summaries and a worker's day, read
within R21's visibility; corrections (补卡) by the general contractor (R32)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Response, current_app
from flask.views import MethodView

from realname_attendance.ledger.access import require_corrector, require_ledger_reader
from realname_attendance.ledger.corrections import CorrectionAsked, Evidence, correction_evidence, record_correction
from realname_attendance.ledger.queries import (
    daily,
    day_page,
    month_page,
    on_site_now,
    summary,
    worker_day,
)
from realname_attendance.ledger.schemas import (
    CorrectionForm,
    CorrectionOut,
    DailyList,
    DayArgs,
    EvidenceUpload,
    LedgerDayPage,
    MonthArgs,
    MonthOut,
    OnSiteOut,
    RangeArgs,
    SummaryList,
    WorkerDayOut,
)
from realname_attendance.models import IDEMPOTENCY
from realname_kit.auth import AUTHENTICATED, allow, current_caller
from realname_kit.idempotency import run_once
from realname_kit.openapi import Blueprint
from realname_kit.privacy import request_keyring
from realname_kit.problems import Problem
from realname_kit.timeutil import today_in_china, utcnow
from realname_kit.web import service_context

ledger = Blueprint("ledger", __name__, url_prefix="/api/v1/attendance/projects/<project_id>/ledger",
                   description="The attendance ledger (考勤台账, R28): days, months, headcounts, corrections.")
NOT_YOURS = "`project_not_found`: not a project whose ledger you may read."


@ledger.route("/days")
class LedgerDays(MethodView):
    @allow(AUTHENTICATED)
    @ledger.arguments(DayArgs, location="query")
    @ledger.response(200, LedgerDayPage)
    @ledger.alt_response(404, description=NOT_YOURS)
    def get(self, args: dict[str, Any], project_id: str) -> Any:
        """The ledger's days (first in, last out, minutes, punches, anomaly, corrected), by day then worker, in
        cursor pages; filters worker_id, employer_id, team_id, from, to, anomaly.

        Regulators; the general contractor and its staff holding `view_workforce` or `correct_attendance`: every
        worker; an employer taking part: its own workers (R21). The same for every read of the ledger."""
        with service_context().db.transaction() as session:
            return day_page(session, require_ledger_reader(session, project_id), args)


@ledger.route("/months/<month>")
class LedgerMonth(MethodView):
    @allow(AUTHENTICATED)
    @ledger.arguments(MonthArgs, location="query")
    @ledger.response(200, MonthOut)
    @ledger.alt_response(404, description=NOT_YOURS)
    @ledger.alt_response(422, description="`month_invalid`: not `YYYY-MM`.")
    def get(self, args: dict[str, Any], project_id: str, month: str) -> Any:
        """The month's ledger per worker: days, minutes and hours on site, days flagged, days corrected; by worker,
        a page holding up to 5,000 workers."""
        first = _month(month)
        with service_context().db.transaction() as session:
            body = month_page(session, require_ledger_reader(session, project_id), first, args)
        # Plain values already: answered as they are, not dumped again field by field (5,000 workers' worth).
        return current_app.json.response(body)


@ledger.route("/daily")
class LedgerDaily(MethodView):
    @allow(AUTHENTICATED)
    @ledger.arguments(RangeArgs, location="query")
    @ledger.response(200, DailyList)
    @ledger.alt_response(404, description=NOT_YOURS)
    def get(self, args: dict[str, Any], project_id: str) -> Any:
        """Per day of the project: headcount (workers on the ledger), minutes, days flagged; at most 366 days."""
        with service_context().db.transaction() as session:
            return {"items": daily(session, require_ledger_reader(session, project_id), _bounded(args))}


@ledger.route("/on-site")
class LedgerOnSite(MethodView):
    @allow(AUTHENTICATED)
    @ledger.response(200, OnSiteOut)
    @ledger.alt_response(404, description=NOT_YOURS)
    def get(self, project_id: str) -> Any:
        """Who is on site now: the workers whose last valid passage today (China time) is an in."""
        with service_context().db.transaction() as session:
            return on_site_now(session, require_ledger_reader(session, project_id), utcnow())


@ledger.route("/teams")
class LedgerTeams(MethodView):
    @allow(AUTHENTICATED)
    @ledger.arguments(RangeArgs, location="query")
    @ledger.response(200, SummaryList)
    @ledger.alt_response(404, description=NOT_YOURS)
    def get(self, args: dict[str, Any], project_id: str) -> Any:
        """Per team over the range (at most 366 days): workers, worker-days, hours, days flagged."""
        with service_context().db.transaction() as session:
            return {"items": summary(session, require_ledger_reader(session, project_id), "team", _bounded(args))}


@ledger.route("/employers")
class LedgerEmployers(MethodView):
    @allow(AUTHENTICATED)
    @ledger.arguments(RangeArgs, location="query")
    @ledger.response(200, SummaryList)
    @ledger.alt_response(404, description=NOT_YOURS)
    def get(self, args: dict[str, Any], project_id: str) -> Any:
        """Per employer over the range (at most 366 days): workers, worker-days, hours, days flagged."""
        with service_context().db.transaction() as session:
            return {"items": summary(session, require_ledger_reader(session, project_id), "employer",
                                     _bounded(args))}


@ledger.route("/workers/<worker_id>/days/<day>")
class LedgerWorkerDay(MethodView):
    @allow(AUTHENTICATED)
    @ledger.response(200, WorkerDayOut)
    @ledger.alt_response(404, description=f"{NOT_YOURS} `worker_not_found`.")
    @ledger.alt_response(422, description="`day_invalid`: not `YYYY-MM-DD`.")
    def get(self, project_id: str, worker_id: str, day: str) -> Any:
        """A worker's day: the ledger's figures, every punch of the gates (valid, and rejected with its reason) and
        every correction, side by side."""
        wanted = _day(day)
        with service_context().db.transaction() as session:
            return worker_day(session, require_ledger_reader(session, project_id), worker_id, wanted)


@ledger.route("/corrections")
class LedgerCorrections(MethodView):
    @allow(AUTHENTICATED)
    @ledger.arguments(CorrectionForm, location="form")
    @ledger.arguments(EvidenceUpload, location="files")
    @ledger.response(201, CorrectionOut)
    @ledger.alt_response(403, description="`not_a_participant`, `function_not_delegated`: the general contractor's "
                                          "project account, or staff holding `correct_attendance` (R32).")
    @ledger.alt_response(404, description="`project_not_found`.")
    @ledger.alt_response(413, description="`evidence_too_large`: over 5 MB.")
    @ledger.alt_response(422, description="`evidence_required`, `evidence_not_pdf_jpeg_or_png`, "
                                          "`correction_time_off_day`, `correction_in_future`, "
                                          "`correction_direction_required`, `correction_direction_mismatch`, "
                                          "`correction_reason_required`, `worker_not_admitted`.")
    def post(self, form: dict[str, Any], files: dict[str, Any], project_id: str) -> Any:
        """Record a correction (补卡) as multipart/form-data: the passage the gates missed, its reason, and its
        evidence (file part `evidence`: PDF, JPEG or PNG ≤ 5 MB, stored sealed; or `evidence_reference`). The gates'
        punches stay as they were; the day is computed again with it within seconds (told again if it was closed).
        Audited; `attendance.corrected`. With an `Idempotency-Key`, a retry records nothing twice."""
        upload = files.get("evidence")
        evidence = Evidence(upload.read(), upload.filename or "") if upload is not None else None
        asked = CorrectionAsked(worker_id=form["worker_id"], day=form["day"], kind=form["kind"], at=form["at"],
                                direction=form["direction"], reason=form["reason"],
                                evidence_reference=form["evidence_reference"], evidence=evidence)
        keyring = request_keyring()

        def correct(session: Any) -> tuple[int, Any]:
            caller, project = require_corrector(session, project_id)
            correction = record_correction(session, keyring, caller, project, asked, now=utcnow())
            return 201, CorrectionOut().dump(correction)
        return run_once(service_context().db, IDEMPOTENCY, correct)


@ledger.route("/corrections/<correction_id>/evidence")
class LedgerCorrectionEvidence(MethodView):
    @allow(AUTHENTICATED)
    @ledger.response(200, description="The evidence file as uploaded (PDF, JPEG or PNG).",
                     content_type="application/octet-stream")
    @ledger.alt_response(404, description=f"{NOT_YOURS} `worker_not_found`, `evidence_not_found`.")
    def get(self, project_id: str, correction_id: str) -> Any:
        """A correction's evidence file, for whoever reads that worker's day; each view audited, never cached."""
        with service_context().db.transaction() as session:
            scope = require_ledger_reader(session, project_id)
            correction, content = correction_evidence(session, request_keyring(), current_caller(), scope,
                                                      correction_id)
        return Response(content, mimetype=correction.evidence_type or "application/octet-stream", headers={
            "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
            "Content-Disposition": "attachment; filename=evidence"})


def _month(text: str) -> date:
    try:
        if len(text) == 7:
            return date.fromisoformat(f"{text}-01")
    except ValueError:
        pass
    raise Problem(422, "month_invalid", "The month must be written YYYY-MM", "For example 2026-12.",
                  message_zh="月份格式应为 YYYY-MM，例如 2026-12。")


def _day(text: str) -> date:
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise Problem(422, "day_invalid", "The day must be written YYYY-MM-DD", "For example 2026-12-01.",
                  message_zh="日期格式应为 YYYY-MM-DD，例如 2026-12-01。")


def _bounded(args: dict[str, Any]) -> dict[str, Any]:
    """A range with both ends: the last 31 days up to ``to`` (today in China) when one is left out."""
    last = args.get("to") or (args["from_"] + timedelta(days=30) if args.get("from_") else today_in_china())
    first = args.get("from_") or last - timedelta(days=30)
    return {**args, "from_": first, "to": last}
