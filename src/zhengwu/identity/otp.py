"""SMS one-time codes for citizens' login, registration and password reset.

A code is six digits, stored only as a keyed SM3 hash (``OneTimeCode``), valid for
five minutes, usable once, and dead after five wrong attempts; only the newest code
of a mobile and purpose counts. Sending is limited per mobile (one a minute, ten a
day) and per source address (twenty an hour). For login, the answer is the same
whether or not the mobile belongs to an account, and so are the limits: a code is
recorded for every request and sent only to a registered mobile."""

import datetime
import hmac
import re
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengwu.core import audit
from zhengwu.core.crypto import blind_index, keyed_sm3, mask_mobile
from zhengwu.core.models import SmsMessage
from zhengwu.core.sms import send_sms

from .constants import OtpPurpose
from .errors import IdentityError
from .models import OneTimeCode, Person

MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")

TEMPLATES = {
    OtpPurpose.LOGIN: gettext_lazy(
        "【政务服务】您的登录验证码为%(code)s，%(minutes)s分钟内有效。"
        "如非本人操作，请忽略本短信。"
    ),
    OtpPurpose.REGISTER: gettext_lazy(
        "【政务服务】您的注册验证码为%(code)s，%(minutes)s分钟内有效。"
        "请勿将验证码告诉他人。"
    ),
    OtpPurpose.RESET: gettext_lazy(
        "【政务服务】您正在找回密码，验证码为%(code)s，%(minutes)s分钟内有效。"
        "如非本人操作，请忽略本短信，切勿将验证码告诉他人。"
    ),
}


def validate_mobile(mobile: str, *, field: str = "mobile") -> str:
    value = (mobile or "").strip()
    if not MOBILE_RE.match(value):
        raise IdentityError(
            "identity.invalid_mobile",
            _("手机号码格式不正确。"),
            fields={field: [_("请输入11位手机号码。")]},
            status=422,
        )
    return value


def _code_hash(purpose: str, mobile_index: str, code: str) -> str:
    return keyed_sm3(f"{purpose}:{mobile_index}:{code}", purpose="sms_code")


def _rate_limited() -> IdentityError:
    return IdentityError(
        "identity.sms_rate_limited",
        _("验证码发送过于频繁，请稍后再试。"),
        fields={"mobile": [_("验证码发送过于频繁，请稍后再试。")]},
        status=429,
    )


def _check_limits(
    mobile_index: str, source_ip: str | None, now: datetime.datetime
) -> None:
    recent = OneTimeCode.objects.filter(mobile_index=mobile_index)
    interval = datetime.timedelta(seconds=settings.ZHENGWU_SMS_CODE_INTERVAL_SECONDS)
    if recent.filter(created_at__gt=now - interval).exists():
        raise _rate_limited()
    day = recent.filter(created_at__gt=now - datetime.timedelta(days=1)).count()
    if day >= settings.ZHENGWU_SMS_CODES_PER_MOBILE_PER_DAY:
        raise _rate_limited()
    if source_ip:
        hour = OneTimeCode.objects.filter(
            source_ip=source_ip, created_at__gt=now - datetime.timedelta(hours=1)
        ).count()
        if hour >= settings.ZHENGWU_SMS_CODES_PER_ADDRESS_PER_HOUR:
            raise _rate_limited()


def mobile_registered(mobile: str) -> bool:
    return Person.objects.filter(
        mobile_index=blind_index(mobile, purpose="mobile"), user__isnull=False
    ).exists()


@transaction.atomic
def send_code(
    *,
    mobile: str,
    purpose: OtpPurpose | str,
    source_ip: str | None,
    deliver: bool | None = None,
) -> None:
    """Record a new code for ``mobile`` and text it (login: only to a registered
    mobile; ``deliver`` decides instead when given, as the password reset does for
    an ID number and mobile that belong together). Raises ``IdentityError`` for a
    malformed mobile or when a limit is reached; otherwise the caller answers "if
    the number is registered, a code was sent"."""
    purpose = OtpPurpose(purpose)
    mobile = validate_mobile(mobile)
    mobile_index = blind_index(mobile, purpose="mobile")
    now = timezone.now()
    _check_limits(mobile_index, source_ip, now)
    code = f"{secrets.randbelow(10**6):06d}"
    minutes = settings.ZHENGWU_SMS_CODE_MINUTES
    row = OneTimeCode.objects.create(
        purpose=purpose,
        mobile_index=mobile_index,
        code_hash=_code_hash(purpose, mobile_index, code),
        created_at=now,
        expires_at=now + datetime.timedelta(minutes=minutes),
        source_ip=source_ip,
    )
    if deliver is None:
        deliver = purpose != OtpPurpose.LOGIN or mobile_registered(mobile)
    if deliver:
        send_sms(
            mobile=mobile,
            text=str(TEMPLATES[purpose]) % {"code": code, "minutes": minutes},
            template=f"otp_{purpose}",
            reference=f"otp:{row.pk}",
        )
    audit.record(
        acting_user=None,
        event="identity.sms_code_sent",
        target=row,
        data={"mobile": mask_mobile(mobile), "purpose": str(purpose), "sent": deliver},
    )


@transaction.atomic
def use_code(*, mobile: str, purpose: OtpPurpose | str, code: str) -> bool:
    """Whether ``code`` is the valid newest code of ``mobile`` for ``purpose``; a
    right code is used up, a wrong one counts against the code's attempts."""
    purpose = OtpPurpose(purpose)
    mobile = (mobile or "").strip()
    if not MOBILE_RE.match(mobile):
        return False
    mobile_index = blind_index(mobile, purpose="mobile")
    now = timezone.now()
    row = (
        OneTimeCode.objects.select_for_update()
        .filter(mobile_index=mobile_index, purpose=purpose)
        .order_by("-created_at", "-pk")
        .first()
    )
    ok = bool(
        row is not None
        and row.used_at is None
        and row.expires_at > now
        and row.attempts < settings.ZHENGWU_SMS_CODE_MAX_ATTEMPTS
        and hmac.compare_digest(
            row.code_hash, _code_hash(purpose, mobile_index, (code or "").strip())
        )
    )
    if row is not None and row.used_at is None:
        if ok:
            row.used_at = now
            row.save(update_fields=["used_at"])
        else:
            row.attempts += 1
            row.save(update_fields=["attempts"])
    audit.record(
        acting_user=None,
        event="identity.sms_code_used",
        target=row,
        outcome="success" if ok else "failure",
        data={"mobile": mask_mobile(mobile), "purpose": str(purpose)},
    )
    return ok


def purge_codes(*, older_than: datetime.timedelta = datetime.timedelta(days=2)) -> int:
    """Delete codes older than the longest rate-limit window (a day) plus a margin:
    nothing needs them any more (等保 8.1.4.11, keep only what is needed). Their
    text messages in the SMS outbox go too: each holds a mobile and the code in
    clear, and the code in it expired long ago."""
    cutoff = timezone.now() - older_than
    deleted, _ = OneTimeCode.objects.filter(created_at__lt=cutoff).delete()
    SmsMessage.objects.filter(
        reference__startswith="otp:", created_at__lt=cutoff
    ).delete()
    return deleted
