"""Fees: orders from the fee items, the local provider's signed notifications
(verified, idempotent, refused when forged, stale, replayed or not matching),
refunds."""

import json
import time

from django.db import connection

import pytest

from zhengwu.cases import payments
from zhengwu.cases.constants import CaseStatus, PaymentStatus
from zhengwu.cases.models import Notification, PaymentOrder, ProviderCallback
from zhengwu.cases.providers import sender
from zhengwu.cases.providers.payment_local import NAME
from zhengwu.cases.providers.signing import canonical_json, signed_headers
from zhengwu.core.models import AuditEvent

from .factories import configure
from .sidechannel_helpers import citizen_case

pytestmark = pytest.mark.django_db

URL = "/api/v1/cases/callbacks/payment/local"


def _order(world) -> PaymentOrder:
    configure(world.listing_a, fee_items=[{"name": "工本费", "amount_fen": 1500}])
    case = citizen_case(world)
    order = payments.payment_order_for_case(case=case)
    assert order is not None
    return order


def _paid_body(order, amount=None) -> dict:
    return {
        "kind": "payment",
        "order_number": order.order_number,
        "trade_number": "LP123",
        "amount_fen": order.amount_fen if amount is None else amount,
        "status": "paid",
        "paid_at": "2026-11-27T10:00:00+08:00",
    }


def _post(client, body: dict, *, notify_id="n-1", secret=None, now=None, raw=None):
    data = raw if raw is not None else canonical_json(body)
    headers = signed_headers(
        secret or sender.secret_for(NAME), notify_id=notify_id, body=data, now=now
    )
    return client.post(
        URL,
        data=data,
        content_type="application/json",
        headers=headers,
    )


def test_order_from_fee_items_once_and_case_needs_payment(world):
    # given a listing with two fee items
    configure(
        world.listing_a,
        fee_items=[
            {"name": "工本费", "amount_fen": 1500},
            {"name": "检验费", "amount_fen": 500},
            {"name": "免费项", "amount_fen": 0},
        ],
    )
    case = citizen_case(world)

    # when the order is asked for twice
    first = payments.payment_order_for_case(case=case)
    second = payments.payment_order_for_case(case=case)

    # then one order of the sum, the case needs payment and the applicant is told
    assert first.pk == second.pk
    assert first.amount_fen == 2000
    assert len(first.items) == 2
    case.refresh_from_db()
    assert case.requires_payment is True
    assert payments.case_is_paid(case) is False
    assert Notification.objects.filter(case=case, event="payment_required").exists()
    assert payments.payment_url(first) == f"/local-pay/{first.order_number}/"


def test_no_fee_items_no_order(world):
    case = citizen_case(world)
    assert payments.payment_order_for_case(case=case) is None
    assert payments.case_is_paid(case) is True


def test_signed_notification_marks_the_order_paid(client, world):
    # given an unpaid order
    order = _order(world)

    # when the provider's signed notification arrives
    response = _post(client, _paid_body(order))

    # then success, paid, audited on the case, the applicant told
    assert response.status_code == 200
    assert response.content == b"success"
    order.refresh_from_db()
    assert order.status == PaymentStatus.PAID
    assert order.provider_trade_number == "LP123"
    assert payments.case_is_paid(order.case) is True
    assert AuditEvent.objects.filter(
        event="cases.payment_paid", target_id=str(order.case_id)
    ).exists()
    assert Notification.objects.filter(case=order.case, event="payment_paid").exists()
    assert ProviderCallback.objects.get(notify_id="n-1").is_verified is True


def test_forged_signature_is_refused_and_changes_nothing(client, world):
    # given an unpaid order
    order = _order(world)

    # when a notification signed with another key arrives
    response = _post(client, _paid_body(order), secret=b"not-the-provider-secret")

    # then 400, the order still unpaid, the attempt kept and audited
    assert response.status_code == 400
    order.refresh_from_db()
    assert order.status == PaymentStatus.UNPAID
    callback = ProviderCallback.objects.get(notify_id="n-1")
    assert callback.is_verified is False
    assert callback.outcome == "bad_signature"
    assert AuditEvent.objects.filter(
        event="cases.provider_callback_rejected", outcome="failure"
    ).exists()


def test_body_changed_after_signing_is_refused(client, world):
    # given a notification signed for one amount
    order = _order(world)
    signed = canonical_json(_paid_body(order))
    headers = signed_headers(sender.secret_for(NAME), notify_id="n-2", body=signed)

    # when the body is altered in transit
    tampered = signed.replace(b'"status":"paid"', b'"status":"paid" ')
    response = client.post(
        URL, data=tampered, content_type="application/json", headers=headers
    )

    # then refused
    assert response.status_code == 400
    order.refresh_from_db()
    assert order.status == PaymentStatus.UNPAID


