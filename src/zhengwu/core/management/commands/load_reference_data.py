"""``manage.py load_reference_data``: core's reference data, then every other app's.

An app takes part by having a ``reference.py`` module with a ``load_reference_data()``
function; core does not import any app by name. Every loader is idempotent.
"""

import importlib
from types import ModuleType
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand

from zhengwu.core.services import load_reference_data


def reference_module(app_name: str) -> ModuleType | None:
    """The app's ``reference`` module, or None when it has none. An import error
    inside an existing module is raised, not mistaken for "no module"."""
    module_name = f"{app_name}.reference"
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name == module_name:
            return None
        raise


class Command(BaseCommand):
    help = "Load reference data: divisions, calendar, and every app's reference.py."

    def handle(self, *args: Any, **options: Any) -> None:
        for name, counts in load_reference_data().items():
            self.stdout.write(f"core.{name}: {counts}")
        for app_config in apps.get_app_configs():
            if app_config.label == "core":
                continue
            module = reference_module(app_config.name)
            loader = getattr(module, "load_reference_data", None)
            if loader is None:
                continue
            result = loader()
            self.stdout.write(f"{app_config.label}: {result}")
