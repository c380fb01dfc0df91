"""证照批量导入: historical licences of one type from an Excel workbook.

Layout (:func:`template_workbook` writes it): one licence type per file; sheet
``证照``, row 1 the headers — the fixed columns 持证主体代码 (ID number or unified
social credit code), 持证主体名称, 发证日期, 有效期起始日期 (blank: the issue day),
有效期截止日期 (optional column; blank: from the type's validity), then one column per
property of the type's face schema, headed by the property's title — data from row 2.

All-or-nothing per file: every row is checked completely first (holder code and
that it names a person or entity on record, name, dates, face data, duplicates in
the file and licences already on record); any bad cell means nothing is issued and
the job lists every bad cell (row, column, Chinese reason). Otherwise every row is
issued in one transaction through :func:`services.licence_issue` (``issued_on``),
each licence audited as usual, plus one ``licenses.imported`` record for the file.

A job (:class:`LicenceImportJob`) is started by :func:`import_start` and run by the
task ``tasks.run_licence_import`` (:func:`import_job_run`, idempotent)."""

from __future__ import annotations

import datetime
import io
import json
import math
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import openpyxl
import structlog
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from zhengwu.core import audit
from zhengwu.core.crypto import sm3_hex
from zhengwu.core.models import Organisation
from zhengwu.core.validators import is_valid_id_number, is_valid_uscc, normalise_code
from zhengwu.core.workbooks import (
    FileProblemError,
    cell_text,
    check_archive,
    header_text,
    is_blank,
    read_workbook,
)
from zhengwu.identity.facade import principal_for_code, principal_name

from . import services
from .constants import HolderKind
from .errors import (
    IMPORT_NOT_FOUND,
    INVALID_FILE,
    INVALID_TYPE,
    ISSUER_NOT_AUTHORISED,
    LicenceError,
    not_permitted,
)
from .models import Licence, LicenceImportJob, LicenceType, Seal

logger = structlog.get_logger(__name__)

SHEET_TITLE = "证照"
HOLDER_CODE = "持证主体代码"
HOLDER_NAME = "持证主体名称"
ISSUED_ON = "发证日期"
VALID_FROM = "有效期起始日期"
VALID_UNTIL = "有效期截止日期"
REQUIRED_COLUMNS = (HOLDER_CODE, HOLDER_NAME, ISSUED_ON, VALID_FROM)
FIXED_COLUMNS = (*REQUIRED_COLUMNS, VALID_UNTIL)
#: the service's field names → the workbook's columns
_FIELD_COLUMNS = {
    "holder_code": HOLDER_CODE,
    "holder_label": HOLDER_CODE,
    "holder_name": HOLDER_NAME,
    "issued_on": ISSUED_ON,
    "valid_from": VALID_FROM,
    "valid_until": VALID_UNTIL,
}
#: progress is written to the job every this many rows
PROGRESS_EVERY = 20
#: errors kept on a job; the rest are counted
MAX_ERRORS = 1000
#: rows of the template formatted for typing (text, or dates)
TEMPLATE_ROWS = 500
_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")

Status = LicenceImportJob.Status


@dataclass(frozen=True)
class RowError:
    """One bad cell (``row`` None and ``column`` "" for the whole file)."""

    row: int | None
    column: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclass
class _Row:
    number: int
    holder_code: str
    holder_label: str
    holder_name: str
    issued_on: datetime.date
    valid_from: datetime.date | None
    valid_until: datetime.date | None
    face_data: dict[str, Any]


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)
    total_rows: int = 0
    taken_over: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> dict[str, Any]:
        return {
            "issued": self.issued,
            "issued_count": len(self.issued),
            "total_rows": self.total_rows,
            "error_count": len(self.errors),
        }


# --- columns of a type ---------------------------------------------------------


def _properties(licence_type: LicenceType) -> list[tuple[str, dict[str, Any]]]:
    properties = (licence_type.face_schema or {}).get("properties") or {}
    return [
        (name, spec if isinstance(spec, dict) else {})
        for name, spec in properties.items()
    ]


def face_columns(licence_type: LicenceType) -> list[tuple[str, str, dict[str, Any]]]:
    """(header, property, its schema) of each face column, in schema order: the
    header is the property's title (its name when it has none, or when two
    properties share a title)."""
    columns: list[tuple[str, str, dict[str, Any]]] = []
    seen = set(FIXED_COLUMNS)
    for name, spec in _properties(licence_type):
        title = header_text(spec.get("title") or name) or name
        header = title if title not in seen else name
        seen.add(header)
        columns.append((header, name, spec))
    return columns


# --- the template --------------------------------------------------------------


