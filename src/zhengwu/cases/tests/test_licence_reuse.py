"""Electronic licences in the case flow: issued on an approving decision (once),
used instead of uploading a material (免于提交, with consent, only the holder's
own), and the counts of materials not asked for."""

from __future__ import annotations

import pytest

from zhengwu.cases import services
from zhengwu.cases.constants import CaseStatus, Credibility
from zhengwu.cases.errors import CaseError
from zhengwu.cases.licences import issue_case_licence, licence_checks
from zhengwu.cases.models import Case, CaseMaterial, StoredFile
from zhengwu.cases.selectors import exempted_material_counts
from zhengwu.catalog.tests.factories import complete_guide
from zhengwu.core.models import AuditEvent
from zhengwu.licenses import facade as licences
from zhengwu.licenses.tests.factories import FACE_DATA, licence_world  # noqa: F401

from .factories import (
    CONTACT_FORM,
    PDF_BYTES,
    World,
    configure,
    materials_for,
    published_listing,
)
from .test_services import decide

pytestmark = pytest.mark.django_db

FORM_SCHEMA = {
    "type": "object",
    "properties": {
        "contact_name": {"type": "string", "title": "联系人", "maxLength": 50},
        "contact_mobile": {"type": "string", "title": "联系电话", "maxLength": 11},
        "gender": {"type": "string", "title": "性别", "enum": ["男", "女"]},
        "qualification": {"type": "string", "title": "资格类别", "maxLength": 50},
        "certificate_number": {"type": "string", "title": "证书编号"},
    },
    "required": ["contact_name", "contact_mobile"],
}


@pytest.fixture
def setup(world: World, licence_world):  # noqa: F811
    """A listing of the licence bureau that issues 职业资格证书 on approval, and a
    listing (of another department) asking for that certificate."""
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
    asking = published_listing(world.org_a, guide=guide, name="餐饮服务备案")
    return world, licence_world, issuing, asking


def approved_case(user, listing, reviewer, key):
    case = services.case_apply(
        user=user,
        acting=None,
        listing_code=listing,
        form_data={**CONTACT_FORM, **FACE_DATA},
        submission_key=key,
        materials=materials_for(listing),
    )
    services.case_accept(case_id=case.pk, acting_user=reviewer)
    return decide(case, reviewer)


def apply_with_licence(user, listing, identifier, *, consent=True, key="reuse-1"):
    return services.case_apply(
        user=user,
        acting=None,
        listing_code=listing,
        form_data=dict(CONTACT_FORM),
        submission_key=key,
        materials=materials_for(listing),
        licences=[
            {
                "material_name": "职业资格证书",
                "licence_identifier": identifier,
                "consent": consent,
            }
        ],
    )


def test_approving_a_configured_case_issues_one_licence(setup):
    world, lw, issuing, _asking = setup
    case = approved_case(world.citizen.user, issuing, lw.reviewer, "issue-1")
    # then the case is approved and records the licence issued to the applicant
    assert case.status == CaseStatus.APPROVED
    assert case.licence_identifier
    held = licences.licences_for_holder(case.principal_label)
    assert [s.identifier for s in held] == [case.licence_identifier]
    assert held[0].source_case_number == case.number
    assert held[0].holder_name == "张三"
    assert held[0].status == "valid"
    assert AuditEvent.objects.filter(
        event="cases.licence_issued", target_id=str(case.pk)
    ).exists()
    # when the issuing step runs again (a retried decision), nothing more is issued
    case.licence_identifier = ""
    issue_case_licence(case, acting_user=lw.reviewer)
    issue_case_licence(case, acting_user=lw.reviewer)
    assert len(licences.licences_for_holder(case.principal_label)) == 1
    case.refresh_from_db()
    assert case.licence_identifier == held[0].identifier


def test_missing_face_data_refuses_the_decision_naming_the_field(setup):
    world, lw, issuing, _asking = setup
    case = services.case_apply(
        user=world.citizen.user,
        acting=None,
        listing_code=issuing,
        form_data={**CONTACT_FORM, "gender": "女"},
        submission_key="no-face",
        materials=materials_for(issuing),
    )
    services.case_accept(case_id=case.pk, acting_user=lw.reviewer)
    with pytest.raises(CaseError) as raised:
        decide(case, lw.reviewer)
    assert raised.value.code == "cases.licence_not_issued"
    assert "qualification" in raised.value.fields
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED
    assert not licences.licences_for_holder(case.principal_label)


