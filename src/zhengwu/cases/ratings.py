"""好差评 (standards §4): the applicant side rates a finished case once, on five
levels with indicators; a bad rating (不满意 / 非常不满意) opens a rectification work
order for the responsible department, due in ZHENGWU_RECTIFICATION_DAYS working days
(default 15); the department answers, calls the applicant back, and the applicant's
follow-up rating closes the order."""

from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

import structlog

from zhengwu.core import audit
from zhengwu.core.calendar import CalendarYearUnknownError, add_working_days

from .constants import FINISHED_STATUSES, Channel, RectificationStatus
from .errors import CaseError, not_found
from .models import Case, Rating, RectificationOrder
from .notify import case_notify
from .staff_rights import handled_organisation_ids

logger = structlog.get_logger(__name__)

RATING_INVALID = "cases.rating_invalid"
RATING_TAKEN = "cases.rating_taken"
RECTIFICATION_NOT_FOUND = "cases.rectification_not_found"
RECTIFICATION_STATE = "cases.rectification_state"

LEVELS = {
    5: gettext_lazy("非常满意"),
    4: gettext_lazy("满意"),
    3: gettext_lazy("基本满意"),
    2: gettext_lazy("不满意"),
    1: gettext_lazy("非常不满意"),
}
BAD_LEVEL_MAX = 2
ONLINE_INDICATORS = {
    "overall": gettext_lazy("总体满意度"),
    "efficiency": gettext_lazy("办事效率"),
    "guide_accuracy": gettext_lazy("办事指南精确度"),
    "convenience": gettext_lazy("办事便捷度"),
    "usability": gettext_lazy("平台操作性"),
}
OFFLINE_INDICATORS = {
    "overall": gettext_lazy("总体满意度"),
    "service_efficiency": gettext_lazy("服务效率"),
    "service_level": gettext_lazy("服务水平"),
    "service_attitude": gettext_lazy("服务态度"),
}
COMMENT_MAX = 1000


def indicators_for(case: Case) -> dict[str, Any]:
    """网上服务 indicators for a case applied for online, 现场服务 ones otherwise."""
    if case.channel in (Channel.ONLINE, Channel.API):
        return ONLINE_INDICATORS
    return OFFLINE_INDICATORS


def _invalid(field: str, message: str, *, code: str = RATING_INVALID) -> CaseError:
    return CaseError(code, message, fields={field: [message]}, status=422)


def rectification_due_on(start: Any) -> Any:
    """The order's due date, or None while the calendar year is not entered."""
    try:
        return add_working_days(start, settings.ZHENGWU_RECTIFICATION_DAYS)
    except CalendarYearUnknownError:
        logger.error("rectification_due_unknown_year", start=start.isoformat())
        return None


