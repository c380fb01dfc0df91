"""办件编号 (standards §1.3): implementation code (31) + yyyyMMdd (8, Asia/Shanghai)
+ serial (4), the serial counted per implementation code per day."""

import datetime
import zoneinfo

from django.db import connection
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import SERIAL_EXHAUSTED, CaseError
from .models import CaseSerial

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
SERIAL_MAX = 9999


def case_day(moment: datetime.datetime | None = None) -> datetime.date:
    """The day in Asia/Shanghai of ``moment`` (now): the date inside the number."""
    return (moment or timezone.now()).astimezone(SHANGHAI).date()


def next_serial(listing_code: str, day: datetime.date) -> int:
    """Take the next serial of ``listing_code`` on ``day``. Runs in the caller's
    transaction: the counter row stays locked until it commits, so two submissions
    never get the same serial, and a rolled-back submission gives its serial back.
    One statement, no savepoint (insert the day's counter or bump it, returning
    the value): a submission is on the hot path."""
    table = connection.ops.quote_name(CaseSerial._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO {table} ("listing_code", "day", "last") '  # noqa: S608
            'VALUES (%s, %s, 1) ON CONFLICT ("listing_code", "day") '
            f'DO UPDATE SET "last" = {table}."last" + 1 RETURNING "last"',
            [listing_code, connection.ops.adapt_datefield_value(day)],
        )
        last = cursor.fetchone()[0]
    if last > SERIAL_MAX:
        # give the serial back: the caller may catch this and go on
        CaseSerial.objects.filter(listing_code=listing_code, day=day).update(
            last=F("last") - 1
        )
        raise CaseError(
            SERIAL_EXHAUSTED,
            _("该事项今日办件编号已用完（每日最多%(n)s件），请明日再提交。")
            % {"n": SERIAL_MAX},
            status=409,
        )
    return last


def case_number(listing_code: str, moment: datetime.datetime | None = None) -> str:
    day = case_day(moment)
    serial = next_serial(listing_code, day)
    return f"{listing_code}{day:%Y%m%d}{serial:04d}"
