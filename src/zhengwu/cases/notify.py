"""Notifications to the applicant about a case (站内消息、短信、电子邮件).

:func:`case_notify` writes one :class:`Notification` row per channel in the caller's
transaction — the change and the message about it commit together or not at all —
and, once that commits, enqueues :func:`zhengwu.cases.tasks.deliver_notification`
for each row. Delivery is idempotent (row lock + status check); a worker killed
mid-task leaves the row ``pending`` and the scheduled sweeper
(:func:`zhengwu.cases.tasks.redeliver_stale_notifications`) enqueues it again.

References are stable per event occurrence: ``case:<pk>:<event>:<n>`` where ``n``
counts the earlier occurrences of that event on that case (a second supplement
request is occurrence 2). A caller's transaction that rolls back and is retried
therefore writes the same references again, never a second message."""

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

import structlog

from zhengwu.core.errors import NotFoundError

from .constants import DeliveryStatus, NotificationChannel
from .models import Case, Notification

logger = structlog.get_logger(__name__)


@dataclass(frozen=True)
class _Text:
    title: str
    body: str


def _texts(case: Case, event: str) -> _Text:
    """Chinese title and body of one event (the SMS text is the body)."""
    number = case.number or ""
    item = case.item_name
    table: dict[str, tuple[str, str]] = {
        "submitted": (
            _("申请已提交"),
            _("您申请的“%(item)s”已提交，办件编号%(number)s，请等待受理。"),
        ),
        "accepted": (
            _("申请已受理"),
            _("您申请的“%(item)s”（办件编号%(number)s）已受理，正在办理中。"),
        ),
        "supplement_requested": (
            _("请补正材料"),
            _(
                "您申请的“%(item)s”（办件编号%(number)s）需要补正材料，"
                "请登录查看一次性告知的补正内容。"
            ),
        ),
        "not_accepted": (
            _("申请不予受理"),
            _(
                "您申请的“%(item)s”（办件编号%(number)s）不予受理，"
                "请登录查看理由和依据。"
            ),
        ),
        "decided": (
            _("办理结果已作出"),
            _("您申请的“%(item)s”（办件编号%(number)s）已作出决定，请登录查看。"),
        ),
        "result_ready": (
            _("办理结果可领取"),
            _(
                "您申请的“%(item)s”（办件编号%(number)s）的结果文书已生成，"
                "可登录下载或按选择的方式领取。"
            ),
        ),
        "payment_required": (
            _("请缴纳费用"),
            _("您申请的“%(item)s”（办件编号%(number)s）需缴费，请登录完成缴费。"),
        ),
        "payment_paid": (
            _("缴费成功"),
            _("您申请的“%(item)s”（办件编号%(number)s）的费用已缴纳。"),
        ),
        "payment_refunded": (
            _("退款已受理"),
            _("您申请的“%(item)s”（办件编号%(number)s）的费用已退款。"),
        ),
        "shipment_updated": (
            _("邮寄状态更新"),
            _(
                "您申请的“%(item)s”（办件编号%(number)s）的结果邮件状态已更新，"
                "请登录查看物流信息。"
            ),
        ),
        "rectification_opened": (
            _("您的评价已转办整改"),
            _("您对“%(item)s”（办件编号%(number)s）的评价已转部门整改，整改后将回访。"),
        ),
        "rectification_responded": (
            _("整改情况反馈"),
            _(
                "您评价的“%(item)s”（办件编号%(number)s）部门已反馈整改情况，"
                "请登录查看并再次评价。"
            ),
        ),
        "appointment_reminder": (
            _("预约提醒"),
            _("您预约办理的“%(item)s”将于明天办理，请按时到达服务大厅。"),
        ),
        "withdrawn": (
            _("申请已撤回"),
            _("您申请的“%(item)s”（办件编号%(number)s）已撤回。"),
        ),
    }
    title, body = table.get(
        event,
        (
            _("办件进度更新"),
            _("您申请的“%(item)s”（办件编号%(number)s）有新的进度，请登录查看。"),
        ),
    )
    return _Text(title=title, body=body % {"item": item, "number": number})


EVENTS = (
    "submitted",
    "accepted",
    "supplement_requested",
    "not_accepted",
    "decided",
    "result_ready",
    "payment_required",
    "payment_paid",
    "payment_refunded",
    "shipment_updated",
    "rectification_opened",
    "rectification_responded",
    "appointment_reminder",
    "withdrawn",
)


