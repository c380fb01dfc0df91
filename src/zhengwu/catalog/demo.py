"""The Liaoning demo: organisations, staff accounts, base items and published guides,
loaded by ``manage.py populate_demo`` through the same services staff use.

Idempotent: every object is looked up by its natural key first (organisation by
division and name, user by username, base item by name, listing by item,
organisation and level) and only what is missing is created, so a second run changes
nothing. The data is in :mod:`zhengwu.catalog.fixtures.demo`.

A few listings are left in a "problem" state on purpose, so the workbench and the
consistency report have something to show (see :data:`SCENARIOS`)."""

from __future__ import annotations

import copy
import hashlib
import io
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

import structlog

from zhengwu.core.models import Division, Organisation
from zhengwu.core.services import organisation_create
from zhengwu.core.validators import org_code_check_character, uscc_check_character
from zhengwu.identity.facade import StaffRole, membership_grant

from . import services
from .constants import VersionStatus
from .fixtures import demo as data
from .fixtures.demo import organisations as org_data
from .fixtures.demo import users as user_data
from .models import BaseItem, Listing, ListingVersion

logger = structlog.get_logger(__name__)

# The demo only: printed by ``populate_demo`` and ``demo_logins``.
DEMO_PASSWORD = "Zhengwu#2026"

LEVEL_BY_KEY = {"province": 2, "city": 3, "county": 4}
FIRST_VERSION_REASON = "按照《辽宁省政务服务事项实施清单》标准化要求首次编制"


# --- credit codes -------------------------------------------------------------


def fabricate_credit_code(
    name: str,
    division_code: str,
    *,
    authority: str = "1",
    category: str = "1",
    salt: int = 0,
) -> str:
    """A made-up unified social credit code of the right shape (GB 32100): authority
    (``1`` 机构编制), category (``1`` 机关), the body's 6-digit division code, an
    8-digit organisation code taken from a stable hash of the name, its GB 11714
    check character and the GB 32100 check character. Real codes are not public in
    bulk; these only look real and always validate. ``salt`` resolves collisions."""
    digest = hashlib.sha256(f"{name}|{salt}".encode()).digest()
    org8 = f"{int.from_bytes(digest[:8], 'big') % 10**8:08d}"
    first17 = (
        f"{authority}{category}{division_code}{org8}{org_code_check_character(org8)}"
    )
    return first17 + uscc_check_character(first17)


def unique_credit_code(
    name: str, division_code: str, used: set[str], **kwargs: Any
) -> str:
    """:func:`fabricate_credit_code`, salted until it is not in ``used`` (and added)."""
    salt = 0
    while True:
        code = fabricate_credit_code(name, division_code, salt=salt, **kwargs)
        if code not in used:
            used.add(code)
            return code
        salt += 1


# --- organisations -------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationSpec:
    department: str
    name: str
    level: int
    division_code: str
    kind: str
    category: str
    short_name: str
    hall: str
    area_code: str
    parent_name: str | None = None
    parent_division_code: str | None = None


def _district_short(name: str) -> str:
    return name[:-1] if name.endswith("区") and len(name) > 2 else name


def department_name(
    department: dict, *, level: int, city: str = "", county: Division | None = None
) -> str | None:
    """The name of a department (an entry of ``DEPARTMENTS``) at a level, or None
    when it has no body there. ``county`` is the county-level division (level 4)."""
    if level == 2:
        return department.get("province")
    if level == 3:
        pattern = department.get("city")
        return pattern.format(city=city) if pattern else None
    if county is None:
        raise ValueError("a county-level department name needs its division")
    pattern = department.get("district" if county.kind == "市辖区" else "county")
    if not pattern:
        return None
    return pattern.format(
        city=city, county=county.name, short=_district_short(county.name)
    )


def _is_branch(department: dict, level: int, county: Division | None) -> bool:
    if level == 3:
        return bool(department.get("branch_in_city")) and "province" in department
    if level == 4 and county is not None:
        flag = "branch_in_district" if county.kind == "市辖区" else "branch_in_county"
        return bool(department.get(flag))
    return False


