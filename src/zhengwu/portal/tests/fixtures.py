"""Test data for portal pages, built through the catalogue services (and the shared
factories), never through the demo command. Used by page and browser tests."""

from __future__ import annotations

import datetime
import io
import zipfile
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from zhengwu.catalog import pages, services
from zhengwu.catalog.tests.factories import (
    BaseItemFactory,
    DivisionFactory,
    ListingFactory,
    ListingVersionFactory,
    OrganisationFactory,
    complete_guide,
    grant,
    make_credit_code,
)
from zhengwu.identity.constants import StaffRole

PASSWORD = "Zhengwu#2026"
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


@dataclass
class World:
    province: Any
    city: Any
    county: Any
    other_city: Any
    authority: Any
    editor: Any
    other_editor: Any
    county_org: Any
    city_org: Any
    other_org: Any
    passport_item: Any
    passport_listing: Any
    passport_version: Any
    city_listing: Any
    blank_form_id: str
    sample_id: str


def make_user(username: str, **extra: Any) -> Any:
    return get_user_model().objects.create_user(
        username=username, password=PASSWORD, **extra
    )


def publish_new(listing: Any, guide: dict, *, editor: Any, authority: Any) -> Any:
    """Draft → submitted → published through the services, then dated back to
    yesterday so that a test can publish the next version today."""
    version = services.version_create(
        listing=listing, acting_user=editor, guide=guide, change_reason="首次编制"
    )
    services.version_submit(version=version.pk, acting_user=editor)
    version = services.version_publish(version=version.pk, acting_user=authority)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    ListingVersionFactory._meta.model.objects.filter(pk=version.pk).update(
        effective_from=yesterday
    )
    version.refresh_from_db()
    return version


def load_reference_data() -> bool:
    """The project's code tables, divisions and themes when the command is there."""
    from django.core.management import call_command
    from django.core.management.base import CommandError

    try:
        call_command("load_reference_data", verbosity=0)
    except CommandError:
        return False
    return True


def build_world(*, reference_data: bool = False) -> World:
    if reference_data:
        load_reference_data()
    province = DivisionFactory(
        code="210000", name="辽宁省", kind="省", level="province"
    )
    city = DivisionFactory(
        code="210100", name="沈阳市", kind="地级市", level="prefecture", parent=province
    )
    county = DivisionFactory(
        code="210102", name="和平区", kind="市辖区", level="county", parent=city
    )
    other_city = DivisionFactory(
        code="210200", name="大连市", kind="地级市", level="prefecture", parent=province
    )
    authority_org = OrganisationFactory(name="辽宁省委编办", level=2, division=province)
    county_org = OrganisationFactory(
        name="沈阳市公安局和平分局",
        level=4,
        division=county,
        credit_code=make_credit_code("210102"),
    )
    city_org = OrganisationFactory(
        name="大连市公安局",
        level=3,
        division=other_city,
        credit_code=make_credit_code("210200"),
    )
    other_org = OrganisationFactory(
        name="沈阳市市场监督管理局",
        level=3,
        division=city,
        credit_code=make_credit_code("210100"),
    )
    authority = make_user("bianweiban", first_name="编委办审核员")
    grant(authority, authority_org, StaffRole.CATALOGUE_AUTHORITY)
    editor = make_user("heping_editor", first_name="和平分局编辑")
    grant(editor, county_org, StaffRole.DEPARTMENT_EDITOR)
    grant(editor, city_org, StaffRole.DEPARTMENT_EDITOR)
    other_editor = make_user("market_editor")
    grant(other_editor, other_org, StaffRole.DEPARTMENT_EDITOR)

    blank_form = services.attachment_create(
        content=PDF_BYTES,
        filename="普通护照申请表.pdf",
        acting_user=editor,
        organisation=county_org,
    )
    sample = services.attachment_create(
        content=docx_bytes(),
        filename="申请表填写示例.docx",
        acting_user=editor,
        organisation=county_org,
    )
    passport_item = BaseItemFactory(
        name="普通护照签发", for_natural_person=True, for_legal_person=False
    )
    passport_listing = ListingFactory(base_item=passport_item, organisation=county_org)
    if pages.theme("passport-travel") is not None:
        services.base_item_update(
            item=passport_item, acting_user=authority, theme_codes=["passport-travel"]
        )
    guide = complete_guide(
        accept_conditions="申请人为中国公民，持有效居民身份证。",
        handling_items=[
            {"code": "01", "name": "首次申领"},
            {"code": "02", "name": "换发"},
        ],
        materials=[
            {
                "name": "居民身份证",
                "material_type": "certificate",
                "source": "20",
                "form": "both",
                "originals": 1,
                "copies": 1,
                "paper_size": "A4",
                "necessity": "1",
            },
            {
                "name": "中国公民出入境证件申请表",
                "material_type": "form",
                "necessity": "1",
                "blank_form": str(blank_form.pk),
                "sample": str(sample.pk),
                "fill_instructions": "用黑色签字笔填写。",
            },
            {
                "name": "近期免冠照片",
                "material_type": "other",
                "necessity": "3",
                "originals": 2,
                "copies": 0,
                "paper_size": "",
                "handling_items": ["01"],
            },
        ],
        special_procedures=[{"name": "实地核查", "kind": "核查", "limit": {"days": 5}}],
        is_fee=True,
        fees=[
            {
                "name": "护照工本费",
                "standard": "每本120元",
                "basis": "发改价格〔2017〕1186号",
            }
        ],
        supports_online_payment=True,
        supports_appointment=True,
        supports_express=True,
        result_name="中华人民共和国普通护照",
        result_type="证照",
        result_sample=str(blank_form.pk),
        faqs=[
            {
                "question": "护照有效期多久？",
                "answer": "未满16周岁5年，16周岁以上10年。",
            }
        ],
        intermediaries=[{"name": "照片拍摄", "is_required": False}],
    )
    passport_version = publish_new(
        passport_listing, guide, editor=editor, authority=authority
    )
    city_listing = ListingFactory(base_item=passport_item, organisation=city_org)
    publish_new(
        city_listing,
        complete_guide(
            is_online=False, offline_reason="需现场采集指纹。", depth_stages=[]
        ),
        editor=editor,
        authority=authority,
    )
    return World(
        province=province,
        city=city,
        county=county,
        other_city=other_city,
        authority=authority,
        editor=editor,
        other_editor=other_editor,
        county_org=county_org,
        city_org=city_org,
        other_org=other_org,
        passport_item=passport_item,
        passport_listing=passport_listing,
        passport_version=passport_version,
        city_listing=city_listing,
        blank_form_id=str(blank_form.pk),
        sample_id=str(sample.pk),
    )
