"""The audit log. Every state change calls :func:`record` inside its own transaction,
so the record exists exactly when the change does.

Writers only insert: :func:`record` computes the record's content hash and saves it,
without touching any shared row, so writers never wait for each other. :func:`seal`
(run every few seconds by the scheduler) links the unsealed records into one hash chain
under a lock on the single :class:`AuditChainHead` row, and :func:`verify` recomputes
everything. Database triggers (migration ``0003``) refuse deletes and every update
except sealing.
"""

import contextlib
import contextvars
import ipaddress
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address
from django.utils.translation import gettext as _

from .middleware import current_request_context
from .models import AuditChainHead, AuditEvent

GENESIS_HASH = "0" * 64


# --- event labels ------------------------------------------------------------------

_EVENT_LABELS: dict[str, Any] = {}


def register_event_labels(mapping: Mapping[str, Any]) -> None:
    """Add the Chinese labels (usually ``gettext_lazy``) of an app's audit event
    codes; each app calls this from its ``AppConfig.ready()`` for every code it
    writes. The one registry the audit log pages and API read."""
    _EVENT_LABELS.update(mapping)


def event_label(code: str) -> str:
    """The event's label for people; an unregistered code as itself."""
    label = _EVENT_LABELS.get(code)
    return str(label) if label is not None else code


def registered_event_codes() -> frozenset[str]:
    return frozenset(_EVENT_LABELS)


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


def _normalised_ip(value: str | None) -> str | None:
    """The address as the database gives it back (PostgreSQL ``inet`` compresses IPv6),
    so the content hash computed now matches the one recomputed from the row."""
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    return clean_ipv6_address(value) if address.version == 6 else str(address)


_on_behalf_of: contextvars.ContextVar[str] = contextvars.ContextVar(
    "zhengwu_audit_on_behalf_of", default=""
)


@contextlib.contextmanager
def acting_for(principal: str) -> Iterator[None]:
    """Within this block every record names ``principal`` (e.g. ``person:42``,
    ``entity:91210100...``) as the one the actor acts for. Identity sets it for a
    request made under an authorisation or at a counter."""
    token = _on_behalf_of.set(principal)
    try:
        yield
    finally:
        _on_behalf_of.reset(token)


def record(
    *,
    acting_user: AbstractBaseUser | AnonymousUser | None,
    event: str,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
    on_behalf_of: str = "",
    outcome: str = "success",
    source_ip: str | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Append one audit record: who, on whose behalf, when, what, on what, from where.

    ``actor_label`` names a process acting without a user (``"system:seed"``); a
    user's own name always wins."""
    context = current_request_context()
    user = (
        acting_user
        if acting_user is not None and acting_user.is_authenticated
        else None
    )
    entry = AuditEvent(
        occurred_at=timezone.now(),
        actor=user,
        actor_label=user.get_username()
        if user is not None
        else actor_label or "anonymous",
        on_behalf_of=on_behalf_of or _on_behalf_of.get(),
        event=event,
        outcome=outcome,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        source_ip=_normalised_ip(source_ip or (context.source_ip if context else None)),
        request_id=context.request_id if context else "",
        data=json.loads(canonical_json(data or {})),
    )
    entry.content_hash = content_hash(entry)
    entry.save(force_insert=True)
    return entry


# --- sealing ----------------------------------------------------------------------

HEAD_PK = 1


def seal(batch_size: int = 5000) -> int:
    """Link every record inserted so far into the chain; return how many were sealed.

    Each batch is one transaction holding the lock on the chain head, so two sealers
    never interleave; writers do not touch the head and never wait. Records inserted
    while sealing runs wait for the next call. Safe to run any number of times.
    """
    upper = AuditEvent.objects.filter(seq__isnull=True).aggregate(top=Max("pk"))["top"]
    if upper is None:
        return 0
    total = 0
    while True:
        with transaction.atomic():
            head, _created = AuditChainHead.objects.select_for_update().get_or_create(
                pk=HEAD_PK
            )
            batch = list(
                AuditEvent.objects.filter(seq__isnull=True, pk__lte=upper).order_by(
                    "pk"
                )[:batch_size]
            )
            if not batch:
                break
            seq, previous = head.last_seq, head.last_hash
            for event in batch:
                seq += 1
                event.seq, event.prev_hash = seq, previous
                event.chain_hash = link_hash(previous, seq, event.content_hash)
                previous = event.chain_hash
            # One prepared UPDATE per row through executemany: bulk_update's CASE
            # expression grows with the batch and made sealing slower than writing.
            table = connection.ops.quote_name(AuditEvent._meta.db_table)
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {table} SET seq = %s, prev_hash = %s, chain_hash = %s "  # noqa: S608
                    "WHERE id = %s",
                    [(e.seq, e.prev_hash, e.chain_hash, e.pk) for e in batch],
                )
            head.last_seq, head.last_hash = seq, previous
            head.sealed_at = timezone.now()
            head.save(update_fields=["last_seq", "last_hash", "sealed_at"])
        total += len(batch)
        if len(batch) < batch_size:
            break
    return total


