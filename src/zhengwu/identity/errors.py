"""Identity's one error type: a stable code, a Chinese message, and the field."""

from zhengwu.core.errors import DomainError


class IdentityError(DomainError):
    pass
