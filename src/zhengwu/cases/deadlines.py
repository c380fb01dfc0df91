"""Time limits of cases (standards §10, 行政许可法 第32、42、45、82条).

The handling limit is counted from the day after acceptance (民法典 第201条), day by
day on the platform's working-day calendar (``core.calendar``), skipping the days a
special procedure pauses the clock (第45条) and adding approved extensions (第42条).
A natural-day limit counts every day not paused and, when it ends on a rest day,
ends on the next working day (民法典 第203条).

Pause edge days: by default the day a special procedure starts and the day it ends
are both *not* counted (the procedure ran on them). ``ZHENGWU_CASE_PAUSE_EDGE_DAYS_COUNT
= True`` counts them, pausing only the days strictly between.

A deadline that falls in a year whose holidays are not entered is not guessed:
``due_on`` stays None, the state "none", a structlog error is written and the
scheduled refresh computes it once the year is entered.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

import structlog

from zhengwu.core.calendar import CalendarYearUnknownError, WorkingCalendar

from .constants import CaseStatus, DeadlineState, ProcessTemplate

logger = structlog.get_logger(__name__)

ONE_DAY = datetime.timedelta(days=1)
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
ACCEPTANCE_LIMIT_DAYS = 5  # 行政许可法 第32条第4项
EXTENSION_CAP_SINGLE = 10  # 第42条: 10 days
EXTENSION_CAP_JOINT = 15  # 第42条: unified/joint handling, 15 days
NATURAL_DAY = "natural_day"


def warning_days() -> int:
    return settings.ZHENGWU_CASE_WARNING_DAYS


def pause_edge_days_count() -> bool:
    return settings.ZHENGWU_CASE_PAUSE_EDGE_DAYS_COUNT


def local_day(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(SHANGHAI).date()


def today() -> datetime.date:
    return local_day(timezone.now())


@dataclass(frozen=True)
class Pause:
    started_on: datetime.date
    ended_on: datetime.date | None


class PausedDays:
    """Which days a case's pauses take out of the count."""

    def __init__(self, pauses: Iterable[Pause], *, until: datetime.date) -> None:
        edge = pause_edge_days_count()
        self.ranges: list[tuple[datetime.date, datetime.date]] = []
        for pause in pauses:
            end = pause.ended_on or max(until, pause.started_on)
            first, last = pause.started_on, end
            if edge:
                first, last = first + ONE_DAY, last - ONE_DAY
            if first <= last:
                self.ranges.append((first, last))

    def __contains__(self, day: datetime.date) -> bool:
        return any(first <= day <= last for first, last in self.ranges)


def due_date(
    *,
    start: datetime.date,
    days: int,
    unit: str = "working_day",
    pauses: Iterable[Pause] = (),
    calendar: WorkingCalendar | None = None,
    today_: datetime.date | None = None,
) -> datetime.date:
    """The last day of a limit of ``days`` counted from the day after ``start``.

    Raises CalendarYearUnknownError when a needed year is not entered. An open
    pause is taken to run through ``today_`` (the due date moves on while it
    lasts)."""
    calendar = calendar or WorkingCalendar()
    paused = PausedDays(pauses, until=today_ or today())
    if days <= 0:
        return start
    day, counted = start, 0
    natural = unit == NATURAL_DAY
    while counted < days:
        day += ONE_DAY
        if day in paused:
            continue
        if natural or calendar.is_working_day(day):
            counted += 1
    if natural:
        while not calendar.is_working_day(day):
            day += ONE_DAY
    return day


def warning_date(
    due_on: datetime.date,
    *,
    floor: datetime.date,
    calendar: WorkingCalendar | None = None,
) -> datetime.date:
    """``due_on`` minus the warning period in working days, not before ``floor``."""
    calendar = calendar or WorkingCalendar()
    day, counted = due_on, 0
    while counted < warning_days() and day > floor:
        day -= ONE_DAY
        if calendar.is_working_day(day):
            counted += 1
    return max(day, floor)


def deadline_state(
    *,
    due_on: datetime.date | None,
    warn_on: datetime.date | None,
    paused: bool,
    on: datetime.date,
) -> str:
    if paused:
        return DeadlineState.PAUSED
    if due_on is None:
        return DeadlineState.NONE
    if on > due_on:
        return DeadlineState.OVERDUE
    if warn_on is not None and on >= warn_on:
        return DeadlineState.WARNING
    return DeadlineState.NORMAL


def acceptance_due(
    submitted_on: datetime.date, calendar: WorkingCalendar | None = None
) -> datetime.date | None:
    """The last day of the 5-day acceptance notice (第32条), or None when the
    year is not entered."""
    try:
        return (calendar or WorkingCalendar()).add_working_days(
            submitted_on, ACCEPTANCE_LIMIT_DAYS
        )
    except CalendarYearUnknownError as error:
        logger.error("case_acceptance_due_unknown", year=error.year)
        return None


def extension_cap(*, joint: bool) -> int:
    return EXTENSION_CAP_JOINT if joint else EXTENSION_CAP_SINGLE


def is_joint(case) -> bool:
    """Joint handling (several departments): a bundle case or a parallel process."""
    from .models import HandlingConfig

    if case.bundle_id is not None:
        return True
    template = (
        HandlingConfig.objects.filter(listing_code=case.listing_code)
        .values_list("process_template", flat=True)
        .first()
    )
    return template == ProcessTemplate.PARALLEL


