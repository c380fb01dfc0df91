"""Read-only admin views of process models, decision tables and instances. Uploads
go through ``workflows.facade`` (validated and audited), never through the admin.
An instance's state holds the applicant's form (encrypted): the admin never loads
or shows it (等保 least privilege)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

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
    fields = [
        "subject",
        "definition",
        "state_encrypted",
        "revision",
        "is_completed",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).defer("state")

    @admin.display(description=_("流程状态"))
    def state_encrypted(self, obj: ProcessInstance) -> str:
        return str(_("已加密，请在办件页面经授权查看"))
