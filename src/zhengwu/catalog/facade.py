"""What other apps (cases) may ask the catalogue: the listing version an applicant
applies under today. Frozen dataclasses only, never model instances."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from .guide import Guide
from .selectors import public_version_for

__all__ = [
    "Guide",
    "ListingInfo",
    "listing_code_for",
    "listing_for_application",
    "material_applies",
]


def material_applies(material: Any, handling_item_code: str = "") -> bool:
    """Whether a guide material is asked for the handling item (a material naming
    no handling item, or no handling item chosen: every material)."""
    return (
        not material.handling_items
        or not handling_item_code
        or handling_item_code in material.handling_items
    )


@dataclass(frozen=True)
class ListingInfo:
    """The published version of one implementation listing in force on a day."""

    code: str
    item_name: str
    organisation_id: int
    division_id: int
    division_code: str
    version_number: int
    guide: Guide
    is_online: bool
    organisation_name: str = ""
    legal_basis: tuple[str, ...] = field(default=())

    def materials_for(self, handling_item_code: str = "") -> list[Any]:
        """The guide's materials asked for the handling item."""
        return [
            m for m in self.guide.materials if material_applies(m, handling_item_code)
        ]

    def required_material_names(self, handling_item_code: str = "") -> list[str]:
        """The guide's necessary materials (necessity "1") for the handling item."""
        return [
            m.name for m in self.materials_for(handling_item_code) if m.necessity == "1"
        ]


def listing_for_application(
    code: str, on: datetime.date | None = None
) -> ListingInfo | None:
    """The listing ``code`` as the public sees it on ``on`` (today): its published
    version in force, or None when there is none."""
    if not isinstance(code, str) or len(code) != 31:
        return None
    version = public_version_for(code, on)
    if version is None:
        return None
    listing = version.listing
    base_item = listing.base_item
    return ListingInfo(
        code=listing.code,
        item_name=base_item.name,
        organisation_id=listing.organisation_id,
        division_id=listing.division_id,
        division_code=listing.division.code,
        version_number=version.number,
        guide=Guide.model_validate(version.guide),
        is_online=version.is_online,
        organisation_name=listing.organisation.name,
        legal_basis=tuple(
            f"{entry.get('law', '')}{entry.get('article', '')}".strip()
            for entry in (base_item.legal_basis or [])
            if isinstance(entry, dict)
        ),
    )


def listing_code_for(*, organisation_id: int, item_name: str) -> str | None:
    """The implementation code of the organisation's listing of the base item named
    ``item_name`` (its natural key, as the demo loaders name listings), or None."""
    from .models import Listing

    return (
        Listing.objects.filter(
            organisation_id=organisation_id, base_item__name=item_name
        )
        .order_by("pk")
        .values_list("code", flat=True)
        .first()
    )
