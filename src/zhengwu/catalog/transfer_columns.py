"""The one mapping table behind the catalogue's import and export.

Every column of the Excel workbook and every key of the JSON export comes from the
table below, so the two formats cannot drift apart. A column names:

- ``header``: the Chinese column title departments see (row 1 of each sheet);
- ``exchange``: the field name in the national exchange tables (standards §2,
  ``up_task_general_basic`` / ``_extend`` / ``_material`` / ``_fee_project`` /
  ``_questions``). It is written to the hidden row 2 of each sheet and is the key of
  the JSON export. ``national=False`` marks names the standard does not give: they are
  formed the same way (or are the guide's own field name) and are ours;
- ``path``: where the value lives in the guide (``legal_limit.days``) or, on a list
  sheet, in one element (``limit.days``); empty for columns that are only exported;
- ``kind``: how the value becomes a cell (是/否, Chinese enumeration labels from
  :data:`guide.LABELS`, 、-joined stage names from :data:`guide.DEPTH_STAGES`) and
  how a cell is read back, with the Chinese reason when it cannot be.

Sheets (``SHEETS``): 事项 (one row per listing version), then one sheet per list of
the guide, each row keyed by 实施编码 + 序号. Every guide field appears exactly once
(``test_transfer.py`` checks it against :class:`guide.Guide`).
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from zhengwu.core.models import OrganisationLevel

from .constants import Audience
from .guide import DEPTH_LABELS, DEPTH_STAGES, LABELS, depth_level


class CellValueError(ValueError):
    """A cell that cannot be read; ``str(error)`` is the Chinese reason."""


class _Omit:
    """Marker: the cell is blank and the guide's default applies."""

    def __repr__(self) -> str:
        return "OMIT"


OMIT = _Omit()
LIST_SEPARATORS = re.compile(r"[、，,；;\s]+")


def is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def cell_text(raw: Any) -> str:
    """The text of a cell, whatever Excel made of it (numbers typed as text …)."""
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "是" if raw else "否"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, datetime.datetime):
        if raw.time() == datetime.time(0):
            return raw.date().isoformat()
        return raw.isoformat(sep=" ")
    if isinstance(raw, datetime.date):
        return raw.isoformat()
    return str(raw)


class Kind:
    """How a value is written to a cell, read back from one, and put in JSON."""

    description = "文本"
    #: value when the cell is blank (``OMIT``: the guide's default applies)
    blank: Any = OMIT
    #: labels offered as a drop-down list in the workbook
    choices: tuple[str, ...] = ()

    def to_cell(self, value: Any) -> Any:
        return value if value != "" else None

    def from_cell(self, raw: Any) -> Any:
        return cell_text(raw)

    def to_json(self, value: Any) -> Any:
        return value

    def read(self, raw: Any) -> Any:
        return self.blank if is_blank(raw) else self.from_cell(raw)


class Text(Kind):
    blank = ""


class AttachmentId(Kind):
    """An attachment's id (uuid), or blank for none."""

    description = "附件编号"
    blank = None

    def from_cell(self, raw: Any) -> str:
        text = cell_text(raw).strip()
        try:
            uuid.UUID(text)
        except ValueError:
            raise CellValueError(
                "附件编号格式不正确（应为上传附件时得到的编号）。"
            ) from None
        return text


class Integer(Kind):
    description = "整数"

    def to_cell(self, value: Any) -> Any:
        return value

    def from_cell(self, raw: Any) -> int:
        if isinstance(raw, bool):
            raise CellValueError("应为整数。")
        if isinstance(raw, int):
            return raw
        if isinstance(raw, float):
            if raw.is_integer():
                return int(raw)
            raise CellValueError("应为整数。")
        text = cell_text(raw).strip()
        if re.fullmatch(r"[+-]?\d+(\.0+)?", text):
            return int(float(text))
        raise CellValueError("应为整数。")


