"""A trigram GIN index on the search text on PostgreSQL, so substring search of item
names, pinyin and codes uses an index. SQLite scans the (small) base catalogue."""

from django.db import migrations

INDEX = "catalog_baseitem_search_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON catalog_baseitem "
        "USING gin (search_text gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_catalogue_listings_versions")]

    operations = [migrations.RunPython(create_index, drop_index)]
