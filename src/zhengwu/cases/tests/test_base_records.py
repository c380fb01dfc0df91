"""免于提交 from the shared base records: a material the platform holds (居民身份证
→ the applicant's verified identity record, 营业执照 → the entity's legal-person
record) is fetched on submission instead of uploaded, on the synchronous path and
through the asynchronous intake door; and the handling settings that map them."""

from __future__ import annotations

import copy

import pytest

from zhengwu.cases import intake, services
from zhengwu.cases.constants import CaseStatus, Credibility, IntakeStatus
from zhengwu.cases.errors import CaseError
from zhengwu.cases.models import Case, CaseIntake, CaseMaterial
from zhengwu.cases.selectors import exempted_material_counts
from zhengwu.catalog.tests.factories import complete_guide
from zhengwu.core.models import AuditEvent
from zhengwu.identity.constants import EntityKind
from zhengwu.identity.models import LegalEntity, LegalPersonRecord
from zhengwu.identity.tests.person_factories import (
    legal_person_record,
    make_citizen,
    make_credit_code,
)

from .factories import CONTACT_FORM, PDF_BYTES, World, configure, published_listing

pytestmark = pytest.mark.django_db

FORM_UPLOAD = {"material_name": "申请表", "filename": "form.pdf", "content": PDF_BYTES}


def _apply(user, listing, key, *, materials=None, principal_label=""):
    return services.case_apply(
        user=user,
        acting=None,
        listing_code=listing,
        form_data=dict(CONTACT_FORM),
        submission_key=key,
        principal_label=principal_label,
        materials=[FORM_UPLOAD] if materials is None else materials,
    )


@pytest.fixture
def fetching(world: World) -> World:
    """listing_a fetches 居民身份证 from the population base records."""
    configure(world.listing_a, base_record_materials={"居民身份证": "person_identity"})
    return world


def test_a_verified_applicant_is_not_asked_for_the_id_card(fetching: World):
    world = fetching
    uploads_before = CaseMaterial.objects.count()
    # when a verified citizen applies uploading only the application form
    case = _apply(world.citizen.user, world.listing_a, "br-1")
    # then the case is submitted and the ID card was fetched from the base records
    assert case.status == CaseStatus.SUBMITTED
    material = case.materials.get(material_name="居民身份证")
    assert material.base_record_kind == "person_identity"
    assert material.credibility == Credibility.A
    assert material.licence_identifier == ""
    assert material.file.owner is None  # a system file, not the applicant's upload
    assert material.file.content_type == "application/pdf"
    content = material.file.file.open("rb").read()
    assert content.startswith(b"%PDF")
    assert world.citizen.clear_id_number.encode() not in content
    assert CaseMaterial.objects.count() - uploads_before == 2
    event = AuditEvent.objects.get(
        event="cases.material_base_record_fetched", target_id=str(case.pk)
    )
    assert event.data["material"] == "居民身份证"
    assert event.data["sm3"] == material.file.sm3
    # and it counts as a material not asked for, for the department only
    counts = exempted_material_counts(world.reviewer_a)
    assert [(c.listing_code, c.base_record, c.total) for c in counts] == [
        (world.listing_a, 1, 1)
    ]
    assert exempted_material_counts(world.reviewer_b) == []


def test_an_uploaded_id_card_is_kept_and_nothing_is_fetched(fetching: World):
    world = fetching
    case = _apply(
        world.citizen.user,
        world.listing_a,
        "br-2",
        materials=[
            FORM_UPLOAD,
            {"material_name": "居民身份证", "filename": "id.pdf", "content": PDF_BYTES},
        ],
    )
    material = case.materials.get(material_name="居民身份证")
    assert material.base_record_kind == ""
    assert material.credibility == Credibility.C


