"""/api/v1/catalog/: the public catalogue and its service guides; the staff's editing,
review, publication, files, consistency report, export and import.

Handlers parse, authorise (``auth`` on each operation, then the service's own check),
call one service or selector and present the result. The public sees only versions
in force today; staff see their organisations' versions (all for the catalogue
authority)."""

import re
import uuid
from typing import Annotated, Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

import structlog
from ninja import File, Form, Path, Query, Router, Status
from ninja.errors import AuthenticationError
from ninja.files import UploadedFile

from zhengwu.core.models import Organisation, OrganisationLevel
from zhengwu.core.schemas import ERRORS, ErrorOut, error_responses
from zhengwu.identity.facade import staff_scope

from . import errors, selectors, services, transfer
from .auth import request_user, require_staff_member, staff_auth
from .downloads import attachment_for_download, attachment_response, content_disposition
from .errors import CatalogError
from .guide import DEPTH_LABELS, DEPTH_STAGES, Guide, check_rules
from .models import (
    Attachment,
    BaseItem,
    ImportJob,
    ItemType,
    Listing,
    ListingVersion,
    ReviewComment,
    Theme,
)
from .schemas import (
    BASIC_CODE_PATTERN,
    LISTING_CODE_PATTERN,
    MAX_ID,
    AttachmentOut,
    CommentIn,
    CommentOut,
    DiffIn,
    DiffOut,
    ExportFiltersIn,
    GuideSaveIn,
    ImportJobOut,
    ItemCreateIn,
    ItemDetailOut,
    ItemFiltersIn,
    ItemOut,
    ItemPageOut,
    ItemTypeOut,
    ItemUpdateIn,
    ListingCancelIn,
    ListingCreateIn,
    ListingDetailOut,
    ListingFiltersIn,
    ListingPageOut,
    ListingRecordOut,
    PublishIn,
    ReportFiltersIn,
    ReportOut,
    ReturnIn,
    ThemeOut,
    VersionCreateIn,
    VersionFiltersIn,
    VersionOut,
    VersionPageOut,
)
from .search import normalise_query

logger = structlog.get_logger(__name__)

router = Router(tags=["catalog"])

NOT_SAME_LISTING = "catalog.not_same_listing"
EXPORT_TOO_LARGE = "catalog.export_too_large"

# What each kind of operation can answer besides success. Public reads fail only on
# a bad query (422) or an unknown code (404); staff operations can meet every error.
LIST_ERRORS = error_responses(422)
PUBLIC_ERRORS = error_responses(404, 422)
STAFF_ERRORS = ERRORS

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _binary_response(description: str, content_type: str) -> dict[str, Any]:
    return {
        "responses": {
            200: {
                "description": description,
                "content": {
                    content_type: {"schema": {"type": "string", "format": "binary"}}
                },
            }
        }
    }


def _not_found(message: str) -> CatalogError:
    return CatalogError(errors.NOT_FOUND, message, status=404)


def _page_limit(limit: int) -> int:
    return max(1, min(limit, selectors.PAGE_SIZE_MAX))


# --- presenters --------------------------------------------------------------


def _organisation(organisation: Organisation) -> dict[str, Any]:
    return {
        "id": organisation.pk,
        "credit_code": organisation.credit_code,
        "name": organisation.name,
    }


def _division(division: Any) -> dict[str, str]:
    return {"code": division.code, "name": division.name}


def _level_label(level: int) -> str:
    try:
        return str(OrganisationLevel(level).label)
    except ValueError:
        return str(level)


def _depth_label(level: int) -> str:
    return DEPTH_LABELS.get(level, str(level))


def _item(item: BaseItem) -> dict[str, Any]:
    return {
        "code": item.code,
        "name": item.name,
        "item_type": item.item_type.code,
        "item_type_name": item.item_type.name,
        "prefix": item.prefix,
        "main_code": item.main_code,
        "sub_code": item.sub_code,
        "parent_code": item.parent.code if item.parent_id else None,
        "legal_basis": item.legal_basis,
        "for_natural_person": item.for_natural_person,
        "for_legal_person": item.for_legal_person,
        "themes": [theme.code for theme in item.themes.all()],
        "is_active": item.is_active,
    }


