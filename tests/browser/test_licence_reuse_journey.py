"""The electronic-licence journey on the demo data, in headless Chromium, the
citizen at 360 px:

1. 王建国 applies online for 个体工商户登记 (设立登记); the market bureau's
   reviewer accepts it and works it to an approving decision, which issues him a
   个体工商户营业执照 (制证);
2. the licence is in his 我的证照; he shows it as a QR code (亮证), releasing two
   fields chosen by keyboard;
3. a verifier in another browser context, not logged in, opens the token page,
   states a reason (用证事由) and sees "有效" and exactly the released fields;
4. his licence page shows that use;
5. he applies for 食品经营许可 and picks the licence instead of uploading the
   营业执照 (免于提交, with the consent box), uploading nothing for it;
6. the reviewer's case page shows the material as an electronic licence verified
   against the licence library, credibility A."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
PASSWORD = "Zhengwu#2026"  # the demo's (catalog.demo.DEMO_PASSWORD)
WANG_MOBILE = "13900000102"  # 王建国 (identity.demo.CITIZENS), holds no licence yet
SCAN = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
LICENCE_MATERIAL = "营业执照"


@dataclass(frozen=True)
class Demo:
    sole_trader: str
    food: str
    scan: Path


@pytest.fixture
def demo(transactional_db, settings, tmp_path) -> Demo:
    """The demo loaded (committed, so the live server sees it)."""
    from zhengwu.cases import demo as cases_demo
    from zhengwu.cases.fixtures import demo as data
    from zhengwu.cases.tests.demo_world import load_demo

    settings.MEDIA_ROOT = tmp_path / "media"
    load_demo()
    loader = cases_demo._Loader(PASSWORD, print)
    scan = tmp_path / "扫描件.pdf"
    scan.write_bytes(SCAN)
    return Demo(
        sole_trader=loader.code(cases_demo.SOLE_TRADER),
        food=loader.code(data.FOOD_LICENCE),
        scan=scan,
    )


def phone(new_page):
    page = new_page(PHONE)
    page.set_default_timeout(60_000)
    page.set_default_navigation_timeout(60_000)
    return page


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


def citizen_log_in(page, base: str, login: str) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("账号", exact=True).fill(login)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def case_pk(page) -> int:
    found = re.search(r"/cases/(\d+)/", page.url)
    assert found, page.url
    return int(found.group(1))


def accept_and_decide(page, base: str, pk: int) -> None:
    """受理, then claim and complete every task (准予 at the decision, 通过 at
    the other steps) through the workbench case page."""
    from zhengwu.cases.models import CaseTask

    page.goto(f"{base}/workbench/cases/{pk}/")
    page.locator("summary", has_text=re.compile("^受理")).first.click()
    page.locator("form[action$='/accept/'] textarea").fill("材料齐全，予以受理。")
    with page.expect_navigation():
        page.locator("form[action$='/accept/'] button[type=submit]").click()
    for _round in range(10):
        page.goto(f"{base}/workbench/cases/{pk}/")
        claim = page.locator("form[action*='/claim/'] button")
        if claim.count():
            with page.expect_navigation():
                claim.first.click()
        forms = page.locator("form[action*='/complete/']")
        if not forms.count():
            return
        form = forms.first
        task_pk = int(re.search(r"/tasks/(\d+)/", form.get_attribute("action"))[1])
        role = CaseTask.objects.get(pk=task_pk).role
        box = page.locator("details.action-box", has=form)
        if not box.evaluate("el => el.open"):
            box.locator("summary").click()
        form.locator("select[name$='-outcome']").select_option(
            "approve" if role == "decider" else "pass"
        )
        form.locator("textarea[name$='-opinion']").fill("经审查，符合条件。")
        with page.expect_navigation():
            form.get_by_role("button", name="提交办理结果").click()
    raise AssertionError(f"tasks of case {pk} never ran out")


def test_decision_issues_a_licence_shown_verified_and_reused(
    demo, live_server, new_page, staff_log_in, shot
):
    from zhengwu.cases.models import Case, CaseMaterial

    base = live_server.url

    # 1. 王建国 applies for 个体工商户登记 (设立登记)
    citizen = phone(new_page)
    citizen_log_in(citizen, base, WANG_MOBILE)
    citizen.goto(f"{base}/items/{demo.sole_trader}/")
    citizen.locator("#apply-online").click()
    citizen.get_by_label("设立登记").check()
    citizen.get_by_role("button", name="下一步：填写申请表").click()
    citizen.fill("#id_f-trade_name", "建国小吃店")
    form_kind = citizen.locator("#id_f-organisation_form").evaluate("el => el.tagName")
    if form_kind == "SELECT":
        citizen.locator("#id_f-organisation_form").select_option("个人经营")
    else:
        citizen.get_by_label("个人经营").check()
    citizen.fill("#id_f-business_address", "沈阳市沈河区北站路1号")
    citizen.fill("#id_f-business_scope", "餐饮服务（小型餐馆）")
    uploads = citizen.locator("input[type=file][name^='material-']")
    for index in range(uploads.count()):
        uploads.nth(index).set_input_files(str(demo.scan))
    assert fits(citizen)
    shot(citizen, "licence-reuse-apply-sole-trader-360")
    with citizen.expect_navigation():
        citizen.locator("#submit-application").click()
    first = case_pk(citizen)
    assert "待受理" in citizen.inner_text("main")

    # the market bureau's reviewer accepts and decides: the licence is issued
    reviewer = phone(new_page)
    staff_log_in(reviewer, base, "shenpi_shichang", PASSWORD)
    accept_and_decide(reviewer, base, first)
    case = Case.objects.get(pk=first)
    assert case.status == "approved"
    assert case.licence_identifier
    reviewer.goto(f"{base}/workbench/cases/{first}/")
    assert case.licence_identifier in reviewer.locator("#issued-licence").inner_text()
    citizen.goto(f"{base}/cases/{first}/")
    assert case.licence_identifier in citizen.locator("#issued-licence").inner_text()
    assert fits(citizen)
    shot(citizen, "licence-reuse-case-issued-360")

    # 2. the licence is in 我的证照; he shows it, releasing 名称 and 经营场所
    citizen.goto(f"{base}/licenses/mine/")
    assert fits(citizen)
    shot(citizen, "licence-reuse-wallet-360")
    with citizen.expect_navigation():
        citizen.get_by_role("link", name="个体工商户营业执照").first.click()
    assert case.licence_identifier in citizen.content()
    detail_url = citizen.url
    citizen.locator("#release-trade_name").focus()
    assert focused_id(citizen) == "release-trade_name" and has_focus_ring(citizen)
    citizen.keyboard.press("Space")
    for _step in range(3):  # 组成形式 → 经营场所
        citizen.keyboard.press("Tab")
        if focused_id(citizen) == "release-business_address":
            break
    assert focused_id(citizen) == "release-business_address"
    citizen.keyboard.press("Space")
    for _step in range(5):
        citizen.keyboard.press("Tab")
        if citizen.evaluate("document.activeElement.type") == "submit":
            break
    assert citizen.evaluate("document.activeElement.textContent").strip() == (
        "生成亮证二维码"
    )
    citizen.keyboard.press("Enter")
    citizen.wait_for_selector("svg.qr-code")
    assert fits(citizen)
    shot(citizen, "licence-reuse-show-qr-360")
    url = citizen.locator("#show-link").get_attribute("href")
    assert "/licenses/show/" in url

    # 3. a verifier, not logged in, in another browser context
    verifier = phone(new_page)
    verifier.goto(url if url.startswith("http") else base + url)
    assert "王建国" not in verifier.content()
    verifier.get_by_label("用证事由").focus()
    assert has_focus_ring(verifier)
    verifier.keyboard.type("核验餐饮门店经营主体资格")
    verifier.keyboard.press("Enter")
    verifier.wait_for_selector("#verdict")
    assert verifier.locator("#verdict").inner_text().strip() == "有效"
    labels = verifier.locator("#released dt").all_inner_texts()
    values = verifier.locator("#released dd").all_inner_texts()
    assert labels == ["名称", "经营场所"]
    assert values == ["建国小吃店", "沈阳市沈河区北站路1号"]
    page_text = verifier.content()
    assert "餐饮服务（小型餐馆）" not in page_text  # 经营范围 not released
    assert "个人经营" not in page_text  # 组成形式 not released
    assert fits(verifier)
    shot(verifier, "licence-reuse-verify-360")

    # 4. his licence page shows the use
    citizen.goto(detail_url)
    assert "核验餐饮门店经营主体资格" in citizen.content()
    assert fits(citizen)
    shot(citizen, "licence-reuse-detail-uses-360")

    # 5. he applies for 食品经营许可 and hands in the licence for 营业执照
    citizen.goto(f"{base}/items/{demo.food}/")
    citizen.locator("#apply-online").click()
    citizen.get_by_label("新办").check()
    citizen.get_by_role("button", name="下一步：填写申请表").click()
    citizen.fill("#id_f-shop_name", "建国小吃店")
    citizen.fill("#id_f-business_address", "沈阳市沈河区北站路1号")
    citizen.get_by_label("餐饮服务经营者").check()
    citizen.fill("#id_f-business_area", "60")
    licence_box = citizen.locator(
        "fieldset.material", has_text=LICENCE_MATERIAL
    ).filter(has=citizen.locator(".licence-choice"))
    assert licence_box.count() == 1
    choice = licence_box.locator(".licence-choice select")
    choice.focus()
    assert has_focus_ring(citizen)
    choice.select_option(case.licence_identifier)
    consent = licence_box.locator(".licence-choice input[type=checkbox]")
    consent.focus()
    citizen.keyboard.press("Space")
    assert consent.is_checked()
    others = citizen.locator(
        "fieldset.material:not(:has(.licence-choice)) input[type=file]"
    )
    for index in range(others.count()):
        others.nth(index).set_input_files(str(demo.scan))
    assert (
        licence_box.locator("input[type=file]").evaluate("el => el.files.length") == 0
    )
    assert fits(citizen)
    shot(citizen, "licence-reuse-apply-food-360")
    with citizen.expect_navigation():
        citizen.locator("#submit-application").click()
    second = case_pk(citizen)
    assert second != first
    assert "待受理" in citizen.inner_text("main"), citizen.inner_text("main")
    used = CaseMaterial.objects.get(case_id=second, material_name=LICENCE_MATERIAL)
    assert used.licence_identifier == case.licence_identifier
    assert used.credibility == "A"
    shot(citizen, "licence-reuse-food-submitted-360")

    # 6. the reviewer sees the material verified against the licence library
    reviewer.goto(f"{base}/workbench/cases/{second}/")
    check = reviewer.locator(f"#licence-check-{used.pk}")
    assert check.inner_text().strip() == "电子证照，已核验有效"
    item = reviewer.locator("ul.material-list li", has=check)
    assert case.licence_identifier in item.inner_text()
    assert item.locator(".cred-A").count() == 1
    assert fits(reviewer)
    shot(reviewer, "licence-reuse-workbench-verified-360")

    # and the licence page of the holder records that use by the case
    citizen.goto(detail_url)
    second_number = Case.objects.get(pk=second).number
    assert f"办件 {second_number}" in citizen.content()
    shot(citizen, "licence-reuse-detail-case-use-360")
