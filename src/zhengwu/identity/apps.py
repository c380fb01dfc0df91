from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "zhengwu.identity"
    label = "identity"
    verbose_name = "身份与权限"

    def ready(self) -> None:
        from django.contrib import admin

        # Session tracking (idle expiry, logout everywhere) listens to every login.
        from . import sessions  # noqa: F401
        from .views.accounts import admin_login

        # The admin site's own password form would skip the staff second factor:
        # its login page sends people to the platform login instead.
        admin.site.login = admin_login  # type: ignore[method-assign]
