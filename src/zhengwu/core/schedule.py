"""Periodic tasks that ``manage.py run_scheduler`` enqueues.

Core's entries are below. An app adds its own with a ``schedule.py`` module holding a
``SCHEDULE`` list of :class:`Every`; a deployment adds more through the Django setting
``ZHENGWU_SCHEDULE_EXTRA`` (a list of ``(task import path, seconds)``). Intervals are
read when the scheduler starts. A task must be idempotent: two schedulers, a restart or
a retry may enqueue it twice.
"""

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Every:
    """Enqueue the task at ``task_path`` every ``seconds`` (a number, or a callable
    returning one, read when the schedule is built)."""

    task_path: str
    seconds: int | Callable[[], int]

    def interval(self) -> int:
        value = self.seconds() if callable(self.seconds) else self.seconds
        if int(value) < 1:
            raise ValueError(f"{self.task_path}: interval must be at least 1 second")
        return int(value)

    def task(self) -> Any:
        return import_string(self.task_path)


SCHEDULE = [
    Every(
        "zhengwu.core.tasks.seal_audit_log",
        lambda: settings.ZHENGWU_AUDIT_SEAL_SECONDS,
    ),
    # The task queue's finished results are pruned once a day.
    Every("zhengwu.core.tasks.prune_task_results", 24 * 3600),
]


def _app_schedule(app_name: str) -> list[Every]:
    module_name = f"{app_name}.schedule"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name == module_name:
            return []
        raise
    return list(getattr(module, "SCHEDULE", []))


def build_schedule() -> list[tuple[Every, int]]:
    """Every entry of every installed app and of the settings, with its interval."""
    entries: list[Every] = []
    for app_config in apps.get_app_configs():
        entries.extend(_app_schedule(app_config.name))
    entries.extend(
        Every(path, seconds)
        for path, seconds in getattr(settings, "ZHENGWU_SCHEDULE_EXTRA", ())
    )
    return [(entry, entry.interval()) for entry in entries]
