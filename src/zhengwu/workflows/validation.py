"""Validation of uploaded BPMN and DMN documents.

A process model is accepted only when it parses safely (no DTD, no entities, at most
1 MB), passes the BPMN 2.0 schema, has exactly one executable process, uses only the
elements the platform runs (no service tasks, call activities, timers, messages …),
places every user task in a lane named after a known role, and every gateway
condition, loop condition and script is accepted by the restricted evaluator. Each
refusal names the element id."""

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.utils.translation import gettext as _

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from . import engine, evaluator
from .errors import WorkflowInvalidError

ROLES = ("reviewer", "decider", "issuer", "dispatcher")

NS = {"bpmn": engine.BPMN_NS}

# BPMN elements (local names) the platform runs or tolerates as documentation.
ALLOWED_BPMN_ELEMENTS = {
    "definitions",
    "process",
    "collaboration",
    "participant",
    "laneSet",
    "lane",
    "childLaneSet",
    "flowNodeRef",
    "startEvent",
    "endEvent",
    "userTask",
    "manualTask",
    "task",
    "scriptTask",
    "script",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "sequenceFlow",
    "conditionExpression",
    "incoming",
    "outgoing",
    "documentation",
    "multiInstanceLoopCharacteristics",
    "loopDataInputRef",
    "inputDataItem",
    "loopCardinality",
    "completionCondition",
    "textAnnotation",
    "text",
    "association",
    "extensionElements",
    "category",
    "categoryValue",
    "group",
}
# Elements SpiffWorkflow accepts inside a task's extensions are ignored by the plain
# BpmnParser (no pre/post scripts run), so extensionElements is harmless.

HUMAN_TASKS = {"userTask", "manualTask"}

DMN_HIT_POLICIES = {"FIRST", "UNIQUE"}


@dataclass(frozen=True)
class ValidatedProcess:
    process_id: str
    name: str


@dataclass(frozen=True)
class ValidatedDecision:
    decision_id: str
    name: str


def _invalid(message: str, element_id: str = "") -> WorkflowInvalidError:
    fields = {"xml": [message]}
    return WorkflowInvalidError(
        "workflows.invalid_model", message, fields=fields, element_id=element_id
    )


def _root(xml: bytes) -> Any:
    if not isinstance(xml, bytes | bytearray):
        raise _invalid(_("请上传XML文件。"))
    try:
        return engine.parse_xml(bytes(xml))
    except engine.DocumentError as error:
        raise _invalid(str(error)) from error


@cache
def _bpmn_validator() -> BpmnValidator:
    return BpmnValidator()


@cache
def _dmn_validator(namespace: str) -> BpmnValidator:
    from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS

    return BpmnValidator(SCHEMAS[namespace])


def _local(element: Any) -> str:
    return etree.QName(element).localname


def _element_label(element: Any) -> str:
    element_id = element.get("id")
    name = _local(element)
    return f"{name}（id={element_id}）" if element_id else name


def validate_bpmn(xml: bytes) -> tuple[Any, ValidatedProcess]:
    """The parsed root and the one executable process; ``WorkflowInvalidError``
    naming the element otherwise."""
    root = _root(xml)
    if etree.QName(root).namespace != engine.BPMN_NS or _local(root) != "definitions":
        raise _invalid(_("不是BPMN 2.0文档（根元素应为 bpmn:definitions）。"))
    try:
        _bpmn_validator().validate(root)
    except ValidationException as error:
        raise _invalid(
            _("不符合BPMN 2.0规范（第%(line)s行）：%(reason)s")
            % {"line": error.line_number or "?", "reason": error}
        ) from error
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # comments
        if etree.QName(element).namespace != engine.BPMN_NS:
            continue  # diagram interchange and vendor extensions are not run
        if _local(element) not in ALLOWED_BPMN_ELEMENTS:
            raise _invalid(
                _(
                    "不支持的元素 %(element)s：平台只运行开始/结束事件、人工任务、脚本任务、网关和顺序流。"
                )
                % {"element": _element_label(element)},
                element.get("id", ""),
            )
    processes = [
        process
        for process in root.iterfind("bpmn:process", namespaces=NS)
        if process.get("isExecutable", "true") == "true"
    ]
    if len(processes) != 1:
        raise _invalid(
            _('文档应恰好包含一个可执行流程（isExecutable="true"），实际为%(n)s个。')
            % {"n": len(processes)}
        )
    process = processes[0]
    process_id = process.get("id", "")
    _check_lanes(process)
    _check_expressions(process)
    try:
        engine.parse_process(root, process_id)
    except ValidationException as error:
        element_id = getattr(error, "id", "") or ""
        raise _invalid(
            _("流程模型无法解析（元素 %(id)s）：%(reason)s")
            % {"id": element_id or "?", "reason": error},
            element_id,
        ) from error
    return root, ValidatedProcess(
        process_id=process_id, name=process.get("name") or process_id
    )


