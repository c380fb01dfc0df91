"""File kinds recognised by content (magic bytes), not by name: the one sniffer the
catalogue's guide attachments and the cases' materials share."""

import io
import zipfile
from dataclasses import dataclass


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
    """The kind of ``content`` by its bytes, or None when it is none of the known
    kinds. Callers keep their own whitelist (cases refuse the old OLE ``.doc``)."""
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
        except (zipfile.BadZipFile, ValueError, OSError):
            return None
        if "xl/workbook.xml" in names:
            return XLSX
        if "word/document.xml" in names:
            return DOCX
        if "OFD.xml" in names:
            return OFD
    return None
