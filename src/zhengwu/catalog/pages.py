"""Small reads the portal pages need and no selector offers: divisions for browsing,
organisations, themes, attachments for download, staff listings with their versions,
comments, import jobs.

The portal may not import ``catalog.models``; it reads through these helpers and
``selectors``. Every helper that takes a user applies the same scope as the selectors:
an editor sees their organisations' rows, the catalogue authority sees everything."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Q
from django.utils import timezone

from zhengwu.core.models import Division, Organisation, OrganisationLevel
from zhengwu.identity.facade import staff_scope

from .constants import OPEN_STATUSES, VersionStatus
from .downloads import downloadable_attachments, usable_attachments
from .models import (
    ImportJob,
    ItemType,
    Listing,
    ListingVersion,
    ReviewComment,
    Theme,
)
from .search import normalise_query
from .selectors import (
    division_codes_under,
    in_force_q,
    listings_for_user,
    versions_for_user,
)

UserLike = AbstractBaseUser | AnonymousUser

# Database integer keys are 64-bit; anything longer is not an id of ours.
MAX_ID = 2**63 - 1


def parse_id(value: object) -> int | None:
    """A positive database id from user input, or None (never raises)."""
    text = str(value or "").strip()
    if not text.isdigit() or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def parse_uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value or "").strip())
    except ValueError:
        return None


# --- divisions ---------------------------------------------------------------


def province() -> Division | None:
    return Division.objects.filter(code=settings.ZHENGWU_PROVINCE_CODE).first()


def division(code: str) -> Division | None:
    if not (isinstance(code, str) and len(code) == 6 and code.isdigit()):
        return None
    return Division.objects.filter(code=code).select_related("parent").first()


def division_children(parent: Division) -> list[Division]:
    today = timezone.localdate()
    return list(
        Division.objects.filter(parent=parent)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=today))
        .order_by("code")
    )


def division_ancestors(current: Division) -> list[Division]:
    """From the top division down to ``current``'s parent (for breadcrumbs)."""
    chain: list[Division] = []
    seen: set[int] = set()
    node = current.parent
    while node is not None and node.pk not in seen:
        seen.add(node.pk)
        chain.append(node)
        node = node.parent
    return list(reversed(chain))


@dataclass(frozen=True)
class DivisionOption:
    code: str
    name: str
    depth: int


def division_options() -> list[DivisionOption]:
    """The province and everything under it, in tree order, for a select box."""
    top = province()
    if top is None:
        return []
    rows = list(
        Division.objects.filter(code__in=division_codes_under(top.code)).values_list(
            "code", "name", "parent__code"
        )
    )
    children: dict[str | None, list[tuple[str, str]]] = {}
    for code, name, parent_code in rows:
        children.setdefault(parent_code, []).append((code, name))
    options: list[DivisionOption] = []

    def walk(code: str, name: str, depth: int) -> None:
        options.append(DivisionOption(code, name, depth))
        for child_code, child_name in sorted(children.get(code, [])):
            walk(child_code, child_name, depth + 1)

    walk(top.code, top.name, 0)
    return options


# --- organisations, themes, item types ---------------------------------------


def level_label(level: int) -> str:
    try:
        return str(OrganisationLevel(level).label)
    except ValueError:
        return str(level)


def organisation(pk: int | None) -> Organisation | None:
    if pk is None:
        return None
    return Organisation.objects.filter(pk=pk).select_related("division").first()


@dataclass(frozen=True)
class OrganisationRow:
    pk: int
    name: str
    division_name: str
    listing_count: int


