"""Admin of the shared kernel. Every change goes through a service, so it is
validated and audited like any other; nothing here deletes divisions, organisations
or audit records."""

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from . import services
from .calendar import validate_exception
from .models import AuditEvent, CalendarDay, CalendarYear, Division, Organisation


@admin.register(Division)
class DivisionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "level", "parent"]
    list_filter = ["level", "kind"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Codes are never deleted (ID numbers and old records use them): end a
        # division with its "valid until" date instead.
        return False

    def save_model(
        self, request: HttpRequest, obj: Division, form: Any, change: bool
    ) -> None:
        services.division_save(division=obj, acting_user=request.user)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "credit_code", "level", "division", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["name", "credit_code"]
    autocomplete_fields = ["division", "parent"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Records refer to organisations: deactivate instead of deleting.
        return False

    def save_model(
        self, request: HttpRequest, obj: Organisation, form: Any, change: bool
    ) -> None:
        if not change:
            created = services.organisation_create(
                credit_code=obj.credit_code,
                name=obj.name,
                short_name=obj.short_name,
                level=obj.level,
                division=obj.division,
                parent=obj.parent,
                kind=obj.kind,
                address=obj.address,
                phone=obj.phone,
                acting_user=request.user,
            )
            obj.pk = created.pk
            return
        services.organisation_update(
            organisation=obj,
            acting_user=request.user,
            **{name: form.cleaned_data[name] for name in form.changed_data},
        )


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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ["year", "is_complete", "source", "updated_at"]
    fields = ["year", "is_complete", "source"]

    def get_readonly_fields(
        self, request: HttpRequest, obj: CalendarYear | None = None
    ) -> list[str]:
        return ["year"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Withdraw a year by clearing "complete" (audited), not by deleting it.
        return False

    def save_model(
        self, request: HttpRequest, obj: CalendarYear, form: Any, change: bool
    ) -> None:
        if obj.is_complete:
            saved = services.calendar_year_mark_complete(
                year=obj.year, source=obj.source or None, acting_user=request.user
            )
        else:
            saved = services.calendar_year_mark_incomplete(
                year=obj.year, acting_user=request.user
            )
        obj.pk = saved.pk


class CalendarDayForm(forms.ModelForm):
    class Meta:
        model = CalendarDay
        fields = ["date", "kind", "name"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("date") and cleaned.get("kind"):
            validate_exception(date=cleaned["date"], kind=cleaned["kind"])
        return cleaned


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    form = CalendarDayForm
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"

    def save_model(
        self, request: HttpRequest, obj: CalendarDay, form: Any, change: bool
    ) -> None:
        if change and "date" in form.changed_data:
            services.calendar_day_remove(
                date=form.initial["date"], acting_user=request.user
            )
        saved = services.calendar_day_set(
            date=obj.date, kind=obj.kind, name=obj.name, acting_user=request.user
        )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: CalendarDay) -> None:
        services.calendar_day_remove(date=obj.date, acting_user=request.user)

    def delete_queryset(
        self, request: HttpRequest, queryset: QuerySet[CalendarDay]
    ) -> None:
        for day in queryset:
            services.calendar_day_remove(date=day.date, acting_user=request.user)
