"""The citizen's case page links the licences of the case to 我的证照 (the one
issued on its decision, the one handed in instead of a material); the reviewer's
page says what an A-level material is (an electronic licence sealed by its
issuer, a base-record extract) while the stored level stays A."""

from __future__ import annotations

import pytest

from zhengwu.cases import services
from zhengwu.cases.constants import Credibility
from zhengwu.cases.models import Case
from zhengwu.cases.tests.factories import PDF_BYTES, World, configure, published_listing
from zhengwu.cases.tests.test_licence_reuse import (
    FORM_SCHEMA,
    apply_with_licence,
    approved_case,
)
from zhengwu.catalog.tests.factories import complete_guide
from zhengwu.licenses import facade as licences
from zhengwu.licenses.tests.factories import licence_world  # noqa: F401

from .test_workbench_pages import wb  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def lic(wb: World, licence_world):  # noqa: F811
    """The licence bureau's listing issues 职业资格证书 on approval; department A's
    listing accepts it for its material of that name and fetches the ID card
    from the base records."""
    issuing = published_listing(licence_world.bureau, name="职业资格认定")
    configure(
        issuing,
        form_schema=FORM_SCHEMA,
        licence_type_code=licence_world.licence_type.type_code,
    )
    guide = complete_guide()
    guide["materials"].append(
        {
            "name": "职业资格证书",
            "material_type": "certificate",
            "source": "20",
            "form": "both",
            "necessity": "1",
        }
    )
    asking = published_listing(wb.org_a, guide=guide, name="餐饮服务备案")
    return wb, licence_world, issuing, asking


def _body(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_the_issued_licence_links_to_the_wallet(client, lic):
    cw, lw, issuing, _asking = lic
    case = approved_case(cw.citizen.user, issuing, lw.reviewer, "link-1")
    summary = licences.licence_by_identifier(case.licence_identifier)
    client.force_login(cw.citizen.user)
    html = _body(client.get(f"/cases/{case.pk}/"))
    href = f'href="/licenses/mine/{summary.licence_id}/" id="issued-licence-link"'
    assert href in html
    # the link opens the licence in 我的证照
    detail = _body(client.get(f"/licenses/mine/{summary.licence_id}/"))
    assert case.licence_identifier in detail
    # another citizen sees neither the case nor the licence
    client.force_login(cw.other_citizen.user)
    assert client.get(f"/cases/{case.pk}/").status_code == 404
    assert client.get(f"/licenses/mine/{summary.licence_id}/").status_code == 404


def test_a_licence_handed_in_links_to_the_wallet_and_reads_as_a_licence(client, lic):
    cw, lw, issuing, asking = lic
    first = approved_case(cw.citizen.user, issuing, lw.reviewer, "link-2")
    case = apply_with_licence(
        cw.citizen.user, asking, first.licence_identifier, key="link-3"
    )
    material = case.materials.get(material_name="职业资格证书")
    held = licences.licence_by_identifier(first.licence_identifier)
    client.force_login(cw.citizen.user)
    html = _body(client.get(f"/cases/{case.pk}/"))
    assert "电子证照，免于提交" in html
    assert (
        f'<a href="/licenses/mine/{held.licence_id}/" class="material-licence-link">'
        in html
    )
    # the reviewer sees what the A level means here; it is stored as A
    assert material.credibility == Credibility.A
    client.force_login(cw.reviewer_a)
    html = _body(client.get(f"/workbench/cases/{case.pk}/"))
    assert "A级：电子证照（发证机关签章）" in html
    # the uploaded materials keep their own label
    assert "C级：申请人上传" in html


def test_a_base_record_material_reads_as_fetched(client, lic):
    cw, _lw, _issuing, _asking = lic
    configure(cw.listing_a, base_record_materials={"居民身份证": "person_identity"})
    case = services.case_apply(
        user=cw.citizen.user,
        acting=None,
        listing_code=cw.listing_a,
        form_data={"contact_name": "张三", "contact_mobile": "13900000001"},
        submission_key="link-4",
        materials=[
            {"material_name": "申请表", "filename": "form.pdf", "content": PDF_BYTES}
        ],
    )
    material = case.materials.get(material_name="居民身份证")
    assert material.credibility == Credibility.A
    assert material.base_record_kind == "person_identity"
    client.force_login(cw.citizen.user)
    html = _body(client.get(f"/cases/{case.pk}/"))
    assert "基础库调取，免于提交" in html
    assert "material-licence-link" not in html
    client.force_login(cw.reviewer_a)
    html = _body(client.get(f"/workbench/cases/{case.pk}/"))
    assert "A级：基础库调取" in html
    assert "A级：实施机关制作" not in html


def test_no_link_to_a_licence_the_principal_does_not_hold(client, lic):
    cw, lw, issuing, _asking = lic
    case = approved_case(cw.citizen.user, issuing, lw.reviewer, "link-5")
    # a licence of another holder recorded on the case (data gone wrong)
    stranger = lw.issue()
    Case.objects.filter(pk=case.pk).update(licence_identifier=stranger.identifier)
    client.force_login(cw.citizen.user)
    html = _body(client.get(f"/cases/{case.pk}/"))
    assert stranger.identifier in html
    assert 'id="issued-licence-link"' not in html
    assert f"/licenses/mine/{stranger.pk}/" not in html
    assert "可在“我的证照”中查看和出示" in html
