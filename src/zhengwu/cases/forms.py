"""Application forms: each listing's JSON Schema (Draft 2020-12, kept in its
HandlingConfig), validated with field-level Chinese messages, rendered server-side
from a field list, and prefilled with what the platform already knows (少填免填)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from zhengwu.identity.facade import ApplicantProfile, applicant_profile

from .errors import INVALID_FORM, CaseError

FORM_DATA_MAX_BYTES = 64 * 1024
FORM_DATA_MAX_DEPTH = 5
ALLOWED_CONTROL = {"\n", "\r", "\t"}

MOBILE_PATTERN = "^1[3-9][0-9]{9}$"


def default_schema() -> dict[str, Any]:
    """The form of a listing without its own: the applicant's contact and a
    description of the request."""
    return {
        "type": "object",
        "properties": {
            "contact_name": {"type": "string", "title": "联系人", "maxLength": 50},
            "contact_mobile": {
                "type": "string",
                "title": "联系电话",
                "pattern": MOBILE_PATTERN,
                "description": "11位手机号码",
            },
            "description": {
                "type": "string",
                "title": "申请事项说明",
                "maxLength": 2000,
                "format": "textarea",
            },
        },
        "required": ["contact_name", "contact_mobile"],
        "additionalProperties": False,
    }


def schema_errors(schema: Any) -> list[str]:
    """Why ``schema`` is not a usable form schema ([] when it is)."""
    if not isinstance(schema, dict):
        return [_("表单定义应为 JSON 对象。")]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        return [
            _("表单定义不是有效的 JSON Schema：%(reason)s")
            % {"reason": error.message[:200]}
        ]
    if schema.get("type", "object") != "object" or not isinstance(
        schema.get("properties", {}), dict
    ):
        return [_("表单定义的顶层应为对象（type: object）并列出字段（properties）。")]
    return []


def _clean_values(
    value: Any, path: str, depth: int, fields: dict[str, list[str]]
) -> None:
    if depth > FORM_DATA_MAX_DEPTH:
        fields.setdefault(path or "__all__", []).append(_("内容层级过深。"))
        return
    if isinstance(value, str):
        if any(not ch.isprintable() and ch not in ALLOWED_CONTROL for ch in value):
            fields.setdefault(path or "__all__", []).append(_("不能包含控制字符。"))
    elif isinstance(value, dict):
        for key, item in value.items():
            _clean_values(
                item, f"{path}.{key}" if path else str(key), depth + 1, fields
            )
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _clean_values(
                item, f"{path}.{index}" if path else str(index), depth + 1, fields
            )


def _reason(error: Any, schema: dict[str, Any]) -> tuple[str, str]:
    """(field path, Chinese reason) of one jsonschema error."""
    path = ".".join(str(part) for part in error.absolute_path)
    kind = error.validator
    value = error.validator_value
    if kind == "required":
        missing = [
            p
            for p in value
            if isinstance(error.instance, dict) and p not in error.instance
        ]
        # one error per missing property; its message starts with the name's repr
        name = next(
            (p for p in missing if str(error.message).startswith(repr(p))),
            missing[0] if missing else "",
        )
        return (f"{path}.{name}" if path else name) or "__all__", _("必填。")
    if kind == "additionalProperties":
        return path or "__all__", _("包含表单未定义的字段。")
    messages = {
        "type": _("格式不正确。"),
        "maxLength": _("不能超过%(n)s个字符。") % {"n": value},
        "minLength": _("不能为空。")
        if value == 1
        else _("不能少于%(n)s个字符。") % {"n": value},
        "pattern": _("格式不正确。"),
        "format": _("格式不正确。"),
        "minimum": _("不能小于%(n)s。") % {"n": value},
        "maximum": _("不能大于%(n)s。") % {"n": value},
        "exclusiveMinimum": _("应大于%(n)s。") % {"n": value},
        "exclusiveMaximum": _("应小于%(n)s。") % {"n": value},
        "enum": _("取值应为：%(values)s。")
        % {"values": "、".join(str(v) for v in value)}
        if isinstance(value, list)
        else _("取值无效。"),
        "const": _("取值无效。"),
        "maxItems": _("最多%(n)s项。") % {"n": value},
        "minItems": _("至少%(n)s项。") % {"n": value},
    }
    if kind == "type":
        expected = {
            "string": _("应为文本。"),
            "integer": _("应为整数。"),
            "number": _("应为数字。"),
            "boolean": _("应为“是”或“否”。"),
            "array": _("应为列表。"),
            "object": _("格式不正确。"),
        }
        messages["type"] = expected.get(
            value if isinstance(value, str) else "", _("格式不正确。")
        )
    if kind == "pattern" and path:
        prop = schema.get("properties", {}).get(path.split(".")[0], {})
        if isinstance(prop, dict) and prop.get("x-pattern-message"):
            messages["pattern"] = str(prop["x-pattern-message"])
        elif value == MOBILE_PATTERN:
            messages["pattern"] = _("请填写11位手机号码。")
    return path or "__all__", messages.get(kind, _("取值无效。"))


def check_draft(data: Any) -> dict[str, Any]:
    """A draft keeps whatever was typed: only its shape, size and characters are
    checked (the schema is applied at submission)."""
    if not isinstance(data, dict):
        raise CaseError(
            INVALID_FORM,
            _("表单内容应为 JSON 对象。"),
            fields={"form_data": [_("表单内容应为 JSON 对象。")]},
            status=422,
        )
    fields: dict[str, list[str]] = {}
    try:
        size = len(json.dumps(data, ensure_ascii=False).encode())
    except (TypeError, ValueError):
        size = FORM_DATA_MAX_BYTES + 1
    if size > FORM_DATA_MAX_BYTES:
        fields["__all__"] = [_("表单内容过长。")]
    else:
        _clean_values(data, "", 0, fields)
    if fields:
        raise CaseError(
            INVALID_FORM, _("请检查表单中标出的内容。"), fields=fields, status=422
        )
    return data


def validate_form(schema: dict[str, Any] | None, data: Any) -> dict[str, Any]:
    """``data`` when it satisfies ``schema`` (the default schema when None/empty);
    otherwise ``cases.invalid_form`` (422) with every field's reasons."""
    schema = schema or default_schema()
    check_draft(data)
    fields: dict[str, list[str]] = {}
    errors = Draft202012Validator(schema).iter_errors(data)
    for error in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]):
        path, reason = _reason(error, schema)
        if reason not in fields.get(path, []):
            fields.setdefault(path, []).append(reason)
    if fields:
        raise CaseError(
            INVALID_FORM, _("请检查表单中标出的内容。"), fields=fields, status=422
        )
    return data


