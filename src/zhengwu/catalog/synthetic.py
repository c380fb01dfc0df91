"""Synthetic catalogue for benchmarks: many base items, organisations in every Liaoning
division and listings each with one published version in force.

Rows are written with ``bulk_create`` in batches, not through the services (a
service call per listing would take an hour at 200,000), but they have the shape the
services give: generated basic and implementation codes, ``search_text`` from
:func:`zhengwu.catalog.search.build_search_text`, a guide that validates against
:class:`zhengwu.catalog.guide.Guide` and passes every consistency rule, and the
denormalised version columns computed by the same functions.

Names combine word lists (qualifier + object + action), so a one- or two-character
query matches a varying share of the items: 证 or 许可 many, 护照 or 罚 few.
Everything is drawn from ``random.Random(seed)``: the same seed gives the same
catalogue. One audit event records each run; a second run on the same database is
refused unless ``append`` is set."""

from __future__ import annotations

import datetime
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import reset_queries, transaction
from django.db.models import Max
from django.utils import timezone

import structlog

from zhengwu.core import audit
from zhengwu.core.models import AuditEvent, Division, Organisation

from .codes import basic_code, implementation_code
from .constants import VersionStatus
from .demo import department_name, unique_credit_code
from .fixtures.demo import organisations as org_data
from .guide import Guide, check_rules, depth_level, shared_fingerprint
from .models import BaseItem, ItemType, Listing, ListingVersion, Theme
from .search import build_search_text

logger = structlog.get_logger(__name__)

AUDIT_EVENT = "catalog.synthetic_generated"
BATCH_SIZE = 5000
LISTINGS_PER_ITEM = 40
# Departments with a body at every level (province, 14 cities, every county).
_EVERYWHERE = [
    key
    for key, dept in org_data.DEPARTMENTS.items()
    if {"province", "city", "district", "county"} <= dept.keys()
]


class SyntheticError(Exception):
    """The request cannot be met (already generated, impossible sizes, no divisions)."""


# --- names --------------------------------------------------------------------

# fmt: off
QUALIFIERS = [
    "省级", "跨省", "临时", "特种", "一般", "二类", "三类", "小型", "中外合资", "农村",
    "城镇", "境外", "涉外", "重点", "新建", "改扩建", "民办", "市级", "县级", "个人",
    "单位", "集体", "国有", "外商投资", "非营利性", "营利性", "季节性", "长期", "首次",
    "电子",
]
# fmt: on

# fmt: off
OBJECTS = [
    "建筑工程", "食品生产", "食品经营", "药品经营", "医疗器械经营", "道路运输", "水路运输",
    "出租汽车", "危险货物运输", "烟花爆竹经营", "民用爆炸物品", "特种设备", "建设用地",
    "林木采伐", "草原征占用", "取水", "河道采砂", "排污", "辐射安全", "危险废物经营",
    "户外广告设置", "城市道路占用", "城镇污水排入排水管网", "燃气经营", "供热经营",
    "房地产开发企业", "商品房预售", "物业服务", "建筑业企业", "工程监理", "测绘",
    "地质灾害治理", "采矿权", "探矿权", "广播电视节目制作", "电影放映", "娱乐场所",
    "互联网上网服务营业场所", "营业性演出", "文物保护工程", "导游", "旅行社",
    "高危险性体育项目", "民办学校", "中外合作办学", "职业技能培训机构", "人力资源服务",
    "劳务派遣", "工伤保险", "失业保险", "医疗保险", "生育保险", "养老机构", "殡葬设施",
    "收养", "慈善组织", "社会团体", "民办非企业单位", "基金会", "宗教活动场所",
    "普通护照", "户口", "居民身份证", "机动车", "机动车驾驶证", "非机动车", "养犬",
    "保安服务", "公章刻制", "旅馆业", "典当行", "拍卖企业", "成品油零售", "粮食收购",
    "农作物种子生产", "农药经营", "兽药经营", "饲料生产", "动物防疫条件", "渔业捕捞",
    "拖拉机和联合收割机", "植物检疫", "商标", "专利", "计量器具", "检验检测机构",
    "特殊食品", "化妆品生产", "母婴保健技术服务", "医师执业", "护士执业", "医疗机构",
    "放射诊疗", "消毒产品生产", "公共场所卫生", "集中式供水", "职业病诊断机构",
    "律师执业", "公证", "司法鉴定", "法律援助", "人民调解", "纳税人", "发票",
    "社会保险费", "住房公积金", "不动产", "国有土地使用权", "乡村建设规划", "消防设计",
    "人民防空工程", "防雷装置", "无线电台", "快递业务经营", "出版物经营", "印刷经营",
    "档案", "气象信息服务", "水土保持方案", "生产建设项目", "港口经营", "船舶",
    "航道", "公路超限运输", "涉路施工", "大型群众性活动", "剧毒化学品购买", "枪支",
    "退役军人优待", "残疾人", "最低生活保障", "特困人员供养", "临时救助", "高龄津贴",
    "孤儿基本生活费", "义务教育入学", "学籍", "教师资格", "职称评审", "技能等级",
    "高校毕业生", "流动人员人事档案", "外国人来华工作", "港澳台人员就业",
]
# fmt: on

