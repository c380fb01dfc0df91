"""The application form on the page: the fields of a listing's JSON Schema as the
templates draw them, and the materials block (upload or reuse per material of the
guide).

The schema itself, its choice labels, the prefill (少填免填), reading a POST back
(``coerce_posted``) and the validation with Chinese messages belong to
``cases.forms``; this module only turns a schema into what
``portal/cases/_field.html`` draws."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from zhengwu.cases.forms import field_options

FIELD_PREFIX = "f-"
MATERIAL_PREFIX = "material-"
REUSE_PREFIX = "reuse-"
LICENCE_PREFIX = "licence-"
CONSENT_PREFIX = "licence-consent-"


@dataclass
class FieldView:
    """One form field as drawn: ``kind`` is text, textarea, number, date, select,
    radio or checkbox."""

    name: str
    label: str
    kind: str
    required: bool = False
    help: str = ""
    choices: list[tuple[str, str]] = field(default_factory=list)
    value: Any = None
    prefilled: bool = False
    errors: list[str] = field(default_factory=list)
    max_length: int | None = None
    minimum: Any = None
    maximum: Any = None
    step: str = ""

    @property
    def html_name(self) -> str:
        return f"{FIELD_PREFIX}{self.name}"

    @property
    def html_id(self) -> str:
        return f"id_{FIELD_PREFIX}{self.name}"

    @property
    def text_value(self) -> str:
        if self.value is None:
            return ""
        if isinstance(self.value, bool):
            return "true" if self.value else ""
        return str(self.value)


def _choices(spec: dict[str, Any]) -> list[tuple[str, str]]:
    return list(field_options(spec))


def _kind(spec: dict[str, Any]) -> str:
    kind = spec.get("type", "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    widget = spec.get("x-widget") or spec.get("widget") or ""
    if kind == "boolean":
        return "checkbox"
    if spec.get("enum") or spec.get("oneOf"):
        if widget in ("radio", "select"):
            return str(widget)
        return "radio" if len(_choices(spec)) <= 3 else "select"
    if kind in ("integer", "number"):
        return "number"
    if spec.get("format") == "date":
        return "date"
    if widget == "textarea" or (spec.get("maxLength") or 0) > 200:
        return "textarea"
    return "text"


def fields_from_schema(
    schema: dict[str, Any],
    values: dict[str, Any],
    *,
    errors: dict[str, list[str]] | None = None,
    prefilled: set[str] | frozenset[str] = frozenset(),
) -> list[FieldView]:
    """The schema's properties in order, with values, errors and prefill marks."""
    errors = errors or {}
    properties = schema.get("properties") or {}
    order = schema.get("x-order") or schema.get("ui:order") or list(properties)
    required = set(schema.get("required") or [])
    result = []
    for name in order:
        spec = properties.get(name)
        if not isinstance(spec, dict):
            continue
        kind = _kind(spec)
        result.append(
            FieldView(
                name=name,
                label=str(spec.get("title") or name),
                kind=kind,
                required=name in required,
                help=str(spec.get("description") or ""),
                choices=_choices(spec),
                value=values.get(name, spec.get("default")),
                prefilled=name in prefilled,
                errors=[str(e) for e in errors.get(name, [])],
                max_length=spec.get("maxLength"),
                minimum=spec.get("minimum"),
                maximum=spec.get("maximum"),
                step="1" if spec.get("type") == "integer" else "any",
            )
        )
    return result


@dataclass
class MaterialView:
    """One material of the guide on the form: what is attached already, the file
    input and the earlier files that could be reused instead."""

    index: int
    name: str
    necessity: str
    note: str
    attached: list[Any] = field(default_factory=list)
    reusable: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    reuse_value: str = ""
    # 免于提交: the principal's valid licences that may replace the material
    licences: list[tuple[str, str]] = field(default_factory=list)
    licence_value: str = ""
    consent_checked: bool = False
    # 免于提交: the base records the platform fetches the material from ("" = none)
    base_record: str = ""

    @property
    def is_required(self) -> bool:
        return self.necessity == "1"

    @property
    def upload_name(self) -> str:
        return f"{MATERIAL_PREFIX}{self.index}"

    @property
    def reuse_name(self) -> str:
        return f"{REUSE_PREFIX}{self.index}"

    @property
    def licence_name(self) -> str:
        return f"{LICENCE_PREFIX}{self.index}"

    @property
    def consent_name(self) -> str:
        return f"{CONSENT_PREFIX}{self.index}"

    @property
    def necessity_label(self) -> str:
        return {"1": _("必要"), "2": _("非必要"), "3": _("容缺后补")}.get(
            self.necessity, ""
        )


def base_record_sources(
    user: Any, *, acting: Any, listing: Any, handling_item_code: str, case: Any
) -> dict[str, str]:
    """``{material name: base records it is fetched from}``: the guide's materials
    the platform fetches for the principal on submission instead of an upload."""
    from zhengwu.cases.base_records import fetchable_materials, filing_person_label
    from zhengwu.cases.services import handling_config
    from zhengwu.identity.facade import person_label_for_user

    if case is not None:
        label = case.principal_label
    elif acting is not None:
        label = acting.principal_label
    else:
        label = person_label_for_user(user)
    if not label:
        return {}
    return {
        name: str(extract.source)
        for name, extract in fetchable_materials(
            listing,
            handling_config(listing.code),
            label,
            handling_item_code,
            # for an entity: the filing person's own identity record
            acting_person_label=filing_person_label(user, acting),
        ).items()
    }
