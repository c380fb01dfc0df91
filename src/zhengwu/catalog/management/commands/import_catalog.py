"""``manage.py import_catalog PATH --user USERNAME [--dry-run]``: import a catalogue
workbook as USERNAME, all-or-nothing. Changed listings become drafts for review."""

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhengwu.catalog.transfer import import_workbook


class Command(BaseCommand):
    help = "Import a catalogue workbook (xlsx) as a user; nothing changes on any error."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the workbook (.xlsx)")
        parser.add_argument("--user", required=True, help="username acting")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and report only"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        try:
            user = user_model.objects.get_by_natural_key(options["user"])
        except user_model.DoesNotExist:
            raise CommandError(f"unknown user: {options['user']}") from None
        path = Path(options["path"])
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error}") from error
        result = import_workbook(
            content,
            acting_user=user,
            source_name=path.name,
            dry_run=options["dry_run"],
        )
        for error in result.errors:
            where = " ".join(
                part
                for part in (
                    error.sheet,
                    f"第{error.row}行" if error.row else "",
                    error.column,
                )
                if part
            )
            self.stderr.write(f"{where}：{error.reason}" if where else error.reason)
        if result.errors:
            raise CommandError(
                f"import refused: {len(result.errors)} error(s), nothing changed"
            )
        for warning in result.warnings:
            self.stdout.write(
                f"warning: {warning.sheet} 第{warning.row}行 {warning.column}："
                f"{warning.reason}"
            )
        prefix = "would be " if options["dry_run"] else ""
        self.stdout.write(f"{prefix}created: {len(result.created)}")
        self.stdout.write(f"{prefix}updated: {len(result.updated)}")
        self.stdout.write(f"unchanged: {len(result.unchanged)}")
