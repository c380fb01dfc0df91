"""Public reference endpoints of core: divisions and organisations (no login)."""

from django.http import HttpRequest

from ninja import Path, Query, Router

from . import facade
from .schemas import (
    MAX_KEY,
    DivisionFilter,
    DivisionOut,
    ErrorOut,
    OrganisationFilter,
    OrganisationOut,
    OrganisationPageOut,
)

router = Router(tags=["core"])

# 404: an unknown code or key; 422: a value outside its bounds (``request.invalid``).
ERRORS: dict[int, type[ErrorOut]] = {404: ErrorOut, 422: ErrorOut}


@router.get(
    "/divisions",
    response={200: list[DivisionOut], **ERRORS},
    auth=None,
    summary="行政区划列表",
)
def list_divisions(request: HttpRequest, filters: Query[DivisionFilter]):
    return facade.list_divisions(parent_code=filters.parent)


@router.get(
    "/divisions/{code}",
    response={200: DivisionOut, **ERRORS},
    auth=None,
    summary="行政区划",
)
def get_division(request: HttpRequest, code: str = Path(..., max_length=12)):
    return facade.get_division(code)


@router.get(
    "/organisations",
    response={200: OrganisationPageOut, **ERRORS},
    auth=None,
    summary="实施主体列表（按编号翻页）",
)
def list_organisations(request: HttpRequest, filters: Query[OrganisationFilter]):
    return facade.organisation_page(
        limit=filters.limit,
        after=filters.after,
        division_code=filters.division,
        include_subdivisions=filters.include_subdivisions,
    )


@router.get(
    "/organisations/{pk}",
    response={200: OrganisationOut, **ERRORS},
    auth=None,
    summary="实施主体",
)
def get_organisation(request: HttpRequest, pk: int = Path(..., ge=1, le=MAX_KEY)):
    return facade.get_organisation(pk)
