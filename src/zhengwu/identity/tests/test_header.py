"""The header's account link leads each signed-in user to a page they may open."""

from django.urls import reverse

import pytest

from .person_factories import make_citizen, make_counter_clerk
from .staff_factories import organisation, staff_user

pytestmark = pytest.mark.django_db


def header_link(client) -> str:
    html = client.get(reverse("portal:home")).content.decode()
    start = html.index('<div class="account">')
    return html[start : html.index("</div>", start)]


def test_citizen_is_sent_to_their_own_space_not_the_staff_workbench(client):
    client.force_login(make_citizen().user)
    link = header_link(client)
    assert f'href="{reverse("identity:me_profile")}"' in link
    assert reverse("portal:workbench") not in link


def test_counter_clerk_link_opens_a_page_they_may_use(client):
    client.force_login(make_counter_clerk())
    link = header_link(client)
    href = link.split('href="', 1)[1].split('"', 1)[0]
    assert href == reverse("identity:counter_home")
    assert client.get(href).status_code == 200


def test_audit_administrator_link_opens_the_audit_log(client, reference_data):
    from zhengwu.identity.constants import StaffRole

    user = staff_user("shenji", (organisation("审计单位"), StaffRole.AUDIT_ADMIN))
    client.force_login(user)
    href = header_link(client).split('href="', 1)[1].split('"', 1)[0]
    assert href == reverse("identity:staff_audit")
    assert client.get(href).status_code == 200


def identity_queries(client) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(reverse("portal:home"))  # warm anything cached across requests
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("portal:home"))
    return [q["sql"] for q in captured.captured_queries if "identity_" in q["sql"]]


def test_header_costs_anonymous_visitors_no_identity_query(client):
    assert identity_queries(client) == []


def test_header_reads_a_staff_members_roles_once(client):
    client.force_login(make_counter_clerk())
    queries = identity_queries(client)
    assert len(queries) == 1, queries
    assert "identity_staffmembership" in queries[0]


def test_header_costs_a_citizen_at_most_two_identity_queries(client):
    client.force_login(make_citizen().user)
    assert len(identity_queries(client)) <= 2
