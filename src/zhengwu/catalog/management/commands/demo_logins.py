"""``manage.py demo_logins``: the demo accounts, their password, role and organisation.

The password is the demo's only (documented in the README); never use these accounts
outside a demonstration."""

import unicodedata
from typing import Any

from django.core.management.base import BaseCommand

from zhengwu.cases.demo import demo_logins as cases_demo_logins
from zhengwu.cases.demo import demo_notes as cases_demo_notes
from zhengwu.catalog.demo import DEMO_PASSWORD, demo_logins
from zhengwu.identity.facade import identity_demo_logins


def display_width(text: str) -> int:
    """Terminal columns of ``text``: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


class Command(BaseCommand):
    help = "Print the demo logins (username, password, role, organisation)."

    def table(self, headings: list[str], rows: list[list[str]]) -> None:
        widths = [
            max(display_width(row[column]) for row in [headings, *rows])
            for column in range(len(headings))
        ]
        line = "  ".join("-" * w for w in widths)
        self.stdout.write(
            "  ".join(pad(h, w) for h, w in zip(headings, widths, strict=True)).rstrip()
        )
        self.stdout.write(line)
        for row in rows:
            self.stdout.write(
                "  ".join(pad(c, w) for c, w in zip(row, widths, strict=True)).rstrip()
            )

    def handle(self, *args: Any, **options: Any) -> None:
        logins = demo_logins()
        self.stdout.write("演示账号（仅用于演示环境，请勿在生产环境使用）")
        self.table(
            ["用户名", "密码", "角色", "所属单位"],
            [[x.username, x.password, x.role, x.organisation] for x in logins],
        )
        identity = identity_demo_logins(password=DEMO_PASSWORD)
        self.stdout.write("")
        self.stdout.write(
            "三员、窗口与公众演示账号（工作人员首次登录须绑定身份验证器；公众用户以"
            "身份号码或手机号登录。以下身份号码和手机号均为虚构的演示数据，"
            "校验位正确但不属于任何真实的人，因此明文列出）"
        )
        self.table(
            ["登录名", "密码", "角色", "所属单位 / 说明"],
            [
                [login, password, role, note]
                for login, password, role, note, _ in identity
            ],
        )
        cases = cases_demo_logins(DEMO_PASSWORD)
        self.stdout.write("")
        self.stdout.write("办件演示账号")
        self.table(
            ["用户名", "密码", "角色", "所属单位"],
            [[login, password, role, org] for login, password, role, org, _ in cases],
        )
        self.stdout.write("")
        self.stdout.write("办件演示（网上办理、秒批、一件事一次办、窗口收件、预约）：")
        for note in cases_demo_notes():
            self.stdout.write(f"  - {note}")
        self.stdout.write("")
        self.stdout.write(
            "工作人员首次登录时绑定身份验证器（扫描页面上的二维码或手动输入密钥），"
            "之后每次登录输入动态验证码。公众用户也可用短信验证码登录；演示环境的"
            "短信不真正发出，验证码在 /accounts/dev-sms-outbox/ 查看。"
        )
        missing = (
            [x.username for x in logins if not x.exists]
            + [row[0] for row in identity if not row[4]]
            + [row[0] for row in cases if not row[4]]
        )
        if len(missing) == len(logins) + len(identity) + len(cases):
            self.stdout.write(
                self.style.WARNING(
                    "这些账号尚未创建：请先运行 manage.py populate_demo。"
                )
            )
        elif missing:
            self.stdout.write(
                self.style.WARNING(f"尚未创建的账号：{', '.join(missing)}")
            )