def organisations_with_public_listings(
    division_code: str | None = None, on: datetime.date | None = None
) -> list[OrganisationRow]:
    """Organisations with at least one listing in force, with their counts."""
    on = on or timezone.localdate()
    versions = ListingVersion.objects.filter(in_force_q(on))
    if division_code:
        versions = versions.filter(
            listing__division__code__in=division_codes_under(division_code)
        )
    rows = (
        versions.values(
            "listing__organisation_id",
            "listing__organisation__name",
            "listing__organisation__division__name",
            "listing__organisation__division__code",
        )
        .annotate(count=Count("listing_id", distinct=True))
        .order_by(
            "listing__organisation__division__code", "listing__organisation__name"
        )
    )
    return [
        OrganisationRow(
            row["listing__organisation_id"],
            row["listing__organisation__name"],
            row["listing__organisation__division__name"],
            row["count"],
        )
        for row in rows
    ]


def organisations_for_user(user: UserLike) -> list[Organisation]:
    scope = staff_scope(user)
    organisations = Organisation.objects.select_related("division").order_by(
        "division__code", "name"
    )
    if scope.can_review:
        return list(organisations)
    return list(organisations.filter(pk__in=scope.editor_organisation_ids))


def themes(audience: str | None = None) -> list[Theme]:
    rows = Theme.objects.all()
    if audience:
        rows = rows.filter(audience=audience)
    return list(rows.order_by("audience", "sort_order", "code"))


def theme(code: str) -> Theme | None:
    if not code or len(code) > 40:
        return None
    return Theme.objects.filter(code=code).first()


def item_types() -> list[ItemType]:
    return list(ItemType.objects.order_by("sort_order", "code"))


# --- attachments -------------------------------------------------------------


@dataclass(frozen=True)
class AttachmentInfo:
    pk: str
    name: str
    size: int
    content_type: str
    is_public: bool

    @property
    def extension(self) -> str:
        return self.name.rsplit(".", 1)[-1].upper() if "." in self.name else ""


def attachments_by_ids(
    ids: Iterable[str | None], user: UserLike
) -> dict[str, AttachmentInfo]:
    """Name, size and type of the files among ``ids`` that ``user`` may see; another
    department's unpublished file is left out, as if it did not exist."""
    keys = {str(key) for key in (parse_uuid(i) for i in ids if i) if key}
    if not keys:
        return {}
    return {
        str(a.pk): AttachmentInfo(
            str(a.pk), a.original_name, a.size, a.content_type, a.is_public
        )
        for a in downloadable_attachments(user).filter(pk__in=keys)
    }


def attachment_ids_usable(
    ids: Iterable[str], *, organisation_id: int, user: UserLike
) -> set[str]:
    """Of ``ids``, those a draft of ``organisation_id`` may refer to: files of that
    organisation, public files, or files the user uploaded. Anything else (another
    department's private file, a malformed id) is not usable."""
    keys = {str(key) for key in (parse_uuid(i) for i in ids) if key}
    if not keys:
        return set()
    rows = usable_attachments(user, organisation_id=organisation_id).filter(pk__in=keys)
    return {str(pk) for pk in rows.values_list("pk", flat=True)}


# --- staff: listings and versions --------------------------------------------


def staff_version(user: UserLike, pk: int | None) -> ListingVersion | None:
    if pk is None:
        return None
    return (
        versions_for_user(user)
        .select_related("listing__base_item__item_type", "listing__division")
        .filter(pk=pk)
        .first()
    )


def staff_listing(user: UserLike, pk: int | None) -> Listing | None:
    if pk is None:
        return None
    return listings_for_user(user).filter(pk=pk).first()


def versions_of_listing(listing: Listing) -> list[ListingVersion]:
    return list(
        ListingVersion.objects.filter(listing=listing)
        .select_related("listing")
        .order_by("-number")
    )


def open_version(listing: Listing) -> ListingVersion | None:
    return (
        ListingVersion.objects.filter(listing=listing, status__in=OPEN_STATUSES)
        .order_by("-number")
        .first()
    )


def comments_of(version: ListingVersion) -> list[ReviewComment]:
    return list(version.comments.select_related("author").order_by("created_at"))


@dataclass
class StaffListingRow:
    listing: Listing
    in_force: ListingVersion | None
    open: ListingVersion | None
    can_edit: bool


