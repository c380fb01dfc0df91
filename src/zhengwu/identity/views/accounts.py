"""Login, registration, second factor, password and logout pages (/accounts/).

A staff login has steps: the password (or SMS code) step only records a *pending*
login in the session; a forced password change (set by an administrator, or a staff
password older than 90 days), then TOTP enrolment (first login) or a TOTP code,
complete it with ``django.contrib.auth.login`` and ``django_otp.login``. Citizens
skip the TOTP steps. A pending login lasts five minutes from the password step (or
the forced password change); looking at a step's page does not extend it."""

import time
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

import django_otp

from zhengwu.core import audit
from zhengwu.core.middleware import client_ip
from zhengwu.core.models import SmsMessage
from zhengwu.identity import accounts, login, otp, persons, reset, twofactor
from zhengwu.identity.constants import OtpPurpose
from zhengwu.identity.errors import IdentityError
from zhengwu.identity.forms_accounts import (
    CodeForm,
    LoginForm,
    NewPasswordForm,
    PasswordChangeForm,
    PasswordResetForm,
    RegistrationForm,
    SmsLoginForm,
    clean_id_number_value,
)

PENDING_KEY = "identity.pending_login"
BACKEND = "django.contrib.auth.backends.ModelBackend"
SENT_MESSAGE = "如该手机号码已注册，验证码已发送，5分钟内有效。"


# --- the pending login ------------------------------------------------------------


def _safe_next(request: HttpRequest, value: str | None) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return ""


def _start_pending(
    request: HttpRequest, user: AbstractBaseUser, *, method: str, next_url: str
) -> None:
    if request.user.is_authenticated:  # switching accounts: leave the old one first
        audit.record(
            acting_user=request.user,
            event="identity.logout",
            data={
                "user": request.user.get_username(),
                "sessions": 1,
                "tokens": 0,
                "switched_account": True,
            },
        )
        auth_logout(request)
    request.session.cycle_key()  # a new key for the half-logged-in state
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "at": time.time(),
        "method": method,
        "next": next_url,
    }


def _pending(request: HttpRequest) -> tuple[AbstractBaseUser, dict[str, Any]] | None:
    """The user half-way through logging in, if the pending login is recent."""
    data = request.session.get(PENDING_KEY)
    if not isinstance(data, dict):
        return None
    age = time.time() - float(data.get("at", 0))
    if age > settings.ZHENGWU_LOGIN_PENDING_MINUTES * 60:
        request.session.pop(PENDING_KEY, None)
        return None
    user = get_user_model().objects.filter(pk=data.get("user"), is_active=True).first()
    if user is None:
        request.session.pop(PENDING_KEY, None)
        return None
    return user, data


def _refresh_pending(request: HttpRequest, data: dict[str, Any]) -> None:
    data["at"] = time.time()
    request.session[PENDING_KEY] = data


def _pending_expired(request: HttpRequest) -> HttpResponse:
    messages.warning(request, _("登录已超时，请重新登录。"))
    return redirect("identity:login")


def _next_step(request: HttpRequest, user: AbstractBaseUser) -> HttpResponse:
    """Where a pending login goes next, or the completed login."""
    if accounts.password_change_reason(user):
        return redirect("identity:login_password")
    if accounts.is_staff_user(user):
        if twofactor.has_confirmed_device(user):
            return redirect("identity:login_verify")
        return redirect("identity:login_enrol")
    return _complete(request, user, device=None)


def _complete(
    request: HttpRequest, user: AbstractBaseUser, *, device: Any
) -> HttpResponse:
    data = request.session.pop(PENDING_KEY, {}) or {}
    method = data.get("method", "password")
    login.reset_account_failures(user)  # every factor passed: a fresh count
    auth_login(request, user, backend=BACKEND)
    if device is not None:
        django_otp.login(request, device)
    staff = accounts.is_staff_user(user)
    audit.record(
        acting_user=user,
        event="identity.login",
        data={
            "method": method + ("+totp" if device is not None else ""),
            "staff": staff,
        },
    )
    return redirect(data.get("next") or _landing(user, staff=staff))


def _landing(user: AbstractBaseUser, *, staff: bool) -> str:
    """Staff start where their role works (administrators on their page); citizens
    on the home page."""
    if not staff:
        return reverse("portal:home")
    from zhengwu.identity.staff import landing_url

    return landing_url(user)


