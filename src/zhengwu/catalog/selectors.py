"""Reads of the catalogue. The public sees only versions in force today; staff see the
versions of their own organisations (the catalogue authority sees all)."""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone

from zhengwu.core.models import Division
from zhengwu.identity.facade import staff_scope

from .codes import is_valid_implementation_code
from .constants import OPEN_STATUSES, Audience, VersionStatus
from .guide import Guide, check_rules
from .models import BaseItem, Listing, ListingVersion
from .search import normalise_query

PAGE_SIZE_MAX = 100
ITEM_ID_LIST_MAX = 5000


def in_force_q(on: datetime.date, prefix: str = "") -> Q:
    """Published, started on or before ``on`` and not yet ended."""
    return Q(
        **{
            f"{prefix}status": VersionStatus.PUBLISHED,
            f"{prefix}effective_from__lte": on,
        }
    ) & (
        Q(**{f"{prefix}effective_until__isnull": True})
        | Q(**{f"{prefix}effective_until__gt": on})
    )


def version_in_force(
    listing: Listing, on: datetime.date | None = None
) -> ListingVersion | None:
    """The version of ``listing`` the public sees on ``on`` (today by default)."""
    on = on or timezone.localdate()
    return (
        ListingVersion.objects.filter(listing=listing)
        .filter(in_force_q(on))
        .order_by("-effective_from", "-number")
        .first()
    )


def public_versions(on: datetime.date | None = None) -> QuerySet[ListingVersion]:
    on = on or timezone.localdate()
    return ListingVersion.objects.filter(in_force_q(on)).select_related(
        "listing__base_item__item_type", "listing__organisation", "listing__division"
    )


def division_codes_under(code: str) -> list[str]:
    """The division and every division below it (province → city → county)."""
    codes = [code]
    frontier = [code]
    while frontier:
        frontier = list(
            Division.objects.filter(parent__code__in=frontier).values_list(
                "code", flat=True
            )
        )
        codes.extend(frontier)
    return codes


@dataclass
class SearchFilters:
    query: str = ""
    division_code: str | None = None
    organisation_id: int | None = None
    audience: str | None = None
    theme: str | None = None
    item_type: str | None = None
    is_online: bool | None = None


def _matching_base_items(query: str) -> QuerySet[BaseItem] | None:
    """Base items whose name, pinyin, initials or code contain ``query``; None when
    the query is a full implementation code (matched on listings instead)."""
    term = normalise_query(query)
    if not term:
        return BaseItem.objects.all()
    if len(term) == 31 and is_valid_implementation_code(term.upper()):
        return None
    return BaseItem.objects.filter(search_text__contains=term)


def search_versions(
    filters: SearchFilters,
    *,
    after: int | None = None,
    limit: int = 20,
    on: datetime.date | None = None,
) -> tuple[list[ListingVersion], int | None]:
    """Listings in force matching ``filters``, ordered by listing id; keyset paginated
    by ``after`` (the last listing id seen). Returns the page and the next cursor."""
    limit = max(1, min(limit, PAGE_SIZE_MAX))
    on = on or timezone.localdate()
    versions = ListingVersion.objects.filter(in_force_q(on))
    term = normalise_query(filters.query)
    items = _matching_base_items(filters.query)
    if items is None:
        versions = versions.filter(listing__code=term.upper())
    elif term:
        # The matching item ids as a list, not a subquery: the planner then knows how
        # selective the query is (a rare name must not walk every listing in order).
        item_ids = list(items.values_list("pk", flat=True)[: ITEM_ID_LIST_MAX + 1])
        if len(item_ids) > ITEM_ID_LIST_MAX:
            versions = versions.filter(listing__base_item__in=items.values("pk"))
        else:
            versions = versions.filter(listing__base_item_id__in=item_ids)
    if filters.division_code:
        versions = versions.filter(
            listing__division__code__in=division_codes_under(filters.division_code)
        )
    if filters.organisation_id:
        versions = versions.filter(listing__organisation_id=filters.organisation_id)
    if filters.audience == Audience.NATURAL_PERSON:
        versions = versions.filter(listing__base_item__for_natural_person=True)
    elif filters.audience == Audience.LEGAL_PERSON:
        versions = versions.filter(listing__base_item__for_legal_person=True)
    if filters.theme:
        versions = versions.filter(listing__base_item__themes__code=filters.theme)
    if filters.item_type:
        versions = versions.filter(
            listing__base_item__item_type__code=filters.item_type
        )
    if filters.is_online is not None:
        versions = versions.filter(is_online=filters.is_online)
    if after:
        versions = versions.filter(listing_id__gt=after)
    # Two steps: the keys of the page through as few joins as possible, then the rows
    # with their related objects. One query joining everything spends longer in the
    # planner than in execution at 200,000 listings.
    keys = list(
        versions.order_by("listing_id").values_list("pk", "listing_id")[: limit + 1]
    )
    next_cursor = keys[limit - 1][1] if len(keys) > limit else None
    wanted = [pk for pk, _ in keys[:limit]]
    rows = (
        ListingVersion.objects.filter(pk__in=wanted)
        .select_related(
            "listing__base_item__item_type",
            "listing__organisation",
            "listing__division",
        )
        .defer("guide")  # result lists show summary columns; the guide is per item page
        .order_by("listing_id")
    )
    return (list(rows) if wanted else []), next_cursor


def public_version_for(
    listing_code: str, on: datetime.date | None = None
) -> ListingVersion | None:
    return public_versions(on).filter(listing__code=listing_code).first()


def public_listings_of_item(
    base_item: BaseItem, on: datetime.date | None = None
) -> QuerySet[ListingVersion]:
    return (
        public_versions(on)
        .filter(listing__base_item=base_item)
        .order_by("listing__level", "listing__division__code")
    )


