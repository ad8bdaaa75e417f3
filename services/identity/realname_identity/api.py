"""HTTP endpoints: card reads from readers attached to a browser, their outcome, and the ID-number check."""

from __future__ import annotations

import uuid
from typing import Any

from flask import request
from flask.views import MethodView
from sqlalchemy import select
from sqlalchemy.orm import Session

from realname_codes.id_numbers import id_number_problem, normalise_id_number, parse_id_number
from realname_codes.regions import region_name
from realname_codes.roles import EMPLOYERS, REGULATOR, SERVICE
from realname_identity.models import ID_NUMBER, CardPhoto, CardRead
from realname_identity.reads import IncomingRead, MalformedRead, accept_read, photo_bytes
from realname_identity.reasons import describe
from realname_identity.schemas import CardReadArgs, CardReadIn, CardReadOut, CardReadPage, IdNumberIn, IdNumberOut
from realname_identity.verification import schedule
from realname_kit.auth import AUTHENTICATED, Caller, allow, current_caller
from realname_kit.openapi import Blueprint
from realname_kit.pagination import keyset_page
from realname_kit.privacy import Keyring, mask_id_number, request_keyring
from realname_kit.problems import Problem
from realname_kit.timeutil import today_in_china, utcnow
from realname_kit.web import service_context

card_reads = Blueprint("card_reads", __name__, url_prefix="/api/v1/identity",
                       description="ID-card reads and their verification with the identity authority (R1-R4).")
_KEYS = uuid.UUID("5d0c8f0e-4c57-4f8e-9d43-6b1f2f1f7a11")  # namespace of read ids made from Idempotency-Keys


@card_reads.route("/card-reads")
class CardReads(MethodView):
    @allow(*EMPLOYERS)
    @card_reads.arguments(CardReadIn)
    @card_reads.response(201, CardReadOut)
    @card_reads.alt_response(200, description="The same read again (its read id or Idempotency-Key): as it stands.")
    @card_reads.alt_response(409, description="`read_id_taken`: another employer's read has this id.")
    def post(self, body: dict[str, Any]) -> Any:
        """Send a card read; it is checked at once and verified with the authority (``pending`` until then).

        Rejected at once: ``number_invalid``, ``card_expired``, ``sex_mismatch``, ``birth_date_mismatch``,
        ``validity_impossible``, ``unreadable``. The authority's verdicts:
        ``mismatch``, ``reported_fake``, ``card_expired``, ``not_found``. While it is closed (weekends, R3) or
        failing the read stays ``pending`` and is retried automatically.
        """
        caller = _employer(current_caller())
        incoming = _incoming(caller, body)
        keyring = request_keyring()
        with service_context().db.transaction() as session:
            read, new = accept_read(session, keyring, incoming, today_in_china(), utcnow())
            if new and read.status == "pending":
                schedule(session, read, None)  # due now
            out = read_out(session, read, keyring)
        return out, 201 if new else 200, {"Location": f"{request.path}/{read.id}"}

    @allow(*EMPLOYERS, REGULATOR, SERVICE)
    @card_reads.arguments(CardReadArgs, location="query")
    @card_reads.response(200, CardReadPage)
    def get(self, args: dict[str, Any]) -> Any:
        """Your card reads, newest last (a regulator: everyone's), optionally of one status."""
        caller = current_caller()
        query = select(CardRead)
        if not caller.roles & {REGULATOR, SERVICE}:
            query = query.where(CardRead.employer_id == (caller.enterprise_id or ""))
        if args["status"]:
            query = query.where(CardRead.status == args["status"])
        keyring = request_keyring()
        with service_context().db.transaction() as session:
            rows, next_cursor = keyset_page(session, query, CardRead.seq, args["limit"], args["cursor"])
            return {"items": [read_out(session, r, keyring) for r in rows], "next_cursor": next_cursor}


