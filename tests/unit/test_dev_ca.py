"""The development CA: the files it writes, revocation, and the CLI a developer uses to log in by hand."""

from __future__ import annotations

import base64
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from realname_gateway.certs import CertificateRejected, load_trust, verify_login
from realname_gateway.certs.cli import main
from realname_gateway.certs.devca import CaPaths, init_ca, issue, refresh_crl, revoke, sign_challenge, sign_nonce
from realname_gateway.certs.verify import challenge_message

USCC = "91350100M000100Y43"
OTHER_USCC = "9131000013221158XC"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def crl_of(paths: CaPaths) -> x509.CertificateRevocationList:
    return x509.load_pem_x509_crl(paths.crl.read_bytes())


def test_init_writes_a_ten_year_p256_root_its_private_key_and_an_empty_crl(tmp_path: Path) -> None:
    paths = init_ca(tmp_path / "dev-ca")

    assert paths == CaPaths.of(tmp_path / "dev-ca")
    ca = x509.load_pem_x509_certificate(paths.certificate.read_bytes())
    key = ca.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    assert key.curve.name == "secp256r1"
    assert ca.subject == ca.issuer
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert ca.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    lifetime = ca.not_valid_after_utc - ca.not_valid_before_utc
    assert timedelta(days=3650) <= lifetime <= timedelta(days=3652)
    assert mode(paths.key) == 0o600
    crl = crl_of(paths)
    assert len(crl) == 0
    assert crl.issuer == ca.subject
    assert crl.is_signature_valid(key)


def test_init_refuses_to_overwrite_an_existing_ca(tmp_path: Path) -> None:
    init_ca(tmp_path)
    with pytest.raises(FileExistsError):
        init_ca(tmp_path)


def test_issue_writes_the_certificate_and_a_private_key_named_after_code_and_operator(tmp_path: Path) -> None:
    paths = init_ca(tmp_path)
    cert_pem, key_pem = issue(tmp_path, uscc=USCC, enterprise_name="某建筑劳务有限公司", operator="张三")

    assert (tmp_path / f"{USCC}-张三.pem").read_bytes() == cert_pem
    assert (tmp_path / f"{USCC}-张三-key.pem").read_bytes() == key_pem
    assert mode(tmp_path / f"{USCC}-张三-key.pem") == 0o600
    cert = x509.load_pem_x509_certificate(cert_pem)
    ca = x509.load_pem_x509_certificate(paths.certificate.read_bytes())
    cert.verify_directly_issued_by(ca)
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == timedelta(days=365)


