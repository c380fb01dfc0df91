"""Process state is stored SM4-encrypted (等保 8.1.4.8): it holds the process data,
the applicant's form included. The JSON column becomes text (PostgreSQL casts jsonb
to its text), then every existing state is rewritten as the ciphertext of that text
as it is (not re-serialized: SpiffWorkflow restores tasks in their key order), in
batches by primary key. Reversible: the states are decrypted back to JSON text
before the column is JSON again."""

from django.db import migrations

import zhengwu.core.fields

PREFIX = "sm4g1:"  # core.crypto's ciphertext prefix
BATCH = 500


def _rewrite(apps, schema_editor, *, encrypt: bool) -> None:
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    model = apps.get_model("workflows", "ProcessInstance")
    field = model._meta.get_field("state")  # the encrypted field
    table, column = quote(model._meta.db_table), quote(field.column)
    pk = quote(model._meta.pk.column)
    match = "NOT LIKE" if encrypt else "LIKE"
    select = (
        f"SELECT {pk}, {column} FROM {table} WHERE {pk} > %s AND "  # noqa: S608
        f"{column} IS NOT NULL AND {column} {match} %s ORDER BY {pk} LIMIT %s"
    )
    update = f"UPDATE {table} SET {column} = %s WHERE {pk} = %s"  # noqa: S608
    last = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(select, [last, PREFIX + "%", BATCH])
            rows = cursor.fetchall()
        if not rows:
            break
        if encrypt:
            values = [(field.get_prep_value(str(text)), key) for key, text in rows]
        else:
            values = [
                (field.from_db_value(text, None, connection), key) for key, text in rows
            ]
        with connection.cursor() as cursor:
            cursor.executemany(update, values)
        last = rows[-1][0]


def encrypt_states(apps, schema_editor):
    _rewrite(apps, schema_editor, encrypt=True)


def decrypt_states(apps, schema_editor):
    _rewrite(apps, schema_editor, encrypt=False)


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0001_process_definitions_and_instances"),
    ]

    operations = [
        migrations.AlterField(
            model_name="processinstance",
            name="state",
            field=zhengwu.core.fields.EncryptedCharField(verbose_name="流程状态"),
        ),
        migrations.RunPython(encrypt_states, decrypt_states, elidable=False),
    ]
