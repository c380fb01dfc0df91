"""The catalogue HTTP API: public catalogue and guides, staff editing and review,
files, report; hostile input never gives a 500."""

import datetime
import io
import json
import uuid
from types import SimpleNamespace

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

import openpyxl
import pytest

from zhengwu.catalog import schemas, transfer
from zhengwu.catalog.constants import Audience, ImportStatus, VersionStatus
from zhengwu.catalog.models import (
    Attachment,
    BaseItem,
    ImportJob,
    Listing,
    ListingVersion,
    Theme,
)
from zhengwu.catalog.reference import load_reference_data
from zhengwu.catalog.tests.factories import (
    BaseItemFactory,
    DivisionFactory,
    ListingFactory,
    ListingVersionFactory,
    OrganisationFactory,
    complete_guide,
    grant,
    make_credit_code,
)
from zhengwu.core.models import AuditEvent
from zhengwu.identity.constants import StaffRole

API = "/api/v1/catalog"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


# --- fixtures ----------------------------------------------------------------


@pytest.fixture
def world(db, make_user):
    """Liaoning with Shenyang (and its Heping district) and Dalian; a provincial
    department, a city bureau and a district bureau; a user of every kind."""
    load_reference_data()
    province = DivisionFactory(
        code="210000", name="辽宁省", kind="省", level="province"
    )
    shenyang = DivisionFactory(
        code="210100", name="沈阳市", kind="市", level="prefecture", parent=province
    )
    heping = DivisionFactory(
        code="210102", name="和平区", kind="区", level="county", parent=shenyang
    )
    dalian = DivisionFactory(
        code="210200", name="大连市", kind="市", level="prefecture", parent=province
    )
    own = OrganisationFactory(
        name="辽宁省公安厅",
        division=province,
        level=2,
        credit_code=make_credit_code("210000"),
    )
    other = OrganisationFactory(
        name="沈阳市民政局",
        division=shenyang,
        level=3,
        credit_code=make_credit_code("210100"),
    )
    district = OrganisationFactory(
        name="和平区民政局",
        division=heping,
        level=4,
        credit_code=make_credit_code("210102"),
    )
    office = OrganisationFactory(
        name="辽宁省委编办",
        division=province,
        level=2,
        credit_code=make_credit_code("210000"),
    )
    editor_own = make_user("editor_own", first_name="")
    grant(editor_own, own, StaffRole.DEPARTMENT_EDITOR)
    editor_other = make_user("editor_other")
    grant(editor_other, other, StaffRole.DEPARTMENT_EDITOR)
    authority = make_user("authority")
    grant(authority, office, StaffRole.CATALOGUE_AUTHORITY)
    plain = make_user("plain")
    return SimpleNamespace(
        province=province,
        shenyang=shenyang,
        heping=heping,
        dalian=dalian,
        own=own,
        other=other,
        district=district,
        office=office,
        editor_own=editor_own,
        editor_other=editor_other,
        authority=authority,
        plain=plain,
    )


@pytest.fixture
def client_for(world):
    """A test client signed in as the named kind of user (``anonymous``: none)."""

    def make(kind: str) -> Client:
        client = Client()
        if kind != "anonymous":
            client.force_login(getattr(world, kind))
        return client

    return make


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def published(organisation, name: str = "居民身份证申领", **item_fields):
    """A listing of a new base item with a version in force since yesterday."""
    item = BaseItemFactory(name=name, **item_fields)
    listing = ListingFactory(base_item=item, organisation=organisation)
    return ListingVersionFactory(listing=listing, number=1, published=True)


def draft_of(organisation, name: str = "社会团体成立登记", **version_fields):
    listing = ListingFactory(
        base_item=BaseItemFactory(name=name), organisation=organisation
    )
    return ListingVersionFactory(listing=listing, number=1, **version_fields)


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    if code is not None:
        assert body["code"] == code
    return body


def post_json(client: Client, url: str, data=None):
    return client.post(url, data or {}, content_type="application/json")


# --- code tables -------------------------------------------------------------


def test_item_types_and_themes_are_public(world):
    # when
    types = Client().get(f"{API}/item-types")
    themes = Client().get(f"{API}/themes")
    # then
    assert types.status_code == 200
    assert {"code": "01", "name": "行政许可"}.items() <= types.json()[0].items()
    assert themes.status_code == 200
    assert {t["audience"] for t in themes.json()} == {"natural", "legal"}


def test_schema_literals_match_the_model_choices():
    # given the literal types of the OpenAPI document and the model choices
    # then they name the same values
    assert list(schemas.StatusCode.__args__) == list(VersionStatus.values)
    assert list(schemas.ImportStatusCode.__args__) == list(ImportStatus.values)
    assert list(schemas.AudienceCode.__args__) == list(Audience.values)


# --- base catalogue ----------------------------------------------------------


def test_items_are_filtered_and_paginated_by_key(world):
    # given three items, two for natural persons with a theme
    theme = Theme.objects.get(code="household")
    first = BaseItemFactory(name="户口迁移", for_natural_person=True)
    first.themes.add(theme)
    second = BaseItemFactory(name="户口登记", for_natural_person=True)
    second.themes.add(theme)
    BaseItemFactory(
        name="企业设立登记", for_natural_person=False, for_legal_person=True
    )
    BaseItemFactory(name="已停用事项", is_active=False)
    client = Client()
    # when paging through the household theme one by one
    page1 = client.get(f"{API}/items", {"theme": "household", "limit": 1}).json()
    page2 = client.get(
        f"{API}/items",
        {"theme": "household", "limit": 1, "after": page1["next_cursor"]},
    ).json()
    # then
    assert [i["name"] for i in page1["items"]] == ["户口迁移"]
    assert [i["name"] for i in page2["items"]] == ["户口登记"]
    assert page2["next_cursor"] is None
    assert page1["items"][0]["themes"] == ["household"]
    legal = client.get(f"{API}/items", {"audience": "legal"}).json()
    assert [i["name"] for i in legal["items"]] == ["企业设立登记"]
    by_pinyin = client.get(f"{API}/items", {"q": "hkqy"}).json()
    assert [i["name"] for i in by_pinyin["items"]] == ["户口迁移"]
    everything = client.get(f"{API}/items", {"limit": 100}).json()
    assert "已停用事项" not in {i["name"] for i in everything["items"]}


def test_item_detail_lists_only_listings_in_force(world):
    # given an item implemented in force by one organisation and drafted by another
    version = published(world.own)
    ListingVersionFactory(
        listing=ListingFactory(
            base_item=version.listing.base_item, organisation=world.other
        ),
        number=1,
    )
    # when
    response = Client().get(f"{API}/items/{version.listing.base_item.code}")
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "居民身份证申领"
    assert [listing["code"] for listing in body["listings"]] == [version.listing.code]
    assert body["legal_basis"][0]["law"] == "《中华人民共和国行政许可法》"


