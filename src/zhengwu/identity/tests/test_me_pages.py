"""/me/ pages: masking, audited reveal, inline errors, another citizen's view."""

import datetime

from django.utils import timezone

import pytest

from zhengwu.core.models import AuditEvent
from zhengwu.identity import authorisations, persons
from zhengwu.identity.errors import IdentityError
from zhengwu.identity.models import Authorisation

from .person_factories import make_citizen

pytestmark = pytest.mark.django_db


def test_profile_is_masked_and_reveal_is_audited(client):
    citizen = make_citizen("张三")
    client.force_login(citizen.user)
    page = client.get("/me/").content.decode()
    assert citizen.clear_id_number not in page
    assert citizen.mobile not in page
    assert persons.masked_id_number(citizen) in page
    assert not AuditEvent.objects.filter(event="identity.personal_data_viewed").exists()
    # when the person asks for the full number
    response = client.post("/me/", {"field": "id_number"})
    # then
    assert citizen.clear_id_number in response.content.decode()
    assert (
        response["Cache-Control"].startswith("max-age=0")
        or "no-store" in response["Cache-Control"]
    )
    viewed = AuditEvent.objects.get(event="identity.personal_data_viewed")
    assert viewed.actor == citizen.user
    assert viewed.data["field"] == "id_number"
    assert citizen.clear_id_number not in str(viewed.data)


def test_reveal_is_refused_to_others_and_audited():
    citizen, other = make_citizen("张三"), make_citizen("李四")
    with pytest.raises(IdentityError) as error:
        persons.reveal_personal_data(citizen, "id_number", other.user)
    assert error.value.status == 403
    refused = AuditEvent.objects.get(event="identity.personal_data_viewed")
    assert refused.outcome == "denied"
    with pytest.raises(IdentityError):
        persons.reveal_personal_data(citizen, "id_number", None)


def test_anonymous_is_sent_to_login(client):
    for url in ("/me/", "/me/authorisations/", "/me/actions/", "/me/entities/"):
        response = client.get(url)
        assert response.status_code == 302, url


def test_authorisation_form_shows_errors_inline_and_creates_nothing(client):
    principal = make_citizen("张三")
    client.force_login(principal.user)
    response = client.post(
        "/me/authorisations/",
        {
            "agent_name": "李四",
            "agent_id_number": "210102198503150011",
            "item_codes": "210100000001",
            "valid_until": (
                timezone.localdate() + datetime.timedelta(days=30)
            ).isoformat(),
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_agent_id_number-error"' in page
    assert 'aria-invalid="true"' in page
    assert not Authorisation.objects.exists()


def test_authorisation_form_grants_and_revoke_button_revokes(client):
    principal, agent = make_citizen("张三"), make_citizen("李四")
    client.force_login(principal.user)
    response = client.post(
        "/me/authorisations/",
        {
            "agent_name": "李四",
            "agent_id_number": agent.clear_id_number,
            "item_codes": "210100000001, 210100000002",
            "valid_until": (
                timezone.localdate() + datetime.timedelta(days=30)
            ).isoformat(),
        },
    )
    assert response.status_code == 302
    authorisation = Authorisation.objects.get()
    assert authorisation.item_codes == ["210100000001", "210100000002"]
    page = client.get("/me/authorisations/").content.decode()
    assert agent.clear_id_number not in page
    assert "李*" in page
    # another citizen cannot revoke it
    other = make_citizen("王五")
    client.force_login(other.user)
    assert (
        client.post(f"/me/authorisations/{authorisation.pk}/revoke").status_code == 404
    )
    authorisation.refresh_from_db()
    assert authorisation.revoked_at is None
    # the principal can
    client.force_login(principal.user)
    client.post(f"/me/authorisations/{authorisation.pk}/revoke")
    authorisation.refresh_from_db()
    assert authorisation.revoked_at is not None
    assert not authorisations.active_authorisations(agent.user).exists()


def test_pages_render_for_a_citizen(client):
    citizen = make_citizen("张三")
    client.force_login(citizen.user)
    for url in ("/me/", "/me/authorisations/", "/me/actions/", "/me/entities/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert citizen.clear_id_number not in response.content.decode()
