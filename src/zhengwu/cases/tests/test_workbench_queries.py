"""The inbox reads a fixed number of statements whatever the number of rows: one page
of tasks with the columns a row shows (its case, organisation and assignee in the
same statement), one statement of tab counts; reading a row's shown fields afterwards
never goes back to the database."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

import pytest

from zhengwu.cases.constants import TaskStatus
from zhengwu.cases.models import CaseTask
from zhengwu.cases.tests.factories import CaseFactory, World
from zhengwu.cases.tests.test_api import bearer
from zhengwu.cases.workbench import inbox

pytestmark = pytest.mark.django_db

API = "/api/v1/cases"


def add_tasks(world: World, count: int, *, first_day: int = 1) -> list[CaseTask]:
    """``count`` live tasks of department A, one per accepted case: in turn open,
    claimed by reviewer A, claimed by approver A."""
    today = datetime.date(2026, 11, 27)
    assignees = [None, world.reviewer_a, world.approver_a]
    tasks = []
    for n in range(count):
        case = CaseFactory(
            accepted=True,
            organisation=world.org_a,
            applicant=world.citizen.user,
            due_on=today + datetime.timedelta(days=first_day + n),
        )
        assignee = assignees[n % 3]
        tasks.append(
            CaseTask.objects.create(
                case=case,
                node="review",
                name="审查",
                role="reviewer",
                organisation=world.org_a,
                division=case.division,
                status=TaskStatus.CLAIMED if assignee else TaskStatus.OPEN,
                assignee=assignee,
                due_on=case.due_on,
            )
        )
    return tasks


def fresh(user):
    """The user as a new request loads it: no staff scope cached yet."""
    return type(user).objects.get(pk=user.pk)


def shown(task: CaseTask) -> tuple:
    """Every field an inbox row shows (the workbench page and the API's list)."""
    case, organisation, assignee = task.case, task.organisation, task.assignee
    return (
        task.pk,
        task.case_id,
        task.node,
        task.name,
        task.role,
        task.status,
        task.get_status_display(),
        task.assignee_id,
        task.due_on,
        task.claimed_at,
        task.created_at,
        case.number,
        case.item_name,
        case.get_status_display(),
        case.deadline_state,
        task.organisation_id,
        organisation.name,
        assignee and (assignee.get_full_name() or assignee.username),
    )


def test_the_inbox_reads_the_same_statements_for_two_rows_or_twenty(world: World):
    # given two live tasks of department A
    add_tasks(world, 2)
    with CaptureQueriesContext(connection) as few:
        small = inbox(fresh(world.reviewer_a), limit=20)
    # when thirty more arrive and the reviewer reads a full page of twenty
    add_tasks(world, 30, first_day=10)
    with CaptureQueriesContext(connection) as many:
        full = inbox(fresh(world.reviewer_a), limit=20)
    # then the page costs the same statements either way
    assert (len(small.tasks), len(full.tasks)) == (2, 20)
    assert len(many.captured_queries) == len(few.captured_queries)
    assert (small.counts["open"], full.counts["open"]) == (1, 11)
    # and reading what each row shows goes back to the database not once
    with CaptureQueriesContext(connection) as rows:
        values = [shown(task) for task in full.tasks]
    assert rows.captured_queries == []
    # and the values are the rows' own, as a whole row read would give them
    assert values == [
        shown(
            CaseTask.objects.select_related("case", "organisation", "assignee").get(
                pk=task.pk
            )
        )
        for task in full.tasks
    ]
    assert {task.assignee_id for task in full.tasks} == {
        None,
        world.reviewer_a.pk,
        world.approver_a.pk,
    }


def test_the_inbox_page_selects_only_the_shown_columns(world: World):
    # given a live task
    add_tasks(world, 1)
    # when the reviewer reads the inbox
    with CaptureQueriesContext(connection) as captured:
        inbox(fresh(world.reviewer_a), limit=20)
    # then the page statement leaves out the case's form data and encrypted
    # contact, and the task's process state
    [page_sql] = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith('SELECT "cases_casetask"."id"')
    ]
    for column in ("form_data", "contact_mobile", "outcome", "workflow_task_id"):
        assert column not in page_sql


def test_the_api_task_list_reads_the_same_statements_for_two_rows_or_twenty(
    client, world: World
):
    # given two live tasks and reviewer A's token
    add_tasks(world, 2)
    headers = bearer(world.reviewer_a)
    with CaptureQueriesContext(connection) as few:
        small = client.get(f"{API}/tasks", headers=headers)
    # when thirty more arrive
    tasks = add_tasks(world, 30, first_day=10)
    with CaptureQueriesContext(connection) as many:
        full = client.get(f"{API}/tasks", headers=headers)
    # then a page of twenty costs what a page of two did
    assert small.status_code == full.status_code == 200
    assert (len(small.json()["items"]), len(full.json()["items"])) == (2, 20)
    assert len(many.captured_queries) == len(few.captured_queries)
    # and each item carries its task's values
    by_id = {t.pk: t for t in tasks}
    items = [i for i in full.json()["items"] if i["id"] in by_id]
    assert items
    for item in items:
        task = CaseTask.objects.select_related("case", "organisation").get(
            pk=item["id"]
        )
        assert item["case_number"] == task.case.number
        assert item["item_name"] == task.case.item_name
        assert item["organisation"] == {
            "id": world.org_a.pk,
            "name": world.org_a.name,
        }
        assert item["status"] == task.status
        assert item["assignee_id"] == task.assignee_id
        assert item["is_mine"] == (task.assignee_id == world.reviewer_a.pk)
        assert item["deadline_state"] == task.case.deadline_state
        assert item["due_on"] == task.due_on.isoformat()
