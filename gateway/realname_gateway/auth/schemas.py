"""Marshmallow schemas of the login and account API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from realname_codes.roles import PROJECT_FUNCTIONS
from realname_kit.formats import Instant

_USERNAME = validate.Regexp(r"^[A-Za-z0-9._@-]{3,100}$", error="3–100 letters, digits or . _ @ -")
_PHONE = validate.Regexp(r"^1[3-9]\d{9}$", error="A mainland mobile number: 11 digits starting 13–19.")


class ChallengeOut(Schema):
    nonce = fields.String(metadata={"description": "Sign these characters (UTF-8) with the certificate's key."})
    expires_at = Instant()


class CertificateLoginIn(Schema):
    certificate = fields.String(required=True, validate=validate.Length(max=20000),
                                metadata={"description": "The enterprise certificate, PEM (chain after it)."})
    nonce = fields.String(required=True, validate=validate.Length(equal=64))
    signature = fields.String(required=True, validate=validate.Length(max=2000),
                              metadata={"description": "Base64 signature of the nonce (RSA or ECDSA, SHA-256)."})
    kind = fields.String(load_default=None, validate=validate.OneOf(["labour", "specialty", "general_contractor"]),
                         metadata={"description": "Only at the enterprise's first login: what it is."})


class PasswordLoginIn(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=120), metadata={
        "description": "Staff: `name@credit-code` of the enterprise (the account's `login`); regulators and "
                       "administrators: the name alone."})
    password = fields.String(required=True, validate=validate.Length(min=1, max=200), load_only=True)


class RefreshIn(Schema):
    refresh_token = fields.String(required=True, validate=validate.Length(min=10, max=200), load_only=True)


class TokensOut(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    refresh_token = fields.String()
    refresh_expires_in = fields.Integer()
    subject = fields.String()
    kind = fields.String()
    roles = fields.List(fields.String())
    enterprise_id = fields.String(allow_none=True)


class JwksOut(Schema):
    keys = fields.List(fields.Dict(), metadata={"description": "JSON Web Keys (RFC 7517) of the token signers."})


class CallerOut(Schema):
    subject = fields.String()
    kind = fields.String(allow_none=True)
    enterprise_id = fields.String(allow_none=True)
    roles = fields.List(fields.String())
    projects = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class AccountIn(Schema):
    username = fields.String(required=True, validate=_USERNAME)
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    password = fields.String(required=True, validate=validate.Length(max=200), load_only=True)
    phone = fields.String(load_default=None, validate=_PHONE)


class AccountOut(Schema):
    id = fields.String()
    username = fields.String()
    login = fields.String(metadata={"description": "What to log in with: `username@credit-code` for staff."})
    kind = fields.String()
    enterprise_id = fields.String(allow_none=True)
    display_name = fields.String()
    phone = fields.String(allow_none=True, metadata={"description": "Masked (R4) unless revealed."})
    disabled = fields.Boolean()
    created_at = Instant()


class AccountPage(Schema):
    items = fields.List(fields.Nested(AccountOut))


class RevealArgs(Schema):
    reveal = fields.String(load_default=None, validate=validate.OneOf(["phone"]))
    reason = fields.String(load_default=None, validate=validate.Length(min=2, max=500),
                           metadata={"description": "Why the full number is needed (kept in the audit log)."})


class AccountPatch(Schema):
    disabled = fields.Boolean(required=True)


class ManagerIn(Schema):
    # Exactly one of the two: the endpoint answers 422 `account_id_or_account` otherwise.
    account_id = fields.String(validate=validate.Length(max=36),
                               metadata={"description": "An existing staff account of yours. Not with `account`."})
    account = fields.Nested(AccountIn,
                            metadata={"description": "A new staff account of yours, made and appointed in one step "
                                                     "(the project account, 项目账号). Not with `account_id`."})


class ManagerOut(Schema):
    project_id = fields.String()
    enterprise_id = fields.String()
    account_id = fields.String()
    appointed_at = Instant()
    account = fields.Nested(AccountOut, metadata={"description": "The appointed account."})


class DelegationIn(Schema):
    account_id = fields.String(required=True, validate=validate.Length(max=36))
    functions = fields.List(fields.String(validate=validate.OneOf(sorted(PROJECT_FUNCTIONS))), required=True,
                            validate=validate.Length(min=1, max=len(PROJECT_FUNCTIONS)))


class DelegationOut(Schema):
    id = fields.String()
    project_id = fields.String()
    account_id = fields.String()
    function = fields.String()
    granted_by = fields.String()
    granted_at = Instant()


class DelegationPage(Schema):
    items = fields.List(fields.Nested(DelegationOut))
