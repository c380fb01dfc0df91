"""Result delivery: the applicant's choice, express through the local provider
(tracking number, signed status callbacks appended to the track), pick-up."""

import pytest

from zhengwu.cases import delivery
from zhengwu.cases.constants import CaseStatus, ResultDelivery, ShipmentStatus
from zhengwu.cases.errors import CaseError
from zhengwu.cases.models import Notification, ProviderCallback, Shipment
from zhengwu.cases.providers import sender
from zhengwu.cases.providers.express_local import NAME
from zhengwu.cases.providers.signing import canonical_json, signed_headers
from zhengwu.core.models import AuditEvent

from .sidechannel_helpers import citizen_case

pytestmark = pytest.mark.django_db

URL = "/api/v1/cases/callbacks/express/local"
RECIPIENT = {
    "recipient_name": "张三",
    "recipient_mobile": "139 0000 0002",
    "address": "辽宁省沈阳市和平区某某街1号",
}


def _post(client, body, *, notify_id, secret=None):
    raw = canonical_json(body)
    headers = signed_headers(
        secret or sender.secret_for(NAME), notify_id=notify_id, body=raw
    )
    return client.post(URL, data=raw, content_type="application/json", headers=headers)


def _shipped(world) -> Shipment:
    case = citizen_case(world, status=CaseStatus.APPROVED)
    delivery.delivery_choose(
        user=world.citizen.user,
        case_id=case.pk,
        method=ResultDelivery.EXPRESS,
        **RECIPIENT,
    )
    return Shipment.objects.get(case=case)


def test_express_choice_on_a_finished_case_is_booked_at_once(world):
    # when the applicant chooses express for an approved case
    shipment = _shipped(world)

    # then a tracking number, the recipient kept encrypted, the applicant told
    assert shipment.tracking_number.startswith("ZWEX")
    assert shipment.recipient_mobile == "13900000002"
    assert shipment.status == ShipmentStatus.ORDERED
    assert shipment.case.result_delivery == ResultDelivery.EXPRESS
    assert AuditEvent.objects.filter(event="cases.delivery_chosen").exists()
    assert AuditEvent.objects.filter(event="cases.shipment_ordered").exists()
    assert Notification.objects.filter(
        case=shipment.case, event="shipment_updated", channel="site"
    ).exists()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT address FROM cases_shipment WHERE id = %s", [shipment.pk]
        )
        assert "和平区" not in cursor.fetchone()[0]


def test_express_choice_on_an_open_case_waits_for_the_result(world):
    # given an accepted case: the address is kept, not booked
    case = citizen_case(world)
    delivery.delivery_choose(
        user=world.citizen.user, case_id=case.pk, method="express", **RECIPIENT
    )
    pending = Shipment.objects.get(case=case)
    assert pending.tracking_number == ""

    # when the result is ready, the pending parcel is booked
    booked = delivery.shipment_dispatch_pending(case=case)
    assert booked.pk == pending.pk
    assert booked.tracking_number


def test_choice_input_is_checked_field_by_field(world):
    case = citizen_case(world)
    for field, value in (
        ("recipient_mobile", "12345"),
        ("recipient_name", ""),
        ("address", "短"),
    ):
        with pytest.raises(CaseError) as error:
            delivery.delivery_choose(
                user=world.citizen.user,
                case_id=case.pk,
                method="express",
                **{**RECIPIENT, field: value},
            )
        assert field in error.value.fields
    with pytest.raises(CaseError) as error:
        delivery.delivery_choose(user=world.citizen.user, case_id=case.pk, method="fly")
    assert "method" in error.value.fields


def test_another_citizen_cannot_choose(world):
    case = citizen_case(world)
    with pytest.raises(CaseError) as error:
        delivery.delivery_choose(
            user=world.other_citizen.user, case_id=case.pk, method="pickup"
        )
    assert error.value.status == 404
    case.refresh_from_db()
    assert case.result_delivery == ResultDelivery.ONLINE


def test_status_callbacks_move_the_parcel_and_are_appended(client, world):
    shipment = _shipped(world)
    body = {
        "kind": "shipment",
        "tracking_number": shipment.tracking_number,
        "status": "collected",
        "description": "快递员已揽收",
        "occurred_at": "2026-11-27T10:00:00+08:00",
    }

    # collected, then delivered
    assert _post(client, body, notify_id="c1").status_code == 200
    assert (
        _post(client, {**body, "status": "delivered"}, notify_id="c2").status_code
        == 200
    )
    # a late "in transit" is recorded in the track but does not move it back
    response = _post(client, {**body, "status": "in_transit"}, notify_id="c3")
    assert response.status_code == 200

    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.DELIVERED
    assert [event["status"] for event in shipment.events] == [
        "ordered",
        "collected",
        "delivered",
        "in_transit",
    ]
    assert AuditEvent.objects.filter(event="cases.shipment_updated").count() == 2
    # a replay changes nothing
    assert _post(client, body, notify_id="c1").status_code == 200
    shipment.refresh_from_db()
    assert len(shipment.events) == 4


def test_forged_status_callback_is_refused(client, world):
    shipment = _shipped(world)
    body = {
        "kind": "shipment",
        "tracking_number": shipment.tracking_number,
        "status": "delivered",
    }
    response = _post(client, body, notify_id="f", secret=b"forged")
    assert response.status_code == 400
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.ORDERED
    assert ProviderCallback.objects.get(notify_id="f").is_verified is False


def test_courier_console_queues_a_signed_notification(
    client, world, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    shipment = _shipped(world)
    # the courier console is for the department's staff only
    client.force_login(world.reviewer_b)
    assert client.get(f"/local-express/{shipment.tracking_number}/").status_code == 404
    client.force_login(world.reviewer_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/local-express/{shipment.tracking_number}/", {"action": "collected"}
        )
    assert response.status_code == 200
    task = DBTaskResult.objects.get(
        task_path="zhengwu.cases.providers.sender.provider_notify"
    )
    kwargs = task.args_kwargs["kwargs"]
    assert kwargs["body"]["status"] == "collected"
    client.logout()
    assert (
        _post(client, kwargs["body"], notify_id=kwargs["notify_id"]).status_code == 200
    )
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.COLLECTED


def test_staff_ship_and_record_pickup(world):
    case = citizen_case(world, status=CaseStatus.APPROVED)
    shipment = delivery.shipment_create(
        case_id=case.pk, acting_user=world.reviewer_a, **RECIPIENT
    )
    assert shipment.tracking_number
    with pytest.raises(CaseError):
        delivery.shipment_create(
            case_id=case.pk, acting_user=world.reviewer_b, **RECIPIENT
        )
    delivery.result_pickup(
        case_id=case.pk, acting_user=world.clerk_a, picked_up_by="张三"
    )
    assert AuditEvent.objects.filter(event="cases.result_picked_up").exists()
    open_case = citizen_case(world)
    with pytest.raises(CaseError) as error:
        delivery.result_pickup(
            case_id=open_case.pk, acting_user=world.clerk_a, picked_up_by="张三"
        )
    assert error.value.status == 409
