"""Writes of process models and decision tables: validated uploads (each a new
version of its key, audited) and the idempotent loading of the shipped templates."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max

import structlog

from zhengwu.core import audit
from zhengwu.core.crypto import sm3_hex

from .errors import WorkflowInvalidError
from .models import DecisionTable, DefinitionSource, ProcessDefinition
from .validation import validate_bpmn, validate_dmn

logger = structlog.get_logger(__name__)

TEMPLATES_DIR = Path(__file__).parent / "templates_bpmn"

# key → (file, name) of the models shipped with the platform.
PROCESS_TEMPLATES = {
    "instant": ("instant.bpmn", "即办件"),
    "single": ("single.bpmn", "单部门承诺件"),
    "parallel": ("parallel.bpmn", "多部门并联审批"),
}
DECISION_TEMPLATES = {
    "sample_instant_approval": ("sample_instant_approval.dmn", "秒批示例：高龄津贴"),
}

MAX_KEY_LENGTH = 100


@dataclass(frozen=True)
class DefinitionInfo:
    key: str
    version: int
    name: str
    element_id: str  # the BPMN process id or the DMN decision id
    sm3: str


def _check_key_and_name(key: Any, name: Any) -> None:
    fields: dict[str, list[str]] = {}
    if not isinstance(key, str) or not key.strip():
        fields["key"] = ["必填。"]
    elif len(key) > MAX_KEY_LENGTH or not all(
        character.isascii() and (character.isalnum() or character in "_-.")
        for character in key
    ):
        fields["key"] = [
            "只能使用英文字母、数字、下划线、连字符和点，不超过100个字符。"
        ]
    if not isinstance(name, str) or not name.strip():
        fields["name"] = ["必填。"]
    elif len(name) > 200:
        fields["name"] = ["不能超过200个字符。"]
    if fields:
        raise WorkflowInvalidError(
            "workflows.invalid_model", "流程标识或名称不正确。", fields=fields
        )


def _next_version(
    model: type[ProcessDefinition] | type[DecisionTable], key: str
) -> int:
    top = model.objects.filter(key=key).aggregate(top=Max("version"))["top"]
    return (top or 0) + 1


def definition_upload(
    *,
    key: str,
    name: str,
    xml: bytes,
    acting_user: Any,
    source: str = DefinitionSource.UPLOADED,
) -> DefinitionInfo:
    """Validate a BPMN document and store it as the next version of ``key``."""
    _check_key_and_name(key, name)
    _root, process = validate_bpmn(xml)
    text = bytes(xml).decode("utf-8")
    digest = sm3_hex(bytes(xml))
    for _attempt in range(3):
        try:
            with transaction.atomic():
                definition = ProcessDefinition(
                    key=key,
                    version=_next_version(ProcessDefinition, key),
                    name=name.strip(),
                    process_id=process.process_id,
                    source=source,
                    bpmn_xml=text,
                    sm3=digest,
                    uploaded_by=acting_user
                    if getattr(acting_user, "is_authenticated", False)
                    else None,
                )
                definition.full_clean()
                definition.save(force_insert=True)
                audit.record(
                    acting_user=acting_user,
                    event="workflows.definition_uploaded",
                    target=definition,
                    data={
                        "key": key,
                        "version": definition.version,
                        "process_id": process.process_id,
                        "sm3": digest,
                        "source": source,
                    },
                    actor_label="system:workflows",
                )
        except IntegrityError:
            continue  # another upload of the same key took this version number
        logger.info("workflow_definition_uploaded", key=key, version=definition.version)
        return DefinitionInfo(
            key=key,
            version=definition.version,
            name=definition.name,
            element_id=definition.process_id,
            sm3=digest,
        )
    raise WorkflowInvalidError(
        "workflows.conflict", "同时有其他上传，请重试。", status=409
    )


def decision_upload(
    *, key: str, name: str, xml: bytes, acting_user: Any
) -> DefinitionInfo:
    """Validate a DMN document and store it as the next version of ``key``."""
    _check_key_and_name(key, name)
    _root, decision = validate_dmn(xml)
    text = bytes(xml).decode("utf-8")
    digest = sm3_hex(bytes(xml))
    for _attempt in range(3):
        try:
            with transaction.atomic():
                table = DecisionTable(
                    key=key,
                    version=_next_version(DecisionTable, key),
                    name=name.strip(),
                    decision_id=decision.decision_id,
                    dmn_xml=text,
                    sm3=digest,
                    uploaded_by=acting_user
                    if getattr(acting_user, "is_authenticated", False)
                    else None,
                )
                table.full_clean()
                table.save(force_insert=True)
                audit.record(
                    acting_user=acting_user,
                    event="workflows.decision_uploaded",
                    target=table,
                    data={
                        "key": key,
                        "version": table.version,
                        "decision_id": decision.decision_id,
                        "sm3": digest,
                    },
                    actor_label="system:workflows",
                )
        except IntegrityError:
            continue
        logger.info("workflow_decision_uploaded", key=key, version=table.version)
        return DefinitionInfo(
            key=key,
            version=table.version,
            name=table.name,
            element_id=table.decision_id,
            sm3=digest,
        )
    raise WorkflowInvalidError(
        "workflows.conflict", "同时有其他上传，请重试。", status=409
    )


def ensure_templates() -> dict[str, int]:
    """Store the shipped process templates and sample decision tables; a template
    whose file is unchanged since its latest version is left alone, so a second run
    changes nothing. Returns how many versions were added."""
    added = {"processes": 0, "decisions": 0}
    for key, (filename, name) in PROCESS_TEMPLATES.items():
        xml = (TEMPLATES_DIR / filename).read_bytes()
        latest = ProcessDefinition.objects.filter(key=key).order_by("-version").first()
        if latest is not None and latest.sm3 == sm3_hex(xml):
            continue
        definition_upload(
            key=key,
            name=name,
            xml=xml,
            acting_user=None,
            source=DefinitionSource.TEMPLATE,
        )
        added["processes"] += 1
    for key, (filename, name) in DECISION_TEMPLATES.items():
        xml = (TEMPLATES_DIR / filename).read_bytes()
        latest_table = (
            DecisionTable.objects.filter(key=key).order_by("-version").first()
        )
        if latest_table is not None and latest_table.sm3 == sm3_hex(xml):
            continue
        decision_upload(key=key, name=name, xml=xml, acting_user=None)
        added["decisions"] += 1
    return added
