from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

EVENT_LABELS: dict[str, object] = {
    "workflows.definition_uploaded": _("上传流程模型"),
    "workflows.decision_uploaded": _("上传决策表"),
}


class WorkflowsConfig(AppConfig):
    name = "zhengwu.workflows"
    label = "workflows"
    verbose_name = "流程引擎"

    def ready(self) -> None:
        from zhengwu.core.audit import register_event_labels

        register_event_labels(EVENT_LABELS)
