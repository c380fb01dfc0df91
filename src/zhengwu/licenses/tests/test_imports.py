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
from zhengwu.licenses.tasks import run_licence_import

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
