"""``manage.py flush`` that may also empty the audit table on SQLite.

The audit table's delete trigger refuses row deletes. On PostgreSQL, flush empties
tables with TRUNCATE, which row triggers do not see; on SQLite it deletes rows. So that
emptying the whole database (an operator's ``flush``, a transactional test's teardown)
behaves the same on both, this command lets this thread delete audit rows while it
runs. Deleting single records stays refused.
"""

from typing import Any

from django.core.management.commands.flush import Command as FlushCommand

from zhengwu.core.audit import maintenance


class Command(FlushCommand):
    def handle(self, **options: Any) -> None:
        with maintenance():
            super().handle(**options)
