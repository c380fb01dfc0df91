"""证照批量导入: the workbook, the all-or-nothing import, the job, the task and the
API."""

import datetime
import io

from django.core.management import call_command

import openpyxl
import pytest
from django_tasks_db.models import DBTaskResult

from zhengwu.core.models import AuditEvent
from zhengwu.identity.tests.person_factories import make_citizen
from zhengwu.licenses import imports
from zhengwu.licenses.errors import LicenceError
from zhengwu.licenses.models import Licence, LicenceImportJob
from zhengwu.licenses.services import SHANGHAI
from zhengwu.licenses.tasks import requeue_stalled_imports, run_licence_import

API = "/api/v1/licenses"
HEADERS = [
    "持证主体代码",
    "持证主体名称",
    "发证日期",
    "有效期起始日期",
    "有效期截止日期",
    "性别",
    "资格类别",
    "证书编号",
]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def workbook(rows, headers=HEADERS) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "证照"
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def recent(days: int = 200) -> datetime.date:
    return datetime.datetime.now(SHANGHAI).date() - datetime.timedelta(days=days)


def good_rows(world, second):
    return [
        [world.id_number, "王秀英", recent(), None, None, "女", "中式烹调师", "000001"],
        [
            second.clear_id_number,
            "李四",
            recent(400).isoformat(),
            recent(390).isoformat(),
            "",
            "男",
            "中式面点师",
            "000002",
        ],
    ]


def start(world, content, user=None, filename="历史证照.xlsx"):
    return imports.import_start(
        content=content,
        filename=filename,
        type_code=world.licence_type.type_code,
        issuer_organisation_id=world.bureau.pk,
        acting_user=user or world.reviewer,
    )


def test_the_template_has_the_fixed_and_face_columns(licence_world):
    # when
    content = imports.template_workbook(licence_world.licence_type)
    # then
    book = openpyxl.load_workbook(io.BytesIO(content))
    headers = [c.value for c in book["证照"][1]]
    assert headers == [
        "持证主体代码*",
        "持证主体名称*",
        "发证日期*",
        "有效期起始日期",
        "有效期截止日期",
        "性别*",
        "资格类别*",
        "证书编号*",
    ]
    assert "填写说明" in book.sheetnames
    # an ID number typed into the template stays text (whole), dates are dates
    assert book["证照"]["A2"].number_format == "@"
    assert book["证照"]["C2"].number_format == "yyyy-mm-dd"


def test_a_good_file_issues_every_licence_in_one_go(licence_world, media):
    # given
    world = licence_world
    second = make_citizen("李四", verified=False)
    filled = imports.template_workbook(world.licence_type)
    book = openpyxl.load_workbook(io.BytesIO(filled))
    for row in good_rows(world, second):
        book["证照"].append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    # when
    job = start(world, buffer.getvalue())
    outcome = run_licence_import.call(job_id=job.pk)
    # then
    job.refresh_from_db()
    assert job.status == LicenceImportJob.Status.DONE, job.errors
    assert outcome["issued_count"] == 2
    assert job.total_rows == job.processed_rows == 2
    issued = list(Licence.objects.order_by("pk"))
    assert job.summary["issued"] == [licence.identifier for licence in issued]
    first, other = issued
    assert first.holder_label == world.holder_label
    assert first.issued_at.astimezone(SHANGHAI).date() == recent()
    assert first.valid_from == recent()
    assert first.serial.startswith(str(recent().year))
    assert other.holder_label == f"person:{second.pk}"
    assert other.valid_from == recent(390)
    assert other.face_data["qualification"] == "中式面点师"
    assert AuditEvent.objects.filter(event="licenses.issued").count() == 2
    assert AuditEvent.objects.filter(
        event="licenses.imported", target_id=str(job.pk)
    ).exists()
    assert AuditEvent.objects.filter(event="licenses.import_started").count() == 1
    # a repeated delivery changes nothing
    assert run_licence_import.call(job_id=job.pk)["skipped"] is True
    assert Licence.objects.count() == 2


