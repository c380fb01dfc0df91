"""Hostile input to the identity surface: every refusal names the field (or the
OAuth 2.0 parameter) and changes nothing; nothing a caller can send is a 500.

Found by schemathesis against /api/v1/identity/ and by fuzzing /o/ and the pages,
on PostgreSQL (which refuses NUL in text and time-zone offsets past ±15:59) and
SQLite. Run on PostgreSQL with ZHENGWU_DATABASE_URL to see the database cases fail
without their fixes."""

import base64
import datetime

from django.contrib.auth import get_user_model

import pytest

from zhengwu.core.models import AuditEvent
from zhengwu.core.validators import is_valid_id_number, is_valid_uscc
from zhengwu.identity import login, persons
from zhengwu.identity.errors import IdentityError
from zhengwu.identity.models import Authorisation, Person

from .oidc_support import make_person_user, register
from .person_factories import (
    PASSWORD,
    make_citizen,
    make_id_number,
    make_mobile,
    population_record,
)
from .test_admin_pages import client_for, world  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

ADMIN = "/api/v1/identity/admin"
ME = "/api/v1/identity/me"
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def _fields(response) -> dict:
    body = response.json()
    assert body["code"] == "request.invalid", body
    return body["fields"]


# --- API: instants -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        # year 1 east of UTC is before year 1 in UTC
        ("until=0001-01-01T00:00:00%2B08:00", "until"),
        ("since=1899-12-31T00:00:00Z", "since"),
        # pydantic reads a number as Unix seconds: not a date to a person
        ("until=0.5", "until"),
        ("until=tomorrow", "until"),
    ],
)
def test_audit_log_refuses_an_instant_out_of_range_naming_it(client_for, query, field):  # noqa: F811
    response = client_for("audit_admin").get(f"{ADMIN}/audit?{query}")
    assert response.status_code == 422, response.content[:300]
    assert field in _fields(response)
    assert (
        "应为" in _fields(response)[field][0] or "之间" in _fields(response)[field][0]
    )


def test_audit_log_reads_an_offset_postgresql_cannot_store_in_utc(client_for):  # noqa: F811
    # PostgreSQL refuses offsets past ±15:59: this was a 500 there
    response = client_for("audit_admin").get(
        f"{ADMIN}/audit?since=3791-09-08T03:29:43-16:58&until=2000-01-01T00:00:00%2B23:59"
    )
    assert response.status_code == 200
    assert response.json()["items"] == []


def test_audit_log_reads_an_offset_instant_as_the_same_moment(client_for):  # noqa: F811
    viewer = client_for("audit_admin")
    newest = AuditEvent.objects.order_by("-pk").first()
    assert newest is not None
    moment = newest.occurred_at.astimezone(
        datetime.timezone(datetime.timedelta(hours=8))
    )
    response = viewer.get(f"{ADMIN}/audit", {"until": moment.isoformat()})
    assert response.status_code == 200
    assert newest.pk not in {row["id"] for row in response.json()["items"]}


