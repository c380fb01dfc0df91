"""Django admin: the superuser's break-glass tool. Administrator roles (system,
security, audit) are granted here, by a superuser, and only here; everything goes
through the same services as the pages, so separation of duties and the audit apply.
Superuser accounts are not for daily administration: the named administrator
accounts use /staff/admin/."""

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import StaffMembership
from .services import membership_delete, membership_grant, role_conflict


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
            problem = role_conflict(held, role)
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
