"""A worker killed mid-task loses no notification (issue 4, "Must show").

A real ``manage.py db_worker`` process delivers a case notification by email
through a gateway that blocks while a marker file exists; the test kills it with
SIGKILL in the middle of the delivery, runs the sweeper and a fresh worker, and
checks the message was sent exactly once. Everything runs on a database file of
its own, so the worker processes see the rows the test wrote."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend

import pytest

REPO = Path(__file__).resolve().parents[4]
BLOCK_SECONDS_MAX = 120


class BlockingEmailBackend(BaseEmailBackend):
    """Test gateway: while ``<dir>/block`` exists, say so (``started``) and wait;
    then record each message in ``<dir>/sent.log`` (one line per message sent)."""

    def send_messages(self, email_messages):
        folder = Path(os.environ["ZHENGWU_TEST_MAIL_DIR"])
        if (folder / "block").exists():
            (folder / "started").write_text(str(os.getpid()))
            deadline = time.monotonic() + BLOCK_SECONDS_MAX
            while (folder / "block").exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        with (folder / "sent.log").open("a") as log:
            for message in email_messages:
                log.write(f"{message.extra_headers.get('Message-ID', '')}\n")
        return len(email_messages)


SEED = """
import json
from django.contrib.auth import get_user_model
from django.db import transaction
from zhengwu.cases.models import Case, Notification
from zhengwu.cases.notify import case_notify
from zhengwu.core.models import Division, Organisation

division = Division.objects.create(code="210100", name="沈阳市", kind="地级市", level="prefecture")
organisation = Organisation.objects.create(
    credit_code="11210100000000001X", name="沈阳市市场监督管理局", level=3, division=division
)
user = get_user_model().objects.create_user(
    username="applicant", password="x", email="applicant@example.com"
)
case = Case.objects.create(
    number="2101000000000000000000000000000202611270001",
    listing_code="2" * 31, listing_version=1, item_name="食品经营许可",
    organisation=organisation, division=division, applicant=user,
    principal_label="person:1", applicant_name="张三", applicant_id_masked="2101**",
    status="accepted",
)
with transaction.atomic():
    rows = case_notify(case=case, event="accepted")
print(json.dumps([row.pk for row in rows if row.channel == "email"]))
"""

STATE = """
import json
from zhengwu.cases.models import Notification
print(json.dumps([
    {"status": n.status, "attempts": n.attempts}
    for n in Notification.objects.filter(channel="email")
]))
"""

SWEEP = """
import datetime
from django.utils import timezone
from zhengwu.cases.models import Notification
from zhengwu.cases.tasks import redeliver_stale_notifications
# The staleness window (2 minutes) has passed since the worker died.
Notification.objects.filter(status="pending").update(
    updated_at=timezone.now() - datetime.timedelta(minutes=10)
)
print(redeliver_stale_notifications.call())
"""


def _environ(tmp_path: Path) -> dict[str, str]:
    environ = dict(os.environ)
    environ.update(
        DJANGO_SETTINGS_MODULE="zhengwu.conf.ci",
        PYTHONPATH=f"{REPO / 'src'}{os.pathsep}{REPO}",
        ZHENGWU_DATABASE_URL=f"sqlite:///{tmp_path / 'worker.sqlite3'}",
        ZHENGWU_EMAIL_BACKEND=(
            "zhengwu.cases.tests.test_worker_kill.BlockingEmailBackend"
        ),
        ZHENGWU_TEST_MAIL_DIR=str(tmp_path),
        ZHENGWU_LOG_LEVEL="WARNING",
    )
    return environ


def _manage(environ, *arguments: str, timeout: int = 180) -> str:
    result = subprocess.run(  # noqa: S603
        [sys.executable, str(REPO / "manage.py"), *arguments],
        env=environ,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def _shell(environ, code: str):
    out = _manage(environ, "shell", "-c", code)
    return json.loads(out.strip().splitlines()[-1])


def _sent_lines(tmp_path: Path) -> list[str]:
    log = tmp_path / "sent.log"
    return log.read_text().splitlines() if log.exists() else []


def test_worker_killed_mid_delivery_loses_no_notification(tmp_path):
    # given a database with a case notification queued for email delivery
    environ = _environ(tmp_path)
    _manage(environ, "migrate", "-v0", timeout=300)
    email_ids = _shell(environ, SEED)
    assert len(email_ids) == 1

    # and a worker inside the delivery, blocked in the mail gateway
    (tmp_path / "block").touch()
    worker = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            str(REPO / "manage.py"),
            "db_worker",
            "--no-startup-delay",
            "--interval",
            "0.2",
        ],
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not (tmp_path / "started").exists():
            assert worker.poll() is None, "the worker exited before the delivery"
            assert time.monotonic() < deadline, "the worker never reached the gateway"
            time.sleep(0.05)

        # when the worker is killed in the middle of the task
        worker.kill()  # SIGKILL: no clean-up, no rollback handler
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=30)
    (tmp_path / "block").unlink()

    # then nothing was sent and the notification is still pending
    assert _sent_lines(tmp_path) == []
    assert _shell(environ, STATE) == [{"status": "pending", "attempts": 0}]

    # when the sweeper runs after the staleness window and a fresh worker starts
    assert _shell(environ, SWEEP) == 1
    _manage(environ, "db_worker", "--batch", "--no-startup-delay")

    # then the message was sent exactly once
    sent = _sent_lines(tmp_path)
    assert len(sent) == 1
    assert sent[0].startswith("<case:")
    assert _shell(environ, STATE) == [{"status": "sent", "attempts": 1}]

    # and another sweep and worker run send nothing more
    assert _shell(environ, SWEEP) == 0
    _manage(environ, "db_worker", "--batch", "--no-startup-delay")
    assert len(_sent_lines(tmp_path)) == 1


@pytest.mark.django_db
def test_blocking_backend_records_each_message(tmp_path, monkeypatch):
    # the gateway used above, without a marker: sends at once and records
    from django.core.mail import EmailMessage

    monkeypatch.setenv("ZHENGWU_TEST_MAIL_DIR", str(tmp_path))
    backend = BlockingEmailBackend()
    message = EmailMessage(
        "t", "b", to=["a@example.com"], headers={"Message-ID": "<x>"}
    )
    assert backend.send_messages([message]) == 1
    assert _sent_lines(tmp_path) == ["<x>"]
