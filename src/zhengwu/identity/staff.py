"""Staff account administration, split between the separated administrators
(等保 GB/T 22239 8.1.4.2, standards §8):

- the **system administrator** creates staff accounts, grants and revokes business
  roles, disables and re-enables accounts and sets their expiry, within the
  divisions of their own data scope. They cannot grant administrator roles, and
  cannot act on administrator or superuser accounts;
- the **security administrator** handles security policy: clears login locks and
  resets a staff member's second factor (and registers SSO clients, elsewhere);
- the **audit administrator** only reads the audit log.

Administrator roles are granted by a superuser through the Django admin (which calls
:func:`~zhengwu.identity.services.membership_grant`, so the separation rules and the
audit apply). Superuser accounts are for that bootstrap and emergencies only, never
for daily administration: the pages here check roles, not ``is_superuser``.

Every service takes ``acting_user`` and checks it first; a refusal raises
``IdentityError`` with status 403 and changes nothing."""

from __future__ import annotations

import datetime
import re
import secrets
import string
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengwu.core import audit
from zhengwu.core.models import AuditEvent, Division, Organisation

from . import accounts
from .constants import ADMIN_ROLES, AccountKind, StaffRole
from .errors import IdentityError
from .facade import StaffScope, staff_scope
from .models import Account, LoginLock, StaffMembership
from .services import membership_delete, membership_grant, user_select_for_update

User = AbstractBaseUser

NOT_ALLOWED = "identity.not_allowed"
INVALID = "identity.staff_invalid"
USERNAME_TAKEN = "identity.username_taken"
NOT_FOUND = "identity.not_found"

BUSINESS_ROLES = tuple(r for r in StaffRole if r not in ADMIN_ROLES)
USERNAME_RE = re.compile(r"^[a-z][a-z0-9_.-]{2,29}$")
USERNAME_RULE = gettext_lazy(
    "用户名应为3至30位，以小写字母开头，可含小写字母、数字、“_”“.”“-”。"
)
SYMBOL_CHARACTERS = "#@%*+=?!-_"


# --- who may do what ---------------------------------------------------------------


def require_system_admin(acting_user: User | None) -> StaffScope:
    scope = staff_scope(acting_user)
    if not scope.can_administer_staff:
        raise IdentityError(
            NOT_ALLOWED, _("只有系统管理员可以管理工作人员账户。"), status=403
        )
    return scope


def require_security_admin(acting_user: User | None) -> StaffScope:
    scope = staff_scope(acting_user)
    if not scope.can_manage_security:
        raise IdentityError(
            NOT_ALLOWED, _("只有安全管理员可以执行此操作。"), status=403
        )
    return scope


def require_audit_admin(acting_user: User | None) -> StaffScope:
    scope = staff_scope(acting_user)
    if not scope.can_view_audit_log:
        raise IdentityError(
            NOT_ALLOWED, _("只有审计管理员可以查看审计日志。"), status=403
        )
    return scope


def audit_page(
    *,
    limit: int,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
    actor: str = "",
    event: str = "",
    target: str = "",
    outcome: str = "",
    before: int | None = None,
) -> tuple[list[AuditEvent], int | None]:
    """One page of the audit log for the audit administrator (the page and the API),
    newest first: from ``since`` (inclusive) to ``until`` (exclusive), by actor
    label, event code prefix, target type or id, outcome; and the cursor of the next
    page (keyset on the primary key: records older than ``before``)."""
    events = AuditEvent.objects.all()
    if since:
        events = events.filter(occurred_at__gte=since)
    if until:
        events = events.filter(occurred_at__lt=until)
    if actor:
        events = events.filter(actor_label=actor)
    if event:
        events = events.filter(event__startswith=event)
    if target:
        events = events.filter(Q(target_type=target) | Q(target_id=target))
    if outcome:
        events = events.filter(outcome=outcome)
    if before:
        events = events.filter(pk__lt=before)
    rows = list(events.order_by("-pk")[: limit + 1])
    if len(rows) > limit:
        return rows[:limit], rows[limit - 1].pk
    return rows, None


def admin_division_codes(scope: StaffScope) -> frozenset[str]:
    """The divisions a system administrator administers staff in."""
    return scope.division_codes_for(StaffRole.SYSTEM_ADMIN)


def organisations_in_scope(scope: StaffScope) -> QuerySet[Organisation]:
    return Organisation.objects.filter(
        division__code__in=admin_division_codes(scope), is_active=True
    ).select_related("division")