# --- verification -----------------------------------------------------------------

MAX_REASONS = 100


@dataclass
class VerifyReport:
    """What :func:`verify` found. ``first_bad_seq``/``first_bad_pk`` name the first
    broken record in chain order (``first_bad_seq`` is None for an unsealed one)."""

    checked: int = 0
    sealed: int = 0
    unsealed: int = 0
    first_bad_seq: int | None = None
    first_bad_pk: int | None = None
    reasons: list[str] = field(default_factory=list)
    more_reasons: int = 0

    @property
    def ok(self) -> bool:
        return not self.reasons

    def problem(self, reason: str, *, seq: int | None, pk: int | None) -> None:
        if self.ok:
            self.first_bad_seq, self.first_bad_pk = seq, pk
        if len(self.reasons) < MAX_REASONS:
            self.reasons.append(reason)
        else:
            self.more_reasons += 1


def verify(chunk_size: int = 2000) -> VerifyReport:
    """Recompute every record's content hash and walk the chain by ``seq``.

    Finds an edited field (content hash differs), an edited hash (chain hash
    differs), a deleted record (a gap in ``seq``, or a chain shorter than the head
    says), and reordered records (``seq`` is inside every chain hash).
    """
    report = VerifyReport()
    previous_seq, previous_hash = 0, GENESIS_HASH
    sealed = AuditEvent.objects.filter(seq__isnull=False).order_by("seq")
    for event in sealed.iterator(chunk_size=chunk_size):
        report.checked += 1
        report.sealed += 1
        seq, pk = event.seq, event.pk
        if seq != previous_seq + 1:
            report.problem(
                _(
                    "审计链断裂：第%(first)s至%(last)s号记录缺失（被删除），"
                    "之后是第%(seq)s号记录（id=%(pk)s）。"
                )
                % {"first": previous_seq + 1, "last": seq - 1, "seq": seq, "pk": pk},
                seq=seq,
                pk=pk,
            )
        if content_hash(event) != event.content_hash:
            report.problem(
                _("第%(seq)s号记录（id=%(pk)s）内容被改动：内容摘要不符。")
                % {"seq": seq, "pk": pk},
                seq=seq,
                pk=pk,
            )
        if event.prev_hash != previous_hash:
            report.problem(
                _("第%(seq)s号记录（id=%(pk)s）的前序摘要与上一条记录不符。")
                % {"seq": seq, "pk": pk},
                seq=seq,
                pk=pk,
            )
        if link_hash(event.prev_hash, seq, event.content_hash) != event.chain_hash:
            report.problem(
                _("第%(seq)s号记录（id=%(pk)s）的链摘要不符：摘要或序号被改动。")
                % {"seq": seq, "pk": pk},
                seq=seq,
                pk=pk,
            )
        previous_seq, previous_hash = seq, event.chain_hash

    head = AuditChainHead.objects.filter(pk=HEAD_PK).first()
    head_seq = head.last_seq if head is not None else 0
    head_hash = head.last_hash if head is not None else GENESIS_HASH
    if head_seq != previous_seq:
        report.problem(
            _(
                "审计链头记录到第%(head)s号，但链只到第%(last)s号："
                "末尾的记录被删除或链头被改动。"
            )
            % {"head": head_seq, "last": previous_seq},
            seq=previous_seq + 1 if head_seq > previous_seq else head_seq,
            pk=None,
        )
    elif head_hash != previous_hash:
        report.problem(
            _("审计链头的摘要与第%(last)s号记录的链摘要不符。")
            % {"last": previous_seq},
            seq=previous_seq,
            pk=None,
        )

    unsealed = AuditEvent.objects.filter(seq__isnull=True).order_by("pk")
    for event in unsealed.iterator(chunk_size=chunk_size):
        report.checked += 1
        report.unsealed += 1
        if content_hash(event) != event.content_hash:
            report.problem(
                _("未封存的记录（id=%(pk)s）内容被改动：内容摘要不符。")
                % {"pk": event.pk},
                seq=None,
                pk=event.pk,
            )
    return report


# --- maintenance ------------------------------------------------------------------

_maintenance: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "zhengwu_audit_maintenance", default=False
)


def _sqlite_maintenance_flag() -> int:
    return int(_maintenance.get())


def register_sqlite_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Give every SQLite connection the function the delete trigger asks.

    A connection opened outside Django (the ``sqlite3`` shell) lacks it, so the
    trigger fails there and the delete is refused all the same."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "zhengwu_audit_maintenance", 0, _sqlite_maintenance_flag
        )


@contextlib.contextmanager
def maintenance() -> Iterator[None]:
    """Let this thread empty the audit table on SQLite (``manage.py flush``).

    PostgreSQL needs no such switch: flush uses TRUNCATE, which row triggers do not
    see. Updates stay refused either way."""
    token = _maintenance.set(True)
    try:
        yield
    finally:
        _maintenance.reset(token)
