"""The counter clerk's page for walk-in applicants (/staff/counter/): check the ID
document, start a visit (which makes the clerk act for the applicant), optionally
verify in person (L3), show the applicant's full identifiers while serving them
(audited), and end the visit."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from zhengwu.identity import acting, counter, persons
from zhengwu.identity.constants import BasisKind
from zhengwu.identity.errors import IdentityError
from zhengwu.identity.facade import staff_scope
from zhengwu.identity.models import CounterVisit

from .me import apply_error


class VisitForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=50)
    id_number = forms.CharField(label=gettext_lazy("公民身份号码"), max_length=18)
    document = forms.ChoiceField(
        label=gettext_lazy("查验的证件"), choices=CounterVisit.Document.choices
    )
    verify = forms.BooleanField(
        label=gettext_lazy("现场核验身份（实名等级提升为 L3）"), required=False
    )


def _require_clerk(request: HttpRequest) -> None:
    if not staff_scope(request.user).counter_organisation_ids:
        raise PermissionDenied


def _current_visit(request: HttpRequest) -> CounterVisit | None:
    context = getattr(request, "acting", None)
    if context is None or context.basis != BasisKind.COUNTER:
        return None
    return counter.open_visit(request.user, context.basis_id)


@never_cache
@login_required
def counter_home(request: HttpRequest) -> HttpResponse:
    _require_clerk(request)
    form = VisitForm()
    status = 200
    if request.method == "POST":
        form = VisitForm(request.POST)
        if form.is_valid():
            try:
                visit = counter.counter_visit_start(
                    clerk=request.user,
                    name=form.cleaned_data["name"],
                    id_number=form.cleaned_data["id_number"],
                    document=form.cleaned_data["document"],
                    verify=form.cleaned_data["verify"],
                )
            except IdentityError as error:
                apply_error(form, error, {})
            else:
                acting.acting_start_counter(request, visit)
                messages.success(request, _("已开始现场代办。"))
                return redirect("identity:counter_home")
        status = 400
    visit = _current_visit(request)
    context = {
        "form": form,
        "visit": visit,
        "masked_id_number": persons.masked_id_number(visit.person) if visit else "",
        "recent": counter.recent_visits(request.user),
    }
    return render(request, "identity/counter/home.html", context, status=status)


@never_cache
@login_required
def counter_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """The applicant's full ID number, for the clerk serving them now (audited)."""
    _require_clerk(request)
    if request.method != "POST":
        return redirect("identity:counter_home")
    visit = counter.open_visit(request.user, pk)
    if visit is None:
        raise Http404
    try:
        clear = persons.reveal_personal_data(
            visit.person, "id_number", request.user, reason="counter_visit"
        )
    except IdentityError as error:
        raise PermissionDenied from error
    context = {
        "form": VisitForm(),
        "visit": visit,
        "masked_id_number": persons.masked_id_number(visit.person),
        "revealed_id_number": clear,
        "recent": counter.recent_visits(request.user),
    }
    return render(request, "identity/counter/home.html", context)


@login_required
def counter_end(request: HttpRequest, pk: int) -> HttpResponse:
    _require_clerk(request)
    if request.method != "POST":
        return redirect("identity:counter_home")
    try:
        counter.counter_visit_end(clerk=request.user, visit_id=pk)
    except IdentityError as error:
        raise Http404 from error
    context = getattr(request, "acting", None)
    if context is not None and context.basis == BasisKind.COUNTER:
        if context.basis_id == pk:
            acting.acting_stop(request)
    messages.success(request, _("现场代办已结束。"))
    return redirect("identity:counter_home")


urlpatterns: list[URLPattern] = [
    path("", counter_home, name="counter_home"),
    path("visits/<int:pk>/reveal", counter_reveal, name="counter_reveal"),
    path("visits/<int:pk>/end", counter_end, name="counter_end"),
]
