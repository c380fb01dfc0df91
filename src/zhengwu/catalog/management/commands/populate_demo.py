"""``manage.py populate_demo``: the Liaoning demo (organisations, staff accounts, base
items, listings with published guides), then the identity demo (the three separated
administrators, counter and service-point clerks, a reviewer, citizens, an enterprise
and authorisations), then the licences demo (a licence type, its issuer's seal, a
licence of a demo citizen), then the cases demo (online-handling settings, a bundle, a
service hall with appointment slots, example cases). Safe to run again: nothing is
duplicated."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from zhengwu.cases.demo import CasesDemoError, demo_notes
from zhengwu.cases.demo import populate as populate_cases_demo
from zhengwu.catalog.demo import DEMO_PASSWORD, DemoError, populate, scenario_notes
from zhengwu.core.errors import DomainError
from zhengwu.identity.facade import populate_identity_demo
from zhengwu.licenses.facade import populate_licences_demo


class Command(BaseCommand):
    help = "Load the Liaoning demo data (idempotent). Run load_reference_data first."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = populate(
                log=self.stdout.write if options["verbosity"] > 1 else None
            )
            identity = populate_identity_demo(password=DEMO_PASSWORD)
            licences = populate_licences_demo()
            cases = populate_cases_demo(password=DEMO_PASSWORD)
        except (DemoError, CasesDemoError) as error:
            raise CommandError(str(error)) from error
        except DomainError as error:
            raise CommandError(
                f"{error.code}: {error.message} {error.fields}"
            ) from error
        totals = summary.totals
        self.stdout.write(
            self.style.SUCCESS(
                f"演示数据已就绪（用时 {summary.seconds:.1f} 秒）："
                f"本次新建实施主体 {summary.organisations_created} 个、"
                f"基本目录事项 {summary.base_items_created} 项、"
                f"实施清单 {summary.listings_created} 条、"
                f"附件 {summary.attachments_created} 个、"
                f"用户 {summary.users_created} 个。"
            )
        )
        self.stdout.write(
            f"库中合计：实施主体 {totals['organisations']}，"
            f"基本目录事项 {totals['base_items']}，实施清单 {totals['listings']}，"
            f"已发布版本 {totals['published_versions']}，"
            f"未发布版本 {totals['open_versions']}。"
        )
        self.stdout.write(
            f"身份演示数据：本次新建工作人员 {identity['staff']} 个、"
            f"角色 {identity['memberships']} 个、公众用户 {identity['citizens']} 个、"
            f"法人 {identity['entities']} 个、授权 {identity['authorisations']} 项。"
        )
        self.stdout.write(
            f"电子证照演示数据：本次新建证照类型 {licences['types']} 个、"
            f"电子印章 {licences['seals']} 枚、电子证照 {licences['licences']} 张。"
        )
        self.stdout.write(
            f"办件演示数据：本次新建工作人员 {cases['staff']} 个、"
            f"网上办理配置 {cases['configs']} 项、一件事 {cases['bundles']} 个、"
            f"服务大厅 {cases['halls']} 个、窗口 {cases['windows']} 个、"
            f"预约时段 {cases['slots']} 个、示例办件 {cases['cases']} 件、"
            f"示例预约 {cases['appointments']} 个。"
        )
        self.stdout.write("办件演示：")
        for note in demo_notes():
            self.stdout.write(f"  - {note}")
        if summary.listings_created:
            self.stdout.write("为演示工作台和一致性报告预留的状态：")
            for note in scenario_notes():
                self.stdout.write(f"  - {note}")
        self.stdout.write(
            f"演示账号（admin、bianweiban、xitong_admin 等，及公众演示用户）的密码均为 "
            f"{DEMO_PASSWORD}，仅供演示，切勿用于生产环境；完整列表：manage.py demo_logins。"
        )