class Boolean(Kind):
    description = "是/否"
    choices = ("是", "否")

    def to_cell(self, value: Any) -> str:
        return "是" if value else "否"

    def from_cell(self, raw: Any) -> bool:
        if isinstance(raw, bool):
            return raw
        text = cell_text(raw).strip()
        if text == "是":
            return True
        if text == "否":
            return False
        raise CellValueError("应为“是”或“否”。")


class Enumeration(Kind):
    """A code shown by its Chinese label; the code itself is accepted too."""

    def __init__(self, labels: dict[str, str]) -> None:
        self.labels = labels
        self.codes = {label: code for code, label in labels.items()}
        self.choices = tuple(labels.values())
        self.description = "、".join(self.choices)

    @classmethod
    def from_guide(cls, prefix: str) -> Enumeration:
        start = f"{prefix}."
        return cls(
            {
                key.removeprefix(start): label
                for key, label in LABELS.items()
                if key.startswith(start)
            }
        )

    def to_cell(self, value: Any) -> Any:
        return self.labels.get(str(value), value)

    def from_cell(self, raw: Any) -> str:
        text = cell_text(raw).strip()
        if text in self.codes:
            return self.codes[text]
        if text in self.labels:
            return text
        raise CellValueError(f"取值应为：{'、'.join(self.choices)}")


class Level(Enumeration):
    """行使层级 (§1.4): an integer in the data, a label in the workbook."""

    def __init__(self) -> None:
        super().__init__({str(v): str(label) for v, label in OrganisationLevel.choices})

    def from_cell(self, raw: Any) -> int:  # type: ignore[override]
        return int(super().from_cell(raw))

    def to_json(self, value: Any) -> str:
        return str(value)


class Stages(Kind):
    """网上办理深度 (§3): the stage set, 、-joined Chinese stage names."""

    description = "、".join(DEPTH_STAGES.values()) + "（可多选，用“、”分隔）"
    names = {name: key for key, name in DEPTH_STAGES.items()}

    def read(self, raw: Any) -> Any:
        return [] if is_blank(raw) else self.from_cell(raw)

    def to_cell(self, value: Any) -> Any:
        return "、".join(DEPTH_STAGES[s] for s in value) or None

    def from_cell(self, raw: Any) -> list[str]:
        stages: list[str] = []
        unknown: list[str] = []
        for part in LIST_SEPARATORS.split(cell_text(raw).strip()):
            if not part:
                continue
            key = self.names.get(part, part if part in DEPTH_STAGES else None)
            if key is None:
                unknown.append(part)
            elif key not in stages:
                stages.append(key)
        if unknown:
            raise CellValueError(
                f"未知的网上办理深度环节：{'、'.join(unknown)}；"
                f"可选：{'、'.join(DEPTH_STAGES.values())}"
            )
        return stages


class Codes(Kind):
    """A list of short codes, 、-joined (the handling items a material applies to)."""

    description = "业务办理项编码，多个用“、”分隔，空白表示全部"

    def read(self, raw: Any) -> Any:
        return [] if is_blank(raw) else self.from_cell(raw)

    def to_cell(self, value: Any) -> Any:
        return "、".join(value) or None

    def from_cell(self, raw: Any) -> list[str]:
        return [p for p in LIST_SEPARATORS.split(cell_text(raw).strip()) if p]


class Date(Kind):
    description = "日期"

    def to_cell(self, value: Any) -> Any:
        return value

    def to_json(self, value: Any) -> Any:
        return value.isoformat() if value else None


class LegalBasis(Kind):
    """设定依据 of the base item: JSON keeps the list, the workbook one line each."""

    def to_cell(self, value: Any) -> Any:
        lines = [
            " ".join(p for p in (e.get("law"), e.get("article"), e.get("text")) if p)
            for e in value or []
        ]
        return "\n".join(lines) or None