def organisation_specs(divisions: dict[str, Division]) -> list[OrganisationSpec]:
    """Every demo organisation, parents before children."""
    specs: list[OrganisationSpec] = []
    province = org_data.PROVINCE
    for key, dept in org_data.DEPARTMENTS.items():
        name = department_name(dept, level=2)
        if name:
            specs.append(
                OrganisationSpec(
                    department=key,
                    name=name,
                    level=2,
                    division_code=province["code"],
                    kind=dept.get("kind", "法定机关"),
                    category=dept.get("category", "1"),
                    short_name=dept["short_name"],
                    hall=province["hall"],
                    area_code=province["area_code"],
                )
            )
    cities = {city["code"]: city for city in org_data.CITIES}
    for city in org_data.CITIES:
        for key, dept in org_data.DEPARTMENTS.items():
            name = department_name(dept, level=3, city=city["name"])
            if not name:
                continue
            branch = _is_branch(dept, 3, None)
            specs.append(
                OrganisationSpec(
                    department=key,
                    name=name,
                    level=3,
                    division_code=city["code"],
                    kind=dept.get("kind", "法定机关"),
                    category=dept.get("category", "1"),
                    short_name=dept["short_name"],
                    hall=city["hall"],
                    area_code=city["area_code"],
                    parent_name=dept["province"] if branch else None,
                    parent_division_code=province["code"] if branch else None,
                )
            )
    for county in org_data.COUNTIES:
        division = divisions[county["code"]]
        city = cities[division.parent.code]
        for key in county["departments"]:
            dept = org_data.DEPARTMENTS[key]
            name = department_name(dept, level=4, city=city["name"], county=division)
            if not name:
                continue
            branch = _is_branch(dept, 4, division)
            specs.append(
                OrganisationSpec(
                    department=key,
                    name=name,
                    level=4,
                    division_code=county["code"],
                    kind=dept.get("kind", "法定机关"),
                    category=dept.get("category", "1"),
                    short_name=dept["short_name"],
                    hall=county["hall"],
                    area_code=city["area_code"],
                    parent_name=department_name(dept, level=3, city=city["name"])
                    if branch
                    else None,
                    parent_division_code=city["code"] if branch else None,
                )
            )
    return specs


def _phone(area_code: str, seed: str) -> str:
    digits = 8 if area_code in {"024", "0411"} else 7
    number = int(hashlib.sha256(seed.encode()).hexdigest(), 16) % 10 ** (digits - 1)
    return f"{area_code}-{2 if digits == 8 else 3}{number:0{digits - 1}d}"


# --- generated files -----------------------------------------------------------

_SAMPLE_VALUES: list[tuple[tuple[str, ...], str]] = [
    (("身份号码", "身份证", "身份证件号", "证件号"), "210102********0017"),
    (("统一社会信用代码", "单位编号"), "91210102MA0******7"),
    (("电话",), "138****6688"),
    (("日期", "时间", "期限"), "2026年3月2日"),
    (("性别",), "男"),
    (("民族",), "汉族"),
    (
        ("地址", "住所", "场所", "地点", "坐落", "位置", "户籍所在地"),
        "沈阳市和平区南京北街100号",
    ),
    (
        ("企业名称", "单位名称", "名称", "经营者名称", "申请人名称"),
        "辽宁示例科技有限公司",
    ),
    (
        (
            "姓名",
            "申请人",
            "经营者",
            "委托人",
            "职工",
            "负责人",
            "法定代表人",
            "出质人",
        ),
        "张明",
    ),
    (("受托人", "质权人", "女方"), "李华"),
    (("资本", "金额", "万元", "收入", "资产"), "100"),
    (("面积", "平方米"), "120"),
    (("人数", "数量", "会员数", "车辆数"), "12"),
    (("签字", "签名", "签章"), "（签字）"),
]


