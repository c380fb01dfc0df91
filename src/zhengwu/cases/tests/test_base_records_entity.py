"""An entity's application: the representative's 居民身份证 is fetched from the
filing person's own verified identity record (the one who files online on the
entity's behalf), never from a counter clerk's; an unverified representative
uploads it."""

from __future__ import annotations

import pytest

from zhengwu.cases import services
from zhengwu.cases.base_records import fetchable_materials, filing_person_label
from zhengwu.cases.constants import Credibility
from zhengwu.cases.errors import CaseError
from zhengwu.cases.models import HandlingConfig
from zhengwu.catalog.facade import listing_for_application
from zhengwu.catalog.tests.factories import complete_guide
from zhengwu.core.models import AuditEvent
from zhengwu.identity.constants import EntityKind
from zhengwu.identity.facade import ActingFor, person_label_for_user
from zhengwu.identity.models import LegalEntity
from zhengwu.identity.tests.person_factories import (
    legal_person_record,
    make_citizen,
    make_credit_code,
)

from .factories import CONTACT_FORM, PDF_BYTES, World, configure, published_listing

pytestmark = pytest.mark.django_db

FORM_UPLOAD = {"material_name": "申请表", "filename": "form.pdf", "content": PDF_BYTES}


def _entity(representative, number: int, name: str) -> str:
    credit_code = make_credit_code(number)
    LegalEntity.objects.create(
        credit_code=credit_code,
        name=name,
        kind=EntityKind.ENTERPRISE,
        legal_representative=representative,
    )
    legal_person_record(
        credit_code, name, representative.name, representative.clear_id_number
    )
    return f"entity:{credit_code}"


@pytest.fixture
def entity_world(world: World):
    guide = complete_guide()
    guide["materials"].append(
        {"name": "营业执照", "material_type": "certificate", "necessity": "1"}
    )
    code = published_listing(world.org_a, guide=guide, name="食品经营备案")
    configure(
        code,
        base_record_materials={
            "居民身份证": "person_identity",
            "营业执照": "entity_registration",
        },
    )
    label = _entity(world.citizen, 5151, "沈阳示范餐饮有限公司")
    return world, code, label


def _apply(user, code, key, label):
    return services.case_apply(
        user=user,
        acting=None,
        listing_code=code,
        form_data=dict(CONTACT_FORM),
        submission_key=key,
        principal_label=label,
        materials=[FORM_UPLOAD],
    )


def test_the_representatives_id_card_comes_from_their_own_record(entity_world):
    world, code, label = entity_world
    case = _apply(world.citizen.user, code, "ent-1", label)
    assert case.principal_label == label
    id_card = case.materials.get(material_name="居民身份证")
    assert id_card.base_record_kind == "person_identity"
    assert id_card.credibility == Credibility.A
    assert id_card.credibility_label == "A级：基础库调取"
    assert case.materials.get(material_name="营业执照").base_record_kind == (
        "entity_registration"
    )
    # the audit trail says whose record it was: the filing person's
    person = person_label_for_user(world.citizen.user)
    records = {
        e.data["material"]: e.data["record_of"]
        for e in AuditEvent.objects.filter(
            event="cases.material_base_record_fetched", target_id=str(case.pk)
        )
    }
    assert records == {"居民身份证": person, "营业执照": label}


def test_an_unverified_representative_uploads_the_id_card(entity_world):
    world, code, _label = entity_world
    newcomer = make_citizen("郑九", verified=False)
    label = _entity(newcomer, 5252, "沈阳新开张小吃店")
    with pytest.raises(CaseError) as raised:
        _apply(newcomer.user, code, "ent-2", label)
    assert raised.value.context["missing"] == ["居民身份证"]
    # with the upload, the business licence is still fetched
    case = services.case_apply(
        user=newcomer.user,
        acting=None,
        listing_code=code,
        form_data=dict(CONTACT_FORM),
        submission_key="ent-3",
        principal_label=label,
        materials=[
            FORM_UPLOAD,
            {"material_name": "居民身份证", "filename": "id.pdf", "content": PDF_BYTES},
        ],
    )
    assert case.materials.get(material_name="居民身份证").base_record_kind == ""
    assert case.materials.get(material_name="营业执照").base_record_kind == (
        "entity_registration"
    )


def test_without_a_filing_person_the_entity_has_no_id_card_to_fetch(entity_world):
    world, code, label = entity_world
    listing = listing_for_application(code)
    config = HandlingConfig.objects.get(listing_code=code)
    person = person_label_for_user(world.citizen.user)
    assert set(fetchable_materials(listing, config, label)) == {"营业执照"}
    fetched = fetchable_materials(listing, config, label, acting_person_label=person)
    assert set(fetched) == {"居民身份证", "营业执照"}
    assert fetched["居民身份证"].holder_name == "张三"
    # a person's own application keeps using their own record, whatever is passed
    other = person_label_for_user(world.other_citizen.user)
    own = fetchable_materials(listing, config, person, acting_person_label=other)
    assert own["居民身份证"].principal_label == person


def test_a_counter_clerk_never_stands_for_the_representative(entity_world):
    world, _code, label = entity_world
    counter = ActingFor(
        principal_label=label,
        principal_name="沈阳示范餐饮有限公司",
        basis="counter",
        basis_id=1,
        all_items=True,
        item_codes=(),
    )
    # even a clerk with a verified identity of their own
    clerk = world.other_citizen.user
    assert person_label_for_user(clerk)
    assert filing_person_label(clerk, counter) == ""
    authorised = ActingFor(
        principal_label=label,
        principal_name="沈阳示范餐饮有限公司",
        basis="authorisation",
        basis_id=1,
        all_items=True,
        item_codes=(),
    )
    agent = world.other_citizen.user
    assert filing_person_label(agent, authorised) == person_label_for_user(agent)
    assert filing_person_label(agent, None) == person_label_for_user(agent)