def divisions_in_scope(scope: StaffScope) -> QuerySet[Division]:
    return Division.objects.filter(code__in=admin_division_codes(scope))


def staff_users() -> QuerySet:
    """Users who are staff: a staff account, or at least one role."""
    return (
        get_user_model()
        .objects.filter(
            Q(account__kind=AccountKind.STAFF) | Q(memberships__isnull=False)
        )
        .distinct()
    )


def with_roles(users: QuerySet) -> QuerySet:
    """``users`` with their account and roles (organisation, scope division) loaded."""
    return users.select_related("account").prefetch_related(
        Prefetch(
            "memberships",
            queryset=StaffMembership.objects.select_related(
                "organisation", "scope_division"
            ).order_by("pk"),
        )
    )


def staff_page(
    scope: StaffScope,
    *,
    limit: int,
    q: str = "",
    organisation: int | None = None,
    role: str = "",
    after: str = "",
) -> tuple[list, str | None]:
    """One page of the staff accounts the system administrator administers (the
    page and the API), by username, filtered by username or name, organisation and
    role, with their roles loaded; and the next page's cursor (usernames after
    ``after``)."""
    users = staff_in_scope(scope)
    if q:
        users = users.filter(Q(username__icontains=q) | Q(first_name__icontains=q))
    if organisation:
        users = users.filter(memberships__organisation_id=organisation)
    if role:
        users = users.filter(memberships__role=role)
    if after:
        users = users.filter(username__gt=after)
    rows = list(with_roles(users.distinct().order_by("username"))[: limit + 1])
    if len(rows) > limit:
        return rows[:limit], rows[limit - 1].get_username()
    return rows, None


def staff_in_scope(scope: StaffScope) -> QuerySet:
    """Staff accounts a system administrator may administer: not superusers, no
    administrator role, and every role they hold is in an organisation inside the
    administrator's divisions."""
    codes = admin_division_codes(scope)
    return (
        staff_users()
        .filter(is_superuser=False)
        .exclude(memberships__role__in=ADMIN_ROLES)
        .exclude(
            memberships__organisation__in=Organisation.objects.exclude(
                division__code__in=codes
            )
        )
    )


def _staff_user_for_admin(scope: StaffScope, user_id: int) -> User:
    user = staff_in_scope(scope).filter(pk=user_id).first()
    if user is None:
        raise IdentityError(
            NOT_FOUND,
            _("没有这个工作人员账户，或不在您的管理范围内。"),
            status=404,
        )
    return user


def staff_user_for_admin(*, acting_user: User | None, user_id: int) -> User:
    """A staff account the system administrator may administer, else 403 / 404."""
    return _staff_user_for_admin(require_system_admin(acting_user), user_id)


def landing_url(user: User | None) -> str:
    """Where a signed-in staff member starts: an administrator on their own
    administration page, a counter clerk at the counter, a service-point clerk on
    the authorisations they act under, the catalogue staff on the workbench
    (``LOGIN_REDIRECT_URL``, also for staff without a role); a reviewer on the case
    workbench (办件工作台)."""
    from django.conf import settings
    from django.shortcuts import resolve_url

    scope = staff_scope(user)
    if scope.can_administer_staff:
        return resolve_url("identity:staff_list")
    if scope.can_manage_security:
        return resolve_url("identity:staff_security")
    if scope.can_view_audit_log:
        return resolve_url("identity:staff_audit")
    if scope.is_staff_member:
        return resolve_url(settings.LOGIN_REDIRECT_URL)
    if scope.counter_organisation_ids:
        return resolve_url("identity:counter_home")
    if scope.service_point_organisation_ids:
        return resolve_url("identity:me_authorisations")
    if scope.reviewer_organisation_ids:
        return resolve_url("portal:wb_inbox")
    return resolve_url(settings.LOGIN_REDIRECT_URL)


# --- passwords ----------------------------------------------------------------------


def generate_initial_password(length: int = 14) -> str:
    """A random password with upper and lower case letters, digits and a symbol
    (the complexity rule), to be shown once and changed at first login."""
    alphabet = string.ascii_letters + string.digits + SYMBOL_CHARACTERS
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(length))
        if (
            any(c.islower() for c in password)
            and any(c.isupper() for c in password)
            and any(c.isdigit() for c in password)
            and any(c in SYMBOL_CHARACTERS for c in password)
        ):
            return password