def template_workbook(licence_type: LicenceType) -> bytes:
    """An empty workbook of ``licence_type`` to fill in (required columns marked *)."""
    required = set((licence_type.face_schema or {}).get("required") or [])
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    headers = [f"{h}*" for h in (HOLDER_CODE, HOLDER_NAME, ISSUED_ON)]
    headers += [VALID_FROM, VALID_UNTIL]
    notes = [
        _("居民身份证号码或统一社会信用代码，须为本系统已有的自然人或法人"),
        _("与证照上一致"),
        _("日期，如 2019-05-20，不晚于今天"),
        _("留空为发证日期"),
        _("留空按证照类型的有效期计算"),
    ]
    for header, name, spec in face_columns(licence_type):
        headers.append(f"{header}*" if name in required else header)
        hint = spec.get("description") or ""
        if isinstance(spec.get("enum"), list):
            hint = _("可选：%(v)s") % {"v": "、".join(map(str, spec["enum"]))}
        notes.append(str(hint))
    sheet.append(headers)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for index, header in enumerate(headers, 1):
        cell = sheet.cell(row=1, column=index)
        cell.font, cell.fill = bold, fill
        width = max(14, min(40, 2 * len(header) + 4))
        sheet.column_dimensions[get_column_letter(index)].width = width
    # Text cells, so Excel keeps an 18-digit ID number whole (a number loses its
    # last digits); the date columns take dates.
    dates = {3, 4, 5}
    for index in range(1, len(headers) + 1):
        text = "yyyy-mm-dd" if index in dates else "@"
        for row in range(2, TEMPLATE_ROWS + 2):
            sheet.cell(row=row, column=index).number_format = text
    sheet.freeze_panes = "A2"
    guide = workbook.create_sheet(_("填写说明"))
    guide.append([_("证照类型"), f"{licence_type.name}（{licence_type.type_code}）"])
    guide.append([_("说明"), _("在“证照”工作表第2行起每行填写一本证照；带*的列必填。")])
    guide.append([])
    guide.append([_("列"), _("填写要求")])
    for header, note in zip(headers, notes, strict=True):
        guide.append([header, note])
    guide.column_dimensions["A"].width = 24
    guide.column_dimensions["B"].width = 60
    for row in guide.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_filename(licence_type: LicenceType) -> str:
    return f"licence-import-{licence_type.type_code}.xlsx"


# --- reading cells ---------------------------------------------------------------


def _date(raw: Any) -> datetime.date | None:
    """A date cell or text; raises ValueError when it is not one."""
    if isinstance(raw, datetime.datetime):
        return raw.date()
    if isinstance(raw, datetime.date):
        return raw
    text = cell_text(raw).strip()
    if re.fullmatch(r"\d{8}", text):
        return datetime.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    match = _DATE_RE.match(text)
    if match is None:
        raise ValueError(text)
    year, month, day = (int(part) for part in match.groups())
    return datetime.date(year, month, day)


def _face_value(raw: Any, spec: dict[str, Any]) -> Any:
    """The JSON value of a face cell by the property's type (the text when it does
    not convert: the schema check then names the cell)."""
    kind = spec.get("type")
    if kind == "integer":
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            if not math.isfinite(raw):
                return cell_text(raw).strip()
            return int(raw) if float(raw).is_integer() else raw
        text = cell_text(raw).strip()
        return int(text) if re.fullmatch(r"-?\d+", text) else text
    if kind == "number":
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            return raw if math.isfinite(raw) else cell_text(raw).strip()
        text = cell_text(raw).strip()
        try:
            number = float(text)
        except ValueError:
            return text
        # "nan", "inf", "1e999": no JSON number — the text, so the check names it
        return number if math.isfinite(number) else text
    if kind == "boolean":
        text = cell_text(raw).strip()
        return {"是": True, "否": False}.get(text, text)
    if spec.get("format") == "date" and isinstance(raw, datetime.date):
        return (raw.date() if isinstance(raw, datetime.datetime) else raw).isoformat()
    return cell_text(raw).strip()


def same_name(name: str) -> str:
    """A name as compared with the record (the import and the issue API): no
    spaces, full-width brackets."""
    name = re.sub(r"\s+", "", name or "")
    return name.replace("(", "（").replace(")", "）")


def max_rows() -> int:
    return int(getattr(settings, "ZHENGWU_LICENCE_IMPORT_MAX_ROWS", 5_000))


def lease_seconds() -> int:
    return int(getattr(settings, "ZHENGWU_LICENCE_IMPORT_LEASE_SECONDS", 3_600))


def _canonical(face: Any) -> str:
    return json.dumps(face, sort_keys=True, ensure_ascii=False, default=str)