def test_unknown_item_is_404(world):
    assert_error(Client().get(f"{API}/items/219999999999"), 404, "catalog.not_found")


# --- public listings ---------------------------------------------------------


@pytest.fixture
def catalogue(world):
    """Three listings in force in three divisions, one online."""
    passport = published(world.own, name="普通护照签发", for_legal_person=False)
    passport.listing.base_item.themes.add(Theme.objects.get(code="passport-travel"))
    marriage = published(world.other, name="内地居民婚姻登记")
    ListingVersion.objects.filter(pk=marriage.pk).update(is_online=False)
    relief = published(world.district, name="最低生活保障金给付")
    return SimpleNamespace(passport=passport, marriage=marriage, relief=relief)


def codes_of(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["code"] for item in response.json()["items"]]


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"q": "护"}, ["passport"]),  # one Chinese character
        ({"q": "婚姻"}, ["marriage"]),  # two characters
        ({"q": "hyd"}, ["marriage"]),  # pinyin initials
        ({"q": "putonghuzhao"}, ["passport"]),  # full pinyin
        ({"q": "ZuiDi Sheng"}, ["relief"]),  # case and spaces ignored
        ({"division": "210100"}, ["marriage", "relief"]),  # includes sub-divisions
        ({"division": "210102"}, ["relief"]),
        ({"division": "210200"}, []),
        ({"online": "false"}, ["marriage"]),
        ({"theme": "passport-travel"}, ["passport"]),
        ({"theme": "no-such-theme"}, []),
        ({"item_type": "01"}, ["passport", "marriage", "relief"]),
        ({"item_type": "21"}, []),
        ({"audience": "natural"}, ["passport", "marriage", "relief"]),
        ({"audience": "legal"}, []),
        ({"q": "' OR 1=1 --"}, []),
        ({"q": "%"}, []),
        ({"q": "_"}, ["passport", "marriage", "relief"]),  # only separators
    ],
)
def test_listing_search(catalogue, query, expected):
    # when
    response = Client().get(f"{API}/listings", query)
    # then
    assert codes_of(response) == [
        getattr(catalogue, name).listing.code for name in expected
    ]


def test_listing_search_by_codes_and_organisation(catalogue, world):
    client = Client()
    listing = catalogue.marriage.listing
    assert codes_of(client.get(f"{API}/listings", {"q": listing.code})) == [
        listing.code
    ]
    assert codes_of(client.get(f"{API}/listings", {"q": listing.base_item.code})) == [
        listing.code
    ]
    assert codes_of(
        client.get(f"{API}/listings", {"organisation": world.district.pk})
    ) == [catalogue.relief.listing.code]


def test_listing_search_is_keyset_paginated(catalogue):
    # when
    client = Client()
    first = client.get(f"{API}/listings", {"limit": 2}).json()
    second = client.get(
        f"{API}/listings", {"limit": 2, "after": first["next_cursor"]}
    ).json()
    # then
    assert len(first["items"]) == 2
    assert first["next_cursor"] is not None
    assert len(second["items"]) == 1
    assert second["next_cursor"] is None
    seen = [i["code"] for i in first["items"] + second["items"]]
    assert len(set(seen)) == 3


def test_listing_summary_has_labels(catalogue):
    item = Client().get(f"{API}/listings", {"q": "护照"}).json()["items"][0]
    assert item["organisation"]["name"] == "辽宁省公安厅"
    assert item["division"] == {"code": "210000", "name": "辽宁省"}
    assert item["level_label"] == "省级"
    assert item["depth_level"] == 3
    assert item["depth_label"] == "Ⅲ级"


def test_listing_detail_is_the_guide_in_force_with_downloads(world, media):
    # given a published guide whose material has a published blank form
    form = Attachment.objects.create(
        original_name="申请表.pdf",
        content_type="application/pdf",
        size=len(PDF),
        sm3="0" * 64,
        organisation=world.own,
        is_public=True,
        file=SimpleUploadedFile("x.pdf", PDF),
    )
    guide = complete_guide()
    guide["materials"][1]["blank_form"] = str(form.pk)
    version = published(world.own)
    ListingVersion.objects.filter(pk=version.pk).update(guide=guide)
    # when
    response = Client().get(f"{API}/listings/{version.listing.code}")
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "居民身份证申领"
    assert body["item_code"] == version.listing.base_item.code
    assert body["item_type_name"] == "行政许可"
    assert body["legal_basis"][0]["article"] == "第十二条"
    assert body["depth_label"] == "Ⅲ级"
    assert [s["label"] for s in body["depth_stages"]][:2] == [
        "互联网咨询",
        "互联网收件",
    ]
    assert body["guide"]["accept_conditions"].startswith("申请人")
    assert body["downloads"] == [
        {
            "attachment_id": str(form.pk),
            "role": "blank_form",
            "material": "申请表",
            "name": "申请表.pdf",
            "content_type": "application/pdf",
            "size": len(PDF),
            "url": f"{API}/attachments/{form.pk}",
        }
    ]
    download = Client().get(body["downloads"][0]["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF


# --- the public never sees what is not in force ------------------------------


def _yesterday() -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=1)


def _tomorrow() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=1)


HIDDEN = {
    "draft": {"status": VersionStatus.DRAFT},
    "submitted": {"status": VersionStatus.SUBMITTED},
    "returned": {"status": VersionStatus.RETURNED},
    "discarded": {"status": VersionStatus.DISCARDED},
    "future_dated": {
        "status": VersionStatus.PUBLISHED,
        "effective_from": _tomorrow,
    },
    "cancelled": {
        "status": VersionStatus.PUBLISHED,
        "effective_from": lambda: timezone.localdate() - datetime.timedelta(days=10),
        "effective_until": timezone.localdate,
    },
    "expired": {
        "status": VersionStatus.PUBLISHED,
        "effective_from": lambda: timezone.localdate() - datetime.timedelta(days=10),
        "effective_until": _yesterday,
    },
}


@pytest.mark.parametrize("state", sorted(HIDDEN))
def test_public_never_sees_a_version_not_in_force(world, state):
    # given a listing whose only version is in that state
    fields = {
        key: value() if callable(value) else value
        for key, value in HIDDEN[state].items()
    }
    version = draft_of(world.own, name="隐藏事项", **fields)
    code = version.listing.code
    client = Client()
    # when / then: not found directly, not in search, not under its item
    assert_error(client.get(f"{API}/listings/{code}"), 404, "catalog.not_found")
    assert codes_of(client.get(f"{API}/listings", {"q": "隐藏"})) == []
    assert codes_of(client.get(f"{API}/listings", {"q": code})) == []
    item = client.get(f"{API}/items/{version.listing.base_item.code}").json()
    assert item["listings"] == []
    assert client.get(f"{API}/export.json").json() == []


