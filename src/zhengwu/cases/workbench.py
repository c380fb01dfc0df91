"""The staff workbench: the inbox of tasks (by organisation, role and data scope,
nearest due date first, keyset-paged) and the task transitions: claim, hand over,
return to the pool, complete (driving the process; the decision task decides the
case)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengwu.core import audit
from zhengwu.identity.facade import StaffRole, staff_scope, staff_user_ids_with_role

from . import deadlines, errors
from .constants import CaseStatus, TaskStatus
from .errors import CaseError, field_error
from .models import Case, CaseTask

PAGE_MAX = 100
OUTCOMES = ("approve", "deny", "pass", "return")
DECISION_ROLE = "decider"
# Every BPMN lane is worked by the department's reviewers (审批人员).
TASK_STAFF_ROLE = StaffRole.REVIEWER


def tasks_for_user(user: AbstractBaseUser | AnonymousUser | None) -> QuerySet[CaseTask]:
    """Tasks of the organisations where ``user`` is a reviewer, in their scope."""
    if user is None or not user.is_authenticated or not user.is_active:
        return CaseTask.objects.none()
    scope = staff_scope(user)
    organisations = scope.organisation_ids(TASK_STAFF_ROLE)
    if not organisations:
        return CaseTask.objects.none()
    from .selectors import division_ids

    return CaseTask.objects.filter(
        organisation_id__in=organisations,
        division_id__in=division_ids(scope.division_codes_for(TASK_STAFF_ROLE)),
    )


@dataclass(frozen=True)
class InboxFilters:
    """Which live tasks to list. ``status``, ``mine``, ``overdue`` and ``warning``
    choose the rows (the workbench's tabs); ``listing_code``, ``item`` and
    ``case_status`` narrow the rows and the counts alike."""

    status: str = ""  # "open" | "claimed" | "done" | "" (open and claimed)
    mine: bool = False  # assignee = me
    overdue: bool = False  # due date passed
    warning: bool = False  # 临期: not yet due, the case in its warning period
    listing_code: str = ""
    item: str = ""  # an item name (contains) or a 31-character listing code
    case_status: str = ""


@dataclass(frozen=True)
class InboxPage:
    tasks: list[CaseTask]
    next_cursor: str
    counts: dict[str, int]


NO_DATE = "none"
LISTING_CODE_LENGTH = 31
LIVE = (TaskStatus.OPEN, TaskStatus.CLAIMED)
TABS = ("open", "mine", "warning", "overdue")
# The columns an inbox row shows: the workbench page (portal/workbench/inbox.html)
# and the API's task list (``api._task``). Only these are read (not the ~110 columns
# of task, case, organisation and assignee, nor the case's form data and encrypted
# contact): a field used by a row must be listed here, or each row loads it with a
# statement of its own.
INBOX_COLUMNS = (
    "case",
    "organisation",
    "assignee",
    "node",
    "name",
    "role",
    "status",
    "due_on",
    "claimed_at",
    "created_at",
    "case__number",
    "case__item_name",
    "case__status",
    "case__deadline_state",
    "organisation__name",
    "assignee__username",
    "assignee__first_name",
    "assignee__last_name",
)


def _cursor_q(cursor: str) -> Q | None:
    """Rows after ``cursor`` ("<due date or none>:<id>") in inbox order (due date
    ascending, no due date last, then id)."""
    due_text, _sep, id_text = str(cursor or "").partition(":")
    if not id_text.isdigit() or len(id_text) > 19:
        return None
    pk = int(id_text)
    if due_text == NO_DATE:
        return Q(due_on__isnull=True, pk__gt=pk)
    try:
        due = datetime.date.fromisoformat(due_text)
    except ValueError:
        return None
    return Q(due_on__gt=due) | Q(due_on=due, pk__gt=pk) | Q(due_on__isnull=True)


def _narrowed(tasks: QuerySet[CaseTask], filters: InboxFilters) -> QuerySet[CaseTask]:
    """The filters that narrow rows and counts alike (item, listing, case status)."""
    if filters.listing_code:
        tasks = tasks.filter(
            case__listing_code=str(filters.listing_code)[:LISTING_CODE_LENGTH]
        )
    item = str(filters.item or "").strip()[:100]
    if item:
        if len(item) == LISTING_CODE_LENGTH and item.isalnum():
            tasks = tasks.filter(case__listing_code=item.upper())
        else:
            tasks = tasks.filter(case__item_name__icontains=item)
    if filters.case_status:
        tasks = tasks.filter(case__status=str(filters.case_status)[:30])
    return tasks


def _tab_conditions(user: AbstractBaseUser, today: datetime.date) -> dict[str, Q]:
    """The live-task tabs of the workbench (``TABS``), counted in one query."""
    return {
        "open": Q(status=TaskStatus.OPEN),
        "mine": Q(assignee_id=user.pk),
        "warning": Q(warn_on__lte=today, due_on__gte=today),
        "overdue": Q(due_on__lt=today),
    }


def inbox(
    user: AbstractBaseUser | AnonymousUser | None,
    *,
    filters: InboxFilters | None = None,
    cursor: str = "",
    limit: int = 20,
    with_counts: bool = True,
) -> InboxPage:
    """One keyset page of the user's tasks, nearest due date first (no due date
    last), and the number of live tasks in each tab under the narrowing filters
    (``with_counts=False``: not counted, every count 0, one statement fewer)."""
    filters = filters or InboxFilters()
    try:
        limit = max(1, min(int(limit or 20), PAGE_MAX))
    except (TypeError, ValueError):
        raise field_error(
            errors.INVALID_INPUT, "limit", _("每页条数应为1至100的整数。")
        ) from None
    after = None
    if cursor:
        after = _cursor_q(cursor)
        if after is None:
            raise field_error(errors.INVALID_INPUT, "cursor", _("分页标记无效。"))
    if user is None or not user.is_authenticated:
        return InboxPage(tasks=[], next_cursor="", counts=dict.fromkeys(TABS, 0))
    base = _narrowed(tasks_for_user(user), filters)
    today = deadlines.today()
    tabs = _tab_conditions(user, today)
    tasks = base
    if filters.status in TaskStatus.values:
        tasks = tasks.filter(status=filters.status)
    else:
        tasks = tasks.filter(status__in=LIVE)
    if filters.mine:
        tasks = tasks.filter(tabs["mine"])
    if filters.overdue:
        tasks = tasks.filter(tabs["overdue"])
    if filters.warning:
        tasks = tasks.filter(tabs["warning"])
    if after is not None:
        tasks = tasks.filter(after)
    rows = list(
        tasks.select_related("case", "organisation", "assignee")
        .only(*INBOX_COLUMNS)
        .order_by(F("due_on").asc(nulls_last=True), "pk")[: limit + 1]
    )
    next_cursor = ""
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = f"{last.due_on.isoformat() if last.due_on else NO_DATE}:{last.pk}"
    counts = dict.fromkeys(TABS, 0)
    if with_counts:
        counts = base.filter(status__in=LIVE).aggregate(
            **{tab: Count("pk", filter=condition) for tab, condition in tabs.items()}
        )
    return InboxPage(tasks=rows, next_cursor=next_cursor, counts=counts)


def task_for_user(user, task_id: Any) -> CaseTask:
    try:
        pk = int(task_id)
    except (TypeError, ValueError):
        pk = 0
    task = (
        tasks_for_user(user).filter(pk=pk).select_related("case").first()
        if 0 < pk < 2**63
        else None
    )
    if task is None:
        raise CaseError(errors.TASK_NOT_FOUND, _("任务不存在。"), status=404)
    return task


def _locked(user, task_id: Any) -> CaseTask:
    task = task_for_user(user, task_id)
    return CaseTask.objects.select_for_update().select_related("case").get(pk=task.pk)


def _state_error(task: CaseTask) -> CaseError:
    return CaseError(
        errors.TASK_STATE,
        _("任务当前状态为“%(status)s”，不能进行此操作。")
        % {"status": TaskStatus(task.status).label},
        status=409,
    )


@transaction.atomic
def task_claim(*, task_id: int, acting_user: AbstractBaseUser) -> CaseTask:
    task = _locked(acting_user, task_id)
    if task.status == TaskStatus.CLAIMED and task.assignee_id == acting_user.pk:
        return task
    if task.status != TaskStatus.OPEN:
        raise _state_error(task)
    task.status, task.assignee, task.claimed_at = (
        TaskStatus.CLAIMED,
        acting_user,
        timezone.now(),
    )
    task.save(update_fields=["status", "assignee", "claimed_at", "updated_at"])
    audit.record(
        acting_user=acting_user,
        event="cases.task_claimed",
        target=task.case,
        data={"task": task.pk, "node": task.node},
    )
    return task


@transaction.atomic
def task_hand_over(
    *, task_id: int, acting_user: AbstractBaseUser, to_user_id: int, note: str = ""
) -> CaseTask:
    """Hand a task to another reviewer of the task's organisation."""
    task = _locked(acting_user, task_id)
    if task.status not in {TaskStatus.OPEN, TaskStatus.CLAIMED} or (
        task.status == TaskStatus.CLAIMED and task.assignee_id != acting_user.pk
    ):
        raise _state_error(task)
    if (
        not isinstance(to_user_id, int)
        or to_user_id == acting_user.pk
        or to_user_id
        not in staff_user_ids_with_role(task.organisation_id, TASK_STAFF_ROLE)
    ):
        raise field_error(
            errors.INVALID_INPUT, "to_user_id", _("只能转交给本单位的其他审批人员。")
        )
    task.status, task.assignee_id, task.claimed_at = (
        TaskStatus.CLAIMED,
        to_user_id,
        timezone.now(),
    )
    task.save(update_fields=["status", "assignee", "claimed_at", "updated_at"])
    audit.record(
        acting_user=acting_user,
        event="cases.task_handed_over",
        target=task.case,
        data={"task": task.pk, "to_user": to_user_id, "note": str(note or "")[:500]},
    )
    return task