class _Checker:
    """Checks the rows of one file against one type and issuer."""

    def __init__(
        self,
        licence_type: LicenceType,
        issuer: Organisation,
        progress: Any = None,
    ) -> None:
        self.licence_type = licence_type
        self.issuer = issuer
        self.progress = progress
        self.errors: list[RowError] = []
        self.total = 0

    def error(self, row: int | None, column: str, reason: str) -> None:
        self.errors.append(RowError(row, column, reason))

    def rows(self, sheets: dict[str, list[tuple[int, tuple[Any, ...]]]]) -> list[_Row]:
        rows = sheets.get(SHEET_TITLE)
        if rows is None:
            # a renamed sheet: the first one with anything in it
            rows = next((r for r in sheets.values() if r), [])
        if not rows:
            self.error(None, "", _("文件中没有数据。"))
            return []
        header_row, headers = rows[0]
        index: dict[str, int] = {}
        for position, raw in enumerate(headers):
            text = header_text(raw)
            if not text:
                continue
            if text in index:
                self.error(header_row, text, _("列“%(c)s”重复。") % {"c": text})
                continue
            index[text] = position
        columns = face_columns(self.licence_type)
        known = set(FIXED_COLUMNS) | {c[0] for c in columns}
        for wanted in (*REQUIRED_COLUMNS, *(c[0] for c in columns)):
            if wanted not in index:
                self.error(header_row, wanted, _("缺少列“%(c)s”。") % {"c": wanted})
        for text in index:
            if text not in known:
                self.error(
                    header_row,
                    text,
                    _("列“%(c)s”不是证照类型“%(t)s”的照面信息项。")
                    % {"c": text, "t": self.licence_type.name},
                )
        data = rows[1:]
        self.total = len(data)
        if self.errors:
            return []
        if not data:
            self.error(None, "", _("文件中没有数据行。"))
        elif len(data) > max_rows():
            self.error(
                None,
                "",
                _("一个文件最多导入%(n)s行，本文件有%(m)s行，请分成几个文件。")
                % {"n": max_rows(), "m": len(data)},
            )
        if self.errors:
            return []
        checked: list[_Row] = []
        seen: dict[tuple[str, datetime.date, str], int] = {}
        for count, (number, values) in enumerate(data, 1):
            row = self.row(number, values, index, columns)
            if row is not None:
                key = (row.holder_code, row.issued_on, _canonical(row.face_data))
                if key in seen:
                    self.error(
                        number,
                        HOLDER_CODE,
                        _("与第%(n)s行是同一持证主体同一发证日期的同一证照（重复）。")
                        % {"n": seen[key]},
                    )
                else:
                    seen[key] = number
                    checked.append(row)
            if self.progress is not None and count % PROGRESS_EVERY == 0:
                self.progress(count, self.total)
        self.on_record(checked)
        return checked

    def row(
        self,
        number: int,
        values: tuple[Any, ...],
        index: dict[str, int],
        columns: list[tuple[str, str, dict[str, Any]]],
    ) -> _Row | None:
        def cell(header: str) -> Any:
            position = index.get(header)
            if position is None or position >= len(values):
                return None
            return values[position]

        before = len(self.errors)
        licence_type = self.licence_type
        code = normalise_code(cell_text(cell(HOLDER_CODE)))
        label = ""
        if not code:
            self.error(number, HOLDER_CODE, _("请填写持证主体代码。"))
        elif licence_type.holder_kind == HolderKind.PERSON and not is_valid_id_number(
            code
        ):
            self.error(number, HOLDER_CODE, _("持证主体代码应为有效的居民身份证号码。"))
        elif licence_type.holder_kind == HolderKind.ENTITY and not is_valid_uscc(code):
            self.error(
                number, HOLDER_CODE, _("持证主体代码应为有效的统一社会信用代码。")
            )
        else:
            label = principal_for_code(code)
            if not label:
                # no code in the reason: the row and column name the cell, and
                # a job's errors are kept and shown (an ID number is personal data)
                self.error(
                    number,
                    HOLDER_CODE,
                    _("本系统中没有该持证主体代码对应的自然人或法人。"),
                )
        name = cell_text(cell(HOLDER_NAME)).strip()
        if not name:
            self.error(number, HOLDER_NAME, _("请填写持证主体名称。"))
        elif len(name) > 200:
            self.error(number, HOLDER_NAME, _("持证主体名称过长（最多200字）。"))
        elif label and same_name(name) != same_name(principal_name(label)):
            # the record's name is not shown: the file's author learns only
            # that the two differ
            self.error(
                number,
                HOLDER_NAME,
                _("持证主体名称与本系统中该持证主体代码登记的名称不一致。"),
            )
        dates: dict[str, datetime.date | None] = {}
        for header in (ISSUED_ON, VALID_FROM, VALID_UNTIL):
            raw = cell(header)
            if is_blank(raw):
                dates[header] = None
                if header == ISSUED_ON:
                    self.error(number, header, _("请填写发证日期。"))
                continue
            try:
                dates[header] = _date(raw)
            except ValueError:
                dates[header] = None
                self.error(
                    number,
                    header,
                    _("“%(v)s”不是日期，请写成 2019-05-20 的形式。")
                    % {"v": cell_text(raw)[:40]},
                )
        face: dict[str, Any] = {}
        for header, name_, spec in columns:
            raw = cell(header)
            if not is_blank(raw):
                face[name_] = _face_value(raw, spec)
        headers = {name_: header for header, name_, _spec in columns}
        for key, reasons in services.face_data_errors(
            licence_type.face_schema, face
        ).items():
            prop = key.removeprefix("face_data").lstrip(".").split(".")[0]
            for reason in reasons:
                self.error(number, headers.get(prop, ""), reason)
        issued_on = dates[ISSUED_ON]
        until = dates[VALID_UNTIL]
        if issued_on is not None:
            try:
                _at, _start, until = services.validity(
                    licence_type,
                    issued_on=issued_on,
                    valid_from=dates[VALID_FROM],
                    valid_until=dates[VALID_UNTIL],
                )
            except LicenceError as error:
                for key, reasons in error.fields.items():
                    for reason in reasons:
                        self.error(number, _FIELD_COLUMNS.get(key, ""), reason)
            else:
                today = timezone.now().astimezone(services.SHANGHAI).date()
                if until is not None and until < today:
                    self.error(
                        number,
                        VALID_UNTIL if dates[VALID_UNTIL] else ISSUED_ON,
                        _("证照已于 %(d)s 过期，不导入过期证照。")
                        % {"d": until.isoformat()},
                    )
        if len(self.errors) > before or issued_on is None:
            return None
        return _Row(
            number=number,
            holder_code=code,
            holder_label=label,
            holder_name=name,
            issued_on=issued_on,
            valid_from=dates[VALID_FROM],
            valid_until=dates[VALID_UNTIL],
            face_data=face,
        )

    def on_record(self, rows: list[_Row]) -> None:
        """Rows whose licence (same type, issuer, holder, issue day, face data) is
        already on record: a file imported twice issues nothing the second time.
        Checked before issuing and again inside the issue transaction, under the
        type's lock (two imports of one file at once)."""
        if not rows:
            return
        labels = {row.holder_label for row in rows}
        existing: dict[tuple[str, datetime.date], list[str]] = {}
        for licence in Licence.objects.filter(
            licence_type=self.licence_type,
            issuer=self.issuer,
            holder_label__in=labels,
            previous__isnull=True,
        ).only("holder_label", "issued_at", "face_data"):
            day = licence.issued_at.astimezone(services.SHANGHAI).date()
            existing.setdefault((licence.holder_label, day), []).append(
                _canonical(licence.face_data)
            )
        for row in rows:
            faces = existing.get((row.holder_label, row.issued_on), [])
            if _canonical(row.face_data) in faces:
                self.error(
                    row.number,
                    HOLDER_CODE,
                    _("该证照已在本系统中（同一持证主体、发证日期和照面信息）。"),
                )


