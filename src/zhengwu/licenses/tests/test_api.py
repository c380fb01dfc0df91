"""The licences API end to end on the real database: types, issue, change,
suspend/resume/revoke, reading and listing scoped to the caller's organisations,
field-named 4xx for bad bodies (nothing changed), and public verification by
identifier and by file (no personal data)."""

import datetime
import secrets

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

import pytest

from zhengwu.core.models import AuditEvent
from zhengwu.identity.tests.oidc_support import register
from zhengwu.licenses.models import Licence, LicenceEvent, LicenceType

from .factories import FACE_DATA, FACE_SCHEMA

API = "/api/v1/licenses"
JSON = "application/json"


def bearer(user) -> dict[str, str]:
    """An OIDC access token with the ``api`` scope for ``user``."""
    from oauth2_provider.models import (
        AccessToken,
        set_token_value,  # type: ignore[attr-defined]
    )

    registered = register(
        f"证照接口{secrets.token_hex(3)}",
        "https://app.example.gov.cn/cb",
        scopes=("openid", "api"),
    )
    raw = secrets.token_urlsafe(30)
    token = AccessToken(
        user=user,
        application=registered.application,
        scope="openid api",
        expires=timezone.now() + datetime.timedelta(minutes=10),
    )
    set_token_value(token, raw)
    token.save()
    return {"Authorization": f"Bearer {raw}"}


def issue_body(world, **extra):
    body = {
        "type_code": world.licence_type.type_code,
        "issuer_organisation_id": world.bureau.pk,
        "holder": {
            "label": world.holder_label,
            "kind": "person",
            "code": world.id_number,
            "name": "王秀英",
        },
        "face_data": dict(FACE_DATA),
        "valid_from": "2026-11-01",
    }
    body.update(extra)
    return body


def _issue(client, world, headers=None) -> dict:
    response = client.post(
        f"{API}/licences",
        issue_body(world),
        content_type=JSON,
        headers=headers or bearer(world.reviewer),
    )
    assert response.status_code == 201, response.content
    return response.json()


# --- types -------------------------------------------------------------------------


def test_define_and_list_types(client, licence_world):
    world = licence_world
    headers = bearer(world.editor)
    response = client.post(
        f"{API}/types",
        {
            "defining_organisation_id": world.bureau.pk,
            "name": "专业技术资格证书",
            "holder_kind": "person",
            "face_schema": FACE_SCHEMA,
            "valid_years": 5,
        },
        content_type=JSON,
        headers=headers,
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["type_code"] == world.bureau.credit_code + "002"
    assert created["layout_title"] == "专业技术资格证书"
    assert AuditEvent.objects.filter(event="licenses.type_defined").count() == 2

    listed = client.get(f"{API}/types", headers=headers).json()
    codes = [t["type_code"] for t in listed["items"]]
    assert codes == [world.licence_type.type_code, created["type_code"]]
    # another department sees none of them
    other = client.get(f"{API}/types", headers=bearer(world.other_reviewer)).json()
    assert other["items"] == []


def test_define_type_for_another_organisation_is_refused(client, licence_world):
    world = licence_world
    before = LicenceType.objects.count()
    response = client.post(
        f"{API}/types",
        {
            "defining_organisation_id": world.other_bureau.pk,
            "name": "伪造类型",
            "holder_kind": "person",
            "face_schema": FACE_SCHEMA,
        },
        content_type=JSON,
        headers=bearer(world.editor),
    )
    assert response.status_code == 403
    assert response.json()["code"] == "licenses.not_permitted"
    assert LicenceType.objects.count() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"holder_kind": "robot"}, "holder_kind"),
        ({"face_schema": {"type": "array"}}, "face_schema"),
        (
            {"face_schema": {"type": "object", "properties": {"a": {"pattern": "("}}}},
            "face_schema",
        ),
        ({"face_schema": {"type": "object", "required": "a"}}, "face_schema"),
        ({"sequence": "12"}, "sequence"),
        ({"name": ""}, "name"),
        ({"valid_years": 0}, "valid_years"),
        ({"issuing_organisation_ids": [999999]}, "issuing_organisation_ids"),
    ],
)
def test_bad_type_bodies_name_the_field(client, licence_world, change, field):
    world = licence_world
    body = {
        "defining_organisation_id": world.bureau.pk,
        "name": "专业技术资格证书",
        "holder_kind": "person",
        "face_schema": FACE_SCHEMA,
        **change,
    }
    before = LicenceType.objects.count()
    response = client.post(
        f"{API}/types", body, content_type=JSON, headers=bearer(world.editor)
    )
    assert response.status_code == 422, response.content
    assert field in response.json()["fields"], response.json()
    assert LicenceType.objects.count() == before


