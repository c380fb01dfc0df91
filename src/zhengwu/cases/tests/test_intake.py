"""The API's asynchronous submission path (收件, ``Prefer: respond-async``): taken
in at once, turned into a case by a task through the same service, idempotent,
refusals recorded and told, nothing lost, nobody sees another applicant's intake."""

import datetime

from django.db import connection
from django.test import override_settings
from django.utils import timezone

import pytest
from django_tasks_db.models import DBTaskResult

from zhengwu.cases.constants import CaseStatus, IntakeStatus
from zhengwu.cases.models import Case, CaseIntake, Notification
from zhengwu.cases.tasks import process_pending_intakes
from zhengwu.catalog.tests.factories import complete_guide
from zhengwu.core.models import AuditEvent

from .factories import CONTACT_FORM, configure, published_listing
from .test_api import API, bearer

pytestmark = pytest.mark.django_db

ASYNC = {"Prefer": "respond-async"}


@pytest.fixture
def open_listing(world):
    """A listing of department A that needs no uploaded material."""
    return published_listing(world.org_a, guide=complete_guide(materials=[]))


def _post(client, user, listing, key, form=None, **headers):
    return client.post(
        f"{API}/",
        {"listing_code": listing, "form_data": dict(form or CONTACT_FORM)},
        content_type="application/json",
        headers={**bearer(user), "Idempotency-Key": key, **ASYNC, **headers},
        REMOTE_ADDR="198.51.100.7",
    )


def _intake(user, key) -> CaseIntake:
    return CaseIntake.objects.get(applicant=user, submission_key=key)


def test_an_async_application_is_taken_in_with_202_and_committed(
    client, world, open_listing, django_capture_on_commit_callbacks
):
    # given a citizen with an API token
    user = world.citizen.user
    # when the app sends the application asking for an asynchronous answer
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, user, open_listing, "async-key-000001")
    # then 202 with where to look, and no case yet
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == IntakeStatus.PENDING
    assert body["case_number"] is None
    assert response["Location"] == body["status_url"]
    assert response["Preference-Applied"] == "respond-async"
    assert not Case.objects.filter(applicant=user).exists()
    # and the intake is committed with the sender's address and audited; no task
    # row per application (the scheduled task drains pending intakes)
    intake = _intake(user, "async-key-000001")
    assert intake.source_ip == "198.51.100.7"
    event = AuditEvent.objects.get(
        event="cases.intake_received", target_id=str(intake.pk)
    )
    assert event.actor == user
    assert event.source_ip == "198.51.100.7"
    assert not DBTaskResult.objects.exists()


def test_the_form_is_encrypted_in_the_intake_row(client, world, open_listing):
    # given
    user = world.citizen.user
    # when
    _post(client, user, open_listing, "async-key-000002")
    # then the column holds no clear mobile
    intake = _intake(user, "async-key-000002")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT payload FROM cases_caseintake WHERE id = %s", [intake.pk]
        )
        stored = str(cursor.fetchone()[0])
    assert CONTACT_FORM["contact_mobile"] not in stored
    assert CONTACT_FORM["contact_mobile"] in intake.payload  # decrypted on read


def test_the_task_makes_the_case_through_the_same_service(client, world, open_listing):
    # given an intake taken in from an address
    user = world.citizen.user
    _post(client, user, open_listing, "async-key-000003")
    intake = _intake(user, "async-key-000003")
    # when the scheduled task runs
    assert process_pending_intakes.call() == 1
    # then a submitted case with a number, made with the intake's key
    intake.refresh_from_db()
    case = intake.case
    assert case.status == CaseStatus.SUBMITTED
    assert case.number.startswith(open_listing)
    assert case.submission_key == "async-key-000003"
    assert case.applicant == user
    # and its audit records name the applicant and the request's address
    submitted = AuditEvent.objects.get(event="cases.submitted", target_id=str(case.pk))
    assert submitted.actor == user
    assert submitted.source_ip == "198.51.100.7"
    assert submitted.request_id == intake.request_id != ""
    # and the status URL and a retry of the POST give the case
    status = client.get(f"{API}/intakes/async-key-000003", headers=bearer(user))
    assert status.json()["status"] == IntakeStatus.DONE
    assert status.json()["case_number"] == case.number
    retry = _post(client, user, open_listing, "async-key-000003")
    assert retry.status_code == 200
    assert retry.json()["id"] == case.pk


