"""The shipped templates end to end, persistence across reloads, and the optimistic
lock."""

import gc
import json

import pytest

from zhengwu.workflows import engine, facade
from zhengwu.workflows.errors import WorkflowConflictError
from zhengwu.workflows.models import ProcessDefinition, ProcessInstance

pytestmark = pytest.mark.django_db


def only(tasks, node):
    matching = [task for task in tasks if task.node == node]
    assert len(matching) == 1, tasks
    return matching[0]


def test_templates_load_idempotently(templates):
    # given the templates loaded once (fixture)
    count = ProcessDefinition.objects.count()
    # when loaded again
    added = facade.ensure_templates()
    # then nothing changes
    assert added == {"processes": 0, "decisions": 0}
    assert ProcessDefinition.objects.count() == count == 3
    assert set(ProcessDefinition.objects.values_list("source", flat=True)) == {
        "template"
    }


def test_single_approve_runs_review_decide_issue_deliver():
    # when a single-department case starts (templates load lazily)
    tasks = facade.start(
        subject="case:1", template="single", data={"form": {"name": "张三"}}
    )
    # then the reviewer reviews
    review = only(tasks, "review")
    assert (review.name, review.role, review.branch) == ("审查", "reviewer", "")
    assert review.data["form"] == {"name": "张三"}

    tasks = facade.complete_task(
        subject="case:1",
        task_id=review.task_id,
        data={"outcome": "pass", "opinion": "材料齐全"},
    )
    decide = only(tasks, "decide")
    assert (decide.name, decide.role) == ("决定", "decider")

    tasks = facade.complete_task(
        subject="case:1",
        task_id=decide.task_id,
        data={"outcome": "approve", "opinion": "准予"},
    )
    issue = only(tasks, "issue")
    assert (issue.name, issue.role) == ("制证", "issuer")

    tasks = facade.complete_task(subject="case:1", task_id=issue.task_id, data={})
    deliver = only(tasks, "deliver")
    assert (deliver.name, deliver.role) == ("送达", "dispatcher")
    assert not facade.is_completed(subject="case:1")

    tasks = facade.complete_task(
        subject="case:1", task_id=deliver.task_id, data={"opinion": "已邮寄"}
    )
    assert tasks == []
    assert facade.is_completed(subject="case:1")
    data = facade.process_data(subject="case:1")
    assert data["results"]["decide"] == {"outcome": "approve", "opinion": "准予"}
    assert data["results"]["review"]["opinion"] == "材料齐全"
    assert data["form"] == {"name": "张三"}


def test_single_deny_skips_issuing_and_goes_to_delivery():
    tasks = facade.start(subject="case:2", template="single", data={"form": {}})
    tasks = facade.complete_task(
        subject="case:2",
        task_id=only(tasks, "review").task_id,
        data={"outcome": "pass"},
    )
    # when the decider denies
    tasks = facade.complete_task(
        subject="case:2",
        task_id=only(tasks, "decide").task_id,
        data={"outcome": "deny", "opinion": "不符合条件"},
    )
    # then the decision is delivered without 制证
    assert [task.node for task in tasks] == ["deliver"]
    facade.complete_task(subject="case:2", task_id=tasks[0].task_id, data={})
    assert facade.is_completed(subject="case:2")
    assert "issue" not in facade.process_data(subject="case:2")["results"]


