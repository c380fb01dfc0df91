import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

import pytest

from zhengwu.catalog import services
from zhengwu.catalog.codes import is_valid_implementation_code
from zhengwu.catalog.constants import VersionStatus
from zhengwu.catalog.errors import CatalogError
from zhengwu.catalog.guide import Guide, check_rules
from zhengwu.catalog.models import BaseItem, ListingVersion
from zhengwu.catalog.selectors import public_version_for
from zhengwu.catalog.tests.factories import (
    ListingFactory,
    ListingVersionFactory,
    OrganisationFactory,
    complete_guide,
    grant,
)
from zhengwu.core.models import AuditEvent
from zhengwu.identity.constants import StaffRole

User = get_user_model()

BASIS = [
    {"law": "《中华人民共和国护照法》", "article": "第五条", "text": "公民因前往外国……"}
]


@pytest.fixture
def authority(reference_data, make_user):
    user = make_user("bianweiban")
    grant(user, OrganisationFactory(), StaffRole.CATALOGUE_AUTHORITY)
    return user


@pytest.fixture
def org(reference_data):
    return OrganisationFactory(name="辽宁省公安厅")


@pytest.fixture
def editor(org, make_user):
    user = make_user("editor")
    grant(user, org, StaffRole.DEPARTMENT_EDITOR)
    return user


def test_base_item_codes_are_generated_in_sequence(authority):
    # when
    first = services.base_item_create(
        name="普通护照签发",
        item_type_code="01",
        acting_user=authority,
        legal_basis=BASIS,
    )
    second = services.base_item_create(
        name="往来港澳通行证签发",
        item_type_code="01",
        acting_user=authority,
        legal_basis=BASIS,
    )
    sub = services.base_item_create(
        name="普通护照签发（首次申领）",
        item_type_code="01",
        acting_user=authority,
        legal_basis=BASIS,
        parent=first,
    )
    # then
    assert first.code == "210100001000"
    assert second.code == "210100002000"
    assert sub.code == "210100001001"
    assert AuditEvent.objects.filter(event="catalog.base_item_created").count() == 3


def test_same_name_cannot_be_given_to_two_items(authority):
    services.base_item_create(
        name="普通护照签发",
        item_type_code="01",
        acting_user=authority,
        legal_basis=BASIS,
    )
    with pytest.raises(CatalogError) as error:
        services.base_item_create(
            name="普通护照签发",
            item_type_code="07",
            acting_user=authority,
            legal_basis=BASIS,
        )
    assert error.value.code == "catalog.name_taken"
    assert BaseItem.objects.count() == 1


@pytest.mark.parametrize(
    "basis, field",
    [
        ([], "legal_basis"),
        ([{"law": ""}], "legal_basis"),
        ([{"article": "第一条"}], "legal_basis"),
    ],
)
def test_legal_basis_is_required_and_structured(authority, basis, field):
    with pytest.raises(CatalogError) as error:
        services.base_item_create(
            name="事项", item_type_code="01", acting_user=authority, legal_basis=basis
        )
    assert field in error.value.fields
    assert not BaseItem.objects.exists()


def test_unknown_item_type_is_refused(authority):
    with pytest.raises(CatalogError) as error:
        services.base_item_create(
            name="事项", item_type_code="99", acting_user=authority, legal_basis=BASIS
        )
    assert error.value.code == "catalog.unknown_item_type"


def test_editor_cannot_create_base_items(editor):
    with pytest.raises(CatalogError) as error:
        services.base_item_create(
            name="事项", item_type_code="01", acting_user=editor, legal_basis=BASIS
        )
    assert error.value.status == 403
    assert not BaseItem.objects.exists()


