"""Marshmallow schemas of the punch endpoints (they generate this part of the OpenAPI document)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from realname_attendance.punch_posts import ACCEPTED, KEPT, MAX_PUNCHES, REFUSED
from realname_attendance.rules.punch_photo import PHOTO_PROBLEMS
from realname_kit.formats import Instant


class PunchesIn(Schema):
    punches = fields.List(fields.Dict(keys=fields.String()), required=True,
                          validate=validate.Length(min=1, max=MAX_PUNCHES), metadata={"description": (
                              "Each as `gate.punched`'s data: device (the gate's serial), worker_key, at (ISO 8601 "
                              "with the gate's offset), event_key (the gate's own event identity), direction "
                              "(in/out, or null: the gate's), verified_by, photo_jpeg (base64 JPEG, at most 200 KB "
                              "decoded, or null).")})


class PunchOutcome(Schema):
    device = fields.String(allow_none=True)
    event_key = fields.String(allow_none=True)
    outcome = fields.String(metadata={"description": f"`{ACCEPTED}` (for the intake: kept once, judged) or "
                                                     f"`{REFUSED}`."})
    reason = fields.String(allow_none=True, metadata={"description": "Why refused: `punch_invalid`, "
                                                                     "`punch_time_invalid`."})
    detail = fields.String(allow_none=True)
    photo = fields.String(allow_none=True, metadata={"description": (
        f"`{KEPT}`, or why it was dropped ({', '.join(f'`{p}`' for p in PHOTO_PROBLEMS)}); null: none sent.")})


class PostedPunches(Schema):
    accepted = fields.Integer()
    refused = fields.Integer()
    punches = fields.List(fields.Nested(PunchOutcome), metadata={"description": "In the order posted."})


class PhotoArgs(Schema):
    device = fields.String(required=True, validate=validate.Length(min=1, max=64))
    event_key = fields.String(required=True, validate=validate.Length(min=1, max=200))
    at = Instant(required=True, metadata={"description": "The punch's time."})
