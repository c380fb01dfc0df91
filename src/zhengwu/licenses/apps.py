from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The labels of the audit events this app writes (core.audit.record).
EVENT_LABELS: dict[str, object] = {
    "licenses.type_defined": _("定义证照类型"),
    "licenses.seal_registered": _("登记电子印章"),
    "licenses.seal_deactivated": _("停用电子印章"),
    "licenses.seal_used": _("使用电子印章签章"),
    "licenses.issued": _("颁发电子证照"),
    "licenses.changed": _("变更电子证照（新版本）"),
    "licenses.suspended": _("暂停电子证照"),
    "licenses.resumed": _("恢复电子证照"),
    "licenses.revoked": _("注销电子证照"),
    "licenses.expired": _("电子证照过期"),
    "licenses.viewed": _("查阅电子证照"),
    "licenses.file_downloaded": _("下载电子证照文件"),
    "licenses.shown": _("亮证（生成出示二维码）"),
    "licenses.token_replayed": _("拒绝重复使用的亮证码"),
    "licenses.used": _("用证（查验电子证照）"),
    "licenses.import_started": _("上传证照批量导入文件"),
    "licenses.imported": _("证照批量导入完成（颁发历史证照）"),
    "licenses.import_failed": _("证照批量导入未通过校验（未颁发）"),
    "licenses.import_requeued": _("证照批量导入中断后重新排队"),
    "licenses.import_taken_over": _("证照批量导入中断后由新任务接手"),
}


class LicensesConfig(AppConfig):
    name = "zhengwu.licenses"
    label = "licenses"
    verbose_name = "电子证照"

    def ready(self) -> None:
        from zhengwu.core.audit import register_event_labels

        register_event_labels(EVENT_LABELS)
