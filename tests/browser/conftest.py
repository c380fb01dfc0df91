"""Playwright in Debian's headless Chromium against pytest-django's live server.

The sync Playwright API runs an event loop in the test thread, so Django must be told
that synchronous ORM calls there are fine."""

import os
from pathlib import Path

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = os.environ.get("ZHENGWU_CHROMIUM", "/usr/bin/chromium")
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def _media_url_for_live_server():
    """Django's live server wraps a media handler built from MEDIA_URL, which this
    project leaves None (attachments go through an access-checking view) and the
    handler cannot take None. Give it a path nothing links to."""
    from django.test.utils import override_settings

    override = override_settings(MEDIA_URL="/__media-not-served__/")
    override.enable()
    yield
    override.disable()


@pytest.fixture(scope="session")
def live_server(_media_url_for_live_server, live_server):
    return live_server


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not installed at {CHROMIUM}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser):
    """A fresh page (own cookies) with a given viewport; closed after the test.

    Every console error fails the test: a Content-Security-Policy violation (an
    inline script or style, eval in htmx) or a missing static file shows up there."""
    contexts = []
    console_errors: list[str] = []

    def make(viewport=DESKTOP):
        context = browser.new_context(
            viewport=viewport, locale="zh-CN", accept_downloads=True
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on(
            "console",
            lambda message: (
                console_errors.append(f"{page.url}: {message.text}")
                if message.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda error: console_errors.append(str(error)))
        return page

    yield make
    for context in contexts:
        context.close()
    # 4xx pages the tests open on purpose log "Failed to load resource"; nothing else.
    unexpected = [
        e
        for e in console_errors
        if "Failed to load resource" not in e or "/static/" in e
    ]
    assert not unexpected, unexpected


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def world(transactional_db, settings, tmp_path):
    """The portal test world, committed so the live server thread sees it."""
    from zhengwu.portal.tests.fixtures import build_world

    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world(reference_data=True)


@pytest.fixture
def shot():
    """Save a full-page screenshot into test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def staff_log_in():
    """Log a staff member in through the pages: password, then the TOTP step with
    the current code of a device holding a known key (enrolled here if the user has
    none), as an authenticator app would show it."""
    from django.contrib.auth import get_user_model

    from django_otp.plugins.otp_totp.models import TOTPDevice

    from zhengwu.identity.tests.login_helpers import (
        KNOWN_KEY,
        PASSWORD,
        current_code,
    )

    def log_in(page, base_url: str, username: str, password: str = PASSWORD) -> None:
        user = get_user_model().objects.get(username=username)
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(
                user=user, name="authenticator", confirmed=True, key=KNOWN_KEY
            )
        page.goto(base_url + "/accounts/login/")
        page.get_by_label("账号", exact=True).fill(username)
        page.get_by_label("密码", exact=True).fill(password)
        page.get_by_role("button", name="登录", exact=True).click()
        page.wait_for_url("**/accounts/login/verify/")
        page.get_by_label("动态验证码", exact=True).fill(current_code(device))
        page.get_by_role("button", name="验证并登录").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

    return log_in
