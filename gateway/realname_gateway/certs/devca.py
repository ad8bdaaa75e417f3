"""A development certification authority: enterprise certificates to log in with, without the Shanghai CA.

Files in its directory (``<data dir>/dev-ca`` by default, what ``REALNAME_CA_BUNDLE_FILE`` and
``REALNAME_CRL_FILE`` point at when empty):

- ``ca.pem`` the root certificate (ECDSA P-256, 10 years), ``ca-key.pem`` its key (mode 0600);
- ``crl.pem`` its certificate revocation list, rewritten by :func:`revoke` (valid a year; :func:`refresh_crl`
  re-signs it);
- ``<uscc>-<operator>.pem`` and ``<uscc>-<operator>-key.pem`` (0600) for each certificate issued.

Certificates follow the profile :mod:`realname_gateway.certs.verify` requires (see there): CAs with critical
``basicConstraints cA=TRUE``, ``keyUsage keyCertSign cRLSign``, subject and authority key identifiers;
enterprise certificates with ``cA=FALSE``, ``keyUsage digitalSignature nonRepudiation``, ``extendedKeyUsage
clientAuth`` and the subject ``C=CN, O=<enterprise>, organizationIdentifier=<uscc>, CN=<operator>``.
Keys are written unencrypted: this CA is for development and tests only.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from realname_codes.uscc import normalise_uscc, uscc_problem
from realname_gateway.certs.verify import challenge_message

CA_YEARS = 10
CRL_DAYS = 365
SigningKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


@dataclass(frozen=True)
class CaPaths:
    directory: Path
    certificate: Path
    key: Path
    crl: Path

    @classmethod
    def of(cls, directory: Path | str) -> CaPaths:
        d = Path(directory)
        return cls(directory=d, certificate=d / "ca.pem", key=d / "ca-key.pem", crl=d / "crl.pem")


def init_ca(directory: Path | str, *, common_name: str = "realname development CA") -> CaPaths:
    """Create the root CA and an empty CRL in ``directory``. FileExistsError if a CA is already there."""
    paths = CaPaths.of(directory)
    if paths.certificate.exists() or paths.key.exists():
        raise FileExistsError(f"a development CA already exists in {paths.directory}")
    paths.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "realname development"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])
    now = datetime.now(UTC)
    certificate = sign_certificate(
        subject=name, public_key=key.public_key(), issuer=None, issuer_key=key, ca=True,
        not_before=now - timedelta(minutes=5), not_after=now + timedelta(days=365 * CA_YEARS),
    )
    _write_private(paths.key, _key_pem(key))
    _write_private(paths.certificate, certificate.public_bytes(serialization.Encoding.PEM))
    _write_crl(paths, certificate, key, [])
    return paths


def issue(
    directory: Path | str,
    *,
    uscc: str,
    enterprise_name: str,
    operator: str,
    key_type: Literal["ec", "rsa"] = "ec",
    days: int = 365,
    not_before: datetime | None = None,
) -> tuple[bytes, bytes]:
    """Issue an enterprise certificate; write and return ``(certificate PEM, private key PEM)``."""
    code = normalise_uscc(uscc)
    problem = uscc_problem(code)
    if problem:
        raise ValueError(f"not a valid unified social credit code: {problem}")
    paths = CaPaths.of(directory)
    ca_certificate, ca_key = load_ca(paths)
    key: SigningKey
    if key_type == "ec":
        key = ec.generate_private_key(ec.SECP256R1())
    elif key_type == "rsa":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        raise ValueError(f"key_type must be 'ec' or 'rsa', not {key_type!r}")
    start = not_before or datetime.now(UTC) - timedelta(minutes=5)
    certificate = sign_certificate(
        subject=enterprise_subject(code, enterprise_name, operator), public_key=key.public_key(),
        issuer=ca_certificate, issuer_key=ca_key, ca=False, not_before=start, not_after=start + timedelta(days=days),
    )
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM)
    key_pem = _key_pem(key)
    stem = certificate_stem(code, operator)
    _write_private(paths.directory / f"{stem}-key.pem", key_pem)
    _write_private(paths.directory / f"{stem}.pem", cert_pem)
    return cert_pem, key_pem


def revoke(directory: Path | str, cert_pem: bytes) -> x509.CertificateRevocationList:
    """Add the (first) certificate of ``cert_pem`` to the CRL and re-sign ``crl.pem``."""
    paths = CaPaths.of(directory)
    ca_certificate, ca_key = load_ca(paths)
    certificate = x509.load_pem_x509_certificate(cert_pem)
    if certificate.issuer != ca_certificate.subject:
        raise ValueError("this certificate was not issued by the development CA")
    entries = _revoked_entries(paths)
    if certificate.serial_number not in {e.serial_number for e in entries}:
        entries.append(
            x509.RevokedCertificateBuilder()
            .serial_number(certificate.serial_number)
            .revocation_date(datetime.now(UTC))
            .build()
        )
    return _write_crl(paths, ca_certificate, ca_key, entries)


def refresh_crl(directory: Path | str) -> x509.CertificateRevocationList:
    """Re-sign ``crl.pem`` with the same entries and a new validity (a CRL out of date refuses logins)."""
    paths = CaPaths.of(directory)
    ca_certificate, ca_key = load_ca(paths)
    return _write_crl(paths, ca_certificate, ca_key, _revoked_entries(paths))


def certificate_stem(uscc: str, operator: str) -> str:
    """``<uscc>-<operator>``, the file name (without ``.pem``) of an issued certificate."""
    return f"{normalise_uscc(uscc)}-{_file_safe(operator)}"


def sign_challenge(key_pem: bytes, nonce: str) -> bytes:
    """What a client does to log in: sign the challenge's nonce as the gateway verifies it (R31)."""
    return sign_nonce(key_pem, challenge_message(nonce))


