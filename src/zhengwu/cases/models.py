"""Cases (办件) and everything that hangs off them: materials, supplements, clock
pauses, extensions, workbench tasks, notifications, payment, delivery, appointments,
ratings and rectification, bundles (一件事一次办) and department webhooks.

Cross-app references point only to ``core`` and the user model; a listing is named by
its 31-character implementation code, a process model by its key (workflows)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengwu.core.fields import EncryptedCharField, EncryptedJSONField
from zhengwu.core.models import BaseModel, Division, Organisation, UnicodeJSONEncoder

from .constants import (
    AppointmentStatus,
    BaseRecordKind,
    CaseStatus,
    Channel,
    Credibility,
    DeadlineState,
    DeliveryStatus,
    ExtensionStatus,
    IntakeStatus,
    NotificationChannel,
    PauseKind,
    PaymentStatus,
    ProcessTemplate,
    RectificationStatus,
    ResultDelivery,
    ShipmentStatus,
    TaskStatus,
    credibility_label,
)

USER = settings.AUTH_USER_MODEL


class HandlingConfig(BaseModel):
    """How one implementation listing is handled online, kept with the listing: the
    application form (JSON Schema), the process model, the 秒批 decision table and
    the fee amounts of the guide's fee items."""

    listing_code = models.CharField(_("实施编码"), max_length=31, unique=True)
    form_schema = models.JSONField(
        _("申请表单（JSON Schema）"), default=dict, encoder=UnicodeJSONEncoder
    )
    process_template = models.CharField(
        _("流程模板"),
        max_length=10,
        choices=ProcessTemplate.choices,
        default=ProcessTemplate.SINGLE,
    )
    process_key = models.CharField(_("上传的流程模型标识"), max_length=100, blank=True)
    decision_key = models.CharField(_("秒批决策表标识"), max_length=100, blank=True)
    # [{"name": "...", "amount_fen": 1000}] — names match the guide's fee items
    fee_items = models.JSONField(
        _("收费项目金额"), default=list, blank=True, encoder=UnicodeJSONEncoder
    )
    # organisation pks reviewing in parallel (多部门并联)
    parallel_organisation_ids = models.JSONField(
        _("并联审查部门"), default=list, blank=True
    )
    # 电子证照: the licence type issued on approval ("" = none)
    licence_type_code = models.CharField(
        _("办结颁发的电子证照类型代码"), max_length=21, blank=True
    )
    # {"<material name>": "<licence type code>"}: guide materials a licence replaces
    # (besides those named like the licence type)
    licence_materials = models.JSONField(
        _("可用电子证照免交的材料"),
        default=dict,
        blank=True,
        encoder=UnicodeJSONEncoder,
    )
    # {"<material name>": "<BaseRecordKind>"}: guide materials fetched from the
    # shared base records instead of uploaded (e.g. 居民身份证 → person_identity)
    base_record_materials = models.JSONField(
        _("从基础库调取的材料"),
        default=dict,
        blank=True,
        encoder=UnicodeJSONEncoder,
    )
    updated_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("网上办理配置")
        verbose_name_plural = _("网上办理配置")

    def __str__(self) -> str:
        return self.listing_code


class BundleDefinition(BaseModel):
    """一件事一次办: one application covering several listings of several departments."""

    code = models.CharField(_("编码"), max_length=50, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    description = models.TextField(_("说明"), blank=True)
    listing_codes = models.JSONField(_("包含的实施清单"), default=list)
    form_schema = models.JSONField(
        _("共用申请表单（JSON Schema）"), default=dict, encoder=UnicodeJSONEncoder
    )
    division = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="+", verbose_name=_("区划")
    )
    is_active = models.BooleanField(_("可申请"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("一件事")
        verbose_name_plural = _("一件事")

    def __str__(self) -> str:
        return self.name


class CaseBundle(BaseModel):
    """One application for a bundle: one acceptance, a case per listing handled in
    parallel, one combined result."""

    definition = models.ForeignKey(
        BundleDefinition, on_delete=models.PROTECT, related_name="applications"
    )
    number = models.CharField(_("一件事编号"), max_length=43, unique=True, null=True)
    applicant = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    principal_label = models.CharField(_("申请主体"), max_length=100)
    submission_key = models.CharField(_("提交幂等键"), max_length=64, blank=True)
    # The applicant's answers hold personal data: SM4-encrypted, never queried in SQL.
    form_data = EncryptedJSONField(
        _("表单内容"), default=dict, encoder=UnicodeJSONEncoder
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("一件事申请")
        verbose_name_plural = _("一件事申请")
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "submission_key"],
                condition=~models.Q(submission_key=""),
                name="bundle_unique_submission_key",
            )
        ]


