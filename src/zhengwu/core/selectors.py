"""Reads of the shared kernel. Divisions and organisations are public information, so
these selectors take no user; apps scope their own records by division through
:func:`division_descendant_codes`."""

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from .errors import NotFoundError
from .models import Division, Organisation

MAX_DIVISION_DEPTH = 8


def normalise_division_code(code: str) -> str:
    """Accept the 6-digit code or the 12-digit platform form (code + ``000000``)."""
    code = code.strip()
    if len(code) == 12 and code.endswith("000000"):
        return code[:6]
    return code


def division_not_found(code: str) -> NotFoundError:
    return NotFoundError(
        "core.division_not_found",
        _("行政区划%(code)s不存在。") % {"code": code if code.isprintable() else ""},
    )


def division_get(code: str) -> Division:
    normalised = normalise_division_code(code)
    # Only six ASCII digits can be a code; anything else (NUL above all, which
    # PostgreSQL refuses in a text parameter) is not found without a query.
    if not (len(normalised) == 6 and normalised.isascii() and normalised.isdigit()):
        raise division_not_found(code)
    division = Division.objects.select_related("parent").filter(code=normalised).first()
    if division is None:
        raise division_not_found(code)
    return division


def division_list(*, parent_code: str | None = None) -> QuerySet[Division]:
    """Children of ``parent_code``; the top-level divisions when it is None."""
    divisions = Division.objects.select_related("parent").order_by("code")
    if parent_code is None:
        return divisions.filter(parent__isnull=True)
    parent = division_get(parent_code)
    return divisions.filter(parent=parent)


def division_children(code: str) -> QuerySet[Division]:
    return division_list(parent_code=code)


def division_ancestors(code: str) -> list[Division]:
    """The divisions above ``code``, top first (province, city); not ``code`` itself.

    Parents are joined three levels at a time, so a county costs two queries."""
    parent_field = Division._meta.get_field("parent")
    node = division_get(code)
    ancestors: list[Division] = []
    while node.parent_id is not None and len(ancestors) < MAX_DIVISION_DEPTH:
        if parent_field.is_cached(node):
            node = node.parent
        else:
            node = Division.objects.select_related("parent__parent__parent").get(
                pk=node.parent_id
            )
        ancestors.append(node)
    return ancestors[::-1]


def division_descendant_codes(code: str) -> list[str]:
    """``code`` and every division below it (for "browse by region": a province
    gives its cities and counties). One query per level, not per division."""
    root = division_get(code)
    codes = [root.code]
    frontier = [root.pk]
    for _depth in range(MAX_DIVISION_DEPTH):
        rows = list(
            Division.objects.filter(parent_id__in=frontier).values_list("pk", "code")
        )
        if not rows:
            break
        frontier = [pk for pk, _code in rows]
        codes.extend(child_code for _pk, child_code in rows)
    return sorted(codes)


def organisation_get(pk: int) -> Organisation:
    organisation = Organisation.objects.select_related("division").filter(pk=pk).first()
    if organisation is None:
        raise NotFoundError(
            "core.organisation_not_found",
            _("实施主体（编号%(pk)s）不存在。") % {"pk": pk},
        )
    return organisation


def organisation_list(
    *,
    division_code: str | None = None,
    include_subdivisions: bool = False,
    after: int | None = None,
    active_only: bool = False,
) -> QuerySet[Organisation]:
    """Organisations in key order (``pk``), for keyset pagination with ``after``.

    ``division_code`` filters to one division, or with ``include_subdivisions`` to
    it and every division below it."""
    organisations = Organisation.objects.select_related("division").order_by("pk")
    if division_code is not None:
        if include_subdivisions:
            organisations = organisations.filter(
                division__code__in=division_descendant_codes(division_code)
            )
        else:
            organisations = organisations.filter(division=division_get(division_code))
    if after is not None:
        organisations = organisations.filter(pk__gt=after)
    if active_only:
        organisations = organisations.filter(is_active=True)
    return organisations


def organisation_page(
    *,
    limit: int,
    after: int | None = None,
    division_code: str | None = None,
    include_subdivisions: bool = False,
) -> tuple[list[Organisation], int | None]:
    """One page of :func:`organisation_list` and the cursor of the next page."""
    rows = list(
        organisation_list(
            division_code=division_code,
            include_subdivisions=include_subdivisions,
            after=after,
        )[: limit + 1]
    )
    if len(rows) > limit:
        return rows[:limit], rows[limit - 1].pk
    return rows, None
