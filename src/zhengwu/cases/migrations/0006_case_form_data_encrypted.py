"""Case and bundle forms are stored SM4-encrypted (等保 8.1.4.8): the JSON column
becomes text (PostgreSQL casts jsonb to its text), then every existing form is
rewritten as the ciphertext of its canonical JSON, in batches by primary key.
Reversible: the forms are decrypted back to JSON text before the column is JSON again."""

import json

from django.db import migrations

import zhengwu.core.fields
import zhengwu.core.models

PREFIX = "sm4g1:"  # core.crypto's ciphertext prefix
BATCH = 1000
MODELS = ("Case", "CaseBundle")


def _rewrite(apps, schema_editor, *, encrypt: bool) -> None:
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    for name in MODELS:
        model = apps.get_model("cases", name)
        field = model._meta.get_field("form_data")  # the encrypted field
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
                values = [
                    (field.get_prep_value(json.loads(text)), key) for key, text in rows
                ]
            else:
                values = [
                    (
                        json.dumps(
                            field.from_db_value(text, None, connection),
                            ensure_ascii=False,
                        ),
                        key,
                    )
                    for key, text in rows
                ]
            with connection.cursor() as cursor:
                cursor.executemany(update, values)
            last = rows[-1][0]


def encrypt_forms(apps, schema_editor):
    _rewrite(apps, schema_editor, encrypt=True)


def decrypt_forms(apps, schema_editor):
    _rewrite(apps, schema_editor, encrypt=False)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0005_case_intake"),
    ]

    operations = [
        migrations.AlterField(
            model_name="case",
            name="form_data",
            field=zhengwu.core.fields.EncryptedJSONField(
                default=dict,
                encoder=zhengwu.core.models.UnicodeJSONEncoder,
                verbose_name="表单内容",
            ),
        ),
        migrations.AlterField(
            model_name="casebundle",
            name="form_data",
            field=zhengwu.core.fields.EncryptedJSONField(
                default=dict,
                encoder=zhengwu.core.models.UnicodeJSONEncoder,
                verbose_name="表单内容",
            ),
        ),
        migrations.RunPython(encrypt_forms, decrypt_forms, elidable=False),
    ]
