"""An applicant's asynchronous applications that have no case yet (pending, or
refused by the task) are on their "我的办件" page, read without decrypting the
form; nobody else sees them."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

import pytest

from zhengwu.cases import selectors
from zhengwu.cases.constants import IntakeStatus
from zhengwu.cases.intake import clear_intake_rules
from zhengwu.cases.models import CaseIntake
from zhengwu.cases.tasks import process_pending_intakes
from zhengwu.catalog.tests.factories import complete_guide

from .factories import configure, published_listing
from .test_api import API, bearer
from .test_intake import _intake, _post

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_listing(world):
    return published_listing(
        world.org_a, guide=complete_guide(materials=[]), name="食品经营许可"
    )


@pytest.fixture
def rejected_and_pending(client, world, open_listing):
    """One intake the task refused (the form then needed a new field), and one
    still pending."""
    user = world.citizen.user
    assert _post(client, user, open_listing, "list-key-000001").status_code == 202
    configure(
        open_listing,
        form_schema={
            "type": "object",
            "required": ["purpose"],
            "properties": {"purpose": {"type": "string", "title": "用途"}},
        },
    )
    assert process_pending_intakes.call() == 1
    configure(open_listing, form_schema={})
    clear_intake_rules()
    assert _post(client, user, open_listing, "list-key-000002").status_code == 202
    return _intake(user, "list-key-000001"), _intake(user, "list-key-000002")


def test_the_applicant_sees_pending_and_refused_intakes_on_my_cases(
    client, world, rejected_and_pending
):
    # given
    rejected, pending = rejected_and_pending
    assert rejected.status == IntakeStatus.REJECTED
    assert pending.status == IntakeStatus.PENDING
    client.force_login(world.citizen.user)
    # when
    html = client.get("/cases/").content.decode()
    # then both are listed, the refusal with its reason, the newest first
    assert "已收件，正在生成办件" in html
    assert f"未能受理：{rejected.error['message']}" in html
    assert "食品经营许可" in html
    assert html.index("list-key-000002") < html.index("list-key-000001")
    # and above the submitted cases
    assert html.index("list-key-000002") < html.index("已提交的办件")


def test_the_list_does_not_decrypt_the_form(world, rejected_and_pending):
    # when
    with CaptureQueriesContext(connection) as queries:
        rows = selectors.own_open_intakes(world.citizen.user)
    # then the rows are there, and no query read the encrypted payload
    assert [row.submission_key for row in rows] == [
        "list-key-000002",
        "list-key-000001",
    ]
    intake_queries = [q["sql"] for q in queries if "cases_caseintake" in q["sql"]]
    assert intake_queries
    assert not any("payload" in sql for sql in intake_queries)


def test_another_user_does_not_see_my_intakes(client, world, rejected_and_pending):
    # given
    client.force_login(world.other_citizen.user)
    # when
    html = client.get("/cases/").content.decode()
    # then
    assert "list-key-00000" not in html
    assert "已收件，正在生成办件" not in html
    assert "未能受理" not in html
    assert selectors.own_open_intakes(world.other_citizen.user) == []


def test_an_intake_that_became_a_case_leaves_the_list(client, world, open_listing):
    # given a pending intake, then the task makes its case
    user = world.citizen.user
    _post(client, user, open_listing, "list-key-000003")
    assert process_pending_intakes.call() == 1
    assert CaseIntake.objects.get(submission_key="list-key-000003").case is not None
    client.force_login(user)
    # when
    html = client.get("/cases/").content.decode()
    # then the case is listed, not the intake
    assert "list-key-000003" not in html
    assert "已收件，正在生成办件" not in html


def test_the_api_lists_the_callers_open_intakes_only(
    client, world, rejected_and_pending
):
    # given
    rejected, pending = rejected_and_pending
    # when the applicant asks
    response = client.get(f"{API}/intakes", headers=bearer(world.citizen.user))
    # then the pending and the refused one, newest first, with the refusal
    assert response.status_code == 200, response.content
    items = response.json()["items"]
    assert [item["submission_key"] for item in items] == [
        "list-key-000002",
        "list-key-000001",
    ]
    assert items[0]["status"] == IntakeStatus.PENDING
    assert items[0]["error"] is None
    assert items[0]["status_url"] == f"{API}/intakes/list-key-000002"
    assert items[1]["status"] == IntakeStatus.REJECTED
    assert items[1]["error"]["code"] == "cases.invalid_form"
    # and another applicant sees none of them
    other = client.get(f"{API}/intakes", headers=bearer(world.other_citizen.user))
    assert other.status_code == 200
    assert other.json()["items"] == []


def test_an_agent_acting_for_a_principal_does_not_see_own_intakes_there(
    world, rejected_and_pending
):
    # given: the account's own intakes, and the account acting for another person
    from zhengwu.identity.facade import ActingFor
    from zhengwu.portal.case_views_data import my_cases_page

    acting = ActingFor(
        principal_label=f"person:{world.other_citizen.pk}",
        principal_name="李*",
        basis="authorisation",
        basis_id=1,
        all_items=True,
        item_codes=(),
    )
    user = world.citizen.user
    # when / then: on the principal's page they are not listed, on the own page they are
    assert my_cases_page(user, acting=acting, after=None).intakes == []
    own = my_cases_page(user, acting=None, after=None).intakes
    assert {i.submission_key for i in own} == {"list-key-000001", "list-key-000002"}
