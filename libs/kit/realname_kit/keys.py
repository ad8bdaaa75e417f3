"""Token-signing keys for development and tests (production keys come from the operator)."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def ensure_signing_keys(private_file: Path, public_file: Path) -> None:
    """Create an ECDSA P-256 key pair at these paths unless the private key exists."""
    if private_file.exists() and public_file.exists():
        return
    key = ec.generate_private_key(ec.SECP256R1())
    private_file.parent.mkdir(parents=True, exist_ok=True)
    private_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    private_file.chmod(0o600)
    public_file.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                          serialization.PublicFormat.SubjectPublicKeyInfo))
