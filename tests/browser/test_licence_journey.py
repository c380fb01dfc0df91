"""亮证 journey in headless Chromium at 360 px: a citizen holding a licence opens
我的证照, picks two fields by keyboard, shows the QR code; a verifier in another
browser context opens the token URL, states the reason and sees exactly those
two fields and "有效"; the holder then sees the use record."""

from __future__ import annotations

import pytest

from zhengwu.identity.facade import person_label_for_user
from zhengwu.identity.tests.person_factories import PASSWORD, make_citizen
from zhengwu.licenses.tests.factories import licence_world  # noqa: F401

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def has_focus_ring(page) -> bool:
    return page.evaluate(
        """() => {
            const s = getComputedStyle(document.activeElement);
            return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0)
                || s.boxShadow !== 'none';
        }"""
    )


def test_show_licence_to_a_verifier(
    live_server,
    new_page,
    shot,
    licence_world,  # noqa: F811
):
    citizen = make_citizen("王秀英")
    licence = licence_world.issue(holder_label=person_label_for_user(citizen.user))
    base = live_server.url

    holder = new_page(PHONE)
    holder.goto(base + "/accounts/login/")
    holder.get_by_label("账号", exact=True).fill(citizen.clear_id_number)
    holder.get_by_label("密码", exact=True).fill(PASSWORD)
    holder.get_by_role("button", name="登录", exact=True).click()
    holder.wait_for_url(lambda url: "/accounts/login/" not in url)

    holder.goto(base + "/licenses/mine/")
    assert fits(holder)
    shot(holder, "licence-wallet-360")
    holder.get_by_role("link", name="职业资格证书").first.click()
    holder.wait_for_url(f"**/licenses/mine/{licence.pk}/")
    assert licence.identifier in holder.content()
    assert fits(holder)

    # keyboard: tick 持证主体 and 资格类别, then submit
    holder.locator("#release-holder_name").focus()
    assert focused_id(holder) == "release-holder_name" and has_focus_ring(holder)
    holder.keyboard.press("Space")
    holder.keyboard.press("Tab")  # 性别
    holder.keyboard.press("Tab")  # 资格类别
    assert focused_id(holder) == "release-qualification"
    holder.keyboard.press("Space")
    for _step in range(5):
        holder.keyboard.press("Tab")
        if holder.evaluate("document.activeElement.type") == "submit":
            break
    assert holder.evaluate("document.activeElement.textContent").strip() == (
        "生成亮证二维码"
    )
    assert has_focus_ring(holder)
    holder.keyboard.press("Enter")
    holder.wait_for_selector("svg.qr-code")
    assert fits(holder)
    shot(holder, "licence-show-qr-360")
    url = holder.locator("#show-link").get_attribute("href")
    assert "/licenses/show/" in url

    verifier = new_page(PHONE)  # a second browser context: its own cookies
    verifier.goto(url)
    assert "王秀英" not in verifier.content()
    verifier.get_by_label("用证事由").focus()
    assert has_focus_ring(verifier)
    verifier.keyboard.type("入职资格审核")
    verifier.keyboard.press("Enter")
    verifier.wait_for_selector("#verdict")
    assert verifier.locator("#verdict").inner_text().strip() == "有效"
    labels = verifier.locator("#released dt").all_inner_texts()
    values = verifier.locator("#released dd").all_inner_texts()
    assert labels == ["持证主体", "资格类别"]
    assert values == ["王秀英", "中式烹调师"]
    page_text = verifier.content()
    assert "123456" not in page_text  # 证书编号 not released
    assert fits(verifier)
    shot(verifier, "licence-verify-token-360")

    holder.goto(f"{base}/licenses/mine/{licence.pk}/")
    assert "入职资格审核" in holder.content()
    assert fits(holder)
    shot(holder, "licence-detail-uses-360")