def test_listing_code_is_credit_code_level_and_basic_code(authority, org, editor):
    item = services.base_item_create(
        name="普通护照签发",
        item_type_code="01",
        acting_user=authority,
        legal_basis=BASIS,
    )
    listing = services.listing_create(
        base_item=item, organisation=org, acting_user=editor
    )
    assert listing.code == f"{org.credit_code}2{item.code}"
    assert len(listing.code) == 31
    assert is_valid_implementation_code(listing.code)
    with pytest.raises(CatalogError) as error:
        services.listing_create(base_item=item, organisation=org, acting_user=editor)
    assert error.value.code == "catalog.listing_exists"


def test_editor_cannot_claim_for_another_organisation(authority, editor):
    item = services.base_item_create(
        name="普通护照签发",
        item_type_code="01",
        acting_user=authority,
        legal_basis=BASIS,
    )
    other = OrganisationFactory()
    with pytest.raises(CatalogError):
        services.listing_create(base_item=item, organisation=other, acting_user=editor)


def _draft(editor, org, **guide):
    listing = ListingFactory(organisation=org)
    return services.version_create(
        listing=listing,
        acting_user=editor,
        guide=complete_guide(**guide),
        change_reason="首次编制",
    )


def test_lifecycle_draft_submit_publish_makes_version_public(authority, editor, org):
    # given
    version = _draft(editor, org)
    assert public_version_for(version.listing.code) is None
    # when
    services.version_submit(version=version, acting_user=editor)
    services.version_publish(version=version, acting_user=authority)
    # then
    version.refresh_from_db()
    assert version.status == VersionStatus.PUBLISHED
    assert version.effective_from == timezone.localdate()
    assert public_version_for(version.listing.code).pk == version.pk
    events = list(
        AuditEvent.objects.filter(
            target_type="catalog.listingversion", target_id=str(version.pk)
        ).values_list("event", flat=True)
    )
    assert events == [
        "catalog.version_created",
        "catalog.version_submitted",
        "catalog.version_published",
    ]


def test_new_version_replaces_old_on_its_effective_date(authority, editor, org):
    first = _draft(editor, org)
    services.version_submit(version=first, acting_user=editor)
    services.version_publish(version=first, acting_user=authority)
    # when a second version is published to start next week
    second = services.version_create(
        listing=first.listing, acting_user=editor, change_reason="调整承诺时限"
    )
    guide = dict(second.guide, promised_limit={"days": 5, "unit": "working_day"})
    services.version_update(version=second, acting_user=editor, guide=guide)
    services.version_submit(version=second, acting_user=editor)
    next_week = timezone.localdate() + datetime.timedelta(days=7)
    services.version_publish(
        version=second, acting_user=authority, effective_from=next_week
    )
    # then today the public sees the first, from next week the second
    first.refresh_from_db()
    assert first.effective_until == next_week
    code = first.listing.code
    assert public_version_for(code).pk == first.pk
    assert public_version_for(code, on=next_week).pk == second.pk
    assert (
        public_version_for(code, on=next_week - datetime.timedelta(days=1)).pk
        == first.pk
    )


def test_new_draft_starts_from_version_in_force(authority, editor, org):
    first = _draft(editor, org, transact_address="旧地址")
    services.version_submit(version=first, acting_user=editor)
    services.version_publish(version=first, acting_user=authority)
    second = services.version_create(listing=first.listing, acting_user=editor)
    assert second.guide["transact_address"] == "旧地址"
    assert second.number == first.number + 1


@pytest.mark.parametrize(
    "overrides, field",
    [
        (
            {
                "depth_stages": [
                    "receive",
                    "prereview",
                    "accept",
                    "handle",
                    "result_feedback",
                ],
                "visits": 1,
            },
            "visits",
        ),
        (
            {
                "visits": 0,
                "is_online": False,
                "offline_reason": "需现场核验",
                "supports_express": False,
            },
            "supports_express",
        ),
        ({"is_fee": False, "supports_online_payment": True}, "supports_online_payment"),
        ({"result_name": "中华人民共和国普通护照"}, "result_sample"),
        ({"promised_limit": {"days": 0}, "case_type": "promised"}, "case_type"),
        ({"is_online": False, "offline_reason": ""}, "offline_reason"),
    ],
)
def test_broken_consistency_rule_blocks_submission(editor, org, overrides, field):
    # given a draft breaking one rule of standards §2.1
    version = _draft(editor, org, **overrides)
    assert version.rule_error_count >= 1
    # when / then
    with pytest.raises(CatalogError) as error:
        services.version_submit(version=version, acting_user=editor)
    assert error.value.code == "catalog.rules_broken"
    assert field in error.value.fields
    version.refresh_from_db()
    assert version.status == VersionStatus.DRAFT