def test_missing_signature_headers_are_refused(client, world):
    order = _order(world)
    response = client.post(
        URL, data=canonical_json(_paid_body(order)), content_type="application/json"
    )
    assert response.status_code == 400
    assert ProviderCallback.objects.get().outcome == "missing_headers"
    order.refresh_from_db()
    assert order.status == PaymentStatus.UNPAID


def test_stale_timestamp_is_refused(client, world, settings):
    # given a correctly signed notification from ten minutes ago
    settings.ZHENGWU_CALLBACK_MAX_SKEW_SECONDS = 300
    order = _order(world)

    # when it arrives
    response = _post(client, _paid_body(order), now=time.time() - 600)

    # then refused as stale
    assert response.status_code == 400
    assert ProviderCallback.objects.get().outcome == "stale_timestamp"
    order.refresh_from_db()
    assert order.status == PaymentStatus.UNPAID


def test_replayed_notification_answers_success_and_changes_nothing(client, world):
    # given a notification already handled
    order = _order(world)
    assert _post(client, _paid_body(order), notify_id="n-9").status_code == 200
    order.refresh_from_db()
    paid_at = order.paid_at
    events = AuditEvent.objects.filter(event="cases.payment_paid").count()
    messages = Notification.objects.filter(event="payment_paid").count()

    # when the same notification is sent again (with a fresh timestamp)
    response = _post(client, _paid_body(order), notify_id="n-9")

    # then success again and nothing new
    assert response.status_code == 200
    assert response.content == b"success"
    order.refresh_from_db()
    assert order.paid_at == paid_at
    assert AuditEvent.objects.filter(event="cases.payment_paid").count() == events
    assert Notification.objects.filter(event="payment_paid").count() == messages
    assert ProviderCallback.objects.filter(notify_id="n-9").count() == 1


def test_second_notification_of_a_paid_order_changes_nothing(client, world):
    order = _order(world)
    _post(client, _paid_body(order), notify_id="a")
    response = _post(client, _paid_body(order), notify_id="b")
    assert response.status_code == 200
    assert ProviderCallback.objects.get(notify_id="b").outcome == "already_paid"
    assert AuditEvent.objects.filter(event="cases.payment_paid").count() == 1


def test_wrong_amount_is_refused(client, world):
    # given an order of 15.00 yuan
    order = _order(world)

    # when a signed notification says 0.01 yuan was paid
    response = _post(client, _paid_body(order, amount=1), notify_id="w")

    # then refused, unpaid, and a retry of it gets the same answer
    assert response.status_code == 400
    order.refresh_from_db()
    assert order.status == PaymentStatus.UNPAID
    assert ProviderCallback.objects.get(notify_id="w").outcome == "amount_mismatch"
    assert _post(client, _paid_body(order, amount=1), notify_id="w").status_code == 400


def test_unknown_order_and_malformed_body_are_refused(client, world):
    _order(world)
    body = {
        "kind": "payment",
        "order_number": "NOPE",
        "amount_fen": 1,
        "status": "paid",
    }
    assert _post(client, body, notify_id="u").status_code == 400
    assert _post(client, {}, notify_id="m", raw=b"not json").status_code == 400
    assert _post(client, {}, notify_id="l", raw=b"[1, 2]").status_code == 400


def test_unknown_provider_is_404(client, world):
    order = _order(world)
    response = client.post(
        "/api/v1/cases/callbacks/payment/other",
        data=canonical_json(_paid_body(order)),
        content_type="application/json",
    )
    assert response.status_code == 404


def test_refund_by_staff_is_confirmed_by_the_provider(
    client, world, django_capture_on_commit_callbacks
):
    # given a paid order
    order = _order(world)
    _post(client, _paid_body(order), notify_id="p")

    # when a reviewer of the department refunds it
    with django_capture_on_commit_callbacks() as callbacks:
        payments.payment_refund(
            order_id=order.pk, acting_user=world.reviewer_a, reason="不予许可，退还费用"
        )
    # the local provider queues its refund notification after commit
    assert len(callbacks) == 1
    refund_id = sender.stable_notify_id(
        NAME, "refund", f"{order.order_number}R00000000"
    )
    body = {
        "kind": "refund",
        "order_number": order.order_number,
        "refund_number": f"{order.order_number}R00000000",
        "amount_fen": 1500,
        "status": "refunded",
    }
    response = _post(client, body, notify_id=refund_id)

    # then refunded, audited (request and confirmation), replay harmless
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == PaymentStatus.REFUNDED
    assert order.refunded_fen == 1500
    assert AuditEvent.objects.filter(event="cases.payment_refund_requested").exists()
    assert AuditEvent.objects.filter(event="cases.payment_refunded").count() == 1
    assert _post(client, body, notify_id=refund_id).status_code == 200
    assert _post(client, body, notify_id="other-id").status_code == 200
    order.refresh_from_db()
    assert order.refunded_fen == 1500
    assert AuditEvent.objects.filter(event="cases.payment_refunded").count() == 1


