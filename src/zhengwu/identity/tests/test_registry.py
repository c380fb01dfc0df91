"""Base records: verdicts of the population registry, the legal-person lookup, the
configurable implementation, and the CSV loader (all or nothing)."""

from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

import pytest

from zhengwu.core.crypto import blind_index
from zhengwu.identity import registry
from zhengwu.identity.models import LegalPersonRecord, PopulationRecord
from zhengwu.identity.registry import Verdict

from .person_factories import (
    legal_person_record,
    make_credit_code,
    make_id_number,
    population_record,
)

pytestmark = pytest.mark.django_db


def test_population_verdicts():
    live, cancelled = make_id_number(), make_id_number()
    population_record("张三", live)
    population_record("李四", cancelled, cancelled=True)
    check = registry.population_registry().verify_person
    assert check("张三", live) == Verdict.MATCH
    assert check(" 张 三 ", live.lower()) == Verdict.MATCH
    assert check("张四", live) == Verdict.MISMATCH
    assert check("李四", cancelled) == Verdict.CANCELLED
    assert check("王五", make_id_number()) == Verdict.NOT_FOUND


def test_legal_person_lookup():
    code, representative = make_credit_code(), make_id_number()
    legal_person_record(code, "示例有限公司", "张三", representative)
    found = registry.legal_person_registry().lookup_entity(code.lower())
    assert found is not None and found.active
    assert found.representative_id_index == blind_index(
        representative, purpose="id_number"
    )
    assert registry.legal_person_registry().lookup_entity(make_credit_code()) is None


class EveryoneMatches:
    def verify_person(self, name, id_number):
        return Verdict.MATCH


def test_the_registry_is_chosen_by_setting():
    path = f"{__name__}.EveryoneMatches"
    with override_settings(ZHENGWU_POPULATION_REGISTRY=path):
        assert registry.population_registry().verify_person("x", "y") == Verdict.MATCH


def test_loading_population_records_twice_changes_nothing(tmp_path):
    first, second = make_id_number(), make_id_number()
    csv = tmp_path / "people.csv"
    csv.write_text(
        f"name,id_number,status\n张三,{first},normal\n李四,{second.lower()},cancelled\n",
        encoding="utf-8",
    )
    call_command("load_population_records", str(csv), verbosity=0)
    call_command("load_population_records", str(csv), verbosity=0)
    assert PopulationRecord.objects.count() == 2
    check = registry.population_registry().verify_person
    assert check("张三", first) == Verdict.MATCH
    assert check("李四", second) == Verdict.CANCELLED
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, name FROM identity_populationrecord")
        assert first not in repr(cursor.fetchall())


def test_a_bad_file_loads_nothing_and_names_every_bad_line(tmp_path):
    csv = tmp_path / "people.csv"
    csv.write_text(
        "name,id_number\n"
        f"张三,{make_id_number()}\n"
        "李四,210102198503150011\n"
        f",{make_id_number()}\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as error:
        call_command("load_population_records", str(csv), verbosity=0)
    message = str(error.value)
    assert "line 3" in message and "id_number" in message
    assert "line 4" in message and "name" in message
    assert "line 2" not in message
    assert not PopulationRecord.objects.exists()


def test_loading_legal_person_records(tmp_path):
    code, representative = make_credit_code(), make_id_number()
    csv = tmp_path / "entities.csv"
    csv.write_text(
        "credit_code,name,representative_name,representative_id_number,kind\n"
        f"{code},示例有限公司,张三,{representative},enterprise\n"
        f"{code},重复,张三,{representative},enterprise\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as error:
        call_command("load_population_records", str(csv), verbosity=0)
    assert "line 3" in str(error.value) and "repeats line 2" in str(error.value)
    assert not LegalPersonRecord.objects.exists()
    csv.write_text(
        "credit_code,name,representative_name,representative_id_number\n"
        f"{code},示例有限公司,张三,{representative}\n",
        encoding="utf-8",
    )
    call_command("load_population_records", str(csv), verbosity=0)
    record = LegalPersonRecord.objects.get()
    assert record.representative_id_index == blind_index(
        representative, purpose="id_number"
    )


def test_an_unknown_header_is_refused(tmp_path):
    csv = tmp_path / "x.csv"
    csv.write_text("foo,bar\n1,2\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("load_population_records", str(csv), verbosity=0)


def test_the_demo_base_records_load():
    from pathlib import Path

    fixtures = Path(registry.__file__).parent / "fixtures"
    call_command("load_population_records", str(fixtures / "demo_population.csv"))
    call_command("load_population_records", str(fixtures / "demo_legal_persons.csv"))
    assert PopulationRecord.objects.count() == 9
    assert LegalPersonRecord.objects.count() == 3


def test_full_width_codes_are_folded_like_everywhere_else():
    # core.validators.normalise_code: what persons and entities store and look up by
    import unicodedata

    def full_width(code: str) -> str:
        return "".join(chr(ord(c) + 0xFEE0) for c in code)

    code, id_number = make_credit_code(), make_id_number()
    legal_person_record(code, "示例有限公司", "张三", id_number)
    population_record("张三", id_number)
    assert unicodedata.normalize("NFKC", full_width(code)) == code
    assert registry.legal_person_registry().lookup_entity(full_width(code)) is not None
    check = registry.population_registry().verify_person
    assert check("张三", full_width(id_number)) == Verdict.MATCH
