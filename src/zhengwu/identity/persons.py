"""Natural persons: registration, verification against the population base records
(L2), in-person verification at a counter (L3), and lookups by ID number or mobile
through their blind indexes.

Clear ID numbers and mobiles leave this module only through
:func:`reveal_personal_data`, which decides who may see them and audits every view;
everything else shows the masked forms."""

import re
import secrets
from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengwu.core import audit
from zhengwu.core.crypto import blind_index, mask_id_number, mask_mobile, mask_name
from zhengwu.core.validators import is_valid_id_number, normalise_code

from . import accounts
from .constants import AccountKind, AssuranceLevel
from .errors import IdentityError
from .models import CounterVisit, Person
from .registry import Verdict, normalise_name, population_registry

MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}\Z")
NAME_MAX_LENGTH = 50
REVEALABLE_FIELDS = ("id_number", "mobile")

# How long a counter visit lets the clerk act for and see the walk-in applicant.
COUNTER_VISIT_DURATION = timedelta(hours=2)


# --- normalising and validating input ----------------------------------------------


def normalise_id_number(value: str) -> str:
    return normalise_code(value)


def normalise_mobile(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "").removeprefix("+86")


def id_number_index(id_number: str) -> str:
    return blind_index(normalise_id_number(id_number), purpose="id_number")


def mobile_index(mobile: str) -> str:
    return blind_index(normalise_mobile(mobile), purpose="mobile")


def name_errors(name: str) -> list[str]:
    name = (name or "").strip()
    if not name:
        return [_("请填写姓名。")]
    if len(name) > NAME_MAX_LENGTH:
        return [_("姓名不能超过%(n)s个字符。") % {"n": NAME_MAX_LENGTH}]
    if any(ch.isdigit() or ch in "<>\"'&;" for ch in name):
        return [_("姓名不能包含数字或特殊符号。")]
    return []


def id_number_errors(id_number: str) -> list[str]:
    if not id_number:
        return [_("请填写公民身份号码。")]
    if not is_valid_id_number(id_number):
        return [_("公民身份号码无效：应为18位，出生日期真实且校验码正确。")]
    return []


def mobile_errors(mobile: str) -> list[str]:
    if not mobile:
        return [_("请填写手机号码。")]
    if not MOBILE_RE.match(mobile):
        return [_("手机号码应为以1开头的11位数字。")]
    return []


def _new_username() -> str:
    """A login name that is not personal data: ``p`` and twelve random hex digits."""
    user_model = get_user_model()
    while True:
        username = "p" + secrets.token_hex(6)
        if not user_model.objects.filter(username=username).exists():
            return username


# --- registration and verification -------------------------------------------------


def register_person(*, name: str, id_number: str, mobile: str, password: str) -> Person:
    """Create a citizen's login account and person record (L1), raise to L2 when the
    population base records confirm name and ID number. An ID number already linked
    to an account is refused; a walk-in person record without an account is linked.
    Audited. Raises ``IdentityError`` naming the field."""
    name = (name or "").strip()
    id_number = normalise_id_number(id_number)
    mobile = normalise_mobile(mobile)
    fields: dict[str, list[str]] = {}
    for field, errors in (
        ("name", name_errors(name)),
        ("id_number", id_number_errors(id_number)),
        ("mobile", mobile_errors(mobile)),
    ):
        if errors:
            fields[field] = errors
    if not password:
        fields["password"] = [_("请设置密码。")]
    if fields:
        raise IdentityError(
            "identity.invalid_registration", _("请检查填写的信息。"), fields=fields
        )
    try:
        return _register(
            name=name, id_number=id_number, mobile=mobile, password=password
        )
    except IntegrityError as error:  # a concurrent registration of the same number
        raise _duplicate_id_number() from error


def _duplicate_id_number() -> IdentityError:
    return IdentityError(
        "identity.id_number_registered",
        _("该身份号码已注册，请直接登录或找回密码。"),
        fields={"id_number": [_("该身份号码已注册，请直接登录或找回密码。")]},
        status=409,
    )