@transaction.atomic
def rating_create(
    *,
    user: Any,
    acting: Any = None,
    case_id: int,
    level: int,
    indicators: list[str] | None = None,
    comment: str = "",
    is_follow_up: bool = False,
    channel: str = "pc",
) -> Rating:
    """Rate a finished case (only its applicant side, once; the follow-up once,
    after the department answered a bad rating). A comment is required for a bad
    rating. A bad first rating opens a rectification order."""
    from .selectors import own_cases

    case = (
        own_cases(user, acting=acting)
        .select_for_update(of=("self",))
        .select_related("organisation", "applicant")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise not_found()
    if case.status not in FINISHED_STATUSES:
        raise CaseError(RATING_INVALID, _("办件办结后才能评价。"), status=409)
    if isinstance(level, bool) or not isinstance(level, int) or level not in LEVELS:
        raise _invalid("level", _("请选择评价等级（1至5）。"))
    allowed = indicators_for(case)
    chosen = list(dict.fromkeys(str(code) for code in indicators or []))
    unknown = [code for code in chosen if code not in allowed]
    if unknown:
        raise _invalid(
            "indicators",
            _("不支持的评价指标：%(codes)s。") % {"codes": "、".join(unknown)[:200]},
        )
    comment = (comment or "").strip()
    if level <= BAD_LEVEL_MAX and not comment:
        raise _invalid("comment", _("选择“不满意”或“非常不满意”时请填写评价内容。"))
    if len(comment) > COMMENT_MAX:
        raise _invalid("comment", _("评价内容最多1000个字符。"))
    channel = (channel or "pc").strip()[:20] or "pc"
    order = None
    if is_follow_up:
        order = (
            RectificationOrder.objects.select_for_update()
            .filter(case=case, rating__is_follow_up=False)
            .first()
        )
        if order is None or order.status != RectificationStatus.RESPONDED:
            raise CaseError(
                RECTIFICATION_STATE,
                _("部门反馈整改情况后才能进行回访评价。"),
                status=409,
            )
    rating = Rating(
        case=case,
        level=level,
        indicators=chosen,
        comment=comment,
        rated_by=user,
        channel=channel,
        is_follow_up=is_follow_up,
    )
    try:
        with transaction.atomic():
            rating.save(force_insert=True)
    except IntegrityError as error:
        raise CaseError(
            RATING_TAKEN,
            _("该办件已评价，不能重复评价。"),
            status=409,
        ) from error
    audit.record(
        acting_user=user,
        event="cases.follow_up_rated" if is_follow_up else "cases.rated",
        target=case,
        data={"level": level, "indicators": chosen, "channel": channel},
    )
    if order is not None:
        order.status = RectificationStatus.CLOSED
        order.closed_at = timezone.now()
        order.save(update_fields=["status", "closed_at", "updated_at"])
        audit.record(
            acting_user=user,
            event="cases.rectification_closed",
            target=case,
            data={"order_id": order.pk, "follow_up_level": level},
        )
    elif level <= BAD_LEVEL_MAX:
        order = RectificationOrder.objects.create(
            rating=rating,
            case=case,
            organisation=case.organisation,
            due_on=rectification_due_on(timezone.localdate()),
        )
        audit.record(
            acting_user=user,
            event="cases.rectification_opened",
            target=case,
            data={
                "order_id": order.pk,
                "organisation_id": case.organisation_id,
                "due_on": order.due_on.isoformat() if order.due_on else None,
            },
        )
        case_notify(case=case, event="rectification_opened")
    from .webhooks import webhook_case_event

    webhook_case_event(case=case, event="rated")
    return rating


def rectifications_for_user(user: Any) -> QuerySet[RectificationOrder]:
    """Rectification orders of the organisations the user handles cases for."""
    return RectificationOrder.objects.filter(
        organisation_id__in=handled_organisation_ids(user)
    ).order_by("due_on", "pk")


def _order_for_staff(user: Any, order_id: int) -> RectificationOrder:
    order = (
        rectifications_for_user(user)
        .select_for_update(of=("self",))
        .select_related("case")
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        raise CaseError(RECTIFICATION_NOT_FOUND, _("整改工单不存在。"), status=404)
    return order


@transaction.atomic
def rectification_respond(
    *, order_id: int, acting_user: Any, response: str
) -> RectificationOrder:
    """The department reports what it changed (or explains); the applicant is told
    and may give the follow-up rating."""
    order = _order_for_staff(acting_user, order_id)
    response = (response or "").strip()
    if not response or len(response) > 2000:
        raise _invalid("response", _("请填写整改情况（最多2000个字符）。"))
    if order.status != RectificationStatus.OPEN:
        raise CaseError(
            RECTIFICATION_STATE, _("该整改工单已反馈，不能重复反馈。"), status=409
        )
    order.status = RectificationStatus.RESPONDED
    order.response = response
    order.responded_by = acting_user
    order.responded_at = timezone.now()
    order.save(
        update_fields=[
            "status",
            "response",
            "responded_by",
            "responded_at",
            "updated_at",
        ]
    )
    audit.record(
        acting_user=acting_user,
        event="cases.rectification_responded",
        target=order.case,
        data={"order_id": order.pk},
    )
    case_notify(case=order.case, event="rectification_responded")
    return order


@transaction.atomic
def rectification_callback(
    *, order_id: int, acting_user: Any, note: str
) -> RectificationOrder:
    """Record the call back to the applicant (回访, required for every real-name bad
    rating) after the department's answer."""
    order = _order_for_staff(acting_user, order_id)
    note = (note or "").strip()
    if not note or len(note) > 2000:
        raise _invalid("note", _("请填写回访记录（最多2000个字符）。"))
    if order.status == RectificationStatus.OPEN:
        raise CaseError(
            RECTIFICATION_STATE, _("请先反馈整改情况，再记录回访。"), status=409
        )
    order.callback_note = note
    order.save(update_fields=["callback_note", "updated_at"])
    audit.record(
        acting_user=acting_user,
        event="cases.rectification_callback",
        target=order.case,
        data={"order_id": order.pk},
    )
    return order


def rectification_deadlines_refresh() -> int:
    """Fill in the due dates left empty because their calendar year was not
    entered; returns how many were filled."""
    filled = 0
    for order in RectificationOrder.objects.filter(due_on__isnull=True).exclude(
        status=RectificationStatus.CLOSED
    ):
        due = rectification_due_on(timezone.localdate(order.created_at))
        if due is not None:
            RectificationOrder.objects.filter(pk=order.pk, due_on__isnull=True).update(
                due_on=due, updated_at=timezone.now()
            )
            filled += 1
    return filled