def test_a_retry_before_the_task_ran_takes_nothing_in_twice(
    client, world, open_listing
):
    user = world.citizen.user
    first = _post(client, user, open_listing, "async-key-000004")
    again = _post(client, user, open_listing, "async-key-000004")
    assert first.status_code == again.status_code == 202
    assert CaseIntake.objects.filter(applicant=user).count() == 1
    # and a retry for another listing with the key is a conflict
    other = published_listing(world.org_a, guide=complete_guide(materials=[]))
    conflict = _post(client, user, other, "async-key-000004")
    assert conflict.status_code == 409


def test_running_the_task_twice_makes_one_case(client, world, open_listing):
    user = world.citizen.user
    _post(client, user, open_listing, "async-key-000005")
    assert process_pending_intakes.call() == 1
    assert process_pending_intakes.call() == 0
    assert _intake(user, "async-key-000005").status == IntakeStatus.DONE
    assert Case.objects.filter(applicant=user).count() == 1
    assert AuditEvent.objects.filter(event="cases.submitted").count() == 1


def test_a_synchronous_retry_with_the_key_and_the_task_make_one_case(
    client, world, open_listing
):
    # given an intake not processed yet
    user = world.citizen.user
    _post(client, user, open_listing, "async-key-000006")
    # when the app retries without the async preference, then the task runs
    sync = client.post(
        f"{API}/",
        {"listing_code": open_listing, "form_data": dict(CONTACT_FORM)},
        content_type="application/json",
        headers={**bearer(user), "Idempotency-Key": "async-key-000006"},
    )
    intake = _intake(user, "async-key-000006")
    process_pending_intakes.call()
    # then one case, the intake pointing at it
    assert sync.status_code == 201
    intake.refresh_from_db()
    assert intake.case_id == sync.json()["id"]
    assert Case.objects.filter(applicant=user).count() == 1


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"contact_name": "张三", "contact_mobile": "123"}, "contact_mobile"),
        ({"contact_mobile": "13900000001"}, "contact_name"),
    ],
)
def test_a_bad_form_is_refused_at_the_door_naming_the_field(
    client, world, open_listing, form, field
):
    response = _post(client, world.citizen.user, open_listing, "bad-form-0001", form)
    assert response.status_code == 422
    assert response.json()["code"] == "cases.invalid_form"
    assert field in response.json()["fields"]
    assert not CaseIntake.objects.exists()


def test_a_listing_not_open_or_needing_uploads_is_refused_at_the_door(client, world):
    user = world.citizen.user
    unknown = _post(client, user, "1" * 31, "door-key-000001")
    assert unknown.status_code == 404
    assert unknown.json()["fields"] == {
        "listing_code": ["该事项不存在或当前不可申请。"]
    }
    # listing_a needs two uploaded materials: this path carries no files
    uploads = _post(client, user, world.listing_a, "door-key-000002")
    assert uploads.status_code == 422
    assert uploads.json()["code"] == "cases.missing_materials"
    assert not CaseIntake.objects.exists()


def test_without_a_token_nothing_is_taken_in(client, open_listing):
    response = client.post(
        f"{API}/",
        {"listing_code": open_listing, "form_data": dict(CONTACT_FORM)},
        content_type="application/json",
        headers=ASYNC,
    )
    assert response.status_code == 401
    assert not CaseIntake.objects.exists()


def test_a_refusal_at_the_task_is_recorded_told_and_answered_on_retry(
    client, world, open_listing
):
    # given an intake taken in, then the listing's form requires a new field
    user = world.citizen.user
    _post(client, user, open_listing, "async-key-000007")
    configure(
        open_listing,
        form_schema={
            "type": "object",
            "required": ["purpose"],
            "properties": {"purpose": {"type": "string", "title": "用途"}},
        },
    )
    intake = _intake(user, "async-key-000007")
    # when the task runs
    assert process_pending_intakes.call() == 1
    # then no case, the reason kept, audited as the system, the applicant told
    assert not Case.objects.filter(applicant=user).exists()
    intake.refresh_from_db()
    assert intake.error["code"] == "cases.invalid_form"
    assert "purpose" in intake.error["fields"]
    assert AuditEvent.objects.filter(
        event="cases.intake_rejected", target_id=str(intake.pk)
    ).exists()
    notice = Notification.objects.get(recipient=user, event="intake_rejected")
    assert "async-key-000007" in notice.body
    # and the status URL and a retry say so
    status = client.get(f"{API}/intakes/async-key-000007", headers=bearer(user))
    assert status.json()["status"] == IntakeStatus.REJECTED
    assert status.json()["error"]["code"] == "cases.invalid_form"
    retry = _post(client, user, open_listing, "async-key-000007")
    assert retry.status_code == 422
    assert retry.json()["code"] == "cases.invalid_form"


