"""Verification of a licence (standards §5.3): by its identifier (the check
character, the SM2 signature over the stored metadata, the metadata against the
licence's fields, the SM3 digest of the stored file against the signed digest,
and the status) or by an uploaded file (its SM3 digest against the signed one)."""

from __future__ import annotations

import datetime
import json
import re
import zoneinfo
from dataclasses import dataclass

from django.utils import timezone

from zhengwu.core.crypto import sm3_hex

from . import identifiers
from .constants import LicenceStatus
from .models import Licence
from .signing import verify_signature

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
_IDENTIFIER_IN_FILE = re.compile(rb"1\.2\.156\.3005\.2\.[0-9A-Z.]{20,120}")


@dataclass(frozen=True)
class VerificationResult:
    """Each check apart; ``ok`` only when every one passes and the licence is
    valid. ``status`` is the effective status (``expired`` once the last valid day
    has passed, even before the daily task marks it)."""

    identifier: str
    check_character_ok: bool
    found: bool
    signature_ok: bool
    metadata_ok: bool
    file_digest_ok: bool
    status: str
    valid_until: datetime.date | None = None

    @property
    def ok(self) -> bool:
        return (
            self.check_character_ok
            and self.found
            and self.signature_ok
            and self.metadata_ok
            and self.file_digest_ok
            and self.status == LicenceStatus.VALID
        )


def effective_status(licence: Licence, today: datetime.date | None = None) -> str:
    day = today or timezone.now().astimezone(SHANGHAI).date()
    if (
        licence.status in (LicenceStatus.VALID, LicenceStatus.SUSPENDED)
        and licence.valid_until is not None
        and licence.valid_until < day
    ):
        return LicenceStatus.EXPIRED
    return licence.status


def _metadata_matches(licence: Licence, metadata: dict) -> bool:
    """The signed metadata names this licence as the row describes it."""
    issuer = licence.issuer
    expected = {
        "identifier": licence.identifier,
        "type_code": licence.licence_type.type_code,
        "licence_number": licence.serial,
        "issuer_code": issuer.credit_code,
        "issuer_name": issuer.name,
        "holder_name": licence.holder_name,
        "valid_from": licence.valid_from.isoformat(),
        "valid_until": licence.valid_until.isoformat() if licence.valid_until else "",
        "file_sm3": licence.file_sm3,
    }
    return all(metadata.get(key) == value for key, value in expected.items())


def _check(licence: Licence, *, file_digest: str, today: datetime.date | None):
    signature_ok = verify_signature(
        public_key_hex=licence.seal.public_key,
        payload=licence.signed_metadata,
        signature_hex=licence.signature,
    )
    try:
        metadata = json.loads(licence.signed_metadata)
    except ValueError:
        metadata = {}
    return VerificationResult(
        identifier=licence.identifier,
        check_character_ok=identifiers.is_valid(licence.identifier),
        found=True,
        signature_ok=signature_ok,
        metadata_ok=isinstance(metadata, dict) and _metadata_matches(licence, metadata),
        file_digest_ok=bool(metadata)
        and metadata.get("file_sm3") == file_digest
        and licence.file_sm3 == file_digest,
        status=effective_status(licence, today),
        valid_until=licence.valid_until,
    )


def _not_found(identifier: str, *, check_character_ok: bool) -> VerificationResult:
    return VerificationResult(
        identifier=identifier,
        check_character_ok=check_character_ok,
        found=False,
        signature_ok=False,
        metadata_ok=False,
        file_digest_ok=False,
        status="",
    )


def _load(identifier: str) -> Licence | None:
    return (
        Licence.objects.select_related("licence_type", "issuer", "seal")
        .filter(identifier=identifier)
        .first()
    )


def verify(
    identifier: str, *, today: datetime.date | None = None
) -> VerificationResult:
    """Verify a licence by its identifier against the licence library."""
    identifier = (identifier or "").strip()
    if not identifiers.is_valid(identifier):
        return _not_found(identifier, check_character_ok=False)
    licence = _load(identifier)
    if licence is None:
        return _not_found(identifier, check_character_ok=True)
    return _check(licence, file_digest=sm3_hex(bytes(licence.file)), today=today)


def verify_file(
    content: bytes, *, today: datetime.date | None = None
) -> VerificationResult:
    """Verify an uploaded licence file: found by its SM3 digest, else by the
    identifier it carries (then the digest check fails: the file was altered)."""
    digest = sm3_hex(content)
    licence = (
        Licence.objects.select_related("licence_type", "issuer", "seal")
        .filter(file_sm3=digest)
        .first()
    )
    if licence is None:
        match = _IDENTIFIER_IN_FILE.search(content)
        identifier = match.group().decode() if match else ""
        if not identifiers.is_valid(identifier):
            return _not_found(identifier, check_character_ok=False)
        licence = _load(identifier)
        if licence is None:
            return _not_found(identifier, check_character_ok=True)
    return _check(licence, file_digest=digest, today=today)
