"""What the workbench pages read, in one place: the case selectors (the one access
rule), the catalogue facade, and the small derived views of a case the templates
show (form rows with their labels, missing materials, timeline, payments). The pages
call the case services themselves."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from zhengwu.cases import payments, selectors
from zhengwu.cases.constants import (
    CaseStatus,
    ExtensionStatus,
    PaymentStatus,
    TaskStatus,
)
from zhengwu.cases.models import Case, CaseTask
from zhengwu.cases.staff_rights import ACCEPTING_ROLES, roles_held
from zhengwu.cases.workbench import TASK_STAFF_ROLE, InboxFilters, InboxPage, inbox
from zhengwu.catalog.facade import ListingInfo, listing_for_application
from zhengwu.core.crypto import mask_id_number, mask_mobile
from zhengwu.core.errors import DomainError
from zhengwu.identity.facade import StaffScope, staff_scope, staff_user_ids_with_role

EMPTY_TEXT = {
    "open": _("没有待认领的任务。"),
    "mine": _("您手上没有办理中的任务。"),
    "warning": _("没有临近期限的任务。"),
    "overdue": _("没有超期的任务。"),
}


def clean_cursor(value: str | None) -> str | None:
    """The keyset cursor from the query string: printable ASCII, bounded."""
    if not value:
        return None
    value = "".join(ch for ch in value if ch.isascii() and ch.isprintable())[:200]
    return value or None


def clamp_int(value: Any, default: int, low: int, high: int) -> int:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return default
    return max(low, min(high, number))


def user_name(user: Any) -> str:
    if user is None:
        return ""
    return (user.get_full_name() or user.get_username()).strip()


# --- who may do what ----------------------------------------------------------------


def may_accept_any(scope: StaffScope) -> bool:
    return bool(scope.reviewer_organisation_ids or scope.counter_organisation_ids)


def _holds(scope: StaffScope, roles: tuple[str, ...], case: Case) -> bool:
    return bool(
        roles_held(
            scope,
            organisation_id=case.organisation_id,
            division_code=case.division.code,
            roles=roles,
        )
    )


def case_actions(user: Any, scope: StaffScope, case: Case) -> dict[str, bool]:
    """The case-level actions to offer (the services check again)."""
    acceptor = _holds(scope, ACCEPTING_ROLES, case)
    reviewer = _holds(scope, ("reviewer",), case)
    waiting = case.status == CaseStatus.SUBMITTED
    open_pause = any(p.ended_on is None for p in case.pauses.all())
    handling = case.status == CaseStatus.ACCEPTED and not case.is_instant
    return {
        "accept": acceptor and waiting,
        "supplement": acceptor and waiting,
        "refuse": acceptor
        and case.status in (CaseStatus.SUBMITTED, CaseStatus.SUPPLEMENT_REQUESTED),
        "pause_start": reviewer and handling and not open_pause,
        "pause_end": reviewer and handling and open_pause,
        "extend": reviewer
        and handling
        and not any(
            e.status == ExtensionStatus.REQUESTED for e in case.extensions.all()
        ),
        "refund": reviewer
        and any(p.status == PaymentStatus.PAID for p in case.payments.all()),
    }


def may_decide_extension(
    user: Any, scope: StaffScope, case: Case, extension: Any
) -> bool:
    """An approver: a reviewer of the case's organisation other than the one who
    asked (the service decides who counts as the unit's head)."""
    return (
        extension.status == ExtensionStatus.REQUESTED
        and extension.requested_by_id != user.pk
        and _holds(scope, ("reviewer",), case)
    )


def task_actions(user: Any, scope: StaffScope, task: CaseTask) -> set[str]:
    """The task actions to offer: to the staff who work tasks
    (``cases.workbench.TASK_STAFF_ROLE``) of the task's organisation."""
    if task.status not in (TaskStatus.OPEN, TaskStatus.CLAIMED):
        return set()
    if task.organisation_id not in scope.organisation_ids(TASK_STAFF_ROLE):
        return set()
    if task.status == TaskStatus.OPEN and task.assignee_id is None:
        return {"claim"}
    if task.assignee_id == user.pk:
        return {"complete", "hand_over", "return"}
    return set()


def colleagues(user: Any, task: CaseTask) -> list[tuple[int, str]]:
    """Who a task can be handed to: active reviewers of its organisation but me."""
    from django.contrib.auth import get_user_model

    ids = set(staff_user_ids_with_role(task.organisation_id, TASK_STAFF_ROLE)) - {
        user.pk
    }
    users = get_user_model().objects.filter(pk__in=ids).order_by("username")
    return [(u.pk, user_name(u)) for u in users]


# --- reads ---------------------------------------------------------------------------


def case_for_staff(user: Any, pk: int) -> Case | None:
    return (
        selectors.staff_cases_for_user(user)
        .select_related("submitted_by", "applicant")
        .prefetch_related("pauses", "extensions", "payments")
        .filter(pk=pk)
        .first()
    )


def task_for_staff(user: Any, pk: int) -> CaseTask | None:
    return (
        CaseTask.objects.select_related("case", "case__division", "organisation")
        .filter(pk=pk, case__in=selectors.staff_cases_for_user(user))
        .first()
    )


def file_for_staff(user: Any, file_id: uuid.UUID) -> Any:
    from zhengwu.cases.files import file_for_user

    try:
        return file_for_user(user, file_id)
    except DomainError:
        return None


def case_tasks(case: Case) -> list[CaseTask]:
    return list(case.tasks.select_related("assignee", "organisation").order_by("pk"))


# What a row of the acceptance queue shows (portal/workbench/inbox.html): not the
# form data nor the encrypted contact of each case.
ACCEPTANCE_COLUMNS = (
    "number",
    "item_name",
    "applicant_name",
    "channel",
    "submitted_at",
    "acceptance_due_on",
)


def acceptance_queue(user: Any, *, limit: int) -> tuple[list[Case], int]:
    """Cases waiting for acceptance that the user may accept, nearest limit first."""
    scope = staff_scope(user)
    organisations = set(scope.reviewer_organisation_ids) | set(
        scope.counter_organisation_ids
    )
    queue = selectors.staff_cases_for_user(user).filter(
        status=CaseStatus.SUBMITTED, organisation_id__in=organisations
    )
    queue = queue.order_by("acceptance_due_on", "submitted_at", "pk")
    shown = list(queue.select_related(None).only(*ACCEPTANCE_COLUMNS)[:limit])
    # a short list is the whole queue: no count needed
    return shown, len(shown) if len(shown) < limit else queue.count()


INBOX_PAGE = 20


def inbox_page(
    user: Any,
    *,
    tab: str,
    filters: dict[str, str],
    cursor: str | None,
    with_counts: bool = True,
) -> InboxPage:
    """One keyset page of the tab (``cases.workbench.inbox``, the API's inbox too);
    a cursor that does not parse starts again at the first page. ``with_counts``:
    the tab counts too (a page appended below the list shows none)."""
    choice = InboxFilters(
        status=TaskStatus.OPEN if tab == "open" else "",
        mine=tab == "mine",
        warning=tab == "warning",
        overdue=tab == "overdue",
        item=filters.get("item", ""),
        case_status=filters.get("status", ""),
    )
    try:
        return inbox(
            user,
            filters=choice,
            cursor=cursor or "",
            limit=INBOX_PAGE,
            with_counts=with_counts,
        )
    except DomainError:
        return inbox(user, filters=choice, limit=INBOX_PAGE, with_counts=with_counts)


def listing_of(case: Case) -> ListingInfo | None:
    return listing_for_application(case.listing_code)


def form_rows(case: Case) -> list[tuple[str, str]]:
    """The submitted form as (label, value) rows, in the schema's order; values the
    schema does not name follow under their own key."""
    from zhengwu.cases.forms import listing_schema, render_spec

    rows = []
    seen = set()
    for field in render_spec(listing_schema(case.listing_code), case.form_data or {}):
        seen.add(field.name)
        if field.name not in (case.form_data or {}):
            continue
        value = _display(field.value, field.options)
        rows.append((field.label, _masked(field.name, value)))
    for key, value in (case.form_data or {}).items():
        if key not in seen:
            rows.append((str(key), _masked(str(key), _display(value, ()))))
    return rows


PERSONAL_FIELDS = {
    "mobile": mask_mobile,
    "phone": mask_mobile,
    "telephone": mask_mobile,
    "id_number": mask_id_number,
    "id_card": mask_id_number,
}


def _masked(name: str, value: str) -> str:
    """Phone and ID numbers in the form are shown masked, like the applicant's
    own: staff see the clear value nowhere on this page."""
    lowered = name.lower()
    for marker, mask in PERSONAL_FIELDS.items():
        if marker in lowered and value:
            return mask(value)
    return value


def _display(value: Any, options: tuple[tuple[str, str], ...]) -> str:
    if isinstance(value, bool):
        return str(_("是") if value else _("否"))
    if value is None:
        return ""
    labels = dict(options)
    if isinstance(value, list):
        return "、".join(labels.get(str(v), str(v)) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}：{v}" for k, v in value.items())
    return labels.get(str(value), str(value))


def missing_materials(case: Case, listing: ListingInfo | None) -> list[str]:
    if listing is None or case.status not in (
        CaseStatus.SUBMITTED,
        CaseStatus.SUPPLEMENT_REQUESTED,
    ):
        return []
    handed_in = set(case.materials.values_list("material_name", flat=True))
    return [
        name
        for name in listing.required_material_names(case.handling_item_code)
        if name not in handed_in
    ]


def handling_item_name(case: Case, listing: ListingInfo | None) -> str:
    if listing is None or not case.handling_item_code:
        return ""
    for item in listing.guide.handling_items:
        if item.code == case.handling_item_code:
            return item.name
    return ""


TIMELINE_DETAIL_KEYS = ("opinion", "reason", "note", "result", "legal_basis", "name")


def timeline(case: Case) -> list[dict[str, Any]]:
    """The case's audit events, with the free text each carries (opinion, reason…)."""
    entries = []
    applicant = case.applicant.get_username() if case.applicant_id else ""
    for entry in selectors.case_timeline(case):
        details = [
            str(entry.data[key])[:300]
            for key in TIMELINE_DETAIL_KEYS
            if isinstance(entry.data, dict) and entry.data.get(key)
        ]
        entries.append(
            {
                "at": entry.occurred_at,
                "label": entry.label,
                "actor": str(_("申请人"))
                if applicant and entry.actor == applicant
                else entry.actor,
                "detail": "；".join(details),
            }
        )
    return entries


def _yuan(fen: int) -> str:
    return f"{Decimal(fen) / 100:.2f}"


def payment_rows(case: Case) -> list[dict[str, Any]]:
    return [
        {
            "order_number": order.order_number,
            "amount_yuan": _yuan(order.amount_fen),
            "refunded_fen": order.refunded_fen,
            "refunded_yuan": _yuan(order.refunded_fen),
            "get_status_display": order.get_status_display(),
        }
        for order in case.payments.all()
    ]


def masked_mobile(case: Case) -> str:
    return mask_mobile(case.contact_mobile) if case.contact_mobile else ""


def refund_case(*, case: Case, acting_user: Any, reason: str) -> Any:
    """Refund every paid order of the case in full (B2's refund service)."""
    results = []
    for order in case.payments.filter(status=PaymentStatus.PAID):
        results.append(
            payments.payment_refund(
                order_id=order.pk,
                acting_user=acting_user,
                reason=reason,
            )
        )
    return results
