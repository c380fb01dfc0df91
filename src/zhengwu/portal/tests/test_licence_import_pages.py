"""证照批量导入 workbench page: upload, the job page with every bad cell, the
template; the job is seen only by its uploader, the page only by issuers."""

import io

from django.core.management import call_command

from zhengwu.licenses.tests.factories import licence_world  # noqa: F401
from zhengwu.licenses.tests.test_imports import workbook

PAGE = "/staff/licences/imports/"


def test_upload_watch_and_privacy(
    client,
    transactional_db,
    settings,
    tmp_path,
    licence_world,  # noqa: F811
):
    settings.MEDIA_ROOT = tmp_path
    world = licence_world
    client.force_login(world.reviewer)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "职业资格证书导入模板" in page.content.decode()
    template = client.get(
        PAGE + "template/", {"type_code": world.licence_type.type_code}
    )
    assert template.status_code == 200
    assert template.content.startswith(b"PK")
    bad = io.BytesIO(
        workbook([[world.id_number, "", "去年", None, None, "女", "a", "1"]])
    )
    bad.name = "有误.xlsx"
    key = f"{world.licence_type.type_code}:{world.bureau.pk}"
    posted = client.post(PAGE, {"target": key, "file": bad})
    assert posted.status_code == 302
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    job_page = client.get(posted["Location"])
    html = job_page.content.decode()
    assert job_page.status_code == 200
    assert "导入失败，没有颁发任何证照" in html
    assert "请填写持证主体名称。" in html
    assert "不是日期" in html
    partial = client.get(posted["Location"], headers={"HX-Request": "true"})
    assert partial.content.decode().lstrip().startswith('<div id="job-status"')
    # another department's reviewer: no page, no job, no template
    client.force_login(world.other_reviewer)
    assert client.get(posted["Location"]).status_code == 404
    assert client.get(PAGE).status_code == 403
    assert (
        client.get(
            PAGE + "template/", {"type_code": world.licence_type.type_code}
        ).status_code
        == 404
    )


def test_a_non_workbook_is_refused_on_the_form(
    client,
    db,
    settings,
    tmp_path,
    licence_world,  # noqa: F811
):
    settings.MEDIA_ROOT = tmp_path
    world = licence_world
    client.force_login(world.reviewer)
    text = io.BytesIO(b"hello")
    text.name = "a.txt"
    key = f"{world.licence_type.type_code}:{world.bureau.pk}"
    response = client.post(PAGE, {"target": key, "file": text})
    assert response.status_code == 400
    assert "文件不是Excel工作簿" in response.content.decode()
