from django.contrib import admin

from .models import AuditEvent, CalendarDay, CalendarYear, Division, Organisation


@admin.register(Division)
class DivisionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "level", "parent"]
    list_filter = ["level", "kind"]
    search_fields = ["code", "name"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "credit_code", "level", "division"]
    list_filter = ["level"]
    search_fields = ["name", "credit_code"]
    autocomplete_fields = ["division", "parent"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only for everyone."""

    list_display = [
        "occurred_at",
        "event",
        "actor_label",
        "target_type",
        "target_id",
        "source_ip",
        "seq",
    ]
    list_filter = ["event", "outcome"]
    search_fields = ["event", "actor_label", "target_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ["year", "is_complete", "source"]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"
