"""Case numbers (standards §1.3): 31-character implementation code + yyyyMMdd in
Asia/Shanghai + a 4-digit serial per code per day; concurrent submissions never
share a serial (PostgreSQL, threads)."""

import datetime
import threading
import zoneinfo

from django.db import connection, transaction

import pytest

from zhengwu.cases.errors import CaseError
from zhengwu.cases.models import CaseSerial
from zhengwu.cases.numbers import SERIAL_MAX, case_day, case_number

CODE = "11210100000000001X" + "3" + "211234500000"  # USCC + level + basic code
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.mark.django_db
def test_number_is_code_date_and_serial():
    moment = datetime.datetime(2026, 2, 14, 9, 0, tzinfo=SHANGHAI)
    first = case_number(CODE, moment)
    second = case_number(CODE, moment)
    assert first == f"{CODE}202602140001"
    assert second == f"{CODE}202602140002"
    assert len(first) == 43


@pytest.mark.django_db
def test_the_date_is_the_shanghai_day():
    # 2026-02-13 17:30 UTC is already 2/14 in Shanghai
    moment = datetime.datetime(2026, 2, 13, 17, 30, tzinfo=datetime.UTC)
    assert case_day(moment) == datetime.date(2026, 2, 14)
    assert case_number(CODE, moment)[31:39] == "20260214"


@pytest.mark.django_db
def test_serials_restart_each_day_and_per_code():
    day1 = datetime.datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)
    day2 = day1 + datetime.timedelta(days=1)
    other = "9" * 31
    case_number(CODE, day1)
    assert case_number(CODE, day2).endswith("0001")
    assert case_number(other, day1).endswith("0001")


@pytest.mark.django_db
def test_more_than_9999_a_day_is_a_clear_error_and_takes_nothing():
    day = datetime.date(2026, 3, 2)
    CaseSerial.objects.create(listing_code=CODE, day=day, last=SERIAL_MAX)
    with pytest.raises(CaseError) as raised:
        with transaction.atomic():
            case_number(CODE, datetime.datetime(2026, 3, 2, 10, tzinfo=SHANGHAI))
    assert raised.value.code == "cases.serial_exhausted"
    assert raised.value.status == 409
    assert CaseSerial.objects.get(listing_code=CODE, day=day).last == SERIAL_MAX


@pytest.mark.django_db(transaction=True)
def test_concurrent_numbers_are_unique_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("row locks under threads need PostgreSQL")
    moment = datetime.datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)
    numbers: list[str] = []
    failures: list[BaseException] = []
    barrier = threading.Barrier(8)

    def take() -> None:
        try:
            barrier.wait()
            for _ in range(5):
                with transaction.atomic():
                    numbers.append(case_number(CODE, moment))
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert sorted(numbers) == [f"{CODE}20260302{n:04d}" for n in range(1, 41)]
