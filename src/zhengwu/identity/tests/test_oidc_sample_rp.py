"""The sample relying party signs a platform user in by SSO (no second prompt),
shows their name and pairwise subject, and logs out at the provider."""

import re
import socket
import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

from django.core.management import call_command

import pytest

from zhengwu.catalog.tests.factories import OrganisationFactory
from zhengwu.identity.oidc import pairwise_subject
from zhengwu.sample_rp.app import load_env_file, make_app

from .oidc_support import browser_for, close_http_sessions, make_person_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _close_http_sessions(transactional_db, live_server):
    yield
    close_http_sessions()


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def sample_rp(live_server, tmp_path, monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    OrganisationFactory()
    env_file = tmp_path / "sample-rp.env"
    call_command(
        "register_sample_rp",
        base_url=base,
        issuer=f"{live_server.url}/o",
        env_file=str(env_file),
        stdout=open("/dev/null", "w"),  # noqa: SIM115
    )
    for key in ("ISSUER", "CLIENT_ID", "CLIENT_SECRET", "BASE_URL", "PORT"):
        monkeypatch.delenv(f"ZHENGWU_SAMPLE_RP_{key}", raising=False)
    load_env_file(str(env_file))
    app = make_app()
    server = make_server("127.0.0.1", port, app, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base, env_file
    server.shutdown()
    server.server_close()


def test_sample_rp_signs_in_by_sso_and_logs_out_at_the_provider(live_server, sample_rp):
    base, _env = sample_rp
    citizen = make_person_user("rp-citizen", "王五")
    browser = browser_for(live_server, citizen)
    # given: not signed in at the RP
    assert "登录" in browser.get(base + "/").text
    # when: 登录 → provider (already signed in: no prompt) → callback → home
    page = browser.get(base + "/login")
    # then
    assert page.url == base + "/"
    assert "王五" in page.text
    sub = re.search(r"<code id='user-sub'>([0-9a-f]{64})</code>", page.text).group(1)
    assert sub == pairwise_subject("127.0.0.1", citizen.pk)
    # when: logout at the RP goes through the provider and back
    after = browser.get(base + "/logout")
    # then: signed out at both
    assert after.url.startswith(base + "/")
    assert "尚未登录" in after.text
    again = browser.get(base + "/login", allow_redirects=True)
    assert "login" in again.url  # the provider's login page: the SSO session ended


def test_register_sample_rp_is_idempotent(live_server, sample_rp):
    from oauth2_provider.models import Application

    base, env_file = sample_rp
    before = env_file.read_text()
    call_command(
        "register_sample_rp",
        base_url=base,
        issuer=f"{live_server.url}/o",
        env_file=str(env_file),
        stdout=open("/dev/null", "w"),  # noqa: SIM115
    )
    assert env_file.read_text() == before
    assert Application.objects.count() == 1