def _items() -> QuerySet[BaseItem]:
    return BaseItem.objects.select_related("item_type", "parent").prefetch_related(
        Prefetch("themes", queryset=Theme.objects.order_by("code"))
    )


def _listing_summary(version: ListingVersion) -> dict[str, Any]:
    listing = version.listing
    return {
        "code": listing.code,
        "name": listing.base_item.name,
        "item_code": listing.base_item.code,
        "item_type": listing.base_item.item_type.code,
        "organisation": _organisation(listing.organisation),
        "division": _division(listing.division),
        "level": listing.level,
        "level_label": _level_label(listing.level),
        "is_online": version.is_online,
        "depth_level": version.depth_level,
        "depth_label": _depth_label(version.depth_level),
        "visits": version.visits,
        "effective_from": version.effective_from,
        "effective_until": version.effective_until,
    }


def _attachment_url(attachment_id: uuid.UUID | str) -> str:
    return reverse(
        "api-v1:catalog_attachment_download",
        kwargs={"attachment_id": str(attachment_id)},
    )


def _downloads(guide: Guide) -> list[dict[str, Any]]:
    """The files of a guide in force, in the order the guide names them."""
    wanted: list[tuple[str, str, str | None]] = []
    for material in guide.materials:
        if material.blank_form:
            wanted.append((material.blank_form, "blank_form", material.name))
        if material.sample:
            wanted.append((material.sample, "sample", material.name))
    if guide.result_sample:
        wanted.append((guide.result_sample, "result_sample", guide.result_name or None))
    ids = {attachment_id for attachment_id, _role, _material in wanted}
    found = {
        str(attachment.pk): attachment
        for attachment in Attachment.objects.filter(pk__in=ids, is_public=True)
    }
    downloads = []
    for attachment_id, role, material in wanted:
        attachment = found.get(attachment_id)
        if attachment is None:
            continue
        downloads.append(
            {
                "attachment_id": attachment.pk,
                "role": role,
                "material": material,
                "name": attachment.original_name,
                "content_type": attachment.content_type,
                "size": attachment.size,
                "url": _attachment_url(attachment.pk),
            }
        )
    return downloads


def _listing_detail(version: ListingVersion) -> dict[str, Any]:
    guide = Guide.model_validate(version.guide)
    item = version.listing.base_item
    return {
        **_listing_summary(version),
        "item_type_name": item.item_type.name,
        "legal_basis": item.legal_basis,
        "version_number": version.number,
        "published_at": version.published_at,
        "depth_stages": [
            {"code": stage, "label": DEPTH_STAGES[stage]}
            for stage in guide.depth_stages
        ],
        "guide": guide,
        "downloads": _downloads(guide),
    }


def _listing_record(listing: Listing) -> dict[str, Any]:
    return {
        "code": listing.code,
        "item_code": listing.base_item.code,
        "name": listing.base_item.name,
        "organisation": _organisation(listing.organisation),
        "division": _division(listing.division),
        "level": listing.level,
        "level_label": _level_label(listing.level),
        "created_at": listing.created_at,
    }


def _version_summary(version: ListingVersion) -> dict[str, Any]:
    listing = version.listing
    return {
        "id": version.pk,
        "listing_code": listing.code,
        "name": listing.base_item.name,
        "organisation": _organisation(listing.organisation),
        "division": _division(listing.division),
        "number": version.number,
        "status": version.status,
        "status_label": str(version.get_status_display()),
        "change_reason": version.change_reason,
        "effective_from": version.effective_from,
        "effective_until": version.effective_until,
        "is_online": version.is_online,
        "depth_level": version.depth_level,
        "depth_label": _depth_label(version.depth_level),
        "rule_error_count": version.rule_error_count,
        "submitted_at": version.submitted_at,
        "reviewed_at": version.reviewed_at,
        "published_at": version.published_at,
        "created_at": version.created_at,
        "updated_at": version.updated_at,
    }


