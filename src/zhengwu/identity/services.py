"""Writes to staff roles. Granting or revoking a role is audited.

Separation of duties (等保 GB/T 22239 8.1.4.2 d, standards §8): the system, security
and audit administrator roles are separate. One account holds at most one of them,
and never together with a business role (editor, reviewer, counter clerk, …). The
check runs under a row lock on the user (``select_for_update``), so two grants made
at the same time cannot both pass it."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from zhengwu.core import audit
from zhengwu.core.errors import validation_fields
from zhengwu.core.models import Division, Organisation

from .constants import ADMIN_ROLES, AccountKind, StaffRole
from .errors import IdentityError
from .models import Account, StaffMembership

ROLE_CONFLICT = "identity.role_conflict"
MEMBERSHIP_INVALID = "identity.membership_invalid"


def user_select_for_update(user_id: int) -> AbstractBaseUser:
    """The user row, locked until the end of the transaction: every change to one
    user's roles takes this lock first (one place for it)."""
    return get_user_model().objects.select_for_update().get(pk=user_id)


def role_conflict(held: set[str], role: str) -> str | None:
    """Why ``role`` cannot be added to an account holding ``held``, or None."""
    others = held - {role}
    if not others:
        return None
    label = StaffRole(role).label
    if role in ADMIN_ROLES:
        admin = sorted(others & ADMIN_ROLES)
        if admin:
            return _(
                "三员分立：该账户已是%(held)s，不能再担任%(role)s。"
                "系统管理员、安全管理员、审计管理员须由不同账户担任。"
            ) % {"held": StaffRole(admin[0]).label, "role": label}
        return _(
            "三员分立：该账户已承担业务角色（%(held)s），不能再担任%(role)s。"
            "管理员账户不得同时承担业务角色。"
        ) % {
            "held": "、".join(str(StaffRole(r).label) for r in sorted(others)),
            "role": label,
        }
    admin = sorted(others & ADMIN_ROLES)
    if admin:
        return _(
            "三员分立：该账户是%(held)s，不能再承担业务角色（%(role)s）。"
            "管理员账户不得同时承担业务角色。"
        ) % {"held": StaffRole(admin[0]).label, "role": label}
    return None


def superuser_conflict(user: AbstractBaseUser, role: str) -> str | None:
    """A superuser holds every right already (the break-glass account): giving it
    one of the separated administrator roles would make that administrator
    all-powerful (an audit administrator who can change anything)."""
    if role in ADMIN_ROLES and getattr(user, "is_superuser", False):
        return _(
            "三员分立：超级用户不能担任%(role)s。请为系统、安全、审计管理员分别使用"
            "普通工作人员账户。"
        ) % {"role": StaffRole(role).label}
    return None


@transaction.atomic
def membership_grant(
    *,
    user: AbstractBaseUser,
    organisation: Organisation,
    role: StaffRole | str,
    acting_user: AbstractBaseUser | None,
    scope_division: Division | None = None,
) -> StaffMembership:
    """Give ``user`` a role in ``organisation``; granting it twice changes nothing.

    ``scope_division`` narrows or widens the data scope (empty: the organisation's
    division). Raises ``IdentityError`` ``identity.role_conflict`` when the role
    would combine administrator duties, or one with a business role."""
    role = StaffRole(role)
    locked = user_select_for_update(user.pk)
    held = set(StaffMembership.objects.filter(user=user).values_list("role", flat=True))
    problem = role_conflict(held, role) or superuser_conflict(locked, role)
    if problem:
        raise IdentityError(
            ROLE_CONFLICT, problem, fields={"role": [problem]}, status=409
        )
    # Once staff, always staff: the account keeps its second factor and staff
    # password rules even if every role is later revoked.
    Account.objects.update_or_create(user=user, defaults={"kind": AccountKind.STAFF})
    membership = StaffMembership.objects.filter(
        user=user, organisation=organisation, role=role
    ).first()
    if membership is not None:
        return membership
    membership = StaffMembership(
        user=user, organisation=organisation, role=role, scope_division=scope_division
    )
    try:
        membership.full_clean()
    except ValidationError as error:
        raise IdentityError(
            MEMBERSHIP_INVALID,
            _("角色信息不完整或有误，请检查标出的字段。"),
            fields=validation_fields(error),
        ) from error
    membership.save()
    audit.record(
        acting_user=acting_user,
        event="identity.role_granted",
        target=membership,
        data={
            "user": user.get_username(),
            "organisation": organisation.credit_code,
            "role": str(role),
            "scope_division": scope_division.code if scope_division else "",
        },
    )
    return membership


@transaction.atomic
def membership_revoke(
    *,
    user: AbstractBaseUser,
    organisation: Organisation,
    role: StaffRole | str,
    acting_user: AbstractBaseUser | None,
) -> bool:
    """Take a role away; revoking one the user does not hold changes nothing."""
    user_select_for_update(user.pk)
    membership = StaffMembership.objects.filter(
        user=user, organisation=organisation, role=StaffRole(role)
    ).first()
    if membership is None:
        return False
    membership_delete(membership=membership, acting_user=acting_user)
    return True


@transaction.atomic
def membership_delete(
    *, membership: StaffMembership, acting_user: AbstractBaseUser | None
) -> None:
    """Remove one membership row (by the row itself); audited."""
    pk = membership.pk
    data = {
        "user": membership.user.get_username(),
        "organisation": membership.organisation.credit_code,
        "role": str(membership.role),
        "membership": pk,
    }
    membership.delete()
    audit.record(acting_user=acting_user, event="identity.role_revoked", data=data)
