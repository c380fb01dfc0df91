"""Writes of the shared kernel: divisions, organisations, the working-day calendar and
reference data. Every change is validated (``full_clean``) and audited in the same
transaction."""

import csv
import datetime
import importlib.metadata
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

import structlog

from . import audit
from .calendar import validate_exception
from .errors import DomainError, NotFoundError, domain_error_from_validation
from .models import (
    CalendarDay,
    CalendarYear,
    DayKind,
    Division,
    DivisionLevel,
    Organisation,
    OrganisationLevel,
)

logger = structlog.get_logger(__name__)

User = AbstractBaseUser | AnonymousUser | None

FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"
DEFAULT_DIVISIONS_CSV = FIXTURES_DIR / "liaoning_divisions.csv"
SYSTEM_LOADER = "system:load_reference_data"


@dataclass(frozen=True)
class LoadCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return (
            f"created {self.created}, updated {self.updated}, "
            f"unchanged {self.unchanged}"
        )


def _changed_fields(instance: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Assign ``values`` to ``instance``; return ``{field: [old, new]}`` for changes."""
    changes: dict[str, list[Any]] = {}
    for name, value in values.items():
        old = getattr(instance, name)
        if old != value:
            changes[name] = [old, value]
            setattr(instance, name, value)
    return changes


# --- divisions --------------------------------------------------------------------

_DIVISION_CODE = re.compile(r"^\d{6}$")
_DIVISION_COLUMNS = {"code", "name", "type", "level", "parent_code"}


def _divisions_file_error(problems: dict[str, list[str]]) -> DomainError:
    return DomainError(
        "core.divisions_file_invalid",
        _("行政区划文件有误，未导入任何内容。"),
        fields=problems,
    )


def _read_divisions_csv(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = _DIVISION_COLUMNS - set(reader.fieldnames or [])
            if missing:
                raise _divisions_file_error(
                    {
                        "columns": [
                            _("缺少列：%(columns)s") % {"columns": sorted(missing)}
                        ]
                    }
                )
            rows = [
                {key: (value or "").strip() for key, value in row.items() if key}
                for row in reader
            ]
    except OSError as error:
        raise _divisions_file_error(
            {"path": [_("无法读取文件：%(error)s") % {"error": error}]}
        ) from error
    problems: dict[str, list[str]] = {}
    seen: set[str] = set()
    levels = set(DivisionLevel.values)
    for line, row in enumerate(rows, start=2):
        reasons = []
        if not _DIVISION_CODE.match(row["code"]):
            reasons.append(_("区划代码应为6位数字。"))
        elif row["code"] in seen:
            reasons.append(_("区划代码重复。"))
        if not row["name"]:
            reasons.append(_("名称不能为空。"))
        if row["level"] not in levels:
            reasons.append(_("层级无效。"))
        if row["parent_code"] and not _DIVISION_CODE.match(row["parent_code"]):
            reasons.append(_("上级区划代码应为6位数字。"))
        if reasons:
            problems[f"line {line}"] = reasons
        seen.add(row["code"])
    if problems:
        raise _divisions_file_error(problems)
    return rows


@transaction.atomic
def division_load_csv(*, path: Path | None = None) -> LoadCounts:
    """Load divisions (GB/T 2260) from a CSV of ``code,name,type,level,parent_code``.

    ``update_or_create`` on the code, comparing first, so a second run changes
    nothing. Parents are linked in dependency order, whatever the file's order; a
    parent must be in the file or already stored. Divisions are never deleted.
    """
    path = Path(
        path
        or getattr(settings, "ZHENGWU_DIVISIONS_CSV", None)
        or DEFAULT_DIVISIONS_CSV
    )
    rows = _read_divisions_csv(path)
    existing = {division.code: division for division in Division.objects.all()}
    created: list[str] = []
    updated: dict[str, dict[str, list[Any]]] = {}
    unchanged = 0
    pending = rows
    while pending:
        waiting = []
        for row in pending:
            parent = existing.get(row["parent_code"]) if row["parent_code"] else None
            if row["parent_code"] and parent is None:
                waiting.append(row)
                continue
            values = {
                "name": row["name"],
                "kind": row["type"],
                "level": row["level"],
                "parent_id": parent.pk if parent else None,
            }
            division = existing.get(row["code"])
            if division is None:
                division = Division.objects.create(code=row["code"], **values)
                existing[division.code] = division
                created.append(division.code)
                continue
            changes = _changed_fields(division, values)
            if changes:
                division.save(update_fields=[*changes, "updated_at"])
                updated[division.code] = changes
            else:
                unchanged += 1
        if len(waiting) == len(pending):
            raise _divisions_file_error(
                {
                    row["code"]: [
                        _("上级区划%(parent)s不存在。") % {"parent": row["parent_code"]}
                    ]
                    for row in waiting
                }
            )
        pending = waiting
    counts = LoadCounts(len(created), len(updated), unchanged)
    if created or updated:
        audit.record(
            acting_user=None,
            actor_label=SYSTEM_LOADER,
            event="core.divisions_loaded",
            data={
                "file": path.name,
                "created": created,
                "updated": updated,
                "unchanged": unchanged,
            },
        )
    logger.info("divisions_loaded", file=path.name, **counts.__dict__)
    return counts


@transaction.atomic
def division_save(*, division: Division, acting_user: User) -> Division:
    """Create or change one division (e.g. a development zone, which GB/T 2260 does
    not list). Used by the admin; the CSV loader is the usual path."""
    is_new = division.pk is None
    before = (
        {}
        if is_new
        else Division.objects.filter(pk=division.pk)
        .values(
            "code", "name", "kind", "level", "parent_id", "valid_from", "valid_until"
        )
        .get()
    )
    try:
        division.full_clean()
    except ValidationError as error:
        raise domain_error_from_validation(
            error, code="core.division_invalid", message=_("行政区划信息有误。")
        ) from error
    division.save()
    changes = {
        name: [old, getattr(division, name)]
        for name, old in before.items()
        if getattr(division, name) != old
    }
    audit.record(
        acting_user=acting_user,
        event="core.division_created" if is_new else "core.division_updated",
        target=division,
        data={"code": division.code, "changes": changes},
    )
    return division


# --- organisations ----------------------------------------------------------------


def _division_from(value: Division | str) -> Division:
    if isinstance(value, Division):
        return value
    division = Division.objects.filter(code=value).first()
    if division is None:
        raise NotFoundError(
            "core.division_not_found",
            _("行政区划%(code)s不存在。") % {"code": value},
            fields={"division": [_("行政区划不存在。")]},
        )
    return division


@transaction.atomic
def organisation_create(
    *,
    credit_code: str,
    name: str,
    level: OrganisationLevel | int,
    division: Division | str,
    parent: Organisation | None = None,
    kind: str = "法定机关",
    short_name: str = "",
    address: str = "",
    phone: str = "",
    acting_user: User,
) -> Organisation:
    """Register an implementing body (实施主体). The credit code must carry correct
    check characters (GB 32100) and be unique; the name is unique in its division."""
    organisation = Organisation(
        credit_code=credit_code.strip(),
        name=name.strip(),
        short_name=short_name.strip(),
        level=level,
        division=_division_from(division),
        parent=parent,
        kind=kind,
        address=address,
        phone=phone,
    )
    try:
        organisation.full_clean()
    except ValidationError as error:
        raise domain_error_from_validation(
            error, code="core.organisation_invalid", message=_("实施主体信息有误。")
        ) from error
    organisation.save(force_insert=True)
    audit.record(
        acting_user=acting_user,
        event="core.organisation_created",
        target=organisation,
        data={
            "credit_code": organisation.credit_code,
            "name": organisation.name,
            "level": organisation.level,
            "division": organisation.division.code,
            "parent_id": organisation.parent_id,
        },
    )
    return organisation


ORGANISATION_EDITABLE = frozenset(
    {
        "credit_code",
        "name",
        "short_name",
        "level",
        "division",
        "parent",
        "kind",
        "address",
        "phone",
        "is_active",
    }
)


@transaction.atomic
def organisation_update(
    *, organisation: Organisation, acting_user: User, **changes: Any
) -> Organisation:
    """Change an organisation's fields (those in ``ORGANISATION_EDITABLE``)."""
    unknown = set(changes) - ORGANISATION_EDITABLE
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if "division" in changes:
        changes["division"] = _division_from(changes["division"])
    current = Organisation.objects.select_for_update().get(pk=organisation.pk)
    values: dict[str, Any] = {}
    for name, value in changes.items():
        if name in {"division", "parent"}:
            values[f"{name}_id"] = value.pk if value is not None else None
        else:
            values[name] = value
    changed = _changed_fields(current, values)
    if not changed:
        return current
    try:
        current.full_clean()
    except ValidationError as error:
        raise domain_error_from_validation(
            error, code="core.organisation_invalid", message=_("实施主体信息有误。")
        ) from error
    current.save(update_fields=[*changed, "updated_at"])
    audit.record(
        acting_user=acting_user,
        event="core.organisation_updated",
        target=current,
        data={"changes": changed},
    )
    return current


# --- working-day calendar ---------------------------------------------------------


def _chinese_holiday_names() -> dict[str, str]:
    from chinese_calendar.constants import Holiday

    return {holiday.value: holiday.chinese for holiday in Holiday}


@transaction.atomic
def calendar_seed_from_chinesecalendar() -> LoadCounts:
    """Seed every year the ``chinesecalendar`` package knows (2004–2026).

    Only exceptions are stored: weekday holidays (with the holiday's Chinese name)
    and weekend working days. A year already marked complete, by an earlier seed or
    by an administrator, is left alone: from then on the platform's table is the
    truth. Counts are of years.
    """
    from chinese_calendar.constants import holidays, workdays

    version = importlib.metadata.version("chinesecalendar")
    names = _chinese_holiday_names()
    by_year: dict[int, dict[datetime.date, tuple[str, str]]] = {}
    for day, holiday in holidays.items():
        if day.weekday() < 5:
            by_year.setdefault(day.year, {})[day] = (
                DayKind.HOLIDAY,
                names.get(holiday, holiday)[:30],
            )
    for day, holiday in workdays.items():
        if day.weekday() >= 5:
            by_year.setdefault(day.year, {})[day] = (
                DayKind.WORKDAY,
                names.get(holiday, holiday or "")[:30],
            )
    known = {year.year: year for year in CalendarYear.objects.all()}
    created = updated = unchanged = 0
    for year_number in sorted(by_year):
        year = known.get(year_number)
        if year is not None and year.is_complete:
            unchanged += 1
            continue
        entries = by_year[year_number]
        stored = {
            day.date: day for day in CalendarDay.objects.filter(date__year=year_number)
        }
        for day, (kind, name) in sorted(entries.items()):
            current = stored.get(day)
            if current is None:
                CalendarDay.objects.create(date=day, kind=kind, name=name)
            elif (current.kind, current.name) != (kind, name):
                current.kind, current.name = kind, name
                current.save(update_fields=["kind", "name", "updated_at"])
        source = f"chinesecalendar {version}"
        if year is None:
            CalendarYear.objects.create(
                year=year_number, is_complete=True, source=source
            )
            created += 1
        else:
            year.is_complete, year.source = True, source
            year.save(update_fields=["is_complete", "source", "updated_at"])
            updated += 1
        audit.record(
            acting_user=None,
            actor_label=SYSTEM_LOADER,
            event="core.calendar_year_seeded",
            data={"year": year_number, "source": source, "exceptions": len(entries)},
        )
    return LoadCounts(created, updated, unchanged)


@transaction.atomic
def calendar_day_set(
    *, date: datetime.date, kind: str, name: str = "", acting_user: User
) -> CalendarDay:
    """Enter or change one exception: a weekday holiday or a weekend working day."""
    day = CalendarDay.objects.select_for_update().filter(date=date).first()
    before = None if day is None else {"kind": day.kind, "name": day.name}
    if day is None:
        day = CalendarDay(date=date)
    day.kind, day.name = kind, name.strip()
    try:
        day.full_clean()
        validate_exception(date=date, kind=kind)
    except ValidationError as error:
        raise domain_error_from_validation(
            error, code="calendar.day_invalid", message=_("节假日信息有误。")
        ) from error
    if before == {"kind": day.kind, "name": day.name}:
        return day
    day.save()
    audit.record(
        acting_user=acting_user,
        event="core.calendar_day_set",
        target=day,
        data={
            "date": date.isoformat(),
            "kind": day.kind,
            "name": day.name,
            "before": before,
        },
    )
    return day


@transaction.atomic
def calendar_day_remove(*, date: datetime.date, acting_user: User) -> None:
    """Remove one exception: the day follows the Monday–Friday rule again."""
    day = CalendarDay.objects.select_for_update().filter(date=date).first()
    if day is None:
        raise NotFoundError(
            "calendar.day_not_found",
            _("%(date)s没有登记节假日或调休。") % {"date": date.isoformat()},
        )
    audit.record(
        acting_user=acting_user,
        event="core.calendar_day_removed",
        target=day,
        data={"date": date.isoformat(), "kind": day.kind, "name": day.name},
    )
    day.delete()


def _calendar_year_set(
    *, year: int, is_complete: bool, source: str | None, acting_user: User
) -> CalendarYear:
    calendar_year, _created = CalendarYear.objects.select_for_update().get_or_create(
        year=year
    )
    values: dict[str, Any] = {"is_complete": is_complete}
    if source is not None:
        values["source"] = source
    changes = _changed_fields(calendar_year, values)
    try:
        calendar_year.full_clean()
    except ValidationError as error:
        raise domain_error_from_validation(
            error, code="calendar.year_invalid", message=_("年度信息有误。")
        ) from error
    if not changes:
        return calendar_year
    calendar_year.save(update_fields=[*changes, "updated_at"])
    audit.record(
        acting_user=acting_user,
        event="core.calendar_year_marked_complete"
        if is_complete
        else "core.calendar_year_marked_incomplete",
        target=calendar_year,
        data={
            "year": year,
            "changes": changes,
            "exceptions": CalendarDay.objects.filter(date__year=year).count(),
        },
    )
    return calendar_year


@transaction.atomic
def calendar_year_mark_complete(
    *, year: int, acting_user: User, source: str | None = None
) -> CalendarYear:
    """Declare every holiday and adjusted working day of ``year`` entered (from the
    State Council's notice); working-day computations may then use the year."""
    if (
        source is None
        and not CalendarYear.objects.filter(year=year).exclude(source="").exists()
    ):
        source = _("管理员录入")
    return _calendar_year_set(
        year=year, is_complete=True, source=source, acting_user=acting_user
    )


@transaction.atomic
def calendar_year_mark_incomplete(*, year: int, acting_user: User) -> CalendarYear:
    """Withdraw a year (e.g. while correcting it): computations touching it fail."""
    return _calendar_year_set(
        year=year, is_complete=False, source=None, acting_user=acting_user
    )


# --- reference data ---------------------------------------------------------------


def load_reference_data() -> dict[str, LoadCounts]:
    """Load core's reference data: divisions, then the seeded calendar years."""
    return {
        "divisions": division_load_csv(),
        "calendar_years": calendar_seed_from_chinesecalendar(),
    }
