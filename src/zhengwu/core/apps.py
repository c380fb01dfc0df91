from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _

# The labels of the audit events this app writes (core.audit.record).
EVENT_LABELS = {
    "core.calendar_day_removed": _("删除工作日历日期"),
    "core.calendar_day_set": _("设置工作日历日期"),
    "core.calendar_year_marked_complete": _("工作日历年度标记为已完整"),
    "core.calendar_year_marked_incomplete": _("工作日历年度标记为不完整"),
    "core.calendar_year_seeded": _("生成工作日历年度"),
    "core.division_created": _("新增行政区划"),
    "core.division_updated": _("修改行政区划"),
    "core.divisions_loaded": _("导入行政区划"),
    "core.organisation_created": _("新增机构"),
    "core.organisation_updated": _("修改机构"),
}


class CoreConfig(AppConfig):
    name = "zhengwu.core"
    label = "core"
    verbose_name = "基础"

    def ready(self) -> None:
        from .audit import register_event_labels, register_sqlite_functions

        register_event_labels(EVENT_LABELS)

        connection_created.connect(
            register_sqlite_functions, dispatch_uid="zhengwu_core_sqlite_functions"
        )
