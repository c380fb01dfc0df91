"""证照批量导入: a job whose worker died (left running past the lease) is shown as
stalled to its uploader — looking at it changes nothing — then the scheduled task
queues it again, the page says so, and the uploader sees it finish; nobody else
can see it."""

import datetime

from django.core.management import call_command

from zhengwu.core.models import AuditEvent
from zhengwu.licenses.models import Licence, LicenceImportJob
from zhengwu.licenses.tasks import requeue_stalled_imports
from zhengwu.licenses.tests.factories import licence_world  # noqa: F401
from zhengwu.licenses.tests.test_imports import recent, start, workbook

Status = LicenceImportJob.Status
STALLED = "处理程序已长时间没有进展"
REQUEUED = "已重新排队"


def test_a_stalled_job_is_shown_then_requeued_by_the_schedule_and_finishes(
    client,
    transactional_db,
    settings,
    tmp_path,
    licence_world,  # noqa: F811
):
    settings.MEDIA_ROOT = tmp_path
    settings.ZHENGWU_LICENCE_IMPORT_LEASE_SECONDS = 600
    world = licence_world
    stale = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=601)
    second = start(
        world,
        workbook(
            [
                [
                    world.id_number,
                    "王秀英",
                    recent(30),
                    None,
                    None,
                    "女",
                    "厨师",
                    "000002",
                ]
            ]
        ),
    )
    LicenceImportJob.objects.filter(pk=second.pk).update(
        status=Status.RUNNING, updated_at=stale
    )
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.all().delete()  # its task died with the worker
    url = f"/staff/licences/imports/{second.pk}/"
    # another department's reviewer: no job
    client.force_login(world.other_reviewer)
    assert client.get(url).status_code == 404
    # the uploader looks at it (the page and the list): told it stalled, and
    # looking changes nothing
    client.force_login(world.reviewer)
    page = client.get(url)
    assert page.status_code == 200
    assert STALLED in page.content.decode()
    assert REQUEUED not in page.content.decode()
    assert client.get("/staff/licences/imports/").status_code == 200
    second.refresh_from_db()
    assert second.status == Status.RUNNING
    assert second.updated_at == stale
    assert not AuditEvent.objects.filter(event="licenses.import_requeued").exists()
    assert not DBTaskResult.objects.exists()
    # the scheduled task queues it again (committed, so its run is enqueued)
    assert requeue_stalled_imports.call() == 1
    second.refresh_from_db()
    assert second.status == Status.PENDING
    event = AuditEvent.objects.get(
        event="licenses.import_requeued", target_id=str(second.pk)
    )
    assert event.actor is None and event.actor_label == "system:licenses"
    page = client.get(url)
    assert REQUEUED in page.content.decode()
    assert STALLED not in page.content.decode()
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    page = client.get(url)
    second.refresh_from_db()
    assert second.status == Status.DONE, second.errors
    assert "导入完成" in page.content.decode()
    assert Licence.objects.count() == 1
