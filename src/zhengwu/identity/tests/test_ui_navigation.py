"""What a user sees around the identity pages: every menu link on their start page
opens for them, their own account pages are in a menu, and the interface stays
Chinese whatever language the browser prefers."""

import re

from django.urls import reverse

import pytest

from zhengwu.identity.constants import StaffRole

from .person_factories import make_citizen, make_counter_clerk
from .staff_factories import organisation, staff_user

pytestmark = pytest.mark.django_db


def _user(kind: str):
    if kind == "citizen":
        return make_citizen().user
    if kind == "counter_clerk":
        return make_counter_clerk()
    role = {
        "system_admin": StaffRole.SYSTEM_ADMIN,
        "security_admin": StaffRole.SECURITY_ADMIN,
        "audit_admin": StaffRole.AUDIT_ADMIN,
    }[kind]
    return staff_user(kind, (organisation("省营商环境建设局", "210000"), role))


def _menu_links(html: str) -> set[str]:
    """The links of the header's account area and of every navigation menu."""
    blocks = re.findall(r'<div class="account">.*?</div>', html, re.S)
    blocks += re.findall(r"<nav\b.*?</nav>", html, re.S)
    return {href for block in blocks for href in re.findall(r'href="([^"#]+)"', block)}


@pytest.mark.parametrize(
    "kind, start, own_account_page",
    [
        ("citizen", "identity:me_profile", "identity:password_change"),
        ("counter_clerk", "identity:counter_home", "identity:factor"),
        ("system_admin", "identity:staff_list", "identity:factor"),
        ("security_admin", "identity:staff_security", "identity:factor"),
        ("audit_admin", "identity:staff_audit", "identity:factor"),
    ],
)
def test_every_menu_link_on_the_start_page_opens_for_that_user(
    client, reference_data, kind, start, own_account_page
):
    # given
    client.force_login(_user(kind))
    # when
    page = client.get(reverse(start))
    links = _menu_links(page.content.decode())
    # then
    assert page.status_code == 200
    assert reverse(own_account_page) in links
    refused = {}
    for href in links:
        response = client.get(href)
        login_url = reverse("identity:login")
        if response.status_code != 200 and not (
            response.status_code == 302
            and not response["Location"].startswith(login_url)
        ):
            refused[href] = response.status_code
    assert refused == {}


def test_an_english_browser_still_gets_chinese_form_errors(client):
    # when: a browser preferring English sends the SMS login form without a mobile
    page = client.post(
        reverse("identity:login_sms"),
        {"action": "send", "mobile": ""},
        HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9",
    )
    # then: Django's own message comes in Chinese like the rest of the page
    html = page.content.decode()
    assert "这个字段是必填项" in html
    assert "This field is required" not in html


def test_a_missing_record_page_shows_no_english_library_message(client, reference_data):
    # given
    client.force_login(_user("security_admin"))
    # when: a client that does not exist (get_object_or_404)
    page = client.get(reverse("identity:sso_client_edit", args=[999_999]))
    # then
    assert page.status_code == 404
    assert "页面不存在" in page.content.decode()
    assert "matches the given query" not in page.content.decode()


@pytest.mark.parametrize(
    "url_name, main_action",
    [("identity:register", "register"), ("identity:login_sms", "login")],
)
def test_enter_in_a_code_form_presses_the_main_action_not_get_code(
    client, url_name, main_action
):
    """Enter submits a form with its first submit button; on these forms that must
    be the main action, or Enter in the password field texts another code and
    drops what was typed."""
    html = client.get(reverse(url_name)).content.decode()
    form = html[html.index("<form", html.index("<main")) :]
    first_button = re.search(r"<button[^>]*>", form).group(0)
    assert 'type="submit"' in first_button
    assert f'value="{main_action}"' in first_button
