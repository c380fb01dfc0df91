"""The edit form over a service guide (办事指南).

Inputs are named by the guide's own dotted paths (``materials.0.name``,
``legal_limit.days``), the same paths ``services.pydantic_fields`` reports errors
under, so every error lands next to its input. Repeatable parts (materials, fees,
steps …) are rows; a submit button adds or removes a row without JavaScript and htmx
swaps just that section when it is present.

Values stay as submitted (strings) until pydantic validates them in the service, so a
rejected form comes back exactly as the user typed it."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from zhengwu.catalog.guide import DEPTH_STAGES, LABELS

MAX_ROWS = 200
_CSV_SPLIT = re.compile(r"[\s,，、;；]+")


def clean_text(value: object) -> str:
    """Text from a form: NUL characters removed (PostgreSQL refuses them)."""
    return str(value if value is not None else "").replace("\x00", "")


def _choices(kind: str) -> list[tuple[str, str]]:
    prefix = f"{kind}."
    return [(k[len(prefix) :], v) for k, v in LABELS.items() if k.startswith(prefix)]


UNIT_CHOICES = _choices("time_unit")
CASE_TYPE_CHOICES = _choices("case_type")
MATERIAL_TYPE_CHOICES = _choices("material_type")
SOURCE_CHOICES = _choices("source")
FORM_CHOICES = _choices("form")
NECESSITY_CHOICES = _choices("necessity")
STAGE_CHOICES = list(DEPTH_STAGES.items())


@dataclass(frozen=True)
class FieldSpec:
    """One input. ``name`` is relative to its row (or the guide) and may be dotted."""

    name: str
    label: Any
    widget: str = (
        "text"  # text textarea number select checkbox checkboxes attachment csv url
    )
    choices: list[tuple[str, str]] = field(default_factory=list)
    help: Any = ""
    default: Any = ""
    maxlength: int | None = None


@dataclass(frozen=True)
class Part:
    """A group of guide fields (``repeat`` empty) or a repeatable list (``repeat`` set)."""

    slug: str
    title: Any
    fields: list[FieldSpec]
    repeat: str = ""
    row_label: Any = ""
    optional_groups: tuple[str, ...] = ()
    help: Any = ""


def _limit_fields(prefix: str, label: Any) -> list[FieldSpec]:
    return [
        FieldSpec(
            f"{prefix}.days",
            _("%(label)s（天数，0为即办）") % {"label": label},
            "number",
            default="20",
        ),
        FieldSpec(
            f"{prefix}.unit",
            _("%(label)s单位") % {"label": label},
            "select",
            UNIT_CHOICES,
            default="working_day",
        ),
        FieldSpec(
            f"{prefix}.explanation",
            _("%(label)s说明") % {"label": label},
            "textarea",
            maxlength=4000,
        ),
    ]


PARTS: list[Part] = [
    Part(
        "basic",
        _("基本信息"),
        [
            FieldSpec(
                "power_source", _("权力来源"), default="法定本级行使", maxlength=50
            ),
            FieldSpec("entrusted_department", _("委托部门"), maxlength=200),
            FieldSpec(
                "handle_form",
                _("办理形式"),
                help=_("例如：窗口办理、网上办理、快递申请"),
                maxlength=200,
            ),
            FieldSpec("accept_conditions", _("受理条件"), "textarea", maxlength=4000),
            FieldSpec("prohibitions", _("禁止性要求"), "textarea", maxlength=4000),
            FieldSpec("handle_area", _("通办范围"), maxlength=200),
            FieldSpec("quantity_limit", _("数量限制"), maxlength=200),
            FieldSpec("joint_organisations", _("联办机构"), "textarea", maxlength=4000),
            FieldSpec(
                "town_code",
                _("乡镇街道代码"),
                help=_(
                    "由乡镇（街道）、村居（社区）办理时填写；数字或大写字母，最多18位"
                ),
                maxlength=18,
            ),
            FieldSpec("town_name", _("乡镇街道名称"), maxlength=200),
            FieldSpec("village_code", _("村居社区代码"), maxlength=18),
            FieldSpec("village_name", _("村居社区名称"), maxlength=200),
        ],
    ),
    Part(
        "handling-items",
        _("业务办理项"),
        [
            FieldSpec(
                "code",
                _("办理项编码"),
                help=_("1～8位数字或大写字母"),
                maxlength=8,
            ),
            FieldSpec("name", _("办理项名称"), maxlength=200),
        ],
        repeat="handling_items",
        row_label=_("办理项"),
        help=_("同一事项按情形细分的办理项，例如新办、变更、注销。"),
    ),
    Part(
        "materials",
        _("申请材料"),
        [
            FieldSpec("name", _("材料名称"), maxlength=200),
            FieldSpec(
                "material_type",
                _("材料类型"),
                "select",
                MATERIAL_TYPE_CHOICES,
                default="other",
            ),
            FieldSpec("source", _("来源渠道"), "select", SOURCE_CHOICES, default="10"),
            FieldSpec("source_note", _("来源渠道说明"), maxlength=200),
            FieldSpec("form", _("材料形式"), "select", FORM_CHOICES, default="paper"),
            FieldSpec("originals", _("原件份数"), "number", default="1"),
            FieldSpec("copies", _("复印件份数"), "number", default="0"),
            FieldSpec("paper_size", _("纸质材料规格"), default="A4", maxlength=20),
            FieldSpec(
                "necessity", _("材料必要性"), "select", NECESSITY_CHOICES, default="1"
            ),
            FieldSpec("accept_standard", _("受理标准"), "textarea", maxlength=4000),
            FieldSpec("basis", _("要求提供材料的依据"), "textarea", maxlength=4000),
            FieldSpec("fill_instructions", _("填报须知"), "textarea", maxlength=4000),
            FieldSpec("blank_form", _("空白表格"), "attachment"),
            FieldSpec("sample", _("示例样表"), "attachment"),
            FieldSpec("note", _("备注"), "textarea", maxlength=4000),
            FieldSpec(
                "handling_items",
                _("适用的办理项编码"),
                "csv",
                help=_("多个编码用逗号分隔；留空表示适用全部办理项"),
            ),
        ],
        repeat="materials",
        row_label=_("材料"),
    ),
    Part(
        "steps",
        _("办理流程"),
        [
            FieldSpec(
                "name",
                _("环节名称"),
                help=_("例如：受理、审查、决定、制证、送达"),
                maxlength=50,
            ),
            FieldSpec("role", _("办理人员"), maxlength=100),
            FieldSpec("limit.days", _("环节时限（天数，留空为不限）"), "number"),
            FieldSpec(
                "limit.unit",
                _("时限单位"),
                "select",
                UNIT_CHOICES,
                default="working_day",
            ),
            FieldSpec("result", _("办理结果"), maxlength=200),
            FieldSpec("criteria", _("审查标准"), "textarea", maxlength=4000),
        ],
        repeat="steps",
        row_label=_("环节"),
        optional_groups=("limit",),
    ),
    Part(
        "limits",
        _("办结时限与办件类型"),
        [
            *_limit_fields("legal_limit", _("法定办结时限")),
            *_limit_fields("promised_limit", _("承诺办结时限")),
            FieldSpec(
                "case_type",
                _("办件类型"),
                "select",
                CASE_TYPE_CHOICES,
                default="promised",
            ),
        ],
    ),
    Part(
        "special-procedures",
        _("特别程序"),
        [
            FieldSpec(
                "name",
                _("特别程序名称"),
                help=_("例如：听证、检验、检测、专家评审"),
                maxlength=100,
            ),
            FieldSpec("kind", _("种类"), maxlength=50),
            FieldSpec("basis", _("设定依据"), "textarea", maxlength=4000),
            FieldSpec("limit.days", _("时限（天数，留空为不限）"), "number"),
            FieldSpec(
                "limit.unit",
                _("时限单位"),
                "select",
                UNIT_CHOICES,
                default="working_day",
            ),
            FieldSpec(
                "counted_in_limit", _("计入法定办结时限"), "checkbox", default=False
            ),
        ],
        repeat="special_procedures",
        row_label=_("特别程序"),
        optional_groups=("limit",),
    ),
    Part(
        "fee",
        _("收费"),
        [FieldSpec("is_fee", _("本事项收费"), "checkbox", default=False)],
    ),
    Part(
        "fees",
        _("收费项目"),
        [
            FieldSpec("name", _("收费项目名称"), maxlength=200),
            FieldSpec("standard", _("收费标准"), "textarea", maxlength=4000),
            FieldSpec("basis", _("收费依据"), "textarea", maxlength=4000),
            FieldSpec("waiver_allowed", _("允许减免"), "checkbox", default=False),
            FieldSpec("waiver_basis", _("减免依据"), "textarea", maxlength=4000),
        ],
        repeat="fees",
        row_label=_("收费项目"),
    ),
    Part(
        "place",
        _("办理地点、时间与咨询投诉"),
        [
            FieldSpec("transact_address", _("办理地点"), "textarea", maxlength=4000),
            FieldSpec("transact_time", _("办理时间"), "textarea", maxlength=4000),
            FieldSpec("consult_ways", _("咨询方式"), "textarea", maxlength=4000),
            FieldSpec("supervise_ways", _("监督投诉方式"), "textarea", maxlength=4000),
        ],
    ),
    Part(
        "online",
        _("网上办理与便民服务"),
        [
            FieldSpec("is_online", _("可以网上办理"), "checkbox", default=False),
            FieldSpec(
                "offline_reason",
                _("必须现场办理的原因"),
                "textarea",
                help=_("不能网上办理时必填"),
                maxlength=4000,
            ),
            FieldSpec("online_url", _("网上办理地址"), "url", maxlength=500),
            FieldSpec("mobile_url", _("移动端办理地址"), "url", maxlength=500),
            FieldSpec(
                "single_sign_on", _("计算机端对接单点登录"), "checkbox", default=False
            ),
            FieldSpec(
                "mobile_single_sign_on",
                _("移动端对接单点登录"),
                "checkbox",
                default=False,
            ),
            FieldSpec(
                "depth_stages",
                _("网上办理深度（环节）"),
                "checkboxes",
                STAGE_CHOICES,
                default=[],
            ),
            FieldSpec(
                "visits", _("到办事现场次数"), "number", default="1", help=_("0～9次")
            ),
            FieldSpec(
                "supports_appointment", _("支持预约办理"), "checkbox", default=False
            ),
            FieldSpec("supports_express", _("支持物流快递"), "checkbox", default=False),
            FieldSpec(
                "supports_online_payment", _("支持网上支付"), "checkbox", default=False
            ),
            FieldSpec("supports_kiosk", _("支持自助终端"), "checkbox", default=False),
            FieldSpec(
                "in_service_hall", _("进驻政务服务大厅"), "checkbox", default=True
            ),
        ],
    ),
    Part(
        "result",
        _("审批结果"),
        [
            FieldSpec("result_name", _("审批结果名称"), maxlength=200),
            FieldSpec(
                "result_type",
                _("审批结果类型"),
                help=_("例如：证照、批文"),
                maxlength=50,
            ),
            FieldSpec("result_sample", _("审批结果样本"), "attachment"),
        ],
    ),
    Part(
        "intermediaries",
        _("中介服务"),
        [
            FieldSpec("name", _("中介服务名称"), maxlength=200),
            FieldSpec("basis", _("设定依据"), "textarea", maxlength=4000),
            FieldSpec("institutions", _("中介服务机构"), "textarea", maxlength=4000),
            FieldSpec("is_required", _("必须办理"), "checkbox", default=True),
        ],
        repeat="intermediaries",
        row_label=_("中介服务"),
    ),
    Part(
        "faqs",
        _("常见问题"),
        [
            FieldSpec("question", _("问题"), "textarea", maxlength=4000),
            FieldSpec("answer", _("解答"), "textarea", maxlength=4000),
        ],
        repeat="faqs",
        row_label=_("问题"),
    ),
]

PARTS_BY_REPEAT = {part.repeat: part for part in PARTS if part.repeat}
PARTS_BY_SLUG = {part.slug: part for part in PARTS}


# --- paths -------------------------------------------------------------------


def get_path(data: Any, path: str) -> Any:
    node = data
    for part in path.split("."):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
        if node is None:
            return None
    return node


def set_path(data: dict, path: str, value: Any) -> None:
    parts = path.split(".")
    node = data
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


def html_id(path: str) -> str:
    return "f-" + re.sub(r"[^0-9A-Za-z_-]", "-", path)


# --- reading a submitted form ------------------------------------------------


@dataclass
class PendingUpload:
    """A file chosen in an attachment slot, uploaded only when the form is saved."""

    file: UploadedFile
    previous: str | None


def _read_value(spec: FieldSpec, post: Any, files: Any, path: str) -> Any:
    if spec.widget == "checkbox":
        return path in post
    if spec.widget == "checkboxes":
        return [clean_text(v)[:50] for v in post.getlist(path)][:50]
    if spec.widget == "csv":
        text = clean_text(post.get(path, ""))[:1000]
        return [part for part in _CSV_SPLIT.split(text) if part]
    if spec.widget == "number":
        # Full-width digits from a Chinese input method count as digits.
        return unicodedata.normalize("NFKC", clean_text(post.get(path, ""))).strip()
    if spec.widget == "attachment":
        current = clean_text(post.get(path, "")).strip()[:64] or None
        if post.get(f"{path}__clear"):
            current = None
        upload = files.get(f"{path}__file") if files is not None else None
        if upload is not None and upload.name:
            return PendingUpload(upload, current)
        return current
    return clean_text(post.get(path, ""))


def _row_count(post: Any, repeat: str) -> int:
    text = clean_text(post.get(f"{repeat}.__rows", "")).strip()
    if not text.isdigit() or len(text) > 4:
        return 0
    return min(int(text), MAX_ROWS)


def blank_row(part: Part) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for spec in part.fields:
        default = list(spec.default) if isinstance(spec.default, list) else spec.default
        if spec.widget == "attachment":
            default = None
        if spec.widget == "csv":
            default = []
        set_path(row, spec.name, default)
    for group in part.optional_groups:
        if not get_path(row, f"{group}.days"):
            row[group] = None
    return row


def _is_blank(part: Part, row: dict[str, Any]) -> bool:
    """A row left exactly as "add row" made it: every input still at its default.
    Such rows are dropped on save; a row with anything changed is validated."""
    for spec in part.fields:
        value = get_path(row, spec.name)
        if spec.widget == "checkbox":
            if bool(value) != bool(spec.default):
                return False
        elif spec.widget in {"checkboxes", "csv"}:
            if value:
                return False
        elif spec.widget == "attachment":
            if value:
                return False
        elif str(value if value is not None else "").strip() != str(spec.default):
            return False
    return True


@dataclass
class Submission:
    raw: dict[str, Any]
    change_reason: str
    action: str  # save | submit | add | remove
    section: str = ""  # the part slug an add/remove touched
    added_path: str = ""  # first input of an added row (focused after the swap)


def read_submission(post: Any, files: Any = None) -> Submission:
    """The guide as submitted (strings, compacted on save) and what the user asked."""
    raw: dict[str, Any] = {}
    add_target = clean_text(post.get("add_row", ""))
    remove_target = clean_text(post.get("remove_row", ""))
    action = clean_text(post.get("action", "save"))
    if add_target:
        action = "add"
    elif remove_target:
        action = "remove"
    elif action not in {"save", "submit"}:
        action = "save"
    section = ""
    added_path = ""
    for part in PARTS:
        if not part.repeat:
            for spec in part.fields:
                set_path(raw, spec.name, _read_value(spec, post, files, spec.name))
            continue
        rows: list[dict[str, Any]] = []
        for index in range(_row_count(post, part.repeat)):
            row: dict[str, Any] = {}
            for spec in part.fields:
                path = f"{part.repeat}.{index}.{spec.name}"
                set_path(row, spec.name, _read_value(spec, post, files, path))
            for group in part.optional_groups:
                days = get_path(row, f"{group}.days")
                if days is None or not str(days).strip():
                    row[group] = None
            row["_index"] = index
            rows.append(row)
        if action == "remove" and remove_target.startswith(f"{part.repeat}."):
            position = remove_target[len(part.repeat) + 1 :]
            if position.isdigit():
                rows = [r for r in rows if r["_index"] != int(position)]
                section = part.slug
        if action == "add" and add_target == part.repeat and len(rows) < MAX_ROWS:
            rows.append(blank_row(part))
            section = part.slug
            added_path = f"{part.repeat}.{len(rows) - 1}.{part.fields[0].name}"
        if action in {"save", "submit"}:
            rows = [r for r in rows if not _is_blank(part, r)]
        for row in rows:
            row.pop("_index", None)
        raw[part.repeat] = rows
    change_reason = clean_text(post.get("change_reason", ""))
    return Submission(raw, change_reason, action, section, added_path)


def url_errors(raw: dict[str, Any]) -> dict[str, list[str]]:
    """Addresses people will click must be web addresses, never ``javascript:``."""
    found: dict[str, list[str]] = {}
    for part in PARTS:
        for spec in part.fields:
            if spec.widget != "url" or part.repeat:
                continue
            value = str(get_path(raw, spec.name) or "").strip()
            if value and not re.match(r"^https?://[^\s]+$", value, re.IGNORECASE):
                found[spec.name] = [str(_("请填写以 http:// 或 https:// 开头的网址。"))]
    return found


def pending_uploads(raw: dict[str, Any]) -> list[tuple[str, PendingUpload]]:
    found: list[tuple[str, PendingUpload]] = []
    for path in attachment_paths(raw):
        value = get_path(raw, path)
        if isinstance(value, PendingUpload):
            found.append((path, value))
    return found


def attachment_paths(raw: dict[str, Any]) -> list[str]:
    paths: list[str] = []
    for part in PARTS:
        for spec in part.fields:
            if spec.widget != "attachment":
                continue
            if not part.repeat:
                paths.append(spec.name)
                continue
            rows = raw.get(part.repeat) or []
            for index in range(len(rows) if isinstance(rows, list) else 0):
                paths.append(f"{part.repeat}.{index}.{spec.name}")
    return paths


def attachment_ids(raw: dict[str, Any]) -> dict[str, str]:
    """Attachment slot path → id, for every filled slot."""
    found: dict[str, str] = {}
    for path in attachment_paths(raw):
        value = get_path(raw, path)
        if isinstance(value, str) and value:
            found[path] = value
    return found


def set_raw(raw: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node: Any = raw
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[parts[-1]] = value


# --- rendering ---------------------------------------------------------------


@dataclass
class Choice:
    value: str
    label: str
    selected: bool


@dataclass
class BoundField:
    path: str
    id: str
    label: Any
    widget: str
    value: Any
    help: Any = ""
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)
    attachment: Any = None
    maxlength: int | None = None
    autofocus: bool = False

    @property
    def checked(self) -> bool:
        return self.value is True or str(self.value).lower() in {"true", "on", "1"}

    @property
    def describedby(self) -> str:
        ids = []
        if self.help:
            ids.append(f"{self.id}-help")
        if self.errors:
            ids.append(f"{self.id}-error")
        if self.warnings:
            ids.append(f"{self.id}-warning")
        return " ".join(ids)

    @property
    def display_value(self) -> str:
        if self.value is None:
            return ""
        if isinstance(self.value, list):
            return ", ".join(str(v) for v in self.value)
        return str(self.value)


@dataclass
class BoundRow:
    index: int
    label: str
    fields: list[BoundField]
    remove_value: str
    errors: list[str] = field(default_factory=list)


@dataclass
class BoundPart:
    part: Part
    id: str
    fields: list[BoundField] = field(default_factory=list)
    rows: list[BoundRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def is_repeat(self) -> bool:
        return bool(self.part.repeat)

    @property
    def has_problems(self) -> bool:
        return bool(
            self.errors
            or self.warnings
            or any(f.errors or f.warnings for f in self.fields)
            or any(r.errors or any(f.errors for f in r.fields) for r in self.rows)
        )


@dataclass
class SummaryItem:
    label: str
    message: str
    anchor: str


@dataclass
class GuideForm:
    parts: list[BoundPart]
    change_reason: BoundField
    summary: list[SummaryItem]
    warning_summary: list[SummaryItem]

    def part(self, slug: str) -> BoundPart | None:
        return next((p for p in self.parts if p.part.slug == slug), None)


def _take(source: dict[str, list[str]], key: str, used: set[str]) -> list[str]:
    if key in source:
        used.add(key)
        return list(source[key])
    return []


def _bind_field(
    spec: FieldSpec,
    path: str,
    value: Any,
    errors: dict[str, list[str]],
    warnings: dict[str, list[str]],
    used: set[str],
    attachments: dict[str, Any],
) -> BoundField:
    bound = BoundField(
        path=path,
        id=html_id(path),
        label=spec.label,
        widget=spec.widget,
        value=value,
        help=spec.help,
        maxlength=spec.maxlength,
    )
    bound.errors = _take(errors, path, used)
    bound.warnings = _take(warnings, path, used)
    # Nested errors (a literal inside a list, a limit's parts) belong to this input.
    for key in list(errors):
        if key.startswith(f"{path}.") and key not in used:
            bound.errors.extend(_take(errors, key, used))
    if spec.widget in {"select", "checkboxes"}:
        chosen = (
            {str(v) for v in value} if isinstance(value, list) else {str(value or "")}
        )
        bound.choices = [Choice(v, label, v in chosen) for v, label in spec.choices]
    if spec.widget == "attachment":
        previous = value.previous if isinstance(value, PendingUpload) else value
        bound.value = previous
        bound.attachment = attachments.get(str(previous)) if previous else None
    return bound


def bind(
    raw: dict[str, Any],
    *,
    change_reason: str = "",
    errors: dict[str, list[str]] | None = None,
    warnings: dict[str, list[str]] | None = None,
    attachments: dict[str, Any] | None = None,
    labels: dict[str, str] | None = None,
    autofocus_path: str = "",
) -> GuideForm:
    """The form for ``raw`` with ``errors`` and ``warnings`` (path → messages) placed
    next to their inputs; whatever has no input goes to the summary at the top."""
    errors = dict(errors or {})
    warnings = dict(warnings or {})
    attachments = attachments or {}
    used: set[str] = set()
    parts: list[BoundPart] = []
    anchors: dict[str, tuple[str, str]] = {}
    for part in PARTS:
        bound_part = BoundPart(part, f"section-{part.slug}")
        if not part.repeat:
            for spec in part.fields:
                bound = _bind_field(
                    spec,
                    spec.name,
                    get_path(raw, spec.name),
                    errors,
                    warnings,
                    used,
                    attachments,
                )
                bound.autofocus = spec.name == autofocus_path
                bound_part.fields.append(bound)
                anchors[spec.name] = (str(spec.label), bound.id)
        else:
            rows = raw.get(part.repeat) or []
            if not isinstance(rows, list):
                rows = []
            for index, row in enumerate(rows):
                row_path = f"{part.repeat}.{index}"
                row_label = f"{part.row_label} {index + 1}"
                fields = []
                for spec in part.fields:
                    path = f"{row_path}.{spec.name}"
                    bound = _bind_field(
                        spec,
                        path,
                        get_path(row, spec.name) if isinstance(row, dict) else None,
                        errors,
                        warnings,
                        used,
                        attachments,
                    )
                    bound.autofocus = path == autofocus_path
                    fields.append(bound)
                    anchors[path] = (f"{row_label} · {spec.label}", bound.id)
                bound_row = BoundRow(index, row_label, fields, row_path)
                bound_row.errors = _take(errors, row_path, used)
                # e.g. "steps.0.limit" when the whole limit is malformed
                for key in list(errors):
                    if key.startswith(f"{row_path}.") and key not in used:
                        bound_row.errors.extend(_take(errors, key, used))
                bound_part.rows.append(bound_row)
                anchors[row_path] = (row_label, f"{bound_part.id}-row-{index}")
            bound_part.errors = _take(errors, part.repeat, used)
            bound_part.warnings = _take(warnings, part.repeat, used)
            anchors[part.repeat] = (str(part.title), bound_part.id)
        parts.append(bound_part)
    reason = BoundField(
        path="change_reason",
        id=html_id("change_reason"),
        label=_("变更原因"),
        widget="textarea",
        value=change_reason,
        help=_("说明本次修改的内容和理由，提交审核时必填。"),
        maxlength=4000,
    )
    reason.errors = _take(errors, "change_reason", used)
    anchors["change_reason"] = (str(reason.label), reason.id)
    labels = labels or {}
    summary: list[SummaryItem] = [
        SummaryItem(str(reason.label), message, reason.id) for message in reason.errors
    ]
    for bound_part in parts:
        title = str(bound_part.part.title)
        summary.extend(
            SummaryItem(title, message, bound_part.id) for message in bound_part.errors
        )
        for bound in bound_part.fields:
            summary.extend(
                SummaryItem(str(bound.label), message, bound.id)
                for message in bound.errors
            )
        for row in bound_part.rows:
            anchor = f"{bound_part.id}-row-{row.index}"
            summary.extend(
                SummaryItem(f"{title} · {row.label}", message, anchor)
                for message in row.errors
            )
            for bound in row.fields:
                summary.extend(
                    SummaryItem(f"{row.label} · {bound.label}", message, bound.id)
                    for message in bound.errors
                )
    for key, messages in errors.items():
        if key in used:
            continue
        label = labels.get(key) or anchors.get(key, ("", ""))[0]
        summary.extend(SummaryItem(label, message, "") for message in messages)
    warning_summary = [
        SummaryItem(
            anchors.get(key, (labels.get(key, ""), ""))[0],
            message,
            anchors.get(key, ("", ""))[1],
        )
        for key, messages in warnings.items()
        for message in messages
    ]
    return GuideForm(parts, reason, summary, warning_summary)
