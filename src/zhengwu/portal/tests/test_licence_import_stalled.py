"""证照批量导入: a job whose worker died (left running past the lease) is queued
again when its uploader looks at it, the page says so, and the uploader sees it
finish; nobody else can see or requeue it."""

import datetime

from django.core.management import call_command

from zhengwu.core.models import AuditEvent
from zhengwu.licenses.models import Licence, LicenceImportJob
from zhengwu.licenses.tests.factories import licence_world  # noqa: F401
from zhengwu.licenses.tests.test_imports import recent, start, workbook

Status = LicenceImportJob.Status


def test_a_stalled_job_is_requeued_and_seen_to_finish(
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
    # another department's reviewer: no job, and nothing requeued
    client.force_login(world.other_reviewer)
    assert client.get(url).status_code == 404
    second.refresh_from_db()
    assert second.status == Status.RUNNING
    # the uploader looks at it: queued again, and told so
    client.force_login(world.reviewer)
    page = client.get(url)
    assert page.status_code == 200
    assert "已重新排队" in page.content.decode()
    second.refresh_from_db()
    assert second.status == Status.PENDING
    assert AuditEvent.objects.filter(
        event="licenses.import_requeued", target_id=str(second.pk)
    ).exists()
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    page = client.get(url)
    second.refresh_from_db()
    assert second.status == Status.DONE, second.errors
    assert "导入完成" in page.content.decode()
    assert Licence.objects.count() == 1
