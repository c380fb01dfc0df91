"""What other apps read from core: divisions and organisations as frozen values.

Unknown codes raise ``NotFoundError`` with the stable codes
``core.division_not_found`` / ``core.organisation_not_found``. The working-day
calendar is :mod:`zhengwu.core.calendar`; the audit log is :mod:`zhengwu.core.audit`.
"""

from dataclasses import dataclass

from . import selectors
from .models import Division, Organisation


@dataclass(frozen=True)
class DivisionInfo:
    code: str
    code12: str
    name: str
    kind: str
    level: str
    parent_code: str | None


@dataclass(frozen=True)
class OrganisationInfo:
    pk: int
    credit_code: str
    name: str
    short_name: str
    level: int
    kind: str
    division_code: str
    division_name: str
    parent_id: int | None
    is_active: bool


@dataclass(frozen=True)
class OrganisationPage:
    items: tuple[OrganisationInfo, ...]
    next_cursor: int | None


def division_info(division: Division) -> DivisionInfo:
    return DivisionInfo(
        code=division.code,
        code12=division.code12,
        name=division.name,
        kind=division.kind,
        level=division.level,
        parent_code=division.parent.code if division.parent_id else None,
    )


def organisation_info(organisation: Organisation) -> OrganisationInfo:
    return OrganisationInfo(
        pk=organisation.pk,
        credit_code=organisation.credit_code,
        name=organisation.name,
        short_name=organisation.short_name,
        level=organisation.level,
        kind=organisation.kind,
        division_code=organisation.division.code,
        division_name=organisation.division.name,
        parent_id=organisation.parent_id,
        is_active=organisation.is_active,
    )


def get_division(code: str) -> DivisionInfo:
    """The division with this 6-digit (or 12-digit platform) code."""
    return division_info(selectors.division_get(code))


def division_ancestors(code: str) -> list[DivisionInfo]:
    """The divisions above ``code``, top first; not ``code`` itself."""
    return [division_info(d) for d in selectors.division_ancestors(code)]


def division_descendant_codes(code: str) -> list[str]:
    """``code`` and the codes of every division below it, for filtering by region."""
    return selectors.division_descendant_codes(code)


def list_divisions(parent_code: str | None = None) -> list[DivisionInfo]:
    """Children of ``parent_code``; the top-level divisions when it is None."""
    return [division_info(d) for d in selectors.division_list(parent_code=parent_code)]


def get_organisation(pk: int) -> OrganisationInfo:
    return organisation_info(selectors.organisation_get(pk))


def list_organisations(
    division_code: str | None = None, *, include_subdivisions: bool = False
) -> list[OrganisationInfo]:
    """Organisations of one division (or of it and every division below it)."""
    return [
        organisation_info(o)
        for o in selectors.organisation_list(
            division_code=division_code, include_subdivisions=include_subdivisions
        )
    ]


def organisation_page(
    *,
    limit: int,
    after: int | None = None,
    division_code: str | None = None,
    include_subdivisions: bool = False,
) -> OrganisationPage:
    """One page in key order; pass ``next_cursor`` as ``after`` for the next one."""
    rows, next_cursor = selectors.organisation_page(
        limit=limit,
        after=after,
        division_code=division_code,
        include_subdivisions=include_subdivisions,
    )
    return OrganisationPage(
        items=tuple(organisation_info(o) for o in rows), next_cursor=next_cursor
    )
