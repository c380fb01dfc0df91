from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "zhengwu.identity"
    label = "identity"
    verbose_name = "身份与权限"

    def ready(self) -> None:
        # Session tracking (idle expiry, logout everywhere) listens to every login.
        from . import sessions  # noqa: F401
