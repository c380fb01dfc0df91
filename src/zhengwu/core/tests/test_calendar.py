"""The working-day calendar (standards §10), on the 2026 State Council notice."""

import datetime

import pytest

from zhengwu.core import calendar
from zhengwu.core.calendar import (
    CalendarYearUnknownError,
    WorkingCalendar,
    add_natural_days,
    add_working_days,
    is_working_day,
    working_days_between,
)
from zhengwu.core.errors import DomainError, NotFoundError
from zhengwu.core.models import AuditEvent, CalendarDay, CalendarYear, DayKind
from zhengwu.core.services import (
    calendar_day_remove,
    calendar_day_set,
    calendar_seed_from_chinesecalendar,
    calendar_year_mark_complete,
    calendar_year_mark_incomplete,
)

from .conftest import HOLIDAYS_2026, WORKDAYS_2026

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.mark.usefixtures("calendar_2026")
@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 1, 1), False),  # 元旦
        (D(2026, 1, 4), True),  # Sunday, 调休上班
        (D(2026, 1, 5), True),  # ordinary Monday
        (D(2026, 1, 10), False),  # ordinary Saturday
        (D(2026, 2, 14), True),  # Saturday before 春节, working
        (D(2026, 2, 23), False),  # Monday, last day of 春节
        (D(2026, 2, 28), True),  # Saturday, working
        (D(2026, 4, 6), False),  # 清明 Monday
        (D(2026, 5, 9), True),  # Saturday, working
        (D(2026, 9, 20), True),  # Sunday, working
        (D(2026, 10, 1), False),
        (D(2026, 10, 7), False),
        (D(2026, 10, 8), True),
        (D(2026, 10, 10), True),  # Saturday, working
        (D(2026, 10, 11), False),  # ordinary Sunday
    ],
)
def test_is_working_day_2026(day, working):
    assert is_working_day(day) is working


@pytest.mark.usefixtures("calendar_2026")
def test_add_working_days_across_national_day():
    # given a case accepted on Wednesday 2026-09-30
    accepted = D(2026, 9, 30)

    # when the limit is 5 working days
    due = add_working_days(accepted, 5)

    # then 10/1–10/7 do not count; 10/8 (Thu), 10/9 (Fri), 10/10 (Sat, working),
    # 10/12 (Mon), 10/13 (Tue)
    assert due == D(2026, 10, 13)
    assert working_days_between(accepted, due) == 5


@pytest.mark.usefixtures("calendar_2026")
def test_add_working_days_does_not_count_the_starting_day():
    # accepted on Monday 2026-01-05: day 1 is Tuesday
    assert add_working_days(D(2026, 1, 5), 1) == D(2026, 1, 6)
    # accepted on Friday: the weekend does not count
    assert add_working_days(D(2026, 1, 9), 1) == D(2026, 1, 12)
    # accepted on a holiday: counting starts the day after all the same
    assert add_working_days(D(2026, 1, 1), 1) == D(2026, 1, 2 + 2)  # Sunday 1/4
    assert add_working_days(D(2026, 1, 5), 0) == D(2026, 1, 5)


@pytest.mark.usefixtures("calendar_2026")
def test_twenty_working_days_over_spring_festival():
    # 行政许可法 Art. 42: 20 days from acceptance on Monday 2026-02-09
    due = add_working_days(D(2026, 2, 9), 20)
    # 2/10–2/13 (4), 2/14 Sat (5), 2/24–2/27 (9), 2/28 Sat (10), 3/2–3/6 (15),
    # 3/9–3/13 (20)
    assert due == D(2026, 3, 13)


@pytest.mark.usefixtures("calendar_2026")
def test_working_days_between_is_signed():
    assert working_days_between(D(2026, 10, 13), D(2026, 9, 30)) == -5
    assert working_days_between(D(2026, 10, 1), D(2026, 10, 1)) == 0


@pytest.mark.usefixtures("calendar_2026")
def test_negative_days_are_refused():
    with pytest.raises(ValueError, match="negative"):
        add_working_days(D(2026, 1, 5), -1)
    with pytest.raises(ValueError, match="negative"):
        add_natural_days(D(2026, 1, 5), -1)


