"""Personal authorisations (代办): grant, revoke, expiry, scope."""

import datetime

from django.utils import timezone

import pytest

from zhengwu.core.models import AuditEvent
from zhengwu.identity import authorisations
from zhengwu.identity.errors import IdentityError
from zhengwu.identity.models import Authorisation

from .person_factories import make_citizen, make_id_number

pytestmark = pytest.mark.django_db

ITEM = "210100000001"
OTHER_ITEM = "210100000002"


def grant(principal, agent, **overrides):
    data = {
        "acting_user": principal.user,
        "agent_id_number": agent.clear_id_number,
        "agent_name": agent.name,
        "item_codes": [ITEM],
        "valid_until": timezone.now() + datetime.timedelta(days=30),
    } | overrides
    return authorisations.authorisation_grant_personal(**data)


def test_grant_and_check_may_act():
    # given
    principal, agent = make_citizen("张三"), make_citizen("李四")
    # when
    authorisation = grant(principal, agent)
    # then
    label = f"person:{principal.pk}"
    assert authorisations.check_may_act(agent.user, label, ITEM) == authorisation
    assert list(authorisations.active_authorisations(agent.user)) == [authorisation]
    assert list(authorisations.authorisations_given(principal.user)) == [authorisation]
    assert list(authorisations.authorisations_received(agent.user)) == [authorisation]
    event = AuditEvent.objects.get(event="identity.authorisation_granted")
    assert event.actor == principal.user
    assert agent.clear_id_number not in str(event.data)


def test_an_item_out_of_scope_is_refused():
    principal, agent = make_citizen("张三"), make_citizen("李四")
    grant(principal, agent)
    with pytest.raises(IdentityError) as error:
        authorisations.check_may_act(agent.user, f"person:{principal.pk}", OTHER_ITEM)
    assert error.value.status == 403
    assert error.value.code == "identity.item_out_of_scope"


def test_all_items_covers_any_item():
    principal, agent = make_citizen("张三"), make_citizen("李四")
    grant(principal, agent, item_codes=[], all_items=True)
    assert authorisations.check_may_act(
        agent.user, f"person:{principal.pk}", OTHER_ITEM
    )


def test_revoked_takes_effect_at_once_and_only_the_principal_may_revoke():
    # given
    principal, agent, stranger = (
        make_citizen("张三"),
        make_citizen("李四"),
        make_citizen("王五"),
    )
    authorisation = grant(principal, agent)
    # when a stranger or the agent tries, the authorisation does not exist for them
    for user in (stranger.user, agent.user):
        with pytest.raises(IdentityError) as error:
            authorisations.authorisation_revoke(
                authorisation_id=authorisation.pk, acting_user=user
            )
        assert error.value.status == 404
    authorisation.refresh_from_db()
    assert authorisation.revoked_at is None
    # when the principal revokes
    authorisations.authorisation_revoke(
        authorisation_id=authorisation.pk, acting_user=principal.user
    )
    # then
    with pytest.raises(IdentityError) as error:
        authorisations.check_may_act(agent.user, f"person:{principal.pk}", ITEM)
    assert error.value.code == "identity.authorisation_revoked"
    assert not authorisations.active_authorisations(agent.user).exists()
    assert (
        AuditEvent.objects.filter(event="identity.authorisation_revoked").count() == 1
    )


def test_expired_and_not_yet_valid_are_refused():
    principal, agent = make_citizen("张三"), make_citizen("李四")
    authorisation = grant(principal, agent)
    label = f"person:{principal.pk}"
    now = timezone.now()
    Authorisation.objects.filter(pk=authorisation.pk).update(
        valid_from=now - datetime.timedelta(days=10),
        valid_until=now - datetime.timedelta(days=1),
    )
    with pytest.raises(IdentityError) as error:
        authorisations.check_may_act(agent.user, label, ITEM)
    assert error.value.code == "identity.authorisation_expired"
    Authorisation.objects.filter(pk=authorisation.pk).update(
        valid_from=now + datetime.timedelta(days=1),
        valid_until=now + datetime.timedelta(days=10),
    )
    with pytest.raises(IdentityError) as error:
        authorisations.check_may_act(agent.user, label, ITEM)
    assert error.value.code == "identity.authorisation_pending"


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"item_codes": ["12345"]}, "item_codes"),
        ({"item_codes": []}, "item_codes"),
        ({"valid_until": timezone.now() + datetime.timedelta(days=400)}, "valid_until"),
        ({"valid_until": timezone.now() - datetime.timedelta(days=1)}, "valid_until"),
        ({"agent_name": "别人"}, "agent_id_number"),
        ({"agent_id_number": "210102198503150011"}, "agent_id_number"),
    ],
)
def test_invalid_grants_name_the_field_and_create_nothing(overrides, field):
    principal, agent = make_citizen("张三"), make_citizen("李四")
    with pytest.raises(IdentityError) as error:
        grant(principal, agent, **overrides)
    assert field in error.value.fields
    assert not Authorisation.objects.exists()


def test_an_unknown_id_number_and_a_wrong_name_give_the_same_refusal():
    principal, agent = make_citizen("张三"), make_citizen("李四")
    with pytest.raises(IdentityError) as wrong_name:
        grant(principal, agent, agent_name="别人")
    with pytest.raises(IdentityError) as unknown:
        grant(principal, agent, agent_id_number=make_id_number())
    assert wrong_name.value.message == unknown.value.message


def test_an_unverified_agent_and_oneself_are_refused():
    principal = make_citizen("张三")
    unverified = make_citizen("李四", verified=False)
    with pytest.raises(IdentityError):
        grant(principal, unverified)
    with pytest.raises(IdentityError):
        grant(principal, principal)
    assert not Authorisation.objects.exists()
