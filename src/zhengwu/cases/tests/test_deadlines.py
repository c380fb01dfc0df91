"""Deadline arithmetic on the 2026 calendar: the Spring Festival (2/15–2/23 off,
2/14 and 2/28 working), natural days, pauses, extensions, an unknown year, the
warning date and the scheduled refresh (acceptance by law, 第32条第4项)."""

import datetime
import zoneinfo

from django.test import override_settings

import pytest

from zhengwu.cases import deadlines
from zhengwu.cases.constants import CaseStatus, DeadlineState
from zhengwu.cases.deadlines import Pause, due_date
from zhengwu.cases.models import Case, ClockPause
from zhengwu.core.calendar import CalendarYearUnknownError
from zhengwu.core.models import AuditEvent
from zhengwu.core.services import calendar_year_mark_complete

from .factories import CaseFactory, World

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
D = datetime.date


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def test_working_days_skip_the_spring_festival_and_count_the_adjusted_saturday(
    calendar_2026,
):
    # given acceptance on Thursday 2026-02-12
    start = D(2026, 2, 12)
    # when / then: 2/13 and Saturday 2/14 (adjusted working day) count, 2/15–2/23 not
    assert due_date(start=start, days=2) == D(2026, 2, 14)
    assert due_date(start=start, days=3) == D(2026, 2, 24)
    assert due_date(start=start, days=5) == D(2026, 2, 26)
    # and Saturday 2/28 is a working day too
    assert due_date(start=start, days=7) == D(2026, 2, 28)


def test_zero_days_is_the_day_itself(calendar_2026):
    assert due_date(start=D(2026, 2, 12), days=0) == D(2026, 2, 12)


def test_natural_days_ending_in_the_holiday_roll_to_the_next_working_day(
    calendar_2026,
):
    # given 5 natural days from 2/12 end on 2/17, a holiday
    # then the period ends on the first working day after it (民法典 第203条)
    assert due_date(start=D(2026, 2, 12), days=5, unit="natural_day") == D(2026, 2, 24)
    # and a natural-day period ending on a working day stays there
    assert due_date(start=D(2026, 3, 2), days=3, unit="natural_day") == D(2026, 3, 5)


def test_a_pause_takes_its_days_out_including_start_and_end_by_default(
    calendar_2026,
):
    # given acceptance Monday 3/2 and 5 working days (due 3/9 without a pause)
    start = D(2026, 3, 2)
    assert due_date(start=start, days=5) == D(2026, 3, 9)
    # when a special procedure runs 3/4–3/5
    pauses = [Pause(D(2026, 3, 4), D(2026, 3, 5))]
    # then both days are not counted: due two working days later
    assert due_date(start=start, days=5, pauses=pauses) == D(2026, 3, 11)


@override_settings(ZHENGWU_CASE_PAUSE_EDGE_DAYS_COUNT=True)
def test_the_setting_counts_the_pause_start_and_end_days(calendar_2026):
    # given a pause 3/4–3/6 whose edge days count: only 3/5 is paused
    pauses = [Pause(D(2026, 3, 4), D(2026, 3, 6))]
    # then one working day is added
    assert due_date(start=D(2026, 3, 2), days=5, pauses=pauses) == D(2026, 3, 10)


def test_an_open_pause_runs_through_today(calendar_2026):
    # given a pause started 3/4 and still running on 3/6
    pauses = [Pause(D(2026, 3, 4), None)]
    # then 3/4–3/6 are out of the count
    due = due_date(start=D(2026, 3, 2), days=5, pauses=pauses, today_=D(2026, 3, 6))
    assert due == D(2026, 3, 12)


def test_a_year_not_entered_raises_and_is_not_guessed(calendar_2026):
    # given 2027 is not entered
    # when a limit reaches into it
    # then the calendar error, never a Monday–Friday guess
    with pytest.raises(CalendarYearUnknownError):
        due_date(start=D(2026, 12, 28), days=7)


def test_warning_date_is_three_working_days_before_due(calendar_2026):
    # given a due date of 2/26 (holidays before it)
    # then three working days back skips the festival: 2/25, 2/24, Saturday 2/14
    assert deadlines.warning_date(D(2026, 2, 26), floor=D(2026, 2, 12)) == D(
        2026, 2, 14
    )
    # and never before acceptance
    assert deadlines.warning_date(D(2026, 2, 13), floor=D(2026, 2, 12)) == D(
        2026, 2, 12
    )


@pytest.mark.parametrize(
    "on, paused, expected",
    [
        (D(2026, 3, 1), False, DeadlineState.NORMAL),
        (D(2026, 3, 5), False, DeadlineState.WARNING),
        (D(2026, 3, 9), False, DeadlineState.WARNING),
        (D(2026, 3, 10), False, DeadlineState.OVERDUE),
        (D(2026, 3, 10), True, DeadlineState.PAUSED),
    ],
)
def test_deadline_states(on, paused, expected):
    state = deadlines.deadline_state(
        due_on=D(2026, 3, 9), warn_on=D(2026, 3, 4), paused=paused, on=on
    )
    assert state == expected


def test_deadline_state_is_none_without_a_due_date():
    state = deadlines.deadline_state(
        due_on=None, warn_on=None, paused=False, on=D(2026, 3, 1)
    )
    assert state == DeadlineState.NONE