# --- importing a file ----------------------------------------------------------


def _type_and_issuer(
    type_code: str, issuer_organisation_id: int
) -> tuple[LicenceType, Organisation]:
    licence_type = LicenceType.objects.filter(type_code=type_code).first()
    if licence_type is None:
        message = _("证照类型不存在。")
        raise LicenceError(
            INVALID_TYPE, message, fields={"type_code": [message]}, status=422
        )
    issuer = (
        Organisation.objects.select_related("division")
        .filter(pk=issuer_organisation_id)
        .first()
    )
    if issuer is None:
        message = _("颁发机构不存在。")
        raise LicenceError(
            ISSUER_NOT_AUTHORISED,
            message,
            fields={"issuer_organisation_id": [message]},
            status=422,
        )
    return licence_type, issuer


def _check_rights(
    user: AbstractBaseUser, licence_type: LicenceType, issuer: Organisation
) -> None:
    """The rights of issuing: a reviewer of the issuer, which defines or is
    authorised to issue the type, and has an active seal."""
    if not services._may_issue(user, issuer):
        raise not_permitted(_("只有颁发机构的审批人员可以导入电子证照。"))
    if (
        issuer.pk != licence_type.defining_organisation_id
        and not licence_type.issuing_organisations.filter(pk=issuer.pk).exists()
    ):
        raise LicenceError(
            ISSUER_NOT_AUTHORISED,
            _("“%(org)s”不是证照类型“%(type)s”的定义机构或授权颁发机构，不能颁发。")
            % {"org": issuer.name, "type": licence_type.name},
            status=403,
        )
    if not Seal.objects.filter(organisation=issuer, active=True).exists():
        services._active_seal(issuer)  # raises the service's refusal


