"""Writes to the catalogue. Each service checks who may do it, validates, saves and
records an audit event in the same transaction."""

import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max, Model
from django.utils import timezone
from django.utils.translation import gettext as _

from pydantic import ValidationError as PydanticValidationError

from zhengwu.core import audit
from zhengwu.core.crypto import sm3_hex
from zhengwu.core.errors import pydantic_fields, validation_fields
from zhengwu.core.models import Organisation
from zhengwu.identity.facade import staff_scope

from . import errors
from .codes import basic_code, implementation_code
from .constants import OPEN_STATUSES, TRANSITIONS, VersionStatus
from .downloads import usable_attachments
from .errors import CatalogError
from .files import check_upload
from .guide import Guide, check_rules, depth_level, shared_fingerprint
from .models import (
    Attachment,
    BaseItem,
    ItemType,
    Listing,
    ListingVersion,
    ReviewComment,
    Theme,
)
from .search import build_search_text
from .selectors import version_in_force

User = AbstractBaseUser


# --- permissions -------------------------------------------------------------


def _require_authority(user: User) -> None:
    if not staff_scope(user).can_review:
        raise CatalogError(
            errors.NOT_ALLOWED,
            _("只有编委办（目录管理机构）可以执行此操作。"),
            status=403,
        )


def _require_editor(user: User, organisation_id: int) -> None:
    if not staff_scope(user).can_edit_organisation(organisation_id):
        raise CatalogError(
            errors.NOT_ALLOWED, _("您只能编辑本单位的实施清单。"), status=403
        )


# --- guide validation --------------------------------------------------------


def parse_guide(data: dict[str, Any] | Guide) -> Guide:
    if isinstance(data, Guide):
        return data
    try:
        return Guide.model_validate(data)
    except PydanticValidationError as error:
        raise CatalogError(
            errors.INVALID_GUIDE,
            _("办事指南内容有误，请检查标出的字段。"),
            fields=pydantic_fields(error),
            status=422,
        ) from error


def _rule_error_fields(guide: Guide) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for issue in check_rules(guide):
        if issue.severity == "error":
            fields.setdefault(issue.field, []).append(issue.message)
    return fields


def _check_attachments(guide: Guide, *, organisation_id: int, user: User) -> None:
    """Every file the guide refers to exists and may be used by a draft of this
    organisation: publishing makes it public, so another department's unpublished file
    must not slip in by its id. An unusable file is reported as not existing."""
    ids = guide.attachment_ids()
    if not ids:
        return
    found = {
        str(pk)
        for pk in usable_attachments(user, organisation_id=organisation_id)
        .filter(pk__in=ids)
        .values_list("pk", flat=True)
    }
    missing = ids - found
    if missing:
        raise CatalogError(
            errors.INVALID_GUIDE,
            _("引用的附件不存在。"),
            fields={
                "attachments": [
                    _("附件不存在：%(id)s") % {"id": i} for i in sorted(missing)
                ]
            },
            status=422,
        )


def _apply_guide(version: ListingVersion, guide: Guide) -> None:
    version.guide = guide.model_dump(mode="json")
    version.is_online = guide.is_online
    version.depth_level = depth_level(guide.depth_stages)
    version.visits = guide.visits
    version.is_fee = guide.is_fee
    version.rule_error_count = sum(
        1 for i in check_rules(guide) if i.severity == "error"
    )
    version.shared_fingerprint = shared_fingerprint(guide)


GUIDE_FIELDS = [
    "guide",
    "is_online",
    "depth_level",
    "visits",
    "is_fee",
    "rule_error_count",
    "shared_fingerprint",
]


# --- base catalogue ----------------------------------------------------------