def test_authorisation_with_an_impossible_end_is_refused_and_not_created(client):
    principal = make_citizen("张三")
    agent = make_citizen("李四")
    client.force_login(principal.user)
    response = client.post(
        f"{ME}/authorisations",
        {
            "agent_name": "李四",
            "agent_id_number": agent.clear_id_number,
            "all_items": True,
            "valid_until": "9999-12-31T23:59:59-01:00",
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    assert _fields(response)["valid_until"]
    assert not Authorisation.objects.exists()


# --- API: text and identifiers ------------------------------------------------------


def test_staff_account_with_a_nul_in_its_name_is_refused_naming_the_field(client_for):  # noqa: F811
    response = client_for("system_admin").post(
        f"{ADMIN}/staff",
        {"username": "nul", "full_name": "张\x00三", "roles": []},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert _fields(response)["full_name"] == ["不能包含控制字符。"]
    assert not get_user_model().objects.filter(username="nul").exists()


@pytest.mark.parametrize(
    "query", ["q=%00", "role=a%00", "after=%00", "organisation=99999999999999999999"]
)
def test_staff_list_refuses_control_characters_and_huge_ids(client_for, query):  # noqa: F811
    response = client_for("system_admin").get(f"{ADMIN}/staff?{query}")
    assert response.status_code == 422
    assert _fields(response)


@pytest.mark.parametrize("query", ["actor=%00", "event=a%00", "target=%00x"])
def test_audit_log_refuses_control_characters(client_for, query):  # noqa: F811
    response = client_for("audit_admin").get(f"{ADMIN}/audit?{query}")
    assert response.status_code == 422
    assert _fields(response)[query.split("=")[0]] == ["不能包含控制字符。"]


@pytest.mark.parametrize(
    "path",
    [
        "/authorisations/99999999999999999999/revoke",
        "/authorisations/0/revoke",
        "/entities/99999999999999999999/clerks",
    ],
)
def test_me_api_refuses_an_id_out_of_range(client, path):
    citizen = make_citizen("王五")
    client.force_login(citizen.user)
    method = client.post if path.endswith("revoke") else client.get
    response = method(f"{ME}{path}")
    assert response.status_code == 422
    assert set(_fields(response)) & {"authorisation_id", "entity_id"}


def test_sms_code_with_a_body_that_is_not_json_is_a_documented_400(client):
    response = client.post(
        "/api/v1/identity/accounts/sms-codes", b"\x00", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "request.malformed"
    schema = client.get("/api/v1/openapi.json").json()
    responses = schema["paths"]["/api/v1/identity/accounts/sms-codes"]["post"]
    assert "400" in responses["responses"]


# --- ID numbers: one number, one spelling --------------------------------------------


def test_validators_accept_ascii_only():
    number = make_id_number()
    assert is_valid_id_number(number)
    assert not is_valid_id_number(number.translate(FULL_WIDTH))
    assert not is_valid_id_number(number + "\n")
    assert not is_valid_uscc("91210100" + "５" * 10)


def test_a_full_width_id_number_registers_the_same_person_as_the_ascii_one():
    id_number = make_id_number()
    population_record("赵六", id_number)
    person = persons.register_person(
        name="赵六",
        id_number=id_number.translate(FULL_WIDTH),
        mobile=make_mobile(),
        password=PASSWORD,
    )
    person.refresh_from_db()
    assert person.id_number == id_number  # stored in ASCII
    assert persons.find_person_by_id_number(id_number) == person
    with pytest.raises(IdentityError) as refused:
        persons.register_person(
            name="赵六", id_number=id_number, mobile=make_mobile(), password=PASSWORD
        )
    assert "id_number" in refused.value.fields
    assert Person.objects.filter(name="赵六").count() == 1


def test_login_finds_the_account_by_a_full_width_or_lowercase_id_number():
    citizen = make_citizen("钱七")
    number = citizen.clear_id_number
    assert login.find_user(number.translate(FULL_WIDTH)) == citizen.user
    assert login.find_user(f" {number.lower()} ") == citizen.user


def test_registration_page_accepts_a_full_width_id_number_as_ascii(client):
    id_number = make_id_number()
    response = client.post(
        "/accounts/register/",
        {
            "name": "孙八",
            "id_number": id_number.translate(FULL_WIDTH),
            "mobile": make_mobile(),
            "code": "",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "id_number" not in form.errors  # only the missing SMS code is refused
    assert form.cleaned_data["id_number"] == id_number
    assert "code" in form.errors


# --- the OpenID Connect endpoints ----------------------------------------------------


@pytest.fixture
def rp():
    return register("健壮性测试", "https://rp.example/cb")


@pytest.mark.parametrize("field", ["code", "redirect_uri", "code_verifier"])
def test_token_endpoint_refuses_a_nul_as_invalid_request(client, rp, field):
    data = {
        "grant_type": "authorization_code",
        "code": "abc",
        "redirect_uri": "https://rp.example/cb",
        "code_verifier": "v" * 43,
        "client_id": rp.application.client_id,
        "client_secret": rp.client_secret,
    }
    data[field] = "a\x00b"
    response = client.post("/o/token/", data)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert field in response.json()["error_description"]


@pytest.mark.parametrize(
    "credentials",
    [
        "ÿÿ",  # not base64 text (DOT: ValueError)
        base64.b64encode(b"%00:%00").decode(),  # a NUL once percent-decoded
        base64.b64encode(b"\x00:\x00").decode(),
    ],
)
def test_token_endpoint_refuses_malformed_basic_credentials(client, credentials):
    response = client.post(
        "/o/token/",
        {"grant_type": "authorization_code", "code": "x"},
        HTTP_AUTHORIZATION="Basic " + credentials,
    )
    assert response.status_code in (400, 401)
    assert response.json()["error"] in ("invalid_client", "invalid_request")


def test_token_endpoint_refuses_a_multipart_body_without_boundary(client):
    response = client.generic(
        "POST", "/o/token/", b"x" * 10, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    "hint",
    [
        "eyJhbGciOiJSUzI1NiJ9.eyJ.sig",  # payload not JSON
        "eyJhbGciOiJSUzI1NiJ9.7aCA.sig",  # payload not UTF-8
        "eyJhbGciOiJSUzI1NiJ9.MQ.sig",  # payload JSON but not an object
        "a\x00b",
    ],
)
def test_logout_with_a_malformed_id_token_hint_is_refused(client, hint):
    response = client.get("/o/logout/", {"id_token_hint": hint})
    assert response.status_code == 400


def test_consent_form_posted_for_an_unknown_client_is_an_oauth_error(client, rp):
    user = make_person_user("robust-consent")
    client.force_login(user)
    response = client.post(
        "/o/authorize/",
        {
            "client_id": "no-such-client",
            "redirect_uri": "https://rp.example/cb",
            "response_type": "code",
            "scope": "openid",
            "allow": "Authorize",
        },
    )
    assert response.status_code == 400
    assert b"invalid_client" in response.content or b"invalid_request" in (
        response.content
    )


def test_authorize_with_malformed_claims_shows_the_error_not_a_broken_redirect(
    client, rp
):
    user = make_person_user("robust-claims")
    client.force_login(user)
    response = client.get(
        "/o/authorize/",
        {
            "client_id": rp.application.client_id,
            "response_type": "code",
            "redirect_uri": "https://rp.example/cb",
            "scope": "openid",
            "code_challenge": "x" * 43,
            "code_challenge_method": "S256",
            "claims": "not json",
        },
    )
    assert response.status_code == 400
    assert b"invalid_request" in response.content


def test_a_page_continuing_a_nul_client_id_still_renders(client):
    response = client.get(
        "/accounts/login/", {"next": "/o/authorize/?client_id=%00&response_type=code"}
    )
    assert response.status_code == 200


def test_userinfo_with_malformed_authorization_headers_is_401(client):
    for header in ["Bearer", "Bearer ", "Bearer a b", "Basic x", "Bearer " + "x" * 600]:
        response = client.get("/o/userinfo/", HTTP_AUTHORIZATION=header)
        assert response.status_code in (400, 401), header


def test_discovery_and_keys_answer_with_a_garbage_query(client):
    for path in ["/o/.well-known/openid-configuration", "/o/.well-known/jwks.json"]:
        assert client.get(path, {"x": "y"}).status_code == 200


# --- pages ---------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["a\x00b", "\x00", "x" * 5000])
def test_security_page_search_ignores_control_characters(client_for, query):  # noqa: F811
    # a NUL in the search text was a 500 on PostgreSQL
    response = client_for("security_admin").get("/staff/admin/security/", {"q": query})
    assert response.status_code == 200


def test_security_page_search_still_finds_with_a_nul_inside(client_for):  # noqa: F811
    response = client_for("security_admin").get(
        "/staff/admin/security/", {"q": "cl\x00erk"}
    )
    assert response.status_code == 200
    assert "clerk" in response.content.decode()


@pytest.mark.parametrize("after", ["a\x00b", "\x00", "x" * 5000])
def test_staff_list_page_cursor_never_sends_a_nul_to_the_database(client_for, after):  # noqa: F811
    # the page's "after" cursor reached the query as sent (a 500 on PostgreSQL)
    from django.db import connection

    sent: list = []

    def spy(execute, sql, params, many, context):
        sent.extend(params or ())
        return execute(sql, params, many, context)

    admin = client_for("system_admin")
    with connection.execute_wrapper(spy):
        response = admin.get("/staff/admin/", {"after": after})
    assert response.status_code == 200
    assert not any(isinstance(p, str) and "\x00" in p for p in sent)
