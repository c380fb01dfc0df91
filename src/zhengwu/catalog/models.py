import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengwu.core.models import BaseModel, Division, Organisation, UnicodeJSONEncoder

from .constants import OPEN_STATUSES, Audience, ImportStatus, VersionStatus


class ItemType(models.Model):
    """事项类型 code table (§1.5): 01–09 fixed; other codes are the province's."""

    code = models.CharField(_("类型代码"), max_length=2, unique=True)
    name = models.CharField(_("类型名称"), max_length=30, unique=True)
    is_fixed = models.BooleanField(_("国家统一"), default=False)
    exchange_category = models.CharField(
        _("交换分类"), max_length=20, default="general"
    )
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("事项类型")
        verbose_name_plural = _("事项类型")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Theme(models.Model):
    """主题分类 for browsing, per audience (面向自然人 / 面向法人)."""

    code = models.SlugField(_("主题代码"), max_length=40, unique=True)
    name = models.CharField(_("主题名称"), max_length=30)
    audience = models.CharField(_("服务对象"), max_length=10, choices=Audience.choices)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["audience", "sort_order", "code"]
        verbose_name = _("主题")
        verbose_name_plural = _("主题")
        constraints = [
            models.UniqueConstraint(
                fields=["audience", "name"], name="theme_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class BaseItem(BaseModel):
    """基本目录事项: one name and one code for the whole province (§1.2).

    The 12-digit code is generated from its segments, never typed: prefix (2),
    item type (2), main item (5), sub-item (3, ``000`` for a main item)."""

    code = models.CharField(_("基本编码"), max_length=12, unique=True, editable=False)
    prefix = models.CharField(_("目录前缀"), max_length=2)
    item_type = models.ForeignKey(
        ItemType,
        on_delete=models.PROTECT,
        related_name="items",
        verbose_name=_("事项类型"),
    )
    main_code = models.CharField(_("主项编码"), max_length=5)
    sub_code = models.CharField(_("子项编码"), max_length=3, default="000")
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sub_items",
        verbose_name=_("主项"),
    )
    name = models.CharField(_("事项名称"), max_length=200, unique=True)
    legal_basis = models.JSONField(_("设定依据"), default=list)
    for_natural_person = models.BooleanField(_("面向自然人"), default=False)
    for_legal_person = models.BooleanField(_("面向法人"), default=False)
    themes = models.ManyToManyField(
        Theme, blank=True, related_name="items", verbose_name=_("主题")
    )
    is_active = models.BooleanField(_("有效"), default=True)
    search_text = models.TextField(_("检索文本"), editable=False, default="")

    class Meta:
        ordering = ["code"]
        verbose_name = _("基本目录事项")
        verbose_name_plural = _("基本目录事项")
        constraints = [
            models.UniqueConstraint(
                fields=["prefix", "item_type", "main_code", "sub_code"],
                name="base_item_unique_segments",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class Listing(BaseModel):
    """实施清单 entry: one implementing organisation at one level for a base item.

    Its 31-character code is credit code (18) + level (1) + basic code (12) (§1.3).
    The guide lives in :class:`ListingVersion`; the public sees the version in force."""

    base_item = models.ForeignKey(
        BaseItem,
        on_delete=models.PROTECT,
        related_name="listings",
        verbose_name=_("基本目录事项"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("实施主体"),
    )
    level = models.PositiveSmallIntegerField(_("行使层级"))
    division = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="+", verbose_name=_("实施区划")
    )
    code = models.CharField(_("实施编码"), max_length=31, unique=True, editable=False)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("实施清单")
        verbose_name_plural = _("实施清单")
        constraints = [
            models.UniqueConstraint(
                fields=["base_item", "organisation", "level"],
                name="listing_unique_per_org_level",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class ListingVersion(BaseModel):
    """One version of a listing's guide. Drafts are edited by the department; the
    catalogue authority publishes them with an effective date. Published versions are
    never edited again; the next change is a new version."""

    listing = models.ForeignKey(
        Listing,
        on_delete=models.PROTECT,
        related_name="versions",
        verbose_name=_("实施清单"),
    )
    number = models.PositiveIntegerField(_("版本号"))
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=VersionStatus.choices,
        default=VersionStatus.DRAFT,
    )
    guide = models.JSONField(_("办事指南"), default=dict, encoder=UnicodeJSONEncoder)
    change_reason = models.TextField(_("变更原因"), blank=True)
    effective_from = models.DateField(_("生效日期"), null=True, blank=True)
    effective_until = models.DateField(_("取消（失效）日期"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # Denormalised from ``guide`` at every save for filters and the consistency report.
    is_online = models.BooleanField(_("网上可办"), default=False)
    depth_level = models.PositiveSmallIntegerField(_("网办深度等级"), default=1)
    visits = models.PositiveSmallIntegerField(_("到现场次数"), default=0)
    is_fee = models.BooleanField(_("收费"), default=False)
    rule_error_count = models.PositiveSmallIntegerField(_("规则错误数"), default=0)
    shared_fingerprint = models.CharField(_("共享要素摘要"), max_length=64, blank=True)

    class Meta:
        ordering = ["listing_id", "-number"]
        verbose_name = _("实施清单版本")
        verbose_name_plural = _("实施清单版本")
        constraints = [
            models.UniqueConstraint(
                fields=["listing", "number"], name="version_unique_number"
            ),
            models.UniqueConstraint(
                fields=["listing"],
                condition=models.Q(status__in=[s.value for s in OPEN_STATUSES]),
                name="version_one_open_per_listing",
            ),
            models.CheckConstraint(
                condition=models.Q(effective_until__isnull=True)
                | models.Q(effective_from__isnull=True)
                | models.Q(effective_until__gt=models.F("effective_from")),
                name="version_until_after_from",
            ),
        ]
        indexes = [
            models.Index(
                fields=["listing", "effective_from"],
                name="version_published_idx",
                condition=models.Q(status="published"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.listing.code} v{self.number}"


class ReviewComment(BaseModel):
    version = models.ForeignKey(
        ListingVersion, on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    field = models.CharField(_("字段"), max_length=100, blank=True)
    body = models.TextField(_("意见"))

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("审核意见")
        verbose_name_plural = _("审核意见")


def attachment_path(instance: "Attachment", filename: str) -> str:
    return f"attachments/{instance.pk.hex[:2]}/{instance.pk.hex}"


class Attachment(BaseModel):
    """A guide file (blank form, filled sample, result sample). Stored under MEDIA_ROOT,
    outside the web root, served only by a view that checks access."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小"))
    sm3 = models.CharField(_("SM3摘要"), max_length=64)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    is_public = models.BooleanField(_("已公开"), default=False)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    def __str__(self) -> str:
        return self.original_name


class ImportJob(BaseModel):
    """One uploaded workbook; imported all-or-nothing by a task, with progress."""

    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=ImportStatus.choices,
        default=ImportStatus.PENDING,
    )
    file = models.FileField(upload_to="imports/", max_length=200)
    original_name = models.CharField(_("文件名"), max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