def _clean_legal_basis(legal_basis: list[dict[str, str]]) -> list[dict[str, str]]:
    cleaned: list[dict[str, str]] = []
    reasons: list[str] = []
    for index, entry in enumerate(legal_basis or []):
        law = str(entry.get("law", "")).strip() if isinstance(entry, dict) else ""
        if not law:
            reasons.append(_("第%(n)s条设定依据缺少法律法规名称。") % {"n": index + 1})
            continue
        cleaned.append(
            {
                "law": law[:200],
                "article": str(entry.get("article", "")).strip()[:50],
                "text": str(entry.get("text", "")).strip()[:4000],
            }
        )
    if reasons or not cleaned:
        raise CatalogError(
            errors.INVALID_LEGAL_BASIS,
            _("设定依据不完整。"),
            fields={"legal_basis": reasons or [_("至少填写一条设定依据。")]},
            status=422,
        )
    return cleaned


def _themes(codes: list[str]) -> list[Theme]:
    themes = list(Theme.objects.filter(code__in=codes))
    unknown = set(codes) - {t.code for t in themes}
    if unknown:
        raise CatalogError(
            errors.UNKNOWN_THEME,
            _("未知的主题分类。"),
            fields={"theme_codes": sorted(unknown)},
            status=422,
        )
    return themes


def _clean_name(name: str | None) -> str:
    """An item name as stored: trimmed, 1–200 characters (create and update alike)."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        message = _("事项名称必填，且不超过200个字符。")
        raise CatalogError(
            errors.INVALID_GUIDE, message, fields={"name": [message]}, status=422
        )
    return name


def _full_clean(instance: Model, *, message: str) -> None:
    """``full_clean`` whose refusal is a 422 naming each field, never a 500: a
    model check the service did not repeat still reaches the caller as a reason."""
    try:
        instance.full_clean()
    except ValidationError as error:
        raise CatalogError(
            errors.INVALID_FIELDS,
            message,
            fields=validation_fields(error),
            status=422,
        ) from error


def _check_name_free(name: str, exclude_pk: int | None = None) -> None:
    taken = BaseItem.objects.filter(name=name)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        message = _(
            "基本目录中已有同名事项“%(name)s”：同一事项只能有一个名称和编码。"
        ) % {"name": name}
        raise CatalogError(
            errors.NAME_TAKEN, message, fields={"name": [message]}, status=409
        )


@transaction.atomic
def base_item_create(
    *,
    name: str,
    item_type_code: str,
    acting_user: User,
    legal_basis: list[dict[str, str]],
    for_natural_person: bool = False,
    for_legal_person: bool = False,
    theme_codes: list[str] | None = None,
    parent: BaseItem | None = None,
    prefix: str | None = None,
) -> BaseItem:
    """Add an item to the base catalogue with a generated code: the next free main
    code within (prefix, type), or for a sub-item the parent's next sub-code."""
    from django.conf import settings

    _require_authority(acting_user)
    name = _clean_name(name)
    _check_name_free(name)
    cleaned_basis = _clean_legal_basis(legal_basis)
    themes = _themes(theme_codes or [])
    if parent is not None:
        if parent.parent_id is not None:
            message = _("子项不能再拆分子项：请选择主项。")
            raise CatalogError(
                errors.INVALID_CODE, message, fields={"parent": [message]}, status=422
            )
        item_type = parent.item_type
        prefix = parent.prefix
        main_code = parent.main_code
        # Lock the parent so two sub-items never take the same sub-code.
        BaseItem.objects.select_for_update().get(pk=parent.pk)
        last = BaseItem.objects.filter(parent=parent).aggregate(m=Max("sub_code"))["m"]
        next_sub = int(last or "000") + 1
        if next_sub > 999:
            raise CatalogError(
                errors.CODE_EXHAUSTED, _("该主项的子项编码已用完。"), status=409
            )
        sub_code = f"{next_sub:03d}"
    else:
        try:
            item_type = ItemType.objects.select_for_update().get(code=item_type_code)
        except ItemType.DoesNotExist:
            raise CatalogError(
                errors.UNKNOWN_ITEM_TYPE,
                _("未知的事项类型。"),
                fields={
                    "item_type_code": [
                        _("未知的事项类型：%(c)s") % {"c": item_type_code}
                    ]
                },
                status=422,
            ) from None
        prefix = prefix or settings.ZHENGWU_CATALOG_PREFIX
        last = BaseItem.objects.filter(
            prefix=prefix, item_type=item_type, parent__isnull=True
        ).aggregate(m=Max("main_code"))["m"]
        next_main = int(last or "00000") + 1
        if next_main > 99999:
            raise CatalogError(
                errors.CODE_EXHAUSTED, _("该类型的主项编码已用完。"), status=409
            )
        main_code = f"{next_main:05d}"
        sub_code = "000"
    code = basic_code(prefix, item_type.code, main_code, sub_code)
    item = BaseItem(
        code=code,
        prefix=prefix,
        item_type=item_type,
        main_code=main_code,
        sub_code=sub_code,
        parent=parent,
        name=name,
        legal_basis=cleaned_basis,
        for_natural_person=for_natural_person,
        for_legal_person=for_legal_person,
        search_text=build_search_text(name, code),
    )
    _full_clean(item, message=_("事项内容有误，请检查标出的字段。"))
    try:
        with transaction.atomic():
            item.save(force_insert=True)
    except IntegrityError as error:
        raise CatalogError(
            errors.NAME_TAKEN, _("事项名称或编码已被使用。"), status=409
        ) from error
    item.themes.set(themes)
    audit.record(
        acting_user=acting_user,
        event="catalog.base_item_created",
        target=item,
        data={"code": code, "name": name},
    )
    return item


