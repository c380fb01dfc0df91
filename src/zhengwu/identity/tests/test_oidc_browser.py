"""Single sign-on in a real browser (Debian's headless Chromium): a citizen opens the
sample relying party, logs in once on the platform's login page, comes back signed
in, then a second department system signs them in without a second prompt."""

import os
import socket
import threading
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest  # noqa: E402

from zhengwu.catalog.tests.factories import OrganisationFactory  # noqa: E402
from zhengwu.sample_rp.app import Config, SampleRelyingParty  # noqa: E402

from .oidc_support import register  # noqa: E402
from .person_factories import PASSWORD, make_citizen  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CHROMIUM = os.environ.get("ZHENGWU_CHROMIUM", "/usr/bin/chromium")


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def start_rp(live_server, settings):
    settings.MEDIA_URL = "/__media-not-served__/"
    servers = []

    def start(name):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        registered = register(
            name, f"{base}/callback", logout_uri=f"{base}/", organisation=None
        )
        app = SampleRelyingParty(
            Config(
                issuer=f"{live_server.url}/o",
                client_id=registered.application.client_id,
                client_secret=registered.client_secret,
                base_url=base,
                cookie_key=os.urandom(32),
            )
        )
        server = make_server("127.0.0.1", port, app, handler_class=_Quiet)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return base

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def chromium():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not installed at {CHROMIUM}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
            ],
        )
        context = browser.new_context(locale="zh-CN")
        context.set_default_timeout(10_000)
        yield context.new_page()
        browser.close()


def test_log_in_once_then_a_second_system_without_a_prompt(
    live_server, start_rp, chromium
):
    # given
    OrganisationFactory()
    person = make_citizen("周七")
    first, second = start_rp("不动产登记系统"), start_rp("社保系统")
    page = chromium
    # when: the first system sends the citizen to the platform's login page
    page.goto(first + "/")
    page.get_by_role("link", name="登录").click()
    assert "/accounts/login" in page.url
    page.get_by_label("账号").fill(person.clear_id_number)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    # then: back at the first system, signed in
    # (Chromium applies the login page's CSP form-action to the redirects after
    # the post: identity.oidc_csp lets it reach the client's registered origin.)
    page.wait_for_url(first + "/")
    assert page.locator("#user-name").inner_text() == "周七"
    # when: the second system
    page.goto(second + "/")
    page.get_by_role("link", name="登录").click()
    # then: signed in without a login page in between
    page.wait_for_url(second + "/")
    assert page.locator("#user-name").inner_text() == "周七"
    # when: logging out of the second system ends the platform session too
    page.get_by_role("link", name="退出").click()
    page.wait_for_url(second + "/*")
    assert "尚未登录" in page.content()
    page.goto(first + "/login")
    assert "/accounts/login" in page.url