# --- login ------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.method == "GET" and request.user.is_authenticated and not next_url:
        return redirect(
            _landing(request.user, staff=accounts.is_staff_user(request.user))
        )
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            user = login.authenticate_password(
                request, form.cleaned_data["login_name"], form.cleaned_data["password"]
            )
        except IdentityError as refused:
            error = refused.message
        else:
            _start_pending(request, user, method="password", next_url=next_url)
            return _next_step(request, user)
    status = 401 if error else 200
    return render(
        request,
        "identity/accounts/login.html",
        {"form": form, "error": error, "next": next_url},
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def login_sms_view(request: HttpRequest) -> HttpResponse:
    """Mobile and SMS code: ``action=send`` texts a code, then the code logs in."""
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    form = SmsLoginForm(request.POST or None)
    error, sent = "", False
    if request.method == "POST" and form.is_valid():
        mobile = form.cleaned_data["mobile"]
        if request.POST.get("action") == "send":
            try:
                otp.send_code(
                    mobile=mobile,
                    purpose=OtpPurpose.LOGIN,
                    source_ip=client_ip(request),
                )
            except IdentityError as refused:
                for field, reasons in refused.fields.items():
                    for reason in reasons:
                        form.add_error(field if field in form.fields else None, reason)
            else:
                sent = True
        else:
            user = login.find_user(mobile)
            code = form.cleaned_data.get("code", "")
            if login.is_locked(request, user, mobile):
                login.record_failure(
                    request, user, mobile, reason="locked", method="sms"
                )
                error = login.generic_error().message
            elif not code:
                form.add_error("code", _("请输入短信验证码。"))
            elif (
                otp.use_code(mobile=mobile, purpose=OtpPurpose.LOGIN, code=code)
                and user is not None
                and user.is_active
                and not accounts.account_expired(user)
            ):
                _start_pending(request, user, method="sms", next_url=next_url)
                return _next_step(request, user)
            else:
                login.record_failure(
                    request, user, mobile, reason="wrong_code", method="sms"
                )
                error = login.generic_error().message
    return render(
        request,
        "identity/accounts/login_sms.html",
        {
            "form": form,
            "error": error,
            "sent": sent,
            "sent_message": _(SENT_MESSAGE),
            "next": next_url,
            "outbox_visible": outbox_visible(),
        },
        status=401 if error else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def login_password_view(request: HttpRequest) -> HttpResponse:
    """A forced password change before the login completes."""
    pending = _pending(request)
    if pending is None:
        return _pending_expired(request)
    user, data = pending
    reason = accounts.password_change_reason(user)
    if not reason:
        return _next_step(request, user)
    form = NewPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            accounts.set_password(
                user, form.cleaned_data["new_password1"], acting_user=user
            )
        except IdentityError as refused:
            for reason_text in refused.fields.get("password", [refused.message]):
                form.add_error("new_password1", reason_text)
        else:
            _refresh_pending(request, data)
            return _next_step(request, user)
    return render(
        request,
        "identity/accounts/login_password.html",
        {"form": form, "reason": reason},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def login_verify_view(request: HttpRequest) -> HttpResponse:
    """The staff TOTP step. A wrong code counts as a login failure against the
    account and the source address, like a wrong password: five lock both for
    fifteen minutes, and a locked account or address is refused here too (the
    pending login ends), so the code cannot be guessed by brute force."""
    pending = _pending(request)
    if pending is None:
        return _pending_expired(request)
    user, _data = pending
    device = twofactor.confirmed_device(user)
    if device is None or accounts.password_change_reason(user):
        return _next_step(request, user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _locked(request, user):
            return _locked_out(request)
        if _throttled(user, device, form):
            return _verify_page(request, form)
        if twofactor.verify_code(device, form.cleaned_data["code"]):
            return _complete(request, user, device=device)
        name = user.get_username()
        login.record_failure(request, user, name, reason="wrong_totp", method="totp")
        if login.is_locked(request, user, name):
            return _locked_out(request)
        form.add_error("code", _("动态验证码不正确或已使用，请等待下一个验证码。"))
    return _verify_page(request, form)


def _verify_page(request: HttpRequest, form: CodeForm) -> HttpResponse:
    return render(request, "identity/accounts/login_verify.html", {"form": form})


def _wait_message(seconds: int) -> str:
    """After wrong codes django-otp refuses every code, even the right one, for a
    while (1 s, doubling with each wrong code): say how long, rather than calling a
    right code wrong. Shown only past the password step."""
    return _("输入错误次数较多，请等待%(seconds)s秒后再输入动态验证码。") % {
        "seconds": seconds
    }


def _locked(request: HttpRequest, user: AbstractBaseUser) -> bool:
    """Whether the account or address is locked; a code sent meanwhile is audited
    as a refused login (not counted again)."""
    name = user.get_username()
    if not login.is_locked(request, user, name):
        return False
    login.record_failure(request, user, name, reason="locked", method="totp")
    return True


def _throttled(user: AbstractBaseUser, device: Any, form: CodeForm) -> bool:
    """Whether django-otp refuses every code of ``device`` for now; then the form
    says how long to wait and the attempt is audited, but not counted towards the
    lock (no code was checked, so nothing was guessed)."""
    wait = twofactor.wait_seconds(device)
    if not wait:
        return False
    audit.record(
        acting_user=None,
        event=login.LOGIN_FAILED,
        outcome="failure",
        data={
            "login_name": login.masked_login_name(user.get_username()),
            "reason": "throttled",
            "method": "totp",
        },
    )
    form.add_error("code", _wait_message(wait))
    return True


def _locked_out(request: HttpRequest) -> HttpResponse:
    """End a pending login whose account or address is locked: back to the login
    page with the generic refusal."""
    request.session.pop(PENDING_KEY, None)
    messages.error(request, login.generic_error().message)
    return redirect("identity:login")


@never_cache
@require_http_methods(["GET", "POST"])
def login_enrol_view(request: HttpRequest) -> HttpResponse:
    """First staff login: bind an authenticator app, then the login completes."""
    pending = _pending(request)
    if pending is None:
        return _pending_expired(request)
    user, _data = pending
    if accounts.password_change_reason(user) or not accounts.is_staff_user(user):
        return _next_step(request, user)
    if twofactor.has_confirmed_device(user):
        return redirect("identity:login_verify")
    device = twofactor.enrolment_device(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _locked(request, user):  # locked meanwhile: no completion
            return _locked_out(request)
        if not _throttled(user, device, form):
            if twofactor.confirm_enrolment(device, form.cleaned_data["code"]):
                return _complete(request, user, device=device)
            form.add_error("code", _("动态验证码不正确，请核对手机时间后重试。"))
    return render(
        request,
        "identity/accounts/login_enrol.html",
        {
            "form": form,
            "qr_svg": twofactor.qr_svg(device),
            "secret": twofactor.base32_secret(device),
        },
    )


def admin_login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """Replaces the admin site's login: staff log in here, with both factors."""
    next_url = _safe_next(request, request.GET.get("next")) or reverse("admin:index")
    return redirect(f"{reverse('identity:login')}?{urlencode({'next': next_url})}")


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """Logging out ends every session of the user and their SSO tokens."""
    user = request.user
    if user.is_authenticated:
        accounts.logout_everywhere(user)
    auth_logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


# --- registration -----------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def register_view(request: HttpRequest) -> HttpResponse:
    """Citizen registration: name, ID number, mobile (with an SMS code), password."""
    form = RegistrationForm(request.POST or None)
    sent, send_errors = False, []
    if request.method == "POST" and request.POST.get("action") == "send":
        form = RegistrationForm(initial=_kept(request, "name", "id_number", "mobile"))
        try:
            otp.send_code(
                mobile=request.POST.get("mobile", ""),
                purpose=OtpPurpose.REGISTER,
                source_ip=client_ip(request),
            )
        except IdentityError as refused:
            send_errors = refused.fields.get("mobile", [refused.message])
        else:
            sent = True
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not data.get("code"):
            form.add_error("code", _("请输入短信验证码。"))
        else:
            person = _register(request, form)
            if person is not None:
                auth_login(request, person.user, backend=BACKEND)
                audit.record(
                    acting_user=person.user,
                    event="identity.login",
                    data={"method": "registration", "staff": False},
                )
                messages.success(request, _("注册成功，您已登录。"))
                return redirect("portal:home")
    return render(
        request,
        "identity/accounts/register.html",
        {
            "form": form,
            "sent": sent,
            "send_errors": send_errors,
            "outbox_visible": outbox_visible(),
        },
    )


def _kept(request: HttpRequest, *keys: str) -> dict[str, str]:
    """What the user typed in ``keys``, kept across "send code" (never the
    passwords)."""
    return {key: request.POST.get(key, "")[:50] for key in keys}


def _register(request: HttpRequest, form: RegistrationForm) -> Any:
    data = form.cleaned_data
    if not otp.use_code(
        mobile=data["mobile"], purpose=OtpPurpose.REGISTER, code=data["code"]
    ):
        form.add_error("code", _("短信验证码不正确或已失效。"))
        return None
    try:
        with transaction.atomic():
            return persons.register_person(
                name=data["name"],
                id_number=data["id_number"],
                mobile=data["mobile"],
                password=data["password1"],
            )
    except IdentityError as refused:
        for field, reasons in refused.fields.items():
            target = {"password": "password1"}.get(field, field)
            for reason in reasons:
                form.add_error(target if target in form.fields else None, reason)
        if not refused.fields:
            form.add_error(None, refused.message)
        return None


# --- password reset (citizens) -----------------------------------------------------

RESET_SENT_MESSAGE = (
    "如公民身份号码与手机号码属于同一个已注册的个人账号，验证码已发送到该手机，"
    "5分钟内有效。"
)


@never_cache
@require_http_methods(["GET", "POST"])
def password_reset_view(request: HttpRequest) -> HttpResponse:
    """找回密码: ID number and registered mobile, an SMS code, a new password. The
    answers are the same whether or not the pair is an account (see ``reset``)."""
    form = PasswordResetForm(request.POST or None)
    sent, send_errors, id_errors = False, [], []
    if request.method == "POST" and request.POST.get("action") == "send":
        kept = _kept(request, "id_number", "mobile")
        form = PasswordResetForm(initial=kept)
        try:
            id_number = clean_id_number_value(kept["id_number"])
        except ValidationError as invalid:
            id_errors = invalid.messages
        else:
            try:
                reset.send_reset_code(
                    id_number=id_number,
                    mobile=kept["mobile"],
                    source_ip=client_ip(request),
                )
            except IdentityError as refused:
                send_errors = refused.fields.get("mobile", [refused.message])
            else:
                sent = True
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not data.get("code"):
            form.add_error("code", _("请输入短信验证码。"))
        else:
            try:
                user = reset.reset_password(
                    id_number=data["id_number"],
                    mobile=data["mobile"],
                    code=data["code"],
                    new_password=data["new_password1"],
                )
            except IdentityError as refused:
                for reason in refused.fields.get("password", [refused.message]):
                    form.add_error("new_password1", reason)
            else:
                if user is not None:
                    if request.user.is_authenticated:
                        auth_logout(request)  # its session is already ended
                    messages.success(
                        request,
                        _("密码已重置，所有设备上的登录均已退出，请使用新密码登录。"),
                    )
                    return redirect("identity:login")
                form.add_error("code", _("短信验证码不正确或已失效。"))
    return render(
        request,
        "identity/accounts/password_reset.html",
        {
            "form": form,
            "sent": sent,
            "sent_message": _(RESET_SENT_MESSAGE),
            "send_errors": send_errors,
            "id_errors": id_errors,
            "outbox_visible": outbox_visible(),
        },
    )


# --- signed in: password and second factor ----------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def password_change_view(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # A wrong current password counts as a login failure, so a session left
        # open cannot be used to guess the password without limit.
        name = request.user.get_username()
        if login.is_locked(request, request.user, name):
            login.record_failure(
                request, request.user, name, reason="locked", method="password_change"
            )
            form.add_error(None, login.generic_error().message)
        elif not request.user.check_password(form.cleaned_data["old_password"]):
            login.record_failure(
                request,
                request.user,
                name,
                reason="wrong_password",
                method="password_change",
            )
            form.add_error("old_password", _("当前密码不正确。"))
        else:
            try:
                accounts.set_password(
                    request.user,
                    form.cleaned_data["new_password1"],
                    acting_user=request.user,
                )
            except IdentityError as refused:
                for reason in refused.fields.get("password", [refused.message]):
                    form.add_error("new_password1", reason)
            else:
                update_session_auth_hash(request, request.user)
                messages.success(request, _("密码已修改。"))
                return redirect("identity:password_change")
    return render(request, "identity/accounts/password_change.html", {"form": form})


@login_required
def factor_view(request: HttpRequest) -> HttpResponse:
    """The staff member's own second factor."""
    if not accounts.is_staff_user(request.user):
        raise Http404
    return render(
        request,
        "identity/accounts/factor.html",
        {"device": twofactor.device_summary(request.user)},
    )


# --- the local SMS outbox (development and demo only) -----------------------------


def outbox_visible() -> bool:
    return bool(settings.DEBUG or settings.ZHENGWU_SMS_OUTBOX_VISIBLE)


@never_cache
def sms_outbox_view(request: HttpRequest) -> HttpResponse:
    """The messages the local SMS provider "sent", newest first, so a demo user can
    read their code. Exists only with DEBUG or ``ZHENGWU_SMS_OUTBOX_VISIBLE``
    (never in production); mobiles are shown masked."""
    if not outbox_visible():
        raise Http404
    messages_sent = SmsMessage.objects.only(
        "mobile_masked", "text", "template", "status", "created_at"
    )[:50]
    return render(
        request, "identity/accounts/sms_outbox.html", {"messages_sent": messages_sent}
    )


urlpatterns = [
    path("login/", login_view, name="login"),
    path("login/sms/", login_sms_view, name="login_sms"),
    path("login/password/", login_password_view, name="login_password"),
    path("login/verify/", login_verify_view, name="login_verify"),
    path("login/enrol/", login_enrol_view, name="login_enrol"),
    path("logout/", logout_view, name="logout"),
    path("register/", register_view, name="register"),
    path("password/", password_change_view, name="password_change"),
    path("password/reset/", password_reset_view, name="password_reset"),
    path("two-factor/", factor_view, name="factor"),
    path("dev-sms-outbox/", sms_outbox_view, name="sms_outbox"),
]