# --- issue -------------------------------------------------------------------------


def test_issue_returns_the_licence_with_history(client, licence_world):
    world = licence_world
    body = _issue(client, world)
    assert body["identifier"].startswith("1.2.156.3005.2.")
    assert body["status"] == "valid"
    assert body["face_data"] == FACE_DATA
    assert body["valid_from"] == "2026-11-01"
    assert [e["kind"] for e in body["events"]] == ["issue"]
    assert AuditEvent.objects.filter(event="licenses.issued").count() == 1


def test_a_department_cannot_issue_a_type_it_does_not_define(client, licence_world):
    world = licence_world
    response = client.post(
        f"{API}/licences",
        issue_body(world, issuer_organisation_id=world.other_bureau.pk),
        content_type=JSON,
        headers=bearer(world.other_reviewer),
    )
    assert response.status_code == 403
    assert response.json()["code"] == "licenses.issuer_not_authorised"
    # nor in the name of the defining organisation
    response = client.post(
        f"{API}/licences",
        issue_body(world),
        content_type=JSON,
        headers=bearer(world.other_reviewer),
    )
    assert response.status_code == 403
    assert Licence.objects.count() == 0


def test_a_citizen_is_refused_before_anything(client, licence_world, django_user_model):
    citizen = django_user_model.objects.create_user(username="lic-citizen")
    headers = bearer(citizen)
    assert client.get(f"{API}/licences", headers=headers).status_code == 403
    response = client.post(
        f"{API}/licences",
        issue_body(licence_world),
        content_type=JSON,
        headers=headers,
    )
    assert response.status_code == 403
    assert client.get(f"{API}/licences").status_code == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"face_data": {"gender": "男", "qualification": "x"}}, "certificate_number"),
        ({"face_data": {**FACE_DATA, "gender": "其他"}}, "face_data.gender"),
        ({"type_code": "nope"}, "type_code"),
        ({"valid_from": "2026-13-01"}, "valid_from"),
        ({"valid_from": "9999-06-01"}, "valid_from"),
        ({"source_case_number": "a b"}, "source_case_number"),
    ],
)
def test_bad_issue_bodies_name_the_field_and_change_nothing(
    client, licence_world, change, field
):
    world = licence_world
    response = client.post(
        f"{API}/licences",
        issue_body(world, **change),
        content_type=JSON,
        headers=bearer(world.reviewer),
    )
    assert response.status_code == 422, response.content
    assert any(field in key for key in response.json()["fields"]), response.json()
    assert Licence.objects.count() == 0
    assert not AuditEvent.objects.filter(event="licenses.issued").exists()


def test_a_holder_name_unlike_the_record_is_refused_without_showing_it(
    client, licence_world
):
    world = licence_world
    body = issue_body(world)
    body["holder"] = {**body["holder"], "name": "王小英"}
    response = client.post(
        f"{API}/licences", body, content_type=JSON, headers=bearer(world.reviewer)
    )
    assert response.status_code == 422, response.content
    answer = response.json()
    assert answer["code"] == "licenses.invalid_holder"
    assert list(answer["fields"]) == ["holder.name"]
    assert "王秀英" not in response.content.decode()  # the name on record
    assert Licence.objects.count() == 0
    assert not AuditEvent.objects.filter(event="licenses.issued").exists()
    # a caller who may not issue for the issuer is refused as such: the name
    # is not compared for it
    response = client.post(
        f"{API}/licences", body, content_type=JSON, headers=bearer(world.other_reviewer)
    )
    assert response.status_code == 403
    assert Licence.objects.count() == 0