def test_a_second_application_uses_the_licence_without_upload(setup):
    world, lw, issuing, asking = setup
    first = approved_case(world.citizen.user, issuing, lw.reviewer, "issue-2")
    uploads_before = StoredFile.objects.filter(owner=world.citizen.user).count()
    # when the applicant applies again, handing in the licence with consent
    case = apply_with_licence(world.citizen.user, asking, first.licence_identifier)
    assert case.status == CaseStatus.SUBMITTED
    material = case.materials.get(material_name="职业资格证书")
    # then the material is the licence: credibility A, its identifier, its PDF
    assert material.credibility == Credibility.A
    assert material.licence_identifier == first.licence_identifier
    assert material.file.owner is None
    summary = licences.licence_by_identifier(first.licence_identifier)
    assert material.file.sm3 == summary.file_sm3
    # and the applicant uploaded only the two other materials
    uploads_after = StoredFile.objects.filter(owner=world.citizen.user).count()
    assert uploads_after - uploads_before == 2
    # and the reviewer sees it verified
    checks = licence_checks(case)
    assert checks[first.licence_identifier].ok
    assert checks[first.licence_identifier].type_name == "职业资格证书"
    # and the use is recorded with the case number as reason
    use = AuditEvent.objects.get(event="cases.licence_used", target_id=str(case.pk))
    assert use.data["reason"] == f"办件 {case.number}"
    # in the licences app's use records too (用证)
    licence_use = AuditEvent.objects.get(event="licenses.used")
    assert licence_use.data["reason"] == f"办件 {case.number}"
    assert licence_use.data["identifier"] == first.licence_identifier
    assert licence_use.data["result"] == "valid"
    assert AuditEvent.objects.filter(
        event="cases.material_licence_used", target_id=str(case.pk)
    ).exists()


def test_without_consent_the_licence_is_refused_with_a_field_error(setup):
    world, lw, issuing, asking = setup
    first = approved_case(world.citizen.user, issuing, lw.reviewer, "issue-3")
    before = Case.objects.count()
    with pytest.raises(CaseError) as raised:
        apply_with_licence(
            world.citizen.user, asking, first.licence_identifier, consent=False
        )
    assert raised.value.code == "cases.consent_required"
    assert "consent" in raised.value.fields
    # nothing changed
    assert Case.objects.count() == before
    assert not CaseMaterial.objects.exclude(licence_identifier="").exists()


def test_another_applicants_licence_cannot_be_used(setup):
    world, lw, issuing, asking = setup
    first = approved_case(world.citizen.user, issuing, lw.reviewer, "issue-4")
    # when someone else guesses the identifier
    with pytest.raises(CaseError) as raised:
        apply_with_licence(world.other_citizen.user, asking, first.licence_identifier)
    assert raised.value.code == "cases.licence_unavailable"
    assert "licence_identifier" in raised.value.fields
    assert not CaseMaterial.objects.exclude(licence_identifier="").exists()
    # and the licences app gives its file to the holder only
    assert (
        licences.licence_file_for_holder(
            first.licence_identifier, f"person:{world.other_citizen.pk}"
        )
        is None
    )


def test_a_licence_material_is_offered_to_its_holder_only(setup):
    from zhengwu.cases.licences import offered_licences

    world, lw, issuing, asking = setup
    first = approved_case(world.citizen.user, issuing, lw.reviewer, "issue-5")
    mine = offered_licences(
        listing_code=asking, principal_label=f"person:{world.citizen.pk}"
    )
    assert [s.identifier for s in mine["职业资格证书"]] == [first.licence_identifier]
    assert (
        offered_licences(
            listing_code=asking, principal_label=f"person:{world.other_citizen.pk}"
        )
        == {}
    )


def test_counts_of_materials_not_asked_for(setup):
    world, lw, issuing, asking = setup
    first = approved_case(world.citizen.user, issuing, lw.reviewer, "issue-6")
    case = apply_with_licence(world.citizen.user, asking, first.licence_identifier)
    # a third case reuses an uploaded material of the second (材料复用)
    source = case.materials.get(material_name="申请表")
    services.case_apply(
        user=world.citizen.user,
        acting=None,
        listing_code=asking,
        form_data=dict(CONTACT_FORM),
        submission_key="reuse-3",
        materials=[
            {"material_name": "居民身份证", "filename": "id.pdf", "content": PDF_BYTES}
        ],
        reuse=[{"material_name": "申请表", "source_material_id": source.pk}],
        licences=[
            {
                "material_name": "职业资格证书",
                "licence_identifier": first.licence_identifier,
                "consent": True,
            }
        ],
    )
    # the department asking for the certificate sees its listing's counts
    counts = exempted_material_counts(world.reviewer_a)
    assert [
        (c.listing_code, c.organisation_id, c.licence_reuse, c.material_reuse)
        for c in counts
    ] == [(asking, world.org_a.pk, 2, 1)]
    assert counts[0].total == 3
    # another department sees none of them; the issuing bureau sees no reuse
    assert exempted_material_counts(world.reviewer_b) == []
    assert exempted_material_counts(lw.reviewer) == []


# --- the pages --------------------------------------------------------------------


