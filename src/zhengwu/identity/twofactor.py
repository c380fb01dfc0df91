"""Staff second factor: TOTP (RFC 6238) through django-otp's ``TOTPDevice``.

Enrolment creates an unconfirmed device whose secret the staff member scans (QR code)
or types into an authenticator app; the first correct code confirms it. A code is
accepted once: django-otp keeps the last time step used (``last_t``) and refuses any
code of that step or an earlier one, and it slows down repeated wrong codes."""

import base64
import math

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

import segno
from django_otp.plugins.otp_totp.models import TOTPDevice

from zhengwu.core import audit

DEVICE_NAME = "authenticator"


def confirmed_device(user: AbstractBaseUser) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def has_confirmed_device(user: AbstractBaseUser) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def enrolment_device(user: AbstractBaseUser) -> TOTPDevice:
    """The unconfirmed device being enrolled (created on first call; the same one
    until it is confirmed, so reloading the page keeps the secret)."""
    device = (
        TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    )
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def base32_secret(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it by hand, in groups of four."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> SafeString:
    """The otpauth:// URI as an inline SVG QR code (no script, no style attribute,
    so the Content-Security-Policy allows it)."""
    svg = segno.make(device.config_url, error="m").svg_inline(
        scale=4, svgclass="qr-code", title="二维码"
    )
    return mark_safe(svg)  # noqa: S308 - segno's own markup, no user input inside


def wait_seconds(device: TOTPDevice | None) -> int:
    """How many seconds ``device`` still refuses every code, right or wrong, after
    wrong ones (django-otp's back-off: 1 s after a wrong code, doubling with each
    further one); 0 when it accepts codes. Only for someone past the password step:
    it says that wrong codes were tried."""
    if device is None:
        return 0
    allowed, details = device.verify_is_allowed()
    if allowed:
        return 0
    locked_until = (details or {}).get("locked_until")
    if locked_until is None:
        return 1
    remaining = (locked_until - timezone.now()).total_seconds()
    return max(1, math.ceil(remaining))


@transaction.atomic
def confirm_enrolment(device: TOTPDevice, code: str) -> bool:
    """Confirm ``device`` with a code from the app; audited. False for a wrong
    code (nothing changes)."""
    if not device.verify_token(code.strip()):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
    audit.record(
        acting_user=device.user,
        event="identity.factor_enrolled",
        target=device,
        data={"user": device.user.get_username(), "kind": "totp"},
    )
    return True


def verify_code(device: TOTPDevice, code: str) -> bool:
    """Whether ``code`` is valid for the confirmed ``device`` now (False when wrong,
    reused or throttled)."""
    return bool(device.verify_token(code.strip()))


@transaction.atomic
def reset_factors(user: AbstractBaseUser, acting_user: AbstractBaseUser | None) -> int:
    """Remove every second-factor device of ``user`` (a lost phone): the next login
    enrols a new one. Audited; returns how many devices were removed. The caller
    checks that ``acting_user`` may do this (the security administrator)."""
    deleted, _ = TOTPDevice.objects.filter(user=user).delete()
    audit.record(
        acting_user=acting_user,
        event="identity.factor_reset",
        data={"user": user.get_username(), "devices": deleted},
    )
    return deleted


def device_summary(user: AbstractBaseUser) -> dict[str, object] | None:
    device = confirmed_device(user)
    if device is None:
        return None
    return {
        "name": device.name,
        "created_at": getattr(device, "created_at", None),
        "last_used_at": getattr(device, "last_used_at", None),
    }