def _comment(comment: ReviewComment) -> dict[str, Any]:
    author = comment.author
    return {
        "id": comment.pk,
        "author": author.get_full_name() or author.get_username(),
        "field": comment.field,
        "body": comment.body,
        "created_at": comment.created_at,
    }


def _version(version: ListingVersion) -> dict[str, Any]:
    guide = Guide.model_validate(version.guide)
    comments = version.comments.select_related("author").order_by("created_at", "pk")
    return {
        **_version_summary(version),
        "guide": guide,
        "issues": [
            {
                "code": issue.code,
                "field": issue.field,
                "message": issue.message,
                "severity": issue.severity,
            }
            for issue in check_rules(guide)
        ],
        "comments": [_comment(comment) for comment in comments],
    }


def _attachment(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "name": attachment.original_name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sm3": attachment.sm3,
        "organisation_id": attachment.organisation_id,
        "is_public": attachment.is_public,
        "url": _attachment_url(attachment.pk),
        "created_at": attachment.created_at,
    }


# --- lookups -----------------------------------------------------------------


def _item_by_code(code: str, *, active_only: bool = False) -> BaseItem:
    items = _items().filter(code=code)
    if active_only:
        items = items.filter(is_active=True)
    item = items.first()
    if item is None:
        raise _not_found(_("事项不存在。"))
    return item


def _listing_by_code(code: str) -> Listing:
    listing = (
        Listing.objects.select_related("base_item", "organisation", "division")
        .filter(code=code)
        .first()
    )
    if listing is None:
        raise _not_found(_("实施清单不存在。"))
    return listing


def _staff_version(user: Any, version_id: int) -> ListingVersion:
    """A version the user may see as staff; 404 otherwise, so ids reveal nothing."""
    version = (
        selectors.versions_for_user(user)
        .select_related("listing__base_item__item_type")
        .filter(pk=version_id)
        .first()
    )
    if version is None:
        raise _not_found(_("版本不存在。"))
    return version


def _reference_error(field: str, message: str) -> CatalogError:
    return CatalogError(
        errors.NOT_FOUND, message, fields={field: [message]}, status=422
    )


def _clean_filename(name: str | None) -> str:
    return _CONTROL.sub("", name or "").strip()[:200]


# --- code tables -------------------------------------------------------------


@router.get(
    "/item-types",
    response={200: list[ItemTypeOut]},
    auth=None,
    summary="事项类型 code table",
)
def list_item_types(request: HttpRequest) -> list[ItemType]:
    return list(ItemType.objects.all())


@router.get(
    "/themes",
    response={200: list[ThemeOut]},
    auth=None,
    summary="主题 for browsing, per audience",
)
def list_themes(request: HttpRequest) -> list[Theme]:
    return list(Theme.objects.all())


# --- base catalogue ----------------------------------------------------------


@router.get(
    "/items",
    response={200: ItemPageOut, **LIST_ERRORS},
    auth=None,
    summary="Base catalogue (基本目录), keyset paginated",
)
def list_items(request: HttpRequest, filters: Query[ItemFiltersIn]) -> dict[str, Any]:
    items = _items().filter(is_active=True)
    term = normalise_query(filters.q or "")
    if term:
        items = items.filter(search_text__contains=term)
    if filters.item_type:
        items = items.filter(item_type__code=filters.item_type)
    if filters.theme:
        items = items.filter(themes__code=filters.theme)
    if filters.audience == "natural":
        items = items.filter(for_natural_person=True)
    elif filters.audience == "legal":
        items = items.filter(for_legal_person=True)
    if filters.after:
        items = items.filter(pk__gt=filters.after)
    limit = _page_limit(filters.limit)
    page = list(items.order_by("pk")[: limit + 1])
    next_cursor = page[limit - 1].pk if len(page) > limit else None
    return {"items": [_item(i) for i in page[:limit]], "next_cursor": next_cursor}