def test_public_sees_the_version_in_force_not_the_newer_draft(world):
    # given a version in force and a newer draft with another guide
    current = published(world.own)
    ListingVersionFactory(
        listing=current.listing,
        number=2,
        guide=complete_guide(accept_conditions="草稿中的新条件"),
    )
    # when
    body = Client().get(f"{API}/listings/{current.listing.code}").json()
    # then
    assert body["version_number"] == 1
    assert body["guide"]["accept_conditions"] != "草稿中的新条件"


# --- hostile input -----------------------------------------------------------


@pytest.mark.parametrize(
    "path, query",
    [
        ("listings", "limit=abc"),
        ("listings", "limit=0"),
        ("listings", "limit=100000"),
        ("listings", "limit=-5"),
        ("listings", "after=-1"),
        ("listings", "after=99999999999999999999999"),
        ("listings", "after=1.5"),
        ("listings", "division=xyz"),
        ("listings", "division=21"),
        ("listings", "division=2101001"),
        ("listings", "organisation=abc"),
        ("listings", "organisation=0"),
        ("listings", "organisation=99999999999999999999"),
        ("listings", "audience=robot"),
        ("listings", "online=maybe"),
        ("listings", "theme=../../etc/passwd"),
        ("listings", "item_type=1%3B%20DROP%20TABLE"),
        ("listings", "q=" + "护" * 101),
        ("listings", "q=%00"),
        ("listings", "q=abc%00def"),
        ("items", "limit=abc"),
        ("items", "after=-1"),
        ("items", "q=" + "x" * 10000),
        ("items", "audience=anyone"),
        ("items", "theme=%E4%B8%AD"),
    ],
)
def test_bad_query_strings_are_422(world, path, query):
    # when
    response = Client().get(f"{API}/{path}?{query}")
    # then
    body = assert_error(response, 422, "request.invalid")
    assert body["fields"]


@pytest.mark.parametrize(
    "query",
    ["division=", "q=", "theme=&item_type=&audience=", "limit=100", "after=0"],
)
def test_empty_or_edge_query_values_are_accepted(catalogue, query):
    response = Client().get(f"{API}/listings?{query}")
    assert response.status_code == 200


def test_repeated_query_parameters_do_not_break_search(catalogue):
    response = Client().get(f"{API}/listings?q=护&q=婚&limit=1&limit=2")
    assert response.status_code in (200, 422)


@pytest.mark.parametrize(
    "url",
    [
        f"{API}/items/abc",
        f"{API}/items/{'1' * 13}",
        f"{API}/listings/not-a-code",
        f"{API}/listings/{'A' * 32}",
        f"{API}/attachments/not-a-uuid",
    ],
)
def test_bad_path_values_are_422(world, url):
    assert_error(Client().get(url), 422, "request.invalid")


@pytest.mark.parametrize(
    "url", [f"{API}/versions/abc", f"{API}/versions/0", f"{API}/versions/{10**20}"]
)
def test_bad_version_ids_are_422(client_for, url):
    assert_error(client_for("authority").get(url), 422, "request.invalid")


def test_malformed_json_is_400(client_for):
    # when
    response = client_for("authority").post(
        f"{API}/items", data="{not json", content_type="application/json"
    )
    # then
    assert_error(response, 400, "request.malformed")
    assert not BaseItem.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        f"{API}/items",
        f"{API}/attachments",
        f"{API}/imports",
        f"{API}/listings",
        f"{API}/versions/1/comments",
        f"{API}/versions/1/submit",
    ],
)
@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/form-data",  # no boundary: the parser cannot start
        "application/x-www-form-urlencoded; charset=utf-16",  # Django wants UTF-8
    ],
)
def test_unparseable_form_bodies_are_400_not_500(world, url, content_type):
    # given a signed-in browser: the CSRF check reads the form body first
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.authority)
    token = "a" * 32
    client.cookies["csrftoken"] = token
    # when a form body Django cannot parse is posted
    response = client.post(
        url, data=b"a=b", content_type=content_type, headers={"X-CSRFToken": token}
    )
    # then it is refused like malformed JSON, in the API's shape
    assert_error(response, 400, "request.malformed")
    assert not BaseItem.objects.exists()
    assert not AuditEvent.objects.exists()


def test_deeply_nested_json_is_refused(client_for, world):
    version = draft_of(world.own)
    body = '{"guide": ' + "[" * 100000 + "]" * 100000 + "}"
    response = client_for("editor_own").put(
        f"{API}/versions/{version.pk}/guide", data=body, content_type="application/json"
    )
    assert response.status_code in (400, 422)
    assert set(response.json()) == {"code", "message", "fields"}


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [],
        "a string",
        {"name": 123, "item_type": "01", "legal_basis": [{"law": "法"}]},
        {"name": "x", "item_type": "01", "legal_basis": "法"},
        {"name": "x", "item_type": "1", "legal_basis": [{"law": "法"}]},
        {"name": "x" * 201, "item_type": "01", "legal_basis": [{"law": "法"}]},
        {"name": "a\x00b", "item_type": "01", "legal_basis": [{"law": "法"}]},
        {"name": "x", "item_type": "01", "legal_basis": [{"law": "法"}], "themes": 5},
        {"name": "x", "item_type": "01", "legal_basis": [{"law": "法"}] * 51},
    ],
)
def test_bad_item_bodies_are_422_and_change_nothing(client_for, payload):
    # when
    response = client_for("authority").post(
        f"{API}/items",
        data=json.dumps(payload) if payload is not None else "",
        content_type="application/json",
    )
    # then
    assert_error(response, 422)
    assert not BaseItem.objects.exists()
    assert not AuditEvent.objects.filter(event="catalog.base_item_created").exists()


def test_item_with_sql_like_name_is_stored_verbatim(client_for):
    # given a name that looks like SQL
    name = "'; DROP TABLE catalog_baseitem; --"
    # when
    response = post_json(
        client_for("authority"),
        f"{API}/items",
        {"name": name, "item_type": "01", "legal_basis": [{"law": "《法》"}]},
    )
    # then
    assert response.status_code == 201, response.content
    assert BaseItem.objects.get().name == name


# --- base catalogue writes ---------------------------------------------------


