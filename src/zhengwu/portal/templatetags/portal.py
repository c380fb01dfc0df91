"""Display helpers for guide values: code-table labels, time limits, depth levels."""

from typing import Any

from django import template
from django.core.cache import cache
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from zhengwu.catalog import pages
from zhengwu.catalog.guide import DEPTH_LABELS, DEPTH_STAGES, LABELS

register = template.Library()


@register.filter
def guide_label(value: Any, kind: str) -> str:
    """The Chinese label of a code-table value, e.g. ``"3"|guide_label:"necessity"``."""
    if value is None or value == "":
        return ""
    return LABELS.get(f"{kind}.{value}", str(value))


@register.filter
def time_limit(limit: Any) -> str:
    """``20个工作日`` / ``即办`` from a TimeLimit (model or dict)."""
    if not limit:
        return ""
    days = (
        limit.get("days") if isinstance(limit, dict) else getattr(limit, "days", None)
    )
    unit = limit.get("unit") if isinstance(limit, dict) else getattr(limit, "unit", "")
    if days is None:
        return ""
    if int(days) == 0:
        return _("即办")
    return _("%(days)s个%(unit)s") % {
        "days": days,
        "unit": LABELS.get(f"time_unit.{unit}", unit),
    }


@register.filter
def depth_label(level: Any) -> str:
    try:
        return DEPTH_LABELS.get(int(level), "")
    except (TypeError, ValueError):
        return ""


@register.filter
def stage_label(stage: str) -> str:
    return DEPTH_STAGES.get(stage, stage)


@register.filter
def level_label(level: Any) -> str:
    try:
        return pages.level_label(int(level))
    except (TypeError, ValueError):
        return ""


@register.filter
def yes_no(value: Any) -> str:
    return _("是") if value else _("否")


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    if isinstance(mapping, dict):
        return mapping.get(key if key is None else str(key))
    return None


@register.filter
def indent(depth: int) -> str:
    """Visual indentation for a tree inside a <select> (no CSS reaches <option>)."""
    try:
        return "\u3000" * int(depth)
    except (TypeError, ValueError):
        return ""


@register.simple_tag
def site_name() -> str:
    """“辽宁省政务服务网”: the deployment's province, from the division table."""
    name = cache.get("portal:site_name")
    if name is None:
        top = pages.province()
        name = _("%(province)s政务服务网") % {"province": top.name} if top else ""
        if top:
            cache.set("portal:site_name", name, 300)
    return name or _("政务服务网")


@register.filter
def http_url(value: Any) -> str:
    """``value`` if it is an http(s) address, else "" (never a javascript: link)."""
    text = str(value or "").strip()
    if text.lower().startswith(("https://", "http://")) and " " not in text:
        return text
    return ""


@register.simple_tag(takes_context=True)
def current(context: Any, prefix: str) -> str:
    """``aria-current="page"`` for the navigation link of the section being shown."""
    request = context.get("request")
    path = getattr(request, "path", "")
    matched = path == prefix if prefix == "/" else path.startswith(prefix)
    return mark_safe(' aria-current="page"') if matched else ""