@pytest.mark.usefixtures("calendar_2026")
def test_natural_days_roll_over_a_holiday_to_the_next_working_day():
    # given a 10-day period from 2026-09-24 ending on 10/4, inside 国庆
    # then it ends on the first working day after the holiday
    assert add_natural_days(D(2026, 9, 24), 10) == D(2026, 10, 8)
    # a period ending on an ordinary Saturday rolls to Monday
    assert add_natural_days(D(2026, 1, 5), 5) == D(2026, 1, 12)
    # a period ending on a working Saturday ends there
    assert add_natural_days(D(2026, 10, 5), 5) == D(2026, 10, 10)
    # a period ending on a working day ends there
    assert add_natural_days(D(2026, 1, 5), 3) == D(2026, 1, 8)


@pytest.mark.usefixtures("calendar_2026")
def test_any_2027_date_raises_year_unknown():
    # when
    with pytest.raises(CalendarYearUnknownError) as error:
        is_working_day(D(2027, 3, 1))

    # then
    assert isinstance(error.value, DomainError)
    assert error.value.code == "calendar.year_unknown"
    assert error.value.message == "尚未录入2027年的节假日安排，无法计算工作日。"
    assert error.value.year == 2027


@pytest.mark.usefixtures("calendar_2026")
def test_counting_into_an_unknown_year_raises_not_guesses():
    # a limit that runs past 2026-12-31
    with pytest.raises(CalendarYearUnknownError):
        add_working_days(D(2026, 12, 28), 10)
    with pytest.raises(CalendarYearUnknownError):
        working_days_between(D(2026, 12, 28), D(2027, 1, 5))
    with pytest.raises(CalendarYearUnknownError):
        add_natural_days(D(2026, 12, 30), 3)


def test_year_with_entries_but_not_complete_is_unknown(staff_user):
    # given an administrator half-way through entering 2027
    calendar_day_set(
        date=D(2027, 1, 1), kind=DayKind.HOLIDAY, name="元旦", acting_user=staff_user
    )

    # then it is not used yet
    with pytest.raises(CalendarYearUnknownError):
        is_working_day(D(2027, 1, 4))


@pytest.mark.usefixtures("calendar_2026")
def test_after_admin_completes_2027_it_works(staff_user):
    # given
    calendar_day_set(
        date=D(2027, 1, 1), kind=DayKind.HOLIDAY, name="元旦", acting_user=staff_user
    )
    calendar_day_set(
        date=D(2027, 1, 9), kind=DayKind.WORKDAY, name="元旦", acting_user=staff_user
    )

    # when
    calendar_year_mark_complete(year=2027, acting_user=staff_user)

    # then
    assert not is_working_day(D(2027, 1, 1))
    assert is_working_day(D(2027, 1, 9))
    assert add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)
    year = CalendarYear.objects.get(year=2027)
    assert year.is_complete
    assert year.source == "管理员录入"
    event = AuditEvent.objects.get(
        event="core.calendar_year_marked_complete", target_id=str(year.pk)
    )
    assert event.actor == staff_user
    assert event.data["exceptions"] == 2


@pytest.mark.usefixtures("calendar_2026")
def test_marking_incomplete_withdraws_the_year(staff_user):
    calendar_year_mark_incomplete(year=2026, acting_user=staff_user)
    with pytest.raises(CalendarYearUnknownError):
        is_working_day(D(2026, 6, 1))
    assert AuditEvent.objects.filter(
        event="core.calendar_year_marked_incomplete"
    ).exists()


@pytest.mark.usefixtures("calendar_2026")
def test_change_is_seen_at_once(staff_user):
    # given a computation already made
    assert is_working_day(D(2026, 6, 1))

    # when an administrator adds a holiday
    calendar_day_set(
        date=D(2026, 6, 1), kind=DayKind.HOLIDAY, name="临时", acting_user=staff_user
    )

    # then the next computation uses it
    assert not is_working_day(D(2026, 6, 1))

    # and removing it restores the weekday rule, audited
    calendar_day_remove(date=D(2026, 6, 1), acting_user=staff_user)
    assert is_working_day(D(2026, 6, 1))
    assert AuditEvent.objects.filter(event="core.calendar_day_removed").count() == 1


@pytest.mark.usefixtures("calendar_2026")
def test_one_instance_reads_a_year_once(django_assert_num_queries):
    working = WorkingCalendar()
    with django_assert_num_queries(2):
        due = working.add_working_days(D(2026, 1, 5), 120)
        working.working_days_between(D(2026, 1, 5), due)
    assert due.year == 2026


