"""Domain errors with stable codes, rendered the same way by the API and the pages."""

from typing import Any

from django.core.exceptions import ValidationError


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
    if hasattr(error, "error_dict"):
        fields = {
            field: [str(reason) for reason in reasons]
            for field, reasons in error.message_dict.items()
        }
    else:
        fields = {"__all__": [str(reason) for reason in error.messages]}
    return DomainError(code, message, fields=fields)
