"""A fee-charging guide without fee items is now a warning, not an error (standards
§2.1: rules derived from the definitions are warnings until confirmed). Recount the
denormalised ``rule_error_count`` of the versions this affects."""

from django.db import migrations


def recount_rule_errors(apps, schema_editor):
    from pydantic import ValidationError

    from zhengwu.catalog.guide import Guide, check_rules

    ListingVersion = apps.get_model("catalog", "ListingVersion")
    for version in (
        ListingVersion.objects.filter(is_fee=True)
        .only("pk", "guide", "rule_error_count")
        .iterator(chunk_size=500)
    ):
        try:
            guide = Guide.model_validate(version.guide or {})
        except ValidationError:
            continue
        count = sum(1 for i in check_rules(guide) if i.severity == "error")
        if count != version.rule_error_count:
            ListingVersion.objects.filter(pk=version.pk).update(rule_error_count=count)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_version_guide_stored_unescaped"),
    ]

    operations = [
        migrations.RunPython(recount_rule_errors, migrations.RunPython.noop),
    ]