@router.get(
    "/items/{code}",
    response={200: ItemDetailOut, **PUBLIC_ERRORS},
    auth=None,
    summary="One base item with its listings in force",
)
def get_item(
    request: HttpRequest, code: str = Path(..., pattern=BASIC_CODE_PATTERN)
) -> dict[str, Any]:
    item = _item_by_code(code, active_only=True)
    listings = selectors.public_listings_of_item(item)
    return {**_item(item), "listings": [_listing_summary(v) for v in listings]}


@router.post(
    "/items",
    response={201: ItemOut, **STAFF_ERRORS},
    auth=staff_auth,
    summary="Add a base item (catalogue authority); the code is generated",
)
def create_item(request: HttpRequest, payload: ItemCreateIn) -> tuple[int, Any]:
    parent = None
    if payload.parent_code:
        parent = BaseItem.objects.filter(code=payload.parent_code).first()
        if parent is None:
            raise _reference_error("parent_code", _("主项不存在。"))
        if parent.parent_id is not None:
            message = _("子项不能再拆分子项。")
            raise CatalogError(
                errors.INVALID_CODE,
                message,
                fields={"parent_code": [message]},
                status=422,
            )
    item_type = payload.item_type or (parent.item_type.code if parent else "")
    if not item_type:
        message = _("主项必须选择事项类型。")
        raise CatalogError(
            errors.UNKNOWN_ITEM_TYPE,
            message,
            fields={"item_type": [message]},
            status=422,
        )
    item = services.base_item_create(
        name=payload.name,
        item_type_code=item_type,
        acting_user=request.auth,
        legal_basis=[entry.model_dump() for entry in payload.legal_basis],
        for_natural_person=payload.for_natural_person,
        for_legal_person=payload.for_legal_person,
        theme_codes=payload.themes,
        parent=parent,
    )
    return Status(201, _item(_item_by_code(item.code)))


@router.patch(
    "/items/{code}",
    response={200: ItemOut, **STAFF_ERRORS},
    auth=staff_auth,
    summary="Change a base item (catalogue authority); only the fields sent",
)
def update_item(
    request: HttpRequest,
    payload: ItemUpdateIn,
    code: str = Path(..., pattern=BASIC_CODE_PATTERN),
) -> dict[str, Any]:
    item = _item_by_code(code)
    changes = payload.model_dump(exclude_unset=True)
    if "themes" in changes:
        changes["theme_codes"] = changes.pop("themes")
    services.base_item_update(item=item, acting_user=request.auth, **changes)
    return _item(_item_by_code(code))


# --- listings (public) -------------------------------------------------------


@router.get(
    "/listings",
    response={200: ListingPageOut, **LIST_ERRORS},
    auth=None,
    summary="Search the listings in force (实施清单), keyset paginated",
)
def search_listings(
    request: HttpRequest, filters: Query[ListingFiltersIn]
) -> dict[str, Any]:
    page, next_cursor = selectors.search_versions(
        selectors.SearchFilters(
            query=filters.q or "",
            division_code=filters.division,
            organisation_id=filters.organisation,
            audience=filters.audience,
            theme=filters.theme,
            item_type=filters.item_type,
            is_online=filters.online,
        ),
        after=filters.after,
        limit=filters.limit,
    )
    return {"items": [_listing_summary(v) for v in page], "next_cursor": next_cursor}


@router.get(
    "/listings/{code}",
    response={200: ListingDetailOut, **PUBLIC_ERRORS},
    auth=None,
    summary="The service guide in force of one listing",
)
def get_listing(
    request: HttpRequest, code: str = Path(..., pattern=LISTING_CODE_PATTERN)
) -> dict[str, Any]:
    version = selectors.public_version_for(code)
    if version is None:
        raise _not_found(_("实施清单不存在或未生效。"))
    return _listing_detail(version)