TEXT = Text()
ATTACHMENT = AttachmentId()
INTEGER = Integer()
BOOLEAN = Boolean()
STAGES = Stages()
CODES = Codes()
DATE = Date()
LEVEL = Level()
TIME_UNIT = Enumeration.from_guide("time_unit")
CASE_TYPE = Enumeration.from_guide("case_type")
MATERIAL_TYPE = Enumeration.from_guide("material_type")
SOURCE = Enumeration.from_guide("source")
FORM = Enumeration.from_guide("form")
NECESSITY = Enumeration.from_guide("necessity")


@dataclass(frozen=True)
class ItemSource:
    """What an export-only column of the 事项 sheet reads: the version and its listing."""

    version: Any  # ListingVersion
    guide: dict[str, Any]


#: Roles of a column: the row key, a checked read-only column, an informative column
#: (exported, ignored on import), a guide value, the change reason, the list ordinal.
KEY, CHECK, INFO, GUIDE, REASON, ORDINAL = (
    "key",
    "check",
    "info",
    "guide",
    "reason",
    "ordinal",
)


@dataclass(frozen=True)
class Column:
    header: str
    exchange: str
    path: str = ""
    kind: Kind = TEXT
    role: str = GUIDE
    national: bool = True
    get: Callable[[ItemSource], Any] | None = None
    width: int = 18
    #: the import refuses a sheet without this column (default: key, ordinal and
    #: guide columns; the checked and informative ones may be left out)
    required: bool | None = None

    @property
    def is_required(self) -> bool:
        if self.required is not None:
            return self.required
        return self.role in (KEY, GUIDE, ORDINAL)


@dataclass(frozen=True)
class Sheet:
    title: str
    #: key of the list in the JSON export ("" for the 事项 sheet)
    exchange: str
    #: the Guide attribute holding the list ("" for the 事项 sheet)
    guide_list: str
    columns: tuple[Column, ...]
    #: a workbook without this sheet is refused; an optional sheet left out keeps
    #: the current content of its list
    required: bool = True
    #: nested groups of an element that are ``None`` when all their cells are blank
    optional_groups: tuple[str, ...] = ()

    def column(self, header: str) -> Column:
        return next(c for c in self.columns if c.header == header)


CODE_HEADER = "实施编码"
ORDINAL_HEADER = "序号"


def _listing(source: ItemSource) -> Any:
    return source.version.listing


def _status_label(source: ItemSource) -> str:
    return str(source.version.get_status_display())


def _server_type(source: ItemSource) -> str:
    """服务对象 (server_type): whom the base item serves."""
    item = _listing(source).base_item
    audiences = (
        (item.for_natural_person, Audience.NATURAL_PERSON.label),
        (item.for_legal_person, Audience.LEGAL_PERSON.label),
    )
    return "、".join(str(label) for serves, label in audiences if serves)


def _themes(audience: str) -> Callable[[ItemSource], str]:
    """面向自然人 / 面向法人 theme classes of the base item (user_ / corp_topic_type)."""

    def get(source: ItemSource) -> str:
        themes = _listing(source).base_item.themes.all()
        return "、".join(t.name for t in themes if t.audience == audience)

    return get


def _open_reason(source: ItemSource) -> str:
    from .constants import OPEN_STATUSES

    version = source.version
    return version.change_reason if version.status in OPEN_STATUSES else ""


