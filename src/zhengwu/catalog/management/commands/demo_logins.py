"""``manage.py demo_logins``: the demo accounts, their password, role and organisation.

The password is the demo's only (documented in the README); never use these accounts
outside a demonstration."""

import unicodedata
from typing import Any

from django.core.management.base import BaseCommand

from zhengwu.catalog.demo import demo_logins


def display_width(text: str) -> int:
    """Terminal columns of ``text``: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


class Command(BaseCommand):
    help = "Print the demo logins (username, password, role, organisation)."

    def handle(self, *args: Any, **options: Any) -> None:
        logins = demo_logins()
        headings = ["用户名", "密码", "角色", "所属单位"]
        rows = [[x.username, x.password, x.role, x.organisation] for x in logins]
        widths = [
            max(display_width(row[column]) for row in [headings, *rows])
            for column in range(len(headings))
        ]
        line = "  ".join("-" * w for w in widths)
        self.stdout.write("演示账号（仅用于演示环境，请勿在生产环境使用）")
        self.stdout.write(
            "  ".join(pad(h, w) for h, w in zip(headings, widths, strict=True)).rstrip()
        )
        self.stdout.write(line)
        for row in rows:
            self.stdout.write(
                "  ".join(pad(c, w) for c, w in zip(row, widths, strict=True)).rstrip()
            )
        if not any(x.exists for x in logins):
            self.stdout.write(
                self.style.WARNING(
                    "这些账号尚未创建：请先运行 manage.py populate_demo。"
                )
            )
        elif not all(x.exists for x in logins):
            missing = ", ".join(x.username for x in logins if not x.exists)
            self.stdout.write(self.style.WARNING(f"尚未创建的账号：{missing}"))