class Case(BaseModel):
    """办件: one application for one listing, from draft to result."""

    id = models.BigAutoField(primary_key=True)
    number = models.CharField(_("办件编号"), max_length=43, unique=True, null=True)
    listing_code = models.CharField(_("实施编码"), max_length=31, db_index=True)
    listing_version = models.PositiveIntegerField(_("办事指南版本"))
    item_name = models.CharField(_("事项名称"), max_length=200)
    handling_item_code = models.CharField(_("业务办理项"), max_length=8, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("实施主体"),
    )
    division = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="+", verbose_name=_("区划")
    )
    bundle = models.ForeignKey(
        CaseBundle,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("一件事"),
    )
    # Who owns the case: the account that applied (the clerk for an enterprise) and
    # the principal it is for ("person:<pk>" / "entity:<credit code>").
    applicant = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("申请账号")
    )
    principal_label = models.CharField(_("申请主体"), max_length=100, db_index=True)
    applicant_name = models.CharField(_("申请人"), max_length=200)
    applicant_id_masked = models.CharField(_("证件号码（脱敏）"), max_length=40)
    contact_mobile = EncryptedCharField(_("联系电话"), blank=True)
    channel = models.CharField(
        _("申报渠道"), max_length=15, choices=Channel.choices, default=Channel.ONLINE
    )
    submitted_by = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("经办人"),
    )
    status = models.CharField(
        _("状态"), max_length=15, choices=CaseStatus.choices, default=CaseStatus.DRAFT
    )
    # The applicant's answers hold personal data: SM4-encrypted, never queried in SQL.
    form_data = EncryptedJSONField(
        _("表单内容"), default=dict, encoder=UnicodeJSONEncoder
    )
    submission_key = models.CharField(_("提交幂等键"), max_length=64, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    # 行政许可法 第32条: the 5-day notice (supplement or refusal) after receipt.
    acceptance_due_on = models.DateField(_("受理期限"), null=True, blank=True)
    is_instant = models.BooleanField(_("即办件"), default=False)
    limit_days = models.PositiveIntegerField(_("承诺办结时限"), default=0)
    limit_unit = models.CharField(_("时限单位"), max_length=12, default="working_day")
    legal_limit_days = models.PositiveIntegerField(_("法定办结时限"), default=0)
    extended_days = models.PositiveIntegerField(_("延长天数"), default=0)
    due_on = models.DateField(_("办结期限"), null=True, blank=True, db_index=True)
    warn_on = models.DateField(_("预警日期"), null=True, blank=True)
    deadline_state = models.CharField(
        _("时限状态"),
        max_length=10,
        choices=DeadlineState.choices,
        default=DeadlineState.NONE,
    )
    decision_opinion = models.TextField(_("办理意见"), blank=True)
    legal_basis = models.TextField(_("法律依据"), blank=True)
    decided_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_by_rule = models.CharField(_("秒批规则"), max_length=200, blank=True)
    result_delivery = models.CharField(
        _("结果送达方式"),
        max_length=10,
        choices=ResultDelivery.choices,
        default=ResultDelivery.ONLINE,
    )
    result_document = models.ForeignKey(
        "StoredFile",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("结果文书"),
    )
    requires_payment = models.BooleanField(_("需缴费"), default=False)
    licence_identifier = models.CharField(
        _("颁发的电子证照标识"), max_length=120, blank=True
    )

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("办件")
        verbose_name_plural = _("办件")
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "submission_key"],
                condition=~models.Q(submission_key=""),
                name="case_unique_submission_key",
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(number__isnull=False),
                name="case_number_once_submitted",
            ),
        ]
        indexes = [
            models.Index(
                fields=["applicant", "-created_at"], name="case_applicant_idx"
            ),
            models.Index(
                fields=["organisation", "status", "due_on"], name="case_org_status_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"草稿{self.pk}"


class CaseSerial(models.Model):
    """The last serial used for one implementation code on one day (§1.3: 4 digits,
    at most 9999 cases per listing per day)."""

    listing_code = models.CharField(max_length=31)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["listing_code", "day"], name="case_serial_unique_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.listing_code} {self.day.isoformat()} {self.last:04d}"


def stored_file_path(instance: "StoredFile", filename: str) -> str:
    return f"cases/{instance.pk.hex[:2]}/{instance.pk.hex}"


class StoredFile(BaseModel):
    """An uploaded or generated file: accepted by content, size-limited, SM3-hashed
    at upload, stored under the private media root and served only through a view
    that checks who asks."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    file = models.FileField(upload_to=stored_file_path, max_length=200)
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小"))
    sm3 = models.CharField(_("SM3摘要"), max_length=64)
    owner = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("文件")
        verbose_name_plural = _("文件")


class CaseMaterial(BaseModel):
    """One file handed in for one material of the guide (or reused from an earlier
    case of the same principal)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="materials")
    material_name = models.CharField(_("材料名称"), max_length=200)
    file = models.ForeignKey(StoredFile, on_delete=models.PROTECT, related_name="+")
    credibility = models.CharField(
        _("可信等级"), max_length=1, choices=Credibility.choices, default=Credibility.C
    )
    reused_from = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    supplement_round = models.PositiveSmallIntegerField(_("补正轮次"), default=0)
    uploaded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    # 免于提交: the electronic licence used instead of an upload (its PDF is ``file``)
    licence_identifier = models.CharField(_("电子证照标识"), max_length=120, blank=True)
    # 免于提交: fetched from the shared base records (its extract is ``file``)
    base_record_kind = models.CharField(
        _("调取的基础库信息"),
        max_length=30,
        choices=BaseRecordKind.choices,
        blank=True,
    )

    class Meta:
        ordering = ["case_id", "pk"]
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")

    @property
    def credibility_label(self) -> str:
        """The credibility level as shown: what an A-level material is (an
        electronic licence, a base-record extract); the stored level is kept."""
        return credibility_label(
            self.credibility,
            licence_identifier=self.licence_identifier,
            base_record_kind=self.base_record_kind,
        )


class SupplementRequest(BaseModel):
    """补正告知: everything missing, at once (一次性告知, 行政许可法 第32条)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="supplements")
    items = models.JSONField(
        _("补正内容"), default=list, encoder=UnicodeJSONEncoder
    )  # [{"material": name or "", "reason": text}]
    note = models.TextField(_("说明"), blank=True)
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(_("补正提交时间"), null=True, blank=True)

    class Meta:
        ordering = ["case_id", "pk"]
        verbose_name = _("补正告知")
        verbose_name_plural = _("补正告知")


class ClockPause(BaseModel):
    """A period not counted in the limit: a special procedure (行政许可法 第45条)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="pauses")
    kind = models.CharField(
        _("类型"),
        max_length=20,
        choices=PauseKind.choices,
        default=PauseKind.SPECIAL_PROCEDURE,
    )
    name = models.CharField(_("特别程序名称"), max_length=100)
    reason = models.TextField(_("原因或依据"))
    started_on = models.DateField(_("开始日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    result = models.TextField(_("结果"), blank=True)
    started_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    ended_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["case_id", "started_on", "pk"]
        verbose_name = _("暂停计时")
        verbose_name_plural = _("暂停计时")
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(ended_on__isnull=True),
                name="pause_one_open_per_case",
            )
        ]