@transaction.atomic
def task_return(
    *, task_id: int, acting_user: AbstractBaseUser, reason: str
) -> CaseTask:
    """Put a claimed task back into the organisation's pool, with the reason."""
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason or len(reason) > 500:
        raise field_error(
            errors.INVALID_INPUT, "reason", _("请填写退回原因（不超过500字）。")
        )
    task = _locked(acting_user, task_id)
    if task.status != TaskStatus.CLAIMED or task.assignee_id != acting_user.pk:
        raise _state_error(task)
    task.status, task.assignee, task.claimed_at = TaskStatus.OPEN, None, None
    task.save(update_fields=["status", "assignee", "claimed_at", "updated_at"])
    audit.record(
        acting_user=acting_user,
        event="cases.task_returned",
        target=task.case,
        data={"task": task.pk, "reason": reason},
    )
    return task


@transaction.atomic
def task_complete(
    *, task_id: int, acting_user: AbstractBaseUser, outcome: str, opinion: str = ""
) -> CaseTask:
    """Complete a task (claiming it when it is still in the pool): the process
    moves on and its next tasks appear; completing the decision task with approve
    or deny decides the case."""
    from .services import _workflows, case_decide_from_task, create_tasks, subject

    if outcome not in OUTCOMES:
        raise field_error(
            errors.INVALID_INPUT, "outcome", _("办理结果应为：准予、不予、通过或退回。")
        )
    opinion = opinion.strip() if isinstance(opinion, str) else ""
    if len(opinion) > 2000:
        raise field_error(errors.INVALID_INPUT, "opinion", _("不能超过2000个字符。"))
    if outcome in {"deny", "return"} and not opinion:
        raise field_error(errors.INVALID_INPUT, "opinion", _("请填写意见。"))
    task = _locked(acting_user, task_id)
    if task.status == TaskStatus.OPEN:
        task.assignee, task.claimed_at = acting_user, timezone.now()
    elif task.status != TaskStatus.CLAIMED or task.assignee_id != acting_user.pk:
        raise _state_error(task)
    case = Case.objects.select_for_update().get(pk=task.case_id)
    if case.status not in {CaseStatus.ACCEPTED, CaseStatus.APPROVED, CaseStatus.DENIED}:
        raise errors.invalid_transition(case.status)
    is_decision = task.role == DECISION_ROLE and outcome in {"approve", "deny"}
    if is_decision and case.status != CaseStatus.ACCEPTED:
        raise errors.invalid_transition(case.status)
    if is_decision:
        case_decide_from_task(
            case, approve=outcome == "approve", opinion=opinion, acting_user=acting_user
        )
    ready = _workflows().complete_task(
        subject=subject(case),
        task_id=task.workflow_task_id,
        data={"outcome": outcome, "opinion": opinion},
    )
    task.status = TaskStatus.DONE
    task.completed_at = timezone.now()
    task.completed_by = acting_user
    task.outcome = {"outcome": outcome, "opinion": opinion}
    task.save(
        update_fields=[
            "status",
            "assignee",
            "claimed_at",
            "completed_at",
            "completed_by",
            "outcome",
            "updated_at",
        ]
    )
    audit.record(
        acting_user=acting_user,
        event="cases.task_completed",
        target=case,
        data={
            "task": task.pk,
            "node": task.node,
            "step_name": task.name,
            "outcome": outcome,
            "opinion": opinion,
        },
    )
    create_tasks(case, ready)
    return task
