"""Who is calling the catalogue API: the one place that decides how staff authenticate.

Staff call the API with an OIDC access token (``Authorization: Bearer``, scope
``api``; see ``identity.tokens``) or with their page session (CSRF checked on unsafe
methods). Every staff operation names :data:`staff_auth`, and public operations that
show staff more (attachment downloads, exports) ask :func:`request_user`."""

from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from django.utils.translation import gettext as _

from ninja.security import SessionAuth

from zhengwu.identity.facade import (
    StaffScope,
    bearer_auth,
    request_user_with_bearer,
    staff_scope,
)

from . import errors
from .errors import CatalogError

# A bearer token first (an invalid one is 401 at once); else the session cookie, with
# CSRF checked on unsafe methods (POST, PUT, PATCH, DELETE).
staff_auth = [bearer_auth, SessionAuth(csrf=True)]


def request_user(request: HttpRequest) -> AbstractBaseUser | None:
    """The caller of a public operation: the user of a presented bearer token (an
    invalid token is 401), else the signed-in active user, else None (the public)."""
    return request_user_with_bearer(request)


def require_staff_member(user: AbstractBaseUser | None) -> StaffScope:
    """The user's catalogue scope; 403 for a signed-in user with no catalogue role."""
    scope = staff_scope(user)
    if not scope.is_staff_member:
        raise CatalogError(
            errors.NOT_ALLOWED,
            _("只有事项管理工作人员可以查看此内容。"),
            status=403,
        )
    return scope