class Extension(BaseModel):
    """延长办理期限 (行政许可法 第42条): requested by the handler, approved by another."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="extensions")
    days = models.PositiveSmallIntegerField(_("延长天数"))
    reason = models.TextField(_("理由"))
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=ExtensionStatus.choices,
        default=ExtensionStatus.REQUESTED,
    )
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["case_id", "pk"]
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")


class CaseTask(BaseModel):
    """One piece of staff work on a case (a ready user task of its process): the
    workbench inbox lists these by organisation, role and data scope."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    node = models.CharField(_("环节"), max_length=100)  # BPMN task id
    workflow_task_id = models.CharField(max_length=64, blank=True)
    name = models.CharField(_("环节名称"), max_length=100)
    role = models.CharField(_("办理角色"), max_length=30)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+"
    )
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("状态"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    assignee = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    due_on = models.DateField(_("期限"), null=True, blank=True)
    # The case's warning date while its clock runs (deadlines.task_deadline): the
    # 临期 tab is warn_on <= today <= due_on, counted from the live-task index.
    warn_on = models.DateField(_("临期日"), null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.JSONField(default=dict, blank=True, encoder=UnicodeJSONEncoder)

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("待办任务")
        verbose_name_plural = _("待办任务")
        indexes = [
            models.Index(
                fields=["organisation", "status", "due_on", "id"],
                name="task_inbox_idx",
            ),
            models.Index(fields=["assignee", "status"], name="task_assignee_idx"),
            # The inbox: a department's live tasks in deadline order, so the first
            # page stops after 21 rows instead of sorting every open task; the
            # trailing columns make the counts (open, mine, 临期, overdue)
            # index-only (bench/RESULTS.md, 1,000,000 cases).
            models.Index(
                fields=[
                    "organisation",
                    "due_on",
                    "id",
                    "division",
                    "status",
                    "assignee",
                    "warn_on",
                ],
                condition=models.Q(status__in=["open", "claimed"]),
                name="task_live_inbox_idx",
            ),
        ]


class CaseIntake(BaseModel):
    """收件: an application the API took in on its asynchronous path
    (``Prefer: respond-async``): committed at once with the sender's address and
    request id, turned into a case (draft, checks, number, audit, notices) by the
    ``process_intake`` task through the same service as a synchronous application.
    Unique per applicant and idempotency key, like a case; the form is encrypted
    (it holds personal data)."""

    applicant = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    submission_key = models.CharField(_("提交幂等键"), max_length=64)
    listing_code = models.CharField(_("实施编码"), max_length=31)
    # JSON: handling_item_code, form_data and the acting context (encrypted).
    payload = EncryptedCharField(_("申请内容"))
    source_ip = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    request_id = models.CharField(_("请求编号"), max_length=64, blank=True)
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=IntakeStatus.choices,
        default=IntakeStatus.PENDING,
    )
    case = models.ForeignKey(
        Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    error = models.JSONField(_("未通过原因"), default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("收件")
        verbose_name_plural = _("收件")
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "submission_key"],
                name="intake_unique_submission_key",
            ),
        ]
        indexes = [
            models.Index(
                fields=["id"],
                name="intake_pending_idx",
                condition=models.Q(status="pending"),
            ),
        ]


