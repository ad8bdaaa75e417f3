"""Marshmallow schemas of the device endpoints (they generate this part of the OpenAPI document)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from realname_codes.gate_protocol import DIRECTIONS, KINDS
from realname_kit.formats import Instant
from realname_kit.pagination import PageArgs, page_schema

_NAME = validate.Length(min=1, max=100)
_PLACE = validate.Length(max=200)
_SERIAL = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", error="1-64 letters, digits, '.', '_' or '-'.")


class BridgeIn(Schema):
    name = fields.String(required=True, validate=_NAME, metadata={"description": "e.g. 1号门岗网关."})
    place = fields.String(load_default="", validate=_PLACE, metadata={"description": "Where it stands on site."})


class GateIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    serial = fields.String(required=True, validate=_SERIAL, metadata={
        "description": "The serial number on the gate's label; unique per kind on the platform."})
    direction = fields.String(required=True, validate=validate.OneOf(DIRECTIONS))
    name = fields.String(required=True, validate=_NAME)
    place = fields.String(load_default="", validate=_PLACE)
    bridge_id = fields.String(load_default=None, validate=validate.Length(min=1, max=36), metadata={
        "description": "The site bridge that drives it: required for the vendor kinds, refused for native."})


class CredentialsOut(Schema):
    account = fields.String(metadata={"description": "The broker account (AMQP user)."})
    password = fields.String(metadata={"description": "Shown once: put it in the device's configuration."})
    amqp_url = fields.String(metadata={"description": "The broker URL with these credentials."})
    exchange = fields.String(metadata={"description": "Where the device publishes gate.punched / acknowledged / "
                                                      "reported, with user_id = its account."})
    command_queue = fields.String(metadata={"description": "The only queue the device reads: its commands."})


class HealthOut(Schema):
    last_contact_at = Instant(allow_none=True)
    online = fields.Boolean(metadata={"description": "Heard from within 120 s and not reported lost."})
    online_since = Instant(allow_none=True)
    model = fields.String(allow_none=True)
    firmware = fields.String(allow_none=True)
    people = fields.Integer(allow_none=True)
    people_capacity = fields.Integer(allow_none=True)
    faces = fields.Integer(allow_none=True)
    faces_capacity = fields.Integer(allow_none=True)
    clock_offset_s = fields.Float(allow_none=True, metadata={"description": "The gate's clock minus the true time."})
    clock_off = fields.Boolean(metadata={"description": "The clock is more than 60 s off: its punches are wrong."})
    problem = fields.String(allow_none=True)


class GateOut(Schema):
    id = fields.String()
    project_id = fields.String()
    kind = fields.String()
    serial = fields.String()
    direction = fields.String()
    name = fields.String()
    place = fields.String()
    bridge_id = fields.String(allow_none=True)
    account = fields.String(allow_none=True, metadata={"description": "A native gate's broker account; None for "
                                                                      "a vendor gate and once revoked."})
    enabled = fields.Boolean()
    created_at = Instant()
    credentials_issued_at = Instant(allow_none=True)
    health = fields.Nested(HealthOut)


class NewGateOut(GateOut):
    credentials = fields.Nested(CredentialsOut, allow_none=True, metadata={
        "description": "A native gate's credentials, shown once (None for a vendor gate, and on a replay)."})


class BridgeOut(Schema):
    id = fields.String()
    project_id = fields.String()
    name = fields.String()
    place = fields.String()
    account = fields.String(allow_none=True, metadata={"description": "None once revoked."})
    enabled = fields.Boolean()
    created_at = Instant()
    credentials_issued_at = Instant(allow_none=True)
    last_contact_at = Instant(allow_none=True)
    online = fields.Boolean()


class SightingOut(Schema):
    serial = fields.String()
    first_seen_at = Instant()
    last_seen_at = Instant()
    times = fields.Integer()


class BridgeDetailOut(BridgeOut):
    gates = fields.Integer(metadata={"description": "Gates registered behind it."})
    unknown_devices = fields.List(fields.Nested(SightingOut), metadata={
        "description": "Devices that contacted it without being registered behind it (refused there)."})


class NewBridgeOut(BridgeOut):
    credentials = fields.Nested(CredentialsOut, allow_none=True, metadata={
        "description": "Shown once (None on a replay of the same request: rotate them if they were lost)."})


class IssuedOut(Schema):
    credentials = fields.Nested(CredentialsOut)


class GateArgs(PageArgs):
    kind = fields.String(load_default=None, validate=validate.OneOf(KINDS))
    enabled = fields.Boolean(load_default=None)
    online = fields.Boolean(load_default=None)
    clock_off = fields.Boolean(load_default=None)


GatePage = page_schema(GateOut, "GatePage")
BridgePage = page_schema(BridgeOut, "BridgePage")
