"""Security review of acting on behalf: a clerk of one enterprise cannot act for
another, ids of others' authorisations, entities and counter visits do not exist
for a user (IDOR), and a refused attempt changes nothing."""

import datetime

from django.utils import timezone

import pytest

from zhengwu.core.models import AuditEvent
from zhengwu.identity import authorisations, counter, entities, facade
from zhengwu.identity.models import Authorisation, CounterVisit

from .person_factories import (
    legal_person_record,
    make_citizen,
    make_counter_clerk,
    make_credit_code,
    make_id_number,
    population_record,
)

pytestmark = pytest.mark.django_db

ITEM = "210100000001"


def in_a_month():
    return timezone.now() + datetime.timedelta(days=30)


def enterprise(representative_name: str, name: str):
    representative = make_citizen(representative_name)
    code = make_credit_code()
    legal_person_record(code, name, representative_name, representative.clear_id_number)
    entity = entities.entity_register(credit_code=code, acting_user=representative.user)
    return representative, entity


@pytest.fixture
def two_companies():
    rep_a, company_a = enterprise("张三", "甲公司")
    rep_b, company_b = enterprise("李四", "乙公司")
    clerk = make_citizen("王五")
    grant = entities.clerk_authorise(
        entity_id=company_a.pk,
        acting_user=rep_a.user,
        agent_id_number=clerk.clear_id_number,
        agent_name="王五",
        item_codes=[ITEM],
        valid_until=in_a_month(),
    )
    return rep_a, company_a, rep_b, company_b, clerk, grant


def test_a_clerk_of_one_enterprise_cannot_act_for_another(two_companies):
    _rep_a, company_a, _rep_b, company_b, clerk, _grant = two_companies
    label_a = authorisations.entity_principal_label(company_a)
    label_b = authorisations.entity_principal_label(company_b)
    assert facade.may_act_for(clerk.user, label_a, ITEM)
    assert not facade.may_act_for(clerk.user, label_a, "210100000002")
    assert not facade.may_act_for(clerk.user, label_b, ITEM)
    assert not facade.may_act_for(clerk.user, label_b)


def test_another_representative_cannot_see_revoke_or_add_clerks(client, two_companies):
    _rep_a, company_a, rep_b, _company_b, clerk, grant = two_companies
    client.force_login(rep_b.user)
    assert client.get(f"/me/entities/{company_a.pk}/").status_code == 404
    assert client.post(f"/me/authorisations/{grant.pk}/revoke").status_code == 404
    added = client.post(
        f"/me/entities/{company_a.pk}/",
        {
            "agent_name": "王五",
            "agent_id_number": clerk.clear_id_number,
            "all_items": "on",
            "valid_until": in_a_month().date().isoformat(),
        },
    )
    assert added.status_code == 404
    api = client.get(f"/api/v1/identity/me/entities/{company_a.pk}/clerks")
    assert api.status_code == 404
    grant.refresh_from_db()
    assert grant.revoked_at is None
    assert Authorisation.objects.filter(principal_entity=company_a).count() == 1


def test_someone_elses_authorisation_cannot_be_started(client, two_companies):
    _rep_a, _company_a, rep_b, _company_b, _clerk, grant = two_companies
    client.force_login(rep_b.user)
    client.post("/me/acting/start", {"authorisation": grant.pk})
    assert "identity_acting" not in client.session
    api = client.post(
        "/api/v1/identity/me/acting",
        {"authorisation_id": grant.pk},
        content_type="application/json",
    )
    assert api.status_code == 404
    assert "identity_acting" not in client.session
    assert not AuditEvent.objects.filter(event="identity.acting_started").exists()


def test_a_clerk_acting_is_stopped_by_revocation_and_expiry(client, two_companies):
    rep_a, _company_a, _rep_b, _company_b, clerk, grant = two_companies
    client.force_login(clerk.user)
    client.post("/me/acting/start", {"authorisation": grant.pk})
    acting = client.get("/api/v1/identity/me/acting").json()
    assert acting["acting"] is True
    # expiry: the period ended
    Authorisation.objects.filter(pk=grant.pk).update(
        valid_from=timezone.now() - datetime.timedelta(days=2),
        valid_until=timezone.now() - datetime.timedelta(seconds=1),
    )
    assert client.get("/api/v1/identity/me/acting").json()["acting"] is False
    assert "identity_acting" not in client.session
    # revocation: a second grant, started, then revoked by the representative
    Authorisation.objects.filter(pk=grant.pk).update(valid_until=in_a_month())
    client.post("/me/acting/start", {"authorisation": grant.pk})
    assert client.get("/api/v1/identity/me/acting").json()["acting"] is True
    authorisations.authorisation_revoke(
        authorisation_id=grant.pk, acting_user=rep_a.user
    )
    assert client.get("/api/v1/identity/me/acting").json()["acting"] is False


def test_another_clerks_counter_visit_cannot_be_revealed_or_ended(client):
    # given a visit served by one counter clerk
    first = make_counter_clerk("clerk_one")
    second = make_counter_clerk("clerk_two")
    id_number = make_id_number()
    population_record("钱七", id_number)
    visit = counter.counter_visit_start(
        clerk=first, name="钱七", id_number=id_number, document="id_card"
    )
    # when another clerk tries its reveal and end
    client.force_login(second)
    reveal = client.post(f"/staff/counter/visits/{visit.pk}/reveal")
    end = client.post(f"/staff/counter/visits/{visit.pk}/end")
    # then neither exists for them, nothing was shown, the visit stays open
    assert reveal.status_code == 404 and end.status_code == 404
    assert id_number not in reveal.content.decode()
    visit.refresh_from_db()
    assert visit.ended_at is None
    assert not AuditEvent.objects.filter(
        event="identity.personal_data_viewed", outcome="success"
    ).exists()
    assert CounterVisit.objects.filter(clerk=second).count() == 0
