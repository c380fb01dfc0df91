"""The cases API's handling settings carry the licence issued on approval, the
materials a licence replaces and those fetched from the base records, refused
with the service's checks (the same as the settings page: 422 naming the
field); a case's materials say their credibility, licence and base record."""

from __future__ import annotations

import pytest

from zhengwu.cases import services
from zhengwu.cases.models import HandlingConfig
from zhengwu.core.models import AuditEvent
from zhengwu.licenses.tests.factories import licence_world  # noqa: F401

from .factories import PDF_BYTES, World, configure
from .test_api import API, bearer
from .test_licence_reuse import apply_with_licence, approved_case, setup  # noqa: F401

pytestmark = pytest.mark.django_db


def _put(client, user, listing, payload):
    return client.put(
        f"{API}/config/{listing}",
        payload,
        content_type="application/json",
        headers=bearer(user),
    )


def test_the_licence_settings_are_set_and_read_back(client, setup):  # noqa: F811
    world, lw, issuing, asking = setup
    code = lw.licence_type.type_code
    response = _put(client, lw.editor, issuing, {"licence_type_code": code})
    assert response.status_code == 200, response.content
    assert response.json()["licence_type_code"] == code
    response = _put(
        client,
        world.editor_a,
        asking,
        {
            "licence_materials": {"职业资格证书": code},
            "base_record_materials": {"居民身份证": "person_identity"},
        },
    )
    assert response.status_code == 200, response.content
    out = response.json()
    assert out["licence_materials"] == {"职业资格证书": code}
    assert out["base_record_materials"] == {"居民身份证": "person_identity"}
    assert out["licence_type_code"] == ""
    config = HandlingConfig.objects.get(listing_code=asking)
    assert config.licence_materials == {"职业资格证书": code}
    assert config.base_record_materials == {"居民身份证": "person_identity"}
    event = AuditEvent.objects.filter(event="cases.handling_configured").last()
    assert event.data["changed"] == ["base_record_materials", "licence_materials"]
    # only the fields sent change: clearing one keeps the other
    response = _put(client, world.editor_a, asking, {"licence_materials": {}})
    assert response.json()["licence_materials"] == {}
    assert response.json()["base_record_materials"] == {"居民身份证": "person_identity"}


@pytest.mark.parametrize(
    ("payload", "field", "reason"),
    [
        # a type the listing's organisation may not issue
        ({"licence_type_code": "2" * 21}, "licence_type_code", "证照类型不存在"),
        (
            {"licence_materials": {"不在指南中的材料": "2" * 21}},
            "licence_materials",
            "不是办事指南列出的材料",
        ),
        (
            {"licence_materials": {"居民身份证": "2" * 21}},
            "licence_materials",
            "不存在",
        ),
        (
            {"base_record_materials": {"居民身份证": "fingerprints"}},
            "base_record_materials",
            "无效",
        ),
        (
            {"base_record_materials": {"不在指南中的材料": "person_identity"}},
            "base_record_materials",
            "不是办事指南列出的材料",
        ),
    ],
)
def test_bad_licence_settings_are_422_naming_the_field(
    client,
    setup,  # noqa: F811
    payload,
    field,
    reason,
):
    world, _lw, _issuing, asking = setup
    response = _put(client, world.editor_a, asking, payload)
    assert response.status_code == 422, response.content
    fields = response.json()["fields"]
    assert field in fields
    assert reason in " ".join(fields[field])
    assert not HandlingConfig.objects.filter(listing_code=asking).exists()


def test_another_departments_type_is_refused_for_approval(client, setup):  # noqa: F811
    world, lw, _issuing, asking = setup
    response = _put(
        client, world.editor_a, asking, {"licence_type_code": lw.licence_type.type_code}
    )
    assert response.status_code == 422
    assert "本事项的实施机关不能颁发该类证照" in " ".join(
        response.json()["fields"]["licence_type_code"]
    )


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"licence_type_code": "2" * 22}, "licence_type_code"),
        ({"licence_type_code": "LICENCE"}, "licence_type_code"),
        # NUL never reaches the database (PostgreSQL refuses it in text: a 500)
        ({"licence_type_code": "\u0000"}, "licence_type_code"),
        ({"licence_materials": {"职业资格证书": "\u0000"}}, "licence_materials"),
        ({"licence_materials": {"\u0000": "2" * 21}}, "licence_materials"),
        ({"licence_materials": ["职业资格证书"]}, "licence_materials"),
        ({"licence_materials": {"职业资格证书": 5}}, "licence_materials"),
        ({"licence_materials": {"x" * 201: "2" * 21}}, "licence_materials"),
        ({"base_record_materials": {"居民身份证": "k" * 31}}, "base_record_materials"),
        (
            {"base_record_materials": {f"m{i}": "person_identity" for i in range(101)}},
            "base_record_materials",
        ),
    ],
)
def test_malformed_licence_settings_are_422_naming_the_field(
    client,
    setup,  # noqa: F811
    payload,
    field,
):
    world, _lw, _issuing, asking = setup
    response = _put(client, world.editor_a, asking, payload)
    assert response.status_code == 422, response.content
    assert any(key.startswith(field) for key in response.json()["fields"])


def test_another_department_cannot_set_them(client, setup):  # noqa: F811
    world, _lw, _issuing, asking = setup
    response = _put(
        client,
        world.reviewer_b,
        asking,
        {"base_record_materials": {"居民身份证": "person_identity"}},
    )
    assert response.status_code == 403
    assert not HandlingConfig.objects.filter(listing_code=asking).exists()


def test_materials_say_their_credibility_licence_and_base_record(client, setup):  # noqa: F811
    world, lw, issuing, asking = setup
    first = approved_case(world.citizen.user, issuing, lw.reviewer, "api-lic-1")
    case = apply_with_licence(
        world.citizen.user, asking, first.licence_identifier, key="api-lic-2"
    )
    response = client.get(f"{API}/{case.pk}", headers=bearer(world.citizen.user))
    assert response.status_code == 200, response.content
    materials = {m["material_name"]: m for m in response.json()["materials"]}
    licence = materials["职业资格证书"]
    assert licence["credibility"] == "A"
    assert licence["credibility_label"] == "A级：电子证照（发证机关签章）"
    assert licence["licence_identifier"] == first.licence_identifier
    assert licence["base_record_kind"] == ""
    uploaded = materials["居民身份证"]
    assert uploaded["credibility"] == "C"
    assert uploaded["credibility_label"] == "C级：申请人上传"
    assert uploaded["licence_identifier"] == "" and uploaded["base_record_kind"] == ""
    # another citizen sees nothing of it
    other = client.get(f"{API}/{case.pk}", headers=bearer(world.other_citizen.user))
    assert other.status_code == 404


def test_a_fetched_material_says_its_base_record(client, world: World):
    configure(world.listing_a, base_record_materials={"居民身份证": "person_identity"})
    case = services.case_apply(
        user=world.citizen.user,
        acting=None,
        listing_code=world.listing_a,
        form_data={"contact_name": "张三", "contact_mobile": "13900000001"},
        submission_key="api-lic-3",
        materials=[
            {"material_name": "申请表", "filename": "form.pdf", "content": PDF_BYTES}
        ],
    )
    response = client.get(f"{API}/{case.pk}", headers=bearer(world.citizen.user))
    materials = {m["material_name"]: m for m in response.json()["materials"]}
    fetched = materials["居民身份证"]
    assert fetched["credibility"] == "A"
    assert fetched["credibility_label"] == "A级：基础库调取"
    assert fetched["base_record_kind"] == "person_identity"
    assert fetched["licence_identifier"] == ""
