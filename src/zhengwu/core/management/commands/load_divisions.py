"""``manage.py load_divisions [--path FILE]``: load GB/T 2260 divisions (idempotent)."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhengwu.core.errors import DomainError
from zhengwu.core.services import DEFAULT_DIVISIONS_CSV, division_load_csv


class Command(BaseCommand):
    help = (
        "Load administrative divisions from a CSV (code,name,type,level,parent_code)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--path",
            type=Path,
            default=None,
            help=f"CSV file; default ZHENGWU_DIVISIONS_CSV or {DEFAULT_DIVISIONS_CSV.name}",
        )

    def handle(self, *args: Any, path: Path | None = None, **options: Any) -> None:
        try:
            counts = division_load_csv(path=path)
        except DomainError as error:
            details = "; ".join(
                f"{where}: {' '.join(reasons)}"
                for where, reasons in error.fields.items()
            )
            raise CommandError(f"{error.message} {details}") from error
        self.stdout.write(f"divisions: {counts}")
