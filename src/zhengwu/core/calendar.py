"""The working-day calendar: which days count toward a time limit (standards §10).

Working days follow the State Council's yearly holiday notice: Monday to Friday, except
the weekday holidays it names, plus the weekend days it makes working days (调休). The
platform keeps those exceptions in ``CalendarDay``; a year counts only once an
administrator (or the seed from ``chinesecalendar``) has marked it complete. A date in
any other year raises :class:`CalendarYearUnknownError`: never a Monday–Friday guess.

Counting follows 民法典 Art. 201–203 as the platform default: the starting day is not
counted; a natural-day period whose last day is not a working day ends on the next
working day.
"""

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

import structlog

from .errors import DomainError
from .models import CalendarDay, CalendarYear, DayKind

logger = structlog.get_logger(__name__)

ONE_DAY = datetime.timedelta(days=1)
SATURDAY = 5


class CalendarYearUnknownError(DomainError):
    """A computation touched a year whose holiday schedule is not (completely) entered."""

    status = 409

    def __init__(self, year: int) -> None:
        super().__init__(
            "calendar.year_unknown",
            _("尚未录入%(year)s年的节假日安排，无法计算工作日。") % {"year": year},
            year=year,
        )
        self.year = year


def is_weekend(day: datetime.date) -> bool:
    return day.weekday() >= SATURDAY


def validate_exception(*, date: datetime.date, kind: str) -> None:
    """Only exceptions to the Monday–Friday rule are stored: a holiday on a weekday,
    a working day on a weekend. Raise ValidationError (on ``kind``) otherwise."""
    if kind == DayKind.HOLIDAY and is_weekend(date):
        raise ValidationError(
            {
                "kind": gettext_lazy(
                    "%(date)s是周末，本就休息，无需登记为节假日。"
                    "只有工作日放假才需要登记。"
                )
                % {"date": date.isoformat()}
            },
            code="weekend_holiday",
        )
    if kind == DayKind.WORKDAY and not is_weekend(date):
        raise ValidationError(
            {
                "kind": gettext_lazy(
                    "%(date)s是周一至周五，本就上班，无需登记为调休上班日。"
                    "只有周末上班才需要登记。"
                )
                % {"date": date.isoformat()}
            },
            code="weekday_workday",
        )


class WorkingCalendar:
    """Answers working-day questions from the platform's own table.

    Each year is read once per instance (two small queries: is the year complete,
    and its exceptions), so one instance may serve a batch of computations; the
    module functions below use a fresh instance per call, so an administrator's
    change is seen at once. Nothing is cached across requests.
    """

    def __init__(self) -> None:
        self._years: dict[int, dict[datetime.date, str]] = {}

    def exceptions(self, year: int) -> dict[datetime.date, str]:
        """The year's exceptions (date → DayKind); raises if the year is unknown."""
        if year not in self._years:
            if not CalendarYear.objects.filter(year=year, is_complete=True).exists():
                logger.error("calendar_year_unknown", year=year)
                raise CalendarYearUnknownError(year)
            self._years[year] = dict(
                CalendarDay.objects.filter(
                    date__range=(datetime.date(year, 1, 1), datetime.date(year, 12, 31))
                ).values_list("date", "kind")
            )
        return self._years[year]

    def is_working_day(self, day: datetime.date) -> bool:
        kind = self.exceptions(day.year).get(day)
        if kind == DayKind.HOLIDAY:
            return False
        if kind == DayKind.WORKDAY:
            return True
        return not is_weekend(day)

    def add_working_days(self, start: datetime.date, days: int) -> datetime.date:
        """The day on which ``days`` working days after ``start`` are complete.

        ``start`` itself is not counted (counting begins the day after acceptance);
        ``days == 0`` gives ``start`` (an instant case)."""
        if days < 0:
            raise ValueError("days must not be negative")
        day, counted = start, 0
        while counted < days:
            day += ONE_DAY
            if self.is_working_day(day):
                counted += 1
        return day

    def working_days_between(self, start: datetime.date, end: datetime.date) -> int:
        """Working days after ``start`` up to and including ``end``; negative when
        ``end`` is before ``start``. ``working_days_between(s, add_working_days(s,
        n)) == n``."""
        if end < start:
            return -self.working_days_between(end, start)
        count, day = 0, start
        while day < end:
            day += ONE_DAY
            if self.is_working_day(day):
                count += 1
        return count

    def add_natural_days(self, start: datetime.date, days: int) -> datetime.date:
        """``start`` + ``days`` calendar days; when that last day is not a working day
        the period ends on the next working day (民法典 Art. 203)."""
        if days < 0:
            raise ValueError("days must not be negative")
        day = start + datetime.timedelta(days=days)
        if days == 0:
            return day
        while not self.is_working_day(day):
            day += ONE_DAY
        return day


def is_working_day(day: datetime.date) -> bool:
    return WorkingCalendar().is_working_day(day)


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    return WorkingCalendar().add_working_days(start, days)


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    return WorkingCalendar().working_days_between(start, end)


def add_natural_days(start: datetime.date, days: int) -> datetime.date:
    return WorkingCalendar().add_natural_days(start, days)