@transaction.atomic
def _register(*, name: str, id_number: str, mobile: str, password: str) -> Person:
    id_index, phone_index = id_number_index(id_number), mobile_index(mobile)
    person = Person.objects.select_for_update().filter(id_number_index=id_index).first()
    if person is not None and person.user_id is not None:
        raise _duplicate_id_number()
    if person is not None and normalise_name(person.name) != normalise_name(name):
        # A walk-in record under this number carries another name: do not link it.
        raise IdentityError(
            "identity.name_mismatch",
            _("姓名与身份号码不符。"),
            fields={"name": [_("姓名与身份号码不符。")]},
        )
    if Person.objects.filter(mobile_index=phone_index, user__isnull=False).exists():
        raise IdentityError(
            "identity.mobile_taken",
            _("该手机号码已绑定其他账户。"),
            fields={"mobile": [_("该手机号码已绑定其他账户。")]},
            status=409,
        )

    user = get_user_model().objects.create_user(username=_new_username())
    user.set_unusable_password()
    user.save(update_fields=["password"])
    accounts.ensure_account(user, AccountKind.PERSON)
    accounts.set_password(user, password, acting_user=user)

    verdict = population_registry().verify_person(name, id_number)
    level = (
        AssuranceLevel.VERIFIED
        if verdict == Verdict.MATCH
        else AssuranceLevel.REGISTERED
    )
    now = timezone.now()
    walk_in = person is not None
    if person is None:
        person = Person(id_number_index=id_index)
    person.user = user
    person.name = name
    person.id_number = id_number
    person.mobile = mobile
    person.mobile_index = phone_index
    # What this registration proves is what counts: an earlier in-person check
    # verified whoever stood at the counter, not whoever registers online now.
    person.assurance_level = level
    person.verified_at = now if level == AssuranceLevel.VERIFIED else None
    person.verified_by = None
    person.full_clean(exclude=["user", "verified_by"])
    person.save()

    audit.record(
        acting_user=user,
        event="identity.registered",
        target=person,
        data={
            "name": mask_name(name),
            "id_number": mask_id_number(id_number),
            "mobile": mask_mobile(mobile),
            "linked_walk_in": walk_in,
            "population_check": str(verdict),
        },
    )
    if level == AssuranceLevel.VERIFIED:
        audit.record(
            acting_user=user,
            event="identity.verified",
            target=person,
            data={"level": int(level), "method": "population_registry"},
        )
    return person


@transaction.atomic
def verify_against_population(
    *, person: Person, acting_user: AbstractBaseUser
) -> Person:
    """Check an L1 person again against the population base records (the records
    may have been loaded after registration); L2 on a match. Audited either way."""
    verdict = population_registry().verify_person(person.name, person.id_number)
    if verdict == Verdict.MATCH and person.assurance_level < AssuranceLevel.VERIFIED:
        person.assurance_level = AssuranceLevel.VERIFIED
        person.verified_at = timezone.now()
        person.save(update_fields=["assurance_level", "verified_at", "updated_at"])
    audit.record(
        acting_user=acting_user,
        event="identity.verified",
        target=person,
        outcome="success" if verdict == Verdict.MATCH else "failure",
        data={
            "level": int(person.assurance_level),
            "method": "population_registry",
            "population_check": str(verdict),
        },
    )
    return person


