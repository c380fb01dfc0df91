"""电子证照 pages: the holder's wallet (我的证照: list, one licence with its
history and use records, its file), 亮证 (a short-lived QR code releasing the
fields the holder picks) and the public 查证 pages (by identifier, file or show
token; the verifier states the reason, 用证事由, and every check is recorded).

The wallet reads through ``licenses.showing``, which filters by the holder
labels of the user who asks (and of the principal an agent acts for under an
active authorisation, 代办): another holder's licence is a 404. The holder API
(``licenses.api_holder``) calls the same functions."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from zhengwu.core.middleware import client_ip
from zhengwu.identity.facade import acting_for_request
from zhengwu.licenses import facade as licences

from .case_views_data import render_page

SESSION_NONCES = "licence_show_nonces"
MAX_UPLOAD = 10 * 1024 * 1024


def _too_many_checks(request: HttpRequest) -> bool:
    return licences.too_many_checks(client_ip(request))


def _holder_licence(request: HttpRequest, pk: int) -> licences.HolderLicence:
    try:
        return licences.holder_licence(
            request.user, pk, acting=acting_for_request(request)
        )
    except licences.LicenceError as error:
        raise Http404(_("电子证照不存在。")) from error


# --- the holder -------------------------------------------------------------------


@never_cache
@login_required
def wallet(request: HttpRequest) -> HttpResponse:
    return render_page(
        request,
        "portal/licences/wallet.html",
        {
            "licences": licences.wallet(
                request.user, acting=acting_for_request(request)
            ),
            "acting": acting_for_request(request),
        },
    )


@never_cache
@login_required
def licence_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render_page(
        request,
        "portal/licences/detail.html",
        {"licence": _holder_licence(request, pk)},
    )


@never_cache
@login_required
def licence_file(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        name, content = licences.holder_file(
            request.user,
            pk,
            acting=acting_for_request(request),
            source_ip=client_ip(request),
        )
    except licences.LicenceError as error:
        raise Http404(_("电子证照不存在。")) from error
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@login_required
@require_POST
def licence_show(request: HttpRequest, pk: int) -> HttpResponse:
    """亮证: the QR code of a token releasing the chosen fields."""
    licence = _holder_licence(request, pk)
    chosen = request.POST.getlist("fields")
    try:
        token = licences.show_licence(
            request.user,
            pk,
            fields=chosen,
            acting=acting_for_request(request),
            source_ip=client_ip(request),
        )
    except licences.LicenceError as error:
        return render_page(
            request,
            "portal/licences/detail.html",
            {
                "licence": licence,
                "show_error": error.message,
                "chosen": chosen,
            },
            status=error.status if error.status != 404 else 400,
        )
    url = request.build_absolute_uri(
        reverse("portal:licence_show_check", kwargs={"token": token.token})
    )
    return render_page(
        request,
        "portal/licences/show.html",
        {
            "licence": licence,
            "token": token,
            "url": url,
            "qr": licences.qr_svg(url),
            "seconds": licences.show_seconds(),
        },
    )


# --- the verifier (public) --------------------------------------------------------


def _session_nonces(request: HttpRequest) -> list[str]:
    value = request.session.get(SESSION_NONCES)
    return list(value) if isinstance(value, list) else []


@never_cache
@require_http_methods(["GET", "POST"])
def show_check(request: HttpRequest, token: str) -> HttpResponse:
    """A show token opened by the verifier: state the reason, then see the
    released fields. The session that used it may reload it; no other."""
    nonces = _session_nonces(request)
    context: dict[str, Any] = {"token": token}
    if request.method == "POST":
        reason = request.POST.get("reason", "")
        context["reason"] = reason
        if _too_many_checks(request):
            context["refused"] = _("查验次数过多，请稍后再试。")
            return render(
                request, "portal/licences/show_check.html", context, status=429
            )
        try:
            outcome = licences.check_token(
                token,
                reason=reason,
                user=request.user,
                source_ip=client_ip(request),
                session_nonces=nonces,
            )
        except licences.LicenceError as error:
            if error.fields:
                context["errors"] = error.fields
                context["type_name"] = _preview(token)
                return render(
                    request, "portal/licences/show_check.html", context, status=400
                )
            context["refused"] = error.message
            return render(
                request,
                "portal/licences/show_check.html",
                context,
                status=error.status,
            )
        request.session[SESSION_NONCES] = [*nonces, outcome.nonce][-50:]
        return redirect("portal:licence_show_check", token=token)
    try:
        outcome = _already_seen(token, request, nonces)
        if outcome is None:
            context["type_name"] = licences.preview_token(token)
    except licences.LicenceError as error:
        context["refused"] = error.message
        return render(
            request, "portal/licences/show_check.html", context, status=error.status
        )
    context["outcome"] = outcome
    return render(request, "portal/licences/show_check.html", context)


def _preview(token: str) -> str:
    try:
        return licences.preview_token(token)
    except licences.LicenceError:
        return ""


def _already_seen(token: str, request: HttpRequest, nonces: list[str]):
    """The outcome again for the session that used the token, else None."""
    if not nonces:
        return None
    payload = licences.read_token(token)
    if payload.nonce not in nonces:
        return None
    return licences.check_token(
        token,
        reason="",
        user=request.user,
        source_ip=client_ip(request),
        session_nonces=nonces,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest, identifier: str = "") -> HttpResponse:
    """查证 by identifier or by an uploaded licence file (validity only)."""
    context: dict[str, Any] = {"identifier": identifier, "reason": ""}
    if request.method != "POST":
        return render(request, "portal/licences/verify.html", context)
    if _too_many_checks(request):
        context["refused"] = _("查验次数过多，请稍后再试。")
        return render(request, "portal/licences/verify.html", context, status=429)
    identifier = request.POST.get("identifier", "").strip()[:120]
    reason = request.POST.get("reason", "")
    upload = request.FILES.get("file")
    context.update(identifier=identifier, reason=reason)
    errors: dict[str, list[str]] = {}
    if upload is None and not identifier:
        errors["identifier"] = [_("请填写证照标识，或上传证照文件。")]
    if upload is not None and upload.size > MAX_UPLOAD:
        errors["file"] = [_("证照文件不能超过10MB。")]
    try:
        licences.clean_reason(reason)
    except licences.LicenceError as error:
        errors.update(error.fields)
    if errors:
        context["errors"] = errors
        return render(request, "portal/licences/verify.html", context, status=400)
    source_ip = client_ip(request)
    if upload is not None:
        outcome = licences.check_file(
            upload.read(), reason=reason, user=request.user, source_ip=source_ip
        )
    else:
        outcome = licences.check_identifier(
            identifier, reason=reason, user=request.user, source_ip=source_ip
        )
    context["outcome"] = outcome
    return render(request, "portal/licences/verify.html", context)
