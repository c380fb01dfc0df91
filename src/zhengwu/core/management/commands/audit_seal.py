"""``manage.py audit_seal``: link every unsealed audit record into the chain now."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from zhengwu.core import audit


class Command(BaseCommand):
    help = "Seal unsealed audit records into the hash chain."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=5000)

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        sealed = audit.seal(batch_size=batch_size)
        self.stdout.write(f"sealed {sealed} audit record(s)")
