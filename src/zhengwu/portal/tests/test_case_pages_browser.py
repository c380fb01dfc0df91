"""The applicant's case pages in headless Chromium at 360 px: apply (handling item,
form errors, uploads), the progress page with a supplement request, and the rating
form. Keyboard only where it matters; no horizontal scrolling; no console errors
(CSP). Screenshots go to $ZHENGWU_SHOTS (default test-artifacts/cases/)."""

import os
from pathlib import Path

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("ZHENGWU_CHROMIUM", "/usr/bin/chromium")
PHONE = {"width": 360, "height": 740}
SHOTS = Path(
    os.environ.get(
        "ZHENGWU_SHOTS",
        Path(__file__).resolve().parents[4] / "test-artifacts" / "cases",
    )
)
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def live(live_server, settings):
    # The live server's static handler needs a media URL (attachments never use it).
    settings.MEDIA_URL = "/__media-not-served__/"
    return live_server


@pytest.fixture
def world(transactional_db, settings, tmp_path):
    from .fixtures import build_world

    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world()


@pytest.fixture
def phone(world, live):
    """A 360 px page signed in as a citizen (session cookie from the test client)."""
    from django.test import Client

    from playwright.sync_api import sync_playwright

    from zhengwu.identity.tests.person_factories import make_citizen

    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not installed at {CHROMIUM}")
    citizen = make_citizen("李明")
    client = Client()
    client.force_login(citizen.user)
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu"],
        )
        context = browser.new_context(viewport=PHONE, locale="zh-CN")
        context.set_default_timeout(10_000)
        context.add_cookies(
            [
                {
                    "name": "sessionid",
                    "value": client.cookies["sessionid"].value,
                    "url": live.url,
                }
            ]
        )
        page = context.new_page()
        page.on(
            "console",
            lambda m: errors.append(m.text) if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.citizen = citizen
        page.base = live.url
        yield page
        context.close()
        browser.close()
    unexpected = [e for e in errors if "Failed to load resource" not in e]
    assert not unexpected, unexpected


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def fits_the_phone(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth + 1"
    )


def test_apply_progress_and_rating_at_360px(phone, world, tmp_path):
    from zhengwu.cases import services
    from zhengwu.cases.models import Case
    from zhengwu.catalog.tests.factories import grant
    from zhengwu.identity.constants import StaffRole

    from .fixtures import make_user

    page = phone
    identity_card = tmp_path / "身份证.pdf"
    identity_card.write_bytes(PDF_BYTES)
    form = tmp_path / "申请表.pdf"
    form.write_bytes(PDF_BYTES)

    # the item page offers online application
    page.goto(f"{page.base}/items/{world.passport_listing.code}/")
    page.locator("#apply-online").click()
    # the handling item, by keyboard
    page.get_by_label("首次申领").check()
    assert fits_the_phone(page)
    shot(page, "01_choose_handling")
    page.locator("#handling-next").click()
    # the form: prefilled and marked
    assert page.get_by_text("已为您自动填写").first.is_visible()
    assert fits_the_phone(page)
    shot(page, "02_apply_form")
    # a bad mobile: the error is next to the field and the summary links to it
    page.get_by_label("联系电话").fill("12345")
    page.locator("#submit-application").click()
    assert page.locator("#id_f-contact_mobile-error").is_visible()
    assert page.locator(".error-summary").evaluate("e => e === document.activeElement")
    assert fits_the_phone(page)
    shot(page, "03_apply_errors")
    # corrected, with the necessary materials
    page.get_by_label("联系电话").fill("13912345678")
    page.locator("#id_material-0").set_input_files(str(identity_card))
    page.locator("#id_material-1").set_input_files(str(form))
    page.locator("#submit-application").click()
    page.wait_for_url("**/cases/*/")
    case = Case.objects.get()
    assert page.locator("#case-number").inner_text() == case.number
    assert fits_the_phone(page)
    shot(page, "04_case_submitted")

    # a supplement request lists everything at once
    reviewer = make_user("reviewer_browser")
    grant(reviewer, world.county_org, StaffRole.REVIEWER)
    services.case_request_supplement(
        case_id=case.pk,
        acting_user=reviewer,
        items=[
            {"material": "居民身份证", "reason": "复印件不清晰，请上传清晰的正反面"},
            {"material": "中国公民出入境证件申请表", "reason": "缺少本人签名"},
        ],
        note="请一次补齐后提交。",
    )
    page.reload()
    assert page.get_by_text("补正告知（一次性告知）").is_visible()
    assert fits_the_phone(page)
    shot(page, "05_case_supplement")
    page.locator("#id_supplement-0").set_input_files(str(identity_card))
    page.get_by_label("补正说明").fill("已重新扫描")
    page.locator("#submit-supplement").click()
    page.wait_for_url(f"**/cases/{case.pk}/")
    assert page.locator("#case-status").inner_text().strip() == "待受理"

    # decided (the workflow is tested in cases): the rating form
    from django.utils import timezone

    Case.objects.filter(pk=case.pk).update(
        status="approved", decided_at=timezone.now(), decision_opinion="准予签发。"
    )
    page.reload()
    page.get_by_label("不满意", exact=True).check()
    page.locator("#submit-rating").click()
    assert page.locator("#id_comment-error").is_visible()
    assert fits_the_phone(page)
    shot(page, "06_rating_error")
    page.get_by_label("非常满意").check()
    page.get_by_label("办事效率").check()
    page.locator("#submit-rating").click()
    page.wait_for_url(f"**/cases/{case.pk}/#rating")
    assert fits_the_phone(page)
    shot(page, "07_case_rated")
    page.goto(f"{page.base}/cases/")
    assert fits_the_phone(page)
    shot(page, "08_my_cases")
    page.goto(f"{page.base}/messages/")
    assert fits_the_phone(page)
    shot(page, "09_messages")
