"""Acting for a principal: the middleware names actor and principal in every audit
record, re-checks the basis on each request, and the principal sees the actions."""

import datetime

from django.http import HttpResponse
from django.test import override_settings
from django.urls import include, path
from django.utils import timezone

import pytest

from zhengwu.core import audit
from zhengwu.core.models import AuditEvent
from zhengwu.identity import authorisations

from .person_factories import make_citizen

pytestmark = pytest.mark.django_db

ITEM = "210100000001"


def probe(request):
    """A stand-in for another app's page that records something."""
    audit.record(acting_user=request.user, event="probe.done")
    acting = request.acting
    return HttpResponse(acting.principal_label if acting else "self")


urlpatterns = [path("probe/", probe), path("", include("zhengwu.urls"))]


@pytest.fixture
def probe_urls():
    with override_settings(ROOT_URLCONF=__name__):
        yield


@pytest.fixture
def authorised(client):
    principal, agent = make_citizen("张三"), make_citizen("李四")
    authorisation = authorisations.authorisation_grant_personal(
        acting_user=principal.user,
        agent_id_number=agent.clear_id_number,
        agent_name="李四",
        item_codes=[ITEM],
        valid_until=timezone.now() + datetime.timedelta(days=30),
    )
    return principal, agent, authorisation


def test_acting_records_actor_and_principal_until_revoked(
    client, authorised, probe_urls
):
    principal, agent, authorisation = authorised
    label = f"person:{principal.pk}"
    client.force_login(agent.user)
    # when the agent starts acting
    response = client.post("/me/acting/start", {"authorisation": authorisation.pk})
    assert response.status_code == 302
    # then the page header says so and records name both
    page = client.get("/me/authorisations/")
    assert "正在代 张* 办理" in page.content.decode()
    assert client.get("/probe/").content.decode() == label
    event = AuditEvent.objects.filter(event="probe.done").latest("pk")
    assert event.actor == agent.user
    assert event.on_behalf_of == label
    # when the principal revokes, the agent's next request no longer acts
    authorisations.authorisation_revoke(
        authorisation_id=authorisation.pk, acting_user=principal.user
    )
    assert client.get("/probe/").content.decode() == "self"
    assert AuditEvent.objects.filter(event="probe.done").latest("pk").on_behalf_of == ""
    assert "identity_acting" not in client.session


def test_stop_ends_acting(client, authorised, probe_urls):
    _principal, agent, authorisation = authorised
    client.force_login(agent.user)
    client.post("/me/acting/start", {"authorisation": authorisation.pk})
    client.post("/me/acting/stop")
    assert client.get("/probe/").content.decode() == "self"
    assert AuditEvent.objects.filter(event="identity.acting_stopped").count() == 1


def test_nobody_else_can_act_under_an_authorisation(client, authorised, probe_urls):
    _principal, _agent, authorisation = authorised
    stranger = make_citizen("王五")
    client.force_login(stranger.user)
    client.post("/me/acting/start", {"authorisation": authorisation.pk})
    assert client.get("/probe/").content.decode() == "self"
    assert not AuditEvent.objects.filter(event="identity.acting_started").exists()


def test_the_principal_sees_actions_in_their_name_and_others_do_not(
    client, authorised, probe_urls
):
    principal, agent, authorisation = authorised
    client.force_login(agent.user)
    client.post("/me/acting/start", {"authorisation": authorisation.pk})
    client.get("/probe/")
    client.logout()
    # the principal
    client.force_login(principal.user)
    page = client.get("/me/actions/").content.decode()
    assert "probe.done" in page
    assert "李*" in page  # the actor, masked
    assert "开始代办" in page
    # another citizen
    other = make_citizen("赵六")
    client.force_login(other.user)
    page = client.get("/me/actions/").content.decode()
    assert "probe.done" not in page


def test_the_facade_tells_other_apps_whom_the_user_acts_for(authorised):
    from django.test import RequestFactory

    from zhengwu.identity import acting, facade, persons

    principal, agent, authorisation = authorised
    label = f"person:{principal.pk}"
    assert facade.may_act_for(agent.user, label, ITEM)
    assert not facade.may_act_for(agent.user, label, "210100000009")
    request = RequestFactory().get("/")
    request.acting = acting.resolve(
        agent.user, {"basis": "authorisation", "id": authorisation.pk}
    )
    info = facade.acting_for_request(request)
    assert info.principal_label == label
    assert info.principal_name == "张*"
    assert info.covers(ITEM) and not info.covers("210100000009")
    # a rule another app registers lets its viewer see the clear number
    facade.register_personal_data_rule(
        lambda viewer, person_label: viewer == agent.user and person_label == label
    )
    try:
        value = persons.reveal_personal_data(principal, "id_number", agent.user)
        assert value == principal.clear_id_number
    finally:
        persons._reveal_rules.clear()


def test_managing_ones_own_account_while_acting_is_not_in_the_principals_name(
    client, authorised
):
    principal, agent, authorisation = authorised
    third = make_citizen("王五")
    client.force_login(agent.user)
    client.post("/me/acting/start", {"authorisation": authorisation.pk})
    # the agent gives an authorisation of their own while acting
    response = client.post(
        "/me/authorisations/",
        {
            "agent_name": "王五",
            "agent_id_number": third.clear_id_number,
            "all_items": "on",
            "valid_until": (
                timezone.localdate() + datetime.timedelta(days=3)
            ).isoformat(),
        },
    )
    assert response.status_code == 302
    granted = AuditEvent.objects.filter(event="identity.authorisation_granted").latest(
        "pk"
    )
    assert granted.actor == agent.user
    assert granted.on_behalf_of == ""
    # and it is the agent's own authorisation, not the principal's
    assert authorisations.authorisations_given(agent.user).count() == 1
    assert authorisations.authorisations_given(principal.user).count() == 1


def test_an_authorisation_not_yet_valid_cannot_be_started(client, authorised):
    from zhengwu.identity.models import Authorisation

    _principal, agent, authorisation = authorised
    Authorisation.objects.filter(pk=authorisation.pk).update(
        valid_from=timezone.now() + datetime.timedelta(days=1)
    )
    client.force_login(agent.user)
    client.post("/me/acting/start", {"authorisation": authorisation.pk})
    assert "identity_acting" not in client.session
    assert not AuditEvent.objects.filter(event="identity.acting_started").exists()