# --- listings (staff) --------------------------------------------------------


@router.post(
    "/listings",
    response={201: ListingRecordOut, **STAFF_ERRORS},
    auth=staff_auth,
    summary="Claim a base item for an implementing organisation",
)
def create_listing(request: HttpRequest, payload: ListingCreateIn) -> tuple[int, Any]:
    item = BaseItem.objects.filter(code=payload.item_code, is_active=True).first()
    if item is None:
        raise _reference_error("item_code", _("事项不存在。"))
    organisation = Organisation.objects.filter(pk=payload.organisation_id).first()
    if organisation is None:
        raise _reference_error("organisation_id", _("实施主体不存在。"))
    listing = services.listing_create(
        base_item=item,
        organisation=organisation,
        acting_user=request.auth,
        level=payload.level,
    )
    return Status(201, _listing_record(_listing_by_code(listing.code)))


@router.post(
    "/listings/{code}/versions",
    response={201: VersionOut, **STAFF_ERRORS},
    auth=staff_auth,
    summary="Open a new draft of a listing's guide",
)
def create_version(
    request: HttpRequest,
    payload: VersionCreateIn,
    code: str = Path(..., pattern=LISTING_CODE_PATTERN),
) -> tuple[int, Any]:
    listing = _listing_by_code(code)
    version = services.version_create(
        listing=listing,
        acting_user=request.auth,
        guide=payload.guide,
        change_reason=payload.change_reason,
    )
    return Status(201, _version(_staff_version(request.auth, version.pk)))


@router.post(
    "/listings/{code}/cancel",
    response={200: VersionOut, **STAFF_ERRORS},
    auth=staff_auth,
    summary="Schedule the cancellation of a listing (catalogue authority)",
)
def cancel_listing(
    request: HttpRequest,
    payload: ListingCancelIn,
    code: str = Path(..., pattern=LISTING_CODE_PATTERN),
) -> dict[str, Any]:
    listing = _listing_by_code(code)
    version = services.listing_cancel(
        listing=listing,
        acting_user=request.auth,
        cancel_on=payload.cancel_on,
        reason=payload.reason,
    )
    return _version(_staff_version(request.auth, version.pk))


# --- versions ----------------------------------------------------------------


@router.get(
    "/versions",
    response={200: VersionPageOut, **STAFF_ERRORS},
    auth=staff_auth,
    summary="Versions the caller may see as staff, by id, keyset paginated",
)
def list_versions(
    request: HttpRequest, filters: Query[VersionFiltersIn]
) -> dict[str, Any]:
    require_staff_member(request.auth)
    versions = selectors.versions_for_user(request.auth)
    if filters.status:
        versions = versions.filter(status=filters.status)
    if filters.organisation:
        versions = versions.filter(listing__organisation_id=filters.organisation)
    if filters.listing:
        versions = versions.filter(listing__code=filters.listing)
    if filters.after:
        versions = versions.filter(pk__gt=filters.after)
    limit = _page_limit(filters.limit)
    page = list(versions.order_by("pk")[: limit + 1])
    next_cursor = page[limit - 1].pk if len(page) > limit else None
    return {
        "items": [_version_summary(v) for v in page[:limit]],
        "next_cursor": next_cursor,
    }


VersionId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get(
    "/versions/{version_id}",
    response={200: VersionOut, **STAFF_ERRORS},
    auth=staff_auth,
    summary="One version with its guide, rule issues and review comments",
)
def get_version(request: HttpRequest, version_id: VersionId) -> dict[str, Any]:
    return _version(_staff_version(request.auth, version_id))