def test_a_holder_name_as_on_record_may_differ_in_spaces_only(client, licence_world):
    world = licence_world
    body = issue_body(world)
    body["holder"] = {**body["holder"], "name": "王 秀英"}
    response = client.post(
        f"{API}/licences", body, content_type=JSON, headers=bearer(world.reviewer)
    )
    assert response.status_code == 201, response.content


def test_the_service_itself_does_not_compare_the_holder_name(licence_world):
    # a case decision issues through the service, and may name the holder
    # otherwise than the record (the API alone compares)
    from zhengwu.licenses import services

    world = licence_world
    licence = services.licence_issue(
        type_code=world.licence_type.type_code,
        issuer_organisation_id=world.bureau.pk,
        holder_label=world.holder_label,
        holder_code=world.id_number,
        holder_name="王小英",
        face_data=dict(FACE_DATA),
        acting_user=world.reviewer,
    )
    assert licence.holder_name == "王小英"


@pytest.mark.parametrize(
    ("holder", "field"),
    [
        ({"kind": "entity"}, "holder.kind"),
        ({"code": "110101199001011234"}, "holder.code"),
        ({"label": "citizen:1"}, "holder.label"),
        ({"name": "   "}, "holder.name"),
    ],
)
def test_bad_holders_name_the_field(client, licence_world, holder, field):
    world = licence_world
    body = issue_body(world)
    body["holder"] = {**body["holder"], **holder}
    response = client.post(
        f"{API}/licences", body, content_type=JSON, headers=bearer(world.reviewer)
    )
    assert response.status_code == 422, response.content
    assert any(key.startswith(field) for key in response.json()["fields"]), (
        response.json()
    )
    assert Licence.objects.count() == 0


def test_malformed_json_is_a_400(client, licence_world):
    response = client.post(
        f"{API}/licences",
        "{not json",
        content_type=JSON,
        headers=bearer(licence_world.reviewer),
    )
    assert response.status_code == 400
    assert Licence.objects.count() == 0


# --- read and list -----------------------------------------------------------------


def test_get_is_audited_and_scoped_to_the_issuer(client, licence_world):
    world = licence_world
    identifier = _issue(client, world)["identifier"]
    response = client.get(
        f"{API}/licences/{identifier}", headers=bearer(world.reviewer)
    )
    assert response.status_code == 200
    assert response.json()["holder_name"] == "王秀英"
    viewed = AuditEvent.objects.filter(event="licenses.viewed")
    assert viewed.count() == 1

    other = bearer(world.other_reviewer)
    assert client.get(f"{API}/licences/{identifier}", headers=other).status_code == 404
    # guessing identifiers says nothing more
    guessed = identifier[:-1] + ("A" if identifier[-1] != "A" else "B")
    assert client.get(f"{API}/licences/{guessed}", headers=other).status_code == 404
    assert viewed.count() == 1


def test_list_is_paged_and_filtered_to_the_callers_organisations(client, licence_world):
    world = licence_world
    headers = bearer(world.reviewer)
    identifiers = [_issue(client, world, headers)["identifier"] for _ in range(3)]
    first = client.get(f"{API}/licences?limit=2", headers=headers).json()
    assert [i["identifier"] for i in first["items"]] == identifiers[::-1][:2]
    assert "face_data" not in first["items"][0]
    second = client.get(
        f"{API}/licences?limit=2&after={first['next_cursor']}", headers=headers
    ).json()
    assert [i["identifier"] for i in second["items"]] == identifiers[:1]
    assert second["next_cursor"] is None
    filtered = client.get(f"{API}/licences?status=revoked", headers=headers).json()
    assert filtered["items"] == []

    other = client.get(f"{API}/licences", headers=bearer(world.other_reviewer))
    assert other.json()["items"] == []
    assert client.get(f"{API}/licences?limit=1000", headers=headers).json()["fields"]


# --- lifecycle ---------------------------------------------------------------------


