"""Guide files: accepted by content (magic bytes), not by name; size-limited; hashed."""

import io
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from . import errors
from .errors import CatalogError


@dataclass(frozen=True)
class FileKind:
    extension: str
    content_type: str


PDF = FileKind("pdf", "application/pdf")
PNG = FileKind("png", "image/png")
JPEG = FileKind("jpg", "image/jpeg")
XLSX = FileKind(
    "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)
DOCX = FileKind(
    "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
)
OFD = FileKind("ofd", "application/ofd")
OLE_DOC = FileKind("doc", "application/msword")


def sniff(content: bytes) -> FileKind | None:
    """The kind of ``content`` by its bytes, or None when it is not allowed."""
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return OLE_DOC
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            return None
        if "xl/workbook.xml" in names:
            return XLSX
        if "word/document.xml" in names:
            return DOCX
        if "OFD.xml" in names:
            return OFD
    return None


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
