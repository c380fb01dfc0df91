"""The OpenID Connect signing key: an RSA private key in PEM form. Imported by the
test settings, so nothing here may touch Django models."""

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KEY_BITS = 3072  # 等保 / NIST SP 800-57: RSA at least 3072 bits beyond 2030


def generate_rsa_private_key_pem(bits: int = KEY_BITS) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    ).decode()


def ensure_private_key_file(path: Path, bits: int = KEY_BITS) -> bool:
    """Write a new key to ``path`` (mode 0600) unless a file is already there; return
    whether one was written. An existing key is never replaced: relying parties
    cache the published JWKS."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = generate_rsa_private_key_pem(bits)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(pem)
    return True
