"""What other apps may ask about staff: organisations and roles. The one place that
decides who is a department editor or the catalogue authority."""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from .constants import StaffRole
from .models import StaffMembership
from .services import membership_grant, membership_revoke

__all__ = [
    "StaffRole",
    "StaffScope",
    "membership_grant",
    "membership_revoke",
    "staff_scope",
]


@dataclass(frozen=True)
class StaffScope:
    user_id: int | None
    editor_organisation_ids: frozenset[int]
    is_catalogue_authority: bool
    is_superuser: bool

    @property
    def is_staff_member(self) -> bool:
        return bool(
            self.editor_organisation_ids
            or self.is_catalogue_authority
            or self.is_superuser
        )

    def can_edit_organisation(self, organisation_id: int) -> bool:
        return self.is_superuser or organisation_id in self.editor_organisation_ids

    @property
    def can_review(self) -> bool:
        return self.is_superuser or self.is_catalogue_authority


ANONYMOUS_SCOPE = StaffScope(None, frozenset(), False, False)


def staff_scope(user: AbstractBaseUser | AnonymousUser | None) -> StaffScope:
    """The catalogue rights of ``user``; cached on the user object for one request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return ANONYMOUS_SCOPE
    cached = getattr(user, "_zhengwu_staff_scope", None)
    if cached is not None:
        return cached
    rows = list(
        StaffMembership.objects.filter(user=user).values_list("organisation_id", "role")
    )
    scope = StaffScope(
        user_id=user.pk,
        editor_organisation_ids=frozenset(
            org for org, role in rows if role == StaffRole.DEPARTMENT_EDITOR
        ),
        is_catalogue_authority=any(
            role == StaffRole.CATALOGUE_AUTHORITY for _, role in rows
        ),
        is_superuser=bool(getattr(user, "is_superuser", False)),
    )
    user._zhengwu_staff_scope = scope  # type: ignore[union-attr]
    return scope
