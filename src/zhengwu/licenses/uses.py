"""查证 and 用证: the verifier's side. A licence is checked by a show token (the
verifier then sees only the fields the holder released), by its identifier or by
its file; every check of a licence that exists is recorded (``LicenceUse``) with
the reason the verifier states (用证事由) and who: the user, or anonymous with
the IP address. A show token serves one verifier session: its nonce is recorded
(unique); a second session presenting it is refused."""

from __future__ import annotations

import datetime
from collections.abc import Collection
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengwu.core import audit

from .constants import LicenceStatus
from .errors import LicenceError
from .models import Licence, LicenceUse
from .showing import (
    TOKEN_INVALID,
    TOKEN_USED,
    FaceField,
    holds_token,
    read_token,
    releasable_fields,
    status_label,
    token_error,
)
from .verification import VerificationResult, verify, verify_file

REASON_MAX = 200
INVALID_REASON = "licenses.invalid_reason"


@dataclass(frozen=True)
class CheckOutcome:
    """What the verifier is shown. ``released`` is empty unless the check came
    through a show token, and then holds only the released fields."""

    identifier: str
    found: bool
    ok: bool
    check_character_ok: bool
    signature_ok: bool
    metadata_ok: bool
    file_digest_ok: bool
    status: str
    status_label: str
    type_name: str
    issuer_name: str
    valid_until: datetime.date | None
    released: tuple[FaceField, ...]
    nonce: str = ""


def clean_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        message = (
            _("请填写用证事由。")
            if not reason
            else _("用证事由不能超过%(n)d个字。") % {"n": REASON_MAX}
        )
        raise LicenceError(INVALID_REASON, message, fields={"reason": [message]})
    return reason


def _verifier_label(user: AbstractBaseUser | AnonymousUser | None) -> str:
    if user is not None and user.is_authenticated:
        return f"user:{user.get_username()}"
    return "anonymous"


def _outcome(
    result: VerificationResult,
    licence: Licence | None,
    released: tuple[FaceField, ...] = (),
    nonce: str = "",
) -> CheckOutcome:
    return CheckOutcome(
        identifier=result.identifier,
        found=result.found,
        ok=result.ok,
        check_character_ok=result.check_character_ok,
        signature_ok=result.signature_ok,
        metadata_ok=result.metadata_ok,
        file_digest_ok=result.file_digest_ok,
        status=result.status,
        status_label=status_label(result.status),
        type_name=licence.licence_type.name if licence else "",
        issuer_name=licence.issuer.name if licence else "",
        valid_until=result.valid_until,
        released=released if result.found else (),
        nonce=nonce,
    )


def _licence(identifier: str) -> Licence | None:
    return (
        Licence.objects.select_related("licence_type", "issuer")
        .defer("file")
        .filter(identifier=identifier)
        .first()
    )


def _result_code(result: VerificationResult) -> str:
    """valid; or the status that makes it not valid; or invalid (a check failed)."""
    if result.ok:
        return LicenceStatus.VALID
    if result.status and result.status != LicenceStatus.VALID:
        return result.status
    return "invalid"


def _record(
    *,
    licence: Licence,
    channel: str,
    reason: str,
    user,
    source_ip: str | None,
    result: VerificationResult,
    nonce: str | None = None,
    released: tuple[str, ...] = (),
    verifier: str = "",
) -> LicenceUse:
    """One use record and its audit event. ``verifier`` names who uses the
    licence when it is not the acting user (a case's handling department);
    ``user`` is still recorded as who acted."""
    use = LicenceUse.objects.create(
        licence=licence,
        channel=channel,
        reason=reason,
        user=user if user is not None and user.is_authenticated else None,
        verifier_label=(verifier or _verifier_label(user))[:150],
        source_ip=source_ip or None,
        nonce=nonce,
        released_fields=list(released),
        result=_result_code(result),
        at=timezone.now(),
    )
    audit.record(
        acting_user=user,
        actor_label="" if use.user_id else "anonymous",
        event="licenses.used",
        target=licence,
        data={
            "identifier": licence.identifier,
            "channel": channel,
            "reason": reason,
            "released": list(released),
            "result": use.result,
            **({"verifier": use.verifier_label} if verifier else {}),
        },
        source_ip=source_ip,
    )
    return use