def import_rows(
    content: bytes,
    *,
    licence_type: LicenceType,
    issuer: Organisation,
    acting_user: AbstractBaseUser,
    job: LicenceImportJob | None = None,
    progress: Any = None,
    claim: str = "",
) -> ImportResult:
    """Check every row, then issue all of them in one transaction, or nothing.

    The transaction first locks the type's row (one import of a type at a time;
    single issues do not lock it) and checks again that no row's licence is on
    record: two imports of one file at once issue it once. Serial counters are
    reserved up front in a short transaction of their own, so the serial row is
    not locked while the file's PDFs are rendered and signed. With ``job``, the
    job is marked done inside the same transaction; with ``claim`` too (the
    token of :func:`import_job_run`'s claim), nothing is issued when another
    worker has taken the job over meanwhile (``result.taken_over``)."""
    result = ImportResult()
    try:
        sheets = read_workbook(content)
    except FileProblemError as problem:
        result.errors.append(RowError(None, "", problem.reason))
        return result
    checker = _Checker(licence_type, issuer, progress)
    rows = checker.rows(sheets)
    result.total_rows = checker.total
    if progress is not None:
        progress(checker.total, checker.total)
    if checker.errors:
        result.errors = sorted(checker.errors, key=lambda e: e.row or 0)[:MAX_ERRORS]
        return result
    # Unused counters after a rollback are gaps, which are acceptable.
    first_serial = services.reserve_serials(licence_type, issuer, len(rows))
    failures: list[RowError] = []
    try:
        with transaction.atomic():
            LicenceType.objects.select_for_update().filter(pk=licence_type.pk).first()
            checker.errors = []
            checker.on_record(rows)
            if checker.errors:
                failures = checker.errors
                raise _RollbackError
            for offset, row in enumerate(rows):
                try:
                    with transaction.atomic():
                        licence = services.licence_issue(
                            type_code=licence_type.type_code,
                            issuer_organisation_id=issuer.pk,
                            holder_label=row.holder_label,
                            holder_code=row.holder_code,
                            holder_name=row.holder_name,
                            face_data=row.face_data,
                            issued_on=row.issued_on,
                            valid_from=row.valid_from,
                            valid_until=row.valid_until,
                            acting_user=acting_user,
                            reserved_serial=first_serial + offset,
                        )
                except LicenceError as error:
                    reasons = [r for rs in error.fields.values() for r in rs]
                    failures.append(
                        RowError(row.number, "", "".join([error.message, *reasons]))
                    )
                    continue
                result.issued.append(licence.identifier)
            if failures:
                raise _RollbackError
            if job is not None and claim:
                still_ours = (
                    LicenceImportJob.objects.select_for_update()
                    .filter(pk=job.pk, status=Status.RUNNING, summary__claim=claim)
                    .exists()
                )
                if not still_ours:
                    result.taken_over = True
                    raise _RollbackError
            audit.record(
                acting_user=acting_user,
                event="licenses.imported",
                target=job,
                data={
                    "type_code": licence_type.type_code,
                    "issuer": issuer.credit_code,
                    "file": job.original_name if job is not None else "",
                    "count": len(result.issued),
                    "identifiers": result.issued,
                },
            )
            if job is not None:
                # done together with the licences: a worker taking over a job
                # whose run committed finds it done, never running
                _finish(
                    job,
                    Status.DONE,
                    [],
                    claim=claim,
                    total_rows=result.total_rows,
                    processed_rows=result.total_rows,
                    summary=result.summary(),
                )
    except _RollbackError:
        result.errors = sorted(failures, key=lambda e: e.row or 0)[:MAX_ERRORS]
        result.issued = []
    return result


class _RollbackError(Exception):
    """Raised inside the issue transaction to undo every licence of the file."""


def _safe_filename(filename: str) -> str:
    name = (filename or "licences.xlsx").replace("/", "_").replace("\\", "_")
    return name.strip()[:200] or "licences.xlsx"


def import_start(
    *,
    content: bytes,
    filename: str,
    type_code: str,
    issuer_organisation_id: int,
    acting_user: AbstractBaseUser,
) -> LicenceImportJob:
    """Store an uploaded workbook as a job and queue its import. Refused at once:
    an unknown type or issuer (422), no right to issue (403), a file that is
    plainly not a workbook (422 on ``file``)."""
    licence_type, issuer = _type_and_issuer(type_code, issuer_organisation_id)
    _check_rights(acting_user, licence_type, issuer)
    try:
        check_archive(content)
    except FileProblemError as problem:
        raise LicenceError(
            INVALID_FILE,
            problem.reason,
            fields={"file": [problem.reason]},
            status=422,
        ) from None
    name = _safe_filename(filename)
    digest = sm3_hex(content)
    if _same_file_queued(licence_type, issuer, digest):
        message = _("同一文件已在导入中，请等待它完成后查看结果。")
        raise LicenceError(
            INVALID_FILE, message, fields={"file": [message]}, status=409
        )
    with transaction.atomic():
        job = LicenceImportJob(
            original_name=name,
            uploaded_by=acting_user,
            licence_type=licence_type,
            issuer=issuer,
        )
        job.file.save(f"{uuid.uuid4().hex}.xlsx", ContentFile(content), save=False)
        job.full_clean()
        job.save(force_insert=True)
        audit.record(
            acting_user=acting_user,
            event="licenses.import_started",
            target=job,
            data={
                "file": name,
                "size": len(content),
                "sm3": digest,
                "type_code": licence_type.type_code,
                "issuer": issuer.credit_code,
            },
        )
        job_id = job.pk
        transaction.on_commit(lambda: _enqueue(job_id))
    return job


