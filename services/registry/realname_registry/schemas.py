"""Marshmallow schemas of the registry API (they generate its OpenAPI document)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from realname_kit.formats import Instant
from realname_kit.pagination import PageArgs, page_schema
from realname_registry.domain import EnterpriseKind


class EnterpriseIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=2, max=200),
                         metadata={"description": "Registered name, as on the business licence."})
    uscc = fields.String(required=True, validate=validate.Length(min=1, max=40),
                         metadata={"description": "Unified social credit code (GB 32100-2015), 18 characters."})
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in EnterpriseKind]),
                         metadata={"description": "labour, specialty or general_contractor."})


class EnterpriseArgs(PageArgs):
    uscc = fields.String(load_default=None, validate=validate.Length(min=1, max=40),
                         metadata={"description": "Only the enterprise with this credit code."})


class EnterpriseSchema(Schema):
    id = fields.String(dump_only=True)
    name = fields.String()
    uscc = fields.String()
    kind = fields.String()
    registered_at = Instant()


EnterprisePage = page_schema(EnterpriseSchema, "EnterprisePage")