@pytest.mark.parametrize("who", ["reviewer_b", "citizen"])
def test_refund_refused_to_others(world, who):
    from zhengwu.cases.errors import CaseError

    order = _order(world)
    PaymentOrder.objects.filter(pk=order.pk).update(status=PaymentStatus.PAID)
    user = world.reviewer_b if who == "reviewer_b" else world.citizen.user
    with pytest.raises(CaseError) as error:
        payments.payment_refund(order_id=order.pk, acting_user=user, reason="x")
    assert error.value.status == 404
    assert not AuditEvent.objects.filter(
        event="cases.payment_refund_requested"
    ).exists()


def test_refund_of_unpaid_order_or_too_much_is_refused(world):
    from zhengwu.cases.errors import CaseError

    order = _order(world)
    with pytest.raises(CaseError) as unpaid:
        payments.payment_refund(
            order_id=order.pk, acting_user=world.reviewer_a, reason="x"
        )
    assert unpaid.value.status == 409
    PaymentOrder.objects.filter(pk=order.pk).update(status=PaymentStatus.PAID)
    with pytest.raises(CaseError) as too_much:
        payments.payment_refund(
            order_id=order.pk, acting_user=world.reviewer_a, reason="x", amount_fen=1501
        )
    assert too_much.value.fields == {"amount_fen": [too_much.value.message]}
    with pytest.raises(CaseError) as no_reason:
        payments.payment_refund(
            order_id=order.pk, acting_user=world.reviewer_a, reason=" "
        )
    assert "reason" in no_reason.value.fields


def test_cashier_page_confirms_through_a_signed_notification(
    client, world, django_capture_on_commit_callbacks
):
    # given an unpaid order and its cashier page
    order = _order(world)
    client.force_login(world.citizen.user)
    page = client.get(f"/local-pay/{order.order_number}/")
    assert page.status_code == 200
    assert "¥15.00" in page.content.decode()

    # when the payer confirms, the provider queues its notification
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/local-pay/{order.order_number}/", {"action": "pay"})
    assert response.status_code == 200

    # then the order is still unpaid until the notification arrives
    order.refresh_from_db()
    assert order.status == PaymentStatus.UNPAID
    from django_tasks_db.models import DBTaskResult

    queued = DBTaskResult.objects.get(
        task_path="zhengwu.cases.providers.sender.provider_notify"
    )
    kwargs = queued.args_kwargs["kwargs"]
    # and that notification, delivered, pays it
    response = _post(client, kwargs["body"], notify_id=kwargs["notify_id"])
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == PaymentStatus.PAID


def test_provider_task_posts_signed_until_success(live_server, world, settings):
    # given the platform running and an unpaid order
    settings.ZHENGWU_CALLBACK_BASE_URL = live_server.url
    order = _order(world)
    body = _paid_body(order)

    # when the provider's task runs
    result = sender.provider_notify.call(
        provider=NAME, notify_id="live-1", body=json.loads(canonical_json(body))
    )

    # then the platform answered success and the order is paid
    assert result == "success"
    order.refresh_from_db()
    assert order.status == PaymentStatus.PAID


def test_provider_task_retries_when_the_platform_refuses(world, settings):
    from django_tasks_db.models import DBTaskResult

    # given a callback URL where nothing listens
    settings.ZHENGWU_CALLBACK_BASE_URL = "http://127.0.0.1:9"
    order = _order(world)

    # when the task runs
    result = sender.provider_notify.call(
        provider=NAME, notify_id="r-1", body=_paid_body(order)
    )

    # then the next attempt is queued
    assert result == "retrying"
    queued = DBTaskResult.objects.get(
        task_path="zhengwu.cases.providers.sender.provider_notify"
    )
    assert queued.args_kwargs["kwargs"]["attempt"] == 2


def test_case_not_paid_blocks_nothing_without_orders(world):
    case = citizen_case(world, status=CaseStatus.APPROVED)
    assert payments.case_is_paid(case)
    assert connection.vendor in ("sqlite", "postgresql")
