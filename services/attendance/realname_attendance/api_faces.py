"""HTTP endpoints of face photos: the worker's consent, the photo checked at upload, its removal (PIPL art. 28-29).

Whoever may handle the worker's face (``access.may_handle_face``): the employer, or the general contractor holding
manage_gates on a project the worker is admitted to. Anyone else: 404.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView

from realname_attendance.faces.consent import consent_record, record_consent, withdraw_consent
from realname_attendance.faces.handled import handled_worker
from realname_attendance.faces.removal import ON_REQUEST, remove_face
from realname_attendance.faces.schemas import ConsentIn, ConsentOut, FaceOut, FaceUpload, NoFields
from realname_attendance.faces.upload import checked_photo, face_of, face_photo, may_upload, store_face
from realname_codes.roles import ENTERPRISE_ROLES, PROJECT_MANAGER, STAFF
from realname_kit.auth import allow, current_caller
from realname_kit.openapi import Blueprint
from realname_kit.privacy import request_keyring
from realname_kit.timeutil import today_in_china
from realname_kit.web import service_context

faces = Blueprint("faces", __name__, url_prefix="/api/v1/attendance",
                  description="Face photos for the gates: the worker's consent, the photo checked and stored sealed.")
HANDLERS = (*ENTERPRISE_ROLES, STAFF, PROJECT_MANAGER)  # narrowed per worker by may_handle_face
_NOT_YOURS = "`worker_not_found`: no worker whose face you may handle has this id."


@faces.route("/workers/<worker_id>/face-consent")
class WorkerFaceConsent(MethodView):
    @allow(*HANDLERS)
    @faces.arguments(ConsentIn)
    @faces.response(200, ConsentOut)
    @faces.alt_response(404, description=_NOT_YOURS)
    @faces.alt_response(422, description="`consent_in_future`; an unknown `method`.")
    def put(self, body: dict[str, Any], worker_id: str) -> Any:
        """Record the worker's separate consent to the processing of their face (PIPL art. 29). Audited."""
        with service_context().db.transaction() as session:
            return record_consent(session, current_caller(), worker_id, body, today_in_china())

    @allow(*HANDLERS)
    @faces.response(200, ConsentOut)
    @faces.alt_response(404, description=f"{_NOT_YOURS} `face_consent_not_found`: none recorded.")
    def get(self, worker_id: str) -> Any:
        """The consent as recorded, a withdrawn one with when."""
        with service_context().db.transaction() as session:
            return consent_record(session, current_caller(), worker_id)

    @allow(*HANDLERS)
    @faces.response(204)
    @faces.alt_response(404, description=f"{_NOT_YOURS} `face_consent_not_found`: none recorded.")
    def delete(self, worker_id: str) -> Any:
        """The worker withdrew their consent: their face is deleted at once and taken off the gates. Audited."""
        with service_context().db.transaction() as session:
            withdraw_consent(session, current_caller(), worker_id)
        return None


@faces.route("/workers/<worker_id>/face")
class WorkerFace(MethodView):
    @allow(*HANDLERS)
    @faces.arguments(FaceUpload, location="files")
    @faces.arguments(NoFields, location="form")
    @faces.response(201, FaceOut)
    @faces.alt_response(200, schema=FaceOut, description="The photo replaced one stored, or was this one again.")
    @faces.alt_response(404, description=_NOT_YOURS)
    @faces.alt_response(409, description="`face_consent_missing`: record the worker's consent first.")
    @faces.alt_response(413, description="`photo_too_large`: over 10 MB.")
    @faces.alt_response(422, description="What to retake: `photo_empty`, `photo_not_jpeg_or_png`, "
                                         "`photo_too_many_pixels` (over 40 million), `photo_unreadable`, "
                                         "`face_not_found`, `face_several`, `face_too_small` (under 5 % of the "
                                         "picture), `photo_too_dark`, `photo_too_bright`, `photo_blurred`, "
                                         "`photo_too_detailed`.")
    def put(self, files: dict[str, Any], _form: dict[str, Any], worker_id: str) -> Any:
        """Upload the worker's face photo as multipart/form-data, file part `photo` (JPEG or PNG, at most 10 MB).

        It is checked (one face, big enough, lit, sharp), framed 3:4 around the face and re-encoded as a 360×480
        JPEG under 50 KB (100 KB if 50 would cost quality) without metadata, then stored encrypted. The answer is
        its metadata, never the photo."""
        db, caller = service_context().db, current_caller()
        with db.transaction() as session:
            may_upload(session, caller, worker_id)
        photo = checked_photo(files["photo"].read())
        with db.transaction() as session:
            stored = store_face(session, request_keyring(), caller, worker_id, photo)
            return stored.face, 201 if stored.created else 200

    @allow(*HANDLERS)
    @faces.response(200, FaceOut)
    @faces.alt_response(404, description=f"{_NOT_YOURS} `face_photo_not_found`: none stored.")
    def get(self, worker_id: str) -> Any:
        """The stored photo's metadata."""
        with service_context().db.transaction() as session:
            return face_of(session, current_caller(), worker_id)

    @allow(*HANDLERS)
    @faces.response(204)
    @faces.alt_response(404, description=_NOT_YOURS)
    def delete(self, worker_id: str) -> Any:
        """Delete the photo; the gates drop it. Deleting it again changes nothing. Audited."""
        caller = current_caller()
        with service_context().db.transaction() as session:
            handled_worker(session, caller, worker_id, lock=True)
            remove_face(session, worker_id, ON_REQUEST, caller)
        return None


@faces.route("/workers/<worker_id>/face/photo")
class WorkerFacePhoto(MethodView):
    @allow(*HANDLERS)
    @faces.response(200, description="The normalised JPEG the gates get.", content_type="image/jpeg")
    @faces.alt_response(404, description=f"{_NOT_YOURS} `face_photo_not_found`: none stored.")
    def get(self, worker_id: str) -> Any:
        """The photo itself, so that the clerk can see what the gates get (the crop, the person). Each view audited;
        never cached."""
        with service_context().db.transaction() as session:
            jpeg = face_photo(session, request_keyring(), current_caller(), worker_id)
        return Response(jpeg, mimetype="image/jpeg", headers={
            "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
            "Content-Disposition": "inline; filename=face.jpg"})
