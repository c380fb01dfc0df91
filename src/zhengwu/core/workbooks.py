"""Reading an uploaded Excel workbook (.xlsx), the one way every import does it.

:func:`check_archive` refuses, before parsing, what is not a plain xlsx archive of
sane size (empty, too large, old .xls or encrypted, a zip bomb, XML entity tricks);
:func:`read_workbook` then gives the non-blank rows of the wanted sheets. Either
raises :class:`FileProblemError` with a Chinese reason for the whole file.

Limits: ``ZHENGWU_IMPORT_MAX_BYTES`` (the upload), ``ZHENGWU_IMPORT_MAX_UNPACKED_BYTES``
(the unpacked parts; 10 × the upload by default) and ``ZHENGWU_IMPORT_MAX_ROWS``."""

import datetime
import io
import zipfile
from collections.abc import Collection
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

import openpyxl
import structlog

logger = structlog.get_logger(__name__)

#: columns read per row
MAX_COLUMNS = 200
#: parts of the xlsx archive; a real workbook has a few dozen
MAX_ARCHIVE_ENTRIES = 500
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

#: rows by sheet title: (Excel row number, the row's values up to its last non-blank)
Rows = list[tuple[int, tuple[Any, ...]]]


class FileProblemError(Exception):
    """The file as a whole cannot be imported; ``reason`` says why, in Chinese."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def max_unpacked_bytes() -> int:
    default = 10 * settings.ZHENGWU_IMPORT_MAX_BYTES
    return int(getattr(settings, "ZHENGWU_IMPORT_MAX_UNPACKED_BYTES", default))


def max_rows() -> int:
    return int(getattr(settings, "ZHENGWU_IMPORT_MAX_ROWS", 50_000))


def size_label(size: int) -> str:
    if size >= 2**20:
        return f"{round(size / 2**20, 1):g} MB"
    if size >= 1024:
        return f"{size // 1024} KB"
    return f"{size} 字节"


def is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def cell_text(raw: Any) -> str:
    """The text of a cell, whatever Excel made of it (numbers typed as text …)."""
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "是" if raw else "否"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, datetime.datetime):
        if raw.time() == datetime.time(0):
            return raw.date().isoformat()
        return raw.isoformat(sep=" ")
    if isinstance(raw, datetime.date):
        return raw.isoformat()
    return str(raw)


def header_text(raw: Any) -> str:
    """A column header without full-width spaces and the required-mark asterisk."""
    return cell_text(raw).replace("\u3000", " ").strip().rstrip("*＊").strip()


def check_archive(content: bytes) -> None:
    """Refuse what is not a plain xlsx archive of sane size, before parsing it."""
    limit = settings.ZHENGWU_IMPORT_MAX_BYTES
    if not content:
        raise FileProblemError(_("文件为空。"))
    if len(content) > limit:
        raise FileProblemError(
            _("文件超过大小限制（%(size)s）。") % {"size": size_label(limit)}
        )
    if content.startswith(OLE_MAGIC):
        raise FileProblemError(
            _(
                "文件是旧版Excel（.xls）或已加密，无法导入。"
                "请另存为“Excel工作簿（*.xlsx）”、取消密码后再导入。"
            )
        )
    if not content.startswith(XLSX_MAGIC):
        raise FileProblemError(
            _("文件不是Excel工作簿（.xlsx），请使用导出的模板填写后再导入。")
        )
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ARCHIVE_ENTRIES:
                raise FileProblemError(_("文件结构异常（包含的部件过多），无法导入。"))
            if sum(e.file_size for e in entries) > max_unpacked_bytes():
                raise FileProblemError(_("文件解压后过大，疑似异常文件，无法导入。"))
            names = {e.filename for e in entries}
            if "xl/workbook.xml" not in names:
                raise FileProblemError(
                    _("文件不是Excel工作簿（.xlsx），请使用导出的模板填写后再导入。")
                )
            # A DTD can only appear in an XML part's prolog: refuse entity tricks.
            for entry in entries:
                if entry.filename.endswith((".xml", ".rels", ".vml")):
                    with archive.open(entry) as part:
                        head = part.read(4096)
                    if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
                        raise FileProblemError(_("文件包含不允许的XML声明，无法导入。"))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError):
        raise FileProblemError(_("文件已损坏，无法读取。")) from None
    except (ValueError, NotImplementedError, RuntimeError):
        # Unsupported compression or an encrypted entry.
        raise FileProblemError(_("文件已损坏或已加密，无法读取。")) from None


def read_workbook(
    content: bytes,
    *,
    sheets: Collection[str] | None = None,
    max_columns: int = MAX_COLUMNS,
) -> dict[str, Rows]:
    """The non-blank rows of each sheet, by (stripped) sheet title: only the titles
    in ``sheets`` when given, else every sheet; a repeated title keeps the first."""
    check_archive(content)
    limit = max_rows()
    found: dict[str, Rows] = {}
    total = 0
    try:
        workbook = openpyxl.load_workbook(
            io.BytesIO(content), read_only=True, data_only=True
        )
        try:
            for title in workbook.sheetnames:
                name = title.strip()
                if (sheets is not None and name not in sheets) or name in found:
                    continue
                worksheet = workbook[title]
                if not hasattr(worksheet, "iter_rows"):  # a chart sheet
                    continue
                worksheet.reset_dimensions()
                rows: Rows = []
                for number, values in enumerate(
                    worksheet.iter_rows(max_col=max_columns, values_only=True), 1
                ):
                    width = len(values)
                    while width and is_blank(values[width - 1]):
                        width -= 1
                    if not width:
                        continue
                    total += 1
                    if total > limit:
                        raise FileProblemError(
                            _("文件行数超过上限（%(n)s行），请分批导入。")
                            % {"n": limit}
                        )
                    rows.append((number, tuple(values[:width])))
                found[name] = rows
        finally:
            workbook.close()
    except FileProblemError:
        raise
    except Exception as error:  # openpyxl raises many kinds on a damaged file
        logger.info("import_workbook_unreadable", error=type(error).__name__)
        raise FileProblemError(
            _("文件已损坏或不是有效的Excel工作簿，无法读取。")
        ) from None
    return found
