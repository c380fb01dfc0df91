"""The only import surface of ``workflows``: run BPMN processes and DMN decisions for
a subject (``"case:<pk>"``) without knowing SpiffWorkflow.

A process instance's state (SpiffWorkflow's serialized workflow, as JSON text) lives
SM4-encrypted in ``ProcessInstance.state`` with the definition version it started on,
so it survives restarts; every write names the revision it read (optimistic lock). Gateway
conditions, scripts and DMN entries run in the restricted evaluator
(``workflows.evaluator``), never in Python's ``eval``.

Data conventions (docs/workflows.md): start data ``{"form": {...}, "departments":
[org pks], ...}``; completion data ``{"outcome": "approve"|"deny"|"pass"|"return",
"opinion": str}``. Gateways test ``outcome``. Each completion is also kept under
``results[<node>]`` (``results["<node>:<branch>"]`` in a multi-instance branch)."""

import copy
import json
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

import structlog
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

from . import engine, evaluator
from .errors import (
    WorkflowConflictError,
    WorkflowInvalidError,
    WorkflowNotFoundError,
    WorkflowRuntimeError,
    WorkflowTaskNotFoundError,
)
from .models import DecisionTable, ProcessDefinition, ProcessInstance
from .services import (
    PROCESS_TEMPLATES,
    DefinitionInfo,
    decision_upload,
    definition_upload,
    ensure_templates,
)

__all__ = [
    "Decision",
    "DefinitionInfo",
    "ReadyTask",
    "complete_task",
    "decide",
    "definition_exists",
    "ensure_templates",
    "is_completed",
    "process_data",
    "ready_tasks",
    "start",
    "upload_decision",
    "upload_definition",
]

logger = structlog.get_logger(__name__)

MAX_DATA_BYTES = 256 * 1024
DEFAULT_DATA = {"outcome": "", "opinion": ""}


@dataclass(frozen=True)
class ReadyTask:
    task_id: str
    node: str  # BPMN element id, e.g. "review"
    name: str  # its Chinese name, e.g. "审查"
    role: str  # the lane: "reviewer" | "decider" | "issuer" | "dispatcher"
    branch: str  # "" or, in a multi-instance branch, its item (organisation pk)
    data: dict[str, Any]


@dataclass(frozen=True)
class Decision:
    matched: bool
    outputs: dict[str, Any]
    rule_id: str
    rule_label: str


# --- process instances ------------------------------------------------------------


