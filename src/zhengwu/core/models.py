from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .fields import EncryptedCharField
from .validators import validate_uscc


class BaseModel(models.Model):
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class DivisionLevel(models.TextChoices):
    PROVINCE = "province", _("省级")
    PREFECTURE = "prefecture", _("地市级")
    COUNTY = "county", _("县级")
    TOWNSHIP = "township", _("乡镇（街道）级")
    ZONE = "zone", _("功能区")


class Division(BaseModel):
    """An administrative division (GB/T 2260). Codes are never deleted: ID numbers
    and old records keep using revoked codes, so a division is ended by ``valid_until``."""

    code = models.CharField(_("区划代码"), max_length=6, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    kind = models.CharField(_("类型"), max_length=20)
    level = models.CharField(_("层级"), max_length=20, choices=DivisionLevel.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    valid_from = models.DateField(_("启用日期"), null=True, blank=True)
    valid_until = models.DateField(_("停用日期"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def code12(self) -> str:
        """The 12-digit form platforms exchange (6-digit code + 000000)."""
        return f"{self.code}000000"


class OrganisationLevel(models.IntegerChoices):
    """行使层级 (§1.4): the digit inside the implementation code."""

    NATIONAL = 1, _("国家级")
    PROVINCIAL = 2, _("省级")
    MUNICIPAL = 3, _("市级")
    COUNTY = 4, _("县级")
    TOWNSHIP = 5, _("乡镇（街道）级")


class Organisation(BaseModel):
    """A department or other body that implements service items (实施主体)."""

    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[validate_uscc]
    )
    name = models.CharField(_("名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=50, blank=True)
    level = models.PositiveSmallIntegerField(
        _("层级"), choices=OrganisationLevel.choices
    )
    division = models.ForeignKey(
        Division,
        on_delete=models.PROTECT,
        related_name="organisations",
        verbose_name=_("所在区划"),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("上级单位"),
    )
    kind = models.CharField(_("实施主体性质"), max_length=30, default="法定机关")
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("咨询电话"), max_length=50, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        ordering = ["division__code", "name"]
        verbose_name = _("实施主体")
        verbose_name_plural = _("实施主体")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=5),
                name="organisation_level_1_to_5",
            ),
            models.UniqueConstraint(
                fields=["division", "name"], name="organisation_unique_name_in_division"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AuditEvent(models.Model):
    """Append-only audit record (等保 8.1.4.3).

    Writers only insert (``content_hash`` is computed at insertion, no lock). A sealer
    then links unsealed records into one chain in insertion order: it sets ``seq``,
    ``prev_hash`` and ``chain_hash`` so every sealed record carries the hash of the
    previous one. Database triggers refuse deletes and any update other than sealing
    (migration ``0003_auditevent_append_only_triggers``). On SQLite a migration that
    rebuilds this table drops its triggers: such a migration must install them again
    (``test_audit`` checks they exist).
    """

    occurred_at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    actor_label = models.CharField(_("操作人标识"), max_length=150, blank=True)
    on_behalf_of = models.CharField(_("代表"), max_length=150, blank=True)
    event = models.CharField(_("事件"), max_length=80, db_index=True)
    outcome = models.CharField(_("结果"), max_length=20, default="success")
    target_type = models.CharField(_("对象类型"), max_length=80, blank=True)
    target_id = models.CharField(_("对象标识"), max_length=80, blank=True)
    source_ip = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    request_id = models.CharField(_("请求标识"), max_length=64, blank=True)
    data = models.JSONField(_("内容"), default=dict, blank=True)
    content_hash = models.CharField(_("内容摘要"), max_length=64)
    seq = models.BigIntegerField(_("链序号"), null=True, blank=True, unique=True)
    prev_hash = models.CharField(_("前序摘要"), max_length=64, blank=True)
    chain_hash = models.CharField(_("链摘要"), max_length=64, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="audit_target_idx"),
            models.Index(
                fields=["on_behalf_of", "-occurred_at"],
                name="audit_principal_idx",
                condition=~models.Q(on_behalf_of=""),
            ),
            models.Index(
                fields=["id"],
                name="audit_unsealed_idx",
                condition=models.Q(seq__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.event}"


class AuditChainHead(models.Model):
    """The single row the sealer locks: last sealed sequence number and hash."""

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    sealed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("审计链头")

    def __str__(self) -> str:
        return f"audit chain at {self.last_seq}"


class CalendarYear(BaseModel):
    """A year of the working-day calendar. Only a year marked complete is used for
    computing: any date in another year raises ``CalendarYearUnknownError``."""

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    is_complete = models.BooleanField(_("已完整录入"), default=False)
    source = models.CharField(_("来源"), max_length=200, blank=True)

    class Meta:
        ordering = ["year"]
        verbose_name = _("工作日历年度")
        verbose_name_plural = _("工作日历年度")

    def __str__(self) -> str:
        return str(self.year)


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("法定节假日（休息）")
    WORKDAY = "workday", _("调休上班")


class CalendarDay(BaseModel):
    """An exception to the Monday–Friday rule: a weekday holiday or a weekend workday."""

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=DayKind.choices)
    name = models.CharField(_("节日"), max_length=30, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("节假日/调休日")
        verbose_name_plural = _("节假日/调休日")

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class SmsMessage(models.Model):
    """One text message to a mobile (the SMS outbox). Written in the sender's
    transaction, delivered afterwards by a task through the configured gateway
    (``core.sms``); the local provider delivers nowhere, so this table is what the
    tests and the demo read. ``reference`` makes sending idempotent."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    mobile = EncryptedCharField(_("手机号码"))
    mobile_masked = models.CharField(_("手机号码（脱敏）"), max_length=20)
    text = models.TextField(_("内容"))
    template = models.CharField(_("模板"), max_length=50)
    reference = models.CharField(_("业务标识"), max_length=100, unique=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("发送次数"), default=0)
    provider_message_id = models.CharField(
        _("通道消息标识"), max_length=100, blank=True
    )
    last_error = models.CharField(_("最近错误"), max_length=200, blank=True)
    created_at = models.DateTimeField(
        _("创建时间"), default=timezone.now, db_index=True
    )
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("短信")
        verbose_name_plural = _("短信发件箱")

    def __str__(self) -> str:
        return f"{self.mobile_masked} {self.template}"


class UnicodeJSONEncoder(DjangoJSONEncoder):
    """Stores Chinese text as itself, not as ``\\uXXXX`` escapes: on SQLite, where JSON
    is text, that halves the size of a service guide."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ensure_ascii"] = False
        super().__init__(*args, **kwargs)