def test_single_return_sends_the_case_back_to_review():
    tasks = facade.start(subject="case:3", template="single", data={"form": {}})
    tasks = facade.complete_task(
        subject="case:3",
        task_id=only(tasks, "review").task_id,
        data={"outcome": "pass"},
    )
    # when the decider returns it
    tasks = facade.complete_task(
        subject="case:3",
        task_id=only(tasks, "decide").task_id,
        data={"outcome": "return", "opinion": "请补充核查"},
    )
    # then it is reviewed again, then decided again
    review = only(tasks, "review")
    tasks = facade.complete_task(
        subject="case:3", task_id=review.task_id, data={"outcome": "pass"}
    )
    assert [task.node for task in tasks] == ["decide"]


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_parallel_departments_review_in_either_order_then_decide_jointly(order):
    # given a parallel case over two departments (organisation pks)
    subject = f"case:parallel-{order[0]}"
    tasks = facade.start(
        subject=subject, template="parallel", data={"form": {}, "departments": [12, 34]}
    )
    # then each department has its branch of 部门并联审查
    assert sorted(task.branch for task in tasks) == ["12", "34"]
    assert {(task.node, task.name, task.role) for task in tasks} == {
        ("department_review", "部门并联审查", "reviewer")
    }
    first, second = (sorted(tasks, key=lambda task: task.branch)[i] for i in order)

    # when one department finishes, the other is still pending
    remaining = facade.complete_task(
        subject=subject,
        task_id=first.task_id,
        data={"outcome": "pass", "opinion": f"部门{first.branch}同意"},
    )
    assert [(task.node, task.branch) for task in remaining] == [
        ("department_review", second.branch)
    ]
    # and after both, the joint decision is ready
    tasks = facade.complete_task(
        subject=subject,
        task_id=second.task_id,
        data={"outcome": "pass", "opinion": f"部门{second.branch}同意"},
    )
    joint = only(tasks, "joint_decide")
    assert (joint.name, joint.role, joint.branch) == ("联合决定", "decider", "")
    assert set(joint.data["results"]) == {
        "department_review:12",
        "department_review:34",
    }

    tasks = facade.complete_task(
        subject=subject, task_id=joint.task_id, data={"outcome": "approve"}
    )
    assert [task.node for task in tasks] == ["issue"]


def test_parallel_return_reviews_again_in_every_department():
    tasks = facade.start(
        subject="case:p-return", template="parallel", data={"departments": [5, 6]}
    )
    for task in tasks:
        ready = facade.complete_task(
            subject="case:p-return", task_id=task.task_id, data={"outcome": "pass"}
        )
    # when the joint decision returns the case
    tasks = facade.complete_task(
        subject="case:p-return",
        task_id=only(ready, "joint_decide").task_id,
        data={"outcome": "return"},
    )
    # then both departments review again
    assert sorted((task.node, task.branch) for task in tasks) == [
        ("department_review", "5"),
        ("department_review", "6"),
    ]


def test_instant_template_decided_by_rule_completes_at_start():
    tasks = facade.start(
        subject="case:instant-auto", template="instant", data={"outcome": "approve"}
    )
    assert tasks == []
    assert facade.is_completed(subject="case:instant-auto")


def test_instant_template_otherwise_has_one_decision_task():
    tasks = facade.start(subject="case:instant", template="instant", data={})
    assert [(task.node, task.role) for task in tasks] == [("decide", "decider")]
    facade.complete_task(
        subject="case:instant", task_id=tasks[0].task_id, data={"outcome": "approve"}
    )
    assert facade.is_completed(subject="case:instant")


def test_start_is_idempotent_per_subject():
    first = facade.start(subject="case:again", template="single", data={})
    second = facade.start(subject="case:again", template="single", data={})
    assert [task.task_id for task in first] == [task.task_id for task in second]
    assert ProcessInstance.objects.filter(subject="case:again").count() == 1


def test_state_survives_a_restart():
    # given a started process
    tasks = facade.start(
        subject="case:restart", template="parallel", data={"departments": [1, 2]}
    )
    task_id = tasks[0].task_id
    # when every Python object is dropped (caches included) and the state is
    # read back from the database
    engine._SPEC_CACHE.clear()
    del tasks
    gc.collect()
    instance = ProcessInstance.objects.get(subject="case:restart")
    assert json.loads(instance.state)["definition"] == {
        "key": "parallel",
        "version": 1,
    }
    assert instance.definition.version == 1
    # then the process continues where it was
    remaining = facade.complete_task(
        subject="case:restart", task_id=task_id, data={"outcome": "pass"}
    )
    assert [task.node for task in remaining] == ["department_review"]
    assert ProcessInstance.objects.get(subject="case:restart").revision == 2


