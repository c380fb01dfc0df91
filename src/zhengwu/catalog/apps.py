from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The labels of the audit events this app writes (core.audit.record).
EVENT_LABELS = {
    "catalog.attachment_uploaded": _("上传附件"),
    "catalog.base_item_created": _("新增基本目录事项"),
    "catalog.base_item_updated": _("修改基本目录事项"),
    "catalog.import_applied": _("导入事项数据生效"),
    "catalog.import_started": _("开始导入事项数据"),
    "catalog.listing_cancelled": _("取消实施清单"),
    "catalog.listing_created": _("新增实施清单"),
    "catalog.synthetic_generated": _("生成演示数据"),
    "catalog.version_commented": _("填写审核意见"),
    "catalog.version_created": _("新建实施清单版本"),
    "catalog.version_discarded": _("废弃实施清单版本"),
    "catalog.version_ended": _("实施清单版本停止生效"),
    "catalog.version_published": _("发布实施清单版本"),
    "catalog.version_returned": _("退回实施清单版本"),
    "catalog.version_submitted": _("提交实施清单版本审核"),
    "catalog.version_updated": _("修改实施清单版本"),
}


class CatalogConfig(AppConfig):
    name = "zhengwu.catalog"
    label = "catalog"
    verbose_name = "事项目录与办事指南"

    def ready(self) -> None:
        from zhengwu.core.audit import register_event_labels

        register_event_labels(EVENT_LABELS)