# fmt: off
# action, item type code
ACTIONS: list[tuple[str, str]] = [
    ("许可", "01"), ("审批", "01"), ("核准", "01"), ("许可证核发", "01"),
    ("许可证延续", "01"), ("许可证变更", "01"), ("资质认定", "01"), ("设立审批", "01"),
    ("违法行为处罚", "02"), ("行政处罚", "02"), ("查封扣押", "03"), ("强制措施", "03"),
    ("费征收", "04"), ("补贴发放", "05"), ("待遇核定", "05"), ("补助申领", "05"),
    ("监督检查", "06"), ("年度检查", "06"), ("登记", "07"), ("变更登记", "07"),
    ("注销登记", "07"), ("资格确认", "07"), ("认定", "07"), ("表彰奖励", "08"),
    ("争议裁决", "09"), ("备案", "20"), ("审核转报", "20"), ("年报公示", "20"),
    ("信息查询", "21"), ("证明开具", "21"), ("咨询服务", "21"), ("补办", "21"),
    ("预约服务", "21"), ("档案查询", "21"),
]
# fmt: on

# fmt: off
_THEMES_NATURAL = [
    "education", "medical", "household", "social-security", "employment", "housing",
    "passport-travel", "marriage-birth", "pension", "disability",
]
# fmt: on
# fmt: off
_THEMES_LEGAL = [
    "enterprise-registration", "annual-report", "change-deregistration", "investment",
    "trademark-patent", "qualification", "tax-fee", "work-safety", "construction",
    "transport",
]
# fmt: on

# fmt: off
_LAWS = [
    ("《中华人民共和国行政许可法》", "第十二条", "下列事项可以设定行政许可：……"),
    ("《中华人民共和国行政处罚法》", "第九条", "行政处罚的种类：……"),
    ("《中华人民共和国行政强制法》", "第九条", "行政强制措施的种类：……"),
    ("《中华人民共和国社会保险法》", "第四条", "中华人民共和国境内的用人单位和个人依法缴纳社会保险费……"),
    ("《中华人民共和国道路交通安全法》", "第八条", "国家对机动车实行登记制度。……"),
    ("《中华人民共和国食品安全法》", "第三十五条", "国家对食品生产经营实行许可制度。……"),
    ("《中华人民共和国城乡规划法》", "第四十条", "在城市、镇规划区内进行建筑物、构筑物……建设的……"),
    ("《中华人民共和国建筑法》", "第七条", "建筑工程开工前，建设单位应当……申请领取施工许可证……"),
    ("《中华人民共和国安全生产法》", "第二十条", "生产经营单位应当具备本法和有关法律、行政法规……规定的安全生产条件……"),
    ("《中华人民共和国环境保护法》", "第四十五条", "国家依照法律规定实行排污许可管理制度。……"),
    ("《优化营商环境条例》", "第三十五条", "政府及其有关部门应当推进政务服务标准化……"),
    ("《辽宁省优化营商环境条例》", "第二十八条", "政务服务事项应当按照国家和省有关规定实行标准化管理……"),
]
# fmt: on


