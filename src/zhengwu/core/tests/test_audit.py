"""The audit log: insert-only writers, a sealed hash chain, triggers, verification."""

from io import StringIO

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, IntegrityError, connection, transaction

import pytest

from zhengwu.core import audit
from zhengwu.core.models import AuditChainHead, AuditEvent

from .factories import UserFactory

pytestmark = pytest.mark.django_db


def _record(n: int) -> list[AuditEvent]:
    user = UserFactory()
    return [
        audit.record(
            acting_user=user,
            event="test.thing_done",
            data={"n": index, "text": "办件"},
            source_ip="2001:DB8::1",
        )
        for index in range(n)
    ]


def test_record_seal_verify():
    # given
    events = _record(3)

    # when
    sealed = audit.seal()
    report = audit.verify()

    # then
    assert sealed == 3
    assert report.ok, report.reasons
    assert (report.checked, report.sealed, report.unsealed) == (3, 3, 0)
    rows = list(AuditEvent.objects.order_by("seq"))
    assert [row.pk for row in rows] == [event.pk for event in events]
    assert [row.seq for row in rows] == [1, 2, 3]
    assert rows[0].prev_hash == audit.GENESIS_HASH
    assert rows[1].prev_hash == rows[0].chain_hash
    head = AuditChainHead.objects.get()
    assert (head.last_seq, head.last_hash) == (3, rows[2].chain_hash)


def test_seal_is_idempotent_and_continues_the_chain():
    # given
    _record(2)
    audit.seal()

    # when
    assert audit.seal() == 0
    _record(3)
    sealed = audit.seal(batch_size=2)

    # then batches of two continue from the head
    assert sealed == 3
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == [
        1,
        2,
        3,
        4,
        5,
    ]
    assert audit.verify().ok


def test_seal_with_nothing_to_do():
    assert audit.seal() == 0
    assert audit.verify().ok


def test_unsealed_records_are_verified_too():
    _record(2)
    report = audit.verify()
    assert report.ok
    assert (report.sealed, report.unsealed) == (0, 2)


def test_edited_content_is_detected_at_that_record(tamper):
    # given
    events = _record(4)
    audit.seal()

    # when someone edits one record's data past the triggers
    tamper(events[2].pk, data={"n": 99, "text": "办件"})
    report = audit.verify()

    # then
    assert not report.ok
    assert (report.first_bad_seq, report.first_bad_pk) == (3, events[2].pk)
    assert "内容被改动" in report.reasons[0]


def test_edited_content_with_recomputed_content_hash_is_detected(tamper):
    # given
    events = _record(3)
    audit.seal()
    victim = AuditEvent.objects.get(pk=events[1].pk)
    victim.actor_label = "someone-else"

    # when the intruder also fixes the content hash
    tamper(
        victim.pk,
        actor_label="someone-else",
        content_hash=audit.content_hash(victim),
    )
    report = audit.verify()

    # then the chain hash gives it away
    assert (report.first_bad_seq, report.first_bad_pk) == (2, victim.pk)
    assert "链摘要" in report.reasons[0]


def test_edited_chain_hash_is_detected(tamper):
    events = _record(3)
    audit.seal()

    tamper(events[0].pk, chain_hash="f" * 64)
    report = audit.verify()

    assert (report.first_bad_seq, report.first_bad_pk) == (1, events[0].pk)


def test_deleted_record_is_detected_as_a_gap(tamper):
    # given
    events = _record(5)
    audit.seal()

    # when
    tamper(events[2].pk, delete=True)
    report = audit.verify()

    # then the record after the gap is named
    assert not report.ok
    assert (report.first_bad_seq, report.first_bad_pk) == (4, events[3].pk)
    assert "第3至3号记录缺失" in report.reasons[0]


def test_deleted_last_record_is_detected_by_the_head(tamper):
    events = _record(3)
    audit.seal()

    tamper(events[2].pk, delete=True)
    report = audit.verify()

    assert not report.ok
    assert report.first_bad_seq == 3
    assert "链头" in report.reasons[0]


def test_reordered_records_are_detected(tamper):
    # given
    events = _record(3)
    audit.seal()
    first, second = (AuditEvent.objects.get(pk=e.pk) for e in events[:2])

    # when the two records swap places in the chain (hashes travel along)
    tamper(first.pk, seq=-1)
    tamper(second.pk, seq=1, prev_hash=first.prev_hash, chain_hash=first.chain_hash)
    tamper(first.pk, seq=2, prev_hash=second.prev_hash, chain_hash=second.chain_hash)
    report = audit.verify()

    # then
    assert not report.ok
    assert (report.first_bad_seq, report.first_bad_pk) == (1, second.pk)


