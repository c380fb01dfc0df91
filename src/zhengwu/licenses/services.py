"""Writes of licences: licence types, issue, change, suspend, resume, revoke and
the daily expiry. Every state change is checked against ``TRANSITIONS``, written
in one transaction with its history row and its audit record."""

from __future__ import annotations

import datetime
import json
import math
import re
import zoneinfo
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

import structlog
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from zhengwu.core import audit
from zhengwu.core.crypto import sm3_hex
from zhengwu.core.errors import validation_fields
from zhengwu.core.models import Organisation
from zhengwu.core.validators import is_valid_id_number, is_valid_uscc
from zhengwu.identity.facade import (
    StaffRole,
    principal_exists,
    principal_for_code,
    staff_scope,
)

from . import identifiers
from .constants import TRANSITIONS, HolderKind, LicenceEventKind, LicenceStatus
from .documents import LicenceLayout, face_rows, licence_pdf
from .errors import (
    INVALID_FACE_DATA,
    INVALID_HOLDER,
    INVALID_TYPE,
    INVALID_VALIDITY,
    ISSUER_NOT_AUTHORISED,
    NO_ACTIVE_SEAL,
    TYPE_CODE_TAKEN,
    LicenceError,
    invalid_transition,
    not_found,
    not_permitted,
    reason_required,
)
from .models import Licence, LicenceEvent, LicenceSerial, LicenceType, Seal
from .signing import canonical_json, licence_metadata, sign

logger = structlog.get_logger(__name__)

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
SYSTEM = "system:licenses"
ISSUING_ROLES: tuple[str, ...] = (StaffRole.REVIEWER,)
PERSON_LABEL = re.compile(r"^person:[0-9]{1,18}$")
#: a refusal naming fields: the request is well-formed but its content is not
INVALID = 422
ENTITY_LABEL = re.compile(r"^entity:[0-9A-Z]{18}$")


# --- rights -------------------------------------------------------------------


def _may_define(user: AbstractBaseUser | None, organisation_id: int) -> bool:
    """Department editors of the defining organisation and the catalogue
    authority define licence types."""
    scope = staff_scope(user)
    return scope.can_edit_organisation(organisation_id) or scope.can_review


def _may_issue(user: AbstractBaseUser | None, organisation: Organisation) -> bool:
    """Reviewers of the issuing organisation with its division in their scope
    (cases/staff_rights.py's rule); ``None`` is the system acting on a decision."""
    if user is None:
        return True
    scope = staff_scope(user)
    if scope.is_superuser:
        return True
    return any(
        organisation.pk in scope.organisation_ids(role)
        and scope.covers_division(organisation.division.code, role)
        for role in ISSUING_ROLES
    )


# --- licence types --------------------------------------------------------------


def _schema_problems(schema: Any) -> list[str]:
    if not isinstance(schema, dict) or schema.get("type") != "object":
        return [_("照面信息结构应为 type 为 object 的 JSON Schema。")]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return [_("照面信息结构不是有效的 JSON Schema：%(m)s") % {"m": exc.message}]
    return []