def test_change_makes_a_new_version(client, licence_world):
    world = licence_world
    headers = bearer(world.reviewer)
    old = _issue(client, world, headers)["identifier"]
    response = client.post(
        f"{API}/licences/{old}/versions",
        {"face_data": {**FACE_DATA, "qualification": "西式面点师"}, "reason": "更正"},
        content_type=JSON,
        headers=headers,
    )
    assert response.status_code == 201, response.content
    new = response.json()
    assert new["version"] == 2
    assert new["previous_identifier"] == old
    assert new["face_data"]["qualification"] == "西式面点师"
    previous = client.get(f"{API}/licences/{old}", headers=headers).json()
    assert previous["status"] == "superseded"
    assert previous["next_identifier"] == new["identifier"]


def test_suspend_resume_revoke(client, licence_world):
    world = licence_world
    headers = bearer(world.reviewer)
    identifier = _issue(client, world, headers)["identifier"]
    for step, status in (
        ("suspend", "suspended"),
        ("resume", "valid"),
        ("revoke", "revoked"),
    ):
        response = client.post(
            f"{API}/licences/{identifier}/{step}",
            {"reason": "核查"},
            content_type=JSON,
            headers=headers,
        )
        assert response.status_code == 200, response.content
        assert response.json()["status"] == status
    response = client.post(
        f"{API}/licences/{identifier}/resume",
        {"reason": "核查"},
        content_type=JSON,
        headers=headers,
    )
    assert response.status_code == 409
    assert response.json()["code"] == "licenses.invalid_transition"
    assert AuditEvent.objects.filter(event="licenses.revoked").count() == 1


def test_lifecycle_needs_a_reason_and_changes_nothing(client, licence_world):
    world = licence_world
    headers = bearer(world.reviewer)
    identifier = _issue(client, world, headers)["identifier"]
    events = LicenceEvent.objects.count()
    for body in ({}, {"reason": ""}, {"reason": "a\x00"}):
        response = client.post(
            f"{API}/licences/{identifier}/suspend",
            body,
            content_type=JSON,
            headers=headers,
        )
        assert response.status_code == 422, response.content
        assert "reason" in response.json()["fields"]
    response = client.post(
        f"{API}/licences/{identifier}/versions",
        {"face_data": {"gender": "x"}, "reason": "更正"},
        content_type=JSON,
        headers=headers,
    )
    assert response.status_code == 422
    assert any(k.startswith("face_data") for k in response.json()["fields"])
    assert Licence.objects.get().status == "valid"
    assert LicenceEvent.objects.count() == events


def test_another_department_cannot_change_a_licence(client, licence_world):
    world = licence_world
    identifier = _issue(client, world)["identifier"]
    other = bearer(world.other_reviewer)
    for step in ("suspend", "resume", "revoke"):
        response = client.post(
            f"{API}/licences/{identifier}/{step}",
            {"reason": "恶意"},
            content_type=JSON,
            headers=other,
        )
        assert response.status_code == 404
    response = client.post(
        f"{API}/licences/{identifier}/versions",
        {"face_data": dict(FACE_DATA), "reason": "恶意"},
        content_type=JSON,
        headers=other,
    )
    assert response.status_code == 404
    assert Licence.objects.get().status == "valid"
    # the bureau's editor sees it but may not suspend it (a reviewer's step)
    response = client.post(
        f"{API}/licences/{identifier}/suspend",
        {"reason": "核查"},
        content_type=JSON,
        headers=bearer(world.editor),
    )
    assert response.status_code == 403
    assert Licence.objects.get().status == "valid"