def test_an_applicant_cannot_see_another_applicants_intake(client, world, open_listing):
    # given a citizen's intake
    _post(client, world.citizen.user, open_listing, "async-key-000008")
    # when another citizen asks for it by key, or uses the same key
    other = world.other_citizen.user
    peek = client.get(f"{API}/intakes/async-key-000008", headers=bearer(other))
    own = _post(client, other, open_listing, "async-key-000008")
    # then not found, and the key is theirs to use: their own intake
    assert peek.status_code == 404
    assert own.status_code == 202
    assert CaseIntake.objects.filter(submission_key="async-key-000008").count() == 2


@override_settings(ZHENGWU_INTAKE_RETRY_SECONDS=60, ZHENGWU_INTAKE_MAX_ATTEMPTS=3)
def test_a_failure_leaves_the_intake_pending_counted_and_tried_again_later(
    client, world, open_listing
):
    # given two intakes, the first one's stored payload unreadable
    user = world.citizen.user
    _post(client, user, open_listing, "async-key-000009")
    _post(client, user, open_listing, "async-key-000010")
    broken = _intake(user, "async-key-000009")
    CaseIntake.objects.filter(pk=broken.pk).update(payload="not json")
    # when the task runs
    settled = process_pending_intakes.call()
    # then the other one is settled, the broken one pending with the attempt counted
    assert settled == 1
    assert _intake(user, "async-key-000010").status == IntakeStatus.DONE
    broken.refresh_from_db()
    assert (broken.status, broken.attempts) == (IntakeStatus.PENDING, 1)
    # and it is not tried again at once, only after the retry delay
    assert process_pending_intakes.call() == 0
    assert _intake(user, "async-key-000009").attempts == 1
    CaseIntake.objects.filter(pk=broken.pk).update(
        updated_at=timezone.now() - datetime.timedelta(minutes=2),
        payload=_intake(user, "async-key-000010").payload,
    )
    assert process_pending_intakes.call() == 1
    assert _intake(user, "async-key-000009").status == IntakeStatus.DONE


@override_settings(ZHENGWU_INTAKE_RETRY_SECONDS=60, ZHENGWU_INTAKE_MAX_ATTEMPTS=3)
def test_an_intake_that_failed_too_often_is_left_for_an_operator(
    client, world, open_listing
):
    # given an intake that failed three times, long ago
    user = world.citizen.user
    _post(client, user, open_listing, "async-key-000011")
    CaseIntake.objects.filter(submission_key="async-key-000011").update(
        attempts=3, updated_at=timezone.now() - datetime.timedelta(hours=1)
    )
    # when the task runs, then it is left pending (not dropped, not retried)
    assert process_pending_intakes.call() == 0
    intake = _intake(user, "async-key-000011")
    assert intake.status == IntakeStatus.PENDING


def test_a_retry_after_the_form_changed_gets_the_earlier_intake(
    client, world, open_listing
):
    # given an intake taken in, then the listing's form requires a new field
    user = world.citizen.user
    first = _post(client, user, open_listing, "async-key-000013")
    configure(
        open_listing,
        form_schema={
            "type": "object",
            "required": ["purpose"],
            "properties": {"purpose": {"type": "string", "title": "用途"}},
        },
    )
    from zhengwu.cases.intake import clear_intake_rules

    clear_intake_rules()
    # when the app retries the same application with the key
    retry = _post(client, user, open_listing, "async-key-000013")
    # then it gets the earlier intake (202), not the new form's refusal
    assert first.status_code == retry.status_code == 202
    assert retry.json()["status_url"] == first.json()["status_url"]
    assert CaseIntake.objects.filter(applicant=user).count() == 1
    # and a new key with the old form is refused at the door, naming the field
    fresh = _post(client, user, open_listing, "async-key-000014")
    assert fresh.status_code == 422
    assert "purpose" in fresh.json()["fields"]
