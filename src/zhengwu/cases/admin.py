"""Read-mostly admin views of cases for the system administrator (changes go
through the services, which audit them).

Least privilege (等保): the admin never shows decrypted personal data. Encrypted
columns (the applicant's form, the contact mobile) are not loaded and show a
placeholder; the case page, with its access rule and audit, is where an
authorised person reads them."""

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from zhengwu.core.fields import EncryptedCharField, EncryptedJSONField

from .models import BundleDefinition, Case, HandlingConfig

ENCRYPTED_PLACEHOLDER = _("已加密，请在办件页面经授权查看")


def encrypted_field_names(model: type[models.Model]) -> list[str]:
    """The model's columns stored encrypted (personal data)."""
    return [
        field.name
        for field in model._meta.fields
        if isinstance(field, EncryptedCharField | EncryptedJSONField)
    ]


def placeholder(model: type[models.Model], name: str) -> Any:
    """A read-only admin field standing for the encrypted column ``name``."""

    def shown(self: admin.ModelAdmin, obj: models.Model) -> str:
        return str(ENCRYPTED_PLACEHOLDER)

    shown.short_description = model._meta.get_field(name).verbose_name  # type: ignore[attr-defined]
    return shown


class NoPersonalDataAdmin(admin.ModelAdmin):
    """Read-only fields of every column; an encrypted column is deferred (never
    decrypted) and shown as ``<name>_encrypted`` (a ``placeholder``)."""

    def get_queryset(self, request: HttpRequest) -> Any:
        hidden = encrypted_field_names(self.model)
        return super().get_queryset(request).defer(*hidden)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        hidden = set(encrypted_field_names(self.model))
        return [
            f"{field.name}_encrypted" if field.name in hidden else field.name
            for field in self.model._meta.fields
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return self.get_fields(request, obj)


@admin.register(Case)
class CaseAdmin(NoPersonalDataAdmin):
    list_display = ["number", "item_name", "status", "channel", "due_on"]
    list_filter = ["status", "channel", "deadline_state"]
    search_fields = ["number", "listing_code"]
    form_data_encrypted = placeholder(Case, "form_data")
    contact_mobile_encrypted = placeholder(Case, "contact_mobile")

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(HandlingConfig)
class HandlingConfigAdmin(admin.ModelAdmin):
    list_display = ["listing_code", "process_template", "decision_key"]
    search_fields = ["listing_code"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(BundleDefinition)
class BundleDefinitionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_active"]
    search_fields = ["code", "name"]
