"""Marshmallow schemas of the identity API (they generate its OpenAPI document)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from realname_kit.formats import Instant
from realname_kit.pagination import PageArgs, page_schema

_STATUSES = ("pending", "verified", "rejected")


class CardReadIn(Schema):
    """A card read by a reader attached to a browser: the fields as the reader returned them (R1)."""

    read_id = fields.UUID(load_default=None, metadata={
        "description": "The reader software's id of this read; a retry with the same id returns the same read. "
                       "Without it, the `Idempotency-Key` header plays that part."})
    name = fields.String(required=True, validate=validate.Length(min=1, max=60))
    sex = fields.String(required=True, validate=validate.OneOf(["male", "female"]))
    ethnicity = fields.String(required=True, validate=validate.Length(equal=2),
                              metadata={"description": "GB 3304 code, 01 (汉族) to 56."})
    birth_date = fields.Date(required=True)
    address = fields.String(required=True, validate=validate.Length(min=1, max=200))
    id_number = fields.String(required=True, validate=validate.Length(min=15, max=40))
    issuing_authority = fields.String(required=True, validate=validate.Length(min=1, max=100))
    valid_from = fields.Date(required=True)
    valid_to = fields.Date(required=True, allow_none=True, metadata={"description": "null: long-term (长期)."})
    card_serial = fields.String(load_default=None, validate=validate.Length(min=1, max=64),
                                metadata={"description": "The card's physical serial (UID), when the reader gives it."})
    photo = fields.String(load_default=None, metadata={
        "description": "The card's photo in base64: the reader's 1,024-byte WLT as received, or a JPEG/PNG."})
    photo_format = fields.String(load_default="wlt", validate=validate.OneOf(["wlt", "jpeg", "png"]))


class CardReadOut(Schema):
    id = fields.String()
    employer_id = fields.String()
    source = fields.String(metadata={"description": "edge (a reader daemon) or browser."})
    status = fields.String(metadata={"description": "pending, verified or rejected."})
    reason = fields.String(allow_none=True, metadata={
        "description": "Rejected: number_invalid, card_expired, sex_mismatch, birth_date_mismatch, "
                       "validity_impossible, unreadable, mismatch, reported_fake, not_found. "
                       "Pending: authority_closed, timeout, server_error, unreachable, bad_response, or null."})
    message = fields.String()
    message_zh = fields.String()
    detail = fields.String(allow_none=True, metadata={"description": "Which field decided a local rejection."})
    name = fields.String()
    sex = fields.String()
    ethnicity = fields.String()
    birth_date = fields.Date(allow_none=True)
    id_number = fields.String(metadata={"description": "Masked (R4): region and last four."})
    valid_from = fields.Date(allow_none=True)
    valid_to = fields.Date(allow_none=True)
    card_serial = fields.String(allow_none=True)
    has_photo = fields.Boolean()
    read_at = Instant()
    received_at = Instant()
    decided_at = Instant(allow_none=True)
    attempts = fields.Integer(metadata={"description": "Questions put to the authority so far."})
    next_attempt_at = Instant(allow_none=True, metadata={"description": "Pending: the next attempt."})


CardReadPage = page_schema(CardReadOut, "CardReadPage")


class CardReadArgs(PageArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(_STATUSES))


class IdNumberIn(Schema):
    id_number = fields.String(required=True, validate=validate.Length(min=1, max=40))


class IdNumberProblem(Schema):
    reason = fields.String()
    message = fields.String()
    message_zh = fields.String()


class IdNumberOut(Schema):
    valid = fields.Boolean()
    id_number = fields.String(metadata={"description": "Normalised (full-width digits, spaces, lower-case x)."})
    region = fields.String(allow_none=True, metadata={"description": "GB/T 2260 code of the first six digits."})
    region_name = fields.String(allow_none=True)
    birth_date = fields.Date(allow_none=True)
    sex = fields.String(allow_none=True)
    problem = fields.Nested(IdNumberProblem, allow_none=True)
