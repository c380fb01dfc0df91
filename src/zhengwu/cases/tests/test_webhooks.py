"""Signed webhooks to department systems: rows in the caller's transaction, a task
POSTs JSON signed with HMAC-SM3 to a real local HTTP server that verifies it,
retries with backoff, subscriptions by the department's staff only."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django_tasks_db.models import DBTaskResult

from zhengwu.cases import webhooks
from zhengwu.cases.constants import DeliveryStatus
from zhengwu.cases.errors import CaseError
from zhengwu.cases.models import WebhookDelivery, WebhookSubscription
from zhengwu.cases.providers.signing import verify
from zhengwu.core.models import AuditEvent

from .sidechannel_helpers import citizen_case

pytestmark = pytest.mark.django_db

SECRET = "department-system-secret-0123456789"


@pytest.fixture(autouse=True)
def _local_receivers_allowed(settings):
    """The test receivers listen on 127.0.0.1: allow private targets here (the
    SSRF guard itself is tested in test_security_callbacks with it off)."""
    settings.ZHENGWU_WEBHOOK_ALLOW_PRIVATE_TARGETS = True


class Receiver:
    """A department system on 127.0.0.1: verifies each request's signature and
    answers ``status`` (a list: one answer per request, the last repeated)."""

    def __init__(self, statuses=(200,)):
        self.requests: list[dict] = []
        self.statuses = list(statuses)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                check = verify(
                    SECRET.encode(), headers=dict(self.headers.items()), body=body
                )
                receiver.requests.append(
                    {
                        "valid": check.is_valid,
                        "event": self.headers.get("X-Zhengwu-Event"),
                        "delivery": self.headers.get("X-Zhengwu-Notify-Id"),
                        "json": json.loads(body),
                    }
                )
                index = min(len(receiver.requests) - 1, len(receiver.statuses) - 1)
                status = receiver.statuses[index] if check.is_valid else 401
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def _subscribe(world, url, events=None):
    subscription, secret = webhooks.webhook_subscribe(
        acting_user=world.reviewer_a,
        organisation_id=world.org_a.pk,
        url=url,
        events=events,
        secret=SECRET,
    )
    return subscription


def test_event_is_posted_signed_and_verified_by_the_receiver(
    world, django_capture_on_commit_callbacks
):
    with Receiver() as receiver:
        # given a subscription of department A's system
        _subscribe(world, receiver.url, events=["accepted", "decided"])
        case = citizen_case(world)

        # when the case is accepted (and an unsubscribed event happens)
        with django_capture_on_commit_callbacks(execute=True):
            deliveries = webhooks.webhook_case_event(case=case, event="accepted")
            assert webhooks.webhook_case_event(case=case, event="rated") == []
        delivery = deliveries[0]
        assert (
            delivery.reference
            == f"{delivery.subscription_id}:case:{case.pk}:accepted:1"
        )
        task = DBTaskResult.objects.get(
            task_path="zhengwu.cases.webhooks.deliver_webhook"
        )
        assert task.args_kwargs["kwargs"] == {"delivery_id": delivery.pk}
        assert webhooks.deliver_webhook.call(delivery_id=delivery.pk) == "sent"

    # then the receiver got one request whose signature verified
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request["valid"] is True
    assert request["event"] == "accepted"
    assert request["delivery"] == delivery.reference
    assert request["json"]["case"]["number"] == case.number
    assert "applicant_name" not in json.dumps(request["json"])
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.attempts == 1


def test_failure_is_retried_with_backoff_then_delivered_once(world):
    with Receiver(statuses=(500, 200)) as receiver:
        _subscribe(world, receiver.url)
        case = citizen_case(world)
        delivery = webhooks.webhook_case_event(case=case, event="decided")[0]

        # first attempt: 500 → pending, next attempt queued later
        assert webhooks.deliver_webhook.call(delivery_id=delivery.pk) == "pending"
        delivery.refresh_from_db()
        assert delivery.last_error == "HTTP 500"
        retry = DBTaskResult.objects.get(
            task_path="zhengwu.cases.webhooks.deliver_webhook"
        )
        assert retry.run_after is not None

        # second attempt: delivered; a third call sends nothing
        assert webhooks.deliver_webhook.call(delivery_id=delivery.pk) == "sent"
        assert webhooks.deliver_webhook.call(delivery_id=delivery.pk) == "sent"
    assert len(receiver.requests) == 2


def test_gives_up_after_the_last_attempt(world, settings):
    settings.ZHENGWU_WEBHOOK_MAX_ATTEMPTS = 1
    _subscribe(world, "http://127.0.0.1:9/nothing-listens")
    delivery = webhooks.webhook_case_event(case=citizen_case(world), event="decided")[0]
    assert webhooks.deliver_webhook.call(delivery_id=delivery.pk) == "failed"


def test_other_departments_subscriptions_get_nothing(world):
    _subscribe(world, "https://a.example.com/hook")
    WebhookSubscription.objects.create(
        organisation=world.org_b,
        url="https://b.example.com/hook",
        secret=SECRET,
        created_by=world.reviewer_b,
    )
    deliveries = webhooks.webhook_case_event(case=citizen_case(world), event="accepted")
    assert [d.subscription.url for d in deliveries] == ["https://a.example.com/hook"]


def test_subscribe_returns_a_generated_secret_once_and_audits(world):
    subscription, secret = webhooks.webhook_subscribe(
        acting_user=world.reviewer_a,
        organisation_id=world.org_a.pk,
        url="https://a.example.com/hook",
    )
    assert len(secret) >= 32
    subscription.refresh_from_db()
    assert subscription.secret == secret
    assert AuditEvent.objects.filter(event="cases.webhook_subscribed").exists()
    assert secret not in json.dumps(
        AuditEvent.objects.get(event="cases.webhook_subscribed").data
    )
    assert list(webhooks.subscriptions_for_user(world.reviewer_a)) == [subscription]
    assert list(webhooks.subscriptions_for_user(world.reviewer_b)) == []


@pytest.mark.parametrize(
    "field, kwargs",
    [
        ("url", {"url": "ftp://a.example.com"}),
        ("url", {"url": "http://a.example.com/hook"}),
        ("secret", {"secret": "short"}),
        ("events", {"events": ["nope"]}),
    ],
)
def test_subscribe_refuses_bad_input_naming_the_field(world, field, kwargs):
    arguments = {
        "acting_user": world.reviewer_a,
        "organisation_id": world.org_a.pk,
        "url": "https://a.example.com/hook",
        **kwargs,
    }
    with pytest.raises(CaseError) as error:
        webhooks.webhook_subscribe(**arguments)
    assert field in error.value.fields
    assert not WebhookSubscription.objects.exists()


def test_other_departments_staff_cannot_subscribe_or_unsubscribe(world):
    with pytest.raises(CaseError):
        webhooks.webhook_subscribe(
            acting_user=world.reviewer_b,
            organisation_id=world.org_a.pk,
            url="https://a.example.com/hook",
        )
    subscription = _subscribe(world, "https://a.example.com/hook")
    with pytest.raises(CaseError):
        webhooks.webhook_unsubscribe(
            acting_user=world.reviewer_b, subscription_id=subscription.pk
        )
    webhooks.webhook_unsubscribe(
        acting_user=world.reviewer_a, subscription_id=subscription.pk
    )
    subscription.refresh_from_db()
    assert subscription.is_active is False
    assert webhooks.webhook_case_event(case=citizen_case(world), event="accepted") == []
    assert WebhookDelivery.objects.count() == 0
