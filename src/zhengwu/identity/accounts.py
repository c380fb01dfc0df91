"""Login accounts: password policy and history, who counts as staff, forced password
changes, logout everywhere and expiry of accounts past their end date."""

from importlib import import_module

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import structlog

from zhengwu.core import audit

from .constants import AccountKind
from .errors import IdentityError
from .models import Account, PasswordHistory, StaffMembership, UserSession
from .passwords import history_limit, is_recent_password, password_expired

logger = structlog.get_logger(__name__)


def is_staff_user(user: AbstractBaseUser) -> bool:
    """Staff log in with a second factor: an account of kind staff, any staff
    membership, or Django's staff / superuser flags."""
    if getattr(user, "is_superuser", False) or getattr(user, "is_staff", False):
        return True
    if Account.objects.filter(user=user, kind=AccountKind.STAFF).exists():
        return True
    return StaffMembership.objects.filter(user=user).exists()


def ensure_account(user: AbstractBaseUser, kind: AccountKind | str) -> Account:
    """The user's ``Account`` row, created with ``kind`` when missing."""
    account, _created = Account.objects.get_or_create(
        user=user, defaults={"kind": AccountKind(kind)}
    )
    return account


def _default_kind(user: AbstractBaseUser) -> AccountKind:
    return AccountKind.STAFF if is_staff_user(user) else AccountKind.PERSON


@transaction.atomic
def set_password(
    user: AbstractBaseUser,
    raw_password: str,
    *,
    acting_user: AbstractBaseUser | None,
    must_change: bool = False,
) -> None:
    """Validate (complexity, not one of the last five), hash, record in history,
    stamp ``password_changed_at``; audited. Raises ``IdentityError`` on a weak or
    repeated password, naming the field ``password``.

    ``must_change`` (an administrator setting someone's password) makes the owner
    choose a new one at the next login."""
    reasons: list[str] = []
    try:
        password_validation.validate_password(raw_password, user)
    except ValidationError as error:
        reasons.extend(error.messages)
    current = user.password if user.has_usable_password() else ""
    if (current and check_password(raw_password, current)) or is_recent_password(
        user, raw_password
    ):
        reasons.append(
            _("新密码不能与最近%(n)s次使用过的密码相同。") % {"n": history_limit()}
        )
    if reasons:
        raise IdentityError(
            "identity.password_rejected",
            _("密码不符合要求。"),
            fields={"password": reasons},
        )
    user.set_password(raw_password)
    user.save(update_fields=["password"])
    PasswordHistory.objects.create(user=user, password=user.password)
    stale = PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[
        history_limit() :
    ]
    PasswordHistory.objects.filter(pk__in=list(stale)).delete()
    account = ensure_account(user, _default_kind(user))
    account.password_changed_at = timezone.now()
    account.must_change_password = must_change
    account.save(update_fields=["password_changed_at", "must_change_password"])
    by_self = acting_user is not None and acting_user.pk == user.pk
    audit.record(
        acting_user=acting_user,
        event="identity.password_changed",
        target=account,
        data={
            "user": user.get_username(),
            "by_owner": by_self,
            "must_change": must_change,
        },
    )


def password_change_reason(user: AbstractBaseUser) -> str:
    """Why ``user`` must choose a new password before the login completes:
    ``"must_change"`` (set by an administrator), ``"expired"`` (a staff password
    older than 90 days), or ``""``."""
    account = (
        Account.objects.filter(user=user)
        .only("must_change_password", "password_changed_at")
        .first()
    )
    if account is None:
        return ""
    if account.must_change_password:
        return "must_change"
    if password_expired(account.password_changed_at) and is_staff_user(user):
        return "expired"
    return ""


def account_expired(user: AbstractBaseUser) -> bool:
    account = Account.objects.filter(user=user).only("expires_at").first()
    return bool(
        account is not None
        and account.expires_at is not None
        and account.expires_at <= timezone.now()
    )


def _session_store() -> type:
    return import_module(settings.SESSION_ENGINE).SessionStore


def end_sessions(user: AbstractBaseUser) -> int:
    """Delete every tracked session of ``user`` from the session store and mark it
    ended; return how many."""
    store = _session_store()
    now = timezone.now()
    open_sessions = list(
        UserSession.objects.filter(user=user, ended_at__isnull=True).values_list(
            "pk", "session_key"
        )
    )
    for _pk, key in open_sessions:
        store(session_key=key).delete()
    UserSession.objects.filter(pk__in=[pk for pk, _key in open_sessions]).update(
        ended_at=now
    )
    return len(open_sessions)


def logout_everywhere(user: AbstractBaseUser) -> int:
    """End every session of ``user`` and revoke their SSO tokens; audited. Returns
    the number of sessions ended (等保 8.1.4.10: nothing usable is left behind)."""
    from . import oidc

    with transaction.atomic():
        ended = end_sessions(user)
        try:
            revoked = oidc.revoke_user_tokens(user)
        except NotImplementedError:
            revoked = 0
        audit.record(
            acting_user=user,
            event="identity.logout",
            data={"user": user.get_username(), "sessions": ended, "tokens": revoked},
        )
    logger.info("logout_everywhere", user_id=user.pk, sessions=ended, tokens=revoked)
    return ended


def expire_accounts() -> int:
    """Deactivate every active account whose end date (``Account.expires_at``) has
    passed, end its sessions and revoke its SSO tokens (等保 8.1.4.2 c; a refresh
    token would otherwise still mint access tokens); audited per account.
    Idempotent."""
    from . import oidc

    expired = 0
    due = Account.objects.filter(
        expires_at__lte=timezone.now(), user__is_active=True
    ).select_related("user")
    for account in due:
        with transaction.atomic():
            user = account.user
            user.is_active = False
            user.save(update_fields=["is_active"])
            end_sessions(user)
            revoked = oidc.revoke_user_tokens(user)
            audit.record(
                acting_user=None,
                actor_label="system:account_expiry",
                event="identity.account_expired",
                target=account,
                data={
                    "user": user.get_username(),
                    "expires_at": account.expires_at,
                    "tokens": revoked,
                },
            )
        expired += 1
    return expired
