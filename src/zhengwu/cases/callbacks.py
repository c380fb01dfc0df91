"""HTTP endpoints of the provider integrations.

Platform side: the asynchronous notification URLs the payment and express providers
POST to (``/api/v1/cases/callbacks/payment/<provider>``, ``.../express/<provider>``):
plain views (no session, no CSRF: the signature authenticates the sender) answering
``success`` or ``fail`` in text, as providers expect.

Provider side (local providers only, enabled when they are the configured backend):
the cashier page ``/local-pay/<order number>/`` where the payer confirms, and the
courier console ``/local-express/<tracking number>/`` that moves a parcel along."""

from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template import Context, Template
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from .constants import PaymentStatus, ShipmentStatus
from .models import PaymentOrder, Shipment

MAX_BODY = 64 * 1024


def _source_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _text(answer) -> HttpResponse:
    return HttpResponse(
        answer.text, status=answer.status, content_type="text/plain; charset=utf-8"
    )


def _body(request: HttpRequest) -> bytes | None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if length > MAX_BODY:
        return None
    return request.body


def _receive(
    request: HttpRequest, provider: str, receive: Callable[..., Any]
) -> HttpResponse:
    """One provider notification: the body (bounded) to the side channel's
    ``*_notification_receive``, which verifies the signature and applies it once."""
    body = _body(request)
    if body is None:
        return HttpResponse("fail", status=413, content_type="text/plain")
    answer = receive(
        provider_name=provider[:30],
        headers=request.headers,
        body=body,
        source_ip=_source_ip(request),
    )
    return _text(answer)


@csrf_exempt
@require_POST
def payment_callback(request: HttpRequest, provider: str) -> HttpResponse:
    from .payments import payment_notification_receive

    return _receive(request, provider, payment_notification_receive)


@csrf_exempt
@require_POST
def express_callback(request: HttpRequest, provider: str) -> HttpResponse:
    from .delivery import express_notification_receive

    return _receive(request, provider, express_notification_receive)


_PAGE = Template(
    """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title></head><body>
<main style="max-width:28rem;margin:2rem auto;font-family:sans-serif;padding:0 1rem">
<h1>{{ title }}</h1>
<p>{{ notice }}</p>
<dl>{% for label, value in rows %}<dt>{{ label }}</dt><dd>{{ value }}</dd>{% endfor %}</dl>
{% if actions %}<form method="post">
<input type="hidden" name="csrfmiddlewaretoken" value="{{ csrf_token }}">
{% for value, label in actions %}
<button type="submit" name="action" value="{{ value }}">{{ label }}</button>
{% endfor %}</form>{% endif %}
{% if message %}<p role="status">{{ message }}</p>{% endif %}
</main></body></html>"""
)


def _page(request: HttpRequest, **context) -> HttpResponse:
    context.setdefault("actions", [])
    context.setdefault("rows", [])
    context["csrf_token"] = get_token(request)
    return HttpResponse(_PAGE.render(Context(context)))


@require_http_methods(["GET", "POST"])
def local_pay(request: HttpRequest, order_number: str) -> HttpResponse:
    """The local provider's cashier: shows the order, the payer confirms. No money
    moves here, so only the case's applicant side (signed in, or acting for the
    principal) sees or confirms an order: anyone else holding the order number,
    signed in or not, gets a 404 and cannot mark someone's order paid."""
    from zhengwu.identity.facade import acting_for_request

    from .payments import gateway
    from .providers.payment_local import NAME, cashier_confirm
    from .selectors import own_cases

    if gateway().name != NAME:
        raise Http404
    order = (
        PaymentOrder.objects.filter(
            order_number=order_number[:40],
            provider=NAME,
            case__in=own_cases(request.user, acting=acting_for_request(request)),
        )
        .select_related("case")
        .first()
    )
    if order is None:
        raise Http404
    message = ""
    if request.method == "POST" and order.status == PaymentStatus.UNPAID:
        cashier_confirm(order)
        message = _("支付成功，正在通知政务服务平台，请返回办件页面查看。")
    rows = [
        (_("订单号"), order.order_number),
        (_("事项"), order.case.item_name),
        (_("金额"), f"¥{order.amount_fen / 100:.2f}"),
        (_("状态"), order.get_status_display()),
    ]
    return _page(
        request,
        title=_("模拟收银台"),
        notice=_("本地支付渠道（演示用，不发生真实扣款）。"),
        rows=rows,
        actions=[("pay", _("确认支付"))]
        if order.status == PaymentStatus.UNPAID and not message
        else [],
        message=message,
    )


@require_http_methods(["GET", "POST"])
def local_express(request: HttpRequest, tracking_number: str) -> HttpResponse:
    """The local courier's console: staff handling the case move the parcel."""
    from .delivery import express_gateway
    from .providers.express_local import NAME, courier_update
    from .staff_rights import staff_handles_case

    if express_gateway().name != NAME:
        raise Http404
    shipment = (
        Shipment.objects.filter(tracking_number=tracking_number[:40], provider=NAME)
        .select_related("case__division")
        .first()
    )
    if shipment is None or not staff_handles_case(request.user, shipment.case):
        raise Http404
    message = ""
    steps = [
        (ShipmentStatus.COLLECTED.value, _("揽收")),
        (ShipmentStatus.IN_TRANSIT.value, _("运输")),
        (ShipmentStatus.DELIVERED.value, _("签收")),
        (ShipmentStatus.FAILED.value, _("投递失败")),
    ]
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action in {value for value, _label in steps}:
            courier_update(shipment, status=action)
            message = _("已通知政务服务平台。")
    return _page(
        request,
        title=_("模拟快递"),
        notice=_("本地物流渠道（演示用）。"),
        rows=[
            (_("运单号"), shipment.tracking_number),
            (_("收件人"), shipment.recipient_name),
            (_("状态"), shipment.get_status_display()),
        ],
        actions=steps,
        message=message,
    )
