"""Enterprise certificate login (R31): check a signed nonce, the certificate chain, and read the credit code.

The gateway hands out a one-time nonce (keeping it single-use is the caller's job); the client signs it with
the private key of its corporate certificate (法人一证通) and sends the certificate (PEM, optionally followed
by intermediate CA certificates) and the signature. :func:`verify_login` checks, in this order:

1. the certificate parses (``certificate_malformed``) and its key is RSA or EC (``unsupported_key``);
2. the signature over the nonce's text (:func:`challenge_message`): RSA PKCS#1 v1.5 or PSS with SHA-256, or
   ECDSA with SHA-256
   (``signature_invalid``) — proof of possession first, so certificate status is only told to the key holder;
3. the leaf's validity dates at ``now`` (``certificate_expired``, ``certificate_not_yet_valid``);
4. the chain up to a CA of the bundle (``certificate_untrusted``), built by ``cryptography.x509.verification``
   (``build_client_verifier``) at ``now``;
5. revocation of the leaf and of each intermediate by the CRLs signed by its issuer (``certificate_revoked``);
6. the unified social credit code in the subject (``uscc_missing``, ``uscc_invalid``).

What the chain builder requires (and so what a CA, the dev CA included, must put in):

- every certificate X.509 v3, serial numbers positive and at most 20 bytes, signatures RSA (PKCS#1 v1.5 or
  PSS) or ECDSA with SHA-256/384/512 — no SHA-1, no SM2/SM3 (``cryptography`` cannot verify SM2), RSA keys
  of at least 2048 bits, EC keys on P-256/P-384/P-521;
- CA certificates (bundle and intermediates), CA/Browser-Forum profile: ``basicConstraints`` critical with
  ``cA=TRUE``, ``keyUsage`` with ``keyCertSign``, ``subjectKeyIdentifier``, and ``authorityKeyIdentifier``
  on every CA that is not self-signed;
- the enterprise (leaf) certificate, a relaxed profile of our own (enterprise certificates are not web
  server certificates: no ``subjectAltName`` needed): ``basicConstraints``, if present, must say
  ``cA=FALSE``; ``keyUsage``, if present, must allow ``digitalSignature``; ``extendedKeyUsage``, if present,
  must contain ``clientAuth`` (or ``anyExtendedKeyUsage``); any other extension is accepted.

Revocation: for each certificate of the chain below the root, the configured CRLs issued by its issuer's
name and signed by its issuer's key are consulted. A current one (``thisUpdate <= now <= nextUpdate``)
decides; when there are only expired ones, the login is refused (``certificate_untrusted``: revocation
cannot be checked); when the issuer has no CRL at all, the certificate is taken as not revoked.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.verification import Criticality, ExtensionPolicy, Policy, PolicyBuilder, Store

from realname_codes.uscc import normalise_uscc, uscc_problem

REASONS = (
    "certificate_malformed",
    "certificate_untrusted",
    "certificate_expired",
    "certificate_not_yet_valid",
    "certificate_revoked",
    "signature_invalid",
    "unsupported_key",
    "uscc_missing",
    "uscc_invalid",
)
# What the enterprise's clerk does about each (R31).
REASONS_ZH = {
    "certificate_malformed": "证书无法读取：请确认使用的是本单位的数字证书（PEM 格式的 X.509 证书）。",
    "certificate_untrusted": "证书不是平台认可的机构签发的：请使用认可机构签发的单位数字证书。",
    "certificate_expired": "证书已过期：请向发证机构办理证书更新后再登录。",
    "certificate_not_yet_valid": "证书尚未生效：请核对电脑时间，或等证书生效后再登录。",
    "certificate_revoked": "证书已被吊销：请向发证机构重新办理证书。",
    "signature_invalid": "签名验证不通过：请重新获取登录挑战码（nonce），并用与证书对应的私钥签名。",
    "unsupported_key": "证书的密钥类型不支持：请使用 RSA 或 ECDSA 密钥的证书。",
    "uscc_missing": "证书中没有统一社会信用代码：请向发证机构办理含统一社会信用代码的单位证书。",
    "uscc_invalid": "证书中的统一社会信用代码不正确：请向发证机构核实证书信息。",
}

# ETSI EN 319 412-1 writes organizationIdentifier as "NTR" + country + "-" + registration number.
_ETSI_PREFIX = "NTRCN-"
_VALIDATOR_REFUSAL = re.compile(r"validator failed: ValueError: (.+?) \(encountered")
_CRL_BLOCK = re.compile(rb"-----BEGIN X509 CRL-----.+?-----END X509 CRL-----", re.DOTALL)


@dataclass(frozen=True)
class CertificateIdentity:
    uscc: str
    enterprise_name: str
    operator: str
    fingerprint: str  # SHA-256 of the DER certificate, lower-case hex
    serial: int
    not_after: datetime


class CertificateRejected(Exception):
    """A login refused: ``reason`` is a stable code (one of ``REASONS``), ``message`` is for a person."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message
        self.message_zh = REASONS_ZH[reason]


