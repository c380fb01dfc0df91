"""API shapes of core: divisions and organisations (output), list filters (input);
and the input types every app's API shares (``CleanText``, ``Instant``)."""

import datetime
import re
from typing import Annotated, Any

from django.utils import timezone

from ninja import Field, Schema
from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError

MAX_KEY = 2**63 - 1  # the largest primary key both databases store


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, list[str]]


class DivisionOut(Schema):
    code: str = Field(description="GB/T 2260 code, 6 digits")
    code12: str = Field(description="12-digit platform form: code + 000000")
    name: str
    kind: str = Field(description="市辖区 / 县级市 / 县 / 自治县 / …")
    level: str
    parent_code: str | None


class DivisionFilter(Schema):
    parent: str | None = Field(
        None,
        max_length=12,
        description="children of this division; the top-level divisions when absent",
    )


class OrganisationOut(Schema):
    pk: int
    credit_code: str
    name: str
    short_name: str
    level: int = Field(description="行使层级: 1 国家级 … 5 乡镇（街道）级")
    kind: str
    division_code: str
    division_name: str
    parent_id: int | None
    is_active: bool


class OrganisationFilter(Schema):
    division: str | None = Field(None, max_length=12, description="division code")
    include_subdivisions: bool = Field(
        False, description="also organisations of every division below `division`"
    )
    after: int | None = Field(
        None, ge=0, le=MAX_KEY, description="cursor: `next_cursor` of the previous page"
    )
    limit: int = Field(50, ge=1, le=100)


class OrganisationPageOut(Schema):
    items: list[OrganisationOut]
    next_cursor: int | None


# --- input types shared by every app's API ----------------------------------------

# Tab, newline and carriage return are text; every other control character (NUL
# above all, which PostgreSQL refuses in text) is not.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# PostgreSQL stores offsets up to ±15:59 and Python dates from year 1 to 9999: an
# instant outside these bounds (or one whose UTC form leaves them) is refused as a
# value, not as a database error.
EARLIEST = datetime.datetime(1900, 1, 1, tzinfo=datetime.UTC)
LATEST = datetime.datetime(9999, 1, 1, tzinfo=datetime.UTC)
_DATE_START = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _no_control_characters(value: str) -> str:
    if _CONTROL.search(value):
        raise PydanticCustomError("control_characters", "不能包含控制字符。")
    return value


def _instant(value: Any) -> Any:
    """An ISO 8601 text or a datetime; numbers, even in a query string (which
    pydantic would read as Unix seconds), are not a date to a person."""
    if isinstance(value, datetime.datetime) or (
        isinstance(value, str) and _DATE_START.match(value)
    ):
        return value
    raise PydanticCustomError(
        "datetime_type", "应为日期时间，如 2026-01-31T08:00:00+08:00。"
    )


def _bounded_utc(value: datetime.datetime) -> datetime.datetime:
    try:
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        value = value.astimezone(datetime.UTC)
    except (OverflowError, ValueError):
        value = LATEST  # beyond the representable range: refused below
    if not EARLIEST <= value < LATEST:
        raise PydanticCustomError("datetime_range", "日期时间应在1900年至9998年之间。")
    return value


# Free text of a query or body: no control characters.
CleanText = Annotated[str, AfterValidator(_no_control_characters)]
# A point in time, given with or without an offset (without: the platform's time
# zone), normalised to UTC.
Instant = Annotated[
    datetime.datetime, BeforeValidator(_instant), AfterValidator(_bounded_utc)
]