@router.put(
    "/versions/{version_id}/guide",
    response={200: VersionOut, **STAFF_ERRORS},
    auth=staff_auth,
    summary="Save a draft's guide; answers the saved version with its rule issues",
    description="Malformed values are refused (422 `catalog.invalid_guide`, Chinese "
    "reasons per field); broken consistency rules are saved and listed in `issues`, "
    "which block submission and publication while any has severity `error`.",
)
def save_guide(
    request: HttpRequest, payload: GuideSaveIn, version_id: VersionId
) -> dict[str, Any]:
    services.version_update(
        version=version_id,
        acting_user=request.auth,
        guide=payload.guide,
        change_reason=payload.change_reason,
    )
    return _version(_staff_version(request.auth, version_id))


@router.post(
    "/versions/{version_id}/submit",
    response={200: VersionOut, **STAFF_ERRORS},
    auth=staff_auth,
    summary="Submit a draft for review",
)
def submit_version(request: HttpRequest, version_id: VersionId) -> dict[str, Any]:
    services.version_submit(version=version_id, acting_user=request.auth)
    return _version(_staff_version(request.auth, version_id))


@router.post(
    "/versions/{version_id}/return",
    response={200: VersionOut, **STAFF_ERRORS},
    auth=staff_auth,
    summary="Return a submitted version with review comments (catalogue authority)",
)
def return_version(
    request: HttpRequest, payload: ReturnIn, version_id: VersionId
) -> dict[str, Any]:
    services.version_return(
        version=version_id, acting_user=request.auth, comment=payload.comment
    )
    return _version(_staff_version(request.auth, version_id))


@router.post(
    "/versions/{version_id}/publish",
    response={200: VersionOut, **STAFF_ERRORS},
    auth=staff_auth,
    summary="Publish a submitted version with its effective dates (authority)",
)
def publish_version(
    request: HttpRequest, payload: PublishIn, version_id: VersionId
) -> dict[str, Any]:
    services.version_publish(
        version=version_id,
        acting_user=request.auth,
        effective_from=payload.effective_from,
        effective_until=payload.effective_until,
        comment=payload.comment,
    )
    return _version(_staff_version(request.auth, version_id))


@router.post(
    "/versions/{version_id}/discard",
    response={200: VersionOut, **STAFF_ERRORS},
    auth=staff_auth,
    summary="Discard a draft or returned version",
)
def discard_version(request: HttpRequest, version_id: VersionId) -> dict[str, Any]:
    services.version_discard(version=version_id, acting_user=request.auth)
    return _version(_staff_version(request.auth, version_id))


@router.post(
    "/versions/{version_id}/comments",
    response={201: CommentOut, **STAFF_ERRORS},
    auth=staff_auth,
    summary="Comment on a version (its editors and the catalogue authority)",
)
def comment_version(
    request: HttpRequest, payload: CommentIn, version_id: VersionId
) -> tuple[int, Any]:
    comment = services.version_comment(
        version=version_id,
        acting_user=request.auth,
        body=payload.body,
        field=payload.field,
    )
    return Status(201, _comment(comment))


@router.get(
    "/versions/{version_id}/diff",
    response={200: DiffOut, **STAFF_ERRORS},
    auth=staff_auth,
    summary="Field-level changes from version `against` to this version",
)
def diff_versions(
    request: HttpRequest, query: Query[DiffIn], version_id: VersionId
) -> dict[str, Any]:
    version = _staff_version(request.auth, version_id)
    against = _staff_version(request.auth, query.against)
    if against.listing_id != version.listing_id:
        message = _("只能比较同一实施清单的两个版本。")
        raise CatalogError(
            NOT_SAME_LISTING, message, fields={"against": [message]}, status=422
        )
    changes = selectors.diff_guides(against.guide, version.guide)
    return {
        "listing_code": version.listing.code,
        "version_id": version.pk,
        "against_id": against.pk,
        "changes": [
            {"path": change.path, "old": change.old, "new": change.new}
            for change in changes
        ],
    }


# --- attachments -------------------------------------------------------------


