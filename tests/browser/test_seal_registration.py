"""Seal registration in headless Chromium at 360 px: a department editor signs in,
opens 电子印章, submits a GIF as the impression (the error names the field),
then registers the seal with a PNG using the keyboard only; the new seal is
listed with its impression and public key; the editor deactivates it. Screenshots
in test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest

from zhengwu.identity.tests.staff_factories import PASSWORD
from zhengwu.licenses.models import Seal
from zhengwu.licenses.tests.factories import licence_world  # noqa: F401
from zhengwu.licenses.tests.test_seals import png

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def test_editor_registers_and_deactivates_a_seal(
    live_server,
    new_page,
    shot,
    staff_log_in,
    tmp_path: Path,
    licence_world,  # noqa: F811
):
    base = live_server.url
    page = new_page(PHONE)
    staff_log_in(page, base, licence_world.editor.username, PASSWORD)
    page.goto(base + "/staff/seals/")
    assert page.get_by_role("heading", level=1).inner_text() == "电子印章"
    assert licence_world.seal.name in page.content()
    assert fits(page)
    shot(page, "seals-list-360")

    # a GIF is refused, the field named
    gif = tmp_path / "seal.gif"
    gif.write_bytes(b"GIF89a" + b"\0" * 64)
    page.get_by_text("登记电子印章", exact=True).click()
    page.get_by_label("印章名称").fill("电子证照专用章")
    page.get_by_label("印模图像").set_input_files(str(gif))
    page.get_by_role("button", name="登记并生成密钥").click()
    error = page.locator(".field-error")
    assert "PNG" in error.first.inner_text()
    assert page.get_by_label("印模图像").get_attribute("aria-invalid") == "true"
    assert fits(page)
    shot(page, "seals-error-360")
    assert not Seal.objects.filter(name="电子证照专用章").exists()

    # keyboard only: name, image, submit
    image = tmp_path / "seal.png"
    image.write_bytes(png(64, 64))
    page.get_by_label("印模图像").set_input_files(str(image))
    page.get_by_label("印章名称").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("电子证照专用章")
    for _step in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.type") == "submit":
            break
    assert page.evaluate("document.activeElement.textContent").strip() == (
        "登记并生成密钥"
    )
    page.keyboard.press("Enter")
    page.wait_for_selector(".message")
    assert "已登记电子印章" in page.locator(".message").inner_text()
    seal = Seal.objects.get(name="电子证照专用章")
    item = page.locator(f"#seal-{seal.pk}")
    # the impression is served and decodes (decode() waits for the image to load
    # and rejects if it cannot: the page's message can be there before the image)
    assert (
        item.locator("img").evaluate("i => i.decode().then(() => i.naturalWidth)") == 64
    )
    assert seal.public_key[:20] in item.inner_text()
    assert fits(page)
    shot(page, "seals-registered-360")

    # deactivation asks for confirmation first (keyboard: open, then confirm)
    item.locator("summary").focus()
    page.keyboard.press("Enter")
    confirm = item.get_by_role("button", name="确认停用")
    confirm.focus()
    assert "不能恢复" in item.inner_text()
    shot(page, "seals-confirm-360")
    page.keyboard.press("Enter")
    page.wait_for_selector(".message")
    assert "已停用" in page.locator(f"#seal-{seal.pk}").inner_text()
    seal.refresh_from_db()
    assert not seal.active
    assert fits(page)
    shot(page, "seals-deactivated-360")
