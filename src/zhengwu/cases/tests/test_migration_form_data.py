"""Migration 0006: forms already in the database (clear JSON) are encrypted in
place, and the migration reverses to the clear JSON they were."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

import pytest

from zhengwu.core.tests.factories import UserFactory
from zhengwu.identity.tests.staff_factories import organisation

BEFORE = [("cases", "0005_case_intake")]
AFTER = [("cases", "0006_case_form_data_encrypted")]
FORMS = [
    {"contact_mobile": "13912345678", "姓名": "张三", "copies": 2},
    {},
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _column(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT form_data FROM {table} ORDER BY id")  # noqa: S608
        return [str(row[0]) for row in cursor.fetchall()]


@pytest.fixture
def latest_schema_after():
    """Leaves the database migrated to the latest state, even if the test fails."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_existing_forms_are_encrypted_and_the_migration_reverses(latest_schema_after):
    # given cases and a bundle with clear JSON forms, before the migration
    old = _migrate(BEFORE)
    org = organisation("沈阳市市场监督管理局")
    user = UserFactory()
    old_case = old.get_model("cases", "Case")
    old_bundle = old.get_model("cases", "CaseBundle")
    for number, form in enumerate(FORMS):
        old_case.objects.create(
            listing_code="1" * 31,
            listing_version=1,
            item_name="测试事项",
            organisation_id=org.pk,
            division_id=org.division_id,
            applicant_id=user.pk,
            principal_label=f"person:{user.pk}",
            applicant_name="张三",
            applicant_id_masked="2101**********1234",
            status="submitted",
            number=f"{number:043d}",
            form_data=form,
        )
    definition = old.get_model("cases", "BundleDefinition").objects.create(
        code="t", name="测试一件事", division_id=org.division_id
    )
    old_bundle.objects.create(
        definition=definition,
        applicant_id=user.pk,
        principal_label=f"person:{user.pk}",
        form_data=FORMS[0],
    )
    assert "13912345678" in _column("cases_case")[0]

    # when the migration runs
    after = _migrate(AFTER)

    # then every form column is ciphertext and the ORM (the models as of that
    # migration: later migrations add columns) reads the same forms
    stored = _column("cases_case") + _column("cases_casebundle")
    assert all(value.startswith("sm4g1:") for value in stored)
    assert not [value for value in stored if "13912345678" in value]
    cases = after.get_model("cases", "Case").objects.order_by("pk")
    assert [case.form_data for case in cases] == FORMS
    assert after.get_model("cases", "CaseBundle").objects.get().form_data == FORMS[0]

    # and reversed, the columns are the clear JSON forms again
    old = _migrate(BEFORE)
    forms = old.get_model("cases", "Case").objects.order_by("pk")
    assert [case.form_data for case in forms] == FORMS
    assert old.get_model("cases", "CaseBundle").objects.get().form_data == FORMS[0]
