"""Password reset for citizens (找回密码): ID number and registered mobile, an SMS
code to that mobile, then a new password.

Nobody learns whether an ID number and mobile belong to an account: a code is
recorded (and counts towards the SMS limits of ``otp``) for every well-formed
request, but texted only when the pair is a citizen's active account; a code typed
for any other pair is refused like a wrong code. Staff accounts are never reset
here: the security administrator resets theirs. A reset ends every session of the
user and their SSO tokens, and is audited."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from zhengwu.core import audit
from zhengwu.core.crypto import blind_index, mask_id_number, mask_mobile

from . import accounts, otp
from .constants import OtpPurpose
from .models import Person


def citizen_for(id_number: str, mobile: str) -> AbstractBaseUser | None:
    """The citizen whose account has this ID number and this mobile, if it is
    active, not expired and not staff; else None."""
    person = (
        Person.objects.filter(
            id_number_index=blind_index(id_number, purpose="id_number"),
            mobile_index=blind_index(mobile, purpose="mobile"),
            user__isnull=False,
        )
        .select_related("user")
        .first()
    )
    user = person.user if person is not None else None
    if (
        user is None
        or not user.is_active
        or accounts.account_expired(user)
        or accounts.is_staff_user(user)
    ):
        return None
    return user


def send_reset_code(*, id_number: str, mobile: str, source_ip: str | None) -> None:
    """Record a reset code for ``mobile`` and text it only when the pair is a
    citizen's account. Raises ``IdentityError`` (malformed mobile, SMS limits) the
    same way whatever the pair."""
    mobile = otp.validate_mobile(mobile)  # as otp stores it: the lookup must match
    otp.send_code(
        mobile=mobile,
        purpose=OtpPurpose.RESET,
        source_ip=source_ip,
        deliver=citizen_for(id_number, mobile) is not None,
    )


def reset_password(
    *, id_number: str, mobile: str, code: str, new_password: str
) -> AbstractBaseUser | None:
    """Set ``new_password`` for the citizen of ``id_number`` and ``mobile`` when
    ``code`` is their valid reset code; end every session and SSO token; audited.
    None when the code (or the pair) is wrong, with nothing changed. A password the
    policy refuses raises ``IdentityError`` (field ``password``) and leaves the
    code unused, so the user can choose another."""
    user = citizen_for(id_number, mobile)
    with transaction.atomic():
        # The code is checked (and a wrong one counted) whatever the pair.
        ok = otp.use_code(mobile=mobile, purpose=OtpPurpose.RESET, code=code)
        if not ok or user is None:
            return None
        accounts.set_password(user, new_password, acting_user=user)
        audit.record(
            acting_user=user,
            event="identity.password_reset",
            data={
                "user": user.get_username(),
                "id_number": mask_id_number(id_number),
                "mobile": mask_mobile(mobile),
                "method": "sms",
            },
        )
    accounts.logout_everywhere(user)
    return user
