"""Security review: nothing a user can send to the case pages, the workbench pages
or the provider callbacks is a 500. Every URL pattern of ``urls_cases``,
``urls_workbench`` and ``cases.callback_urls`` is walked with real and unknown ids
(up to 18 digits, the id converter's bound), as anonymous, a citizen and a reviewer,
with hostile GET queries and POST bodies: wrong types, missing fields, NUL
characters, huge numbers, duplicated parameters, non-UTF-8 bytes, malformed
multipart, oversized and deeply nested JSON. Runs on SQLite and PostgreSQL
(``ZHENGWU_DATABASE_URL``): PostgreSQL refuses NUL in text and ``\\u0000`` in JSON."""

from __future__ import annotations

import json
import re
import traceback
import uuid

from django.test import Client

import pytest

from zhengwu.cases import callback_urls, payments
from zhengwu.cases.models import CaseTask, PaymentOrder
from zhengwu.cases.providers import sender
from zhengwu.cases.providers.signing import signed_headers
from zhengwu.cases.tests.factories import (
    World,
    apply,
    configure,
    published_listing,
    seed_calendar_2026,
)
from zhengwu.identity.constants import StaffRole
from zhengwu.identity.tests.person_factories import make_citizen
from zhengwu.identity.tests.staff_factories import organisation, staff_user
from zhengwu.portal import urls as _portal_urls  # noqa: F401  (registers converters)
from zhengwu.portal import urls_cases, urls_workbench

pytestmark = pytest.mark.django_db

HUGE_ID = "9" * 18
NUL = "\x00"

# Field names the case and workbench forms read (a superset: unknown ones are
# ignored by the views, which is also worth sending).
FIELDS = [
    "action",
    "after",
    "all",
    "note",
    "next",
    "listing",
    "handling_item",
    "slot",
    "notification",
    "submission_key",
    "status",
    "q",
    "unread",
    "supplement_rows",
    "audience",
    "body",
    "comment",
    "days",
    "decision",
    "decision_key",
    "division",
    "effective_from",
    "effective_until",
    "item",
    "material",
    "name",
    "online",
    "organisation",
    "outcome",
    "opinion",
    "parallel_organisation_ids",
    "process_template",
    "reason",
    "tab",
    "to_user",
    "legal_basis",
    "result",
    "approve",
    "amount_fen",
    "score",
    "rating",
    "delivery",
    "method",
    "recipient_name",
    "recipient_mobile",
    "address",
    "region",
    "contact_name",
    "contact_mobile",
    "id_number",
    "date",
    "visit",
    "cursor",
    "page",
    "reuse",
    "items",
    "form-TOTAL_FORMS",
    "form-INITIAL_FORMS",
    "form-0-name",
    "items-TOTAL_FORMS",
    "items-INITIAL_FORMS",
    "items-0-material",
    "items-0-reason",
    "supplement-TOTAL_FORMS",
    "supplement-INITIAL_FORMS",
    "window",
    "service_point",
    "principal",
    "entity",
    "credit_code",
]

JUNK_VALUES = [
    "x",
    NUL,
    "a" + NUL + "b",
    "9" * 40,
    "-1",
    "1e999",
    "nan",
    "Infinity",
    "0x10",
    "",
    " " * 3,
    "<script>alert(1)</script>",
    "../../../../etc/passwd",
    "2026-02-30",
    "99999-01-01",
    str(2**63),
    "1" * 5000,
]


@pytest.fixture
def fz(db, settings, tmp_path) -> dict:
    settings.MEDIA_ROOT = tmp_path / "media"
    seed_calendar_2026()
    org_a = organisation("沈阳市市场监督管理局", "210100")
    org_b = organisation("大连市公安局", "210200")
    world = World(
        org_a=org_a,
        org_b=org_b,
        listing_a=published_listing(org_a),
        listing_b=published_listing(org_b),
        citizen=make_citizen("张三"),
        other_citizen=make_citizen("李四"),
        reviewer_a=staff_user("reviewer-a", (org_a, StaffRole.REVIEWER)),
        approver_a=staff_user("approver-a", (org_a, StaffRole.REVIEWER)),
        reviewer_b=staff_user("reviewer-b", (org_b, StaffRole.REVIEWER)),
        clerk_a=staff_user("clerk-a", (org_a, StaffRole.COUNTER_CLERK)),
        editor_a=staff_user("editor-a", (org_a, StaffRole.DEPARTMENT_EDITOR)),
    )
    from zhengwu.cases.services import case_accept

    configure(world.listing_a, fee_items=[{"name": "工本费", "amount_fen": 1500}])
    submitted = apply(world.citizen.user, world.listing_a)
    accepted = apply(world.citizen.user, world.listing_a)
    case_accept(case_id=accepted.pk, acting_user=world.reviewer_a)
    order = payments.payment_order_for_case(case=accepted)
    material = submitted.materials.first()
    task = CaseTask.objects.filter(case=accepted).first()
    return {
        "world": world,
        "case": submitted.pk,
        "accepted": accepted.pk,
        "material": material.pk,
        "file": material.file_id,
        "task": task.pk if task else 1,
        "order": order.order_number if order else "ZW1",
        "listing": world.listing_a,
    }


