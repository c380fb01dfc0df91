"""The OpenID Connect provider (single sign-on for department systems), built on
django-oauth-toolkit: claims by scope, pairwise subjects, client policies, keys."""

from django.contrib.auth.models import AbstractBaseUser


def revoke_user_tokens(user: AbstractBaseUser) -> int:
    """Revoke every access and refresh token issued to ``user``; return how many.
    Called when the user logs out (logout ends the session everywhere)."""
    raise NotImplementedError
