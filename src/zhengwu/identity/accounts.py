"""Login accounts: password policy and history, lockout, sessions and logout."""

from django.contrib.auth.models import AbstractBaseUser

from .constants import AccountKind
from .models import Account


def ensure_account(user: AbstractBaseUser, kind: AccountKind | str) -> Account:
    """The user's ``Account`` row, created with ``kind`` when missing."""
    raise NotImplementedError


def set_password(
    user: AbstractBaseUser,
    raw_password: str,
    *,
    acting_user: AbstractBaseUser | None,
    must_change: bool = False,
) -> None:
    """Validate (complexity, not one of the last five), hash, record in history,
    stamp ``password_changed_at``; audited. Raises ``IdentityError`` on a weak or
    repeated password."""
    raise NotImplementedError


def logout_everywhere(user: AbstractBaseUser) -> int:
    """End every session of ``user`` and revoke their SSO tokens; audited."""
    raise NotImplementedError
