"""Public core endpoints under /api/v1/core/: no login, no 500 for any query string."""

import pytest

from zhengwu.core.services import division_load_csv

from .factories import OrganisationFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/core"


@pytest.fixture
def liaoning(db):
    division_load_csv()


@pytest.mark.usefixtures("liaoning")
def test_divisions_top_level_and_children(client):
    # when
    top = client.get(f"{BASE}/divisions")
    cities = client.get(f"{BASE}/divisions", {"parent": "210000"})

    # then
    assert top.status_code == 200
    assert top.json() == [
        {
            "code": "210000",
            "code12": "210000000000",
            "name": "辽宁省",
            "kind": "省",
            "level": "province",
            "parent_code": None,
        }
    ]
    assert cities.status_code == 200
    assert len(cities.json()) == 14
    assert {city["parent_code"] for city in cities.json()} == {"210000"}


@pytest.mark.usefixtures("liaoning")
def test_division_detail_by_6_or_12_digits(client):
    six = client.get(f"{BASE}/divisions/210102")
    twelve = client.get(f"{BASE}/divisions/210102000000")
    assert six.status_code == twelve.status_code == 200
    assert six.json() == twelve.json()
    assert six.json()["name"] == "和平区"
    assert six.json()["parent_code"] == "210100"


@pytest.mark.usefixtures("liaoning")
@pytest.mark.parametrize(
    "url",
    [
        f"{BASE}/divisions/999999",
        f"{BASE}/divisions/abc",
        f"{BASE}/divisions?parent=999999",
        f"{BASE}/organisations?division=999999",
        f"{BASE}/organisations?division=%E6%B2%88",
        # NUL: PostgreSQL refuses it in a query parameter, which was a 500
        f"{BASE}/divisions/%00",
        f"{BASE}/divisions?parent=21%0000",
        f"{BASE}/organisations?division=%00",
        f"{BASE}/organisations?division=%00&include_subdivisions=true",
        f"{BASE}/divisions/%EF%BC%92%EF%BC%91%EF%BC%90%EF%BC%90%EF%BC%90%EF%BC%90",
    ],
)
def test_unknown_division_is_404_with_stable_code(client, url):
    response = client.get(url)
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "core.division_not_found"
    assert body["message"]
    assert body["fields"] == {}


@pytest.fixture
def organisations(liaoning):
    from zhengwu.core.models import Division

    shenyang = Division.objects.get(code="210100")
    heping = Division.objects.get(code="210102")
    dalian = Division.objects.get(code="210200")
    return {
        "shenyang": [OrganisationFactory(division=shenyang) for _ in range(3)],
        "heping": [OrganisationFactory(division=heping) for _ in range(2)],
        "dalian": [OrganisationFactory(division=dalian)],
    }


def test_organisations_keyset_pages(client, organisations):
    # when reading all six two at a time
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2} | ({"after": cursor} if cursor is not None else {})
        response = client.get(f"{BASE}/organisations", params)
        assert response.status_code == 200
        body = response.json()
        seen += [item["pk"] for item in body["items"]]
        cursor, pages = body["next_cursor"], pages + 1
        if cursor is None:
            break

    # then every organisation once, in key order, and no empty last page
    everyone = sorted(o.pk for group in organisations.values() for o in group)
    assert seen == everyone
    assert pages == 3


def test_organisations_filtered_by_division_and_below(client, organisations):
    only_city = client.get(f"{BASE}/organisations", {"division": "210100"}).json()
    below = client.get(
        f"{BASE}/organisations",
        {"division": "210100", "include_subdivisions": "true"},
    ).json()

    assert {i["pk"] for i in only_city["items"]} == {
        o.pk for o in organisations["shenyang"]
    }
    assert {i["pk"] for i in below["items"]} == {
        o.pk for o in organisations["shenyang"] + organisations["heping"]
    }
    assert below["items"][0]["division_name"] in {"沈阳市", "和平区"}
    assert below["next_cursor"] is None


def test_organisation_detail(client, organisations):
    organisation = organisations["dalian"][0]
    response = client.get(f"{BASE}/organisations/{organisation.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["credit_code"] == organisation.credit_code
    assert (body["division_code"], body["division_name"]) == ("210200", "大连市")


@pytest.mark.parametrize("pk", ["987654", "9223372036854775807"])
def test_unknown_organisation_is_404(client, pk):
    response = client.get(f"{BASE}/organisations/{pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "core.organisation_not_found"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=abc", "limit"),
        ("limit=100000", "limit"),
        ("limit=0", "limit"),
        ("limit=-1", "limit"),
        ("limit=101", "limit"),
        ("after=abc", "after"),
        ("after=-5", "after"),
        ("after=99999999999999999999999", "after"),
        ("include_subdivisions=perhaps", "include_subdivisions"),
        (f"division={'1' * 40}", "division"),
    ],
)
def test_bad_query_strings_are_422_naming_the_field(client, query, field):
    response = client.get(f"{BASE}/organisations?{query}")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "request.invalid"
    assert field in body["fields"]


@pytest.mark.parametrize(
    "url",
    [
        f"{BASE}/organisations/abc",
        f"{BASE}/organisations/0",
        f"{BASE}/organisations/99999999999999999999999",
        f"{BASE}/divisions?parent={'2' * 40}",
    ],
)
def test_bad_paths_are_422_not_500(client, url):
    response = client.get(url)
    assert response.status_code == 422
    assert response.json()["code"] == "request.invalid"


def test_limit_100_is_allowed(client, organisations):
    response = client.get(f"{BASE}/organisations", {"limit": 100})
    assert response.status_code == 200
    assert len(response.json()["items"]) == 6
