"""Database triggers that make ``core_auditevent`` append-only (等保 8.1.4.3).

They refuse every DELETE and every UPDATE except sealing: setting ``seq``,
``prev_hash`` and ``chain_hash`` on a record not yet sealed, with every content column
unchanged. On SQLite the delete trigger asks the connection function
``zhengwu_audit_maintenance()`` (registered by ``CoreConfig.ready``; see
``zhengwu.core.audit.maintenance``) so that ``manage.py flush`` can empty the table as
TRUNCATE does on PostgreSQL; a connection without that function fails the delete.
"""

from django.db import migrations

CONTENT_COLUMNS = [
    "id",
    "occurred_at",
    "actor_id",
    "actor_label",
    "on_behalf_of",
    "event",
    "outcome",
    "target_type",
    "target_id",
    "source_ip",
    "request_id",
    "data",
    "content_hash",
]

_SQLITE_UNCHANGED = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in CONTENT_COLUMNS)
_PG_NEW = ", ".join(f"NEW.{c}" for c in CONTENT_COLUMNS)
_PG_OLD = ", ".join(f"OLD.{c}" for c in CONTENT_COLUMNS)

SQLITE_INSTALL = [
    """
    CREATE TRIGGER core_auditevent_refuse_delete
    BEFORE DELETE ON core_auditevent
    WHEN zhengwu_audit_maintenance() = 0
    BEGIN
        SELECT RAISE(ABORT, 'core_auditevent is append-only: DELETE refused');
    END
    """,
    f"""
    CREATE TRIGGER core_auditevent_refuse_update
    BEFORE UPDATE ON core_auditevent
    WHEN NOT (OLD.seq IS NULL AND NEW.seq IS NOT NULL AND {_SQLITE_UNCHANGED})
    BEGIN
        SELECT RAISE(
            ABORT, 'core_auditevent is append-only: only sealing may update a record'
        );
    END
    """,
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS core_auditevent_refuse_delete",
    "DROP TRIGGER IF EXISTS core_auditevent_refuse_update",
]

POSTGRES_INSTALL = [
    f"""
    CREATE OR REPLACE FUNCTION core_auditevent_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION USING
                ERRCODE = 'restrict_violation',
                MESSAGE = 'core_auditevent is append-only: DELETE of record '
                    || OLD.id || ' refused';
        END IF;
        IF OLD.seq IS NULL AND NEW.seq IS NOT NULL
           AND ROW({_PG_NEW}) IS NOT DISTINCT FROM ROW({_PG_OLD}) THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION USING
            ERRCODE = 'restrict_violation',
            MESSAGE = 'core_auditevent is append-only: only sealing may update record '
                || OLD.id;
    END
    $$
    """,
    """
    CREATE TRIGGER core_auditevent_append_only
    BEFORE UPDATE OR DELETE ON core_auditevent
    FOR EACH ROW EXECUTE FUNCTION core_auditevent_append_only()
    """,
]
POSTGRES_REMOVE = [
    "DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent",
    "DROP FUNCTION IF EXISTS core_auditevent_append_only()",
]


def install(apps, schema_editor):
    statements = {"sqlite": SQLITE_INSTALL, "postgresql": POSTGRES_INSTALL}.get(
        schema_editor.connection.vendor, []
    )
    for statement in statements:
        schema_editor.execute(statement, params=None)


def remove(apps, schema_editor):
    statements = {"sqlite": SQLITE_REMOVE, "postgresql": POSTGRES_REMOVE}.get(
        schema_editor.connection.vendor, []
    )
    for statement in statements:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_organisation_credit_code_check_character"),
    ]

    operations = [
        migrations.RunPython(install, remove, elidable=False),
    ]
