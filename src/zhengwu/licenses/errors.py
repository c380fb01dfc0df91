"""Errors of licences with stable codes (``licenses.<reason>``)."""

from typing import Any

from django.utils.translation import gettext as _

from zhengwu.core.errors import DomainError

NOT_FOUND = "licenses.not_found"
NOT_PERMITTED = "licenses.not_permitted"
INVALID_TYPE = "licenses.invalid_type"
TYPE_CODE_TAKEN = "licenses.type_code_taken"
ISSUER_NOT_AUTHORISED = "licenses.issuer_not_authorised"
INVALID_FACE_DATA = "licenses.invalid_face_data"
INVALID_HOLDER = "licenses.invalid_holder"
NO_ACTIVE_SEAL = "licenses.no_active_seal"
INVALID_TRANSITION = "licenses.invalid_transition"
REASON_REQUIRED = "licenses.reason_required"
INVALID_IDENTIFIER = "licenses.invalid_identifier"
INVALID_VALIDITY = "licenses.invalid_validity"
INVALID_FILE = "licenses.invalid_file"
IMPORT_NOT_FOUND = "licenses.import_not_found"


class LicenceError(DomainError):
    """A refused request about a licence, a licence type or a seal."""


def not_found() -> LicenceError:
    return LicenceError(NOT_FOUND, _("电子证照不存在。"), status=404)


def not_permitted(message: str | None = None) -> LicenceError:
    return LicenceError(
        NOT_PERMITTED, message or _("您无权进行此电子证照操作。"), status=403
    )


def invalid_transition(current: str, **context: Any) -> LicenceError:
    from .constants import LicenceStatus

    label = LicenceStatus(current).label if current in LicenceStatus.values else current
    return LicenceError(
        INVALID_TRANSITION,
        _("电子证照当前状态为“%(status)s”，不能进行此操作。") % {"status": label},
        status=409,
        current=current,
        **context,
    )


def reason_required() -> LicenceError:
    message = _("请填写原因。")
    return LicenceError(
        REASON_REQUIRED, message, fields={"reason": [message]}, status=422
    )
