"""Single sign-on in headless Chromium: a citizen opens the sample relying party,
logs in once on the platform's login page, comes back signed in; a second department
system signs them in without a second prompt; logging out there ends the platform
session too. No console errors (the CSP form-action of the login page lets the
redirect back to the client through: identity.oidc_csp)."""

import os
import socket
import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from zhengwu.catalog.tests.factories import OrganisationFactory
from zhengwu.identity.tests.oidc_support import register
from zhengwu.identity.tests.person_factories import PASSWORD, make_citizen
from zhengwu.sample_rp.app import Config, SampleRelyingParty

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def start_rp(live_server, transactional_db):
    """Start a sample relying party registered as its own department system."""
    servers = []

    def start(name):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        registered = register(name, f"{base}/callback", logout_uri=f"{base}/")
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


def test_log_in_once_then_a_second_system_without_a_prompt(new_page, start_rp):
    # given
    OrganisationFactory()
    person = make_citizen("周七")
    first, second = start_rp("不动产登记系统"), start_rp("社保系统")
    page = new_page(PHONE)
    # when: the first system sends the citizen to the platform's login page
    page.goto(first + "/")
    page.get_by_role("link", name="登录").click()
    assert "/accounts/login" in page.url
    page.get_by_label("账号").fill(person.clear_id_number)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_label("密码").press("Enter")
    # then: back at the first system, signed in
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