def compute(
    case, *, on: datetime.date | None = None, calendar: WorkingCalendar | None = None
) -> tuple[datetime.date | None, datetime.date | None, str]:
    """(due_on, warn_on, deadline_state) of an accepted case, from its acceptance
    date, limit, pauses and approved extensions."""
    on = on or today()
    if case.status != CaseStatus.ACCEPTED or case.accepted_at is None:
        return case.due_on, case.warn_on, DeadlineState.NONE
    calendar = calendar or WorkingCalendar()
    pauses = [Pause(p.started_on, p.ended_on) for p in case.pauses.all()]
    is_paused = any(p.ended_on is None for p in pauses)
    start = local_day(case.accepted_at)
    try:
        due = due_date(
            start=start,
            days=case.limit_days + case.extended_days,
            unit=case.limit_unit,
            pauses=pauses,
            calendar=calendar,
            today_=on,
        )
        warn = warning_date(due, floor=start, calendar=calendar)
    except CalendarYearUnknownError as error:
        logger.error("case_deadline_unknown_year", case_id=case.pk, year=error.year)
        return None, None, DeadlineState.PAUSED if is_paused else DeadlineState.NONE
    return due, warn, deadline_state(due_on=due, warn_on=warn, paused=is_paused, on=on)


def apply(case, *, on: datetime.date | None = None, calendar=None) -> list[str]:
    """Set the case's deadline fields; the names of the fields that changed."""
    due, warn, state = compute(case, on=on, calendar=calendar)
    changed = []
    for name, value in (("due_on", due), ("warn_on", warn), ("deadline_state", state)):
        if getattr(case, name) != value:
            setattr(case, name, value)
            changed.append(name)
    return changed


def task_deadline(case) -> dict[str, datetime.date | None]:
    """What a live task carries of its case's deadline: the due date, and the first
    day of the warning period while the clock runs (none while it is paused), so
    that the inbox filters and counts every tab (临期 too) from the task rows."""
    paused = case.deadline_state == DeadlineState.PAUSED
    return {"due_on": case.due_on, "warn_on": None if paused else case.warn_on}


def tasks_follow(case) -> None:
    """The case's live tasks take its deadline (after any change of it)."""
    from .constants import TaskStatus
    from .models import CaseTask

    CaseTask.objects.filter(
        case=case, status__in=[TaskStatus.OPEN, TaskStatus.CLAIMED]
    ).update(**task_deadline(case))


def refresh_deadlines(on: datetime.date | None = None) -> dict[str, int]:
    """The scheduler's daily pass over open cases (and after a calendar change):

    - a submitted case not answered (accepted, supplement asked, refused) by its
      acceptance limit counts as accepted from receipt (第32条第4项, standards §10):
      accepted here, audited as the system;
    - an acceptance limit that could not be computed (unknown year) is computed;
    - every accepted case's due date, warning date and state are recomputed (a
      changed due date and a changed state — normal, warning, overdue — are
      audited as the system; the audit keeps the history).
    """
    from django.db import transaction

    from zhengwu.core import audit

    from .models import Case
    from .services import case_accept_by_law

    on = on or today()
    calendar = WorkingCalendar()
    counts = {"accepted_by_law": 0, "recomputed": 0, "state_changed": 0, "checked": 0}
    submitted = Case.objects.filter(status=CaseStatus.SUBMITTED).only(
        "pk", "submitted_at", "acceptance_due_on"
    )
    for case in submitted.iterator(chunk_size=500):
        if case.acceptance_due_on is None and case.submitted_at is not None:
            due = acceptance_due(local_day(case.submitted_at), calendar)
            if due is not None:
                Case.objects.filter(pk=case.pk, acceptance_due_on__isnull=True).update(
                    acceptance_due_on=due
                )
                case.acceptance_due_on = due
        if case.acceptance_due_on is not None and on > case.acceptance_due_on:
            if case_accept_by_law(case_id=case.pk, on=on):
                counts["accepted_by_law"] += 1
    accepted = (
        Case.objects.filter(status=CaseStatus.ACCEPTED)
        .prefetch_related("pauses")
        .order_by("pk")
    )
    for unlocked in accepted.iterator(chunk_size=500):
        counts["checked"] += 1
        if compute(unlocked, on=on, calendar=calendar) == (
            unlocked.due_on,
            unlocked.warn_on,
            unlocked.deadline_state,
        ):
            continue  # nothing to write: no lock taken
        with transaction.atomic():
            case = (
                Case.objects.select_for_update()
                .filter(pk=unlocked.pk, status=CaseStatus.ACCEPTED)
                .first()
            )
            if case is None:
                continue
            old_due, old_state = case.due_on, case.deadline_state
            changed = apply(case, on=on, calendar=calendar)
            if not changed:
                continue
            case.save(update_fields=[*changed, "updated_at"])
            tasks_follow(case)
            if "due_on" in changed:
                counts["recomputed"] += 1
                audit.record(
                    acting_user=None,
                    actor_label="system:deadlines",
                    event="cases.deadline_recomputed",
                    target=case,
                    data={
                        "from": old_due.isoformat() if old_due else None,
                        "to": case.due_on.isoformat() if case.due_on else None,
                    },
                )
            if "deadline_state" in changed:  # 临期 / 超期: who is told, who is rated
                counts["state_changed"] += 1
                audit.record(
                    acting_user=None,
                    actor_label="system:deadlines",
                    event="cases.deadline_state_changed",
                    target=case,
                    data={"from": old_state, "to": case.deadline_state},
                )
    return counts
