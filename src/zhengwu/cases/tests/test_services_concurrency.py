"""A double click or a retried request creates one case, even when the two
requests run at the same time (PostgreSQL, threads)."""

import threading

from django.db import connection

import pytest

from zhengwu.cases import services
from zhengwu.cases.constants import CaseStatus
from zhengwu.cases.models import Case
from zhengwu.core.models import AuditEvent

from .factories import CONTACT_FORM, World, materials_for

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(count, work):
    results, failures = [], []
    barrier = threading.Barrier(count)

    def run():
        try:
            barrier.wait()
            results.append(work())
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, failures


def test_concurrent_apply_with_one_key_creates_one_case(world: World):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    user = world.citizen.user

    def apply_once():
        return services.case_apply(
            user=user,
            acting=None,
            listing_code=world.listing_a,
            form_data=dict(CONTACT_FORM),
            submission_key="double-click",
            materials=materials_for(world.listing_a),
        ).pk

    results, failures = run_together(4, apply_once)
    assert not failures
    assert len(set(results)) == 1
    assert Case.objects.count() == 1
    assert AuditEvent.objects.filter(event="cases.submitted").count() == 1


def test_concurrent_submit_of_a_draft_submits_once(world: World):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    user = world.citizen.user
    draft = services.case_draft_save(
        user=user, acting=None, listing_code=world.listing_a, form_data=CONTACT_FORM
    )
    for item in materials_for(world.listing_a):
        services.material_upload(user=user, acting=None, case_id=draft.pk, **item)

    def submit():
        return services.case_submit(
            user=user, acting=None, case_id=draft.pk, submission_key="k"
        ).pk

    results, failures = run_together(4, submit)
    assert not failures
    assert set(results) == {draft.pk}
    draft.refresh_from_db()
    assert draft.status == CaseStatus.SUBMITTED
    assert draft.number.endswith("0001")
    assert AuditEvent.objects.filter(event="cases.submitted").count() == 1
