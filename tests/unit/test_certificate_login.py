"""R31: enterprises log in by signing a nonce with their corporate certificate; the gateway checks it all."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from realname_gateway.certs import CertificateRejected, Trust, load_trust, verify_login
from realname_gateway.certs.devca import CaPaths, init_ca, issue, load_ca, revoke, sign_certificate, sign_nonce

USCC = "91350100M000100Y43"
OTHER_USCC = "9131000013221158XC"
NONCE = b"login-nonce-3f2a9c"


@pytest.fixture
def ca(tmp_path: Path) -> CaPaths:
    return init_ca(tmp_path / "ca")


def trust_of(*cas: CaPaths) -> Trust:
    return load_trust(
        b"".join(c.certificate.read_bytes() for c in cas), b"".join(c.crl.read_bytes() for c in cas)
    )


def now() -> datetime:
    return datetime.now(UTC)


def rejection(certificate_pem: bytes, signature: bytes, trust: Trust, *, at: datetime | None = None) -> str:
    with pytest.raises(CertificateRejected) as caught:
        verify_login(certificate_pem, NONCE, signature, trust, now=at or now())
    assert caught.value.message
    return caught.value.reason


def pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def custom_leaf(ca: CaPaths, subject: x509.Name, key: ec.EllipticCurvePrivateKey | None = None) -> tuple[bytes, bytes]:
    """A certificate with any subject, issued by the dev CA; returns (cert PEM, signature over NONCE)."""
    ca_cert, ca_key = load_ca(ca)
    key = key or ec.generate_private_key(ec.SECP256R1())
    cert = sign_certificate(subject=subject, public_key=key.public_key(), issuer=ca_cert, issuer_key=ca_key,
                            ca=False, not_before=now() - timedelta(days=1), not_after=now() + timedelta(days=30))
    return pem(cert), key.sign(NONCE, ec.ECDSA(hashes.SHA256()))


def name(*attributes: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in attributes])


# --- logging in ---------------------------------------------------------------------------------------

def test_an_ec_enterprise_certificate_logs_in_as_its_enterprise_and_operator(ca: CaPaths) -> None:
    cert_pem, key_pem = issue(ca.directory, uscc=USCC, enterprise_name="福州市某建筑劳务有限公司", operator="张三")

    identity = verify_login(cert_pem, NONCE, sign_nonce(key_pem, NONCE), trust_of(ca), now=now())

    cert = x509.load_pem_x509_certificate(cert_pem)
    assert identity.uscc == USCC
    assert identity.enterprise_name == "福州市某建筑劳务有限公司"
    assert identity.operator == "张三"
    assert identity.fingerprint == hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    assert identity.serial == cert.serial_number
    assert identity.not_after == cert.not_valid_after_utc


def test_an_rsa_certificate_logs_in_with_pkcs1_v15_and_with_pss(ca: CaPaths) -> None:
    cert_pem, key_pem = issue(ca.directory, uscc=OTHER_USCC, enterprise_name="上海某总承包公司", operator="李四",
                              key_type="rsa")
    key = serialization.load_pem_private_key(key_pem, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    pss = key.sign(NONCE, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH),
                   hashes.SHA256())

    for signature in (sign_nonce(key_pem, NONCE), pss):
        identity = verify_login(cert_pem, NONCE, signature, trust_of(ca), now=now())
        assert (identity.uscc, identity.operator) == (OTHER_USCC, "李四")


def test_an_enterprise_holds_several_certificates_one_per_operator(ca: CaPaths) -> None:
    first = issue(ca.directory, uscc=USCC, enterprise_name="E", operator="张三")
    second = issue(ca.directory, uscc=USCC, enterprise_name="E", operator="王五")
    identities = [verify_login(c, NONCE, sign_nonce(k, NONCE), trust_of(ca), now=now()) for c, k in (first, second)]

    assert {i.uscc for i in identities} == {USCC}
    assert [i.operator for i in identities] == ["张三", "王五"]
    assert identities[0].fingerprint != identities[1].fingerprint


def test_a_chain_through_an_intermediate_ca_logs_in_when_the_client_sends_the_intermediate(ca: CaPaths) -> None:
    root_cert, root_key = load_ca(ca)
    intermediate_key = ec.generate_private_key(ec.SECP384R1())
    intermediate = sign_certificate(
        subject=name((NameOID.COMMON_NAME, "realname issuing CA 1")), public_key=intermediate_key.public_key(),
        issuer=root_cert, issuer_key=root_key, ca=True,
        not_before=now() - timedelta(days=1), not_after=now() + timedelta(days=365),
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = sign_certificate(
        subject=name((NameOID.ORGANIZATION_NAME, "E"), (NameOID.ORGANIZATION_IDENTIFIER, USCC),
                     (NameOID.COMMON_NAME, "张三")),
        public_key=leaf_key.public_key(), issuer=intermediate, issuer_key=intermediate_key, ca=False,
        not_before=now() - timedelta(days=1), not_after=now() + timedelta(days=30),
    )
    signature = leaf_key.sign(NONCE, ec.ECDSA(hashes.SHA256()))

    identity = verify_login(pem(leaf) + pem(intermediate), NONCE, signature, trust_of(ca), now=now())
    assert identity.uscc == USCC
    assert rejection(pem(leaf), signature, trust_of(ca)) == "certificate_untrusted"

    revoke(ca.directory, pem(intermediate))  # the root revokes the intermediate: its certificates fall with it
    assert rejection(pem(leaf) + pem(intermediate), signature, trust_of(ca)) == "certificate_revoked"


# --- refusals -----------------------------------------------------------------------------------------

def test_a_nonce_signed_by_another_key_is_refused(ca: CaPaths) -> None:
    cert_pem, _ = issue(ca.directory, uscc=USCC, enterprise_name="E", operator="张三")
    _, other_key = issue(ca.directory, uscc=USCC, enterprise_name="E", operator="王五")

    assert rejection(cert_pem, sign_nonce(other_key, NONCE), trust_of(ca)) == "signature_invalid"
    assert rejection(cert_pem, b"not a signature", trust_of(ca)) == "signature_invalid"


def test_a_signature_over_another_nonce_is_refused(ca: CaPaths) -> None:
    cert_pem, key_pem = issue(ca.directory, uscc=USCC, enterprise_name="E", operator="张三")

    assert rejection(cert_pem, sign_nonce(key_pem, b"an older nonce"), trust_of(ca)) == "signature_invalid"


def test_a_certificate_of_another_ca_is_untrusted(ca: CaPaths, tmp_path: Path) -> None:
    stranger = init_ca(tmp_path / "stranger", common_name="realname development CA")  # same name, other key
    cert_pem, key_pem = issue(stranger.directory, uscc=USCC, enterprise_name="E", operator="张三")

    assert rejection(cert_pem, sign_nonce(key_pem, NONCE), trust_of(ca)) == "certificate_untrusted"
    assert verify_login(cert_pem, NONCE, sign_nonce(key_pem, NONCE), trust_of(ca, stranger), now=now()).uscc == USCC


def test_a_ca_certificate_cannot_log_in(ca: CaPaths) -> None:
    ca_cert, ca_key = load_ca(ca)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)

    with pytest.raises(CertificateRejected) as caught:
        verify_login(pem(ca_cert), NONCE, ca_key.sign(NONCE, ec.ECDSA(hashes.SHA256())), trust_of(ca), now=now())
    assert caught.value.reason == "certificate_untrusted"
    assert caught.value.message.endswith("a CA certificate cannot log in")


def test_a_certificate_not_meant_for_client_authentication_is_untrusted(ca: CaPaths) -> None:
    ca_cert, ca_key = load_ca(ca)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name((NameOID.ORGANIZATION_IDENTIFIER, USCC)))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now() - timedelta(days=1))
        .not_valid_after(now() + timedelta(days=1))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    assert rejection(pem(cert), key.sign(NONCE, ec.ECDSA(hashes.SHA256())), trust_of(ca)) == "certificate_untrusted"


def test_expired_and_not_yet_valid_certificates_are_refused(ca: CaPaths) -> None:
    cert_pem, key_pem = issue(ca.directory, uscc=USCC, enterprise_name="E", operator="张三", days=30)
    signature = sign_nonce(key_pem, NONCE)

    assert rejection(cert_pem, signature, trust_of(ca), at=now() + timedelta(days=31)) == "certificate_expired"
    assert rejection(cert_pem, signature, trust_of(ca), at=now() - timedelta(days=1)) == "certificate_not_yet_valid"

    old_pem, old_key = issue(ca.directory, uscc=USCC, enterprise_name="E", operator="旧",
                             not_before=now() - timedelta(days=400), days=365)
    assert rejection(old_pem, sign_nonce(old_key, NONCE), trust_of(ca)) == "certificate_expired"


def test_a_revoked_certificate_is_refused_and_the_enterprises_other_certificates_still_log_in(ca: CaPaths) -> None:
    revoked_pem, revoked_key = issue(ca.directory, uscc=USCC, enterprise_name="E", operator="离职")
    kept_pem, kept_key = issue(ca.directory, uscc=USCC, enterprise_name="E", operator="在职")
    revoke(ca.directory, revoked_pem)

    assert rejection(revoked_pem, sign_nonce(revoked_key, NONCE), trust_of(ca)) == "certificate_revoked"
    assert verify_login(kept_pem, NONCE, sign_nonce(kept_key, NONCE), trust_of(ca), now=now()).operator == "在职"


def test_a_crl_not_signed_by_the_issuing_ca_is_ignored(ca: CaPaths) -> None:
    cert_pem, key_pem = issue(ca.directory, uscc=USCC, enterprise_name="E", operator="张三")
    forged = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(load_ca(ca)[0].subject)
        .last_update(now() - timedelta(hours=1))
        .next_update(now() + timedelta(days=1))
        .add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(x509.load_pem_x509_certificate(cert_pem).serial_number)
            .revocation_date(now() - timedelta(hours=1))
            .build()
        )
        .sign(ec.generate_private_key(ec.SECP256R1()), hashes.SHA256())
    )
    trust = load_trust(ca.certificate.read_bytes(), forged.public_bytes(serialization.Encoding.PEM))

    assert verify_login(cert_pem, NONCE, sign_nonce(key_pem, NONCE), trust, now=now()).uscc == USCC


def test_an_out_of_date_crl_refuses_logins_rather_than_guess(ca: CaPaths) -> None:
    cert_pem, key_pem = issue(ca.directory, uscc=USCC, enterprise_name="E", operator="张三", days=3 * 365)

    assert rejection(cert_pem, sign_nonce(key_pem, NONCE), trust_of(ca), at=now() + timedelta(days=400)) == (
        "certificate_untrusted"
    )
    no_crl = load_trust(ca.certificate.read_bytes(), None)
    assert verify_login(cert_pem, NONCE, sign_nonce(key_pem, NONCE), no_crl, now=now() + timedelta(days=400))


def test_the_credit_code_is_read_from_organization_identifier_then_serial_number_then_ou(ca: CaPaths) -> None:
    subjects = {
        "organizationIdentifier": name((NameOID.ORGANIZATION_IDENTIFIER, USCC)),
        "ETSI form": name((NameOID.ORGANIZATION_IDENTIFIER, f"NTRCN-{USCC}")),
        "serialNumber": name((NameOID.SERIAL_NUMBER, USCC.lower())),
        "OU": name((NameOID.ORGANIZATIONAL_UNIT_NAME, "施工部"), (NameOID.ORGANIZATIONAL_UNIT_NAME, USCC)),
        "first wins": name((NameOID.SERIAL_NUMBER, OTHER_USCC), (NameOID.ORGANIZATION_IDENTIFIER, USCC)),
    }
    for label, subject in subjects.items():
        cert_pem, signature = custom_leaf(ca, subject)
        assert verify_login(cert_pem, NONCE, signature, trust_of(ca), now=now()).uscc == USCC, label


def test_a_subject_without_a_credit_code_is_refused(ca: CaPaths) -> None:
    cert_pem, signature = custom_leaf(ca, name((NameOID.ORGANIZATION_NAME, "E"), (NameOID.COMMON_NAME, "张三"),
                                               (NameOID.ORGANIZATIONAL_UNIT_NAME, "91350100M000100Y44")))

    assert rejection(cert_pem, signature, trust_of(ca)) == "uscc_missing"


def test_a_credit_code_with_a_wrong_check_character_is_refused(ca: CaPaths) -> None:
    for oid in (NameOID.ORGANIZATION_IDENTIFIER, NameOID.SERIAL_NUMBER):
        cert_pem, signature = custom_leaf(ca, name((oid, "91350100M000100Y44"), (NameOID.COMMON_NAME, "张三")))
        assert rejection(cert_pem, signature, trust_of(ca)) == "uscc_invalid"


def test_garbage_is_a_malformed_certificate(ca: CaPaths) -> None:
    truncated = issue(ca.directory, uscc=USCC, enterprise_name="E", operator="张三")[0][:200] + b"\n-----END"
    for garbage in (b"", b"hello", truncated, b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"):
        assert rejection(garbage, b"sig", trust_of(ca)) == "certificate_malformed"


def test_a_key_other_than_rsa_or_ec_is_unsupported(ca: CaPaths) -> None:
    ca_cert, ca_key = load_ca(ca)
    key = ed25519.Ed25519PrivateKey.generate()
    cert = sign_certificate(subject=name((NameOID.ORGANIZATION_IDENTIFIER, USCC)), public_key=key.public_key(),
                            issuer=ca_cert, issuer_key=ca_key, ca=False,
                            not_before=now() - timedelta(days=1), not_after=now() + timedelta(days=1))

    assert rejection(pem(cert), key.sign(NONCE), trust_of(ca)) == "unsupported_key"


def test_a_bad_trust_bundle_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="CA bundle"):
        load_trust(b"", None)
    with pytest.raises(ValueError, match="revocation list"):
        load_trust(_any_ca_pem(), b"-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n")


def _any_ca_pem() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = name((NameOID.COMMON_NAME, "some CA"))
    return pem(sign_certificate(subject=subject, public_key=key.public_key(), issuer=None, issuer_key=key, ca=True,
                                not_before=now(), not_after=now() + timedelta(days=1)))