# --- accounts -------------------------------------------------------------------


@dataclass(frozen=True)
class RoleRequest:
    organisation: Organisation
    role: str
    scope_division: Division | None = None


@dataclass(frozen=True)
class CreatedStaff:
    user: AbstractBaseUser
    initial_password: str


def _check_role_request(scope: StaffScope, request: RoleRequest, field: str) -> None:
    codes = admin_division_codes(scope)
    if request.role in ADMIN_ROLES or request.role not in StaffRole.values:
        raise IdentityError(
            NOT_ALLOWED,
            _("系统管理员只能授予业务角色；管理员角色由超级用户在后台授予。"),
            fields={field: [_("只能选择业务角色。")]},
            status=403,
        )
    if request.organisation.division.code not in codes:
        raise IdentityError(
            NOT_ALLOWED,
            _("该单位不在您的管理范围内。"),
            fields={"organisation": [_("不在您的管理范围内。")]},
            status=403,
        )
    if request.scope_division is not None and request.scope_division.code not in codes:
        raise IdentityError(
            NOT_ALLOWED,
            _("数据范围超出了您的管理范围。"),
            fields={"scope_division": [_("不在您的管理范围内。")]},
            status=403,
        )


def _check_expiry(expires_at: datetime.datetime | None) -> None:
    if expires_at is not None and expires_at <= timezone.now():
        raise IdentityError(
            INVALID,
            _("账户有效期应晚于当前时间。"),
            fields={"expires_at": [_("应晚于当前时间。")]},
        )


@transaction.atomic
def staff_account_create(
    *,
    username: str,
    full_name: str,
    roles: list[RoleRequest],
    expires_at: datetime.datetime | None = None,
    acting_user: User | None,
) -> CreatedStaff:
    """Create a staff account with at least one business role, a generated initial
    password that must be changed at first login, and an optional expiry. Audited;
    the password is returned once and never stored in clear or audited."""
    scope = require_system_admin(acting_user)
    username = (username or "").strip().lower()
    full_name = (full_name or "").strip()
    fields: dict[str, list[str]] = {}
    if not USERNAME_RE.match(username):
        fields["username"] = [str(USERNAME_RULE)]
    elif get_user_model().objects.filter(username__iexact=username).exists():
        raise IdentityError(
            USERNAME_TAKEN,
            _("用户名已被使用，请换一个。"),
            fields={"username": [_("已被使用。")]},
            status=409,
        )
    if not full_name or len(full_name) > 50:
        fields["full_name"] = [_("请填写姓名（不超过50个字）。")]
    if not roles:
        fields["roles"] = [_("至少授予一个业务角色。")]
    if fields:
        raise IdentityError(
            INVALID, _("账户信息不完整或有误，请检查标出的字段。"), fields=fields
        )
    for request in roles:
        _check_role_request(scope, request, "roles")
    _check_expiry(expires_at)
    user = get_user_model().objects.create_user(
        username=username, first_name=full_name, is_staff=False
    )
    account = accounts.ensure_account(user, AccountKind.STAFF)
    if expires_at is not None:
        account.expires_at = expires_at
        account.save(update_fields=["expires_at", "updated_at"])
    password = generate_initial_password()
    accounts.set_password(user, password, acting_user=acting_user, must_change=True)
    audit.record(
        acting_user=acting_user,
        event="identity.staff_account_created",
        target=user,
        data={
            "user": username,
            "expires_at": expires_at.isoformat() if expires_at else "",
        },
    )
    for request in roles:
        membership_grant(
            user=user,
            organisation=request.organisation,
            role=request.role,
            scope_division=request.scope_division,
            acting_user=acting_user,
        )
    return CreatedStaff(user=user, initial_password=password)


@transaction.atomic
def staff_role_grant(
    *, user_id: int, request: RoleRequest, acting_user: User | None
) -> StaffMembership:
    """Grant a business role to a staff account in the administrator's scope."""
    scope = require_system_admin(acting_user)
    user = _staff_user_for_admin(scope, user_id)
    _check_role_request(scope, request, "role")
    return membership_grant(
        user=user,
        organisation=request.organisation,
        role=request.role,
        scope_division=request.scope_division,
        acting_user=acting_user,
    )