def sample_value(label: str) -> str:
    for keywords, value in _SAMPLE_VALUES:
        if any(word in label for word in keywords):
            return value
    return "（按实际情况填写）"


_FONT = "STSong-Light"
_FONT_READY = False


def _canvas() -> tuple[Any, io.BytesIO]:
    global _FONT_READY
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if not _FONT_READY:
        pdfmetrics.registerFont(UnicodeCIDFont(_FONT))
        _FONT_READY = True
    buffer = io.BytesIO()
    return canvas.Canvas(buffer, pagesize=A4, invariant=1), buffer


def form_pdf(
    title: str,
    fields: list[str],
    *,
    item_name: str,
    filled: bool,
    note: str = "",
) -> bytes:
    """A one-page form: a title, a two-column table of fields and a footer. With
    ``filled`` the values are example data and the page is marked 样表."""
    pdf, buffer = _canvas()
    width, height = 595.27, 841.89
    pdf.setTitle(f"{title}（{'填写样表' if filled else '空白表格'}）")
    pdf.setFont(_FONT, 18)
    pdf.drawCentredString(width / 2, height - 80, title)
    pdf.setFont(_FONT, 10)
    pdf.drawCentredString(width / 2, height - 102, f"适用事项：{item_name}")
    top, row_height, left, middle, right = height - 130, 34, 60, 210, width - 60
    rows = fields or ["申请人", "联系电话", "申请事项", "申请理由"]
    for index, label in enumerate([*rows, "申请人（签章）及日期"]):
        y = top - index * row_height
        pdf.rect(left, y - row_height, right - left, row_height)
        pdf.line(middle, y, middle, y - row_height)
        pdf.setFont(_FONT, 11)
        pdf.drawString(left + 8, y - 21, label)
        if filled:
            value = (
                "张明    2026年3月2日" if index == len(rows) else sample_value(label)
            )
            pdf.setFont(_FONT, 11)
            pdf.setFillColorRGB(0.05, 0.25, 0.6)
            pdf.drawString(middle + 8, y - 21, value)
            pdf.setFillColorRGB(0, 0, 0)
    bottom = top - (len(rows) + 1) * row_height
    pdf.setFont(_FONT, 9)
    if note:
        pdf.drawString(left, bottom - 24, f"填写说明：{note[:60]}")
    pdf.drawString(left, 60, "辽宁省政务服务事项标准化文本（演示数据，非正式文书）")
    if filled:
        pdf.saveState()
        pdf.setFont(_FONT, 72)
        pdf.setFillColorRGB(0.85, 0.2, 0.2, alpha=0.18)
        pdf.translate(width / 2, height / 2)
        pdf.rotate(35)
        pdf.drawCentredString(0, 0, "填写样表")
        pdf.restoreState()
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def result_pdf(result_name: str, *, item_name: str, result_type: str) -> bytes:
    """A sample of the approval result (licence or decision), marked 样本."""
    pdf, buffer = _canvas()
    width, height = 595.27, 841.89
    pdf.setTitle(f"{result_name}（样本）")
    pdf.setLineWidth(3)
    pdf.rect(40, 40, width - 80, height - 80)
    pdf.setLineWidth(1)
    pdf.rect(48, 48, width - 96, height - 96)
    pdf.setFont(_FONT, 24)
    pdf.drawCentredString(width / 2, height - 130, result_name)
    pdf.setFont(_FONT, 12)
    pdf.drawCentredString(
        width / 2, height - 160, f"（{result_type or '审批结果'}样本）"
    )
    if result_type == "证照":
        rows = [
            ("证照编号", "辽（2026）示例第000001号"),
            ("持证主体", "辽宁示例科技有限公司 / 张明"),
            ("证件号码", "91210102MA0******7"),
            ("许可（登记）事项", item_name),
            ("有效期限", "2026年3月2日至2031年3月1日"),
            ("发证机关", "（发证机关名称并加盖印章）"),
            ("发证日期", "2026年3月2日"),
        ]
    else:
        rows = [
            ("文号", "辽示〔2026〕1号"),
            ("申请人", "辽宁示例科技有限公司 / 张明"),
            ("证件号码", "91210102MA0******7"),
            ("办理事项", item_name),
            ("办理结果", "经审查，符合规定条件，予以办理。"),
            ("作出机关", "（机关名称并加盖印章）"),
            ("作出日期", "2026年3月2日"),
        ]
    y = height - 230
    for label, value in rows:
        pdf.setFont(_FONT, 12)
        pdf.drawString(100, y, f"{label}：")
        pdf.drawString(230, y, value[:26])
        y -= 40
    pdf.setFont(_FONT, 9)
    pdf.drawCentredString(
        width / 2, 70, "本样本仅供参考（演示数据），以实际核发的证照或文书为准"
    )
    pdf.saveState()
    pdf.setFont(_FONT, 96)
    pdf.setFillColorRGB(0.85, 0.2, 0.2, alpha=0.15)
    pdf.translate(width / 2, height / 2)
    pdf.rotate(35)
    pdf.drawCentredString(0, 0, "样本")
    pdf.restoreState()
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def form_xlsx(title: str, fields: list[str], *, item_name: str, filled: bool) -> bytes:
    """A workbook with the form's fields as columns (and one example row if filled)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "填写样表" if filled else "空白表格"
    columns = fields or ["申请人", "联系电话", "申请事项"]
    sheet.cell(row=1, column=1, value=title).font = Font(size=14, bold=True)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    sheet.cell(row=1, column=1).alignment = Alignment(horizontal="center")
    sheet.cell(row=2, column=1, value=f"适用事项：{item_name}")
    for column, label in enumerate(columns, start=1):
        sheet.cell(row=3, column=column, value=label).font = Font(bold=True)
        sheet.column_dimensions[
            sheet.cell(row=3, column=column).column_letter
        ].width = 18
        if filled:
            sheet.cell(row=4, column=column, value=sample_value(label))
    sheet.cell(row=6, column=1, value="演示数据，非正式文书")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- the loader --------------------------------------------------------------


@dataclass
class DemoSummary:
    organisations_created: int = 0
    users_created: int = 0
    base_items_created: int = 0
    listings_created: int = 0
    attachments_created: int = 0
    seconds: float = 0.0
    totals: dict[str, int] = field(default_factory=dict)


@dataclass
class Scenario:
    """A listing left in a particular state for the workbench and the report."""

    key: str
    item: str
    organisation: str
    editor: str
    description: str


SCENARIOS = [
    Scenario(
        "draft_rule_error",
        "道路旅客运输经营许可",
        "锦州市交通运输局",
        "jiaotong_jinzhou",
        "草稿：改为不可网办但未说明必须现场办理的原因（违反一致性规则）",
    ),
    Scenario(
        "materials_differ",
        "食品经营许可",
        "营口市市场监督管理局",
        "shichang_yingkou",
        "已发布：申请材料与其他地区不一致",
    ),
    Scenario(
        "submitted",
        "企业设立登记",
        "沈阳市市场监督管理局",
        "shichang_shenyang",
        "待审核：新版本已提交编委办",
    ),
    Scenario(
        "returned",
        "失业保险金申领",
        "大连市人力资源和社会保障局",
        "renshe_dalian",
        "退回修改：编委办审核退回",
    ),
]


class DemoError(Exception):
    """The demo cannot be loaded (for example: no reference data yet)."""


class _Loader:
    def __init__(self, log: Callable[[str], None]) -> None:
        self.log = log
        self.summary = DemoSummary()
        self.users: dict[str, AbstractBaseUser] = {}
        self.organisations: dict[tuple[str, str], Organisation] = {}
        self.by_department: dict[tuple[str, int], list[Organisation]] = {}
        self.specs: dict[int, OrganisationSpec] = {}
        self.scenarios = {(s.item, s.organisation): s for s in SCENARIOS}

    # users and organisations

    def load_admin(self) -> AbstractBaseUser:
        model = get_user_model()
        admin = model.objects.filter(username=user_data.ADMIN["username"]).first()
        if admin is None:
            admin = model.objects.create_superuser(
                username=user_data.ADMIN["username"],
                password=DEMO_PASSWORD,
                email="admin@example.invalid",
                first_name=user_data.ADMIN["full_name"],
            )
            self.summary.users_created += 1
        self.users[admin.get_username()] = admin
        return admin

    def load_organisations(self, admin: AbstractBaseUser) -> None:
        codes = {
            org_data.PROVINCE["code"],
            *(c["code"] for c in org_data.CITIES),
            *(c["code"] for c in org_data.COUNTIES),
        }
        divisions = {
            d.code: d
            for d in Division.objects.filter(code__in=codes).select_related("parent")
        }
        missing = sorted(codes - set(divisions))
        if missing:
            raise DemoError(
                "缺少行政区划参考数据（如 "
                + "、".join(missing[:3])
                + "），请先运行 manage.py load_reference_data。"
            )
        existing = {
            (o.division.code, o.name): o
            for o in Organisation.objects.filter(
                division__code__in=codes
            ).select_related("division")
        }
        used = set(Organisation.objects.values_list("credit_code", flat=True))
        for spec in organisation_specs(divisions):
            key = (spec.division_code, spec.name)
            organisation = existing.get(key)
            if organisation is None:
                parent = (
                    self.organisations.get(
                        (spec.parent_division_code, spec.parent_name)
                    )
                    if spec.parent_name
                    else None
                )
                organisation = organisation_create(
                    credit_code=unique_credit_code(
                        spec.name, spec.division_code, used, category=spec.category
                    ),
                    name=spec.name,
                    level=spec.level,
                    division=divisions[spec.division_code],
                    parent=parent,
                    kind=spec.kind,
                    short_name=spec.short_name,
                    address=spec.hall,
                    phone=_phone(spec.area_code, spec.name),
                    acting_user=admin,
                )
                self.summary.organisations_created += 1
            self.organisations[key] = organisation
            self.specs[organisation.pk] = spec
            self.by_department.setdefault((spec.department, spec.level), []).append(
                organisation
            )

    def load_users(self, admin: AbstractBaseUser) -> None:
        model = get_user_model()
        for entry in user_data.USERS:
            user = model.objects.filter(username=entry["username"]).first()
            if user is None:
                user = model.objects.create_user(
                    username=entry["username"],
                    password=DEMO_PASSWORD,
                    first_name=entry["full_name"],
                    is_staff=False,
                )
                self.summary.users_created += 1
            organisation = self.organisations[
                (entry["division"], entry["organisation"])
            ]
            membership_grant(
                user=user,
                organisation=organisation,
                role=StaffRole(entry["role"]),
                acting_user=admin,
            )
            self.users[entry["username"]] = user

    # items

    def load_items(self, admin: AbstractBaseUser) -> list[tuple[dict, BaseItem]]:
        existing = {item.name: item for item in BaseItem.objects.all()}
        loaded = []
        for spec in data.all_items():
            item = existing.get(spec["name"])
            if item is None:
                item = services.base_item_create(
                    name=spec["name"],
                    item_type_code=spec["item_type"],
                    acting_user=admin,
                    legal_basis=spec["legal_basis"],
                    for_natural_person=spec["natural"],
                    for_legal_person=spec["legal"],
                    theme_codes=spec["themes"],
                )
                self.summary.base_items_created += 1
            loaded.append((spec, item))
        return loaded

    def implementers(self, spec: dict) -> Iterable[tuple[Organisation, int]]:
        for level_key in spec["levels"]:
            level = LEVEL_BY_KEY[level_key]
            for organisation in self.by_department.get((spec["department"], level), []):
                yield organisation, level

    # guides

    def shared_guide(self, spec: dict, item: BaseItem, admin: AbstractBaseUser) -> dict:
        """The item's shared guide with generated files in place of placeholders.
        Files already made for the item (an earlier run) are reused."""
        guide = copy.deepcopy(spec["guide"])
        previous = self._previous_attachments(item)
        owner = self.by_department.get((spec["department"], 2), [None])[0]
        for material in guide.get("materials", []):
            fields = material.pop("form_fields", [])
            for slot, filled in (("blank_form", False), ("sample", True)):
                kind = material.get(slot)
                if kind not in ("pdf", "xlsx"):
                    continue
                reused = previous.get((material["name"], slot))
                if reused:
                    material[slot] = reused
                    continue
                suffix = "填写样表" if filled else "空白表格"
                if kind == "xlsx":
                    content = form_xlsx(
                        material["name"], fields, item_name=spec["name"], filled=filled
                    )
                else:
                    content = form_pdf(
                        material["name"],
                        fields,
                        item_name=spec["name"],
                        filled=filled,
                        note=material.get("fill_instructions", ""),
                    )
                material[slot] = self._attach(
                    content,
                    f"{spec['name']}-{material['name']}-{suffix}.{kind}",
                    owner,
                    admin,
                )
        if guide.get("result_sample") == "pdf":
            reused = previous.get(("__result__", "result_sample"))
            guide["result_sample"] = reused or self._attach(
                result_pdf(
                    guide["result_name"],
                    item_name=spec["name"],
                    result_type=guide.get("result_type", ""),
                ),
                f"{spec['name']}-{guide['result_name']}-样本.pdf",
                owner,
                admin,
            )
        return guide

    def _previous_attachments(self, item: BaseItem) -> dict[tuple[str, str], str]:
        version = (
            ListingVersion.objects.filter(
                listing__base_item=item, status=VersionStatus.PUBLISHED
            )
            .order_by("pk")
            .first()
        )
        if version is None:
            return {}
        found: dict[tuple[str, str], str] = {}
        for material in version.guide.get("materials", []):
            for slot in ("blank_form", "sample"):
                if material.get(slot):
                    found[(material["name"], slot)] = material[slot]
        if version.guide.get("result_sample"):
            found[("__result__", "result_sample")] = version.guide["result_sample"]
        return found

    def _attach(
        self,
        content: bytes,
        filename: str,
        owner: Organisation | None,
        admin: AbstractBaseUser,
    ) -> str:
        attachment = services.attachment_create(
            content=content, filename=filename, acting_user=admin, organisation=owner
        )
        self.summary.attachments_created += 1
        return str(attachment.pk)

    def local_guide(
        self, shared: dict, spec: dict, item: BaseItem, organisation: Organisation
    ) -> dict:
        """The shared guide plus what differs by place."""
        org_spec = self.specs[organisation.pk]
        guide = copy.deepcopy(shared)
        hall = org_spec.hall
        phone = organisation.phone or _phone(org_spec.area_code, organisation.name)
        complaint = _phone(org_spec.area_code, f"{organisation.name}|投诉")
        level_key = {2: "province", 3: "city"}.get(organisation.level, "county")
        guide["transact_address"] = f"{hall}{organisation.name}窗口"
        guide["transact_time"] = org_data.HALL_HOURS[level_key]
        guide["consult_ways"] = (
            f"1. 窗口咨询：{hall}；\n2. 电话咨询：{phone}；\n"
            "3. 网上咨询：辽宁政务服务网（https://www.lnzwfw.gov.cn）“我要咨询”栏目；\n"
            "4. 政务服务便民热线：12345"
        )
        guide["supervise_ways"] = (
            f"1. 投诉电话：{complaint}；\n2. 政务服务便民热线：12345；\n"
            "3. 网上投诉：辽宁政务服务网“好差评”“我要投诉”栏目；\n"
            f"4. 现场投诉：{hall}投诉受理窗口"
        )
        if guide.get("is_online"):
            query = f"area={organisation.division.code}&org={organisation.credit_code}"
            guide["online_url"] = (
                f"https://www.lnzwfw.gov.cn/zwfw/bszn/{item.code}?{query}"
            )
            guide["mobile_url"] = f"https://m.lnzwfw.gov.cn/bszn/{item.code}?{query}"
        guide["promised_limit"] = self._local_promise(guide, organisation)
        return guide

    @staticmethod
    def _local_promise(guide: dict, organisation: Organisation) -> dict:
        """Cities and counties may promise less than the province's standard."""
        promised = dict(guide["promised_limit"])
        if guide.get("case_type") != "promised" or organisation.level == 2:
            return promised
        days = promised["days"]
        if days < 5:
            return promised
        cut = int(hashlib.sha256(organisation.name.encode()).hexdigest(), 16) % 4
        shorter = max(1, days - round(days * cut / 10))
        if shorter != days:
            promised["days"] = shorter
            promised["explanation"] = (
                f"本地承诺在全省标准（{days}个工作日）基础上压缩至{shorter}个"
                + (
                    "工作日"
                    if promised.get("unit", "working_day") == "working_day"
                    else "自然日"
                )
                + "。"
            )
        return promised

    # listings

    def load_listings(
        self, items: list[tuple[dict, BaseItem]], admin: AbstractBaseUser
    ) -> None:
        reviewer = self.users["bianweiban"]
        existing = set(
            Listing.objects.values_list("base_item_id", "organisation_id", "level")
        )
        for spec, item in items:
            todo = [
                (organisation, level)
                for organisation, level in self.implementers(spec)
                if (item.pk, organisation.pk, level) not in existing
            ]
            if not todo:
                continue
            shared = self.shared_guide(spec, item, admin)
            for organisation, level in todo:
                scenario = self.scenarios.get((spec["name"], organisation.name))
                guide = self.local_guide(shared, spec, item, organisation)
                if scenario and scenario.key == "materials_differ":
                    guide = _materials_differ(guide)
                listing = services.listing_create(
                    base_item=item,
                    organisation=organisation,
                    acting_user=admin,
                    level=level,
                )
                self.summary.listings_created += 1
                if scenario and scenario.key == "draft_rule_error":
                    self._draft_with_rule_error(listing, guide, scenario)
                    continue
                version = services.version_create(
                    listing=listing,
                    acting_user=admin,
                    guide=guide,
                    change_reason=FIRST_VERSION_REASON,
                )
                services.version_submit(version=version, acting_user=admin)
                services.version_publish(
                    version=version,
                    acting_user=reviewer,
                    comment="经审核，符合政务服务事项标准化要求，予以发布。",
                )
                if scenario and scenario.key in ("submitted", "returned"):
                    self._open_second_version(listing, guide, scenario, reviewer)

    def _draft_with_rule_error(
        self, listing: Listing, guide: dict, scenario: Scenario
    ) -> None:
        broken = dict(guide)
        broken.update(
            is_online=False,
            offline_reason="",
            online_url="",
            mobile_url="",
            depth_stages=["consult"],
            visits=1,
        )
        services.version_create(
            listing=listing,
            acting_user=self.users[scenario.editor],
            guide=broken,
            change_reason="网上办理系统升级期间暂停网办（待补充现场办理原因）",
        )

    def _open_second_version(
        self,
        listing: Listing,
        guide: dict,
        scenario: Scenario,
        reviewer: AbstractBaseUser,
    ) -> None:
        editor = self.users[scenario.editor]
        changed = copy.deepcopy(guide)
        if scenario.key == "submitted":
            changed["transact_time"] += "；每月最后一个周六全天提供企业开办延时服务"
            changed["faqs"] = [
                *changed.get("faqs", []),
                {
                    "question": "周末可以办理企业开办吗？",
                    "answer": "每月最后一个周六全天提供企业开办延时服务，其余时间可全程网上办理。",
                },
            ]
            reason = "增加周末延时服务，更新办理时间和常见问题"
        else:
            changed["promised_limit"] = {
                "days": 3,
                "unit": "working_day",
                "explanation": "压缩至3个工作日。",
            }
            reason = "压缩承诺办结时限"
        version = services.version_create(
            listing=listing, acting_user=editor, guide=changed, change_reason=reason
        )
        services.version_submit(version=version, acting_user=editor)
        if scenario.key == "returned":
            services.version_return(
                version=version,
                acting_user=reviewer,
                comment=(
                    "承诺时限调整需附局务会议纪要，请补充后重新提交；另请核对"
                    "“终止或解除劳动关系证明”容缺后补的补交期限说明。"
                ),
            )

    def totals(self) -> dict[str, int]:
        published = ListingVersion.objects.filter(status=VersionStatus.PUBLISHED)
        return {
            "organisations": Organisation.objects.count(),
            "base_items": BaseItem.objects.count(),
            "listings": Listing.objects.count(),
            "published_versions": published.count(),
            "open_versions": ListingVersion.objects.exclude(
                status__in=[VersionStatus.PUBLISHED, VersionStatus.DISCARDED]
            ).count(),
        }