def test_a_bad_file_issues_nothing_and_lists_every_bad_cell(licence_world, media):
    # given
    world = licence_world
    second = make_citizen("李四", verified=False)
    tomorrow = datetime.datetime.now(SHANGHAI).date() + datetime.timedelta(days=1)
    rows = [
        *good_rows(world, second),
        ["210102198503150000", "赵五", recent(), None, None, "男", "厨师", "000003"],
        ["11010519491231002X", "钱六", recent(), None, None, "男", "厨师", "000004"],
        [world.id_number, "", "去年", None, None, "未知", "厨师", "12AB"],
        [world.id_number, "王秀英", tomorrow, None, None, "女", "厨师", "000005"],
        [world.id_number, "王秀英", "2015-01-01", None, None, "女", "厨师", "000006"],
        [world.id_number, "王秀英", recent(), None, None, "女", "中式烹调师", "000001"],
        [
            world.id_number,
            "王秀英",
            recent(),
            None,
            recent(300),
            "女",
            "厨师",
            "000007",
        ],
    ]
    # when
    job = start(world, workbook(rows))
    run_licence_import.call(job_id=job.pk)
    # then
    job.refresh_from_db()
    assert job.status == LicenceImportJob.Status.FAILED
    assert not Licence.objects.exists()
    found = {(e["row"], e["column"]) for e in job.errors}
    assert found == {
        (4, "持证主体代码"),  # bad check digit
        (5, "持证主体代码"),  # nobody on record
        (6, "持证主体名称"),
        (6, "发证日期"),
        (6, "性别"),
        (6, "证书编号"),
        (7, "发证日期"),  # in the future
        (8, "发证日期"),  # expired long ago (2015 + 3 years)
        (9, "持证主体代码"),  # the same as row 2
        (10, "有效期截止日期"),  # before the first valid day
    }
    reasons = {(e["row"], e["column"]): e["reason"] for e in job.errors}
    assert reasons[(4, "持证主体代码")] == "持证主体代码应为有效的居民身份证号码。"
    assert "第2行" in reasons[(9, "持证主体代码")]
    assert reasons[(6, "性别")] == "“性别”取值无效。"
    assert AuditEvent.objects.filter(
        event="licenses.import_failed", target_id=str(job.pk)
    ).exists()
    assert not AuditEvent.objects.filter(event="licenses.issued").exists()


def test_a_file_imported_twice_issues_nothing_the_second_time(licence_world, media):
    world = licence_world
    second = make_citizen("李四", verified=False)
    content = workbook(good_rows(world, second))
    run_licence_import.call(job_id=start(world, content).pk)
    assert Licence.objects.count() == 2
    again = start(world, content)
    run_licence_import.call(job_id=again.pk)
    again.refresh_from_db()
    assert again.status == LicenceImportJob.Status.FAILED
    assert [e["row"] for e in again.errors] == [2, 3]
    assert Licence.objects.count() == 2