@transaction.atomic
def staff_role_revoke(
    *, user_id: int, membership_id: int, acting_user: User | None
) -> None:
    scope = require_system_admin(acting_user)
    user = _staff_user_for_admin(scope, user_id)
    user_select_for_update(user.pk)
    membership = (
        StaffMembership.objects.filter(pk=membership_id, user=user)
        .select_related("user", "organisation")
        .first()
    )
    if membership is None:
        raise IdentityError(NOT_FOUND, _("该账户没有这个角色。"), status=404)
    membership_delete(membership=membership, acting_user=acting_user)


@transaction.atomic
def staff_account_set_active(
    *, user_id: int, active: bool, acting_user: User | None
) -> User:
    """Disable (every session and token ended) or re-enable a staff account."""
    scope = require_system_admin(acting_user)
    user = _staff_user_for_admin(scope, user_id)
    if acting_user is not None and user.pk == acting_user.pk:
        raise IdentityError(NOT_ALLOWED, _("不能停用自己的账户。"), status=403)
    user = user_select_for_update(user.pk)
    if user.is_active == active:
        return user
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit.record(
        acting_user=acting_user,
        event="identity.staff_account_enabled"
        if active
        else "identity.staff_account_disabled",
        target=user,
        data={"user": user.get_username()},
    )
    if not active:
        accounts.logout_everywhere(user)
    return user


@transaction.atomic
def staff_account_set_expiry(
    *,
    user_id: int,
    expires_at: datetime.datetime | None,
    acting_user: User | None,
) -> Account:
    scope = require_system_admin(acting_user)
    user = _staff_user_for_admin(scope, user_id)
    _check_expiry(expires_at)
    account = accounts.ensure_account(user, AccountKind.STAFF)
    if account.expires_at == expires_at:
        return account
    account.expires_at = expires_at
    account.save(update_fields=["expires_at", "updated_at"])
    audit.record(
        acting_user=acting_user,
        event="identity.staff_account_expiry_set",
        target=user,
        data={
            "user": user.get_username(),
            "expires_at": expires_at.isoformat() if expires_at else "",
        },
    )
    return account


# --- security administrator ------------------------------------------------------


def current_locks() -> QuerySet[LoginLock]:
    """Login locks in force, or counting failures."""
    return LoginLock.objects.filter(
        Q(locked_until__gt=timezone.now()) | Q(failures__gt=0)
    ).order_by("-locked_until", "-first_failure_at")


def lock_labels(locks: list[LoginLock]) -> dict[int, str]:
    """Lock id → the staff username an account lock belongs to, where it is a staff
    account (keys are blind indexes; a citizen's lock stays unnamed)."""
    from .login import account_key

    wanted = {lock.key for lock in locks if lock.scope == "account"}
    if not wanted:
        return {}
    names = {}
    for user in staff_users().only("pk", "username")[:2000]:
        key = account_key(user, "")
        if key in wanted:
            names[key] = user.get_username()
    return {lock.pk: names[lock.key] for lock in locks if lock.key in names}


@transaction.atomic
def login_lock_clear(*, lock_id: int, acting_user: User | None) -> None:
    """Clear one login lock (account or source address) at once."""
    require_security_admin(acting_user)
    lock = LoginLock.objects.select_for_update().filter(pk=lock_id).first()
    if lock is None:
        raise IdentityError(NOT_FOUND, _("该锁定记录不存在或已解除。"), status=404)
    data: dict[str, object] = {"scope": lock.scope, "failures": lock.failures}
    if lock.scope == "address":
        data["address"] = lock.key
    else:
        label = lock_labels([lock]).get(lock.pk)
        data["user"] = label or ""
        data["key"] = lock.key[:12]
    lock.delete()
    audit.record(acting_user=acting_user, event="identity.login_unlocked", data=data)


def staff_for_security_admin(*, acting_user: User | None, user_id: int) -> User:
    require_security_admin(acting_user)
    user = (
        staff_users()
        .filter(pk=user_id)
        .exclude(pk=getattr(acting_user, "pk", None))
        .first()
    )
    if user is None:
        raise IdentityError(NOT_FOUND, _("没有这个工作人员账户。"), status=404)
    return user


@transaction.atomic
def staff_factor_reset(*, user_id: int, acting_user: User | None) -> int:
    """Remove a staff member's second factor so they enrol again at next login
    (a lost phone). A security administrator cannot reset their own."""
    user = staff_for_security_admin(acting_user=acting_user, user_id=user_id)
    from . import twofactor  # the second-factor module (accounts work)

    return twofactor.reset_factors(user, acting_user)
