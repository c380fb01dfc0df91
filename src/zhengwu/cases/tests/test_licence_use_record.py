"""用证 by a case: the use of a licence handed in instead of a material is
recorded as made by the case's handling department (its name, reason
"办件 <number>"), with the applicant who consented as who acted; the holder
sees the department on the licence page, never a user label."""

from __future__ import annotations

import pytest

from zhengwu.core.models import AuditEvent
from zhengwu.licenses import facade as licences
from zhengwu.licenses.models import LicenceUse
from zhengwu.licenses.tests.factories import licence_world  # noqa: F401

from .test_licence_reuse import apply_with_licence, approved_case, setup  # noqa: F401

pytestmark = pytest.mark.django_db


def test_the_use_is_recorded_as_made_by_the_handling_department(setup):  # noqa: F811
    world, lw, issuing, asking = setup
    first = approved_case(world.citizen.user, issuing, lw.reviewer, "use-1")
    case = apply_with_licence(world.citizen.user, asking, first.licence_identifier)
    use = LicenceUse.objects.get(licence__identifier=first.licence_identifier)
    # made by the department handling the case, for the case
    assert case.organisation_id == world.org_a.pk
    assert use.verifier_label == world.org_a.name == "沈阳市市场监督管理局"
    assert use.reason == f"办件 {case.number}"
    assert use.channel == LicenceUse.Channel.IDENTIFIER
    assert use.result == "valid"
    # and it still says who acted: the applicant who consented
    assert use.user == world.citizen.user
    event = AuditEvent.objects.get(event="licenses.used")
    assert event.actor_id == world.citizen.user.pk
    assert event.data["verifier"] == "沈阳市市场监督管理局"
    assert event.data["reason"] == f"办件 {case.number}"


def test_the_holder_sees_the_department_on_the_licence_page(client, setup):  # noqa: F811
    world, lw, issuing, asking = setup
    first = approved_case(world.citizen.user, issuing, lw.reviewer, "use-2")
    case = apply_with_licence(world.citizen.user, asking, first.licence_identifier)
    held = licences.holder_licence(world.citizen.user, first.licence_identifier)
    assert [(u.verifier, u.reason) for u in held.uses] == [
        ("沈阳市市场监督管理局", f"办件 {case.number}")
    ]
    client.force_login(world.citizen.user)
    licence_pk = LicenceUse.objects.get().licence_id
    page = client.get(f"/licenses/mine/{licence_pk}/").content.decode()
    assert "沈阳市市场监督管理局" in page and f"办件 {case.number}" in page
    assert f"user:{world.citizen.user.get_username()}" not in page


def test_a_check_outside_a_case_still_names_the_user(setup):  # noqa: F811
    world, lw, issuing, _asking = setup
    first = approved_case(world.citizen.user, issuing, lw.reviewer, "use-3")
    licences.check_identifier(
        first.licence_identifier,
        reason="租房核验",
        user=lw.other_reviewer,
        source_ip=None,
    )
    use = LicenceUse.objects.get(licence__identifier=first.licence_identifier)
    assert use.verifier_label == f"user:{lw.other_reviewer.get_username()}"
    assert "verifier" not in AuditEvent.objects.get(event="licenses.used").data


def test_an_unknown_department_falls_back_to_who_acted(setup):  # noqa: F811
    world, lw, issuing, _asking = setup
    first = approved_case(world.citizen.user, issuing, lw.reviewer, "use-4")
    check = licences.licence_use_for_case(
        first.licence_identifier,
        case_number="11210100000000000000000000000000202611280001",
        organisation_id=None,
        user=world.citizen.user,
    )
    assert check.ok
    use = LicenceUse.objects.get(licence__identifier=first.licence_identifier)
    assert use.verifier_label == f"user:{world.citizen.user.get_username()}"