def is_counter_clerk(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    """From the request's cached ``staff_scope`` (no query of its own)."""
    from .facade import staff_scope

    return bool(staff_scope(user).counter_organisation_ids)


@transaction.atomic
def verify_in_person(person: Person, clerk: AbstractBaseUser, document: str) -> Person:
    """L3: a counter clerk checked the person's ID document in person. Audited."""
    if not is_counter_clerk(clerk):
        raise IdentityError(
            "identity.not_counter_clerk",
            _("只有窗口工作人员可以现场核验身份。"),
            status=403,
        )
    if document not in CounterVisit.Document.values:
        raise IdentityError(
            "identity.invalid_document",
            _("请选择查验的证件。"),
            fields={"document": [_("请选择查验的证件。")]},
        )
    person = Person.objects.select_for_update().get(pk=person.pk)
    person.assurance_level = AssuranceLevel.IN_PERSON
    person.verified_at = timezone.now()
    person.verified_by = clerk
    person.save(
        update_fields=["assurance_level", "verified_at", "verified_by", "updated_at"]
    )
    audit.record(
        acting_user=clerk,
        event="identity.verified",
        target=person,
        on_behalf_of=person_label(person),
        data={
            "level": int(person.assurance_level),
            "method": "in_person",
            "document": document,
        },
    )
    return person


# --- lookups -----------------------------------------------------------------------


def person_for_user(user: AbstractBaseUser | AnonymousUser | None) -> Person | None:
    """The person record of a signed-in citizen (None for staff without one and for
    anonymous visitors)."""
    if user is None or not user.is_authenticated:
        return None
    return Person.objects.filter(user=user).first()


def find_person_by_id_number(id_number: str) -> Person | None:
    id_number = normalise_id_number(id_number)
    if not id_number:
        return None
    return Person.objects.filter(id_number_index=id_number_index(id_number)).first()


def find_by_mobile(mobile: str) -> Person | None:
    """The person whose account uses ``mobile`` (a mobile is unique among persons
    with an account; walk-in records without one are not returned)."""
    mobile = normalise_mobile(mobile)
    if not mobile:
        return None
    return Person.objects.filter(
        mobile_index=mobile_index(mobile), user__isnull=False
    ).first()


def person_label(person: Person) -> str:
    """The principal label audit records use for this person."""
    return f"person:{person.pk}"


# --- display -----------------------------------------------------------------------


def masked_id_number(person: Person) -> str:
    return mask_id_number(person.id_number or "")


def masked_mobile(person: Person) -> str:
    return mask_mobile(person.mobile or "")


def masked_name(person: Person) -> str:
    return mask_name(person.name or "")


# Other apps (cases: the reviewer handling a case of this person) register a rule
# through the facade: ``rule(viewer, principal_label) -> bool`` with the person's
# label (``person:<pk>``). Identity cannot import them.
RevealRule = Callable[[AbstractBaseUser, str], bool]
_reveal_rules: list[RevealRule] = []


def register_reveal_rule(rule: RevealRule) -> None:
    if rule not in _reveal_rules:
        _reveal_rules.append(rule)


def has_open_counter_visit(clerk: AbstractBaseUser, person: Person) -> bool:
    return CounterVisit.objects.filter(
        clerk=clerk,
        person=person,
        ended_at__isnull=True,
        started_at__gt=timezone.now() - COUNTER_VISIT_DURATION,
    ).exists()


def may_reveal(viewer: AbstractBaseUser | AnonymousUser | None, person: Person) -> str:
    """Why ``viewer`` may see ``person``'s clear identifiers ("" when not)."""
    if viewer is None or not viewer.is_authenticated or not viewer.is_active:
        return ""
    if person.user_id is not None and person.user_id == viewer.pk:
        return "self"
    if is_counter_clerk(viewer) and has_open_counter_visit(viewer, person):
        return "counter_visit"
    if any(rule(viewer, person_label(person)) for rule in _reveal_rules):
        return "case_review"
    return ""


def reveal_personal_data(
    person: Person,
    field: str,
    viewer: AbstractBaseUser | AnonymousUser | None,
    reason: str = "",
) -> str:
    """The clear ID number or mobile of ``person`` for ``viewer``, when they may see
    it (the person themself, the counter clerk serving them now, a rule another app
    registered). Every view, and every refusal, is audited."""
    if field not in REVEALABLE_FIELDS:
        raise IdentityError(
            "identity.invalid_field", _("不能查看该项信息。"), status=400
        )
    basis = may_reveal(viewer, person)
    audit.record(
        acting_user=viewer,
        event="identity.personal_data_viewed",
        target=person,
        # Someone else's view is shown to the person among the actions in their name.
        on_behalf_of=person_label(person) if basis and basis != "self" else "",
        outcome="success" if basis else "denied",
        data={"field": field, "basis": basis, "reason": reason[:200]},
    )
    if not basis:
        raise IdentityError("identity.forbidden", _("无权查看完整信息。"), status=403)
    return getattr(person, field) or ""