def test_issue_makes_rsa_2048_keys_on_request_and_keeps_file_names_safe(tmp_path: Path) -> None:
    init_ca(tmp_path)
    _, key_pem = issue(tmp_path, uscc=OTHER_USCC, enterprise_name="E", operator="../li si", key_type="rsa")

    key = serialization.load_pem_private_key(key_pem, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.key_size == 2048
    assert (tmp_path / f"{OTHER_USCC}-_li_si-key.pem").exists()
    assert (tmp_path / f"{OTHER_USCC}-_li_si.pem").exists()


def test_issue_refuses_an_invalid_credit_code_and_a_missing_ca(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="dev-ca init"):
        issue(tmp_path, uscc=USCC, enterprise_name="E", operator="张三")
    init_ca(tmp_path)
    with pytest.raises(ValueError, match="check character"):
        issue(tmp_path, uscc="91350100M000100Y44", enterprise_name="E", operator="张三")


def test_revoke_lists_the_serial_once_and_numbers_each_new_crl(tmp_path: Path) -> None:
    paths = init_ca(tmp_path)
    cert_pem, _ = issue(tmp_path, uscc=USCC, enterprise_name="E", operator="张三")
    other_pem, _ = issue(tmp_path, uscc=USCC, enterprise_name="E", operator="王五")
    serial = x509.load_pem_x509_certificate(cert_pem).serial_number

    revoke(tmp_path, cert_pem)
    revoke(tmp_path, cert_pem)
    revoke(tmp_path, other_pem)

    crl = crl_of(paths)
    assert len(crl) == 2
    assert crl.get_revoked_certificate_by_serial_number(serial) is not None
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 4
    ca_key = x509.load_pem_x509_certificate(paths.certificate.read_bytes()).public_key()
    assert isinstance(ca_key, ec.EllipticCurvePublicKey)
    assert crl.is_signature_valid(ca_key)
    assert len(refresh_crl(tmp_path)) == 2


def test_revoke_refuses_a_certificate_of_another_ca(tmp_path: Path) -> None:
    init_ca(tmp_path / "a")
    init_ca(tmp_path / "b", common_name="another CA")
    foreign, _ = issue(tmp_path / "b", uscc=USCC, enterprise_name="E", operator="张三")

    with pytest.raises(ValueError, match="not issued"):
        revoke(tmp_path / "a", foreign)


def test_sign_nonce_signs_as_a_client_does(tmp_path: Path) -> None:
    init_ca(tmp_path)
    nonce = b"\x00\x01nonce"
    for key_type in ("ec", "rsa"):
        cert_pem, key_pem = issue(tmp_path, uscc=USCC, enterprise_name="E", operator=key_type, key_type=key_type)
        public = x509.load_pem_x509_certificate(cert_pem).public_key()
        signature = sign_nonce(key_pem, nonce)
        if isinstance(public, rsa.RSAPublicKey):
            public.verify(signature, nonce, padding.PKCS1v15(), hashes.SHA256())
        else:
            assert isinstance(public, ec.EllipticCurvePublicKey)
            public.verify(signature, nonce, ec.ECDSA(hashes.SHA256()))


def test_a_login_signs_the_nonce_as_text_not_the_bytes_its_hex_stands_for(tmp_path: Path) -> None:
    init_ca(tmp_path)
    cert_pem, key_pem = issue(tmp_path, uscc=USCC, enterprise_name="E", operator="张三")
    trust = load_trust((tmp_path / "ca.pem").read_bytes(), None)
    nonce = "9f" * 32  # as POST /auth/challenge answers it
    signature = sign_challenge(key_pem, nonce)

    assert challenge_message(nonce) == nonce.encode("ascii")
    assert verify_login(cert_pem, challenge_message(nonce), signature, trust, now=datetime.now(UTC)).uscc == USCC
    with pytest.raises(CertificateRejected, match="signature"):
        verify_login(cert_pem, bytes.fromhex(nonce), signature, trust, now=datetime.now(UTC))


def test_the_cli_goes_from_init_to_a_login_and_a_revocation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REALNAME_DATA_DIR", str(tmp_path))
    directory = tmp_path / "dev-ca"

    assert main(["init"]) == 0
    assert main(["issue", "--uscc", USCC, "--name", "某公司", "--operator", "张三"]) == 0
    assert main(["issue", "--uscc", OTHER_USCC, "--name", "某公司", "--operator", "李四", "--rsa"]) == 0
    capsys.readouterr()
    nonce = "00ff10a5"

    for stem in (f"{USCC}-张三", f"{OTHER_USCC}-李四"):
        assert main(["sign", "--key", str(directory / f"{stem}-key.pem"), "--nonce", nonce]) == 0
        signature = base64.b64decode(capsys.readouterr().out.strip(), validate=True)
        trust = load_trust((directory / "ca.pem").read_bytes(), (directory / "crl.pem").read_bytes())
        cert_pem = (directory / f"{stem}.pem").read_bytes()
        assert verify_login(cert_pem, challenge_message(nonce), signature, trust,
                            now=datetime.now(UTC)).operator in {"张三", "李四"}

    assert main(["revoke", str(directory / f"{USCC}-张三.pem")]) == 0
    assert len(crl_of(CaPaths.of(directory))) == 1
    assert main(["--dir", str(directory), "crl"]) == 0


def test_the_cli_explains_what_went_wrong(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory = str(tmp_path / "dev-ca")
    assert main(["--dir", directory, "issue", "--uscc", USCC, "--name", "E", "--operator", "x"]) == 1
    assert "dev-ca init" in capsys.readouterr().err
    assert main(["--dir", directory, "init"]) == 0
    assert main(["--dir", directory, "init"]) == 1
    assert main(["--dir", directory, "issue", "--uscc", "123", "--name", "E", "--operator", "x"]) == 1
    assert "18 characters" in capsys.readouterr().err
    assert main(["--dir", directory, "sign", "--key", str(tmp_path / "none.pem"), "--nonce", "zz"]) == 1


def test_without_dir_the_cli_refuses_a_ca_the_platform_would_not_see(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REALNAME_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("REALNAME_CRL_FILE", raising=False)
    assert main(["init"]) == 0
    production = init_ca(tmp_path / "production", common_name="the platform's CA")
    monkeypatch.setenv("REALNAME_CA_BUNDLE_FILE", str(production.certificate))
    capsys.readouterr()

    assert main(["issue", "--uscc", USCC, "--name", "E", "--operator", "张三"]) == 2
    told = capsys.readouterr().err
    assert "REALNAME_CA_BUNDLE_FILE" in told and "无法登录" in told, told
    assert not list((tmp_path / "dev-ca").glob(f"{USCC}*"))

    monkeypatch.setenv("REALNAME_CA_BUNDLE_FILE", str(tmp_path / "dev-ca" / "ca.pem"))
    monkeypatch.setenv("REALNAME_CRL_FILE", str(production.crl))
    assert main(["crl"]) == 2
    assert "REALNAME_CRL_FILE" in capsys.readouterr().err
    assert main(["issue", "--uscc", USCC, "--name", "E", "--operator", "张三"]) == 0  # the CA it trusts