def test_compute_adds_approved_extensions_and_pauses(world: World):
    # given a case accepted on 3/2 with 5 working days, extended by 2, paused 3/4–3/5
    case = CaseFactory(
        accepted=True,
        organisation=world.org_a,
        applicant=world.citizen.user,
        accepted_at=at(D(2026, 3, 2)),
        limit_days=5,
        extended_days=2,
    )
    ClockPause.objects.create(
        case=case,
        name="专家评审",
        reason="第45条",
        started_on=D(2026, 3, 4),
        ended_on=D(2026, 3, 5),
        started_by=world.reviewer_a,
    )
    # when
    due, warn, state = deadlines.compute(case, on=D(2026, 3, 6))
    # then 5 + 2 working days, the paused days left out
    assert due == D(2026, 3, 13)
    assert warn == D(2026, 3, 10)
    assert state == DeadlineState.NORMAL


def test_compute_leaves_the_due_date_empty_in_an_unknown_year(world: World):
    # given a case accepted 12/28 whose 7 working days reach 2027
    case = CaseFactory(
        accepted=True,
        organisation=world.org_a,
        applicant=world.citizen.user,
        accepted_at=at(D(2026, 12, 28)),
        limit_days=7,
    )
    # when
    due, warn, state = deadlines.compute(case, on=D(2026, 12, 29))
    # then no guess
    assert (due, warn, state) == (None, None, DeadlineState.NONE)


@pytest.mark.django_db
def test_refresh_computes_the_due_date_once_the_year_is_entered(world: World):
    # given an accepted case whose due date is unknown (2027 not entered)
    case = CaseFactory(
        accepted=True,
        organisation=world.org_a,
        applicant=world.citizen.user,
        accepted_at=at(D(2026, 12, 28)),
        limit_days=7,
    )
    deadlines.refresh_deadlines(D(2026, 12, 29))
    case.refresh_from_db()
    assert case.due_on is None
    # when 2027 is entered (no exceptions in January for this test) and refreshed
    calendar_year_mark_complete(
        year=2027, acting_user=world.editor_a, source="国务院办公厅通知（测试）"
    )
    counts = deadlines.refresh_deadlines(D(2026, 12, 29))
    # then the due date is computed and the change audited
    case.refresh_from_db()
    assert case.due_on == D(2027, 1, 6)
    assert counts["recomputed"] == 1
    assert AuditEvent.objects.filter(
        event="cases.deadline_recomputed", target_id=str(case.pk)
    ).exists()


@pytest.mark.django_db
def test_an_unanswered_submission_counts_as_accepted_from_receipt(world: World):
    # given a case submitted Monday 11/16 whose 5-day acceptance limit ended 11/23
    submitted_at = at(D(2026, 11, 16))
    case = CaseFactory(
        submitted=True,
        listing_code=world.listing_a,
        organisation=world.org_a,
        applicant=world.citizen.user,
        principal_label=f"person:{world.citizen.pk}",
        submitted_at=submitted_at,
        acceptance_due_on=D(2026, 11, 23),
        limit_days=5,
    )
    # when the scheduler runs on the last day nothing happens
    assert deadlines.refresh_deadlines(D(2026, 11, 23))["accepted_by_law"] == 0
    # and the day after, the case counts as accepted from receipt
    counts = deadlines.refresh_deadlines(D(2026, 11, 24))
    case.refresh_from_db()
    assert counts["accepted_by_law"] == 1
    assert case.status == CaseStatus.ACCEPTED
    assert case.accepted_at == submitted_at
    assert case.due_on == D(2026, 11, 23)
    event = AuditEvent.objects.get(event="cases.accepted", target_id=str(case.pk))
    assert event.actor_id is None
    assert event.actor_label == "system:deadlines"
    assert event.data["by_law"] is True
    # and the process started: a review task for the department
    assert case.tasks.filter(organisation=world.org_a).exists()


@pytest.mark.django_db
def test_refresh_leaves_answered_cases_alone(world: World):
    # given a case waiting for the applicant's supplement
    case = CaseFactory(
        submitted=True,
        status=CaseStatus.SUPPLEMENT_REQUESTED,
        organisation=world.org_a,
        applicant=world.citizen.user,
        acceptance_due_on=D(2026, 11, 23),
    )
    # when
    deadlines.refresh_deadlines(D(2026, 11, 30))
    # then
    assert Case.objects.get(pk=case.pk).status == CaseStatus.SUPPLEMENT_REQUESTED


@pytest.mark.django_db
def test_refresh_audits_a_case_turning_warning_then_overdue(world: World):
    # given a case accepted Monday 11/2 with 5 working days (due Monday 11/9)
    case = CaseFactory(
        accepted=True,
        organisation=world.org_a,
        applicant=world.citizen.user,
        accepted_at=at(D(2026, 11, 2)),
        limit_days=5,
    )
    deadlines.refresh_deadlines(D(2026, 11, 2))
    case.refresh_from_db()
    assert case.deadline_state == DeadlineState.NORMAL
    before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    # when the days pass: the warning window, then past the due date
    warning = deadlines.refresh_deadlines(D(2026, 11, 9))
    again = deadlines.refresh_deadlines(D(2026, 11, 9))
    overdue = deadlines.refresh_deadlines(D(2026, 11, 10))
    # then each change of state is audited once, as the system, with from and to
    changes = list(
        AuditEvent.objects.filter(
            event="cases.deadline_state_changed",
            target_id=str(case.pk),
            pk__gt=before,
        ).order_by("pk")
    )
    assert [(e.data["from"], e.data["to"]) for e in changes] == [
        (DeadlineState.NORMAL, DeadlineState.WARNING),
        (DeadlineState.WARNING, DeadlineState.OVERDUE),
    ]
    assert {e.actor_label for e in changes} == {"system:deadlines"}
    assert (warning["state_changed"], again["state_changed"]) == (1, 0)
    assert overdue["state_changed"] == 1