def _json_data(data: Any, field: str) -> dict[str, Any]:
    """A deep copy of ``data`` through JSON: a dict of JSON values, bounded."""
    if not isinstance(data, dict):
        raise WorkflowInvalidError(
            "workflows.invalid_data",
            _("数据应为对象。"),
            fields={field: [_("应为对象。")]},
        )
    try:
        text = json.dumps(data, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise WorkflowInvalidError(
            "workflows.invalid_data",
            _("数据只能包含文本、数字、列表和对象。"),
            fields={field: [_("只能包含文本、数字、列表和对象。")]},
        ) from error
    if len(text.encode()) > MAX_DATA_BYTES:
        raise WorkflowInvalidError(
            "workflows.invalid_data",
            _("数据过大。"),
            fields={field: [_("不能超过256KB。")]},
        )
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _latest_definition(key: str) -> ProcessDefinition | None:
    return ProcessDefinition.objects.filter(key=key).order_by("-version").first()


def _run_engine(workflow: Any, action: Any) -> None:
    """Run ``action`` and the engine steps after it; a failing condition or script
    becomes a DomainError (nothing is saved, the caller's transaction rolls back)."""
    try:
        action()
        workflow.do_engine_steps()
    except (
        SpiffWorkflowException,
        evaluator.RestrictedExpressionError,
        # SpiffWorkflow's own code on data of the wrong shape (a multi-instance over
        # a number instead of a list, ...)
        TypeError,
        ValueError,
        KeyError,
        IndexError,
    ) as error:
        task_spec = getattr(error, "task_spec", None)
        element = getattr(task_spec, "bpmn_id", "") or ""
        cause = _reason(error)
        logger.warning("workflow_step_failed", element=element, error=str(cause))
        raise WorkflowRuntimeError(
            "workflows.step_failed",
            _("流程环节 %(element)s 无法继续：%(reason)s")
            % {"element": element or "?", "reason": cause},
            element_id=element,
        ) from error


def _reason(error: BaseException) -> str:
    """The evaluator's own (Chinese) message when it is behind SpiffWorkflow's
    wrapping exception, else the error's text."""
    seen: BaseException | None = error
    for _depth in range(10):
        if seen is None:
            break
        if isinstance(seen, evaluator.RestrictedExpressionError):
            return str(seen)
        seen = seen.__cause__ or seen.__context__
    return str(error)


def _ready(workflow: Any) -> list[ReadyTask]:
    tasks = []
    for task in workflow.get_tasks(state=TaskState.READY, manual=True):
        spec = task.task_spec
        tasks.append(
            ReadyTask(
                task_id=str(task.id),
                node=spec.bpmn_id or spec.name,
                name=spec.bpmn_name or spec.bpmn_id or spec.name,
                role=spec.lane or "",
                branch=_branch(task),
                data=copy.deepcopy(task.data),
            )
        )
    return tasks


def _branch(task: Any) -> str:
    parent = task.parent
    if parent is None or not isinstance(parent.task_spec, MultiInstanceTask):
        return ""
    spec = parent.task_spec
    if spec.input_item is not None and spec.input_item.exists(task):
        return str(spec.input_item.get(task))
    item = task.internal_data.get("item", task.internal_data.get("key_or_index", ""))
    return str(item)


def _state(definition: ProcessDefinition, workflow: Any) -> str:
    """The JSON text stored (encrypted) in ``ProcessInstance.state``."""
    return json.dumps(
        {
            "definition": {"key": definition.key, "version": definition.version},
            "workflow": engine.dump_workflow(workflow),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _load(instance: ProcessInstance) -> Any:
    definition = instance.definition
    spec, subprocess_specs = engine.process_spec(
        definition.sm3, definition.bpmn_xml, definition.process_id
    )
    stored: dict[str, Any] = json.loads(instance.state)  # keeps the text's key order
    return engine.load_workflow(stored["workflow"], spec, subprocess_specs)


def _instance(subject: str) -> ProcessInstance:
    instance = (
        ProcessInstance.objects.select_related("definition")
        .filter(subject=subject)
        .first()
    )
    if instance is None:
        raise WorkflowNotFoundError(
            "workflows.instance_not_found",
            _("该办件没有流程。"),
            subject=subject,
        )
    return instance


def start(
    *, subject: str, template: str = "", definition_key: str = "", data: dict
) -> list[ReadyTask]:
    """Start the latest version of ``definition_key`` (an uploaded model) or of the
    shipped ``template`` ("instant", "single", "parallel") for ``subject`` and run it
    up to its first human tasks. Idempotent: a subject that already has a process
    gets its current ready tasks back."""
    key = definition_key or template
    if not key:
        raise WorkflowInvalidError(
            "workflows.invalid_data",
            _("请指定流程模板或流程模型。"),
            fields={"template": [_("必填。")]},
        )
    existing = ProcessInstance.objects.filter(subject=subject).first()
    if existing is not None:
        return ready_tasks(subject=subject)
    start_data = {**DEFAULT_DATA, **_json_data(data, "data")}
    definition = _latest_definition(key)
    if definition is None and not definition_key and template in PROCESS_TEMPLATES:
        ensure_templates()
        definition = _latest_definition(key)
    if definition is None:
        raise WorkflowNotFoundError(
            "workflows.definition_not_found",
            _("流程模型“%(key)s”不存在。") % {"key": key},
            fields={
                "definition_key" if definition_key else "template": [_("不存在。")]
            },
        )
    spec, subprocess_specs = engine.process_spec(
        definition.sm3, definition.bpmn_xml, definition.process_id
    )
    workflow = engine.new_workflow(spec, subprocess_specs)

    def seed() -> None:
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(copy.deepcopy(start_data))

    _run_engine(workflow, seed)
    try:
        with transaction.atomic():
            ProcessInstance.objects.create(
                subject=subject,
                definition=definition,
                state=_state(definition, workflow),
                revision=1,
                is_completed=workflow.completed,
            )
    except IntegrityError:
        return ready_tasks(subject=subject)  # a concurrent start of the same subject
    logger.info(
        "workflow_started",
        subject=subject,
        key=definition.key,
        version=definition.version,
        completed=workflow.completed,
    )
    return _ready(workflow)


def ready_tasks(*, subject: str) -> list[ReadyTask]:
    instance = _instance(subject)
    return _ready(_load(instance))


def complete_task(*, subject: str, task_id: str, data: dict) -> list[ReadyTask]:
    """Complete one ready human task with ``data`` and run the process to its next
    human tasks. Raises ``workflows.task_not_found`` (404) for a task that is not
    ready, ``workflows.conflict`` (409) when another write to the process came
    between this one's read and write."""
    completion = _json_data(data, "data")
    instance = _instance(subject)
    workflow = _load(instance)
    task = _ready_task(workflow, task_id)
    _complete(workflow, task, completion)
    _save(instance, instance.revision, workflow)
    logger.info(
        "workflow_task_completed",
        subject=subject,
        node=task.task_spec.bpmn_id,
        completed=workflow.completed,
    )
    return _ready(workflow)


def _ready_task(workflow: Any, task_id: str) -> Any:
    for task in workflow.get_tasks(state=TaskState.READY, manual=True):
        if str(task.id) == str(task_id):
            return task
    raise WorkflowTaskNotFoundError(
        _("该流程环节不存在或已办理。"), task_id=str(task_id)
    )


def _complete(workflow: Any, task: Any, completion: dict[str, Any]) -> None:
    node = task.task_spec.bpmn_id or task.task_spec.name
    branch = _branch(task)
    parent_spec = task.parent.task_spec if task.parent is not None else None
    if isinstance(parent_spec, MultiInstanceTask) and parent_spec.input_item:
        # The branch item stays with the branch: merged into the parent it would make
        # a second round of the same multi-instance task (after a "return") fail.
        task.data.pop(parent_spec.input_item.bpmn_id, None)
    results = dict(task.data.get("results") or {})
    results[f"{node}:{branch}" if branch else node] = completion
    task.data.update(completion)
    task.data["results"] = results
    _run_engine(workflow, task.run)


def _save(instance: ProcessInstance, read_revision: int, workflow: Any) -> None:
    """Write the new state only if nobody wrote since ``read_revision`` was read."""
    with transaction.atomic():
        updated = ProcessInstance.objects.filter(
            pk=instance.pk, revision=read_revision
        ).update(
            state=_state(instance.definition, workflow),
            revision=F("revision") + 1,
            is_completed=workflow.completed,
            updated_at=timezone.now(),
        )
    if updated != 1:
        raise WorkflowConflictError(
            _("流程已被他人同时办理，请刷新后重试。"),
            subject=instance.subject,
            revision=read_revision,
        )


def is_completed(*, subject: str) -> bool:
    return _instance(subject).is_completed


def process_data(*, subject: str) -> dict:
    """The process data so far: at the end, the workflow's data; before, the data
    of every completed task merged in the order they completed (parallel branches
    merge)."""
    instance = _instance(subject)
    workflow = _load(instance)
    if workflow.completed:
        return copy.deepcopy(workflow.data)
    merged: dict[str, Any] = {}
    completed = sorted(
        workflow.get_tasks(state=TaskState.COMPLETED),
        key=lambda task: task.last_state_change,
    )
    for task in completed:
        DeepMerge.merge(merged, copy.deepcopy(task.data))
    return merged


# --- decisions ---------------------------------------------------------------------


class _DecisionTask:
    """What SpiffWorkflow's DMN engine needs of a task (also to build its error
    messages): data, a task spec, and a workflow with the restricted engine."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.task_spec = SimpleNamespace(bpmn_id="decision", bpmn_name="decision")
        self.workflow = SimpleNamespace(
            script_engine=engine.SCRIPT_ENGINE, spec=SimpleNamespace(file="")
        )
        self.workflow.top_workflow = self.workflow


def decide(*, decision_key: str, data: dict) -> Decision:
    """Evaluate the latest version of the decision table ``decision_key`` over
    ``data`` (``{"form": {...}, ...}``). Hit policy FIRST: the first rule whose every
    input entry holds; UNIQUE: that rule, and more than one match is no decision. A
    rule whose entries cannot be evaluated (a missing field, a wrong type) does not
    match, so an error never decides: the case goes to a person."""
    from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine

    table_row = (
        DecisionTable.objects.filter(key=decision_key).order_by("-version").first()
    )
    if table_row is None:
        raise WorkflowNotFoundError(
            "workflows.decision_not_found",
            _("决策表“%(key)s”不存在。") % {"key": decision_key},
        )
    table, labels = engine.decision_table(table_row.sm3, table_row.dmn_xml)
    task = _DecisionTask(_json_data(data, "data"))
    dmn = DMNEngine(table)
    matched = []
    for rule in table.rules:
        try:
            holds = all(
                dmn.evaluate(entry.input.expression, text, task)
                for entry in rule.inputEntries
                for text in entry.lhs
                if text is not None
            )
        except (SpiffWorkflowException, evaluator.RestrictedExpressionError) as error:
            logger.warning(
                "decision_rule_failed",
                decision=decision_key,
                rule=rule.id,
                error=_reason(error),
            )
            holds = False
        if holds:
            matched.append(rule)
            if table.hit_policy != "UNIQUE":
                break
    if len(matched) != 1:
        if len(matched) > 1:
            logger.warning(
                "decision_not_unique",
                decision=decision_key,
                rules=[rule.id for rule in matched],
            )
        return Decision(matched=False, outputs={}, rule_id="", rule_label="")
    rule = matched[0]
    try:
        outputs = dict(rule.output_as_dict(task))
    except (SpiffWorkflowException, evaluator.RestrictedExpressionError) as error:
        logger.warning("decision_output_failed", decision=decision_key, rule=rule.id)
        raise WorkflowRuntimeError(
            "workflows.step_failed",
            _("决策规则 %(rule)s 的输出无法计算：%(reason)s")
            % {"rule": rule.id, "reason": _reason(error)},
        ) from error
    return Decision(
        matched=True,
        outputs=json.loads(json.dumps(outputs, ensure_ascii=False)),
        rule_id=rule.id,
        rule_label=labels.get(rule.id) or rule.description or rule.id,
    )


# --- models --------------------------------------------------------------------------


def upload_definition(
    *, key: str, name: str, xml: bytes, acting_user
) -> DefinitionInfo:
    return definition_upload(key=key, name=name, xml=xml, acting_user=acting_user)


def upload_decision(*, key: str, name: str, xml: bytes, acting_user) -> DefinitionInfo:
    return decision_upload(key=key, name=name, xml=xml, acting_user=acting_user)


def definition_exists(key: str) -> bool:
    """Whether a process model of ``key`` can be started (the shipped templates
    always can: they are loaded on first use)."""
    return (
        key in PROCESS_TEMPLATES or ProcessDefinition.objects.filter(key=key).exists()
    )
