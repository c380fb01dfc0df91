"""/api/v1/identity/me/: masked output, authorisations scoped to the caller."""

import datetime

from django.utils import timezone

import pytest

from zhengwu.core.models import AuditEvent
from zhengwu.identity.models import Authorisation, LegalEntity

from .person_factories import legal_person_record, make_citizen, make_credit_code

pytestmark = pytest.mark.django_db

BASE = "/api/v1/identity/me"


def until(days=30):
    return (timezone.now() + datetime.timedelta(days=days)).isoformat()


def test_me_is_masked(client):
    citizen = make_citizen("张三")
    client.force_login(citizen.user)
    response = client.get(f"{BASE}/")
    assert response.status_code == 200
    body = response.json()
    assert body["assurance_level"] == 2
    assert body["id_number_masked"].count("*") == 10
    assert citizen.clear_id_number not in response.content.decode()
    assert citizen.mobile not in response.content.decode()


def test_anonymous_gets_401(client):
    assert client.get(f"{BASE}/").status_code == 401
    assert client.get(f"{BASE}/authorisations").status_code == 401


def test_create_list_and_revoke_an_authorisation(client):
    principal, agent = make_citizen("张三"), make_citizen("李四")
    client.force_login(principal.user)
    response = client.post(
        f"{BASE}/authorisations",
        {
            "agent_name": "李四",
            "agent_id_number": agent.clear_id_number,
            "item_codes": ["210100000001"],
            "valid_until": until(),
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["state"] == "active"
    assert agent.clear_id_number not in response.content.decode()
    listed = client.get(f"{BASE}/authorisations").json()
    assert [a["id"] for a in listed["given"]] == [created["id"]]
    response = client.post(f"{BASE}/authorisations/{created['id']}/revoke")
    assert response.status_code == 200
    assert response.json()["state"] == "revoked"


def test_a_refused_authorisation_names_the_field(client):
    principal = make_citizen("张三")
    client.force_login(principal.user)
    response = client.post(
        f"{BASE}/authorisations",
        {
            "agent_name": "李四",
            "agent_id_number": "210102198503150011",
            "item_codes": ["123"],
            "valid_until": until(),
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["fields"]
    assert not Authorisation.objects.exists()


def test_another_citizen_cannot_see_or_revoke_my_authorisation(client):
    principal, agent, other = (
        make_citizen("张三"),
        make_citizen("李四"),
        make_citizen("王五"),
    )
    client.force_login(principal.user)
    created = client.post(
        f"{BASE}/authorisations",
        {
            "agent_name": "李四",
            "agent_id_number": agent.clear_id_number,
            "all_items": True,
            "valid_until": until(),
        },
        content_type="application/json",
    ).json()
    client.force_login(other.user)
    response = client.post(f"{BASE}/authorisations/{created['id']}/revoke")
    assert response.status_code == 404
    assert client.get(f"{BASE}/authorisations").json() == {"given": [], "received": []}
    assert Authorisation.objects.get(pk=created["id"]).revoked_at is None
    assert not AuditEvent.objects.filter(
        event="identity.authorisation_revoked"
    ).exists()


def test_session_posts_need_csrf(django_user_model):
    from django.test import Client

    principal = make_citizen("张三")
    client = Client(enforce_csrf_checks=True)
    client.force_login(principal.user)
    response = client.post(
        f"{BASE}/entities",
        {"credit_code": make_credit_code()},
        content_type="application/json",
    )
    assert response.status_code in (401, 403)
    assert not LegalEntity.objects.exists()


def test_entity_registration_and_clerks(client):
    representative, clerk, outsider = (
        make_citizen("张三"),
        make_citizen("王五"),
        make_citizen("赵六"),
    )
    code = make_credit_code()
    legal_person_record(code, "示例有限公司", "张三", representative.clear_id_number)
    # someone else cannot register it
    client.force_login(outsider.user)
    response = client.post(
        f"{BASE}/entities", {"credit_code": code}, content_type="application/json"
    )
    assert response.status_code == 403
    assert not LegalEntity.objects.exists()
    # the representative can
    client.force_login(representative.user)
    response = client.post(
        f"{BASE}/entities", {"credit_code": code}, content_type="application/json"
    )
    assert response.status_code == 201
    entity_id = response.json()["id"]
    response = client.post(
        f"{BASE}/entities/{entity_id}/clerks",
        {
            "agent_name": "王五",
            "agent_id_number": clerk.clear_id_number,
            "item_codes": ["210100000001"],
            "valid_until": until(),
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["principal_label"] == f"entity:{code}"
    # the outsider cannot add clerks to it
    client.force_login(outsider.user)
    response = client.post(
        f"{BASE}/entities/{entity_id}/clerks",
        {
            "agent_name": "赵六",
            "agent_id_number": outsider.clear_id_number,
            "all_items": True,
            "valid_until": until(),
        },
        content_type="application/json",
    )
    assert response.status_code == 404
    assert Authorisation.objects.count() == 1
    # the clerk sees it received and acts; the representative sees the actions
    client.force_login(clerk.user)
    received = client.get(f"{BASE}/authorisations").json()["received"]
    assert len(received) == 1
    response = client.post(
        f"{BASE}/acting",
        {"authorisation_id": received[0]["id"]},
        content_type="application/json",
    )
    assert response.json()["principal"] == "示例有限公司"
    client.force_login(representative.user)
    actions = client.get(f"{BASE}/actions-in-my-name").json()
    assert actions["total"] >= 1
    assert actions["items"][0]["principal"] == "示例有限公司"
    assert actions["items"][0]["actor"] == "王*"