def check_token(
    token: str,
    *,
    reason: str,
    user,
    source_ip: str | None,
    session_nonces: Collection[str] = (),
    now: datetime.datetime | None = None,
) -> CheckOutcome:
    """Verify a show token and the licence it names, record the use with its
    reason, and return the outcome with only the released fields. A nonce already
    used is refused unless ``session_nonces`` (the verifier session's own) holds
    it; then the outcome is shown again without a second record."""
    payload = read_token(token, now=now)
    licence = _licence(payload.identifier)
    if licence is None or not holds_token(licence, payload):
        raise token_error(TOKEN_INVALID)
    available = {field.key: field for field in releasable_fields(licence)}
    released = tuple(available[key] for key in payload.fields if key in available)
    result = verify(payload.identifier)
    if LicenceUse.objects.filter(nonce=payload.nonce).exists():
        if payload.nonce in session_nonces:
            return _outcome(result, licence, released, payload.nonce)
        _refuse_replay(licence, user, source_ip)
    reason = clean_reason(reason)
    try:
        with transaction.atomic():
            _record(
                licence=licence,
                channel=LicenceUse.Channel.TOKEN,
                reason=reason,
                user=user,
                source_ip=source_ip,
                result=result,
                nonce=payload.nonce,
                released=tuple(field.key for field in released),
            )
    except IntegrityError:
        _refuse_replay(licence, user, source_ip)
    return _outcome(result, licence, released, payload.nonce)


def _refuse_replay(licence: Licence, user, source_ip: str | None) -> None:
    audit.record(
        acting_user=user,
        actor_label="" if user is not None and user.is_authenticated else "anonymous",
        event="licenses.token_replayed",
        target=licence,
        data={"identifier": licence.identifier},
        outcome="refused",
        source_ip=source_ip,
    )
    raise token_error(TOKEN_USED)


def preview_token(token: str, *, now: datetime.datetime | None = None) -> str:
    """The licence type name of a genuine, unexpired token (before the verifier
    states a reason); ``LicenceError`` otherwise. Nothing recorded."""
    payload = read_token(token, now=now)
    licence = _licence(payload.identifier)
    if licence is None or not holds_token(licence, payload):
        raise token_error(TOKEN_INVALID)
    if LicenceUse.objects.filter(nonce=payload.nonce).exists():
        raise token_error(TOKEN_USED)
    return licence.licence_type.name


def check_identifier(
    identifier: str, *, reason: str, user, source_ip: str | None
) -> CheckOutcome:
    """查证 by identifier: validity only (no face data); recorded when found."""
    reason = clean_reason(reason)
    result = verify((identifier or "").strip()[:120])
    licence = _licence(result.identifier) if result.found else None
    if licence is not None:
        with transaction.atomic():
            _record(
                licence=licence,
                channel=LicenceUse.Channel.IDENTIFIER,
                reason=reason,
                user=user,
                source_ip=source_ip,
                result=result,
            )
    return _outcome(result, licence)


def check_for_case(
    identifier: str, *, case_number: str, department: str, user
) -> CheckOutcome:
    """用证 by a case: the licence the applicant handed in with case
    ``case_number`` (with consent) is used by the case's handling department.
    The use is recorded as made by ``department`` (its name, shown to the holder)
    with the reason "办件 <number>"; ``user`` (who handed it in) is recorded as
    who acted. Validity only, like a check by identifier."""
    reason = clean_reason(f"办件 {case_number}")
    result = verify((identifier or "").strip()[:120])
    licence = _licence(result.identifier) if result.found else None
    if licence is not None:
        with transaction.atomic():
            _record(
                licence=licence,
                channel=LicenceUse.Channel.IDENTIFIER,
                reason=reason,
                user=user,
                source_ip=None,
                result=result,
                verifier=(department or "").strip(),
            )
    return _outcome(result, licence)


def check_file(
    content: bytes, *, reason: str, user, source_ip: str | None
) -> CheckOutcome:
    """查证 by an uploaded file: validity only; recorded when the licence named
    by the file is found."""
    reason = clean_reason(reason)
    result = verify_file(content)
    licence = _licence(result.identifier) if result.found else None
    if licence is not None:
        with transaction.atomic():
            _record(
                licence=licence,
                channel=LicenceUse.Channel.FILE,
                reason=reason,
                user=user,
                source_ip=source_ip,
                result=result,
            )
    return _outcome(result, licence)


__all__ = [
    "TOKEN_USED",
    "CheckOutcome",
    "LicenceError",
    "check_file",
    "check_for_case",
    "check_identifier",
    "check_token",
    "preview_token",
]


DEFAULT_CHECKS_PER_HOUR = 60


def too_many_checks(source_ip: str | None) -> bool:
    """Count one public check (each recorded for the holder) from ``source_ip``;
    True once the address is past ``ZHENGWU_LICENCE_CHECKS_PER_HOUR`` (default 60)
    this hour. The portal's 查证 pages and the verification API share the budget."""
    from django.conf import settings
    from django.core.cache import cache

    limit = int(
        getattr(settings, "ZHENGWU_LICENCE_CHECKS_PER_HOUR", DEFAULT_CHECKS_PER_HOUR)
    )
    key = f"licence-checks:{source_ip or 'unknown'}"
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        count = 1
    return count > limit