@pytest.mark.parametrize(
    "overrides, code",
    [
        ({"is_fee": True, "fees": []}, "guide.fee_requires_items"),
        (
            {"promised_limit": {"days": 30}, "legal_limit": {"days": 20}},
            "guide.promised_exceeds_legal",
        ),
        ({"is_online": True, "online_url": ""}, "guide.online_requires_url"),
    ],
)
def test_derived_rules_warn_but_do_not_block_submission(editor, org, overrides, code):
    """Standards §2.1: the rules derived from the definitions are warnings."""
    # given a draft that only breaks a derived rule
    version = _draft(editor, org, **overrides)
    issues = check_rules(Guide.model_validate(version.guide))
    # then
    assert [(i.code, i.severity) for i in issues] == [(code, "warning")]
    assert version.rule_error_count == 0
    services.version_submit(version=version, acting_user=editor)
    version.refresh_from_db()
    assert version.status == VersionStatus.SUBMITTED


def test_malformed_guide_names_the_field(editor, org):
    listing = ListingFactory(organisation=org)
    guide = complete_guide()
    guide["materials"][0]["necessity"] = "9"
    guide["visits"] = "many"
    with pytest.raises(CatalogError) as error:
        services.version_create(listing=listing, acting_user=editor, guide=guide)
    assert "materials.0.necessity" in error.value.fields
    assert "visits" in error.value.fields
    assert not ListingVersion.objects.exists()


@pytest.mark.parametrize("value", ["2101020010000000001", "210102001abc", "210102 001"])
def test_town_and_village_codes_are_at_most_18_digits_or_capitals(editor, org, value):
    # given
    listing = ListingFactory(organisation=org)
    guide = complete_guide()
    guide["town_code"] = value
    guide["village_code"] = value
    # when / then
    with pytest.raises(CatalogError) as error:
        services.version_create(listing=listing, acting_user=editor, guide=guide)
    assert {"town_code", "village_code"} <= set(error.value.fields)


def test_a_guide_stored_before_the_added_fields_still_validates(editor, org):
    # given a guide as stored before 单点登录 and 乡镇/村居 existed
    guide = complete_guide()
    for name in (
        "single_sign_on",
        "mobile_single_sign_on",
        "town_code",
        "town_name",
        "village_code",
        "village_name",
    ):
        del guide[name]
    # when
    parsed = Guide.model_validate(guide)
    # then the defaults apply
    assert parsed.single_sign_on is False
    assert parsed.town_code == parsed.village_name == ""


def test_editor_edits_only_own_organisation(editor, make_user):
    other_org = OrganisationFactory()
    version = ListingVersionFactory(listing__organisation=other_org)
    before = dict(version.guide)
    with pytest.raises(CatalogError) as error:
        services.version_update(
            version=version,
            acting_user=editor,
            guide=complete_guide(transact_address="x"),
        )
    assert error.value.status == 403
    version.refresh_from_db()
    assert version.guide == before
    assert not AuditEvent.objects.filter(event="catalog.version_updated").exists()


def test_only_authority_publishes(editor, org):
    version = _draft(editor, org)
    services.version_submit(version=version, acting_user=editor)
    with pytest.raises(CatalogError):
        services.version_publish(version=version, acting_user=editor)
    version.refresh_from_db()
    assert version.status == VersionStatus.SUBMITTED


