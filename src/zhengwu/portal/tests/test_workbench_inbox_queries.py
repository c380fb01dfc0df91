"""The workbench inbox page reads a fixed number of statements whatever the number of
tasks and cases waiting for acceptance: a row never loads a field of its own."""

import datetime
import html
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

import pytest

from zhengwu.cases.models import Case
from zhengwu.cases.tests.factories import (
    CaseFactory,
    World,
    published_listing,
    seed_calendar_2026,
)
from zhengwu.cases.tests.test_workbench_queries import add_tasks
from zhengwu.identity.constants import StaffRole
from zhengwu.identity.tests.person_factories import make_citizen
from zhengwu.identity.tests.staff_factories import organisation, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def wb(db) -> World:
    seed_calendar_2026()
    org_a = organisation("沈阳市市场监督管理局", "210100")
    org_b = organisation("大连市公安局", "210200")
    return World(
        org_a=org_a,
        org_b=org_b,
        listing_a=published_listing(org_a),
        listing_b=published_listing(org_b),
        citizen=make_citizen("张三"),
        other_citizen=make_citizen("李四"),
        reviewer_a=staff_user("reviewer-a", (org_a, StaffRole.REVIEWER)),
        approver_a=staff_user("approver-a", (org_a, StaffRole.REVIEWER)),
        reviewer_b=staff_user("reviewer-b", (org_b, StaffRole.REVIEWER)),
        clerk_a=staff_user("clerk-a", (org_a, StaffRole.COUNTER_CLERK)),
        editor_a=staff_user("editor-a", (org_a, StaffRole.DEPARTMENT_EDITOR)),
    )


def waiting(wb: World, count: int) -> list[Case]:
    """``count`` cases of department A waiting for acceptance."""
    today = datetime.date(2026, 11, 27)
    return [
        CaseFactory(
            submitted=True,
            organisation=wb.org_a,
            applicant=wb.citizen.user,
            acceptance_due_on=today + datetime.timedelta(days=n % 5),
        )
        for n in range(count)
    ]


def test_the_inbox_page_reads_the_same_statements_for_two_rows_or_twenty(
    client, wb: World
):
    # given two overdue tasks and two cases waiting for acceptance in department A
    add_tasks(wb, 2, first_day=-60)
    waiting(wb, 2)
    client.force_login(wb.reviewer_a)
    page = "/workbench/?tab=overdue"
    client.get(page)  # the site's name is cached from the first page on
    with CaptureQueriesContext(connection) as few:
        small = client.get(page)
    # when thirty more of each arrive
    tasks = add_tasks(wb, 30, first_day=-50)
    cases = waiting(wb, 30)
    with CaptureQueriesContext(connection) as many:
        full = client.get(page)
    # then the page of twenty rows costs what the page of two did, but for the
    # count of a waiting queue longer than its list (a short list is its count)
    assert small.status_code == full.status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries) + 1
    # and the rows show their tasks and cases: number, step, who holds it
    body = full.content.decode()
    assert body.count('class="result task-row"') == 20 + 20
    shown = [t for t in tasks if t.case.number in body]
    assert shown
    assert "办理人：approver-a" in body  # a colleague's claimed task
    assert "办理人：我" in body  # my claimed task
    assert "待认领" in body
    assert sum(c.number in body for c in cases) == 20 - 2  # the two earlier ones too
    # and the waiting queue's count, counted or (short) taken from the list
    assert '待受理 <span class="count-pill">32</span>' in body
    assert '待受理 <span class="count-pill">2</span>' in small.content.decode()


def test_load_more_appends_the_next_rows_without_the_page_around_them(
    client, wb: World
):
    # given 25 overdue tasks and a case waiting for acceptance in department A
    tasks = add_tasks(wb, 25, first_day=-60)
    waiting(wb, 1)
    client.force_login(wb.reviewer_a)
    first = client.get("/workbench/?tab=overdue")
    assert first.status_code == 200
    body = first.content.decode()
    [next_url] = re.findall(r'hx-get="([^"]+)"', body)
    next_url = html.unescape(next_url)
    # when the reviewer asks for more (htmx appends to the list)
    with CaptureQueriesContext(connection) as captured:
        more = client.get(
            next_url, headers={"HX-Request": "true", "HX-Target": "wb-tasks"}
        )
    # then the last five rows come with the pager, not the tabs or the
    # acceptance queue (not read either)
    assert more.status_code == 200
    part = more.content.decode()
    assert part.count('class="result task-row"') == 5
    assert all(t.case.number in part for t in tasks[20:])
    assert 'id="accept-title"' not in part and "count-pill" not in part
    assert 'id="wb-pager"' in part
    sql = " ".join(q["sql"] for q in captured.captured_queries)
    assert "COUNT(" not in sql.upper()
    assert '"cases_case"."applicant_name"' not in sql