def test_missing_and_unknown_columns_are_reported_on_the_header(licence_world, media):
    headers = [h for h in HEADERS if h != "证书编号"] + ["备注"]
    job = start(licence_world, workbook([], headers=headers))
    run_licence_import.call(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == LicenceImportJob.Status.FAILED
    assert {(e["row"], e["column"]) for e in job.errors} == {
        (1, "证书编号"),
        (1, "备注"),
    }


def test_a_non_workbook_is_refused_at_once(licence_world, media):
    with pytest.raises(LicenceError) as caught:
        start(licence_world, b"hello")
    assert caught.value.status == 422
    assert "file" in caught.value.fields
    assert not LicenceImportJob.objects.exists()


def test_only_a_reviewer_of_the_issuer_imports(licence_world, media):
    world = licence_world
    with pytest.raises(LicenceError) as caught:
        start(world, workbook([]), user=world.other_reviewer)
    assert caught.value.status == 403
    with pytest.raises(LicenceError):
        start(world, workbook([]), user=world.editor)
    assert not LicenceImportJob.objects.exists()


def test_a_job_is_seen_only_by_its_uploader(licence_world, media, django_user_model):
    world = licence_world
    job = start(world, workbook([]))
    assert imports.import_job_for_user(world.reviewer, job.pk) == job
    with pytest.raises(LicenceError) as caught:
        imports.import_job_for_user(world.other_reviewer, job.pk)
    assert caught.value.status == 404
    admin = django_user_model.objects.create_superuser("lic-admin", password="x")
    assert imports.import_job_for_user(admin, job.pk) == job


def test_the_worker_runs_the_queued_job(transactional_db, licence_world, media):
    """Committed for real: the job is queued only on commit."""
    world = licence_world
    second = make_citizen("李四", verified=False)
    job = start(world, workbook(good_rows(world, second)))
    assert (
        DBTaskResult.objects.filter(task_path__endswith="run_licence_import").count()
        == 1
    )
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    job.refresh_from_db()
    assert job.status == LicenceImportJob.Status.DONE, job.errors
    assert Licence.objects.count() == 2


# --- API ------------------------------------------------------------------------------


def test_api_upload_poll_and_template(client, licence_world, media):
    world = licence_world
    second = make_citizen("李四", verified=False)
    client.force_login(world.reviewer)
    # the template
    template = client.get(
        f"{API}/imports/template", {"type_code": world.licence_type.type_code}
    )
    assert template.status_code == 200
    assert template["Content-Type"].startswith("application/vnd.openxmlformats")
    # upload
    upload = io.BytesIO(workbook(good_rows(world, second)))
    upload.name = "历史证照.xlsx"
    response = client.post(
        f"{API}/imports",
        {
            "file": upload,
            "type_code": world.licence_type.type_code,
            "issuer_organisation_id": world.bureau.pk,
        },
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "pending"
    assert body["original_name"] == "历史证照.xlsx"
    run_licence_import.call(job_id=body["id"])
    polled = client.get(f"{API}/imports/{body['id']}")
    assert polled.status_code == 200
    assert polled.json()["status"] == "done"
    assert len(polled.json()["summary"]["issued"]) == 2
    # another department's reviewer neither sees the job nor may import
    client.force_login(world.other_reviewer)
    assert client.get(f"{API}/imports/{body['id']}").status_code == 404
    refused = client.post(
        f"{API}/imports",
        {
            "file": io.BytesIO(workbook([])),
            "type_code": world.licence_type.type_code,
            "issuer_organisation_id": world.bureau.pk,
        },
    )
    assert refused.status_code == 403


def test_api_refusals_name_the_field(client, licence_world, media):
    world = licence_world
    client.force_login(world.reviewer)
    not_a_workbook = io.BytesIO(b"hello")
    not_a_workbook.name = "a.txt"
    response = client.post(
        f"{API}/imports",
        {
            "file": not_a_workbook,
            "type_code": world.licence_type.type_code,
            "issuer_organisation_id": world.bureau.pk,
        },
    )
    assert response.status_code == 422
    assert "file" in response.json()["fields"]
    unknown = client.post(
        f"{API}/imports",
        {
            "file": io.BytesIO(workbook([])),
            "type_code": "9" * 21,
            "issuer_organisation_id": world.bureau.pk,
        },
    )
    assert unknown.status_code == 422
    assert "type_code" in unknown.json()["fields"]
    assert client.get(f"{API}/imports/2147483647").status_code == 404
    assert not LicenceImportJob.objects.exists()


# --- review fixes ------------------------------------------------------------------


def _run(world, content):
    job = start(world, content)
    run_licence_import.call(job_id=job.pk)
    job.refresh_from_db()
    return job


def _number_type(world):
    from zhengwu.licenses.services import licence_type_define

    return licence_type_define(
        defining_organisation_id=world.bureau.pk,
        name="许可",
        holder_kind="person",
        face_schema={
            "type": "object",
            "properties": {
                "amount": {"type": "number", "title": "金额"},
                "count": {"type": "integer", "title": "数量"},
            },
            "required": ["amount"],
        },
        layout_title="许可",
        valid_years=3,
        acting_user=world.editor,
    )


@pytest.mark.parametrize("value", ["nan", "inf", "-Infinity", "1e999"])
def test_a_non_finite_number_is_a_bad_cell_not_a_crash(licence_world, media, value):
    world = licence_world
    licence_type = _number_type(world)
    content = workbook(
        [[world.id_number, "王秀英", recent(), None, None, value, value]],
        headers=[*HEADERS[:5], "金额", "数量"],
    )
    job = imports.import_start(
        content=content,
        filename="a.xlsx",
        type_code=licence_type.type_code,
        issuer_organisation_id=world.bureau.pk,
        acting_user=world.reviewer,
    )
    run_licence_import.call(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == LicenceImportJob.Status.FAILED
    assert {(e["row"], e["column"]) for e in job.errors} == {(2, "金额"), (2, "数量")}
    assert not Licence.objects.exists()


@pytest.mark.parametrize("issued", ["0001-01-01", "0999-06-01", "1949-09-30"])
def test_an_issue_day_before_1949_is_a_bad_cell(licence_world, media, issued):
    job = _run(
        licence_world,
        workbook(
            [
                [
                    licence_world.id_number,
                    "王秀英",
                    issued,
                    None,
                    None,
                    "女",
                    "厨师",
                    "000001",
                ]
            ]
        ),
    )
    assert job.status == LicenceImportJob.Status.FAILED
    assert [(e["row"], e["column"]) for e in job.errors] == [(2, "发证日期")]
    assert "1949-10-01" in job.errors[0]["reason"]


def test_a_holder_name_unlike_the_record_is_a_bad_cell(licence_world, media):
    world = licence_world
    job = _run(
        world,
        workbook(
            [[world.id_number, "某某某", recent(), None, None, "女", "厨师", "000001"]]
        ),
    )
    assert job.status == LicenceImportJob.Status.FAILED
    assert [(e["row"], e["column"]) for e in job.errors] == [(2, "持证主体名称")]
    assert "王秀英" not in job.errors[0]["reason"]  # the record's name is not told
    assert not Licence.objects.exists()
    # spaces around or inside the name are no difference
    job = _run(
        world,
        workbook(
            [
                [
                    world.id_number,
                    " 王 秀英",
                    recent(),
                    None,
                    None,
                    "女",
                    "厨师",
                    "000001",
                ]
            ]
        ),
    )
    assert job.status == LicenceImportJob.Status.DONE, job.errors


def test_a_holder_code_not_on_record_is_not_repeated_in_the_reason(
    licence_world, media
):
    code = "11010519491231002X"
    job = _run(
        licence_world,
        workbook([[code, "钱六", recent(), None, None, "男", "厨师", "000001"]]),
    )
    assert [(e["row"], e["column"]) for e in job.errors] == [(2, "持证主体代码")]
    assert code not in job.errors[0]["reason"]
    assert code[:6] not in str(job.errors)


def test_the_same_licence_on_two_issue_days_is_no_duplicate(licence_world, media):
    world = licence_world
    row = [world.id_number, "王秀英", recent(), None, None, "女", "厨师", "000001"]
    earlier = [
        world.id_number,
        "王秀英",
        recent(300),
        None,
        None,
        "女",
        "厨师",
        "000001",
    ]
    job = _run(world, workbook([row, earlier]))
    assert job.status == LicenceImportJob.Status.DONE, job.errors
    assert Licence.objects.count() == 2
    # the same day twice still is one
    other = [world.id_number, "王秀英", recent(), None, None, "女", "厨师", "000002"]
    job = _run(world, workbook([other, list(other)]))
    assert [(e["row"], e["column"]) for e in job.errors] == [(3, "持证主体代码")]


def test_a_file_without_data_rows_is_refused(licence_world, media):
    job = _run(licence_world, workbook([]))
    assert job.status == LicenceImportJob.Status.FAILED
    assert job.errors == [{"row": None, "column": "", "reason": "文件中没有数据行。"}]
    assert not AuditEvent.objects.filter(event="licenses.imported").exists()


def test_a_file_over_the_row_limit_is_refused(licence_world, media, settings):
    settings.ZHENGWU_LICENCE_IMPORT_MAX_ROWS = 1
    world = licence_world
    second = make_citizen("李四", verified=False)
    job = _run(world, workbook(good_rows(world, second)))
    assert job.status == LicenceImportJob.Status.FAILED
    assert [e["row"] for e in job.errors] == [None]
    assert "最多导入1行" in job.errors[0]["reason"]
    assert not Licence.objects.exists()


def test_serials_of_a_file_are_reserved_as_one_block(licence_world, media):
    from zhengwu.licenses.models import LicenceSerial

    world = licence_world
    second = make_citizen("李四", verified=False)
    job = _run(world, workbook(good_rows(world, second)))
    assert job.status == LicenceImportJob.Status.DONE, job.errors
    counters = sorted(
        int(s[-8:]) for s in Licence.objects.values_list("serial", flat=True)
    )
    assert counters == [1, 2]
    serial = LicenceSerial.objects.get(
        licence_type=world.licence_type, issuer=world.bureau
    )
    assert serial.last == 2
    # a refused file leaves a gap, never a shared serial
    job = _run(world, workbook(good_rows(world, second)))
    assert job.status == LicenceImportJob.Status.FAILED
    assert world.issue().serial.endswith("00000003")


def test_two_imports_of_one_file_at_once_issue_it_once(licence_world, media):
    """B has checked every row (none on record) when A runs to the end; B's issue
    transaction checks again under the type's lock and issues nothing."""
    world = licence_world
    content = workbook(
        [[world.id_number, "王秀英", recent(), None, None, "女", "厨师", "000001"]]
    )
    job_a = start(world, content)
    job_b = LicenceImportJob.objects.create(
        original_name="b.xlsx",
        uploaded_by=world.reviewer,
        licence_type=world.licence_type,
        issuer=world.bureau,
        status=LicenceImportJob.Status.RUNNING,
        file=job_a.file.name,
    )
    ran = []

    def progress(done, total):
        if done == total and not ran:
            ran.append(imports.import_job_run(job_id=job_a.pk))

    result = imports.import_rows(
        content,
        licence_type=world.licence_type,
        issuer=world.bureau,
        acting_user=world.reviewer,
        job=job_b,
        progress=progress,
    )
    assert ran[0]["status"] == LicenceImportJob.Status.DONE
    assert result.issued == []
    assert [(e.row, e.column) for e in result.errors] == [(2, "持证主体代码")]
    assert Licence.objects.count() == 1


def test_the_same_file_cannot_be_queued_twice(licence_world, media):
    world = licence_world
    content = workbook(
        [[world.id_number, "王秀英", recent(), None, None, "女", "厨师", "000001"]]
    )
    first = start(world, content)
    with pytest.raises(LicenceError) as caught:
        start(world, content)
    assert caught.value.status == 409
    assert "file" in caught.value.fields
    assert LicenceImportJob.objects.count() == 1
    # once the first is done the file may be uploaded again (and is refused
    # row by row: already on record)
    run_licence_import.call(job_id=first.pk)
    assert start(world, content).pk != first.pk


def test_a_job_left_running_by_a_dead_worker_is_taken_over(
    licence_world, media, settings
):
    settings.ZHENGWU_LICENCE_IMPORT_LEASE_SECONDS = 600
    world = licence_world
    content = workbook(
        [[world.id_number, "王秀英", recent(), None, None, "女", "厨师", "000001"]]
    )
    job = start(world, content)
    fresh = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=60)
    LicenceImportJob.objects.filter(pk=job.pk).update(
        status=LicenceImportJob.Status.RUNNING, updated_at=fresh
    )
    # still within the lease: its worker may be alive
    assert run_licence_import.call(job_id=job.pk)["skipped"] is True
    stale = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=601)
    LicenceImportJob.objects.filter(pk=job.pk).update(updated_at=stale)
    outcome = run_licence_import.call(job_id=job.pk)
    job.refresh_from_db()
    assert outcome["status"] == job.status == LicenceImportJob.Status.DONE, job.errors
    assert Licence.objects.count() == 1
    assert job.summary["issued_count"] == 1
    assert run_licence_import.call(job_id=job.pk)["skipped"] is True


def test_a_run_whose_job_was_taken_over_issues_nothing(licence_world, media):
    world = licence_world
    content = workbook(
        [[world.id_number, "王秀英", recent(), None, None, "女", "厨师", "000001"]]
    )
    job = start(world, content)
    LicenceImportJob.objects.filter(pk=job.pk).update(
        status=LicenceImportJob.Status.RUNNING, summary={"claim": "the-new-worker"}
    )
    result = imports.import_rows(
        content,
        licence_type=world.licence_type,
        issuer=world.bureau,
        acting_user=world.reviewer,
        job=job,
        claim="the-dead-worker",
    )
    assert result.taken_over is True
    assert result.issued == []
    assert not Licence.objects.exists()
    job.refresh_from_db()
    assert job.status == LicenceImportJob.Status.RUNNING


def test_the_api_refuses_the_same_file_queued_twice(client, licence_world, media):
    world = licence_world
    client.force_login(world.reviewer)
    content = workbook(
        [[world.id_number, "王秀英", recent(), None, None, "女", "厨师", "000001"]]
    )
    statuses = []
    for _ in range(2):
        upload = io.BytesIO(content)
        upload.name = "历史证照.xlsx"
        response = client.post(
            f"{API}/imports",
            {
                "file": upload,
                "type_code": world.licence_type.type_code,
                "issuer_organisation_id": world.bureau.pk,
            },
        )
        statuses.append(response.status_code)
    assert statuses == [202, 409]
    assert "file" in response.json()["fields"]
    assert LicenceImportJob.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_imports_of_one_file_issue_it_once_on_postgresql(
    licence_world, media
):
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row locks under threads need PostgreSQL")
    world = licence_world
    second = make_citizen("李四", verified=False)
    content = workbook(good_rows(world, second))
    results = []
    failures: list[BaseException] = []
    barrier = threading.Barrier(3)

    def run() -> None:
        try:
            barrier.wait()
            results.append(
                imports.import_rows(
                    content,
                    licence_type=world.licence_type,
                    issuer=world.bureau,
                    acting_user=world.reviewer,
                )
            )
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert sorted(len(r.issued) for r in results) == [0, 0, 2]
    assert Licence.objects.count() == 2
    assert len(set(Licence.objects.values_list("serial", flat=True))) == 2


@pytest.mark.django_db(transaction=True)
def test_an_import_does_not_hold_the_serial_row_on_postgresql(
    licence_world, media, monkeypatch
):
    """While a file's licences are being issued (inside its transaction), a
    single issue of the same type and issuer takes its serial at once (NOWAIT:
    the serial row is not locked by the import)."""
    import threading

    from django.db import connection, transaction

    from zhengwu.licenses import services
    from zhengwu.licenses.models import LicenceSerial

    if connection.vendor != "postgresql":
        pytest.skip("row locks under threads need PostgreSQL")
    world = licence_world
    second = make_citizen("李四", verified=False)
    seen: list[object] = []
    original = services.licence_issue

    def probe() -> None:
        try:
            with transaction.atomic():
                row = (
                    LicenceSerial.objects.select_for_update(nowait=True)
                    .filter(licence_type=world.licence_type, issuer=world.bureau)
                    .first()
                )
                seen.append(row.last if row is not None else None)
        except BaseException as error:  # noqa: BLE001 - reported below
            seen.append(error)
        finally:
            connection.close()

    def issuing(**arguments):
        licence = original(**arguments)
        if not seen:
            thread = threading.Thread(target=probe)
            thread.start()
            thread.join()
        return licence

    monkeypatch.setattr(services, "licence_issue", issuing)
    result = imports.import_rows(
        workbook(good_rows(world, second)),
        licence_type=world.licence_type,
        issuer=world.bureau,
        acting_user=world.reviewer,
    )
    assert len(result.issued) == 2, result.errors
    assert seen == [2]  # the block was reserved and the row is free


def _stall(job, seconds=601, claim="a-dead-worker"):
    stale = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=seconds)
    LicenceImportJob.objects.filter(pk=job.pk).update(
        status=LicenceImportJob.Status.RUNNING,
        updated_at=stale,
        summary={"claim": claim},
    )