def _pdf(name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def _apply_page(client, listing):
    import re

    page = client.get(f"/items/{listing}/apply/")
    assert page.status_code == 200, page.content.decode()[:500]
    html = page.content.decode()
    return html, re.search(r'name="submission_key" value="([0-9a-f]{32})"', html)[1]


def _post(client, listing, key, identifier, **extra):
    data = {
        "submission_key": key,
        "f-contact_name": "张三",
        "f-contact_mobile": "13900000001",
        "material-0": _pdf("身份证.pdf"),
        "material-1": _pdf("申请表.pdf"),
        "licence-2": identifier,
        "action": "submit",
    }
    data.update(extra)
    return client.post(f"/items/{listing}/apply/", data)


def test_the_apply_page_offers_the_licence_and_asks_for_consent(client, setup):
    world, lw, issuing, asking = setup
    first = approved_case(world.citizen.user, issuing, lw.reviewer, "page-1")
    client.force_login(world.citizen.user)
    html, key = _apply_page(client, asking)
    # the material offers the applicant's valid licence, with a consent box
    assert 'name="licence-2"' in html
    assert f'value="{first.licence_identifier}"' in html
    assert 'name="licence-consent-2"' in html
    # without consent: refused at the material, nothing saved
    response = _post(client, asking, key, first.licence_identifier)
    assert response.status_code == 400
    assert "请勾选同意调用您的电子证照" in response.content.decode()
    assert not Case.objects.filter(listing_code=asking).exists()
    # with consent: submitted without uploading the certificate
    response = _post(
        client, asking, key, first.licence_identifier, **{"licence-consent-2": "yes"}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    case = Case.objects.get(listing_code=asking)
    material = case.materials.get(material_name="职业资格证书")
    assert material.licence_identifier == first.licence_identifier
    assert material.credibility == Credibility.A
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "电子证照，免于提交" in page
    # the issuing case's progress page shows the licence issued
    page = client.get(f"/cases/{first.pk}/").content.decode()
    assert first.licence_identifier in page
    # the reviewer of the asking department sees it verified
    client.force_login(world.reviewer_a)
    page = client.get(f"/workbench/cases/{case.pk}/").content.decode()
    assert "电子证照，已核验有效" in page
    assert first.licence_identifier in page


def test_the_page_refuses_another_applicants_licence(client, setup):
    world, lw, issuing, asking = setup
    first = approved_case(world.citizen.user, issuing, lw.reviewer, "page-2")
    client.force_login(world.other_citizen.user)
    html, key = _apply_page(client, asking)
    assert first.licence_identifier not in html
    assert 'name="licence-2"' not in html
    response = _post(
        client, asking, key, first.licence_identifier, **{"licence-consent-2": "yes"}
    )
    assert response.status_code == 400
    assert "找不到您可用于" in response.content.decode()
    assert not Case.objects.filter(listing_code=asking).exists()


def test_handling_settings_name_a_licence_type_the_department_may_issue(setup):
    world, lw, issuing, asking = setup
    code = lw.licence_type.type_code
    # the bureau's editor sets its own type
    config = services.handling_config_set(
        listing_code=issuing, acting_user=lw.editor, licence_type_code=code
    )
    assert config.licence_type_code == code
    # another department cannot issue it: refused naming the field, nothing changed
    with pytest.raises(CaseError) as raised:
        services.handling_config_set(
            listing_code=asking, acting_user=world.editor_a, licence_type_code=code
        )
    assert "licence_type_code" in raised.value.fields
    # but may accept it in place of a guide material
    config = services.handling_config_set(
        listing_code=asking,
        acting_user=world.editor_a,
        licence_materials={"职业资格证书": code},
    )
    assert config.licence_materials == {"职业资格证书": code}
    assert config.licence_type_code == ""
    with pytest.raises(CaseError) as raised:
        services.handling_config_set(
            listing_code=asking,
            acting_user=world.editor_a,
            licence_materials={"不在指南中的材料": code},
        )
    assert "licence_materials" in raised.value.fields


def test_an_expired_licence_is_neither_offered_nor_accepted(setup):
    import datetime

    from zhengwu.cases.licences import offered_licences

    world, lw, _issuing, asking = setup
    # a licence of the applicant whose three years ended in 2023
    old = lw.issue(
        holder_label=f"person:{world.citizen.pk}",
        holder_code=world.citizen.clear_id_number,
        holder_name="张三",
        valid_from=datetime.date(2020, 1, 1),
    )
    assert licences.licence_by_identifier(old.identifier).status == "expired"
    assert (
        offered_licences(
            listing_code=asking, principal_label=f"person:{world.citizen.pk}"
        )
        == {}
    )
    with pytest.raises(CaseError) as raised:
        apply_with_licence(world.citizen.user, asking, old.identifier)
    assert raised.value.code == "cases.licence_unavailable"
