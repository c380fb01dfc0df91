"""Django admin: the superuser's break-glass tool. Administrator roles (system,
security, audit) are granted here, by a superuser, and only here; everything goes
through the same services as the pages, so separation of duties and the audit apply.
Superuser accounts are not for daily administration: the named administrator
accounts use /staff/admin/."""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest

from django_otp.plugins.otp_totp.models import TOTPDevice
from oauth2_provider.models import (
    AccessToken,
    Application,
    Grant,
    IDToken,
    RefreshToken,
)

from zhengwu.core.admin import AuditEventAdmin
from zhengwu.core.models import AuditEvent

from .facade import staff_scope
from .models import StaffMembership
from .services import (
    membership_delete,
    membership_grant,
    role_conflict,
    superuser_conflict,
)

# The admin must not be a way around the services (validation, separation of
# duties, audit) nor show secrets. Removed from it:
# - groups and the user change form: permissions and the superuser flag granted
#   there would bypass roles, the separation of duties and the audit (users are
#   administered at /staff/admin/; superusers are made with ``createsuperuser``);
# - django-oauth-toolkit's models: clients are registered, changed and disabled by
#   the security administrator at /staff/sso-clients/ (audited); tokens are secrets;
# - TOTP devices: the change form shows each staff member's TOTP secret; a lost
#   factor is reset by the security administrator (audited).
# The audit log stays, for the audit administrator only.
for _model in (Group, Application, AccessToken, Grant, IDToken, RefreshToken):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)
if admin.site.is_registered(get_user_model()):
    admin.site.unregister(get_user_model())


if admin.site.is_registered(AuditEvent):
    admin.site.unregister(AuditEvent)


@admin.register(AuditEvent)
class AuditAdminOnlyEventAdmin(AuditEventAdmin):
    """The audit log, read-only, and only for the audit administrator (等保
    8.1.4.2 separated duties): not for a superuser or any other administrator."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return staff_scope(request.user).can_view_audit_log

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return staff_scope(request.user).can_view_audit_log


@admin.register(get_user_model())
class ReadOnlyUserAdmin(admin.ModelAdmin):
    """Users, to look up and pick for a role (the membership form's raw id
    lookup); nothing can be added, changed or deleted here."""

    list_display = ["username", "first_name", "is_active", "is_staff", "is_superuser"]
    list_filter = ["is_active", "is_staff", "is_superuser"]
    search_fields = ["username", "first_name", "last_name"]
    fields = [
        "username",
        "first_name",
        "last_name",
        "is_active",
        "is_staff",
        "is_superuser",
        "last_login",
        "date_joined",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class StaffMembershipForm(forms.ModelForm):
    class Meta:
        model = StaffMembership
        fields = ["user", "organisation", "role", "scope_division"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        user, role = data.get("user"), data.get("role")
        if user is not None and role and self.instance.pk is None:
            held = set(
                StaffMembership.objects.filter(user=user).values_list("role", flat=True)
            )
            problem = role_conflict(held, role) or superuser_conflict(user, role)
            if problem:
                self.add_error("role", problem)
        return data


@admin.register(StaffMembership)
class StaffMembershipAdmin(admin.ModelAdmin):
    form = StaffMembershipForm
    list_display = ["user", "organisation", "role", "scope_division"]
    list_filter = ["role"]
    search_fields = ["user__username", "organisation__name"]
    autocomplete_fields = ["organisation"]
    raw_id_fields = ["user", "scope_division"]

    def get_readonly_fields(
        self, request: HttpRequest, obj: StaffMembership | None = None
    ) -> list[str]:
        # A role is granted or revoked, never edited in place (each is audited).
        return ["user", "organisation", "role", "scope_division"] if obj else []

    def save_model(
        self,
        request: HttpRequest,
        obj: StaffMembership,
        form: forms.ModelForm,
        change: bool,
    ) -> None:
        if change:
            return
        granted = membership_grant(
            user=obj.user,
            organisation=obj.organisation,
            role=obj.role,
            scope_division=obj.scope_division,
            acting_user=request.user,
        )
        obj.pk = granted.pk

    def delete_model(self, request: HttpRequest, obj: StaffMembership) -> None:
        membership_delete(membership=obj, acting_user=request.user)

    def delete_queryset(
        self, request: HttpRequest, queryset: QuerySet[StaffMembership]
    ) -> None:
        for membership in queryset.select_related("user", "organisation"):
            membership_delete(membership=membership, acting_user=request.user)