@dataclass(frozen=True)
class Trust:
    """The CAs whose enterprise certificates may log in, and their revocation lists."""

    anchors: tuple[x509.Certificate, ...]
    crls: tuple[x509.CertificateRevocationList, ...]
    store: Store


def load_trust(ca_bundle_pem: bytes, crl_pems: bytes | None) -> Trust:
    """Parse the CA bundle and the CRLs (any number of PEM blocks each). Raises ValueError on a bad file."""
    try:
        anchors = x509.load_pem_x509_certificates(ca_bundle_pem)
    except ValueError as e:
        raise ValueError(f"the CA bundle holds no readable PEM certificate: {e}") from e
    crls = []
    for block in _CRL_BLOCK.findall(crl_pems or b""):
        try:
            crls.append(x509.load_pem_x509_crl(block))
        except ValueError as e:
            raise ValueError(f"unreadable certificate revocation list: {e}") from e
    return Trust(anchors=tuple(anchors), crls=tuple(crls), store=Store(anchors))


def verify_login(
    certificate_pem: bytes, nonce: bytes, signature: bytes, trust: Trust, *, now: datetime
) -> CertificateIdentity:
    """The identity of the enterprise whose certificate signed ``nonce``; CertificateRejected otherwise."""
    now = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    leaf, _ = _parse(certificate_pem)
    _check_signature(leaf, nonce, signature)
    return verify_standing(certificate_pem, trust, now=now)


def verify_standing(certificate_pem: bytes, trust: Trust, *, now: datetime) -> CertificateIdentity:
    """Steps 1 and 3-6 without a signature: a certificate that logged in, checked again at each refresh (R31)."""
    now = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    leaf, intermediates = _parse(certificate_pem)
    _check_dates(leaf, now)
    chain = _build_chain(leaf, intermediates, trust, now)
    _check_revocation(chain, trust.crls, now)
    return _identity(leaf)


def revoked_serials(trust: Trust) -> set[str]:
    """Every serial number the revocation lists name (whoever their issuer): where to look for revoked logins."""
    return {str(entry.serial_number) for crl in trust.crls for entry in crl}


def challenge_message(nonce: str) -> bytes:
    """What a client signs to log in: the nonce exactly as ``POST /auth/challenge`` answered it, as UTF-8 text.

    Not the bytes its hex digits stand for: to a client the nonce is text, and signing it as received leaves
    no decoding step to get wrong. The login and the client's side (``devca.sign_challenge``) both use this.
    """
    return nonce.encode("utf-8")


def _parse(certificate_pem: bytes) -> tuple[x509.Certificate, list[x509.Certificate]]:
    try:
        certificates = x509.load_pem_x509_certificates(certificate_pem)
        for certificate in certificates:  # some parts are parsed only when read
            _ = certificate.subject, certificate.issuer, certificate.extensions, certificate.public_key()
    except (ValueError, TypeError) as e:
        raise CertificateRejected("certificate_malformed", f"the certificate cannot be read as PEM X.509: {e}") from e
    return certificates[0], certificates[1:]


def _check_signature(leaf: x509.Certificate, nonce: bytes, signature: bytes) -> None:
    key = leaf.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        schemes: Sequence[padding.AsymmetricPadding] = (
            padding.PKCS1v15(),
            padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO),
        )
        for scheme in schemes:
            try:
                key.verify(signature, nonce, scheme, hashes.SHA256())
            except InvalidSignature:
                continue
            return
    elif isinstance(key, ec.EllipticCurvePublicKey):
        try:
            key.verify(signature, nonce, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            pass
        else:
            return
    else:
        kind = type(key).__name__.removesuffix("PublicKey")
        raise CertificateRejected("unsupported_key", f"certificates with {kind} keys cannot log in: use RSA or EC")
    raise CertificateRejected(
        "signature_invalid", "the signature does not match this certificate's key and the login challenge"
    )


def _check_dates(leaf: x509.Certificate, now: datetime) -> None:
    if now > leaf.not_valid_after_utc:
        raise CertificateRejected(
            "certificate_expired", f"the certificate expired on {leaf.not_valid_after_utc.isoformat()}"
        )
    if now < leaf.not_valid_before_utc:
        raise CertificateRejected(
            "certificate_not_yet_valid", f"the certificate is valid from {leaf.not_valid_before_utc.isoformat()}"
        )


def _build_chain(
    leaf: x509.Certificate, intermediates: list[x509.Certificate], trust: Trust, now: datetime
) -> list[x509.Certificate]:
    verifier = (
        PolicyBuilder()
        .store(trust.store)
        .time(now)
        .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=_enterprise_policy())
        .build_client_verifier()
    )
    try:
        return verifier.verify(leaf, intermediates).chain
    except (x509.verification.VerificationError, x509.UnsupportedGeneralNameType) as e:
        # The verifier's own text stays on __cause__ for the logs; a person gets our validators' words at most.
        refused = _VALIDATOR_REFUSAL.search(str(e))
        why = f": {refused.group(1)}" if refused else ""
        raise CertificateRejected(
            "certificate_untrusted", f"the certificate does not chain up to a trusted certification authority{why}"
        ) from e