def _occurrence(case: Case, event: str) -> int:
    """1 + the occurrences of ``event`` on ``case`` already committed (or written
    earlier in this transaction): every occurrence writes exactly one site row."""
    return (
        Notification.objects.filter(
            case=case, event=event, channel=NotificationChannel.SITE
        ).count()
        + 1
    )


def case_notify(
    *,
    case: Case,
    event: str,
    occurrence: int | None = None,
    extra: str = "",
    first: bool = False,
) -> list[Notification]:
    """Tell the applicant about ``event`` on ``case``: a site message always, an SMS
    when the case has a contact mobile, an email when the account has an address.

    Runs in the caller's transaction (callers hold the case row lock, so the
    occurrence count cannot race). ``occurrence`` pins the reference explicitly;
    ``extra`` is appended to the body. ``first``: the caller knows the event cannot
    have happened to the case before (a draft submitted, in the transaction that
    holds its row lock): occurrence 1, no count and no look-up of earlier rows —
    a rolled-back and retried transaction writes the same references again."""
    if first:
        n = 1
    else:
        n = occurrence if occurrence is not None else _occurrence(case, event)
    text = _texts(case, event)
    return user_notify(
        recipient=case.applicant,
        case=case,
        event=event,
        reference=f"case:{case.pk}:{event}:{n}",
        title=text.title,
        body=f"{text.body}{extra}",
        mobile=case.contact_mobile or "",
        new_reference=first,
    )


def user_notify(
    *,
    recipient: Any,
    event: str,
    reference: str,
    title: str,
    body: str,
    mobile: str = "",
    case: Case | None = None,
    new_reference: bool = False,
) -> list[Notification]:
    """Write the site message (delivered as written) and the SMS and email rows
    (delivered by a task after commit), in one INSERT. A reference already used
    writes nothing and returns the existing rows (not looked up when the caller
    knows the reference is new: ``new_reference``)."""
    if not new_reference:
        existing = list(Notification.objects.filter(reference__startswith=reference))
        if any(row.reference == reference for row in existing):
            return existing
    rows = [
        Notification(
            recipient=recipient,
            case=case,
            event=event,
            channel=NotificationChannel.SITE,
            reference=reference,
            title=title,
            body=body,
            # The row is the delivered site message: nothing to hand to a gateway.
            status=DeliveryStatus.SENT,
            sent_at=timezone.now(),
        )
    ]
    if mobile:
        rows.append(
            Notification(
                recipient=recipient,
                case=case,
                event=event,
                channel=NotificationChannel.SMS,
                reference=f"{reference}:sms",
                title=title,
                body=body,
            )
        )
    if recipient.email:
        rows.append(
            Notification(
                recipient=recipient,
                case=case,
                event=event,
                channel=NotificationChannel.EMAIL,
                reference=f"{reference}:email",
                title=title,
                body=body,
            )
        )
    Notification.objects.bulk_create(rows)
    ids = [row.pk for row in rows if row.status == DeliveryStatus.PENDING]
    if ids:

        def enqueue() -> None:
            from .tasks import deliver_notification

            for notification_id in ids:
                deliver_notification.enqueue(notification_id=notification_id)

        transaction.on_commit(enqueue)
    logger.info(
        "notification_queued",
        case_id=case.pk if case is not None else None,
        notification_event=event,
        channels=[row.channel for row in rows],
    )
    return rows


# --- the user's message inbox ------------------------------------------------------


def notifications_for_user(
    user: Any, *, unread_only: bool = False
) -> QuerySet[Notification]:
    """The user's own site messages, newest first."""
    if user is None or not user.is_authenticated:
        return Notification.objects.none()
    queryset = Notification.objects.filter(
        recipient=user, channel=NotificationChannel.SITE
    ).select_related("case")
    if unread_only:
        queryset = queryset.filter(read_at__isnull=True)
    return queryset.order_by("-pk")


def notification_unread_count(user: Any) -> int:
    return notifications_for_user(user, unread_only=True).count()


@transaction.atomic
def notification_mark_read(*, user: Any, notification_id: int) -> Notification:
    """Mark one of the user's own messages read; another user's message is not
    found (404), as if it did not exist."""
    notification = (
        notifications_for_user(user)
        .select_for_update(of=("self",))
        .filter(pk=notification_id)
        .first()
    )
    if notification is None:
        raise NotFoundError("cases.notification_not_found", _("消息不存在。"))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at", "updated_at"])
    return notification


@transaction.atomic
def notification_mark_all_read(*, user: Any) -> int:
    return notifications_for_user(user, unread_only=True).update(
        read_at=timezone.now(), updated_at=timezone.now()
    )
