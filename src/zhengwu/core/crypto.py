"""National cryptographic algorithms: SM3 digests, SM4 field encryption, keyed SM3
blind indexes, and masking of personal data for display."""

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def sm3_hex(payload: bytes) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(payload)
    return digest.finalize().hex()


class SM3Writer:
    """Incremental SM3 for streamed files."""

    def __init__(self) -> None:
        self._digest = hashes.Hash(hashes.SM3())

    def update(self, chunk: bytes) -> None:
        self._digest.update(chunk)

    def hexdigest(self) -> str:
        return self._digest.finalize().hex()


# --- Personal data at rest (等保 8.1.4.8): SM4-GCM encryption and keyed SM3 indexes ---
#
# Ciphertext format: "sm4g1:" + base64url(nonce 12 bytes | ciphertext | tag 16 bytes).
# The version prefix lets a later key or algorithm live beside this one.

_SM4_PREFIX = "sm4g1:"


class DecryptionError(ValueError):
    """The stored value was not written with this key, or was altered."""


def _key(setting: str, label: bytes) -> bytes:
    """A 16-byte key from ``settings.<setting>`` (32 hex digits), or, where that is
    empty (development and tests only; production settings require it), derived
    from SECRET_KEY with SM3 and a label so the two keys differ."""
    from django.conf import settings

    configured = getattr(settings, setting, "")
    if configured:
        return bytes.fromhex(configured)
    if not settings.DEBUG and not getattr(
        settings, "ZHENGWU_DERIVED_KEYS_ALLOWED", False
    ):
        # Never encrypt personal data with a key derived from SECRET_KEY outside
        # development (a deployment on other settings than production.py).
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            f"{setting} must be set to 32 hexadecimal digits when DEBUG is off"
        )
    mac = hmac.HMAC(settings.SECRET_KEY.encode(), hashes.SM3())
    mac.update(label)
    return mac.finalize()[:16]


def sm4_encrypt(plaintext: str, *, context: str = "") -> str:
    """Encrypt ``plaintext`` with SM4-GCM; ``context`` (e.g. the field name) is bound
    as associated data, so a value copied into another column does not decrypt."""
    nonce = os.urandom(12)
    encryptor = Cipher(
        algorithms.SM4(_key("ZHENGWU_FIELD_ENCRYPTION_KEY", b"field-encryption")),
        modes.GCM(nonce),
    ).encryptor()
    encryptor.authenticate_additional_data(context.encode())
    body = encryptor.update(plaintext.encode()) + encryptor.finalize()
    token = base64.urlsafe_b64encode(nonce + body + encryptor.tag).decode()
    return _SM4_PREFIX + token


def sm4_decrypt(token: str, *, context: str = "") -> str:
    if not token.startswith(_SM4_PREFIX):
        raise DecryptionError("not an SM4 ciphertext")
    try:
        raw = base64.urlsafe_b64decode(token[len(_SM4_PREFIX) :])
        nonce, body, tag = raw[:12], raw[12:-16], raw[-16:]
        decryptor = Cipher(
            algorithms.SM4(_key("ZHENGWU_FIELD_ENCRYPTION_KEY", b"field-encryption")),
            modes.GCM(nonce, tag),
        ).decryptor()
        decryptor.authenticate_additional_data(context.encode())
        return (decryptor.update(body) + decryptor.finalize()).decode()
    except (ValueError, InvalidTag) as exc:
        raise DecryptionError("ciphertext does not verify") from exc


def blind_index(value: str, *, purpose: str) -> str:
    """Keyed SM3 (HMAC-SM3) of a normalised value: equal inputs give equal indexes,
    so an encrypted column can be looked up, but the index reveals nothing without
    the key. ``purpose`` separates indexes of different kinds of value."""
    mac = hmac.HMAC(_key("ZHENGWU_BLIND_INDEX_KEY", b"blind-index"), hashes.SM3())
    mac.update(purpose.encode() + b"\x00" + value.strip().upper().encode())
    return mac.finalize().hex()


def keyed_sm3(value: str, *, purpose: str) -> str:
    """HMAC-SM3 under the blind-index key, for derived identifiers (e.g. pairwise
    subject identifiers) that must be stable but unlinkable without the key."""
    return blind_index(value, purpose=purpose)


def mask_id_number(value: str) -> str:
    """2101**********123X: the first four and last four characters."""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_mobile(value: str) -> str:
    """138****1234."""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str) -> str:
    """张*, 欧阳** : the first character only."""
    return value[:1] + "*" * (len(value) - 1) if value else value