# --- verification ------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_check_budget():
    """The public checks' per-address budget lives in the cache."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def _verify(client, identifier):
    response = client.get(f"{API}/verify/{identifier}?reason=核验资格")
    assert response.status_code == 200, response.content
    return response.json()


def test_verify_a_valid_licence_shows_no_personal_data(client, licence_world):
    world = licence_world
    identifier = _issue(client, world)["identifier"]
    body = _verify(client, identifier)
    assert body["ok"] is True
    assert body["status"] == "valid"
    assert all(body["checks"].values())
    assert body["licence"]["issuer_name"] == world.bureau.name
    assert body["licence"]["type_code"] == world.licence_type.type_code
    text = str(body)
    assert "王秀英" not in text
    assert "中式烹调师" not in text
    assert world.id_number not in text


def test_verify_suspended_revoked_expired(client, licence_world):
    world = licence_world
    headers = bearer(world.reviewer)
    suspended = _issue(client, world, headers)["identifier"]
    revoked = _issue(client, world, headers)["identifier"]
    for identifier, step in ((suspended, "suspend"), (revoked, "revoke")):
        client.post(
            f"{API}/licences/{identifier}/{step}",
            {"reason": "核查"},
            content_type=JSON,
            headers=headers,
        )
    assert _verify(client, suspended)["status"] == "suspended"
    assert _verify(client, revoked)["status"] == "revoked"
    assert _verify(client, revoked)["ok"] is False

    expired = _issue(client, world, headers)["identifier"]
    Licence.objects.filter(identifier=expired).update(
        valid_until=datetime.date(2020, 1, 1)
    )
    body = _verify(client, expired)
    assert body["status"] == "expired"
    assert body["ok"] is False


def test_verify_a_corrupted_identifier(client, licence_world):
    identifier = _issue(client, licence_world)["identifier"]
    wrong = identifier[:-1] + ("A" if identifier[-1] != "A" else "B")
    body = _verify(client, wrong)
    assert body["ok"] is False
    assert body["checks"]["check_character"] is False
    assert body["licence"] is None
    assert client.get(f"{API}/verify/{'x' * 200}?reason=核验").status_code == 422


def _upload(content: bytes, name="licence.pdf"):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_verify_file_and_a_tampered_one(client, licence_world):
    identifier = _issue(client, licence_world)["identifier"]
    content = bytes(Licence.objects.get(identifier=identifier).file)
    response = client.post(
        f"{API}/verify/file", {"reason": "核验资格", "file": _upload(content)}
    )
    assert response.status_code == 200, response.content
    assert response.json()["ok"] is True
    assert response.json()["identifier"] == identifier

    tampered = content.replace(b"/Producer", b"/Producex", 1)
    assert tampered != content
    body = client.post(
        f"{API}/verify/file", {"reason": "核验资格", "file": _upload(tampered)}
    ).json()
    assert body["identifier"] == identifier
    assert body["checks"]["file_digest"] is False
    assert body["ok"] is False


def test_verify_file_refuses_large_and_non_pdf_uploads(client, licence_world):
    response = client.post(
        f"{API}/verify/file", {"reason": "核验资格", "file": _upload(b"hello")}
    )
    assert response.status_code == 422
    assert "file" in response.json()["fields"]
    with override_settings(LICENSES_VERIFY_MAX_BYTES=1024):
        response = client.post(
            f"{API}/verify/file",
            {"reason": "核验资格", "file": _upload(b"%PDF-1.4" + b"0" * 2000)},
        )
    assert response.status_code == 413
    assert "file" in response.json()["fields"]
    assert client.post(f"{API}/verify/file", {"reason": "核验"}).status_code == 422


def test_a_check_states_its_reason_and_is_recorded_for_the_holder(
    client, licence_world
):
    from zhengwu.licenses.models import LicenceUse

    identifier = _issue(client, licence_world)["identifier"]
    for query in ("", "?reason=", "?reason=%00x"):
        response = client.get(f"{API}/verify/{identifier}{query}")
        assert response.status_code == 422, response.content
        assert "reason" in response.json()["fields"]
    content = bytes(Licence.objects.get(identifier=identifier).file)
    for form in ({}, {"reason": "   "}):
        response = client.post(f"{API}/verify/file", {**form, "file": _upload(content)})
        assert response.status_code == 422, response.content
        assert "reason" in response.json()["fields"]
    assert not LicenceUse.objects.exists()

    _verify(client, identifier)
    client.post(f"{API}/verify/file", {"reason": "核验", "file": _upload(content)})
    uses = LicenceUse.objects.order_by("pk")
    assert [(u.channel, u.reason) for u in uses] == [
        (LicenceUse.Channel.IDENTIFIER, "核验资格"),
        (LicenceUse.Channel.FILE, "核验"),
    ]
    assert all(u.verifier_label == "anonymous" for u in uses)


def test_public_checks_are_limited_per_address(client, licence_world):
    identifier = _issue(client, licence_world)["identifier"]
    with override_settings(ZHENGWU_LICENCE_CHECKS_PER_HOUR=2):
        _verify(client, identifier)
        _verify(client, identifier)
        response = client.get(f"{API}/verify/{identifier}?reason=核验")
    assert response.status_code == 429
    assert response.json()["code"] == "licenses.too_many_checks"


# --- the contract ------------------------------------------------------------------


def test_committed_openapi_document_is_current(client):
    import json
    from pathlib import Path

    committed = Path(__file__).resolve().parents[4] / "docs" / "openapi" / "v1.json"
    document = client.get("/api/v1/openapi.json").json()
    stored = json.loads(committed.read_text())
    ours = {p: v for p, v in document["paths"].items() if "/licenses/" in p}
    assert ours, "the licences operations are in the document"
    assert ours == {p: v for p, v in stored["paths"].items() if "/licenses/" in p}


def test_openapi_names_the_auth_and_errors_of_every_operation(client):
    document = client.get("/api/v1/openapi.json").json()
    public = {"/api/v1/licenses/verify/{identifier}", "/api/v1/licenses/verify/file"}
    operations = [
        (path, method, operation)
        for path, methods in document["paths"].items()
        if path.startswith("/api/v1/licenses/")
        for method, operation in methods.items()
    ]
    assert len(operations) >= 16  # more as operations are added
    for path, method, operation in operations:
        statuses = set(operation["responses"])
        assert "422" in statuses, (path, method)
        if path in public:
            assert "security" not in operation, path
            continue
        assert operation["security"] == [
            {"BearerTokenAuth": []},
            {"SessionAuth": []},
        ], (path, method)
        assert {"401", "403", "404"} <= statuses, (path, method)


def test_the_session_needs_the_csrf_token_on_writes(licence_world):
    from django.test import Client

    world = licence_world
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.reviewer)
    assert browser.get(f"{API}/licences").status_code == 200
    response = browser.post(f"{API}/licences", issue_body(world), content_type=JSON)
    assert response.status_code == 403
    assert Licence.objects.count() == 0


# --- the holder's code and name (review) ---------------------------------------------


def test_another_persons_id_number_is_refused_on_issue_before_the_name(
    client, licence_world
):
    from zhengwu.identity.tests.person_factories import make_citizen

    world = licence_world
    other = make_citizen("李四", verified=False)
    body = issue_body(world)
    # the ID number of another person, with a guessed name of the labelled holder:
    # the code is refused, the name is never compared
    body["holder"] = {**body["holder"], "code": other.clear_id_number, "name": "王小英"}
    response = client.post(
        f"{API}/licences", body, content_type=JSON, headers=bearer(world.reviewer)
    )
    assert response.status_code == 422, response.content
    assert list(response.json()["fields"]) == ["holder.code"]
    assert Licence.objects.count() == 0


def test_a_change_to_another_holder_name_or_code_is_refused(client, licence_world):
    from zhengwu.identity.tests.person_factories import make_citizen

    world = licence_world
    headers = bearer(world.reviewer)
    old = _issue(client, world, headers)["identifier"]
    other = make_citizen("李四", verified=False)
    for change, field in (
        ({"holder_name": "李四"}, "holder_name"),
        ({"holder_code": other.clear_id_number}, "holder_code"),
    ):
        response = client.post(
            f"{API}/licences/{old}/versions",
            {"face_data": dict(FACE_DATA), "reason": "更正", **change},
            content_type=JSON,
            headers=headers,
        )
        assert response.status_code == 422, response.content
        assert list(response.json()["fields"]) == [field]
        assert "王秀英" not in response.content.decode()
    assert Licence.objects.count() == 1
    response = client.post(
        f"{API}/licences/{old}/versions",
        {"face_data": dict(FACE_DATA), "reason": "更正", "holder_name": "王 秀英"},
        content_type=JSON,
        headers=headers,
    )
    assert response.status_code == 201, response.content
