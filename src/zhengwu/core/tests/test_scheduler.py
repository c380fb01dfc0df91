"""``run_scheduler`` enqueues periodic tasks on the database queue."""

import os
import signal
import subprocess
import sys
import threading
from io import StringIO
from pathlib import Path

from django.core.management import call_command

import pytest
from django_tasks_db.models import DBTaskResult

from zhengwu.core.schedule import SCHEDULE, Every, build_schedule

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[4]


def test_once_enqueues_the_seal_task():
    # when
    out = StringIO()
    call_command("run_scheduler", once=True, stdout=out)

    # then
    result = DBTaskResult.objects.get(task_path="zhengwu.core.tasks.seal_audit_log")
    assert result.task_path == "zhengwu.core.tasks.seal_audit_log"
    assert result.status == "READY"
    assert "enqueued zhengwu.core.tasks.seal_audit_log" in out.getvalue()


def test_schedule_reads_the_interval_setting(settings):
    settings.ZHENGWU_AUDIT_SEAL_SECONDS = 17
    assert (SCHEDULE[0], 17) in build_schedule()


def test_schedule_takes_extra_entries_from_settings(settings):
    settings.ZHENGWU_SCHEDULE_EXTRA = [("zhengwu.core.tasks.seal_audit_log", 3600)]
    entries = [(entry.task_path, seconds) for entry, seconds in build_schedule()]
    assert ("zhengwu.core.tasks.seal_audit_log", 3600) in entries


def test_interval_below_one_second_is_refused():
    with pytest.raises(ValueError, match="at least 1 second"):
        Every("zhengwu.core.tasks.seal_audit_log", 0).interval()


def test_scheduler_stops_cleanly_on_sigterm(tmp_path):
    # given a scheduler process on its own database
    environ = dict(os.environ)
    environ.update(
        DJANGO_SETTINGS_MODULE="zhengwu.conf.ci",
        PYTHONPATH=str(REPO / "src"),
        ZHENGWU_DATABASE_URL=f"sqlite:///{tmp_path / 'scheduler.sqlite3'}",
        ZHENGWU_AUDIT_SEAL_SECONDS="1",
    )
    manage = [sys.executable, str(REPO / "manage.py")]
    subprocess.run(  # noqa: S603
        [*manage, "migrate", "-v0"], env=environ, check=True, timeout=120
    )
    process = subprocess.Popen(  # noqa: S603
        [*manage, "run_scheduler"],
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # structlog writes to stdout unless configured
        text=True,
    )
    lines: list[str] = []
    enqueued_twice = threading.Event()

    def read_output() -> None:
        for line in process.stdout:
            lines.append(line)
            if sum("scheduled_task_enqueued" in seen for seen in lines) >= 2:
                enqueued_twice.set()

    reader = threading.Thread(target=read_output, daemon=True)
    reader.start()
    try:
        # wait for the scheduler to be running (its start-up time depends on the
        # machine's load), not for a fixed time
        assert enqueued_twice.wait(timeout=180), "".join(lines)

        # when
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=180)
        reader.join(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()

    # then it stopped by itself, having enqueued the seal task more than once
    log = "".join(lines)
    assert process.returncode == 0, log
    assert "scheduler_stopped" in log
    assert log.count("scheduled_task_enqueued") >= 2


def test_prune_deletes_old_finished_results_only(settings):
    # given task results: old and new successful ones, an old failed one, a ready one
    from datetime import timedelta

    from django.utils import timezone

    from zhengwu.core.tasks import prune_task_results, seal_audit_log

    settings.ZHENGWU_TASK_RESULTS_KEEP_DAYS = 14
    settings.ZHENGWU_TASK_FAILED_KEEP_DAYS = 90
    now = timezone.now()

    def result(status: str, days_ago: int | None) -> str:
        row = DBTaskResult.objects.get(id=seal_audit_log.enqueue().id)
        if days_ago is not None:
            row.status = status
            row.finished_at = now - timedelta(days=days_ago)
            row.save(update_fields=["status", "finished_at"])
        return str(row.id)

    old_ok = result("SUCCESSFUL", 20)
    new_ok = result("SUCCESSFUL", 2)
    old_failed = result("FAILED", 20)
    ancient_failed = result("FAILED", 100)
    waiting = result("READY", None)

    # when the daily prune runs
    prune_task_results.call()

    # then only the old successful one and the very old failed one are gone
    left = {str(pk) for pk in DBTaskResult.objects.values_list("id", flat=True)}
    assert left == {new_ok, old_failed, waiting}
    assert old_ok not in left and ancient_failed not in left


def test_prune_is_on_the_schedule():
    assert "zhengwu.core.tasks.prune_task_results" in {e.task_path for e in SCHEDULE}