@transaction.atomic
def licence_type_define(
    *,
    defining_organisation_id: int,
    name: str,
    holder_kind: str,
    face_schema: dict[str, Any],
    layout_title: str = "",
    valid_years: int | None = None,
    sequence: str | None = None,
    issuing_organisation_ids: Iterable[int] = (),
    acting_user: AbstractBaseUser | None,
) -> LicenceType:
    """Define a licence type; its code is the defining organisation's credit code
    and ``sequence`` (3 digits; the next free one when not given)."""
    if not _may_define(acting_user, defining_organisation_id):
        raise not_permitted(_("只有定义机构的事项编辑人员或编委办可以定义证照类型。"))
    organisation = Organisation.objects.filter(pk=defining_organisation_id).first()
    if organisation is None:
        message = _("定义机构不存在。")
        raise LicenceError(
            INVALID_TYPE,
            message,
            fields={"defining_organisation_id": [message]},
            status=404,
        )
    fields: dict[str, list[str]] = {}
    problems = _schema_problems(face_schema)
    if problems:
        fields["face_schema"] = problems
    if holder_kind not in HolderKind.values:
        fields["holder_kind"] = [_("持证主体类别应为自然人或法人和其他组织。")]
    if valid_years is not None and valid_years < 1:
        fields["valid_years"] = [_("有效期至少1年；长期有效请留空。")]
    if sequence is None:
        codes = LicenceType.objects.filter(
            type_code__startswith=organisation.credit_code
        ).aggregate(top=Max("type_code"))["top"]
        sequence = f"{int(codes[-3:]) + 1 if codes else 1:03d}"
    if not re.fullmatch(r"[0-9]{3}", sequence):
        fields["sequence"] = [_("证照类型顺序号应为3位数字。")]
    issuing = sorted(set(issuing_organisation_ids))
    known = set(
        Organisation.objects.filter(pk__in=issuing).values_list("pk", flat=True)
    )
    unknown = [pk for pk in issuing if pk not in known]
    if unknown:
        fields["issuing_organisation_ids"] = [
            _("颁发机构不存在：%(ids)s。") % {"ids": "、".join(map(str, unknown))}
        ]
    if fields:
        raise LicenceError(
            INVALID_TYPE,
            _("证照类型信息有误，请按提示修改。"),
            fields=fields,
            status=INVALID,
        )
    type_code = organisation.credit_code + sequence
    if LicenceType.objects.filter(type_code=type_code).exists():
        message = _("证照类型代码 %(code)s 已被使用。") % {"code": type_code}
        raise LicenceError(
            TYPE_CODE_TAKEN, message, fields={"sequence": [message]}, status=409
        )
    licence_type = LicenceType(
        defining_organisation=organisation,
        type_code=type_code,
        name=name,
        holder_kind=holder_kind,
        face_schema=face_schema,
        valid_years=valid_years,
        layout_title=layout_title or name,
    )
    try:
        licence_type.full_clean()
    except ValidationError as error:
        raise LicenceError(
            INVALID_TYPE,
            _("证照类型信息有误，请按提示修改。"),
            fields=validation_fields(error),
            status=INVALID,
        ) from None
    licence_type.save()
    if issuing:
        licence_type.issuing_organisations.set(issuing)
    audit.record(
        acting_user=acting_user,
        event="licenses.type_defined",
        target=licence_type,
        data={"type_code": type_code, "name": name, "issuing": issuing},
    )
    return licence_type


# --- face data ------------------------------------------------------------------


def face_data_errors(schema: dict[str, Any], data: Any) -> dict[str, list[str]]:
    """Field → Chinese reasons of ``data`` against the face schema ({} if valid)."""
    properties = schema.get("properties") or {}
    fields: dict[str, list[str]] = {}
    if isinstance(data, dict):
        for name, value in data.items():
            if isinstance(value, float) and not math.isfinite(value):
                # NaN / infinity pass a "number" schema but are no JSON number
                spec = properties.get(name)
                title = spec.get("title", name) if isinstance(spec, dict) else name
                fields.setdefault(f"face_data.{name}", []).append(
                    _("“%(t)s”格式不正确。") % {"t": title}
                )
    for error in Draft202012Validator(schema).iter_errors(data):
        path = ".".join(str(part) for part in error.absolute_path)
        kind, value = error.validator, error.validator_value
        if kind == "required":
            missing = [p for p in value if isinstance(data, dict) and p not in data]
            name = next(
                (p for p in missing if str(error.message).startswith(repr(p))),
                missing[0] if missing else "",
            )
            path = f"{path}.{name}" if path else name
        top = path.split(".")[0] if path else ""
        spec = properties.get(top) if isinstance(properties.get(top), dict) else {}
        title = spec.get("title", top) if spec else top
        reason = {
            "required": _("“%(t)s”必填。"),
            "additionalProperties": _("照面信息包含类型未定义的字段。"),
            "type": _("“%(t)s”格式不正确。"),
            "maxLength": _("“%(t)s”过长。"),
            "minLength": _("“%(t)s”不能为空。"),
            "pattern": _("“%(t)s”格式不正确。"),
            "format": _("“%(t)s”格式不正确。"),
            "enum": _("“%(t)s”取值无效。"),
            "minimum": _("“%(t)s”过小。"),
            "maximum": _("“%(t)s”过大。"),
        }.get(kind, _("“%(t)s”取值无效。")) % {"t": title}
        fields.setdefault(f"face_data.{path}" if path else "face_data", []).append(
            reason
        )
    return fields


