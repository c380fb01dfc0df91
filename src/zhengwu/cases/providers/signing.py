"""Signed asynchronous notifications (HMAC-SM3), shared by the payment and express
providers and by the platform's outgoing webhooks.

Signature base string (UTF-8)::

    <timestamp> "\\n" <notify id> "\\n" <raw request body>

where ``timestamp`` is Unix seconds (decimal) and the body is the exact bytes sent
(the sender writes canonical JSON: keys sorted, no spaces, UTF-8). The signature is
the lower-case hex HMAC-SM3 of that string with the shared secret. The receiver
checks it in constant time and refuses a timestamp further than the allowed skew
from its own clock; the notify id makes a replay recognisable."""

import hmac as std_hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from cryptography.hazmat.primitives import hashes, hmac

from zhengwu.core.crypto import sm3_hex

HEADER_TIMESTAMP = "X-Zhengwu-Timestamp"
HEADER_NOTIFY_ID = "X-Zhengwu-Notify-Id"
HEADER_SIGNATURE = "X-Zhengwu-Signature"
HEADER_EVENT = "X-Zhengwu-Event"


def canonical_json(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


def hmac_sm3_hex(key: bytes, message: bytes) -> str:
    mac = hmac.HMAC(key, hashes.SM3())
    mac.update(message)
    return mac.finalize().hex()


def base_string(timestamp: str, notify_id: str, body: bytes) -> bytes:
    return timestamp.encode() + b"\n" + notify_id.encode() + b"\n" + body


def sign(secret: bytes, *, timestamp: str, notify_id: str, body: bytes) -> str:
    return hmac_sm3_hex(secret, base_string(timestamp, notify_id, body))


def signed_headers(
    secret: bytes, *, notify_id: str, body: bytes, now: float | None = None
) -> dict[str, str]:
    timestamp = str(int(now if now is not None else time.time()))
    return {
        HEADER_TIMESTAMP: timestamp,
        HEADER_NOTIFY_ID: notify_id,
        HEADER_SIGNATURE: sign(
            secret, timestamp=timestamp, notify_id=notify_id, body=body
        ),
    }


@dataclass(frozen=True)
class Verification:
    """Outcome of checking one signed request: ``reason`` is "" when it verified,
    otherwise one of missing_headers, bad_signature, stale_timestamp."""

    notify_id: str
    timestamp: int | None
    reason: str

    @property
    def is_valid(self) -> bool:
        return not self.reason


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:
        value = headers.get(name.lower(), "")
    return str(value or "").strip()


def verify(
    secret: bytes,
    *,
    headers: Mapping[str, str],
    body: bytes,
    max_skew_seconds: int | None = None,
    now: float | None = None,
) -> Verification:
    """Check a signed request's signature and timestamp window."""
    timestamp = _header(headers, HEADER_TIMESTAMP)
    raw_notify_id = _header(headers, HEADER_NOTIFY_ID)[:64]
    # Kept in the callback log: printable ASCII only (no NUL for the database).
    notify_id = "".join(c for c in raw_notify_id if c.isascii() and c.isprintable())
    signature = _header(headers, HEADER_SIGNATURE).lower()
    if not (
        timestamp.isascii()
        and timestamp.isdigit()
        and len(timestamp) <= 12
        and notify_id
        and notify_id == raw_notify_id
        and signature
    ):
        return Verification(notify_id, None, "missing_headers")
    expected = sign(secret, timestamp=timestamp, notify_id=notify_id, body=body)
    if not std_hmac.compare_digest(expected, signature):
        return Verification(notify_id, int(timestamp), "bad_signature")
    skew = (
        max_skew_seconds
        if max_skew_seconds is not None
        else settings.ZHENGWU_CALLBACK_MAX_SKEW_SECONDS
    )
    current = now if now is not None else time.time()
    if abs(current - int(timestamp)) > skew:
        return Verification(notify_id, int(timestamp), "stale_timestamp")
    return Verification(notify_id, int(timestamp), "")


def provider_secret(setting: str, label: str) -> bytes:
    """The shared secret named by ``setting``, or (development and tests, when it
    is empty) one derived from SECRET_KEY and a label."""
    configured = getattr(settings, setting)  # declared in conf/base.py
    if configured:
        return str(configured).encode()
    return bytes.fromhex(sm3_hex(f"{label}:{settings.SECRET_KEY}".encode()))
