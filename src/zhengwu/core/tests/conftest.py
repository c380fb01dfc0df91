"""Fixtures of core's tests."""

from collections.abc import Callable
from typing import Any

from django.db import connection

import pytest

from zhengwu.core.models import AuditEvent, DayKind
from zhengwu.core.services import calendar_day_set, calendar_year_mark_complete

from .factories import UserFactory

# Standards §10: 国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04).
HOLIDAYS_2026 = {
    "元旦": [(1, 1), (1, 2)],  # 1/3 is a Saturday
    "春节": [(2, 16), (2, 17), (2, 18), (2, 19), (2, 20), (2, 23)],
    "清明": [(4, 6)],  # 4/4, 4/5 weekend
    "劳动节": [(5, 1), (5, 4), (5, 5)],
    "端午": [(6, 19)],
    "中秋": [(9, 25)],
    "国庆节": [(10, 1), (10, 2), (10, 5), (10, 6), (10, 7)],
}
WORKDAYS_2026 = {
    "元旦": [(1, 4)],
    "春节": [(2, 14), (2, 28)],
    "劳动节": [(5, 9)],
    "国庆节": [(9, 20), (10, 10)],
}


@pytest.fixture
def staff_user(db):
    return UserFactory(username="calendar-admin", superuser=True)


@pytest.fixture
def calendar_2026(db, staff_user):
    """2026 as an administrator enters it from the State Council notice."""
    import datetime

    for name, days in HOLIDAYS_2026.items():
        for month, day in days:
            calendar_day_set(
                date=datetime.date(2026, month, day),
                kind=DayKind.HOLIDAY,
                name=name,
                acting_user=staff_user,
            )
    for name, days in WORKDAYS_2026.items():
        for month, day in days:
            calendar_day_set(
                date=datetime.date(2026, month, day),
                kind=DayKind.WORKDAY,
                name=name,
                acting_user=staff_user,
            )
    return calendar_year_mark_complete(year=2026, acting_user=staff_user)


def _bypass_triggers(statement: Callable[[], Any]) -> Any:
    """Run ``statement`` with the audit table's triggers off, inside the test's
    transaction (rolled back with it): what an intruder with database access does."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
            try:
                return statement()
            finally:
                cursor.execute("SET LOCAL session_replication_role = origin")
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND tbl_name = 'core_auditevent'"
        )
        triggers = cursor.fetchall()
        for name, _sql in triggers:
            cursor.execute(f'DROP TRIGGER "{name}"')
        try:
            return statement()
        finally:
            for _name, sql in triggers:
                cursor.execute(sql)


@pytest.fixture
def tamper():
    """``tamper(pk, **fields)`` edits an audit record past the triggers;
    ``tamper(pk, delete=True)`` deletes it."""

    def run(pk: int, *, delete: bool = False, **fields: Any) -> None:
        rows = AuditEvent.objects.filter(pk=pk)
        if delete:
            _bypass_triggers(rows.delete)
        else:
            _bypass_triggers(lambda: rows.update(**fields))

    return run