def sign_nonce(key_pem: bytes, nonce: bytes) -> bytes:
    """Sign ``nonce`` as it is (ECDSA or RSA PKCS#1 v1.5, SHA-256); a login signs :func:`challenge_message`."""
    key = serialization.load_pem_private_key(key_pem, password=None)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(nonce, ec.ECDSA(hashes.SHA256()))
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(nonce, padding.PKCS1v15(), hashes.SHA256())
    raise ValueError(f"cannot sign with a {type(key).__name__}: use an EC or RSA key")


def load_ca(paths: CaPaths) -> tuple[x509.Certificate, SigningKey]:
    if not paths.certificate.exists():
        raise FileNotFoundError(f"no development CA in {paths.directory}: run `realname dev-ca init` first")
    certificate = x509.load_pem_x509_certificate(paths.certificate.read_bytes())
    key = serialization.load_pem_private_key(paths.key.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ValueError(f"{paths.key} holds neither an EC nor an RSA key")
    return certificate, key


def enterprise_subject(uscc: str, enterprise_name: str, operator: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, enterprise_name),
        x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, uscc),
        x509.NameAttribute(NameOID.COMMON_NAME, operator),
    ])


def sign_certificate(
    *,
    subject: x509.Name,
    public_key: CertificatePublicKeyTypes,
    issuer: x509.Certificate | None,
    issuer_key: SigningKey,
    ca: bool,
    not_before: datetime,
    not_after: datetime,
) -> x509.Certificate:
    """One certificate of the profile above; ``issuer=None`` makes it self-signed (a root)."""
    issuer_public = issuer_key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject if issuer else subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public), critical=False)
    )
    if ca:
        builder = builder.add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
    else:
        builder = builder.add_extension(
            _key_usage(digital_signature=True, content_commitment=True), critical=True
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _key_usage(**allowed: bool) -> x509.KeyUsage:
    usages = dict.fromkeys(
        ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement",
         "key_cert_sign", "crl_sign", "encipher_only", "decipher_only"),
        False,
    )
    usages.update(allowed)
    return x509.KeyUsage(**usages)


def _revoked_entries(paths: CaPaths) -> list[x509.RevokedCertificate]:
    if not paths.crl.exists():
        return []
    return list(x509.load_pem_x509_crl(paths.crl.read_bytes()))


def _next_crl_number(paths: CaPaths) -> int:
    if not paths.crl.exists():
        return 1
    crl = x509.load_pem_x509_crl(paths.crl.read_bytes())
    try:
        return crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number + 1
    except x509.ExtensionNotFound:
        return 1


def _write_crl(
    paths: CaPaths, ca_certificate: x509.Certificate, ca_key: SigningKey, entries: list[x509.RevokedCertificate]
) -> x509.CertificateRevocationList:
    now = datetime.now(UTC)
    number = _next_crl_number(paths)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_certificate.subject)
        .last_update(now - timedelta(minutes=5))
        .next_update(now + timedelta(days=CRL_DAYS))
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .add_extension(x509.CRLNumber(number), critical=False)
    )
    for entry in entries:
        builder = builder.add_revoked_certificate(entry)
    crl = builder.sign(ca_key, hashes.SHA256())
    _write_private(paths.crl, crl.public_bytes(serialization.Encoding.PEM))
    return crl


def _key_pem(key: SigningKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write_private(path: Path, data: bytes) -> None:
    """Keys, certificates and CRLs alike 0600, whatever the umask of the process writing them."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # also when the file was already there
    with os.fdopen(fd, "wb") as file:
        file.write(data)


def _file_safe(text: str) -> str:
    """``text`` usable in a file name: letters (any script), digits, ``.``, ``_`` and ``-``; others become ``_``."""
    return re.sub(r"[^\w.-]", "_", text).strip(".") or "operator"
