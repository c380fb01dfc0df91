"""Every page renders over the demo data (when the demo command is there)."""

import re

from django.core.management import call_command, get_commands

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path):
    if "populate_demo" not in get_commands():
        pytest.skip("populate_demo is not available")
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load_reference_data", verbosity=0)
    call_command("populate_demo", verbosity=0)


def test_public_and_staff_pages_render_over_demo_data(client, demo, django_user_model):
    # public: follow links from the home page, a search and an item page
    seen: set[str] = set()
    queue = [
        "/",
        "/search/?q=护照",
        "/search/?q=hz",
        "/regions/",
        "/departments/",
        "/themes/",
    ]
    while queue and len(seen) < 60:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url, follow=True)
        assert response.status_code in (200, 404), url
        if response.status_code != 200 or "text/html" not in response["Content-Type"]:
            continue
        for link in re.findall(
            r'href="(/(?:regions|items|themes|departments|for)/[^"#?]*)"',
            response.content.decode(),
        ):
            if link not in seen:
                queue.append(link)
    assert any(u.startswith("/items/") for u in seen)
    # staff: the authority's pages
    admin = django_user_model.objects.filter(
        is_superuser=True
    ).first() or django_user_model.objects.create_superuser("root_test", password="x")
    client.force_login(admin)
    for url in [
        "/staff/",
        "/staff/listings/",
        "/staff/listings/?q=hz",
        "/staff/report/",
        "/staff/import/",
    ]:
        assert client.get(url).status_code == 200, url
    body = client.get("/staff/listings/?q=hz").content.decode()
    for link in re.findall(r'href="(/staff/(?:versions|listings)/\d+/[^"]*)"', body)[
        :10
    ]:
        assert client.get(link.replace("&amp;", "&")).status_code == 200, link