@transaction.atomic
def base_item_update(
    *,
    item: BaseItem,
    acting_user: User,
    name: str | None = None,
    legal_basis: list[dict[str, str]] | None = None,
    for_natural_person: bool | None = None,
    for_legal_person: bool | None = None,
    theme_codes: list[str] | None = None,
) -> BaseItem:
    """Change what every listing of the item shares. The code never changes."""
    _require_authority(acting_user)
    item = BaseItem.objects.select_for_update().get(pk=item.pk)
    before = {"name": item.name, "legal_basis": item.legal_basis}
    if name is not None and (name := _clean_name(name)) != item.name:
        _check_name_free(name, exclude_pk=item.pk)
        item.name = name
        item.search_text = build_search_text(item.name, item.code)
    if legal_basis is not None:
        item.legal_basis = _clean_legal_basis(legal_basis)
    if for_natural_person is not None:
        item.for_natural_person = for_natural_person
    if for_legal_person is not None:
        item.for_legal_person = for_legal_person
    _full_clean(item, message=_("事项内容有误，请检查标出的字段。"))
    item.save()
    if theme_codes is not None:
        item.themes.set(_themes(theme_codes))
    audit.record(
        acting_user=acting_user,
        event="catalog.base_item_updated",
        target=item,
        data={
            "before": before,
            "after": {"name": item.name, "legal_basis": item.legal_basis},
        },
    )
    return item


# --- listings and versions ---------------------------------------------------


@transaction.atomic
def listing_create(
    *,
    base_item: BaseItem,
    organisation: Organisation,
    acting_user: User,
    level: int | None = None,
) -> Listing:
    """Register an organisation as implementer of a base item at a level; the
    implementation code is derived, never typed."""
    scope = staff_scope(acting_user)
    if not (scope.can_review or scope.can_edit_organisation(organisation.pk)):
        raise CatalogError(
            errors.NOT_ALLOWED, _("您只能为本单位认领事项。"), status=403
        )
    level = level or organisation.level
    if Listing.objects.filter(
        base_item=base_item, organisation=organisation, level=level
    ).exists():
        raise CatalogError(
            errors.LISTING_EXISTS, _("该实施主体已在此层级实施该事项。"), status=409
        )
    listing = Listing(
        base_item=base_item,
        organisation=organisation,
        level=level,
        division_id=organisation.division_id,
        code=implementation_code(organisation.credit_code, level, base_item.code),
    )
    _full_clean(listing, message=_("实施清单内容有误，请检查标出的字段。"))
    listing.save(force_insert=True)
    audit.record(
        acting_user=acting_user,
        event="catalog.listing_created",
        target=listing,
        data={"code": listing.code},
    )
    return listing


