"""The case workbench in a real browser (Debian's headless Chromium): a reviewer signs
in, lands on the inbox, claims a task with the keyboard only and opens the case;
screenshots of the inbox and the case page at 360 px and 1280 px go to
``ZHENGWU_SHOTS`` (default test-artifacts/workbench)."""

import datetime
import os
from pathlib import Path

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest  # noqa: E402

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("ZHENGWU_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(
    os.environ.get(
        "ZHENGWU_SHOTS",
        Path(__file__).resolve().parents[4] / "test-artifacts" / "workbench",
    )
)
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def chromium():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not installed at {CHROMIUM}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu"],
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def _media_url():
    """The live server's media handler cannot take this project's MEDIA_URL (None:
    files go through access-checking views); give it a path nothing links to."""
    from django.test.utils import override_settings

    override = override_settings(MEDIA_URL="/__media-not-served__/")
    override.enable()
    yield
    override.disable()


@pytest.fixture
def server(_media_url, live_server, transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return live_server


def _world():
    """Department A with cases in every state the inbox shows."""
    from django.utils import timezone

    from zhengwu.cases.constants import DeadlineState
    from zhengwu.cases.models import Case, CaseTask
    from zhengwu.cases.services import case_accept
    from zhengwu.cases.tests.factories import (
        apply,
        published_listing,
        seed_calendar_2026,
    )
    from zhengwu.identity.constants import StaffRole
    from zhengwu.identity.tests.person_factories import make_citizen
    from zhengwu.identity.tests.staff_factories import organisation, staff_user

    seed_calendar_2026()
    org = organisation("沈阳市市场监督管理局", "210100")
    listing = published_listing(org, name="食品经营许可证核发")
    other = published_listing(org, name="个体工商户登记")
    reviewer = staff_user("reviewer-a", (org, StaffRole.REVIEWER))
    staff_user("colleague-a", (org, StaffRole.REVIEWER))
    citizens = [make_citizen(name) for name in ("张三", "李四", "王五", "赵六")]
    cases = [
        apply(c.user, code)
        for c, code in zip(citizens, [listing, other] * 2, strict=True)
    ]
    waiting = apply(make_citizen("钱七").user, listing)  # waits for acceptance
    for case in cases:
        case_accept(case_id=case.pk, acting_user=reviewer, opinion="材料齐全")
    today = timezone.localdate()
    states = [
        (DeadlineState.OVERDUE, today - datetime.timedelta(days=2)),
        (DeadlineState.WARNING, today + datetime.timedelta(days=1)),
        (DeadlineState.NORMAL, today + datetime.timedelta(days=12)),
        (DeadlineState.PAUSED, today + datetime.timedelta(days=20)),
    ]
    for case, (state, due) in zip(cases, states, strict=True):
        Case.objects.filter(pk=case.pk).update(deadline_state=state, due_on=due)
        CaseTask.objects.filter(case=case).update(due_on=due)
    return reviewer, cases, waiting


def _log_in(page, base, user, landing="**/workbench/"):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from zhengwu.identity.tests.login_helpers import KNOWN_KEY, PASSWORD, current_code

    device, _created = TOTPDevice.objects.get_or_create(
        user=user, name="authenticator", defaults={"confirmed": True, "key": KNOWN_KEY}
    )
    page.goto(base + "/accounts/login/")
    page.get_by_label("账号", exact=True).fill(user.username)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url("**/accounts/login/verify/")
    page.get_by_label("动态验证码", exact=True).fill(current_code(device))
    page.get_by_role("button", name="验证并登录").click()
    page.wait_for_url(landing)


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_reviewer_works_the_inbox_with_the_keyboard(chromium, server):
    from playwright.sync_api import expect

    from zhengwu.cases.constants import TaskStatus
    from zhengwu.cases.models import CaseTask

    reviewer, cases, waiting = _world()
    errors: list[str] = []
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context = chromium.new_context(viewport=viewport, locale="zh-CN")
        page = context.new_page()
        page.on(
            "console",
            lambda m: errors.append(m.text) if m.type == "error" else None,
        )
        _log_in(page, server.url, reviewer)
        expect(page.get_by_role("heading", level=1)).to_have_text("办件工作台")
        _shot(page, f"inbox-{name}")
        expect(page.locator(".badge-warning").first).to_be_visible()
        no_scroll = page.evaluate(
            "document.documentElement.scrollWidth <= window.innerWidth"
        )
        assert no_scroll, f"horizontal scrolling at {name}"
        if name == "desktop":
            # keyboard only: tab to the first claim button and press Enter
            first = page.get_by_role("button", name="认领").first
            for _ in range(60):
                page.keyboard.press("Tab")
                if first.evaluate("b => b === document.activeElement"):
                    break
            else:
                raise AssertionError("the claim button is not reachable by Tab")
            page.keyboard.press("Enter")
            expect(page.get_by_role("status")).to_contain_text("已认领")
            assert CaseTask.objects.filter(
                assignee=reviewer, status=TaskStatus.CLAIMED
            ).exists()
        page.goto(f"{server.url}/workbench/cases/{cases[0].pk}/")
        expect(page.get_by_role("heading", level=1)).to_contain_text("食品经营许可")
        no_scroll = page.evaluate(
            "document.documentElement.scrollWidth <= window.innerWidth"
        )
        assert no_scroll, f"horizontal scrolling on the case page at {name}"
        _shot(page, f"case-{name}")
        if name == "desktop":
            page.get_by_text("办理", exact=True).click()
            expect(page.get_by_label("办理结果")).to_be_visible()
            _shot(page, f"case-actions-{name}")
        # the acceptance actions of a submitted case, with a supplement row error
        page.goto(f"{server.url}/workbench/cases/{waiting.pk}/")
        page.get_by_text("一次性告知补正", exact=True).click()
        page.locator("#id_items-0-material").select_option(index=1)
        page.get_by_role("button", name="发送补正告知").click()
        expect(page.locator("#id_items-0-reason-error")).to_contain_text(
            "请写明需要补正的原因和要求"
        )
        _shot(page, f"supplement-error-{name}")
        context.close()
    assert not [e for e in errors if "/static/" in e or "Refused" in e], errors


def test_counter_and_configuration_pages_on_a_phone(chromium, server):
    from playwright.sync_api import expect

    from zhengwu.cases.tests.factories import published_listing, seed_calendar_2026
    from zhengwu.identity.constants import StaffRole
    from zhengwu.identity.tests.person_factories import make_citizen
    from zhengwu.identity.tests.staff_factories import organisation, staff_user

    seed_calendar_2026()
    org = organisation("沈阳市市场监督管理局", "210100")
    code = published_listing(org, name="食品经营许可证核发")
    clerk = staff_user("clerk-a", (org, StaffRole.COUNTER_CLERK))
    editor = staff_user("editor-a", (org, StaffRole.DEPARTMENT_EDITOR))
    walk_in = make_citizen("王五")

    context = chromium.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    _log_in(page, server.url, clerk, landing="**/staff/counter/")
    page.get_by_label("姓名").fill(walk_in.name)
    page.get_by_label("公民身份号码").fill(walk_in.clear_id_number)
    page.get_by_role("button", name="开始现场代办").click()
    page.get_by_role("link", name="为该办事人申请办件").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("窗口收件")
    page.goto(f"{server.url}/workbench/counter/?listing={code}")
    page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    _shot(page, "counter-error-phone")
    context.close()

    context = chromium.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    _log_in(page, server.url, editor, landing="**/staff/")
    page.goto(f"{server.url}/workbench/config/{code}/")
    page.get_by_label("申请表单（JSON Schema）").fill("{")
    page.get_by_role("button", name="保存配置").click()
    expect(page.locator("#id_form_schema-error")).to_contain_text("不是有效的 JSON")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    _shot(page, "config-error-phone")
    context.close()