ITEM_SHEET = Sheet(
    "事项",
    "",
    "",
    (
        Column(
            CODE_HEADER,
            "task_code",
            role=KEY,
            get=lambda s: _listing(s).code,
            width=36,
        ),
        Column(
            "基本编码",
            "catalog_code",
            role=CHECK,
            get=lambda s: _listing(s).base_item.code,
            width=16,
        ),
        Column(
            "事项名称",
            "task_name",
            role=CHECK,
            required=True,
            get=lambda s: _listing(s).base_item.name,
            width=30,
        ),
        Column(
            "实施主体编码",
            "dept_code",
            role=CHECK,
            get=lambda s: _listing(s).organisation.credit_code,
            width=22,
        ),
        Column(
            "实施主体",
            "dept_name",
            role=INFO,
            get=lambda s: _listing(s).organisation.name,
            width=24,
        ),
        Column(
            "实施主体性质",
            "dept_type",
            role=INFO,
            get=lambda s: _listing(s).organisation.kind,
            width=14,
        ),
        Column(
            "行使层级",
            "use_level",
            kind=LEVEL,
            role=CHECK,
            get=lambda s: _listing(s).level,
            width=12,
        ),
        Column(
            "事项类型",
            "task_type",
            role=INFO,
            get=lambda s: _listing(s).base_item.item_type.code,
            width=12,
        ),
        Column(
            "事项类型名称",
            "task_type_name",
            role=INFO,
            national=False,
            get=lambda s: _listing(s).base_item.item_type.name,
            width=14,
        ),
        Column(
            "设定依据",
            "by_law",
            kind=LegalBasis(),
            role=INFO,
            get=lambda s: _listing(s).base_item.legal_basis,
            width=40,
        ),
        Column("服务对象", "server_type", role=INFO, get=_server_type, width=12),
        Column(
            "面向自然人主题分类",
            "user_topic_type",
            role=INFO,
            get=_themes(Audience.NATURAL_PERSON),
            width=16,
        ),
        Column(
            "面向法人主题分类",
            "corp_topic_type",
            role=INFO,
            get=_themes(Audience.LEGAL_PERSON),
            width=16,
        ),
        Column(
            "版本号",
            "task_version",
            kind=INTEGER,
            role=INFO,
            get=lambda s: s.version.number,
            width=8,
        ),
        Column(
            "版本状态",
            "task_state",
            role=INFO,
            get=_status_label,
            width=10,
        ),
        Column(
            "生效日期",
            "effective_from",
            kind=DATE,
            role=INFO,
            national=False,
            get=lambda s: s.version.effective_from,
            width=12,
        ),
        Column(
            "取消日期",
            "effective_until",
            kind=DATE,
            role=INFO,
            national=False,
            get=lambda s: s.version.effective_until,
            width=12,
        ),
        Column("权力来源", "power_source", "power_source"),
        Column("委托部门", "entrust_name", "entrusted_department"),
        Column("受理条件", "accept_condition", "accept_conditions", width=40),
        Column("禁止性要求", "prohibitions", "prohibitions", national=False, width=30),
        Column("办理形式", "handle_type", "handle_form"),
        Column("法定办结时限", "anticipate_day", "legal_limit.days", INTEGER, width=12),
        Column(
            "法定办结时限单位",
            "anticipate_type",
            "legal_limit.unit",
            TIME_UNIT,
            width=12,
        ),
        Column(
            "法定办结时限说明",
            "anticipate_explain",
            "legal_limit.explanation",
            width=30,
        ),
        Column("承诺办结时限", "promise_day", "promised_limit.days", INTEGER, width=12),
        Column(
            "承诺办结时限单位",
            "promise_type",
            "promised_limit.unit",
            TIME_UNIT,
            width=12,
        ),
        Column(
            "承诺办结时限说明",
            "promise_explain",
            "promised_limit.explanation",
            width=30,
        ),
        Column("办件类型", "project_type", "case_type", CASE_TYPE, width=10),
        Column("是否收费", "is_fee", "is_fee", BOOLEAN, width=10),
        Column("办理地点", "transact_addr", "transact_address", width=30),
        Column("办理时间", "transact_time", "transact_time", width=30),
        Column("咨询方式", "link_way", "consult_ways", width=24),
        Column("监督投诉方式", "supervise_way", "supervise_ways", width=24),
        Column("是否网办", "is_online", "is_online", BOOLEAN, width=10),
        Column(
            "必须现场办理原因说明",
            "limit_scene_explain",
            "offline_reason",
            width=30,
        ),
        Column("网上办理地址", "online_url", "online_url", national=False, width=30),
        Column("移动端办理地址", "mobile_url", "mobile_url", national=False, width=30),
        # Added after the first layout: optional, so an older workbook without these
        # columns keeps each listing's current values (also the four 乡镇/村居 below).
        Column(
            "计算机端是否对接单点登录",
            "is_single_login",
            "single_sign_on",
            BOOLEAN,
            required=False,
            width=12,
        ),
        Column(
            "移动端是否对接单点登录",
            "app_is_single_login",
            "mobile_single_sign_on",
            BOOLEAN,
            required=False,
            width=12,
        ),
        Column("网上办理深度", "online_handle_depth", "depth_stages", STAGES, width=40),
        Column(
            "网上办理深度等级",
            "online_handle_level",
            role=INFO,
            national=False,
            get=lambda s: DEPTH_LABELS[depth_level(s.guide.get("depth_stages", []))],
            width=14,
        ),
        Column("到办事现场次数", "limit_scene_num", "visits", INTEGER, width=12),
        Column(
            "支持预约办理", "is_schedule", "supports_appointment", BOOLEAN, width=10
        ),
        Column("支持物流快递", "is_express", "supports_express", BOOLEAN, width=10),
        Column(
            "支持网上支付",
            "is_pay_online",
            "supports_online_payment",
            BOOLEAN,
            width=10,
        ),
        Column(
            "支持自助终端",
            "is_self_terminal",
            "supports_kiosk",
            BOOLEAN,
            national=False,
            width=10,
        ),
        Column(
            "进驻政务大厅",
            "is_in_hall",
            "in_service_hall",
            BOOLEAN,
            national=False,
            width=10,
        ),
        Column("通办范围", "handle_area", "handle_area"),
        Column("数量限制", "quantity_limit", "quantity_limit", national=False),
        Column("审批结果名称", "result_name", "result_name"),
        Column("审批结果类型", "result_type", "result_type"),
        Column("审批结果样本", "result_guid", "result_sample", ATTACHMENT, width=38),
        Column(
            "联办机构",
            "joint_organisations",
            "joint_organisations",
            national=False,
            width=24,
        ),
        Column("乡镇街道代码", "town_code", "town_code", required=False, width=22),
        Column("乡镇街道名称", "town_name", "town_name", required=False, width=20),
        Column(
            "村居社区代码", "village_code", "village_code", required=False, width=22
        ),
        Column(
            "村居社区名称", "village_name", "village_name", required=False, width=20
        ),
        Column(
            "本次变更原因",
            "change_reason",
            role=REASON,
            national=False,
            get=_open_reason,
            width=30,
        ),
    ),
)


