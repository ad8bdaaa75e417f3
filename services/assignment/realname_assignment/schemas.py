"""Marshmallow schemas of the project endpoints (they generate this part of the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from realname_kit.formats import Instant
from realname_kit.pagination import PageArgs, page_schema


class Trimmed(fields.String):
    """Text without surrounding blanks: a length rule then counts what is kept, not the spaces."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()


class ProjectIn(Schema):
    name = Trimmed(required=True, validate=validate.Length(min=2, max=200),
                   metadata={"description": "Registered project name (报建项目名称)."})
    registration_number = fields.String(
        required=True, validate=validate.Length(min=1, max=80),
        metadata={"description": "Registration number (报建编号), unique on the platform: 1–40 letters, digits, "
                                 "`-` or `/`, kept upper case without surrounding blanks."})
    address = Trimmed(required=True, validate=validate.Length(min=2, max=500),
                      metadata={"description": "Where the site is."})
    planned_start = fields.Date(required=True)
    planned_completion = fields.Date(required=True, metadata={"description": "Not before planned_start."})
    general_contractor_id = fields.String(
        load_default=None, validate=validate.Length(min=1, max=64),
        metadata={"description": "The general contractor's enterprise id: required from an operator or a service; "
                                 "a general contractor leaves it out or gives its own."})


class ProjectArgs(PageArgs):
    registration_number = fields.String(load_default=None, validate=validate.Length(min=1, max=80),
                                        metadata={"description": "Only the project with this registration number."})


class ProjectSchema(Schema):
    id = fields.String(metadata={"description": "The project's id (a UUID)."})
    seq = fields.Integer(metadata={"description": "Registration order on this service."})
    name = fields.String()
    registration_number = fields.String()
    address = fields.String()
    planned_start = fields.Date()
    planned_completion = fields.Date()
    general_contractor_id = fields.String()
    status = fields.String(metadata={"description": "`active`, or `completed` (everyone on it has exited, R24)."})
    registered_at = Instant()


ProjectPage = page_schema(ProjectSchema, "ProjectPage")


class PartyRef(Schema):
    """An enterprise named in an answer: its id and name."""

    enterprise_id = fields.String()
    name = fields.String(allow_none=True)


class ContractorRef(PartyRef):
    uscc = fields.String()


class ContractSchema(Schema):
    id = fields.String()
    project_id = fields.String()
    tier = fields.Integer(metadata={"description": "0: the project's own (its general contractor's site staff, "
                                                   "R13); 1: awarded by the general contractor; 2: beneath a "
                                                   "first-tier specialty subcontract."})
    kind = fields.String(metadata={"description": "general (tier 0), specialty or labour."})
    parent_id = fields.String(allow_none=True)
    awarded_by = fields.Nested(PartyRef)
    contractor = fields.Nested(ContractorRef)
    name = fields.String(allow_none=True)
    display_name = fields.String(metadata={"description": "Its name, or the project's name marked (R22)."})
    name_missing = fields.Boolean()
    status = fields.String(metadata={"description": "active or completed."})
    created_at = Instant()
    completed_at = Instant(allow_none=True)