def test_authority_creates_main_and_sub_items(client_for):
    client = client_for("authority")
    main = post_json(
        client,
        f"{API}/items",
        {
            "name": "建设工程规划许可",
            "item_type": "01",
            "legal_basis": [{"law": "《城乡规划法》", "article": "第四十条"}],
            "for_legal_person": True,
            "themes": ["construction"],
        },
    )
    assert main.status_code == 201, main.content
    assert main.json()["code"] == "210100001000"
    assert main.json()["themes"] == ["construction"]
    sub = post_json(
        client,
        f"{API}/items",
        {
            "name": "建设工程规划许可（变更）",
            "parent_code": "210100001000",
            "legal_basis": [{"law": "《城乡规划法》"}],
        },
    )
    assert sub.status_code == 201, sub.content
    assert sub.json()["code"] == "210100001001"
    assert sub.json()["parent_code"] == "210100001000"
    # a sub-item of a sub-item does not exist
    nested = post_json(
        client,
        f"{API}/items",
        {
            "name": "再拆分",
            "parent_code": "210100001001",
            "legal_basis": [{"law": "《城乡规划法》"}],
        },
    )
    assert_error(nested, 422, "catalog.invalid_code")


@pytest.mark.parametrize(
    "payload, code, field",
    [
        (
            {"name": "x", "item_type": "77", "legal_basis": [{"law": "法"}]},
            "catalog.unknown_item_type",
            "item_type_code",
        ),
        (
            {"name": "x", "legal_basis": [{"law": "法"}]},
            "catalog.unknown_item_type",
            "item_type",
        ),
        (
            {"name": "x", "item_type": "01", "legal_basis": []},
            "catalog.invalid_legal_basis",
            "legal_basis",
        ),
        (
            {
                "name": "x",
                "item_type": "01",
                "legal_basis": [{"law": "法"}],
                "themes": ["nope"],
            },
            "catalog.unknown_theme",
            "theme_codes",
        ),
        (
            {
                "name": "x",
                "parent_code": "219999999000",
                "legal_basis": [{"law": "法"}],
            },
            "catalog.not_found",
            "parent_code",
        ),
    ],
)
def test_item_creation_errors_name_the_field(client_for, payload, code, field):
    body = assert_error(
        post_json(client_for("authority"), f"{API}/items", payload), 422
    )
    assert body["code"] == code
    assert field in body["fields"]


def test_duplicate_item_name_is_409(client_for):
    BaseItemFactory(name="重名事项")
    response = post_json(
        client_for("authority"),
        f"{API}/items",
        {"name": "重名事项", "item_type": "01", "legal_basis": [{"law": "法"}]},
    )
    assert_error(response, 409, "catalog.name_taken")


def test_patch_item_changes_only_the_fields_sent(client_for):
    # given
    item = BaseItemFactory(name="旧名称", for_natural_person=True)
    # when
    response = client_for("authority").patch(
        f"{API}/items/{item.code}",
        {"name": "新名称", "themes": ["household"]},
        content_type="application/json",
    )
    # then
    assert response.status_code == 200, response.content
    item.refresh_from_db()
    assert item.name == "新名称"
    assert item.for_natural_person is True
    assert list(item.themes.values_list("code", flat=True)) == ["household"]
    assert response.json()["code"] == item.code


@pytest.mark.parametrize("name", ["", "   ", "\t"])
def test_patch_item_with_blank_name_is_422_and_changes_nothing(client_for, name):
    # given
    item = BaseItemFactory(name="旧名称", for_natural_person=True)
    # when the name is blank, together with other changes
    response = client_for("authority").patch(
        f"{API}/items/{item.code}",
        {"name": name, "for_natural_person": False, "themes": ["household"]},
        content_type="application/json",
    )
    # then the name field is named and nothing changes
    body = assert_error(response, 422)
    assert "name" in body["fields"]
    item.refresh_from_db()
    assert item.name == "旧名称"
    assert item.for_natural_person is True
    assert not item.themes.exists()
    assert not AuditEvent.objects.filter(event="catalog.base_item_updated").exists()


# --- listings and versions (staff) -------------------------------------------


def test_full_lifecycle_through_the_api(world, client_for, media):
    """An item is created, claimed, drafted with a file, returned, fixed, published
    and then shown to the public with its file."""
    authority, editor = client_for("authority"), client_for("editor_own")
    # the authority adds the item
    item = post_json(
        authority,
        f"{API}/items",
        {
            "name": "机动车驾驶证核发",
            "item_type": "01",
            "legal_basis": [{"law": "《道路交通安全法》", "article": "第十九条"}],
            "for_natural_person": True,
        },
    ).json()
    # the department claims it
    claimed = post_json(
        editor,
        f"{API}/listings",
        {"item_code": item["code"], "organisation_id": world.own.pk},
    )
    assert claimed.status_code == 201, claimed.content
    code = claimed.json()["code"]
    assert code == f"{world.own.credit_code}2{item['code']}"
    assert claimed.json()["level_label"] == "省级"
    # uploads the result sample
    upload = editor.post(
        f"{API}/attachments",
        {
            "file": SimpleUploadedFile("驾驶证样本.pdf", PDF, "application/pdf"),
            "organisation_id": world.own.pk,
        },
    )
    assert upload.status_code == 201, upload.content
    sample = upload.json()
    assert sample["is_public"] is False
    # the public cannot see the file yet
    assert_error(Client().get(sample["url"]), 404)
    # opens a draft with a guide that breaks a rule: a result without its sample
    guide = complete_guide(result_name="机动车驾驶证")
    created = post_json(
        editor,
        f"{API}/listings/{code}/versions",
        {"guide": guide, "change_reason": "首次编制"},
    )
    assert created.status_code == 201, created.content
    version = created.json()
    assert version["status"] == "draft"
    assert "guide.result_requires_sample" in {i["code"] for i in version["issues"]}
    # cannot submit with a broken rule
    refused = post_json(editor, f"{API}/versions/{version['id']}/submit")
    body = assert_error(refused, 422, "catalog.rules_broken")
    assert "result_sample" in body["fields"]
    # fixes the guide
    guide["result_sample"] = sample["id"]
    saved = editor.put(
        f"{API}/versions/{version['id']}/guide",
        {"guide": guide},
        content_type="application/json",
    )
    assert saved.status_code == 200, saved.content
    assert not [i for i in saved.json()["issues"] if i["severity"] == "error"]
    # submits; the authority returns it with a comment
    assert (
        post_json(editor, f"{API}/versions/{version['id']}/submit").status_code == 200
    )
    returned = post_json(
        authority,
        f"{API}/versions/{version['id']}/return",
        {"comment": "请补充办理时间"},
    )
    assert returned.status_code == 200, returned.content
    assert returned.json()["status"] == "returned"
    assert returned.json()["comments"][0]["body"] == "请补充办理时间"
    # the editor answers, resubmits; the authority publishes from today
    answer = post_json(
        editor, f"{API}/versions/{version['id']}/comments", {"body": "已补充"}
    )
    assert answer.status_code == 201
    assert answer.json()["author"] == "editor_own"
    guide["transact_time"] = "工作日 8:30-17:00"
    editor.put(
        f"{API}/versions/{version['id']}/guide",
        {"guide": guide},
        content_type="application/json",
    )
    assert (
        post_json(editor, f"{API}/versions/{version['id']}/submit").status_code == 200
    )
    published_version = post_json(
        authority,
        f"{API}/versions/{version['id']}/publish",
        {"comment": "同意发布"},
    )
    assert published_version.status_code == 200, published_version.content
    assert published_version.json()["status"] == "published"
    assert published_version.json()["effective_from"] == str(timezone.localdate())
    # the public sees the guide and downloads the sample
    public = Client().get(f"{API}/listings/{code}").json()
    assert public["guide"]["transact_time"] == "工作日 8:30-17:00"
    assert public["downloads"][0]["role"] == "result_sample"
    assert public["downloads"][0]["material"] == "机动车驾驶证"
    assert Client().get(sample["url"]).status_code == 200
    # the editor opens the next draft, a copy of the guide in force
    second = post_json(editor, f"{API}/listings/{code}/versions")
    assert second.status_code == 201, second.content
    assert second.json()["guide"] == public["guide"]
    assert second.json()["number"] == 2
    # and a second open draft is refused
    assert_error(
        post_json(editor, f"{API}/listings/{code}/versions"),
        409,
        "catalog.open_version_exists",
    )
    # the diff of the two is empty, the diff against a changed guide is not
    diff = editor.get(
        f"{API}/versions/{second.json()['id']}/diff", {"against": version["id"]}
    )
    assert diff.status_code == 200
    assert diff.json()["changes"] == []