# --- issue ----------------------------------------------------------------------


def holder_errors(
    licence_type: LicenceType, holder_label: str, holder_code: str, holder_name: str
) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    if licence_type.holder_kind == HolderKind.PERSON:
        if not PERSON_LABEL.match(holder_label):
            fields["holder_label"] = [_("持证主体应为 person:<编号>。")]
        if not is_valid_id_number(holder_code):
            fields["holder_code"] = [_("持证主体代码应为有效的居民身份证号码。")]
        elif "holder_label" not in fields and (
            principal_for_code(holder_code) != holder_label
        ):
            # the ID number must be the holder's own, as an entity's code is
            fields["holder_code"] = [_("持证主体代码与持证主体不一致。")]
    else:
        if not ENTITY_LABEL.match(holder_label):
            fields["holder_label"] = [_("持证主体应为 entity:<统一社会信用代码>。")]
        if not is_valid_uscc(holder_code):
            fields["holder_code"] = [_("持证主体代码应为有效的统一社会信用代码。")]
        elif holder_label != f"entity:{holder_code}":
            fields["holder_code"] = [_("持证主体代码与持证主体不一致。")]
    if "holder_label" not in fields and not principal_exists(holder_label):
        fields["holder_label"] = [_("持证主体在本系统中不存在。")]
    if not holder_name.strip():
        fields["holder_name"] = [_("请填写持证主体名称。")]
    return fields


#: no licence of this platform's issuers was issued or valid before this day
EARLIEST_DAY = datetime.date(1949, 10, 1)


def _add_years(day: datetime.date, years: int) -> datetime.date | None:
    """``day`` ``years`` later (28 February for 29 February in a common year);
    None when that is past the last date there is (9999-12-31)."""
    year = day.year + years
    if not datetime.MINYEAR <= year <= datetime.MAXYEAR:
        return None
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February
        return day.replace(year=year, day=28)


def _next_serial(
    licence_type: LicenceType, issuer: Organisation, day: datetime.date
) -> str:
    """The next serial of the type at the issuer: the year and a counter. One
    statement (insert the pair's counter or bump it, returning the value), so the
    first two issues of a pair cannot race on creating the row; the row stays
    locked until the caller's transaction ends, so two issues never share one."""
    table = connection.ops.quote_name(LicenceSerial._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO {table} ("licence_type_id", "issuer_id", "last") '  # noqa: S608
            'VALUES (%s, %s, 1) ON CONFLICT ("licence_type_id", "issuer_id") '
            f'DO UPDATE SET "last" = {table}."last" + 1 RETURNING "last"',
            [licence_type.pk, issuer.pk],
        )
        last = cursor.fetchone()[0]
    return f"{day.year:04d}{last:08d}"


def reserve_serials(licence_type: LicenceType, issuer: Organisation, count: int) -> int:
    """Take ``count`` consecutive serial counters of the type at the issuer in one
    short transaction of its own and return the first. For a bulk import: the
    serial row is locked only for this statement, not for the whole import, so
    single issues of the pair are not held up. Counters reserved but not used
    (an import rolled back, or a row refused) stay unused: gaps in the counter
    are acceptable, two licences sharing one are not, and the counter only
    grows."""
    table = connection.ops.quote_name(LicenceSerial._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO {table} ("licence_type_id", "issuer_id", "last") '  # noqa: S608
            'VALUES (%s, %s, %s) ON CONFLICT ("licence_type_id", "issuer_id") '
            f'DO UPDATE SET "last" = {table}."last" + %s RETURNING "last"',
            [licence_type.pk, issuer.pk, count, count],
        )
        last = cursor.fetchone()[0]
    return last - count + 1


