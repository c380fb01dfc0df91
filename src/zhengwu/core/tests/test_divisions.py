"""Divisions (GB/T 2260) loaded from the shipped CSV: idempotent, linked, 12-digit."""

import re
from io import StringIO

from django.core.management import call_command
from django.core.management.base import CommandError

import pytest

from zhengwu.core import facade, selectors
from zhengwu.core.errors import DomainError, NotFoundError
from zhengwu.core.models import AuditEvent, Division, DivisionLevel
from zhengwu.core.services import DEFAULT_DIVISIONS_CSV, division_load_csv

pytestmark = pytest.mark.django_db


def test_fixture_ships_with_the_product():
    # the loader reads core/fixtures, not shared/, so a deployment needs nothing else
    assert DEFAULT_DIVISIONS_CSV.is_file()
    assert DEFAULT_DIVISIONS_CSV.parent.name == "fixtures"


def test_first_load_creates_every_division_and_records_it():
    # when
    counts = division_load_csv()

    # then
    assert (counts.created, counts.updated, counts.unchanged) == (115, 0, 0)
    assert Division.objects.count() == 115
    event = AuditEvent.objects.get(event="core.divisions_loaded")
    assert event.actor_label == "system:load_reference_data"
    assert len(event.data["created"]) == 115


def test_second_load_changes_nothing():
    # given
    division_load_csv()
    stamps = dict(Division.objects.values_list("code", "updated_at"))
    events = AuditEvent.objects.count()

    # when
    counts = division_load_csv()

    # then
    assert (counts.created, counts.updated, counts.unchanged) == (0, 0, 115)
    assert Division.objects.count() == 115
    assert dict(Division.objects.values_list("code", "updated_at")) == stamps
    assert AuditEvent.objects.count() == events


def test_changed_row_is_updated_and_the_rest_unchanged(tmp_path):
    # given a loaded province and a file in which one county is renamed, children
    # listed before their parents
    division_load_csv()
    lines = DEFAULT_DIVISIONS_CSV.read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], lines[1:]
    rows = [row.replace("和平区", "和平新区") for row in rows][::-1]
    path = tmp_path / "divisions.csv"
    path.write_text("\n".join([header, *rows]), encoding="utf-8")

    # when
    counts = division_load_csv(path=path)

    # then
    assert (counts.created, counts.updated, counts.unchanged) == (0, 1, 114)
    assert Division.objects.get(code="210102").name == "和平新区"


def test_hierarchy_has_14_cities_and_100_county_units():
    # given
    division_load_csv()
    province = Division.objects.get(code="210000")

    # then
    assert province.parent is None
    assert province.level == DivisionLevel.PROVINCE
    cities = Division.objects.filter(parent=province)
    assert cities.count() == 14
    assert set(cities.values_list("level", flat=True)) == {DivisionLevel.PREFECTURE}
    counties = Division.objects.filter(parent__in=cities)
    assert counties.count() == 100
    assert set(counties.values_list("level", flat=True)) == {DivisionLevel.COUNTY}
    kinds = {
        kind: counties.filter(kind=kind).count()
        for kind in ["市辖区", "县级市", "县", "自治县"]
    }
    assert kinds == {"市辖区": 59, "县级市": 16, "县": 17, "自治县": 8}
    # every county's code starts with its city's first four digits
    for county in counties.select_related("parent"):
        assert county.code[:4] == county.parent.code[:4]


def test_every_code12_is_twelve_digits():
    division_load_csv()
    for division in Division.objects.all():
        assert re.fullmatch(r"\d{12}", division.code12)
        assert division.code12 == division.code + "000000"


def test_missing_parent_rejects_the_whole_file(tmp_path):
    # given
    path = tmp_path / "bad.csv"
    path.write_text(
        "code,name,type,level,parent_code\n"
        "210000,辽宁省,省,province,\n"
        "219901,孤儿区,市辖区,county,219900\n",
        encoding="utf-8",
    )

    # when
    with pytest.raises(DomainError) as error:
        division_load_csv(path=path)

    # then nothing was written
    assert error.value.code == "core.divisions_file_invalid"
    assert "219901" in error.value.fields
    assert not Division.objects.exists()


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("21000,辽宁省,省,province,", "区划代码应为6位数字。"),
        ("210000,,省,province,", "名称不能为空。"),
        ("210000,辽宁省,省,planet,", "层级无效。"),
    ],
)
def test_malformed_rows_name_their_line(tmp_path, row, reason):
    path = tmp_path / "bad.csv"
    path.write_text(f"code,name,type,level,parent_code\n{row}\n", encoding="utf-8")

    with pytest.raises(DomainError) as error:
        division_load_csv(path=path)

    assert error.value.fields == {"line 2": [reason]}


def test_command_reports_counts_and_is_idempotent():
    # when
    first, second = StringIO(), StringIO()
    call_command("load_divisions", stdout=first)
    call_command("load_divisions", stdout=second)

    # then
    assert "created 115, updated 0, unchanged 0" in first.getvalue()
    assert "created 0, updated 0, unchanged 115" in second.getvalue()
    assert Division.objects.count() == 115


def test_command_with_missing_file_fails_clearly(tmp_path):
    with pytest.raises(CommandError, match="无法读取文件"):
        call_command("load_divisions", path=tmp_path / "none.csv")


# --- reading divisions --------------------------------------------------------


@pytest.fixture
def liaoning(db):
    division_load_csv()


@pytest.mark.usefixtures("liaoning")
def test_get_division_by_6_or_12_digit_code():
    shenyang = facade.get_division("210100")
    assert shenyang.name == "沈阳市"
    assert shenyang.parent_code == "210000"
    assert shenyang.code12 == "210100000000"
    assert facade.get_division("210100000000") == shenyang


@pytest.mark.usefixtures("liaoning")
def test_unknown_division_raises_not_found():
    with pytest.raises(NotFoundError) as error:
        facade.get_division("999999")
    assert error.value.code == "core.division_not_found"


@pytest.mark.usefixtures("liaoning")
def test_list_divisions_top_level_and_children():
    assert [d.code for d in facade.list_divisions()] == ["210000"]
    cities = facade.list_divisions("210000")
    assert len(cities) == 14
    assert cities[0].code == "210100"
    assert [d.name for d in facade.list_divisions("210100")][:2] == ["和平区", "沈河区"]
    assert list(selectors.division_children("210102")) == []


@pytest.mark.usefixtures("liaoning")
def test_ancestors_top_first(django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        ancestors = selectors.division_ancestors("210102")
    assert [d.code for d in ancestors] == ["210000", "210100"]
    assert facade.division_ancestors("210000") == []
    assert [d.name for d in facade.division_ancestors("210102")] == ["辽宁省", "沈阳市"]


@pytest.mark.usefixtures("liaoning")
def test_descendant_codes_one_query_per_level(django_assert_max_num_queries):
    # when
    with django_assert_max_num_queries(4):
        province = facade.division_descendant_codes("210000")
    city = facade.division_descendant_codes("210100")

    # then the division itself and everything below it
    assert len(province) == 115
    assert city[0] == "210100"
    assert set(city) == {"210100"} | set(
        Division.objects.filter(parent__code="210100").values_list("code", flat=True)
    )
    assert facade.division_descendant_codes("210102") == ["210102"]
