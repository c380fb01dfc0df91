"""Helpers for tests that log in through the pages: staff with a known TOTP key, and
the current code for it (the code an authenticator app would show)."""

import re
import time

from django.contrib.auth import get_user_model
from django.utils import timezone

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from zhengwu.identity.constants import AccountKind
from zhengwu.identity.models import Account

PASSWORD = "Zhengwu#2026"
# 20 bytes, hex: the secret a test "phone" holds.
KNOWN_KEY = "3132333435363738393031323334353637383930"


def make_staff(username: str, *, password: str = PASSWORD, **extra):
    user = get_user_model().objects.create_user(
        username=username, password=password, **extra
    )
    Account.objects.create(
        user=user, kind=AccountKind.STAFF, password_changed_at=timezone.now()
    )
    return user


def enrol_device(user, *, key: str = KNOWN_KEY) -> TOTPDevice:
    return TOTPDevice.objects.create(
        user=user, name="authenticator", confirmed=True, key=key
    )


def current_code(device: TOTPDevice) -> str:
    """A code the device accepts now. Codes are single use, so a test logging in
    again within the same 30 seconds gets the next step's code (the device allows
    one step of drift); past that, the earlier use is forgotten."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    step = totp.t()
    if device.last_t >= step + 1:
        TOTPDevice.objects.filter(pk=device.pk).update(last_t=step - 2)
        device.refresh_from_db()
    target = max(step, device.last_t + 1)
    totp.time = time.time() + (target - step) * device.step
    return f"{totp.token():0{device.digits}d}"


def code_for_key(key_hex: str, *, at: float | None = None) -> str:
    totp = TOTP(bytes.fromhex(key_hex))
    totp.time = at if at is not None else time.time()
    return f"{totp.token():06d}"


def secret_from_page(html: str) -> str:
    """The base32 secret the enrolment page shows for manual entry, as hex."""
    import base64

    match = re.search(r'class="totp-secret">([A-Z2-7 ]+)<', html)
    assert match, "no secret on the enrolment page"
    secret = match.group(1).replace(" ", "")
    secret += "=" * (-len(secret) % 8)
    return base64.b32decode(secret).hex()


def staff_login(client, username: str, device: TOTPDevice, *, password: str = PASSWORD):
    """Password then TOTP through the pages; returns the last response."""
    first = client.post(
        "/accounts/login/", {"login_name": username, "password": password}
    )
    assert first.status_code == 302, first.status_code
    assert first["Location"] == "/accounts/login/verify/"
    return client.post("/accounts/login/verify/", {"code": current_code(device)})
