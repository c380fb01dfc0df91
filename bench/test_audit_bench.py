"""Audit log throughput: records written per second by request code, and records
sealed into the chain per second by the sealer. Run with `make bench` (SQLite) or with
ZHENGWU_DATABASE_URL pointing at PostgreSQL; results go to bench/RESULTS.md."""

import pytest

from zhengwu.core import audit
from zhengwu.core.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=False)


def test_record_one_event(benchmark, make_user):
    user = make_user("bench")

    def write():
        audit.record(
            acting_user=user,
            event="bench.case_accepted",
            data={
                "case": "21000000000000000X2210100001000202611270001",
                "opinion": "同意受理",
            },
            source_ip="127.0.0.1",
        )

    benchmark(write)
    assert AuditEvent.objects.filter(event="bench.case_accepted").exists()


def test_seal_5000_events(benchmark, make_user):
    user = make_user("bench")

    def setup():
        AuditEvent.objects.bulk_create([_event(user, index) for index in range(5000)])
        return (), {}

    sealed = benchmark.pedantic(audit.seal, setup=setup, rounds=5, iterations=1)
    assert sealed == 5000
    assert audit.verify().ok


def _event(user, index):
    from django.utils import timezone

    entry = AuditEvent(
        occurred_at=timezone.now(),
        actor=user,
        actor_label=user.get_username(),
        event="bench.event",
        target_type="cases.case",
        target_id=str(index),
        data={"n": index},
    )
    entry.content_hash = audit.content_hash(entry)
    return entry
