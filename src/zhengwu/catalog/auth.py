"""Who is calling the catalogue API: the one place that decides how staff authenticate.

Staff sign in with a Django session today; the identity issue adds OIDC bearer tokens.
Every staff operation names :data:`staff_auth`, and public operations that show staff
more (attachment downloads, exports) ask :func:`request_user`, so adding tokens means
changing this module only."""

from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from django.utils.translation import gettext as _

from ninja.security import SessionAuth

from zhengwu.identity.facade import StaffScope, staff_scope

from . import errors
from .errors import CatalogError

# The session cookie; CSRF is checked on unsafe methods (POST, PUT, PATCH, DELETE).
staff_auth = SessionAuth(csrf=True)


def request_user(request: HttpRequest) -> AbstractBaseUser | None:
    """The signed-in, active user of a public operation, or None for the public."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return user


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
