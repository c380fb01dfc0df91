"""Security review of the provider callbacks, the local providers' pages and the
webhook receivers: the cashier confirms only the payer's own order, forged, replayed
or stale notifications change nothing, and webhooks never reach private addresses."""

import socket
import time

import pytest
from django_tasks_db.models import DBTaskResult

from zhengwu.cases import payments, webhooks
from zhengwu.cases.constants import DeliveryStatus, PaymentStatus
from zhengwu.cases.errors import CaseError
from zhengwu.cases.models import PaymentOrder, WebhookDelivery, WebhookSubscription
from zhengwu.cases.providers import sender
from zhengwu.cases.providers.payment_local import NAME
from zhengwu.cases.providers.signing import canonical_json, signed_headers

from .factories import configure
from .sidechannel_helpers import citizen_case

pytestmark = pytest.mark.django_db

PAY_URL = "/api/v1/cases/callbacks/payment/local"
SECRET = "department-system-secret-0123456789"


def _order(world) -> PaymentOrder:
    configure(world.listing_a, fee_items=[{"name": "工本费", "amount_fen": 1500}])
    order = payments.payment_order_for_case(case=citizen_case(world))
    assert order is not None
    return order


def _paid_body(order) -> bytes:
    return canonical_json(
        {
            "kind": "payment",
            "order_number": order.order_number,
            "trade_number": "LP999",
            "amount_fen": order.amount_fen,
            "status": "paid",
            "paid_at": "2026-11-27T10:00:00+08:00",
        }
    )


def _queued_notifications() -> int:
    return DBTaskResult.objects.filter(
        task_path="zhengwu.cases.providers.sender.provider_notify"
    ).count()


@pytest.mark.parametrize("who", ["anonymous", "other_citizen", "reviewer_b"])
def test_cashier_page_is_a_404_for_anyone_but_the_payer(
    client, world, who, django_capture_on_commit_callbacks
):
    # given an unpaid order of 张三's case
    order = _order(world)
    if who == "other_citizen":
        client.force_login(world.other_citizen.user)
    elif who == "reviewer_b":
        client.force_login(world.reviewer_b)

    # when someone else opens or confirms the cashier with the order number
    page = client.get(f"/local-pay/{order.order_number}/")
    with django_capture_on_commit_callbacks(execute=True):
        confirm = client.post(f"/local-pay/{order.order_number}/", {"action": "pay"})

    # then both are 404 and no provider notification is queued
    assert page.status_code == 404
    assert confirm.status_code == 404
    assert _queued_notifications() == 0
    order.refresh_from_db()
    assert order.status == PaymentStatus.UNPAID


@pytest.mark.parametrize(
    "tamper",
    ["no_headers", "wrong_secret", "body_changed", "stale", "future"],
)
def test_forged_or_stale_payment_notification_changes_nothing(client, world, tamper):
    # given an unpaid order and a notification body for it
    order = _order(world)
    body = _paid_body(order)
    secret = sender.secret_for(NAME)
    now = time.time()
    headers = signed_headers(secret, notify_id="forged-1", body=body, now=now)
    sent = body
    if tamper == "no_headers":
        headers = {}
    elif tamper == "wrong_secret":
        headers = signed_headers(b"guess", notify_id="forged-1", body=body, now=now)
    elif tamper == "body_changed":
        sent = body.replace(b"LP999", b"LP998")
    elif tamper == "stale":
        headers = signed_headers(secret, notify_id="f", body=body, now=now - 3600)
    elif tamper == "future":
        headers = signed_headers(secret, notify_id="f", body=body, now=now + 3600)

    # when it is posted to the callback
    response = client.post(
        PAY_URL, data=sent, content_type="application/json", headers=headers
    )

    # then it is refused and the order stays unpaid
    assert 400 <= response.status_code < 500
    order.refresh_from_db()
    assert order.status == PaymentStatus.UNPAID


def test_replayed_notification_pays_once(client, world):
    # given a genuine notification that paid the order
    order = _order(world)
    body = _paid_body(order)
    headers = signed_headers(sender.secret_for(NAME), notify_id="n-7", body=body)
    first = client.post(
        PAY_URL, data=body, content_type="application/json", headers=headers
    )
    assert first.status_code == 200
    paid = PaymentOrder.objects.get(pk=order.pk)

    # when the same request is replayed
    again = client.post(
        PAY_URL, data=body, content_type="application/json", headers=headers
    )

    # then it is answered without paying again
    assert again.status_code < 500
    order.refresh_from_db()
    assert order.status == PaymentStatus.PAID
    assert order.paid_at == paid.paid_at


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.0.0.8/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://0.0.0.0/hook",
        "https://metadata.google.internal/",
        "http://127.0.0.1:8000/hook",
        "https://[::1/hook",
        "https://a.example.com:99999/hook",
    ],
)
def test_webhook_to_a_private_or_loopback_address_is_refused(world, settings, url):
    # given private targets are not allowed (the default)
    settings.ZHENGWU_WEBHOOK_ALLOW_PRIVATE_TARGETS = False

    # when a department subscribes such a receiver
    with pytest.raises(CaseError) as error:
        webhooks.webhook_subscribe(
            acting_user=world.reviewer_a,
            organisation_id=world.org_a.pk,
            url=url,
            secret=SECRET,
        )

    # then the url field is named and nothing is saved
    assert "url" in error.value.fields
    assert not WebhookSubscription.objects.exists()


def test_webhook_whose_name_resolves_to_a_private_address_is_not_called(
    world, settings
):
    # given a subscription whose host name (this machine's name) resolves to a
    # non-public address, as an internal DNS name or a rebinding would
    host = socket.gethostname()
    addresses = {info[4][0] for info in socket.getaddrinfo(host, 443)}
    if any(webhooks._public_address(address) for address in addresses):
        pytest.skip("this machine's name resolves to a public address")
    subscription = WebhookSubscription.objects.create(
        organisation=world.org_a,
        url=f"https://{host}/hook",
        secret=SECRET,
        events=[],
        created_by=world.reviewer_a,
    )
    assert subscription.pk
    settings.ZHENGWU_WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    case = citizen_case(world)
    delivery = webhooks.webhook_case_event(case=case, event="accepted")[0]

    # when the delivery task runs
    webhooks.deliver_webhook.call(delivery_id=delivery.pk)

    # then no request was made: the attempt failed naming the refusal
    delivery = WebhookDelivery.objects.get(pk=delivery.pk)
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_error in {"private_address", "unresolvable"}