def _patterns():
    for module in (urls_cases, urls_workbench, callback_urls):
        for pattern in module.urlpatterns:
            yield pytest.param(str(pattern.pattern), id=pattern.name)


def _paths(route: str, fz: dict) -> list[str]:
    """The route with real values of the fixture and with unknown ones."""

    def fill(unknown: bool) -> str:
        def value(match: re.Match) -> str:
            converter, name = match.group(1), match.group(2)
            if converter == "id":
                if unknown:
                    return HUGE_ID
                if name == "material_pk":
                    return str(fz["material"])
                if route.startswith("workbench/tasks"):
                    return str(fz["task"])
                if name == "pk" and route.startswith(("cases", "workbench/cases")):
                    return str(fz["accepted"] if "refund" in route else fz["case"])
                return "1"
            if converter == "uuid":
                return str(uuid.uuid4()) if unknown else str(fz["file"])
            if converter == "listing":
                return "0" * 31 if unknown else fz["listing"]
            if name == "provider":
                return "nope" if unknown else "local"
            if name == "order_number":
                return "ZW" + "F" * 38 if unknown else fz["order"]
            return "zz" + "9" * 60 if unknown else "x"

        return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route)

    return [fill(False), fill(True)]


def _requests():
    """(method, kwargs for Client.generic/get/post) pairs."""
    yield "get", {"data": {}}
    for value in JUNK_VALUES:
        yield "get", {"data": {name: value for name in FIELDS}}
        yield "post", {"data": {name: value for name in FIELDS}}
    yield "get", {"data": {name: ["1", "2", NUL] for name in FIELDS}}
    yield "post", {"data": {}}
    yield "post", {"data": {name: ["1", "2", NUL] for name in FIELDS}}
    yield "post", {"data": {"form-TOTAL_FORMS": "99999999", "form-INITIAL_FORMS": "0"}}
    yield "post", {"data": {"items-TOTAL_FORMS": "1001", "items-INITIAL_FORMS": "-5"}}
    yield (
        "post",
        {
            "data": b"action=\xff\xfe&outcome=\xc3\x28&note=%ff%00",
            "content_type": "application/x-www-form-urlencoded",
        },
    )
    yield "get", {"QUERY_STRING": "status=%ff%fe&q=%00&after=%c3%28&page=1&page=2"}
    yield (
        "post",
        {
            "data": b'--zz\r\nContent-Disposition: form-data; name="file"; '
            b'filename="../../x.pdf"\r\nContent-Type: application/pdf\r\n\r\n<html>',
            "content_type": "multipart/form-data; boundary=zz",
        },
    )
    yield (
        "post",
        {"data": b"garbage", "content_type": "multipart/form-data"},
    )
    yield (
        "post",
        {
            "data": b'{"a": "' + b"x" * 200_000 + b'"}',
            "content_type": "application/json",
        },
    )
    yield "post", {"data": b"[" * 60_000, "content_type": "application/json"}
    yield (
        "post",
        {"data": b'{"a": "\\u0000", "b": NaN}', "content_type": "application/json"},
    )


def _send(client: Client, path: str, method: str, kwargs: dict):
    kwargs = dict(kwargs)
    if "QUERY_STRING" in kwargs:
        return client.get(path, QUERY_STRING=kwargs["QUERY_STRING"])
    data = kwargs.pop("data")
    headers = {"HX-Request": "true"} if method == "post" else {}
    if isinstance(data, bytes):
        return client.generic(
            method.upper(),
            path,
            data,
            content_type=kwargs["content_type"],
            headers=headers,
        )
    if method == "get":
        return client.get(path, data)
    return client.post(path, data, headers=headers)


@pytest.mark.parametrize("route", list(_patterns()))
def test_no_input_to_a_case_page_or_callback_is_a_500(fz, route):
    # given every kind of user and the route with real and unknown ids
    world = fz["world"]
    users = [None, world.citizen.user, world.reviewer_a, world.clerk_a]
    failures = []
    for user in users:
        client = Client(raise_request_exception=True)
        if user is not None:
            client.force_login(user)
        for path in _paths(route, fz):
            for method, kwargs in _requests():
                # when a hostile request is sent
                try:
                    response = _send(client, path, method, kwargs)
                except Exception:  # noqa: BLE001 - the finding is the traceback
                    failures.append(
                        f"{method.upper()} {path} as {user}: "
                        f"{traceback.format_exc().splitlines()[-1]}"
                    )
                    continue
                # then the answer is not a server error
                if response.status_code >= 500 and response.status_code != 503:
                    failures.append(
                        f"{method.upper()} {path} as {user}: {response.status_code}"
                    )
    assert not failures, "\n".join(sorted(set(failures))[:40])


