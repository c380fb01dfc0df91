"""Writes to staff roles. Granting or revoking a role is audited."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from zhengwu.core import audit
from zhengwu.core.models import Organisation

from .constants import StaffRole
from .models import StaffMembership


@transaction.atomic
def membership_grant(
    *,
    user: AbstractBaseUser,
    organisation: Organisation,
    role: StaffRole | str,
    acting_user: AbstractBaseUser | None,
) -> StaffMembership:
    """Give ``user`` a role in ``organisation``; granting it twice changes nothing."""
    membership, created = StaffMembership.objects.get_or_create(
        user=user, organisation=organisation, role=StaffRole(role)
    )
    if created:
        audit.record(
            acting_user=acting_user,
            event="identity.role_granted",
            target=membership,
            data={
                "user": user.get_username(),
                "organisation": organisation.credit_code,
                "role": str(role),
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
    deleted, _ = StaffMembership.objects.filter(
        user=user, organisation=organisation, role=StaffRole(role)
    ).delete()
    if deleted:
        audit.record(
            acting_user=acting_user,
            event="identity.role_revoked",
            data={
                "user": user.get_username(),
                "organisation": organisation.credit_code,
                "role": str(role),
            },
        )
    return bool(deleted)