@router.post(
    "/attachments",
    response={201: AttachmentOut, **STAFF_ERRORS},
    auth=staff_auth,
    summary="Upload a guide file (form, sample, result sample)",
    description="PDF, OFD, Word, Excel, PNG or JPEG, recognised by content; at most "
    "ZHENGWU_ATTACHMENT_MAX_BYTES. Not public until a version using it is published.",
)
def upload_attachment(
    request: HttpRequest,
    file: File[UploadedFile],
    organisation_id: int | None = Form(None, ge=1, le=MAX_ID),
) -> tuple[int, Any]:
    organisation = None
    if organisation_id is not None:
        organisation = Organisation.objects.filter(pk=organisation_id).first()
        if organisation is None:
            raise _reference_error("organisation_id", _("实施主体不存在。"))
    # Read one byte past the limit: enough to refuse a larger file without reading it.
    content = file.read(settings.ZHENGWU_ATTACHMENT_MAX_BYTES + 1)
    attachment = services.attachment_create(
        content=content,
        filename=_clean_filename(file.name),
        acting_user=request.auth,
        organisation=organisation,
    )
    return Status(201, _attachment(attachment))


@router.get(
    "/attachments/{attachment_id}",
    response=PUBLIC_ERRORS,
    auth=None,
    url_name="catalog_attachment_download",
    summary="Download a guide file",
    description="Anyone may download a published file. An unpublished file is served "
    "only to staff of its organisation, its uploader and the catalogue authority; "
    "everyone else gets 404, so its existence is not revealed.",
    openapi_extra=_binary_response("the file", "application/octet-stream"),
)
def download_attachment(request: HttpRequest, attachment_id: uuid.UUID) -> HttpResponse:
    attachment = attachment_for_download(attachment_id, request_user(request))
    response = attachment_response(attachment) if attachment is not None else None
    if response is None:
        raise _not_found(_("文件不存在。"))
    return response


# --- consistency report ------------------------------------------------------


@router.get(
    "/report/consistency",
    response={200: ReportOut, **STAFF_ERRORS},
    auth=staff_auth,
    summary="Listings breaking the guide rules or differing between regions",
)
def consistency_report(
    request: HttpRequest, filters: Query[ReportFiltersIn]
) -> dict[str, Any]:
    require_staff_member(request.auth)
    report = selectors.consistency_report(
        user=request.auth,
        division_code=filters.division,
        organisation_id=filters.organisation,
    )
    return {
        "checked": report.checked,
        "rows": [
            {
                "listing_code": row.version.listing.code,
                "name": row.version.listing.base_item.name,
                "organisation": _organisation(row.version.listing.organisation),
                "division": _division(row.version.listing.division),
                "version_id": row.version.pk,
                "number": row.version.number,
                "status": row.version.status,
                "problems": row.problems,
                "problem_labels": [
                    selectors.PROBLEM_LABELS.get(p, p) for p in row.problems
                ],
            }
            for row in report.rows
        ],
        "by_division": {k: dict(v) for k, v in report.by_division.items()},
        "by_organisation": {k: dict(v) for k, v in report.by_organisation.items()},
        "labels": dict(selectors.PROBLEM_LABELS),
    }


# --- export and import -------------------------------------------------------

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _export_max_rows() -> int:
    return int(getattr(settings, "ZHENGWU_EXPORT_MAX_ROWS", 10_000))