def generate_names(
    count: int, rng: random.Random, taken: set[str]
) -> list[tuple[str, str]]:
    """``count`` distinct (name, item type code) pairs not in ``taken``."""
    capacity = len(OBJECTS) * len(ACTIONS) * (len(QUALIFIERS) + 1)
    if count > capacity // 2:
        raise SyntheticError(f"最多可生成约 {capacity // 2} 个不重名的基本目录事项。")
    names: list[tuple[str, str]] = []
    seen = set(taken)
    while len(names) < count:
        action, type_code = rng.choice(ACTIONS)
        qualifier = rng.choice(QUALIFIERS) if rng.random() < 0.35 else ""
        name = f"{qualifier}{rng.choice(OBJECTS)}{action}"
        if name not in seen:
            seen.add(name)
            names.append((name, type_code))
    return names


# --- guides -------------------------------------------------------------------

_MATERIAL_POOL = [
    ("申请表", "form", "10", "申请人签字（盖章），填写完整。"),
    ("申请人身份证明", "certificate", "20", "通过电子证照库核验，无需提交复印件。"),
    ("营业执照", "certificate", "20", "通过市场主体登记信息共享核验。"),
    ("法定代表人身份证明", "certificate", "20", "有效期内。"),
    ("授权委托书", "form", "10", "委托事项、权限和期限明确。"),
    ("场所使用证明", "certificate", "10", "不动产权证书或租期不少于1年的租赁合同。"),
    ("专业技术人员资格证明", "certificate", "20", "证书在有效期内，注册于本单位。"),
    ("管理制度文本", "other", "10", "制度健全，覆盖主要岗位和环节。"),
    ("平面布局图", "other", "10", "标明面积、功能分区和主要设施位置。"),
    ("承诺书", "form", "10", "法定代表人或本人签字。"),
    ("检测报告", "certificate", "99", "具备资质的检测机构出具，一年内有效。"),
    ("原证件", "certificate", "20", "变更、延续、换证的交回原证。"),
]

_STEP_ROLES = [
    ("受理", "窗口受理人员", "受理通知书", "材料齐全、符合法定形式"),
    ("审查", "业务审查人员", "审查意见", "申请条件逐项核对，必要时现场核查"),
    ("决定", "部门负责人", "准予或不予决定", "审查意见明确、证据充分"),
    ("制证", "制证人员", "证照或批准文书", "信息准确"),
    ("送达", "窗口人员", "窗口领取、邮寄或电子送达", "按申请人选择的方式送达"),
]

_LEGAL_DAYS = [0, 1, 3, 5, 7, 10, 15, 20, 20, 20, 30, 45, 60]
_STAGES_BY_DEPTH = {
    4: ["consult", "receive", "prereview", "accept", "handle", "result_feedback"],
    3: ["consult", "receive", "prereview", "accept", "handle"],
    2: ["consult", "receive", "prereview"],
}


