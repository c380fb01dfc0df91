"""Password login with lockout (等保 8.1.4.1 b).

A login name is a staff username, or a citizen's ID number or mobile (found through
the ``Person`` blind indexes). Five consecutive failures lock the account and,
separately, the source address for fifteen minutes; a locked key refuses even the
right password. Every refusal gives the same message, whatever was wrong, and costs
the same hashing work, so nobody learns whether an account exists.

Account failures are consecutive (a completed login clears them); address failures
count only within a window (``ZHENGWU_LOGIN_ADDRESS_WINDOW_MINUTES``, fifteen by
default) from the first one, so typos spread over days never lock an office's NAT
address."""

import datetime
import re
import unicodedata

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengwu.core import audit
from zhengwu.core.crypto import blind_index, mask_id_number, mask_mobile
from zhengwu.core.middleware import client_ip

from .accounts import account_expired
from .constants import LockScope
from .errors import IdentityError
from .models import LoginLock, Person

ID_NUMBER_RE = re.compile(r"^[0-9]{17}[0-9Xx]$")
MOBILE_RE = re.compile(r"^1[0-9]{10}$")
LOGIN_FAILED = "identity.login_failed"


def generic_error() -> IdentityError:
    """The one refusal of every login: unknown account, wrong password or code,
    locked, inactive."""
    return IdentityError(
        LOGIN_FAILED,
        _("账号或密码错误，或账号已被暂时锁定，请稍后再试。"),
        status=401,
    )


def normalise(login_name: str) -> str:
    """Trimmed, compatibility forms folded; an ID number with its check character
    upper-cased, as persons stores it (``…123x``, ``…123X`` and full-width
    ``２１０…`` are the same number and the same account)."""
    # NFKC as Django normalises usernames: full-width digits typed with a Chinese
    # input method name the same account as ASCII ones.
    name = unicodedata.normalize("NFKC", login_name).strip()
    return name.upper() if ID_NUMBER_RE.match(name) else name


def find_user(login_name: str) -> AbstractBaseUser | None:
    """The user a login name names: an 18-character ID number or an 11-digit
    mobile through the person's blind index, anything else as a username."""
    name = normalise(login_name)
    if not name:
        return None
    if ID_NUMBER_RE.match(name):
        index = {"id_number_index": blind_index(name, purpose="id_number")}
    elif MOBILE_RE.match(name):
        index = {"mobile_index": blind_index(name, purpose="mobile")}
    else:
        return get_user_model().objects.filter(username=name).first()
    person = (
        Person.objects.filter(user__isnull=False, **index)
        .select_related("user")
        .first()
    )
    return person.user if person is not None else None


def masked_login_name(login_name: str) -> str:
    """The login name as the audit log may keep it: ID numbers and mobiles masked,
    anything else cut to its first characters (it may be a mistyped password)."""
    name = normalise(login_name)
    if ID_NUMBER_RE.match(name):
        return mask_id_number(name)
    if MOBILE_RE.match(name):
        return mask_mobile(name)
    if len(name) <= 3:
        return "*" * len(name)
    return name[:3] + "*" * min(len(name) - 3, 10)


def account_key(user: AbstractBaseUser | None, login_name: str) -> str:
    """The lock key of an account: every login name of one user shares it; an
    unknown name gets its own (so locking behaves the same either way)."""
    value = f"user:{user.pk}" if user is not None else f"name:{normalise(login_name)}"
    return blind_index(value, purpose="login_lock")


def address_key(request: HttpRequest) -> str:
    return client_ip(request) or "unknown"


def _is_locked(scope: str, key: str, now: datetime.datetime) -> bool:
    return LoginLock.objects.filter(scope=scope, key=key, locked_until__gt=now).exists()


def is_locked(
    request: HttpRequest, user: AbstractBaseUser | None, login_name: str
) -> bool:
    now = timezone.now()
    return _is_locked(
        LockScope.ACCOUNT, account_key(user, login_name), now
    ) or _is_locked(LockScope.ADDRESS, address_key(request), now)


def address_window() -> datetime.timedelta:
    """How long an address's failures count (ZHENGWU_LOGIN_ADDRESS_WINDOW_MINUTES):
    a failure after the window of the first one starts the count again."""
    return datetime.timedelta(minutes=settings.ZHENGWU_LOGIN_ADDRESS_WINDOW_MINUTES)