def _lock_version(version: ListingVersion | int) -> ListingVersion:
    pk = version if isinstance(version, int) else version.pk
    try:
        return (
            ListingVersion.objects.select_for_update()
            .select_related("listing")
            .get(pk=pk)
        )
    except ListingVersion.DoesNotExist:
        raise CatalogError(errors.NOT_FOUND, _("版本不存在。"), status=404) from None


def _transition(version: ListingVersion, target: str) -> None:
    if target not in TRANSITIONS[version.status]:
        raise CatalogError(
            errors.INVALID_TRANSITION,
            _("当前状态“%(s)s”不能执行此操作。") % {"s": version.get_status_display()},
            status=409,
        )
    version.status = target


@transaction.atomic
def version_create(
    *,
    listing: Listing,
    acting_user: User,
    guide: dict[str, Any] | Guide | None = None,
    change_reason: str = "",
) -> ListingVersion:
    """Open a new draft. Without ``guide`` it starts from the version in force."""
    _require_editor(acting_user, listing.organisation_id)
    Listing.objects.select_for_update().get(pk=listing.pk)
    if ListingVersion.objects.filter(
        listing=listing, status__in=OPEN_STATUSES
    ).exists():
        raise CatalogError(
            errors.OPEN_VERSION_EXISTS,
            _("该实施清单已有未发布的版本，请先完成或作废它。"),
            status=409,
        )
    if guide is None:
        current = version_in_force(listing)
        parsed = parse_guide(current.guide) if current else Guide()
    else:
        parsed = parse_guide(guide)
    _check_attachments(
        parsed, organisation_id=listing.organisation_id, user=acting_user
    )
    number = (listing.versions.aggregate(m=Max("number"))["m"] or 0) + 1
    version = ListingVersion(
        listing=listing,
        number=number,
        status=VersionStatus.DRAFT,
        change_reason=(change_reason or "").strip()[:4000],
        created_by=acting_user,
    )
    _apply_guide(version, parsed)
    version.save(force_insert=True)
    audit.record(
        acting_user=acting_user,
        event="catalog.version_created",
        target=version,
        data={
            "listing": listing.code,
            "number": number,
            "reason": version.change_reason,
        },
    )
    return version


@transaction.atomic
def version_update(
    *,
    version: ListingVersion | int,
    acting_user: User,
    guide: dict[str, Any] | Guide,
    change_reason: str | None = None,
) -> ListingVersion:
    """Save the draft's guide. Broken consistency rules are allowed in a draft (they
    are shown inline) but malformed values are not."""
    version = _lock_version(version)
    _require_editor(acting_user, version.listing.organisation_id)
    if version.status not in (VersionStatus.DRAFT, VersionStatus.RETURNED):
        raise CatalogError(
            errors.INVALID_TRANSITION,
            _("只有草稿或退回修改的版本可以编辑。"),
            status=409,
        )
    parsed = parse_guide(guide)
    _check_attachments(
        parsed, organisation_id=version.listing.organisation_id, user=acting_user
    )
    _apply_guide(version, parsed)
    fields = [*GUIDE_FIELDS, "updated_at"]
    if change_reason is not None:
        version.change_reason = change_reason.strip()[:4000]
        fields.append("change_reason")
    version.save(update_fields=fields)
    audit.record(
        acting_user=acting_user, event="catalog.version_updated", target=version
    )
    return version


def _require_rules(version: ListingVersion) -> None:
    fields = _rule_error_fields(parse_guide(version.guide))
    if fields:
        raise CatalogError(
            errors.RULES_BROKEN,
            _("办事指南不符合一致性规则，不能提交或发布。"),
            fields=fields,
            status=422,
        )


@transaction.atomic
def version_submit(
    *, version: ListingVersion | int, acting_user: User
) -> ListingVersion:
    version = _lock_version(version)
    _require_editor(acting_user, version.listing.organisation_id)
    _transition(version, VersionStatus.SUBMITTED)
    if not version.change_reason:
        message = _("提交审核前请填写变更原因。")
        raise CatalogError(
            errors.INVALID_GUIDE,
            message,
            fields={"change_reason": [message]},
            status=422,
        )
    _require_rules(version)
    version.submitted_by, version.submitted_at = acting_user, timezone.now()
    version.save(update_fields=["status", "submitted_by", "submitted_at", "updated_at"])
    audit.record(
        acting_user=acting_user, event="catalog.version_submitted", target=version
    )
    return version


