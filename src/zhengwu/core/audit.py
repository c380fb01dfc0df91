"""Writing the audit log. Every state change calls :func:`record` inside its own
transaction, so the record exists exactly when the change does."""

import json
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from .middleware import current_request_context
from .models import AuditEvent

GENESIS_HASH = "0" * 64


def _sm3_hex(payload: bytes) -> str:
    from .crypto import sm3_hex

    return sm3_hex(payload)


def canonical_json(value: Any) -> str:
    return json.dumps(
        value,
        cls=DjangoJSONEncoder,
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )


def content_payload(event: AuditEvent) -> bytes:
    """The bytes the content hash covers: every field a reader relies on."""
    return canonical_json(
        {
            "occurred_at": event.occurred_at.isoformat(),
            "actor": event.actor_id,
            "actor_label": event.actor_label,
            "on_behalf_of": event.on_behalf_of,
            "event": event.event,
            "outcome": event.outcome,
            "target_type": event.target_type,
            "target_id": event.target_id,
            "source_ip": event.source_ip,
            "request_id": event.request_id,
            "data": event.data,
        }
    ).encode()


def content_hash(event: AuditEvent) -> str:
    return _sm3_hex(content_payload(event))


def link_hash(prev_hash: str, seq: int, event_content_hash: str) -> str:
    return _sm3_hex(f"{prev_hash}:{seq}:{event_content_hash}".encode())


def record(
    *,
    acting_user: AbstractBaseUser | AnonymousUser | None,
    event: str,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
    on_behalf_of: str = "",
    outcome: str = "success",
    source_ip: str | None = None,
) -> AuditEvent:
    """Append one audit record: who, on whose behalf, when, what, on what, from where."""
    context = current_request_context()
    user = (
        acting_user
        if acting_user is not None and acting_user.is_authenticated
        else None
    )
    entry = AuditEvent(
        occurred_at=timezone.now(),
        actor=user,
        actor_label=user.get_username() if user is not None else "anonymous",
        on_behalf_of=on_behalf_of,
        event=event,
        outcome=outcome,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        source_ip=source_ip or (context.source_ip if context else None),
        request_id=context.request_id if context else "",
        data=json.loads(canonical_json(data or {})),
    )
    entry.content_hash = content_hash(entry)
    entry.save(force_insert=True)
    return entry
