"""Errors of cases with stable codes (``cases.<reason>``), rendered by the one API
error handler and by the pages."""

from typing import Any

from django.utils.translation import gettext as _

from zhengwu.core.errors import DomainError

NOT_FOUND = "cases.not_found"
INVALID_TRANSITION = "cases.invalid_transition"
INVALID_FORM = "cases.invalid_form"
LISTING_UNAVAILABLE = "cases.listing_unavailable"
MISSING_MATERIALS = "cases.missing_materials"
INVALID_FILE = "cases.invalid_file"
FILE_TOO_LARGE = "cases.file_too_large"
NOT_PERMITTED = "cases.not_permitted"
SERIAL_EXHAUSTED = "cases.serial_exhausted"
SUBMISSION_KEY_REQUIRED = "cases.submission_key_required"
INVALID_INPUT = "cases.invalid_input"
TASK_NOT_FOUND = "cases.task_not_found"
TASK_STATE = "cases.task_state"
EXTENSION_CAP = "cases.extension_cap"
EXTENSION_SAME_USER = "cases.extension_same_user"
PAUSE_STATE = "cases.pause_state"
PAYMENT_REQUIRED = "cases.payment_required"
BUNDLE_UNAVAILABLE = "cases.bundle_unavailable"
LICENCE_NOT_ISSUED = "cases.licence_not_issued"
LICENCE_UNAVAILABLE = "cases.licence_unavailable"
CONSENT_REQUIRED = "cases.consent_required"


class CaseError(DomainError):
    """A refused request about a case."""


def not_found() -> CaseError:
    return CaseError(NOT_FOUND, _("办件不存在。"), status=404)


def not_permitted(message: str | None = None) -> CaseError:
    return CaseError(NOT_PERMITTED, message or _("您无权办理该事项。"), status=403)


def invalid_transition(current: str, **context: Any) -> CaseError:
    from .constants import CaseStatus

    label = CaseStatus(current).label if current in CaseStatus.values else current
    return CaseError(
        INVALID_TRANSITION,
        _("办件当前状态为“%(status)s”，不能进行此操作。") % {"status": label},
        status=409,
        current=current,
        **context,
    )


def field_error(code: str, field: str, message: str, *, status: int = 422) -> CaseError:
    return CaseError(code, message, fields={field: [message]}, status=status)
