"""Errors of the workflows app, with stable codes."""

from zhengwu.core.errors import ConflictError, DomainError, NotFoundError


class WorkflowConflictError(ConflictError):
    """Another write to the same process instance came first (optimistic lock)."""

    def __init__(self, message: str, **context: object) -> None:
        super().__init__("workflows.conflict", message, **context)


class WorkflowTaskNotFoundError(NotFoundError):
    def __init__(self, message: str, **context: object) -> None:
        super().__init__("workflows.task_not_found", message, **context)


class WorkflowNotFoundError(NotFoundError):
    """No process instance for the subject, or no model of that key."""


class WorkflowInvalidError(DomainError):
    """An uploaded model, start data or completion data that cannot be used."""

    status = 422


class WorkflowRuntimeError(DomainError):
    """A condition or script failed while the process ran (e.g. a missing field);
    nothing was saved."""

    status = 422
