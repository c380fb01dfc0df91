"""The signed-in person's own pages under /me/: profile (masked identifiers, an
audited "show the full number"), my authorisations (given and received), actions
taken in my name, my enterprises and their clerks, and starting or stopping acting
for someone.

Every form shows refusals inline next to the field (``IdentityError.fields``) and
changes nothing when refused."""

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from zhengwu.core.crypto import mask_name
from zhengwu.identity import acting, authorisations, counter, entities, persons
from zhengwu.identity.constants import AuthorisationKind, BasisKind
from zhengwu.identity.errors import IdentityError
from zhengwu.identity.models import Authorisation, LegalEntity, Person

PAGE_SIZE = 20


# --- forms -------------------------------------------------------------------------


class AuthorisationForm(forms.Form):
    agent_name = forms.CharField(label=gettext_lazy("受托人姓名"), max_length=50)
    agent_id_number = forms.CharField(
        label=gettext_lazy("受托人公民身份号码"), max_length=18
    )
    all_items = forms.BooleanField(label=gettext_lazy("全部事项"), required=False)
    item_codes = forms.CharField(
        label=gettext_lazy("授权事项编码"),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "事项基本编码（12位数字），多个用空格、逗号或换行分隔。"
        ),
    )
    valid_until = forms.DateField(
        label=gettext_lazy("授权截止日期"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("授权在该日结束时失效。"),
    )

    def clean_agent_id_number(self) -> str:
        value = persons.normalise_id_number(
            self.cleaned_data.get("agent_id_number", "")
        )
        errors = persons.id_number_errors(value)
        if errors:
            raise forms.ValidationError(errors)
        return value

    def clean_item_codes(self) -> list[str]:
        raw = self.cleaned_data.get("item_codes", "")
        return [
            part for part in raw.replace(",", " ").replace("，", " ").split() if part
        ]


class EntityForm(forms.Form):
    credit_code = forms.CharField(
        label=gettext_lazy("统一社会信用代码"), max_length=18, min_length=18
    )


class RevealForm(forms.Form):
    field = forms.ChoiceField(choices=[(f, f) for f in persons.REVEALABLE_FIELDS])


def end_of_day(day: datetime.date) -> datetime.datetime:
    """The end of ``day`` in the platform's time zone."""
    return timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())
    )


def apply_error(
    form: forms.Form, error: IdentityError, field_map: dict[str, str]
) -> None:
    """Put a refusal's reasons next to the form fields they name (the rest on top)."""
    placed = False
    for field, reasons in error.fields.items():
        target = field_map.get(field, field)
        if target in form.fields:
            for reason in reasons:
                form.add_error(target, reason)
            placed = True
    if not placed:
        form.add_error(None, error.message)


def grant_from_form(form: forms.Form, **service_kwargs: Any) -> Authorisation | None:
    data = form.cleaned_data
    try:
        return service_kwargs.pop("service")(
            agent_id_number=data["agent_id_number"],
            agent_name=data["agent_name"],
            item_codes=data["item_codes"],
            all_items=data["all_items"],
            valid_until=end_of_day(data["valid_until"]),
            **service_kwargs,
        )
    except IdentityError as error:
        apply_error(form, error, {"valid_from": "valid_until"})
        return None


# --- rows shown on the pages -----------------------------------------------------


def authorisation_row(a: Authorisation, now: datetime.datetime) -> dict[str, Any]:
    state = authorisations.authorisation_state(a, now)
    agent_person = getattr(a.agent, "person", None)
    return {
        "pk": a.pk,
        "kind": a.get_kind_display(),
        "principal": authorisations.principal_display_name(a),
        "agent": mask_name(agent_person.name)
        if agent_person
        else a.agent.get_username(),
        "items": _("全部事项") if a.all_items else "、".join(a.item_codes or []),
        "valid_from": a.valid_from,
        "valid_until": a.valid_until,
        "state": state,
        "state_label": authorisations.STATE_LABELS[state],
        "is_active": state == "active",
    }


# --- views -------------------------------------------------------------------------


def _person_or_none(request: HttpRequest) -> Person | None:
    return persons.person_for_user(request.user)


@never_cache
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    person = _person_or_none(request)
    revealed: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        form = RevealForm(request.POST)
        if person is None or not form.is_valid():
            raise Http404
        field = form.cleaned_data["field"]
        try:
            revealed[field] = persons.reveal_personal_data(
                person, field, request.user, reason="self_profile"
            )
        except IdentityError:
            status = 403
    context = {
        "person": person,
        "masked_id_number": persons.masked_id_number(person) if person else "",
        "masked_mobile": persons.masked_mobile(person) if person else "",
        "revealed": revealed,
    }
    return render(request, "identity/me/profile.html", context, status=status)


