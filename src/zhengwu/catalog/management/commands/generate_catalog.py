"""``manage.py generate_catalog --entries 200000 --base-items 5000``: a synthetic
catalogue for benchmarks (see :mod:`zhengwu.catalog.synthetic`). Refuses to run a
second time on the same database unless ``--append``."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhengwu.catalog.synthetic import BATCH_SIZE, SyntheticError, generate


class Command(BaseCommand):
    help = "Generate a synthetic catalogue: listings with one published guide each."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--entries", type=int, default=200_000)
        parser.add_argument(
            "--base-items",
            type=int,
            default=None,
            help="number of base items (default: one per 40 entries)",
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
        parser.add_argument(
            "--append",
            action="store_true",
            help="add another synthetic catalogue to a database that has one",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbose = options["verbosity"] > 1
        try:
            summary = generate(
                options["entries"],
                base_items=options["base_items"],
                seed=options["seed"],
                append=options["append"],
                batch_size=options["batch_size"],
                log=self.stdout.write if verbose else None,
            )
        except SyntheticError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"合成目录已生成（用时 {summary.seconds:.1f} 秒）："
                f"实施主体新建 {summary.organisations_created} 个，"
                f"基本目录事项 {summary.base_items_created} 项，"
                f"实施清单 {summary.listings_created} 条（各有一个在用的已发布版本）。"
            )
        )
