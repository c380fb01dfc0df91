"""The process state holds the applicant's form (the case's process data): it is
stored SM4-encrypted, never in clear, and the process still runs from it. Migration
0002 encrypts the states already stored and reverses to the clear JSON."""

import gc

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

import pytest

from zhengwu.cases import services, workbench
from zhengwu.cases.constants import TaskStatus
from zhengwu.cases.tests.factories import (  # noqa: F401 (fixtures)
    CONTACT_FORM,
    World,
    apply,
    calendar_2026,
    world,
)
from zhengwu.workflows import engine, facade
from zhengwu.workflows.models import ProcessInstance

pytestmark = pytest.mark.django_db

BEFORE = "0001_process_definitions_and_instances"
AFTER = "0002_process_instance_state_encrypted"
MIGRATED_FORM = {"contact_name": "欧阳明华", "contact_mobile": "13912345678"}


def _raw_state(subject: str) -> str:
    table = ProcessInstance._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT state FROM {table} WHERE subject = %s", [subject])  # noqa: S608
        return str(cursor.fetchone()[0])


def test_accepted_case_process_state_is_encrypted_and_still_runs(world: World):  # noqa: F811
    # given a citizen's case, accepted: its process starts with the form as data
    case = apply(world.citizen.user, world.listing_a)
    case = services.case_accept(case_id=case.pk, acting_user=world.reviewer_a)
    subject = services.subject(case)
    assert facade.process_data(subject=subject)["form"] == CONTACT_FORM

    # then the state column holds ciphertext, without the applicant's mobile or name
    raw = _raw_state(subject)
    assert raw.startswith("sm4g1:")
    assert CONTACT_FORM["contact_mobile"] not in raw
    assert case.applicant_name not in raw and CONTACT_FORM["contact_name"] not in raw

    # when the process is read back from the database alone (caches dropped) and
    # the review task is completed
    engine._SPEC_CACHE.clear()
    gc.collect()
    review = case.tasks.get(status=TaskStatus.OPEN)
    workbench.task_complete(
        task_id=review.pk, acting_user=world.reviewer_a, outcome="pass"
    )

    # then the process moved on to the decision, its data kept, still encrypted
    assert [task.node for task in facade.ready_tasks(subject=subject)] == ["decide"]
    data = facade.process_data(subject=subject)
    assert data["form"] == CONTACT_FORM and data["outcome"] == "pass"
    assert ProcessInstance.objects.get(subject=subject).revision == 2
    raw = _raw_state(subject)
    assert raw.startswith("sm4g1:")
    assert CONTACT_FORM["contact_mobile"] not in raw


def _migrate(target: str):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([("workflows", target)])
    return executor.loader.project_state([("workflows", target)]).apps


@pytest.fixture
def latest_schema_after():
    """Leaves the database migrated to the latest state, even if the test fails."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_migration_encrypts_existing_states_and_reverses(latest_schema_after):
    # given a running process whose state was stored in clear (before 0002)
    tasks = facade.start(
        subject="case:old", template="single", data={"form": MIGRATED_FORM}
    )
    old = _migrate(BEFORE)
    assert MIGRATED_FORM["contact_mobile"] in _raw_state("case:old")
    clear = old.get_model("workflows", "ProcessInstance").objects.get().state
    assert clear["definition"] == {"key": "single", "version": 1}

    # when the migration runs
    _migrate(AFTER)

    # then the column is ciphertext and the process goes on from it
    raw = _raw_state("case:old")
    assert raw.startswith("sm4g1:") and MIGRATED_FORM["contact_mobile"] not in raw
    remaining = facade.complete_task(
        subject="case:old", task_id=tasks[0].task_id, data={"outcome": "pass"}
    )
    assert [task.node for task in remaining] == ["decide"]

    # and reversed, the column is the clear JSON the process still loads from
    old = _migrate(BEFORE)
    state = old.get_model("workflows", "ProcessInstance").objects.get().state
    assert MIGRATED_FORM["contact_mobile"] in state["workflow"]
    _migrate(AFTER)
    assert facade.process_data(subject="case:old")["form"] == MIGRATED_FORM
