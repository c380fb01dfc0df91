"""Domain errors with stable codes, rendered the same way by the API and the pages."""

from typing import Any


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
