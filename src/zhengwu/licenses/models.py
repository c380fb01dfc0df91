"""电子证照: licence types, electronic seals, licences and their history."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengwu.core.fields import EncryptedCharField, EncryptedJSONField
from zhengwu.core.models import BaseModel, Organisation

from .constants import HolderKind, LicenceEventKind, LicenceStatus


class LicenceType(BaseModel):
    """证照类型: defined by one organisation; its code is the defining body's
    unified social credit code and a 3-digit sequence (GB/T 36904)."""

    defining_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("定义机构"),
    )
    issuing_organisations = models.ManyToManyField(
        Organisation,
        blank=True,
        related_name="+",
        verbose_name=_("其他颁发机构"),
        help_text=_("定义机构之外获准颁发此类证照的机构。"),
    )
    type_code = models.CharField(_("证照类型代码"), max_length=21, unique=True)
    name = models.CharField(_("证照类型名称"), max_length=100)
    holder_kind = models.CharField(
        _("持证主体类别"), max_length=10, choices=HolderKind.choices
    )
    face_schema = models.JSONField(_("照面信息结构（JSON Schema）"), default=dict)
    valid_years = models.PositiveSmallIntegerField(
        _("有效期（年）"), null=True, blank=True, help_text=_("空表示长期有效。")
    )
    layout_title = models.CharField(_("证照标题"), max_length=100)

    class Meta:
        verbose_name = _("证照类型")
        verbose_name_plural = _("证照类型")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(type_code__regex=r"^[0-9A-Z]{18}[0-9]{3}$"),
                name="licencetype_code_21",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.type_code}）"


class Seal(models.Model):
    """电子印章: an organisation's SM2 key pair and its image. The private key is
    stored SM4-encrypted."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("用章机构"),
    )
    name = models.CharField(_("印章名称"), max_length=100)
    image = models.BinaryField(_("印模图像（PNG）"), null=True, blank=True)
    public_key = models.CharField(_("公钥"), max_length=128)
    private_key = EncryptedCharField(_("私钥"))
    active = models.BooleanField(_("启用"), default=True)
    created = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("电子印章")
        verbose_name_plural = _("电子印章")

    def __str__(self) -> str:
        return self.name


class LicenceSerial(models.Model):
    """The last serial given per licence type and issuer."""

    licence_type = models.ForeignKey(
        LicenceType, on_delete=models.PROTECT, related_name="+"
    )
    issuer = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["licence_type", "issuer"], name="licenceserial_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.licence_type_id}/{self.issuer_id}: {self.last}"


class Licence(models.Model):
    """电子证照: one version of a licence. A change makes a new version (same
    serial, version + 1) and supersedes the old one."""

    identifier = models.CharField(_("证照标识"), max_length=120, unique=True)
    licence_type = models.ForeignKey(
        LicenceType,
        on_delete=models.PROTECT,
        related_name="licences",
        verbose_name=_("证照类型"),
    )
    issuer = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("颁发机构"),
    )
    serial = models.CharField(_("顺序号"), max_length=32)
    version = models.PositiveSmallIntegerField(_("版本号"), default=1)
    holder_label = models.CharField(_("持证主体"), max_length=40, db_index=True)
    holder_name = models.CharField(_("持证主体名称"), max_length=200)
    face_data = EncryptedJSONField(_("照面信息"))
    valid_from = models.DateField(_("有效期起始日期"))
    valid_until = models.DateField(_("有效期截止日期"), null=True, blank=True)
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=LicenceStatus.choices,
        default=LicenceStatus.VALID,
    )
    issued_at = models.DateTimeField(_("颁发时间"))
    source_case_number = models.CharField(_("来源办件编号"), max_length=43, blank=True)
    file = models.BinaryField(_("证照文件（PDF）"))
    file_sm3 = models.CharField(_("文件SM3摘要"), max_length=64, db_index=True)
    signed_metadata = EncryptedCharField(_("签名元数据"))
    signature = models.TextField(_("签名（SM2）"))
    seal = models.ForeignKey(
        Seal, on_delete=models.PROTECT, related_name="+", verbose_name=_("电子印章")
    )
    previous = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_version",
        verbose_name=_("上一版本"),
    )

    class Meta:
        verbose_name = _("电子证照")
        verbose_name_plural = _("电子证照")
        constraints = [
            models.UniqueConstraint(
                fields=["licence_type", "issuer", "serial", "version"],
                name="licence_unique_version",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=LicenceStatus.values),
                name="licence_status_known",
            ),
        ]

    def __str__(self) -> str:
        return self.identifier


class LicenceEvent(models.Model):
    """One lifecycle step of a licence (the history shown beside the audit log)."""

    licence = models.ForeignKey(
        Licence, on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(_("环节"), max_length=10, choices=LicenceEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(_("操作者"), max_length=150)
    reason = models.TextField(_("原因"), blank=True)
    at = models.DateTimeField(_("时间"))

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("证照历史")
        verbose_name_plural = _("证照历史")

    def __str__(self) -> str:
        return f"{self.licence_id} {self.kind} {self.at:%Y-%m-%d}"


class LicenceUse(models.Model):
    """用证: one verification or use of a licence, with its stated reason (用证事由)
    and who: a user, or anonymous with the IP address. ``nonce`` is the show
    token's nonce (亮证), unique, so a token serves one verifier only."""

    class Channel(models.TextChoices):
        TOKEN = "token", _("亮证二维码")
        IDENTIFIER = "identifier", _("证照标识")
        FILE = "file", _("证照文件")

    licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="uses")
    channel = models.CharField(_("查验方式"), max_length=12, choices=Channel.choices)
    reason = models.CharField(_("用证事由"), max_length=200)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    verifier_label = models.CharField(_("查验方"), max_length=150)
    source_ip = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    nonce = models.CharField(max_length=32, null=True, blank=True, unique=True)
    released_fields = models.JSONField(_("出示的照面信息项"), default=list)
    result = models.CharField(_("查验结果"), max_length=12)
    at = models.DateTimeField(_("时间"), db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("用证记录")
        verbose_name_plural = _("用证记录")

    def __str__(self) -> str:
        return f"{self.licence_id} {self.channel} {self.at:%Y-%m-%d}"


class LicenceImportJob(BaseModel):
    """证照批量导入: one uploaded workbook of historical licences of one type,
    issued all-or-nothing by a task (``tasks.run_licence_import``). Seen only by
    its uploader (and superusers)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("导入中")
        DONE = "done", _("导入完成")
        FAILED = "failed", _("导入失败")

    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    file = models.FileField(_("导入文件"), upload_to="licence-imports/", max_length=200)
    original_name = models.CharField(_("文件名"), max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("上传人"),
    )
    licence_type = models.ForeignKey(
        LicenceType,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("证照类型"),
    )
    issuer = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("颁发机构"),
    )
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已处理行数"), default=0)
    errors = models.JSONField(_("错误"), default=list, blank=True)
    summary = models.JSONField(_("结果"), default=dict, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("证照导入任务")
        verbose_name_plural = _("证照导入任务")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "running", "done", "failed"]),
                name="licenceimportjob_status_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.status})"
