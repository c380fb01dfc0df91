"""Read-mostly admin views of cases for the system administrator (changes go
through the services, which audit them)."""

from django.contrib import admin

from .models import BundleDefinition, Case, HandlingConfig


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["number", "item_name", "status", "channel", "due_on"]
    list_filter = ["status", "channel", "deadline_state"]
    search_fields = ["number", "listing_code"]
    readonly_fields = [f.name for f in Case._meta.fields]

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