@card_reads.route("/card-reads/<read_id>")
class OneCardRead(MethodView):
    @allow(*EMPLOYERS, REGULATOR, SERVICE)
    @card_reads.response(200, CardReadOut)
    @card_reads.alt_response(404, description="No read of yours has this id.")
    def get(self, read_id: str) -> Any:
        """One read: ``pending``, ``verified``, or ``rejected`` with its reason and what to do (R2)."""
        caller = current_caller()
        keyring = request_keyring()
        with service_context().db.transaction() as session:
            read = session.scalars(select(CardRead).where(CardRead.id == read_id)).first()
            if read is None or not (caller.roles & {REGULATOR, SERVICE} or caller.acts_for(read.employer_id)):
                raise Problem(404, "card_read_not_found", "No card read of yours has this id",
                              message_zh="找不到贵单位的这次读卡记录：请核对编号。")
            return read_out(session, read, keyring)


@card_reads.route("/id-numbers/check")
class IdNumberCheck(MethodView):
    @allow(AUTHENTICATED)
    @card_reads.arguments(IdNumberIn)
    @card_reads.response(200, IdNumberOut)
    def post(self, body: dict[str, Any]) -> Any:
        """Check an ID number as a form is filled in (GB 11643 check character, GB/T 2260 region, birth date).

        Nothing is stored and the authority is not asked.
        """
        today = today_in_china()
        value = normalise_id_number(body["id_number"])
        problem = id_number_problem(value, today)
        if problem is not None:
            return {"valid": False, "id_number": value, "region": None, "region_name": None, "birth_date": None,
                    "sex": None, "problem": {"reason": problem.reason, "message": problem.message,
                                             "message_zh": problem.message_zh}}
        number = parse_id_number(value, today)
        return {"valid": True, "id_number": number.value, "region": number.region,
                "region_name": region_name(number.region), "birth_date": number.birth_date, "sex": number.sex,
                "problem": None}


def read_out(session: Session, read: CardRead, keyring: Keyring) -> dict[str, Any]:
    reason, message, message_zh = describe(read)
    has_photo = session.get(CardPhoto, read.id) is not None
    return {"id": read.id, "employer_id": read.employer_id, "source": read.source, "status": read.status,
            "reason": reason, "message": message, "message_zh": message_zh, "detail": read.reason_detail,
            "name": read.name, "sex": read.sex, "ethnicity": read.ethnicity, "birth_date": read.birth_date,
            "id_number": mask_id_number(ID_NUMBER.open(keyring, read.id_number_enc)),
            "valid_from": read.valid_from, "valid_to": read.valid_to, "card_serial": read.card_serial,
            "has_photo": has_photo, "read_at": read.read_at, "received_at": read.received_at,
            "decided_at": read.decided_at, "attempts": read.attempts, "next_attempt_at": read.next_attempt_at}


def _employer(caller: Caller) -> Caller:
    if caller.enterprise_id is None:
        raise Problem(403, "not_an_employer", "Only an employer reads ID cards to register workers",
                      "Log in with the certificate of the enterprise that employs the worker.",
                      message_zh="只有用人单位才能读取身份证登记工人：请用用人单位的数字证书登录。")
    return caller


def _incoming(caller: Caller, body: dict[str, Any]) -> IncomingRead:
    assert caller.enterprise_id is not None
    key = request.headers.get("Idempotency-Key")
    if body["read_id"] is not None:
        read_id = str(body["read_id"])
    elif key:
        read_id = str(uuid.uuid5(_KEYS, f"{caller.enterprise_id}:{key}"))
    else:
        read_id = str(uuid.uuid4())
    try:
        photo = photo_bytes(body["photo"])
    except MalformedRead as exc:
        raise Problem(422, "photo_invalid", "The photo is not a card photo",
                      f"{exc}: send the reader's photo bytes in base64.", field="photo",
                      message_zh="照片不是身份证照片：请按读卡器读出的原样，以 base64 提交照片。") from exc
    return IncomingRead(read_id=read_id, employer_id=caller.enterprise_id, source="browser",
                        sender=caller.subject or caller.enterprise_id, read_at=utcnow(), card=body, photo=photo,
                        photo_format=body["photo_format"])