def test_a_concurrent_write_is_refused_by_the_optimistic_lock():
    # given two writers that both read the process at revision 1
    tasks = facade.start(
        subject="case:race", template="parallel", data={"departments": [1, 2]}
    )
    instance = ProcessInstance.objects.get(subject="case:race")
    stale = facade._load(instance)
    stale_task = facade._ready_task(stale, tasks[1].task_id)
    facade._complete(stale, stale_task, {"outcome": "pass"})
    # when the first writer saves
    facade.complete_task(
        subject="case:race", task_id=tasks[0].task_id, data={"outcome": "pass"}
    )
    # then the second one's save is refused (409), and the saved state is the first's
    with pytest.raises(WorkflowConflictError) as refused:
        facade._save(instance, instance.revision, stale)
    assert refused.value.code == "workflows.conflict"
    assert refused.value.status == 409
    ready = facade.ready_tasks(subject="case:race")
    assert [task.task_id for task in ready] == [tasks[1].task_id]


def test_unknown_or_finished_task_is_not_found():
    tasks = facade.start(subject="case:nf", template="single", data={})
    with pytest.raises(facade.WorkflowTaskNotFoundError) as missing:
        facade.complete_task(subject="case:nf", task_id="nope", data={})
    assert missing.value.code == "workflows.task_not_found"
    assert missing.value.status == 404
    facade.complete_task(subject="case:nf", task_id=tasks[0].task_id, data={})
    with pytest.raises(facade.WorkflowTaskNotFoundError):
        facade.complete_task(subject="case:nf", task_id=tasks[0].task_id, data={})


def test_a_condition_failing_at_run_time_is_a_domain_error_and_saves_nothing():
    # given the parallel template started without a list of departments
    with pytest.raises(facade.WorkflowRuntimeError) as failed:
        facade.start(subject="case:bad", template="parallel", data={"departments": 5})
    assert failed.value.code == "workflows.step_failed"
    assert not ProcessInstance.objects.filter(subject="case:bad").exists()


@pytest.mark.parametrize("data", [[1], {"x": object()}, {"x": float("nan")}])
def test_data_must_be_a_json_object(data):
    with pytest.raises(facade.WorkflowInvalidError):
        facade.start(subject="case:json", template="single", data=data)


def test_unknown_definition_is_not_found():
    with pytest.raises(facade.WorkflowNotFoundError):
        facade.start(subject="case:x", definition_key="no-such-model", data={})
    assert not facade.definition_exists("no-such-model")
    assert facade.definition_exists("single")


def test_state_keeps_tasks_not_the_spec_and_older_serializations_still_load():
    # given a started process
    tasks = facade.start(subject="case:old", template="single", data={})
    instance = ProcessInstance.objects.get(subject="case:old")
    # then its state holds the tasks and data (as JSON text, whose key order
    # PostgreSQL keeps), the spec comes from the definition
    document = json.loads(instance.state)
    stored = json.loads(document["workflow"])
    assert "spec" not in stored and "tasks" in stored
    assert stored["serializer_version"] == "1.5"
    # when the state was written by an older SpiffWorkflow serializer
    stored["serializer_version"] = "1.4"
    document["workflow"] = json.dumps(stored)
    instance.state = json.dumps(document)
    instance.save(update_fields=["state"])
    # then SpiffWorkflow's migrations upgrade it with the spec given back
    assert [task.task_id for task in facade.ready_tasks(subject="case:old")] == [
        tasks[0].task_id
    ]


def test_load_process_templates_command_is_idempotent():
    from io import StringIO

    from django.core.management import call_command

    # when the command runs twice
    first, second = StringIO(), StringIO()
    call_command("load_process_templates", stdout=first)
    call_command("load_process_templates", stdout=second)
    # then the first stores three templates and the sample table, the second nothing
    assert "3 process versions, 1 decision versions added" in first.getvalue()
    assert "0 process versions, 0 decision versions added" in second.getvalue()
    assert sorted(ProcessDefinition.objects.values_list("key", flat=True)) == [
        "instant",
        "parallel",
        "single",
    ]
