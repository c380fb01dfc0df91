"""Catalogue code tables (item types §1.5, browsing themes), loaded by
``manage.py load_reference_data``. A province replaces them without a code change:
update_or_create on the natural code, so a second run changes nothing."""

from django.db import transaction

from .constants import Audience
from .models import ItemType, Theme

# (code, name, fixed nationally, national exchange category)
ITEM_TYPES: list[tuple[str, str, bool, str]] = [
    ("01", "行政许可", True, "general"),
    ("02", "行政处罚", True, "punish"),
    ("03", "行政强制", True, "general"),
    ("04", "行政征收", True, "handle"),
    ("05", "行政给付", True, "general"),
    ("06", "行政检查", True, "check"),
    ("07", "行政确认", True, "general"),
    ("08", "行政奖励", True, "general"),
    ("09", "行政裁决", True, "general"),
    # Province-defined codes (§1.5 [observed]); configurable, not constants.
    ("20", "其他行政权力", False, "general"),
    ("21", "公共服务", False, "public"),
]

THEMES: list[tuple[str, str, str]] = [
    # 面向自然人
    ("education", "教育科研", Audience.NATURAL_PERSON),
    ("medical", "医疗卫生", Audience.NATURAL_PERSON),
    ("household", "户籍办理", Audience.NATURAL_PERSON),
    ("social-security", "社会保障", Audience.NATURAL_PERSON),
    ("employment", "就业创业", Audience.NATURAL_PERSON),
    ("housing", "住房保障", Audience.NATURAL_PERSON),
    ("passport-travel", "出境入境", Audience.NATURAL_PERSON),
    ("marriage-birth", "婚姻生育", Audience.NATURAL_PERSON),
    ("pension", "养老服务", Audience.NATURAL_PERSON),
    ("disability", "残疾人服务", Audience.NATURAL_PERSON),
    ("transport-person", "交通出行", Audience.NATURAL_PERSON),
    ("legal-aid", "公共法律服务", Audience.NATURAL_PERSON),
    ("civil-affairs", "民政事务", Audience.NATURAL_PERSON),
    # 面向法人
    ("enterprise-registration", "设立登记", Audience.LEGAL_PERSON),
    ("annual-report", "年检年审", Audience.LEGAL_PERSON),
    ("change-deregistration", "变更注销", Audience.LEGAL_PERSON),
    ("investment", "投资审批", Audience.LEGAL_PERSON),
    ("trademark-patent", "商标专利", Audience.LEGAL_PERSON),
    ("qualification", "资质认证", Audience.LEGAL_PERSON),
    ("tax-fee", "税收财务", Audience.LEGAL_PERSON),
    ("work-safety", "安全生产", Audience.LEGAL_PERSON),
    ("construction", "建设施工", Audience.LEGAL_PERSON),
    ("transport", "交通运输", Audience.LEGAL_PERSON),
    ("environment", "环保绿化", Audience.LEGAL_PERSON),
    ("food-drug", "食品药品", Audience.LEGAL_PERSON),
    ("social-insurance-employer", "社会保险", Audience.LEGAL_PERSON),
    ("culture-tourism", "文化旅游", Audience.LEGAL_PERSON),
]


@transaction.atomic
def load_reference_data() -> dict[str, int]:
    changed = 0
    for order, (code, name, fixed, category) in enumerate(ITEM_TYPES):
        _, created = ItemType.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "is_fixed": fixed,
                "exchange_category": category,
                "sort_order": order,
            },
        )
        changed += created
    for order, (code, name, audience) in enumerate(THEMES):
        _, created = Theme.objects.update_or_create(
            code=code,
            defaults={"name": name, "audience": audience, "sort_order": order},
        )
        changed += created
    return {"catalog_created": changed}
