"""Public pages: home, browsing (region, department, audience, theme), search, the
item (listing) page and attachment downloads. Only versions in force are shown."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

import structlog
from pydantic import ValidationError

from zhengwu.catalog import pages
from zhengwu.catalog.constants import Audience
from zhengwu.catalog.downloads import attachment_for_download, attachment_response
from zhengwu.catalog.guide import DEPTH_STAGES, Guide
from zhengwu.catalog.selectors import (
    SearchFilters,
    public_listings_of_item,
    public_version_for,
    search_versions,
)

from .forms import SearchForm

logger = structlog.get_logger(__name__)

PAGE_SIZE = 20
AUDIENCE_TITLES = {
    Audience.NATURAL_PERSON: gettext_lazy("个人办事"),
    Audience.LEGAL_PERSON: gettext_lazy("法人办事"),
}


def stored_file_response(stored: Any) -> FileResponse:
    """A case file (``cases.models.StoredFile``) the caller may read, as a download
    the browser neither sniffs nor caches."""
    response = FileResponse(
        stored.file.open("rb"),
        as_attachment=True,
        filename=stored.original_name,
        content_type=stored.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _results_context(
    request: HttpRequest, filters: SearchFilters, base_params: dict[str, str]
) -> dict[str, Any]:
    """One keyset page of listings in force and the link to the next page."""
    after = pages.parse_id(request.GET.get("after"))
    results, next_cursor = search_versions(filters, after=after, limit=PAGE_SIZE)
    params = {k: v for k, v in base_params.items() if v}
    next_url = (
        f"{request.path}?{urlencode({**params, 'after': next_cursor})}"
        if next_cursor
        else ""
    )
    first_url = f"{request.path}?{urlencode(params)}" if params else request.path
    return {
        "results": results,
        "next_url": next_url,
        "first_url": first_url,
        "is_later_page": after is not None,
    }


def _render_results(
    request: HttpRequest, template: str, context: dict[str, Any]
) -> HttpResponse:
    """The whole page, or for htmx "load more" only the next items and the pager."""
    if is_htmx(request) and request.headers.get("HX-Target") == "results":
        return render(request, "portal/_results.html#more", {**context, "oob": True})
    return render(request, template, context)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    top = pages.province()
    return render(
        request,
        "portal/home.html",
        {
            "form": SearchForm(),
            "province": top,
            "cities": pages.division_children(top) if top else [],
            "natural_themes": pages.themes(Audience.NATURAL_PERSON),
            "legal_themes": pages.themes(Audience.LEGAL_PERSON),
        },
    )


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    context: dict[str, Any] = {
        "form": form,
        "divisions": pages.division_options(),
        "query": "",
    }
    if not request.GET or not form.is_valid():
        context.update(results=[], searched=False)
        status = 200 if not form.errors else 400
        return render(request, "portal/search.html", context, status=status)
    data = form.cleaned_data
    online = {"1": True, "0": False}.get(data.get("online") or "")
    filters = SearchFilters(
        query=data["q"],
        division_code=data.get("division") or None,
        audience=data.get("audience") or None,
        is_online=online,
    )
    params = {
        "q": data["q"],
        "division": data.get("division") or "",
        "audience": data.get("audience") or "",
        "online": data.get("online") or "",
    }
    context.update(_results_context(request, filters, params))
    context.update(searched=True, query=data["q"])
    return _render_results(request, "portal/search.html", context)


@require_GET
def regions(request: HttpRequest) -> HttpResponse:
    top = pages.province()
    if top is None:
        raise Http404(_("尚未配置行政区划。"))
    return redirect("portal:region", code=top.code)


@require_GET
def region(request: HttpRequest, code: str) -> HttpResponse:
    current = pages.division(code)
    if current is None:
        raise Http404(_("没有这个地区。"))
    context: dict[str, Any] = {
        "division": current,
        "ancestors": pages.division_ancestors(current),
        "children": pages.division_children(current),
    }
    context.update(
        _results_context(request, SearchFilters(division_code=current.code), {})
    )
    return _render_results(request, "portal/region.html", context)


@require_GET
def departments(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("division", "")
    current = pages.division(code) if code else pages.province()
    if code and current is None:
        current = pages.province()
    rows = pages.organisations_with_public_listings(current.code if current else None)
    return render(
        request,
        "portal/departments.html",
        {
            "division": current,
            "divisions": pages.division_options(),
            "organisations": rows,
        },
    )


@require_GET
def department(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = pages.organisation(pk)
    if organisation is None:
        raise Http404(_("没有这个部门。"))
    context: dict[str, Any] = {"organisation": organisation}
    context.update(
        _results_context(request, SearchFilters(organisation_id=organisation.pk), {})
    )
    return _render_results(request, "portal/department.html", context)


@require_GET
def audience(request: HttpRequest, audience: str) -> HttpResponse:
    if audience not in Audience.values:
        raise Http404(_("没有这个服务对象。"))
    context: dict[str, Any] = {
        "audience": audience,
        "title": AUDIENCE_TITLES[Audience(audience)],
        "themes": pages.themes(audience),
    }
    context.update(_results_context(request, SearchFilters(audience=audience), {}))
    return _render_results(request, "portal/audience.html", context)


@require_GET
def themes(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portal/themes.html",
        {
            "groups": [
                (AUDIENCE_TITLES[a], a, pages.themes(a))
                for a in (Audience.NATURAL_PERSON, Audience.LEGAL_PERSON)
            ]
        },
    )


@require_GET
def theme(request: HttpRequest, code: str) -> HttpResponse:
    current = pages.theme(code)
    if current is None:
        raise Http404(_("没有这个主题。"))
    context: dict[str, Any] = {
        "theme": current,
        "audience_title": AUDIENCE_TITLES.get(current.audience, ""),
    }
    context.update(_results_context(request, SearchFilters(theme=current.code), {}))
    return _render_results(request, "portal/theme.html", context)


def guide_of(version: Any) -> Guide:
    try:
        return Guide.model_validate(version.guide or {})
    except ValidationError:
        logger.warning("guide_unreadable", version_id=version.pk)
        return Guide()


def guide_context(version: Any, user: Any) -> dict[str, Any]:
    """What the guide partial needs: the parsed guide, its files, labels."""
    guide = guide_of(version)
    return {
        "version": version,
        "listing": version.listing,
        "item": version.listing.base_item,
        "guide": guide,
        "files": pages.attachments_by_ids(guide.attachment_ids(), user),
        "handling_names": {h.code: h.name for h in guide.handling_items},
        "stages": [
            (code, label, code in guide.depth_stages)
            for code, label in DEPTH_STAGES.items()
        ],
    }


@require_GET
def listing(request: HttpRequest, code: str) -> HttpResponse:
    version = public_version_for(code.upper())
    if version is None:
        raise Http404(_("没有找到这个事项，或它尚未公布。"))
    context = guide_context(version, request.user)
    context["others"] = [
        other
        for other in public_listings_of_item(version.listing.base_item)[:200]
        if other.pk != version.pk
    ]
    context["audiences"] = [
        title
        for flag, title in (
            (version.listing.base_item.for_natural_person, _("自然人")),
            (version.listing.base_item.for_legal_person, _("法人")),
        )
        if flag
    ]
    return render(request, "portal/listing.html", context)


@require_GET
def attachment(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """A guide file: anyone once published; before that only staff of the owning
    organisation, its uploader and the catalogue authority. Everyone else gets 404."""
    found = attachment_for_download(pk, request.user)
    response = attachment_response(found) if found is not None else None
    if response is None:
        raise Http404(_("文件不存在。"))
    return response


def search_url(query: str) -> str:
    return f"{reverse('portal:search')}?{urlencode({'q': query})}"