def staff_listing_rows(
    user: UserLike, *, query: str = "", after: int | None = None, limit: int = 20
) -> tuple[list[StaffListingRow], int | None]:
    """Listings in the user's scope matching ``query`` (name, pinyin, initials,
    basic or implementation code), keyset paginated by listing id."""
    limit = max(1, min(limit, 100))
    listings = listings_for_user(user).select_related("base_item__item_type")
    term = normalise_query(query)
    if term:
        listings = listings.filter(
            Q(base_item__search_text__contains=term) | Q(code__iexact=term)
        )
    if after:
        listings = listings.filter(pk__gt=after)
    page = list(listings.order_by("pk")[: limit + 1])
    next_cursor = page[limit - 1].pk if len(page) > limit else None
    page = page[:limit]
    ids = [listing.pk for listing in page]
    today = timezone.localdate()
    in_force: dict[int, ListingVersion] = {}
    for version in (
        ListingVersion.objects.filter(listing_id__in=ids)
        .filter(in_force_q(today))
        .order_by("effective_from", "number")
    ):
        in_force[version.listing_id] = version
    open_versions = {
        v.listing_id: v
        for v in ListingVersion.objects.filter(
            listing_id__in=ids, status__in=OPEN_STATUSES
        )
    }
    scope = staff_scope(user)
    rows = [
        StaffListingRow(
            listing,
            in_force.get(listing.pk),
            open_versions.get(listing.pk),
            scope.can_edit_organisation(listing.organisation_id),
        )
        for listing in page
    ]
    return rows, next_cursor


def versions_in_force_for_user(user: UserLike, *, query: str = "") -> list:
    """The versions in force within the user's scope (for export)."""
    versions = versions_for_user(user).filter(in_force_q(timezone.localdate()))
    term = normalise_query(query)
    if term:
        versions = versions.filter(
            Q(listing__base_item__search_text__contains=term)
            | Q(listing__code__iexact=term)
        )
    return list(
        versions.select_related(
            "listing__base_item__item_type",
            "listing__organisation",
            "listing__division",
        ).order_by("listing_id")
    )


@dataclass(frozen=True)
class WorkbenchCounts:
    drafts: int
    returned: int
    submitted: int
    review_queue: int
    listings: int


def workbench_counts(user: UserLike) -> WorkbenchCounts:
    scope = staff_scope(user)
    versions = versions_for_user(user)
    counts = {
        row["status"]: row["n"]
        for row in versions.filter(status__in=OPEN_STATUSES)
        .values("status")
        .annotate(n=Count("pk"))
    }
    if not scope.can_review:
        listing_total = Listing.objects.filter(
            organisation_id__in=scope.editor_organisation_ids
        ).count()
    else:
        listing_total = Listing.objects.count()
    return WorkbenchCounts(
        drafts=counts.get(VersionStatus.DRAFT, 0),
        returned=counts.get(VersionStatus.RETURNED, 0),
        submitted=counts.get(VersionStatus.SUBMITTED, 0),
        review_queue=counts.get(VersionStatus.SUBMITTED, 0) if scope.can_review else 0,
        listings=listing_total,
    )


# --- import jobs -------------------------------------------------------------


def import_job_for_user(user: UserLike, pk: int | None) -> ImportJob | None:
    if pk is None:
        return None
    scope = staff_scope(user)
    jobs = ImportJob.objects.filter(pk=pk)
    if not scope.can_review:
        jobs = jobs.filter(uploaded_by_id=scope.user_id)
    return jobs.first()


def recent_import_jobs(user: UserLike, limit: int = 10) -> list[ImportJob]:
    scope = staff_scope(user)
    jobs = ImportJob.objects.order_by("-created_at")
    if not scope.can_review:
        jobs = jobs.filter(uploaded_by_id=scope.user_id)
    return list(jobs[:limit])
