"""办件编号 (standards §1.3): implementation code (31) + yyyyMMdd (8, Asia/Shanghai)
+ serial (4), the serial counted per implementation code per day."""

import datetime
import zoneinfo

from django.db import IntegrityError, transaction
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
    never get the same serial, and a rolled-back submission gives its serial back."""
    with transaction.atomic():
        updated = CaseSerial.objects.filter(listing_code=listing_code, day=day).update(
            last=F("last") + 1
        )
        if not updated:
            try:
                with transaction.atomic():
                    CaseSerial.objects.create(
                        listing_code=listing_code, day=day, last=1
                    )
                return 1
            except IntegrityError:  # another submission created it meanwhile
                CaseSerial.objects.filter(listing_code=listing_code, day=day).update(
                    last=F("last") + 1
                )
        last = (
            CaseSerial.objects.filter(listing_code=listing_code, day=day)
            .values_list("last", flat=True)
            .get()
        )
        if last > SERIAL_MAX:
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
