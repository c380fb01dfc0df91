"""Two staff members completing the two branches of one parallel process at the same
moment: no write is lost (PostgreSQL, threads)."""

import threading

from django.db import connection, transaction

import pytest

from zhengwu.workflows import facade
from zhengwu.workflows.errors import WorkflowConflictError
from zhengwu.workflows.models import ProcessInstance

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_completions_never_lose_a_write():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    # given a parallel process with two department branches
    tasks = facade.start(
        subject="case:together", template="parallel", data={"departments": [1, 2]}
    )
    barrier = threading.Barrier(len(tasks))
    done, conflicts, failures = [], [], []

    def complete(task_id):
        try:
            barrier.wait()
            with transaction.atomic():
                facade.complete_task(
                    subject="case:together", task_id=task_id, data={"outcome": "pass"}
                )
            done.append(task_id)
        except WorkflowConflictError:
            conflicts.append(task_id)
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)
        finally:
            connection.close()

    # when both branches are completed at once
    threads = [
        threading.Thread(target=complete, args=(task.task_id,)) for task in tasks
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then every completion either landed or was refused as a conflict, and the
    # stored process holds exactly the ones that landed
    assert not failures
    assert len(done) + len(conflicts) == 2
    instance = ProcessInstance.objects.get(subject="case:together")
    assert instance.revision == 1 + len(done)
    ready = facade.ready_tasks(subject="case:together")
    if len(done) == 2:
        assert [task.node for task in ready] == ["joint_decide"]
    else:
        assert [task.task_id for task in ready] == conflicts