def test_calendar_day_set_is_audited_with_the_previous_value(staff_user):
    # when
    calendar_day_set(
        date=D(2030, 2, 4), kind=DayKind.HOLIDAY, name="春", acting_user=staff_user
    )
    calendar_day_set(
        date=D(2030, 2, 4), kind=DayKind.HOLIDAY, name="春节", acting_user=staff_user
    )
    calendar_day_set(
        date=D(2030, 2, 4), kind=DayKind.HOLIDAY, name="春节", acting_user=staff_user
    )

    # then the unchanged third call records nothing
    events = list(
        AuditEvent.objects.filter(event="core.calendar_day_set").order_by("pk")
    )
    assert len(events) == 2
    assert events[0].data["before"] is None
    assert events[1].data["before"] == {"kind": "holiday", "name": "春"}
    assert events[1].actor == staff_user


@pytest.mark.parametrize(
    ("day", "kind", "code"),
    [
        (D(2030, 2, 2), DayKind.HOLIDAY, "weekend_holiday"),  # Saturday
        (D(2030, 2, 4), DayKind.WORKDAY, "weekday_workday"),  # Monday
        (D(2030, 2, 4), "halfday", "invalid_choice"),
    ],
)
def test_non_exceptions_are_refused(staff_user, day, kind, code):
    with pytest.raises(DomainError) as error:
        calendar_day_set(date=day, kind=kind, name="", acting_user=staff_user)
    assert error.value.code == "calendar.day_invalid"
    assert "kind" in error.value.fields
    assert not CalendarDay.objects.exists()
    assert not AuditEvent.objects.exists()


def test_removing_a_day_that_is_not_there_is_not_found(staff_user):
    with pytest.raises(NotFoundError) as error:
        calendar_day_remove(date=D(2030, 1, 1), acting_user=staff_user)
    assert error.value.code == "calendar.day_not_found"


# --- seeding from chinesecalendar ---------------------------------------------


def test_seed_matches_the_2026_notice_and_is_idempotent():
    # when
    first = calendar_seed_from_chinesecalendar()
    stamps = list(CalendarDay.objects.values_list("date", "updated_at"))
    second = calendar_seed_from_chinesecalendar()

    # then every year 2004–2026, complete, from the package
    assert (first.created, first.updated, first.unchanged) == (23, 0, 0)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 23)
    assert list(CalendarDay.objects.values_list("date", "updated_at")) == stamps
    years = CalendarYear.objects.all()
    assert [y.year for y in years] == list(range(2004, 2027))
    assert all(y.is_complete for y in years)
    assert years.last().source == "chinesecalendar 1.11.0"
    assert AuditEvent.objects.filter(event="core.calendar_year_seeded").count() == 23

    # and 2026 is exactly the notice of standards §10
    stored = {
        (day.date, day.kind, day.name)
        for day in CalendarDay.objects.filter(date__year=2026)
    }
    expected = {
        (D(2026, m, d), DayKind.HOLIDAY, name)
        for name, days in HOLIDAYS_2026.items()
        for m, d in days
    } | {
        (D(2026, m, d), DayKind.WORKDAY, name)
        for name, days in WORKDAYS_2026.items()
        for m, d in days
    }
    assert stored == expected


def test_seed_stores_only_exceptions():
    calendar_seed_from_chinesecalendar()
    for day in CalendarDay.objects.all():
        weekend = day.date.weekday() >= 5
        assert weekend is (day.kind == DayKind.WORKDAY), day


def test_seed_leaves_a_completed_year_alone(staff_user):
    # given an administrator's correction to a seeded year
    calendar_seed_from_chinesecalendar()
    calendar_day_remove(date=D(2026, 10, 10), acting_user=staff_user)

    # when seeding again
    calendar_seed_from_chinesecalendar()

    # then the correction stands
    assert not CalendarDay.objects.filter(date=D(2026, 10, 10)).exists()


def test_seeded_calendar_gives_the_same_answers(calendar_2026):
    # the same deadline whether 2026 came from the notice or from the package
    expected = add_working_days(D(2026, 9, 30), 5)
    CalendarYear.objects.all().delete()
    CalendarDay.objects.all().delete()
    calendar_seed_from_chinesecalendar()
    assert add_working_days(D(2026, 9, 30), 5) == expected
    assert calendar.is_working_day(D(2004, 10, 9))  # 调休 Saturday in 2004