def test_the_api_poll_is_read_only_and_the_schedule_requeues_a_stalled_job(
    client, licence_world, media, settings
):
    settings.ZHENGWU_LICENCE_IMPORT_LEASE_SECONDS = 600
    world = licence_world
    job = start(
        world,
        workbook(
            [[world.id_number, "王秀英", recent(), None, None, "女", "厨师", "000001"]]
        ),
    )
    _stall(job)
    # someone else's poll: 404
    client.force_login(world.other_reviewer)
    assert client.get(f"{API}/imports/{job.pk}").status_code == 404
    # the uploader's poll shows the job stalled and changes nothing
    client.force_login(world.reviewer)
    for _ in range(2):
        polled = client.get(f"{API}/imports/{job.pk}")
        assert polled.status_code == 200
        body = polled.json()
        assert body["status"] == "running"
        assert body["stalled"] is True and body["requeued"] is False
        assert "claim" not in body["summary"]
    job.refresh_from_db()
    assert job.status == LicenceImportJob.Status.RUNNING
    assert job.summary == {"claim": "a-dead-worker"}
    assert not AuditEvent.objects.filter(event="licenses.import_requeued").exists()
    # the scheduled task queues it again, by the system, once
    assert requeue_stalled_imports.call() == 1
    assert requeue_stalled_imports.call() == 0
    job.refresh_from_db()
    assert job.status == LicenceImportJob.Status.PENDING
    events = AuditEvent.objects.filter(
        event="licenses.import_requeued", target_id=str(job.pk)
    )
    assert events.count() == 1
    event = events.get()
    assert event.actor is None and event.actor_label == "system:licenses"
    assert event.data["file"] == job.original_name
    polled = client.get(f"{API}/imports/{job.pk}").json()
    assert polled["status"] == "pending"
    assert polled["stalled"] is False and polled["requeued"] is True
    run_licence_import.call(job_id=job.pk)
    polled = client.get(f"{API}/imports/{job.pk}").json()
    assert polled["status"] == "done", polled["errors"]
    assert polled["requeued"] is False and polled["stalled"] is False
    assert "claim" not in polled["summary"]
    assert Licence.objects.count() == 1


