"""Process models (BPMN), decision tables (DMN) and running process instances.

Only this app imports SpiffWorkflow. Other apps use ``workflows.facade``: they name a
subject (``"case:<pk>"``), never a model instance of this app."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengwu.core.fields import EncryptedCharField
from zhengwu.core.models import BaseModel


class DefinitionSource(models.TextChoices):
    TEMPLATE = "template", _("平台模板")
    UPLOADED = "uploaded", _("上传")


class ProcessDefinition(BaseModel):
    """One validated version of a BPMN process model. Never edited: an upload of
    the same key makes the next version; instances keep the version they started
    with."""

    key = models.CharField(_("流程标识"), max_length=100)
    version = models.PositiveIntegerField(_("版本"))
    name = models.CharField(_("名称"), max_length=200)
    process_id = models.CharField(_("BPMN流程编号"), max_length=100)
    source = models.CharField(
        _("来源"), max_length=10, choices=DefinitionSource.choices
    )
    bpmn_xml = models.TextField(_("BPMN文档"))
    sm3 = models.CharField(_("SM3摘要"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["key", "-version"]
        verbose_name = _("流程模型")
        verbose_name_plural = _("流程模型")
        constraints = [
            models.UniqueConstraint(
                fields=["key", "version"], name="process_definition_unique_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"


class DecisionTable(BaseModel):
    """One version of a DMN decision table (秒批 rules)."""

    key = models.CharField(_("决策表标识"), max_length=100)
    version = models.PositiveIntegerField(_("版本"))
    name = models.CharField(_("名称"), max_length=200)
    decision_id = models.CharField(_("DMN决策编号"), max_length=100)
    dmn_xml = models.TextField(_("DMN文档"))
    sm3 = models.CharField(_("SM3摘要"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["key", "-version"]
        verbose_name = _("决策表")
        verbose_name_plural = _("决策表")
        constraints = [
            models.UniqueConstraint(
                fields=["key", "version"], name="decision_table_unique_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"


class ProcessInstance(BaseModel):
    """A running (or finished) process for one subject. ``state`` is the JSON text
    of SpiffWorkflow's serialized workflow and its definition, stored SM4-encrypted
    (等保 8.1.4.8: the process data holds the applicant's form). Text, not a JSON
    column: PostgreSQL's jsonb reorders keys and SpiffWorkflow restores tasks in
    mapping order. ``revision`` is the optimistic lock: a write names the revision
    it read and fails if another write came first."""

    subject = models.CharField(_("业务对象"), max_length=100, unique=True)
    definition = models.ForeignKey(
        ProcessDefinition, on_delete=models.PROTECT, related_name="instances"
    )
    state = EncryptedCharField(_("流程状态"))
    revision = models.PositiveIntegerField(_("修订号"), default=0)
    is_completed = models.BooleanField(_("已结束"), default=False)

    class Meta:
        verbose_name = _("流程实例")
        verbose_name_plural = _("流程实例")

    def __str__(self) -> str:
        return self.subject
