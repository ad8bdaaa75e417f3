"""Marshmallow schemas of workers, teams, resignations and imports (they generate the OpenAPI document).

Shapes and lengths only: the domain checks (R5–R9, R34) run in ``rules`` so that every failure comes
back at once, each with a reason code and a message in English and Chinese.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, fields, validate

from realname_kit.formats import Instant, Money
from realname_kit.pagination import PageArgs, page_schema
from realname_registry.context import today
from realname_registry.rules.registration import check_registration

_TEXT = validate.Length(min=1, max=200)
_ID = validate.Length(min=1, max=36)


class IdentityIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    sex = fields.String(required=True, validate=validate.OneOf(["male", "female"]))
    ethnicity = fields.String(required=True, validate=validate.Length(equal=2),
                              metadata={"description": "GB 3304 code, 01–56, as card readers return it."})
    birth_date = fields.Date(required=True)
    address = fields.String(required=True, validate=_TEXT)
    id_number = fields.String(required=True, validate=validate.Length(min=1, max=30))
    issuing_authority = fields.String(required=True, validate=validate.Length(min=1, max=100))
    valid_from = fields.Date(required=True)
    valid_to = fields.Date(required=True, allow_none=True, metadata={"description": "null: long-term (长期)."})


class EmploymentIn(Schema):
    worker_type = fields.String(required=True, validate=validate.OneOf(["temporary", "long_term"]))
    contract_number = fields.String(required=True, validate=validate.Length(min=1, max=60))
    contract_start = fields.Date(required=True)
    contract_end = fields.Date(required=True)
    wage_type = fields.String(required=True, validate=validate.OneOf(["daily", "monthly_base_plus_performance"]))
    daily_wage = Money(load_default=None, allow_none=True)
    base_wage = Money(load_default=None, allow_none=True)
    probation_wage = Money(load_default=None, allow_none=True)
    performance_payouts_per_year = fields.Integer(load_default=None, allow_none=True,
                                                  validate=validate.Range(min=0, max=365))
    bank_code = fields.String(required=True, validate=validate.Length(min=1, max=10),
                              metadata={"description": "From GET /reference/banks; `other` with bank_name."})
    bank_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60))
    wage_card_number = fields.String(required=True, validate=validate.Length(min=1, max=40))
    trade_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(equal=3))
    team_id = fields.String(load_default=None, allow_none=True, validate=_ID)


class WorkerIn(Schema):
    card_read_id = fields.String(load_default=None, allow_none=True, validate=_ID,
                                 metadata={"description": "A verified card read: its fields fill identity in (R1)."})
    identity = fields.Nested(IdentityIn, load_default=None, allow_none=True,
                             metadata={"description": "Typed in by hand when there is no card read: unverified."})
    phone = fields.String(required=True, validate=validate.Length(min=1, max=30))
    category = fields.String(load_default="construction", validate=validate.OneOf(["construction", "site_staff"]))
    site_role = fields.String(load_default=None, allow_none=True,
                              validate=validate.OneOf(["security", "cleaning", "logistics", "other"]))
    employment = fields.Nested(EmploymentIn, required=True)

    invalid_reason = "worker_invalid"

    def findings_beside(self, valid: Mapping[str, Any]) -> list[dict[str, str]]:
        """The domain's checks on what did parse, so that the clerk fixes the form in one round (the identity's
        only when typed in: a card read's are its own)."""
        return [f.to_dict() for f in check_registration(valid, today())
                if valid.get("identity") or not f.field.startswith("identity")]


class IdentityPatch(IdentityIn):
    """IdentityIn's fields, each optional (loaded with ``partial=True``)."""


class EmploymentPatch(EmploymentIn):
    """EmploymentIn's fields, each optional (loaded with ``partial=True``)."""