class Notification(BaseModel):
    """A message to a user about a case (站内消息 / 短信 / 邮件), written in the same
    transaction as the change it reports and delivered by a task. ``reference`` is
    unique: a retry or a second call sends nothing new."""

    recipient = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    event = models.CharField(_("事件"), max_length=50)
    channel = models.CharField(
        _("渠道"), max_length=10, choices=NotificationChannel.choices
    )
    reference = models.CharField(max_length=150, unique=True)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        indexes = [
            models.Index(
                fields=["recipient", "channel", "-id"], name="notice_inbox_idx"
            ),
            models.Index(
                fields=["status", "created_at"],
                name="notice_pending_idx",
                condition=models.Q(status="pending"),
            ),
        ]


class PaymentOrder(BaseModel):
    """A fee order for a case, from the guide's fee items (amounts in fen)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="payments")
    order_number = models.CharField(_("订单号"), max_length=40, unique=True)
    amount_fen = models.PositiveIntegerField(_("金额（分）"))
    items = models.JSONField(_("收费项目"), default=list, encoder=UnicodeJSONEncoder)
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=PaymentStatus.choices,
        default=PaymentStatus.UNPAID,
    )
    provider = models.CharField(_("支付渠道"), max_length=30)
    provider_trade_number = models.CharField(max_length=64, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    refunded_fen = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("缴费订单")
        verbose_name_plural = _("缴费订单")


class ProviderCallback(BaseModel):
    """Every asynchronous notification a provider (payment, express) sent us, kept
    whether or not it verified; ``notify_id`` is unique so a replay changes nothing."""

    provider = models.CharField(max_length=30)
    notify_id = models.CharField(max_length=64)
    kind = models.CharField(max_length=20)  # payment / refund / shipment
    is_verified = models.BooleanField(default=False)
    outcome = models.CharField(max_length=30)
    body = models.JSONField(default=dict, encoder=UnicodeJSONEncoder)
    source_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("回调记录")
        verbose_name_plural = _("回调记录")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "notify_id"],
                condition=models.Q(is_verified=True),
                name="callback_unique_verified_notify",
            )
        ]


class Shipment(BaseModel):
    """Express delivery of a case's result through the logistics adapter."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="shipments")
    provider = models.CharField(_("物流渠道"), max_length=30)
    order_number = models.CharField(_("寄件单号"), max_length=40, unique=True)
    tracking_number = models.CharField(_("运单号"), max_length=40, blank=True)
    recipient_name = models.CharField(_("收件人"), max_length=50)
    recipient_mobile = EncryptedCharField(_("收件人电话"))
    address = EncryptedCharField(_("收件地址"))
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=ShipmentStatus.choices,
        default=ShipmentStatus.ORDERED,
    )
    events = models.JSONField(_("物流轨迹"), default=list, encoder=UnicodeJSONEncoder)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("邮寄")
        verbose_name_plural = _("邮寄")


class ServiceHall(BaseModel):
    """政务服务大厅 (or a village service point) where appointments are taken."""

    name = models.CharField(_("名称"), max_length=100)
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(_("地址"), max_length=200)
    is_active = models.BooleanField(_("开放"), default=True)

    class Meta:
        ordering = ["division_id", "name"]
        verbose_name = _("服务大厅")
        verbose_name_plural = _("服务大厅")

    def __str__(self) -> str:
        return self.name