@login_required
def my_authorisations(request: HttpRequest) -> HttpResponse:
    person = _person_or_none(request)
    form = AuthorisationForm()
    status = 200
    if request.method == "POST":
        if person is None:
            raise Http404
        form = AuthorisationForm(request.POST)
        if form.is_valid():
            granted = grant_from_form(
                form,
                service=authorisations.authorisation_grant_personal,
                acting_user=request.user,
            )
            if granted is not None:
                messages.success(request, _("授权已生效。"))
                return redirect("identity:me_authorisations")
        status = 400
    now = timezone.now()
    context = {
        "person": person,
        "form": form,
        "given": [
            authorisation_row(a, now)
            for a in authorisations.authorisations_given(request.user)
        ],
        "received": [
            authorisation_row(a, now)
            for a in authorisations.authorisations_received(request.user)
        ],
        "max_days": authorisations.max_validity().days,
    }
    return render(request, "identity/me/authorisations.html", context, status=status)


@login_required
def revoke_authorisation(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method != "POST":
        return redirect("identity:me_authorisations")
    try:
        revoked = authorisations.authorisation_revoke(
            authorisation_id=pk, acting_user=request.user
        )
    except IdentityError as error:
        if error.status == 404:
            raise Http404 from error
        messages.error(request, error.message)
        return redirect("identity:me_authorisations")
    messages.success(request, _("授权已撤销，立即生效。"))
    if revoked.kind == AuthorisationKind.CLERK:
        return redirect("identity:me_entity", pk=revoked.principal_entity_id)
    return redirect("identity:me_authorisations")


@login_required
def acting_start(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return redirect("identity:me_authorisations")
    try:
        authorisation_id = int(request.POST.get("authorisation", ""))
        context = acting.acting_start(request, authorisation_id)
    except (ValueError, IdentityError):
        messages.error(request, _("该授权不存在或已失效。"))
        return redirect("identity:me_authorisations")
    messages.success(
        request, _("已开始代 %(name)s 办理。") % {"name": context.principal_name}
    )
    return redirect("portal:home")


@login_required
def acting_stop(request: HttpRequest) -> HttpResponse:
    """Stop acting; at a counter this also ends the visit."""
    if request.method != "POST":
        return redirect("identity:me_authorisations")
    context = getattr(request, "acting", None)
    if context is not None and context.basis == BasisKind.COUNTER:
        counter.counter_visit_end(clerk=request.user, visit_id=context.basis_id)
        acting.acting_stop(request)
        messages.success(request, _("现场代办已结束。"))
        return redirect("identity:counter_home")
    if acting.acting_stop(request):
        messages.success(request, _("已结束代办。"))
    return redirect("identity:me_authorisations")


@login_required
def my_actions(request: HttpRequest) -> HttpResponse:
    entity_names = acting.represented_entity_names(request.user)
    page = Paginator(
        acting.actions_in_my_name(request.user, entity_names), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": [acting.action_row(event, entity_names) for event in page.object_list],
    }
    return render(request, "identity/me/actions.html", context)


@login_required
def my_entities(request: HttpRequest) -> HttpResponse:
    person = _person_or_none(request)
    form = EntityForm()
    status = 200
    if request.method == "POST":
        form = EntityForm(request.POST)
        if form.is_valid():
            try:
                entity = entities.entity_register(
                    credit_code=form.cleaned_data["credit_code"],
                    acting_user=request.user,
                )
            except IdentityError as error:
                apply_error(form, error, {})
            else:
                messages.success(request, _("单位登记成功。"))
                return redirect("identity:me_entity", pk=entity.pk)
        status = 400
    context = {
        "person": person,
        "form": form,
        "entities": list(entities.entities_represented(request.user)),
    }
    return render(request, "identity/me/entities.html", context, status=status)


@login_required
def entity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        entity: LegalEntity = entities.represented_entity(request.user, pk)
    except IdentityError as error:
        raise Http404 from error
    form = AuthorisationForm()
    status = 200
    if request.method == "POST":
        form = AuthorisationForm(request.POST)
        if form.is_valid():
            granted = grant_from_form(
                form,
                service=entities.clerk_authorise,
                entity_id=entity.pk,
                acting_user=request.user,
            )
            if granted is not None:
                messages.success(request, _("经办人授权已生效。"))
                return redirect("identity:me_entity", pk=entity.pk)
        status = 400
    now = timezone.now()
    context = {
        "entity": entity,
        "form": form,
        "clerks": [
            authorisation_row(a, now)
            for a in authorisations.entity_clerk_authorisations(request.user, entity)
        ],
        "max_days": authorisations.max_validity().days,
    }
    return render(request, "identity/me/entity.html", context, status=status)


urlpatterns: list[URLPattern] = [
    path("", profile, name="me_profile"),
    path("authorisations/", my_authorisations, name="me_authorisations"),
    path(
        "authorisations/<int:pk>/revoke",
        revoke_authorisation,
        name="me_authorisation_revoke",
    ),
    path("acting/start", acting_start, name="acting_start"),
    path("acting/stop", acting_stop, name="acting_stop"),
    path("actions/", my_actions, name="me_actions"),
    path("entities/", my_entities, name="me_entities"),
    path("entities/<int:pk>/", entity_detail, name="me_entity"),
]
