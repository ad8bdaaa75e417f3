"""HTTP endpoints of punches: posted by a signed device for a bridge that can reach only HTTPS (R27), and a punch's
photo shown to those who may see it.

``POST /punches`` admits no user: it is open to the network (``ANYONE``) and answers only a request signed with a
device's own credential (``punch_keys``, ``realname_codes.punch_signing``), checked before the body is read. The
signer then stands as the caller (kind ``device``, no role), so that its Idempotency-Keys are its own.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from flask import Response, g, request
from flask.views import MethodView

from realname_attendance import punch_keys
from realname_attendance.models import IDEMPOTENCY
from realname_attendance.punch_photos import view_punch_photo
from realname_attendance.punch_posts import take_posted_punches
from realname_attendance.punch_schemas import PhotoArgs, PostedPunches, PunchesIn
from realname_codes.punch_signing import ACCOUNT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER
from realname_codes.roles import ENTERPRISE_ROLES, PROJECT_MANAGER, REGULATOR, STAFF
from realname_kit.auth import ANYONE, Caller, allow, current_caller
from realname_kit.idempotency import run_once
from realname_kit.openapi import Blueprint
from realname_kit.privacy import request_keyring
from realname_kit.web import service_context

punches = Blueprint("punches", __name__, url_prefix="/api/v1/attendance",
                    description="Punches posted over HTTPS by a signed gate or site bridge (R27), and their photos.")
DEVICE = "device"  # the kind of caller a signed device stands as
_SIGNED = (f"Signed with the device's credential: `{ACCOUNT_HEADER}`, `{TIMESTAMP_HEADER}` (Unix seconds, within "
           f"300 s), `{SIGNATURE_HEADER}` = hex HMAC-SHA256(key, timestamp + \"\\n\" + body), key = HMAC-SHA256("
           "password, \"realname punches v1\"). No bearer token.")

_SIGNATURE_HEADERS = ((ACCOUNT_HEADER, "The device's broker account."),
                      (TIMESTAMP_HEADER, "Unix seconds when it was signed."),
                      (SIGNATURE_HEADER, "Lowercase hex HMAC-SHA256 of timestamp + \"\\n\" + body."))


def signed_by_device(view: Callable[..., Any]) -> Callable[..., Any]:
    """The signature checked before anything else; the signing device stands as the caller."""
    @functools.wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        headers = {name: request.headers.get(name, "") for name in (ACCOUNT_HEADER, TIMESTAMP_HEADER,
                                                                     SIGNATURE_HEADER)}
        with service_context().db.transaction() as session:
            signer = punch_keys.signer(session, request_keyring(), headers, request.get_data(cache=True),
                                       time.time())
        g.caller = Caller(subject=f"{DEVICE}:{signer.account}", kind=DEVICE)
        return view(*args, signer=signer, **kwargs)
    return checked


@punches.route("/punches")
class Punches(MethodView):
    @allow(ANYONE)
    @signed_by_device
    @punches.arguments(PunchesIn)
    @punches.response(202, PostedPunches)
    @punches.alt_response(401, description="`signature_missing`, `signature_stale`, `signature_invalid` (a wrong "
                                           "key, a rotated or revoked credential). " + _SIGNED)
    @punches.alt_response(403, description="`not_your_device`: a punch names a gate the signer does not drive; "
                                           "nothing of the post is taken.")
    @punches.alt_response(413, description="`payload_too_large`: over REALNAME_MAX_REQUEST_BYTES; post fewer.")
    @punches.doc(parameters=[{"in": "header", "name": name, "required": True, "schema": {"type": "string"},
                              "description": what} for name, what in _SIGNATURE_HEADERS])
    def post(self, body: dict[str, Any], signer: punch_keys.Signer) -> Any:
        """Post up to 500 punches of your own gate (or of the gates behind your bridge), as on AMQP's
        `gate.punched`. Each is answered: `accepted` (kept once and judged by the intake, R27) or `refused` with
        its reason; its photo `kept`, or why it was dropped (the punch is kept anyway). Posting again changes
        nothing and answers the same; an `Idempotency-Key` is honoured too."""
        db, keyring = service_context().db, request_keyring()

        def take(session: Any) -> tuple[int, Any]:
            return 202, take_posted_punches(session, keyring, signer, body["punches"])
        return run_once(db, IDEMPOTENCY, take)


@punches.route("/punches/photo")
class PhotoOfPunch(MethodView):
    @allow(*ENTERPRISE_ROLES, STAFF, PROJECT_MANAGER, REGULATOR)
    @punches.arguments(PhotoArgs, location="query")
    @punches.response(200, description="The JPEG the gate took.", content_type="image/jpeg")
    @punches.alt_response(404, description="`punch_photo_not_found`: none you may see (regulators, and the general "
                                           "contractor's gate managers of the gate's project, `manage_gates`).")
    def get(self, args: dict[str, Any]) -> Any:
        """The photo a gate took with a punch, named by the punch's key. Each view audited; never cached."""
        with service_context().db.transaction() as session:
            jpeg = view_punch_photo(session, request_keyring(), current_caller(), args["device"],
                                    event_key=args["event_key"], at=args["at"])
        return Response(jpeg, mimetype="image/jpeg", headers={
            "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
            "Content-Disposition": "inline; filename=punch.jpg"})