class ServiceWindow(BaseModel):
    hall = models.ForeignKey(
        ServiceHall, on_delete=models.CASCADE, related_name="windows"
    )
    number = models.CharField(_("窗口号"), max_length=10)
    name = models.CharField(_("名称"), max_length=100)
    listing_codes = models.JSONField(_("办理事项"), default=list, blank=True)

    class Meta:
        ordering = ["hall_id", "number"]
        verbose_name = _("窗口")
        verbose_name_plural = _("窗口")
        constraints = [
            models.UniqueConstraint(
                fields=["hall", "number"], name="window_unique_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.hall.name} {self.number}号窗口"


class AppointmentSlot(BaseModel):
    window = models.ForeignKey(
        ServiceWindow, on_delete=models.CASCADE, related_name="slots"
    )
    date = models.DateField(_("日期"))
    starts_at = models.TimeField(_("开始时间"))
    ends_at = models.TimeField(_("结束时间"))
    capacity = models.PositiveSmallIntegerField(_("可预约数"))
    booked = models.PositiveSmallIntegerField(_("已预约数"), default=0)

    class Meta:
        ordering = ["date", "starts_at", "window_id"]
        verbose_name = _("预约时段")
        verbose_name_plural = _("预约时段")
        constraints = [
            models.UniqueConstraint(
                fields=["window", "date", "starts_at"], name="slot_unique_start"
            ),
            models.CheckConstraint(
                condition=models.Q(booked__lte=models.F("capacity")),
                name="slot_booked_within_capacity",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="slot_ends_after_start",
            ),
        ]


class Appointment(BaseModel):
    slot = models.ForeignKey(
        AppointmentSlot, on_delete=models.PROTECT, related_name="appointments"
    )
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    listing_code = models.CharField(_("实施编码"), max_length=31)
    item_name = models.CharField(_("事项名称"), max_length=200)
    case = models.ForeignKey(
        Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=AppointmentStatus.choices,
        default=AppointmentStatus.BOOKED,
    )
    queue_number = models.CharField(_("排队号"), max_length=10, blank=True)
    arrived_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("预约")
        verbose_name_plural = _("预约")
        constraints = [
            models.UniqueConstraint(
                fields=["slot", "user"],
                condition=models.Q(status="booked"),
                name="appointment_one_per_user_slot",
            )
        ]


class Rating(BaseModel):
    """好差评 of a finished case (standards §4): five levels with indicators; the
    follow-up rating after rectification is a second row."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="ratings")
    level = models.PositiveSmallIntegerField(_("评价等级"))
    indicators = models.JSONField(_("评价指标"), default=list, blank=True)
    comment = models.TextField(_("评价内容"), blank=True)
    rated_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("评价渠道"), max_length=20, default="pc")
    is_follow_up = models.BooleanField(_("整改后回访评价"), default=False)

    class Meta:
        ordering = ["case_id", "pk"]
        verbose_name = _("评价")
        verbose_name_plural = _("评价")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "is_follow_up"], name="rating_one_per_case_round"
            ),
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=5), name="rating_level_1_5"
            ),
        ]


class RectificationOrder(BaseModel):
    """差评整改工单: the responsible department answers within the limit, the
    applicant is called back and rates again."""

    rating = models.OneToOneField(
        Rating, on_delete=models.PROTECT, related_name="rectification"
    )
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+"
    )
    # None while the calendar year the limit ends in is not entered (never guessed);
    # the scheduled refresh fills it in once it is.
    due_on = models.DateField(_("整改期限"), null=True, blank=True)
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=RectificationStatus.choices,
        default=RectificationStatus.OPEN,
    )
    response = models.TextField(_("整改情况"), blank=True)
    responded_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    callback_note = models.TextField(_("回访记录"), blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("整改工单")
        verbose_name_plural = _("整改工单")


class WebhookSubscription(BaseModel):
    """A department system that wants signed status-change notifications."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+"
    )
    url = models.URLField(_("接收地址"), max_length=500)
    secret = EncryptedCharField(_("签名密钥"))
    events = models.JSONField(_("订阅事件"), default=list, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("状态推送订阅")
        verbose_name_plural = _("状态推送订阅")


class WebhookDelivery(BaseModel):
    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    reference = models.CharField(max_length=150, unique=True)
    event = models.CharField(max_length=50)
    payload = models.JSONField(default=dict, encoder=UnicodeJSONEncoder)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("状态推送记录")
        verbose_name_plural = _("状态推送记录")
