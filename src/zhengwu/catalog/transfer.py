"""Import and export of the catalogue: implementation listings with their service
guides, as Excel workbooks in the layout departments use, and as JSON with the
national exchange field names.

The mapping table is :mod:`.transfer_columns`: it drives the workbook, the JSON export
and the import, so they cannot drift apart.

Workbook layout: one sheet per part of the guide (事项, 材料, 收费, 流程, 常见问题,
办理项, 特别程序, and the optional 中介服务), row 1 the Chinese column names, row 2
(hidden) the exchange field names, data from row 3; a last sheet 字段对照 lists every
column with its exchange name and allowed values, so the file describes itself.

Import (:func:`import_workbook`) is all-or-nothing per file: every cell is checked
first (every bad cell is reported with sheet, row, column and a Chinese reason), then
all changes are applied in one transaction. Each changed listing becomes a new draft
(or updates its open draft) through the catalogue services, which check permissions
and record the audit events; nothing is submitted or published. A listing whose
workbook guide equals its open draft (or, without one, its version in force) is
reported unchanged and not touched.

Long imports run as an :class:`ImportJob` (:func:`import_start`, then the task
``tasks.run_import``): progress is written while the rows are validated, outside the
apply transaction, so it never waits on (or blocks) the import's own writes.
"""

import io
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

import openpyxl
import structlog
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from pydantic import ValidationError as PydanticValidationError

from zhengwu.core import audit
from zhengwu.core.crypto import sm3_hex
from zhengwu.core.workbooks import FileProblemError as _FileProblemError
from zhengwu.core.workbooks import Rows, read_workbook
from zhengwu.core.workbooks import check_archive as _check_archive
from zhengwu.core.workbooks import header_text as _header_text
from zhengwu.identity.facade import staff_scope

from . import errors
from .codes import is_valid_implementation_code
from .constants import OPEN_STATUSES, ImportStatus, VersionStatus
from .errors import CatalogError
from .guide import Guide, check_rules
from .models import Attachment, ImportJob, Listing, ListingVersion
from .selectors import version_in_force
from .services import (
    pydantic_fields,
    version_create,
    version_update,
)
from .transfer_columns import (
    CHECK,
    CODE_HEADER,
    GUIDE,
    INFO,
    INTEGER,
    ITEM_SHEET,
    KEY,
    LEVEL,
    LIST_SHEETS,
    MAPPING_SHEET_TITLE,
    OMIT,
    ORDINAL,
    ORDINAL_HEADER,
    REASON,
    SHEET_ORDER,
    SHEETS,
    CellValueError,
    Column,
    ItemSource,
    Sheet,
    cell_text,
    get_path,
    is_blank,
    set_path,
)

logger = structlog.get_logger(__name__)

REASON_HEADER = "本次变更原因"

User = AbstractBaseUser

#: progress is written to the job every this many rows
PROGRESS_EVERY = 50
#: errors kept in a result; the rest are counted
MAX_ERRORS = 1000
#: columns read per row (the widest sheet has about 50)
MAX_COLUMNS = 200


# --- results -----------------------------------------------------------------


@dataclass(frozen=True)
class CellError:
    """One problem of an imported file. ``sheet`` is empty and ``row`` None for a
    problem of the whole file; ``row`` is the Excel row number users see."""

    sheet: str
    row: int | None
    column: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "reason": self.reason,
        }


@dataclass
class ImportResult:
    """What an import did, or would do (``dry_run``), or why it did nothing.

    ``errors`` non-empty means nothing was changed. ``created`` / ``updated`` /
    ``unchanged`` list implementation codes; ``versions`` maps each created or
    updated code to its draft's id. ``warnings`` are broken consistency rules of the
    new drafts: allowed in a draft, they block submission until fixed."""

    errors: list[CellError] = field(default_factory=list)
    warnings: list[CellError] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    versions: dict[str, int] = field(default_factory=dict)
    total_rows: int = 0
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "versions": self.versions,
            "total_rows": self.total_rows,
            "error_count": len(self.errors),
            "warning_count": len(self.warnings),
            "warnings": [w.as_dict() for w in self.warnings],
            "applied": self.applied,
        }

    def as_dict(self) -> dict[str, Any]:
        return {**self.summary(), "errors": [e.as_dict() for e in self.errors]}


# --- export ------------------------------------------------------------------

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
READ_ONLY_FILL = PatternFill("solid", fgColor="EDEDED")
WRAP = Alignment(wrap_text=True, vertical="top")