def test_guide_save_returns_issues_and_refuses_malformed_values(world, client_for):
    # given a draft
    version = draft_of(world.own)
    client = client_for("editor_own")
    url = f"{API}/versions/{version.pk}/guide"
    # when the guide misses an element
    response = client.put(
        url,
        {"guide": complete_guide(transact_address=""), "change_reason": "调整地点"},
        content_type="application/json",
    )
    # then it is saved and the issue is listed for the field
    assert response.status_code == 200, response.content
    issues = response.json()["issues"]
    assert {
        "code": "guide.missing_element",
        "field": "transact_address",
        "message": "办事指南缺少“办理地点”。",
        "severity": "error",
    } in issues
    assert response.json()["change_reason"] == "调整地点"
    version.refresh_from_db()
    assert version.guide["transact_address"] == ""
    # when a value is malformed
    bad = client.put(
        url,
        {"guide": {"materials": [{"name": ""}], "visits": "many", "unknown": 1}},
        content_type="application/json",
    )
    # then it is refused in Chinese per field, and nothing changes
    body = assert_error(bad, 422, "catalog.invalid_guide")
    assert body["fields"]["materials.0.name"] == ["不能为空。"]
    assert body["fields"]["visits"] == ["应为整数。"]
    assert body["fields"]["unknown"] == ["不是办事指南的字段。"]
    version.refresh_from_db()
    assert version.guide["transact_address"] == ""


@pytest.mark.parametrize(
    "body",
    [
        None,
        {},
        {"guide": "text"},
        {"guide": []},
        {"guide": {"accept_conditions": "a\u0000b"}},
        {"guide": {"materials": [{"name": "x\u0007"}]}},
    ],
)
def test_guide_save_refuses_wrong_types(world, client_for, body):
    version = draft_of(world.own)
    before = dict(version.guide)
    response = client_for("editor_own").put(
        f"{API}/versions/{version.pk}/guide",
        data=json.dumps(body) if body is not None else "",
        content_type="application/json",
    )
    assert_error(response, 422)
    version.refresh_from_db()
    assert version.guide == before


def test_guide_referencing_a_missing_attachment_is_refused(world, client_for):
    version = draft_of(world.own)
    guide = complete_guide(result_name="证书", result_sample=str(uuid.uuid4()))
    response = client_for("editor_own").put(
        f"{API}/versions/{version.pk}/guide",
        {"guide": guide},
        content_type="application/json",
    )
    body = assert_error(response, 422, "catalog.invalid_guide")
    assert "attachments" in body["fields"]


def test_published_version_cannot_be_edited_or_published_again(world, client_for):
    version = published(world.own)
    editor, authority = client_for("editor_own"), client_for("authority")
    assert_error(
        editor.put(
            f"{API}/versions/{version.pk}/guide",
            {"guide": complete_guide()},
            content_type="application/json",
        ),
        409,
        "catalog.invalid_transition",
    )
    assert_error(
        post_json(authority, f"{API}/versions/{version.pk}/publish"),
        409,
        "catalog.invalid_transition",
    )


def test_publish_dates_are_checked(world, client_for):
    version = draft_of(world.own, status=VersionStatus.SUBMITTED)
    authority = client_for("authority")
    url = f"{API}/versions/{version.pk}/publish"
    past = assert_error(
        post_json(authority, url, {"effective_from": str(_yesterday())}),
        422,
        "catalog.invalid_date",
    )
    assert "effective_from" in past["fields"]
    assert_error(
        post_json(
            authority,
            url,
            {"effective_from": str(_tomorrow()), "effective_until": str(_tomorrow())},
        ),
        422,
        "catalog.invalid_date",
    )
    assert_error(
        post_json(authority, url, {"effective_from": "2026-13-45"}),
        422,
        "request.invalid",
    )
    future = post_json(authority, url, {"effective_from": str(_tomorrow())})
    assert future.status_code == 200
    # a version published for tomorrow is not public today
    assert_error(Client().get(f"{API}/listings/{version.listing.code}"), 404)


def test_return_requires_a_comment(world, client_for):
    version = draft_of(world.own, status=VersionStatus.SUBMITTED)
    response = post_json(client_for("authority"), f"{API}/versions/{version.pk}/return")
    body = assert_error(response, 422, "catalog.invalid_guide")
    assert "comment" in body["fields"]
    version.refresh_from_db()
    assert version.status == VersionStatus.SUBMITTED


