"""Legal entities: registration by the real representative only; clerks (经办人)."""

import datetime

from django.utils import timezone

import pytest

from zhengwu.core.models import AuditEvent
from zhengwu.identity import authorisations, entities
from zhengwu.identity.errors import IdentityError
from zhengwu.identity.models import Authorisation, LegalEntity

from .person_factories import legal_person_record, make_citizen, make_credit_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def company():
    representative = make_citizen("张三")
    code = make_credit_code()
    legal_person_record(
        code, "沈阳示例科技有限公司", "张三", representative.clear_id_number
    )
    return representative, code


def test_the_representative_registers_the_entity(company):
    representative, code = company
    entity = entities.entity_register(credit_code=code, acting_user=representative.user)
    assert entity.name == "沈阳示例科技有限公司"
    assert entity.legal_representative == representative
    assert AuditEvent.objects.filter(event="identity.entity_registered").count() == 1


def test_someone_else_cannot_register_the_entity(company):
    _representative, code = company
    other = make_citizen("李四")
    with pytest.raises(IdentityError) as error:
        entities.entity_register(credit_code=code, acting_user=other.user)
    assert error.value.status == 403
    assert "credit_code" in error.value.fields
    assert not LegalEntity.objects.exists()


def test_an_unverified_representative_is_refused():
    representative = make_citizen("张三", verified=False)
    code = make_credit_code()
    legal_person_record(code, "某公司", "张三", representative.clear_id_number)
    with pytest.raises(IdentityError) as error:
        entities.entity_register(credit_code=code, acting_user=representative.user)
    assert error.value.code == "identity.verification_required"
    assert not LegalEntity.objects.exists()


@pytest.mark.parametrize("code", ["91210100MA0XXXXXX1", ""])
def test_an_invalid_or_unknown_code_is_refused(code):
    representative = make_citizen("张三")
    with pytest.raises(IdentityError) as error:
        entities.entity_register(credit_code=code, acting_user=representative.user)
    assert "credit_code" in error.value.fields
    with pytest.raises(IdentityError) as error:
        entities.entity_register(
            credit_code=make_credit_code(), acting_user=representative.user
        )
    assert error.value.code == "identity.entity_not_found"


def test_clerks_in_and_out_of_scope_and_revoked(company):
    # given
    representative, code = company
    entity = entities.entity_register(credit_code=code, acting_user=representative.user)
    clerk = make_citizen("王五")
    # when
    authorisation = entities.clerk_authorise(
        entity_id=entity.pk,
        acting_user=representative.user,
        agent_id_number=clerk.clear_id_number,
        agent_name="王五",
        item_codes=["210100000001"],
        valid_until=timezone.now() + datetime.timedelta(days=90),
    )
    # then
    label = f"entity:{code}"
    assert authorisations.check_may_act(clerk.user, label, "210100000001")
    with pytest.raises(IdentityError):
        authorisations.check_may_act(clerk.user, label, "210100000009")
    authorisations.authorisation_revoke(
        authorisation_id=authorisation.pk, acting_user=representative.user
    )
    with pytest.raises(IdentityError):
        authorisations.check_may_act(clerk.user, label, "210100000001")


def test_only_the_representative_authorises_clerks(company):
    representative, code = company
    entity = entities.entity_register(credit_code=code, acting_user=representative.user)
    outsider, clerk = make_citizen("李四"), make_citizen("王五")
    with pytest.raises(IdentityError) as error:
        entities.clerk_authorise(
            entity_id=entity.pk,
            acting_user=outsider.user,
            agent_id_number=clerk.clear_id_number,
            agent_name="王五",
            all_items=True,
            valid_until=timezone.now() + datetime.timedelta(days=90),
        )
    assert error.value.status == 404
    assert not Authorisation.objects.exists()


def test_actions_in_my_name_reads_the_represented_entities_once(client, company):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    representative, code = company
    entities.entity_register(credit_code=code, acting_user=representative.user)
    client.force_login(representative.user)
    for url in ("/me/actions/", "/api/v1/identity/me/actions-in-my-name"):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        entity_reads = [
            q["sql"]
            for q in captured.captured_queries
            if q["sql"].startswith("SELECT")
            and 'FROM "identity_legalentity"' in q["sql"]
        ]
        assert len(entity_reads) == 1, (url, entity_reads)
