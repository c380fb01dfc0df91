"""Guide files: accepted by content (magic bytes), not by name; size-limited; hashed."""

from django.conf import settings
from django.utils.translation import gettext as _

from zhengwu.core.files import (  # noqa: F401  (re-exported for the catalogue)
    DOCX,
    JPEG,
    OFD,
    OLE_DOC,
    PDF,
    PNG,
    XLSX,
    FileKind,
    sniff,
)

from . import errors
from .errors import CatalogError


def check_upload(content: bytes, filename: str, field: str = "file") -> FileKind:
    limit = settings.ZHENGWU_ATTACHMENT_MAX_BYTES
    if not content:
        raise CatalogError(
            errors.INVALID_FILE, _("文件为空。"), fields={field: [_("文件为空。")]}
        )
    if len(content) > limit:
        message = _("文件超过大小限制（%(mb)s MB）。") % {"mb": limit // (1024 * 1024)}
        raise CatalogError(errors.INVALID_FILE, message, fields={field: [message]})
    kind = sniff(content)
    if kind is None:
        message = _(
            "“%(name)s”不是允许的文件类型（PDF、OFD、Word、Excel、PNG、JPEG）。"
        ) % {"name": filename[:100]}
        raise CatalogError(errors.INVALID_FILE, message, fields={field: [message]})
    return kind