def test_cancel_listing_ends_the_version_in_force(world, client_for):
    version = published(world.own)
    cancel_on = timezone.localdate() + datetime.timedelta(days=30)
    response = post_json(
        client_for("authority"),
        f"{API}/listings/{version.listing.code}/cancel",
        {"cancel_on": str(cancel_on), "reason": "法律修订取消该事项"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["effective_until"] == str(cancel_on)
    missing = post_json(
        client_for("authority"),
        f"{API}/listings/{version.listing.code}/cancel",
        {"cancel_on": str(cancel_on)},
    )
    assert_error(missing, 422, "catalog.invalid_guide")
    unknown = post_json(
        client_for("authority"),
        f"{API}/listings/{'9' * 18}2{'1' * 12}/cancel",
        {"cancel_on": str(cancel_on), "reason": "x"},
    )
    assert_error(unknown, 404, "catalog.not_found")


def test_claiming_checks_references(world, client_for):
    client = client_for("editor_own")
    unknown_item = post_json(
        client,
        f"{API}/listings",
        {"item_code": "219999999000", "organisation_id": world.own.pk},
    )
    assert "item_code" in assert_error(unknown_item, 422)["fields"]
    item = BaseItemFactory()
    unknown_org = post_json(
        client, f"{API}/listings", {"item_code": item.code, "organisation_id": 10**12}
    )
    assert "organisation_id" in assert_error(unknown_org, 422)["fields"]
    first = post_json(
        client,
        f"{API}/listings",
        {"item_code": item.code, "organisation_id": world.own.pk},
    )
    assert first.status_code == 201
    again = post_json(
        client,
        f"{API}/listings",
        {"item_code": item.code, "organisation_id": world.own.pk},
    )
    assert_error(again, 409, "catalog.listing_exists")
    assert Listing.objects.count() == 1


# --- staff reads -------------------------------------------------------------


def test_versions_list_is_scoped_filtered_and_paginated(world, client_for):
    # given versions of two organisations
    own_draft = draft_of(world.own, name="本单位草稿")
    own_published = published(world.own, name="本单位已发布")
    other_draft = draft_of(world.other, name="外单位草稿")
    # when
    editor = client_for("editor_own")
    mine = editor.get(f"{API}/versions").json()
    drafts = editor.get(f"{API}/versions", {"status": "draft"}).json()
    everything = client_for("authority").get(f"{API}/versions").json()
    page = client_for("authority").get(f"{API}/versions", {"limit": 2}).json()
    rest = (
        client_for("authority")
        .get(f"{API}/versions", {"limit": 2, "after": page["next_cursor"]})
        .json()
    )
    # then
    assert {v["id"] for v in mine["items"]} == {own_draft.pk, own_published.pk}
    assert [v["id"] for v in drafts["items"]] == [own_draft.pk]
    assert {v["id"] for v in everything["items"]} == {
        own_draft.pk,
        own_published.pk,
        other_draft.pk,
    }
    assert len(page["items"]) == 2 and len(rest["items"]) == 1
    assert rest["next_cursor"] is None
    # an editor cannot open another organisation's version
    assert_error(editor.get(f"{API}/versions/{other_draft.pk}"), 404)
    assert editor.get(f"{API}/versions/{own_draft.pk}").status_code == 200


@pytest.mark.parametrize(
    "url", ["/versions", "/report/consistency", "/versions?status=draft"]
)
@pytest.mark.parametrize("kind, status", [("anonymous", 401), ("plain", 403)])
def test_staff_reads_refuse_the_public_and_users_without_roles(
    client_for, url, kind, status
):
    assert_error(client_for(kind).get(f"{API}{url}"), status)


@pytest.mark.parametrize(
    "query", ["status=open", "status=", "organisation=x", "listing=abc", "limit=101"]
)
def test_versions_list_bad_filters(client_for, query):
    response = client_for("authority").get(f"{API}/versions?{query}")
    if query == "status=":
        assert response.status_code == 200
    else:
        assert_error(response, 422, "request.invalid")


def test_diff_shows_field_changes_within_one_listing(world, client_for):
    # given two versions of one listing and a version of another
    old = published(world.own)
    new = ListingVersionFactory(
        listing=old.listing,
        number=2,
        guide=complete_guide(visits=0, supports_express=True),
    )
    elsewhere = draft_of(world.own, name="另一事项")
    hidden = draft_of(world.other, name="外单位事项")
    client = client_for("editor_own")
    # when
    response = client.get(f"{API}/versions/{new.pk}/diff", {"against": old.pk})
    # then
    assert response.status_code == 200
    changes = {c["path"]: (c["old"], c["new"]) for c in response.json()["changes"]}
    assert changes["visits"] == (1, 0)
    assert changes["supports_express"] == (False, True)
    assert_error(
        client.get(f"{API}/versions/{new.pk}/diff", {"against": elsewhere.pk}),
        422,
        "catalog.not_same_listing",
    )
    assert_error(
        client.get(f"{API}/versions/{new.pk}/diff", {"against": hidden.pk}),
        404,
        "catalog.not_found",
    )
    assert_error(client.get(f"{API}/versions/{new.pk}/diff"), 422, "request.invalid")
    assert_error(
        client.get(f"{API}/versions/{new.pk}/diff", {"against": "x"}),
        422,
        "request.invalid",
    )


def test_consistency_report_counts_problems(world, client_for):
    # given one listing in force missing its address and one complete
    broken = published(world.other, name="有问题的事项")
    ListingVersion.objects.filter(pk=broken.pk).update(
        guide=complete_guide(transact_address="")
    )
    published(world.own, name="完整事项")
    # when
    authority = client_for("authority").get(f"{API}/report/consistency").json()
    scoped = client_for("editor_own").get(f"{API}/report/consistency").json()
    by_division = (
        client_for("authority")
        .get(f"{API}/report/consistency", {"division": "210200"})
        .json()
    )
    # then
    assert authority["checked"] == 2
    assert [r["listing_code"] for r in authority["rows"]] == [broken.listing.code]
    assert authority["rows"][0]["problems"] == ["missing_elements"]
    assert authority["rows"][0]["problem_labels"] == ["指南要素缺失"]
    assert authority["by_division"] == {"沈阳市": {"missing_elements": 1}}
    assert authority["by_organisation"] == {"沈阳市民政局": {"missing_elements": 1}}
    assert scoped["checked"] == 1 and scoped["rows"] == []
    assert by_division["checked"] == 0
    bad = client_for("authority").get(f"{API}/report/consistency?division=abc")
    assert_error(bad, 422, "request.invalid")


# --- attachments -------------------------------------------------------------


@pytest.fixture
def unpublished_file(world, media):
    return Attachment.objects.create(
        original_name='内部 材料"表";.pdf',
        content_type="application/pdf",
        size=len(PDF),
        sm3="0" * 64,
        organisation=world.own,
        uploaded_by=world.editor_own,
        file=SimpleUploadedFile("x.pdf", PDF),
    )


@pytest.mark.parametrize(
    "kind, allowed",
    [
        ("anonymous", False),
        ("plain", False),
        ("editor_other", False),
        ("editor_own", True),
        ("authority", True),
    ],
)
def test_unpublished_file_is_404_to_all_but_its_staff(
    client_for, unpublished_file, kind, allowed
):
    # when
    response = client_for(kind).get(f"{API}/attachments/{unpublished_file.pk}")
    # then: refused exactly like a file that does not exist
    if allowed:
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
    else:
        body = assert_error(response, 404, "catalog.not_found")
        missing = client_for(kind).get(f"{API}/attachments/{uuid.uuid4()}")
        assert missing.json() == body


def test_download_headers(client_for, unpublished_file):
    # when
    response = client_for("editor_own").get(f"{API}/attachments/{unpublished_file.pk}")
    # then
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Length"] == str(len(PDF))
    assert response["Cache-Control"] == "private, no-store"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="')
    assert (
        "filename*=UTF-8''%E5%86%85%E9%83%A8%20%E6%9D%90%E6%96%99%22%E8%A1%A8%22%3B.pdf"
        in disposition
    )
    fallback = disposition.split('filename="')[1].split('"')[0]
    assert fallback.isascii() and '"' not in fallback and ";" not in fallback


def test_download_of_a_lost_file_is_404_not_500(client_for, unpublished_file):
    unpublished_file.file.storage.delete(unpublished_file.file.name)
    response = client_for("authority").get(f"{API}/attachments/{unpublished_file.pk}")
    assert_error(response, 404, "catalog.not_found")


def test_upload_refuses_bad_files(world, client_for, media, settings):
    settings.ZHENGWU_ATTACHMENT_MAX_BYTES = 64
    client = client_for("editor_own")
    too_big = client.post(
        f"{API}/attachments",
        {"file": SimpleUploadedFile("big.pdf", PDF + b"0" * 100)},
    )
    assert_error(too_big, 400, "catalog.invalid_file")
    script = client.post(
        f"{API}/attachments",
        {"file": SimpleUploadedFile("申请表.pdf", b"<script>alert(1)</script>")},
    )
    assert "申请表.pdf" in assert_error(script, 400, "catalog.invalid_file")["message"]
    empty = client.post(
        f"{API}/attachments", {"file": SimpleUploadedFile("e.pdf", b"")}
    )
    assert_error(empty, 400, "catalog.invalid_file")
    missing = client.post(f"{API}/attachments", {})
    assert_error(missing, 422, "request.invalid")
    bad_org = client.post(
        f"{API}/attachments",
        {"file": SimpleUploadedFile("a.pdf", PDF), "organisation_id": "abc"},
    )
    assert_error(bad_org, 422, "request.invalid")
    assert not Attachment.objects.exists()


def test_upload_keeps_the_original_name_without_paths(world, client_for, media):
    response = client_for("editor_own").post(
        f"{API}/attachments",
        {
            "file": SimpleUploadedFile("../../办事\x01指南.pdf", PDF),
            "organisation_id": world.own.pk,
        },
    )
    assert response.status_code == 201, response.content
    attachment = Attachment.objects.get()
    assert attachment.original_name == "办事指南.pdf"
    assert response.json()["sm3"] == attachment.sm3
    assert response.json()["size"] == len(PDF)


# --- CSRF --------------------------------------------------------------------


def test_session_writes_need_the_csrf_token(world):
    # given a signed-in authority on a client that enforces CSRF
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.authority)
    payload = {
        "name": "跨站请求事项",
        "item_type": "01",
        "legal_basis": [{"law": "法"}],
    }
    # when posting without the token
    refused = client.post(f"{API}/items", payload, content_type="application/json")
    # then nothing happens
    assert_error(refused, 403)
    assert not BaseItem.objects.exists()
    # when the token from the cookie is sent back in the header
    client.get(f"{API}/items")
    token = "a" * 32
    client.cookies["csrftoken"] = token
    accepted = client.post(
        f"{API}/items",
        payload,
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    # then the item is created
    assert accepted.status_code == 201, accepted.content
    # reads need no token
    assert client.get(f"{API}/versions").status_code == 200


# --- export and import -------------------------------------------------------


def test_public_json_export_is_the_catalogue_in_force(catalogue, world):
    # given a draft besides the three listings in force
    draft_of(world.own, name="草稿事项")
    # when
    everything = Client().get(f"{API}/export.json")
    shenyang = Client().get(f"{API}/export.json", {"division": "210100"})
    # then
    assert everything.status_code == 200
    assert sorted(r["task_code"] for r in everything.json()) == sorted(
        v.listing.code
        for v in (catalogue.passport, catalogue.marriage, catalogue.relief)
    )
    assert sorted(r["task_code"] for r in shenyang.json()) == sorted(
        [catalogue.marriage.listing.code, catalogue.relief.listing.code]
    )


def test_workbook_export(catalogue, client_for, world):
    # given a draft of the editor's organisation
    draft = draft_of(world.own, name="草稿事项")
    # when
    public = Client().get(f"{API}/export.xlsx")
    drafts = client_for("editor_own").get(
        f"{API}/export.xlsx", {"scope": "staff", "status": "draft"}
    )
    # then
    assert public.status_code == 200
    assert public["Content-Type"] == XLSX
    assert public["Content-Disposition"].startswith('attachment; filename="catalog-')
    assert _codes_in_workbook(public.content) == sorted(
        v.listing.code
        for v in (catalogue.passport, catalogue.marriage, catalogue.relief)
    )
    assert drafts.status_code == 200
    assert _codes_in_workbook(drafts.content) == [draft.listing.code]


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _codes_in_workbook(content: bytes) -> list[str]:
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    headers = [c.value for c in next(iter(sheet.iter_rows(max_row=1)))]
    column = headers.index("实施编码")
    return sorted(row[column] for row in rows if row[column])


def test_staff_export_is_scoped(catalogue, client_for, world):
    # when
    own = client_for("editor_own").get(f"{API}/export.json", {"scope": "staff"})
    everything = client_for("authority").get(f"{API}/export.json", {"scope": "staff"})
    # then
    assert [r["task_code"] for r in own.json()] == [catalogue.passport.listing.code]
    assert len(everything.json()) == 3


@pytest.mark.parametrize(
    "kind, query, status, code",
    [
        ("anonymous", {"scope": "staff"}, 401, "auth.required"),
        ("plain", {"scope": "staff"}, 403, "catalog.not_allowed"),
        ("anonymous", {"status": "draft"}, 422, "catalog.not_allowed"),
        ("anonymous", {"scope": "everyone"}, 422, "request.invalid"),
        ("anonymous", {"status": "secret"}, 422, "request.invalid"),
        ("anonymous", {"division": "abc"}, 422, "request.invalid"),
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xlsx"])
def test_export_refusals(client_for, kind, query, status, code, fmt):
    response = client_for(kind).get(f"{API}/export.{fmt}", query)
    assert_error(response, status, code)


def test_export_has_a_size_limit(catalogue, settings):
    settings.ZHENGWU_EXPORT_MAX_ROWS = 2
    assert_error(Client().get(f"{API}/export.json"), 422, "catalog.export_too_large")
    assert Client().get(f"{API}/export.json", {"division": "210100"}).status_code == 200


def test_import_reports_progress_and_result(world, client_for, media):
    # given a workbook changing the guide in force of the editor's listing
    version = published(world.own)
    book = openpyxl.load_workbook(io.BytesIO(transfer.export_workbook([version])))
    sheet = book.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    sheet.cell(row=3, column=headers.index("受理条件") + 1, value="新的受理条件")
    buffer = io.BytesIO()
    book.save(buffer)
    client = client_for("editor_own")
    # when it is uploaded
    started = client.post(
        f"{API}/imports",
        {"file": SimpleUploadedFile("实施清单.xlsx", buffer.getvalue())},
    )
    # then a job is queued
    assert started.status_code == 202, started.content
    job = started.json()
    assert job["status"] == "pending"
    assert job["original_name"] == "实施清单.xlsx"
    # when the worker runs it
    transfer.import_job_run(job_id=job["id"])
    done = client.get(f"{API}/imports/{job['id']}").json()
    # then the listing has a new draft with the imported guide
    assert done["status"] == "succeeded", done
    assert done["processed_rows"] == done["total_rows"] > 0
    assert done["errors"] == []
    assert done["summary"]["created"] == [version.listing.code]
    draft = ListingVersion.objects.get(
        pk=done["summary"]["versions"][version.listing.code]
    )
    assert draft.status == VersionStatus.DRAFT
    assert draft.guide["accept_conditions"] == "新的受理条件"


def test_import_refuses_what_is_not_a_workbook(client_for, media):
    client = client_for("editor_own")
    not_xlsx = client.post(
        f"{API}/imports", {"file": SimpleUploadedFile("清单.xlsx", b"hello")}
    )
    assert_error(not_xlsx, 400, "catalog.invalid_file")
    missing = client.post(f"{API}/imports", {})
    assert_error(missing, 422, "request.invalid")
    assert not ImportJob.objects.exists()
    assert_error(client.get(f"{API}/imports/{10**12}"), 404, "catalog.not_found")
    assert_error(client.get(f"{API}/imports/abc"), 422, "request.invalid")


def test_import_limit_is_enforced_without_reading_everything(
    client_for, media, settings
):
    settings.ZHENGWU_IMPORT_MAX_BYTES = 100
    response = client_for("editor_own").post(
        f"{API}/imports",
        {"file": SimpleUploadedFile("big.xlsx", b"PK\x03\x04" + b"0" * 10_000)},
    )
    assert_error(response, 400, "catalog.invalid_file")
    assert not ImportJob.objects.exists()


def test_oversized_body_is_refused_without_a_server_error(world, client_for):
    version = draft_of(world.own)
    body = '{"guide": {"accept_conditions": "' + "x" * (6 * 1024 * 1024) + '"}}'
    response = client_for("editor_own").put(
        f"{API}/versions/{version.pk}/guide", body, content_type="application/json"
    )
    assert response.status_code in (400, 413)
    version.refresh_from_db()
    assert version.guide["accept_conditions"] != "x"


# --- query counts do not grow with the page ----------------------------------


@pytest.mark.parametrize(
    "url, kind", [("/listings", "anonymous"), ("/items", "anonymous")]
)
def test_public_pages_use_a_fixed_number_of_queries(
    world, client_for, django_assert_max_num_queries, url, kind
):
    # given many listings in force
    for number in range(15):
        published(world.own, name=f"批量事项{number}")
    client = client_for(kind)
    # when / then
    with django_assert_max_num_queries(6):
        response = client.get(f"{API}{url}", {"limit": 100})
    assert len(response.json()["items"]) == 15


def test_versions_page_uses_a_fixed_number_of_queries(
    world, client_for, django_assert_max_num_queries
):
    for number in range(15):
        draft_of(world.own, name=f"批量草稿{number}")
    client = client_for("editor_own")
    client.get(f"{API}/versions")  # the session and the user are loaded once
    with django_assert_max_num_queries(8):
        response = client.get(f"{API}/versions", {"limit": 100})
    assert len(response.json()["items"]) == 15


# --- the OpenAPI document ----------------------------------------------------


@pytest.fixture
def openapi():
    from zhengwu.api import api

    return json.loads(json.dumps(api.get_openapi_schema(), default=str))


def _catalog_operations(document):
    for path, operations in document["paths"].items():
        if path.startswith("/api/v1/catalog/"):
            for method, operation in operations.items():
                yield path, method, operation


def test_openapi_declares_errors_and_auth_of_every_operation(openapi):
    error = {"$ref": "#/components/schemas/ErrorOut"}
    operations = list(_catalog_operations(openapi))
    assert len(operations) == 27
    for path, method, operation in operations:
        responses = operation["responses"]
        if operation.get("parameters") or operation.get("requestBody"):
            schema = responses["422"]["content"]["application/json"]["schema"]
            assert schema == error, (path, method)
        staff = "security" in operation
        if staff:
            assert operation["security"] == [
                {"BearerTokenAuth": []},
                {"SessionAuth": []},
            ]
            for status in ("400", "401", "403", "404", "409"):
                schema = responses[status]["content"]["application/json"]["schema"]
                assert schema == error, (path, method, status)
        # writes are staff operations
        assert staff or method == "get", (path, method)


def test_openapi_documents_the_guide_body(openapi):
    schemas_ = openapi["components"]["schemas"]
    assert schemas_["GuideSaveIn"]["properties"]["guide"] == {
        "$ref": "#/components/schemas/Guide"
    }
    assert "materials" in schemas_["Guide"]["properties"]


def test_export_openapi_command_is_deterministic(capsys):
    from django.core.management import call_command

    call_command("export_openapi")
    first = capsys.readouterr().out
    call_command("export_openapi")
    second = capsys.readouterr().out
    assert first == second
    assert first.endswith("}\n")
    assert "事项类型" in first  # not \u-escaped
    document = json.loads(first)
    assert list(document) == sorted(document)


def test_api_documentation_is_served_without_outside_network(client):
    # when a developer of another department opens the interactive documentation
    response = client.get("/api/v1/docs")
    # then it loads Swagger UI from the platform itself, not from a CDN
    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn." not in page