def test_tampered_unsealed_record_is_detected(tamper):
    events = _record(2)
    tamper(events[1].pk, event="test.something_else")
    report = audit.verify()
    assert (report.first_bad_seq, report.first_bad_pk) == (None, events[1].pk)


# --- triggers -----------------------------------------------------------------


def test_triggers_are_installed():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger "
                "WHERE tgrelid = 'core_auditevent'::regclass AND NOT tgisinternal"
            )
            assert [row[0] for row in cursor.fetchall()] == [
                "core_auditevent_append_only"
            ]
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'core_auditevent' ORDER BY name"
            )
            assert [row[0] for row in cursor.fetchall()] == [
                "core_auditevent_refuse_delete",
                "core_auditevent_refuse_update",
            ]


@pytest.mark.parametrize("sealed", [False, True])
def test_trigger_refuses_delete_through_the_orm(sealed):
    # given
    event = _record(1)[0]
    if sealed:
        audit.seal()

    # when / then
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.get(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"data": {"n": 5}},
        {"event": "x"},
        {"content_hash": "0" * 64},
        {"actor_label": "x", "seq": 1},  # sealing that also edits content
        {"prev_hash": "a" * 64},  # not sealing: seq stays empty
    ],
)
def test_trigger_refuses_updates_of_unsealed_records(fields):
    event = _record(1)[0]

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(**fields)

    assert AuditEvent.objects.get(pk=event.pk).seq is None


@pytest.mark.parametrize(
    "fields", [{"seq": 7}, {"chain_hash": "b" * 64}, {"seq": None}, {"data": {}}]
)
def test_trigger_refuses_any_update_of_sealed_records(fields):
    event = _record(1)[0]
    audit.seal()

    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(**fields)

    assert audit.verify().ok


def test_save_of_an_existing_record_is_refused():
    event = _record(1)[0]
    event.outcome = "failure"
    with pytest.raises(IntegrityError), transaction.atomic():
        event.save()


@pytest.mark.django_db(transaction=True)
def test_flush_command_may_empty_the_table():
    # given committed records (flush also empties the database after every
    # transactional test, such as browser tests against a live server)
    _record(2)

    # when: DELETE on SQLite under the maintenance switch, TRUNCATE on PostgreSQL
    call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)

    # then
    assert not AuditEvent.objects.exists()


def test_maintenance_switch_lets_sqlite_delete_rows_only_while_on():
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL has no switch: flush uses TRUNCATE")
    _record(2)

    with audit.maintenance(), transaction.atomic():
        AuditEvent.objects.all().delete()
    assert not AuditEvent.objects.exists()

    _record(1)
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.all().delete()


def test_maintenance_switch_does_not_allow_updates():
    event = _record(1)[0]
    with (
        audit.maintenance(),
        pytest.raises(IntegrityError),
        transaction.atomic(),
    ):
        AuditEvent.objects.filter(pk=event.pk).update(event="x")


# --- commands and task ----------------------------------------------------------


def test_seal_and_verify_commands():
    _record(2)
    out = StringIO()

    call_command("audit_seal", stdout=out)
    call_command("audit_verify", stdout=out)

    assert "sealed 2 audit record(s)" in out.getvalue()
    assert "audit log intact: 2 record(s) checked" in out.getvalue()


def test_verify_command_exits_1_naming_the_first_bad_record(tamper):
    # given
    events = _record(3)
    audit.seal()
    tamper(events[1].pk, target_id="forged")
    err = StringIO()

    # when
    with pytest.raises(CommandError) as error:
        call_command("audit_verify", stderr=err)

    # then
    assert error.value.returncode == 1
    assert f"seq=2 id={events[1].pk}" in str(error.value)
    assert "内容被改动" in err.getvalue()


def test_seal_task_is_idempotent():
    from zhengwu.core.tasks import seal_audit_log

    _record(2)
    assert seal_audit_log.call() == 2
    assert seal_audit_log.call() == 0
    assert audit.verify().ok


def test_source_ip_is_stored_as_the_database_returns_it():
    # IPv6 in upper case and IPv4-mapped forms come back normalised from both
    # databases; the content hash must be computed on that form
    for address in ["2001:DB8::0:1", "::FFFF:10.1.2.3", "10.0.0.1", "not-an-ip"]:
        audit.record(acting_user=None, event="test.ip", source_ip=address)
    audit.seal()
    assert audit.verify().ok
    assert list(
        AuditEvent.objects.order_by("pk").values_list("source_ip", flat=True)
    ) == ["2001:db8::1", "::ffff:10.1.2.3", "10.0.0.1", None]
