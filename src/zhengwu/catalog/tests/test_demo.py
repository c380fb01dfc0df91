"""The Liaoning demo: loaded once per module (it takes seconds), checked from every
side, rolled back at the end."""

import io
from collections import Counter, defaultdict

from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

import pytest

from zhengwu.catalog.constants import VersionStatus
from zhengwu.catalog.demo import DEMO_PASSWORD, fabricate_credit_code
from zhengwu.catalog.guide import Guide, check_rules, shared_fingerprint
from zhengwu.catalog.models import Attachment, BaseItem, Listing, ListingVersion
from zhengwu.catalog.selectors import consistency_report, public_versions
from zhengwu.core.models import AuditEvent, Organisation
from zhengwu.core.validators import is_valid_uscc
from zhengwu.identity.models import StaffMembership


def _counts() -> dict[str, int]:
    from django.contrib.auth import get_user_model

    return {
        "organisations": Organisation.objects.count(),
        "base_items": BaseItem.objects.count(),
        "listings": Listing.objects.count(),
        "versions": ListingVersion.objects.count(),
        "attachments": Attachment.objects.count(),
        "users": get_user_model().objects.count(),
        "memberships": StaffMembership.objects.count(),
    }


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """Reference data and one run of populate_demo, kept for the module's tests."""
    media = tmp_path_factory.mktemp("media")
    with override_settings(MEDIA_ROOT=str(media)), django_db_blocker.unblock():
        with transaction.atomic():
            call_command("load_reference_data", verbosity=0, stdout=io.StringIO())
            output = io.StringIO()
            call_command("populate_demo", stdout=output)
            yield {"output": output.getvalue(), "counts": _counts()}
            transaction.set_rollback(True)


def published() -> list[ListingVersion]:
    return list(
        ListingVersion.objects.filter(status=VersionStatus.PUBLISHED).select_related(
            "listing__base_item", "listing__organisation"
        )
    )


@pytest.mark.django_db
def test_a_second_run_creates_nothing(demo):
    # given the demo loaded once
    events_before = AuditEvent.objects.count()
    # when it is loaded again
    output = io.StringIO()
    call_command("populate_demo", stdout=output)
    # then nothing is added, and the output says so
    assert _counts() == demo["counts"]
    assert AuditEvent.objects.count() == events_before
    assert "本次新建实施主体 0 个" in output.getvalue()
    assert "实施清单 0 条" in output.getvalue()


@pytest.mark.django_db
def test_the_output_documents_the_demo_password(demo):
    assert DEMO_PASSWORD in demo["output"]


@pytest.mark.django_db
def test_every_published_guide_passes_the_consistency_rules(demo):
    versions = published()
    assert len(versions) > 500
    for version in versions:
        guide = Guide.model_validate(version.guide)
        errors = [i for i in check_rules(guide) if i.severity == "error"]
        assert errors == [], (version.listing.code, errors)
        assert version.rule_error_count == 0


@pytest.mark.django_db
def test_published_guides_have_no_warnings_either(demo):
    for version in published():
        warnings = check_rules(Guide.model_validate(version.guide))
        assert warnings == [], (version.listing.base_item.name, warnings)


@pytest.mark.django_db
def test_every_named_result_and_form_is_a_real_file(demo):
    # then every attachment a guide names exists, is public and is a PDF or workbook
    ids: set[str] = set()
    for version in published():
        guide = Guide.model_validate(version.guide)
        if guide.result_name:
            assert guide.result_sample
        ids |= guide.attachment_ids()
    attachments = Attachment.objects.filter(pk__in=ids)
    assert attachments.count() == len(ids) > 100
    for attachment in attachments:
        assert attachment.is_public
        with attachment.file.open("rb") as handle:
            head = handle.read(5)
        assert head == b"%PDF-" or head.startswith(b"PK\x03\x04")


@pytest.mark.django_db
def test_materials_carry_blank_forms_and_some_samples(demo):
    materials = [
        material
        for version in published()
        for material in Guide.model_validate(version.guide).materials
    ]
    assert sum(1 for m in materials if m.blank_form) > 500
    assert sum(1 for m in materials if m.sample) > 300
    assert any(m.necessity == "3" for m in materials)


@pytest.mark.django_db
def test_every_credit_code_is_valid_and_unique(demo):
    codes = list(Organisation.objects.values_list("credit_code", flat=True))
    assert codes
    assert all(is_valid_uscc(code) for code in codes)
    assert len(set(codes)) == len(codes)


