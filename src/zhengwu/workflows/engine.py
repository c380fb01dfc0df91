"""SpiffWorkflow glue: safe XML parsing, the restricted script engine, parsing of
process and decision models, and (de)serialization of running workflows.

Nothing outside ``workflows`` imports this module; the facade is the surface."""

import json
import re
from collections import ChainMap
from functools import cache
from typing import Any
from uuid import UUID

from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
from SpiffWorkflow.bpmn.script_engine import (
    BasePythonScriptEngineEnvironment,
    PythonScriptEngine,
)
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.dmn.parser.DMNParser import DMNParser
from SpiffWorkflow.dmn.specs.model import DecisionTable

from . import evaluator

MAX_DOCUMENT_BYTES = 1024 * 1024

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"

# DMN namespaces SpiffWorkflow's parser knows (1.1, 1.2, 1.3).
DMN_NAMESPACES = {
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
}

_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class DocumentError(Exception):
    """An uploaded document that cannot be parsed safely; the message is Chinese."""


def parse_xml(document: bytes) -> Any:
    """Parse untrusted XML: no DTD (so no entity expansion, no external entities,
    no billion laughs), no network, no huge trees. Returns the root element."""
    if len(document) > MAX_DOCUMENT_BYTES:
        raise DocumentError(
            f"文件过大（不能超过{MAX_DOCUMENT_BYTES // 1024 // 1024}MB）。"
        )
    if _DOCTYPE.search(document):
        raise DocumentError("文件不能包含 DOCTYPE 或实体声明。")
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(document, parser=parser)  # noqa: S320 - hardened parser above
    except etree.XMLSyntaxError as error:
        raise DocumentError(f"不是有效的XML文档：{error.msg}。") from error
    if root is None:
        raise DocumentError("不是有效的XML文档。")
    return root


# --- the restricted script engine ---------------------------------------------------


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates with :mod:`workflows.evaluator` instead of ``eval``/``exec``."""

    def evaluate(
        self,
        expression: str,
        context: dict[str, Any],
        external_context: dict[str, Any] | None = None,
    ) -> Any:
        names = ChainMap(context, external_context or {})
        return evaluator.evaluate(expression, names)

    def execute(
        self,
        script: str,
        context: dict[str, Any],
        external_context: dict[str, Any] | None = None,
    ) -> bool:
        evaluator.execute(script, context)
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        raise evaluator.RestrictedExpressionError("不支持服务任务。")


class RestrictedScriptEngine(PythonScriptEngine):
    def __init__(self) -> None:
        super().__init__(environment=RestrictedEnvironment())

    def validate(self, expression: str) -> None:
        # SyntaxError for text that is not an expression (the DMN engine relies on
        # it), RestrictedExpressionError for anything outside the whitelist.
        evaluator.compile_expression(expression)


SCRIPT_ENGINE = RestrictedScriptEngine()


# --- process models ---------------------------------------------------------------


_SPEC_CACHE: dict[tuple[str, str], tuple[BpmnProcessSpec, dict[str, Any]]] = {}


def parse_process(root: Any, process_id: str) -> tuple[BpmnProcessSpec, dict[str, Any]]:
    """The workflow spec (and subprocess specs) of ``process_id`` in the document;
    raises SpiffWorkflow's ``ValidationException``."""
    parser = BpmnParser()
    parser.add_bpmn_xml(root, filename=process_id)
    spec = parser.get_spec(process_id)
    return spec, parser.get_subprocess_specs(process_id)


def process_spec(
    digest: str, bpmn_xml: str, process_id: str
) -> tuple[BpmnProcessSpec, dict[str, Any]]:
    """The parsed spec of a stored definition, cached by the document's digest (the
    cache is content-addressed, so it can never serve another document)."""
    key = (digest, process_id)
    if key not in _SPEC_CACHE:
        root = parse_xml(bpmn_xml.encode())
        _SPEC_CACHE[key] = parse_process(root, process_id)
    return _SPEC_CACHE[key]


def new_workflow(spec: BpmnProcessSpec, subprocess_specs: dict[str, Any]) -> Any:
    return BpmnWorkflow(spec, subprocess_specs, script_engine=SCRIPT_ENGINE)


_SERIALIZER = BpmnWorkflowSerializer()
VERSION_KEY = BpmnWorkflowSerializer.VERSION_KEY


