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


def _store_next_version(
    model: type[ProcessDefinition] | type[DecisionTable],
    *,
    key: str,
    acting_user: Any,
    event: str,
    element_field: str,
    fields: dict[str, Any],
    data: dict[str, Any],
) -> DefinitionInfo:
    """Store ``fields`` as the next version of ``key`` (retried when a concurrent
    upload of the same key takes the number), audited in the same transaction."""
    for _attempt in range(3):
        try:
            with transaction.atomic():
                row = model(
                    key=key,
                    version=_next_version(model, key),
                    uploaded_by=acting_user
                    if getattr(acting_user, "is_authenticated", False)
                    else None,
                    **fields,
                )
                row.full_clean()
                row.save(force_insert=True)
                audit.record(
                    acting_user=acting_user,
                    event=event,
                    target=row,
                    data={"key": key, "version": row.version, **data},
                    actor_label="system:workflows",
                )
        except IntegrityError:
            continue  # another upload of the same key took this version number
        logger.info(event.replace(".", "_"), key=key, version=row.version)
        return DefinitionInfo(
            key=key,
            version=row.version,
            name=row.name,
            element_id=getattr(row, element_field),
            sm3=row.sm3,
        )
    raise WorkflowInvalidError(
        "workflows.conflict", "同时有其他上传，请重试。", status=409
    )


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
    digest = sm3_hex(bytes(xml))
    return _store_next_version(
        ProcessDefinition,
        key=key,
        acting_user=acting_user,
        event="workflows.definition_uploaded",
        element_field="process_id",
        fields={
            "name": name.strip(),
            "process_id": process.process_id,
            "source": source,
            "bpmn_xml": bytes(xml).decode("utf-8"),
            "sm3": digest,
        },
        data={"process_id": process.process_id, "sm3": digest, "source": source},
    )


def decision_upload(
    *, key: str, name: str, xml: bytes, acting_user: Any
) -> DefinitionInfo:
    """Validate a DMN document and store it as the next version of ``key``."""
    _check_key_and_name(key, name)
    _root, decision = validate_dmn(xml)
    digest = sm3_hex(bytes(xml))
    return _store_next_version(
        DecisionTable,
        key=key,
        acting_user=acting_user,
        event="workflows.decision_uploaded",
        element_field="decision_id",
        fields={
            "name": name.strip(),
            "decision_id": decision.decision_id,
            "dmn_xml": bytes(xml).decode("utf-8"),
            "sm3": digest,
        },
        data={"decision_id": decision.decision_id, "sm3": digest},
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