def test_the_schedule_leaves_live_and_finished_jobs_alone(
    licence_world, media, settings
):
    settings.ZHENGWU_LICENCE_IMPORT_LEASE_SECONDS = 600
    world = licence_world
    second = make_citizen("李四", verified=False)
    live = start(
        world,
        workbook(
            [[world.id_number, "王秀英", recent(), None, None, "女", "厨师", "000001"]]
        ),
    )
    _stall(live, seconds=60, claim="a-live-worker")  # within the lease
    done = start(
        world,
        workbook(
            [
                [
                    second.clear_id_number,
                    "李四",
                    recent(),
                    None,
                    None,
                    "男",
                    "厨师",
                    "000002",
                ]
            ]
        ),
    )
    run_licence_import.call(job_id=done.pk)
    old = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)
    LicenceImportJob.objects.filter(pk=done.pk).update(updated_at=old)
    assert requeue_stalled_imports.call() == 0
    live.refresh_from_db()
    done.refresh_from_db()
    assert live.status == LicenceImportJob.Status.RUNNING
    assert live.summary == {"claim": "a-live-worker"}
    assert done.status == LicenceImportJob.Status.DONE
    assert not AuditEvent.objects.filter(event="licenses.import_requeued").exists()


def test_the_requeue_task_is_scheduled_at_the_configured_interval(settings):
    from zhengwu.core.schedule import build_schedule

    settings.ZHENGWU_LICENCE_IMPORT_REQUEUE_INTERVAL_SECONDS = 120
    intervals = {entry.task_path: seconds for entry, seconds in build_schedule()}
    assert intervals["zhengwu.licenses.tasks.requeue_stalled_imports"] == 120