def test_return_requires_comment_and_allows_resubmission(authority, editor, org):
    version = _draft(editor, org)
    services.version_submit(version=version, acting_user=editor)
    with pytest.raises(CatalogError):
        services.version_return(version=version, acting_user=authority, comment=" ")
    services.version_return(
        version=version, acting_user=authority, comment="材料名称不规范"
    )
    version.refresh_from_db()
    assert version.status == VersionStatus.RETURNED
    assert version.comments.get().body == "材料名称不规范"
    services.version_update(version=version, acting_user=editor, guide=version.guide)
    services.version_submit(version=version, acting_user=editor)


def test_one_open_version_per_listing(editor, org):
    version = _draft(editor, org)
    with pytest.raises(CatalogError) as error:
        services.version_create(listing=version.listing, acting_user=editor)
    assert error.value.code == "catalog.open_version_exists"


def test_publish_in_the_past_is_refused(authority, editor, org):
    version = _draft(editor, org)
    services.version_submit(version=version, acting_user=editor)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    with pytest.raises(CatalogError) as error:
        services.version_publish(
            version=version, acting_user=authority, effective_from=yesterday
        )
    assert "effective_from" in error.value.fields


def test_cancelled_listing_disappears_on_cancellation_date(authority, editor, org):
    version = _draft(editor, org)
    services.version_submit(version=version, acting_user=editor)
    services.version_publish(version=version, acting_user=authority)
    cancel_on = timezone.localdate() + datetime.timedelta(days=3)
    services.listing_cancel(
        listing=version.listing,
        acting_user=authority,
        cancel_on=cancel_on,
        reason="法律修订",
    )
    assert public_version_for(version.listing.code) is not None
    assert public_version_for(version.listing.code, on=cancel_on) is None


def test_attachment_accepted_by_content_not_name(editor, org):
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"
    attachment = services.attachment_create(
        content=pdf, filename="申请表.exe", acting_user=editor, organisation=org
    )
    assert attachment.content_type == "application/pdf"
    assert len(attachment.sm3) == 64
    with pytest.raises(CatalogError) as error:
        services.attachment_create(
            content=b"MZ\x90\x00 not a pdf", filename="申请表.pdf", acting_user=editor
        )
    assert error.value.code == "catalog.invalid_file"


def test_sub_item_cannot_have_sub_items(authority):
    main = services.base_item_create(
        name="普通护照签发",
        item_type_code="01",
        acting_user=authority,
        legal_basis=BASIS,
    )
    sub = services.base_item_create(
        name="普通护照签发（首次申领）",
        item_type_code="01",
        acting_user=authority,
        legal_basis=BASIS,
        parent=main,
    )
    with pytest.raises(CatalogError) as error:
        services.base_item_create(
            name="普通护照签发（首次申领）（加急）",
            item_type_code="01",
            acting_user=authority,
            legal_basis=BASIS,
            parent=sub,
        )
    assert "parent" in error.value.fields
    assert BaseItem.objects.count() == 2


def test_draft_cannot_refer_to_another_departments_unpublished_file(editor, org):
    # given an unpublished file of another department
    other = OrganisationFactory()
    stranger = User.objects.create_user(username="stranger")
    grant(stranger, other, StaffRole.DEPARTMENT_EDITOR)
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"
    private = services.attachment_create(
        content=pdf, filename="内部材料.pdf", acting_user=stranger, organisation=other
    )
    guide = complete_guide()
    guide["materials"][1]["blank_form"] = str(private.pk)
    # when the editor names it in their own draft (publication would make it public)
    with pytest.raises(CatalogError) as error:
        _draft(editor, org, materials=guide["materials"])
    # then it is refused as if it did not exist, and nothing is saved
    assert "attachments" in error.value.fields
    assert not ListingVersion.objects.exists()
    private.refresh_from_db()
    assert private.is_public is False