# --- rendering --------------------------------------------------------------------


@dataclass(frozen=True)
class FormField:
    """One field as the pages render it."""

    name: str
    label: str
    type: str  # string / textarea / integer / number / boolean / select / date
    required: bool
    options: tuple[tuple[str, str], ...] = ()
    max_length: int | None = None
    description: str = ""
    value: Any = None
    errors: tuple[str, ...] = field(default=())


# Where JSON Schema editors keep the labels of an enum's values.
ENUM_LABEL_KEYS = ("x-enumNames", "enumNames", "x-enum-labels")


def field_options(spec: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """(value, label) of a choice field: ``enum`` with its labels (a value without
    one is its own label) or ``oneOf`` of ``const``/``title``; () otherwise."""
    if isinstance(spec.get("enum"), list):
        values = spec["enum"]
        names = next(
            (spec[key] for key in ENUM_LABEL_KEYS if isinstance(spec.get(key), list)),
            [],
        )
        return tuple(
            (str(value), str(names[index]) if index < len(names) else str(value))
            for index, value in enumerate(values)
        )
    if isinstance(spec.get("oneOf"), list):
        return tuple(
            (str(o["const"]), str(o.get("title", o["const"])))
            for o in spec["oneOf"]
            if isinstance(o, dict) and "const" in o
        )
    return ()


def render_spec(
    schema: dict[str, Any] | None,
    values: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
) -> list[FormField]:
    """The fields of ``schema`` in order, with their values and errors."""
    schema = schema or default_schema()
    values = values or {}
    errors = errors or {}
    required = set(schema.get("required", []))
    result = []
    for name, spec in (schema.get("properties") or {}).items():
        if not isinstance(spec, dict):
            continue
        options = field_options(spec)
        kind = spec.get("type", "string")
        if options:
            widget = "select"
        elif spec.get("format") == "textarea" or (spec.get("maxLength") or 0) > 200:
            widget = "textarea"
        elif spec.get("format") == "date":
            widget = "date"
        elif kind in {"integer", "number", "boolean"}:
            widget = kind
        else:
            widget = "string"
        result.append(
            FormField(
                name=name,
                label=str(spec.get("title") or name),
                type=widget,
                required=name in required,
                options=options,
                max_length=spec.get("maxLength"),
                description=str(spec.get("description", "")),
                value=values.get(name, spec.get("default")),
                errors=tuple(errors.get(name, ())),
            )
        )
    return result


def coerce_posted(
    schema: dict[str, Any] | None, posted: dict[str, str]
) -> dict[str, Any]:
    """Form data from an HTML form post (strings) typed after the schema: integers
    and numbers parsed when they parse, booleans from a checkbox, empty optional
    fields left out. What does not parse stays a string and fails validation."""
    schema = schema or default_schema()
    data: dict[str, Any] = {}
    for name, spec in (schema.get("properties") or {}).items():
        if not isinstance(spec, dict):
            continue
        kind = spec.get("type", "string")
        raw = posted.get(name)
        if kind == "boolean":
            data[name] = raw in {"on", "true", "1", "yes"}
            continue
        if raw is None or raw == "":
            continue
        if kind == "integer":
            try:
                data[name] = int(raw)
            except ValueError:
                data[name] = raw
        elif kind == "number":
            try:
                data[name] = float(raw)
            except ValueError:
                data[name] = raw
        else:
            data[name] = raw
    return data


# --- prefill (少填免填) -----------------------------------------------------------

# Schema property → what the platform knows, unless the property names its own
# source with "x-prefill".
PREFILL_SOURCES = {
    "applicant_name": "name",
    "name": "name",
    "contact_name": "contact_name",
    "contact_mobile": "mobile",
    "mobile": "mobile",
    "id_number_masked": "id_masked",
    "enterprise_name": "entity_name",
    "entity_name": "entity_name",
    "credit_code": "entity_code",
}


def profile_values(
    schema: dict[str, Any], profile: ApplicantProfile | None
) -> dict[str, Any]:
    if profile is None:
        return {}
    values = {}
    for name, spec in (schema.get("properties") or {}).items():
        source = (
            spec.get("x-prefill") if isinstance(spec, dict) else None
        ) or PREFILL_SOURCES.get(name)
        value = getattr(profile, source, "") if isinstance(source, str) else ""
        # a masked mobile (someone else's) is no use as a value
        if value and not (source == "mobile" and "*" in str(value)):
            values[name] = value
    return values


def prefill(
    *,
    schema: dict[str, Any] | None,
    user,
    principal_label: str,
    earlier: dict[str, Any] | None = None,
    current: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Initial values: the principal's latest earlier submission of the same listing
    (``earlier``), then what identity knows of the applicant, then what the applicant
    already typed (``current``)."""
    schema = schema or default_schema()
    names = set((schema.get("properties") or {}).keys())
    values = {k: v for k, v in (earlier or {}).items() if k in names}
    values.update(profile_values(schema, applicant_profile(user, principal_label)))
    values.update({k: v for k, v in (current or {}).items() if k in names})
    return values


def listing_schema(listing_code: str) -> dict[str, Any]:
    """The form schema of a listing: its HandlingConfig's, else the default."""
    from .models import HandlingConfig

    schema = (
        HandlingConfig.objects.filter(listing_code=listing_code)
        .values_list("form_schema", flat=True)
        .first()
    )
    return schema or default_schema()


def initial_values(
    *,
    user,
    acting=None,
    listing_code: str,
    current: dict[str, Any] | None = None,
    exclude_case_id: int | None = None,
) -> dict[str, Any]:
    """Prefilled values of a listing's form for ``user`` (acting for ``acting``'s
    principal): what the pages and the API show before the applicant types."""
    from zhengwu.identity.facade import person_label_for_user

    from .selectors import latest_submission_values

    label = (
        acting.principal_label if acting is not None else person_label_for_user(user)
    )
    return prefill(
        schema=listing_schema(listing_code),
        user=user,
        principal_label=label,
        earlier=latest_submission_values(
            listing_code=listing_code,
            principal_label=label,
            exclude_case_id=exclude_case_id,
        ),
        current=current,
    )
