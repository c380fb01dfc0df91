"""Per-request context (source address, request id) read by the audit log, and the
refusal of form bodies Django cannot decode."""

import contextlib
import contextvars
import ipaddress
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class RequestContext:
    source_ip: str | None
    request_id: str


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "zhengwu_request_context", default=None
)


def current_request_context() -> RequestContext | None:
    return _current.get()


@contextlib.contextmanager
def request_context(*, source_ip: str | None, request_id: str) -> Iterator[None]:
    """Within this block the audit log names ``source_ip`` and ``request_id``: a
    task finishing work a request took in (the API's asynchronous submissions)
    records where that request came from."""
    token = _current.set(RequestContext(source_ip=source_ip, request_id=request_id))
    try:
        yield
    finally:
        _current.reset(token)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: the peer (REMOTE_ADDR), unless the peer is one of the
    reverse proxies named in ``ZHENGWU_TRUSTED_PROXIES``; then the nearest address
    in X-Forwarded-For that is not such a proxy (read from the right, so addresses
    a client wrote into the header itself are never taken). Without trusted
    proxies the header is ignored: a client cannot choose its address (login
    locks per source address, audit)."""
    remote = request.META.get("REMOTE_ADDR") or None
    trusted = _trusted_proxies()
    if remote is None or not trusted or not _is_trusted(remote, trusted):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([part.strip() for part in forwarded.split(",")]):
        if not hop:
            continue
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return remote  # a malformed chain: keep the proxy's own address
        if not _is_trusted(hop, trusted):
            return hop
    return remote


def _trusted_proxies() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    from django.conf import settings

    return tuple(
        ipaddress.ip_network(entry, strict=False)
        for entry in getattr(settings, "ZHENGWU_TRUSTED_PROXIES", ())
    )


def _is_trusted(
    address: str, trusted: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        context = RequestContext(
            source_ip=client_ip(request),
            request_id=request.META.get("HTTP_X_REQUEST_ID", "")[:64]
            or uuid.uuid4().hex,
        )
        token = _current.set(context)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response["X-Request-ID"] = context.request_id
        return response


FORM_URLENCODED = "application/x-www-form-urlencoded"


class FormEncodingMiddleware:
    """Answer 400 to a form body declared in a charset other than UTF-8.

    Django refuses such a body with ``BadRequest`` when ``request.POST`` is first read
    (by the CSRF check, before any view), but unlike a multipart error it does not
    mark the body unreadable: its CSRF-protected 400 page reads it again and the
    answer becomes a 500. Refused here, before anything reads the body, the request
    gets the same 400 as any other malformed body. Placed before CsrfViewMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.method == "POST"
            and request.content_type == FORM_URLENCODED
            and request.encoding is not None
            # The same test Django's own parser applies (request.py): "utf8" fails too.
            and request.encoding.lower() != "utf-8"
        ):
            return malformed_request_response(request)
        return self.get_response(request)


def malformed_request_response(request: HttpRequest) -> HttpResponse:
    """400 in the API's error shape under /api/, the 400 page elsewhere."""
    if request.path.startswith("/api/"):
        body = {
            "code": "request.malformed",
            "message": _("请求格式错误，无法解析请求内容。"),
            "fields": {},
        }
        return JsonResponse(body, status=400)
    return render(request, "400.html", status=400)
