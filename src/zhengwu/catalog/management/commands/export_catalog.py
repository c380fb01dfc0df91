"""``manage.py export_catalog --format xlsx|json --output PATH [--division CODE]``:
the listings in force today with their guides, as a workbook or as JSON with the
national exchange field names (see ``catalog/transfer_columns.py``)."""

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhengwu.catalog.selectors import division_codes_under, public_versions
from zhengwu.catalog.transfer import export_json, export_workbook
from zhengwu.core.models import Division


class Command(BaseCommand):
    help = "Export the catalogue in force (listings and guides) as xlsx or JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["xlsx", "json"], default="xlsx")
        parser.add_argument(
            "--output", required=True, help="file to write; '-' writes JSON to stdout"
        )
        parser.add_argument(
            "--division",
            help="division code (GB/T 2260): that division and every one below it",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        versions = public_versions().order_by("listing__code")
        division = options.get("division")
        if division:
            if not Division.objects.filter(code=division).exists():
                raise CommandError(f"unknown division code: {division}")
            versions = versions.filter(
                listing__division__code__in=division_codes_under(division)
            )
        output = options["output"]
        if options["format"] == "json":
            text = json.dumps(export_json(versions), ensure_ascii=False, indent=2)
            if output == "-":
                sys.stdout.write(text + "\n")
                return
            self._write(Path(output), (text + "\n").encode())
        else:
            if output == "-":
                raise CommandError("a workbook cannot be written to stdout")
            self._write(Path(output), export_workbook(versions))
        self.stdout.write(f"exported {versions.count()} listings to {output}")

    def _write(self, path: Path, content: bytes) -> None:
        try:
            path.write_bytes(content)
        except OSError as error:
            raise CommandError(f"cannot write {path}: {error}") from error
