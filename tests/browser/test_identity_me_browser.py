"""The /me/ and counter pages in headless Chromium at 360 px, by keyboard: no
sideways scrolling, field errors next to the field, the acting banner."""

import datetime

from django.test import Client
from django.utils import timezone

import pytest

from zhengwu.identity import authorisations
from zhengwu.identity.tests.person_factories import (
    make_citizen,
    make_counter_clerk,
    make_id_number,
    population_record,
)

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


def sign_in(page, server, user):
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": server.url,
            }
        ]
    )


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_me_pages_and_acting_on_a_phone(transactional_db, live_server, new_page, shot):
    # given a citizen who authorised another
    principal, agent = make_citizen("张三"), make_citizen("李四")
    authorisations.authorisation_grant_personal(
        acting_user=principal.user,
        agent_id_number=agent.clear_id_number,
        agent_name="李四",
        item_codes=["210100000001"],
        valid_until=timezone.now() + datetime.timedelta(days=3),
    )
    page = new_page(PHONE)
    sign_in(page, live_server, principal.user)
    for url in ("/me/", "/me/authorisations/", "/me/actions/", "/me/entities/"):
        page.goto(live_server.url + url)
        assert fits(page), url
        assert principal.clear_id_number not in page.content()
    # when a wrong ID number is typed and sent with the keyboard
    page.goto(live_server.url + "/me/authorisations/")
    page.focus("#id_agent_name")
    page.keyboard.type("王五")
    page.keyboard.press("Tab")
    page.keyboard.type("210102198503150011")
    page.fill("#id_item_codes", "210100000001")
    page.fill("#id_valid_until", "2026-12-20")
    page.focus("#id_valid_until")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    shot(page, "identity-me-authorisation-error-360")
    # then the reason stands next to the field
    error = page.locator("#id_agent_id_number-error")
    assert error.is_visible()
    described = page.locator("#id_agent_id_number").get_attribute("aria-describedby")
    assert "id_agent_id_number-error" in described
    assert fits(page)
    shot(page, "identity-me-authorisation-error-360")
    # the full number on request, by keyboard
    page.goto(live_server.url + "/me/")
    with page.expect_navigation():
        page.get_by_role("button", name="显示完整号码").first.press("Enter")
    assert principal.clear_id_number in page.content()

    # the agent starts acting and sees the banner
    agent_page = new_page(PHONE)
    sign_in(agent_page, live_server, agent.user)
    agent_page.goto(live_server.url + "/me/authorisations/")
    with agent_page.expect_navigation():
        agent_page.get_by_role("button", name="开始代办").press("Enter")
    assert "正在代 张* 办理" in agent_page.content()
    assert fits(agent_page)
    shot(agent_page, "identity-acting-banner-360")
    with agent_page.expect_navigation():
        agent_page.get_by_role("button", name="结束代办").press("Enter")
    assert "正在代" not in agent_page.content()


def test_counter_page_on_a_phone(transactional_db, live_server, new_page, shot):
    clerk = make_counter_clerk()
    id_number = make_id_number()
    population_record("孙八", id_number)
    page = new_page(PHONE)
    sign_in(page, live_server, clerk)
    page.goto(live_server.url + "/staff/counter/")
    page.fill("#id_name", "孙八")
    page.fill("#id_id_number", id_number)
    with page.expect_navigation():
        page.get_by_role("button", name="开始现场代办").press("Enter")
    assert "正在代 孙* 办理" in page.content()
    assert id_number not in page.content()
    assert fits(page)
    shot(page, "identity-counter-360")
    # the banner's stop button ends the visit too
    with page.expect_navigation():
        page.get_by_role("button", name="结束代办").press("Enter")
    assert "正在代" not in page.content()
    assert "正在办理" not in page.content()