def _same_file_queued(
    licence_type: LicenceType, issuer: Organisation, digest: str
) -> bool:
    """Whether a pending or running job of the type and issuer holds a file with
    SM3 ``digest`` (a file uploaded twice in a row, before the first is done)."""
    jobs = LicenceImportJob.objects.filter(
        licence_type=licence_type,
        issuer=issuer,
        status__in=(Status.PENDING, Status.RUNNING),
    )
    for job in jobs:
        try:
            with job.file.open("rb") as stored:
                if sm3_hex(stored.read()) == digest:
                    return True
        except OSError:
            continue
    return False


def _enqueue(job_id: int) -> None:
    from .tasks import run_licence_import

    run_licence_import.enqueue(job_id=job_id)


def _finish(
    job: LicenceImportJob,
    status: str,
    errors: list[RowError],
    *,
    claim: str = "",
    **values: Any,
) -> bool:
    """Mark the job ``status``, only while it is still running under ``claim``:
    a worker whose job was taken over (past the lease) writes nothing over the
    run that took it. False (logged, not audited) when it was taken over."""
    now = timezone.now()
    jobs = LicenceImportJob.objects.filter(pk=job.pk)
    if claim:  # a worker's run (import_job_run); a direct import_rows has none
        jobs = jobs.filter(status=Status.RUNNING, summary__claim=claim)
    finished = jobs.update(
        status=status,
        finished_at=now,
        updated_at=now,
        errors=[e.as_dict() for e in errors],
        **values,
    )
    if not finished:
        logger.info("licence_import_taken_over", job_id=job.pk, status=status)
        return False
    if status == Status.FAILED:
        audit.record(
            acting_user=job.uploaded_by,
            event="licenses.import_failed",
            target=job,
            data={"errors": len(errors), "file": job.original_name},
        )
    return True


def import_job_run(*, job_id: int) -> dict[str, Any]:
    """Run one queued import (the body of ``tasks.run_licence_import``). A pending
    job is claimed, so a repeated delivery changes nothing; so is a job left
    running with no progress for ``ZHENGWU_LICENCE_IMPORT_LEASE_SECONDS`` (its
    worker died). Taking one over is safe: the file is issued all-or-nothing,
    the issue transaction re-checks every row under the type's lock, and a
    run whose job was taken over issues nothing (the claim token)."""
    now = timezone.now()
    stale = now - datetime.timedelta(seconds=lease_seconds())
    claim = uuid.uuid4().hex
    previous = (
        LicenceImportJob.objects.filter(pk=job_id)
        .values_list("summary", flat=True)
        .first()
    )
    kept = (
        {"requeued_at": previous["requeued_at"]}
        if isinstance(previous, dict) and "requeued_at" in previous
        else {}
    )
    values = {"status": Status.RUNNING, "updated_at": now}
    values["summary"] = {"claim": claim, **kept}
    claimed = LicenceImportJob.objects.filter(pk=job_id, status=Status.PENDING).update(
        **values
    )
    stalled_since = None
    if not claimed:
        # a job left running past the lease (its worker died, or is stuck): taken
        # over, and audited as the schedule's requeue is
        stalled_since = (
            LicenceImportJob.objects.filter(
                pk=job_id, status=Status.RUNNING, updated_at__lt=stale
            )
            .values_list("updated_at", flat=True)
            .first()
        )
        if stalled_since is not None:
            claimed = LicenceImportJob.objects.filter(
                pk=job_id, status=Status.RUNNING, updated_at=stalled_since
            ).update(**values)
    if not claimed:
        logger.info("licence_import_skipped", job_id=job_id)
        return {"job_id": job_id, "skipped": True}
    job = LicenceImportJob.objects.select_related(
        "uploaded_by", "licence_type", "issuer__division"
    ).get(pk=job_id)
    if stalled_since is not None:
        audit.record(
            acting_user=None,
            actor_label=services.SYSTEM,
            event="licenses.import_taken_over",
            target=job,
            data={
                "file": job.original_name,
                "stalled_since": stalled_since.isoformat(),
                "uploaded_by": job.uploaded_by.get_username()
                if job.uploaded_by is not None
                else "",
            },
        )
        logger.warning("licence_import_taken_over_stale", job_id=job_id)
    try:
        _check_rights(job.uploaded_by, job.licence_type, job.issuer)
        with job.file.open("rb") as stored:
            content = stored.read()
    except LicenceError as error:
        _finish(job, Status.FAILED, [RowError(None, "", error.message)], claim=claim)
        return {"job_id": job_id, "status": Status.FAILED}
    except OSError:
        reason = _("导入文件已丢失，请重新上传。")
        _finish(job, Status.FAILED, [RowError(None, "", reason)], claim=claim)
        return {"job_id": job_id, "status": Status.FAILED}

    def progress(processed: int, total: int) -> None:
        # autocommitted, outside the issue transaction: readers see it at once
        # only while the job is still this run's: a stale worker's progress
        # neither shows over the run that took it over nor keeps it alive
        LicenceImportJob.objects.filter(pk=job_id, summary__claim=claim).update(
            processed_rows=processed, total_rows=total, updated_at=timezone.now()
        )

    try:
        result = import_rows(
            content,
            licence_type=job.licence_type,
            issuer=job.issuer,
            acting_user=job.uploaded_by,
            job=job,
            progress=progress,
            claim=claim,
        )
    except Exception:
        logger.exception("licence_import_crashed", job_id=job_id)
        reason = _("导入时发生内部错误，请联系管理员。")
        _finish(job, Status.FAILED, [RowError(None, "", reason)], claim=claim)
        raise
    if result.taken_over:
        logger.info("licence_import_taken_over", job_id=job_id)
        return {"job_id": job_id, "skipped": True}
    status = Status.DONE if result.ok else Status.FAILED
    if status == Status.FAILED:  # a done job was finished with its licences
        if not _finish(
            job,
            status,
            result.errors,
            claim=claim,
            total_rows=result.total_rows,
            processed_rows=result.total_rows,
            summary=result.summary(),
        ):
            return {"job_id": job_id, "skipped": True}
    logger.info(
        "licence_import_finished",
        job_id=job_id,
        status=status,
        issued=len(result.issued),
        errors=len(result.errors),
    )
    return {"job_id": job_id, "status": status, **result.summary()}