def test_an_unverified_applicant_must_upload_it(fetching: World):
    world = fetching
    newcomer = make_citizen("周七", verified=False)
    with pytest.raises(CaseError) as raised:
        _apply(newcomer.user, world.listing_a, "br-3")
    assert raised.value.code == "cases.missing_materials"
    assert raised.value.context["missing"] == ["居民身份证"]
    assert "请上传“居民身份证”。" in raised.value.fields["materials"]
    assert not Case.objects.filter(applicant=newcomer.user).exists()


def test_without_the_setting_the_id_card_is_asked_for(world: World):
    with pytest.raises(CaseError) as raised:
        _apply(world.citizen.user, world.listing_a, "br-4")
    assert raised.value.context["missing"] == ["居民身份证"]


def test_a_fetched_material_is_not_reused_by_a_later_case(fetching: World):
    world = fetching
    case = _apply(world.citizen.user, world.listing_a, "br-5")
    fetched = case.materials.get(material_name="居民身份证")
    draft = services.case_draft_save(
        user=world.citizen.user,
        acting=None,
        listing_code=world.listing_b,
        form_data=dict(CONTACT_FORM),
    )
    with pytest.raises(CaseError) as raised:
        services.material_reuse(
            user=world.citizen.user,
            acting=None,
            case_id=draft.pk,
            material_name="居民身份证",
            source_material_id=fetched.pk,
        )
    assert raised.value.status == 404


# --- an entity's business licence ----------------------------------------------------


@pytest.fixture
def entity_listing(world: World):
    guide = complete_guide()
    guide["materials"].append(
        {"name": "营业执照", "material_type": "certificate", "necessity": "1"}
    )
    code = published_listing(world.org_a, guide=guide, name="食品经营备案")
    configure(code, base_record_materials={"营业执照": "entity_registration"})
    credit_code = make_credit_code(4242)
    entity = LegalEntity.objects.create(
        credit_code=credit_code,
        name="沈阳示范餐饮有限公司",
        kind=EntityKind.ENTERPRISE,
        legal_representative=world.citizen,
    )
    legal_person_record(credit_code, entity.name, "张三", world.citizen.clear_id_number)
    return code, f"entity:{credit_code}"


ID_UPLOAD = {"material_name": "居民身份证", "filename": "id.pdf", "content": PDF_BYTES}


def test_an_active_entity_is_not_asked_for_its_business_licence(world, entity_listing):
    code, label = entity_listing
    case = _apply(
        world.citizen.user,
        code,
        "br-6",
        materials=[FORM_UPLOAD, ID_UPLOAD],
        principal_label=label,
    )
    material = case.materials.get(material_name="营业执照")
    assert material.base_record_kind == "entity_registration"
    assert material.credibility == Credibility.A


def test_a_deregistered_entity_must_upload_its_business_licence(world, entity_listing):
    code, label = entity_listing
    LegalPersonRecord.objects.filter(credit_code=label.split(":")[1]).update(
        status=LegalPersonRecord.Status.DEREGISTERED
    )
    with pytest.raises(CaseError) as raised:
        _apply(
            world.citizen.user,
            code,
            "br-7",
            materials=[FORM_UPLOAD, ID_UPLOAD],
            principal_label=label,
        )
    assert raised.value.context["missing"] == ["营业执照"]


# --- the asynchronous intake door ----------------------------------------------------


@pytest.fixture
def id_only_listing(world: World) -> str:
    """A listing whose only necessary material is the ID card, fetched."""
    guide = copy.deepcopy(complete_guide())
    for material in guide["materials"]:
        if material["name"] != "居民身份证":
            material["necessity"] = "2"
    code = published_listing(world.org_a, guide=guide, name="身份信息登记")
    configure(code, base_record_materials={"居民身份证": "person_identity"})
    return code


def _take_in(user, code, key):
    return intake.case_intake(
        user=user,
        acting=None,
        listing_code=code,
        form_data=dict(CONTACT_FORM),
        submission_key=key,
    )


def test_the_intake_door_takes_in_an_application_whose_material_is_fetched(
    world, id_only_listing
):
    taken, created = _take_in(world.citizen.user, id_only_listing, "door-1")
    assert created
    assert intake.process_pending_intakes(budget_seconds=30) == 1
    taken.refresh_from_db()
    assert taken.status == IntakeStatus.DONE, taken.error
    material = taken.case.materials.get(material_name="居民身份证")
    assert material.base_record_kind == "person_identity"


