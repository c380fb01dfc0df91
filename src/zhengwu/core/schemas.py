"""API shapes of core: divisions and organisations (output), list filters (input);
and what every app's API shares: the error body (``ErrorOut``) and the responses
that carry it (``ERRORS``, :func:`error_responses`), the input types (``CleanText``,
``Instant``, ``DatabaseId``), bounded JSON (:func:`bounded_json`) and the base of
query parameter models (``QueryIn``)."""

import datetime
import math
import re
from typing import Annotated, Any

from django.utils import timezone

from ninja import Field, Schema
from pydantic import AfterValidator, BaseModel, BeforeValidator, model_validator
from pydantic_core import PydanticCustomError

MAX_KEY = 2**63 - 1  # the largest primary key both databases store
JSON_INT_MAX = 2**53  # what every JSON reader (JavaScript included) reads exactly


# --- errors --------------------------------------------------------------------------


class ErrorOut(Schema):
    """Every refusal: a stable code for machines, a Chinese message for people, and
    the reasons per field."""

    # One error shape for every app: one name in the OpenAPI document.
    code: str = Field(examples=["cases.invalid_transition"])
    message: str
    fields: dict[str, list[str]] = Field(default_factory=dict)


def error_responses(*statuses: int) -> dict[int, type[ErrorOut]]:
    """The responses of an operation besides success: each status carries
    :class:`ErrorOut`."""
    return dict.fromkeys(statuses, ErrorOut)


# What an authenticated operation can answer besides success.
ERRORS = error_responses(400, 401, 403, 404, 409, 422)


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


def no_control_characters(value: str) -> str:
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
CleanText = Annotated[str, AfterValidator(no_control_characters)]
# A point in time, given with or without an offset (without: the platform's time
# zone), normalised to UTC.
Instant = Annotated[
    datetime.datetime, BeforeValidator(_instant), AfterValidator(_bounded_utc)
]

DatabaseId = Annotated[int, Field(ge=1, le=MAX_KEY)]


class QueryIn(BaseModel):
    """Base of query parameter models: an empty value (``?status=``, as HTML forms
    send) means unset. A plain pydantic model: ninja's Schema wraps its input before
    a "before" validator could see it."""

    @model_validator(mode="before")
    @classmethod
    def _blank_is_absent(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v not in ("", None)}
        return data


# --- bounded JSON ------------------------------------------------------------------

JSON_KEY_MAX = 100


def check_json(
    value: Any,
    *,
    max_depth: int,
    max_keys: int,
    max_items: int,
    text_max: int,
    what: str = "",
) -> None:
    """A bounded JSON value: at most ``max_depth`` levels, ``max_keys`` keys per
    object, ``max_items`` items per list, ``text_max`` characters per text, no control
    characters, integers JSON readers read exactly. Raises with a Chinese reason;
    ``what`` names the document in it (``表单`` → "表单内容的层级过深。")."""

    def walk(value: Any, depth: int) -> None:
        if depth > max_depth:
            raise PydanticCustomError("too_deep", f"{what}内容的层级过深。")
        if isinstance(value, bool) or value is None:
            return
        if isinstance(value, int):
            if abs(value) > JSON_INT_MAX:
                raise PydanticCustomError("json_number", "数值超出允许范围。")
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise PydanticCustomError("json_number", "数值超出允许范围。")
        elif isinstance(value, str):
            if len(value) > text_max:
                raise PydanticCustomError(
                    "json_text", f"文本不能超过{text_max}个字符。"
                )
            no_control_characters(value)
        elif isinstance(value, dict):
            if len(value) > max_keys:
                raise PydanticCustomError("json_size", f"{what}字段过多。")
            for key, item in value.items():
                if (
                    not isinstance(key, str)
                    or len(key) > JSON_KEY_MAX
                    or _CONTROL.search(key)
                ):
                    raise PydanticCustomError("json_key", "字段名不正确。")
                walk(item, depth + 1)
        elif isinstance(value, list):
            if len(value) > max_items:
                raise PydanticCustomError("json_size", "列表项过多。")
            for item in value:
                walk(item, depth + 1)
        else:
            raise PydanticCustomError("json_type", "取值无效。")

    walk(value, 0)


def bounded_json(
    *, max_depth: int, max_keys: int, max_items: int, text_max: int, what: str = ""
) -> Any:
    """A JSON object input type checked by :func:`check_json` with these limits."""

    limits = {
        "max_depth": max_depth,
        "max_keys": max_keys,
        "max_items": max_items,
        "text_max": text_max,
        "what": what,
    }

    def bounded(value: dict[str, Any]) -> dict[str, Any]:
        check_json(value, **limits)
        return value

    return Annotated[dict[str, Any], AfterValidator(bounded)]
