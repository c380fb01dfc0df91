"""The synthetic catalogue for benchmarks: shape, validity and the refusal to run twice."""

import io
import json

from django.core.management import call_command
from django.core.management.base import CommandError

import pytest

from zhengwu.catalog.codes import is_valid_basic_code, is_valid_implementation_code
from zhengwu.catalog.constants import VersionStatus
from zhengwu.catalog.guide import Guide, check_rules, shared_fingerprint
from zhengwu.catalog.models import BaseItem, Listing, ListingVersion
from zhengwu.catalog.search import build_search_text
from zhengwu.catalog.selectors import public_versions
from zhengwu.catalog.synthetic import SyntheticError, generate
from zhengwu.core.models import Organisation
from zhengwu.core.validators import is_valid_uscc


def test_generate_500_entries_in_force_with_valid_codes(reference_data):
    # when
    summary = generate(500, seed=3)
    # then 500 listings, each with one published version in force
    assert summary.listings_created == 500
    assert Listing.objects.count() == 500
    assert ListingVersion.objects.count() == 500
    assert public_versions().count() == 500
    assert set(ListingVersion.objects.values_list("status", flat=True)) == {
        VersionStatus.PUBLISHED
    }
    # and every code is valid
    assert all(
        is_valid_implementation_code(code)
        for code in Listing.objects.values_list("code", flat=True)
    )
    assert all(
        is_valid_uscc(code)
        for code in Organisation.objects.values_list("credit_code", flat=True)
    )
    for item in BaseItem.objects.all():
        assert is_valid_basic_code(item.code)
        assert item.code == f"{item.prefix}{item.item_type.code}{item.main_code}000"
        assert item.search_text == build_search_text(item.name, item.code)
        assert item.legal_basis and item.themes.exists()


def test_generated_guides_validate_pass_the_rules_and_are_realistic_in_size(
    reference_data,
):
    generate(200, seed=5)
    for version in ListingVersion.objects.select_related("listing"):
        guide = Guide.model_validate(version.guide)
        assert [i for i in check_rules(guide) if i.severity == "error"] == []
        assert version.rule_error_count == 0
        assert version.shared_fingerprint == shared_fingerprint(guide)
        size = len(json.dumps(version.guide, ensure_ascii=False).encode())
        assert 2500 < size < 7000
        assert version.listing.level == version.listing.organisation.level


def test_listings_spread_over_the_items_and_the_divisions(reference_data):
    generate(400, base_items=10, seed=7)
    per_item = {item.pk: item.listings.count() for item in BaseItem.objects.all()}
    assert sorted(set(per_item.values())) == [40]
    levels = set(Listing.objects.values_list("level", flat=True))
    assert levels <= {2, 3, 4} and 4 in levels


def test_the_same_seed_gives_the_same_names(reference_data):
    from random import Random

    from zhengwu.catalog.synthetic import generate_names

    assert generate_names(50, Random(9), set()) == generate_names(50, Random(9), set())


def test_names_give_short_queries_varying_hit_rates(reference_data):
    generate(2000, base_items=500, seed=11)
    total = BaseItem.objects.count()
    hits = {
        query: BaseItem.objects.filter(search_text__contains=query).count()
        for query in ("证", "许可", "登记", "护照")
    }
    assert hits["许可"] > hits["护照"] > 0
    assert 0 < hits["证"] < total


def test_a_second_run_is_refused_unless_appending(reference_data):
    generate(100, seed=1)
    # when run again
    with pytest.raises(SyntheticError):
        generate(100, seed=1)
    assert Listing.objects.count() == 100
    # when appending
    generate(100, seed=1, append=True)
    assert Listing.objects.count() == 200
    assert (
        BaseItem.objects.values("name").distinct().count() == BaseItem.objects.count()
    )


def test_impossible_sizes_are_refused(reference_data):
    with pytest.raises(SyntheticError, match="base_items"):
        generate(1000, base_items=2)
    assert Listing.objects.count() == 0


def test_generate_catalog_command(reference_data):
    output = io.StringIO()
    call_command("generate_catalog", "--entries", "80", stdout=output)
    assert "实施清单 80 条" in output.getvalue()
    with pytest.raises(CommandError, match="--append"):
        call_command("generate_catalog", "--entries", "80", stdout=io.StringIO())