def test_the_intake_door_refuses_an_unverified_applicant_naming_the_material(
    world, id_only_listing
):
    newcomer = make_citizen("吴八", verified=False)
    with pytest.raises(CaseError) as raised:
        _take_in(newcomer.user, id_only_listing, "door-2")
    assert raised.value.code == "cases.missing_materials"
    assert raised.value.context["missing"] == ["居民身份证"]
    assert "请先保存草稿并上传后提交" in raised.value.message
    assert not CaseIntake.objects.filter(applicant=newcomer.user).exists()


def test_the_door_and_the_service_refuse_with_the_same_helper(world: World):
    # the door (no files) and the synchronous path name the same materials
    with pytest.raises(CaseError) as at_door:
        _take_in(world.citizen.user, world.listing_a, "door-3")
    with pytest.raises(CaseError) as in_service:
        _apply(world.citizen.user, world.listing_a, "door-4", materials=[])
    assert at_door.value.context["missing"] == in_service.value.context["missing"]
    assert at_door.value.fields == in_service.value.fields
    assert at_door.value.message != in_service.value.message


# --- the settings -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mapping", "reason"),
    [
        ({"营业执照": "person_identity"}, "“营业执照”不是办事指南列出的材料。"),
        ({"居民身份证": "household"}, "“居民身份证”对应的基础库信息“household”无效。"),
        (["居民身份证"], "应为“材料名称 → 基础库信息”的对应表。"),
    ],
)
def test_the_base_record_setting_is_validated_with_field_errors(
    world: World, mapping, reason
):
    with pytest.raises(CaseError) as raised:
        services.handling_config_set(
            listing_code=world.listing_a,
            acting_user=world.editor_a,
            base_record_materials=mapping,
        )
    assert raised.value.fields["base_record_materials"] == [reason]


def test_an_unknown_licence_type_for_a_material_is_named(world: World):
    with pytest.raises(CaseError) as raised:
        services.handling_config_set(
            listing_code=world.listing_a,
            acting_user=world.editor_a,
            licence_materials={"居民身份证": "1" * 21},
        )
    assert raised.value.fields["licence_materials"] == [
        f"“居民身份证”对应的证照类型代码“{'1' * 21}”不存在。"
    ]


def test_the_base_record_setting_is_saved_and_audited(world: World):
    config = services.handling_config_set(
        listing_code=world.listing_a,
        acting_user=world.editor_a,
        base_record_materials={"居民身份证": "person_identity"},
    )
    assert config.base_record_materials == {"居民身份证": "person_identity"}
    event = AuditEvent.objects.filter(event="cases.handling_configured").latest("pk")
    assert event.data["changed"] == ["base_record_materials"]
    # another department's reviewer may not change it
    with pytest.raises(CaseError) as raised:
        services.handling_config_set(
            listing_code=world.listing_a,
            acting_user=world.reviewer_b,
            base_record_materials={},
        )
    assert raised.value.status == 403


def test_the_identity_extract_does_not_let_the_id_number_be_rebuilt(fetching: World):
    """The fetched PDF is seen by the case's handlers: it shows the first four
    digits and the birth year only — not the birth date, the later digits or the
    last four, which together would give the number back without the audited
    reveal."""
    from zhengwu.identity.facade import base_record_extract, person_label_for_user

    number = fetching.citizen.clear_id_number
    extract = base_record_extract(
        person_label_for_user(fetching.citizen.user), "person_identity"
    )
    assert extract is not None
    rows = dict(extract.rows)
    shown = rows["公民身份号码"]
    assert shown == number[:4] + "*" * 14
    assert "出生日期" not in rows
    assert rows["出生年份"] == number[6:10]
    text = " ".join(value for _label, value in extract.rows)
    assert number[6:14] not in text  # the birth date