class WorkerPatch(Schema):
    """Only the fields given change; the rest stay as they are."""

    identity = fields.Nested(IdentityPatch(partial=True))
    phone = fields.String(validate=validate.Length(min=1, max=30))
    employment = fields.Nested(EmploymentPatch(partial=True))

    invalid_reason = "worker_invalid"

    def findings_beside(self, valid: Mapping[str, Any]) -> list[dict[str, str]]:
        """The domain's checks on the fields given that did parse (the stored ones are checked with the edit)."""
        given = {f"{section}.{name}" for section in ("identity", "employment") for name in valid.get(section) or {}}
        given |= {"phone"} & set(valid)
        return [f.to_dict() for f in check_registration(valid, today()) if f.field in given]


class FindingSchema(Schema):
    field = fields.String()
    reason = fields.String()
    message = fields.String()
    message_zh = fields.String()
    severity = fields.String()


class EmploymentOut(Schema):
    id = fields.String()
    employer_id = fields.String()
    status = fields.String()
    worker_type = fields.String()
    contract_number = fields.String()
    contract_start = fields.Date()
    contract_end = fields.Date()
    wage_type = fields.String()
    daily_wage = Money(allow_none=True)
    base_wage = Money(allow_none=True)
    probation_wage = Money(allow_none=True)
    performance_payouts_per_year = fields.Integer(allow_none=True)
    bank_code = fields.String()
    bank_name = fields.String(allow_none=True)
    wage_card_number = fields.String(metadata={"description": "Masked: the last four digits (R4)."})
    wage_card_flagged = fields.Boolean(metadata={"description": "The number fails the Luhn check (R8)."})
    trade_code = fields.String(allow_none=True)
    trade_name = fields.String(allow_none=True)
    team_id = fields.String(allow_none=True)
    team_name = fields.String(allow_none=True)
    project_id = fields.String(allow_none=True)
    started_at = Instant()
    ended_on = fields.Date(allow_none=True)
    end_reason = fields.String(allow_none=True)
    end_cause = fields.String(allow_none=True, metadata={"description": "resignation or death (R24)."})
    evidence_id = fields.String(allow_none=True)


class WorkerOut(Schema):
    id = fields.String()
    name = fields.String()
    sex = fields.String()
    ethnicity = fields.String()
    birth_date = fields.Date()
    address = fields.String()
    id_number = fields.String(metadata={"description": "Masked: region and last four (R4), unless revealed."})
    phone = fields.String(metadata={"description": "Masked (R4), unless revealed."})
    wage_card_number = fields.String(metadata={"description": "Only when revealed (?reveal=wage_card_number)."})
    issuing_authority = fields.String()
    card_valid_from = fields.Date()
    card_valid_to = fields.Date(allow_none=True)
    identity_status = fields.String(metadata={"description": "verified, unverified (typed in) or rejected."})
    identity_reason = fields.String(allow_none=True)
    category = fields.String()
    site_role = fields.String(allow_none=True)
    deceased_on = fields.Date(allow_none=True, metadata={"description": "The day the worker died, once recorded "
                                                                        "(R24)."})
    version = fields.Integer(metadata={"description": "Also the ETag; send it as If-Match to edit."})
    created_at = Instant()
    updated_at = Instant()
    employment = fields.Nested(EmploymentOut, allow_none=True)
    warnings = fields.List(fields.Nested(FindingSchema))
    team_needs_leader = fields.Dict(allow_none=True)


WorkerPage = page_schema(WorkerOut, "WorkerPage")


class WorkerSearchArgs(PageArgs):
    name = fields.String(load_default=None, validate=validate.Length(min=1, max=50),
                         metadata={"description": "Fuzzy; one or two characters find names containing them."})
    id_number = fields.String(load_default=None, validate=validate.Length(min=4, max=30),
                              metadata={"description": "The whole number, or its last four characters."})
    phone = fields.String(load_default=None, validate=validate.Length(min=4, max=30),
                          metadata={"description": "The whole number, or its last four digits."})
    trade_code = fields.String(load_default=None, validate=validate.Length(equal=3))
    team_id = fields.String(load_default=None, validate=_ID)
    project_id = fields.String(load_default=None, validate=_ID)
    status = fields.String(load_default="active", validate=validate.OneOf(["active", "ended", "all"]))
    identity_status = fields.String(load_default=None,
                                    validate=validate.OneOf(["verified", "unverified", "rejected"]))
    category = fields.String(load_default=None,
                             validate=validate.OneOf(["construction", "site_staff", "management"]))


