"""证照批量导入 in headless Chromium at 360 px: a reviewer uploads a workbook with
bad rows and sees every bad cell with nothing issued, then uploads the corrected
workbook and sees the licences issued."""

from __future__ import annotations

from django.core.management import call_command

import pytest

from zhengwu.identity.tests.person_factories import make_citizen
from zhengwu.licenses.models import Licence
from zhengwu.licenses.tests.factories import licence_world  # noqa: F401
from zhengwu.licenses.tests.test_imports import good_rows, recent, workbook

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def upload(
    page, base: str, key: str, name: str, content: bytes, *, keyboard: bool = False
) -> None:
    page.goto(base + "/staff/licences/imports/")
    page.get_by_label("证照类型和颁发机构").select_option(key)
    page.get_by_label("导入文件").set_input_files(
        files=[{"name": name, "mimeType": XLSX, "buffer": content}]
    )
    if keyboard:
        # from the file field, Tab reaches the submit button; Enter submits
        page.get_by_label("导入文件").focus()
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent").strip() == (
            "上传并导入"
        )
        page.keyboard.press("Enter")
    else:
        page.get_by_role("button", name="上传并导入").click()
    page.wait_for_url("**/staff/licences/imports/*/")


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)


def test_import_bad_then_good_file(
    live_server,
    new_page,
    shot,
    staff_log_in,
    transactional_db,
    settings,
    tmp_path,
    licence_world,  # noqa: F811
):
    settings.MEDIA_ROOT = tmp_path / "media"
    world = licence_world
    second = make_citizen("李四", verified=False)
    base = live_server.url
    key = f"{world.licence_type.type_code}:{world.bureau.pk}"
    page = new_page(PHONE)
    staff_log_in(page, base, world.reviewer.username)

    page.goto(base + "/staff/licences/imports/")
    assert fits(page)
    assert page.get_by_role("link", name="职业资格证书导入模板").is_visible()

    # a file with bad rows: every bad cell listed, nothing issued
    rows = good_rows(world, second) + [
        ["210102198503150000", "", recent(), None, None, "未知", "厨师", "12AB"]
    ]
    upload(page, base, key, "有误.xlsx", workbook(rows))
    run_worker()
    page.get_by_text("导入失败，没有颁发任何证照").wait_for()
    body = page.locator("#job-status").inner_text()
    assert "持证主体代码应为有效的居民身份证号码" in body
    assert "请填写持证主体名称" in body
    assert "“性别”取值无效" in body
    assert "“证书编号”格式不正确" in body
    assert not Licence.objects.exists()
    assert fits(page)
    shot(page, "licence-import-errors-360")

    # the corrected file: every licence issued
    upload(
        page, base, key, "改正.xlsx", workbook(good_rows(world, second)), keyboard=True
    )
    run_worker()
    page.get_by_text("导入完成：已颁发 2 本电子证照").wait_for()
    identifiers = sorted(Licence.objects.values_list("identifier", flat=True))
    assert len(identifiers) == 2
    for identifier in identifiers:
        assert identifier in page.locator("#job-status").inner_text()
    assert fits(page)
    shot(page, "licence-import-done-360")

    # both jobs are listed on the page
    page.goto(base + "/staff/licences/imports/")
    assert page.get_by_role("link", name="有误.xlsx").is_visible()
    assert page.get_by_role("link", name="改正.xlsx").is_visible()
