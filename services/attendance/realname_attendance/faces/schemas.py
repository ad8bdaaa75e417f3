"""What the face endpoints take and answer. Never the photo itself, except ``…/face/photo``."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from realname_attendance.rules.face_consent import CONSENT_METHODS
from realname_kit.formats import Instant

_METHODS = "; ".join(f"`{code}` {zh} ({en})" for code, (zh, en) in CONSENT_METHODS.items())


class ConsentIn(Schema):
    method = fields.String(required=True, validate=validate.OneOf(list(CONSENT_METHODS)),
                           metadata={"description": f"How the worker gave it: {_METHODS}."})
    given_on = fields.Date(required=True, metadata={"description": "The day the worker gave it (not in the future)."})
    note = fields.String(load_default="", validate=validate.Length(max=500),
                         metadata={"description": "Where the signed form is kept, or anything a later reader needs."})


class ConsentOut(Schema):
    worker_id = fields.String()
    method = fields.String()
    method_zh = fields.Function(lambda c: CONSENT_METHODS.get(c.method, ("", ""))[0])
    method_en = fields.Function(lambda c: CONSENT_METHODS.get(c.method, ("", ""))[1])
    given_on = fields.Date()
    note = fields.String()
    recorded_at = Instant()
    recorded_by = fields.String(metadata={"description": "The account that recorded it."})
    recorded_for = fields.String(metadata={"description": "The enterprise that account acted for."})
    withdrawn_at = Instant(allow_none=True, metadata={"description": "null while the consent stands."})


class FaceUpload(Schema):
    photo = fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                                "description": "The photo: JPEG or PNG, at most 10 MB."})


class NoFields(Schema):
    """An upload without form fields: any sent is refused."""


class FaceOut(Schema):
    worker_id = fields.String()
    sha256 = fields.String(metadata={"description": "Of the normalised JPEG the gates get."})
    width = fields.Integer()
    height = fields.Integer()
    bytes = fields.Integer(attribute="size_bytes")
    measures = fields.Dict(metadata={"description": "face_share, luminance, sharpness, jpeg_quality, source size."})
    version = fields.Integer()
    uploaded_at = Instant()
    uploaded_by = fields.String()
