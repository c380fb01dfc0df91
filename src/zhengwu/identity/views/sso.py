"""The provider's logout endpoint (RP-initiated logout, /o/logout/): django-oauth-
toolkit's view, except that logging out from a department system ends the user's
platform sessions everywhere and revokes all their SSO tokens (audited by
``accounts.logout_everywhere``), as the platform's own logout does."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from oauth2_provider.views.oidc import RPInitiatedLogoutView

from zhengwu.identity import accounts


class SsoLogoutView(RPInitiatedLogoutView):
    def do_logout(
        self,
        application: Any = None,
        post_logout_redirect_uri: str | None = None,
        state: str | None = None,
        token_user: AbstractBaseUser | None = None,
    ) -> Any:
        user = self.request.user
        # Only the signed-in user's own logout ends their sessions everywhere; an ID
        # token alone (the session already gone) revokes that user's tokens only.
        if user.is_authenticated and (token_user is None or token_user == user):
            accounts.logout_everywhere(user)
        return super().do_logout(
            application, post_logout_redirect_uri, state, token_user
        )
