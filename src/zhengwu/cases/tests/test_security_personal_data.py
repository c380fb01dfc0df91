"""Security review: personal data at rest. The contact mobile of a case is kept in
the encrypted column, no audit event of the case holds it in clear, and the form
(``form_data``, where it is asked too) is stored encrypted as a whole."""

from django.db import connection

import pytest

from zhengwu.cases.models import Case
from zhengwu.core.models import AuditEvent

from .factories import CONTACT_FORM, apply

pytestmark = pytest.mark.django_db

MOBILE = CONTACT_FORM["contact_mobile"]


QUERIES = {
    "contact_mobile": "SELECT contact_mobile FROM cases_case WHERE id = %s",
    "form_data": "SELECT form_data FROM cases_case WHERE id = %s",
}


def _column(case_pk: int, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(QUERIES[column], [case_pk])
        return str(cursor.fetchone()[0])


def test_contact_mobile_column_and_audit_data_hold_no_clear_mobile(world):
    # given a submitted case with a contact mobile
    case = apply(world.citizen.user, world.listing_a)

    # when the database is read directly
    stored = _column(case.pk, "contact_mobile")
    audit_data = [
        str(row)
        for row in AuditEvent.objects.filter(target_id=str(case.pk)).values_list(
            "data", flat=True
        )
    ]

    # then the column is ciphertext and no audit event quotes a number
    mobiles = {MOBILE, case.contact_mobile}
    assert case.contact_mobile
    assert not [mobile for mobile in mobiles if mobile in stored]
    assert not [data for data in audit_data for mobile in mobiles if mobile in data]


def test_form_data_column_holds_no_clear_mobile(world):
    # given a submitted case whose form has a contact mobile
    case = apply(world.citizen.user, world.listing_a)

    # when the form column is read directly
    stored = _column(case.pk, "form_data")

    # then it is ciphertext, and the ORM still gives the form back
    assert MOBILE not in stored
    assert stored.startswith("sm4g1:")
    assert Case.objects.get(pk=case.pk).form_data["contact_mobile"] == MOBILE