def _export_versions(
    request: HttpRequest, filters: ExportFiltersIn
) -> QuerySet[ListingVersion]:
    """The versions an export covers: the catalogue in force for the public; the
    caller's organisations (in force or of one status) for signed-in staff."""
    today = timezone.localdate()
    if filters.scope == "staff":
        user = request_user(request)
        if user is None:
            raise AuthenticationError()
        require_staff_member(user)
        versions = selectors.versions_for_user(user)
        if filters.status == "in_force":
            versions = versions.filter(selectors.in_force_q(today))
        else:
            versions = versions.filter(status=filters.status)
    else:
        if filters.status != "in_force":
            message = _("公开导出只包含在用版本；其他状态请以工作人员身份导出。")
            raise CatalogError(
                errors.NOT_ALLOWED, message, fields={"status": [message]}, status=422
            )
        versions = selectors.public_versions(today)
    if filters.division:
        versions = versions.filter(
            listing__division__code__in=selectors.division_codes_under(filters.division)
        )
    if filters.organisation:
        versions = versions.filter(listing__organisation_id=filters.organisation)
    if filters.item_type:
        versions = versions.filter(
            listing__base_item__item_type__code=filters.item_type
        )
    versions = versions.order_by("listing_id", "number")
    limit = _export_max_rows()
    if versions.count() > limit:
        message = _("导出超过%(n)s条，请按区划、实施主体或事项类型缩小范围。") % {
            "n": limit
        }
        raise CatalogError(EXPORT_TOO_LARGE, message, status=422)
    return versions


def _download_name(extension: str) -> str:
    return f"catalog-{timezone.localdate():%Y%m%d}.{extension}"


EXPORT_DESCRIPTION = (
    "`scope=public` (default, no sign-in): the listings in force today. "
    "`scope=staff`: the signed-in caller's organisations (all for the catalogue "
    "authority), in force or of one `status`. At most ZHENGWU_EXPORT_MAX_ROWS "
    "versions (422 `catalog.export_too_large` beyond)."
)


@router.get(
    "/export.xlsx",
    response={401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    auth=None,
    summary="Export listings with their guides as an Excel workbook",
    description=EXPORT_DESCRIPTION,
    openapi_extra=_binary_response("the workbook", XLSX_CONTENT_TYPE),
)
def export_xlsx(request: HttpRequest, filters: Query[ExportFiltersIn]) -> HttpResponse:
    content = transfer.export_workbook(_export_versions(request, filters))
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(_download_name("xlsx"))
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.get(
    "/export.json",
    response={200: list[dict[str, Any]], 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    auth=None,
    summary="Export listings with their guides as JSON (national exchange names)",
    description=EXPORT_DESCRIPTION,
)
def export_json(
    request: HttpRequest, filters: Query[ExportFiltersIn]
) -> list[dict[str, Any]]:
    return transfer.export_json(_export_versions(request, filters))


def _import_job(job: ImportJob) -> dict[str, Any]:
    return {
        "id": job.pk,
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "original_name": job.original_name,
        "total_rows": job.total_rows,
        "processed_rows": job.processed_rows,
        "errors": job.errors,
        "summary": job.summary,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


@router.post(
    "/imports",
    response={202: ImportJobOut, **STAFF_ERRORS},
    auth=staff_auth,
    summary="Upload a workbook to import; answers the queued job",
    description="All-or-nothing: every cell is checked first; changed listings "
    "become drafts (never submitted or published). Poll `GET imports/{job_id}`.",
)
def start_import(request: HttpRequest, file: File[UploadedFile]) -> tuple[int, Any]:
    # Read one byte past the limit: enough to refuse a larger file without reading it.
    content = file.read(settings.ZHENGWU_IMPORT_MAX_BYTES + 1)
    job = transfer.import_start(
        content=content,
        filename=_clean_filename(file.name),
        acting_user=request.auth,
    )
    return Status(202, _import_job(job))


@router.get(
    "/imports/{job_id}",
    response={200: ImportJobOut, **STAFF_ERRORS},
    auth=staff_auth,
    summary="Progress and result of an import (its uploader or the authority)",
)
def get_import(
    request: HttpRequest, job_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> dict[str, Any]:
    job = ImportJob.objects.filter(pk=job_id).first()
    user = request.auth
    if job is None or not (
        job.uploaded_by_id == user.pk or staff_scope(user).can_review
    ):
        raise _not_found(_("导入任务不存在。"))
    return _import_job(job)