def _active_seal(issuer: Organisation) -> Seal:
    seal = Seal.objects.filter(organisation=issuer, active=True).order_by("-pk").first()
    if seal is None:
        raise LicenceError(
            NO_ACTIVE_SEAL,
            _("颁发机构“%(name)s”没有启用的电子印章。") % {"name": issuer.name},
            status=409,
        )
    return seal


def _render_and_sign(licence: Licence, *, holder_code: str) -> None:
    """File, digest, canonical metadata and signature of ``licence`` (unsaved)."""
    licence_type, issuer, seal = licence.licence_type, licence.issuer, licence.seal
    issued_on = licence.issued_at.astimezone(SHANGHAI).date()
    content = licence_pdf(
        LicenceLayout(
            title=licence_type.layout_title,
            identifier=licence.identifier,
            holder_name=licence.holder_name,
            face_rows=face_rows(licence_type.face_schema, licence.face_data),
            issuer_name=issuer.name,
            issued_on=issued_on,
            valid_from=licence.valid_from,
            valid_until=licence.valid_until,
            seal_name=issuer.name,
            seal_image=bytes(seal.image) if seal.image else None,
        )
    )
    licence.file, licence.file_sm3 = content, sm3_hex(content)
    metadata = licence_metadata(
        identifier=licence.identifier,
        licence_name=licence_type.layout_title,
        type_name=licence_type.name,
        type_code=licence_type.type_code,
        serial=licence.serial,
        issuer_name=issuer.name,
        issuer_code=issuer.credit_code,
        issued_on=issued_on,
        holder_name=licence.holder_name,
        holder_code=holder_code,
        holder_kind=licence_type.holder_kind,
        valid_from=licence.valid_from,
        valid_until=licence.valid_until,
        division_code=issuer.division.code,
        file_sm3=licence.file_sm3,
    )
    licence.signed_metadata = canonical_json(metadata)
    licence.signature = sign(
        seal=seal,
        payload=licence.signed_metadata,
        licence_identifier=licence.identifier,
    )


def _event(
    licence: Licence,
    kind: str,
    *,
    acting_user: AbstractBaseUser | None,
    actor_label: str,
    reason: str = "",
) -> None:
    user = (
        acting_user
        if acting_user is not None and acting_user.is_authenticated
        else None
    )
    LicenceEvent.objects.create(
        licence=licence,
        kind=kind,
        actor=user,
        actor_label=user.get_username() if user is not None else actor_label or SYSTEM,
        reason=reason,
        at=timezone.now(),
    )