@pytest.mark.django_db
def test_credit_codes_are_fabricated_from_division_and_name(demo):
    organisation = Organisation.objects.select_related("division").get(
        name="辽宁省公安厅"
    )
    code = organisation.credit_code
    assert code[:2] == "11"
    assert code[2:8] == organisation.division.code == "210000"
    assert code == fabricate_credit_code("辽宁省公安厅", "210000")


@pytest.mark.django_db
def test_organisations_cover_province_every_city_and_ten_counties(demo):
    organisations = list(Organisation.objects.select_related("division"))
    by_level = Counter(o.level for o in organisations)
    per_city = Counter(o.division.code for o in organisations if o.level == 3)
    per_county = Counter(o.division.code for o in organisations if o.level == 4)
    assert by_level[2] >= 20
    assert len(per_city) == 14 and min(per_city.values()) >= 6
    assert sum(1 for n in per_county.values() if n >= 4) >= 10
    level_of_division = {"province": 2, "prefecture": 3, "county": 4}
    assert all(o.level == level_of_division[o.division.level] for o in organisations)


@pytest.mark.django_db
def test_at_least_45_items_published_at_three_levels(demo):
    versions = public_versions()
    items = set(versions.values_list("listing__base_item_id", flat=True))
    levels = set(versions.values_list("listing__level", flat=True))
    assert len(items) >= 45
    assert levels == {2, 3, 4}
    # browsing province → city → county finds items everywhere
    divisions = set(versions.values_list("listing__division__code", flat=True))
    assert {"210000", "210100", "211400", "210102", "210381"} <= divisions


@pytest.mark.django_db
def test_the_same_item_shares_its_guide_elements_everywhere(demo):
    # given every published guide, grouped by item
    fingerprints: dict[str, set[str]] = defaultdict(set)
    for version in published():
        fingerprints[version.listing.base_item.name].add(
            shared_fingerprint(Guide.model_validate(version.guide))
        )
    # then only the deliberate example differs
    differing = {name for name, found in fingerprints.items() if len(found) > 1}
    assert differing == {"食品经营许可"}


@pytest.mark.django_db
def test_the_workbench_and_the_report_have_something_to_show(demo, django_user_model):
    open_versions = ListingVersion.objects.exclude(status=VersionStatus.PUBLISHED)
    statuses = Counter(open_versions.values_list("status", flat=True))
    assert statuses == {
        VersionStatus.DRAFT: 1,
        VersionStatus.SUBMITTED: 1,
        VersionStatus.RETURNED: 1,
    }
    admin = django_user_model.objects.get(username="admin")
    report = consistency_report(user=admin)
    problems = {
        (row.version.listing.organisation.name, problem)
        for row in report.rows
        for problem in row.problems
    }
    assert ("锦州市交通运输局", "offline_without_reason") in problems
    assert ("营口市市场监督管理局", "differs_from_other_regions") in problems


@pytest.mark.django_db
def test_demo_accounts_hold_their_roles(demo, client):
    memberships = {
        (m.user.username, m.role, m.organisation.name)
        for m in StaffMembership.objects.select_related("user", "organisation")
    }
    assert (
        "bianweiban",
        "catalogue_authority",
        "辽宁省委机构编制委员会办公室",
    ) in memberships
    assert ("gongan_sheng", "department_editor", "辽宁省公安厅") in memberships
    assert (
        "renshe_dalian",
        "department_editor",
        "大连市人力资源和社会保障局",
    ) in memberships
    assert client.login(username="shichang_shenyang", password=DEMO_PASSWORD)


@pytest.mark.django_db
def test_demo_logins_prints_a_table_in_chinese(demo):
    output = io.StringIO()
    call_command("demo_logins", stdout=output)
    text = output.getvalue()
    for heading in ("用户名", "密码", "角色", "所属单位"):
        assert heading in text
    assert "bianweiban" in text and DEMO_PASSWORD in text
    assert "populate_demo" not in text  # every account exists


@pytest.mark.django_db
def test_populate_demo_without_its_divisions_fails_clearly(demo, monkeypatch):
    # given a demo county whose division is not in the reference data
    from django.core.management.base import CommandError

    from zhengwu.catalog.fixtures.demo import organisations

    counties = [
        *organisations.COUNTIES,
        {"code": "219999", "hall": "", "departments": []},
    ]
    monkeypatch.setattr(organisations, "COUNTIES", counties)
    # when / then: a clear message, and nothing changes
    with pytest.raises(CommandError, match="load_reference_data"):
        call_command("populate_demo", stdout=io.StringIO())
    assert _counts() == demo["counts"]
