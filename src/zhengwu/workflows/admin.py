"""Read-only admin views of process models, decision tables and instances. Uploads
go through ``workflows.facade`` (validated and audited), never through the admin."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import DecisionTable, ProcessDefinition, ProcessInstance


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProcessDefinition)
class ProcessDefinitionAdmin(ReadOnlyAdmin):
    list_display = ["key", "version", "name", "process_id", "source", "created_at"]
    list_filter = ["source"]
    search_fields = ["key", "name"]


@admin.register(DecisionTable)
class DecisionTableAdmin(ReadOnlyAdmin):
    list_display = ["key", "version", "name", "decision_id", "created_at"]
    search_fields = ["key", "name"]


@admin.register(ProcessInstance)
class ProcessInstanceAdmin(ReadOnlyAdmin):
    list_display = ["subject", "definition", "revision", "is_completed", "updated_at"]
    list_filter = ["is_completed"]
    search_fields = ["subject"]
    list_select_related = ["definition"]