@transaction.atomic
def licence_issue(
    *,
    type_code: str,
    issuer_organisation_id: int,
    holder_label: str,
    holder_code: str,
    holder_name: str,
    face_data: dict[str, Any],
    source_case_number: str = "",
    valid_from: datetime.date | None = None,
    issued_on: datetime.date | None = None,
    valid_until: datetime.date | None = None,
    acting_user: AbstractBaseUser | None,
    actor_label: str = "",
    reserved_serial: int | None = None,
) -> Licence:
    """Issue a licence of ``type_code`` by the issuing organisation: check the
    issuer may issue the type, validate holder and face data, take the next
    serial, render the PDF, sign its metadata with the issuer's seal, audit.

    ``issued_on`` is for a licence issued before (a historical licence imported):
    the day it was issued, not after today; it gives the issue time (midnight,
    Asia/Shanghai), the serial's year and the default first valid day.
    ``valid_until`` overrides the last valid day the type's validity gives.
    ``reserved_serial`` is a counter the caller took by :func:`reserve_serials`
    (a bulk import), used instead of taking the next one."""
    licence_type = LicenceType.objects.filter(type_code=type_code).first()
    if licence_type is None:
        message = _("证照类型不存在。")
        raise LicenceError(
            INVALID_TYPE, message, fields={"type_code": [message]}, status=404
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
            status=404,
        )
    if not _may_issue(acting_user, issuer):
        raise not_permitted(_("只有颁发机构的审批人员可以颁发电子证照。"))
    if (
        issuer.pk != licence_type.defining_organisation_id
        and not licence_type.issuing_organisations.filter(pk=issuer.pk).exists()
    ):
        raise LicenceError(
            ISSUER_NOT_AUTHORISED,
            _("“%(org)s”不是证照类型“%(type)s”的定义机构或授权颁发机构，不能颁发。")
            % {"org": issuer.name, "type": licence_type.name},
            status=403,
            type_code=type_code,
        )
    fields = holder_errors(licence_type, holder_label, holder_code, holder_name)
    if fields:
        raise LicenceError(
            INVALID_HOLDER, _("持证主体信息有误。"), fields=fields, status=INVALID
        )
    fields = face_data_errors(licence_type.face_schema, face_data)
    if fields:
        raise LicenceError(
            INVALID_FACE_DATA,
            _("照面信息有误，请按提示修改。"),
            fields=fields,
            status=INVALID,
        )
    dates = validity(
        licence_type,
        issued_on=issued_on,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    seal = _active_seal(issuer)
    now, start, until = dates
    issue_day = now.astimezone(SHANGHAI).date()
    if reserved_serial is not None:
        serial = f"{issue_day.year:04d}{reserved_serial:08d}"
    else:
        serial = _next_serial(licence_type, issuer, issue_day)
    licence = Licence(
        identifier=identifiers.build(
            type_code=type_code,
            issuer_code=issuer.credit_code,
            serial=serial,
            version=1,
        ),
        licence_type=licence_type,
        issuer=issuer,
        serial=serial,
        version=1,
        holder_label=holder_label,
        holder_name=holder_name.strip(),
        face_data=face_data,
        valid_from=start,
        valid_until=until,
        status=LicenceStatus.VALID,
        issued_at=now,
        source_case_number=source_case_number,
        seal=seal,
    )
    _render_and_sign(licence, holder_code=holder_code)
    licence.full_clean()
    licence.save(force_insert=True)
    _event(
        licence,
        LicenceEventKind.ISSUE,
        acting_user=acting_user,
        actor_label=actor_label,
    )
    audit.record(
        acting_user=acting_user,
        actor_label=actor_label or SYSTEM,
        event="licenses.issued",
        target=licence,
        data={
            "identifier": licence.identifier,
            "type_code": type_code,
            "issuer": issuer.credit_code,
            "holder": holder_label,
            "source_case_number": source_case_number,
            "file_sm3": licence.file_sm3,
        },
    )
    logger.info("licence_issued", licence_id=licence.pk, type_code=type_code)
    return licence


def validity(
    licence_type: LicenceType,
    *,
    issued_on: datetime.date | None = None,
    valid_from: datetime.date | None = None,
    valid_until: datetime.date | None = None,
) -> tuple[datetime.datetime, datetime.date, datetime.date | None]:
    """Issue time, first and last valid day of a new licence (see
    :func:`licence_issue`); a LicenceError naming the field when they cannot be."""
    now = timezone.now()
    today = now.astimezone(SHANGHAI).date()
    for name, day, message in (
        ("issued_on", issued_on, _("发证日期不能早于 1949-10-01。")),
        ("valid_from", valid_from, _("有效期起始日期不能早于 1949-10-01。")),
    ):
        if day is not None and day < EARLIEST_DAY:
            raise LicenceError(
                INVALID_VALIDITY, message, fields={name: [message]}, status=422
            )
    if issued_on is not None:
        if issued_on > today:
            message = _("发证日期不能晚于今天。")
            raise LicenceError(
                INVALID_VALIDITY, message, fields={"issued_on": [message]}, status=422
            )
        now = datetime.datetime.combine(issued_on, datetime.time(0), tzinfo=SHANGHAI)
    start = valid_from or (issued_on if issued_on is not None else today)
    until = valid_until if valid_until is not None else _until(licence_type, start)
    if until is not None and until < start:
        message = _("有效期截止日期不能早于有效期起始日期。")
        raise LicenceError(
            INVALID_VALIDITY, message, fields={"valid_until": [message]}, status=422
        )
    return now, start, until


def _until(licence_type: LicenceType, start: datetime.date) -> datetime.date | None:
    """The last valid day of a licence first valid on ``start`` (None: for good)."""
    if licence_type.valid_years is None:
        return None
    end = _add_years(start, licence_type.valid_years)
    if end is None or end == datetime.date.min:
        message = _(
            "有效期起始日期 %(d)s 加上有效期（%(n)s年）超出可表示的日期范围。"
        ) % {"d": start.isoformat(), "n": licence_type.valid_years}
        raise LicenceError(
            INVALID_VALIDITY, message, fields={"valid_from": [message]}, status=INVALID
        )
    return end - datetime.timedelta(days=1)


# --- lifecycle --------------------------------------------------------------------


def licence_select_for_update(identifier: str) -> Licence:
    licence = (
        Licence.objects.select_for_update()
        .select_related("licence_type", "issuer__division", "seal")
        .filter(identifier=identifier)
        .first()
    )
    if licence is None:
        raise not_found()
    return licence


def _lifecycle_checks(
    licence: Licence, target: str, acting_user: AbstractBaseUser | None, reason: str
) -> str:
    if not _may_issue(acting_user, licence.issuer):
        raise not_permitted()
    if target not in TRANSITIONS[licence.status]:
        raise invalid_transition(licence.status, identifier=licence.identifier)
    reason = (reason or "").strip()
    if not reason:
        raise reason_required()
    return reason


@transaction.atomic
def licence_change(
    *,
    identifier: str,
    face_data: dict[str, Any],
    reason: str,
    holder_code: str | None = None,
    holder_name: str | None = None,
    acting_user: AbstractBaseUser | None,
    actor_label: str = "",
) -> Licence:
    """A new version (same serial, version + 1, new identifier, new file and
    signature); the old version is superseded and stays as history."""
    old = licence_select_for_update(identifier)
    reason = _lifecycle_checks(old, LicenceStatus.SUPERSEDED, acting_user, reason)
    licence_type = old.licence_type
    name = holder_name if holder_name is not None else old.holder_name
    if holder_code is None:  # kept only in the (encrypted) signed metadata
        holder_code = str(json.loads(old.signed_metadata).get("holder_code", ""))
    fields = holder_errors(licence_type, old.holder_label, holder_code, name)
    if fields:
        raise LicenceError(
            INVALID_HOLDER, _("持证主体信息有误。"), fields=fields, status=INVALID
        )
    fields = face_data_errors(licence_type.face_schema, face_data)
    if fields:
        raise LicenceError(
            INVALID_FACE_DATA,
            _("照面信息有误，请按提示修改。"),
            fields=fields,
            status=INVALID,
        )
    old.status = LicenceStatus.SUPERSEDED
    old.save(update_fields=["status"])
    version = old.version + 1
    new = Licence(
        identifier=identifiers.build(
            type_code=licence_type.type_code,
            issuer_code=old.issuer.credit_code,
            serial=old.serial,
            version=version,
        ),
        licence_type=licence_type,
        issuer=old.issuer,
        serial=old.serial,
        version=version,
        holder_label=old.holder_label,
        holder_name=name.strip(),
        face_data=face_data,
        valid_from=old.valid_from,
        valid_until=old.valid_until,
        status=LicenceStatus.VALID,
        issued_at=timezone.now(),
        source_case_number=old.source_case_number,
        seal=_active_seal(old.issuer),
        previous=old,
    )
    _render_and_sign(new, holder_code=holder_code)
    new.full_clean()
    new.save(force_insert=True)
    _event(
        old,
        LicenceEventKind.CHANGE,
        acting_user=acting_user,
        actor_label=actor_label,
        reason=reason,
    )
    _event(
        new,
        LicenceEventKind.CHANGE,
        acting_user=acting_user,
        actor_label=actor_label,
        reason=reason,
    )
    audit.record(
        acting_user=acting_user,
        actor_label=actor_label or SYSTEM,
        event="licenses.changed",
        target=new,
        data={
            "identifier": new.identifier,
            "previous": old.identifier,
            "reason": reason,
            "file_sm3": new.file_sm3,
        },
    )
    return new


def _transition(
    *,
    identifier: str,
    target: str,
    kind: str,
    event: str,
    reason: str,
    acting_user: AbstractBaseUser | None,
    actor_label: str,
) -> Licence:
    licence = licence_select_for_update(identifier)
    reason = _lifecycle_checks(licence, target, acting_user, reason)
    previous_status = licence.status
    licence.status = target
    licence.save(update_fields=["status"])
    _event(
        licence, kind, acting_user=acting_user, actor_label=actor_label, reason=reason
    )
    audit.record(
        acting_user=acting_user,
        actor_label=actor_label or SYSTEM,
        event=event,
        target=licence,
        data={
            "identifier": licence.identifier,
            "from": previous_status,
            "to": target,
            "reason": reason,
        },
    )
    return licence


@transaction.atomic
def licence_suspend(
    *,
    identifier: str,
    reason: str,
    acting_user: AbstractBaseUser | None,
    actor_label: str = "",
) -> Licence:
    return _transition(
        identifier=identifier,
        target=LicenceStatus.SUSPENDED,
        kind=LicenceEventKind.SUSPEND,
        event="licenses.suspended",
        reason=reason,
        acting_user=acting_user,
        actor_label=actor_label,
    )


@transaction.atomic
def licence_resume(
    *,
    identifier: str,
    reason: str,
    acting_user: AbstractBaseUser | None,
    actor_label: str = "",
) -> Licence:
    return _transition(
        identifier=identifier,
        target=LicenceStatus.VALID,
        kind=LicenceEventKind.RESUME,
        event="licenses.resumed",
        reason=reason,
        acting_user=acting_user,
        actor_label=actor_label,
    )


@transaction.atomic
def licence_revoke(
    *,
    identifier: str,
    reason: str,
    acting_user: AbstractBaseUser | None,
    actor_label: str = "",
) -> Licence:
    return _transition(
        identifier=identifier,
        target=LicenceStatus.REVOKED,
        kind=LicenceEventKind.REVOKE,
        event="licenses.revoked",
        reason=reason,
        acting_user=acting_user,
        actor_label=actor_label,
    )


def expire_licences(
    *, today: datetime.date | None = None, batch_size: int = 500
) -> int:
    """Mark valid and suspended licences past their last valid day expired (the
    daily task). Idempotent: an expired licence is not touched again."""
    day = today or timezone.now().astimezone(SHANGHAI).date()
    total = 0
    while True:
        with transaction.atomic():
            batch = list(
                Licence.objects.select_for_update(skip_locked=True)
                .filter(
                    status__in=[LicenceStatus.VALID, LicenceStatus.SUSPENDED],
                    valid_until__lt=day,
                )
                .order_by("pk")[:batch_size]
            )
            for licence in batch:
                previous_status = licence.status
                licence.status = LicenceStatus.EXPIRED
                licence.save(update_fields=["status"])
                _event(
                    licence,
                    LicenceEventKind.EXPIRE,
                    acting_user=None,
                    actor_label=SYSTEM,
                    reason=_("有效期截止日期 %(d)s 已过。")
                    % {"d": licence.valid_until.isoformat()},
                )
                audit.record(
                    acting_user=None,
                    actor_label=SYSTEM,
                    event="licenses.expired",
                    target=licence,
                    data={
                        "identifier": licence.identifier,
                        "from": previous_status,
                        "valid_until": licence.valid_until.isoformat(),
                    },
                )
        total += len(batch)
        if len(batch) < batch_size:
            return total
