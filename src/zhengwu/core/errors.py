"""Domain errors with stable codes, rendered the same way by the API and the pages."""

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from pydantic import ValidationError as PydanticValidationError


class DomainError(Exception):
    """A refused request. ``code`` is stable (``"catalog.code_taken"``); ``message``
    is the Chinese text for people; ``fields`` maps a field to its reasons."""

    status = 400

    def __init__(
        self,
        code: str,
        message: str,
        *,
        fields: dict[str, list[str]] | None = None,
        status: int | None = None,
        **context: Any,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.context = context
        if status is not None:
            self.status = status

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "fields": self.fields}


class NotFoundError(DomainError):
    status = 404


class PermissionDeniedError(DomainError):
    status = 403


class ConflictError(DomainError):
    status = 409


def domain_error_from_validation(
    error: ValidationError, *, code: str, message: str
) -> DomainError:
    """Turn a model's ``full_clean`` error into a DomainError that keeps every
    field's reasons, so the API and the pages show which field is wrong and why."""
    return DomainError(code, message, fields=validation_fields(error))


def validation_fields(error: ValidationError) -> dict[str, list[str]]:
    """Field → reasons of a Django ``ValidationError`` (``__all__`` when it has none)."""
    if hasattr(error, "error_dict"):
        return {
            field: [str(reason) for reason in reasons]
            for field, reasons in error.message_dict.items()
        }
    return {"__all__": [str(reason) for reason in error.messages]}


LOCATION_PREFIXES = {"body", "query", "path", "payload", "form", "file"}


def pydantic_fields(
    error: PydanticValidationError | list[dict[str, Any]],
) -> dict[str, list[str]]:
    """Field path → Chinese reasons, from a pydantic validation error."""
    fields: dict[str, list[str]] = {}
    items = error.errors() if isinstance(error, PydanticValidationError) else error
    for item in items:
        path = (
            ".".join(
                str(part)
                for part in item.get("loc", ())
                if part not in LOCATION_PREFIXES
            )
            or "__all__"
        )
        fields.setdefault(path, []).append(pydantic_reason(item))
    return fields


def pydantic_reason(item: dict[str, Any]) -> str:
    kind = item.get("type", "")
    context = item.get("ctx") or {}
    messages = {
        "missing": _("必填。"),
        "string_too_short": _("不能为空。"),
        "string_too_long": _("不能超过%(n)s个字符。")
        % {"n": context.get("max_length")},
        "int_parsing": _("应为整数。"),
        "int_type": _("应为整数。"),
        "bool_parsing": _("应为“是”或“否”。"),
        "bool_type": _("应为“是”或“否”。"),
        "greater_than_equal": _("不能小于%(n)s。") % {"n": context.get("ge")},
        "less_than_equal": _("不能大于%(n)s。") % {"n": context.get("le")},
        "literal_error": _("取值应为：%(values)s。")
        % {"values": context.get("expected")},
        "extra_forbidden": _("不是办事指南的字段。"),
        "string_pattern_mismatch": _("格式不正确。"),
        "list_type": _("应为列表。"),
        "string_type": _("应为文本。"),
        "model_type": _("格式不正确。"),
        "datetime_parsing": _("应为日期时间，如 2026-01-31T08:00:00+08:00。"),
        "datetime_from_date_parsing": _("应为日期时间，如 2026-01-31T08:00:00+08:00。"),
        "datetime_type": _("应为日期时间，如 2026-01-31T08:00:00+08:00。"),
    }
    if kind in CUSTOM_ERROR_TYPES and item.get("msg"):
        return str(item["msg"])  # our own validators' messages are Chinese already
    return messages.get(kind, _("取值无效。"))


# Error types raised by the platform's own validators (PydanticCustomError), whose
# message already says what is wrong.
CUSTOM_ERROR_TYPES = {
    "control_characters",
    "datetime_range",
    "too_deep",
    "json_number",
    "json_text",
    "json_size",
    "json_key",
}
