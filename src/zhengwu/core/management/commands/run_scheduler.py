"""``manage.py run_scheduler [--once]``: enqueue periodic tasks (``core/schedule.py``).

The scheduler only enqueues; ``manage.py db_worker`` runs the tasks. It stops cleanly
on SIGINT or SIGTERM. ``--once`` enqueues every entry once and exits.
"""

import signal
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connections

import structlog

from zhengwu.core.schedule import Every, build_schedule

logger = structlog.get_logger(__name__)


class Command(BaseCommand):
    help = "Enqueue periodic background tasks on their intervals."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="enqueue every task once, then exit"
        )

    def handle(self, *args: Any, once: bool = False, **options: Any) -> None:
        schedule = build_schedule()
        if once:
            for entry, _interval in schedule:
                result = entry.task().enqueue()
                self.stdout.write(f"enqueued {entry.task_path} ({result.id})")
            return
        received: list[int] = []

        def request_stop(signum: int, frame: FrameType | None) -> None:
            # Only note the signal: a handler that logs or sets an Event takes a
            # lock the interrupted loop may be holding (the log writer's, the
            # Event's), and would deadlock the scheduler.
            received.append(signum)

        previous = {
            signum: signal.signal(signum, request_stop)
            for signum in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            self._loop(schedule, lambda: bool(received))
            if received:
                logger.info("scheduler_stopping", signal=received[0])
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _loop(
        self, schedule: list[tuple[Every, int]], stopping: Callable[[], bool]
    ) -> None:
        logger.info(
            "scheduler_started",
            tasks={entry.task_path: interval for entry, interval in schedule},
        )
        due = dict.fromkeys(range(len(schedule)), time.monotonic())
        while not stopping():
            now = time.monotonic()
            for index, (entry, interval) in enumerate(schedule):
                if due[index] <= now:
                    self._enqueue(entry)
                    due[index] = now + interval
            close_old_connections()
            pause = max(0.0, min(due.values()) - time.monotonic())
            while pause > 0 and not stopping():  # wake at least twice a second
                time.sleep(min(pause, 0.5))
                pause = max(0.0, min(due.values()) - time.monotonic())
        connections.close_all()
        logger.info("scheduler_stopped")

    def _enqueue(self, entry: Every) -> None:
        """Enqueue one run; a failure (database away) is logged and retried at the
        next interval instead of stopping the scheduler."""
        try:
            result = entry.task().enqueue()
        except Exception:  # noqa: BLE001 - keep scheduling; the next tick retries
            logger.exception("scheduled_task_not_enqueued", task=entry.task_path)
            return
        logger.info("scheduled_task_enqueued", task=entry.task_path, result=result.id)