@transaction.atomic
def version_comment(
    *, version: ListingVersion | int, acting_user: User, body: str, field: str = ""
) -> ReviewComment:
    version = _lock_version(version)
    scope = staff_scope(acting_user)
    if not (
        scope.can_review or scope.can_edit_organisation(version.listing.organisation_id)
    ):
        raise CatalogError(
            errors.NOT_ALLOWED, _("您无权对此版本发表意见。"), status=403
        )
    body = (body or "").strip()
    if not body:
        message = _("意见不能为空。")
        raise CatalogError(
            errors.INVALID_GUIDE, message, fields={"body": [message]}, status=422
        )
    comment = ReviewComment.objects.create(
        version=version, author=acting_user, body=body[:4000], field=field[:100]
    )
    audit.record(
        acting_user=acting_user,
        event="catalog.version_commented",
        target=version,
        data={"field": field, "body": body[:4000]},
    )
    return comment


@transaction.atomic
def version_return(
    *, version: ListingVersion | int, acting_user: User, comment: str
) -> ListingVersion:
    """The catalogue authority sends a submitted version back with its reasons."""
    _require_authority(acting_user)
    version = _lock_version(version)
    if not (comment or "").strip():
        message = _("退回时必须填写审核意见。")
        raise CatalogError(
            errors.INVALID_GUIDE, message, fields={"comment": [message]}, status=422
        )
    _transition(version, VersionStatus.RETURNED)
    version.reviewed_by, version.reviewed_at = acting_user, timezone.now()
    version.save(update_fields=["status", "reviewed_by", "reviewed_at", "updated_at"])
    ReviewComment.objects.create(
        version=version, author=acting_user, body=comment.strip()[:4000]
    )
    audit.record(
        acting_user=acting_user,
        event="catalog.version_returned",
        target=version,
        data={"comment": comment.strip()[:4000]},
    )
    return version


@transaction.atomic
def version_publish(
    *,
    version: ListingVersion | int,
    acting_user: User,
    effective_from: datetime.date | None = None,
    effective_until: datetime.date | None = None,
    comment: str = "",
) -> ListingVersion:
    """Publish a reviewed version. It comes into force on ``effective_from`` (today by
    default, never in the past); the version it replaces ends that day."""
    _require_authority(acting_user)
    version = _lock_version(version)
    today = timezone.localdate()
    effective_from = effective_from or today
    if effective_from < today:
        message = _("生效日期不能早于今天。")
        raise CatalogError(
            errors.INVALID_DATE,
            message,
            fields={"effective_from": [message]},
            status=422,
        )
    if effective_until is not None and effective_until <= effective_from:
        message = _("取消日期必须晚于生效日期。")
        raise CatalogError(
            errors.INVALID_DATE,
            message,
            fields={"effective_until": [message]},
            status=422,
        )
    _transition(version, VersionStatus.PUBLISHED)
    _require_rules(version)
    previous = ListingVersion.objects.select_for_update().filter(
        listing_id=version.listing_id, status=VersionStatus.PUBLISHED
    )
    # A version still running past the new start ends when the new one starts. A
    # version already scheduled to start on or after that day must be dealt with first.
    for older in previous:
        if older.effective_from >= effective_from:
            message = _("已有计划于%(d)s生效的版本，新版本的生效日期必须晚于它。") % {
                "d": older.effective_from
            }
            raise CatalogError(
                errors.INVALID_DATE,
                message,
                fields={"effective_from": [message]},
                status=409,
            )
        if older.effective_until is None or older.effective_until > effective_from:
            older.effective_until = effective_from
            older.save(update_fields=["effective_until", "updated_at"])
            audit.record(
                acting_user=acting_user,
                event="catalog.version_ended",
                target=older,
                data={"effective_until": effective_from},
            )
    version.effective_from = effective_from
    version.effective_until = effective_until
    version.reviewed_by = acting_user
    version.reviewed_at = version.published_at = timezone.now()
    version.save(
        update_fields=[
            "status",
            "effective_from",
            "effective_until",
            "reviewed_by",
            "reviewed_at",
            "published_at",
            "updated_at",
        ]
    )
    if comment.strip():
        ReviewComment.objects.create(
            version=version, author=acting_user, body=comment.strip()
        )
    Attachment.objects.filter(
        pk__in=parse_guide(version.guide).attachment_ids()
    ).update(is_public=True)
    audit.record(
        acting_user=acting_user,
        event="catalog.version_published",
        target=version,
        data={
            "effective_from": effective_from,
            "effective_until": effective_until,
            "comment": comment.strip(),
        },
    )
    return version


