"""The handling-settings page's licence part (the licence issued on approval, the
materials a licence replaces, the materials fetched from the base records), the
apply page telling which material is fetched, and the reviewer's page showing it."""

from __future__ import annotations

import re

from django.core.files.uploadedfile import SimpleUploadedFile

import pytest

from zhengwu.cases.constants import Credibility
from zhengwu.cases.models import Case, HandlingConfig
from zhengwu.cases.tests.factories import (
    PDF_BYTES,
    World,
    configure,
    published_listing,
)
from zhengwu.catalog.tests.factories import complete_guide
from zhengwu.core.models import AuditEvent
from zhengwu.identity.tests.person_factories import make_citizen
from zhengwu.licenses.tests.factories import licence_world  # noqa: F401

from .test_workbench_pages import wb  # noqa: F401

pytestmark = pytest.mark.django_db


def _body(response) -> str:
    return response.content.decode()


@pytest.fixture
def settings_page(licence_world):  # noqa: F811
    """A listing of the licence bureau whose result is 职业资格证书 (a licence type
    the bureau defines)."""
    code = published_listing(
        licence_world.bureau,
        guide=complete_guide(result_name="职业资格证书"),
        name="职业资格认定",
    )
    return code, licence_world, f"/workbench/config/{code}/"


def _post(client, url, **fields):
    data = {"form_schema": "", "process_template": "single", "decision_key": ""}
    data.update(fields)
    return client.post(url, data)


def test_the_page_offers_the_licence_types_and_the_material_settings(
    client, settings_page
):
    code, lw, url = settings_page
    client.force_login(lw.editor)
    html = _body(client.get(url))
    assert 'name="licence_type_code"' in html
    assert f'<option value="{lw.licence_type.type_code}">' in html
    # one row per guide material: a licence type code and a base-record choice
    assert 'name="licence_material_0"' in html and 'name="base_record_0"' in html
    assert 'name="licence_material_1"' in html and 'name="base_record_1"' in html
    assert '<option value="person_identity">' in html


def test_the_settings_are_saved_and_audited(client, settings_page):
    code, lw, url = settings_page
    client.force_login(lw.editor)
    type_code = lw.licence_type.type_code
    response = _post(
        client,
        url,
        licence_type_code=type_code,
        licence_material_1=type_code,
        base_record_0="person_identity",
    )
    assert response.status_code == 302, _body(response)[:3000]
    config = HandlingConfig.objects.get(listing_code=code)
    assert config.licence_type_code == type_code
    assert config.licence_materials == {"申请表": type_code}
    assert config.base_record_materials == {"居民身份证": "person_identity"}
    event = AuditEvent.objects.filter(event="cases.handling_configured").latest("pk")
    assert {"licence_type_code", "licence_materials", "base_record_materials"} <= set(
        event.data["changed"]
    )
    # the page shows what was saved
    html = _body(client.get(url))
    assert f'<option value="{type_code}" selected>' in html
    assert '<option value="person_identity" selected>' in html
    assert f'value="{type_code}"' in html


def test_an_unknown_licence_type_code_is_refused_at_its_field(client, settings_page):
    code, lw, url = settings_page
    client.force_login(lw.editor)
    response = _post(client, url, licence_material_0="1" * 21)
    assert response.status_code == 400
    html = _body(response)
    error = re.search(r'id="id_licence_material_0-error">([^<]*)<', html)
    assert error is not None, html[:3000]
    assert "1" * 21 in error[1] and "居民身份证" in error[1]
    assert 'aria-invalid="true"' in html
    # a licence type not offered is refused at the choice
    response = _post(client, url, licence_type_code="2" * 21)
    assert response.status_code == 400
    assert "请从列表中选择证照类型" in _body(response)
    # a base-record kind not offered is refused at its choice
    response = _post(client, url, base_record_1="household")
    assert response.status_code == 400
    assert "请从列表中选择基础库信息" in _body(response)
    assert not HandlingConfig.objects.filter(listing_code=code).exists()


def test_another_department_cannot_open_or_change_the_settings(client, settings_page):
    code, lw, url = settings_page
    client.force_login(lw.other_reviewer)
    assert client.get(url).status_code == 403
    assert _post(client, url, base_record_0="person_identity").status_code == 403
    assert not HandlingConfig.objects.filter(listing_code=code).exists()


# --- the apply page and the reviewer's page --------------------------------------------


def test_the_apply_page_says_the_id_card_is_fetched_and_the_reviewer_sees_it(
    client,
    wb: World,  # noqa: F811
):
    configure(wb.listing_a, base_record_materials={"居民身份证": "person_identity"})
    client.force_login(wb.citizen.user)
    page = client.get(f"/items/{wb.listing_a}/apply/")
    html = _body(page)
    assert 'id="id_material-0-base-record"' in html
    assert "人口基础信息库调取" in html
    key = re.search(r'name="submission_key" value="([0-9a-f]{32})"', html)[1]
    response = client.post(
        f"/items/{wb.listing_a}/apply/",
        {
            "submission_key": key,
            "f-contact_name": "张三",
            "f-contact_mobile": "13900000001",
            "material-1": SimpleUploadedFile(
                "申请表.pdf", PDF_BYTES, content_type="application/pdf"
            ),
            "action": "submit",
        },
    )
    assert response.status_code == 302, _body(response)[:3000]
    case = Case.objects.get(listing_code=wb.listing_a)
    material = case.materials.get(material_name="居民身份证")
    assert material.base_record_kind == "person_identity"
    assert material.credibility == Credibility.A
    # the reviewer of the department sees it as fetched from the base records
    client.force_login(wb.reviewer_a)
    html = _body(client.get(f"/workbench/cases/{case.pk}/"))
    assert f'id="base-record-{material.pk}"' in html
    assert "从基础库调取" in html
    # a reviewer of another department cannot open the case
    client.force_login(wb.reviewer_b)
    assert client.get(f"/workbench/cases/{case.pk}/").status_code in (403, 404)


def test_an_unverified_applicant_is_asked_to_upload_it(client, wb: World):  # noqa: F811
    configure(wb.listing_a, base_record_materials={"居民身份证": "person_identity"})
    newcomer = make_citizen("周七", verified=False)
    client.force_login(newcomer.user)
    html = _body(client.get(f"/items/{wb.listing_a}/apply/"))
    assert 'id="id_material-0-base-record"' not in html
    key = re.search(r'name="submission_key" value="([0-9a-f]{32})"', html)[1]
    response = client.post(
        f"/items/{wb.listing_a}/apply/",
        {
            "submission_key": key,
            "f-contact_name": "周七",
            "f-contact_mobile": "13900000002",
            "material-1": SimpleUploadedFile(
                "申请表.pdf", PDF_BYTES, content_type="application/pdf"
            ),
            "action": "submit",
        },
    )
    assert response.status_code == 400
    assert "居民身份证" in _body(response)
    assert not Case.objects.filter(applicant=newcomer.user).exists()
