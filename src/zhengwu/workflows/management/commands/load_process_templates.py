"""``manage.py load_process_templates``: store the shipped BPMN templates (instant,
single, parallel) and sample DMN tables as versions; a second run changes nothing."""

from typing import Any

from django.core.management.base import BaseCommand

from zhengwu.workflows.services import ensure_templates


class Command(BaseCommand):
    help = "Load the shipped process templates and sample decision tables."

    def handle(self, *args: Any, **options: Any) -> None:
        added = ensure_templates()
        self.stdout.write(
            f"workflows: {added['processes']} process versions, "
            f"{added['decisions']} decision versions added"
        )