def _key_columns() -> tuple[Column, Column]:
    return (
        Column(CODE_HEADER, "task_code", role=KEY, width=36),
        Column(
            ORDINAL_HEADER,
            "order_num",
            kind=INTEGER,
            role=ORDINAL,
            national=False,
            width=6,
        ),
    )


LIST_SHEETS: tuple[Sheet, ...] = (
    Sheet(
        "材料",
        "materials",
        "materials",
        (
            *_key_columns(),
            Column("材料名称", "material_name", "name", width=30),
            Column("材料类型", "material_type", "material_type", MATERIAL_TYPE),
            Column("来源渠道", "source_type", "source", SOURCE, width=14),
            Column("来源渠道说明", "source_explain", "source_note"),
            Column("材料形式", "material_format", "form", FORM, width=12),
            Column("原件份数", "page_num", "originals", INTEGER, width=10),
            Column("复印件份数", "page_copynum", "copies", INTEGER, width=10),
            Column("纸质材料规格", "page_format", "paper_size", width=12),
            Column("材料必要性", "is_need", "necessity", NECESSITY, width=12),
            Column("受理标准", "accept_stand", "accept_standard", width=30),
            Column(
                "要求提供材料的依据",
                "material_basis",
                "basis",
                national=False,
                width=30,
            ),
            Column("填报须知", "fill_explain", "fill_instructions", width=30),
            Column("空白表格", "form_guid", "blank_form", ATTACHMENT, width=38),
            Column("示例样表", "example_guid", "sample", ATTACHMENT, width=38),
            Column("备注", "remark", "note"),
            Column(
                "适用办理项",
                "task_handle_item",
                "handling_items",
                CODES,
                national=False,
            ),
        ),
    ),
    Sheet(
        "收费",
        "fees",
        "fees",
        (
            *_key_columns(),
            Column("收费项目名称", "fee_name", "name", width=24),
            Column("收费标准", "fee_stand", "standard", width=30),
            Column("收费依据", "fee_basis", "basis", width=30),
            Column(
                "是否允许减免",
                "is_reduce",
                "waiver_allowed",
                BOOLEAN,
                national=False,
                width=10,
            ),
            Column(
                "允许减免依据", "reduce_basis", "waiver_basis", national=False, width=30
            ),
        ),
    ),
    Sheet(
        "流程",
        "handle_flow",  # 办理流程 (handle_flow)
        "steps",
        (
            *_key_columns(),
            Column("环节名称", "step_name", "name", national=False, width=12),
            Column("办理人员", "step_role", "role", national=False, width=14),
            Column(
                "环节时限",
                "step_limit",
                "limit.days",
                INTEGER,
                national=False,
                width=10,
            ),
            Column(
                "环节时限单位",
                "step_limit_type",
                "limit.unit",
                TIME_UNIT,
                national=False,
                width=12,
            ),
            Column(
                "环节时限说明",
                "step_limit_explain",
                "limit.explanation",
                national=False,
                width=24,
            ),
            Column("办理结果", "step_result", "result", national=False, width=20),
            Column("审查标准", "step_standard", "criteria", national=False, width=30),
        ),
        optional_groups=("limit",),
    ),
    Sheet(
        "常见问题",
        "questions",
        "faqs",
        (
            *_key_columns(),
            Column("问题", "question", "question", width=40),
            Column("答案", "answer", "answer", width=60),
        ),
    ),
    Sheet(
        "办理项",
        "handle_items",
        "handling_items",
        (
            *_key_columns(),
            Column("办理项编码", "task_handle_item", "code", width=12),
            Column("办理项名称", "handle_item_name", "name", national=False, width=24),
        ),
    ),
    Sheet(
        "特别程序",
        "special_procedure",  # 特别程序 (special_procedure)
        "special_procedures",
        (
            *_key_columns(),
            Column("特别程序名称", "special_name", "name", national=False, width=20),
            Column("特别程序种类", "special_type", "kind", national=False, width=14),
            Column("设定依据", "special_basis", "basis", national=False, width=30),
            Column(
                "特别程序时限",
                "special_limit",
                "limit.days",
                INTEGER,
                national=False,
                width=10,
            ),
            Column(
                "特别程序时限单位",
                "special_limit_type",
                "limit.unit",
                TIME_UNIT,
                national=False,
                width=12,
            ),
            Column(
                "特别程序时限说明",
                "special_limit_explain",
                "limit.explanation",
                national=False,
                width=24,
            ),
            Column(
                "是否计算在法定办结时限内",
                "is_count_limit",
                "counted_in_limit",
                BOOLEAN,
                national=False,
                width=12,
            ),
        ),
        optional_groups=("limit",),
    ),
    # Not in the departments' original layout: optional, so an older workbook without
    # it keeps each listing's current intermediary services.
    Sheet(
        "中介服务",
        "intermediaries",
        "intermediaries",
        (
            *_key_columns(),
            Column("中介服务名称", "agent_name", "name", national=False, width=24),
            Column("设定依据", "agent_basis", "basis", national=False, width=30),
            Column(
                "中介服务机构", "agent_org", "institutions", national=False, width=30
            ),
            Column("是否必须", "is_required", "is_required", BOOLEAN, national=False),
        ),
        required=False,
    ),
)

SHEETS: tuple[Sheet, ...] = (ITEM_SHEET, *LIST_SHEETS)
SHEET_ORDER = {sheet.title: index for index, sheet in enumerate(SHEETS)}
MAPPING_SHEET_TITLE = "字段对照"


def get_path(data: dict[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    target = data
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value
