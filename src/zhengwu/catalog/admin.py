"""Admin for the code tables. Items, listings and versions change only through the
staff pages and API (services), so that every change is reviewed and audited; here
they are read-only."""

from django.contrib import admin

from .models import BaseItem, ImportJob, ItemType, Listing, ListingVersion, Theme


@admin.register(ItemType)
class ItemTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_fixed", "exchange_category", "sort_order"]

    def get_readonly_fields(self, request, obj=None):
        # The national codes 01–09 are fixed; the province's own codes may be renamed.
        return ["code", "name", "is_fixed"] if obj is not None and obj.is_fixed else []


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "audience", "sort_order"]
    list_filter = ["audience"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BaseItem)
class BaseItemAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "item_type", "is_active"]
    list_filter = ["item_type", "is_active"]
    search_fields = ["code", "name"]


@admin.register(Listing)
class ListingAdmin(ReadOnlyAdmin):
    list_display = ["code", "base_item", "organisation", "level"]
    search_fields = ["code", "base_item__name", "organisation__name"]
    list_select_related = ["base_item", "organisation"]


@admin.register(ListingVersion)
class ListingVersionAdmin(ReadOnlyAdmin):
    list_display = ["listing", "number", "status", "effective_from", "effective_until"]
    list_filter = ["status"]
    list_select_related = ["listing"]


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = [
        "original_name",
        "status",
        "processed_rows",
        "total_rows",
        "created_at",
    ]
    list_filter = ["status"]