# --- staff -------------------------------------------------------------------


def versions_for_user(
    user: AbstractBaseUser | AnonymousUser,
) -> QuerySet[ListingVersion]:
    """Every version ``user`` may see as staff: all for the catalogue authority, their
    organisations' for a department editor, none otherwise."""
    scope = staff_scope(user)
    versions = ListingVersion.objects.select_related(
        "listing__base_item", "listing__organisation", "listing__division"
    )
    if scope.can_review:
        return versions
    return versions.filter(listing__organisation_id__in=scope.editor_organisation_ids)


def listings_for_user(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Listing]:
    scope = staff_scope(user)
    listings = Listing.objects.select_related("base_item", "organisation", "division")
    if scope.can_review:
        return listings
    return listings.filter(organisation_id__in=scope.editor_organisation_ids)


def open_versions_for_user(
    user: AbstractBaseUser | AnonymousUser,
) -> QuerySet[ListingVersion]:
    return (
        versions_for_user(user).filter(status__in=OPEN_STATUSES).order_by("-updated_at")
    )


def review_queue(user: AbstractBaseUser | AnonymousUser) -> QuerySet[ListingVersion]:
    if not staff_scope(user).can_review:
        return ListingVersion.objects.none()
    return (
        versions_for_user(user)
        .filter(status=VersionStatus.SUBMITTED)
        .order_by("submitted_at")
    )


# --- comparing versions ------------------------------------------------------


def _flatten(value: Any, path: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(_flatten(item, f"{path}.{key}" if path else str(key)))
        return flat
    if isinstance(value, list) and value and isinstance(value[0], dict):
        flat = {}
        for index, item in enumerate(value):
            flat.update(_flatten(item, f"{path}[{index}]"))
        return flat
    return {path: value}


@dataclass(frozen=True)
class Change:
    path: str
    old: Any
    new: Any


def diff_guides(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Field-level differences between two guides, in a stable order."""
    left, right = _flatten(old), _flatten(new)
    return [
        Change(path, left.get(path), right.get(path))
        for path in sorted(set(left) | set(right))
        if left.get(path) != right.get(path)
    ]


# --- consistency report ------------------------------------------------------


@dataclass
class ReportRow:
    version: ListingVersion
    problems: list[str] = field(default_factory=list)


@dataclass
class ConsistencyReport:
    rows: list[ReportRow]
    by_division: dict[str, Counter]
    by_organisation: dict[str, Counter]
    checked: int


def consistency_report(
    *,
    user: AbstractBaseUser | AnonymousUser,
    division_code: str | None = None,
    organisation_id: int | None = None,
    on: datetime.date | None = None,
) -> ConsistencyReport:
    """Listings (the version in force, else the open draft) that miss guide elements,
    break a consistency rule, are offline without a reason, or whose shared guide
    elements differ from the same item elsewhere (the majority form wins)."""
    on = on or timezone.localdate()
    versions = versions_for_user(user).filter(
        in_force_q(on) | Q(status__in=OPEN_STATUSES)
    )
    if division_code:
        versions = versions.filter(
            listing__division__code__in=division_codes_under(division_code)
        )
    if organisation_id:
        versions = versions.filter(listing__organisation_id=organisation_id)
    # One version per listing: the one in force wins over an open draft.
    chosen: dict[int, ListingVersion] = {}
    for version in versions.order_by("listing_id", "number"):
        current = chosen.get(version.listing_id)
        if current is None or current.status != VersionStatus.PUBLISHED:
            chosen[version.listing_id] = version
    item_ids = {v.listing.base_item_id for v in chosen.values()}
    # The reference form of each item's shared elements, over every listing in force.
    fingerprints: dict[int, Counter] = defaultdict(Counter)
    for item_id, fingerprint in (
        ListingVersion.objects.filter(in_force_q(on))
        .filter(listing__base_item_id__in=item_ids)
        .values_list("listing__base_item_id", "shared_fingerprint")
    ):
        fingerprints[item_id][fingerprint] += 1
    rows: list[ReportRow] = []
    by_division: dict[str, Counter] = defaultdict(Counter)
    by_organisation: dict[str, Counter] = defaultdict(Counter)
    for version in chosen.values():
        row = ReportRow(version)
        guide = Guide.model_validate(version.guide) if version.guide else None
        if guide is None:
            row.problems.append("missing_guide")
        else:
            issues = [i for i in check_rules(guide) if i.severity == "error"]
            if any(i.code == "guide.missing_element" for i in issues):
                row.problems.append("missing_elements")
            if any(i.code == "guide.offline_requires_reason" for i in issues):
                row.problems.append("offline_without_reason")
            if any(
                i.code not in {"guide.missing_element", "guide.offline_requires_reason"}
                for i in issues
            ):
                row.problems.append("rule_broken")
        counts = fingerprints.get(version.listing.base_item_id)
        if counts and len(counts) > 1:
            majority, _ = counts.most_common(1)[0]
            if version.shared_fingerprint != majority:
                row.problems.append("differs_from_other_regions")
        if row.problems:
            rows.append(row)
            for problem in row.problems:
                by_division[version.listing.division.name][problem] += 1
                by_organisation[version.listing.organisation.name][problem] += 1
    rows.sort(key=lambda r: (r.version.listing.division.code, r.version.listing.code))
    return ConsistencyReport(
        rows, dict(by_division), dict(by_organisation), len(chosen)
    )


PROBLEM_LABELS = {
    "missing_guide": "缺少办事指南",
    "missing_elements": "指南要素缺失",
    "offline_without_reason": "不可网办且未说明原因",
    "rule_broken": "违反一致性规则",
    "differs_from_other_regions": "共享要素与其他地区不一致",
}