def _materials_differ(guide: dict) -> dict:
    """A local variant of the materials list: one material dropped, one added."""
    changed = copy.deepcopy(guide)
    materials = [m for m in changed["materials"] if m["necessity"] != "3"]
    materials.append(
        {
            "name": "从业人员健康证明",
            "material_type": "certificate",
            "source": "99",
            "source_note": "医疗卫生机构出具",
            "form": "paper",
            "originals": 0,
            "copies": 1,
            "necessity": "1",
            "accept_standard": "从事接触直接入口食品工作的人员提交。",
            "basis": "《中华人民共和国食品安全法》第四十五条",
        }
    )
    changed["materials"] = materials
    return changed


def populate(*, log: Callable[[str], None] | None = None) -> DemoSummary:
    """Load the demo; returns what was created and the totals afterwards."""
    started = time.monotonic()
    loader = _Loader(log or (lambda _message: None))
    with transaction.atomic():
        admin = loader.load_admin()
        loader.load_organisations(admin)
        loader.log(f"实施主体：新建 {loader.summary.organisations_created} 个")
        loader.load_users(admin)
        items = loader.load_items(admin)
        loader.log(f"基本目录事项：新建 {loader.summary.base_items_created} 项")
        loader.load_listings(items, admin)
        loader.log(f"实施清单：新建 {loader.summary.listings_created} 条")
    loader.summary.totals = loader.totals()
    loader.summary.seconds = time.monotonic() - started
    logger.info(
        "demo_populated",
        organisations_created=loader.summary.organisations_created,
        base_items_created=loader.summary.base_items_created,
        listings_created=loader.summary.listings_created,
        seconds=round(loader.summary.seconds, 1),
    )
    return loader.summary


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    organisation: str
    exists: bool


ROLE_LABELS = {
    "superuser": "超级用户（仅用于初始授权和应急，不作日常管理）",
    StaffRole.CATALOGUE_AUTHORITY.value: "编委办审核发布",
    StaffRole.DEPARTMENT_EDITOR.value: "部门事项编辑",
}


def demo_logins() -> list[DemoLogin]:
    """The demo accounts, and whether each exists in this database."""
    present = set(
        get_user_model()
        .objects.filter(
            username__in=[user_data.ADMIN["username"]]
            + [u["username"] for u in user_data.USERS]
        )
        .values_list("username", flat=True)
    )
    entries = [user_data.ADMIN, *user_data.USERS]
    return [
        DemoLogin(
            username=entry["username"],
            password=DEMO_PASSWORD,
            role=ROLE_LABELS.get(entry["role"], entry["role"]),
            organisation=entry["organisation"] or "—",
            exists=entry["username"] in present,
        )
        for entry in entries
    ]


def scenario_notes() -> list[str]:
    return [f"{s.organisation} · {s.item}：{s.description}" for s in SCENARIOS]
