"""The service guide (办事指南) of one listing version: its schema, the derived
online-handling level, the consistency rules (§2.1) and the shared-element fingerprint.

A guide is one validated JSON document per version, so a version is an immutable
snapshot that can be compared, exported and re-imported as a whole. Field names follow
the national exchange tables where they exist (comments give the exchange name)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Literal

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from pydantic import BaseModel, ConfigDict, Field, field_validator

TEXT = 4000
SHORT = 200
LOCAL_CODE = r"^[0-9A-Z]*$"  # 乡镇街道 / 村居社区 code: digits and capitals, ≤ 18

TimeUnit = Literal["working_day", "natural_day"]
CaseType = Literal["instant", "promised"]  # 即办件 / 承诺件
MaterialType = Literal[
    "certificate", "form", "other"
]  # 证件证书证明 / 申请表格文书 / 其他
MaterialSource = Literal["10", "20", "99"]  # 申请人自备 / 政府部门核发 / 其他
MaterialForm = Literal["paper", "electronic", "both"]  # 纸质 / 电子 / 纸质+电子
Necessity = Literal["1", "2", "3"]  # 必要 / 非必要 / 容缺后补

DEPTH_STAGES: dict[str, str] = {
    "consult": "互联网咨询",
    "receive": "互联网收件",
    "prereview": "互联网预审",
    "accept": "互联网受理",
    "handle": "互联网办理",
    "result_feedback": "互联网办理结果信息反馈",
    "licence_feedback": "互联网电子证照反馈",
}
DepthStage = Literal[
    "consult",
    "receive",
    "prereview",
    "accept",
    "handle",
    "result_feedback",
    "licence_feedback",
]
DEPTH_LABELS = {1: "Ⅰ级", 2: "Ⅱ级", 3: "Ⅲ级", 4: "全程网办（Ⅳ级）"}

LABELS: dict[str, str] = {
    "time_unit.working_day": "工作日",
    "time_unit.natural_day": "自然日",
    "case_type.instant": "即办件",
    "case_type.promised": "承诺件",
    "material_type.certificate": "证件证书证明",
    "material_type.form": "申请表格文书",
    "material_type.other": "其他",
    "source.10": "申请人自备",
    "source.20": "政府部门核发",
    "source.99": "其他",
    "form.paper": "纸质",
    "form.electronic": "电子",
    "form.both": "纸质+电子",
    "necessity.1": "必要",
    "necessity.2": "非必要",
    "necessity.3": "容缺后补",
}


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TimeLimit(_Part):
    """法定/承诺办结时限: ``days`` 0 means 即办 (completed on the spot)."""

    days: int = Field(ge=0, le=3650)
    unit: TimeUnit = "working_day"
    explanation: str = Field(default="", max_length=TEXT)


class HandlingItem(_Part):
    """业务办理项: a handling situation of the listing (新办 / 变更 / 注销 …)."""

    code: str = Field(pattern=r"^[0-9A-Z]{1,8}$")
    name: str = Field(min_length=1, max_length=SHORT)


class Material(_Part):
    name: str = Field(min_length=1, max_length=SHORT)
    material_type: MaterialType = "other"
    source: MaterialSource = "10"
    source_note: str = Field(default="", max_length=SHORT)
    form: MaterialForm = "paper"
    originals: int = Field(default=1, ge=0, le=99)  # page_num
    copies: int = Field(default=0, ge=0, le=99)  # page_copynum
    paper_size: str = Field(default="A4", max_length=20)
    necessity: Necessity = "1"
    accept_standard: str = Field(default="", max_length=TEXT)
    basis: str = Field(default="", max_length=TEXT)
    fill_instructions: str = Field(default="", max_length=TEXT)
    blank_form: str | None = Field(default=None, description="attachment id")
    sample: str | None = Field(default=None, description="attachment id")
    note: str = Field(default="", max_length=TEXT)
    handling_items: list[str] = Field(
        default_factory=list, description="codes; empty = all"
    )


class Fee(_Part):
    name: str = Field(min_length=1, max_length=SHORT)
    standard: str = Field(min_length=1, max_length=TEXT)
    basis: str = Field(default="", max_length=TEXT)
    waiver_allowed: bool = False
    waiver_basis: str = Field(default="", max_length=TEXT)


class Step(_Part):
    """办理流程 step: 受理 → 审查 → 决定 → 制证 → 送达."""

    name: str = Field(min_length=1, max_length=50)
    role: str = Field(default="", max_length=100)
    limit: TimeLimit | None = None
    result: str = Field(default="", max_length=SHORT)
    criteria: str = Field(default="", max_length=TEXT)


class SpecialProcedure(_Part):
    """特别程序 / 特殊环节 (行政许可法 第45条): not counted in the limit unless flagged."""

    name: str = Field(min_length=1, max_length=100)
    kind: str = Field(default="", max_length=50)
    basis: str = Field(default="", max_length=TEXT)
    limit: TimeLimit | None = None
    counted_in_limit: bool = False


class Faq(_Part):
    question: str = Field(min_length=1, max_length=TEXT)
    answer: str = Field(min_length=1, max_length=TEXT)


class Intermediary(_Part):
    name: str = Field(min_length=1, max_length=SHORT)
    basis: str = Field(default="", max_length=TEXT)
    institutions: str = Field(default="", max_length=TEXT)
    is_required: bool = True


class Guide(_Part):
    """Every element of the service guide (§2) that a listing sets itself. Name, codes,
    item type and legal basis are not here: they come from the base item."""

    power_source: str = Field(default="法定本级行使", max_length=50)
    entrusted_department: str = Field(default="", max_length=SHORT)
    handling_items: list[HandlingItem] = Field(default_factory=list)
    accept_conditions: str = Field(default="", max_length=TEXT)
    prohibitions: str = Field(default="", max_length=TEXT)
    handle_form: str = Field(default="", max_length=SHORT)  # 办理形式
    materials: list[Material] = Field(default_factory=list)
    steps: list[Step] = Field(default_factory=list)
    legal_limit: TimeLimit = Field(default_factory=lambda: TimeLimit(days=20))
    promised_limit: TimeLimit = Field(default_factory=lambda: TimeLimit(days=20))
    case_type: CaseType = "promised"
    special_procedures: list[SpecialProcedure] = Field(default_factory=list)
    is_fee: bool = False
    fees: list[Fee] = Field(default_factory=list)
    transact_address: str = Field(default="", max_length=TEXT)
    transact_time: str = Field(default="", max_length=TEXT)
    consult_ways: str = Field(default="", max_length=TEXT)
    supervise_ways: str = Field(default="", max_length=TEXT)
    is_online: bool = False
    offline_reason: str = Field(default="", max_length=TEXT)  # limit_scene_explain
    online_url: str = Field(default="", max_length=500)
    mobile_url: str = Field(default="", max_length=500)
    # 计算机端 / 移动端是否对接单点登录 (is_single_login / app_is_single_login)
    single_sign_on: bool = False
    mobile_single_sign_on: bool = False
    depth_stages: list[DepthStage] = Field(default_factory=list)
    visits: int = Field(default=1, ge=0, le=9)  # limit_scene_num
    supports_appointment: bool = False
    supports_express: bool = False
    supports_online_payment: bool = False
    supports_kiosk: bool = False
    in_service_hall: bool = True
    handle_area: str = Field(default="", max_length=SHORT)  # 通办范围
    quantity_limit: str = Field(default="", max_length=SHORT)
    result_name: str = Field(default="", max_length=SHORT)
    result_type: str = Field(default="", max_length=50)
    result_sample: str | None = None
    intermediaries: list[Intermediary] = Field(default_factory=list)
    joint_organisations: str = Field(default="", max_length=TEXT)  # 联办机构
    # 乡镇街道 / 村居社区 where a township or village body handles the item: codes of
    # at most 18 characters (town_code / village_code), names (town_name / village_name)
    town_code: str = Field(default="", max_length=18, pattern=LOCAL_CODE)
    town_name: str = Field(default="", max_length=SHORT)
    village_code: str = Field(default="", max_length=18, pattern=LOCAL_CODE)
    village_name: str = Field(default="", max_length=SHORT)
    faqs: list[Faq] = Field(default_factory=list)

    @field_validator("depth_stages")
    @classmethod
    def _unique_stages(cls, value: list[str]) -> list[str]:
        return [stage for stage in DEPTH_STAGES if stage in set(value)]

    def attachment_ids(self) -> set[str]:
        ids = {m.blank_form for m in self.materials} | {
            m.sample for m in self.materials
        }
        ids.add(self.result_sample)
        return {i for i in ids if i}


# Default rule deriving the level from the stage set (§3): the first level whose
# required stages are all present. A province overrides it with ZHENGWU_DEPTH_RULES.
DEFAULT_DEPTH_RULES: list[tuple[int, frozenset[str]]] = [
    (4, frozenset({"receive", "prereview", "accept", "handle", "result_feedback"})),
    (3, frozenset({"accept", "handle"})),
    (2, frozenset({"receive"})),
    (2, frozenset({"prereview"})),
]


def depth_level(stages: list[str]) -> int:
    rules = getattr(settings, "ZHENGWU_DEPTH_RULES", DEFAULT_DEPTH_RULES)
    present = set(stages)
    for level, required in rules:
        if required <= present:
            return level
    return 1


@dataclass(frozen=True)
class RuleIssue:
    """One broken consistency rule. ``severity`` "error" blocks publication."""

    code: str
    field: str
    message: str
    severity: Literal["error", "warning"] = "error"


def _limit_in_days(limit: TimeLimit) -> tuple[int, str]:
    return limit.days, limit.unit


def check_rules(guide: Guide) -> list[RuleIssue]:
    """The consistency rules of standards §2.1, plus completeness of the guide."""
    issues: list[RuleIssue] = []
    add = issues.append
    level = depth_level(guide.depth_stages)
    # §2.1 rule 1
    if level == 4 and guide.visits != 0:
        add(
            RuleIssue(
                "guide.depth4_requires_zero_visits",
                "visits",
                str(_("全程网办（Ⅳ级）事项的到现场次数必须为0。")),
            )
        )
    # §2.1 rule 2
    if guide.visits == 0 and not guide.is_online and not guide.supports_express:
        add(
            RuleIssue(
                "guide.zero_visits_offline_requires_express",
                "supports_express",
                str(_("到现场次数为0且不可网办的事项必须支持物流快递。")),
            )
        )
    # §2.1 rule 3
    if not guide.is_fee and guide.supports_online_payment:
        add(
            RuleIssue(
                "guide.no_fee_no_online_payment",
                "supports_online_payment",
                str(_("不收费的事项不能支持网上支付。")),
            )
        )
    # §2.1 rule 4
    if guide.result_name and not guide.result_sample:
        add(
            RuleIssue(
                "guide.result_requires_sample",
                "result_sample",
                str(_("填写了审批结果名称，必须上传审批结果样本。")),
            )
        )
    # §2.1 rule 5
    if guide.promised_limit.days == 0 and guide.case_type != "instant":
        add(
            RuleIssue(
                "guide.instant_limit_requires_instant_case",
                "case_type",
                str(_("承诺时限为即办的，办件类型必须为即办件。")),
            )
        )
    if not guide.is_online and not guide.offline_reason:
        add(
            RuleIssue(
                "guide.offline_requires_reason",
                "offline_reason",
                str(_("不能网上办理的事项必须说明必须现场办理的原因。")),
            )
        )
    if guide.is_online and level < 2:
        add(
            RuleIssue(
                "guide.online_requires_stages",
                "depth_stages",
                str(_("网上可办的事项至少应支持互联网收件或预审。")),
            )
        )
    for field, label in (
        ("accept_conditions", _("受理条件")),
        ("transact_address", _("办理地点")),
        ("transact_time", _("办理时间")),
        ("consult_ways", _("咨询方式")),
        ("supervise_ways", _("监督投诉方式")),
    ):
        if not getattr(guide, field):
            add(
                RuleIssue(
                    "guide.missing_element",
                    field,
                    str(_("办事指南缺少“%(label)s”。") % {"label": label}),
                )
            )
    if not guide.steps:
        add(
            RuleIssue(
                "guide.missing_element", "steps", str(_("办事指南缺少办理流程。"))
            )
        )
    # Derived from the definitions; warnings until confirmed (§2.1).
    legal_days, legal_unit = _limit_in_days(guide.legal_limit)
    promised_days, promised_unit = _limit_in_days(guide.promised_limit)
    if legal_unit == promised_unit and promised_days > legal_days:
        add(
            RuleIssue(
                "guide.promised_exceeds_legal",
                "promised_limit",
                str(_("承诺办结时限超过法定办结时限。")),
                "warning",
            )
        )
    if guide.is_fee and not guide.fees:
        add(
            RuleIssue(
                "guide.fee_requires_items",
                "fees",
                str(_("收费事项应列明收费项目。")),
                "warning",
            )
        )
    if guide.is_online and not guide.online_url:
        add(
            RuleIssue(
                "guide.online_requires_url",
                "online_url",
                str(_("网上可办的事项应填写网上办理地址。")),
                "warning",
            )
        )
    if not guide.materials:
        add(
            RuleIssue(
                "guide.no_materials",
                "materials",
                str(_("办事指南未列申请材料，请确认无需提交材料。")),
                "warning",
            )
        )
    return issues


SHARED_FIELDS = (
    "accept_conditions",
    "legal_limit",
    "case_type",
    "result_name",
    "result_type",
)


def shared_elements(guide: Guide) -> dict:
    """The guide elements that must be identical wherever the same item is handled."""
    data = {name: getattr(guide, name) for name in SHARED_FIELDS}
    data["legal_limit"] = guide.legal_limit.model_dump(exclude={"explanation"})
    data["materials"] = sorted(
        (m.name, m.necessity, m.material_type) for m in guide.materials
    )
    data["fees"] = sorted((f.name, f.standard) for f in guide.fees)
    return data


def shared_fingerprint(guide: Guide) -> str:
    payload = json.dumps(shared_elements(guide), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()