# --- reading jobs ----------------------------------------------------------------


def is_stalled(job: LicenceImportJob, now: datetime.datetime | None = None) -> bool:
    """Whether ``job`` is left running with no progress for the lease
    (``ZHENGWU_LICENCE_IMPORT_LEASE_SECONDS``: its worker died) and not yet
    queued again by :func:`requeue_stalled_jobs`. Read-only."""
    if job.status != Status.RUNNING:
        return False
    now = now or timezone.now()
    return job.updated_at < now - datetime.timedelta(seconds=lease_seconds())


def requeue_stalled_jobs() -> int:
    """Queue again every job left running with no progress for the lease
    (``ZHENGWU_LICENCE_IMPORT_LEASE_SECONDS``: its worker died); the body of the
    scheduled task ``tasks.requeue_stalled_imports``. Each goes back to pending
    with a new claim, so a run still alive after all issues nothing
    (:func:`import_rows` checks the claim before committing), and the next run
    takes it from the start: the file is issued all-or-nothing. Each requeue is
    audited (``licenses.import_requeued``, by the system). Idempotent: a job is
    taken back only while still running past the lease, so a second run (or a
    second scheduler) finds nothing. Returns how many were requeued."""
    now = timezone.now()
    stale = now - datetime.timedelta(seconds=lease_seconds())
    candidates = list(
        LicenceImportJob.objects.filter(status=Status.RUNNING, updated_at__lt=stale)
        .select_related("uploaded_by")
        .order_by("pk")
    )
    count = 0
    for job in candidates:
        with transaction.atomic():
            requeued = LicenceImportJob.objects.filter(
                pk=job.pk, status=Status.RUNNING, updated_at__lt=stale
            ).update(
                status=Status.PENDING,
                updated_at=now,
                processed_rows=0,
                summary={"requeued_at": now.isoformat()},
            )
            if not requeued:  # it moved on meanwhile (progress, or taken back)
                continue
            audit.record(
                acting_user=None,
                actor_label=services.SYSTEM,
                event="licenses.import_requeued",
                target=job,
                data={
                    "file": job.original_name,
                    "stalled_since": job.updated_at.isoformat(),
                    "uploaded_by": job.uploaded_by.get_username()
                    if job.uploaded_by is not None
                    else "",
                },
            )
            job_id = job.pk
            transaction.on_commit(lambda job_id=job_id: _enqueue(job_id))
        logger.warning("licence_import_requeued", job_id=job.pk)
        count += 1
    return count


def import_job_for_user(user: AbstractBaseUser | None, pk: int) -> LicenceImportJob:
    """The job ``pk`` if ``user`` uploaded it (any job for a superuser); else a
    404 refusal, whether or not it exists. Read-only: a job whose worker died is
    queued again by the scheduled :func:`requeue_stalled_jobs`, not here."""
    job = (
        LicenceImportJob.objects.select_related("licence_type", "issuer")
        .filter(pk=pk)
        .first()
    )
    if (
        job is None
        or user is None
        or not user.is_authenticated
        or not (job.uploaded_by_id == user.pk or user.is_superuser)
    ):
        raise LicenceError(IMPORT_NOT_FOUND, _("导入任务不存在。"), status=404)
    return job


