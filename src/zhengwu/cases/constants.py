"""States, transitions and code tables of cases (办件)."""

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class CaseStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待受理")
    SUPPLEMENT_REQUESTED = "supplement", _("待补正")
    ACCEPTED = "accepted", _("办理中")
    NOT_ACCEPTED = "not_accepted", _("不予受理")
    APPROVED = "approved", _("准予办理")
    DENIED = "denied", _("不予办理")
    WITHDRAWN = "withdrawn", _("已撤回")


# The one table of allowed status changes (rule 5 of the house style).
TRANSITIONS: dict[str, frozenset[str]] = {
    CaseStatus.DRAFT: frozenset({CaseStatus.SUBMITTED}),
    CaseStatus.SUBMITTED: frozenset(
        {
            CaseStatus.ACCEPTED,
            CaseStatus.SUPPLEMENT_REQUESTED,
            CaseStatus.NOT_ACCEPTED,
            CaseStatus.WITHDRAWN,
        }
    ),
    CaseStatus.SUPPLEMENT_REQUESTED: frozenset(
        {CaseStatus.SUBMITTED, CaseStatus.WITHDRAWN, CaseStatus.NOT_ACCEPTED}
    ),
    CaseStatus.ACCEPTED: frozenset(
        {CaseStatus.APPROVED, CaseStatus.DENIED, CaseStatus.WITHDRAWN}
    ),
    CaseStatus.NOT_ACCEPTED: frozenset(),
    CaseStatus.APPROVED: frozenset(),
    CaseStatus.DENIED: frozenset(),
    CaseStatus.WITHDRAWN: frozenset(),
}

OPEN_STATUSES = frozenset(
    {CaseStatus.SUBMITTED, CaseStatus.SUPPLEMENT_REQUESTED, CaseStatus.ACCEPTED}
)
FINISHED_STATUSES = frozenset(
    {CaseStatus.NOT_ACCEPTED, CaseStatus.APPROVED, CaseStatus.DENIED}
)


class Channel(models.TextChoices):
    ONLINE = "online", _("网上申报")
    COUNTER = "counter", _("窗口受理")
    SERVICE_POINT = "service_point", _("便民服务点代办")
    API = "api", _("部门系统接入")


class DeadlineState(models.TextChoices):
    NONE = "none", _("未计时")
    NORMAL = "normal", _("正常")
    WARNING = "warning", _("临近期限")
    OVERDUE = "overdue", _("已超期")
    PAUSED = "paused", _("暂停计时")


class ProcessTemplate(models.TextChoices):
    """The process models shipped with the platform (workflows/templates_bpmn)."""

    INSTANT = "instant", _("即办件")
    SINGLE = "single", _("单部门承诺件（受理→审查→决定→制证→送达）")
    PARALLEL = "parallel", _("多部门并联（受理→并行审查→联合决定）")
    CUSTOM = "custom", _("上传的流程模型")


class Credibility(models.TextChoices):
    """Material credibility levels (standards §5.3, 国办函〔2016〕108号)."""

    A = "A", _("A级：实施机关制作")
    B = "B", _("B级：窗口核验后上传")
    C = "C", _("C级：申请人上传")
    D = "D", _("D级：申请人自制承诺")


def credibility_label(
    level: str, *, licence_identifier: str = "", base_record_kind: str = ""
) -> str:
    """What a material's credibility level means for this material: level A is
    "made by the implementing authority" in general, but a material handed in as
    an electronic licence is the issuing authority's sealed licence, and one
    fetched from the base records is the platform's extract (standards §5.3:
    usable directly). The stored level stays A."""
    if level == Credibility.A and licence_identifier:
        return gettext("A级：电子证照（发证机关签章）")
    if level == Credibility.A and base_record_kind:
        return gettext("A级：基础库调取")
    if level in Credibility.values:
        return str(Credibility(level).label)
    return level


class BaseRecordKind(models.TextChoices):
    """Shared base records a guide material may be fetched from instead of
    uploaded (identity.facade ``base_record_extract``)."""

    PERSON_IDENTITY = "person_identity", _("申请人居民身份信息（人口基础信息库）")
    ENTITY_REGISTRATION = "entity_registration", _("法人登记信息（法人基础信息库）")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("待认领")
    CLAIMED = "claimed", _("办理中")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已取消")


class PauseKind(models.TextChoices):
    SPECIAL_PROCEDURE = "special_procedure", _("特别程序")
    SUPPLEMENT = "supplement", _("补正")


class ExtensionStatus(models.TextChoices):
    REQUESTED = "requested", _("待审批")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("未批准")


class NotificationChannel(models.TextChoices):
    SITE = "site", _("站内消息")
    SMS = "sms", _("短信")
    EMAIL = "email", _("电子邮件")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


class IntakeStatus(models.TextChoices):
    """收件: an application taken in over the API's asynchronous path."""

    PENDING = "pending", _("待处理")
    DONE = "done", _("已生成办件")
    REJECTED = "rejected", _("未通过校验")


class PaymentStatus(models.TextChoices):
    UNPAID = "unpaid", _("待缴费")
    PAID = "paid", _("已缴费")
    REFUNDED = "refunded", _("已退款")
    CLOSED = "closed", _("已关闭")


class ResultDelivery(models.TextChoices):
    PICKUP = "pickup", _("窗口领取")
    EXPRESS = "express", _("邮寄送达")
    ONLINE = "online", _("网上下载")


class ShipmentStatus(models.TextChoices):
    ORDERED = "ordered", _("已下单")
    COLLECTED = "collected", _("已揽收")
    IN_TRANSIT = "in_transit", _("运输中")
    DELIVERED = "delivered", _("已签收")
    FAILED = "failed", _("投递失败")


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("已预约")
    CANCELLED = "cancelled", _("已取消")
    ARRIVED = "arrived", _("已取号")
    MISSED = "missed", _("未到")


class RectificationStatus(models.TextChoices):
    OPEN = "open", _("待整改")
    RESPONDED = "responded", _("已整改待回访")
    CLOSED = "closed", _("已办结")