def _enterprise_policy() -> ExtensionPolicy:
    return (
        ExtensionPolicy.permit_all()
        .may_be_present(x509.BasicConstraints, Criticality.AGNOSTIC, _not_a_ca)
        .may_be_present(x509.KeyUsage, Criticality.AGNOSTIC, _may_sign)
        .may_be_present(x509.ExtendedKeyUsage, Criticality.AGNOSTIC, _for_client_auth)
    )


def _not_a_ca(_policy: Policy, _cert: x509.Certificate, value: x509.BasicConstraints | None) -> None:
    if value is not None and value.ca:
        raise ValueError("a CA certificate cannot log in")


def _may_sign(_policy: Policy, _cert: x509.Certificate, value: x509.KeyUsage | None) -> None:
    if value is not None and not value.digital_signature:
        raise ValueError("the key usage does not allow digital signatures")


def _for_client_auth(_policy: Policy, _cert: x509.Certificate, value: x509.ExtendedKeyUsage | None) -> None:
    allowed = {ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE}
    if value is not None and not allowed & set(value):
        raise ValueError("the extended key usage does not allow client authentication")


def _check_revocation(
    chain: list[x509.Certificate], crls: Sequence[x509.CertificateRevocationList], now: datetime
) -> None:
    for certificate, issuer in itertools.pairwise(chain):
        own = [crl for crl in crls if crl.issuer == issuer.subject and _signed_by(crl, issuer)]
        if not own:
            continue
        current = [crl for crl in own if crl.last_update_utc <= now and (crl.next_update_utc or now) >= now]
        if not current:
            raise CertificateRejected(
                "certificate_untrusted",
                f"the revocation list of {issuer.subject.rfc4514_string()} is out of date: cannot check revocation",
            )
        for crl in current:
            revoked = crl.get_revoked_certificate_by_serial_number(certificate.serial_number)
            if revoked is not None:
                whose = "the certificate" if certificate is chain[0] else "a CA certificate of its chain"
                raise CertificateRejected(
                    "certificate_revoked", f"{whose} was revoked on {revoked.revocation_date_utc.isoformat()}"
                )


def _signed_by(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
    key = issuer.public_key()
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        return False
    return crl.is_signature_valid(key)


def _identity(leaf: x509.Certificate) -> CertificateIdentity:
    uscc = _uscc(leaf.subject)
    return CertificateIdentity(
        uscc=uscc,
        enterprise_name=_first(leaf.subject, NameOID.ORGANIZATION_NAME) or "",
        operator=_first(leaf.subject, NameOID.COMMON_NAME) or "",
        fingerprint=leaf.fingerprint(hashes.SHA256()).hex(),
        serial=leaf.serial_number,
        not_after=leaf.not_valid_after_utc,
    )


def _uscc(subject: x509.Name) -> str:
    """organizationIdentifier, else serialNumber, else the first OU that is a valid code."""
    for oid in (NameOID.ORGANIZATION_IDENTIFIER, NameOID.SERIAL_NUMBER):
        raw = _first(subject, oid)
        if raw is not None:
            code = normalise_uscc(raw)
            if oid == NameOID.ORGANIZATION_IDENTIFIER and code.startswith(_ETSI_PREFIX):
                code = code.removeprefix(_ETSI_PREFIX)
            problem = uscc_problem(code)
            if problem:
                raise CertificateRejected(
                    "uscc_invalid", f"the certificate's unified social credit code {code!r} is not valid: {problem}"
                )
            return code
    for attribute in subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME):
        code = normalise_uscc(_text(attribute.value))
        if uscc_problem(code) is None:
            return code
    raise CertificateRejected(
        "uscc_missing", "the certificate's subject carries no unified social credit code: it is not an enterprise one"
    )


def _first(subject: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    attributes = subject.get_attributes_for_oid(oid)
    return _text(attributes[0].value) if attributes else None


def _text(value: str | bytes) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