def max_upload_bytes() -> int:
    return int(settings.ZHENGWU_IMPORT_MAX_BYTES)


# --- for the workbench page (through licenses.facade) -------------------------------


@dataclass(frozen=True)
class ImportChoice:
    """A licence type and an organisation the user may import licences for."""

    type_code: str
    type_name: str
    issuer_id: int
    issuer_name: str

    @property
    def key(self) -> str:
        return f"{self.type_code}:{self.issuer_id}"

    @property
    def label(self) -> str:
        return f"{self.type_name}（{self.issuer_name}）"


@dataclass(frozen=True)
class ImportJobView:
    """A job as the page shows it (frozen: the page cannot change it)."""

    id: int
    status: str
    status_label: str
    original_name: str
    type_code: str
    type_name: str
    issuer_name: str
    total_rows: int
    processed_rows: int
    errors: tuple[dict[str, Any], ...]
    issued: tuple[str, ...]
    created_at: datetime.datetime
    finished_at: datetime.datetime | None
    requeued: bool = False  # queued again after its worker died
    stalled: bool = False  # running past the lease, to be queued again

    @property
    def running(self) -> bool:
        return self.status in (Status.PENDING, Status.RUNNING)

    @property
    def percent(self) -> int:
        if not self.running:
            return 100
        if not self.total_rows:
            return 0
        return min(100, round(100 * self.processed_rows / self.total_rows))


def _view(job: LicenceImportJob) -> ImportJobView:
    summary = job.summary if isinstance(job.summary, dict) else {}
    issued = summary.get("issued")
    return ImportJobView(
        id=job.pk,
        status=job.status,
        status_label=str(job.get_status_display()),
        original_name=job.original_name,
        type_code=job.licence_type.type_code,
        type_name=job.licence_type.name,
        issuer_name=job.issuer.name,
        total_rows=job.total_rows,
        processed_rows=job.processed_rows,
        errors=tuple(e for e in job.errors or [] if isinstance(e, dict)),
        issued=tuple(str(i) for i in issued) if isinstance(issued, list) else (),
        created_at=job.created_at,
        finished_at=job.finished_at,
        requeued=job.status in (Status.PENDING, Status.RUNNING)
        and "requeued_at" in summary,
        stalled=is_stalled(job),
    )


def import_choices(user: AbstractBaseUser | None) -> list[ImportChoice]:
    """Every (type, issuing organisation) pair ``user`` has the rights of issuing
    for (``services._may_issue``), by type name."""
    if user is None or not user.is_authenticated:
        return []
    choices: list[ImportChoice] = []
    types = list(
        LicenceType.objects.prefetch_related("issuing_organisations").order_by(
            "name", "type_code"
        )
    )
    wanted = {t.defining_organisation_id for t in types} | {
        o.pk for t in types for o in t.issuing_organisations.all()
    }
    organisations = {
        o.pk: o
        for o in Organisation.objects.select_related("division").filter(pk__in=wanted)
    }
    for licence_type in types:
        issuers = [licence_type.defining_organisation_id] + [
            o.pk for o in licence_type.issuing_organisations.all()
        ]
        for issuer_id in dict.fromkeys(issuers):
            issuer = organisations.get(issuer_id)
            if issuer is not None and services._may_issue(user, issuer):
                choices.append(
                    ImportChoice(
                        licence_type.type_code,
                        licence_type.name,
                        issuer.pk,
                        issuer.name,
                    )
                )
    return choices


def import_job_view(user: AbstractBaseUser | None, pk: int) -> ImportJobView:
    """The user's own job ``pk`` (a LicenceError 404 otherwise)."""
    return _view(import_job_for_user(user, pk))


def import_jobs_view(user: AbstractBaseUser, limit: int = 10) -> list[ImportJobView]:
    """The user's latest jobs (their own only)."""
    if user is None or not user.is_authenticated:
        return []
    jobs = (
        LicenceImportJob.objects.select_related("licence_type", "issuer")
        .filter(uploaded_by=user)
        .order_by("-created_at", "-pk")[:limit]
    )
    return [_view(job) for job in jobs]


def import_start_view(
    user: AbstractBaseUser,
    *,
    content: bytes,
    filename: str,
    type_code: str,
    issuer_organisation_id: int,
) -> ImportJobView:
    job = import_start(
        content=content,
        filename=filename,
        type_code=type_code,
        issuer_organisation_id=issuer_organisation_id,
        acting_user=user,
    )
    return _view(job)


def import_template(user: AbstractBaseUser | None, type_code: str) -> tuple[str, bytes]:
    """(file name, content) of the template of a type ``user`` may import."""
    if not any(c.type_code == type_code for c in import_choices(user)):
        raise LicenceError(IMPORT_NOT_FOUND, _("证照类型不存在。"), status=404)
    licence_type = LicenceType.objects.get(type_code=type_code)
    return template_filename(licence_type), template_workbook(licence_type)