class RevealArgs(Schema):
    reveal = fields.String(load_default=None, validate=validate.OneOf(["id_number", "phone", "wage_card_number"]))
    reason = fields.String(load_default=None, validate=validate.Length(min=2, max=500),
                           metadata={"description": "Why the full number is needed (kept in the audit log)."})


class HistoryArgs(PageArgs):
    since = Instant(load_default=None, metadata={"description": "From this instant (inclusive)."})
    until = Instant(load_default=None, metadata={"description": "Before this instant."})


class HistoryOut(Schema):
    at = Instant()
    action = fields.String()
    actor = fields.String()
    actor_enterprise_id = fields.String(allow_none=True)
    employment_id = fields.String(allow_none=True)
    employer_id = fields.String(allow_none=True)
    changes = fields.Dict(metadata={"description": "field → [before, after]; personal numbers masked."})


HistoryPage = page_schema(HistoryOut, "HistoryPage")


class ResignationIn(Schema):
    date = fields.Date(required=True, metadata={"description": "Today, or earlier with reason and evidence (R25)."})
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    evidence_id = fields.String(load_default=None, allow_none=True, validate=_ID)


class DeathIn(Schema):
    died_on = fields.Date(required=True, metadata={"description": "Today, or earlier with an evidence file."})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    evidence_id = fields.String(load_default=None, allow_none=True, validate=_ID,
                                metadata={"description": "From POST /evidence: the death certificate."})


class BatchResignationItem(ResignationIn):
    worker_id = fields.String(required=True, validate=_ID)


class BatchResignationIn(Schema):
    items = fields.List(fields.Nested(BatchResignationItem), required=True,
                        validate=validate.Length(min=1, max=1000))


class BatchResignationResult(Schema):
    worker_id = fields.String()
    outcome = fields.String(metadata={"description": "resigned, or refused (then reason and detail)."})
    reason = fields.String(allow_none=True)
    detail = fields.String(allow_none=True)
    ended_on = fields.Date(allow_none=True)
    team_needs_leader = fields.Dict(allow_none=True)


class BatchResignationOut(Schema):
    resigned = fields.Integer()
    refused = fields.Integer()
    results = fields.List(fields.Nested(BatchResignationResult))


class DefaultsOut(Schema):
    from_registration = Instant(allow_none=True)
    employment = fields.Nested(EmploymentPatch(partial=True))

    invalid_reason = "worker_invalid"

    def findings_beside(self, valid: Mapping[str, Any]) -> list[dict[str, str]]:
        """The domain's checks on the fields given that did parse (the stored ones are checked with the edit)."""
        given = {f"{section}.{name}" for section in ("identity", "employment") for name in valid.get(section) or {}}
        given |= {"phone"} & set(valid)
        return [f.to_dict() for f in check_registration(valid, today()) if f.field in given]


class TeamIn(Schema):
    project_id = fields.String(required=True, validate=_ID)
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))


class TeamOut(Schema):
    id = fields.String()
    employer_id = fields.String()
    project_id = fields.String()
    name = fields.String()
    leader_worker_id = fields.String(allow_none=True)
    leader_name = fields.String(allow_none=True)
    needs_leader = fields.Boolean(metadata={"description": "True until a leader is named, and after one resigns."})
    members = fields.Integer()
    created_at = Instant()
    version = fields.Integer()


TeamPage = page_schema(TeamOut, "TeamPage")


class TeamArgs(PageArgs):
    project_id = fields.String(load_default=None, validate=_ID)


class LeaderIn(Schema):
    worker_id = fields.String(required=True, validate=_ID)


class EvidenceOut(Schema):
    id = fields.String()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_at = Instant()


class CodeOut(Schema):
    code = fields.String()
    name = fields.String()
    high_risk = fields.Boolean(metadata={"description": "Trades only: the stricter age limit applies (R34)."})