SIGNED_JUNK = [
    [],
    "x",
    None,
    {"kind": "payment"},
    {"kind": "payment", "order_number": ["x"], "amount_fen": 1500},
    {"kind": "payment", "order_number": "{order}", "amount_fen": 10**30},
    {"kind": "payment", "order_number": "{order}", "amount_fen": 1.5e308},
    {"kind": "payment", "order_number": "{order}", "amount_fen": "1500"},
    {
        "kind": "payment",
        "order_number": "{order}",
        "amount_fen": 1500,
        "status": "paid",
        "paid_at": "9999-99-99T99",
    },
    {
        "kind": "payment",
        "order_number": "{order}",
        "amount_fen": 1500,
        "status": {"a": 1},
        "trade_number": NUL * 100,
    },
    {
        "kind": "refund",
        "order_number": "{order}",
        "refund_number": None,
        "amount_fen": -1,
    },
    {
        "kind": "refund",
        "order_number": "{order}",
        "refund_number": "{order}R99999999",
        "amount_fen": 1500,
        "status": "refunded",
        "refunded_at": NUL,
    },
    {"kind": NUL, "order_number": NUL, "x": "\ud800"},
    {"kind": "shipment", "tracking_number": "ZWEX000000000001", "status": 5},
    {"kind": "shipment", "tracking_number": "ZWEX000000000001", "status": ["x"]},
    {"kind": "shipment", "tracking_number": "ZWEX000000000001", "status": {"a": 1}},
    {
        "kind": "shipment",
        "tracking_number": NUL,
        "status": "delivered",
        "occurred_at": "x",
        "description": "y" * 100_000,
    },
]


@pytest.mark.parametrize("kind", ["payment", "express"])
@pytest.mark.parametrize("junk", range(len(SIGNED_JUNK)))
def test_signed_but_malformed_notification_is_refused_without_a_500(
    fz, client, kind, junk
):
    # given a body with the provider's valid signature but nonsense inside
    value = SIGNED_JUNK[junk]
    if isinstance(value, dict):
        value = {
            key: item.replace("{order}", fz["order"]) if isinstance(item, str) else item
            for key, item in value.items()
        }
    # ASCII-escaped JSON: a lone surrogate ("\ud800") stays representable
    body = json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
    provider = "local_pay" if kind == "payment" else "local_express"
    headers = signed_headers(
        sender.secret_for(provider), notify_id=f"j{junk}", body=body
    )

    # when it is posted
    response = client.post(
        f"/api/v1/cases/callbacks/{kind}/local",
        data=body,
        content_type="application/json",
        headers=headers,
    )

    # then it is answered without a server error and the order stays unpaid
    assert response.status_code < 500
    if junk != 8:  # the only well-formed payment (its paid_at is not read)
        assert PaymentOrder.objects.get(order_number=fz["order"]).status == "unpaid"


@pytest.mark.parametrize(
    "header",
    [
        {
            "X-Zhengwu-Notify-Id": NUL * 10,
            "X-Zhengwu-Timestamp": "1",
            "X-Zhengwu-Signature": "00",
        },
        {
            "X-Zhengwu-Notify-Id": "n",
            "X-Zhengwu-Timestamp": "9" * 30,
            "X-Zhengwu-Signature": "x",
        },
    ],
)
@pytest.mark.parametrize("kind", ["payment", "express"])
def test_unsigned_junk_with_nul_in_headers_or_body_is_not_a_500(
    client, db, kind, header
):
    response = client.post(
        f"/api/v1/cases/callbacks/{kind}/local",
        data=b'{"kind": "payment", "order_number": "\\u0000"}',
        content_type="application/json",
        headers=header,
    )
    assert response.status_code < 500


def _state() -> list:
    from zhengwu.cases.models import Appointment, Case, Notification

    return [
        sorted(Case.objects.values_list("pk", "status", "updated_at")),
        sorted(CaseTask.objects.values_list("pk", "status", "assignee_id")),
        sorted(Notification.objects.values_list("pk", "read_at")),
        sorted(Appointment.objects.values_list("pk", "status")),
        sorted(PaymentOrder.objects.values_list("pk", "status")),
    ]


@pytest.mark.parametrize("route", list(_patterns()))
def test_no_page_changes_state_without_the_csrf_token_or_on_get(fz, route):
    # given the citizen and the reviewer, each with a client enforcing CSRF
    world = fz["world"]
    before = _state()
    for user in (world.citizen.user, world.reviewer_a, world.clerk_a):
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        for path in _paths(route, fz):
            # when a page is fetched, or posted without the token
            client.get(path, {"action": "pay", "outcome": "approve"})
            response = client.post(
                path,
                {"action": "pay", "outcome": "approve", "reason": "x", "opinion": "x"},
            )
            # then a page refuses the post (callbacks are signed, not CSRF-checked)
            if not path.startswith("/api/v1/cases/callbacks/"):
                assert response.status_code in (403, 404, 405), path
    # and nothing changed
    assert _state() == before