def _check_lanes(process: Any) -> None:
    lane_of: dict[str, str] = {}
    for lane in process.iterfind(".//bpmn:lane", namespaces=NS):
        for ref in lane.iterfind("bpmn:flowNodeRef", namespaces=NS):
            lane_of[(ref.text or "").strip()] = lane.get("name") or ""
    known = "、".join(ROLES)
    for element in process.iter():
        if not isinstance(element.tag, str) or _local(element) not in HUMAN_TASKS:
            continue
        element_id = element.get("id", "")
        role = lane_of.get(element_id)
        if role is None:
            raise _invalid(
                _("人工任务 %(id)s 不在任何泳道中；泳道名称应为办理角色（%(roles)s）。")
                % {"id": element_id, "roles": known},
                element_id,
            )
        if role not in ROLES:
            raise _invalid(
                _("人工任务 %(id)s 所在泳道“%(lane)s”不是办理角色（%(roles)s）。")
                % {"id": element_id, "lane": role, "roles": known},
                element_id,
            )


def _check_expressions(process: Any) -> None:
    checks = [
        ("bpmn:sequenceFlow/bpmn:conditionExpression", evaluator.check_expression),
        (
            ".//bpmn:multiInstanceLoopCharacteristics/bpmn:completionCondition",
            evaluator.check_expression,
        ),
        (
            ".//bpmn:multiInstanceLoopCharacteristics/bpmn:loopCardinality",
            evaluator.check_expression,
        ),
        (".//bpmn:scriptTask/bpmn:script", evaluator.check_script),
    ]
    for path, check in checks:
        for node in process.iterfind(path, namespaces=NS):
            owner = node.getparent()
            while owner is not None and not owner.get("id"):
                owner = owner.getparent()
            element_id = owner.get("id", "") if owner is not None else ""
            try:
                check(node.text or "")
            except evaluator.RestrictedExpressionError as error:
                raise _invalid(
                    _("元素 %(id)s 的表达式“%(text)s”不被接受：%(reason)s")
                    % {
                        "id": element_id,
                        "text": (node.text or "").strip()[:200],
                        "reason": error,
                    },
                    element_id,
                ) from error
    for task in process.iterfind(".//bpmn:scriptTask", namespaces=NS):
        if task.find("bpmn:script", namespaces=NS) is None:
            element_id = task.get("id", "")
            raise _invalid(
                _("脚本任务 %(id)s 没有脚本。") % {"id": element_id}, element_id
            )


def validate_dmn(xml: bytes) -> tuple[Any, ValidatedDecision]:
    """The parsed root and its one decision (a table with hit policy FIRST or
    UNIQUE whose every expression the restricted evaluator accepts)."""
    root = _root(xml)
    namespace = engine.dmn_namespace(root)
    if namespace not in engine.DMN_NAMESPACES or _local(root) != "definitions":
        raise _invalid(_("不是DMN文档（支持DMN 1.1、1.2、1.3）。"))
    try:
        _dmn_validator(namespace).validate(root)
    except ValidationException as error:
        raise _invalid(
            _("不符合DMN规范（第%(line)s行）：%(reason)s")
            % {"line": error.line_number or "?", "reason": error}
        ) from error
    ns = {"dmn": namespace}
    decisions = root.findall("dmn:decision", namespaces=ns)
    if len(decisions) != 1:
        raise _invalid(
            _("文档应恰好包含一个决策（decision），实际为%(n)s个。")
            % {"n": len(decisions)}
        )
    decision = decisions[0]
    decision_id = decision.get("id", "")
    tables = decision.findall("dmn:decisionTable", namespaces=ns)
    if len(tables) != 1:
        raise _invalid(
            _("决策 %(id)s 应恰好包含一个决策表。") % {"id": decision_id}, decision_id
        )
    table_element = tables[0]
    hit_policy = (table_element.get("hitPolicy") or "UNIQUE").upper()
    if hit_policy not in DMN_HIT_POLICIES:
        raise _invalid(
            _("决策表 %(id)s 的命中策略 %(policy)s 不受支持（只支持 FIRST、UNIQUE）。")
            % {"id": table_element.get("id", ""), "policy": hit_policy},
            table_element.get("id", ""),
        )
    try:
        table, _labels = engine.parse_decision(root)
    except (ValidationException, KeyError, IndexError) as error:
        raise _invalid(
            _("决策表无法解析：%(reason)s") % {"reason": error}, decision_id
        ) from error
    for table_input in table.inputs:
        if not table_input.expression:
            raise _invalid(
                _("输入 %(id)s 没有输入表达式。") % {"id": table_input.id},
                table_input.id,
            )
        _check_dmn(table_input.id, table_input.expression, evaluator.check_expression)
    for rule in table.rules:
        for entry in rule.inputEntries:
            for text in entry.lhs:
                if text is not None and text.strip():
                    _check_dmn(entry.id, text, engine.check_input_entry)
        for output_entry in rule.outputEntries:
            if output_entry.text:
                _check_dmn(
                    output_entry.id, output_entry.text, evaluator.check_expression
                )
    return root, ValidatedDecision(
        decision_id=decision_id, name=decision.get("name") or decision_id
    )


def _check_dmn(element_id: str, text: str, check: Any) -> None:
    try:
        check(text)
    except (evaluator.RestrictedExpressionError, SyntaxError) as error:
        reason = error.msg if isinstance(error, SyntaxError) else str(error)
        raise _invalid(
            _("元素 %(id)s 的表达式“%(text)s”不被接受：%(reason)s")
            % {"id": element_id, "text": text.strip()[:200], "reason": reason},
            element_id,
        ) from error
