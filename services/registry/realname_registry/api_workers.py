"""HTTP endpoints of workers: registration, reading, editing, history, resignation, death (R5–R15, R24, R25)."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView

from realname_codes.roles import ADMIN, EMPLOYERS, REGULATOR, SERVICE
from realname_kit.audit import record_audit
from realname_kit.auth import allow, current_caller
from realname_kit.openapi import Blueprint
from realname_kit.problems import Problem
from realname_kit.web import service_context
from realname_registry.context import request_keyring, today
from realname_registry.models import ID_NUMBER, OUTBOX, PHONE, WAGE_CARD
from realname_registry.search import WorkerFilters, search_workers
from realname_registry.worker_schemas import (
    BatchResignationIn,
    BatchResignationOut,
    DeathIn,
    DefaultsOut,
    HistoryArgs,
    HistoryPage,
    ResignationIn,
    RevealArgs,
    WorkerIn,
    WorkerOut,
    WorkerPage,
    WorkerPatch,
    WorkerSearchArgs,
)
from realname_registry.workers.access import employer_of, reads_all, visible
from realname_registry.workers.death import record_death
from realname_registry.workers.defaults import registration_defaults
from realname_registry.workers.editing import edit_worker, etag
from realname_registry.workers.history import history_page
from realname_registry.workers.registration import register_worker
from realname_registry.workers.representation import worker_out
from realname_registry.workers.resignation import resign
from realname_registry.workers.resignation_batch import resign_batch

workers = Blueprint("workers", __name__, url_prefix="/api/v1/registry",
                    description="Workers and their employment: registration, edits, history, resignation.")


@workers.route("/workers")
class Workers(MethodView):
    @allow(*EMPLOYERS)
    @workers.arguments(WorkerIn)
    @workers.response(201, WorkerOut)
    @workers.alt_response(409, description="`already_employed_by_you`, or `employed_elsewhere` naming whom to ask "
                                           "(R12).")
    @workers.alt_response(422, description="`worker_invalid` with every error and warning, each with a reason "
                                           "code and messages in English and Chinese.")
    def post(self, body: dict[str, Any]) -> Any:
        """Register a worker for your enterprise, from a verified card read or typed in (then unverified)."""
        ctx, keyring = service_context(), request_keyring()
        done = register_worker(ctx.db, keyring, current_caller(), body, today())
        out = worker_out(keyring, done.worker, done.employment, done.team)
        out["warnings"] = [w.to_dict() for w in done.warnings]
        return out, 201, {"ETag": etag(done.worker), "Location": f"{request.path}/{done.worker.id}"}

    @allow(*EMPLOYERS, REGULATOR, SERVICE)
    @workers.arguments(WorkerSearchArgs, location="query")
    @workers.response(200, WorkerPage)
    def get(self, args: dict[str, Any]) -> Any:
        """Your workers (a regulator: every worker), filtered and fuzzy-searched, a page at a time (R14)."""
        caller, keyring = current_caller(), request_keyring()
        filters = WorkerFilters(**{k: args[k] for k in ("name", "id_number", "phone", "trade_code", "team_id",
                                                         "project_id", "status", "identity_status", "category")})
        with service_context().db.transaction() as session:
            rows, next_cursor = search_workers(session, keyring, filters, limit=args["limit"], cursor=args["cursor"],
                                               employer_id=None if reads_all(caller) else employer_of(caller))
            return {"items": [worker_out(keyring, w, e) for w, e in rows], "next_cursor": next_cursor}


@workers.route("/workers/<worker_id>")
class OneWorker(MethodView):
    @allow(*EMPLOYERS, REGULATOR, SERVICE)
    @workers.arguments(RevealArgs, location="query")
    @workers.response(200, WorkerOut)
    @workers.alt_response(404, description="No worker of yours has this id.")
    def get(self, args: dict[str, Any], worker_id: str) -> Any:
        """One worker; ``?reveal=id_number|phone|wage_card_number&reason=…`` shows it in full, audited (R4)."""
        caller, keyring = current_caller(), request_keyring()
        with service_context().db.transaction() as session:
            worker, employment, team = visible(session, caller, worker_id)
            out = worker_out(keyring, worker, employment, team)
            if args["reveal"]:
                _reveal(session, out, args, worker, employment)
        return out, 200, {"ETag": etag(worker)}

    @allow(*EMPLOYERS)
    @workers.arguments(WorkerPatch)
    @workers.response(200, WorkerOut)
    @workers.alt_response(412, description="`edited_meanwhile`: read again and re-apply (R11).")
    @workers.alt_response(428, description="`if_match_required`: send the ETag you read.")
    def patch(self, body: dict[str, Any], worker_id: str) -> Any:
        """Edit a registration: send ``If-Match``; the answer is what was saved (R11)."""
        keyring = request_keyring()
        with service_context().db.transaction() as session:
            worker, employment, team, warnings = edit_worker(session, keyring, current_caller(), worker_id, body,
                                                             if_match=request.headers.get("If-Match"), today=today())
            out = worker_out(keyring, worker, employment, team)
        out["warnings"] = [w.to_dict() for w in warnings]
        return out, 200, {"ETag": etag(worker)}


def _reveal(session: Any, out: dict[str, Any], args: dict[str, Any], worker: Any, employment: Any) -> None:
    caller, keyring, field = current_caller(), request_keyring(), args["reveal"]
    if not args["reason"]:
        raise Problem(422, "reason_required", "Say why you need the full number", field="reason",
                      message_zh="查看完整号码须说明理由：请填写理由（reason）。")
    if not (REGULATOR in caller.roles or (employment is not None and employment.status == "active"
                                          and caller.acts_for(employment.employer_id))):
        raise Problem(403, "reveal_forbidden", "Only the current employer or a regulator sees the full number",
                      message_zh="只有现用人单位或监管部门可以查看完整号码。")
    if field == "id_number":
        out["id_number"] = ID_NUMBER.open(keyring, worker.id_number_enc)
    elif field == "phone":
        out["phone"] = PHONE.open(keyring, worker.phone_enc)
    else:
        if employment is None:
            raise Problem(404, "employment_missing", "This worker has no employment with a wage card",
                          message_zh="该工人没有带工资卡的用工记录。")
        out["wage_card_number"] = WAGE_CARD.open(keyring, employment.wage_card_number_enc)
    record_audit(session, OUTBOX, action="privacy.reveal", actor=caller, subject=worker.id, field=field,
                 reason=args["reason"])


@workers.route("/workers/<worker_id>/history")
class WorkerHistory(MethodView):
    @allow(*EMPLOYERS, REGULATOR, SERVICE)
    @workers.arguments(HistoryArgs, location="query")
    @workers.response(200, HistoryPage)
    def get(self, args: dict[str, Any], worker_id: str) -> Any:
        """Every change to the worker's employment (R15): an employer sees its own, a regulator any period."""
        caller = current_caller()
        with service_context().db.transaction() as session:
            visible(session, caller, worker_id)
            items, next_cursor = history_page(session, worker_id,
                                              employer_id=None if reads_all(caller) else caller.enterprise_id,
                                              since=args["since"], until=args["until"], limit=args["limit"],
                                              cursor=args["cursor"])
            return {"items": items, "next_cursor": next_cursor}


