from django.apps import AppConfig
from django.db.backends.signals import connection_created


class CoreConfig(AppConfig):
    name = "zhengwu.core"
    label = "core"
    verbose_name = "基础"

    def ready(self) -> None:
        from .audit import register_sqlite_functions

        connection_created.connect(
            register_sqlite_functions, dispatch_uid="zhengwu_core_sqlite_functions"
        )