@transaction.atomic
def version_discard(
    *, version: ListingVersion | int, acting_user: User
) -> ListingVersion:
    version = _lock_version(version)
    _require_editor(acting_user, version.listing.organisation_id)
    _transition(version, VersionStatus.DISCARDED)
    version.save(update_fields=["status", "updated_at"])
    audit.record(
        acting_user=acting_user, event="catalog.version_discarded", target=version
    )
    return version


@transaction.atomic
def listing_cancel(
    *, listing: Listing, acting_user: User, cancel_on: datetime.date, reason: str
) -> ListingVersion:
    """Schedule the end of a listing (取消): its version in force ends on ``cancel_on``."""
    _require_authority(acting_user)
    if cancel_on < timezone.localdate():
        message = _("取消日期不能早于今天。")
        raise CatalogError(
            errors.INVALID_DATE, message, fields={"cancel_on": [message]}, status=422
        )
    if not reason.strip():
        message = _("取消事项必须说明原因。")
        raise CatalogError(
            errors.INVALID_GUIDE, message, fields={"reason": [message]}, status=422
        )
    current = version_in_force(listing)
    if current is None:
        raise CatalogError(errors.NOT_FOUND, _("该实施清单没有在用版本。"), status=404)
    current = _lock_version(current)
    if cancel_on <= current.effective_from:
        message = _("取消日期必须晚于生效日期。")
        raise CatalogError(
            errors.INVALID_DATE, message, fields={"cancel_on": [message]}, status=422
        )
    current.effective_until = cancel_on
    current.save(update_fields=["effective_until", "updated_at"])
    audit.record(
        acting_user=acting_user,
        event="catalog.listing_cancelled",
        target=listing,
        data={"cancel_on": cancel_on, "reason": reason.strip()},
    )
    return current


# --- attachments -------------------------------------------------------------


@transaction.atomic
def attachment_create(
    *,
    content: bytes,
    filename: str,
    acting_user: User,
    organisation: Organisation | None = None,
) -> Attachment:
    scope = staff_scope(acting_user)
    if not scope.is_staff_member:
        raise CatalogError(
            errors.NOT_ALLOWED, _("只有工作人员可以上传附件。"), status=403
        )
    if organisation is not None and not (
        scope.can_review or scope.can_edit_organisation(organisation.pk)
    ):
        raise CatalogError(
            errors.NOT_ALLOWED, _("您只能为本单位上传附件。"), status=403
        )
    kind = check_upload(content, filename)
    safe_name = (
        (filename or f"file.{kind.extension}")
        .replace("/", "_")
        .replace("\\", "_")[:200]
    )
    attachment = Attachment(
        original_name=safe_name,
        content_type=kind.content_type,
        size=len(content),
        sm3=sm3_hex(content),
        organisation=organisation,
        uploaded_by=acting_user,
    )
    attachment.file.save(
        f"{attachment.pk.hex}.{kind.extension}", ContentFile(content), save=False
    )
    attachment.save(force_insert=True)
    audit.record(
        acting_user=acting_user,
        event="catalog.attachment_uploaded",
        target=attachment,
        data={"name": safe_name, "size": len(content), "sm3": attachment.sm3},
    )
    return attachment
