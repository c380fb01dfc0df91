"""``manage.py audit_verify``: recompute every audit hash; exit 1 when broken."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from zhengwu.core import audit


class Command(BaseCommand):
    help = "Verify the audit log: content hashes, chain continuity and the chain head."

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit.verify()
        if report.ok:
            self.stdout.write(
                f"audit log intact: {report.checked} record(s) checked "
                f"({report.sealed} sealed, {report.unsealed} not yet sealed)"
            )
            return
        for reason in report.reasons:
            self.stderr.write(reason)
        if report.more_reasons:
            self.stderr.write(f"... and {report.more_reasons} more problem(s)")
        raise CommandError(
            f"audit log BROKEN: first bad record seq={report.first_bad_seq} "
            f"id={report.first_bad_pk}: {report.reasons[0]}",
            returncode=1,
        )