def dump_workflow(workflow: Any) -> str:
    """The workflow's tasks and data as JSON text, without its spec: the spec is
    rebuilt from the (immutable) definition the instance points to, which keeps the
    stored state small and loading fast.

    Text, not a JSON object: SpiffWorkflow restores tasks in the order of its
    ``tasks`` mapping (a parent before its children), and PostgreSQL's ``jsonb``
    does not keep key order."""
    document: dict[str, Any] = json.loads(_SERIALIZER.serialize_json(workflow))
    document.pop("spec", None)
    document.pop("subprocess_specs", None)
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def load_workflow(
    stored: str | dict[str, Any],
    spec: BpmnProcessSpec,
    subprocess_specs: dict[str, Any],
) -> Any:
    """The workflow back from :func:`dump_workflow` and its definition's spec,
    running on the restricted engine (never on SpiffWorkflow's default ``eval``)."""
    # (a dict: state written before the text form, on SQLite where order was kept)
    document: dict[str, Any] = (
        json.loads(stored)
        if isinstance(stored, str)
        else json.loads(json.dumps(stored))
    )
    version = document.pop(VERSION_KEY, None)
    if version != _SERIALIZER.VERSION:
        # Written by another SpiffWorkflow version: give the document its spec back
        # and let SpiffWorkflow's own migrations upgrade it.
        document["spec"] = _SERIALIZER.to_dict(spec)
        document["subprocess_specs"] = {
            name: _SERIALIZER.to_dict(sub) for name, sub in subprocess_specs.items()
        }
        document[VERSION_KEY] = version
        workflow = _SERIALIZER.deserialize_json(json.dumps(document))
        workflow.script_engine = SCRIPT_ENGINE
        return workflow
    converter = _workflow_converter()
    workflow = BpmnWorkflow(
        spec, subprocess_specs, script_engine=SCRIPT_ENGINE, deserializing=True
    )
    workflow.tasks = converter.mapping_from_dict(
        document["tasks"], UUID, workflow=workflow
    )
    workflow.task_tree = workflow.tasks.get(UUID(document["root"]))
    converter.set_default_attributes(workflow, document)
    converter.subprocesses_from_dict(document.get("subprocesses", {}), workflow)
    workflow.bpmn_events = _SERIALIZER.registry.restore(document.pop("bpmn_events", []))
    return workflow


@cache
def _workflow_converter() -> Any:
    """SpiffWorkflow's converter of ``BpmnWorkflow`` (registered as a partial of its
    bound ``from_dict``)."""
    restore = _SERIALIZER.registry.convert_from_dict["BpmnWorkflow"]
    return restore.args[0].__self__


# --- decision tables --------------------------------------------------------------


def dmn_namespace(root: Any) -> str:
    return etree.QName(root).namespace or ""


_DMN_CACHE: dict[str, tuple[DecisionTable, dict[str, str]]] = {}


def parse_decision(root: Any) -> tuple[DecisionTable, dict[str, str]]:
    """The first decision's table and its rules' annotations (rule id → text, from
    ``annotationEntry`` or else ``description``). SpiffWorkflow's parser refuses the
    ``annotation`` column of DMN 1.2+, so it gets a copy without it."""
    namespace = dmn_namespace(root)
    nsmap = {"dmn": namespace}
    labels: dict[str, str] = {}
    for rule in root.iterfind(".//dmn:rule", namespaces=nsmap):
        texts = [
            (text.text or "").strip()
            for text in rule.iterfind("dmn:annotationEntry/dmn:text", namespaces=nsmap)
        ]
        description = rule.find("dmn:description", namespaces=nsmap)
        label = "；".join(text for text in texts if text)
        if not label and description is not None:
            label = (description.text or "").strip()
        labels[rule.get("id", "")] = label
    copy = etree.fromstring(etree.tostring(root))  # noqa: S320 - our own serialization
    for annotation in copy.iterfind(
        ".//dmn:decisionTable/dmn:annotation", namespaces=nsmap
    ):
        annotation.getparent().remove(annotation)
    for entry in copy.iterfind(".//dmn:rule/dmn:annotationEntry", namespaces=nsmap):
        entry.getparent().remove(entry)
    parser = DMNParser(None, copy, nsmap)
    parser.parse()
    return parser.decision.decisionTables[0], labels


def decision_table(table_pk: int, dmn_xml: str) -> tuple[DecisionTable, dict[str, str]]:
    if table_pk not in _DMN_CACHE:
        _DMN_CACHE[table_pk] = parse_decision(parse_xml(dmn_xml.encode()))
    return _DMN_CACHE[table_pk]


# The DMN engine's "?" placeholder (the input value), outside quotes.
DMN_PLACEHOLDER = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")


def check_input_entry(text: str) -> None:
    """Refuse an input entry the DMN engine would build a refused expression from:
    ``"辽宁省"`` (compared with ``==``), ``>= 60`` (appended to the input), or one
    using ``?`` for the input value."""
    replaced = DMN_PLACEHOLDER.sub("dmninputexpr", text)
    if "dmninputexpr" in replaced:
        evaluator.check_expression(replaced)
        return
    try:
        evaluator.compile_expression(text)
    except SyntaxError:
        evaluator.check_expression(f"dmninputexpr {text}")