def item_guide(name: str, rng: random.Random) -> dict:
    """The shared part of an item's guide (about 3–5 KB of JSON in UTF-8)."""
    legal = rng.choice(_LEGAL_DAYS)
    promised = 0 if legal == 0 else max(1, legal - rng.randint(0, legal // 2))
    online = rng.random() < 0.85
    depth = rng.choice([2, 3, 3, 4, 4, 4]) if online else 1
    visits = 0 if depth == 4 else (1 if depth == 3 else rng.choice([1, 1, 2]))
    is_fee = rng.random() < 0.12
    materials = []
    for index, (material, kind, source, standard) in enumerate(
        rng.sample(_MATERIAL_POOL, rng.randint(3, 6))
    ):
        materials.append(
            {
                "name": f"{name}{material}" if index == 0 else material,
                "material_type": kind,
                "source": source,
                "source_note": "申请人自备" if source == "10" else "部门共享获取",
                "form": rng.choice(["paper", "electronic", "both"]),
                "originals": 1,
                "copies": rng.choice([0, 0, 1]),
                "paper_size": "A4",
                "necessity": rng.choice(["1", "1", "1", "2", "3"]),
                "accept_standard": standard,
                "basis": "《中华人民共和国行政许可法》第三十一条",
                "fill_instructions": "按表格填写说明逐项填写，不得涂改。"
                if kind == "form"
                else "",
            }
        )
    steps = [
        {
            "name": step,
            "role": role,
            "limit": {
                "days": 0 if legal == 0 else max(0, promised // 4),
                "unit": "working_day",
                "explanation": "",
            },
            "result": result,
            "criteria": criteria,
        }
        for step, role, result, criteria in _STEP_ROLES
    ]
    guide = {
        "power_source": "法定本级行使",
        "accept_conditions": (
            f"1. 申请人符合{name}的法定条件；\n2. 申请材料齐全、符合法定形式；\n"
            "3. 不存在法律、法规规定不予办理的情形；\n4. 涉及前置审批的已依法取得批准文件。"
        ),
        "prohibitions": "申请人隐瞒有关情况或者提供虚假材料的，不予受理或者不予批准，并依法记入信用记录。",
        "handle_form": "网上办理或窗口办理" if online else "窗口办理",
        "materials": materials,
        "steps": steps,
        "legal_limit": {
            "days": legal,
            "unit": "working_day",
            "explanation": "依据法律法规规定的办理时限。",
        },
        "promised_limit": {"days": promised, "unit": "working_day", "explanation": ""},
        "case_type": "instant" if promised == 0 else "promised",
        "is_fee": is_fee,
        "fees": [
            {
                "name": "证书工本费",
                "standard": f"每件{rng.choice([10, 20, 50, 80])}元",
                "basis": "国家发展改革委、财政部行政事业性收费标准",
                "waiver_allowed": False,
                "waiver_basis": "",
            }
        ]
        if is_fee
        else [],
        "is_online": online,
        "offline_reason": ""
        if online
        else "须现场核验原件并采集本人信息，不能通过网上办理。",
        "depth_stages": _STAGES_BY_DEPTH.get(depth, ["consult"]),
        "visits": visits,
        "supports_appointment": rng.random() < 0.6,
        "supports_express": visits == 0 or rng.random() < 0.5,
        "supports_online_payment": is_fee and rng.random() < 0.7,
        "supports_kiosk": rng.random() < 0.2,
        "in_service_hall": True,
        "handle_area": rng.choice(["全省通办", "全市通办", "属地办理"]),
        "result_name": "",
        "result_type": rng.choice(["证照", "审批文书", "其他"]),
        "faqs": [
            {
                "question": f"办理{name}需要到现场吗？",
                "answer": "网上可办的事项可全程网上提交，需核验原件的按通知到现场一次。",
            },
            {
                "question": "如何查询办理进度？",
                "answer": "可登录辽宁政务服务网“我的办件”或拨打12345政务服务便民热线查询。",
            },
        ],
    }
    return guide


def _local_fields(
    guide: dict, organisation_name: str, phone: str, division_name: str, code: str
) -> dict:
    """The item's shared guide plus the fields that differ by place."""
    local = dict(guide)
    hall = f"{division_name}政务服务中心"
    phone = phone or "12345"
    local["transact_address"] = f"{hall}{organisation_name}窗口"
    local["transact_time"] = (
        "周一至周五 上午8:30—11:30，下午13:00—17:00（法定节假日除外）"
    )
    local["consult_ways"] = (
        f"窗口咨询：{hall}；电话咨询：{phone}；政务服务便民热线：12345"
    )
    local["supervise_ways"] = (
        "政务服务便民热线：12345；辽宁政务服务网“好差评”“我要投诉”栏目"
    )
    if guide["is_online"]:
        local["online_url"] = f"https://www.lnzwfw.gov.cn/zwfw/bszn/{code}"
    return local


# --- the generator ------------------------------------------------------------


@dataclass
class SyntheticSummary:
    organisations_created: int
    base_items_created: int
    listings_created: int
    seconds: float


def already_generated() -> bool:
    return AuditEvent.objects.filter(event=AUDIT_EVENT).exists()


def _organisations(
    log: Callable[[str], None],
) -> tuple[dict[str, list[Organisation]], int]:
    """Each always-present department in every division: created if missing."""
    divisions = list(Division.objects.select_related("parent").order_by("code"))
    if not divisions:
        raise SyntheticError(
            "缺少行政区划参考数据，请先运行 manage.py load_reference_data。"
        )
    existing = {(o.division_id, o.name): o for o in Organisation.objects.all()}
    used = {o.credit_code for o in existing.values()}
    wanted: list[tuple[str, Organisation]] = []
    created: list[Organisation] = []
    for division in divisions:
        if division.level == "province":
            level, city = 2, ""
        elif division.level == "prefecture":
            level, city = 3, division.name
        elif division.level == "county" and division.parent is not None:
            level, city = 4, division.parent.name
        else:
            continue
        for key in _EVERYWHERE:
            dept = org_data.DEPARTMENTS[key]
            name = department_name(
                dept, level=level, city=city, county=division if level == 4 else None
            )
            if not name:
                continue
            organisation = existing.get((division.pk, name))
            if organisation is None:
                organisation = Organisation(
                    credit_code=unique_credit_code(
                        name, division.code, used, category=dept.get("category", "1")
                    ),
                    name=name,
                    short_name=dept["short_name"],
                    level=level,
                    division=division,
                    kind=dept.get("kind", "法定机关"),
                )
                created.append(organisation)
            wanted.append((key, organisation))
    Organisation.objects.bulk_create(created, batch_size=BATCH_SIZE)
    log(f"实施主体：新建 {len(created)} 个")
    by_department: dict[str, list[Organisation]] = {}
    for key, organisation in wanted:
        by_department.setdefault(key, []).append(organisation)
    return by_department, len(created)


def _base_items(count: int, rng: random.Random) -> list[tuple[BaseItem, str]]:
    """``count`` new base items (with codes continuing each type's sequence) and the
    department each is implemented by."""
    prefix = settings.ZHENGWU_CATALOG_PREFIX
    types = {t.code: t for t in ItemType.objects.all()}
    if not types:
        raise SyntheticError(
            "缺少事项类型参考数据，请先运行 manage.py load_reference_data。"
        )
    taken = set(BaseItem.objects.values_list("name", flat=True))
    next_main = {
        row["item_type__code"]: int(row["last"])
        for row in BaseItem.objects.filter(prefix=prefix, parent__isnull=True)
        .values("item_type__code")
        .annotate(last=Max("main_code"))
    }
    items: list[tuple[BaseItem, str]] = []
    for name, type_code in generate_names(count, rng, taken):
        if type_code not in types:
            type_code = "01"
        main = next_main.get(type_code, 0) + 1
        if main > 99999:
            raise SyntheticError(f"事项类型{type_code}的主项编码已用完。")
        next_main[type_code] = main
        main_code = f"{main:05d}"
        code = basic_code(prefix, type_code, main_code)
        natural = rng.random() < 0.5
        item = BaseItem(
            code=code,
            prefix=prefix,
            item_type=types[type_code],
            main_code=main_code,
            sub_code="000",
            name=name,
            legal_basis=[
                {"law": law, "article": article, "text": text}
                for law, article, text in rng.sample(_LAWS, 2)
            ],
            for_natural_person=natural,
            for_legal_person=not natural or rng.random() < 0.2,
            search_text=build_search_text(name, code),
        )
        items.append((item, rng.choice(_EVERYWHERE)))
    return items


def generate(
    entries: int,
    *,
    base_items: int | None = None,
    seed: int = 1,
    append: bool = False,
    batch_size: int = BATCH_SIZE,
    log: Callable[[str], None] | None = None,
) -> SyntheticSummary:
    """Create ``entries`` listings, each with one published version in force, over
    ``base_items`` new base items (default: one per 40 listings)."""
    say = log or (lambda _message: None)
    if entries < 1:
        raise SyntheticError("entries 必须为正整数。")
    if base_items is None:
        base_items = max(1, math.ceil(entries / LISTINGS_PER_ITEM))
    if base_items < 1:
        raise SyntheticError("base_items 必须为正整数。")
    started = time.monotonic()
    with transaction.atomic():
        if already_generated() and not append:
            raise SyntheticError("本数据库已生成过合成目录；如需追加请使用 --append。")
        runs = AuditEvent.objects.filter(event=AUDIT_EVENT).count()
        rng = random.Random(seed + runs * 7919)  # noqa: S311 - benchmark data, not secrets
        by_department, organisations_created = _organisations(say)
        capacity = min(len(orgs) for orgs in by_department.values())
        if entries > base_items * capacity:
            raise SyntheticError(
                f"每个事项最多在 {capacity} 个实施主体实施：{base_items} 个事项"
                f"最多生成 {base_items * capacity} 条实施清单，请增加 base_items。"
            )
        items = _base_items(base_items, rng)
        BaseItem.objects.bulk_create([item for item, _ in items], batch_size=batch_size)
        _assign_themes(items, rng, batch_size)
        say(f"基本目录事项：新建 {len(items)} 项")
        listings_created = _listings(
            entries, items, by_department, rng, batch_size, say
        )
        audit.record(
            acting_user=None,
            on_behalf_of="manage.py generate_catalog",
            event=AUDIT_EVENT,
            data={
                "entries": entries,
                "base_items": base_items,
                "seed": seed,
                "organisations_created": organisations_created,
            },
        )
    seconds = time.monotonic() - started
    logger.info(
        "synthetic_catalog_generated",
        entries=entries,
        base_items=base_items,
        seconds=round(seconds, 1),
    )
    return SyntheticSummary(
        organisations_created, len(items), listings_created, seconds
    )


def _assign_themes(
    items: list[tuple[BaseItem, str]], rng: random.Random, batch_size: int
) -> None:
    themes = {t.code: t.pk for t in Theme.objects.all()}
    through = BaseItem.themes.through
    rows = []
    for item, _ in items:
        pool = _THEMES_NATURAL if item.for_natural_person else _THEMES_LEGAL
        for code in rng.sample(pool, rng.randint(1, 2)):
            if code in themes:
                rows.append(through(baseitem_id=item.pk, theme_id=themes[code]))
    through.objects.bulk_create(rows, batch_size=batch_size)


def _listings(
    entries: int,
    items: list[tuple[BaseItem, str]],
    by_department: dict[str, list[Organisation]],
    rng: random.Random,
    batch_size: int,
    say: Callable[[str], None],
) -> int:
    """Spread ``entries`` listings over the items (as evenly as possible), each at a
    different organisation of the item's department, each with a published guide."""
    per_item, extra = divmod(entries, len(items))
    pairs: list[tuple[int, Organisation]] = []
    for index, (_, department) in enumerate(items):
        count = per_item + (1 if index < extra else 0)
        pairs.extend(
            (index, org) for org in rng.sample(by_department[department], count)
        )
    templates = []
    for item, _ in items:
        shared = item_guide(item.name, rng)
        # The version columns depend on the local fields only through their
        # presence, so one placeholder place stands for every listing of the item.
        parsed = Guide.model_validate(
            _local_fields(shared, "示例单位", "", "辽宁省", item.code)
        )
        templates.append(
            (
                shared,
                {
                    "is_online": parsed.is_online,
                    "depth_level": depth_level(parsed.depth_stages),
                    "visits": parsed.visits,
                    "is_fee": parsed.is_fee,
                    "rule_error_count": sum(
                        1 for i in check_rules(parsed) if i.severity == "error"
                    ),
                    "shared_fingerprint": shared_fingerprint(parsed),
                },
            )
        )
    divisions = {d.pk: d for d in Division.objects.all()}
    now = timezone.now()
    today = timezone.localdate()
    created = 0
    for start in range(0, len(pairs), batch_size):
        chunk = pairs[start : start + batch_size]
        listings = [
            Listing(
                base_item=items[index][0],
                organisation=org,
                level=org.level,
                division_id=org.division_id,
                code=implementation_code(
                    org.credit_code, org.level, items[index][0].code
                ),
            )
            for index, org in chunk
        ]
        Listing.objects.bulk_create(listings, batch_size=batch_size)
        versions = []
        for listing, (index, org) in zip(listings, chunk, strict=True):
            shared, columns = templates[index]
            effective = today - datetime.timedelta(days=rng.randint(0, 730))
            versions.append(
                ListingVersion(
                    listing_id=listing.pk,
                    number=1,
                    status=VersionStatus.PUBLISHED,
                    guide=_local_fields(
                        shared,
                        org.name,
                        org.phone,
                        divisions[org.division_id].name,
                        listing.code,
                    ),
                    change_reason="合成数据（基准测试）",
                    effective_from=effective,
                    published_at=now,
                    reviewed_at=now,
                    submitted_at=now,
                    **columns,
                )
            )
        ListingVersion.objects.bulk_create(versions, batch_size=batch_size)
        created += len(listings)
        # With DEBUG on, Django keeps every query (here megabytes each) in memory.
        reset_queries()
        say(f"实施清单：{created}/{len(pairs)}")
    return created