# --- a stale worker after a takeover (review) ---------------------------------------


@pytest.mark.parametrize("crash", [False, True])
def test_a_stale_worker_writes_nothing_over_the_run_that_took_its_job_over(
    licence_world, media, settings, monkeypatch, crash
):
    """Worker A's job goes stale (past the lease) and worker B takes it over and
    finishes it; A, going on, neither marks it failed (its file's rows are now on
    record) nor, crashing, writes its failure over B's done job."""
    from zhengwu.licenses import services

    settings.ZHENGWU_LICENCE_IMPORT_LEASE_SECONDS = 600
    world = licence_world
    content = workbook(
        [[world.id_number, "王秀英", recent(), None, None, "女", "厨师", "000001"]]
    )
    job = start(world, content)
    reserve = services.reserve_serials
    second: list[dict] = []
    hooked: list[bool] = []

    def stale_then_taken_over(*args, **kwargs):
        if not hooked:  # worker A: its job goes stale, B takes it and finishes
            hooked.append(True)
            stale = datetime.datetime.now(datetime.UTC) - datetime.timedelta(
                seconds=601
            )
            LicenceImportJob.objects.filter(pk=job.pk).update(updated_at=stale)
            second.append(imports.import_job_run(job_id=job.pk))
            if crash:
                raise RuntimeError("worker A crashes")
        return reserve(*args, **kwargs)

    monkeypatch.setattr(services, "reserve_serials", stale_then_taken_over)
    if crash:
        with pytest.raises(RuntimeError):
            imports.import_job_run(job_id=job.pk)
    else:
        assert imports.import_job_run(job_id=job.pk)["skipped"] is True
    assert second[0]["status"] == LicenceImportJob.Status.DONE
    job.refresh_from_db()
    assert job.status == LicenceImportJob.Status.DONE, job.errors
    assert job.errors == []
    assert job.summary["issued_count"] == 1
    assert Licence.objects.count() == 1
    assert not AuditEvent.objects.filter(event="licenses.import_failed").exists()
    # the takeover is audited, by the system
    taken = AuditEvent.objects.get(event="licenses.import_taken_over")
    assert taken.actor_label == "system:licenses"
    assert taken.data["file"] == job.original_name


def test_claiming_a_pending_job_is_no_takeover(licence_world, media):
    world = licence_world
    content = workbook(
        [[world.id_number, "王秀英", recent(), None, None, "女", "厨师", "000001"]]
    )
    job = start(world, content)
    assert imports.import_job_run(job_id=job.pk)["status"] == "done"
    assert not AuditEvent.objects.filter(event="licenses.import_taken_over").exists()