@workers.route("/workers/<worker_id>/resignation")
class Resignation(MethodView):
    @allow(*EMPLOYERS)
    @workers.arguments(ResignationIn)
    @workers.response(200, WorkerOut)
    @workers.alt_response(409, description="`already_resigned` on another date.")
    @workers.alt_response(422, description="`late_resignation_reason` / `late_resignation_evidence` (R25), "
                                           "`resignation_in_future`, `resignation_before_start`.")
    def post(self, body: dict[str, Any], worker_id: str) -> Any:
        """Record a resignation: it ends the labour contract (R24) and the worker leaves their projects."""
        keyring = request_keyring()
        with service_context().db.transaction() as session:
            done = resign(session, current_caller(), worker_id, body, today())
            out = worker_out(keyring, done.worker, done.employment)
        out["team_needs_leader"] = done.team_needs_leader
        return out, 200, {"ETag": etag(done.worker)}


@workers.route("/workers/<worker_id>/death")
class Death(MethodView):
    @allow(*EMPLOYERS, REGULATOR, ADMIN)
    @workers.arguments(DeathIn)
    @workers.response(200, WorkerOut)
    @workers.alt_response(409, description="`employment_ended`: you no longer employ this worker.")
    @workers.alt_response(422, description="`died_on_in_future`, `died_on_before_birth`, `evidence_unknown`, "
                                           "`evidence_required` (a date before today, as R25).")
    def post(self, body: dict[str, Any], worker_id: str) -> Any:
        """Record a worker's death (R24): by their current employer, a regulator or an administrator.

        The employment ends that day and the worker exits every project. Recorded once: a second call
        answers the same record and changes nothing.
        """
        keyring = request_keyring()
        with service_context().db.transaction() as session:
            done = record_death(session, current_caller(), worker_id, body, today())
            out = worker_out(keyring, done.worker, done.employment, done.team)
        out["team_needs_leader"] = done.team_needs_leader
        return out, 200, {"ETag": etag(done.worker)}


@workers.route("/resignations")
class Resignations(MethodView):
    @allow(*EMPLOYERS)
    @workers.arguments(BatchResignationIn)
    @workers.response(200, BatchResignationOut)
    def post(self, body: dict[str, Any]) -> Any:
        """Record up to 1,000 resignations at once (R25): each succeeds or says why not, on its own."""
        return resign_batch(service_context().db, current_caller(), body["items"], today())


@workers.route("/registration-defaults")
class Defaults(MethodView):
    @allow(*EMPLOYERS)
    @workers.response(200, DefaultsOut)
    def get(self) -> Any:
        """The form's fixed parts, from your last registration (R10)."""
        with service_context().db.transaction() as session:
            return registration_defaults(session, employer_of(current_caller()))
