"""realname dev-ca: a development certification authority for enterprise certificate login.

  realname dev-ca init                                     create the root CA and an empty CRL
  realname dev-ca issue --uscc CODE --name NAME --operator WHO [--rsa] [--days N]
  realname dev-ca revoke FILE                              add a certificate to crl.pem
  realname dev-ca crl                                      re-sign crl.pem (it is valid a year)
  realname dev-ca sign --key FILE --nonce NONCE            what a client does: print the signature (base64)
                                                           of the nonce's text, as /auth/challenge gave it
"""

from __future__ import annotations

import argparse
import base64
import sys
from pathlib import Path

from cryptography import x509

from realname_gateway.certs import devca


def _default_directory() -> Path:
    from realname_kit.settings import Settings

    return Settings.from_env().data_dir / "dev-ca"


def _platform_refusal(directory: Path, command: str) -> str | None:
    """Why the platform the settings describe would not see what this CA does (English, then Chinese), or None.

    Without ``--dir`` the commands act for that platform: its gateway trusts REALNAME_CA_BUNDLE_FILE and reads
    REALNAME_CRL_FILE, so a certificate of another CA could never log in, nor a revocation elsewhere apply.
    """
    from realname_kit.settings import Settings

    settings = Settings.from_env()
    paths = devca.CaPaths.of(directory)
    if not paths.certificate.exists():
        return None  # load_ca says: run `dev-ca init` first
    bundle = settings.ca_bundle_file
    trusted = bundle.exists() and x509.load_pem_x509_certificate(paths.certificate.read_bytes()) in \
        x509.load_pem_x509_certificates(bundle.read_bytes())
    if not trusted:
        return (f"the platform trusts the CAs in {bundle} (REALNAME_CA_BUNDLE_FILE), not this development CA "
                f"({paths.certificate}): its certificates could not log in. Use --dir with a CA the platform "
                f"trusts, or point REALNAME_CA_BUNDLE_FILE at {paths.certificate}.\n"
                f"平台信任的是 {bundle}（REALNAME_CA_BUNDLE_FILE）中的 CA，而不是此开发 CA（{paths.certificate}）："
                f"它签发的证书无法登录。请用 --dir 指定平台信任的 CA，或将 REALNAME_CA_BUNDLE_FILE 指向 "
                f"{paths.certificate}。")
    if command in ("revoke", "crl") and settings.crl_file.resolve() != paths.crl.resolve():
        return (f"the platform reads its revocation list from {settings.crl_file} (REALNAME_CRL_FILE), not "
                f"{paths.crl}: a revocation here would not apply. Point REALNAME_CRL_FILE at {paths.crl}.\n"
                f"平台从 {settings.crl_file}（REALNAME_CRL_FILE）读取吊销列表，而不是 {paths.crl}：在此吊销不会生效。"
                f"请将 REALNAME_CRL_FILE 指向 {paths.crl}。")
    return None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="realname dev-ca", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dir", type=Path, default=None,
                        help="CA directory (default: <REALNAME_DATA_DIR>/dev-ca)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("init", help="create the root CA (ECDSA P-256, 10 years) and an empty CRL")
    issue = commands.add_parser("issue", help="issue an enterprise certificate and its key")
    issue.add_argument("--uscc", required=True, help="unified social credit code of the enterprise")
    issue.add_argument("--name", required=True, help="enterprise name (subject O)")
    issue.add_argument("--operator", required=True, help="operator holding the certificate (subject CN)")
    issue.add_argument("--rsa", action="store_true", help="an RSA 2048 key instead of ECDSA P-256")
    issue.add_argument("--days", type=int, default=365, help="validity in days (default 365)")
    revoke = commands.add_parser("revoke", help="revoke a certificate issued by this CA")
    revoke.add_argument("certificate", type=Path, help="its PEM file")
    commands.add_parser("crl", help="re-sign crl.pem with a fresh validity")
    sign = commands.add_parser("sign", help="sign a login nonce with a certificate's key")
    sign.add_argument("--key", required=True, type=Path, help="private key PEM file")
    sign.add_argument("--nonce", required=True,
                      help="the nonce exactly as POST /api/v1/auth/challenge answered it (its text is signed)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    directory: Path = args.dir or _default_directory()
    refusal = None if args.dir or args.command not in ("issue", "revoke", "crl") else \
        _platform_refusal(directory, args.command)
    if refusal:
        print(f"realname dev-ca: {refusal}", file=sys.stderr)
        return 2
    try:
        if args.command == "init":
            paths = devca.init_ca(directory)
            print(f"development CA created: {paths.certificate} (key {paths.key}, CRL {paths.crl})")
        elif args.command == "issue":
            devca.issue(directory, uscc=args.uscc, enterprise_name=args.name, operator=args.operator,
                        key_type="rsa" if args.rsa else "ec", days=args.days)
            stem = directory / devca.certificate_stem(args.uscc, args.operator)
            print(f"certificate {stem}.pem, key {stem}-key.pem")
        elif args.command == "revoke":
            crl = devca.revoke(directory, args.certificate.read_bytes())
            print(f"revoked; {devca.CaPaths.of(directory).crl} now lists {len(crl)} certificate(s)")
        elif args.command == "crl":
            crl = devca.refresh_crl(directory)
            print(f"{devca.CaPaths.of(directory).crl} re-signed, valid until {crl.next_update_utc}")
        else:  # sign
            print(base64.b64encode(devca.sign_challenge(args.key.read_bytes(), args.nonce)).decode("ascii"))
    except (OSError, ValueError) as e:  # FileExistsError / FileNotFoundError / bad code or key
        print(f"realname dev-ca: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
