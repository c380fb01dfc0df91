"""Factories for catalogue tests. Objects are made through the services where the
service is what a test relies on; these build the plain rows around them."""

import datetime
import itertools

from django.utils import timezone

import factory

from zhengwu.catalog.codes import basic_code, implementation_code
from zhengwu.catalog.constants import VersionStatus
from zhengwu.catalog.guide import Guide, depth_level, shared_fingerprint
from zhengwu.catalog.models import BaseItem, ItemType, Listing, ListingVersion
from zhengwu.catalog.search import build_search_text
from zhengwu.core.models import Division, Organisation
from zhengwu.core.validators import org_code_check_character, uscc_check_character
from zhengwu.identity.constants import StaffRole
from zhengwu.identity.models import StaffMembership

_serial = itertools.count(1)


def make_credit_code(division_code: str = "210000", serial: int | None = None) -> str:
    """A valid unified social credit code for an organ (11) in ``division_code``."""
    number = serial if serial is not None else next(_serial)
    org8 = f"{number:08d}"
    first17 = f"11{division_code}{org8}{org_code_check_character(org8)}"
    return first17 + uscc_check_character(first17)


def complete_guide(**overrides) -> dict:
    """A guide that passes every consistency rule."""
    data = {
        "accept_conditions": "申请人为具有完全民事行为能力的中国公民。",
        "materials": [
            {
                "name": "居民身份证",
                "material_type": "certificate",
                "source": "20",
                "form": "both",
                "originals": 1,
                "copies": 1,
                "necessity": "1",
            },
            {"name": "申请表", "material_type": "form", "necessity": "1"},
        ],
        "steps": [
            {"name": "受理", "role": "窗口人员", "limit": {"days": 1}},
            {"name": "审查", "role": "审核人员", "limit": {"days": 5}},
            {"name": "决定", "role": "负责人", "limit": {"days": 1}},
        ],
        "legal_limit": {"days": 20, "unit": "working_day"},
        "promised_limit": {"days": 7, "unit": "working_day"},
        "case_type": "promised",
        "is_fee": False,
        "transact_address": "沈阳市沈河区市府大路260号 政务服务中心一楼",
        "transact_time": "周一至周五 9:00-17:00（法定节假日除外）",
        "consult_ways": "12345",
        "supervise_ways": "12345 政务服务便民热线",
        "is_online": True,
        "online_url": "https://zwfw.example.gov.cn/item",
        "depth_stages": ["consult", "receive", "prereview", "accept", "handle"],
        "visits": 1,
    }
    data.update(overrides)
    return Guide.model_validate(data).model_dump(mode="json")


class DivisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Division
        django_get_or_create = ["code"]

    code = "210000"
    name = "辽宁省"
    kind = "省"
    level = "province"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    credit_code = factory.LazyFunction(make_credit_code)
    name = factory.Sequence(lambda n: f"测试厅{n}")
    level = 2
    division = factory.SubFactory(DivisionFactory)


class BaseItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BaseItem

    prefix = "21"
    item_type = factory.LazyFunction(
        lambda: ItemType.objects.get_or_create(
            code="01", defaults={"name": "行政许可", "is_fixed": True}
        )[0]
    )
    main_code = factory.Sequence(lambda n: f"{n + 1:05d}")
    sub_code = "000"
    name = factory.Sequence(lambda n: f"测试事项{n}")
    code = factory.LazyAttribute(
        lambda o: basic_code(o.prefix, o.item_type.code, o.main_code, o.sub_code)
    )
    legal_basis = factory.LazyFunction(
        lambda: [
            {"law": "《中华人民共和国行政许可法》", "article": "第十二条", "text": ""}
        ]
    )
    for_natural_person = True
    search_text = factory.LazyAttribute(lambda o: build_search_text(o.name, o.code))


class ListingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Listing

    base_item = factory.SubFactory(BaseItemFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    level = factory.LazyAttribute(lambda o: o.organisation.level)
    division = factory.LazyAttribute(lambda o: o.organisation.division)
    code = factory.LazyAttribute(
        lambda o: implementation_code(
            o.organisation.credit_code, o.level, o.base_item.code
        )
    )


class ListingVersionFactory(factory.django.DjangoModelFactory):
    """A version; ``published=True`` makes it the version in force since yesterday."""

    class Meta:
        model = ListingVersion

    class Params:
        published = factory.Trait(
            status=VersionStatus.PUBLISHED,
            effective_from=factory.LazyFunction(
                lambda: timezone.localdate() - datetime.timedelta(days=1)
            ),
            published_at=factory.LazyFunction(timezone.now),
        )

    listing = factory.SubFactory(ListingFactory)
    number = factory.Sequence(lambda n: n + 1)
    status = VersionStatus.DRAFT
    guide = factory.LazyFunction(complete_guide)
    change_reason = "首次编制"
    is_online = factory.LazyAttribute(lambda o: o.guide.get("is_online", False))
    depth_level = factory.LazyAttribute(
        lambda o: depth_level(o.guide.get("depth_stages", []))
    )
    visits = factory.LazyAttribute(lambda o: o.guide.get("visits", 1))
    is_fee = factory.LazyAttribute(lambda o: o.guide.get("is_fee", False))
    shared_fingerprint = factory.LazyAttribute(
        lambda o: shared_fingerprint(Guide.model_validate(o.guide))
    )


def grant(user, organisation, role: StaffRole) -> StaffMembership:
    return StaffMembership.objects.create(
        user=user, organisation=organisation, role=role
    )
