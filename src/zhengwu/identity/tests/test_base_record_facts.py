"""What identity tells a 秒批 rule of a principal from the base records: a verified
person's age and gender from the birth date of their ID number (never the number
itself), an entity's status in the legal-person base records."""

import datetime
import zoneinfo

from django.test import override_settings

import pytest

from zhengwu.identity import entities
from zhengwu.identity.facade import base_record_facts, person_label_for_user
from zhengwu.identity.models import LegalPersonRecord

from .person_factories import legal_person_record, make_citizen, make_credit_code

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def test_a_verified_persons_age_and_gender_come_from_the_id_number():
    # given a verified citizen born on 20 July 1956
    person = make_citizen("孙德厚", born="19560720")
    label = person_label_for_user(person.user)

    # when the facts are asked the day before and on his 70th birthday
    before = base_record_facts(person.user, label, today=datetime.date(2026, 7, 19))
    on = base_record_facts(person.user, label, today=datetime.date(2026, 7, 20))

    # then he is 69, then 70 (whole years), his gender from the 17th digit
    assert before["age"] == 69 and on["age"] == 70
    expected = "male" if int(person.clear_id_number[16]) % 2 else "female"
    assert on["gender"] == expected
    assert on["kind"] == "person" and on["real_name_verified"] is True
    # and the facts hold no ID number, birth date or name
    text = repr(on)
    assert person.clear_id_number not in text
    assert "1956" not in text and "孙德厚" not in text


def test_someone_born_on_29_february_is_older_from_1_march():
    person = make_citizen("王二", born="19600229")
    label = person_label_for_user(person.user)
    assert base_record_facts(None, label, today=datetime.date(2026, 2, 28))["age"] == 65
    assert base_record_facts(None, label, today=datetime.date(2026, 3, 1))["age"] == 66


@override_settings(TIME_ZONE="UTC")
def test_today_is_the_date_in_shanghai_whatever_the_servers_zone():
    # given a citizen who turns 60 on today's date in Shanghai
    today = datetime.datetime.now(SHANGHAI).date()
    if (today.month, today.day) == (2, 29):
        pytest.skip("no 29 February sixty years ago")
    person = make_citizen(
        "李一", born=today.replace(year=today.year - 60).strftime("%Y%m%d")
    )

    # when the facts are asked without a date
    facts = base_record_facts(person.user, person_label_for_user(person.user))

    # then the age is counted on Shanghai's date (not the day before, in UTC)
    assert facts["age"] == 60


def test_an_unverified_persons_typed_id_number_gives_no_age():
    # given a citizen not verified against the population records (L1)
    person = make_citizen("赵六", verified=False, born="19500101")

    # when the facts are asked
    facts = base_record_facts(person.user, person_label_for_user(person.user))

    # then there is no age or gender a rule could rely on
    assert facts["real_name_verified"] is False
    assert facts["age"] is None and facts["gender"] is None


def test_another_users_facts_are_those_of_the_principal():
    # given an agent asking about the person they act for
    principal = make_citizen("孙老", born="19500101")
    agent = make_citizen("孙小", born="19900101")
    label = person_label_for_user(principal.user)

    # when the agent's request asks for the principal's facts
    facts = base_record_facts(agent.user, label, today=datetime.date(2026, 6, 1))

    # then they are the principal's
    assert facts["age"] == 76


def test_an_entitys_facts_are_its_credit_code_and_status():
    # given an enterprise registered by its verified legal representative
    representative = make_citizen("李明")
    code = make_credit_code()
    legal_person_record(
        code, "示范科技有限公司", "李明", representative.clear_id_number
    )
    entities.entity_register(credit_code=code, acting_user=representative.user)

    # when the facts are asked, then the base records say it is active
    facts = base_record_facts(representative.user, f"entity:{code}")
    assert facts == {
        "kind": "entity",
        "credit_code": code,
        "entity_kind": "enterprise",
        "status": "active",
        "active": True,
        "real_name_verified": True,
    }

    # and once deregistered in the base records, they say so
    LegalPersonRecord.objects.filter(credit_code=code).update(
        status=LegalPersonRecord.Status.DEREGISTERED
    )
    facts = base_record_facts(representative.user, f"entity:{code}")
    assert facts["status"] == "deregistered" and facts["active"] is False


@pytest.mark.parametrize("label", ["", "person:999999", "entity:NOPE", "other:1"])
def test_an_unknown_principal_has_no_facts(label):
    assert base_record_facts(None, label) == {}