def _prepared(versions: Iterable[ListingVersion]) -> Iterator[ListingVersion]:
    if isinstance(versions, QuerySet):
        return (
            versions.select_related(
                "listing__base_item__item_type", "listing__organisation"
            )
            .prefetch_related("listing__base_item__themes")
            .iterator(chunk_size=500)
        )
    return iter(versions)


def _guide_data(version: ListingVersion) -> dict[str, Any]:
    """The version's guide with every default filled in, as JSON."""
    try:
        return Guide.model_validate(version.guide or {}).model_dump(mode="json")
    except PydanticValidationError:
        logger.warning("export_guide_invalid", version_id=version.pk)
        return dict(version.guide or {})


def _safe_value(worksheet: Any, value: Any) -> Any:
    """A cell value that Excel shows as typed: text is never read as a formula."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith("="):
            cell = WriteOnlyCell(worksheet, value=value)
            cell.data_type = "s"
            return cell
    return value


def _column_value(column: Column, source: ItemSource) -> Any:
    if column.get is not None:
        return column.get(source)
    return get_path(source.guide, column.path)


class _SheetWriter:
    """One write-only worksheet: header, hidden exchange-name row, drop-downs."""

    def __init__(self, workbook: Any, sheet: Sheet) -> None:
        self.sheet = sheet
        self.worksheet = workbook.create_sheet(sheet.title)
        worksheet = self.worksheet
        for index, column in enumerate(sheet.columns, start=1):
            worksheet.column_dimensions[get_column_letter(index)].width = column.width
            if column.kind.choices and column.role in (GUIDE, CHECK):
                validation = DataValidation(
                    type="list",
                    formula1='"' + ",".join(column.kind.choices) + '"',
                    allow_blank=True,
                )
                letter = get_column_letter(index)
                validation.add(f"{letter}3:{letter}1048576")
                worksheet.data_validations.append(validation)
        worksheet.freeze_panes = "C3" if sheet.guide_list else "B3"
        worksheet.row_dimensions[2].hidden = True
        headers = []
        for column in sheet.columns:
            cell = WriteOnlyCell(worksheet, value=column.header)
            cell.font = HEADER_FONT
            cell.fill = HEADER_FILL if column.role != INFO else READ_ONLY_FILL
            headers.append(cell)
        worksheet.append(headers)
        worksheet.append([column.exchange for column in sheet.columns])

    def append(self, values: list[Any]) -> None:
        self.worksheet.append([_safe_value(self.worksheet, v) for v in values])


def _write_mapping_sheet(workbook: Any) -> None:
    worksheet = workbook.create_sheet(MAPPING_SHEET_TITLE)
    for letter, width in zip("ABCDEF", (12, 26, 24, 10, 50, 24), strict=True):
        worksheet.column_dimensions[letter].width = width
    header = ["工作表", "列名", "交换字段名", "国家标准", "取值", "导入时"]
    worksheet.append([WriteOnlyCell(worksheet, value=h) for h in header])
    usage = {
        KEY: _("必填，用于匹配实施清单"),
        ORDINAL: _("必填，同一事项内的排列顺序"),
        GUIDE: _("导入"),
        REASON: _("可选，新草稿的变更原因"),
        CHECK: _("核对，须与目录一致"),
        INFO: _("仅供参考，导入时忽略"),
    }
    for sheet in SHEETS:
        for column in sheet.columns:
            worksheet.append(
                [
                    sheet.title,
                    column.header,
                    column.exchange,
                    _("是") if column.national else _("否（本平台）"),
                    column.kind.description,
                    usage[column.role],
                ]
            )
    worksheet.append([])
    worksheet.append([_("第2行（隐藏）为交换字段名；数据从第3行开始。")])


def export_workbook(versions: Iterable[ListingVersion]) -> bytes:
    """The workbook of ``versions``: one 事项 row per version, one row per element of
    each list. Written in openpyxl's write-only mode, so memory stays flat; pass a
    QuerySet and it is iterated in chunks."""
    workbook = openpyxl.Workbook(write_only=True)
    writers = {sheet.title: _SheetWriter(workbook, sheet) for sheet in SHEETS}
    for version in _prepared(versions):
        guide = _guide_data(version)
        source = ItemSource(version, guide)
        writers[ITEM_SHEET.title].append(
            [c.kind.to_cell(_column_value(c, source)) for c in ITEM_SHEET.columns]
        )
        code = version.listing.code
        for sheet in LIST_SHEETS:
            for ordinal, element in enumerate(guide.get(sheet.guide_list, []), 1):
                row = []
                for column in sheet.columns:
                    if column.role == KEY:
                        row.append(code)
                    elif column.role == ORDINAL:
                        row.append(ordinal)
                    else:
                        row.append(column.kind.to_cell(get_path(element, column.path)))
                writers[sheet.title].append(row)
    _write_mapping_sheet(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_json(versions: Iterable[ListingVersion]) -> list[dict[str, Any]]:
    """``versions`` as dicts keyed by the national exchange field names (the same
    table as the workbook), each list of the guide nested under its exchange name.
    Enumerations keep their codes (is_need "1", source_type "10", project_type
    "promised" …), booleans are JSON booleans, dates ISO strings."""
    records: list[dict[str, Any]] = []
    for version in _prepared(versions):
        guide = _guide_data(version)
        source = ItemSource(version, guide)
        record = {
            c.exchange: c.kind.to_json(_column_value(c, source))
            for c in ITEM_SHEET.columns
        }
        for sheet in LIST_SHEETS:
            elements = []
            for ordinal, element in enumerate(guide.get(sheet.guide_list, []), 1):
                entry: dict[str, Any] = {}
                for column in sheet.columns:
                    if column.role == ORDINAL:
                        entry[column.exchange] = ordinal
                    elif column.role != KEY:
                        entry[column.exchange] = column.kind.to_json(
                            get_path(element, column.path)
                        )
                elements.append(entry)
            record[sheet.exchange] = elements
        records.append(record)
    return records


# --- reading a workbook ------------------------------------------------------


@dataclass
class _Table:
    """One sheet of an uploaded workbook, with its columns located."""

    spec: Sheet
    header_row: int
    index: dict[str, int]  # column header → position in a row
    rows: list[tuple[int, tuple[Any, ...]]]  # (Excel row number, values)
    missing: set[str] = field(default_factory=set)

    def value(self, values: tuple[Any, ...], header: str) -> Any:
        position = self.index.get(header)
        if position is None or position >= len(values):
            return None
        return values[position]


def _read_workbook(content: bytes) -> dict[str, Rows]:
    """The non-blank rows of each known sheet, by sheet title."""
    return read_workbook(content, sheets=SHEET_ORDER, max_columns=MAX_COLUMNS)


# --- importing ---------------------------------------------------------------


class _RollbackError(Exception):
    """Raised inside the apply transaction to undo every change of the file."""


@dataclass
class _Element:
    """One row of a list sheet, read into a guide list element."""

    ordinal: int
    row: int
    data: dict[str, Any]
    locations: dict[str, str]  # element path → column header
    failed: set[str]


@dataclass
class _Entry:
    """One listing of the file: its 事项 row and everything read for it."""

    listing: Listing
    row: int
    data: dict[str, Any]
    change_reason: str
    locations: dict[str, tuple[str, int, str]]
    failed: set[str]
    elements: dict[str, list[_Element]] = field(default_factory=dict)
    guide: Guide | None = None
    action: str = ""


def _register(locations: dict[str, Any], path: str, where: Any) -> None:
    """Locate ``path`` and each of its parents (the first column of a group wins)."""
    parts = path.split(".")
    for end in range(len(parts), 0, -1):
        locations.setdefault(".".join(parts[:end]), where)


def _overlaps(path: str, failed: set[str]) -> bool:
    return any(
        path == f or path.startswith(f + ".") or f.startswith(path + ".")
        for f in failed
    )


def _normalised(guide: dict[str, Any]) -> dict[str, Any]:
    try:
        return Guide.model_validate(guide or {}).model_dump(mode="json")
    except PydanticValidationError:
        return dict(guide or {})


def _base_version(listing: Listing) -> ListingVersion | None:
    """What an imported guide is compared with: the open draft, else the version in
    force."""
    open_version = (
        ListingVersion.objects.filter(listing=listing, status__in=OPEN_STATUSES)
        .order_by("-number")
        .first()
    )
    return open_version or version_in_force(listing)


class _Importer:
    def __init__(
        self,
        *,
        acting_user: User,
        progress: Callable[[int, int], None] | None,
        source_name: str,
    ) -> None:
        self.acting_user = acting_user
        self.scope = staff_scope(acting_user)
        self.progress = progress
        self.source_name = source_name
        self.errors: list[CellError] = []
        self.overflow = 0
        self.processed = 0
        self.total = 0

    # -- bookkeeping

    def error(self, sheet: str, row: int | None, column: str, reason: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(CellError(sheet, row, column, reason))
        else:
            self.overflow += 1

    def tick(self) -> None:
        self.processed += 1
        if self.progress is not None and self.processed % PROGRESS_EVERY == 0:
            self.progress(self.processed, self.total)

    def sorted_errors(self) -> list[CellError]:
        def position(error: CellError) -> tuple[int, int, int]:
            order = SHEET_ORDER.get(error.sheet, -1)
            column = -1
            if order >= 0:
                headers = [c.header for c in SHEETS[order].columns]
                column = headers.index(error.column) if error.column in headers else -1
            return order, error.row or 0, column

        result = sorted(self.errors, key=position)
        if self.overflow:
            result.append(
                CellError(
                    "",
                    None,
                    "",
                    _("另有%(n)s处错误未列出，请先修改以上错误。")
                    % {"n": self.overflow},
                )
            )
        return result

    # -- sheets and columns

    def table(self, spec: Sheet, rows: list[tuple[int, tuple[Any, ...]]]) -> _Table:
        if not rows:
            header_row, header, data = 1, (), []
        else:
            (header_row, header), data = rows[0], list(rows[1:])
        by_name = {c.header: c for c in spec.columns}
        by_exchange = {c.exchange: c for c in spec.columns}
        index: dict[str, int] = {}
        for position, raw in enumerate(header):
            text = _header_text(raw)
            column = by_name.get(text) or by_exchange.get(text)
            if column is None:
                continue  # departments may keep notes in extra columns
            if column.header in index:
                self.error(
                    spec.title,
                    header_row,
                    column.header,
                    _("列重复：“%(c)s”出现了不止一次。") % {"c": column.header},
                )
                continue
            index[column.header] = position
        table = _Table(spec, header_row, index, data)
        for column in spec.columns:
            if column.is_required and column.header not in index:
                table.missing.add(column.header)
                self.error(
                    spec.title,
                    header_row,
                    column.header,
                    _("缺少必填列“%(c)s”。") % {"c": column.header},
                )
        # The hidden second row of an exported workbook holds the exchange names.
        if (
            data
            and index
            and all(
                cell_text(table.value(data[0][1], c.header)) == c.exchange
                for c in spec.columns
                if c.header in index
            )
        ):
            table.rows = data[1:]
        return table

    def read_guide_cells(
        self,
        table: _Table,
        number: int,
        values: tuple[Any, ...],
        target: dict[str, Any],
        failed: set[str],
    ) -> None:
        """Read the guide columns of one row into ``target``; bad cells are reported
        and their paths added to ``failed``."""
        blank_groups = dict.fromkeys(table.spec.optional_groups, True)
        for column in table.spec.columns:
            if column.role != GUIDE or column.header not in table.index:
                continue
            raw = table.value(values, column.header)
            group = column.path.split(".")[0] if "." in column.path else ""
            if group in blank_groups and not is_blank(raw):
                blank_groups[group] = False
            try:
                value = column.kind.read(raw)
            except CellValueError as problem:
                self.error(table.spec.title, number, column.header, str(problem))
                failed.add(column.path)
                continue
            if value is not OMIT:
                set_path(target, column.path, value)
        for group, blank in blank_groups.items():
            if blank:
                target[group] = None

    # -- the 事项 sheet

    def items(self, table: _Table) -> tuple[dict[str, _Entry], set[str]]:
        title = table.spec.title
        codes = []
        for _number, values in table.rows:
            code = cell_text(table.value(values, CODE_HEADER)).strip().upper()
            if is_valid_implementation_code(code):
                codes.append(code)
        listings = {
            listing.code: listing
            for listing in Listing.objects.filter(code__in=codes).select_related(
                "base_item", "organisation"
            )
        }
        entries: dict[str, _Entry] = {}
        seen: dict[str, int] = {}
        for number, values in table.rows:
            self.tick()
            if CODE_HEADER in table.missing:
                continue
            raw_code = table.value(values, CODE_HEADER)
            code = cell_text(raw_code).strip().upper()
            listing = None
            if not code:
                self.error(title, number, CODE_HEADER, _("实施编码必填。"))
            elif code in seen:
                self.error(
                    title,
                    number,
                    CODE_HEADER,
                    _("实施编码重复：与第%(n)s行相同。") % {"n": seen[code]},
                )
            elif not is_valid_implementation_code(code):
                seen[code] = number
                self.error(
                    title,
                    number,
                    CODE_HEADER,
                    _(
                        "实施编码无效：应为31位，由实施主体统一社会信用代码（18位）、"
                        "行使层级（1位）和基本编码（12位）组成。"
                    ),
                )
            else:
                seen[code] = number
                listing = listings.get(code)
                if listing is None:
                    self.error(
                        title,
                        number,
                        CODE_HEADER,
                        _("实施编码不存在：目录中没有实施编码为%(c)s的实施清单。")
                        % {"c": code},
                    )
            if listing is not None:
                self.check_catalogue(table, number, values, listing)
                if not self.scope.can_edit_organisation(listing.organisation_id):
                    self.error(
                        title,
                        number,
                        CODE_HEADER,
                        _(
                            "无权导入：该实施清单属于“%(org)s”，"
                            "您只能导入本单位的实施清单。"
                        )
                        % {"org": listing.organisation.name},
                    )
                    listing = None
            data: dict[str, Any] = {}
            failed: set[str] = set()
            self.read_guide_cells(table, number, values, data, failed)
            reason = cell_text(table.value(values, REASON_HEADER))
            if listing is not None and code not in entries:
                locations: dict[str, tuple[str, int, str]] = {}
                for column in table.spec.columns:
                    if column.role == GUIDE:
                        _register(
                            locations, column.path, (title, number, column.header)
                        )
                entries[code] = _Entry(
                    listing=listing,
                    row=number,
                    data=data,
                    change_reason=reason.strip(),
                    locations=locations,
                    failed=failed,
                )
        return entries, set(seen)

    def check_catalogue(
        self, table: _Table, number: int, values: tuple[Any, ...], listing: Listing
    ) -> None:
        """The read-only columns must agree with the catalogue and the code."""
        title = table.spec.title
        name = cell_text(table.value(values, "事项名称")).strip()
        if "事项名称" in table.index and not name:
            self.error(title, number, "事项名称", _("事项名称必填。"))
        elif name and name != listing.base_item.name:
            self.error(
                title,
                number,
                "事项名称",
                _(
                    "事项名称与基本目录不一致，应为“%(name)s”。"
                    "事项名称取自基本目录，不能在实施清单中修改。"
                )
                % {"name": listing.base_item.name},
            )
        expected = {
            "基本编码": listing.base_item.code,
            "实施主体编码": listing.organisation.credit_code,
        }
        for header, value in expected.items():
            text = cell_text(table.value(values, header)).strip().upper()
            if text and text != value:
                self.error(
                    title,
                    number,
                    header,
                    _("%(h)s与实施编码不一致，应为“%(v)s”。")
                    % {"h": header, "v": value},
                )
        raw_level = table.value(values, "行使层级")
        if not is_blank(raw_level):
            expected_label = LEVEL.to_cell(listing.level)
            try:
                level = LEVEL.from_cell(raw_level)
            except CellValueError as problem:
                self.error(title, number, "行使层级", str(problem))
            else:
                if level != listing.level:
                    self.error(
                        title,
                        number,
                        "行使层级",
                        _("行使层级与实施编码不一致，应为“%(v)s”。")
                        % {"v": expected_label},
                    )

    # -- the list sheets

    def list_rows(
        self, table: _Table, entries: dict[str, _Entry], item_codes: set[str]
    ) -> None:
        spec = table.spec
        title = spec.title
        seen: dict[tuple[str, int], int] = {}
        for number, values in table.rows:
            self.tick()
            if CODE_HEADER in table.missing:
                continue
            code = cell_text(table.value(values, CODE_HEADER)).strip().upper()
            if not code:
                self.error(title, number, CODE_HEADER, _("实施编码必填。"))
            elif code not in item_codes:
                self.error(
                    title,
                    number,
                    CODE_HEADER,
                    _("实施编码%(c)s不在“事项”工作表中。") % {"c": code},
                )
            ordinal: int | None = None
            if ORDINAL_HEADER not in table.missing:
                raw = table.value(values, ORDINAL_HEADER)
                try:
                    ordinal = INTEGER.from_cell(raw) if not is_blank(raw) else None
                except CellValueError:
                    ordinal = None
                if ordinal is None or ordinal < 1:
                    self.error(
                        title, number, ORDINAL_HEADER, _("序号必填，应为正整数。")
                    )
                    ordinal = None
                elif (code, ordinal) in seen:
                    self.error(
                        title,
                        number,
                        ORDINAL_HEADER,
                        _("序号重复：与第%(n)s行的实施编码和序号相同。")
                        % {"n": seen[(code, ordinal)]},
                    )
                    ordinal = None
                else:
                    seen[(code, ordinal)] = number
            data: dict[str, Any] = {}
            failed: set[str] = set()
            self.read_guide_cells(table, number, values, data, failed)
            entry = entries.get(code)
            if entry is None or ordinal is None:
                continue
            locations: dict[str, str] = {}
            for column in spec.columns:
                if column.role == GUIDE:
                    _register(locations, column.path, column.header)
            entry.elements.setdefault(spec.guide_list, []).append(
                _Element(ordinal, number, data, locations, failed)
            )

    # -- assembling each listing's guide

    def assemble(self, entry: _Entry, tables: dict[str, _Table]) -> None:
        base = _base_version(entry.listing)
        base_guide = _normalised(base.guide) if base is not None else None
        data = entry.data
        items = tables.get(ITEM_SHEET.title, _EMPTY_TABLE)
        for column in ITEM_SHEET.columns:
            # An optional column left out keeps the current value (a workbook made
            # before the column was added).
            if column.role != GUIDE or column.is_required:
                continue
            current = get_path(base_guide or {}, column.path)
            if column.header not in items.index and current is not None:
                set_path(data, column.path, current)
        for spec in LIST_SHEETS:
            table = tables.get(spec.title)
            if table is None:
                # Only an optional sheet can be absent here: keep the current list.
                data[spec.guide_list] = (base_guide or {}).get(spec.guide_list, [])
                continue
            elements = sorted(
                entry.elements.get(spec.guide_list, []), key=lambda e: e.ordinal
            )
            data[spec.guide_list] = [e.data for e in elements]
            for index, element in enumerate(elements):
                prefix = f"{spec.guide_list}.{index}"
                entry.locations[prefix] = (spec.title, element.row, "")
                for path, header in element.locations.items():
                    entry.locations[f"{prefix}.{path}"] = (
                        spec.title,
                        element.row,
                        header,
                    )
                entry.failed.update(f"{prefix}.{path}" for path in element.failed)
        try:
            guide = Guide.model_validate(data)
        except PydanticValidationError as error:
            for path, reasons in pydantic_fields(error).items():
                if _overlaps(path, entry.failed):
                    continue
                sheet, row, column = self.locate(entry, path)
                if column and column in tables.get(sheet, _EMPTY_TABLE).missing:
                    continue
                for reason in reasons:
                    self.error(sheet, row, column, reason)
            return
        entry.guide = guide
        new = guide.model_dump(mode="json")
        if base is not None and base_guide == new:
            entry.action = "unchanged"
        elif base is not None and base.status in OPEN_STATUSES:
            if base.status == VersionStatus.SUBMITTED:
                self.error(
                    ITEM_SHEET.title,
                    entry.row,
                    CODE_HEADER,
                    _(
                        "该实施清单有待审核的版本（第%(n)s版），"
                        "审核完成（发布或退回）前不能导入修改。"
                    )
                    % {"n": base.number},
                )
                return
            entry.action = "update"
        else:
            entry.action = "create"

    def locate(self, entry: _Entry, path: str) -> tuple[str, int, str]:
        parts = path.split(".")
        for end in range(len(parts), 0, -1):
            where = entry.locations.get(".".join(parts[:end]))
            if where is not None:
                return where
        return ITEM_SHEET.title, entry.row, ""

    def check_attachments(self, entries: list[_Entry]) -> None:
        wanted: dict[str, list[tuple[_Entry, str]]] = {}
        for entry in entries:
            if entry.guide is None:
                continue
            data = entry.guide.model_dump(mode="json")
            paths = [("result_sample", data.get("result_sample"))]
            for index, material in enumerate(data.get("materials", [])):
                paths.append((f"materials.{index}.blank_form", material["blank_form"]))
                paths.append((f"materials.{index}.sample", material["sample"]))
            for path, value in paths:
                if value:
                    wanted.setdefault(value, []).append((entry, path))
        if not wanted:
            return
        found = {
            str(pk)
            for pk in Attachment.objects.filter(pk__in=list(wanted)).values_list(
                "pk", flat=True
            )
        }
        for attachment_id, uses in wanted.items():
            if str(uuid.UUID(attachment_id)) in found:
                continue
            for entry, path in uses:
                sheet, row, column = self.locate(entry, path)
                self.error(
                    sheet, row, column, _("附件不存在：%(id)s") % {"id": attachment_id}
                )

    def warnings(self, entries: list[_Entry]) -> list[CellError]:
        found: list[CellError] = []
        for entry in entries:
            if entry.guide is None or entry.action not in ("create", "update"):
                continue
            for issue in check_rules(entry.guide):
                if issue.severity == "error":
                    sheet, row, column = self.locate(entry, issue.field)
                    found.append(CellError(sheet, row, column, issue.message))
        return found[:MAX_ERRORS]

    # -- the whole file

    def validate(
        self, sheets: dict[str, list[tuple[int, tuple[Any, ...]]]]
    ) -> list[_Entry]:
        if not self.scope.is_staff_member:
            self.error("", None, "", _("只有工作人员可以导入实施清单。"))
            return []
        tables: dict[str, _Table] = {}
        for spec in SHEETS:
            if spec.title in sheets:
                tables[spec.title] = self.table(spec, sheets[spec.title])
            elif spec.required:
                self.error(
                    spec.title, None, "", _("缺少工作表“%(s)s”。") % {"s": spec.title}
                )
        self.total = sum(len(t.rows) for t in tables.values())
        if self.progress is not None:
            self.progress(0, self.total)
        item_table = tables.get(ITEM_SHEET.title)
        if item_table is None:
            return []
        entries, item_codes = self.items(item_table)
        for spec in LIST_SHEETS:
            if spec.title in tables:
                self.list_rows(tables[spec.title], entries, item_codes)
        if self.progress is not None:
            self.progress(self.processed, self.total)
        if self.errors and any(t.missing for t in tables.values()):
            # Guides cannot be assembled from sheets that lack columns.
            return []
        for entry in entries.values():
            self.assemble(entry, tables)
        ordered = sorted(entries.values(), key=lambda e: e.row)
        self.check_attachments(ordered)
        return ordered

    def apply(
        self, entries: list[_Entry], result: ImportResult, job: ImportJob | None
    ) -> None:
        failures: list[CellError] = []
        default_reason = (
            _("批量导入：%(name)s") % {"name": self.source_name[:100]}
            if self.source_name
            else _("批量导入")
        )
        try:
            with transaction.atomic():
                for entry in entries:
                    if entry.guide is None:  # never: validation stopped earlier
                        raise _RollbackError
                    code = entry.listing.code
                    new = entry.guide.model_dump(mode="json")
                    # Decide again under the transaction: a draft may have appeared.
                    base = _base_version(entry.listing)
                    if base is not None and _normalised(base.guide) == new:
                        result.unchanged.append(code)
                        continue
                    try:
                        if base is not None and base.status in OPEN_STATUSES:
                            version = version_update(
                                version=base.pk,
                                acting_user=self.acting_user,
                                guide=entry.guide,
                                change_reason=entry.change_reason or None,
                            )
                            result.updated.append(code)
                        else:
                            version = version_create(
                                listing=entry.listing,
                                acting_user=self.acting_user,
                                guide=entry.guide,
                                change_reason=entry.change_reason or default_reason,
                            )
                            result.created.append(code)
                    except CatalogError as error:
                        details = [r for rs in error.fields.values() for r in rs]
                        failures.append(
                            CellError(
                                ITEM_SHEET.title,
                                entry.row,
                                CODE_HEADER,
                                "".join([error.message, *details]),
                            )
                        )
                        continue
                    result.versions[code] = version.pk
                if failures:
                    raise _RollbackError
                if not (result.created or result.updated):
                    result.applied = True
                    return  # nothing changed: nothing to record
                audit.record(
                    acting_user=self.acting_user,
                    event="catalog.import_applied",
                    target=job,
                    data={
                        "source": self.source_name[:200],
                        "created": result.created,
                        "updated": result.updated,
                        "unchanged": len(result.unchanged),
                    },
                )
        except _RollbackError:
            result.errors = failures
            result.created, result.updated, result.unchanged = [], [], []
            result.versions = {}
            return
        result.applied = True


_EMPTY_TABLE = _Table(ITEM_SHEET, 0, {}, [])


def import_workbook(
    content: bytes,
    *,
    acting_user: User,
    source_name: str = "",
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
    job: ImportJob | None = None,
) -> ImportResult:
    """Import a workbook all-or-nothing: new drafts for changed listings, nothing at
    all when any cell is wrong (``result.errors`` lists every bad cell).

    ``dry_run`` validates and reports what would change without changing anything.
    ``progress(processed_rows, total_rows)`` is called while the rows are checked,
    before the apply transaction opens. ``source_name`` (the uploaded file name) goes
    into the default change reason and the audit record."""
    result = ImportResult()
    try:
        sheets = _read_workbook(content)
    except _FileProblemError as problem:
        result.errors.append(CellError("", None, "", problem.reason))
        return result
    importer = _Importer(
        acting_user=acting_user, progress=progress, source_name=source_name
    )
    entries = importer.validate(sheets)
    result.total_rows = importer.total
    if importer.errors:
        result.errors = importer.sorted_errors()
        return result
    result.warnings = importer.warnings(entries)
    if dry_run:
        for entry in entries:
            if entry.action == "create":
                result.created.append(entry.listing.code)
            elif entry.action == "update":
                result.updated.append(entry.listing.code)
            else:
                result.unchanged.append(entry.listing.code)
        return result
    importer.apply(entries, result, job)
    logger.info(
        "catalog_import_finished",
        job_id=job.pk if job is not None else None,
        applied=result.applied,
        created=len(result.created),
        updated=len(result.updated),
        unchanged=len(result.unchanged),
        errors=len(result.errors),
    )
    return result


# --- import jobs -------------------------------------------------------------


def _safe_filename(filename: str) -> str:
    name = (filename or "import.xlsx").replace("/", "_").replace("\\", "_")
    return name.strip()[:200] or "import.xlsx"


def import_start(*, content: bytes, filename: str, acting_user: User) -> ImportJob:
    """Store an uploaded workbook as an :class:`ImportJob` and queue its import.

    A file that is plainly not an importable workbook (empty, too large, not xlsx,
    damaged archive) is refused at once with ``CatalogError`` ``catalog.invalid_file``;
    everything else is reported on the job (``status``, ``processed_rows`` of
    ``total_rows``, ``errors``, ``summary`` = :meth:`ImportResult.summary`)."""
    scope = staff_scope(acting_user)
    if not scope.is_staff_member:
        raise CatalogError(
            errors.NOT_ALLOWED, _("只有工作人员可以导入实施清单。"), status=403
        )
    try:
        _check_archive(content)
    except _FileProblemError as problem:
        raise CatalogError(
            errors.INVALID_FILE,
            problem.reason,
            fields={"file": [problem.reason]},
            status=400,
        ) from None
    name = _safe_filename(filename)
    with transaction.atomic():
        job = ImportJob(original_name=name, uploaded_by=acting_user)
        job.file.save(f"{uuid.uuid4().hex}.xlsx", ContentFile(content), save=False)
        job.full_clean()
        job.save(force_insert=True)
        audit.record(
            acting_user=acting_user,
            event="catalog.import_started",
            target=job,
            data={"file": name, "size": len(content), "sm3": sm3_hex(content)},
        )
        job_id = job.pk
        transaction.on_commit(lambda: _enqueue(job_id))
    return job


def _enqueue(job_id: int) -> None:
    from .tasks import run_import

    run_import.enqueue(job_id=job_id)


def _finish(job_id: int, status: str, **values: Any) -> None:
    ImportJob.objects.filter(pk=job_id).update(
        status=status, finished_at=timezone.now(), updated_at=timezone.now(), **values
    )


def import_job_run(*, job_id: int) -> dict[str, Any]:
    """Run one queued import (the body of ``tasks.run_import``). Idempotent: only a
    pending job is claimed, so a job already running or finished is left alone."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportStatus.PENDING).update(
        status=ImportStatus.RUNNING, updated_at=timezone.now()
    )
    if not claimed:
        logger.info("catalog_import_skipped", job_id=job_id)
        return {"job_id": job_id, "skipped": True}
    job = ImportJob.objects.select_related("uploaded_by").get(pk=job_id)
    try:
        with job.file.open("rb") as stored:
            content = stored.read()
    except OSError:
        logger.warning("catalog_import_file_missing", job_id=job_id)
        reason = _("导入文件已丢失，请重新上传。")
        _finish(
            job_id,
            ImportStatus.FAILED,
            errors=[CellError("", None, "", reason).as_dict()],
        )
        return {"job_id": job_id, "status": ImportStatus.FAILED}

    def progress(processed: int, total: int) -> None:
        # Autocommitted, outside the apply transaction: readers see it at once.
        ImportJob.objects.filter(pk=job_id).update(
            processed_rows=processed, total_rows=total, updated_at=timezone.now()
        )

    try:
        result = import_workbook(
            content,
            acting_user=job.uploaded_by,
            source_name=job.original_name,
            progress=progress,
            job=job,
        )
    except Exception:
        logger.exception("catalog_import_crashed", job_id=job_id)
        reason = _("导入时发生内部错误，请联系管理员。")
        _finish(
            job_id,
            ImportStatus.FAILED,
            errors=[CellError("", None, "", reason).as_dict()],
        )
        raise
    status = ImportStatus.SUCCEEDED if result.ok else ImportStatus.FAILED
    _finish(
        job_id,
        status,
        total_rows=result.total_rows,
        processed_rows=result.total_rows,
        errors=[e.as_dict() for e in result.errors],
        summary=result.summary(),
    )
    return {"job_id": job_id, "status": status, **result.summary()}


__all__ = [
    "CellError",
    "ImportResult",
    "export_json",
    "export_workbook",
    "import_job_run",
    "import_start",
    "import_workbook",
]