def _count_failure(scope: str, key: str, now: datetime.datetime) -> bool:
    """Add one failure to ``key``; lock it at the limit. True when this locked it."""
    lock, _created = LoginLock.objects.select_for_update().get_or_create(
        scope=scope, key=key
    )
    if lock.locked_until is not None and lock.locked_until > now:
        return False
    if lock.locked_until is not None:  # an expired lock: count afresh
        lock.failures, lock.locked_until, lock.first_failure_at = 0, None, None
    if (
        scope == LockScope.ADDRESS
        and lock.first_failure_at is not None
        and lock.first_failure_at <= now - address_window()
    ):
        # An address counts failures within a window only: an office behind one
        # NAT must not collect its typos over days until everyone is locked out.
        # Accounts count consecutive failures, cleared by a completed login.
        lock.failures, lock.first_failure_at = 0, None
    lock.failures += 1
    lock.first_failure_at = lock.first_failure_at or now
    locked = lock.failures >= settings.ZHENGWU_LOGIN_MAX_FAILURES
    if locked:
        lock.locked_until = now + datetime.timedelta(
            minutes=settings.ZHENGWU_LOGIN_LOCK_MINUTES
        )
    lock.save()
    return locked


def record_failure(
    request: HttpRequest,
    user: AbstractBaseUser | None,
    login_name: str,
    *,
    reason: str,
    method: str = "password",
) -> None:
    """Count a failed login against the account and the address, and audit it
    (and the lockout, when this failure caused one)."""
    now = timezone.now()
    masked = masked_login_name(login_name)
    with transaction.atomic():
        locks = []
        if reason != "locked":
            if _count_failure(LockScope.ACCOUNT, account_key(user, login_name), now):
                locks.append(LockScope.ACCOUNT)
            if _count_failure(LockScope.ADDRESS, address_key(request), now):
                locks.append(LockScope.ADDRESS)
        audit.record(
            acting_user=None,
            event=LOGIN_FAILED,
            outcome="failure",
            data={"login_name": masked, "reason": reason, "method": method},
        )
        for scope in locks:
            audit.record(
                acting_user=None,
                event="identity.locked",
                outcome="failure",
                data={
                    "scope": str(scope),
                    "login_name": masked,
                    "minutes": settings.ZHENGWU_LOGIN_LOCK_MINUTES,
                },
            )


def purge_locks() -> int:
    """Delete lock rows that no longer matter: no lock in force and no failure
    counted within the address window. Every unknown login name makes a row, so
    without this the table only grows. Idempotent.

    The row keeps only its first failure's time, so a row whose first failure is
    older than the window goes even if later ones are recent. For an address that
    is exact (its next failure would restart the count anyway). For an account it
    ends a run of consecutive failures after between one window and one window
    plus an hour (the purge runs hourly): fewer than the limit survive each purge,
    which lets a guesser try less often than waiting out the lock itself would."""
    now = timezone.now()
    no_lock = Q(locked_until__isnull=True) | Q(locked_until__lte=now)
    old = Q(first_failure_at__isnull=True) | Q(
        first_failure_at__lte=now - address_window()
    )
    deleted, _ = LoginLock.objects.filter(no_lock & old).delete()
    return deleted


def reset_account_failures(user: AbstractBaseUser) -> None:
    """A completed login (every factor) clears its account's failure count (not
    the address's, so one good account cannot be used to keep guessing others)."""
    LoginLock.objects.filter(
        scope=LockScope.ACCOUNT, key=account_key(user, "")
    ).delete()


def authenticate_password(
    request: HttpRequest, login_name: str, password: str
) -> AbstractBaseUser:
    """The user whose login name and password these are, or ``IdentityError``
    with the generic message. Does not log anyone in: the caller completes the
    login (staff after their second factor)."""
    user = find_user(login_name)
    locked = is_locked(request, user, login_name)
    if user is None:
        make_password(password)  # the same hashing work as for a real account
        password_ok = False
    else:
        password_ok = user.check_password(password)
    if locked:
        reason = "locked"
    elif user is None:
        reason = "unknown_account"
    elif not password_ok:
        reason = "wrong_password"
    elif not user.is_active or account_expired(user):
        reason = "inactive"
    else:
        # The account's failure count is cleared only when the whole login
        # completes (views.accounts), not here: a staff member's failed TOTP codes
        # count against the same account, and a right password must not wipe them.
        return user
    record_failure(request, user, login_name, reason=reason)
    raise generic_error()
